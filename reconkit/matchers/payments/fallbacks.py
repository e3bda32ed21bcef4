"""Payment rules without a usable reference: a grouped payment found by bounded subset-sum
over the payer's open items, the payer's single open document of that amount (never auto),
a payer close to several clients, unexplained money, and debits on our own account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import polars as pl

from reconkit.matchers.base import (
    CANDIDATE_SCHEMA,
    candidates,
    dumps,
    empty_candidates,
    evidence_json,
    exception_only,
    item,
    money,
    register_matcher,
)
from reconkit.matchers.blocking import Blocking, DateWindow, SameValue
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.matchers.payments.common import LINK, open_documents, open_payments
from reconkit.matchers.subset_sum import find_combinations
from reconkit.money import format_cents


@register_matcher
@dataclass(frozen=True)
class GroupedSubsetSum:
    """No usable reference; the payer is a known client; some 2..k of its open documents sum
    exactly to the payment. One combination -> a proposal; several -> all shown, never auto."""

    kind: ClassVar[str] = "grouped_subset_sum"
    k_max: int
    max_items: int
    max_alternatives: int
    days_after_payment: int
    days_before_payment: int
    score_one: float       # exactly one combination fits
    score_several: float   # several fit: all shown

    def blocking(self) -> Blocking:
        """The payer's open documents in the payment's currency, issued up to
        `days_before_payment` before it (and a few days after: invoices dated late)."""
        return Blocking(keys=(SameValue("party_id"), SameValue("currency")),
                        filters=(DateWindow("booking_date", "issue_date",
                                            self.days_before_payment, self.days_after_payment),))

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = open_payments(ctx, state).filter(pl.col("party_id").is_not_null())
        docs = open_documents(ctx, state).filter(pl.col("remaining_cents") != 0)
        if pay.height == 0 or docs.height == 0:
            return empty_candidates()
        # each payment with its client's open documents issued before it (vectorised), in
        # due-date order, at most `max_items`; only the search itself runs per payment
        pool = self.blocking().pairs(
            pay.select("record_id", "party_id", "currency", "remaining_cents", "payer_name",
                       "payer_evidence", "booking_date"),
            docs.select(pl.col("record_id").alias("doc_id"), "party_id", "currency", "number",
                        "issue_date", "due_date", pl.col("remaining_cents").alias("doc_cents")),
        ).collect()
        pool = pool.sort("record_id", "due_date", "issue_date", "doc_id", nulls_last=True)
        pool = pool.filter(pl.int_range(pl.len()).over("record_id") < self.max_items)
        grouped = pool.group_by("record_id", maintain_order=True).agg(
            pl.col("remaining_cents").first(), pl.col("payer_name").first(),
            pl.col("payer_evidence").first(), pl.col("doc_id"), pl.col("number"),
            pl.col("doc_cents"), pl.len().alias("n")).filter(pl.col("n") >= 2)
        out: list[dict[str, Any]] = []
        for p in grouped.iter_rows(named=True):
            amounts, ids, nums = p["doc_cents"], p["doc_id"], p["number"]
            sols = find_combinations(amounts, p["remaining_cents"], k_min=2, k_max=self.k_max,
                                     max_items=self.max_items, tolerance=0,
                                     max_solutions=self.max_alternatives + 1)
            n = len(sols)
            for sol in sols[: self.max_alternatives]:
                items = [{"system": "bank", "record_id": p["record_id"], "role": "payment",
                          "amount_cents": p["remaining_cents"]}]
                items += [{"system": "billing", "record_id": ids[i], "role": "invoice",
                           "amount_cents": amounts[i]} for i in sol]
                numbers = ", ".join(nums[i] for i in sol)
                out.append({
                    "anchor_system": "bank", "anchor_id": p["record_id"], "items": items,
                    "score": self.score_one if n == 1 else self.score_several,
                    "evidence": dumps({"invoice_numbers": numbers, "combinations_found": n,
                                        "open_items_searched": len(amounts),
                                        "payer_evidence": p["payer_evidence"]}),
                    "explanation": (f"Payment of {format_cents(p['remaining_cents'])} from "
                                    f"{p['payer_name'] or '?'} carries no invoice number; "
                                    f"{numbers} sum to it exactly"
                                    + ("." if n == 1 else
                                       f" ({'more than ' if n > self.max_alternatives else ''}"
                                       f"{min(n, self.max_alternatives)} combinations fit).")),
                })
        return _frame(out)


@register_matcher
@dataclass(frozen=True)
class PartyAmount:
    """No reference; the payer is a known client with open documents of exactly this amount
    (`scope: own`), or the open documents of exactly this amount are those of the payer's CRM
    group: its parent or subsidiaries (`scope: group`, a parent paying for a subsidiary).
    Amount and party alone never auto-match: one document -> proposal, several -> all shown."""

    kind: ClassVar[str] = "party_amount"
    score_one: float       # one open document of exactly this amount
    score_several: float   # several: all shown
    scope: Literal["own", "group"]

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = open_payments(ctx, state).filter(pl.col("party_id").is_not_null())
        if self.scope == "group":   # the payer stands for the other members of its group
            pay = pay.join(ctx.parties.groups(), on="party_id").filter(
                pl.col("group_party_id") != pl.col("party_id")).with_columns(
                pl.col("group_party_id").alias("party_id"))
        docs = open_documents(ctx, state).filter(pl.col("remaining_cents") > 0)
        same = Blocking(keys=(SameValue("party_id"), SameValue("currency"),
                              SameValue("pay_cents", "remaining_cents")))
        rows = same.pairs(
            pay.select(pl.col("record_id").alias("payment_id"), "party_id", "currency",
                       pl.col("remaining_cents").alias("pay_cents"), "payer_name",
                       "booking_date"),
            docs.select(pl.col("record_id").alias("invoice_id"), "party_id", "currency", "number",
                        "remaining_cents", "issue_date")).collect()
        rows = rows.with_columns(pl.len().over("payment_id").alias("n"))
        return candidates(
            rows.sort("payment_id", "invoice_id"), anchor_system="bank", anchor_id="payment_id",
            items=pl.concat_list([item("bank", pl.col("payment_id"), "payment",
                                       pl.col("pay_cents")),
                                  item("billing", pl.col("invoice_id"), "invoice",
                                       pl.col("pay_cents"))]),
            score=pl.when(pl.col("n") == 1).then(self.score_one).otherwise(self.score_several),
            evidence=evidence_json(invoice_number=pl.col("number"),
                                   same_amount_documents=pl.col("n")),
            explanation=pl.format("No reference; {} open document(s) of the {} have exactly "
                                  "this amount ({}): {}.", pl.col("n"),
                                  pl.lit("payer" if self.scope == "own"
                                         else "payer's parent or subsidiaries"),
                                  money(pl.col("pay_cents")), pl.col("number")),
        )


@register_matcher
@dataclass(frozen=True)
class UnresolvedPayer:
    """The payer's name is close to several clients and its IBAN is unknown: ask who it is."""

    kind: ClassVar[str] = "unresolved_payer"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = open_payments(ctx, state).filter(
            pl.col("party_id").is_null() & (pl.col("candidate_party_ids").list.len() > 1))
        return exception_only(pay, "bank", "record_id", pl.format(
            "Payer '{}' could be any of {} clients (similar names, unknown IBAN).",
            pl.col("payer_name").fill_null("?"), pl.col("candidate_party_ids").list.len()),
            evidence_json(candidate_party_ids=pl.col("candidate_party_ids").list.join(", ")))


@register_matcher
@dataclass(frozen=True)
class Unexplained:
    """What no rule explained: money received that no document or client accounts for."""

    kind: ClassVar[str] = "unexplained_payment"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = open_payments(ctx, state)
        return exception_only(pay, "bank", "record_id", pl.format(
            "Received {} from '{}' ({}): no open invoice, reference or known client explains it.",
            money(pl.col("amount_cents")), pl.col("payer_name").fill_null("?"),
            pl.col("remittance").fill_null("no remittance text")), evidence_json(
            payer_iban=pl.col("payer_iban"), remittance=pl.col("remittance")))


@register_matcher
@dataclass(frozen=True)
class BankDebit:
    """Money paid out by the bank (fees, charges, refunds): not a customer receipt."""

    kind: ClassVar[str] = "bank_debit"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = state.undecided(ctx.payments.filter(pl.col("amount_cents") < 0), LINK, "bank")
        return exception_only(pay, "bank", "record_id", pl.format(
            "Debit of {} on our account ({}): a bank charge or outgoing payment, not a customer "
            "receipt.", money(-pl.col("amount_cents")),
            pl.coalesce("remittance", "payer_name", "bank_tx_code").fill_null("no label")),
            evidence_json(bank_tx_code=pl.col("bank_tx_code")))


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    if not rows:
        return empty_candidates()
    return pl.DataFrame(rows, schema=CANDIDATE_SCHEMA)
