"""Wording keys of billing documents: what a credit note's number, memo and lines say it is.

Computed once per run as columns of the invoices table (see `MatchContext.invoices`), so the
open-item netting and the credit-note rules read the same answer.
"""

from __future__ import annotations

from typing import Final

import polars as pl

# year-end rebates: RFA (remise de fin d'année), ristourne, rebate, bonus de fin d'année
REBATE_PATTERN: Final = (r"(?i)(\bRFA\b|remise\s+(de\s+)?fin\s+d.?ann[ée]e|\bristournes?\b"
                         r"|\brebates?\b|year[\s-]*end|\bbonus\s+(de\s+)?fin\s+d.?ann[ée]e)")
# a month named in a line: "janvier 2026", "Jan 2026", "01/2026", "2026-01"
MONTH_PATTERN: Final = (
    r"(?i)(\b(janv|f[ée]vr|mars|avr|mai|juin|juil|ao[uû]t|sept|oct|nov|d[ée]c|jan|feb|mar|apr|"
    r"may|jun|jul|aug|sep|dec)[a-zéû]*\.?\s+(19|20)\d\d\b|\b(0?[1-9]|1[0-2])/(19|20)\d\d\b"
    r"|\b(19|20)\d\d-(0[1-9]|1[0-2])\b)")
LINE_SEPARATOR: Final = " | "


def rebate_wording(*texts: pl.Expr) -> pl.Expr:
    """True when any of the texts words the document as a year-end rebate."""
    return pl.any_horizontal([t.cast(pl.String).str.contains(REBATE_PATTERN).fill_null(False)
                              for t in texts])


def month_lines(line_text: pl.Expr) -> pl.Expr:
    """How many of the document's lines (joined with " | ") name a month."""
    return (line_text.cast(pl.String).str.split(LINE_SEPARATOR)
            .list.eval(pl.element().str.contains(MONTH_PATTERN)).list.sum()
            .fill_null(0).cast(pl.Int64))
