"""Invariants on random small months (hypothesis): nothing lost, nothing allocated twice,
same input -> same output."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconkit.result import ReconResult
from reconkit.review.apply import apply_decisions

from builders import World

IBANS = ["FR7630006000011234567890189", "FR7610107001011234567890129",
         "FR7630004000031234567890143"]
NAMES = ["Acme Conseil SAS", "Acme Conseils SARL", "Boulangerie Martin", "Durand Services SA"]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    w = World()
    n_clients = draw(st.integers(1, 4))
    keys = []
    for i in range(n_clients):
        key = f"K{i}"
        w.client(key, NAMES[i], iban=draw(st.sampled_from([None, IBANS[i % 3]])))
        keys.append(key)
    invoices: list[tuple[str, str, int]] = []
    for j in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from(keys))
        amount = draw(st.sampled_from([5_000, 10_000, 12_345, 99_900, 120_000]))
        number = f"F-2026-{j + 1:06d}"
        rid = w.invoice(key, number, amount, book=draw(st.booleans()),
                        issued=date(2026, 9, 1) + timedelta(days=draw(st.integers(0, 50))),
                        lettered=draw(st.sampled_from([None, None, None, "AAA"])))
        invoices.append((rid, number, amount))
        if draw(st.integers(0, 5)) == 0:
            w.invoice(key, f"{number}-CN-01", -1_000, credit_of=rid)
    for k in range(draw(st.integers(0, 8))):
        if invoices and draw(st.booleans()):
            _, number, amount = draw(st.sampled_from(invoices))
            amount += draw(st.sampled_from([0, 0, 0, -500, 700, -40_000]))
            text = draw(st.sampled_from([number, number.replace("-", ""), "PAIEMENT", None]))
        else:
            amount = draw(st.sampled_from([5_000, 15_000, 22_345, -1_900]))
            text = None
        i = draw(st.integers(0, n_clients - 1))
        w.payment(f"B{k:03d}", amount, payer=draw(st.sampled_from([NAMES[i].upper(), None])),
                  iban=draw(st.sampled_from([None, IBANS[i % 3]])), text=text)
    return w


ACCOUNTING = ("auto", "confirmed", "review")  # a rejected match accounts for nothing


def _accounted(r: ReconResult) -> set[tuple[str, str]]:
    """Records held by an auto, confirmed or review match, or by an exception (quarantined
    rows never reach the tables)."""
    held = r.match_items.join(r.matches.filter(pl.col("status").is_in(ACCOUNTING))
                              .select("match_id"), on="match_id")
    return set(held.select("system", "record_id").iter_rows()) | set(
        r.exceptions.select("system", "record_id").iter_rows())


def _assert_all_accounted(r: ReconResult, w: World) -> None:
    tables = w.tables()
    seen = _accounted(r)
    for table, system in (("payments", "bank"), ("invoices", "billing"),
                          ("ledger_lines", "erp"), ("commitments", "crm")):
        for rid in tables[table]["record_id"].to_list():
            assert (system, rid) in seen, (table, rid)
    for system, rid in tables["parties"].select("system", "record_id").iter_rows():
        assert (system, rid) in seen


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_record_accounted_for_and_never_over_allocated(w: World) -> None:
    r = w.reconcile()
    tables = w.tables()
    _assert_all_accounted(r, w)
    assert r.exceptions.filter(pl.col("category") == "unaccounted_record").height == 0
    # auto and confirmed matches never allocate a record beyond its amount
    amounts = pl.concat([
        tables["payments"].select("record_id", pl.col("amount_cents").abs().alias("cap")),
        tables["invoices"].select("record_id", pl.col("amount_cents").abs().alias("cap")),
    ])
    used = r.match_items.join(
        r.matches.filter(pl.col("status").is_in(["auto", "confirmed"])
                         & (pl.col("kind") == "payment_invoice")), on="match_id") \
        .filter(pl.col("role").is_in(["invoice", "payment"])) \
        .group_by("record_id").agg(pl.col("amount_cents").sum().alias("used")) \
        .join(amounts, on="record_id")
    assert used.filter(pl.col("used") > pl.col("cap")).height == 0
    assert r.matches["match_id"].is_unique().all()
    assert r.exceptions["exception_id"].is_unique().all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.data())
def test_rejecting_matches_never_loses_a_record(w: World, data: st.DataObject) -> None:
    """Whatever a reviewer rejects, every record stays accounted for (a record left with only
    rejected matches returns to the queue as `rejected_match`)."""
    r = w.reconcile()
    ids = r.matches["match_id"].to_list()
    rejected = data.draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    decisions = pl.DataFrame(
        {"decision_id": range(1, len(rejected) + 1), "match_id": rejected,
         "exception_id": [None] * len(rejected), "action": ["reject"] * len(rejected),
         "payload": ["{}"] * len(rejected), "user": ["ana"] * len(rejected),
         "at": ["2026-11-02T09:00:00Z"] * len(rejected)},
        schema={"decision_id": pl.Int64, "match_id": pl.String, "exception_id": pl.String,
                "action": pl.String, "payload": pl.String, "user": pl.String, "at": pl.String})
    applied = apply_decisions(r, decisions).result
    _assert_all_accounted(applied, w)
    back = applied.exceptions.filter(pl.col("category") == "rejected_match")
    assert back["exception_id"].is_unique().all()
    for cands in back["candidate_match_ids"].to_list():
        assert set(cands.split(";")) <= set(rejected)


@settings(max_examples=10, deadline=None)
@given(worlds())
def test_same_input_same_output(w: World) -> None:
    a, b = w.reconcile(), w.reconcile()
    for name, df in a.tables().items():
        assert df.equals(b.tables()[name]), name
