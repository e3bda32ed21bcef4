"""The `reconkit` command line: everything a notebook does, headless (batch, cron)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from reconkit.errors import ReconkitError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Reconcile CRM, billing, ERP ledger and bank statements.")
catalog_app = typer.Typer(no_args_is_help=True, help="Inspect and validate rule catalogs.")
app.add_typer(catalog_app, name="catalog")
console = Console(stderr=True, soft_wrap=True)

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "data_samples" / "sample"


def _fail(exc: ReconkitError) -> None:
    console.print(f"[bold red]reconkit:[/] {exc}")
    raise typer.Exit(code=2)


def _crash(exc: Exception) -> None:
    """An unexpected error (a bug, not bad data): one readable line, details on demand."""
    if os.environ.get("RECONKIT_DEBUG"):
        raise exc
    console.print(f"[bold red]reconkit: internal error:[/] {type(exc).__name__}: {exc}\n"
                  "  This is a bug in reconkit, not in your data. Re-run with RECONKIT_DEBUG=1 "
                  "for the full traceback and report it.")
    raise typer.Exit(code=3)


def _run(config_path: Path, out: Path, quiet: bool) -> dict[str, object]:
    from reconkit.config import load_config
    from reconkit.engine import run
    from reconkit.report import render_summary

    cfg = load_config(config_path)
    with console.status("starting", spinner="dots") as status:
        def progress(msg: str) -> None:
            if not quiet:
                status.update(msg)

        result = run(cfg, out, progress=progress)
    summary = result.summary()
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
) -> None:
    """Load, validate, match and write the result contract to OUT."""
    try:
        summary = _run(config, out, quiet or json_summary)
    except ReconkitError as exc:
        _fail(exc)
        return
    except Exception as exc:  # noqa: BLE001 - last resort: never a raw traceback
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
    except Exception as exc:  # noqa: BLE001 - last resort: never a raw traceback
        _crash(exc)


@app.command("loaders")
def loaders_cmd() -> None:
    """List the source kinds usable in a run config."""
    from reconkit.loaders import loader_kinds

    for kind in loader_kinds():
        typer.echo(kind)


@catalog_app.command("validate")
def catalog_validate(folder: Annotated[Path, typer.Argument()] = REPO_ROOT / "rule_catalog") -> None:
    """Validate a catalog folder; errors name the file, the rule and the field."""
    from reconkit.catalog import load_catalog

    try:
        cat = load_catalog(folder)
    except ReconkitError as exc:
        _fail(exc)
        return
    typer.echo(f"{len(cat.rules)} rules, {len(cat.categories)} categories: OK")


@catalog_app.command("show")
def catalog_show(folder: Annotated[Path, typer.Argument()] = REPO_ROOT / "rule_catalog") -> None:
    """Print the rules in waterfall order."""
    from reconkit.catalog import load_catalog

    try:
        cat = load_catalog(folder)
    except ReconkitError as exc:
        _fail(exc)
        return
    for r in cat.rules:
        auto = f"auto>={r.auto_approve}" if r.auto_approve is not None else "review"
        typer.echo(f"{r.link:<20} {r.priority:>4} {r.id:<22} {auto:<10} "
                   f"{r.exception_category or '-':<30} {r.title}")


def main() -> None:  # pragma: no cover
    try:
        app()
    except ReconkitError as exc:
        console.print(f"[bold red]reconkit:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
