"""merge_loaded's load report: each term counted on its own, a gap reported loudly."""

from __future__ import annotations

from datetime import date

import polars as pl

from reconkit.loaders.base import FileReport, Loaded, merge_loaded
from reconkit.schemas import QUARANTINE_COLUMNS


def _payment(rid: str, row: int, file: str = "bank.csv", amount: int | None = 100) -> dict:
    return {"system": "bank", "record_id": rid, "source_file": file, "source_row": row,
            "entry_ref": rid, "booking_date": date(2026, 10, 1), "amount_cents": amount,
            "currency": "EUR"}


def _party(rid: str, row: int, file: str) -> dict:
    return {"system": "billing", "record_id": rid, "source_file": file, "source_row": row,
            "name": f"Client {rid}"}


def _invoice(rid: str, row: int, file: str) -> dict:
    return {"system": "billing", "record_id": rid, "source_file": file, "source_row": row,
            "doc_type": "invoice", "number": rid, "party_record_id": "cus_A",
            "issue_date": date(2026, 10, 1), "currency": "EUR", "amount_cents": 100}


def test_loader_that_loses_a_row_is_reported() -> None:
    part = Loaded(tables={"payments": pl.DataFrame([_payment("P1", 2), _payment("P2", 3)])},
                  rows_read={"bank.csv": 3})
    merged = merge_loaded([part])
    assert merged.report == (FileReport("bank.csv", 3, 2, 0, 0, unaccounted=1),)
    assert merged.report_frame()["unaccounted"].to_list() == [1]
    assert merged.warnings == ("bank.csv: the load report does not add up: 3 rows read, 2 "
                               "loaded, 0 quarantined, 0 skipped (1 unaccounted for)",)


def test_validation_drops_count_as_quarantined_even_when_rows_share_a_line() -> None:
    rows = [_payment("B/1", 2, amount=None), _payment("B/2", 2, amount=None),
            _payment("OK", 3)]
    merged = merge_loaded([Loaded(tables={"payments": pl.DataFrame(rows)},
                                  rows_read={"bank.csv": 3})])
    assert merged.report == (FileReport("bank.csv", 3, 1, 2, 0, 0),)


def test_parties_derived_from_invoices_do_not_count_as_loaded_rows() -> None:
    invoices = pl.DataFrame([_invoice("in_1", 1, "inv.json"), _invoice("in_2", 2, "inv.json")])
    parties = pl.DataFrame([_party("cus_A", 1, "inv.json"), _party("cus_B", 1, "cus.json")])
    merged = merge_loaded([Loaded(tables={"invoices": invoices, "parties": parties},
                                  rows_read={"inv.json": 2, "cus.json": 1})])
    assert merged.report == (FileReport("cus.json", 1, 1, 0, 0, 0),
                             FileReport("inv.json", 2, 2, 0, 0, 0))
    assert merged.warnings == ()


def test_loader_quarantine_counts_records_not_quarantine_rows() -> None:
    q = pl.DataFrame([("bank", "bank.csv", 2, "booking_date", "x", "not a date"),
                      ("bank", "bank.csv", 2, "value_date", "y", "not a date")],
                     schema=QUARANTINE_COLUMNS, orient="row")
    part = Loaded(tables={"payments": pl.DataFrame([_payment("P1", 3)])}, quarantine=q,
                  rows_read={"bank.csv": 2})
    assert merge_loaded([part]).report == (FileReport("bank.csv", 2, 1, 1, 0, 0),)
