"""PayPal "Activity download" CSV -> settlement lines.

Columns `Date, Time, TimeZone, Name, Type, Status, Currency, Gross, Fee, Net, From Email
Address, Transaction ID, Reference Txn ID, Invoice Number, Balance Impact`. PayPal writes the
fee negative (`-0.64`) and net = gross + fee; here `fee_cents` is what PayPal kept (0.64).
Only completed bookings that move the balance are settlement lines: other statuses (pending,
denied) and `Memo` rows are counted and skipped with a warning. PayPal has no payout batches:
the balance is swept to the bank by a withdrawal, so each line belongs to the first withdrawal
booked at or after it (the settlement id is that withdrawal's transaction id); lines after the
last withdrawal are not paid out yet. A refund without an invoice number takes the one of the
payment it refunds (`Reference Txn ID`). The date format and decimal mark follow the account's
locale (options `date_format`, `decimal`, `thousands`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import polars as pl

from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.dates import date_expr, human_formats
from reconkit.loaders.saved import Field, cents_expr
from reconkit.loaders.settlement import (
    NOT_A_DATE,
    NOT_AN_AMOUNT,
    currency_field,
    files_of,
    loaded,
    parse_lines,
    read_columns,
)

REQUIRED: Final = ("Date", "Type", "Status", "Currency", "Gross", "Fee", "Net",
                   "Transaction ID")
OPTIONAL: Final = ("Time", "TimeZone", "Name", "From Email Address", "Reference Txn ID",
                   "Invoice Number", "Balance Impact")
COMPLETED: Final = ("completed", "terminé", "termine", "abgeschlossen", "completado")
# first pattern found in the type (lower case) gives the kind; a positive payment is a charge
KIND_PATTERNS: Final = (
    (r"withdraw|transfer to bank|retrait|virement vers", "payout"),
    (r"chargeback fee|dispute fee|frais", "fee"),
    (r"refund|rembours", "refund"),
    (r"chargeback|dispute|reversal|litige|annulation", "dispute"),
    (r"payment|paiement|invoice|facture", "charge"),
)


def _kind(gross: pl.Expr) -> pl.Expr:
    t = pl.col("Type").str.to_lowercase()
    out: pl.Expr = pl.lit("adjustment")
    for pattern, kind in reversed(KIND_PATTERNS):
        hit = t.str.contains(pattern) & ((gross > 0) if kind == "charge" else pl.lit(True))
        out = pl.when(hit).then(pl.lit(kind)).otherwise(out)
    return out


def read_activity(file: Path, timezone: str, date_format: str, decimal: str,
                  thousands: str | None) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """(settlement lines, quarantine, rows read, rows skipped) of one activity download."""
    raw = read_columns(file, REQUIRED, "PayPal activity download",
                       {c: () for c in (*REQUIRED, *OPTIONAL)})
    n = raw.height
    keep = pl.col("Status").str.to_lowercase().is_in(list(COMPLETED)) \
        & (pl.col("Balance Impact").str.to_lowercase() != "memo").fill_null(True)
    raw = raw.filter(keep).with_columns(pl.col("Currency").str.to_uppercase()
                                        .alias("__currency"))

    def money(col: str) -> pl.Expr:
        return cents_expr(pl.col(col), pl.col("__currency"), decimal=decimal,
                          thousands=thousands)

    day = date_expr(pl.col("Date"), (date_format,), None, timezone)
    fields = [
        Field("record_id", "Transaction ID", pl.col("Transaction ID"), ""),
        Field("kind", "Type", _kind(money("Gross")), ""),
        Field("source_id", "Transaction ID", pl.col("Transaction ID"), ""),
        Field("gross_cents", "Gross", money("Gross"), NOT_AN_AMOUNT),
        Field("fee_cents", "Fee", -money("Fee"), NOT_AN_AMOUNT),
        Field("net_cents", "Net", money("Net"), NOT_AN_AMOUNT),
        currency_field("Currency"),
        Field("invoice_ref", "Invoice Number", pl.col("Invoice Number"), ""),
        Field("customer_ref", "From Email Address",
              pl.coalesce("From Email Address", "Name"), ""),
        Field("created_date", "Date", day,
              f"{NOT_A_DATE} (expected {human_formats((date_format,))})"),
        Field("description", "Type", pl.concat_str(["Type", "Name"], separator=" ",
                                                   ignore_nulls=True), ""),
    ]
    lines, quarantine = parse_lines(raw, fields, "paypal", {
        "__time": pl.col("Time").fill_null(""), "__ref": pl.col("Reference Txn ID")})
    return _sweeps(lines), quarantine, n, n - raw.height


def _sweeps(lines: pl.DataFrame) -> pl.DataFrame:
    """Each line's withdrawal (the first one at or after it) and the refunds' invoices."""
    lines = lines.sort("created_date", "__time", "source_file", "source_row", nulls_last=True)
    withdrawal = pl.when(pl.col("kind") == "payout").then(pl.col("record_id"))
    paid_on = pl.when(pl.col("kind") == "payout").then(pl.col("created_date"))
    lines = lines.with_columns(withdrawal.backward_fill().alias("settlement_id"),
                               paid_on.backward_fill().alias("available_date"))
    invoices = lines.filter(pl.col("invoice_ref").is_not_null()).select(
        pl.col("record_id").alias("__ref"), pl.col("invoice_ref").alias("__inv")).unique(
        subset=["__ref"], keep="first")
    lines = lines.join(invoices, on="__ref", how="left", maintain_order="left").with_columns(
        pl.coalesce("invoice_ref", "__inv").alias("invoice_ref"))
    return lines.drop("__time", "__ref", "__inv").sort("source_file", "source_row")


@register_loader("paypal")
def load_paypal(path: Path, *, timezone: str = "Europe/Paris", date_format: str = "%d/%m/%Y",
                decimal: str = ".", thousands: str | None = None, **_: Any) -> Loaded:
    """Load PayPal activity downloads: one CSV, or a folder of them."""
    frames, quarantines, warnings = [], [], []
    rows_read: dict[str, int] = {}
    rows_skipped: dict[str, int] = {}
    for file in files_of(Path(path), (".csv",), "PayPal activity download"):
        lines, q, n, skipped = read_activity(file, timezone, date_format, decimal, thousands)
        frames.append(lines)
        quarantines.append(q)
        rows_read[file.name] = n
        if skipped:
            rows_skipped[file.name] = skipped
            warnings.append(f"{file.name}: skipped {skipped} row(s) that do not move the "
                            "balance (not completed, or memo)")
    return loaded(frames, quarantines, rows_read, rows_skipped, warnings)
