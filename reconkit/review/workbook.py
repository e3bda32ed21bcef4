"""The exceptions workbook: the review queue for people outside Jupyter.

Sheets: `Summary` (one line per category: how many, how much, how old, what to do), `review
queue` (every row with its ids, for `reconkit review decide-file`: fill the `action` column),
then one sheet per category in plain words. Headers frozen, filters on, amounts are numbers
in a currency format, dates are dates, and no text from the data is ever a formula (every
cell goes through `reconkit.safe_export`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import polars as pl

from reconkit.catalog.model import Catalog
from reconkit.safe_export import (
    DATE_FORMAT,
    cents_to_decimal,
    put_cell,
    sheet_title,
    write_sheet,
)

SUMMARY_HEADERS: Final = ["Category", "Exceptions", "Decided", "To decide", "Amount",
                          "Oldest (days)", "What to do"]
CATEGORY_HEADERS: Final = ["Client", "Record", "System", "Date", "Amount", "Age (days)",
                           "What happened", "Best candidate", "Decision", "Exception id"]
SYSTEM_NAMES: Final = {"bank": "bank statement", "billing": "billing", "erp": "ERP ledger",
                       "crm": "CRM"}


def currency_format(currency: str | None) -> str:
    """`#,##0.00 "EUR"`: thousands separated, two decimals, the currency after."""
    return f'#,##0.00 "{currency}"' if currency else "#,##0.00"


def _client(names: str | None) -> str:
    if not names:
        return "not resolved"
    return names.split(" | ")[0].split(": ", 1)[-1]


def summary_frame(queue: pl.DataFrame) -> pl.DataFrame:
    """Per category: count, decided, to decide, amount (cents, one currency per line), age."""
    return (queue.group_by("title", "category", "currency")
            .agg(pl.len().alias("n"), pl.col("decision").is_not_null().sum().alias("decided"),
                 pl.col("amount_cents").abs().sum().alias("amount_cents"),
                 pl.col("age_days").max().alias("oldest"))
            .sort([pl.col("amount_cents"), pl.col("title")], descending=[True, False]))


def write_exceptions_workbook(queue: pl.DataFrame, path: Path | str, *,
                              catalog: Catalog | None = None) -> Path:
    """Write the queue (`reconkit.review.review_queue`) as the exceptions workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    todo = {c.id: c.what_to_do for c in catalog.categories} if catalog else {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    summary = summary_frame(queue)
    for j, h in enumerate(SUMMARY_HEADERS, start=1):
        put_cell(ws, 1, j, h).font = Font(bold=True)
    for i, r in enumerate(summary.iter_rows(named=True), start=2):
        values: list[Any] = [r["title"], r["n"], r["decided"], r["n"] - r["decided"],
                             cents_to_decimal(r["amount_cents"] or 0), r["oldest"],
                             todo.get(r["category"], "")]
        for j, v in enumerate(values, start=1):
            put_cell(ws, i, j, v, currency_format(r["currency"]) if j == 5 else None)
    total = summary.height + 2
    put_cell(ws, total, 1, "Total").font = Font(bold=True)
    put_cell(ws, total, 2, queue.height)
    put_cell(ws, total, 3, int(queue["decision"].is_not_null().sum()))
    put_cell(ws, total, 4, int(queue["decision"].is_null().sum()))
    for j, width in enumerate([34, 12, 10, 10, 18, 14, 80], start=1):
        ws.column_dimensions[chr(64 + j)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:G{summary.height + 1}"

    round_trip = queue.with_columns(pl.lit(None, pl.String).alias("action"),
                                    pl.lit(None, pl.String).alias("note"))
    money = "amount_cents"
    write_sheet(wb.create_sheet("review queue"), round_trip,
                headers=[c.removesuffix("_cents") if c == money else c
                         for c in round_trip.columns],
                formats={money: "#,##0.00"}, converters={money: cents_to_decimal})

    used: set[str] = {"summary", "review queue"}
    for (category,), rows in queue.sort("title").group_by("category", maintain_order=True):
        title = str(rows["title"][0] or category)
        name = _unique(sheet_title(title), used)
        _category_sheet(wb.create_sheet(name), rows)
    wb.save(path)
    return path


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _category_sheet(ws: Any, rows: pl.DataFrame) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for j, h in enumerate(CATEGORY_HEADERS, start=1):
        put_cell(ws, 1, j, h).font = Font(bold=True)
    for i, r in enumerate(rows.iter_rows(named=True), start=2):
        expl = r["candidate_explanations"] or []
        values: list[tuple[Any, str | None]] = [
            (_client(r["party_names"]), None), (r["label"] or r["record_id"], None),
            (SYSTEM_NAMES.get(r["system"], r["system"]), None),
            (r["record_date"], DATE_FORMAT),
            (None if r["amount_cents"] is None else cents_to_decimal(r["amount_cents"]),
             currency_format(r["currency"])),
            (r["age_days"], None), (r["detail"], None), (expl[0] if expl else None, None),
            (r["decision"], None), (r["exception_id"], None)]
        for j, (v, fmt) in enumerate(values, start=1):
            put_cell(ws, i, j, v, fmt)
    for j, width in enumerate([30, 26, 16, 12, 18, 10, 60, 60, 10, 22], start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(CATEGORY_HEADERS))}{rows.height + 1}"
