"""`reconkit catalog`: validate, list, document (export), compare (diff) and try (what-if)
the rule catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconkit.cli._app import (
    REPO_ROOT,
    ConfigArg,
    _guarded,
    _open_store,
    _require_file,
    _suffix,
    catalog_app,
    console,
)
from reconkit.errors import ReconkitError


@catalog_app.command("validate")
@_guarded
def catalog_validate(
    folder: Annotated[Path, typer.Argument(help="catalog folder")] = REPO_ROOT / "rule_catalog",
) -> None:
    """Validate a catalog folder; errors name the file, the rule and the field."""
    from reconkit.catalog import load_catalog

    cat = load_catalog(folder)
    typer.echo(f"{len(cat.rules)} rules, {len(cat.categories)} categories: OK")


@catalog_app.command("show")
@_guarded
def catalog_show(
    folder: Annotated[Path, typer.Argument(help="catalog folder")] = REPO_ROOT / "rule_catalog",
) -> None:
    """Print the rules in waterfall order."""
    from reconkit.catalog import load_catalog

    cat = load_catalog(folder)
    for r in cat.rules:
        auto = f"auto>={r.auto_approve}" if r.auto_approve is not None else "review"
        typer.echo(f"{r.link:<20} {r.priority:>4} {r.id:<22} {auto:<10} "
                   f"{r.exception_category or '-':<30} {r.title}")


@catalog_app.command("export")
@_guarded
def catalog_export(
    out: Annotated[Path, typer.Option(
        "--out", "-o", show_default=False,
        help="output file: .md, .html or .xlsx (sheets rules and categories)")],
    folder: Annotated[Path, typer.Argument(help="catalog folder")] = REPO_ROOT / "rule_catalog",
    fmt: Annotated[str | None, typer.Option(
        "--format", show_default=False,
        help="md, html or xlsx (default: from the --out extension)")] = None,
    run_dir: Annotated[Path | None, typer.Option(
        "--run", show_default=False,
        help="run folder (`reconkit run --out`): adds each rule's hits from matches.csv")] = None,
    store: Annotated[Path | None, typer.Option(
        "--store", show_default=False,
        help="decisions store: adds confirmed / rejected and precision per rule (needs "
             "--run, whose matches say which rule proposed each decided match)")] = None,
) -> None:
    """Document the catalog: per rule what, why, owner, source, tolerances (every matcher
    parameter), threshold and exception category, plus hits in a run and reviewers'
    precision (notebook 04)."""
    import polars as pl

    from reconkit.audit import to_xlsx
    from reconkit.catalog import load_catalog
    from reconkit.catalog.document import catalog_html, catalog_markdown, rule_documentation

    fmt = (fmt or _suffix(out, (".xlsx", ".md", ".html")).lstrip(".")).lower()
    if fmt not in ("md", "html", "xlsx"):
        raise ReconkitError(f"unknown format {fmt!r}", hint="use md, html or xlsx")
    if store is not None and run_dir is None:
        raise ReconkitError("--store needs --run",
                            hint="the run's matches.csv says which rule proposed each match")
    cat = load_catalog(folder)
    matches = decisions = None
    if run_dir is not None:
        _require_file(run_dir / "matches.csv", "matches.csv",
                      "give the --out folder of `reconkit run`")
        matches = pl.read_csv(run_dir / "matches.csv", infer_schema_length=None)
    if store is not None:
        with _open_store(store, must_exist=True) as st:
            decisions = st.history().filter(pl.col("undone_at").is_null())
    doc = rule_documentation(cat, matches=matches, decisions=decisions)
    if fmt == "xlsx":
        to_xlsx({"rules": doc, "settings": cat.settings_frame(),
                 "categories": cat.categories_frame()}, out)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(catalog_markdown(doc, categories=cat.categories_frame(),
                                        settings=cat.settings_frame()) if fmt == "md"
                       else catalog_html(doc, settings=cat.settings_frame()),
                       encoding="utf-8")
    typer.echo(f"Exported {doc.height} rules and {len(cat.categories)} categories to {out}")


@catalog_app.command("diff")
@_guarded
def catalog_diff_cmd(
    old: Annotated[Path, typer.Argument(help="catalog folder before", show_default=False)],
    new: Annotated[Path, typer.Argument(help="catalog folder after", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", show_default=False,
                                             help="also write the changes as CSV")] = None,
) -> None:
    """Rules and categories added, removed, or changed (each field, matcher parameters
    included, with its old and new value)."""
    from reconkit.audit.export import to_csv
    from reconkit.catalog import load_catalog
    from reconkit.catalog.document import catalog_diff

    diff = catalog_diff(load_catalog(old), load_catalog(new))
    if out is not None:
        to_csv(diff, out)
    if not diff.height:
        typer.echo("No difference.")
    for r in diff.iter_rows(named=True):
        values = f": {r['old']} -> {r['new']}" if r["change"].startswith("changed") else ""
        typer.echo(f"{r['kind']:<9} {r['id']:<26} {r['change']}{values}")


@catalog_app.command("what-if")
@_guarded
def catalog_whatif(
    config: ConfigArg,
    catalog: Annotated[Path, typer.Option("--catalog", show_default=False,
                                          help="the changed catalog folder")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", show_default=False,
        help="CSV of every match that appears, disappears or changes")] = None,
) -> None:
    """Rerun the month of CONFIG with its own catalog and with CATALOG; list the matches
    that appear, disappear or change status or rule."""
    from reconkit.audit.export import to_csv
    from reconkit.audit.whatif import compare_runs, whatif_summary
    from reconkit.catalog import load_catalog
    from reconkit.config import load_config
    from reconkit.engine import Reconciliation
    from reconkit.pipeline import load_sources

    load_catalog(catalog)  # refuse a broken catalog before the long part
    cfg = load_config(config)
    with console.status("loading", spinner="dots") as status:
        loaded = load_sources(cfg, progress=status.update)
        status.update("matching with the current catalog")
        before = Reconciliation.from_config(cfg).match(loaded)
        status.update("matching with the changed catalog")
        after = Reconciliation.from_config(cfg.model_copy(update={"catalog": catalog})) \
            .match(loaded)
    diff = compare_runs(before, after)
    if out is not None:
        to_csv(diff, out)
    summary = whatif_summary(diff)
    typer.echo(f"{diff.height} matches change" + (":" if diff.height else "."))
    for r in summary.iter_rows(named=True):
        typer.echo(f"  {r['matches']:>6}  {r['change']:<15} {r['kind']:<20} "
                   f"{r['old_rule'] or '-'} -> {r['new_rule'] or '-'}")
