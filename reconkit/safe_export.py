"""Export safety: the one writer of CSV and XLSX files that spreadsheets open.

Text coming from data (a payer name, a remittance, a reference) can start with a character a
spreadsheet reads as the start of a formula: `=HYPERLINK(...)`, `+cmd`, `-2+3`, `@SUM(1)`,
tab or carriage return. Following the OWASP CSV-injection rule, such a text cell is written
with a leading single quote (`'=HYPERLINK(...)`), so it is shown as text and never evaluated.
Numbers stay numbers: numeric columns are never touched (a negative amount stays a negative
number) and a text cell that is just a number (`-12.50`) is left as it is, since no
spreadsheet evaluates it. In XLSX every text cell is also stored as a string, never a formula.

Bottom layer (polars and openpyxl only) so that every writer of the project can use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl

TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_RE: Final = r"^[=+\-@\t\r]"
_NUMBER_RE: Final = r"^[+-]?[0-9]+([.,][0-9]+)?$"
MONEY_FORMAT: Final = "#,##0.00"
DATE_FORMAT: Final = "yyyy-mm-dd"
MAX_SHEET_NAME: Final = 31


def neutralise(value: str) -> str:
    """One text cell made safe: a quote before a formula trigger (numbers left alone)."""
    if value and value[0] in TRIGGERS and not re.fullmatch(_NUMBER_RE, value):
        return "'" + value
    return value


def neutralise_expr(expr: pl.Expr) -> pl.Expr:
    """Column-wise `neutralise` (vectorised)."""
    risky = expr.str.contains(_TRIGGER_RE) & ~expr.str.contains(_NUMBER_RE)
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr)


def safe_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The frame with list columns joined by `; ` and every text column neutralised."""
    lists = [c for c, t in df.schema.items() if isinstance(t, pl.List)]
    df = df.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join("; ") for c in lists)
    texts = [c for c, t in df.schema.items() if t in (pl.String, pl.Categorical)]
    return df.with_columns(neutralise_expr(pl.col(c).cast(pl.String)).alias(c) for c in texts)


def write_csv(df: pl.DataFrame, path: Path | str, **options: Any) -> Path:
    """Write a frame as CSV with every text cell neutralised (deterministic bytes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(df).write_csv(path, **options)
    return path


Formatter = Callable[[Any], Any]


def xlsx_value(value: Any) -> Any:
    """A Python value as openpyxl should store it (lists joined, text left intact: the cell
    is forced to a string by `put_cell`)."""
    if isinstance(value, list):
        return "; ".join("" if v is None else str(v) for v in value)
    return value


def put_cell(ws: Any, row: int, column: int, value: Any, number_format: str | None = None
             ) -> Any:
    """Write one cell: text is always a string cell (never a formula; a text starting with a
    formula trigger is also quote-prefixed, as Excel does when a user types `'=`), numbers and
    dates keep their type with `number_format`."""
    cell = ws.cell(row=row, column=column)
    value = xlsx_value(value)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value and value[0] in TRIGGERS:
            cell.quotePrefix = True
    else:
        cell.value = value
        if number_format and isinstance(value, (int, Decimal, float, date, datetime)):
            cell.number_format = number_format
    return cell


def write_sheet(ws: Any, df: pl.DataFrame, *, headers: Sequence[str] | None = None,
                formats: Mapping[str, str] | None = None,
                widths: Mapping[str, int] | None = None,
                converters: Mapping[str, Formatter] | None = None) -> None:
    """A frame into a worksheet: header row frozen, auto-filter on, typed cells.

    `converters` turn a column's values (e.g. cents -> Decimal), `formats` set its number
    format; date columns get `yyyy-mm-dd` unless told otherwise.
    """
    from openpyxl.utils import get_column_letter

    formats = dict(formats or {})
    converters = dict(converters or {})
    for c, t in df.schema.items():
        if t == pl.Date and c not in formats:
            formats[c] = DATE_FORMAT
    heads = list(headers) if headers is not None else list(df.columns)
    for j, h in enumerate(heads, start=1):
        put_cell(ws, 1, j, h).font = _bold()
    for i, row in enumerate(df.iter_rows(), start=2):
        for j, (c, v) in enumerate(zip(df.columns, row, strict=True), start=1):
            if v is not None and c in converters:
                v = converters[c](v)
            put_cell(ws, i, j, v, formats.get(c))
    for j, c in enumerate(df.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = (widths or {}).get(
            c, 16 if c in formats else 24)
    ws.freeze_panes = "A2"
    if df.width:
        ws.auto_filter.ref = f"A1:{get_column_letter(df.width)}{max(df.height + 1, 1)}"


def _bold() -> Any:
    from openpyxl.styles import Font

    return Font(bold=True)


def cents_to_decimal(value: Any) -> Decimal:
    """Integer cents as an exact decimal amount (never a float)."""
    return Decimal(int(value)).scaleb(-2)


def write_xlsx(sheets: Mapping[str, pl.DataFrame], path: Path | str) -> Path:
    """One sheet per frame; money columns (`*_cents`, integers) become amounts formatted
    `#,##0.00` under the name without `_cents`; dates are dates; text is never a formula."""
    from openpyxl import Workbook

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=sheet_title(name))
        money = [c for c in df.columns if c.endswith("_cents") and df.schema[c].is_integer()]
        write_sheet(ws, df, headers=[c.removesuffix("_cents") if c in money else c
                                     for c in df.columns],
                    formats={c: MONEY_FORMAT for c in money},
                    converters={c: cents_to_decimal for c in money})
    wb.save(path)
    return path


def sheet_title(name: str) -> str:
    """A valid, safe worksheet name (no `[]:*?/\\`, at most 31 characters)."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip("' ") or "sheet"
    return clean[:MAX_SHEET_NAME]
