"""The decisions store: what reviewers decided, who decided it, and what it taught.

A real SQLite file (stdlib `sqlite3`) so decisions survive the notebook and can be audited.
Nothing is ever deleted: an undo stamps `undone_at`/`undone_by` on one decision and
deactivates the aliases that decision taught. Confirming a payment->invoice match paid from an
IBAN no party knows teaches the alias (bank, IBAN) -> (billing, customer id), which the next
run passes to `reconkit.run(..., aliases=store.aliases())`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Self

import polars as pl

from reconkit.errors import ReconkitError
from reconkit.result import ReconResult
from reconkit.review.apply import apply_decisions
from reconkit.review.fingerprint import fingerprints
from reconkit.review.learn import Alias, aliases_taught, party_ibans
from reconkit.review.records import best_candidates
from reconkit.schemas import PolarsDataType

SCHEMA_VERSION: Final = 1
ACTIONS: Final = ("confirm", "reject", "reassign", "write_off", "note")

HISTORY_SCHEMA: Final[dict[str, PolarsDataType]] = {
    "decision_id": pl.Int64, "match_id": pl.String, "exception_id": pl.String,
    "action": pl.String, "payload": pl.String, "user": pl.String, "at": pl.String,
    "undone_at": pl.String, "undone_by": pl.String,
}
ALIAS_SCHEMA: Final[dict[str, PolarsDataType]] = {
    "system": pl.String, "source_id": pl.String, "target_system": pl.String,
    "target_id": pl.String,
}

_DDL: Final = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    match_id     TEXT,
    exception_id TEXT,
    action       TEXT NOT NULL CHECK (action IN ('confirm','reject','reassign','write_off','note')),
    payload      TEXT NOT NULL DEFAULT '{}',
    user         TEXT NOT NULL,
    at           TEXT NOT NULL,
    undone_at    TEXT,
    undone_by    TEXT,
    CHECK (match_id IS NOT NULL OR exception_id IS NOT NULL)
);
CREATE TABLE IF NOT EXISTS aliases (
    alias_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    system        TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    target_system TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    learned_from  INTEGER REFERENCES decisions(decision_id),
    active        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS decisions_match ON decisions(match_id);
CREATE INDEX IF NOT EXISTS decisions_exception ON decisions(exception_id);
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime | str) -> str:
    """ISO 8601 UTC with a `Z`, to the second: sortable as text."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        raise ValueError("decision timestamps must be timezone-aware (UTC)")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass(frozen=True)
class Decision:
    """One decision to record (the input of `DecisionStore.bulk`)."""

    action: str
    match_id: str | None = None
    exception_id: str | None = None
    payload: Mapping[str, Any] | None = None
    teach: tuple[Alias, ...] = ()


class DecisionStore:
    """Reviewers' decisions and learned aliases in one SQLite file (created on open)."""

    def __init__(self, path: Path | str, *,
                 clock: Callable[[], datetime] = utc_now, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        try:
            # autocommit + explicit BEGIN IMMEDIATE transactions; WAL: readers never block the
            # writer and a killed writer leaves the file consistent (its transaction is lost)
            # the notebook kernel handles widget events on another thread than the cell that
            # opened the store: one connection shared by threads, serialised by a lock
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=timeout,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            with self._transaction() as db:
                for statement in _DDL.split(";"):
                    if statement.strip():
                        db.execute(statement)
                row = db.execute("SELECT max(version) FROM schema_version").fetchone()
                if row[0] is None:
                    db.execute("INSERT INTO schema_version(version) VALUES (?)",
                               (SCHEMA_VERSION,))
        except sqlite3.OperationalError as exc:
            raise ReconkitError(f"the decisions store {self.path} is busy or cannot be opened "
                                f"({exc})", source_file=self.path.name,
                                hint="another process is writing to it: retry in a moment")\
                from None
        except sqlite3.DatabaseError as exc:
            raise ReconkitError(f"the decisions store {self.path} is not a readable SQLite "
                                f"database ({exc})", source_file=self.path.name,
                                hint="point the review to a new file, or restore this one "
                                     "from backup") from None
        if row[0] is not None and row[0] > SCHEMA_VERSION:
            raise ReconkitError(f"the decisions store was written by a newer reconkit "
                                f"(schema {row[0]}, this one reads {SCHEMA_VERSION})",
                                source_file=self.path.name, hint="upgrade reconkit")

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    # -- verbs -----------------------------------------------------------------------------
    def record(self, action: str, *, user: str, match_id: str | None = None,
               exception_id: str | None = None, payload: Mapping[str, Any] | None = None,
               at: datetime | str | None = None, result: ReconResult | None = None,
               teach: Iterable[Alias] = ()) -> int:
        """Record one decision; return its id.

        With `result`, a confirmed payment->invoice match paid from an unknown IBAN teaches
        its alias; `teach` adds explicit aliases (e.g. a reassigned payer).
        """
        return self.bulk([Decision(action, match_id, exception_id, payload, tuple(teach))],
                         user=user, at=at, result=result)[0]

    def bulk(self, decisions: Iterable[Decision], *, user: str,
             at: datetime | str | None = None, result: ReconResult | None = None) -> list[int]:
        """Record several decisions in one transaction (all or none); return their ids.

        With `result` (the run the reviewer looked at): a confirm on an exception without a
        match confirms its best candidate (the queue's first), and each decision keeps the
        fingerprint of its items so that the next run never applies it to changed items.
        """
        stamp = _iso(at if at is not None else self._clock())
        todo = _complete(list(decisions), result)
        for d in todo:
            _check(d, user)
        ids: list[int] = []
        with self._transaction() as db:
            known = self._known_ibans(db)
            on_parties: set[str] | None = None
            for d in todo:
                cur = db.execute(
                    "INSERT INTO decisions(match_id, exception_id, action, payload, user, at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (d.match_id, d.exception_id, d.action,
                     json.dumps(dict(d.payload or {}), sort_keys=True), user, stamp))
                did = int(cur.lastrowid or 0)
                ids.append(did)
                taught = list(d.teach)
                if result is not None and d.action in ("confirm", "write_off") and d.match_id:
                    if on_parties is None:
                        on_parties = party_ibans(result)
                    taught += aliases_taught(result, d.match_id, known=known,
                                             party_ibans=on_parties)
                for a in sorted(set(taught)):
                    if d.action == "reassign":  # the IBAN now belongs to the new client only
                        db.execute("UPDATE aliases SET active = 0 WHERE system = ? AND "
                                   "source_id = ? AND active = 1", a[:2])
                    db.execute("INSERT INTO aliases(system, source_id, target_system, "
                               "target_id, learned_from) VALUES (?, ?, ?, ?, ?)", (*a, did))
                    known.add(a[1])
        return ids

    def undo(self, decision_id: int, user: str, *,
             at: datetime | str | None = None) -> dict[str, Any]:
        """Undo one decision (neighbours untouched) and deactivate the aliases it taught.

        Atomic: of two concurrent undos of one decision exactly one succeeds, the other is
        told it was already undone. Returns the undone decision (who made it, what, when).
        """
        stamp = _iso(at if at is not None else self._clock())
        with self._transaction() as db:
            done = db.execute("UPDATE decisions SET undone_at = ?, undone_by = ? "
                              "WHERE decision_id = ? AND undone_at IS NULL",
                              (stamp, user, decision_id)).rowcount
            if done == 1:
                db.execute("UPDATE aliases SET active = 0 WHERE learned_from = ?",
                           (decision_id,))
            row = db.execute(f"SELECT {', '.join(HISTORY_SCHEMA)} FROM decisions "
                             "WHERE decision_id = ?", (decision_id,)).fetchone()
        # raised outside the transaction: ReconkitError (a frozen dataclass) cannot cross a
        # contextmanager, which assigns __traceback__ on the way out
        if row is None:
            raise ReconkitError(f"no decision {decision_id} in {self.path.name}",
                                hint="see DecisionStore.history() for the decision ids")
        decision = dict(zip(HISTORY_SCHEMA, row, strict=True))
        if done != 1:
            raise ReconkitError(f"decision {decision_id} was already undone at "
                                f"{decision['undone_at']} by {decision['undone_by']}")
        return decision

    def last_decision(self, user: str | None = None) -> int | None:
        """Id of the latest decision still in force (of `user` when given)."""
        sql = "SELECT max(decision_id) FROM decisions WHERE undone_at IS NULL"
        args: tuple[str, ...] = ()
        if user is not None:
            sql += " AND user = ?"
            args = (user,)
        row = self._read(sql, args)[0]
        return None if row[0] is None else int(row[0])

    # -- reading ---------------------------------------------------------------------------
    def history(self, *, match_id: str | None = None, exception_id: str | None = None,
                user: str | None = None) -> pl.DataFrame:
        """The audit trail, undone decisions included, in decision order."""
        where, args = [], []
        for col, val in (("match_id", match_id), ("exception_id", exception_id),
                         ("user", user)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = f"SELECT {', '.join(HISTORY_SCHEMA)} FROM decisions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._read(sql + " ORDER BY decision_id", args)
        return pl.DataFrame(rows, schema=HISTORY_SCHEMA, orient="row")

    def active_decisions(self) -> pl.DataFrame:
        """Decisions in force (not undone), in decision order."""
        return self.history().filter(pl.col("undone_at").is_null()).drop("undone_at",
                                                                         "undone_by")

    def aliases(self) -> pl.DataFrame:
        """Active learned aliases, in the shape `reconkit.run(..., aliases=)` accepts."""
        rows = self._read(
            "SELECT DISTINCT system, source_id, target_system, target_id FROM aliases "
            "WHERE active = 1 ORDER BY system, source_id, target_system, target_id")
        return pl.DataFrame(rows, schema=ALIAS_SCHEMA, orient="row")

    def alias_log(self) -> pl.DataFrame:
        """Every alias ever taught, with the decision that taught it and whether it holds."""
        rows = self._read(
            "SELECT alias_id, system, source_id, target_system, target_id, learned_from, "
            "active FROM aliases ORDER BY alias_id")
        return pl.DataFrame(rows, orient="row", schema={
            "alias_id": pl.Int64, **ALIAS_SCHEMA, "learned_from": pl.Int64,
            "active": pl.Int64}).with_columns(pl.col("active").cast(pl.Boolean))

    def apply(self, result: ReconResult) -> ReconResult:
        """A new result with the reviewers' decisions in force applied: confirm/reject as
        match status, write-offs, matches built by hand; stale decisions and records whose
        only matches are rejected come back as exceptions (`reconkit.review.apply`)."""
        return apply_decisions(result, self.active_decisions()).result

    def stale_decisions(self, result: ReconResult) -> dict[int, str]:
        """decision_id -> why it is not applied to `result` (its items changed since)."""
        return apply_decisions(result, self.active_decisions()).stale

    def decisions_in_force(self, result: ReconResult) -> pl.DataFrame:
        """Active decisions that apply to `result` (stale ones left out): the queue's
        `decision` column."""
        stale = sorted(self.stale_decisions(result))
        return self.active_decisions().filter(~pl.col("decision_id").is_in(stale))

    def _known_ibans(self, db: sqlite3.Connection) -> set[str]:
        rows = db.execute("SELECT source_id FROM aliases WHERE system = 'bank' AND active = 1")
        return {r[0] for r in rows}


def _complete(decisions: list[Decision], result: ReconResult | None) -> list[Decision]:
    """The decisions as recorded: a confirmed exception confirms its best candidate (unless
    the reviewer confirmed the exception as stated, `payload={"as_stated": True}`), and each
    keeps the fingerprint of what the reviewer saw (with the run's result)."""
    if result is None:
        return decisions
    payloads = [dict(d.payload or {}) for d in decisions]
    pick = [d.exception_id for d, p in zip(decisions, payloads, strict=True)
            if d.action == "confirm" and not d.match_id and d.exception_id
            and not p.get("as_stated")]
    best = best_candidates(result, pick)
    out = []
    for d, p in zip(decisions, payloads, strict=True):
        match_id = d.match_id
        if d.exception_id in best and d.action == "confirm" and not match_id \
                and not p.get("as_stated"):
            match_id = best[d.exception_id]
        out.append(dataclasses.replace(d, match_id=match_id, payload=p))
    prints = fingerprints(result, [(d.match_id, d.exception_id, (d.payload or {}).get("items"))
                                   for d in out])
    return [d if "fingerprint" in (d.payload or {}) or not fp else
            dataclasses.replace(d, payload={**(d.payload or {}), "fingerprint": fp})
            for d, fp in zip(out, prints, strict=True)]


def _check(d: Decision, user: str) -> None:
    if d.action not in ACTIONS:
        raise ReconkitError(f"unknown decision '{d.action}'",
                            hint=f"use one of {', '.join(ACTIONS)}")
    if not d.match_id and not d.exception_id:
        raise ReconkitError("a decision needs the match or the exception it is about")
    if not user or not user.strip():
        raise ReconkitError("a decision needs the name of the user who made it")
