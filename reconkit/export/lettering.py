"""Lettering to send back to the ERP: the 411 lines each settled payment closes.

For every auto or confirmed payment -> invoice match whose documents and payment are booked
in the ERP (found through the invoice -> ledger and payment -> ledger matches), every auto
or confirmed proposal lettering an earlier receipt with the debit it cites, and every PSP
charge matched with its invoice (both 411 lines booked), the customer
lines are given one new lettering code per auxiliary account, continuing after the codes the
account already uses (AAA, AAB, ... AAZ, ABA ...). A group that does not net to zero (partial
payment, write-off still to book) gets a lower-case code: partial lettering, as Sage does.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reconkit.result import ReconResult
from reconkit.safe_export import write_csv
from reconkit.schemas import PolarsDataType, empty_table

LETTERING_COLUMNS: dict[str, PolarsDataType] = {
    "match_id": pl.String, "aux_account": pl.String, "lettering_code": pl.String,
    "lettering_date": pl.Date, "partial": pl.Boolean, "record_id": pl.String,
    "journal_code": pl.String, "entry_number": pl.String, "account": pl.String,
    "amount_cents": pl.Int64,
}
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def code_at(n: int, width: int = 3) -> str:
    """The n-th lettering code (0 -> AAA, 1 -> AAB, 26 -> ABA)."""
    out = []
    for _ in range(width):
        n, r = divmod(n, 26)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


def code_index(code: str) -> int | None:
    """Inverse of `code_at` for 3-letter codes; None for other formats."""
    code = code.upper()
    if len(code) != 3 or not code.isalpha():
        return None
    n = 0
    for ch in code:
        n = n * 26 + _ALPHABET.index(ch)
    return n


def _links(result: ReconResult, kind: str, left: str, right: str) -> pl.DataFrame:
    m = result.matches.filter((pl.col("kind") == kind)
                              & pl.col("status").is_in(["auto", "confirmed"]))
    items = result.match_items.join(m.select("match_id"), on="match_id")
    a = items.filter(pl.col("role") == left).select("match_id", pl.col("record_id").alias(left))
    b = items.filter(pl.col("role") == right).select("match_id",
                                                     pl.col("record_id").alias(right))
    return a.join(b, on="match_id").drop("match_id")


def propose_lettering(result: ReconResult) -> pl.DataFrame:
    """One row per ERP line to letter: the code, its group (match) and the line's amount."""
    ledger = result.inputs.get("ledger_lines")
    payments = result.inputs.get("payments")
    if ledger is None or ledger.height == 0:
        return pl.DataFrame(schema=LETTERING_COLUMNS)
    if payments is None:
        payments = empty_table("payments")
    settled = result.matches.filter((pl.col("kind") == "payment_invoice")
                                    & pl.col("status").is_in(["auto", "confirmed"]))
    items = result.match_items.join(settled.select("match_id"), on="match_id").filter(
        pl.col("role").is_in(["payment", "invoice", "credit_note", "open_item"]))
    inv_line = _links(result, "invoice_ledger", "invoice", "ledger_line").rename(
        {"invoice": "record_id"})
    pay_line = _links(result, "payment_ledger", "payment", "ledger_line").rename(
        {"payment": "record_id"})
    # an ERP-only open item is its own line
    own = items.filter(pl.col("role") == "open_item").select(
        "record_id", pl.col("record_id").alias("ledger_line"))
    doc_lines = pl.concat([inv_line, pay_line, own]).unique()
    lines = items.select("match_id", "record_id").join(doc_lines, on="record_id", how="left")
    # every document and the payment must be booked, or the group cannot be lettered yet
    complete = lines.group_by("match_id").agg(pl.col("ledger_line").is_not_null().all()
                                              .alias("ok")).filter("ok")
    lines = lines.join(complete.select("match_id"), on="match_id").select(
        "match_id", pl.col("ledger_line").alias("record_id")).unique()
    receipts = _receipt_groups(result, ledger)
    lines = pl.concat([lines, receipts.select("match_id", "record_id")]).unique()
    lines = lines.join(ledger.filter(pl.col("lettering_code").is_null()).select(
        "record_id", "journal_code", "entry_number", "account", "aux_account", "amount_cents"),
        on="record_id")
    if lines.height == 0:
        return pl.DataFrame(schema=LETTERING_COLUMNS)
    dates = items.filter(pl.col("role") == "payment").select("match_id", "record_id").join(
        payments.select("record_id", "booking_date"), on="record_id").group_by("match_id").agg(
        pl.col("booking_date").max().alias("lettering_date"))
    dates = pl.concat([dates, receipts.group_by("match_id").agg(
        pl.col("entry_date").max().alias("lettering_date"))])
    groups = lines.group_by("match_id", "aux_account").agg(
        (pl.col("amount_cents").sum() != 0).alias("partial")).join(dates, on="match_id")
    groups = groups.sort("aux_account", "lettering_date", "match_id")
    start = _next_codes(ledger)
    groups = groups.with_columns(
        (pl.int_range(pl.len()).over("aux_account")
         + pl.col("aux_account").replace_strict(start, default=0, return_dtype=pl.Int64))
        .alias("n"))
    groups = groups.with_columns(
        pl.col("n").map_elements(code_at, return_dtype=pl.String).alias("code"))
    groups = groups.with_columns(
        pl.when(pl.col("partial")).then(pl.col("code").str.to_lowercase())
        .otherwise(pl.col("code")).alias("lettering_code"))
    out = lines.join(groups.select("match_id", "aux_account", "lettering_code", "lettering_date",
                                   "partial"), on=["match_id", "aux_account"])
    return out.select(list(LETTERING_COLUMNS)).sort("aux_account", "lettering_code",
                                                    "record_id")


def _receipt_groups(result: ReconResult, ledger: pl.DataFrame) -> pl.DataFrame:
    """(match_id, record_id, entry_date): ERP lines of auto or confirmed lettering proposals
    (an earlier receipt and the debit it cites, rule LEDGER-EARLIER-RECEIPT) and of PSP
    charges matched with their invoice (the invoice's line and the charge's receipt line in
    the clearing journal)."""
    m = result.matches.filter(pl.col("kind").is_in(["ledger_lettering", "settlement_invoice"])
                              & pl.col("status").is_in(["auto", "confirmed"]))
    items = result.match_items.join(m.select("match_id"), on="match_id")
    with_receipt = items.filter(pl.col("role") == "receipt").select("match_id").unique()
    return items.join(with_receipt, on="match_id").filter(pl.col("system") == "erp").select(
        "match_id", "record_id").join(ledger.select("record_id", "entry_date"), on="record_id")


def _next_codes(ledger: pl.DataFrame) -> dict[str, int]:
    """Per auxiliary account, the index after the highest 3-letter code already used."""
    used = ledger.filter(pl.col("lettering_code").is_not_null()).select(
        "aux_account", pl.col("lettering_code").map_elements(
            code_index, return_dtype=pl.Int64).alias("n")).drop_nulls()
    top = used.group_by("aux_account").agg(pl.col("n").max() + 1)
    return dict(top.iter_rows())


def write_lettering(result: ReconResult, path: Path) -> pl.DataFrame:
    """Write the proposed lettering as CSV (JournalCode, EcritureNum, CompteNum, CompAuxNum,
    EcritureLet, DateLet, amount): the columns ERP lettering imports ask for."""
    lettering = propose_lettering(result)
    write_csv(lettering.select(
        pl.col("journal_code").alias("JournalCode"), pl.col("entry_number").alias("EcritureNum"),
        pl.col("account").alias("CompteNum"), pl.col("aux_account").alias("CompAuxNum"),
        pl.col("record_id").alias("reconkit_record_id"),
        pl.col("lettering_code").alias("EcritureLet"),
        pl.col("lettering_date").dt.strftime("%Y%m%d").alias("DateLet"),
        pl.col("amount_cents"), pl.col("match_id"),
    ), path)
    return lettering
