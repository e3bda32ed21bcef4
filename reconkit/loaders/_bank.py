"""Pieces shared by the bank statement loaders (camt.053, MT940, CFONB 120).

Each loader walks its format and collects one dict of raw values per payment; this module
turns those dicts into the canonical `payments` frame (dates parsed vectorised, unparsable
rows quarantined with their raw value) and words the balance-check warnings the same way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from stdnum import iban as _iban
from stdnum import iso11649

from reconkit.errors import ConfigError, SourceFormatError
from reconkit.loaders._text import read_text
from reconkit.loaders.base import Loaded
from reconkit.money import currency_exponent, format_cents, to_cents
from reconkit.schemas import QUARANTINE_COLUMNS, PolarsDataType, conform

SYSTEM: Final = "bank"

RAW_SCHEMA: Final[dict[str, PolarsDataType]] = {
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
    if len(raw.split(".")[0].lstrip("0")) > 16:
        return MAX_CENTS  # beyond any booking (callers quarantine it as too large)
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


def raw_payments(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Raw payment dicts (see `RAW_SCHEMA`) as a frame, in order."""
    return pl.DataFrame(rows, schema=RAW_SCHEMA)


def _fill_rf_references(raw: pl.DataFrame) -> pl.DataFrame:
    """A payment without a structured reference gets the RF reference quoted in its text.

    Only the rows whose remittance text holds `RF` are checked (ISO 11649 checksum, in
    Python); the others cannot quote one.
    """
    need = pl.col("structured_ref").is_null() & pl.col("remittance").str.contains(
        "RF", literal=True)
    found = raw.with_row_index("__i").filter(need).select("__i", "remittance")
    if not found.height:
        return raw
    refs = pl.Series([rf_reference(t) for t in found["remittance"].to_list()],
                     dtype=pl.String)
    return raw.with_columns(raw["structured_ref"].clone().scatter(found["__i"], refs))


def payments_frame(
    rows: list[dict[str, Any]] | pl.DataFrame,
    issues: list[RowIssue],
    *,
    source_file: str,
    date_format: str,
    date_hint: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Build the canonical payments frame and its quarantine from raw payments.

    `rows` are dicts or a frame of `RAW_SCHEMA`. Dates arrive as text in `date_format` and
    are parsed vectorised; a row whose date text cannot be read is quarantined (reason
    `not a date (expected <date_hint>)`), as are the `issues` the loader found while walking
    the file. Row order is file order. A payment
    without a structured reference gets the valid RF creditor reference quoted in its
    remittance text, if any: banks often carry it there (MT940 /REMI/, CFONB LCC).
    """
    raw = _fill_rf_references(rows if isinstance(rows, pl.DataFrame) else raw_payments(rows))
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


# --- limits, options, files: what every bank loader checks the same way -------------------

MAX_CENTS: Final = 10**15  # 10 000 000 000 000.00: above this an amount is corrupted data
TOO_LARGE: Final = ("amount too large (more than 10 000 000 000 000): the value is corrupted "
                    "or not an amount")


def too_large(cents: int | None) -> bool:
    """True when an amount is beyond any real bank booking (and would overflow Int64 sums)."""
    return cents is not None and abs(cents) >= MAX_CENTS


def check_options(kind: str, options: dict[str, Any], allowed: frozenset[str],
                  source_file: str) -> None:
    """Reject option keys the loader does not know, suggesting the closest allowed one.

    A typo such as `locle:` must not be silently ignored: the user believes it applies.
    """
    for key in sorted(options):
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
        hint = (f"did you mean '{close[0]}'? " if close else "") + (
            f"{kind} sources accept: {', '.join(sorted(allowed))}" if allowed
            else f"{kind} sources take no options")
        raise ConfigError(f"unknown option '{key}' for source kind {kind}",
                          source_file=source_file, hint=hint)


def zone(name: str, source_file: str) -> ZoneInfo:
    """The company time zone named by the `timezone` option, or a ConfigError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder of zones
        raise ConfigError(f"unknown time zone '{name}'", source_file=source_file,
                          hint="use an IANA time zone name such as Europe/Paris") from None


def local_date(text: str | None, tz: ZoneInfo) -> str | None:
    """`YYYY-MM-DD` of an ISO date or date-time in the company time zone.

    A date-time with an offset (`2014-01-04T23:00:00Z`) is converted to `tz` (here the 5th
    in Paris); one without an offset is already local. Unreadable text is returned as is so
    that the date parser quarantines it with its value.
    """
    if text is None or len(text) <= 10:
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.date().isoformat()


def read_statement_text(path: Path, encoding: str | None) -> str:
    """The text of a statement file, or a SourceFormatError saying it cannot be decoded."""
    try:
        text, _ = read_text(path, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        detail = f"{exc.reason} at byte {exc.start}" if isinstance(
            exc, UnicodeDecodeError) else str(exc)
        raise SourceFormatError(
            f"the file cannot be read as text ({detail})", source_file=path.name,
            hint="check that this is the statement file itself (not a PDF or a spreadsheet); "
                 "if it is, set `encoding:` in the source options (e.g. cp1252, latin-1)",
        ) from None
    return text


def statement_files(path: Path, suffixes: tuple[str, ...], what: str) -> list[Path]:
    """The files to read for a source `path:`: the file itself, or a folder's statement files.

    A folder is read whole, file by file in name order (a month of daily statements is a
    folder of files); files with other extensions (README, PDF copies) are left out, and a
    folder without any statement file is an error rather than an empty month.
    """
    if not path.exists():
        raise SourceFormatError(f"{path} does not exist", source_file=path.name,
                                hint="check `path:` in the run config")
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(path).parts)
        and p.suffix.lower() in suffixes)
    if not files:
        raise SourceFormatError(
            f"the folder holds no {what} file (looked for {', '.join(suffixes)})",
            source_file=path.name,
            hint="point `path:` at the statement file, or at a folder holding them")
    return files


def combine(parts: list[Loaded], warnings: list[str] | None = None) -> Loaded:
    """One Loaded from several files' (tables, quarantine, counts, statements)."""
    if len(parts) == 1 and not warnings:
        return parts[0]
    tables = {t: pl.concat([p.tables[t] for p in parts if t in p.tables], how="vertical")
              for t in sorted({t for p in parts for t in p.tables})}
    return Loaded(
        tables=tables,
        quarantine=pl.concat([p.quarantine for p in parts], how="vertical"),
        rows_read=_sum_counts(p.rows_read for p in parts),
        rows_skipped=_sum_counts(p.rows_skipped for p in parts),
        rows_quarantined=_sum_counts(p.rows_quarantined for p in parts),
        statements=tuple(s for p in parts for s in p.statements),
        warnings=tuple(w for p in parts for w in p.warnings) + tuple(warnings or ()),
    )


def _sum_counts(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        for f, n in c.items():
            out[f] = out.get(f, 0) + n
    return out
