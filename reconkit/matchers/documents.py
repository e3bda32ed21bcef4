"""Document matchers: credit note <-> invoice, invoice <-> ledger, invoice <-> commitment,
payment <-> ledger, existing ERP lettering, and resolved parties.

Each is a frozen dataclass with one verb, `propose(ctx, state)`, returning candidates.
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

# ---- credit notes -------------------------------------------------------------------------

def _credit_notes(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    cn = ctx.invoices.filter(pl.col("doc_type") == "credit_note")
    return state.undecided(cn, "credit_note_invoice", "billing")


@register_matcher
@dataclass(frozen=True)
class CreditNoteOnLettered:
    """A credit note on an invoice whose ERP line is already lettered (paid and closed): the
    credit becomes a refund or a customer credit; someone must decide which."""

    kind: ClassVar[str] = "credit_note_on_lettered"

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
            items=pl.concat_list([item("billing", pl.col("record_id"), "credit_note",
                                        pl.col("amount_cents")),
                                  item("billing", pl.col("credited_invoice_id"), "invoice",
                                        -pl.col("amount_cents"))]),
            score=pl.lit(0.9),
            evidence=evidence_json(invoice_number=pl.col("inv_number"),
                                   lettering_date=pl.col("lettering_date").cast(pl.String)),
            explanation=pl.format("Credit note {} ({}) reduces invoice {}, whose ERP line was "
                                  "already lettered on {}: refund or keep as customer credit.",
                                  pl.col("number"), money(pl.col("amount_cents")),
                                  pl.col("inv_number"), pl.col("lettering_date").cast(pl.String)),
        )


@register_matcher
@dataclass(frozen=True)
class CreditNoteLinked:
    """A credit note names the invoice it reduces, and that invoice exists: link them."""

    kind: ClassVar[str] = "credit_note_linked"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        inv = ctx.invoices.filter(pl.col("doc_type") == "invoice").select(
            pl.col("record_id").alias("credited_invoice_id"), pl.col("number").alias("inv_number"),
            pl.col("party_id").alias("inv_party"))
        cn = _credit_notes(ctx, state).join(inv, on="credited_invoice_id")
        same = pl.col("party_id").eq_missing(pl.col("inv_party"))
        return candidates(
            cn.sort("record_id"), anchor_system="billing", anchor_id="record_id",
            items=pl.concat_list([item("billing", pl.col("record_id"), "credit_note",
                                        pl.col("amount_cents")),
                                  item("billing", pl.col("credited_invoice_id"), "invoice",
                                        -pl.col("amount_cents"))]),
            score=pl.when(same).then(1.0).otherwise(0.7),
            evidence=evidence_json(invoice_number=pl.col("inv_number"), same_party=same),
            explanation=pl.format("Credit note {} ({}) reduces invoice {} as stated by the billing "
                                  "tool.", pl.col("number"), money(pl.col("amount_cents")),
                                  pl.col("inv_number")),
        )


@register_matcher
@dataclass(frozen=True)
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
@dataclass(frozen=True)
class CreditNoteOrphan:
    """A credit note naming an invoice that is not in the billing data."""

    kind: ClassVar[str] = "credit_note_orphan"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        cn = _credit_notes(ctx, state).filter(pl.col("credited_invoice_id").is_not_null())
        return exception_only(cn, "billing", "record_id", pl.format(
            "Credit note {} names invoice {}, which is not in the billing data.",
            pl.col("number"), pl.col("credited_invoice_id")),
            evidence_json(credited_invoice_id=pl.col("credited_invoice_id")))


# ---- invoice <-> ledger -----------------------------------------------------------------

@register_matcher
@dataclass(frozen=True)
class DocumentBooked:
    """The document is booked in the ERP under its number, on the client's account, for the
    same amount (`same_amount=True`) or for a different one (`same_amount=False`: the
    exception is raised on the ERP line)."""

    kind: ClassVar[str] = "document_booked"
    same_amount: bool = True

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pairs = ctx.invoice_ledger_pairs.join(
            ctx.invoices.select(pl.col("record_id").alias("invoice_id"), "number"),
            on="invoice_id")
        pairs = state.undecided(pairs, "invoice_ledger", "billing", "invoice_id")
        pairs = state.undecided(pairs, "invoice_ledger", "erp", "ledger_id")
        # one ERP line per document and one document per ERP line, else it is not evidence
        pairs = pairs.filter((pl.len().over("invoice_id") == 1) & (pl.len().over("ledger_id") == 1))
        same_party = pl.col("invoice_party").eq_missing(pl.col("ledger_party"))
        same_currency = pl.col("invoice_currency") == pl.col("ledger_currency")
        equal = (pl.col("invoice_cents") == pl.col("ledger_cents")) & same_currency
        # a document in another currency than the book cannot be compared: booked, reviewed
        pairs = pairs.filter((equal | ~same_currency) if self.same_amount
                             else (same_currency & ~equal))
        items = pl.concat_list([item("billing", pl.col("invoice_id"), "invoice",
                                      pl.col("invoice_cents")),
                                item("erp", pl.col("ledger_id"), "ledger_line",
                                      pl.col("ledger_cents"))])
        evidence = evidence_json(number=pl.col("number"), same_party=same_party,
                                 invoice_cents=pl.col("invoice_cents"),
                                 ledger_cents=pl.col("ledger_cents"))
        if self.same_amount:
            return candidates(
                pairs.sort("invoice_id"), anchor_system="billing", anchor_id="invoice_id",
                items=items,
                score=pl.when(same_party & same_currency).then(1.0).otherwise(0.8),
                evidence=evidence,
                explanation=pl.when(same_currency).then(pl.format(
                    "{} is booked in the ERP ({}) for the same amount {}.", pl.col("number"),
                    pl.col("ledger_id"), money(pl.col("invoice_cents")))).otherwise(pl.format(
                    "{} ({} {}) is booked in the ERP ({}) as {} {}: check the exchange rate.",
                    pl.col("number"), money(pl.col("invoice_cents")), pl.col("invoice_currency"),
                    pl.col("ledger_id"), money(pl.col("ledger_cents")),
                    pl.col("ledger_currency"))))
        return candidates(
            pairs.sort("ledger_id"), anchor_system="erp", anchor_id="ledger_id", items=items,
            score=pl.lit(0.8), evidence=evidence,
            explanation=pl.format("{} is booked in the ERP ({}) for {} but the billing tool says "
                                  "{}.", pl.col("number"), pl.col("ledger_id"),
                                  money(pl.col("ledger_cents")), money(pl.col("invoice_cents"))))


@register_matcher
@dataclass(frozen=True)
class DocumentNotBooked:
    """An invoice or credit note absent from the ERP."""

    kind: ClassVar[str] = "document_not_booked"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        inv = state.undecided(ctx.invoices, "invoice_ledger", "billing")
        return exception_only(inv, "billing", "record_id", pl.format(
            "{} {} of {} ({}) is not booked in the ERP.",
            pl.when(pl.col("doc_type") == "invoice").then(pl.lit("Invoice"))
            .otherwise(pl.lit("Credit note")), pl.col("number"),
            pl.col("issue_date").cast(pl.String), money(pl.col("amount_cents"))),
            evidence_json(number=pl.col("number")))


# ---- invoice <-> commitment -------------------------------------------------------------

def _period_invoices(ctx: MatchContext, state: AllocationState,
                     period_only: bool = True) -> pl.DataFrame:
    inv = ctx.invoices.filter(pl.col("doc_type") == "invoice")
    if period_only:
        inv = inv.filter(pl.col("issue_date").is_between(ctx.period_start, ctx.period_end))
    return state.undecided(inv, "invoice_commitment", "billing")


def _commitment_pairs(ctx: MatchContext, state: AllocationState,
                      period_only: bool = True) -> pl.DataFrame:
    """Invoices with the commitment their metadata cites (contract number or id)."""
    com = ctx.table("commitments")
    # a contract number names the contract itself, not the opportunities attached to it
    keys = pl.concat([
        com.filter(pl.col("contract_number").is_not_null() & (pl.col("kind") == "contract"))
        .select(pl.col("contract_number").alias("ref"),
                pl.col("record_id").alias("commitment_id")),
        com.select(pl.col("record_id").alias("ref"), pl.col("record_id").alias("commitment_id")),
    ]).unique()
    inv = _period_invoices(ctx, state, period_only).filter(pl.col("commitment_ref").is_not_null())
    pairs = inv.join(keys, left_on="commitment_ref", right_on="ref")
    com_cols = com.select(pl.col("record_id").alias("commitment_id"),
                          pl.col("kind").alias("commitment_kind"),
                          pl.col("amount_cents").alias("committed_cents"),
                          "list_amount_cents", "discount_bp", "auto_renew", "start_date",
                          pl.col("name").alias("commitment_name"), "contract_number")
    return pairs.join(com_cols, on="commitment_id").sort("record_id", "commitment_id")


@register_matcher
@dataclass(frozen=True)
class CommitmentBilled:
    """The invoice cites a CRM commitment and is billed as committed (`check`: `exact`; with
    `period_only=False` earlier invoices are linked too), or with a known kind of difference:
    `discount_not_applied` (billed at the undiscounted list amount), `renewal_drift`
    (auto-renewed contract billed at an indexed price within the index band), `mismatch`
    (any other difference)."""

    kind: ClassVar[str] = "commitment_billed"
    check: str = "exact"
    min_index_bp: int = 150
    max_index_bp: int = 550
    renewal_after_months: int = 12
    period_only: bool = True

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pairs = _commitment_pairs(ctx, state, self.period_only)
        net = pl.coalesce("net_cents", "amount_cents")
        exact = net == pl.col("committed_cents")
        undiscounted = ((pl.col("discount_bp").fill_null(0) > 0)
                        & (net == pl.col("list_amount_cents")))
        renewed = (pl.col("start_date").dt.offset_by(f"{self.renewal_after_months}mo")
                   <= pl.col("issue_date"))
        drift = (pl.col("auto_renew").fill_null(False) & renewed.fill_null(False)
                 & (net * 10_000 >= pl.col("committed_cents") * (10_000 + self.min_index_bp))
                 & (net * 10_000 <= pl.col("committed_cents") * (10_000 + self.max_index_bp)))
        cond = {"exact": exact, "discount_not_applied": ~exact & undiscounted,
                "renewal_drift": ~exact & ~undiscounted & drift,
                "mismatch": ~exact & ~undiscounted & ~drift}[self.check]
        pairs = pairs.with_columns(net.alias("billed_cents")).filter(cond)
        text = {
            "exact": "Invoice {} bills {} as committed in CRM {} ({}).",
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
            score=pl.lit(1.0 if self.check == "exact" else 0.8),
            evidence=evidence_json(commitment_ref=pl.col("commitment_ref"),
                                   billed_cents=pl.col("billed_cents"),
                                   committed_cents=pl.col("committed_cents"),
                                   discount_bp=pl.col("discount_bp")),
            explanation=pl.format(text, pl.col("number"), money(pl.col("billed_cents")),
                                  pl.coalesce("contract_number", "commitment_id"),
                                  money(pl.col("committed_cents"))),
        )


@register_matcher
@dataclass(frozen=True)
class InvoiceWithoutCommitment:
    """A period invoice citing no known CRM contract or won opportunity."""

    kind: ClassVar[str] = "invoice_without_commitment"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        inv = _period_invoices(ctx, state)
        return exception_only(inv, "billing", "record_id", pl.format(
            "Invoice {} ({}) cites no CRM contract or won opportunity{}.", pl.col("number"),
            money(pl.col("amount_cents")),
            pl.when(pl.col("commitment_ref").is_not_null())
            .then(pl.lit(" (unknown reference ") + pl.col("commitment_ref") + pl.lit(")"))
            .otherwise(pl.lit(""))), evidence_json(commitment_ref=pl.col("commitment_ref")))


@register_matcher
@dataclass(frozen=True)
class CommitmentUnbilled:
    """An active contract due for billing in the period (by its frequency and start month),
    or a won opportunity closed in the period, with no invoice citing it (`due=True`); with
    `due=False`, commitments with nothing due in the period (accounted for, informational)."""

    kind: ClassVar[str] = "commitment_unbilled"
    due: bool = True

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        # a contract linked to earlier invoices can still be unbilled this period
        com = state.undecided(ctx.table("commitments"), "invoice_commitment", "crm",
                         anchors_only=self.due)
        cited = ctx.invoices.filter(pl.col("commitment_ref").is_not_null()
                                    & pl.col("issue_date").is_between(ctx.period_start,
                                                                      ctx.period_end))
        if self.due:
            com = com.filter(~pl.col("record_id").is_in(cited["commitment_ref"].implode())
                             & ~pl.col("contract_number").fill_null("").is_in(
                                 cited["commitment_ref"].implode()))
        ps, pe = ctx.period_start, ctx.period_end
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
        contract_due = (pl.col("kind") == "contract") & active & due_month
        opp_due = ((pl.col("kind") == "opportunity") & pl.col("contract_record_id").is_null()
                   & pl.col("close_date").is_between(ps, pe))
        is_due = (contract_due | opp_due).fill_null(False)
        com = com.filter(is_due if self.due else ~is_due)
        if self.due:
            expl = pl.format("{} {} ({}, {} per period) is due for billing in the period but no "
                             "invoice cites it.", pl.when(pl.col("kind") == "contract")
                             .then(pl.lit("Contract")).otherwise(pl.lit("Won opportunity")),
                             pl.coalesce("contract_number", "record_id"),
                             pl.col("name").fill_null(""), money(pl.col("amount_cents")))
        else:
            expl = pl.when(pl.col("contract_record_id").is_not_null()).then(
                pl.format("Opportunity {} is billed through contract {}.", pl.col("record_id"),
                          pl.col("contract_record_id"))
            ).otherwise(pl.format("{} {}: nothing to bill in this period.", pl.col("kind"),
                                  pl.coalesce("contract_number", "record_id")))
        return exception_only(com, "crm", "record_id", expl,
                     evidence_json(billing_frequency=pl.col("billing_frequency"),
                                   start_date=pl.col("start_date").cast(pl.String)))


# ---- payment <-> ledger -----------------------------------------------------------------

@register_matcher
@dataclass(frozen=True)
class PaymentBooked:
    """The bank payment is booked on a customer account in the ERP bank journal: the 411 line
    carries the bank reference (`by_reference=True`), or has the same amount within a few days
    on the payer's account (`by_reference=False`, a proposal)."""

    kind: ClassVar[str] = "payment_booked"
    by_reference: bool = True
    days: int = 3

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = state.undecided(ctx.payments, "payment_ledger", "bank")
        led = state.undecided(ctx.ledger.filter(pl.col("amount_cents") < 0), "payment_ledger",
                         "erp").select(pl.col("record_id").alias("ledger_id"), "piece_ref",
                                       pl.col("amount_cents").alias("ledger_cents"),
                                       "entry_date", pl.col("party_id").alias("ledger_party"))
        # lines already tied to a document (a credit note) are not payments
        led = led.join(ctx.invoice_ledger_pairs.select("ledger_id"), on="ledger_id", how="anti")
        if self.by_reference:
            refs = pl.concat([
                pay.select(pl.col("record_id").alias("payment_id"),
                           pl.col("record_id").alias("ref"), "amount_cents", "payer_name"),
                pay.select(pl.col("record_id").alias("payment_id"),
                           pl.col("entry_ref").alias("ref"), "amount_cents", "payer_name"),
            ]).unique()
            pairs = refs.join(led, left_on="ref", right_on="piece_ref")
        else:
            pairs = pay.select(pl.col("record_id").alias("payment_id"), "amount_cents",
                               "booking_date", "payer_name", "party_id").join(
                led, left_on="party_id", right_on="ledger_party").filter(
                (pl.col("entry_date") - pl.col("booking_date")).dt.total_days().abs()
                <= self.days)
        pairs = pairs.filter(pl.col("amount_cents") == -pl.col("ledger_cents")).unique(
            subset=["payment_id", "ledger_id"]).sort("payment_id", "ledger_id")
        pairs = pairs.with_columns(pl.len().over("payment_id").alias("n"),
                                   pl.len().over("ledger_id").alias("m"))
        if self.by_reference:
            pairs = pairs.filter((pl.col("n") == 1) & (pl.col("m") == 1))
        return candidates(
            pairs, anchor_system="bank", anchor_id="payment_id",
            items=pl.concat_list([item("bank", pl.col("payment_id"), "payment",
                                        pl.col("amount_cents")),
                                  item("erp", pl.col("ledger_id"), "ledger_line",
                                        pl.col("ledger_cents"))]),
            score=pl.lit(1.0 if self.by_reference else 0.6) - (pl.col("m") > 1) * 0.1,
            evidence=evidence_json(ledger_id=pl.col("ledger_id"), by_reference=pl.lit(
                self.by_reference)),
            explanation=pl.format("Payment of {} is booked in the ERP as {} ({}).",
                                  money(pl.col("amount_cents")), pl.col("ledger_id"),
                                  pl.lit("same bank reference" if self.by_reference else
                                         f"same amount within {self.days} days on the payer's "
                                         "account")),
        )


# ---- ERP lettering and leftover ledger lines ----------------------------------------------

@register_matcher
@dataclass(frozen=True)
class ExistingLettering:
    """Lines the ERP already lettered together (account + auxiliary account + code): settled,
    recorded as confirmed matches so they are never re-matched."""

    kind: ClassVar[str] = "existing_lettering"
    preset_status: ClassVar[str] = "confirmed"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        led = ctx.ledger.filter(pl.col("lettering_code").is_not_null())
        if led.height == 0:
            return empty_candidates()
        groups = led.group_by("account", "aux_account", "lettering_code").agg(
            pl.col("record_id").sort().first().alias("anchor"),
            item("erp", pl.col("record_id"), "lettered", pl.col("amount_cents"))
            .sort_by(pl.col("record_id")).alias("items"),
            pl.col("amount_cents").sum().alias("net"),
            pl.len().alias("n"),
            pl.col("lettering_partial").any().alias("partial"),
            pl.col("lettering_date").max().alias("on"),
        ).sort("anchor")
        return candidates(
            groups, anchor_system="erp", anchor_id="anchor", items=pl.col("items"),
            score=pl.lit(1.0),
            evidence=evidence_json(lettering_code=pl.col("lettering_code"),
                                   net_cents=pl.col("net"), partial=pl.col("partial")),
            explanation=pl.format("{} ERP lines of account {} lettered '{}' on {} (net {}).",
                                  pl.col("n"), pl.coalesce("aux_account", "account"),
                                  pl.col("lettering_code"), pl.col("on").cast(pl.String),
                                  money(pl.col("net"))),
        )


@register_matcher
@dataclass(frozen=True)
class LedgerLineUnexplained:
    """An open customer-account line tied to no document and no payment."""

    kind: ClassVar[str] = "ledger_line_unexplained"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        led = ctx.ledger
        for link in ("invoice_ledger", "payment_ledger", "payment_invoice", "ledger_lettering"):
            led = state.undecided(led, link, "erp")
        return exception_only(led, "erp", "record_id", pl.format(
            "Open ERP line {} on account {} ({}, '{}') is tied to no invoice or payment.",
            pl.col("record_id"), pl.coalesce("aux_account", "account"),
            money(pl.col("amount_cents")), pl.col("label").fill_null("")),
            evidence_json(piece_ref=pl.col("piece_ref")))


# ---- parties ----------------------------------------------------------------------------

_STRONG = ["self", "id:crm_ref", "id:billing_ref", "id:erp_ref", "legal_id", "iban", "alias",
           "contract", "invoice_booked"]


@register_matcher
@dataclass(frozen=True)
class PartyResolved:
    """One candidate per resolved party holding all its records across systems; `strong`
    selects parties tied by ids/documents only (True) or those needing a name (False)."""

    kind: ClassVar[str] = "party_resolved"
    strong: bool = True

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
        ).filter(pl.col("all_strong") == self.strong).sort("party_id")
        return candidates(
            groups, anchor_system="party", anchor_id="party_id", items=pl.col("items"),
            score=pl.lit(1.0 if self.strong else 0.85),
            evidence=evidence_json(linked_by=pl.col("how").list.join(", ")),
            explanation=pl.format("Client '{}' resolved across {} system(s), linked by {}.",
                                  pl.col("name"), pl.col("n_sys"), pl.col("how").list.join(", ")),
        )


@register_matcher
@dataclass(frozen=True)
class PartyRenamed:
    """A CRM account whose name resembles none of the names billing and ERP keep for it."""

    kind: ClassVar[str] = "party_renamed"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        return exception_only(ctx.parties.renamed, "crm", "record_id", pl.col("detail"),
                     evidence_json(party_id=pl.col("party_id")))


@register_matcher
@dataclass(frozen=True)
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
