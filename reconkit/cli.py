"""The `reconkit` command line: everything a notebook does, headless (batch, cron)."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, ParamSpec

import typer
from rich.console import Console

from reconkit.errors import ReconkitError
from reconkit.paths import PROJECT_ROOT, SAMPLE_DIR

if TYPE_CHECKING:
    import polars as pl

    from reconkit.config import RunConfig
    from reconkit.connectors import SyncResult
    from reconkit.result import ReconResult
    from reconkit.review.store import Decision, DecisionStore

MARKUP: Final = "markdown"  # help paragraphs re-flowed to the terminal width
app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode=MARKUP,
    help="Reconcile CRM, billing, ERP ledger and bank statements.\n\n"
         "Everything the notebooks do, headless (batch, cron): `run` a month, `audit` its "
         "data, export and decide the `review` queue, `sync` the CRM and billing APIs, "
         "document the rule `catalog`. Exit codes: 0 done, 2 bad input (the message says "
         "what to fix), 3 internal error.")
catalog_app = typer.Typer(no_args_is_help=True, rich_markup_mode=MARKUP,
                          help="Validate, list and export the rule catalog.")
review_app = typer.Typer(no_args_is_help=True, rich_markup_mode=MARKUP, help=(
    "Export the review queue; record, bulk-record and undo decisions; read the audit "
    "trail.\n\nDecisions live in a SQLite store (the same as the review notebook's), with "
    "who decided what and when; nothing is ever deleted."))
sync_app = typer.Typer(no_args_is_help=True, rich_markup_mode=MARKUP, help=(
    "Fetch Salesforce, HubSpot or Stripe records into a local snapshot and loader files."
    "\n\nEach sync fetches what changed since the last one. The token comes from an "
    "environment variable or a secrets file outside the repository; it is never printed."))
app.add_typer(review_app, name="review")
app.add_typer(sync_app, name="sync")
app.add_typer(catalog_app, name="catalog")
console = Console(stderr=True, soft_wrap=True)
P = ParamSpec("P")

REPO_ROOT = PROJECT_ROOT


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


def _guarded(command: Callable[P, None]) -> Callable[P, None]:
    """Run a command so that a finance user never sees a traceback: bad input (a reconkit
    error, a file that cannot be read or written, a busy database) exits 2 with the message,
    anything else is reported as a bug (exit 3)."""
    @functools.wraps(command)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except typer.Exit:
            raise
        except ReconkitError as exc:
            _fail(exc)
        except OSError as exc:
            _fail(ReconkitError(f"{exc.strerror or type(exc).__name__}: {exc.filename or exc}",
                                hint="check the path, and that you may read or write there"))
        except sqlite3.Error as exc:
            _fail(ReconkitError(f"the database refused the operation ({exc})",
                                hint="another process may be using it: retry in a moment"))
        except Exception as exc:  # last resort: never a raw traceback
            _crash(exc)
    return guarded


def _run(config_path: Path, out: Path, quiet: bool) -> dict[str, object]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from reconkit.config import load_config
    from reconkit.engine import run
    from reconkit.progress import run_steps
    from reconkit.report import render_summary

    cfg = load_config(config_path)
    with Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True, disable=quiet) as bar:
        task = bar.add_task("starting", total=run_steps(cfg))

        def progress(msg: str) -> None:
            bar.update(task, advance=1, description=msg)

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


# -- shared pieces ---------------------------------------------------------------------------

ConfigArg = Annotated[Path, typer.Argument(help="run config (YAML)", show_default=False)]
StoreOpt = Annotated[Path, typer.Option(
    "--store", help="decisions store (SQLite file; the review notebook's store works too)",
    show_default=False)]
UserOpt = Annotated[str, typer.Option(
    "--user", envvar="RECONKIT_USER", show_default=False,
    help="who decides, kept in the audit trail (default: $RECONKIT_USER)")]
DecideConfigOpt = Annotated[Path | None, typer.Option(
    "--config", show_default=False,
    help="run config of the month: the ids are checked against its run, and a confirmed "
         "payment from an unknown IBAN teaches that IBAN to the store")]
REVIEW_ACTIONS = ("confirm", "reject", "note")


class Action(StrEnum):
    """What a reviewer can decide from the command line."""

    confirm = "confirm"
    reject = "reject"
    note = "note"


def _reconcile(config_path: Path, store: Path | None = None) -> tuple[RunConfig, ReconResult]:
    """Run the month of a config in memory; with a store (`store`, else the config's
    `store:`) its learned aliases and decisions are applied, as in the review notebook."""
    from reconkit.config import load_config
    from reconkit.engine import run

    cfg = load_config(config_path)
    if store is not None:
        cfg = cfg.model_copy(update={"store": store})
    with console.status("starting", spinner="dots") as status:
        result = run(cfg, progress=status.update)
    return cfg, result


def _require_file(path: Path, what: str, hint: str) -> None:
    if not path.is_file():
        raise ReconkitError(f"no {what} at {path}", hint=hint)


def _open_store(path: Path, *, must_exist: bool) -> DecisionStore:
    """The decisions store at `path`; reading commands refuse to create an empty one."""
    from reconkit.review.store import DecisionStore

    if must_exist:
        _require_file(path, "decisions store", "check --store: decisions are kept where "
                      "`reconkit review decide` or the review notebook recorded them")
    return DecisionStore(path)


def _suffix(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ReconkitError(f"cannot write {path.name}: the file name must end with "
                            f"{' or '.join(allowed)}", hint="pick the format by the extension")
    return suffix


def _learned(count: int) -> str:
    return f"; {count} payer IBAN alias(es) learned" if count else ""


# -- audit -----------------------------------------------------------------------------------

@app.command("audit")
@_guarded
def audit_cmd(
    config: ConfigArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for the audit files")] =
    Path("out/audit"),
    top: Annotated[int, typer.Option(help="exception categories listed in the summary",
                                     min=1)] = 5,
) -> None:
    """Profile a month's data and its exceptions (notebook 01, headless).

    Loads the sources of CONFIG and runs the reconciliation, then writes to OUT:
    data_profile.csv (per table and column: type, gaps, distinct values, range, examples),
    exception_profile.csv (per category: count, money at stake, main clients),
    load_report.csv, quarantine.csv, audit.xlsx (one sheet each) and
    exceptions_chart.vl.json (Vega-Lite bar chart); prints a short summary.
    """
    from reconkit.audit import exception_profile, exceptions_chart, profile_tables, to_xlsx
    from reconkit.audit.export import to_csv
    from reconkit.catalog import load_catalog
    from reconkit.config import load_config
    from reconkit.engine import Reconciliation, load_sources

    cfg = load_config(config)
    with console.status("starting", spinner="dots") as status:
        loaded = load_sources(cfg, progress=status.update)
        result = Reconciliation.from_config(cfg).match(loaded, progress=status.update)
        status.update("profiling")
        catalog = load_catalog(cfg.catalog)
        sheets = {"data profile": profile_tables(loaded.tables),
                  "exception profile": exception_profile(result, catalog=catalog),
                  "load report": loaded.report_frame(), "quarantine": loaded.quarantine}
        chart = exceptions_chart(result, catalog=catalog).to_dict()
    written = [to_csv(df, out / f"{name.replace(' ', '_')}.csv") for name, df in sheets.items()]
    written.append(to_xlsx(sheets, out / "audit.xlsx"))
    chart_path = out / "exceptions_chart.vl.json"
    chart_path.write_text(json.dumps(chart, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(chart_path)
    typer.echo(_audit_summary(loaded.tables, loaded.quarantine.height,
                              sheets["exception profile"], top))
    typer.echo(f"Audit written to {out}: {', '.join(sorted(p.name for p in written))}")


def _audit_summary(tables: dict[str, pl.DataFrame], quarantined: int, prof: pl.DataFrame,
                   top: int) -> str:
    from reconkit.money import format_cents

    sizes = ", ".join(f"{name} {tables[name].height}" for name in sorted(tables))
    lines = [f"Tables profiled: {len(tables)} ({sizes} rows)",
             f"Rows quarantined: {quarantined}"]
    review = prof.filter(prof["severity"] == "exception")
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


# -- review ----------------------------------------------------------------------------------

@review_app.command("queue")
@_guarded
def review_queue_cmd(
    config: ConfigArg,
    out: Annotated[Path, typer.Option("--out", "-o", show_default=False,
                                      help="FILE.xlsx (money as amounts) or FILE.csv "
                                           "(money in cents, candidates joined with '; ')")],
    store: Annotated[Path | None, typer.Option(
        "--store", show_default=False,
        help="decisions store whose aliases and decisions apply (default: `store:` of the "
             "config); the `decision` column shows the latest decision")] = None,
) -> None:
    """Write the exceptions that need a decision, largest first (notebook 02's export).

    One row per exception with its record, client, age, detail and candidate matches
    (ids, scores, explanations): the ids to pass to `review decide` or `review decide-file`.
    """
    from reconkit.audit import to_xlsx
    from reconkit.audit.export import to_csv
    from reconkit.catalog import load_catalog
    from reconkit.review.queue import review_queue

    fmt = _suffix(out, (".xlsx", ".csv"))
    if store is not None:
        _open_store(store, must_exist=True).close()
    cfg, result = _reconcile(config, store)
    decisions = None
    if cfg.store is not None:
        with _open_store(cfg.store, must_exist=False) as db:
            decisions = db.active_decisions()
    queue = review_queue(result, catalog=load_catalog(cfg.catalog), decisions=decisions)
    if fmt == ".xlsx":
        to_xlsx({"review queue": queue}, out)
    else:
        to_csv(queue, out)
    decided = int(queue["decision"].is_not_null().sum())
    typer.echo(f"Review queue: {queue.height} exceptions ({decided} already decided) "
               f"written to {out}")


def _decision(action: str, match_id: str | None, exception_id: str | None,
              note: str | None) -> Decision:
    """A decision from user input, or a plain-language reason why it is not one."""
    from reconkit.review.store import Decision

    if action not in REVIEW_ACTIONS:
        raise ReconkitError(f"unknown action '{action}'",
                            hint=f"use {', '.join(REVIEW_ACTIONS)}")
    if not match_id and not exception_id:
        raise ReconkitError("a decision needs the match or the exception it is about",
                            hint="give a match id or an exception id from the review queue")
    if action == "note" and not note:
        raise ReconkitError("a note needs its text", hint="give the text of the note")
    return Decision(action, match_id=match_id or None, exception_id=exception_id or None,
                    payload={"note": note} if note else None)


def _checked_result(config: Path | None, store: Path,
                    decisions: list[Decision]) -> ReconResult | None:
    """With a run config: the month's result, after checking every id belongs to it."""
    if config is None:
        return None
    _, result = _reconcile(config, store)
    known = {"match": set(result.matches["match_id"].to_list()),
             "exception": set(result.exceptions["exception_id"].to_list())}
    for d in decisions:
        for kind, value in (("match", d.match_id), ("exception", d.exception_id)):
            if value is not None and value not in known[kind]:
                raise ReconkitError(f"{kind} {value} is not in the run of {config.name}",
                                    hint="copy the id from the review queue "
                                         "(`reconkit review queue`)")
    return result


@review_app.command("decide")
@_guarded
def review_decide(
    store: StoreOpt,
    user: UserOpt,
    action: Annotated[Action, typer.Option("--action", show_default=False,
                                           help="confirm or reject the match, or note")],
    match_id: Annotated[str | None, typer.Option(
        "--match", show_default=False, help="the match decided (a candidate id of the queue)")]
    = None,
    exception_id: Annotated[str | None, typer.Option(
        "--exception", show_default=False, help="the exception decided (its queue id)")] = None,
    note: Annotated[str | None, typer.Option("--note", show_default=False,
                                             help="free text kept with the decision")] = None,
    config: DecideConfigOpt = None,
) -> None:
    """Record one decision on a match or an exception (the review screen's buttons).

    Give --match, --exception or both. Confirmed and rejected matches set the match status
    of the next run; nothing is ever deleted (see `review undo`).
    """
    decision = _decision(action.value, match_id, exception_id, note)
    result = _checked_result(config, store, [decision])
    with _open_store(store, must_exist=False) as db:
        before = db.aliases().height
        did = db.bulk([decision], user=user, result=result)[0]
        learned = db.aliases().height - before
    target = " ".join(f"{k} {v}" for k, v in (("match", decision.match_id),
                                               ("exception", decision.exception_id)) if v)
    typer.echo(f"Recorded decision {did}: {action.value} {target} by {user}{_learned(learned)}")


@review_app.command("decide-file")
@_guarded
def review_decide_file(
    file: Annotated[Path, typer.Argument(
        help="CSV (UTF-8, comma or semicolon) with columns match_id and/or exception_id, "
             "action, and optionally note", show_default=False)],
    store: StoreOpt,
    user: UserOpt,
    config: DecideConfigOpt = None,
) -> None:
    """Record many decisions from a CSV in one transaction: all of them or none.

    Each row needs an action (confirm, reject, note) and a match_id or an exception_id;
    rows whose action is empty are skipped (so the queue export, with an added action
    column, can be fed back). Any bad row stops the file, with its line number.
    """
    decisions, skipped = _read_decisions(file)
    result = _checked_result(config, store, decisions)
    with _open_store(store, must_exist=False) as db:
        before = db.aliases().height
        ids = db.bulk(decisions, user=user, result=result)
        learned = db.aliases().height - before
    rest = f"; {skipped} row(s) without an action skipped" if skipped else ""
    typer.echo(f"Recorded {len(ids)} decisions (ids {ids[0]}-{ids[-1]}) by {user}"
               f"{_learned(learned)}{rest}")


def _read_decisions(path: Path) -> tuple[list[Decision], int]:
    """Decisions of a CSV file, and how many rows had no action; any bad row is an error."""
    import polars as pl

    _require_file(path, "decisions file", "check the path of the CSV file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ReconkitError("the file is not UTF-8 text", source_file=path.name,
                            hint="save it as 'CSV UTF-8' from Excel") from None
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    try:
        df = pl.read_csv(text.encode("utf-8"), separator=sep, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ReconkitError(f"cannot read the file as CSV ({str(exc).splitlines()[0]})",
                            source_file=path.name,
                            hint="save it as CSV with a header row") from None
    df = df.rename({c: c.strip().lower() for c in df.columns})
    if "action" not in df.columns or not {"match_id", "exception_id"} & set(df.columns):
        raise ReconkitError(f"missing columns: found {', '.join(df.columns) or 'none'}",
                            source_file=path.name,
                            hint="the header needs 'action' and 'match_id' or 'exception_id' "
                                 "(optionally 'note')")

    def cell(row: dict[str, str | None], col: str) -> str | None:
        value = (row.get(col) or "").strip()
        return value or None

    decisions: list[Decision] = []
    problems: list[str] = []
    skipped = 0
    for line, row in enumerate(df.iter_rows(named=True), start=2):
        action = (cell(row, "action") or "").lower()
        if not action:
            skipped += 1
            continue
        try:
            decisions.append(_decision(action, cell(row, "match_id"),
                                       cell(row, "exception_id"), cell(row, "note")))
        except ReconkitError as exc:
            problems.append(f"line {line}: {exc.message}" + (f" ({exc.hint})" if exc.hint
                                                              else ""))
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise ReconkitError(f"{len(problems)} row(s) cannot be recorded, so nothing was:\n"
                            f"  {shown}{more}", source_file=path.name,
                            hint="fix these rows and run the same command again")
    if not decisions:
        raise ReconkitError("no decision to record (every action is empty)",
                            source_file=path.name, hint="fill the 'action' column")
    return decisions, skipped


@review_app.command("undo")
@_guarded
def review_undo(
    store: StoreOpt,
    user: UserOpt,
    decision_id: Annotated[int | None, typer.Argument(
        help="the decision to undo (default: USER's latest decision still in force)",
        show_default=False)] = None,
) -> None:
    """Undo one decision (kept in the audit trail, stamped undone).

    The decision stays in the history with who undid it and when; the aliases it taught
    stop applying from the next run.
    """
    with _open_store(store, must_exist=True) as db:
        target = decision_id if decision_id is not None else db.last_decision(user)
        if target is None:
            raise ReconkitError(f"{user} has no decision in force to undo",
                                hint="see `reconkit review history` for the decision ids")
        if target not in db.history()["decision_id"].to_list():
            raise ReconkitError(f"no decision {target} in {store.name}",
                                hint="see `reconkit review history` for the decision ids")
        db.undo(target, user)
    typer.echo(f"Undid decision {target} (by {user})")


@review_app.command("history")
@_guarded
def review_history(
    store: StoreOpt,
    csv: Annotated[Path | None, typer.Option(
        "--csv", show_default=False, help="write the trail to this CSV file instead")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", show_default=False, help="only this user's decisions")] = None,
    match_id: Annotated[str | None, typer.Option(
        "--match", show_default=False, help="only decisions on this match")] = None,
    exception_id: Annotated[str | None, typer.Option(
        "--exception", show_default=False, help="only decisions on this exception")] = None,
) -> None:
    """The audit trail: every decision, who made it and when, undone ones included."""
    from reconkit.audit.export import to_csv

    with _open_store(store, must_exist=True) as db:
        trail = db.history(user=user, match_id=match_id, exception_id=exception_id)
    if csv is not None:
        to_csv(trail, csv)
        typer.echo(f"{trail.height} decisions written to {csv}")
        return
    undone = int(trail["undone_at"].is_not_null().sum())
    typer.echo(f"{trail.height} decisions ({undone} undone) in {store.name}")
    for d in trail.iter_rows(named=True):
        target = " ".join(f"{k} {v}" for k, v in (("match", d["match_id"]),
                                                   ("exception", d["exception_id"])) if v)
        note = json.loads(d["payload"] or "{}").get("note")
        text = f"{d['decision_id']:>5}  {d['at']}  {d['user']}  {d['action']:<8} {target}"
        if note:
            text += f"  note: {note}"
        if d["undone_at"]:
            text += f"  [undone {d['undone_at']} by {d['undone_by']}]"
        typer.echo(text)


# -- sync ------------------------------------------------------------------------------------

SyncStoreOpt = Annotated[Path, typer.Option(
    "--store", show_default=False,
    help="snapshot database (SQLite), kept between syncs: the next sync fetches only changes")]
SyncOutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", show_default=False,
    help="folder where the snapshot is written as the files the loader reads (point a "
         "source of the run config at it)")]
TokenEnvOpt = Annotated[str, typer.Option("--token-env", metavar="VAR",
                                          help="environment variable holding the token")]
SecretsOpt = Annotated[Path | None, typer.Option(
    "--secrets-file", show_default=False,
    help="TOML or YAML secrets file outside the repository, read when the variable is not "
         "set (default: $RECONKIT_SECRETS)")]


def _url(value: str, option: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ReconkitError(f"{option} '{value}' is not a web address",
                            hint="give it with its scheme, e.g. https://example.my.salesforce.com")
    return value


def _sync_report(label: str, result: SyncResult, store: Path) -> None:
    fetched = ", ".join(f"{obj} {n}" for obj, n in result.fetched.items())
    snapshot = ", ".join(f"{obj} {n}" for obj, n in result.snapshot.items())
    typer.echo(f"Fetched {sum(result.fetched.values())} records from {label} ({fetched})")
    typer.echo(f"Snapshot in {store.name}: {sum(result.snapshot.values())} records ({snapshot})")
    if result.files:
        typer.echo(f"Files written to {result.files[0].parent}: "
                   f"{', '.join(p.name for p in result.files)}")


@sync_app.command("salesforce")
@_guarded
def sync_salesforce_cmd(
    store: SyncStoreOpt,
    instance_url: Annotated[str, typer.Option(
        "--instance-url", show_default=False,
        help="the org's address, e.g. https://acme.my.salesforce.com")],
    out: SyncOutOpt = None,
    api_version: Annotated[str, typer.Option(help="REST API version")] = "v62.0",
    token_env: TokenEnvOpt = "SALESFORCE_TOKEN",
    secrets_file: SecretsOpt = None,
) -> None:
    """Accounts, opportunities and contracts modified since the last sync."""
    from reconkit.connectors import SalesforceConfig, sync_salesforce

    cfg = SalesforceConfig(instance_url=_url(instance_url, "--instance-url"),
                           api_version=api_version, token_env=token_env,
                           secrets_file=secrets_file)
    with console.status("syncing Salesforce", spinner="dots"):
        result = sync_salesforce(cfg, store, out_dir=out)
    _sync_report("Salesforce", result, store)


@sync_app.command("hubspot")
@_guarded
def sync_hubspot_cmd(
    store: SyncStoreOpt,
    out: SyncOutOpt = None,
    base_url: Annotated[str, typer.Option("--base-url", help="API address")] =
    "https://api.hubapi.com",
    token_env: TokenEnvOpt = "HUBSPOT_TOKEN",
    secrets_file: SecretsOpt = None,
) -> None:
    """Companies and deals (with their associations) modified since the last sync."""
    from reconkit.connectors import HubSpotConfig, sync_hubspot

    cfg = HubSpotConfig(base_url=_url(base_url, "--base-url"), token_env=token_env,
                        secrets_file=secrets_file)
    with console.status("syncing HubSpot", spinner="dots"):
        result = sync_hubspot(cfg, store, out_dir=out)
    _sync_report("HubSpot", result, store)


@sync_app.command("stripe")
@_guarded
def sync_stripe_cmd(
    store: SyncStoreOpt,
    out: SyncOutOpt = None,
    base_url: Annotated[str, typer.Option("--base-url", help="API address")] =
    "https://api.stripe.com",
    lookback_days: Annotated[int, typer.Option(
        min=0, help="also re-read documents created this many days before the last sync "
                    "(Stripe only reports new documents; status changes need a look back)")]
    = 0,
    token_env: TokenEnvOpt = "STRIPE_API_KEY",
    secrets_file: SecretsOpt = None,
) -> None:
    """Customers, invoices and credit notes created since the last sync."""
    from reconkit.connectors import StripeConfig, sync_stripe

    cfg = StripeConfig(base_url=_url(base_url, "--base-url"),
                       lookback_seconds=lookback_days * 86_400, token_env=token_env,
                       secrets_file=secrets_file)
    with console.status("syncing Stripe", spinner="dots"):
        result = sync_stripe(cfg, store, out_dir=out)
    _sync_report("Stripe", result, store)


def main() -> None:  # pragma: no cover
    try:
        app()
    except ReconkitError as exc:
        console.print(f"[bold red]reconkit:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
