"""Validated identifiers as join keys: IBAN, SIREN (from SIREN, SIRET or French VAT number).

An identifier that fails its check digits is null rather than a key, so a typo can never
join two parties. Checks run in Python once per distinct value, inside `map_batches`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Final

import polars as pl
from stdnum import iban as _iban
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret
from stdnum.fr import tva as _tva


def _compact(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")


def _per_distinct(fn: Callable[[str], str | None]) -> Callable[[pl.Series], pl.Series]:
    """Lift a scalar check to a Series function that calls it once per distinct value."""

    def run(s: pl.Series) -> pl.Series:
        distinct = s.drop_nulls().unique().to_list()
        mapping = {v: fn(v) for v in distinct}
        return s.replace_strict(list(mapping), list(mapping.values()), default=None,
                                return_dtype=pl.String)

    return run


def is_valid_iban(s: str | None) -> bool:
    """True when `s` (spaces and case ignored) is an IBAN with a valid country format and
    mod-97 check."""
    return bool(s) and bool(_iban.is_valid(str(s)))



_IBAN_SHAPE: Final = re.compile(r"^[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}$")
_LETTER_DIGITS: Final = {ord(c): str(10 + i) for i, c in enumerate(string.ascii_uppercase)}


def _checked_iban(compact: str) -> str | None:
    """The compact IBAN when its shape and ISO 13616 mod-97 check hold (Python integers are
    exact at any length, so the 30-odd digit number is checked in one step)."""
    if not _IBAN_SHAPE.match(compact):
        return None
    rearranged = (compact[4:] + compact[:4]).translate(_LETTER_DIGITS)
    return compact if int(rearranged) % 97 == 1 else None


def normalize_iban(expr: pl.Expr) -> pl.Expr:
    """IBAN in compact form (upper case, no spaces or punctuation); null when invalid.

    ISO 13616 check (country code, 2 check digits, 11-30 alphanumerics, mod-97 of the
    rearranged number equal to 1), run once per distinct value: a month's payment file holds
    tens of thousands of rows but far fewer distinct IBANs.
    """
    return _compact(expr).map_batches(_per_distinct(_checked_iban), return_dtype=pl.String,
                                      is_elementwise=True)


def is_valid_siren(s: str | None) -> bool:
    """True when `s` (spaces ignored) is a 9-digit SIREN with a valid Luhn check."""
    return bool(s) and bool(_siren.is_valid(str(s)))


def _siren_of(v: str) -> str | None:
    if len(v) == 9 and v.isdigit():
        return v if _siren.is_valid(v) else None
    if len(v) == 14 and v.isdigit():
        return v[:9] if _siret.is_valid(v) and _siren.is_valid(v[:9]) else None
    if len(v) == 13 and v.startswith("FR") and v[4:].isdigit():
        return v[4:] if _tva.is_valid(v) and _siren.is_valid(v[4:]) else None
    return None


def siren_from(expr: pl.Expr) -> pl.Expr:
    """The SIREN (9 digits) carried by a SIREN, a SIRET (14 digits) or a French VAT number
    (`FR` + 2-character key + SIREN); spaces, dots and case ignored. Null when the Luhn
    check of the SIREN/SIRET or the VAT key fails, or the value is none of these."""
    return _compact(expr).map_batches(_per_distinct(_siren_of), return_dtype=pl.String,
                                      is_elementwise=True)
