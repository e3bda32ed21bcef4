"""`reconkit run`, `demo` and `loaders`: a month headless, the bundled sample, the source kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reconkit.cli._app import _crash, _fail, app, console
from reconkit.errors import ReconkitError
from reconkit.paths import SAMPLE_DIR


def _run(config_path: Path, out: Path, quiet: bool,
         timings: bool = False) -> dict[str, object]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from reconkit.config import load_config
    from reconkit.pipeline import run
    from reconkit.progress import run_steps
    from reconkit.report import render_summary
    from reconkit.review.where import store_choice, with_store
    from reconkit.timings import Timings

    recorder = Timings() if timings else None
    if recorder is not None:
        recorder.start("read run config")
    cfg = load_config(config_path)
    choice = store_choice(cfg)  # `store:` of the config; RECONKIT_STORE overrides, said below
    cfg = with_store(cfg, choice)
    if not quiet and choice.path is not None:
        console.print(choice.describe(config_path.name))
    with Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True, disable=quiet) as bar:
        task = bar.add_task("starting", total=run_steps(cfg))

        def progress(msg: str) -> None:
            bar.update(task, advance=1, description=msg)

        result = run(cfg, out, progress=progress, timings=recorder)
    summary = result.summary()
    if recorder is not None:
        # stderr, so that `--json` output stays parseable
        typer.echo("Timings (seconds, peak RSS of the process so far):", err=True)
        typer.echo(recorder.table(), err=True)
    if not quiet:
        typer.echo(render_summary(summary))
        for w in result.warnings:
            console.print(f"[yellow]warning:[/] {w}")
        typer.echo(f"Output written to {out}")
    return summary


@app.command("run")
def run_cmd(
    config: Annotated[Path, typer.Argument(help="run config (YAML)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("out/run"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    json_summary: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    timings: Annotated[bool, typer.Option(
        "--timings", help="print the seconds and peak memory of each step (to stderr)")] = False,
) -> None:
    """Load, validate, match and write the result contract to OUT."""
    try:
        summary = _run(config, out, quiet or json_summary, timings)
    except ReconkitError as exc:
        _fail(exc)
        return
    except Exception as exc:
        _crash(exc)
        return
    if json_summary:
        typer.echo(json.dumps(summary, indent=2, sort_keys=True))


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("out/demo"),
    native: Annotated[bool, typer.Option(
        "--native", help="run from the native exports (Salesforce CSV, Stripe JSON, FEC, "
                         "camt.053) instead of the canonical CSVs")] = False,
) -> None:
    """Run the bundled sample month and print its summary."""
    config = SAMPLE_DIR / ("run_native.yaml" if native else "run_canonical.yaml")
    if not config.exists():
        _fail(ReconkitError(f"bundled sample not found at {config}",
                            hint="run `make sample` to generate it"))
    try:
        _run(config, out, quiet=False)
    except ReconkitError as exc:
        _fail(exc)
    except Exception as exc:
        _crash(exc)


@app.command("loaders")
def loaders_cmd() -> None:
    """List the source kinds usable in a run config."""
    from reconkit.loaders import loader_kinds

    for kind in loader_kinds():
        typer.echo(kind)
