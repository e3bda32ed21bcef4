"""PSP settlement lines against billing and the ERP (rules of the `settlement_invoice` link).

A charge line pays the invoice it names (invoice id or number, read like a remittance number):
matched with the invoice, and, when booked, with the invoice's 411 line and the charge's 411
receipt line in the PSP clearing journal, so the lettering export can letter them. A refund
is matched with the credit note of the invoice it refunds; refunds without one, disputes and
unexplained lines are exceptions. The fees of each payout are one write-off to the catalog's
account. Amounts are integer cents; an invoice's open amount is used up once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from reconkit.keys.normalize import reference_key
from reconkit.matchers.base import (
    Score,
    candidates,
    empty_candidates,
    evidence_json,
    exception_only,
    item,
    money,
    register_matcher,
)
from reconkit.matchers.context import AllocationState, MatchContext

LINK = "settlement_invoice"


def _lines(ctx: MatchContext, state: AllocationState, kinds: list[str], *,
           anchors_only: bool = True) -> pl.DataFrame:
    lines = ctx.table("settlement_lines").filter(pl.col("kind").is_in(kinds))
    return state.undecided(lines, LINK, "psp", anchors_only=anchors_only)


def _cited_documents(lines: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    """(record_id, doc_id): the document each line names, by its id or its number."""
    refs = lines.select("record_id", pl.col("invoice_ref").alias("ref")).filter(
        pl.col("ref").is_not_null())
    by_id = refs.join(docs.select(pl.col("record_id").alias("doc_id")), left_on="ref",
                      right_on="doc_id", how="inner").select(
        "record_id", pl.col("ref").alias("doc_id"))
    by_number = refs.with_columns(reference_key(pl.col("ref")).alias("ref_key")).join(
        docs.select(pl.col("record_id").alias("doc_id"), "ref_key"), on="ref_key").select(
        "record_id", "doc_id")
    return pl.concat([by_id, by_number]).unique().sort("record_id", "doc_id")


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PspChargeInvoice:
    """A charge naming one invoice: reference, amount (gross = the invoice's total or open
    amount) and customer (the PSP's customer is the invoiced one) weighed by `score`."""

    kind: ClassVar[str] = "psp_charge_invoice"
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        charges = _lines(ctx, state, ["charge"])
        invoices = ctx.invoices.filter(pl.col("doc_type") == "invoice")
        pairs = _cited_documents(charges, invoices)
        pairs = pairs.filter(pl.len().over("record_id") == 1)  # names one document only
        if pairs.height == 0:
            return empty_candidates()
        remaining = state.remaining_frame("billing").rename({"record_id": "doc_id"})
        opens = ctx.open_items.select(pl.col("record_id").alias("doc_id"), "open_cents")
        customers = ctx.parties.party_of("billing").rename(
            {"record_id": "customer_ref", "party_id": "customer_party"})
        pairs = pairs.join(charges.select("record_id", "gross_cents", "customer_ref",
                                          "source_id", "settlement_id", "provider"),
                           on="record_id").join(
            invoices.select(pl.col("record_id").alias("doc_id"), "number", "amount_cents",
                            "party_record_id", "party_id", "ref_key"), on="doc_id").join(
            opens, on="doc_id", how="left").join(remaining, on="doc_id", how="left").join(
            customers, on="customer_ref", how="left")
        left = pl.coalesce("remaining_cents", "open_cents", "amount_cents")
        pairs = pairs.with_columns(
            ((pl.col("gross_cents") == pl.col("amount_cents"))
             | (pl.col("gross_cents") == pl.col("open_cents"))).fill_null(False)
            .alias("same_amount"),
            ((pl.col("customer_ref") == pl.col("party_record_id"))
             | (pl.col("customer_party") == pl.col("party_id"))).fill_null(False)
            .alias("same_customer"),
            pl.min_horizontal(pl.col("gross_cents"), left).alias("allocated"))
        pairs = pairs.filter(pl.col("allocated") > 0)
        pairs = self._with_ledger(ctx, pairs)
        items = pl.concat_list([
            item("psp", pl.col("record_id"), "charge", pl.col("gross_cents")),
            item("billing", pl.col("doc_id"), "invoice", pl.col("allocated"))])
        items = pl.when(pl.col("receipt_id").is_not_null() & pl.col("ledger_id").is_not_null()) \
            .then(pl.concat_list([items, pl.concat_list([
                item("erp", pl.col("ledger_id"), "ledger_line", pl.col("ledger_cents")),
                item("erp", pl.col("receipt_id"), "receipt", pl.col("receipt_cents"))])])) \
            .otherwise(items)
        return candidates(
            pairs.sort("record_id"), anchor_system="psp", anchor_id="record_id", items=items,
            score=self.score.expr(reference=pl.lit(True), amount=pl.col("same_amount"),
                                  party=pl.col("same_customer")),
            evidence=evidence_json(invoice_ref=pl.col("doc_id"), same_amount=pl.col(
                "same_amount"), same_customer=pl.col("same_customer"),
                payout=pl.col("settlement_id"), receipt=pl.col("receipt_id")),
            explanation=pl.format(
                "{} charge {} of {} pays invoice {} ({}){}{}.", pl.col("provider"),
                pl.coalesce("source_id", "record_id"), money(pl.col("gross_cents")),
                pl.col("number"), money(pl.col("amount_cents")),
                pl.when(pl.col("settlement_id").is_not_null())
                .then(pl.format(", paid out in {}", pl.col("settlement_id")))
                .otherwise(pl.lit(", not paid out yet")),
                pl.when(pl.col("receipt_id").is_not_null())
                .then(pl.format("; booked as {}", pl.col("receipt_id"))).otherwise(pl.lit(""))))

    @staticmethod
    def _with_ledger(ctx: MatchContext, pairs: pl.DataFrame) -> pl.DataFrame:
        """The invoice's open 411 line and the charge's 411 receipt (label or piece
        reference naming the invoice or the charge, for the gross amount), when unique."""
        own = ctx.invoice_ledger_pairs.filter(~pl.col("lettered") & (
            pl.col("ledger_cents") == pl.col("invoice_cents"))).select(
            pl.col("invoice_id").alias("doc_id"), "ledger_id", "ledger_cents").filter(
            pl.len().over("doc_id") == 1)
        booked = ctx.invoice_ledger_pairs.select("ledger_id")
        receipts = ctx.ledger.filter(~pl.col("lettered") & (pl.col("amount_cents") < 0)).join(
            booked.rename({"ledger_id": "record_id"}), on="record_id", how="anti").select(
            pl.col("record_id").alias("receipt_id"), pl.col("amount_cents").alias(
                "receipt_cents"), pl.col("ref_key").alias("receipt_key"), "label")
        cand = pairs.select("record_id", "ref_key", "source_id",
                            (-pl.col("gross_cents")).alias("receipt_cents"), "gross_cents").join(
            receipts, on="receipt_cents", how="inner")
        if cand.height == 0:
            found = pl.DataFrame(schema={"record_id": pl.String, "receipt_id": pl.String,
                                         "receipt_cents": pl.Int64})
        else:
            cites = (pl.col("receipt_key") == pl.col("ref_key")) | pl.col("label").str.contains(
                pl.col("source_id").fill_null("\x00"), literal=True).fill_null(False)
            found = cand.filter(cites).with_columns(
                (-pl.col("gross_cents")).alias("receipt_cents")).select(
                "record_id", "receipt_id", "receipt_cents").unique().filter(
                (pl.len().over("record_id") == 1) & (pl.len().over("receipt_id") == 1))
        return pairs.join(own, on="doc_id", how="left").join(found, on="record_id", how="left")


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PspRefundCreditNote:
    """A refund (or dispute) of the invoice it names, for the amount of one of that
    invoice's credit notes (or naming the credit note itself)."""

    kind: ClassVar[str] = "psp_refund_credit_note"
    kinds: list[str]
    score: float

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        refunds = _lines(ctx, state, self.kinds)
        docs = ctx.invoices
        cited = _cited_documents(refunds, docs)
        if cited.height == 0:
            return empty_candidates()
        notes = docs.filter(pl.col("doc_type") == "credit_note").select(
            pl.col("record_id").alias("note_id"), "number", pl.col("amount_cents").alias(
                "note_cents"), "credited_invoice_id")
        via_invoice = cited.join(notes, left_on="doc_id", right_on="credited_invoice_id")
        direct = cited.join(notes.drop("credited_invoice_id"), left_on="doc_id",
                            right_on="note_id", how="inner").with_columns(
            pl.col("doc_id").alias("note_id"))
        pairs = pl.concat([via_invoice.select("record_id", "note_id", "number", "note_cents"),
                           direct.select("record_id", "note_id", "number", "note_cents")]
                          ).unique().join(refunds.select("record_id", "gross_cents", "provider",
                                                         "kind"), on="record_id")
        pairs = pairs.filter(pl.col("gross_cents") == pl.col("note_cents"))
        pairs = pairs.filter(pl.len().over("record_id") == 1)
        return candidates(
            pairs.sort("record_id"), anchor_system="psp", anchor_id="record_id",
            items=pl.concat_list([item("psp", pl.col("record_id"), "refund",
                                       pl.col("gross_cents")),
                                  item("billing", pl.col("note_id"), "credit_note",
                                       pl.col("note_cents"))]),
            score=pl.lit(self.score),
            evidence=evidence_json(credit_note=pl.col("note_id")),
            explanation=pl.format("{} {} of {} is the refund of credit note {}.",
                                  pl.col("provider"), pl.col("kind"),
                                  money(-pl.col("gross_cents")), pl.col("number")))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PspFees:
    """The fees of each payout (`fee_cents` of its lines: card and SEPA fees, dispute fees,
    standalone fee lines) written off in one amount to `account`."""

    kind: ClassVar[str] = "psp_fees"
    account: str
    account_label: str
    score: float

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        lines = ctx.table("settlement_lines").filter(
            pl.col("settlement_id").is_not_null() & (pl.col("fee_cents") != 0))
        if lines.height == 0:
            return empty_candidates()
        groups = lines.sort("record_id").group_by("provider", "settlement_id").agg(
            item("psp", pl.col("record_id"), "fee", pl.col("fee_cents")).alias("items"),
            pl.col("fee_cents").sum().alias("fees"), pl.len().alias("n"),
            pl.col("currency").first()).with_columns(
            pl.format("fees:{}", pl.col("settlement_id")).alias("anchor"))
        return candidates(
            groups.sort("anchor"), anchor_system="psp", anchor_id="anchor",
            items=pl.col("items"), score=pl.lit(self.score),
            evidence=evidence_json(write_off_account=pl.lit(self.account),
                                   fees_cents=pl.col("fees"), payout=pl.col("settlement_id"),
                                   lines=pl.col("n")),
            explanation=pl.format("{} fees of payout {}: {} {} over {} line(s), written off to "
                                  "{} ({}).", pl.col("provider"), pl.col("settlement_id"),
                                  money(pl.col("fees")), pl.col("currency"), pl.col("n"),
                                  pl.lit(self.account), pl.lit(self.account_label)))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PspLineException:
    """Settlement lines of `kinds` no rule above explained (a refund without credit note, a
    dispute, a charge naming no open invoice, an adjustment): the rule's exception.
    `covered_counts`: a line inside an earlier match of the link (a fee in a write-off) is
    explained too."""

    kind: ClassVar[str] = "psp_line_exception"
    kinds: list[str]
    covered_counts: bool

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        lines = _lines(ctx, state, self.kinds, anchors_only=not self.covered_counts)
        return exception_only(lines, "psp", "record_id", pl.format(
            "{} {} {} of {} ({}){}.", pl.col("provider"), pl.col("kind"),
            pl.coalesce("source_id", "record_id"), money(pl.col("gross_cents")),
            pl.col("created_date").cast(pl.String).fill_null("no date"),
            pl.when(pl.col("invoice_ref").is_not_null())
            .then(pl.format(", citing {} (no open invoice or credit note fits)",
                            pl.col("invoice_ref")))
            .otherwise(pl.lit(", citing no invoice"))),
            evidence_json(invoice_ref=pl.col("invoice_ref"), payout=pl.col("settlement_id"),
                          customer=pl.col("customer_ref")))
