"""Payment rules led by the payer when the remittance cites nothing usable: the payer is a
known client (IBAN, alias or name) and its open documents explain the amount only with a
gap: a bank fee withheld, a partial payment, an overpayment, or the amount of a document it
has already paid (a duplicate). Never automatic: the amount and the client are a lead, not
proof; each proposal carries the exception that says what to decide.

Each rule looks at the payer's own open documents in the payment's currency, issued before
the payment (a few days' slack, as for vague citations: `ReferenceReading`), and proposes only
when one document fits: the one within the fee tolerance (`fee`; the oldest of equal
instalments), or the payer's only open
document, or its only one of the billing month the remittance names (`partial`, `over`), or
the one already-paid document of exactly that amount (`duplicate`, when no open document
has it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl

from reconkit.matchers.base import Score, candidates, evidence_json, item, money, register_matcher
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.matchers.payments.common import (
    fee_limit,
    finish,
    open_documents,
    open_payments,
    paid_invoices,
    with_party,
)

Gap = Literal["fee", "partial", "over"]


def _payer_documents(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    """(payment, open document of the payer) rows shaped as `ref_groups` rows, no reference."""
    pay = open_payments(ctx, state).filter(pl.col("party_id").is_not_null())
    docs = open_documents(ctx, state).filter(pl.col("remaining_cents") > 0)
    rows = pay.select(pl.col("record_id").alias("payment_id"), "party_id", "currency",
                      pl.col("remaining_cents").alias("pay_cents"), "payer_name", "payer_norm",
                      pl.col("party_id").alias("payer_party"), "payer_evidence",
                      "booking_date").join(
        docs.rename({"record_id": "invoice_id"}).with_columns(
            pl.col("party_id").alias("invoice_party")), on=["party_id", "currency"])
    rows = rows.filter(pl.col("issue_date") <= pl.col("booking_date")
                       + pl.duration(days=ctx.reading.issued_after_payment_days))
    # a billing month named in the remittance (ECHEANCE SEPTEMBRE 2026) points at the
    # payer's documents of that month
    named = ctx.payment_periods.group_by("payment_id").agg(
        pl.col("period").alias("named_months"))
    month = pl.coalesce("period_start", "issue_date").dt.truncate("1mo")
    rows = rows.join(ctx.invoices.select(pl.col("record_id").alias("invoice_id"),
                                         "period_start"), on="invoice_id", how="left").join(
        named, on="payment_id", how="left").with_columns(
        month.is_in(pl.col("named_months")).fill_null(False).alias("in_named_month"))
    return rows.with_columns(
        pl.lit("none").alias("ref_evidence"), pl.lit(0.0).alias("ref_score"),
        pl.len().over("payment_id").alias("n_open"),
        pl.col("in_named_month").sum().over("payment_id").alias("n_named"),
        (pl.col("remaining_cents") - pl.col("pay_cents")).alias("short_cents"),
        pl.col("remaining_cents").alias("sum_remaining"),
    ).sort("payment_id", "issue_date", "invoice_id")


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PartyAmountGap:
    """No usable reference; one open document of the known payer explains the payment with a
    gap: `fee` (short by at most `max_fee_cents` and `max_fee_bp` of the document: match with
    a write-off), `partial` (short by more, the payer's only open document), `over` (more
    than the payer's only open document, or than the one it exceeds by at most
    `max_over_bp`)."""

    kind: ClassVar[str] = "party_amount_gap"
    gap: Gap
    party_threshold: float
    max_fee_cents: int
    max_fee_bp: int
    max_over_bp: int | None   # `over`: also the one open document exceeded by at most this
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = with_party(ctx, _payer_documents(ctx, state))
        rows = rows.filter(pl.col("party_score") >= self.party_threshold)
        limit = fee_limit(self.max_fee_cents, self.max_fee_bp)  # of the one document
        short = pl.col("short_cents")
        if self.gap == "fee":
            rows = rows.filter((short > 0) & (short <= limit))
            # equal instalments of one amount are settled oldest first (as for citations)
            equal = pl.col("remaining_cents").n_unique().over("payment_id") == 1
            oldest = pl.col("issue_date") == pl.col("issue_date").min().over("payment_id")
            rows = rows.filter((pl.len().over("payment_id") == 1) | (equal & oldest))
            rows = rows.filter(pl.len().over("payment_id") == 1)
        else:
            fits = (short > limit) if self.gap == "partial" else (short < 0)
            only = (pl.col("n_open") == 1) | (pl.col("in_named_month")
                                              & (pl.col("n_named") == 1))
            if self.gap == "over" and self.max_over_bp is not None:
                # or the one open document the payment exceeds by a little
                near = fits & (-short * 10_000 <= pl.col("remaining_cents") * self.max_over_bp)
                only = only | (near & (near.sum().over("payment_id") == 1))
            rows = rows.filter(only & fits)
        gap = pl.col("open_total") - pl.col("pay_cents")   # on the grouped candidate
        what = {"fee": pl.format("short by {}, most likely a bank fee; match with a write-off "
                                 "of {}", money(gap), money(gap)),
                "partial": pl.format("a partial payment, {} stays open", money(gap)),
                "over": pl.format("overpaid by {}", money(-gap))}[self.gap]
        expl = pl.format("Payment of {} from {} cites no document; the payer's open invoice {} "
                         "({}): {}.", money(pl.col("pay_cents")),
                         pl.col("payer_name").fill_null("?"), pl.col("numbers").list.join(", "),
                         money(pl.col("open_total")), what)
        return finish(ctx, rows, score=self.score.expr(party=pl.col("party_score")),
                      explanation=expl, evidence={"gap": pl.lit(self.gap)},
                      write_off=short if self.gap == "fee" else None)


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PartyDuplicate:
    """No usable reference; no open document of the known payer has the payment's amount,
    but exactly one of its documents already paid (lettered, paid by an earlier receipt, or
    earlier in this run) has: most likely the same invoice paid twice."""

    kind: ClassVar[str] = "party_duplicate"
    party_threshold: float
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = open_payments(ctx, state).filter(pl.col("party_id").is_not_null())
        open_same = _payer_documents(ctx, state).filter(pl.col("short_cents") == 0)
        pay = pay.join(open_same.select(pl.col("payment_id").alias("record_id")).unique(),
                       on="record_id", how="anti")
        docs = paid_invoices(ctx, state)
        rows = pay.select(pl.col("record_id").alias("payment_id"), "party_id", "currency",
                          "amount_cents", "payer_name", "payer_norm", "booking_date",
                          pl.col("party_id").alias("payer_party"), "payer_evidence").join(
            docs.select(pl.col("record_id").alias("invoice_id"), "number", "party_id",
                        "currency", "issue_date", pl.col("party_id").alias("invoice_party"),
                        pl.col("amount_cents").alias("invoice_cents")),
            on=["party_id", "currency"]).filter(
            (pl.col("amount_cents") == pl.col("invoice_cents"))
            & (pl.col("issue_date") <= pl.col("booking_date")))
        rows = with_party(ctx, rows).filter(pl.col("party_score") >= self.party_threshold)
        rows = rows.filter(pl.len().over("payment_id") == 1).sort("payment_id")
        return candidates(
            rows, anchor_system="bank", anchor_id="payment_id",
            items=pl.concat_list([item("bank", pl.col("payment_id"), "payment", pl.lit(0)),
                                  item("billing", pl.col("invoice_id"), "invoice", pl.lit(0))]),
            score=self.score.expr(party=pl.col("party_score")),
            evidence=evidence_json(invoice_number=pl.col("number"),
                                   party_evidence=pl.col("party_evidence")),
            explanation=pl.format("Payment of {} from {} cites no document; no open invoice of "
                                  "the payer has this amount, but {} (already paid) has: "
                                  "probably paid twice, refund or keep as credit.",
                                  money(pl.col("amount_cents")),
                                  pl.col("payer_name").fill_null("?"), pl.col("number")),
        )
