"""Frames to the formats finance teams pass around: Excel workbooks, CSV and Markdown tables.

Excel is written with openpyxl (no xlsxwriter needed). Money columns (`*_cents`, Int64) become
exact decimal amounts (`Decimal`, never a float) formatted `#,##0.00`, under the column name
without its `_cents` suffix; list columns are joined with `; `.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

MONEY_FORMAT = "#,##0.00"
MAX_SHEET_NAME = 31


def _cell(value: Any, money: bool) -> Any:
    if value is None:
        return None
    if money:
        return Decimal(int(value)).scaleb(-2)
    if isinstance(value, list):
        return "; ".join("" if v is None else str(v) for v in value)
    return value


def to_xlsx(sheets: Mapping[str, pl.DataFrame], path: Path | str) -> Path:
    """Write one sheet per frame (header frozen, auto-filter on); return the path."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=name[:MAX_SHEET_NAME])
        money = [c.endswith("_cents") and df.schema[c] == pl.Int64 for c in df.columns]
        ws.append([c.removesuffix("_cents") if m else c for c, m in zip(df.columns, money,
                                                                        strict=True)])
        for row in df.iter_rows():
            ws.append([_cell(v, m) for v, m in zip(row, money, strict=True)])
        for i, is_money in enumerate(money, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = 16 if is_money else 24
            if is_money:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = MONEY_FORMAT
        ws.freeze_panes = "A2"
        if df.width:
            ws.auto_filter.ref = f"A1:{get_column_letter(df.width)}{df.height + 1}"
    wb.save(path)
    return path


def to_csv(df: pl.DataFrame, path: Path | str) -> Path:
    """Write a frame as CSV a spreadsheet opens (list columns joined with `; `, as in
    `to_xlsx`; money stays in integer cents under its `_cents` name); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lists = [c for c, t in df.schema.items() if isinstance(t, pl.List)]
    df.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join("; ") for c in lists) \
        .write_csv(path)
    return path


def to_markdown(df: pl.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes escaped, newlines flattened)."""
    def text(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, list):
            v = "; ".join(str(x) for x in v)
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(df.columns) + " |",
             "|" + "|".join("---" for _ in df.columns) + "|"]
    lines += ["| " + " | ".join(text(v) for v in row) + " |" for row in df.iter_rows()]
    return "\n".join(lines) + "\n"
