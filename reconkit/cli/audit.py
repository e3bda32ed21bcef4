"""`reconkit audit`: profile a month's data and its exceptions (notebook 01, headless)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconkit.cli._app import ConfigArg, StoreOpt, _guarded, app, console

if TYPE_CHECKING:
    import polars as pl

    from reconkit.config import RunConfig
    from reconkit.review.where import StoreChoice


@app.command("audit")
@_guarded
def audit_cmd(
    config: ConfigArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for the audit files")] =
    Path("out/audit"),
    top: Annotated[int, typer.Option(help="exception categories listed in the summary",
                                     min=1)] = 5,
    accept_payers: Annotated[bool, typer.Option(
        "--accept-payers", help="record the mined 'who pays for whom' pairs (payers that are "
                                "client accounts) in the decisions store, so the next run "
                                "matches their payments for those clients")] = False,
    store: StoreOpt = None,
    user: Annotated[str | None, typer.Option(
        "--user", envvar="RECONKIT_USER", show_default=False,
        help="who accepts the payers (with --accept-payers; default: $RECONKIT_USER)")] = None,
) -> None:
    """Profile a month's data and its exceptions (notebook 01, headless).

    Loads the sources of CONFIG and runs the reconciliation, then writes to OUT:
    data_profile.csv (per table and column: type, gaps, distinct values, range, examples),
    exception_profile.csv (per category: count, money at stake, main clients),
    load_report.csv, quarantine.csv, audit.xlsx (one sheet each) and
    exceptions_chart.vl.json (Vega-Lite bar chart).

    Then mines the ledger's lettering (the FEC source read in full) for the tacit rules the
    accountant applies: audit_report.md and audit_report.html (each rule in a sentence with
    its support), tacit_rules.csv and mined_*.csv (evidence), charts/ (PNG and SVG of each
    chart), and draft_catalog/ (the
    catalog plus mined.yaml, loadable and runnable). Prints a short summary and the rules.

    With --accept-payers, the mined pairs of a payer paying for another client account (both
    client accounts of the ledger) go to the decisions store (--store, else $RECONKIT_STORE,
    else `store:` of CONFIG) as decisions by --user; `reconkit review undo` withdraws one.
    """
    from reconkit.audit import (
        LedgerAudit,
        exception_profile,
        exceptions_chart,
        profile_tables,
        to_xlsx,
    )
    from reconkit.audit.export import to_csv
    from reconkit.catalog import load_catalog
    from reconkit.config import load_config
    from reconkit.engine import Reconciliation
    from reconkit.pipeline import load_sources

    cfg = load_config(config)
    if accept_payers:
        _store_to_accept(cfg, store, user)  # refuse before the long run, not after
    with console.status("starting", spinner="dots") as status:
        loaded = load_sources(cfg, progress=status.update)
        result = Reconciliation.from_config(cfg).match(loaded, progress=status.update)
        status.update("profiling")
        catalog = load_catalog(cfg.catalog)
        sheets = {"data profile": profile_tables(loaded.tables),
                  "exception profile": exception_profile(result, catalog=catalog),
                  "load report": loaded.report_frame(), "quarantine": loaded.quarantine}
        chart = exceptions_chart(result, catalog=catalog).to_dict()
        status.update("mining the ledger's lettering")
        ledger = LedgerAudit.from_config(cfg, loaded)
        from reconkit.paths import DEFAULT_CATALOG

        written_rules = ledger.write(out, base_catalog=cfg.catalog or DEFAULT_CATALOG)
    written = [to_csv(df, out / f"{name.replace(' ', '_')}.csv") for name, df in sheets.items()]
    written.append(to_xlsx(sheets, out / "audit.xlsx"))
    chart_path = out / "exceptions_chart.vl.json"
    chart_path.write_text(json.dumps(chart, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(chart_path)
    written += written_rules
    typer.echo(_audit_summary(loaded.tables, loaded.quarantine.height,
                              sheets["exception profile"], top))
    typer.echo("Tacit rules mined from the ledger's lettering:")
    for row in ledger.tacit.iter_rows(named=True):
        typer.echo(f"  - {row['sentence']} (support: {row['support']})")
    names = sorted(str(p.relative_to(out)) for p in written)
    typer.echo(f"Audit written to {out}: {', '.join(names)}")
    if accept_payers:
        _accept_payers(cfg, ledger.mined.pays_for, store, user)


def _store_to_accept(cfg: RunConfig, store: Path | None, user: str | None) -> StoreChoice:
    """The store --accept-payers records into; refuses early without a store or a user."""
    from reconkit.errors import ReconkitError
    from reconkit.review.where import store_choice

    choice = store_choice(cfg, store)
    if choice.path is None:
        raise ReconkitError("--accept-payers needs a decisions store",
                            hint="give --store, or add `store: decisions.sqlite` to the run "
                                 "config")
    if not user or not user.strip():
        raise ReconkitError("--accept-payers needs the name of who accepts them",
                            hint="give --user NAME (or set RECONKIT_USER)")
    return choice


def _accept_payers(cfg: RunConfig, pays_for: pl.DataFrame, store: Path | None,
                   user: str | None) -> None:
    """Record the mined payer pairs in the run's decisions store (`reconkit.audit.accept`)."""
    from reconkit.audit.accept import accept_payers, payer_pairs
    from reconkit.review.store import DecisionStore

    choice = _store_to_accept(cfg, store, user)
    assert choice.path is not None and user is not None
    with DecisionStore(choice.path) as db:
        ids = accept_payers(db, pays_for, user=user)
    pairs = payer_pairs(pays_for).height
    typer.echo(f"Payers accepted: {len(ids)} new of {pairs} mined pairs, recorded by {user} "
               f"({choice.describe()}); the next run matches their payments for those "
               "clients.")


def _audit_summary(tables: dict[str, pl.DataFrame], quarantined: int, prof: pl.DataFrame,
                   top: int) -> str:
    from reconkit.money import format_cents

    sizes = ", ".join(f"{name} {tables[name].height}" for name in sorted(tables))
    lines = [f"Tables profiled: {len(tables)} ({sizes} rows)",
             f"Rows quarantined: {quarantined}"]
    review = prof.filter(prof["severity"] == "decision")
    to_review = int(review["exceptions"].sum())
    lines.append(f"Exceptions: {int(prof['exceptions'].sum())} in {prof.height} categories: "
                 f"{to_review} to review, {int(prof['exceptions'].sum()) - to_review} "
                 "for information only")
    if review.height:
        lines.append("Most frequent to review (count, category, money at stake):")
        for row in review.sort(["exceptions", "amount_cents", "category"],
                               descending=[True, True, False]).head(top).iter_rows(named=True):
            lines.append(f"  {row['exceptions']:>6}  {row['category']:<32} "
                         f"{format_cents(row['amount_cents']):>14}")
    return "\n".join(lines)
