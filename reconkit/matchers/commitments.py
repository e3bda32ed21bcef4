"""Invoice <-> CRM commitment matchers that read the link the invoice cites, and what is left
(catalog `commitments.yaml`, link `invoice_commitment`): billed as committed or pro rata,
known differences, invoices without commitment and commitments not billed, carried over
from earlier months of the extract until resolved.

Every tolerance, score and window is a parameter the catalog rule sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import polars as pl

from reconkit.matchers.base import (
    candidates,
    evidence_json,
    exception_only,
    item,
    money,
    register_matcher,
)
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.matchers.party_rules import billing_only_customers
from reconkit.schemas import PolarsDataType

LINKS_MEMO = "invoice_commitment_links"  # (invoice_id, commitment_id, score) proposed so far
_INTERVAL_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}  # calendar, not a tolerance
_LINK_SCHEMA: dict[str, PolarsDataType] = {"invoice_id": pl.String, "commitment_id": pl.String,
                                           "score": pl.Float64}


def period_invoices(ctx: MatchContext, state: AllocationState,
                    period_only: bool = True) -> pl.DataFrame:
    inv = ctx.invoices.filter(pl.col("doc_type") == "invoice")
    if period_only:
        inv = inv.filter(pl.col("issue_date").is_between(ctx.period_start, ctx.period_end))
    return state.undecided(inv, "invoice_commitment", "billing")


def commitment_keys(ctx: MatchContext) -> pl.DataFrame:
    """(ref, commitment_id): what an invoice may cite (contract number or CRM id)."""
    com = ctx.table("commitments")
    # a contract number names the contract itself, not the opportunities attached to it
    return pl.concat([
        com.filter(pl.col("contract_number").is_not_null() & (pl.col("kind") == "contract"))
        .select(pl.col("contract_number").alias("ref"),
                pl.col("record_id").alias("commitment_id")),
        com.select(pl.col("record_id").alias("ref"), pl.col("record_id").alias("commitment_id")),
    ]).unique()


def commitment_columns(ctx: MatchContext) -> pl.DataFrame:
    """The commitment fields matchers compare, with the client (party) they belong to."""
    com = ctx.table("commitments").join(
        ctx.parties.party_of("crm").rename({"record_id": "party_record_id",
                                            "party_id": "commitment_party"}),
        on="party_record_id", how="left")
    return com.select(pl.col("record_id").alias("commitment_id"),
                      pl.col("kind").alias("commitment_kind"),
                      pl.col("amount_cents").alias("committed_cents"),
                      "list_amount_cents", "discount_bp", "auto_renew", "start_date",
                      "billing_frequency", "close_date", "contract_record_id",
                      pl.col("name").alias("commitment_name"), "contract_number",
                      "commitment_party")


def _commitment_pairs(ctx: MatchContext, state: AllocationState,
                      period_only: bool = True) -> pl.DataFrame:
    """Invoices with the commitment their metadata cites (contract number or id)."""
    inv = period_invoices(ctx, state, period_only).filter(pl.col("commitment_ref").is_not_null())
    pairs = inv.join(commitment_keys(ctx), left_on="commitment_ref", right_on="ref")
    return pairs.join(commitment_columns(ctx), on="commitment_id").sort("record_id",
                                                                        "commitment_id")


def with_billing_fit(df: pl.DataFrame, *, slack_days: int, tolerance_bp: int,
                     tolerance_cents: int) -> pl.DataFrame:
    """Add how an invoice's service period compares with the commitment's billing interval.

    Billing tools write the period end either exclusive (Stripe: the next cycle's start) or
    inclusive (the last day served); both readings are tried. `interval_fit`: the period
    spans one interval (within `slack_days`) or a shorter first one (`prorated`); null when
    the invoice has no period. `expected_cents`: the committed amount, pro rata temporis for
    a shorter period (days of the period / days of the interval ending on the same date,
    integer rounding half up). `amount_fit`: the net billed equals `expected_cents` (within
    the tolerance when prorated, under either reading of the period end).
    """
    net = pl.coalesce("net_cents", "amount_cents")
    out = df.with_columns(pl.col("period_end").alias("__end0"),
                          pl.col("period_end").dt.offset_by("1d").alias("__end1"))
    for k in ("0", "1"):  # 0: exclusive end, 1: inclusive end
        end = pl.col(f"__end{k}")
        # constant offsets (vectorised), one per interval length
        start = pl.coalesce([pl.when(pl.col("billing_frequency") == f)
                             .then(end.dt.offset_by(f"-{n}mo"))
                             for f, n in _INTERVAL_MONTHS.items()])
        out = out.with_columns((end - pl.col("period_start")).dt.total_days().alias(f"__p{k}"),
                               (end - start).dt.total_days().alias(f"__i{k}"))
        out = out.with_columns(
            ((pl.col(f"__p{k}") - pl.col(f"__i{k}")).abs() <= slack_days).alias(f"__w{k}"),
            ((pl.col("committed_cents") * pl.col(f"__p{k}") * 2 + pl.col(f"__i{k}"))
             // (pl.col(f"__i{k}") * 2)).alias(f"__e{k}"))
    whole = pl.col("__w0") | pl.col("__w1")
    prorated = ~whole & (pl.col("__p0") > 0) & (pl.col("__p1") < pl.col("__i1") - slack_days)
    out = out.with_columns(whole.alias("__whole"), prorated.alias("__prorated"))
    # under a prorated period, the reading whose pro rata is closer to what was billed
    incl = pl.col("__prorated") & ((net - pl.col("__e1")).abs() < (net - pl.col("__e0")).abs())
    has_interval = pl.col("__i0").is_not_null()
    out = out.with_columns(
        # both null for a one-off (no interval to compare with)
        pl.when(~has_interval).then(None).when(incl).then(pl.col("__p1"))
        .otherwise(pl.col("__p0")).alias("period_days"),
        pl.when(incl).then(pl.col("__i1")).otherwise(pl.col("__i0")).alias("interval_days"),
        (pl.col("__whole") | pl.col("__prorated")).alias("interval_fit"),
        pl.col("__prorated").fill_null(False).alias("prorated"),
        pl.when(incl).then(pl.col("__e1")).when(pl.col("__prorated")).then(pl.col("__e0"))
        .otherwise(pl.col("committed_cents")).alias("expected_cents"))
    gap = (net - pl.col("expected_cents")).abs()
    return out.with_columns(
        pl.when(pl.col("prorated")).then(
            (gap <= tolerance_cents) | (gap * 10_000 <= pl.col("expected_cents") * tolerance_bp))
        .otherwise(gap == 0).alias("amount_fit")).drop(pl.selectors.starts_with("__"))


def remember_links(ctx: MatchContext, cands: pl.DataFrame, invoice: str,
                   commitment: str) -> None:
    """Record proposed (invoice, commitment) links for the rules that run after."""
    links = cands.select(pl.col(invoice).alias("invoice_id"),
                         pl.col(commitment).alias("commitment_id"), "score").cast(_LINK_SCHEMA)  # type: ignore[arg-type]
    ctx.memo[LINKS_MEMO] = pl.concat([ctx.memo.get(LINKS_MEMO, pl.DataFrame(schema=_LINK_SCHEMA)),
                                      links])


def linked_pairs(ctx: MatchContext, state: AllocationState, *,
                 with_alternatives: bool = False) -> pl.DataFrame:
    """(invoice_id, commitment_id, score) links that decided their invoice so far: proposed
    by a commitment rule (with that rule's score) and kept as the invoice's single match;
    `with_alternatives` adds the candidates of invoices sent to review with alternatives."""
    covered = pl.concat([pl.DataFrame(schema={"system": pl.String, "record_id": pl.String}),
                         *state.covered.get("invoice_commitment", [])])
    if with_alternatives:
        covered = state.decided_frame("invoice_commitment")
    invoices = covered.filter(pl.col("system") == "billing").select(
        pl.col("record_id").alias("invoice_id")).unique()
    links = ctx.memo.get(LINKS_MEMO, pl.DataFrame(schema=_LINK_SCHEMA)).join(
        invoices, on="invoice_id")
    if not with_alternatives:
        # the engine keeps an invoice's best candidate: lower ones were not linked
        links = links.sort(["invoice_id", "score", "commitment_id"],
                           descending=[False, True, False]).unique(
            subset=["invoice_id"], keep="first")
    return links.unique(subset=["invoice_id", "commitment_id"]).sort("invoice_id",
                                                                     "commitment_id")


def cited_pairs(ctx: MatchContext) -> pl.DataFrame:
    """(invoice_id, commitment_id) for every invoice of the extract citing a commitment."""
    return _commitment_pairs(ctx, AllocationState(), period_only=False).select(
        pl.col("record_id").alias("invoice_id"), "commitment_id")


@register_matcher
@dataclass(frozen=True, kw_only=True)
class CommitmentBilled:
    """The invoice cites a CRM commitment and is billed as committed (`check`: `exact`; with
    `period_only=False` earlier invoices are linked too), pro rata for a shorter first period
    (`prorated`), or with a known kind of difference: `discount_not_applied` (billed at the
    undiscounted list amount), `renewal_drift` (auto-renewed contract billed at an indexed
    price within the index band), `mismatch` (any other difference). `score` is the
    candidate's score."""

    kind: ClassVar[str] = "commitment_billed"
    check: str = "exact"
    score: float
    min_index_bp: int
    max_index_bp: int
    renewal_after_months: int
    slack_days: int
    prorata_tolerance_bp: int
    prorata_tolerance_cents: int
    period_only: bool = True

    CHECKS: ClassVar[tuple[str, ...]] = ("exact", "prorated", "discount_not_applied",
                                         "renewal_drift", "mismatch")

    def __post_init__(self) -> None:
        if self.check not in self.CHECKS:
            raise ValueError(f"check must be one of {', '.join(self.CHECKS)}, not {self.check!r}")

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pairs = with_billing_fit(_commitment_pairs(ctx, state, self.period_only),
                                 slack_days=self.slack_days,
                                 tolerance_bp=self.prorata_tolerance_bp,
                                 tolerance_cents=self.prorata_tolerance_cents)
        net = pl.coalesce("net_cents", "amount_cents")
        exact = net == pl.col("committed_cents")
        prorata = ~exact & pl.col("prorated") & pl.col("amount_fit").fill_null(False)
        undiscounted = ((pl.col("discount_bp").fill_null(0) > 0)
                        & (net == pl.col("list_amount_cents")))
        renewed = (pl.col("start_date").dt.offset_by(f"{self.renewal_after_months}mo")
                   <= pl.col("issue_date"))
        drift = (pl.col("auto_renew").fill_null(False) & renewed.fill_null(False)
                 & (net * 10_000 >= pl.col("committed_cents") * (10_000 + self.min_index_bp))
                 & (net * 10_000 <= pl.col("committed_cents") * (10_000 + self.max_index_bp)))
        other = ~exact & ~prorata
        cond = {"exact": exact, "prorated": prorata,
                "discount_not_applied": other & undiscounted,
                "renewal_drift": other & ~undiscounted & drift,
                "mismatch": other & ~undiscounted & ~drift}[self.check]
        pairs = pairs.with_columns(net.alias("billed_cents"), pl.lit(self.score).alias("score"))
        pairs = pairs.filter(cond)
        remember_links(ctx, pairs, "record_id", "commitment_id")
        text = {
            "exact": "Invoice {} bills {} as committed in CRM {} ({}).",
            "prorated": "Invoice {} bills {}, a first period shorter than the interval, pro rata "
                        "of CRM {} ({} per period).",
            "discount_not_applied": "Invoice {} bills {} but CRM {} agreed {} after discount: "
                                    "the discount was not applied.",
            "renewal_drift": "Invoice {} bills {} on auto-renewed CRM {} recorded at {}: an "
                             "indexed renewal price the CRM never recorded.",
            "mismatch": "Invoice {} bills {} but CRM {} commits {}, with no known reason.",
        }[self.check]
        return candidates(
            pairs, anchor_system="billing", anchor_id="record_id",
            items=pl.concat_list([item("billing", pl.col("record_id"), "invoice",
                                        pl.col("billed_cents")),
                                  item("crm", pl.col("commitment_id"), "commitment",
                                        pl.col("committed_cents"))]),
            score=pl.col("score"),
            evidence=evidence_json(commitment_ref=pl.col("commitment_ref"),
                                   billed_cents=pl.col("billed_cents"),
                                   committed_cents=pl.col("committed_cents"),
                                   expected_cents=pl.col("expected_cents"),
                                   period_days=pl.col("period_days"),
                                   interval_days=pl.col("interval_days"),
                                   discount_bp=pl.col("discount_bp")),
            explanation=pl.format(text, pl.col("number"), money(pl.col("billed_cents")),
                                  pl.coalesce("contract_number", "commitment_id"),
                                  money(pl.col("committed_cents"))),
        )


def extract_start(ctx: MatchContext) -> date:
    """First day of the earliest month of the billing extract (the period's when empty)."""
    first = ctx.invoices["issue_date"].min() if ctx.invoices.height else None
    if not isinstance(first, date) or first > ctx.period_start:
        return ctx.period_start
    return first.replace(day=1)


def _month(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m")


@register_matcher
@dataclass(frozen=True, kw_only=True)
class InvoiceWithoutCommitment:
    """An invoice citing no known CRM contract or won opportunity, that no rule linked: the
    period's, and (`carry_over`) those of earlier months of the extract, still open. A client
    without CRM account is reported once at customer level (`party_not_in_crm`) instead."""

    kind: ClassVar[str] = "invoice_without_commitment"
    carry_over: bool = True

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        inv = period_invoices(ctx, state, period_only=not self.carry_over).filter(
            pl.col("issue_date") <= ctx.period_end)
        # an earlier invoice citing a known commitment is linked or was judged in its month
        inv = inv.join(commitment_keys(ctx).select(pl.col("ref").alias("commitment_ref")),
                       on="commitment_ref", how="anti")
        inv = inv.join(billing_only_customers(ctx).select(
            pl.col("record_id").alias("party_record_id")), on="party_record_id", how="anti")
        earlier = pl.col("issue_date") < ctx.period_start
        return exception_only(inv, "billing", "record_id", pl.format(
            "Invoice {} ({}{}) cites no CRM contract or won opportunity{}.", pl.col("number"),
            money(pl.col("amount_cents")),
            pl.when(earlier).then(pl.format(", issued in {}, still open", _month("issue_date")))
            .otherwise(pl.lit("")),
            pl.when(pl.col("commitment_ref").is_not_null())
            .then(pl.lit(" (unknown reference ") + pl.col("commitment_ref") + pl.lit(")"))
            .otherwise(pl.lit(""))),
            evidence_json(commitment_ref=pl.col("commitment_ref"),
                          from_month=_month("issue_date")))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class CommitmentUnbilled:
    """An active contract due for billing in the period (by its frequency and start month),
    or a won opportunity closed in the period, with no invoice linked to it (`due=True`);
    with `carry_over`, also won opportunities closed and contracts started in earlier months
    of the extract that no invoice of the extract is linked to (the detail gives the month).
    With `due=False`, commitments with nothing due in the period (informational)."""

    kind: ClassVar[str] = "commitment_unbilled"
    due: bool = True
    carry_over: bool = True

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        # a contract linked to earlier invoices can still be unbilled this period
        com = state.undecided(ctx.table("commitments"), "invoice_commitment", "crm",
                              anchors_only=self.due)
        ps, pe = ctx.period_start, ctx.period_end
        # an invoice in review between several commitments may bill any of them
        links = pl.concat([linked_pairs(ctx, state, with_alternatives=True).drop("score"),
                           cited_pairs(ctx)]).join(
            ctx.invoices.select(pl.col("record_id").alias("invoice_id"), "issue_date"),
            on="invoice_id")
        in_period = links.filter(pl.col("issue_date").is_between(ps, pe))["commitment_id"]
        ever = links.filter(pl.col("issue_date") <= pe)["commitment_id"]
        since = extract_start(ctx) if self.carry_over else ps
        months = ((ps.year - pl.col("start_date").dt.year()) * 12
                  + (ps.month - pl.col("start_date").dt.month()))
        freq = pl.col("billing_frequency")
        due_month = (pl.when(freq == "monthly").then(True)
                     .when(freq == "quarterly").then(months % 3 == 0)
                     .when(freq == "annual").then(months % 12 == 0)
                     .otherwise(False))
        active = ((pl.col("start_date") <= pe)
                  & (pl.col("end_date").is_null() | (pl.col("end_date") >= ps)
                     | pl.col("auto_renew").fill_null(False))
                  & ~pl.col("status").fill_null("").str.to_lowercase().is_in(
                      ["draft", "terminated", "expired", "cancelled"]))
        never = ~pl.col("record_id").is_in(ever.implode())
        contract = (pl.col("kind") == "contract") & active
        carried_contract = contract & never & pl.col("start_date").is_between(since, ps,
                                                                           closed="left")
        contract_due = contract & due_month
        opp = (pl.col("kind") == "opportunity") & pl.col("contract_record_id").is_null()
        opp_due = opp & pl.col("close_date").is_between(ps, pe)
        carried_opp = opp & never & pl.col("close_date").is_between(since, ps, closed="left")
        carried = (carried_contract | carried_opp).fill_null(False)
        is_due = (contract_due | opp_due).fill_null(False) | carried
        if self.due:
            com = com.filter(is_due & ~pl.col("record_id").is_in(in_period.implode()))
            com = com.with_columns(carried.alias("carried"), pl.coalesce(
                pl.when(pl.col("kind") == "contract").then(_month("start_date"))
                .otherwise(_month("close_date")), pl.lit(ps.strftime("%Y-%m"))).alias("since"))
            expl = pl.format("{} {} ({}, {} per period) is due for billing{} but no invoice is "
                             "linked to it.", pl.when(pl.col("kind") == "contract")
                             .then(pl.lit("Contract")).otherwise(pl.lit("Won opportunity")),
                             pl.coalesce("contract_number", "record_id"),
                             pl.col("name").fill_null(""), money(pl.col("amount_cents")),
                             pl.when(pl.col("carried")).then(pl.format(
                                 " since {} (carried over, still unbilled)", pl.col("since")))
                             .otherwise(pl.lit(" in the period")))
            evidence = evidence_json(billing_frequency=pl.col("billing_frequency"),
                                     start_date=pl.col("start_date").cast(pl.String),
                                     from_month=pl.when(pl.col("carried"))
                                     .then(pl.col("since")).otherwise(pl.lit(None)))
            return exception_only(com, "crm", "record_id", expl, evidence)
        com = com.filter(~is_due)
        expl = pl.when(pl.col("contract_record_id").is_not_null()).then(
            pl.format("Opportunity {} is billed through contract {}.", pl.col("record_id"),
                      pl.col("contract_record_id"))
        ).otherwise(pl.format("{} {}: nothing to bill in this period.", pl.col("kind"),
                              pl.coalesce("contract_number", "record_id")))
        return exception_only(com, "crm", "record_id", expl,
                              evidence_json(billing_frequency=pl.col("billing_frequency"),
                                            start_date=pl.col("start_date").cast(pl.String)))
