"""`reconkit report`: the management report of a run, one HTML file that opens offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconkit.cli._app import _guarded, app, console


@app.command("report")
@_guarded
def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="output folder of `reconkit run`",
                                            show_default=False)],
    config: Annotated[Path | None, typer.Option(
        "--config", show_default=False,
        help="run config of the month: adds money at stake, open items by age and the "
             "catalog version (its sources are loaded again)")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", show_default=False, help="HTML file (default RUN_DIR/report.html)")] = None,
    images: Annotated[Path | None, typer.Option(
        "--images", show_default=False,
        help="folder for a PNG and an SVG of each chart (default RUN_DIR/charts)")] = None,
) -> None:
    """Write a self-contained HTML report for management: auto-match waterfall by rule,
    exceptions by category and money at stake, open invoices by age, statement balance
    checks (when the run wrote statements.csv), estimated hours saved, catalog version.
    The charts' JavaScript is inlined: the file opens without a network."""
    from reconkit.catalog import load_catalog
    from reconkit.report_html.management import ManagementReport

    inputs, catalog = None, None
    if config is not None:
        from reconkit.config import load_config
        from reconkit.pipeline import load_sources

        cfg = load_config(config)
        with console.status("loading the month's sources", spinner="dots") as status:
            inputs = load_sources(cfg, progress=status.update).tables
        catalog = load_catalog(cfg.catalog)
    else:
        catalog = load_catalog()
    rep = ManagementReport.build(run_dir, inputs=inputs, catalog=catalog)
    written = rep.write(out or run_dir / "report.html", images or run_dir / "charts")
    typer.echo(f"Report written: {written[0]} ({len(written) - 1} chart images in "
               f"{images or run_dir / 'charts'})")
