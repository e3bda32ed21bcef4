"""`reconkit catalog`: validate, list and export the rule catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconkit.cli._app import REPO_ROOT, _fail, _guarded, _suffix, catalog_app
from reconkit.errors import ReconkitError


@catalog_app.command("validate")
def catalog_validate(
    folder: Annotated[Path, typer.Argument(help="catalog folder")] = REPO_ROOT / "rule_catalog",
) -> None:
    """Validate a catalog folder; errors name the file, the rule and the field."""
    from reconkit.catalog import load_catalog

    try:
        cat = load_catalog(folder)
    except ReconkitError as exc:
        _fail(exc)
        return
    typer.echo(f"{len(cat.rules)} rules, {len(cat.categories)} categories: OK")


@catalog_app.command("show")
def catalog_show(
    folder: Annotated[Path, typer.Argument(help="catalog folder")] = REPO_ROOT / "rule_catalog",
) -> None:
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


@catalog_app.command("export")
@_guarded
def catalog_export(
    out: Annotated[Path, typer.Option(
        "--out", "-o", show_default=False,
        help="FILE.xlsx (sheets rules and categories) or FILE.md (Markdown tables)")],
    folder: Annotated[Path, typer.Argument(help="catalog folder")] = REPO_ROOT / "rule_catalog",
) -> None:
    """Export the documented rules and exception categories as tables (notebook 04)."""
    from reconkit.audit import to_markdown, to_xlsx
    from reconkit.catalog import load_catalog

    fmt = _suffix(out, (".xlsx", ".md"))
    cat = load_catalog(folder)
    rules, categories = cat.rules_frame(), cat.categories_frame()
    if fmt == ".xlsx":
        to_xlsx({"rules": rules, "categories": categories}, out)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            f"# Rule catalog\n\n{rules.height} rules in waterfall order, "
            f"{categories.height} exception categories.\n\n## Rules\n\n"
            + to_markdown(rules.drop("description", "rationale"))
            + "\n## Exception categories\n\n"
            + to_markdown(categories.select("id", "severity", "title", "what_to_do")),
            encoding="utf-8")
    typer.echo(f"Exported {rules.height} rules and {categories.height} categories to {out}")
