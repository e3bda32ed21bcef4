"""What every payment -> invoice rule shares: open payments and documents, the documents a
payment cites (grouped), party agreement, allocation and the candidate frame of a payment.
Amounts are integer cents; evidence comes from `MatchContext.payment_refs`."""

from __future__ import annotations

import polars as pl

from reconkit.keys.names import name_similarity
from reconkit.matchers.base import ITEM, candidates, empty_candidates, evidence_json, item
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.matchers.subset_sum import find_combinations

LINK = "payment_invoice"


def open_payments(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    """Received payments not yet decided, with what they still have to allocate."""
    pay = state.undecided(ctx.payments.filter(pl.col("amount_cents") > 0), LINK, "bank")
    return pay.join(state.remaining_frame("bank"), on="record_id", how="left").with_columns(
        pl.col("remaining_cents").fill_null(pl.col("amount_cents")))


def open_documents(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    """Open items with what remains to be paid on each (gross-of-credit-notes netting kept)."""
    return ctx.open_items.join(state.remaining_frame("billing"), on="record_id", how="left") \
        .with_columns(pl.col("remaining_cents").fill_null(pl.col("open_cents")))


def paid_invoices(ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
    """Invoices already paid: settled before the run (lettered in the ERP, or paid by an
    earlier receipt never lettered) or used up by a payment of this run. The invoice's columns
    plus `settled_how` (a phrase; null when paid in this run)."""
    settled = ctx.settled_invoices.select(
        pl.col("invoice_id").alias("record_id"),
        pl.when(pl.col("settled_by") == "lettering").then(pl.lit("the ERP lettering"))
        .otherwise(pl.format("a receipt of {}, not lettered", pl.col("lettering_date")))
        .alias("settled_how"))
    return ctx.invoices.filter(pl.col("doc_type") == "invoice").join(
        state.remaining_frame("billing"), on="record_id", how="left").join(
        settled, on="record_id", how="left").filter(
        pl.col("settled_how").is_not_null() | (pl.col("remaining_cents") == 0))


def fee_limit(max_fee_cents: int, max_fee_bp: int) -> pl.Expr:
    """The largest gap a bank fee explains: at most `max_fee_cents` and `max_fee_bp` of the
    open amount (`sum_remaining`)."""
    return pl.min_horizontal(pl.lit(max_fee_cents),
                             pl.col("sum_remaining") * max_fee_bp // 10_000)


def party_score(ctx: MatchContext, frame: pl.DataFrame, *, payer_party: str,
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
    # an accepted "who pays for whom" pair (a parent for its subsidiary): a known payer
    accepted = ctx.parties.pays_for.select(pl.col("payer_party_id").alias(payer_party),
                                           pl.col("party_id").alias(invoice_party),
                                           pl.lit(True).alias("__pays_for"))
    out = out.join(accepted, on=[payer_party, invoice_party], how="left",
                   maintain_order="left")
    known = pl.col("__pays_for").fill_null(False)
    rules = ctx.party_rules
    return out.with_columns(
        pl.when(same & pl.col("payer_evidence").is_in(["iban", "alias"]))
        .then(rules.known_account_score)
        .when(same).then(pl.max_horizontal(pl.col("__name"),
                                           pl.lit(rules.resolved_payer_min_score)))
        .when(known).then(rules.known_account_score)
        .otherwise(pl.col("__name").fill_null(0.0)).alias("party_score"),
        pl.when(same).then(pl.col("payer_evidence"))
        .when(known).then(pl.lit("accepted payer for this client"))
        .otherwise(pl.lit("name")).alias("party_evidence"),
    ).drop("__payer", "__party", "__name", "__pays_for")


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


def ref_groups(ctx: MatchContext, state: AllocationState, *,
                same_currency: bool = True) -> pl.DataFrame:
    """Per open payment: the open documents its references cite, with amounts and parties.

    One row per (payment, cited document), plus group figures: `n_refs`, `sum_remaining`.
    Amounts are only compared in one currency: documents in the payment's currency, or (with
    `same_currency=False`) only those in another currency, for the exchange-rate rule.
    """
    pay = open_payments(ctx, state)
    docs = open_documents(ctx, state).filter(pl.col("remaining_cents") != 0)
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


def select_subset(rows: pl.DataFrame, k_max: int) -> pl.DataFrame:
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
                                 k_max=min(k_max, len(amounts)), max_solutions=2,
                                 max_items=len(amounts), tolerance=0)
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


def finish(ctx: MatchContext, rows: pl.DataFrame, *, score: pl.Expr, explanation: pl.Expr,
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


def with_party(ctx: MatchContext, rows: pl.DataFrame) -> pl.DataFrame:
    return party_score(ctx, rows, payer_party="payer_party", invoice_party="invoice_party",
                        payer_norm="payer_norm")


def agreeing(rows: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Payments whose every cited document belongs to one party the payer agrees with."""
    return rows.filter(
        (pl.col("invoice_party").n_unique().over("payment_id") == 1)
        & (pl.col("party_score").min().over("payment_id") >= threshold))


def numbers(col: str = "numbers") -> pl.Expr:
    return pl.col(col).list.join(", ")
