"""Frames to the formats finance teams pass around: Excel workbooks, CSV and Markdown tables.

Excel is written with openpyxl (no xlsxwriter needed), CSV and Excel both through the one
safe writer (`reconkit.safe_export`). Money columns (`*_cents`, Int64) become
exact decimal amounts (`Decimal`, never a float) formatted `#,##0.00`, under the column name
without its `_cents` suffix; list columns are joined with `; `.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from reconkit import safe_export

MONEY_FORMAT = safe_export.MONEY_FORMAT
MAX_SHEET_NAME = safe_export.MAX_SHEET_NAME


def to_xlsx(sheets: Mapping[str, pl.DataFrame], path: Path | str) -> Path:
    """Write one sheet per frame (header frozen, auto-filter on); return the path.

    Goes through `reconkit.safe_export`: text from the data is never a formula."""
    return safe_export.write_xlsx(sheets, path)


def to_csv(df: pl.DataFrame, path: Path | str) -> Path:
    """Write a frame as CSV a spreadsheet opens (list columns joined with `; `, as in
    `to_xlsx`; money stays in integer cents under its `_cents` name); return the path.

    Goes through `reconkit.safe_export`: a text starting with `=`, `+`, `-`, `@`, tab or CR
    is quote-prefixed so that no spreadsheet evaluates it."""
    return safe_export.write_csv(df, path)


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
