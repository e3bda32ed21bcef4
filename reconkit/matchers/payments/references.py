"""Payment rules led by a reference: the payment cites documents (numbers, RF creditor
reference, end-to-end id, PO or contract number) and the amounts agree, fall short by a fee,
fall short, exceed, repeat a paid invoice, are in another currency, or settle an open item
only the ERP knows. Scores are the catalog's weights (`Score`) over the evidence columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from reconkit.matchers.base import Score, candidates, evidence_json, item, money, register_matcher
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.matchers.payments.common import (
    agreeing,
    fee_limit,
    finish,
    numbers,
    open_payments,
    paid_invoices,
    ref_groups,
    select_subset,
    with_party,
)


@register_matcher
@dataclass(frozen=True)
class ReferenceExact:
    """Reference + amount + party all agree: the payment cites open documents (invoice
    numbers, RF creditor reference, end-to-end id) whose open amounts, net of credit notes,
    sum exactly to the payment, and the payer is the invoiced party."""

    kind: ClassVar[str] = "reference_exact"
    party_threshold: float
    max_subset: int
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = with_party(ctx, select_subset(ref_groups(ctx, state), self.max_subset))
        rows = agreeing(rows, self.party_threshold)
        score = self.score.expr(reference=pl.col("ref_score"), amount=pl.lit(1.0),
                                party=pl.col("party_score"))
        expl = pl.format("Payment of {} from {} cites {} and pays exactly the open amount; "
                         "the payer is the invoiced client ({}).",
                         money(pl.col("pay_cents")), pl.col("payer_name").fill_null("?"),
                         numbers(), pl.col("party_evidence"))
        return finish(ctx, rows, score=score, explanation=expl, evidence={})


@register_matcher
@dataclass(frozen=True)
class ReferenceOtherEntity:
    """The reference and amount agree but the payer is another legal entity (parent, sister
    company, factor): never auto; ask who paid for whom and remember the answer."""

    kind: ClassVar[str] = "reference_other_entity"
    party_threshold: float
    max_subset: int
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = with_party(ctx, select_subset(ref_groups(ctx, state), self.max_subset))
        rows = rows.filter(pl.col("party_score").min().over("payment_id") < self.party_threshold)
        expl = pl.format("Payment of {} cites {} with the exact amount, but the payer '{}' is "
                         "not the invoiced client '{}'.", money(pl.col("pay_cents")), numbers(),
                         pl.col("payer_name").fill_null("?"),
                         pl.col("invoiced_name").fill_null("?"))
        score = self.score.expr(reference=pl.col("ref_score"), amount=pl.lit(1.0),
                                party=pl.col("party_score"))
        return finish(ctx, rows, score=score, explanation=expl, evidence={})


@dataclass(frozen=True)
class _AmountGap:
    """Shared logic: the payment cites open documents of the payer but the amounts differ."""

    party_threshold: float
    max_fee_cents: int
    max_fee_bp: int
    score: Score

    def _rows(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = ref_groups(ctx, state).filter(pl.col("sum_remaining") != pl.col("pay_cents"))
        return agreeing(with_party(ctx, rows), self.party_threshold).with_columns(
            (pl.col("sum_remaining") - pl.col("pay_cents")).alias("short_cents"))

    def _score(self) -> pl.Expr:
        """The amounts disagree by construction: only reference and party weigh in."""
        return self.score.expr(reference=pl.col("ref_score"), party=pl.col("party_score"))

    def _fee_limit(self) -> pl.Expr:
        return fee_limit(self.max_fee_cents, self.max_fee_bp)


@register_matcher
@dataclass(frozen=True)
class ReferenceFeeDeducted(_AmountGap):
    """Short by a small amount a bank withheld: match and propose a write-off for the gap."""

    kind: ClassVar[str] = "reference_fee_deducted"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = self._rows(ctx, state)
        rows = rows.filter((pl.col("short_cents") > 0)
                           & (pl.col("short_cents") <= self._fee_limit()))
        expl = pl.format("Payment of {} cites {} (open {}): short by {}, most likely a bank fee; "
                         "match with a write-off of {}.", money(pl.col("pay_cents")), numbers(),
                         money(pl.col("open_total")), money(pl.col("write_off")),
                         money(pl.col("write_off")))
        return finish(ctx, rows, score=self._score(), explanation=expl,
                       evidence={"write_off_cents": pl.col("write_off")},
                       write_off=pl.col("short_cents"))


@register_matcher
@dataclass(frozen=True)
class ReferencePartial(_AmountGap):
    """Pays only part of the cited documents (beyond the fee tolerance): allocate what was
    paid, leave the rest open."""

    kind: ClassVar[str] = "reference_partial"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = self._rows(ctx, state).filter(pl.col("short_cents") > self._fee_limit())
        expl = pl.format("Payment of {} cites {} (open {}): a partial payment, {} stays open.",
                         money(pl.col("pay_cents")), numbers(), money(pl.col("open_total")),
                         money(pl.col("open_total") - pl.col("pay_cents")))
        return finish(ctx, rows, score=self._score(), explanation=expl, evidence={})


@register_matcher
@dataclass(frozen=True)
class ReferenceOverpayment(_AmountGap):
    """Pays more than the cited documents ask: allocate the open amount, flag the excess."""

    kind: ClassVar[str] = "reference_overpayment"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = self._rows(ctx, state).filter(pl.col("short_cents") < 0)
        expl = pl.format("Payment of {} cites {} whose open amount is {}: overpaid by {}.",
                         money(pl.col("pay_cents")), numbers(), money(pl.col("open_total")),
                         money(pl.col("pay_cents") - pl.col("open_total")))
        return finish(ctx, rows, score=self._score(), explanation=expl, evidence={})


@register_matcher
@dataclass(frozen=True)
class ReferenceDuplicate:
    """Cites a document that is already paid (earlier in this run, or lettered in the ERP) for
    the same amount: the same invoice paid twice."""

    kind: ClassVar[str] = "reference_duplicate"
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = open_payments(ctx, state)
        docs = paid_invoices(ctx, state)
        rows = ctx.payment_refs.join(
            pay.select(pl.col("record_id").alias("payment_id"), "amount_cents", "payer_name",
                       "currency"),
            on="payment_id").join(
            docs.select(pl.col("record_id").alias("invoice_id"), "number", "settled_how",
                        pl.col("currency").alias("invoice_currency"),
                        pl.col("amount_cents").alias("invoice_cents")), on="invoice_id")
        rows = rows.filter((pl.col("amount_cents") == pl.col("invoice_cents"))
                           & (pl.col("currency") == pl.col("invoice_currency")))
        rows = rows.filter(pl.len().over("payment_id") == 1)
        paid_by = pl.col("invoice_id").replace_strict(
            state.consumed_by_map(), default=None, return_dtype=pl.String).fill_null(
            pl.col("settled_how").fill_null("the ERP lettering"))
        return candidates(
            rows, anchor_system="bank", anchor_id="payment_id",
            items=pl.concat_list([item("bank", pl.col("payment_id"), "payment", pl.lit(0)),
                                  item("billing", pl.col("invoice_id"), "invoice", pl.lit(0))]),
            score=self.score.expr(reference=pl.col("ref_score"), amount=pl.lit(1.0)),
            evidence=evidence_json(invoice_number=pl.col("number"),
                                   ref_evidence=pl.col("ref_evidence"), already_paid_by=paid_by),
            explanation=pl.format("Payment of {} cites {}, which is already paid (by {}): "
                                  "a duplicate payment to refund or keep as credit.",
                                  money(pl.col("amount_cents")), pl.col("number"), paid_by),
        )


@register_matcher
@dataclass(frozen=True)
class ReferenceFx:
    """The payment cites one open document issued in another currency, and its amount is the
    document's converted at the period's rate within `tolerance_bp`: a proposal with the
    exchange difference for a person to book."""

    kind: ClassVar[str] = "reference_fx"
    tolerance_bp: int
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rates = ctx.fx_rate_ppm()
        rows = ref_groups(ctx, state, same_currency=False).filter(pl.col("n_refs") == 1)
        rows = rows.with_columns(
            pl.col("currency").replace_strict(rates, default=None, return_dtype=pl.Int64)
            .alias("doc_ppm"),
            pl.col("pay_currency").replace_strict(rates, default=None, return_dtype=pl.Int64)
            .alias("pay_ppm"),
        ).filter(pl.col("doc_ppm").is_not_null() & pl.col("pay_ppm").is_not_null())
        # expected = open amount x doc rate / payment rate, integer cents, rounded half up
        expected = ((pl.col("remaining_cents") * pl.col("doc_ppm") * 2 + pl.col("pay_ppm"))
                    // (2 * pl.col("pay_ppm")))
        rows = rows.with_columns(expected.alias("expected_cents")).with_columns(
            (pl.col("pay_cents") - pl.col("expected_cents")).alias("fx_diff"))
        rows = rows.filter(pl.col("fx_diff").abs() * 10_000
                           <= pl.col("expected_cents") * self.tolerance_bp)
        rows = with_party(ctx, rows)
        return candidates(
            rows.sort("payment_id"), anchor_system="bank", anchor_id="payment_id",
            items=pl.concat_list([
                item("bank", pl.col("payment_id"), "payment", pl.col("pay_cents")),
                item("billing", pl.col("invoice_id"), "invoice", pl.col("remaining_cents"))]),
            score=self.score.expr(reference=pl.col("ref_score"), party=pl.col("party_score")),
            evidence=evidence_json(invoice_number=pl.col("number"),
                                   invoice_currency=pl.col("currency"),
                                   expected_cents=pl.col("expected_cents"),
                                   fx_difference_cents=pl.col("fx_diff"),
                                   rate_ppm=pl.col("doc_ppm")),
            explanation=pl.format("Payment of {} {} cites {} ({} {}): {} {} at the period's rate, "
                                  "an exchange difference of {} to book.",
                                  money(pl.col("pay_cents")), pl.col("pay_currency"),
                                  pl.col("number"), money(pl.col("remaining_cents")),
                                  pl.col("currency"), money(pl.col("expected_cents")),
                                  pl.col("pay_currency"), money(pl.col("fx_diff"))),
        )


@register_matcher
@dataclass(frozen=True)
class ReferenceLedgerItem:
    """The payment cites an open item only the ERP knows (no billing document: an older
    invoice, an opening balance) by its piece reference, for its exact amount, and the payer
    is that account's client: reference + amount + party, as for invoices."""

    kind: ClassVar[str] = "reference_ledger_item"
    party_threshold: float
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = open_payments(ctx, state)
        items = ctx.ledger_open_items.join(state.remaining_frame("erp"), on="record_id",
                                           how="left").filter(
            pl.col("remaining_cents").fill_null(pl.col("amount_cents")) > 0)
        rows = ctx.payment_ledger_refs.filter(pl.len().over("payment_id") == 1).join(
            pay.select(pl.col("record_id").alias("payment_id"), "remaining_cents",
                       "payer_name", "payer_norm", pl.col("party_id").alias("payer_party"),
                       "payer_evidence", pl.col("currency").alias("pay_currency"))
            .rename({"remaining_cents": "pay_cents"}), on="payment_id").join(
            items.select(pl.col("record_id").alias("ledger_id"), "number",
                         pl.col("party_id").alias("invoice_party"), "currency",
                         pl.col("amount_cents").alias("item_cents")), on="ledger_id")
        rows = rows.filter((pl.col("pay_cents") == pl.col("item_cents"))
                           & (pl.col("currency") == pl.col("pay_currency")))
        rows = with_party(ctx, rows).filter(pl.col("party_score") >= self.party_threshold)
        return candidates(
            rows.sort("payment_id"), anchor_system="bank", anchor_id="payment_id",
            items=pl.concat_list([
                item("bank", pl.col("payment_id"), "payment", pl.col("pay_cents")),
                item("erp", pl.col("ledger_id"), "open_item", pl.col("item_cents"))]),
            score=self.score.expr(reference=pl.col("ref_score"), amount=pl.lit(1.0),
                                  party=pl.col("party_score")),
            evidence=evidence_json(piece_ref=pl.col("number"),
                                   ref_evidence=pl.col("ref_evidence"),
                                   party_evidence=pl.col("party_evidence"),
                                   party_score=pl.col("party_score").round(3)),
            explanation=pl.format("Payment of {} from {} cites {}, an open item of the ERP with "
                                  "no billing document, for its exact amount; the payer is the "
                                  "account's client ({}).", money(pl.col("pay_cents")),
                                  pl.col("payer_name").fill_null("?"), pl.col("number"),
                                  pl.col("party_evidence")),
        )
