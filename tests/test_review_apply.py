"""Decisions applied to a run: statuses, rejected records back in the queue, stale decisions
never applied, matches built by hand, write-offs, confirm = the best candidate."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from reconkit.result import ReconResult
from reconkit.review.apply import format_money, manual_match_id
from reconkit.review.queue import review_queue
from reconkit.review.store import Decision, DecisionStore

AT = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DecisionStore]:
    with DecisionStore(tmp_path / "d.sqlite", clock=lambda: AT) as s:
        yield s


def _status(r: ReconResult) -> dict[str, str]:
    return dict(r.matches.select("match_id", "status").iter_rows())


def test_record_whose_only_match_is_rejected_returns_as_rejected_match(
        store: DecisionStore, tiny_result: ReconResult) -> None:
    store.record("reject", user="ana", match_id="M-a", result=tiny_result)
    applied = store.apply(tiny_result)
    assert _status(applied) == {"M-a": "rejected", "M-b": "review", "M-c": "review"}
    got = applied.exceptions.filter(pl.col("category") == "rejected_match")
    # p1 is in no other match and has no exception; in_1 stays held by M-c (review)
    assert got.select("system", "record_id", "candidate_match_ids").rows() == [
        ("bank", "p1", "M-a")]
    assert "rejected the only match" in got["detail"][0]
    queue = review_queue(applied, decisions=store.active_decisions())
    row = queue.filter(pl.col("category") == "rejected_match").row(0, named=True)
    assert row["decision"] is None  # the rejection is its context, not its answer
    assert row["candidate_ids"] == ["M-a"]


def test_rejecting_every_candidate_of_a_record_with_an_exception_adds_nothing(
        store: DecisionStore, tiny_result: ReconResult) -> None:
    store.bulk([Decision("reject", match_id="M-b"), Decision("reject", match_id="M-c")],
               user="ana")
    applied = store.apply(tiny_result)
    # p2 still has its exception E-2, in_2 has E-3, in_1 is held by M-a
    assert applied.exceptions.filter(pl.col("category") == "rejected_match").height == 0


def test_confirm_on_an_exception_confirms_its_best_candidate(
        store: DecisionStore, tiny_result: ReconResult) -> None:
    did = store.record("confirm", user="ana", exception_id="E-2", result=tiny_result)
    row = store.history().row(0, named=True)
    assert (row["decision_id"], row["match_id"]) == (did, "M-b")  # 0.70 beats 0.65
    assert set(json.loads(row["payload"])["fingerprint"]) == {"items", "candidates"}
    assert _status(store.apply(tiny_result))["M-b"] == "confirmed"
    assert store.aliases().height == 1  # and it learned Bolt's IBAN, as the screen does


def _changed_amount(r: ReconResult) -> ReconResult:
    pay = r.inputs["payments"].with_columns(
        pl.when(pl.col("record_id") == "p2").then(49_000).otherwise(pl.col("amount_cents"))
        .alias("amount_cents"))
    return dataclasses.replace(r, inputs={**r.inputs, "payments": pay})


def _new_candidate(r: ReconResult) -> ReconResult:
    exc = r.exceptions.with_columns(
        pl.when(pl.col("exception_id") == "E-2").then(pl.lit("M-b;M-c;M-d"))
        .otherwise(pl.col("candidate_match_ids")).alias("candidate_match_ids"))
    return dataclasses.replace(r, exceptions=exc)


def _paid_elsewhere(r: ReconResult) -> ReconResult:
    inv = r.inputs["invoices"].with_columns(
        pl.when(pl.col("record_id") == "in_2").then(pl.lit("paid"))
        .otherwise(pl.col("status")).alias("status"))
    return dataclasses.replace(r, inputs={**r.inputs, "invoices": inv})


@pytest.mark.parametrize("change, why", [
    (_changed_amount, "changed since"), (_paid_elsewhere, "changed since"),
    (_new_candidate, "candidate matches changed")])
def test_decision_on_changed_items_is_stale_and_returns_to_review(
        store: DecisionStore, tiny_result: ReconResult, change: object, why: str) -> None:
    did = store.record("confirm", user="ana", match_id="M-b", exception_id="E-2",
                       result=tiny_result)
    assert store.stale_decisions(tiny_result) == {}
    later = change(tiny_result)  # type: ignore[operator]
    assert why in store.stale_decisions(later)[did]
    applied = store.apply(later)
    assert _status(applied)["M-b"] == "review"  # never applied silently
    stale = applied.exceptions.filter(pl.col("category") == "stale_decision")
    assert stale.select("system", "record_id", "candidate_match_ids").rows() == [
        ("bank", "p2", "M-b")]
    assert f"ana's confirm of 2024-04-02 (decision {did}) was not applied" in stale["detail"][0]
    queue = review_queue(applied, decisions=store.decisions_in_force(later))
    assert queue.filter(pl.col("exception_id") == "E-2")["decision"].item() is None
    assert queue.filter(pl.col("category") == "stale_decision").height == 1


def test_match_built_by_hand_is_added_confirmed(store: DecisionStore,
                                                tiny_result: ReconResult) -> None:
    items = [{"system": "bank", "record_id": "p2", "role": "payment", "amount_cents": 50000},
             {"system": "billing", "record_id": "in_2", "role": "invoice",
              "amount_cents": 30000, "label": "F-2"},
             {"system": "billing", "record_id": "in_1", "role": "invoice",
              "amount_cents": 20000, "label": "F-1"}]
    mid = manual_match_id(items)
    store.record("confirm", user="ana", match_id=mid, exception_id="E-2",
                 payload={"items": items, "currency": "EUR"}, result=tiny_result)
    applied = store.apply(tiny_result)
    m = applied.matches.filter(pl.col("match_id") == mid).row(0, named=True)
    assert (m["rule_id"], m["status"], m["kind"]) == ("MANUAL", "confirmed", "payment_invoice")
    assert m["explanation"] == ("matched by hand by ana on 2024-04-02: 300.00 EUR to F-2, "
                                "200.00 EUR to F-1")
    got = applied.match_items.filter(pl.col("match_id") == mid)
    assert sorted(got.select("record_id", "role", "amount_cents").rows()) == [
        ("in_1", "invoice", 20000), ("in_2", "invoice", 30000), ("p2", "payment", 50000)]
    assert store.apply(tiny_result).matches.equals(applied.matches)  # deterministic
    assert manual_match_id(list(reversed(items))) == mid
    # the payment changes amount: the hand-made match is not applied any more
    later = store.apply(_changed_amount(tiny_result))
    assert later.matches.filter(pl.col("match_id") == mid).height == 0
    assert later.exceptions.filter(pl.col("category") == "stale_decision").height == 1


def test_write_off_confirms_and_says_what_was_written_off(
        store: DecisionStore, tiny_result: ReconResult) -> None:
    store.record("write_off", user="ana", match_id="M-c", exception_id="E-2",
                 payload={"cents": 250, "account": "627", "reason": "bank fee",
                          "currency": "EUR"}, result=tiny_result)
    m = store.apply(tiny_result).matches.filter(pl.col("match_id") == "M-c").row(0, named=True)
    assert m["status"] == "confirmed"
    assert m["explanation"] == ("close to F-1; 2.50 EUR written off to account 627 "
                                "(bank fee) by ana on 2024-04-02")


def test_severity_column_is_kept_and_info_rows_never_queue(store: DecisionStore,
                                                           tiny_result: ReconResult) -> None:
    exc = tiny_result.exceptions.with_columns(
        pl.when(pl.col("exception_id") == "E-3").then(pl.lit("info"))
        .otherwise(pl.lit("decision")).alias("severity"))
    r = dataclasses.replace(tiny_result, exceptions=exc)
    store.record("reject", user="ana", match_id="M-a")
    applied = store.apply(r)
    added = applied.exceptions.filter(pl.col("category") == "rejected_match")
    assert added["severity"].to_list() == ["decision"]
    assert "E-3" not in review_queue(applied)["exception_id"].to_list()


@pytest.mark.parametrize("cents, text", [(1_200_000, "12,000.00"), (-5, "-0.05"),
                                         (123_456_789, "1,234,567.89"), (0, "0.00")])
def test_format_money(cents: int, text: str) -> None:
    assert format_money(cents) == text
