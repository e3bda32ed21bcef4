"""Reference habits: how the payers' remittance text points to the invoice the accountant
lettered.

For every lettered receipt, each invoice of the same client still open on the receipt date is
compared with the receipt's text (the bank-journal label, plus the bank line's remittance,
structured reference and end-to-end id when the statement holds it). The comparison names the
*form* of the citation, strongest first:

exact, case_changed, separators (dashes or spaces dropped or added), zeros_dropped, ocr
(O for 0, I/L for 1), typo (one character wrong), rf_reference (ISO 11649 RF built from the
number), contract_number, po_number, sequence_only (the number's last digit run alone), none.

A receipt *hits* when its text cites every invoice lettered with it, and cites no other open
invoice of the client as strongly (a one-edit sibling `...0103` of an exactly cited `...0101`
does not count against it): read alone, the habit leads to the accountant's answer.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from reconkit.audit.history import GROUP_KEYS, LedgerHistory, single_bank_lines
from reconkit.keys.normalize import ocr_digits

FORMS = ("exact", "case_changed", "separators", "zeros_dropped", "ocr", "typo",
         "rf_reference", "contract_number", "po_number", "sequence_only", "none")
FORM_TEXT = {
    "exact": "the invoice number exactly as issued",
    "case_changed": "the invoice number in another letter case",
    "separators": "the invoice number with separators dropped or changed",
    "zeros_dropped": "the invoice number without its leading zeros",
    "ocr": "the invoice number with O typed for 0 or I/L for 1",
    "typo": "the invoice number with one character wrong",
    "rf_reference": "an RF creditor reference built from the invoice number",
    "contract_number": "the contract number only",
    "po_number": "the client's purchase-order number only",
    "sequence_only": "the invoice sequence number only",
    "none": "no reference (the payer's name at most)",
}
_RANK = {f: i for i, f in enumerate(FORMS)}
EXAMPLES = 3
MIN_TYPO_LEN = 6


def _compact(e: pl.Expr) -> pl.Expr:
    return e.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")


def _zeros(e: pl.Expr) -> pl.Expr:
    return (e.str.to_uppercase().str.replace_all(r"(^|[^0-9])0+([0-9])", "${1}${2}")
            .str.replace_all(r"[^0-9A-Z]", ""))


def number_shape(e: pl.Expr) -> pl.Expr:
    """The form of a document number: letters -> A, digits -> 9 (`F-2026-000123` ->
    `A-9999-999999`)."""
    return (e.str.replace_all(r"[A-Z]", "A").str.replace_all(r"[a-z]", "a")
            .str.replace_all(r"[0-9]", "9"))


def _candidates(history: LedgerHistory, payments: pl.DataFrame | None) -> pl.DataFrame:
    """(receipt, open invoice of its client on the receipt date) pairs with the receipt's
    searchable text; `lettered` marks the invoices lettered with the receipt."""
    cust = history.customer
    receipts = cust.filter((pl.col("role") == "receipt") & pl.col("lettering_code").is_not_null())
    text = pl.col("label").fill_null("")
    bank_lines = single_bank_lines(payments)
    if bank_lines is not None:
        bank = bank_lines.select(
            "piece_ref",
            pl.concat_str([pl.col(c).fill_null("") for c in
                           ("remittance", "structured_ref", "end_to_end_id")],
                          separator=" ").alias("bank_text"))
        receipts = receipts.join(bank, on="piece_ref", how="left")
        text = pl.concat_str([text, pl.col("bank_text").fill_null("")], separator=" ")
    receipts = receipts.select(
        pl.col("record_id").alias("receipt_id"), "aux_account", "aux_name",
        pl.col("entry_date").alias("receipt_date"), pl.col("lettering_code").alias("r_code"),
        pl.col("account").alias("r_account"), text.alias("text"), "label")
    invoices = cust.filter(pl.col("role") == "invoice").select(
        pl.col("record_id").alias("invoice_id"), "aux_account",
        pl.col("piece_ref").alias("number"), "doc_date", "lettering_code", "lettering_date",
        pl.col("account").alias("i_account"))
    pairs = receipts.join(invoices, on="aux_account").filter(
        (pl.col("doc_date") <= pl.col("receipt_date"))
        & (pl.col("lettering_date").is_null()
           | (pl.col("lettering_date") >= pl.col("receipt_date"))))
    return pairs.with_columns(
        ((pl.col("lettering_code") == pl.col("r_code"))
         & (pl.col("i_account") == pl.col("r_account"))).fill_null(False).alias("lettered"))


def _with_documents(pairs: pl.DataFrame, invoices: pl.DataFrame | None) -> pl.DataFrame:
    """Contract and PO numbers of each invoice, from the billing data when loaded."""
    if invoices is None or not invoices.height:
        return pairs.with_columns(pl.lit(None, pl.String).alias("contract"),
                                  pl.lit(None, pl.String).alias("po"))
    docs = (invoices.filter(pl.col("number").is_not_null())
            .select("number", pl.col("commitment_ref").alias("contract"),
                    pl.col("po_number").alias("po"))
            .unique("number", keep="first"))
    return pairs.join(docs, on="number", how="left")


def _typo_hits(pairs: pl.DataFrame) -> pl.DataFrame:
    """(receipt_id, invoice_id) pairs whose text holds a word one edit away from the number."""
    words = (pairs.select("receipt_id", "invoice_id", _compact(pl.col("number")).alias("key"),
                          ocr_digits(pl.col("text").str.to_uppercase())
                          .str.split(" ").alias("word"))
             .explode("word").with_columns(_compact(pl.col("word")).alias("word"))
             .filter((pl.col("key").str.len_chars() >= MIN_TYPO_LEN)
                     & ((pl.col("word").str.len_chars() - pl.col("key").str.len_chars()).abs()
                        <= 1)))
    if not words.height:
        return words.select("receipt_id", "invoice_id")
    dist = process.cpdist(words["word"].to_list(), words["key"].to_list(),
                          scorer=Levenshtein.distance, dtype=np.int32)
    return (words.with_columns(pl.Series("d", dist)).filter(pl.col("d") <= 1)
            .select("receipt_id", "invoice_id").unique())


def classify_citations(pairs: pl.DataFrame) -> pl.DataFrame:
    """Add `form`: how the receipt's text cites the invoice (see FORMS), strongest first."""
    text, num = pl.col("text"), pl.col("number").fill_null("")
    up = text.str.to_uppercase()
    ocr_text, ocr_num = ocr_digits(up), ocr_digits(num.str.to_uppercase())
    digits = up.str.extract_all(r"[0-9]+").list.eval(
        pl.element().str.strip_chars_start("0"))
    rf_bodies = up.str.replace_all(" ", "").str.extract_all(r"RF[0-9]{2}[0-9A-Z]+").list.eval(
        pl.element().str.slice(4))
    seq = num.str.extract(r"([0-9]+)[^0-9]*$").str.strip_chars_start("0")
    contract = pl.col("contract").str.replace_all(r"[^0-9A-Za-z]", "").str.strip_chars_start("0")
    has = num.str.len_chars() > 0
    typo = _typo_hits(pairs).with_columns(pl.lit(True).alias("typo"))
    out = pairs.join(typo, on=["receipt_id", "invoice_id"], how="left")
    form = (pl.when(has & text.str.contains(num, literal=True)).then(pl.lit("exact"))
            .when(has & up.str.contains(num.str.to_uppercase(), literal=True))
            .then(pl.lit("case_changed"))
            .when(has & _compact(up).str.contains(_compact(num), literal=True))
            .then(pl.lit("separators"))
            .when(has & _zeros(up).str.contains(_zeros(num), literal=True))
            .then(pl.lit("zeros_dropped"))
            .when(has & _zeros(ocr_text).str.contains(_zeros(ocr_num), literal=True))
            .then(pl.lit("ocr"))
            .when(pl.col("typo").fill_null(False)).then(pl.lit("typo"))
            .when(has & rf_bodies.list.contains(_compact(num))).then(pl.lit("rf_reference"))
            .when((contract.str.len_chars() > 0).fill_null(False)
                  & digits.list.contains(contract)).then(pl.lit("contract_number"))
            .when((pl.col("po").str.len_chars() > 0).fill_null(False)
                  & _compact(up).str.contains(_compact(pl.col("po").fill_null("")),
                                              literal=True)).then(pl.lit("po_number"))
            .when(seq.is_not_null() & digits.list.contains(seq)).then(pl.lit("sequence_only"))
            .otherwise(pl.lit("none")))
    return out.with_columns(form.alias("form")).drop("typo")


def reference_habits(history: LedgerHistory, *, invoices: pl.DataFrame | None = None,
                     payments: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per (number shape, citation form): lettered receipts, their share, hits and hit rate,
    and up to three example texts. Most used first."""
    pairs = classify_citations(_with_documents(_candidates(history, payments), invoices))
    rank = pl.col("form").replace_strict(_RANK, return_dtype=pl.Int64)
    per_receipt = (pairs.with_columns(rank.alias("rank"), number_shape(pl.col("number"))
                                      .alias("shape"))
                   .group_by("receipt_id")
                   .agg(pl.col("rank").filter(pl.col("lettered")).min().alias("rank"),
                        pl.col("shape").filter(pl.col("lettered")).sort().first(),
                        pl.col("label").first(),
                        pl.col("rank").filter(pl.col("lettered")).max().alias("worst"),
                        pl.col("rank").filter(~pl.col("lettered")).min().alias("other"),
                        pl.col("lettered").any().alias("has_invoice"))
                   .filter(pl.col("has_invoice"))
                   .with_columns(((pl.col("worst") < _RANK["none"])
                                  & (pl.col("other").is_null()
                                     | (pl.col("other") > pl.col("worst")))).alias("hit")))
    total = per_receipt.height
    return (per_receipt.with_columns(pl.col("rank").replace_strict(
                dict(enumerate(FORMS)), return_dtype=pl.String).alias("form"))
            .sort("receipt_id")
            .group_by("shape", "form", "rank")
            .agg(pl.len().cast(pl.Int64).alias("receipts"),
                 pl.col("hit").sum().cast(pl.Int64).alias("hits"),
                 pl.col("label").head(EXAMPLES).str.join(" | ").alias("examples"))
            .with_columns((pl.col("receipts") / max(total, 1)).round(4).alias("share"),
                          (pl.col("hits") / pl.col("receipts")).round(4).alias("hit_rate"))
            .sort(["receipts", "rank", "shape"], descending=[True, False, False])
            .select("shape", "form", "receipts", "share", "hits", "hit_rate", "examples"))


__all__ = ["FORMS", "FORM_TEXT", "GROUP_KEYS", "classify_citations", "number_shape",
           "reference_habits"]
