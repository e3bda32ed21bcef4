"""Money as integer minor units (cents). Never a float, end to end.

Parsing happens on strings with polars string expressions so that `1 234,56`, `1.234,56`,
`150,00-`, `(12.00)` and `000000000012000,00` all become exact integer cents.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import polars as pl

_CURRENCY_EXPONENT = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "XOF": 0, "XAF": 0, "BHD": 3,
                      "KWD": 3, "OMR": 3, "TND": 3, "JOD": 3}


NON_CENT_CURRENCIES = tuple(sorted(_CURRENCY_EXPONENT))  # currencies whose exponent is not 2


def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of an ISO 4217 currency (2 unless known otherwise)."""
    return _CURRENCY_EXPONENT.get(currency.upper(), 2)


def parse_amount_expr(
    col: pl.Expr,
    *,
    decimal: str = ".",
    thousands: str | None = None,
    scale: int = 2,
) -> pl.Expr:
    """Parse amount strings into Int64 minor units; unparsable text yields null.

    Handles leading/trailing sign, parentheses for negatives, spaces (incl. narrow no-break)
    and the given thousands separator. Rounds half away from zero if more decimals than `scale`
    are given (via Decimal, never float).
    """
    s = col.cast(pl.String).str.strip_chars()
    s = s.str.replace_all(r"[\s\u00a0\u202f']", "")
    if thousands and thousands not in (" ", "'"):
        s = s.str.replace_all(re.escape(thousands), "", literal=False)
    if decimal != ".":
        s = s.str.replace_all(re.escape(decimal), ".")
    neg_paren = s.str.starts_with("(") & s.str.ends_with(")")
    s = s.str.strip_chars("()")
    trailing_minus = s.str.ends_with("-")
    trailing_plus = s.str.ends_with("+")
    s = pl.when(trailing_minus).then(pl.lit("-") + s.str.strip_chars_end("-")).otherwise(s)
    s = pl.when(trailing_plus).then(s.str.strip_chars_end("+")).otherwise(s)
    s = pl.when(neg_paren).then(pl.lit("-") + s).otherwise(s)
    s = s.str.replace(r"^\+", "")
    valid = s.str.contains(r"^-?(\d+\.?\d*|\.\d+)$")
    dec = s.cast(pl.Decimal(38, scale + 2), strict=False)
    cents = (dec * (10**scale)).round(0, mode="half_away_from_zero").cast(pl.Int64, strict=False)
    return pl.when(valid).then(cents).otherwise(None)


def to_cents(value: str | int | Decimal, scale: int = 2) -> int:
    """Scalar helper: parse one amount (dot decimal) to exact integer minor units."""
    try:
        d = Decimal(str(value).strip().replace(" ", ""))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    q = (d * (10**scale)).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    return int(q)


def format_cents(cents: int, *, decimal: str = ".", scale: int = 2) -> str:
    """Format integer minor units as a plain decimal string (e.g. 123456 -> '1234.56')."""
    sign = "-" if cents < 0 else ""
    q, r = divmod(abs(int(cents)), 10**scale)
    if scale == 0:
        return f"{sign}{q}"
    return f"{sign}{q}{decimal}{r:0{scale}d}"


def format_cents_expr(cents: pl.Expr, *, decimal: str = ".", scale: int = 2) -> pl.Expr:
    """Vectorised `format_cents`: 1200000 -> "12000.00" (or "12000,00")."""
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    units = (cents.abs() // 10**scale).cast(pl.String)
    if scale == 0:
        return sign + units
    minor = (cents.abs() % 10**scale).cast(pl.String).str.zfill(scale)
    return sign + units + pl.lit(decimal) + minor
