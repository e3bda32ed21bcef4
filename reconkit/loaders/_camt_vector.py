"""`read_entry` vectorised: flat records of simple camt entries into raw payments, in polars.

A simple entry (see `_camt_batch`) has each field at most once and at most one transaction, so
its record is one row of text columns. Every rule of `read_entry` is applied column-wise: the
status filter, amount and sign, the entry reference fallback, company-zone dates, the bank
transaction code, the counterparty by direction, the remittance with its return reason.
The few values the vectorised rules do not cover exactly (amounts that are not plain
`digits[.dd]` in a 2-decimal currency, date-times, amounts of a transaction that differ in
text from the entry's) are computed row by row with the same helpers as `read_entry`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from reconkit.loaders._bank import (
    MAX_CENTS,
    RAW_SCHEMA,
    TOO_LARGE,
    RowIssue,
    local_date,
    parse_cents,
)
from reconkit.loaders._camt_entry import Doc, Running, tx_amount_warning
from reconkit.money import NON_CENT_CURRENCIES

ORDINAL: Final = "__ordinal"  # the entry's number in the file (source_row)
NUMBER: Final = "__number"  # the entry's number in its statement (run.entries)
_PLAIN_AMOUNT: Final = r"^[0-9]{1,15}(\.[0-9]{0,2})?$"
_NOT_AN_AMOUNT: Final = "not an amount (expected a number such as 1234.56)"


@dataclass
class Outcome:
    """What a batch of simple entries gives, beside its raw payments frame."""

    issues: list[RowIssue] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (ordinal, text)
    first_currency: tuple[int, str] | None = None  # (ordinal, currency) of the first booked


def _v(name: str) -> pl.Expr:
    """A leaf's text as `read_entry` sees it: stripped, null when absent or empty."""
    return pl.col(name).str.strip_chars().replace("", None)  # when/then would strip twice


def _clean(expr: pl.Expr) -> pl.Expr:
    """`clean`: whitespace runs collapsed to one space, stripped, null when empty."""
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().replace("", None)


def _code(prefix: str) -> pl.Expr:
    """`_tx_code`: `Domain/Family/SubFamily` when all three are given, else the proprietary."""
    parts = [_v(prefix + f) for f in ("domn", "fmly", "sub")]
    whole = pl.all_horizontal(p.is_not_null() for p in parts)
    return pl.when(whole).then(pl.concat_str(parts, separator="/")).otherwise(
        _v(prefix + "prtry"))


def _rowwise(frame: pl.DataFrame, mask: pl.Expr, column: str, values: Iterable[object],
             dtype: pl.DataType) -> pl.DataFrame:
    """Set `column` on the rows selected by `mask` to `values` (computed in Python)."""
    idx = frame.with_row_index("__i").filter(mask)["__i"]
    return frame.with_columns(frame[column].clone().scatter(
        idx, pl.Series(list(values), dtype=dtype)))


def read_records(doc: Doc, run: Running, records: pl.DataFrame) -> tuple[pl.DataFrame, Outcome]:
    """Raw payments (`RAW_SCHEMA`) of simple entries, with their issues and warnings.

    `records` holds one row per entry in document order, text columns named after the
    fields of `_camt_batch`, plus `ORDINAL` and `NUMBER`. `run` is updated as `read_entry`
    would (booked count, movements, first currency, first and last booking day).
    """
    out = Outcome()
    status = pl.coalesce(_v("sts_cd"), _v("sts_prtry"), _v("sts"), pl.lit("BOOK"))
    f = records.with_columns(status.alias("__status"))
    for name, n in f.filter(pl.col("__status") != "BOOK").group_by("__status").len().rows():
        doc.not_booked[name] += n
    f = f.filter(pl.col("__status") == "BOOK")
    run.booked += f.height
    ccy = pl.col("amt@Ccy")
    f = f.with_columns(_v("amt").alias("__raw"), pl.when(ccy != "").then(ccy).alias("__ccy"),
                       _v("ind").alias("__ind"))
    plain = pl.col("__raw").str.contains(_PLAIN_AMOUNT) & (
        pl.col("__ccy").is_null()
        | ~pl.col("__ccy").str.to_uppercase().is_in(list(NON_CENT_CURRENCIES)))
    units = pl.col("__raw").str.split_exact(".", 1)
    f = f.with_columns(pl.when(plain).then(
        units.struct[0].cast(pl.Int64) * 100
        + units.struct[1].fill_null("").str.pad_end(2, "0").cast(pl.Int64)
    ).alias("__cents"))
    odd = ~plain & pl.col("__raw").is_not_null()
    odd_rows = f.filter(odd).select("__raw", "__ccy").rows()
    if odd_rows:
        f = _rowwise(f, odd, "__cents", (parse_cents(r, c) for r, c in odd_rows), pl.Int64())
    bad = pl.col("__cents").is_null() | (pl.col("__cents").abs() >= MAX_CENTS)
    for ordinal, raw, cents in f.filter(bad).select(ORDINAL, "__raw", "__cents").rows():
        out.issues.append(RowIssue(ordinal, "amount_cents", raw,
                                   TOO_LARGE if cents else _NOT_AN_AMOUNT))
    f = f.filter(~bad)
    bad_sign = ~pl.col("__ind").is_in(["CRDT", "DBIT"]).fill_null(False)
    for ordinal, ind in f.filter(bad_sign).select(ORDINAL, "__ind").rows():
        out.issues.append(RowIssue(ordinal, "amount_cents", ind,
                                   "unknown credit/debit indicator (expected CRDT or DBIT)"))
    f = f.filter(~bad_sign)
    f = f.with_columns(
        pl.when(pl.col("__ind") == "DBIT").then(-pl.col("__cents")).otherwise(
            pl.col("__cents")).alias("amount_cents"),
        pl.coalesce(_v("bookg_dt"), _v("bookg_dttm")).alias("booking_date"),
        pl.coalesce(_v("val_dt"), _v("val_dttm")).alias("value_date"),
    )
    for column in ("booking_date", "value_date"):
        zoned = pl.col(column).str.len_chars() > 10
        texts = f.filter(zoned)[column].to_list()
        if texts:
            f = _rowwise(f, zoned, column, (local_date(t, doc.tz) for t in texts),
                         pl.String())
    _book(run, f, out)
    return _payments(f, run), _detail_warnings(doc, run, f, out)


def _book(run: Running, f: pl.DataFrame, out: Outcome) -> None:
    """`Running.book` for every payment of the batch at once."""
    run.movements += sum(f["amount_cents"].to_list())
    first = f.filter(pl.col("__ccy").is_not_null()).head(1).select(ORDINAL, "__ccy").rows()
    out.first_currency = first[0] if first else None
    days = f.filter(pl.col("booking_date").str.len_chars() == 10)["booking_date"]
    if days.len():
        low, high = days.min(), days.max()
        assert isinstance(low, str) and isinstance(high, str)
        run.first_day = min(run.first_day or low, low)
        run.last_day = max(run.last_day or high, high)


def _payments(f: pl.DataFrame, run: Running) -> pl.DataFrame:
    """The raw payment rows: entry fields, then the transaction's (or the entry's) details.

    Texts used more than once are computed once, in a first step (eager polars would repeat
    a shared subexpression, and the whitespace clean-up is a regex pass).
    """
    debtor = pl.col("amount_cents") >= 0
    f = f.with_columns(
        _clean(pl.col("info")).alias("__info"), _code("").alias("__code"),
        pl.coalesce(_clean(pl.col("ustrd")), _clean(pl.col("addtl_tx"))).alias("__text"),
        pl.coalesce(_v("rtr_cd"), _v("rtr_prtry")).alias("__reason"),
        _clean(pl.col("rtr_info")).alias("__rtr_info"), _v("e2e").alias("__e2e"),
        pl.coalesce(_v("ref"), pl.lit(f"{run.stmt_id}:") + pl.coalesce(
            _v("ntry_ref"), pl.col(NUMBER).cast(pl.String))).alias("__ref"))
    has_tx, reason, info = pl.col("tx").is_not_null(), pl.col("__reason"), pl.col("__rtr_info")
    f = f.with_columns(pl.coalesce("__text", "__info").alias("__text"))
    remittance = pl.col("__text")
    returned = pl.lit("return ") + reason + pl.when(info.is_not_null()).then(
        pl.lit(": ") + info).otherwise(pl.lit(""))
    remittance = pl.when(reason.is_null()).then(remittance).when(remittance.is_null()).then(
        returned).otherwise(remittance + pl.lit(" (") + returned + pl.lit(")"))
    name = pl.when(debtor).then(pl.coalesce(_v("dbtr_pty"), _v("dbtr_nm"))).otherwise(
        pl.coalesce(_v("cdtr_pty"), _v("cdtr_nm")))
    e2e = pl.col("__e2e")
    return f.select(
        pl.col("__ref").alias("record_id"),
        pl.col(ORDINAL).alias("source_row"),
        pl.col("__ref").alias("entry_ref"),
        "booking_date", "value_date", "amount_cents",
        pl.col("__ccy").alias("currency"),
        pl.when(has_tx).then(_clean(name)).alias("payer_name"),
        pl.when(has_tx).then(pl.when(debtor).then(_v("dbtr_iban")).otherwise(
            _v("cdtr_iban"))).alias("payer_iban"),
        pl.when(has_tx).then(remittance).otherwise(pl.col("__info")).alias("remittance"),
        pl.when(has_tx).then(pl.coalesce(_v("cdtr_ref"), _v("doc_nb"))).alias(
            "structured_ref"),
        pl.when(has_tx & (e2e != "NOTPROVIDED")).then(e2e).alias("end_to_end_id"),
        pl.when(has_tx).then(pl.coalesce(_code("t_"), pl.col("__code"))).otherwise(
            pl.col("__code")).alias("bank_tx_code"),
        _v("rvsl").str.to_lowercase().is_in(["true", "1"]).fill_null(False).alias(
            "is_reversal"),
        pl.lit(run.account_id, dtype=pl.String).alias("account_id"),
    ).cast(RAW_SCHEMA)  # type: ignore[arg-type]


def _detail_warnings(doc: Doc, run: Running, f: pl.DataFrame, out: Outcome) -> Outcome:
    """Warn where the single transaction states another amount than its entry."""
    detail = pl.coalesce(_v("t_amt"), _v("t_txamt"))
    differs = pl.col("tx").is_not_null() & detail.is_not_null() & (detail != pl.col("__raw"))
    cols = (ORDINAL, NUMBER, "__cents", "__ccy", "t_amt@Ccy", "t_txamt@Ccy", "ref", "ntry_ref")
    for ordinal, number, cents, currency, c1, c2, ref, ntry_ref, raw in f.filter(
            differs).select(*cols, detail).rows():
        ccy = c1 or c2 or currency
        cents_detail = parse_cents(raw, ccy)
        if cents_detail is not None and ccy == currency and cents_detail != cents:
            entry_ref = (ref or "").strip() or \
                f"{run.stmt_id}:{(ntry_ref or '').strip() or number}"
            out.warnings.append((ordinal, tx_amount_warning(
                doc, run, entry_ref, ordinal, cents, cents_detail, currency)))
    return out
