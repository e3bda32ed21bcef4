"""Data profiles of loaded tables and of exceptions, and the exceptions chart's Vega-Lite."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from reconkit.audit import (
    exception_profile,
    exceptions_chart,
    profile_tables,
    to_markdown,
    to_xlsx,
)
from reconkit.result import ReconResult


def test_profile_tables_per_column_values() -> None:
    invoices = pl.DataFrame({
        "record_id": ["in_2", "in_1", "in_3", "in_1"],
        "amount_cents": [50000, None, -2000, 120000],
        "issue_date": [date(2024, 3, 5), date(2024, 3, 1), None, date(2024, 3, 1)],
    })
    prof = profile_tables({"invoices": invoices, "empty": pl.DataFrame({"x": []},
                                                                       schema={"x": pl.String})})
    assert prof["table"].to_list() == ["empty", "invoices", "invoices", "invoices"]
    assert prof.filter(pl.col("table") == "invoices").drop("table").rows() == [
        ("record_id", "String", 4, 0, 3, "in_1", "in_3", "in_2 | in_1 | in_3"),
        ("amount_cents", "Int64", 4, 1, 3, "-2000", "120000", "50000 | -2000 | 120000"),
        ("issue_date", "Date", 4, 1, 2, "2024-03-01", "2024-03-05", "2024-03-05 | 2024-03-01"),
    ]
    assert prof.filter(pl.col("table") == "empty").drop("table").rows() == [
        ("x", "String", 0, 0, 0, None, None, None)]


def test_profile_of_canonical_inputs(tiny_result: ReconResult) -> None:
    prof = profile_tables(tiny_result.inputs)
    assert prof["table"].unique(maintain_order=True).to_list() == [
        "commitments", "invoices", "ledger_lines", "parties", "payments"]
    iban = prof.filter((pl.col("table") == "payments") & (pl.col("column") == "payer_iban"))
    assert iban.select("nulls", "distinct").row(0) == (1, 2)
    assert profile_tables({}).height == 0


def test_exception_profile_counts_money_and_clients(tiny_result: ReconResult) -> None:
    prof = exception_profile(tiny_result)
    assert prof.rows() == [
        ("missing_in_ledger", "Not booked in the ERP", "decision", 1, 50000, "Bolt SARL"),
        ("unresolved_party", "Unresolved client", "decision", 1, 50000, None),
        ("orphan_credit_note", "Credit note on an unknown invoice", "decision", 1, 2000,
         "Acme SAS"),
        ("bank_charge", "Bank debit", "info", 1, 1500, None),
    ]
    assert prof.schema["amount_cents"] == pl.Int64


def test_exceptions_chart_is_vega_lite_with_exact_amounts(tiny_result: ReconResult) -> None:
    spec = exceptions_chart(tiny_result).to_dict()
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["field"] == "exceptions"
    assert spec["encoding"]["y"] == {"field": "title", "sort": "-x", "title": None,
                                     "type": "nominal"}
    assert spec["encoding"]["color"]["scale"]["domain"] == ["decision", "info"]
    values = spec["data"]["values"]
    assert [(v["category"], v["exceptions"], v["amount"]) for v in values] == [
        ("missing_in_ledger", 1, "500.00"), ("unresolved_party", 1, "500.00"),
        ("orphan_credit_note", 1, "20.00"), ("bank_charge", 1, "15.00")]


def test_xlsx_export_keeps_money_exact(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    df = pl.DataFrame({"exception_id": ["E-1", "E-2"], "amount_cents": [123456789, -5],
                       "candidate_ids": [["M-a", "M-b"], []],
                       "record_date": [date(2024, 3, 1), None]})
    path = to_xlsx({"review queue": df}, tmp_path / "x" / "queue.xlsx")
    ws = load_workbook(path)["review queue"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["exception_id", "amount", "candidate_ids", "record_date"],
        ["E-1", 1234567.89, "M-a; M-b", datetime(2024, 3, 1)],
        ["E-2", -0.05, None, None],
    ]
    assert ws["B2"].number_format == "#,##0.00"
    assert ws.freeze_panes == "A2"


def test_markdown_export_escapes_pipes() -> None:
    df = pl.DataFrame({"id": ["R-1", "R-2"], "title": ["a | b", None]})
    assert to_markdown(df) == "| id | title |\n|---|---|\n| R-1 | a \\| b |\n| R-2 |  |\n"
