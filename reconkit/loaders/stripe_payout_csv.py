"""The Stripe Dashboard's itemised "Payout reconciliation" CSV -> settlement lines.

One row per balance transaction paid out (`balance_transaction_id, created_utc,
available_on_utc, currency, gross, fee, net, reporting_category, source_id, customer_id,
customer_email, invoice_id, charge_id, payment_intent_id, automatic_payout_id,
automatic_payout_effective_at`): amounts in major units (`120.00`, parsed to integer cents,
never a float), lower-case currency, times in UTC (turned into dates in the company time zone).
The report itemises what each payout contains; the payout itself is not a row, so a payout is
known here by the `automatic_payout_id` its lines share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from reconkit.loaders.dates import date_expr
from reconkit.loaders.saved import Field
from reconkit.loaders.settlement import (
    NOT_A_DATE,
    amount_field,
    currency_field,
    fix_fee_lines,
    parse_lines,
    read_columns,
)

REQUIRED: Final = ("balance_transaction_id", "currency", "gross", "fee", "net",
                   "reporting_category")
OPTIONAL: Final = {"created_utc": ("created", "created (utc)"),
                   "available_on_utc": ("available_on", "available on (utc)"),
                   "source_id": (), "customer_id": (), "customer_email": (), "invoice_id": (),
                   "invoice_number": (), "charge_id": (), "payment_intent_id": (),
                   "automatic_payout_id": ("payout_id",),
                   "automatic_payout_effective_at": ("payout_effective_at",)}
_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
# Stripe reporting categories (and balance transaction types) -> settlement line kinds
KIND_OF: Final = {
    "charge": "charge", "payment": "charge", "refund": "refund", "payment_refund": "refund",
    "refund_failure": "refund", "payment_failure_refund": "refund", "dispute": "dispute",
    "dispute_reversal": "dispute", "fee": "fee", "stripe_fee": "fee", "network_cost": "fee",
    "tax_fee": "fee", "application_fee": "fee", "payout": "payout",
}

def kind_expr(category: pl.Expr) -> pl.Expr:
    """The settlement kind of a Stripe reporting category or type; anything else is an
    adjustment (`other_adjustment`, `payout_reversal`, `topup`, ...)."""
    return category.str.to_lowercase().replace_strict(KIND_OF, default="adjustment",
                                                      return_dtype=pl.String)




def read_payout_csv(file: Path, timezone: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(settlement lines, quarantine, rows read) of one itemised payout reconciliation CSV."""
    raw = read_columns(file, REQUIRED, "Stripe payout reconciliation",
                       {**OPTIONAL, **{c: () for c in REQUIRED}})
    raw = raw.with_columns(pl.col("currency").str.to_uppercase().alias("__currency"))

    def day(column: str, col: str) -> Field:
        return Field(column, col, date_expr(pl.col(col), _FORMATS, "UTC", timezone),
                     f"{NOT_A_DATE} (expected YYYY-MM-DD hh:mm:ss, UTC)")

    payout_day = date_expr(pl.col("automatic_payout_effective_at"), _FORMATS, "UTC", timezone)
    fields = [
        Field("record_id", "balance_transaction_id", pl.col("balance_transaction_id"), ""),
        Field("settlement_id", "automatic_payout_id", pl.col("automatic_payout_id"), ""),
        Field("kind", "reporting_category", kind_expr(pl.col("reporting_category")), ""),
        Field("source_id", "source_id", pl.coalesce("source_id", "charge_id"), ""),
        amount_field("gross_cents", "gross"), amount_field("fee_cents", "fee"),
        amount_field("net_cents", "net"), currency_field("currency"),
        Field("invoice_ref", "invoice_id", pl.coalesce("invoice_id", "invoice_number"), ""),
        Field("customer_ref", "customer_id", pl.coalesce("customer_id", "customer_email"), ""),
        day("created_date", "created_utc"),
        # the payout's date when the line is paid out, else when the funds became available
        Field("available_date", "available_on_utc",
              pl.coalesce(payout_day, date_expr(pl.col("available_on_utc"), _FORMATS, "UTC",
                                                timezone)),
              f"{NOT_A_DATE} (expected YYYY-MM-DD hh:mm:ss, UTC)"),
    ]
    lines, quarantine = parse_lines(raw, fields, "stripe")
    return fix_fee_lines(lines), quarantine, raw.height
