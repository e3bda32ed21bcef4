"""The ledger's lettered history as frames the rule miners read.

Every `EcritureLet` code is a decision an accountant made: which receipt settled which
invoices, where a difference was written off. This module turns the whole FEC (every account,
not only the customer lines the run loads) into:
- `lines`: every line, with the role of its entry (sales, credit note, bank, other);
- `customer`: customer-account lines with their role in a lettering group (invoice,
  credit_note, receipt, adjustment) and group key (account, aux account, lettering code);
- `groups`: one row per lettered group: invoices, receipts, amounts, dates;
- `write_offs`: lines on charge/income accounts (classes 6 and 7) of the bank and other
  entries of a lettered group: where the gap between invoices and receipts was booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

CUSTOMER_PREFIX = "411"
TREASURY_PREFIX = "5"
GROUP_KEYS = ["account", "aux_account", "lettering_code"]
_ALL_ACCOUNTS = tuple(str(d) for d in range(10))


def read_fec_lines(path: Path | str) -> pl.DataFrame:
    """Every well-formed line of a FEC file (all accounts), as canonical ledger lines.

    Reuses the FEC loader with every account class as "customer" account, so parsing,
    amounts (integer cents) and record ids are the loader's own."""
    from reconkit.loaders.fec import load_fec

    return load_fec(Path(path), customer_accounts=_ALL_ACCOUNTS).tables["ledger_lines"]


def _entry_kind(lines: pl.DataFrame) -> pl.DataFrame:
    """(journal_code, entry_number) -> kind: bank (a treasury line, or a bank journal when
    only customer lines were loaded), sales (a sales or credit-note journal), other."""
    from reconkit.formats.fec import journal_kind

    journals = lines.select("journal_code").unique().with_columns(
        pl.col("journal_code").map_elements(lambda c: journal_kind(c, ""),
                                            return_dtype=pl.String).alias("journal_kind"))
    return (lines.join(journals, on="journal_code", how="left")
            .group_by("journal_code", "entry_number")
            .agg(pl.col("account").str.starts_with(TREASURY_PREFIX).any().alias("has_bank"),
                 pl.col("journal_kind").first())
            .with_columns(
                pl.when(pl.col("has_bank") | (pl.col("journal_kind") == "bank"))
                .then(pl.lit("bank"))
                .when(pl.col("journal_kind").is_in(["sales", "credit_note"])).then(pl.lit("sales"))
                .otherwise(pl.lit("other")).alias("entry_kind"))
            .select("journal_code", "entry_number", "entry_kind"))


@dataclass(frozen=True)
class LedgerHistory:
    """The ledger's lines, customer lines and lettered groups (see the module docstring)."""

    lines: pl.DataFrame
    customer: pl.DataFrame
    groups: pl.DataFrame
    write_offs: pl.DataFrame

    @classmethod
    def from_lines(cls, lines: pl.DataFrame, *,
                   customer_prefix: str = CUSTOMER_PREFIX) -> LedgerHistory:
        lines = lines.join(_entry_kind(lines), on=["journal_code", "entry_number"], how="left")
        is_cust = pl.col("account").str.starts_with(customer_prefix)
        role = (pl.when(pl.col("entry_kind") == "bank").then(pl.lit("receipt"))
                .when((pl.col("entry_kind") == "sales") & (pl.col("amount_cents") > 0))
                .then(pl.lit("invoice"))
                .when(pl.col("entry_kind") == "sales").then(pl.lit("credit_note"))
                .otherwise(pl.lit("adjustment")))
        customer = lines.filter(is_cust).with_columns(
            role.alias("role"),
            pl.col("lettering_code").fill_null("").str.strip_chars().alias("lettering_code"),
            pl.coalesce("piece_date", "entry_date").alias("doc_date"))
        customer = customer.with_columns(
            pl.when(pl.col("lettering_code") != "").then(pl.col("lettering_code"))
            .alias("lettering_code"))
        lettered = customer.filter(pl.col("lettering_code").is_not_null())
        groups = _groups(lettered)
        keys = lettered.select(*GROUP_KEYS, "journal_code", "entry_number").unique()
        entries = keys.select("journal_code", "entry_number").unique()
        others = lines.filter(~is_cust).join(entries, on=["journal_code", "entry_number"])
        group_of_entry = keys.unique(subset=["journal_code", "entry_number"], keep="first")
        write_offs = (others.filter(pl.col("entry_kind").is_in(["bank", "other"])
                                    & pl.col("account").str.contains(r"^[67]"))
                      .rename({"account": "write_off_account"})
                      .drop("aux_account", "lettering_code")
                      .join(group_of_entry, on=["journal_code", "entry_number"])
                      .select(*GROUP_KEYS, "journal_code", "entry_number", "entry_date",
                              "write_off_account", "label", "amount_cents")
                      .sort(*GROUP_KEYS, "journal_code", "entry_number", "write_off_account"))
        return cls(lines=lines, customer=customer, groups=groups, write_offs=write_offs)

    def receipts(self) -> pl.DataFrame:
        """Customer lines of bank entries (lettered or not): who paid, booked to which
        account, with which label."""
        return self.customer.filter(pl.col("role") == "receipt").sort("record_id")


def _groups(lettered: pl.DataFrame) -> pl.DataFrame:
    """One row per lettered group: counts, invoiced and received amounts, dates."""
    inv = pl.col("role") == "invoice"
    rec = pl.col("role") == "receipt"
    return (lettered.group_by(GROUP_KEYS)
            .agg(pl.col("aux_name").drop_nulls().first(),
                 inv.sum().cast(pl.Int64).alias("invoices"),
                 (pl.col("role") == "credit_note").sum().cast(pl.Int64).alias("credit_notes"),
                 rec.sum().cast(pl.Int64).alias("receipts"),
                 (pl.col("role") == "adjustment").sum().cast(pl.Int64).alias("adjustments"),
                 pl.col("amount_cents").filter(pl.col("role").is_in(["invoice", "credit_note"]))
                 .sum().alias("invoiced_cents"),
                 (-pl.col("amount_cents").filter(rec)).sum().alias("received_cents"),
                 pl.col("amount_cents").sum().alias("balance_cents"),
                 pl.col("piece_ref").filter(inv).sort().alias("invoice_refs"),
                 pl.col("doc_date").filter(inv).min().alias("first_invoice_date"),
                 pl.col("doc_date").filter(inv).max().alias("last_invoice_date"),
                 pl.col("entry_date").filter(rec).min().alias("receipt_date"))
            .sort(GROUP_KEYS))


def single_bank_lines(payments: pl.DataFrame | None) -> pl.DataFrame | None:
    """Bank lines whose entry holds one transaction, keyed by `piece_ref` (= the entry's bank
    reference, as bank-journal lines cite it): a batch entry's payer is not one client."""
    if payments is None or not payments.height:
        return None
    return (payments.filter(pl.len().over("entry_ref") == 1)
            .rename({"entry_ref": "piece_ref"}))
