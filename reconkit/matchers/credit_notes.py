"""Credit note <-> invoice matchers (catalog `documents.yaml`, link `credit_note_invoice`).

Each is a frozen dataclass with one verb, `propose(ctx, state)`, returning candidates; every
score, weight and threshold is a parameter the catalog rule sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from reconkit.keys.wording import month_lines
from reconkit.matchers.base import (
    candidates,
    evidence_json,
    exception_only,
    item,
    money,
    register_matcher,
)
from reconkit.matchers.context import AllocationState, MatchContext


def _credit_notes(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    cn = ctx.invoices.filter(pl.col("doc_type") == "credit_note")
    return state.undecided(cn, "credit_note_invoice", "billing")


def _pair_items() -> pl.Expr:
    return pl.concat_list([item("billing", pl.col("record_id"), "credit_note",
                                pl.col("amount_cents")),
                           item("billing", pl.col("credited_invoice_id"), "invoice",
                                -pl.col("amount_cents"))])


@register_matcher
@dataclass(frozen=True, kw_only=True)
class CreditNoteOnLettered:
    """A credit note on an invoice whose ERP line is already lettered (paid and closed): the
    credit becomes a refund or a customer credit; someone must decide which."""

    kind: ClassVar[str] = "credit_note_on_lettered"
    score: float

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        cn = _credit_notes(ctx, state).join(
            ctx.settled_invoices.rename({"invoice_id": "credited_invoice_id"}),
            on="credited_invoice_id")
        inv = ctx.invoices.select(pl.col("record_id").alias("credited_invoice_id"),
                                  pl.col("number").alias("inv_number"),
                                  pl.col("amount_cents").alias("inv_cents"))
        cn = cn.join(inv, on="credited_invoice_id")
        return candidates(
            cn.sort("record_id"), anchor_system="billing", anchor_id="record_id",
            items=_pair_items(), score=pl.lit(self.score),
            evidence=evidence_json(invoice_number=pl.col("inv_number"),
                                   settled_by=pl.col("settled_by"),
                                   lettering_date=pl.col("lettering_date").cast(pl.String)),
            explanation=pl.format("Credit note {} ({}) reduces invoice {}, {} on {}: refund "
                                  "or keep as customer credit.",
                                  pl.col("number"), money(pl.col("amount_cents")),
                                  pl.col("inv_number"),
                                  pl.when(pl.col("settled_by") == "lettering")
                                  .then(pl.lit("whose ERP line was already lettered"))
                                  .otherwise(pl.lit("already paid by a receipt (not lettered)")),
                                  pl.col("lettering_date").cast(pl.String)),
        )


@register_matcher
@dataclass(frozen=True, kw_only=True)
class CreditNoteLinked:
    """A credit note names the invoice it reduces, and that invoice exists: link them
    (`same_party_score` when both are the same client's, `other_party_score` otherwise)."""

    kind: ClassVar[str] = "credit_note_linked"
    same_party_score: float
    other_party_score: float

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        inv = ctx.invoices.filter(pl.col("doc_type") == "invoice").select(
            pl.col("record_id").alias("credited_invoice_id"), pl.col("number").alias("inv_number"),
            pl.col("party_id").alias("inv_party"))
        cn = _credit_notes(ctx, state).join(inv, on="credited_invoice_id")
        same = pl.col("party_id").eq_missing(pl.col("inv_party"))
        return candidates(
            cn.sort("record_id"), anchor_system="billing", anchor_id="record_id",
            items=_pair_items(),
            score=pl.when(same).then(pl.lit(self.same_party_score))
            .otherwise(pl.lit(self.other_party_score)),
            evidence=evidence_json(invoice_number=pl.col("inv_number"), same_party=same),
            explanation=pl.format("Credit note {} ({}) reduces invoice {} as stated by the billing "
                                  "tool.", pl.col("number"), money(pl.col("amount_cents")),
                                  pl.col("inv_number")),
        )


@register_matcher
@dataclass(frozen=True, kw_only=True)
class CreditNoteUnattached:
    """A credit note attached to no invoice (typically a year-end rebate spread over the
    client's invoices): its allocation over invoices must be decided."""

    kind: ClassVar[str] = "credit_note_unattached"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        cn = _credit_notes(ctx, state).filter(pl.col("credited_invoice_id").is_null())
        year = ctx.invoices.filter(pl.col("doc_type") == "invoice").group_by(
            "party_id", pl.col("issue_date").dt.year().alias("y")).agg(
            pl.len().alias("n_inv"), pl.col("amount_cents").sum().alias("inv_total"))
        cn = cn.with_columns(pl.col("issue_date").dt.year().alias("y")).join(
            year, on=["party_id", "y"], how="left").with_columns(
            pl.col("n_inv").fill_null(0), pl.col("inv_total").fill_null(0))
        return exception_only(cn, "billing", "record_id", pl.format(
            "Credit note {} ({}) is attached to no invoice: a rebate over the client's {} invoices "
            "of the year ({}); decide how to allocate it.", pl.col("number"),
            money(pl.col("amount_cents")), pl.col("n_inv"), money(pl.col("inv_total"))),
            evidence_json(invoices_in_year=pl.col("n_inv"), invoiced_in_year=pl.col("inv_total")))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class CreditNoteOrphan:
    """A credit note naming an invoice that is not in the billing data."""

    kind: ClassVar[str] = "credit_note_orphan"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        cn = _credit_notes(ctx, state).filter(pl.col("credited_invoice_id").is_not_null())
        return exception_only(cn, "billing", "record_id", pl.format(
            "Credit note {} names invoice {}, which is not in the billing data.",
            pl.col("number"), pl.col("credited_invoice_id")),
            evidence_json(credited_invoice_id=pl.col("credited_invoice_id")))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class YearEndRebate:
    """A credit note hosted on an invoice (billing tools require one) that is really a
    year-end rebate: its number, memo or lines word it so (`wording_weight`; the same wording
    keeps it out of the host's open amount), at least `min_month_lines` lines name a month
    (`month_lines_weight`), its ERP entry credits a rebate account (`rebate_accounts`, e.g.
    709; `rebate_account_weight`) and its amount is unrelated to the host invoice (neither
    its total nor its net; `unrelated_amount_weight`). From `min_score` it is reported as a
    rebate to allocate, never linked to the host invoice."""

    kind: ClassVar[str] = "year_end_rebate"
    wording_weight: float
    month_lines_weight: float
    min_month_lines: int
    rebate_account_weight: float
    rebate_accounts: tuple[str, ...] = ("709",)
    unrelated_amount_weight: float
    min_score: float

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        cn = _credit_notes(ctx, state).filter(pl.col("credited_invoice_id").is_not_null())
        host = ctx.invoices.filter(pl.col("doc_type") == "invoice").select(
            pl.col("record_id").alias("credited_invoice_id"),
            pl.col("number").alias("host_number"), pl.col("amount_cents").alias("host_cents"),
            pl.col("net_cents").alias("host_net"))
        counter = ctx.invoice_ledger_pairs.select(
            pl.col("invoice_id").alias("record_id"), "ledger_id").join(
            ctx.ledger.select(pl.col("record_id").alias("ledger_id"), "counter_accounts"),
            on="ledger_id").group_by("record_id").agg(
            pl.col("counter_accounts").drop_nulls().str.join(" ").alias("counter"))
        cn = cn.join(host, on="credited_invoice_id", how="left").join(
            counter, on="record_id", how="left")
        accounts = pl.col("counter").fill_null("").str.split(" ").list.eval(
            pl.any_horizontal([pl.element().str.starts_with(a) for a in self.rebate_accounts])
            if self.rebate_accounts else pl.lit(False)).list.any()
        months = month_lines(pl.col("line_text"))
        unrelated = ((-pl.col("amount_cents")).ne_missing(pl.col("host_cents"))
                     & (-pl.col("net_cents")).ne_missing(pl.col("host_net")))
        flags = {"wording": pl.col("rebate_wording").fill_null(False),
                 "month_lines": months >= self.min_month_lines,
                 "rebate_account": accounts.fill_null(False),
                 "unrelated_amount": unrelated.fill_null(True)}
        weights = {"wording": self.wording_weight, "month_lines": self.month_lines_weight,
                   "rebate_account": self.rebate_account_weight,
                   "unrelated_amount": self.unrelated_amount_weight}
        score = pl.sum_horizontal([pl.when(f).then(pl.lit(weights[k])).otherwise(0.0)
                                   for k, f in flags.items()])
        cn = cn.with_columns(score.alias("rebate_score"), months.alias("n_month_lines"),
                             *(f.alias(k) for k, f in flags.items()))
        cn = cn.filter(pl.col("rebate_score") >= self.min_score)
        return exception_only(cn, "billing", "record_id", pl.format(
            "Credit note {} ({}) is a year-end rebate ({}) hosted on invoice {} ({}) it has "
            "nothing to do with: not netted against it; decide how to allocate it.",
            pl.col("number"), money(pl.col("amount_cents")),
            pl.concat_str([pl.when(pl.col(k)).then(pl.lit(k.replace("_", " ")))
                           for k in flags], separator=", ", ignore_nulls=True),
            pl.col("host_number").fill_null(pl.col("credited_invoice_id")),
            money(pl.col("host_cents"))),
            evidence_json(host_invoice=pl.col("credited_invoice_id"),
                          rebate_score=pl.col("rebate_score").round(4),
                          lines_naming_a_month=pl.col("n_month_lines"),
                          **{k: pl.col(k) for k in flags}))
