"""Comparison keys for party names and document references, as polars expressions.

Each expression has a scalar twin (`*_str`) that runs the very same expression on a one-row
Series, so the vectorised and the scalar path can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import polars as pl

# Letters NFKD does not decompose into base letter + combining mark.
_LIGATURES: Final[dict[str, str]] = {
    "Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "SS", "Ø": "O", "ø": "o",
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Þ": "TH", "þ": "th",
}

# Company legal forms, removed as whole words wherever they appear (after dotted acronyms such
# as "S.A.R.L." were collapsed to "SARL").
LEGAL_FORMS: Final[tuple[str, ...]] = (
    "SAS", "SASU", "SARL", "SARLU", "SA", "EURL", "SNC", "SCI", "SCOP", "SCA", "SE", "GMBH",
    "AG", "KG", "LTD", "LIMITED", "LLC", "INC", "CORP", "PLC", "BV", "NV", "SPA", "SRL", "SL",
)
# Words meaning "company" / "establishment" that some systems put in front of the name.
LEADING_WORDS: Final[tuple[str, ...]] = ("STE", "SOCIETE", "ETS", "ETABLISSEMENTS")

_LEGAL_RE: Final = r"\b(?:" + "|".join(sorted(LEGAL_FORMS, key=len, reverse=True)) + r")\b"
_LEADING_RE: Final = r"^(?:(?:" + "|".join(LEADING_WORDS) + r") )+"
# Dotted acronyms of 5 down to 2 single letters ("S.A.R.L.", "S.A.", "J.P.") are collapsed;
# the character after the acronym is consumed and replaced by a space (punctuation becomes a
# space anyway), which stands in for a look-ahead the regex engine does not have.
_DOTTED_RE: Final = [
    (r"\b" + r"\.".join([r"(\p{L})"] * n) + r"\.?(?:[^\p{L}\p{N}]|$)",
     "".join(f"${{{i}}}" for i in range(1, n + 1)) + " ")
    for n in (5, 4, 3, 2)
]


def _strip_accents(s: pl.Expr) -> pl.Expr:
    s = s.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
    for src, dst in _LIGATURES.items():
        s = s.str.replace_all(src, dst, literal=True)
    return s


def normalize_name(expr: pl.Expr) -> pl.Expr:
    """Normalised company name: the key two systems' spellings of one party share (computed
    once per distinct name: a month repeats each client's name on every payment).

    Steps: accents stripped (NFKD + ligature map), upper case, `&` -> ` ET `, dotted acronyms
    collapsed (`S.A.S.` -> `SAS`, `J.P.` -> `JP`), every other non-alphanumeric character
    -> space, legal forms (`LEGAL_FORMS`) removed as whole words anywhere, then leading
    `STE`/`STÉ`/`SOCIETE`/`ETS`/`ETABLISSEMENTS` removed, spaces collapsed and trimmed.
    A name that is empty afterwards (e.g. just "SAS") becomes null, so it never joins.
    Example: "Sté Dupont & Fils S.A.S." -> "DUPONT ET FILS".
    """
    return expr.cast(pl.String).map_batches(_once_per_distinct(_normalized_name),
                                            return_dtype=pl.String, is_elementwise=True)


def _once_per_distinct(fn: Callable[[pl.Expr], pl.Expr]) -> Callable[[pl.Series], pl.Series]:
    """Run a (costly, elementwise) string expression once per distinct value of a Series."""

    def run(s: pl.Series) -> pl.Series:
        distinct = s.drop_nulls().unique()
        out = pl.select(fn(pl.lit(distinct, dtype=pl.String))).to_series()
        return s.replace_strict(distinct, out, default=None, return_dtype=pl.String)

    return run


def _normalized_name(expr: pl.Expr) -> pl.Expr:
    s = _strip_accents(expr).str.to_uppercase()
    s = s.str.replace_all("&", " ET ", literal=True)
    for pattern, repl in _DOTTED_RE:
        s = s.str.replace_all(pattern, repl)
    s = s.str.replace_all(r"[^\p{L}\p{N}]+", " ")
    s = s.str.replace_all(_LEGAL_RE, " ")
    s = s.str.replace_all(r" +", " ").str.strip_chars()
    s = s.str.replace(_LEADING_RE, "").str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s)


def ocr_digits(s: pl.Expr) -> pl.Expr:
    """Upper-case text: O -> 0 and I/L -> 1 where the letter touches a digit and no other
    letter."""
    for letters, digit in (("O", "0"), ("[IL]", "1")):
        s = s.str.replace_all(rf"(^|[^A-Z]){letters}([0-9])", f"${{1}}{digit}${{2}}")
        s = s.str.replace_all(rf"([0-9]){letters}([^A-Z]|$)", f"${{1}}{digit}${{2}}")
    return s


def compact_reference(expr: pl.Expr) -> pl.Expr:
    """A document number as typed, minus separators and OCR-like letters, zeros kept:
    `F-2026-0O4217` -> `F2026004217`. For edit-distance comparisons, where dropping leading
    zeros (as `reference_key` does) would turn a one-character typo into several edits."""
    s = ocr_digits(expr.cast(pl.String).str.to_uppercase())
    return s.str.replace_all(r"[^0-9A-Z]", "")


def reference_key(expr: pl.Expr) -> pl.Expr:
    """Comparison key of an invoice, contract or PO number, robust to how it was retyped.

    Exact rule, in order:
    1. upper case, outer spaces stripped;
    2. OCR-like letters: an `O` (-> `0`) or an `I`/`L` (-> `1`) that touches a digit on one
       side and has no letter A-Z on the other side (a digit, a separator or the end of the
       text), e.g. `0O4`, `-O04`, `421O`; letters inside a letter run (`FOL2024`, `INV-`)
       stay (one left-side then one right-side pass: `1O0O2` -> `10002`);
    3. leading zeros of every digit group are dropped, a group being delimited by any
       non-digit in the text as written (`F-2026-004217` -> `F-2026-4217`; a lone `0` stays);
    4. every character other than A-Z and 0-9 is removed;
    5. zeros right after a year (19xx/20xx) that opens a digit run are dropped, because the
       year-then-sequence shape loses its separator when retyped (`F2026004217` ->
       `F20264217`, `2026004217` -> `20264217`).
    So `F-2026-004217`, `F2026004217`, `f 2026 4217` and `F-2026-0O4217` all give
    `F20264217`. A one-letter I/L/O prefix glued to digits (`L2024`) reads as a digit: both
    sides of a comparison get the same key, so equality is kept. Empty keys are null.
    """
    s = expr.cast(pl.String).str.to_uppercase().str.strip_chars()
    s = ocr_digits(s)
    s = s.str.replace_all(r"(^|[^0-9])0+([0-9])", "${1}${2}")
    s = s.str.replace_all(r"[^0-9A-Z]", "")
    s = s.str.replace_all(r"(^|[A-Z])((?:19|20)[0-9]{2})0+([0-9])", "${1}${2}${3}")
    return pl.when(s.str.len_chars() > 0).then(s)


def _scalar(fn: object, value: str | None) -> str:
    out = pl.select(fn(pl.lit(value, dtype=pl.String))).item()  # type: ignore[operator]
    return out or ""


def normalize_name_str(s: str | None) -> str:
    """Scalar twin of `normalize_name` ("" where the expression gives null)."""
    return _scalar(normalize_name, s)


def reference_key_str(s: str | None) -> str:
    """Scalar twin of `reference_key` ("" where the expression gives null)."""
    return _scalar(reference_key, s)
