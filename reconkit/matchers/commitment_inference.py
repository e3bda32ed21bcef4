"""Invoice <-> CRM commitment links the invoice does not cite (catalog `commitments.yaml`,
link `invoice_commitment`): inferred from the client, the net amount, the billing interval,
the product on the lines and the anchor day (contracts), or the line text, the amount and
the close date (one-off won opportunities); and a confirmed link carried to the other
invoices of the same billing subscription.

An invoice gets one candidate when exactly one commitment fits: when several fit the amount,
those the lines name best (product or opportunity name) are preferred; several left all get
`ambiguous_score`, so they go to review side by side. Weights, windows and
tolerances are parameters the catalog rule sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from reconkit.keys.names import name_similarity
from reconkit.keys.normalize import normalize_name
from reconkit.matchers.base import candidates, evidence_json, item, money, register_matcher
from reconkit.matchers.commitments import (
    commitment_columns,
    commitment_keys,
    linked_pairs,
    period_invoices,
    remember_links,
    with_billing_fit,
)
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.matchers.party_rules import billing_only_customers

_LINE_SEP = " | "
# quantity and unit price around a product on a billing line: "2 × Platform Pro (à 250,00 € / mois)"
_QUANTITY = r"^\s*\d+\s*[×xX]\s*"
_UNIT_PRICE = r"\([^)]*\d[^)]*\)"


def _uncited(ctx: MatchContext, state: AllocationState, period_only: bool) -> pl.DataFrame:
    """Invoices not decided yet whose metadata cites no known commitment, of CRM clients."""
    inv = period_invoices(ctx, state, period_only).filter(
        pl.col("issue_date") <= ctx.period_end)
    inv = inv.join(commitment_keys(ctx).select(pl.col("ref").alias("commitment_ref")),
                   on="commitment_ref", how="anti")
    return inv.join(billing_only_customers(ctx).select(
        pl.col("record_id").alias("party_record_id")), on="party_record_id", how="anti")


def _client_pairs(inv: pl.DataFrame, com: pl.DataFrame) -> pl.DataFrame:
    """Each invoice with every commitment of the same resolved client."""
    return inv.filter(pl.col("party_id").is_not_null()).join(
        com.filter(pl.col("commitment_party").is_not_null()),
        left_on="party_id", right_on="commitment_party")


def _text_similarity(pairs: pl.DataFrame) -> pl.Series:
    """Best similarity between one invoice line's text and the commitment's name."""
    if pairs.height == 0:
        return pl.Series("text_sim", [], dtype=pl.Float64)
    lines = pairs.select(pl.int_range(pl.len()).alias("__r"),
                         pl.col("line_text").str.split(_LINE_SEP).alias("line"),
                         "commitment_name").explode("line").with_columns(
        pl.col("line").str.replace(_QUANTITY, "").str.replace_all(_UNIT_PRICE, " ")).with_columns(
        normalize_name(pl.col("line")).alias("a"), normalize_name(pl.col("commitment_name"))
        .alias("b"))
    sim = lines.with_columns(name_similarity(lines["a"], lines["b"]).alias("s"))
    best = sim.group_by("__r").agg(pl.col("s").max()).sort("__r")
    return best["s"].fill_null(0.0).alias("text_sim")


def _scored(pairs: pl.DataFrame, fits: pl.Expr, named: pl.Expr, score: pl.Expr,
            ambiguous_score: float) -> pl.DataFrame:
    """Keep fitting pairs, only those the lines name when some are; when several commitments
    are left for one invoice, none is preferred."""
    fit = pairs.filter(fits.fill_null(False))
    # named: the lines name it, and no other fitting commitment more closely
    fit = fit.with_columns((named.fill_null(False) & (pl.col("text_sim") == pl.col("text_sim")
                                                      .max().over("record_id")))
                           .alias("__named"))
    fit = fit.filter(pl.col("__named") == pl.col("__named").max().over("record_id"))
    n = pl.len().over("record_id")
    return fit.with_columns(pl.when(n > 1).then(pl.lit(ambiguous_score)).otherwise(score)
                            .alias("score"), n.alias("n_fitting"))


def _link(ctx: MatchContext, pairs: pl.DataFrame, evidence: pl.Expr,
          explanation: pl.Expr) -> pl.DataFrame:
    pairs = pairs.sort("record_id", "commitment_id")
    remember_links(ctx, pairs, "record_id", "commitment_id")
    net = pl.coalesce("net_cents", "amount_cents")
    return candidates(
        pairs, anchor_system="billing", anchor_id="record_id",
        items=pl.concat_list([item("billing", pl.col("record_id"), "invoice", net),
                              item("crm", pl.col("commitment_id"), "commitment",
                                   pl.col("committed_cents"))]),
        score=pl.col("score"), evidence=evidence, explanation=explanation)


@register_matcher
@dataclass(frozen=True, kw_only=True)
class ContractInferred:
    """An invoice citing no commitment bills one contract of its client: a service period of
    the contract's interval (a contract invoice always has one) and, by `check`, the same net
    amount (`amount`: pro rata for a shorter first period), the undiscounted list amount
    (`discount_not_applied`) or an indexed renewal price within the band (`renewal_drift`);
    the product on the lines and the period anchored on the contract's start day add
    confidence."""

    kind: ClassVar[str] = "contract_inferred"
    check: str = "amount"
    amount_weight: float
    interval_weight: float
    product_weight: float
    anchor_weight: float
    min_text_similarity: float
    ambiguous_score: float
    slack_days: int
    prorata_tolerance_bp: int
    prorata_tolerance_cents: int
    min_index_bp: int
    max_index_bp: int
    renewal_after_months: int
    period_only: bool = False

    def __post_init__(self) -> None:
        if self.check not in _CHECK_TEXT:
            raise ValueError(f"check must be one of {', '.join(_CHECK_TEXT)}, not {self.check!r}")

    def _amount(self) -> pl.Expr:
        net = pl.coalesce("net_cents", "amount_cents")
        whole = ~pl.col("prorated")
        renewed = (pl.col("start_date").dt.offset_by(f"{self.renewal_after_months}mo")
                   <= pl.col("issue_date"))
        return {
            "amount": pl.col("amount_fit"),
            "discount_not_applied": whole & (pl.col("discount_bp").fill_null(0) > 0)
            & (net == pl.col("list_amount_cents")),
            "renewal_drift": whole & pl.col("auto_renew").fill_null(False) & renewed
            & (net * 10_000 >= pl.col("committed_cents") * (10_000 + self.min_index_bp))
            & (net * 10_000 <= pl.col("committed_cents") * (10_000 + self.max_index_bp)),
        }[self.check]

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        com = commitment_columns(ctx).filter(pl.col("commitment_kind") == "contract")
        pairs = with_billing_fit(_client_pairs(_uncited(ctx, state, self.period_only), com),
                                 slack_days=self.slack_days,
                                 tolerance_bp=self.prorata_tolerance_bp,
                                 tolerance_cents=self.prorata_tolerance_cents)
        pairs = pairs.filter(self._amount().fill_null(False)
                             & pl.col("interval_fit").fill_null(False))
        pairs = pairs.with_columns(_text_similarity(pairs))
        product = pl.col("text_sim") >= self.min_text_similarity
        # the cycle day: where the period starts, or where it ends (exclusive or inclusive)
        day = pl.col("start_date").dt.day()
        anchor = ((day == pl.col("period_start").dt.day()) | (day == pl.col("period_end").dt.day())
                  | (day == pl.col("period_end").dt.offset_by("1d").dt.day()))
        score = (self.amount_weight + self.interval_weight
                 + pl.when(product).then(pl.lit(self.product_weight)).otherwise(0.0)
                 + pl.when(anchor.fill_null(False)).then(pl.lit(self.anchor_weight))
                 .otherwise(0.0))
        pairs = _scored(pairs, pl.lit(True), product, score, self.ambiguous_score)
        return _link(ctx, pairs, evidence_json(
            inferred=pl.lit("contract"), expected_cents=pl.col("expected_cents"),
            prorated=pl.col("prorated"), product=product, anchor_day=anchor.fill_null(False),
            fitting_commitments=pl.col("n_fitting")),
            pl.format("Invoice {} ({} net{}) cites no contract but fits contract {} of the same "
                      "client ({} per {} period{}){}.", pl.col("number"),
                      money(pl.coalesce("net_cents", "amount_cents")),
                      pl.when(pl.col("prorated")).then(pl.lit(", a shorter first period"))
                      .otherwise(pl.lit("")), pl.coalesce("contract_number", "commitment_id"),
                      money(pl.col("committed_cents")), pl.col("billing_frequency"),
                      pl.when(pl.col("n_fitting") > 1).then(pl.format(
                          "; {} contracts fit equally", pl.col("n_fitting")))
                      .otherwise(pl.lit("")), pl.lit(_CHECK_TEXT[self.check])))


_CHECK_TEXT = {"amount": "", "discount_not_applied": ", but at the list amount before the "
               "agreed discount: the discount was not applied",
               "renewal_drift": ", at an indexed renewal price the CRM never recorded"}


@register_matcher
@dataclass(frozen=True, kw_only=True)
class OpportunityInferred:
    """An invoice citing no commitment bills one won one-off opportunity of its client: the
    same net amount, and its line text close to the opportunity's name or its issue date
    within `close_window_business_days` business days after the close date."""

    kind: ClassVar[str] = "opportunity_inferred"
    amount_weight: float
    text_weight: float
    close_weight: float
    min_text_similarity: float
    close_window_business_days: int
    ambiguous_score: float
    period_only: bool = False

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        com = commitment_columns(ctx).filter((pl.col("commitment_kind") == "opportunity")
                                             & pl.col("contract_record_id").is_null())
        pairs = _client_pairs(_uncited(ctx, state, self.period_only), com).filter(
            pl.coalesce("net_cents", "amount_cents") == pl.col("committed_cents"))
        pairs = pairs.with_columns(_text_similarity(pairs))
        text = pl.col("text_sim") >= self.min_text_similarity
        days = pl.business_day_count(pl.col("close_date"), pl.col("issue_date"))
        close = (days >= 0) & (days <= self.close_window_business_days)
        score = (self.amount_weight + pl.when(text).then(pl.lit(self.text_weight)).otherwise(0.0)
                 + pl.when(close.fill_null(False)).then(pl.lit(self.close_weight))
                 .otherwise(0.0))
        pairs = _scored(pairs, text | close, text, score, self.ambiguous_score)
        return _link(ctx, pairs, evidence_json(
            inferred=pl.lit("opportunity"), text_similarity=pl.col("text_sim"),
            business_days_after_close=days, fitting_commitments=pl.col("n_fitting")),
            pl.format("Invoice {} ({} net) cites no opportunity but fits won opportunity {} "
                      "('{}', closed {}){}.", pl.col("number"),
                      money(pl.coalesce("net_cents", "amount_cents")), pl.col("commitment_id"),
                      pl.col("commitment_name").fill_null(""),
                      pl.col("close_date").cast(pl.String),
                      pl.when(pl.col("n_fitting") > 1).then(pl.format(
                          "; {} opportunities fit equally", pl.col("n_fitting")))
                      .otherwise(pl.lit(""))))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class SubscriptionPropagated:
    """A confirmed link (cited, or inferred with at least `min_source_score`) carries to the
    other invoices of the same billing subscription: `score` when the invoice bills the
    commitment (pro rata included), `mismatch_score` when it does not. A null score proposes
    nothing of that kind, so one rule can carry the fitting invoices early and another,
    after the rules that explain a difference (discount, indexation), the rest."""

    kind: ClassVar[str] = "subscription_propagated"
    score: float | None
    mismatch_score: float | None
    min_source_score: float
    slack_days: int
    prorata_tolerance_bp: int
    prorata_tolerance_cents: int

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        subs = ctx.invoices.select(pl.col("record_id").alias("invoice_id"), "subscription_id",
                                   pl.col("number").alias("source_number"))
        src = linked_pairs(ctx, state).filter(pl.col("score") >= self.min_source_score).join(
            subs.filter(pl.col("subscription_id").is_not_null()), on="invoice_id")
        src = src.group_by("subscription_id").agg(
            pl.col("commitment_id").unique().alias("ids"),
            pl.col("source_number").sort().first()).filter(pl.col("ids").list.len() == 1)
        src = src.with_columns(pl.col("ids").list.first().alias("commitment_id")).drop("ids")
        inv = _uncited(ctx, state, period_only=False).join(src, on="subscription_id")
        pairs = with_billing_fit(inv.join(commitment_columns(ctx), on="commitment_id"),
                                 slack_days=self.slack_days,
                                 tolerance_bp=self.prorata_tolerance_bp,
                                 tolerance_cents=self.prorata_tolerance_cents)
        fits = pl.col("amount_fit").fill_null(False)
        if self.mismatch_score is None:
            pairs = pairs.filter(fits)
        if self.score is None:
            pairs = pairs.filter(~fits)
        pairs = pairs.with_columns(pl.when(fits).then(pl.lit(self.score))
                                   .otherwise(pl.lit(self.mismatch_score)).alias("score"))
        return _link(ctx, pairs, evidence_json(
            subscription_id=pl.col("subscription_id"), linked_invoice=pl.col("source_number"),
            amount_fits=fits, expected_cents=pl.col("expected_cents")),
            pl.format("Invoice {} belongs to subscription {}, whose invoice {} bills {}{}.",
                      pl.col("number"), pl.col("subscription_id"), pl.col("source_number"),
                      pl.coalesce("contract_number", "commitment_id"),
                      pl.when(fits).then(pl.lit("")).otherwise(pl.format(
                          "; but it bills {} net against {} expected",
                          money(pl.coalesce("net_cents", "amount_cents")),
                          money(pl.col("expected_cents"))))))
