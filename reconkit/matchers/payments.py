"""Payment -> invoice matchers: references, amounts, party agreement, grouped payments.

Every matcher works on what is still open (the allocation state) and proposes candidates; the
engine decides (auto above the rule's threshold, review otherwise, ambiguity -> review).
Reference evidence comes from `MatchContext.payment_refs`; amounts are integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import polars as pl

from reconkit.keys.names import name_similarity
from reconkit.matchers.base import (
    CANDIDATE_SCHEMA,
    ITEM,
    Score,
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
from reconkit.matchers.subset_sum import find_combinations
from reconkit.money import format_cents

LINK = "payment_invoice"


def _open_payments(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    """Received payments not yet decided, with what they still have to allocate."""
    pay = state.undecided(ctx.payments.filter(pl.col("amount_cents") > 0), LINK, "bank")
    return pay.join(state.remaining_frame("bank"), on="record_id", how="left").with_columns(
        pl.col("remaining_cents").fill_null(pl.col("amount_cents")))


def _open_documents(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    """Open items with what remains to be paid on each (gross-of-credit-notes netting kept)."""
    return ctx.open_items.join(state.remaining_frame("billing"), on="record_id", how="left") \
        .with_columns(pl.col("remaining_cents").fill_null(pl.col("open_cents")))


def _party_score(ctx: MatchContext, frame: pl.DataFrame, *, payer_party: str,
                 invoice_party: str, payer_norm: str) -> pl.DataFrame:
    """Add `party_score` (0..1) and `party_evidence`: does the payer agree with the invoiced
    party? A known IBAN/alias of that party scores 1; otherwise the best similarity between the
    payer's name and any name the invoiced party has in any system."""
    if frame.height == 0:
        return frame.with_columns(pl.lit(None, pl.Float64).alias("party_score"),
                                  pl.lit(None, pl.String).alias("party_evidence"))
    keys = frame.select(pl.col(payer_norm).fill_null("").alias("__payer"),
                        pl.col(invoice_party).alias("__party"))
    best = _best_name_scores(ctx, keys.unique())
    out = pl.concat([frame, keys], how="horizontal").join(
        best, on=["__payer", "__party"], how="left", maintain_order="left")
    same = pl.col(payer_party).is_not_null() & (pl.col(payer_party) == pl.col(invoice_party))
    rules = ctx.party_rules
    return out.with_columns(
        pl.when(same & pl.col("payer_evidence").is_in(["iban", "alias"]))
        .then(rules.known_account_score)
        .when(same).then(pl.max_horizontal(pl.col("__name"),
                                           pl.lit(rules.resolved_payer_min_score)))
        .otherwise(pl.col("__name").fill_null(0.0)).alias("party_score"),
        pl.when(same).then(pl.col("payer_evidence")).otherwise(pl.lit("name"))
        .alias("party_evidence"),
    ).drop("__payer", "__party", "__name")


def _best_name_scores(ctx: MatchContext, keys: pl.DataFrame) -> pl.DataFrame:
    """(__payer, __party, __name): the best similarity between a payer's name and the names
    of a party, computed once per pair for the whole run (several rules ask the same)."""
    known = ctx.memo.get("party_name_scores")
    todo = keys if known is None else keys.join(known, on=["__payer", "__party"], how="anti")
    if todo.height:
        names = ctx.party_names.rename({"party_id": "__party", "norm": "__pn"})
        pairs = todo.join(names, on="__party", how="left")
        pairs = pairs.with_columns(name_similarity(pairs["__payer"], pairs["__pn"].fill_null(""))
                                   .alias("__sim"))
        fresh = pairs.group_by("__payer", "__party").agg(
            pl.col("__sim").max().fill_null(0.0).alias("__name"))
        known = fresh if known is None else pl.concat([known, fresh])
        ctx.memo["party_name_scores"] = known
    assert known is not None
    return known


def _ref_groups(ctx: MatchContext, state: AllocationState, *,
                same_currency: bool = True) -> pl.DataFrame:
    """Per open payment: the open documents its references cite, with amounts and parties.

    One row per (payment, cited document), plus group figures: `n_refs`, `sum_remaining`.
    Amounts are only compared in one currency: documents in the payment's currency, or (with
    `same_currency=False`) only those in another currency, for the exchange-rate rule.
    """
    pay = _open_payments(ctx, state)
    docs = _open_documents(ctx, state).filter(pl.col("remaining_cents") != 0)
    refs = ctx.payment_refs.join(pay.select(pl.col("record_id").alias("payment_id")),
                                 on="payment_id")
    rows = refs.join(docs.rename({"record_id": "invoice_id", "party_id": "invoice_party"}),
                     on="invoice_id")
    rows = rows.join(pay.select(pl.col("record_id").alias("payment_id"), "remaining_cents",
                                "payer_name", "payer_norm",
                                pl.col("party_id").alias("payer_party"), "payer_evidence",
                                "booking_date", pl.col("currency").alias("pay_currency"))
                     .rename({"remaining_cents": "pay_cents"}), on="payment_id")
    same = pl.col("currency") == pl.col("pay_currency")
    rows = rows.filter(same if same_currency else ~same)
    return rows.with_columns(
        pl.len().over("payment_id").alias("n_refs"),
        pl.col("remaining_cents").sum().over("payment_id").alias("sum_remaining"),
    ).sort("payment_id", "issue_date", "invoice_id")


def _select_subset(rows: pl.DataFrame, k_max: int) -> pl.DataFrame:
    """Keep, per payment, the cited documents whose remaining amounts sum to the payment.

    All cited documents when they sum exactly; otherwise the one subset that does, when exactly
    one exists (a stray digit group cited a wrong document); otherwise nothing.
    """
    if rows.height == 0:
        return rows
    whole = rows.filter(pl.col("sum_remaining") == pl.col("pay_cents"))
    rest = rows.filter(pl.col("sum_remaining") != pl.col("pay_cents"), pl.col("n_refs") > 1)
    keep: list[tuple[str, str]] = []
    for (pid,), grp in rest.group_by("payment_id", maintain_order=True):
        amounts = grp["remaining_cents"].to_list()
        sols = find_combinations(amounts, grp["pay_cents"][0], k_min=1,
                                 k_max=min(k_max, len(amounts)), max_solutions=2)
        if len(sols) == 1:
            ids = grp["invoice_id"].to_list()
            keep += [(str(pid), ids[i]) for i in sols[0]]
    picked = rest.join(pl.DataFrame(keep, schema={"payment_id": pl.String,
                                                  "invoice_id": pl.String}, orient="row"),
                       on=["payment_id", "invoice_id"])
    picked = picked.with_columns(pl.len().over("payment_id").alias("n_refs"),
                                 pl.col("remaining_cents").sum().over("payment_id")
                                 .alias("sum_remaining"))
    return pl.concat([whole, picked]).sort("payment_id", "issue_date", "invoice_id")


def _allocate(rows: pl.DataFrame) -> pl.DataFrame:
    """Allocate each payment (plus any write-off) to its documents in issue-date order."""
    budget = pl.col("pay_cents") + pl.col("write_off")
    before = pl.col("remaining_cents").cum_sum().over("payment_id") - pl.col("remaining_cents")
    return rows.with_columns(
        pl.min_horizontal(pl.col("remaining_cents"),
                          pl.max_horizontal(budget - before, pl.lit(0))).alias("alloc"))


def _finish(ctx: MatchContext, rows: pl.DataFrame, *, score: pl.Expr, explanation: pl.Expr,
            evidence: dict[str, pl.Expr], write_off: pl.Expr | None = None) -> pl.DataFrame:
    """Turn selected (payment, document) rows into one candidate per payment.

    Items: the payment (amount it gives), each invoice (amount settled, net of its credit
    notes), each netted credit note (no amount: it is inside the invoice's net) and, when
    given, a write-off closing the gap.
    """
    if rows.height == 0:
        return empty_candidates()
    rows = _allocate(rows.with_columns(
        (write_off if write_off is not None else pl.lit(0)).cast(pl.Int64).alias("write_off")))
    # netted credit notes are listed without an amount: the invoice item carries the net
    notes = rows.select("payment_id", pl.col("credit_note_ids").alias("cn")).explode("cn") \
        .drop_nulls("cn")
    notes = notes.group_by("payment_id").agg(
        item("billing", pl.col("cn"), "credit_note", pl.lit(None, pl.Int64)).alias("cn_items"))
    df = rows.group_by("payment_id", maintain_order=True).agg(
        pl.col("alloc").sum().alias("allocated"),
        item("billing", pl.col("invoice_id"), "invoice", pl.col("alloc")).alias("inv_items"),
        pl.col("invoice_id").alias("invoice_ids"),
        pl.col("number").alias("numbers"),
        pl.col("remaining_cents").sum().alias("open_total"),
        pl.col("ref_score").min().alias("ref_score"),
        pl.col("ref_evidence").sort().first().alias("ref_evidence"),
        pl.col("party_score").min().alias("party_score"),
        pl.col("party_evidence").first().alias("party_evidence"),
        pl.col("pay_cents").first(),
        pl.col("write_off").first(),
        pl.col("payer_name").first(),
        pl.col("party_name").first().alias("invoiced_name"),
    ).join(notes, on="payment_id", how="left").with_columns(
        pl.col("cn_items").fill_null(pl.lit([], dtype=pl.List(ITEM))))
    parts = [pl.concat_list([item("bank", pl.col("payment_id"), "payment",
                                   pl.col("allocated") - pl.col("write_off"))]),
             pl.col("inv_items"), pl.col("cn_items")]
    if write_off is not None:
        parts.append(pl.concat_list([item("bank", pl.col("payment_id"), "write_off",
                                           pl.col("write_off"))]))
    return candidates(
        df, anchor_system="bank", anchor_id="payment_id",
        items=pl.concat_list(parts).cast(pl.List(ITEM)),
        score=score, explanation=explanation,
        evidence=evidence_json(
            invoice_numbers=pl.col("numbers").list.join(", "),
            ref_evidence=pl.col("ref_evidence"), ref_score=pl.col("ref_score"),
            party_evidence=pl.col("party_evidence"),
            party_score=pl.col("party_score").round(3),
            payment_cents=pl.col("pay_cents"), open_cents=pl.col("open_total"),
            **evidence),
    )


def _with_party(ctx: MatchContext, rows: pl.DataFrame) -> pl.DataFrame:
    return _party_score(ctx, rows, payer_party="payer_party", invoice_party="invoice_party",
                        payer_norm="payer_norm")


def _agreeing(rows: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Payments whose every cited document belongs to one party the payer agrees with."""
    return rows.filter(
        (pl.col("invoice_party").n_unique().over("payment_id") == 1)
        & (pl.col("party_score").min().over("payment_id") >= threshold))


def _numbers(col: str = "numbers") -> pl.Expr:
    return pl.col(col).list.join(", ")


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
        rows = _with_party(ctx, _select_subset(_ref_groups(ctx, state), self.max_subset))
        rows = _agreeing(rows, self.party_threshold)
        score = self.score.expr(reference=pl.col("ref_score"), amount=pl.lit(1.0),
                                party=pl.col("party_score"))
        expl = pl.format("Payment of {} from {} cites {} and pays exactly the open amount; "
                         "the payer is the invoiced client ({}).",
                         money(pl.col("pay_cents")), pl.col("payer_name").fill_null("?"),
                         _numbers(), pl.col("party_evidence"))
        return _finish(ctx, rows, score=score, explanation=expl, evidence={})


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
        rows = _with_party(ctx, _select_subset(_ref_groups(ctx, state), self.max_subset))
        rows = rows.filter(pl.col("party_score").min().over("payment_id") < self.party_threshold)
        expl = pl.format("Payment of {} cites {} with the exact amount, but the payer '{}' is "
                         "not the invoiced client '{}'.", money(pl.col("pay_cents")), _numbers(),
                         pl.col("payer_name").fill_null("?"),
                         pl.col("invoiced_name").fill_null("?"))
        score = self.score.expr(reference=pl.col("ref_score"), amount=pl.lit(1.0),
                                party=pl.col("party_score"))
        return _finish(ctx, rows, score=score, explanation=expl, evidence={})


@dataclass(frozen=True)
class _AmountGap:
    """Shared logic: the payment cites open documents of the payer but the amounts differ."""

    party_threshold: float
    max_fee_cents: int
    max_fee_bp: int
    score: Score

    def _rows(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = _ref_groups(ctx, state).filter(pl.col("sum_remaining") != pl.col("pay_cents"))
        return _agreeing(_with_party(ctx, rows), self.party_threshold).with_columns(
            (pl.col("sum_remaining") - pl.col("pay_cents")).alias("short_cents"))

    def _score(self) -> pl.Expr:
        """The amounts disagree by construction: only reference and party weigh in."""
        return self.score.expr(reference=pl.col("ref_score"), party=pl.col("party_score"))

    def _fee_limit(self) -> pl.Expr:
        return pl.min_horizontal(pl.lit(self.max_fee_cents),
                                 pl.col("sum_remaining") * self.max_fee_bp // 10_000)


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
                         "match with a write-off of {}.", money(pl.col("pay_cents")), _numbers(),
                         money(pl.col("open_total")), money(pl.col("write_off")),
                         money(pl.col("write_off")))
        return _finish(ctx, rows, score=self._score(), explanation=expl,
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
                         money(pl.col("pay_cents")), _numbers(), money(pl.col("open_total")),
                         money(pl.col("open_total") - pl.col("pay_cents")))
        return _finish(ctx, rows, score=self._score(), explanation=expl, evidence={})


@register_matcher
@dataclass(frozen=True)
class ReferenceOverpayment(_AmountGap):
    """Pays more than the cited documents ask: allocate the open amount, flag the excess."""

    kind: ClassVar[str] = "reference_overpayment"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        rows = self._rows(ctx, state).filter(pl.col("short_cents") < 0)
        expl = pl.format("Payment of {} cites {} whose open amount is {}: overpaid by {}.",
                         money(pl.col("pay_cents")), _numbers(), money(pl.col("open_total")),
                         money(pl.col("pay_cents") - pl.col("open_total")))
        return _finish(ctx, rows, score=self._score(), explanation=expl, evidence={})


@register_matcher
@dataclass(frozen=True)
class ReferenceDuplicate:
    """Cites a document that is already paid (earlier in this run, or lettered in the ERP) for
    the same amount: the same invoice paid twice."""

    kind: ClassVar[str] = "reference_duplicate"
    score: Score

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = _open_payments(ctx, state)
        docs = ctx.invoices.filter(pl.col("doc_type") == "invoice").join(
            state.remaining_frame("billing"), on="record_id", how="left")
        settled = ctx.settled_invoices.select(pl.col("invoice_id").alias("record_id"),
                                              pl.lit(True).alias("lettered"))
        docs = docs.join(settled, on="record_id", how="left").filter(
            pl.col("lettered").fill_null(False) | (pl.col("remaining_cents") == 0))
        rows = ctx.payment_refs.join(
            pay.select(pl.col("record_id").alias("payment_id"), "amount_cents", "payer_name",
                       "currency"),
            on="payment_id").join(
            docs.select(pl.col("record_id").alias("invoice_id"), "number",
                        pl.col("currency").alias("invoice_currency"),
                        pl.col("amount_cents").alias("invoice_cents")), on="invoice_id")
        rows = rows.filter((pl.col("amount_cents") == pl.col("invoice_cents"))
                           & (pl.col("currency") == pl.col("invoice_currency")))
        rows = rows.filter(pl.len().over("payment_id") == 1)
        paid_by = pl.col("invoice_id").replace_strict(state.consumed_by_map(), default="the ERP "
                                                      "lettering", return_dtype=pl.String)
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
        pay = _open_payments(ctx, state).filter(pl.col("party_id").is_not_null())
        docs = _open_documents(ctx, state).filter(pl.col("remaining_cents") != 0)
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
    """No reference; the payer is a known client with open documents of exactly this amount.
    Amount and party alone never auto-match: one document -> proposal, several -> all shown."""

    kind: ClassVar[str] = "party_amount"
    score_one: float       # one open document of exactly this amount
    score_several: float   # several: all shown

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = _open_payments(ctx, state).filter(pl.col("party_id").is_not_null())
        docs = _open_documents(ctx, state).filter(pl.col("remaining_cents") > 0)
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
            explanation=pl.format("No reference; {} of the payer's open documents has exactly "
                                  "this amount ({}): {}.", pl.col("n"), money(pl.col("pay_cents")),
                                  pl.col("number")),
        )


@register_matcher
@dataclass(frozen=True)
class UnresolvedPayer:
    """The payer's name is close to several clients and its IBAN is unknown: ask who it is."""

    kind: ClassVar[str] = "unresolved_payer"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        pay = _open_payments(ctx, state).filter(
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
        pay = _open_payments(ctx, state)
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
        rows = _ref_groups(ctx, state, same_currency=False).filter(pl.col("n_refs") == 1)
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
        rows = _with_party(ctx, rows)
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
        pay = _open_payments(ctx, state)
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
        rows = _with_party(ctx, rows).filter(pl.col("party_score") >= self.party_threshold)
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
