"""Incremental sync state and local snapshot, in one SQLite file (stdlib sqlite3).

`sync_state(source, object, cursor, synced_at)` holds the high-water mark of the last
successful sync; `snapshot(source, object, record_id, body)` the latest version of every record
seen. `commit` upserts a whole fetch and advances the mark in one transaction, so a failed
fetch leaves both untouched and re-running a sync is idempotent.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_state (
    source TEXT NOT NULL, object TEXT NOT NULL, cursor TEXT, synced_at TEXT NOT NULL,
    PRIMARY KEY (source, object));
CREATE TABLE IF NOT EXISTS snapshot (
    source TEXT NOT NULL, object TEXT NOT NULL, record_id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (source, object, record_id));
"""


def _json_default(value: Any) -> Any:
    """Decimal numbers (how responses are decoded) are written as exact text, never float;
    the loaders read a number and its text alike."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dump_json(value: Any) -> str:
    """JSON text of an API record, keeping Decimal numbers exact."""
    return json.dumps(value, sort_keys=True, default=_json_default)


class SyncStore:
    """The sync state and snapshot of all connectors, in the SQLite file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path)) as db, db:
            yield db

    def cursor(self, source: str, obj: str) -> str | None:
        """High-water mark of the last successful sync of `obj`, or None (never synced)."""
        with self._connect() as db:
            row = db.execute("SELECT cursor FROM sync_state WHERE source=? AND object=?",
                             (source, obj)).fetchone()
        return row[0] if row else None

    def commit(self, source: str, fetched: dict[str, tuple[list[tuple[str, Any]], str | None]],
               ) -> None:
        """Upsert every fetched record by id and advance each object's mark, atomically.

        `fetched` maps object -> (list of (record id, record), new cursor or None to keep).
        """
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            for obj, (records, cursor) in fetched.items():
                db.executemany(
                    "INSERT INTO snapshot (source, object, record_id, body) VALUES (?,?,?,?) "
                    "ON CONFLICT (source, object, record_id) DO UPDATE SET body=excluded.body",
                    ((source, obj, rid, dump_json(rec)) for rid, rec in records))
                db.execute(
                    "INSERT INTO sync_state (source, object, cursor, synced_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (source, object) DO UPDATE SET cursor=COALESCE(excluded.cursor,"
                    " sync_state.cursor), synced_at=excluded.synced_at",
                    (source, obj, cursor, now))

    def records(self, source: str, obj: str) -> list[Any]:
        """The snapshot of `obj`, ordered by record id (deterministic)."""
        with self._connect() as db:
            rows = db.execute("SELECT body FROM snapshot WHERE source=? AND object=? "
                              "ORDER BY record_id", (source, obj)).fetchall()
        return [json.loads(body, parse_float=Decimal) for (body,) in rows]

    def count(self, source: str, obj: str) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM snapshot WHERE source=? AND object=?",
                                  (source, obj)).fetchone()[0])


def write_json(path: Path, document: Any) -> Path:
    """Write a saved-response document the loaders read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=True, default=_json_default) + "\n",
                    encoding="utf-8")
    return path


def iter_ids(records: Iterable[dict[str, Any]], key: str) -> list[tuple[str, Any]]:
    """(id, record) pairs; records without an id cannot be upserted and are kept apart."""
    return [(str(r[key]), r) for r in records if r.get(key) is not None]


Fetch = Callable[[str, str | None], tuple[list[tuple[str, Any]], str | None]]


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: records fetched per object, snapshot sizes, files written."""

    source: str
    fetched: dict[str, int]
    snapshot: dict[str, int]
    files: tuple[Path, ...] = ()


def run_sync(store: SyncStore, source: str, objects: Sequence[str], fetch: Fetch,
             ) -> dict[str, int]:
    """Fetch every object since its mark, then commit all of it at once (nothing on failure).

    `fetch(object, cursor)` returns ((id, record) pairs, new cursor or None to keep the old).
    """
    fetched = {obj: fetch(obj, store.cursor(source, obj)) for obj in objects}
    store.commit(source, fetched)
    return {obj: len(records) for obj, (records, _) in fetched.items()}


def sync_source(*, label: str, source: str, base_url: str, config: Any, store_path: Path,
                out_dir: Path | None,
                fetch: Callable[[Any, str, str | None], tuple[list[tuple[str, Any]],
                                                               str | None]],
                export: Callable[[SyncStore, Path, tuple[str, ...]], tuple[Path, ...]],
                ) -> SyncResult:
    """The recipe every connector follows: resolve the token, fetch each object since its
    mark through one HTTP client, commit, and optionally write the snapshot as loader files.
    `config` carries token_env, secrets_file, timeout, retry and objects."""
    from reconkit.connectors.http import HttpClient
    from reconkit.connectors.secrets import resolve_token

    token = resolve_token(source, env_var=config.token_env, secrets_file=config.secrets_file)
    store = SyncStore(store_path)
    with HttpClient(label, base_url, token, timeout=config.timeout,
                    retry=config.retry) as client:
        fetched = run_sync(store, source, config.objects,
                           lambda obj, cursor: fetch(client, obj, cursor))
    files = export(store, out_dir, config.objects) if out_dir else ()
    return SyncResult(source, fetched, {o: store.count(source, o) for o in config.objects},
                      files)
