"""Reading saved API responses (Salesforce, HubSpot, Stripe) into canonical columns.

Shared by the loaders of saved JSON/CSV exports and by the connectors, which write their local
snapshot in the same shapes. Loaders build raw columns (text, or whole numbers as decoded),
then `parse_fields` parses them with vectorised polars expressions; a value that does not
parse is quarantined with its raw text instead of being silently nulled.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.money import NON_CENT_CURRENCIES, currency_exponent, parse_amount_expr
from reconkit.schemas import QUARANTINE_COLUMNS, PolarsDataType, empty_quarantine

LINEAGE_RAW = ("source_file", "source_row")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while decoding a large response.

    Decoding allocates millions of small objects, none in a reference cycle; each allocation
    burst would otherwise trigger collections that walk all of them again (about half of the
    decoding time of a 150 MB Stripe export).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_json_document(path: Path, source: str) -> Any:
    """Decode a saved API response; numbers with decimals become Decimal, never float."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            f"this {source} file is not UTF-8 text", source_file=path.name,
            hint="save the API response as UTF-8 JSON, as the API sends it") from exc
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(
            f"this {source} file is not valid JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}); it may be truncated", source_file=path.name, row=exc.lineno,
            hint="download or save the API response again, completely") from exc


def as_text(value: Any) -> str | None:
    """A JSON scalar as the string a person would read; blanks become None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    text = str(value).strip()
    return text or None


def string_frame(rows: Sequence[Mapping[str, str | int | None]],
                 columns: Sequence[str]) -> pl.DataFrame:
    """Flattened records as a frame: lineage columns typed, every other column a string."""
    schema: dict[str, PolarsDataType] = {c: pl.String for c in columns}
    schema["source_row"] = pl.Int64
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in columns}, schema=schema)


@dataclass(frozen=True)
class Field:
    """One canonical column parsed from a raw string column; `reason` explains a failure."""

    column: str
    raw: str
    expr: pl.Expr
    reason: str | pl.Expr  # an expression when the reason depends on the value
    # the usual shape, parsed cheaply; where it gives null, `expr` parses the rest
    fast: pl.Expr | None = None


def parse_fields(raw: pl.DataFrame, fields: Sequence[Field], system: str,
                 passthrough: dict[str, pl.Expr] | None = None,
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse `fields`; rows where a present raw value does not parse go to quarantine.

    Returns (rows that parsed, with the canonical columns plus `passthrough` ones, and the
    quarantine rows, one per failing column).
    """
    parsed = raw.with_columns(
        *((f.expr if f.fast is None else f.fast).alias(f"__p_{f.column}") for f in fields),
        *((e.alias(name) for name, e in (passthrough or {}).items())),
    )
    for f in fields:
        if f.fast is not None:
            parsed = _retry(parsed, f)
    failures = [
        parsed.filter(pl.col(f.raw).is_not_null() & pl.col(f"__p_{f.column}").is_null())
        .select(pl.lit(system).alias("system"), "source_file", "source_row",
                pl.lit(f.column).alias("column"), pl.col(f.raw).cast(pl.String).alias("value"),
                (pl.lit(f.reason) if isinstance(f.reason, str) else f.reason).alias("reason"))
        for f in fields
    ]
    # polars types cast()'s mapping with an invariant key union (pola-rs/polars#14468)
    quarantine = (
        pl.concat([empty_quarantine(), *failures], how="vertical")
        .cast(QUARANTINE_COLUMNS)  # type: ignore[arg-type]
        .sort("source_file", "source_row", "column")
    )
    bad = quarantine.select(*LINEAGE_RAW).unique()
    kept = parsed.join(bad, on=list(LINEAGE_RAW), how="anti", maintain_order="left")
    out = kept.select(
        pl.lit(system).alias("system"), *LINEAGE_RAW,
        *(pl.col(f"__p_{f.column}").alias(f.column) for f in fields),
        *(pl.col(name) for name in (passthrough or {})),
    )
    return out, quarantine


def _retry(parsed: pl.DataFrame, f: Field) -> pl.DataFrame:
    """Parse with the full `expr` the values the `fast` one left null (the odd ones only)."""
    out = f"__p_{f.column}"
    retry = parsed[f.raw].is_not_null() & parsed[out].is_null()
    if not retry.any():
        return parsed
    values = parsed.filter(retry).select(f.expr).to_series()
    return parsed.with_columns(parsed[out].scatter(retry.arg_true(), values))


def text_expr(col: str) -> pl.Expr:
    """A raw string column kept as text (never fails)."""
    return pl.col(col)


def int_expr(col: str) -> pl.Expr:
    """Whole numbers given as text (Stripe minor units, Unix seconds)."""
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def cents_expr(amount: pl.Expr, currency: pl.Expr, *, decimal: str = ".",
               thousands: str | None = None) -> pl.Expr:
    """Major-unit amount text to minor units, using each row's currency exponent (JPY 0,
    KWD 3, most 2); never via float."""
    expr = parse_amount_expr(amount, decimal=decimal, thousands=thousands, scale=2)
    for scale in (0, 3):
        codes = [c for c in NON_CENT_CURRENCIES if currency_exponent(c) == scale]
        expr = pl.when(currency.is_in(codes)).then(
            parse_amount_expr(amount, decimal=decimal, thousands=thousands, scale=scale)
        ).otherwise(expr)
    return expr


def plain_cents_expr(amount: pl.Expr, currency: pl.Expr, *, decimal: str = ".") -> pl.Expr:
    """`cents_expr` for the usual shape only (`-1234.5`, with the file's decimal mark, in a
    2-decimal currency), null for anything else: one regex and a cast instead of a dozen
    string passes. Rounds like `cents_expr` (same decimal precision)."""
    s = amount.str.strip_chars()
    mark = re.escape(decimal)
    plain = s.str.contains(rf"^[+-]?(\d+({mark}\d*)?|{mark}\d+)$")
    dot = s if decimal == "." else s.str.replace(decimal, ".", literal=True)
    cents = (dot.cast(pl.Decimal(38, 4), strict=False) * 100).round(
        0, mode="half_away_from_zero").cast(pl.Int64, strict=False)
    return pl.when(plain & ~currency.is_in(NON_CENT_CURRENCIES)).then(cents)


def percent_bp_expr(col: str, *, decimal: str = ".", thousands: str | None = None) -> pl.Expr:
    """A percentage ("10.0", "10,5 %") as basis points (1000 = 10 %)."""
    s = pl.col(col).str.replace_all("%", "").str.strip_chars()
    return parse_amount_expr(s, decimal=decimal, thousands=thousands, scale=2)


_TRUE = ["true", "1", "yes", "y", "oui", "vrai", "x"]
_FALSE = ["false", "0", "no", "n", "non", "faux"]


def bool_expr(col: str) -> pl.Expr:
    """true/false as written by Salesforce, HubSpot, or a localised report."""
    s = pl.col(col).str.strip_chars().str.to_lowercase()
    return pl.when(s.is_in(_TRUE)).then(True).when(s.is_in(_FALSE)).then(False) \
        .otherwise(None).cast(pl.Boolean)


# Unix seconds of 1900-01-01 and 2200-01-01: a business date outside is a wrong unit or
# a typo, and polars cannot convert the far ones (it panics)
_EPOCH_MIN, _EPOCH_MAX = -2_208_988_800, 7_258_118_400
_MILLIS_FROM = 100_000_000_000  # 12 digits: in seconds the year 5138, in ms 1973
NOT_TIMESTAMP = "not a Unix timestamp (expected whole seconds)"
MILLIS_TIMESTAMP = ("timestamp in milliseconds? expected Unix seconds (10 digits, e.g. "
                    "1709283600)")


def epoch_date_expr(seconds: pl.Expr, tz: str) -> pl.Expr:
    """Unix seconds (Int64) to the business date in the company time zone; null outside
    1900-2200 (see `epoch_reason`)."""
    ok = seconds.is_between(_EPOCH_MIN, _EPOCH_MAX, closed="left")
    return pl.from_epoch(pl.when(ok).then(seconds), time_unit="s") \
        .dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.date()


def epoch_reason(seconds: pl.Expr) -> pl.Expr:
    """Why a timestamp did not become a date: milliseconds, or not a timestamp at all."""
    return pl.when(seconds.abs() >= _MILLIS_FROM).then(pl.lit(MILLIS_TIMESTAMP)) \
        .otherwise(pl.lit(NOT_TIMESTAMP))


def iso_date_expr(col: str, tz: str, date_format: str | None = None) -> pl.Expr:
    """ISO dates or datetimes (UTC or with offset; or ms epoch) to the business date in `tz`.

    A plain date (`2024-02-28`, or `date_format` when given) is taken as is; a datetime is
    converted to the company time zone first, since 23:30 UTC is already tomorrow in Paris.
    """
    s = pl.col(col).str.strip_chars()
    plain = s.str.to_date("%Y-%m-%d", strict=False)
    if date_format:
        plain = s.str.to_date(date_format, strict=False).fill_null(plain)
    is_dt = s.str.contains("T")
    stamp = s.str.replace(r"([+-]\d\d)(\d\d)$", "$1:$2").str.to_datetime(
        time_zone="UTC", strict=False, time_unit="ms")
    local = stamp.dt.convert_time_zone(tz).dt.date()
    millis = pl.from_epoch(s.cast(pl.Int64, strict=False), time_unit="ms") \
        .dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.date()
    is_ms = s.str.contains(r"^\d{11,}$")
    return pl.when(is_ms).then(millis).when(is_dt).then(local).otherwise(plain)
