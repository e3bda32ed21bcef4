"""Fuzz the generic CSV / Excel loader (mapping profiles) with mutated exports (see
tests/fuzzing.py): columns swapped, deleted or duplicated, headers renamed, nasty cells, any
delimiter, quoting and encoding (cp1252, UTF-16, BOM), broken quoting, truncation; the same
mutated tables written as .xlsx workbooks and as Parquet files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import polars as pl
from fuzzing import (
    FUZZ_SETTINGS,
    REPO,
    check_outcome,
    csv_rows,
    head_lines,
    mutated_csv,
    mutated_table,
)
from hypothesis import given
from hypothesis import strategies as st
from test_tabular import PENNYLANE_HEADER, _profile

from reconkit.loaders.tabular import load_tabular

CANONICAL = REPO / "data_samples/sample/canonical"
# (profile, seed text)
SEEDS: list[tuple[Any, str]] = [
    *[(f"canonical_{t}", head_lines(CANONICAL / f"{t}.csv", 5))
      for t in ("payments", "invoices", "ledger_lines", "parties", "commitments")],
    ("stripe_dashboard_invoices",
     "id,Amount Due,Currency,Customer,Date (UTC),Due Date (UTC),Number,Paid,Tax,Total,Status\n"
     "in_1,120.00,eur,cus_A,2024-03-31 23:30,2024-04-30 10:00,A1B2-0007,true,20.00,120.00,"
     "paid\nin_2,0.00,eur,cus_A,2024-01-15 09:00,,,false,,10.00,draft\n"),
    ("pennylane_invoices",
     PENNYLANE_HEADER + "\nF-1;Café €;28/02/2024;31/03/2024;100;20,5;120,5;EUR;Facture\n"
     "F-2;Acme;29/02/2024;;1 000,10;0;1 000,10;;Avoir\n"),
    (_profile(), "No;Client;Date;Total;Type\nF-1;Acme;01/03/2024;1 234,56;F\n"
                 "A-1;Acme;02/03/2024;4;A\n"),
]
CELLS = ["2026-10-01", "01/03/2024", "2024-03-31 23:30", "EUR", "eur", "true", "false",
         "invoice", "credit_note", "F", "A", "Facture", "Avoir", "240000", "-240000",
         "1 000,10", "120.00"]


def _delimiter(text: str) -> str:
    return ";" if text.split("\n", 1)[0].count(";") > 1 else ","


@st.composite
def _case(draw: st.DrawFn) -> tuple[Any, list[list[str]], bytes]:
    profile, text = draw(st.sampled_from(SEEDS))
    rows = csv_rows(text, _delimiter(text))
    return profile, rows, draw(mutated_csv([rows], cells=CELLS))


@FUZZ_SETTINGS
@given(_case())
def test_mutated_csv_exports_load_quarantine_or_fail_clearly(
        tmp_path: Path, case: tuple[Any, list[list[str]], bytes]) -> None:
    profile, _, data = case
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    check_outcome(load_tabular, path, profile=profile)


@st.composite
def _workbook(draw: st.DrawFn) -> tuple[Any, bytes]:
    """A mutated table as an .xlsx sheet: cells as text, numbers where they read as one, a
    title row above the header now and then; sometimes the workbook's bytes are cut."""
    from openpyxl import Workbook

    profile, text = draw(st.sampled_from(SEEDS))
    rows = draw(mutated_table([csv_rows(text, _delimiter(text))], cells=CELLS))
    wb = Workbook()
    ws = wb.active
    if draw(st.integers(0, 3)) == 0:  # a title above the header: the header is not found
        ws.append(["Rapport"])
    for row in rows:
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if draw(st.integers(0, 9)) == 0:  # cut at a fraction: the saved size varies with the
        data = data[: len(data) * draw(st.integers(0, 999)) // 1000]  # clock openpyxl stamps
    return profile, data


def _cell(value: str) -> str | int | float | None:
    """What a spreadsheet would hold: a number when the text is one, else the text."""
    if not value:
        return None
    illegal = any(ord(c) < 32 and c not in "\t\n\r" for c in value)
    if illegal:  # openpyxl refuses control characters; a sheet cannot hold them either
        return "".join(c for c in value if ord(c) >= 32 or c in "\t\n\r") or None
    try:
        return int(value) if value.lstrip("-").isdigit() and len(value) < 16 else float(value) \
            if value.replace(".", "", 1).lstrip("-").isdigit() else value
    except ValueError:
        return value


@FUZZ_SETTINGS
@given(_workbook())
def test_mutated_workbooks_load_quarantine_or_fail_clearly(tmp_path: Path,
                                                           case: tuple[Any, bytes]) -> None:
    profile, data = case
    path = tmp_path / "export.xlsx"
    path.write_bytes(data)
    check_outcome(load_tabular, path, profile=profile, skip_rows=0)


@st.composite
def _parquet(draw: st.DrawFn) -> tuple[Any, bytes]:
    """A mutated table as a Parquet file of text columns (header names made unique, rows
    padded to the header), sometimes cut short."""
    profile, text = draw(st.sampled_from(SEEDS))
    rows = draw(mutated_table([csv_rows(text, _delimiter(text))], cells=CELLS)) or [[]]
    header: list[str] = []
    for name in rows[0]:
        header.append(name if name not in header else f"{name}_{len(header)}")
    body = [(r + [""] * len(header))[: len(header)] for r in rows[1:]]
    frame = pl.DataFrame({h: [r[i] or None for r in body] for i, h in enumerate(header)},
                         schema={h: pl.String for h in header})
    buf = io.BytesIO()
    frame.write_parquet(buf)
    data = buf.getvalue()
    if draw(st.integers(0, 9)) == 0:
        data = data[: len(data) * draw(st.integers(0, 999)) // 1000]
    return profile, data


@FUZZ_SETTINGS
@given(_parquet())
def test_mutated_parquet_files_load_quarantine_or_fail_clearly(
        tmp_path: Path, case: tuple[Any, bytes]) -> None:
    profile, data = case
    path = tmp_path / "export.parquet"
    path.write_bytes(data)
    check_outcome(load_tabular, path, profile=profile)


def test_seeds_load_cleanly(tmp_path: Path) -> None:
    for profile, text in SEEDS:
        path = tmp_path / "export.csv"
        path.write_text(text, encoding="utf-8")
        loaded = load_tabular(path, profile=profile)
        assert sum(t.height for t in loaded.tables.values()) > 0
        if profile != "stripe_dashboard_invoices":  # its draft has no number
            assert loaded.quarantine.height == 0, (profile, loaded.quarantine)
