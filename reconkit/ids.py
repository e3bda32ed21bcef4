"""Salesforce record ids: 15-character (case-sensitive) to 18-character (checksummed) form.

Reports give 15-character ids, the API and Data Loader 18-character ones; every id is
normalised to 18 characters before joining so both forms of the same record meet.
The checksum: split the 15 characters into three chunks of 5; for each chunk, bit i is set when
character i is an upper-case letter; the 5-bit number indexes `ABCDEFGHIJKLMNOPQRSTUVWXYZ012345`.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE: Final = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-5]{3})?$")
KEY_PREFIXES: Final[dict[str, str]] = {"001": "Account", "006": "Opportunity",
                                       "800": "Contract", "003": "Contact", "005": "User",
                                       "00k": "OpportunityLineItem"}


def sf_checksum(id15: str) -> str:
    """The 3-character suffix that turns a 15-character Salesforce id into its 18 form."""
    suffix = []
    for chunk in range(3):
        bits = sum(1 << i for i, ch in enumerate(id15[chunk * 5:chunk * 5 + 5])
                   if "A" <= ch <= "Z")
        suffix.append(_ALPHABET[bits])
    return "".join(suffix)


def is_sf_id(value: str) -> bool:
    """True for a well-formed 15-character id or an 18-character id whose checksum matches."""
    if not _ID_RE.match(value):
        return False
    return len(value) == 15 or sf_checksum(value[:15]) == value[15:].upper()


def to_sf18(value: str) -> str:
    """Normalise a Salesforce id to 18 characters; raise ValueError when it is not one."""
    value = value.strip()
    if not is_sf_id(value):
        raise ValueError(f"not a Salesforce id: {value!r}")
    return value[:15] + sf_checksum(value[:15])


def sf_object(value: str) -> str | None:
    """The object an id belongs to, from its 3-character key prefix (None when unknown)."""
    return KEY_PREFIXES.get(value[:3])


_UPPER: Final = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
_OTHER: Final = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789")
# the 5 characters of a chunk as upper-case flags ("10010": 1st and 4th upper) -> letter
_CHUNK_LETTER: Final = {"".join("1" if v >> i & 1 else "0" for i in range(5)): _ALPHABET[v]
                        for v in range(32)}


def sf18_expr(col: pl.Expr) -> pl.Expr:
    """Vectorised `to_sf18`: 15- or 18-character ids to 18; anything else (or a bad checksum)
    becomes null, so the caller can quarantine the raw value."""
    return col.cast(pl.String).map_batches(_sf18, return_dtype=pl.String)


def _sf18(ids: pl.Series) -> pl.Series:
    """`sf18_expr` on a column: each step once (an expression would repeat the shared ones).

    Characters become upper-case flags in one multi-pattern pass (characters an id cannot
    hold stay as they are: that id is not well formed), each 5-flag chunk its suffix letter
    by one lookup.
    """
    s = ids.str.strip_chars()
    head = s.str.slice(0, 15)
    flags = head.str.replace_many(_UPPER + _OTHER, ["1"] * len(_UPPER) + ["0"] * len(_OTHER))
    frame = pl.DataFrame({"s": s, "head": head}).with_columns(pl.concat_str(
        flags.str.slice(chunk * 5, 5).replace_strict(_CHUNK_LETTER, default=None,
                                                     return_dtype=pl.String)
        for chunk in range(3)).alias("suffix"))
    well_formed = pl.col("s").str.contains(_ID_RE.pattern)
    checksum_ok = (pl.col("s").str.len_chars() == 15) \
        | (pl.col("s").str.slice(15, 3).str.to_uppercase() == pl.col("suffix"))
    return frame.select(pl.when(well_formed & checksum_ok).then(pl.col("head") + pl.col(
        "suffix")).otherwise(None)).to_series().alias(ids.name)


def sf_ref_expr(col: pl.Expr) -> pl.Expr:
    """A cross-reference that may hold a Salesforce id: 15-character ids become 18, anything
    else (another system's id, an already 18-character id) is kept as given."""
    s = col.cast(pl.String).str.strip_chars()
    return pl.when(s.str.contains(r"^[A-Za-z0-9]{15}$") & s.str.contains(r"[A-Za-z]")) \
        .then(sf18_expr(s)).otherwise(s)
