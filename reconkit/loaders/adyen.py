"""Adyen "Settlement details" report (CSV) -> settlement lines.

One row per booking of a settlement batch: `Company Account, Merchant Account, Psp Reference,
Merchant Reference, Payment Method, Creation Date, TimeZone, Type, Modification Reference,
Gross Currency, Gross Debit (GC), Gross Credit (GC), Exchange Rate, Net Currency, Net Debit
(NC), Net Credit (NC), Commission (NC), Markup (NC), Scheme Fees (NC), Interchange (NC),
Batch Number`. A batch is paid out by its `MerchantPayout` row: the settlement id is
`<Merchant Account>/<Batch Number>`, and the payout line's record id is that id. Amounts are
major units in the net (settlement) currency: net = credit - debit, fee = commission + markup
+ scheme fees + interchange, gross = net + fee. The merchant reference is the invoice
reference. Creation dates are taken as written (the report's time zone is the merchant's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.dates import date_expr
from reconkit.loaders.saved import Field, cents_expr
from reconkit.loaders.settlement import (
    NOT_A_DATE,
    NOT_AN_AMOUNT,
    currency_field,
    files_of,
    fix_fee_lines,
    loaded,
    parse_lines,
    read_columns,
)

REQUIRED: Final = ("Merchant Account", "Psp Reference", "Type", "Creation Date",
                   "Net Debit (NC)", "Net Credit (NC)", "Batch Number")
FEES: Final = ("Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)")
OPTIONAL: Final = ("Company Account", "Merchant Reference", "Payment Method", "TimeZone",
                   "Modification Reference", "Gross Currency", "Gross Debit (GC)",
                   "Gross Credit (GC)", "Net Currency", "Shopper Reference", *FEES)
KINDS: Final = {
    "settled": "charge", "settledbulk": "charge", "settledinstallment": "charge",
    "refunded": "refund", "refundedbulk": "refund", "refundedinstallment": "refund",
    "refundedreversed": "refund", "refundedexternally": "refund",
    "chargeback": "dispute", "chargebackreversed": "dispute", "secondchargeback": "dispute",
    "chargebackexternally": "dispute", "chargebackreversedexternally": "dispute",
    "fee": "fee", "misccosts": "fee", "paymentcost": "fee", "invoicededuction": "fee",
    "advancementcommission": "fee", "merchantpayout": "payout",
}
_DATES: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def _money(col: str) -> tuple[pl.Expr, pl.Expr]:
    """(cents or 0 when blank, whether a value is present but unreadable)."""
    parsed = cents_expr(pl.col(col), pl.col("__currency"))
    return parsed.fill_null(0), pl.col(col).is_not_null() & parsed.is_null()


def _fields(raw: pl.DataFrame) -> list[Field]:
    credit, bad_credit = _money("Net Credit (NC)")
    debit, bad_debit = _money("Net Debit (NC)")
    fee_parts = [_money(c) for c in FEES]
    fee = pl.sum_horizontal(p[0] for p in fee_parts)
    bad_fee = pl.any_horizontal(p[1] for p in fee_parts)
    net = pl.when(~bad_credit & ~bad_debit).then(credit - debit)
    kind = pl.col("Type").str.to_lowercase().str.replace_all(r"[^a-z]", "") \
        .replace_strict(KINDS, default="adjustment", return_dtype=pl.String)
    settlement = pl.concat_str([pl.col("Merchant Account"), pl.col("Batch Number")],
                               separator="/")
    own = pl.coalesce("Modification Reference", "Psp Reference",
                      pl.format("row {}", pl.col("source_row")))
    record = pl.when(kind == "payout").then(settlement).otherwise(
        pl.concat_str([own, pl.col("Type")], separator=":"))
    batch = "missing value: the batch is named by Merchant Account and Batch Number"
    return [
        Field("record_id", "Type", record, batch),
        Field("settlement_id", "Batch Number", settlement, batch),
        Field("kind", "Type", kind, ""),
        Field("source_id", "Psp Reference", pl.col("Psp Reference"), ""),
        Field("net_cents", "__net_raw", net, NOT_AN_AMOUNT),
        Field("fee_cents", "__fee_raw", pl.when(~bad_fee).then(fee), NOT_AN_AMOUNT),
        Field("gross_cents", "__net_raw", net + pl.when(~bad_fee).then(fee), NOT_AN_AMOUNT),
        currency_field("__currency_raw"),
        Field("invoice_ref", "Merchant Reference", pl.col("Merchant Reference"), ""),
        Field("customer_ref", "Shopper Reference", pl.col("Shopper Reference"), ""),
        Field("created_date", "Creation Date", date_expr(pl.col("Creation Date"), _DATES,
                                                         None, "UTC"),
              f"{NOT_A_DATE} (expected YYYY-MM-DD hh:mm:ss)"),
        Field("description", "Payment Method", pl.col("Payment Method"), ""),
    ]


def read_settlement_details(file: Path, currency: str | None,
                            ) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(settlement lines, quarantine, rows read) of one settlement details report."""
    raw = read_columns(file, REQUIRED, "Adyen settlement details",
                       {c: () for c in (*REQUIRED, *OPTIONAL)})
    cur = pl.coalesce("Net Currency", "Gross Currency", pl.lit(currency, pl.String))
    if currency is None and raw["Net Currency"].is_null().all() \
            and raw["Gross Currency"].is_null().all() and raw.height:
        raise SourceFormatError(
            "the report has no currency (no 'Net Currency' column)", source_file=file.name,
            hint="add the Net Currency column to the report, or set `options: {currency: EUR}`")
    raw = raw.with_columns(
        cur.alias("__currency_raw"), cur.str.to_uppercase().alias("__currency"),
        pl.coalesce("Net Credit (NC)", "Net Debit (NC)").alias("__net_raw"),
        pl.concat_str([pl.col(c) for c in FEES], separator=" + ", ignore_nulls=True)
        .replace("", None).alias("__fee_raw"))
    lines, quarantine = parse_lines(raw, _fields(raw), "adyen")
    # the payout of a batch is when its lines reach the bank
    paid = lines.filter(pl.col("kind") == "payout").group_by("settlement_id").agg(
        pl.col("created_date").max().alias("__paid"))
    lines = lines.join(paid, on="settlement_id", how="left").with_columns(
        pl.col("__paid").alias("available_date")).drop("__paid")
    return fix_fee_lines(lines), quarantine, raw.height


@register_loader("adyen")
def load_adyen(path: Path, *, currency: str | None = None, **_: Any) -> Loaded:
    """Load Adyen settlement details reports: one CSV, or a folder of them."""
    frames, quarantines = [], []
    rows_read: dict[str, int] = {}
    for file in files_of(Path(path), (".csv",), "Adyen settlement details"):
        lines, q, n = read_settlement_details(file, currency)
        frames.append(lines)
        quarantines.append(q)
        rows_read[file.name] = n
    return loaded(frames, quarantines, rows_read)
