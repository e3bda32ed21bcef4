"""Pieces shared by the bank statement loaders (camt.053, MT940, CFONB 120).

Each loader walks its format and collects one dict of raw values per payment; this module
turns those dicts into the canonical `payments` frame (dates parsed vectorised, unparsable
rows quarantined with their raw value) and words the balance-check warnings the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import polars as pl
from stdnum import iban as _iban
from stdnum import iso11649

from reconkit.money import currency_exponent, format_cents, to_cents
from reconkit.schemas import QUARANTINE_COLUMNS, PolarsDataType, conform

SYSTEM: Final = "bank"

_RAW_SCHEMA: Final[dict[str, PolarsDataType]] = {
    "record_id": pl.String, "source_row": pl.Int64, "entry_ref": pl.String,
    "booking_date": pl.String, "value_date": pl.String, "amount_cents": pl.Int64,
    "currency": pl.String, "payer_name": pl.String, "payer_iban": pl.String,
    "remittance": pl.String, "structured_ref": pl.String, "end_to_end_id": pl.String,
    "bank_tx_code": pl.String, "is_reversal": pl.Boolean, "account_id": pl.String,
}
_DATE_COLUMNS: Final = ("booking_date", "value_date")
_AMOUNT_RE: Final = re.compile(r"\d+(\.\d*)?")
_RF_RE: Final = re.compile(r"\bRF\d{2}[A-Z0-9]{1,21}\b")


@dataclass(frozen=True)
class RowIssue:
    """A value a loader could not parse: becomes one quarantine row."""

    source_row: int
    column: str
    value: str | None
    reason: str


def parse_cents(text: str | None, currency: str | None, *, decimal: str = ".") -> int | None:
    """Exact minor units of an unsigned statement amount (`1234.56`, `1234,56`, `400,`).

    None when the text is not such an amount, so the caller can quarantine it.
    """
    if text is None:
        return None
    raw = text.strip().replace(decimal, ".")
    if not _AMOUNT_RE.fullmatch(raw):
        return None
    return to_cents(raw, scale=currency_exponent(currency or ""))


def iban_or_none(text: str | None) -> str | None:
    """The compact IBAN if `text` is a checksum-valid IBAN, else None."""
    if not text:
        return None
    compact = text.replace(" ", "").upper()
    return compact if _iban.is_valid(compact) else None


def rf_reference(text: str | None) -> str | None:
    """The first checksum-valid ISO 11649 creditor reference (RF...) quoted in free text."""
    if not text or "RF" not in text:
        return None
    return next((m for m in _RF_RE.findall(text) if iso11649.is_valid(m)), None)


def clean(text: str | None) -> str | None:
    """Collapse whitespace runs; empty text becomes None."""
    if text is None:
        return None
    out = " ".join(text.split())
    return out or None


def payments_frame(
    rows: list[dict[str, Any]],
    issues: list[RowIssue],
    *,
    source_file: str,
    date_format: str,
    date_hint: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Build the canonical payments frame and its quarantine from raw payment dicts.

    Dates arrive as text in `date_format` and are parsed vectorised; a row whose date text
    cannot be read is quarantined (reason `not a date (expected <date_hint>)`), as are the
    `issues` the loader found while walking the file. Row order is file order. A payment
    without a structured reference gets the valid RF creditor reference quoted in its
    remittance text, if any: banks often carry it there (MT940 /REMI/, CFONB LCC).
    """
    for row in rows:
        if row.get("structured_ref") is None:
            row["structured_ref"] = rf_reference(row.get("remittance"))
    raw = pl.DataFrame(rows, schema=_RAW_SCHEMA)
    raw = raw.with_columns(pl.lit(SYSTEM).alias("system"),
                           pl.lit(source_file).alias("source_file"))
    parsed = raw.with_columns(
        pl.col(c).str.strip_chars().str.to_date(date_format, strict=False).alias(f"__{c}")
        for c in _DATE_COLUMNS
    )
    bad_dates = [
        parsed.filter(pl.col(c).is_not_null() & pl.col(f"__{c}").is_null()).select(
            pl.lit(SYSTEM).alias("system"), pl.lit(source_file).alias("source_file"),
            "source_row", pl.lit(c).alias("column"), pl.col(c).alias("value"),
            pl.lit(f"not a date (expected {date_hint})").alias("reason"),
        )
        for c in _DATE_COLUMNS
    ]
    any_bad = pl.any_horizontal(
        pl.col(c).is_not_null() & pl.col(f"__{c}").is_null() for c in _DATE_COLUMNS)
    good = parsed.filter(~any_bad).drop(list(_DATE_COLUMNS)).rename(
        {f"__{c}": c for c in _DATE_COLUMNS})
    issue_frame = pl.DataFrame(
        [(SYSTEM, source_file, i.source_row, i.column, i.value, i.reason) for i in issues],
        schema=QUARANTINE_COLUMNS, orient="row",
    )
    quarantine = pl.concat([issue_frame, *bad_dates], how="vertical").sort(
        "source_row", "column", maintain_order=True)
    return conform("payments", good), quarantine


def balance_warning(
    source_file: str, statement: str, opening: int, movements: int, closing: int,
    currency: str,
) -> str | None:
    """A warning when opening + movements != closing, naming the statement and both figures."""
    if opening + movements == closing:
        return None
    scale = currency_exponent(currency)
    return (f"{source_file}: statement {statement}: opening balance "
            f"{format_cents(opening, scale=scale)} + movements "
            f"{format_cents(movements, scale=scale)} = "
            f"{format_cents(opening + movements, scale=scale)} {currency}, but the closing "
            f"balance is {format_cents(closing, scale=scale)} {currency}")
