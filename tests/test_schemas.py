"""Canonical schemas: what is accepted, and the exact quarantine reasons for what is not."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from reconkit.schemas import COLUMNS, MODELS, conform, validate


def _invoices(**over: list) -> pl.DataFrame:
    base = {"system": ["billing"] * 3, "record_id": ["in_1", "in_2", "cn_1"],
            "source_file": ["f.csv"] * 3, "source_row": [2, 3, 4],
            "doc_type": ["invoice", "invoice", "credit_note"], "number": ["F1", "F2", "A1"],
            "party_record_id": ["cus_1"] * 3, "issue_date": [date(2026, 10, 1)] * 3,
            "currency": ["EUR"] * 3, "amount_cents": [12_000, 0, -2_000]}
    base.update(over)
    return pl.DataFrame(base)


def test_every_table_has_a_model_and_lineage_columns() -> None:
    assert set(MODELS) == set(COLUMNS)
    for cols in COLUMNS.values():
        assert list(cols)[:4] == ["system", "record_id", "source_file", "source_row"]
        money = [c for c in cols if c.endswith("_cents")]
        assert all(cols[c] == pl.Int64 for c in money)


def test_valid_rows_pass_unchanged() -> None:
    valid, q = validate("invoices", _invoices())
    assert q.height == 0
    assert valid["amount_cents"].to_list() == [12_000, 0, -2_000]


@pytest.mark.parametrize(("over", "row", "column", "value", "reason"), [
    ({"currency": ["EUR", "eur", "EUR"]}, 3, "currency", "eur",
     "wrong format: expected pattern ^[A-Z]{3}$"),
    ({"doc_type": ["invoice", "bill", "credit_note"]}, 3, "doc_type", "bill",
     "value not allowed: expected one of ['invoice', 'credit_note']"),
    ({"amount_cents": [12_000, 0, 2_000]}, 4, "amount_cents", "2000",
     "a credit note must have a negative amount, an invoice a non-negative one"),
    ({"record_id": ["in_1", "in_1", "cn_1"]}, 3, "record_id", "in_1",
     "duplicate id: this record id already appears earlier in the same source"),
    ({"number": ["F1", None, "A1"]}, 3, "number", None, "missing value"),
])
def test_quarantine_reasons(over: dict, row: int, column: str, value: str | None,
                            reason: str) -> None:
    valid, q = validate("invoices", _invoices(**over))
    assert q.select("source_file", "source_row", "column", "value", "reason").rows() == [
        ("f.csv", row, column, value, reason)]
    assert valid.height == 2


def test_conform_adds_optional_columns_as_nulls_in_order() -> None:
    out = conform("payments", pl.DataFrame({
        "system": ["bank"], "record_id": ["R1"], "source_file": ["s.xml"], "source_row": [1],
        "entry_ref": ["R1"], "booking_date": [date(2026, 10, 2)], "amount_cents": [100],
        "currency": ["EUR"]}))
    assert out.columns == list(COLUMNS["payments"])
    assert out["is_reversal"].to_list() == [False]
    assert out["payer_name"].to_list() == [None]
