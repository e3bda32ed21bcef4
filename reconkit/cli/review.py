"""`reconkit review`: export the queue, record and undo decisions, read the audit trail."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconkit.cli._app import (
    ConfigArg,
    DecideConfigOpt,
    StoreOpt,
    UserOpt,
    _guarded,
    _learned,
    _open_store,
    _reconcile,
    _suffix,
    console,
    review_app,
)
from reconkit.errors import ReconkitError
from reconkit.review.decision_file import parse_decision, read_decisions

if TYPE_CHECKING:
    from reconkit.result import ReconResult
    from reconkit.review.store import Decision

class Action(StrEnum):
    """What a reviewer can decide from the command line."""

    confirm = "confirm"
    reject = "reject"
    note = "note"


@review_app.command("queue")
@_guarded
def review_queue_cmd(
    config: ConfigArg,
    out: Annotated[Path, typer.Option("--out", "-o", show_default=False,
                                      help="FILE.xlsx (the exceptions workbook: summary, one "
                                           "sheet per category, amounts and dates typed) or "
                                           "FILE.csv (money in cents, candidates joined "
                                           "with '; ')")],
    store: Annotated[Path | None, typer.Option(
        "--store", show_default=False,
        help="decisions store whose aliases and decisions apply (default: `store:` of the "
             "config); the `decision` column shows the latest decision")] = None,
) -> None:
    """Write the exceptions that need a decision, largest first (notebook 02's export).

    One row per exception with its record, client, age, detail and candidate matches
    (ids, scores, explanations): the ids to pass to `review decide` or `review decide-file`.
    """
    from reconkit.audit.export import to_csv
    from reconkit.catalog import load_catalog
    from reconkit.review.queue import review_queue
    from reconkit.review.workbook import write_exceptions_workbook

    fmt = _suffix(out, (".xlsx", ".csv"))
    if store is not None:
        _open_store(store, must_exist=True).close()
    cfg, result = _reconcile(config, store)
    decisions = None
    if cfg.store is not None:
        with _open_store(cfg.store, must_exist=False) as db:
            decisions = db.decisions_in_force(result)
    catalog = load_catalog(cfg.catalog)
    queue = review_queue(result, catalog=catalog, decisions=decisions)
    if fmt == ".xlsx":
        write_exceptions_workbook(queue, out, catalog=catalog)
    else:
        to_csv(queue, out)
    decided = int(queue["decision"].is_not_null().sum())
    typer.echo(f"Review queue: {queue.height} exceptions ({decided} already decided) "
               f"written to {out}")


def _store_path(store: Path | None, config: Path | None = None) -> Path:
    """--store, else RECONKIT_STORE, else the `store:` of --config (said on screen)."""
    from reconkit.config import load_config
    from reconkit.review.where import ENV_VAR, StoreChoice, store_choice

    if store is not None:
        return store
    if config is not None:
        choice = store_choice(load_config(config))
    elif os.environ.get(ENV_VAR):
        choice = StoreChoice(Path(os.environ[ENV_VAR]), "env")
    else:
        choice = StoreChoice(None, "none")
    if choice.path is None:
        raise ReconkitError("which decisions store? none given",
                            hint="pass --store FILE, or --config RUN.yaml whose run config has "
                                 f"`store:`, or set {ENV_VAR}")
    if choice.origin != "option":
        console.print(choice.describe(config.name if config else "the run config"))
    return choice.path


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
    store: StoreOpt = None,
) -> None:
    """Record one decision on a match or an exception (the review screen's buttons).

    Give --match, --exception or both. Confirmed and rejected matches set the match status
    of the next run; nothing is ever deleted (see `review undo`).
    """
    decision = parse_decision(action.value, match_id, exception_id, note)
    store = _store_path(store, config)
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
    user: UserOpt,
    config: DecideConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Record many decisions from a CSV in one transaction: all of them or none.

    Each row needs an action (confirm, reject, note) and a match_id or an exception_id;
    rows whose action is empty are skipped (so the queue export, with its action column
    filled, can be fed back). A confirm on an exception without a match_id confirms its best
    candidate (the first of candidate_ids), as the review screen does. Any bad row stops the
    file, with its line number.
    """
    decisions, skipped = read_decisions(file)
    store = _store_path(store, config)
    result = _checked_result(config, store, decisions)
    with _open_store(store, must_exist=False) as db:
        before = db.aliases().height
        ids = db.bulk(decisions, user=user, result=result)
        learned = db.aliases().height - before
    rest = f"; {skipped} row(s) without an action skipped" if skipped else ""
    if result is None and any(d.action == "confirm" for d in decisions):
        console.print("note: give --config RUN.yaml to check the ids, fingerprint the "
                      "decisions (stale ones are never applied) and learn payer IBANs")
    typer.echo(f"Recorded {len(ids)} decisions (ids {ids[0]}-{ids[-1]}) by {user}"
               f"{_learned(learned)}{rest}")


@review_app.command("undo")
@_guarded
def review_undo(
    user: UserOpt,
    decision_id: Annotated[int | None, typer.Argument(
        help="the decision to undo (default: USER's latest decision still in force)",
        show_default=False)] = None,
    store: StoreOpt = None,
) -> None:
    """Undo one decision (kept in the audit trail, stamped undone).

    The decision stays in the history with who undid it and when; the aliases it taught
    stop applying from the next run.
    """
    store = _store_path(store)
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
    csv: Annotated[Path | None, typer.Option(
        "--csv", show_default=False, help="write the trail to this CSV file instead")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", show_default=False, help="only this user's decisions")] = None,
    match_id: Annotated[str | None, typer.Option(
        "--match", show_default=False, help="only decisions on this match")] = None,
    exception_id: Annotated[str | None, typer.Option(
        "--exception", show_default=False, help="only decisions on this exception")] = None,
    store: StoreOpt = None,
) -> None:
    """The audit trail: every decision, who made it and when, undone ones included."""
    from reconkit.audit.export import to_csv

    store = _store_path(store)
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
            text += (f" {d['undone_by']} undid {d['user']}'s decision"
                     if d["undone_by"] != d["user"] else " undone by its author")
        typer.echo(text)
