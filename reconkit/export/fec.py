"""French FEC writer: balanced entries to the legal 18-column flat file (LPF art. A47 A-1).

Amounts are written from integer cents (`12000,00`: decimal comma, no thousands separator),
dates as AAAAMMJJ, blanks for nulls. Labels are cleaned of characters that would break the
file (the separator, `|`, tabs and newlines). An unbalanced entry is refused: the tax
administration rejects a FEC whose entries do not balance.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

import polars as pl
from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import siren as stdnum_siren

from reconkit.formats.fec import FEC_COLUMNS
from reconkit.money import format_cents, format_cents_expr

_TEXT: Final = ("JournalCode", "JournalLib", "EcritureNum", "CompteNum", "CompteLib",
                "CompAuxNum", "CompAuxLib", "PieceRef", "EcritureLib", "EcritureLet", "Idevise")
_DATES: Final = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
_CENTS: Final = ("debit_cents", "credit_cents", "Montantdevise_cents")
_OPTIONAL: Final = ("Montantdevise_cents", "Idevise")
_MANDATORY: Final = ("JournalCode", "EcritureNum", "EcritureDate", "CompteNum")
_SHOWN: Final = 5


def write_fec(entries: pl.DataFrame, path: Path, *, separator: str = "\t",
              encoding: str = "utf-8", line_ending: str = "\r\n") -> None:
    """Write `entries` (one row per line, in the order given) as a FEC file at `path`.

    Raises ValueError when a column is missing, an amount is not integer cents, a mandatory
    field is empty, an entry does not balance, or a character cannot be encoded.
    """
    if separator not in ("\t", "|", ";"):
        raise ValueError(f"FEC separator must be a tab or '|' (the legal ones) or ';' "
                         f"(got {separator!r}; a comma would clash with the decimal comma)")
    df = _checked(entries)
    _refuse_unbalanced(df)
    fields = [_field(c, separator) for c in _sources()]
    body = df.select(pl.concat_str(fields, separator=separator).alias("line"))
    text = line_ending.join([separator.join(FEC_COLUMNS), *body["line"].to_list()]) + line_ending
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"cannot write the FEC in {encoding}: the character {exc.object[exc.start]!r} "
            f"has no code in that encoding; write UTF-8 or replace it") from exc
    Path(path).write_bytes(data)


def fec_filename(siren: str, closing_date: date) -> str:
    """The legal file name `SirenFECAAAAMMJJ.txt` (AAAAMMJJ = fiscal year closing date)."""
    try:
        number = stdnum_siren.validate(siren)
    except stdnum_exceptions.ValidationError as exc:
        raise ValueError(f"not a valid SIREN: {siren!r} ({exc})") from exc
    return f"{number}FEC{closing_date:%Y%m%d}.txt"


def _checked(entries: pl.DataFrame) -> pl.DataFrame:
    required = [c for c in (*_TEXT, *_DATES, *_CENTS) if c not in _OPTIONAL]
    missing = [c for c in required if c not in entries.columns]
    if missing:
        raise ValueError(f"cannot write a FEC: missing column(s) {', '.join(missing)}")
    df = entries.with_columns(pl.lit(None, pl.Int64).alias(c) if c == "Montantdevise_cents"
                              else pl.lit(None, pl.String).alias(c)
                              for c in _OPTIONAL if c not in entries.columns)
    for c in _CENTS:
        dtype = df.schema[c]
        if not (dtype.is_integer() or dtype == pl.Null):
            raise ValueError(f"column {c} must hold integer cents (Int64), not {dtype}")
    for c in _DATES:
        if df.schema[c] not in (pl.Date, pl.Null):
            raise ValueError(f"column {c} must be a date (pl.Date), not {df.schema[c]}")
    for c in _MANDATORY:
        empty = df.with_row_index("__i").filter(
            pl.col(c).is_null() | (pl.col(c).cast(pl.String).str.strip_chars() == ""))
        if empty.height:
            rows = ", ".join(str(i + 1) for i in empty["__i"].head(_SHOWN).to_list())
            raise ValueError(f"cannot write a FEC: {c} is empty on {empty.height} line(s) "
                             f"(entries rows {rows})")
    return df


def _refuse_unbalanced(df: pl.DataFrame) -> None:
    bad = df.group_by("JournalCode", "EcritureNum", maintain_order=True).agg(
        pl.col("debit_cents").fill_null(0).sum().alias("debit"),
        pl.col("credit_cents").fill_null(0).sum().alias("credit"),
    ).filter(pl.col("debit") != pl.col("credit"))
    if bad.height == 0:
        return
    shown = "; ".join(
        f"entry {r['EcritureNum']} (journal {r['JournalCode']}): debit "
        f"{format_cents(r['debit'])}, credit {format_cents(r['credit'])}"
        for r in bad.head(_SHOWN).iter_rows(named=True))
    more = f" and {bad.height - _SHOWN} more" if bad.height > _SHOWN else ""
    raise ValueError(f"cannot write a FEC with unbalanced entries: {shown}{more}")


def _sources() -> list[str]:
    """Input column for each of the 18 FEC fields, in legal order."""
    cents = {"Debit": "debit_cents", "Credit": "credit_cents",
             "Montantdevise": "Montantdevise_cents"}
    return [cents.get(c, c) for c in FEC_COLUMNS]


def _field(column: str, separator: str) -> pl.Expr:
    col = pl.col(column)
    if column in _DATES:
        text = col.dt.strftime("%Y%m%d")
    elif column == "Montantdevise_cents":
        text = format_cents_expr(col.cast(pl.Int64), decimal=",")
    elif column in _CENTS:
        text = format_cents_expr(col.cast(pl.Int64).fill_null(0), decimal=",")
    else:
        text = _clean_text(col.cast(pl.String), separator)
    return text.fill_null("")


def _clean_text(col: pl.Expr, separator: str) -> pl.Expr:
    """Odoo's rule: `|` becomes `/`, tabs and newlines a space; so does a `;` separator."""
    text = col.str.replace_all("|", "/", literal=True).str.replace_all(r"[\t\r\n]", " ")
    if separator == ";":
        text = text.str.replace_all(";", " ", literal=True)
    return text
