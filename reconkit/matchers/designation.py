"""Documents a payment designates without spelling their number: the customer's PO number,
a contract number, or the bare sequence after a code word, read among the open invoices of
the payer's group (itself, its CRM parent and subsidiaries). Used by `MatchContext.payment_refs`;
the amount or the uniqueness of the sequence decides what a vague citation designates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from reconkit.keys.citations import (
    cite_documents,
    document_sequence,
    sequence_citations,
)

if TYPE_CHECKING:
    from reconkit.matchers.context import MatchContext


def designated_refs(ctx: MatchContext) -> pl.DataFrame:
    """(payment_id, invoice_id, ref_evidence): documents a payment designates without
    their number: the customer's PO number (any invoice of the payer's group carrying it),
    a contract of the group cited by its number (`CONTRAT 00000417`, `CTR N 417`: its
    invoices, or the client's invoices not tied to another contract), the sequence alone
    after a code word (`INV 0042`) among the group's invoices. The group is the payer with
    its CRM parent and subsidiaries: a parent paying for a subsidiary cites the
    subsidiary's documents. Kept when the payment's amount singles out one such document,
    or pays all of them, or only one of the group's documents has it (is open under it); among
    several of exactly the amount a contract or PO designates, the oldest when the reading
    says instalments are settled oldest first (`designate_oldest_of_equal`)."""
    reading = ctx.reading
    docs = _documents(ctx)
    windows = ctx.payment_windows
    found: list[pl.DataFrame] = []
    cols = ["payment_id", "invoice_id", "party_id", "open_cents", "issue_date",
            "ref_evidence"]
    scope = _payer_groups(ctx)
    carriers = docs.filter(pl.col("po_number").is_not_null())
    if carriers.height:
        pos = carriers.select(pl.col("po_number").alias("__ref")).unique()
        hits = cite_documents(windows, pos.with_columns(pl.col("__ref").alias("__id")),
                              id_col="record_id", doc_id_col="__id", number_col="__ref",
                              min_key_len=reading.min_key_len)
        found.append(hits.join(carriers, left_on="__id", right_on="po_number").select(
            pl.col("record_id").alias("payment_id"), *cols[1:5],
            pl.lit("po_number").alias("ref_evidence")))
    contracts = _cited_contracts(ctx, scope)
    if contracts.height:
        tied = contracts.join(docs, on="party_id").filter(
            pl.col("commitment_ref").is_null()
            | (pl.col("commitment_ref") == pl.col("contract_id"))
            | (pl.col("commitment_ref") == pl.col("contract_number")))
        found.append(tied.select(*cols[:5], pl.lit("contract_number").alias("ref_evidence"),
                                 pl.col("commitment_ref").is_not_null().alias("__tied")))
    seqs = sequence_citations(windows, id_col="record_id", code_words=reading.code_words)
    if seqs.height:
        by_seq = docs.with_columns(document_sequence(pl.col("number")).alias("seq"))
        payer = scope.rename({"payment_id": "record_id"})  # the payer's group's documents
        found.append(seqs.join(payer, on="record_id").join(
            by_seq, on=["seq", "party_id"]).select(
            pl.col("record_id").alias("payment_id"), *cols[1:5],
            pl.lit("sequence").alias("ref_evidence")))
    return _kept(ctx, found, scope)


def period_refs(ctx: MatchContext, cited: pl.DataFrame) -> pl.DataFrame:
    """(payment_id, invoice_id, ref_evidence): for payments no other reading cites anything
    (`cited`), the invoices of the payer's group whose billing period (its start, else the
    issue date) falls in the month the remittance names with its year (`ABONNEMENT SEPTEMBRE
    2026`), when the payment's amount singles out one of them."""
    resolved = ctx.payments.filter(pl.col("party_id").is_not_null()).select(
        pl.col("record_id").alias("payment_id"))
    periods = ctx.payment_periods.join(resolved, on="payment_id").join(
        cited.select("payment_id").unique(), on="payment_id", how="anti")
    docs = _documents(ctx).with_columns(
        pl.coalesce("period_start", "issue_date").dt.truncate("1mo").alias("period"))
    scope = _payer_groups(ctx)
    found = periods.join(scope, on="payment_id").join(docs, on=["party_id", "period"]).select(
        "payment_id", "invoice_id", "party_id", "open_cents", "issue_date",
        pl.lit("period").alias("ref_evidence"))
    kept = _kept(ctx, [found], scope)
    # one document of that amount only: several invoices of the month paid together are a
    # grouped payment, whose combination the subset-sum rule proposes with its own exception;
    # a month is too vague to name a document whose amount disagrees ("FACTURES OCTOBRE")
    return kept.filter(pl.len().over("payment_id") == 1)


def _documents(ctx: MatchContext) -> pl.DataFrame:
    """Open invoices a vague citation may designate: invoices the billing tool already knows
    paid are not (their receipt may just be unlettered in the ERP)."""
    return ctx.open_items.filter(pl.col("doc_type") == "invoice").join(
        ctx.invoices.select("record_id", "po_number", "commitment_ref", "status",
                            "period_start"),
        on="record_id", how="left").filter(
        pl.col("status").is_null() | (pl.col("status") != "paid")).select(
        pl.col("record_id").alias("invoice_id"), "party_id", "open_cents", "number",
        "po_number", "commitment_ref", "issue_date", "period_start")


def _kept(ctx: MatchContext, found: list[pl.DataFrame], scope: pl.DataFrame) -> pl.DataFrame:
    """The designations a payment's amount (or the uniqueness of the citation) confirms."""
    reading = ctx.reading
    schema = {"payment_id": pl.String, "invoice_id": pl.String, "ref_evidence": pl.String}
    pay = ctx.payments.filter(pl.col("amount_cents") > 0)
    if not found:
        return pl.DataFrame(schema=schema)
    # an invoice issued after the payment is not what it pays (a few days' slack for
    # invoices dated late)
    cands = pl.concat(found, how="diagonal").join(scope, on=["payment_id", "party_id"]).join(
        pay.select(pl.col("record_id").alias("payment_id"), "booking_date",
                   pl.col("amount_cents").alias("__pay")), on="payment_id")
    if "__tied" not in cands.columns:
        cands = cands.with_columns(pl.lit(None, pl.Boolean).alias("__tied"))
    cands = cands.filter(pl.col("issue_date") <= pl.col("booking_date")
                         + pl.duration(days=reading.issued_after_payment_days))
    per = ["payment_id", "ref_evidence"]
    fits = pl.col("open_cents") == pl.col("__pay")
    one = cands.filter(fits & (fits.sum().over(per) == 1))
    if reading.designate_oldest_of_equal:
        # a contract's or a PO's instalments of one amount are settled oldest first
        equal = cands.filter(fits & (fits.sum().over(per) > 1)
                             & pl.col("ref_evidence").is_in(["contract_number", "po_number"]))
        first = pl.col("issue_date") == pl.col("issue_date").min().over(per)
        one = pl.concat([one, equal.filter(first & (first.sum().over(per) == 1))
                         .with_columns(pl.lit("oldest_instalment").alias("ref_evidence"))])
    whole = cands.filter(pl.col("open_cents").sum().over(per) == pl.col("__pay"))
    # a sequence (a contract, a PO) names one document when only one of the group's has it
    # (is open under it): then the amount need not agree (a partial or an overpayment of it
    # is still a payment of it)
    named = cands.filter(pl.col("ref_evidence").is_in(["sequence", "contract_number",
                                                       "po_number"])
                         & (pl.len().over(per) == 1))
    # a contract names the one invoice that cites it, among the client's other open ones,
    # when no designated invoice has the payment's amount (a fee, a partial, an overpayment)
    tied = cands.filter((pl.col("ref_evidence") == "contract_number")
                        & pl.col("__tied").fill_null(False) & (fits.sum().over(per) == 0))
    named = pl.concat([named, tied.filter(pl.len().over(per) == 1)])
    return pl.concat([one, whole, named]).select(list(schema)).unique()


def _payer_groups(ctx: MatchContext) -> pl.DataFrame:
    """(payment_id, party_id): each received payment with the parties whose documents it may
    designate: a resolved payer's party and its CRM group (parent, subsidiaries); a payer
    whose name is close to several clients, each of them (the citation may tell which)."""
    pay = ctx.payments.filter(pl.col("amount_cents") > 0)
    resolved = pay.filter(pl.col("party_id").is_not_null()).select(
        pl.col("record_id").alias("payment_id"), "party_id").join(
        ctx.parties.groups(), on="party_id").select(
        "payment_id", pl.col("group_party_id").alias("party_id"))
    look_alike = pay.filter(pl.col("party_id").is_null()).select(
        pl.col("record_id").alias("payment_id"),
        pl.col("candidate_party_ids").alias("party_id")).explode("party_id").drop_nulls()
    return pl.concat([resolved, look_alike]).unique().sort("payment_id", "party_id")


def _cited_contracts(ctx: MatchContext, scope: pl.DataFrame) -> pl.DataFrame:
    """(payment_id, party_id, contract_id, contract_number): the contracts of the payer's
    group (`scope`) a payment cites, by their full number or by the number after a
    contract code word."""
    contracts = ctx.table("commitments").filter(
        (pl.col("kind") == "contract") & pl.col("contract_number").is_not_null()).join(
        ctx.parties.party_of("crm").rename({"record_id": "party_record_id"}),
        on="party_record_id").select(pl.col("record_id").alias("contract_id"),
                                     "contract_number", "party_id")
    if contracts.height == 0:
        return contracts.with_columns(pl.lit(None, pl.String).alias("payment_id"))
    full = cite_documents(ctx.payment_windows, contracts, id_col="record_id",
                          doc_id_col="contract_id", number_col="contract_number",
                          min_key_len=ctx.reading.min_key_len).select(
        pl.col("record_id").alias("payment_id"), "contract_id")
    words = sequence_citations(ctx.payment_windows, id_col="record_id",
                               code_words=ctx.reading.contract_words).join(
        contracts.with_columns(document_sequence(pl.col("contract_number")).alias("seq")),
        on="seq").select(pl.col("record_id").alias("payment_id"), "contract_id")
    return pl.concat([full, words]).unique().join(contracts, on="contract_id").join(
        scope, on=["payment_id", "party_id"]).sort("payment_id", "contract_id")
