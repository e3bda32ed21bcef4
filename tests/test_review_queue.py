"""review_queue / context on a hand-made result, and on the bundled sample month."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from reconkit.result import ReconResult
from reconkit.review.queue import QUEUE_COLUMNS, context, review_queue
from reconkit.review.records import exception_records
from reconkit.review.store import DecisionStore

from conftest import BOLT_IBAN

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample" / "run_canonical.yaml"


def test_queue_skips_info_and_sorts_by_amount_then_id(tiny_result: ReconResult) -> None:
    q = review_queue(tiny_result)
    assert q.columns == QUEUE_COLUMNS
    assert q.select("exception_id", "category", "amount_cents", "label", "age_days").rows() == [
        ("E-2", "unresolved_party", 50000, "BOLT", 0),
        ("E-3", "missing_in_ledger", 50000, "F-2", 26),
        ("E-5", "orphan_credit_note", -2000, "A-1", 11),
    ]
    assert q["title"].to_list() == ["Unresolved client", "Not booked in the ERP",
                                    "Credit note on an unknown invoice"]
    assert q["decision"].to_list() == [None, None, None]


def test_queue_rows_carry_client_and_candidates(tiny_result: ReconResult) -> None:
    q = review_queue(tiny_result, as_of=date(2024, 4, 30)).to_dicts()
    e2, e3, e5 = q
    assert e2["candidate_ids"] == ["M-b", "M-c"]
    assert e2["candidate_scores"] == [0.7, 0.65]
    assert e2["candidate_explanations"] == ["same amount as F-2", "close to F-1"]
    assert e2["party_id"] is None  # the payer's IBAN is unknown: that is the exception
    assert e2["age_days"] == 30
    assert (e3["party_id"], e3["party_names"]) == ("P2", "billing: Bolt SARL")
    assert e3["candidate_ids"] == []
    assert e5["party_names"] == "billing: Acme SAS | crm: ACME | erp: ACME SAS | bank: ACME SAS"


def test_queue_shows_latest_decision(tmp_path: Path, tiny_result: ReconResult) -> None:
    with DecisionStore(tmp_path / "d.sqlite") as store:
        store.record("reject", user="ana", match_id="M-c")
        store.record("confirm", user="ana", match_id="M-b")
        store.record("note", user="ana", exception_id="E-5", payload={"text": "ask billing"})
        q = review_queue(tiny_result, decisions=store.active_decisions())
        assert dict(q.select("exception_id", "decision").iter_rows()) == {
            "E-2": "confirm", "E-3": None, "E-5": "note"}
        store.undo(2, "ana")
        q = review_queue(tiny_result, decisions=store.active_decisions())
        assert q["decision"].to_list() == ["reject", None, "note"]


def test_context_gathers_client_documents_and_evidence(tiny_result: ReconResult) -> None:
    ctx = context(tiny_result, "E-5")
    assert ctx["category"]["title"] == "Credit note on an unknown invoice"
    assert ctx["record"]["table"] == "invoices"
    assert ctx["record"]["credited_invoice_id"] == "in_9"
    assert ctx["party_id"] == "P1"
    assert [p["system"] for p in ctx["parties"]] == ["bank", "billing", "crm", "erp"]
    assert [c["record_id"] for c in ctx["commitments"]] == ["006X"]
    assert [(i["record_id"], i["open_cents"]) for i in ctx["invoices"]] == [
        ("cn_1", -2000), ("in_1", 0)]
    assert [p["record_id"] for p in ctx["payments"]] == ["p1"]
    assert [li["record_id"] for li in ctx["ledger_lines"]] == ["VT:1"]
    assert ctx["candidates"] == []


def test_context_of_unresolved_payer_lists_candidates(tiny_result: ReconResult) -> None:
    ctx = context(tiny_result, "E-2")
    assert ctx["record"]["payer_iban"] == "DE89 3704 0044 0532 0130 00"
    assert ctx["party_id"] is None
    assert [c["match_id"] for c in ctx["candidates"]] == ["M-b", "M-c"]
    best = ctx["candidates"][0]
    assert best["evidence"] == {"amount": 50000}
    assert best["items"] == [
        {"system": "bank", "record_id": "p2", "role": "payment", "amount_cents": 50000},
        {"system": "billing", "record_id": "in_2", "role": "invoice", "amount_cents": 50000}]
    # documents cited by candidates are shown even though the payer is unresolved
    assert [i["record_id"] for i in ctx["invoices"]] == ["in_1", "in_2"]
    assert [p["record_id"] for p in ctx["payments"]] == ["p2"]
    with pytest.raises(KeyError, match="E-404"):
        context(tiny_result, "E-404")


def test_exception_records_keep_every_exception(tiny_result: ReconResult) -> None:
    rec = exception_records(tiny_result)
    assert rec["exception_id"].to_list() == tiny_result.exceptions["exception_id"].to_list()
    assert rec.filter(pl.col("record_id") == "p2")["party_key"].to_list() == [BOLT_IBAN]


@pytest.mark.slow
def test_sample_month_queue_end_to_end(tmp_path: Path) -> None:
    if not SAMPLE.exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    import reconkit

    result = reconkit.run(reconkit.load_config(SAMPLE))
    q = review_queue(result)
    info = {"bank_charge", "commitment_not_in_period"}
    expected = result.exceptions.filter(~pl.col("category").is_in(sorted(info))).height
    assert q.height == expected == result.summary()["exceptions_to_review"]
    assert q["exception_id"].n_unique() == q.height
    amounts = q["amount_cents"].abs().fill_null(-1).to_list()
    assert amounts == sorted(amounts, reverse=True)
    assert review_queue(result).equals(q)  # deterministic
    first = q.filter(pl.col("candidate_ids").list.len() > 0).row(0, named=True)
    ctx = context(result, first["exception_id"])
    assert [c["match_id"] for c in ctx["candidates"]] == first["candidate_ids"]
    assert all(isinstance(c["evidence"], dict) for c in ctx["candidates"])


def test_review_app_wires_queue_and_store(tmp_path: Path, tiny_result: ReconResult) -> None:
    from reconkit.review.widget import ReviewApp

    with DecisionStore(tmp_path / "d.sqlite") as store:
        app = ReviewApp(tiny_result, store, "ana")
        assert [v for _l, v in app.items.options] == ["E-2", "E-3", "E-5"]
        assert app.items.value == ("E-2",)
        assert app.candidate.value == "M-b"
        assert "3 exceptions to review" in app.status.value
        assert "rk-confirm" in app.confirm_button._dom_classes
        assert app.confirm() == 1
        assert store.history().select("match_id", "exception_id", "action").rows() == [
            ("M-b", "E-2", "confirm")]
        assert "IBAN is now known (1 alias learned)" in app.status.value
        assert app.items.options[0][0].startswith("✓")
        app.category.value = "orphan_credit_note"
        assert [v for _l, v in app.items.options] == ["E-5"]
        assert "Credit note on an unknown invoice: A-1 (-20.00 EUR)" in app.detail.value
        app.category.value = ""
        assert app.undo_last() == 1
        assert store.aliases().height == 0
        app.select(["E-3", "E-5"])
        assert app.confirm_selected() == [2, 3]
        assert store.active_decisions().select("match_id", "exception_id").rows() == [
            (None, "E-3"), (None, "E-5")]
        assert "(2 of 3 decided)" in app.status.value
