"""DecisionStore: a real SQLite file, an audit trail, per-decision undo, learned aliases."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from reconkit.catalog import load_catalog
from reconkit.errors import ReconkitError
from reconkit.result import ReconResult
from reconkit.review.learn import aliases_taught
from reconkit.review.store import Decision, DecisionStore

from conftest import BOLT_IBAN

PARTY_SETTINGS = load_catalog().party_resolution


def _clock() -> Callable[[], datetime]:
    ticks: Iterator[int] = iter(range(1000))
    start = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)
    return lambda: start + timedelta(minutes=next(ticks))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DecisionStore]:
    with DecisionStore(tmp_path / "review" / "decisions.sqlite", clock=_clock()) as s:
        yield s


def test_schema_is_created_in_a_real_sqlite_file(store: DecisionStore) -> None:
    db = sqlite3.connect(store.path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"schema_version", "decisions", "aliases"} <= tables
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    cols = [r[1] for r in db.execute("PRAGMA table_info(decisions)")]
    assert cols == ["decision_id", "match_id", "exception_id", "action", "payload", "user", "at",
                    "undone_at", "undone_by"]


def test_reopening_keeps_decisions_and_one_schema_row(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    with DecisionStore(path, clock=_clock()) as s:
        s.record("note", user="ana", exception_id="E-3", payload={"text": "asked sales"})
    with DecisionStore(path) as s:
        h = s.history()
        assert h.select("decision_id", "exception_id", "action", "payload", "user", "at").rows() \
            == [(1, "E-3", "note", '{"text": "asked sales"}', "ana", "2024-04-02T09:00:00Z")]
    assert sqlite3.connect(path).execute("SELECT count(*) FROM schema_version").fetchone() == (1,)


def test_record_uses_clock_or_given_timestamp(store: DecisionStore) -> None:
    a = store.record("confirm", user="ana", match_id="M-a")
    b = store.record("reject", user="bob", match_id="M-c", at="2024-04-05T08:30:00+02:00")
    assert (a, b) == (1, 2)
    assert store.history()["at"].to_list() == ["2024-04-02T09:00:00Z", "2024-04-05T06:30:00Z"]


@pytest.mark.parametrize("kwargs, message", [
    ({"action": "approve", "match_id": "M-a"}, "unknown decision 'approve'"),
    ({"action": "confirm"}, "needs the match or the exception"),
])
def test_invalid_decisions_are_refused(store: DecisionStore, kwargs: dict[str, str],
                                       message: str) -> None:
    with pytest.raises(ReconkitError, match=message):
        store.record(user="ana", **kwargs)  # type: ignore[arg-type]
    assert store.history().height == 0


def test_undo_touches_one_decision_only(store: DecisionStore) -> None:
    ids = [store.record("confirm", user="ana", match_id=m) for m in ("M-a", "M-b", "M-c")]
    store.undo(ids[1], "bob")
    h = store.history()
    assert h.select("decision_id", "undone_at", "undone_by").rows() == [
        (1, None, None), (2, "2024-04-02T09:03:00Z", "bob"), (3, None, None)]
    assert store.active_decisions()["match_id"].to_list() == ["M-a", "M-c"]
    assert store.last_decision() == 3
    assert store.last_decision("bob") is None
    with pytest.raises(ReconkitError, match="already undone"):
        store.undo(ids[1], "bob")
    with pytest.raises(ReconkitError, match="no decision 99"):
        store.undo(99, "bob")


def test_bulk_is_one_transaction(store: DecisionStore) -> None:
    ids = store.bulk([Decision("confirm", match_id="M-a"),
                      Decision("write_off", exception_id="E-5", payload={"cents": 2000})],
                     user="ana")
    assert ids == [1, 2]
    assert store.history()["at"].unique().to_list() == ["2024-04-02T09:00:00Z"]
    with pytest.raises(ReconkitError):
        store.bulk([Decision("confirm", match_id="M-b"), Decision("oops", match_id="M-c")],
                    user="ana")
    assert store.history().height == 2


def test_history_filters_and_apply_sets_statuses(store: DecisionStore,
                                                 tiny_result: ReconResult) -> None:
    store.record("reject", user="ana", match_id="M-c")
    store.record("confirm", user="ana", match_id="M-b")
    store.record("reject", user="bob", match_id="M-b")
    undone = store.record("confirm", user="bob", match_id="M-b")
    store.undo(undone, "bob")
    assert store.history(match_id="M-b", user="bob")["decision_id"].to_list() == [3, 4]
    applied = store.apply(tiny_result)
    assert applied.matches.select("match_id", "status").rows() == [
        ("M-a", "auto"), ("M-b", "rejected"), ("M-c", "rejected")]
    assert tiny_result.matches["status"].to_list() == ["auto", "review", "review"]
    assert applied.exceptions.equals(tiny_result.exceptions)


def test_confirming_unknown_iban_payment_teaches_alias(store: DecisionStore,
                                                       tiny_result: ReconResult) -> None:
    did = store.record("confirm", user="ana", match_id="M-b", exception_id="E-2",
                       result=tiny_result)
    assert store.aliases().rows() == [("bank", BOLT_IBAN, "billing", "cus_B")]
    assert store.alias_log()["learned_from"].to_list() == [did]
    # a second confirmation from the same IBAN teaches nothing new
    store.record("confirm", user="ana", match_id="M-b", result=tiny_result)
    assert store.alias_log().height == 1
    store.undo(did, "ana")
    assert store.aliases().height == 0
    assert store.alias_log()["active"].to_list() == [False]


def test_known_iban_and_other_links_teach_nothing(tiny_result: ReconResult) -> None:
    assert aliases_taught(tiny_result, "M-a") == []  # Acme's IBAN is on its party record
    assert aliases_taught(tiny_result, "M-zz") == []
    assert aliases_taught(tiny_result, "M-b", known={BOLT_IBAN}) == []
    assert aliases_taught(tiny_result, "M-b") == [("bank", BOLT_IBAN, "billing", "cus_B")]


def test_payer_resolved_to_another_party_teaches_nothing(tiny_result: ReconResult) -> None:
    parent = pl.DataFrame([("P9", "bank", BOLT_IBAN, "BOLT HOLDING")],
                          schema=tiny_result.parties.schema, orient="row")
    paid_by_parent = dataclasses.replace(
        tiny_result, parties=pl.concat([tiny_result.parties, parent]))
    assert aliases_taught(paid_by_parent, "M-b") == []
    same = pl.DataFrame([("P2", "bank", BOLT_IBAN, "BOLT")], schema=parent.schema, orient="row")
    paid_by_client = dataclasses.replace(tiny_result,
                                         parties=pl.concat([tiny_result.parties, same]))
    assert aliases_taught(paid_by_client, "M-b") == [("bank", BOLT_IBAN, "billing", "cus_B")]


def test_explicit_alias_is_taught_and_undone(store: DecisionStore) -> None:
    did = store.record("reassign", user="ana", exception_id="E-2",
                       payload={"party": "cus_B"},
                       teach=[("bank", BOLT_IBAN, "billing", "cus_B")])
    assert store.aliases().rows() == [("bank", BOLT_IBAN, "billing", "cus_B")]
    store.undo(did, "ana")
    assert store.aliases().height == 0


def test_aliases_frame_feeds_party_resolution(store: DecisionStore,
                                              tiny_result: ReconResult) -> None:
    from reconkit.parties import resolve_parties

    store.record("confirm", user="ana", match_id="M-b", result=tiny_result)
    payers = resolve_parties(tiny_result.inputs, PARTY_SETTINGS, store.aliases()).payers
    bolt = payers.filter(pl.col("record_id") == "p2").row(0, named=True)
    assert bolt["payer_evidence"] == "alias"
    billing_b = resolve_parties(tiny_result.inputs, PARTY_SETTINGS).members.filter(
        pl.col("source_id") == "cus_B")["party_id"][0]
    assert bolt["party_id"] == billing_b


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "decisions.sqlite"
    bad.write_text("this is not a database, it is a spreadsheet export\n" * 20)
    with pytest.raises(ReconkitError, match="not a readable SQLite database"):
        DecisionStore(bad)


@pytest.mark.slow
def test_sample_confirmation_is_remembered_next_run(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[1] / "data_samples" / "sample"
    if not (sample / "run_canonical.yaml").exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    import reconkit
    from reconkit.parties import resolve_parties
    from reconkit.review.queue import review_queue

    config = reconkit.load_config(sample / "run_canonical.yaml")
    result = reconkit.run(config)
    payers = resolve_parties(result.inputs, PARTY_SETTINGS).payers
    queue = review_queue(result).filter(pl.col("system") == "bank")
    by_name = payers.filter(pl.col("payer_evidence") == "name").select("record_id")
    row = queue.join(by_name, on="record_id").filter(
        pl.col("candidate_ids").list.len() > 0).row(0, named=True)
    with DecisionStore(tmp_path / "d.sqlite") as store:
        store.record("confirm", user="ana", match_id=row["candidate_ids"][0],
                     exception_id=row["exception_id"], result=result)
        aliases = store.aliases()
    assert aliases.height == 1
    iban, customer = aliases.row(0)[1], aliases.row(0)[3]
    after = resolve_parties(result.inputs, PARTY_SETTINGS, aliases).payers.filter(
        pl.col("record_id") == row["record_id"]).row(0, named=True)
    assert after["payer_evidence"] == "alias"
    rerun = reconkit.run(config, aliases=aliases)
    party = dict(rerun.parties.select(pl.concat_str("system", "source_id"), "party_id")
                 .iter_rows())
    assert party["bank" + iban] == party["billing" + customer]
