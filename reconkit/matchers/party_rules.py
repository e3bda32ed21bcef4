"""Party matchers (catalog `parties.yaml`, link `party`): resolved clients, renamed and
ambiguous records, billing customers absent from the CRM.

Scores are parameters the catalog rule sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from reconkit.matchers.base import (
    candidates,
    empty_candidates,
    evidence_json,
    exception_only,
    item,
    money,
    register_matcher,
)
from reconkit.matchers.context import AllocationState, MatchContext

_STRONG = ["self", "id:crm_ref", "id:billing_ref", "id:erp_ref", "legal_id", "iban", "alias",
           "contract", "invoice_booked"]


def billing_only_customers(ctx: MatchContext) -> pl.DataFrame:
    """(party_id, record_id) of billing customers whose client has no CRM account, when the
    run has CRM accounts at all (without a CRM extract nothing can be absent from it)."""
    m = ctx.parties.members
    if m.filter(pl.col("system") == "crm").height == 0:
        return pl.DataFrame(schema={"party_id": pl.String, "record_id": pl.String})
    crm = m.filter(pl.col("system") == "crm").select("party_id").unique()
    return (m.filter(pl.col("system") == "billing")
            .join(crm, on="party_id", how="anti")
            .select("party_id", pl.col("source_id").alias("record_id")).unique()
            .sort("record_id"))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PartyResolved:
    """One candidate per resolved party holding all its records across systems; `strong`
    selects parties tied by ids/documents only (True) or those needing a name (False)."""

    kind: ClassVar[str] = "party_resolved"
    strong: bool = True
    score: float
    # a name-linked party also tied across systems by documents or accounts (invoices booked,
    # a contract, a shared IBAN or id): the name attached a record to a documented client
    corroborated_score: float | None = None

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        m = ctx.parties.members
        if m.height == 0:
            return empty_candidates()
        groups = m.group_by("party_id").agg(
            item(pl.col("system"), pl.col("source_id"),
                      pl.when(pl.col("system") == "bank").then(pl.lit("payer"))
                      .otherwise(pl.lit("party"))).sort_by("system", "source_id").alias("items"),
            # how referential records were tied decides; a bank payer recognised by name is
            # weighed where it matters, in the payment rules
            (pl.col("evidence").is_in(_STRONG) | (pl.col("system") == "bank")).all()
            .alias("all_strong"),
            pl.col("evidence").unique().sort().alias("how"),
            pl.col("name").sort_by("system", "source_id").first().alias("name"),
            pl.col("system").n_unique().alias("n_sys"),
            pl.col("evidence").is_in(_STRONG).filter(pl.col("system") != "bank").any()
            .alias("documented"),
        ).filter(pl.col("all_strong") == self.strong).sort("party_id")
        corroborated = pl.lit(False) if self.strong or self.corroborated_score is None \
            else pl.col("documented")
        return candidates(
            groups, anchor_system="party", anchor_id="party_id", items=pl.col("items"),
            score=pl.when(corroborated).then(pl.lit(self.corroborated_score))
            .otherwise(pl.lit(self.score)),
            evidence=evidence_json(linked_by=pl.col("how").list.join(", "),
                                   corroborated=corroborated),
            explanation=pl.format("Client '{}' resolved across {} system(s), linked by {}.",
                                  pl.col("name"), pl.col("n_sys"), pl.col("how").list.join(", ")),
        )


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PartyRenamed:
    """A CRM account whose name resembles none of the names billing and ERP keep for it."""

    kind: ClassVar[str] = "party_renamed"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        return exception_only(ctx.parties.renamed, "crm", "record_id", pl.col("detail"),
                     evidence_json(party_id=pl.col("party_id")))


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PartyAmbiguous:
    """A CRM, billing or ERP record whose name is close to several clients, with no id tying
    it to one: it is not guessed."""

    kind: ClassVar[str] = "party_ambiguous"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        u = ctx.parties.unresolved.filter(pl.col("system") != "bank")
        frames = [
            exception_only(grp, str(system), "record_id", pl.col("detail"),
                  evidence_json(candidate_party_ids=pl.col("candidate_party_ids").list.join(", ")))
            for (system,), grp in u.group_by("system", maintain_order=True)
        ]
        return pl.concat(frames) if frames else empty_candidates()


@register_matcher
@dataclass(frozen=True, kw_only=True)
class PartyNotInCrm:
    """A billing customer with documents whose client has no CRM account (a self-serve
    sign-up): one notice per customer, in place of one `invoice_without_commitment` per
    invoice (the commitment rules skip its invoices)."""

    kind: ClassVar[str] = "party_not_in_crm"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        docs = ctx.invoices.filter(pl.col("doc_type") == "invoice").group_by(
            pl.col("party_record_id").alias("record_id")).agg(
            pl.len().alias("n_inv"), pl.col("amount_cents").sum().alias("billed"),
            pl.col("issue_date").min().alias("first"), pl.col("party_name").drop_nulls().first())
        cus = billing_only_customers(ctx).join(docs, on="record_id")
        names = ctx.parties.members.filter(pl.col("system") == "billing").select(
            pl.col("source_id").alias("record_id"), pl.col("name").alias("customer_name"))
        cus = cus.join(names, on="record_id", how="left")
        return exception_only(cus, "billing", "record_id", pl.format(
            "Billing customer {} ({}) has {} invoice(s) ({} in all, the first on {}) but no "
            "account in the CRM: a self-serve client sales never saw.", pl.col("record_id"),
            pl.coalesce("customer_name", "party_name", pl.lit("")), pl.col("n_inv"),
            money(pl.col("billed")), pl.col("first").cast(pl.String)),
            evidence_json(invoices=pl.col("n_inv"), invoiced_cents=pl.col("billed"),
                          party_id=pl.col("party_id")))
