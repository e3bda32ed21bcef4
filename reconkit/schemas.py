"""Canonical tables as pandera (polars) models, one per record kind.

Every loader returns these tables. Money is Int64 minor units plus an ISO 4217 currency.
Signs: invoices and ledger lines are seen from the receivable side (invoice +, credit note -,
411 debit +, 411 credit -); payments from the cash side (money received +, paid out -).
Every record keeps `system`, `record_id` (the source's own id), `source_file`, `source_row`.
"""

from __future__ import annotations

from typing import Final

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors
from polars._typing import PolarsDataType

# PolarsDataType is a dtype as polars' own signatures accept it: an instance
# (`pl.Datetime("us")`) or a class (`pl.String`). Every schema dict in reconkit is typed
# `dict[str, PolarsDataType]`, imported from here.

SYSTEMS: Final = ("crm", "billing", "erp", "bank", "psp")
CURRENCY_RE: Final = r"^[A-Z]{3}$"

_LINEAGE: Final[dict[str, PolarsDataType]] = {
    "system": pl.String, "record_id": pl.String, "source_file": pl.String,
    "source_row": pl.Int64,
}

COLUMNS: Final[dict[str, dict[str, PolarsDataType]]] = {
    "parties": {
        **_LINEAGE,
        "name": pl.String,
        "legal_id": pl.String,        # SIREN / SIRET / VAT number as given
        "iban": pl.String,
        "parent_record_id": pl.String,  # parent account in the same system
        "crm_ref": pl.String,         # ids of the same party in other systems, when carried
        "billing_ref": pl.String,
        "erp_ref": pl.String,
    },
    "commitments": {
        **_LINEAGE,
        "kind": pl.String,            # contract | opportunity
        "party_record_id": pl.String,
        "contract_number": pl.String,
        "contract_record_id": pl.String,  # for an opportunity: the contract it belongs to
        "name": pl.String,
        "currency": pl.String,
        "amount_cents": pl.Int64,     # per billing period, excl. tax, after discount
        "list_amount_cents": pl.Int64,  # before discount, when known
        "discount_bp": pl.Int64,      # agreed discount in basis points (1000 = 10%)
        "billing_frequency": pl.String,  # monthly | quarterly | annual | one_off
        "start_date": pl.Date,
        "end_date": pl.Date,
        "close_date": pl.Date,
        "auto_renew": pl.Boolean,
        "status": pl.String,
    },
    "invoices": {
        **_LINEAGE,
        "doc_type": pl.String,        # invoice | credit_note
        "number": pl.String,          # as printed: the key customers quote
        "party_record_id": pl.String,
        "party_name": pl.String,      # name on the document (frozen at issue)
        "issue_date": pl.Date,
        "due_date": pl.Date,
        "currency": pl.String,
        "net_cents": pl.Int64,        # excl. tax, signed like amount_cents
        "tax_cents": pl.Int64,
        "amount_cents": pl.Int64,     # total incl. tax; credit notes negative
        "credited_invoice_id": pl.String,  # credit note -> record_id of the invoice it reduces
        "commitment_ref": pl.String,  # contract number or CRM opportunity id
        "po_number": pl.String,
        "period_start": pl.Date,
        "period_end": pl.Date,
        "status": pl.String,
        "subscription_id": pl.String,  # billing subscription the invoice belongs to
        "line_text": pl.String,       # the lines' descriptions (and memo) joined with " | "
    },
    "ledger_lines": {
        **_LINEAGE,
        "journal_code": pl.String,
        "entry_number": pl.String,
        "entry_date": pl.Date,
        "account": pl.String,
        "aux_account": pl.String,     # the customer's auxiliary account: the ERP party id
        "aux_name": pl.String,
        "piece_ref": pl.String,
        "piece_date": pl.Date,
        "label": pl.String,
        "amount_cents": pl.Int64,     # debit - credit
        "currency": pl.String,
        "lettering_code": pl.String,
        "lettering_date": pl.Date,
        "lettering_partial": pl.Boolean,
        "counter_accounts": pl.String,  # the entry's other accounts, space-separated, sorted
    },
    "payments": {
        **_LINEAGE,
        "entry_ref": pl.String,       # bank's reference of the entry (AcctSvcrRef)
        "booking_date": pl.Date,
        "value_date": pl.Date,
        "amount_cents": pl.Int64,     # received +, paid out -
        "currency": pl.String,
        "payer_name": pl.String,
        "payer_iban": pl.String,
        "remittance": pl.String,      # unstructured remittance text
        "structured_ref": pl.String,  # creditor reference (RF...) or other structured ref
        "end_to_end_id": pl.String,
        "bank_tx_code": pl.String,
        "is_reversal": pl.Boolean,
        "account_id": pl.String,      # our own account (IBAN or bank account number)
    },
    # what a payment service provider (Stripe, Adyen, PayPal) settled, seen from the merchant's
    # balance: charge +, refund/dispute -, fee_cents what the PSP kept (net = gross - fee),
    # the payout line moves the balance to the bank (net -, so a settlement's lines sum to 0)
    "settlement_lines": {
        **_LINEAGE,
        "provider": pl.String,        # stripe | adyen | paypal
        "settlement_id": pl.String,   # payout / batch / withdrawal paying it out (null: not yet)
        "kind": pl.String,            # charge | refund | dispute | fee | adjustment | payout
        "source_id": pl.String,       # the PSP's object (ch_/re_/dp_/po_, PSP reference)
        "gross_cents": pl.Int64,
        "fee_cents": pl.Int64,
        "net_cents": pl.Int64,
        "currency": pl.String,
        "invoice_ref": pl.String,     # invoice id or number the charge pays
        "customer_ref": pl.String,    # the PSP's customer id or e-mail
        "created_date": pl.Date,
        "available_date": pl.Date,    # funds available / payout arrival date
        "status": pl.String,          # payout status (paid, in_transit, failed ...)
        "description": pl.String,
    },
}

TABLES: Final = tuple(COLUMNS)
TABLE_SYSTEM: Final = {"parties": None, "commitments": "crm", "invoices": "billing",
                       "ledger_lines": "erp", "payments": "bank", "settlement_lines": "psp"}
SETTLEMENT_KINDS: Final = ("charge", "refund", "dispute", "fee", "adjustment", "payout")

QUARANTINE_COLUMNS: Final[dict[str, PolarsDataType]] = {
    "system": pl.String, "source_file": pl.String, "source_row": pl.Int64,
    "column": pl.String, "value": pl.String, "reason": pl.String,
}


class _Lineage(pa.DataFrameModel):
    system: str = pa.Field(isin=list(SYSTEMS))
    record_id: str = pa.Field(str_length={"min_value": 1})
    source_file: str
    source_row: pl.Int64 = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = False


class Parties(_Lineage):
    name: str = pa.Field(str_length={"min_value": 1})
    legal_id: str = pa.Field(nullable=True)
    iban: str = pa.Field(nullable=True)
    parent_record_id: str = pa.Field(nullable=True)
    crm_ref: str = pa.Field(nullable=True)
    billing_ref: str = pa.Field(nullable=True)
    erp_ref: str = pa.Field(nullable=True)


class Commitments(_Lineage):
    kind: str = pa.Field(isin=["contract", "opportunity"])
    party_record_id: str
    contract_number: str = pa.Field(nullable=True)
    contract_record_id: str = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    currency: str = pa.Field(str_matches=CURRENCY_RE)
    amount_cents: pl.Int64
    list_amount_cents: pl.Int64 = pa.Field(nullable=True)
    discount_bp: pl.Int64 = pa.Field(nullable=True, ge=0, le=10_000)
    billing_frequency: str = pa.Field(nullable=True,
                                      isin=["monthly", "quarterly", "annual", "one_off"])
    start_date: pl.Date = pa.Field(nullable=True)
    end_date: pl.Date = pa.Field(nullable=True)
    close_date: pl.Date = pa.Field(nullable=True)
    auto_renew: pl.Boolean = pa.Field(nullable=True)
    status: str = pa.Field(nullable=True)


class Invoices(_Lineage):
    doc_type: str = pa.Field(isin=["invoice", "credit_note"])
    number: str = pa.Field(str_length={"min_value": 1})
    party_record_id: str
    party_name: str = pa.Field(nullable=True)
    issue_date: pl.Date
    due_date: pl.Date = pa.Field(nullable=True)
    currency: str = pa.Field(str_matches=CURRENCY_RE)
    net_cents: pl.Int64 = pa.Field(nullable=True)
    tax_cents: pl.Int64 = pa.Field(nullable=True)
    amount_cents: pl.Int64
    credited_invoice_id: str = pa.Field(nullable=True)
    commitment_ref: str = pa.Field(nullable=True)
    po_number: str = pa.Field(nullable=True)
    period_start: pl.Date = pa.Field(nullable=True)
    period_end: pl.Date = pa.Field(nullable=True)
    status: str = pa.Field(nullable=True)
    subscription_id: str = pa.Field(nullable=True)
    line_text: str = pa.Field(nullable=True)

    @pa.dataframe_check(error="a credit note must have a negative amount, an invoice a "
                              "non-negative one")
    @classmethod
    def sign_matches_doc_type(cls, data: pa.PolarsData) -> pl.LazyFrame:
        ok = pl.when(pl.col("doc_type") == "credit_note").then(pl.col("amount_cents") <= 0) \
            .otherwise(pl.col("amount_cents") >= 0)
        return data.lazyframe.select(ok.alias("ok"))


class LedgerLines(_Lineage):
    journal_code: str = pa.Field(str_length={"min_value": 1})
    entry_number: str = pa.Field(str_length={"min_value": 1})
    entry_date: pl.Date
    account: str = pa.Field(str_matches=r"^\d{3}")
    aux_account: str = pa.Field(nullable=True)
    aux_name: str = pa.Field(nullable=True)
    piece_ref: str = pa.Field(nullable=True)
    piece_date: pl.Date = pa.Field(nullable=True)
    label: str = pa.Field(nullable=True)
    amount_cents: pl.Int64
    currency: str = pa.Field(str_matches=CURRENCY_RE)
    lettering_code: str = pa.Field(nullable=True)
    lettering_date: pl.Date = pa.Field(nullable=True)
    lettering_partial: pl.Boolean
    counter_accounts: str = pa.Field(nullable=True)


class Payments(_Lineage):
    entry_ref: str = pa.Field(str_length={"min_value": 1})
    booking_date: pl.Date
    value_date: pl.Date = pa.Field(nullable=True)
    amount_cents: pl.Int64
    currency: str = pa.Field(str_matches=CURRENCY_RE)
    payer_name: str = pa.Field(nullable=True)
    payer_iban: str = pa.Field(nullable=True)
    remittance: str = pa.Field(nullable=True)
    structured_ref: str = pa.Field(nullable=True)
    end_to_end_id: str = pa.Field(nullable=True)
    bank_tx_code: str = pa.Field(nullable=True)
    is_reversal: pl.Boolean
    account_id: str = pa.Field(nullable=True)


class SettlementLines(_Lineage):
    provider: str = pa.Field(str_length={"min_value": 1})
    settlement_id: str = pa.Field(nullable=True)
    kind: str = pa.Field(isin=list(SETTLEMENT_KINDS))
    source_id: str = pa.Field(nullable=True)
    gross_cents: pl.Int64
    fee_cents: pl.Int64
    net_cents: pl.Int64
    currency: str = pa.Field(str_matches=CURRENCY_RE)
    invoice_ref: str = pa.Field(nullable=True)
    customer_ref: str = pa.Field(nullable=True)
    created_date: pl.Date = pa.Field(nullable=True)
    available_date: pl.Date = pa.Field(nullable=True)
    status: str = pa.Field(nullable=True)
    description: str = pa.Field(nullable=True)


MODELS: Final[dict[str, type[_Lineage]]] = {
    "parties": Parties, "commitments": Commitments, "invoices": Invoices,
    "ledger_lines": LedgerLines, "payments": Payments, "settlement_lines": SettlementLines,
}


def empty_table(table: str) -> pl.DataFrame:
    """An empty frame with the canonical columns and dtypes of `table`."""
    return pl.DataFrame(schema=COLUMNS[table])


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_COLUMNS)


def conform(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Select the canonical columns in order, adding absent optional ones as nulls.

    Dtypes are cast strictly: a loader must already have parsed values (parsing failures are
    quarantined by the loader, with the raw value, before this point).
    """
    cols = COLUMNS[table]
    exprs = [
        (pl.col(name) if name in df.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in cols.items()
    ]
    out = df.select(exprs)
    if "lettering_partial" in cols:
        out = out.with_columns(pl.col("lettering_partial").fill_null(False))
    if "is_reversal" in cols:
        out = out.with_columns(pl.col("is_reversal").fill_null(False))
    return out


def validate(table: str, df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate once, lazily; return (valid rows, quarantine rows with column/value/reason).

    Duplicate `record_id`s within a table are quarantined too (every occurrence after the
    first), since ids are how decisions and matches refer to records.
    """
    df = conform(table, df).with_row_index("__row")
    bad = [_duplicates(df)]
    try:
        MODELS[table].validate(df.drop("__row"), lazy=True)
    except SchemaErrors as exc:
        bad.append(_failures_to_quarantine(df, exc.failure_cases))
    quarantine = pl.concat(bad, how="vertical")
    if quarantine.height == 0:
        return df.drop("__row"), empty_quarantine()
    bad_rows = quarantine.select("__row").unique()
    valid = df.join(bad_rows, on="__row", how="anti").drop("__row")
    q = quarantine.unique(subset=["__row", "column"], keep="first").sort("__row", "column")
    return valid, q.select(list(QUARANTINE_COLUMNS))


def _duplicates(df: pl.DataFrame) -> pl.DataFrame:
    dup = df.filter(pl.col("record_id").is_not_null()
                    & (pl.int_range(pl.len()).over("record_id") > 0))
    return _rows_to_quarantine(dup, "record_id", pl.col("record_id"),
                               pl.lit("duplicate id: this record id already appears earlier "
                                      "in the same source"))


def _failures_to_quarantine(df: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    f = failures.filter(pl.col("index").is_not_null()).select(
        pl.col("index").cast(pl.UInt32).alias("__row"),
        pl.col("column").cast(pl.String).fill_null("(row)"),
        pl.col("failure_case").cast(pl.String).alias("value_fc"),
        pl.col("check").cast(pl.String).alias("check"),
    )
    if f.height == 0:
        return _empty_q()
    joined = f.join(df.select("__row", "system", "source_file", "source_row", "amount_cents")
                    if "amount_cents" in df.columns else
                    df.select("__row", "system", "source_file", "source_row",
                              pl.lit(None, pl.Int64).alias("amount_cents")), on="__row")
    # Row-level (dataframe) checks report the model name as column: name the money column.
    row_check = ~pl.col("column").is_in(df.columns)
    joined = joined.with_columns(
        pl.when(row_check).then(pl.lit("amount_cents")).otherwise(pl.col("column"))
        .alias("column"),
        pl.when(row_check).then(pl.col("amount_cents").cast(pl.String))
        .otherwise(pl.col("value_fc")).alias("value_fc"),
    )
    reason = (
        pl.when(pl.col("check") == "not_nullable").then(pl.lit("missing value"))
        .when(pl.col("check").str.starts_with("isin")).then(
            pl.lit("value not allowed: expected one of ") + pl.col("check").str.extract(
                r"isin\((.*)\)"))
        .when(pl.col("check").str.starts_with("str_matches")).then(
            pl.lit("wrong format: expected pattern ") + pl.col("check").str.extract(
                r"str_matches\('?(.*?)'?\)$"))
        .when(pl.col("check").str.starts_with("str_length")).then(pl.lit("empty value"))
        .otherwise(pl.col("check"))
    )
    return joined.select(
        "__row", "system", "source_file", "source_row", "column",
        pl.col("value_fc").alias("value"), reason.alias("reason"),
    )


def _rows_to_quarantine(rows: pl.DataFrame, column: str, value: pl.Expr,
                        reason: pl.Expr) -> pl.DataFrame:
    return rows.select(
        "__row", "system", "source_file", "source_row",
        pl.lit(column).alias("column"), value.cast(pl.String).alias("value"),
        reason.alias("reason"),
    )


def _empty_q() -> pl.DataFrame:
    return pl.DataFrame(schema={"__row": pl.UInt32, **QUARANTINE_COLUMNS})
