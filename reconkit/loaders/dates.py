"""Dates as exports write them: strftime-like formats, Unix timestamps and ISO datetimes,
turned into business dates in the company time zone."""

from __future__ import annotations

import re
from typing import Final

import polars as pl

_ISO_DATE: Final = (r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                    r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_TOKENS: Final = {"%d": ("DD", r"\d{1,2}"), "%m": ("MM", r"\d{1,2}"), "%Y": ("YYYY", r"\d{4}"),
                  "%y": ("YY", r"\d{2}"), "%H": ("hh", r"\d{1,2}"), "%M": ("mm", r"\d{1,2}"),
                  "%S": ("ss", r"\d{1,2}"), "%b": ("Mon", r"[^\d\s]+"),
                  "%B": ("Month", r"[^\d\s]+"), "%.f": (".fff", r"\.\d+"),
                  "%z": ("+hhmm", r"[+-]\d{2}:?\d{2}|Z")}
_TOKEN_RE: Final = re.compile(r"%\.f|%.")


def human_formats(formats: tuple[str, ...]) -> str:
    """`%d/%m/%Y` -> `DD/MM/YYYY`, for messages an analyst reads."""
    return " or ".join(_TOKEN_RE.sub(lambda m: _TOKENS.get(m.group(), (m.group(),))[0], f)
                       for f in formats)


def _format_regex(fmt: str) -> str:
    """A strict shape for a format (chrono alone would read `24` as the year 0024)."""
    out, pos = [], 0
    for m in _TOKEN_RE.finditer(fmt):
        out.append(re.escape(fmt[pos:m.start()]))
        out.append(_TOKENS.get(m.group(), ("", r".+?"))[1])
        pos = m.end()
    out.append(re.escape(fmt[pos:]))
    return "^" + "".join(out) + "$"


def date_expr(value: pl.Expr, formats: tuple[str, ...], source_tz: str | None,
              company_tz: str) -> pl.Expr:
    """Parse business dates: the profile's formats, then ISO (Excel cells, exports in UTC).

    Datetimes with `source_tz` are converted to the company time zone before taking the date.
    """
    candidates = []
    for fmt in formats:
        shaped = value.str.contains(_format_regex(fmt))
        if any(t in fmt for t in ("%H", "%M", "%S")):
            parsed = value.str.strptime(pl.Datetime("us"), fmt, strict=False)
            candidates.append(pl.when(shaped).then(_to_business_date(parsed, source_tz,
                                                                     company_tz)))
        else:
            candidates.append(pl.when(shaped).then(
                value.str.strptime(pl.Date, fmt, strict=False)))
    iso = value.str.contains(_ISO_DATE)
    day = value.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if source_tz is not None:
        stamp = value.str.replace(r"(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$", "") \
            .str.replace("T", " ", literal=True)
        parsed = pl.coalesce(
            stamp.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False),
            stamp.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False))
        day = pl.coalesce(_to_business_date(parsed, source_tz, company_tz), day)
    candidates.append(pl.when(iso).then(day))
    return pl.coalesce(candidates)


def _to_business_date(parsed: pl.Expr, source_tz: str | None, company_tz: str) -> pl.Expr:
    if source_tz is None:
        return parsed.dt.date()
    return parsed.dt.replace_time_zone(source_tz, ambiguous="earliest",
                                       non_existent="null") \
        .dt.convert_time_zone(company_tz).dt.date()



