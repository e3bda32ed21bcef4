"""Bank credits <-> PSP payouts (rules of the `payment_invoice` link): one bank credit is one
payout of a payment service provider (Stripe, Adyen, PayPal), net of its fees.

A payout is the group of settlement lines sharing a `settlement_id`: its amount is its payout
line's (or, when only the itemised lines were loaded, their net sum). A bank credit is that
payout when it cites the payout id in its remittance, or when its payer/remittance names the
provider, its amount is the payout's and it is booked near the payout's arrival date. It is
balanced when the bank amount, the payout amount and the sum of its lines all agree: only then
can it match without review. Items: the bank payment (its amount, used up once) and the payout
(`psp`, record id = the payout id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import polars as pl

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
from reconkit.matchers.payments.common import LINK, open_payments

_TEXT = ("remittance", "structured_ref", "end_to_end_id", "payer_name")


def payouts(ctx: MatchContext) -> pl.DataFrame:
    """One row per payout: provider, settlement_id, currency, amount (what reaches the bank),
    lines_cents (net of its other lines), n_lines, fees_cents, arrival, has_payout_line."""
    lines = ctx.table("settlement_lines").filter(pl.col("settlement_id").is_not_null())
    is_payout = pl.col("kind") == "payout"
    out = lines.group_by("provider", "settlement_id").agg(
        pl.col("currency").first(),
        is_payout.any().alias("has_payout_line"),
        (-pl.col("net_cents")).filter(is_payout).sum().alias("payout_cents"),
        pl.col("net_cents").filter(~is_payout).sum().alias("lines_cents"),
        (~is_payout).sum().alias("n_lines"),
        pl.col("fee_cents").sum().alias("fees_cents"),
        pl.coalesce(pl.col("available_date").filter(is_payout).max(),
                    pl.col("available_date").max()).alias("arrival"))
    return out.with_columns(
        pl.when(pl.col("has_payout_line")).then(pl.col("payout_cents"))
        .otherwise(pl.col("lines_cents")).alias("amount")).sort("settlement_id")


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PspPayout:
    """A bank credit that is a PSP payout. `balanced=True`: bank amount = payout = its lines
    (the mechanical case); `balanced=False`: the payout the credit cites (or that its provider,
    amount and date designate) does not add up: proposed for review so a person finds the
    missing or extra line. `descriptors`: words naming each provider on a bank line;
    `min_reference_len`: shortest payout id looked for in remittance text; `window_days`: days
    between the payout's arrival date and the bank booking; a payout several bank credits could
    be loses `shared_payout_penalty`."""

    kind: ClassVar[str] = "psp_payout"
    balanced: bool
    descriptors: dict[str, list[str]] = field(default_factory=dict)
    min_reference_len: int
    window_days: int
    score: Score
    shared_payout_penalty: float

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pool = payouts(ctx)
        done = state.decided_frame(LINK).filter(pl.col("system") == "psp")
        pool = pool.join(done.select(pl.col("record_id").alias("settlement_id")),
                         on="settlement_id", how="anti")
        pay = open_payments(ctx, state)
        if pool.height == 0 or pay.height == 0:
            return empty_candidates()
        text = pl.concat_str([pl.col(c).fill_null("") for c in _TEXT], separator=" ") \
            .str.to_uppercase()
        pay = pay.select("record_id", "amount_cents", "currency", "booking_date",
                         text.alias("text"))
        ids = pool.filter(pl.col("settlement_id").str.len_chars() >= self.min_reference_len) \
            .select(pl.col("settlement_id").str.to_uppercase().alias("ref")).unique()
        cited = pay.select("record_id", pl.col("text").str.extract_many(
            ids["ref"].sort().to_list() or [""], overlapping=True).alias("ref")) \
            .explode("ref").filter(pl.col("ref").is_not_null() & (pl.col("ref") != ""))
        pool = pool.with_columns(pl.col("settlement_id").str.to_uppercase().alias("ref"))
        by_ref = cited.join(pool.select("ref", "settlement_id"), on="ref").select(
            "record_id", "settlement_id", pl.lit(True).alias("cited"))
        by_amount = pay.select("record_id", "amount_cents", "currency").join(
            pool.select("settlement_id", pl.col("amount").alias("amount_cents"), "currency"),
            on=["amount_cents", "currency"]).select(
            "record_id", "settlement_id", pl.lit(False).alias("cited"))
        pairs = pl.concat([by_ref, by_amount]).sort("record_id", "settlement_id", "cited",
                                                    descending=[False, False, True]).unique(
            subset=["record_id", "settlement_id"], keep="first", maintain_order=True)
        pairs = pairs.join(pay, on="record_id").join(pool.drop("ref", "currency"),
                                                     on="settlement_id")
        return self._candidates(pairs)

    def _named(self) -> pl.Expr:
        """Whether the bank text names the payout's provider."""
        hit = pl.lit(False)
        for provider, words in sorted(self.descriptors.items()):
            for word in words:
                hit = hit | ((pl.col("provider") == provider)
                             & pl.col("text").str.contains(word.upper(), literal=True))
        return hit

    def _candidates(self, pairs: pl.DataFrame) -> pl.DataFrame:
        days = (pl.col("booking_date") - pl.col("arrival")).dt.total_days().abs()
        pairs = pairs.with_columns(
            self._named().alias("named"),
            (days <= self.window_days).fill_null(False).alias("near"),
            (pl.col("amount_cents") == pl.col("amount")).alias("same_amount"),
            (pl.col("n_lines") > 0).alias("itemised"),
            days.alias("days"))
        balanced = pl.col("same_amount") & pl.col("itemised") \
            & (pl.col("amount") == pl.col("lines_cents"))
        designated = pl.col("cited") | (pl.col("named") & pl.col("near")
                                        & pl.col("same_amount"))
        keep = designated & (balanced if self.balanced else ~balanced)
        pairs = pairs.filter(keep)
        if pairs.height == 0:
            return empty_candidates()
        shared = pl.len().over("settlement_id") > 1
        score = self.score.expr(reference=pl.col("cited"), amount=pl.col("same_amount"),
                                party=pl.col("named") & pl.col("near")) \
            - shared.cast(pl.Float64) * self.shared_payout_penalty
        how = pl.when(pl.col("cited")).then(pl.lit("cited in the remittance")).otherwise(
            pl.format("same amount, {} named, {} day(s) from its arrival date",
                      pl.col("provider"), pl.col("days")))
        if self.balanced:
            explanation = pl.format(
                "Bank credit of {} is {} payout {} ({}): its {} lines, net of {} fees, add up "
                "to it.", money(pl.col("amount_cents")), pl.col("provider"),
                pl.col("settlement_id"), how, pl.col("n_lines"), money(pl.col("fees_cents")))
        else:
            explanation = pl.format(
                "Bank credit of {} is {} payout {} ({}): the payout is {} and its {} lines add "
                "up to {}; they must all agree (a line missing, extra or changed).",
                money(pl.col("amount_cents")), pl.col("provider"), pl.col("settlement_id"),
                how, money(pl.col("amount")), pl.col("n_lines"), money(pl.col("lines_cents")))
        return candidates(
            pairs.sort("record_id", "settlement_id"), anchor_system="bank",
            anchor_id="record_id",
            items=pl.concat_list([item("bank", pl.col("record_id"), "payment",
                                       pl.col("amount_cents")),
                                  item("psp", pl.col("settlement_id"), "payout",
                                       pl.col("amount"))]),
            score=score,
            evidence=evidence_json(payout_id=pl.col("settlement_id"),
                                   provider=pl.col("provider"), cited=pl.col("cited"),
                                   provider_named=pl.col("named"), days=pl.col("days"),
                                   payout_cents=pl.col("amount"),
                                   lines_cents=pl.col("lines_cents"),
                                   lines=pl.col("n_lines"), fees_cents=pl.col("fees_cents")),
            explanation=explanation)


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PspPayoutNotInBank:
    """Payout lines no bank credit was matched to: arrived in the period (`in_transit=False`)
    or due after it / with no arrival date (`in_transit=True`)."""

    kind: ClassVar[str] = "psp_payout_not_in_bank"
    in_transit: bool

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        lines = ctx.table("settlement_lines").filter(pl.col("kind") == "payout")
        lines = state.undecided(lines, LINK, "psp")
        later = (pl.col("available_date") > ctx.period_end).fill_null(True)
        lines = lines.filter(later if self.in_transit else ~later)
        return exception_only(lines, "psp", "record_id", pl.format(
            "{} payout {} of {} (arrival {}) matches no bank credit{}.", pl.col("provider"),
            pl.col("record_id"), money(-pl.col("net_cents")),
            pl.col("available_date").cast(pl.String).fill_null("unknown"),
            pl.lit(": it is still in transit" if self.in_transit else "")),
            evidence_json(arrival=pl.col("available_date").cast(pl.String),
                          status=pl.col("status")))
