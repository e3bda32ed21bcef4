"""Matchers against the ERP ledger: documents booked (catalog `documents.yaml`, link
`invoice_ledger`), payments booked, existing and proposed lettering, leftover lines (catalog
`ledger.yaml`, links `payment_ledger` and `ledger_lettering`).

Every score, weight, window and threshold is a parameter the catalog rule sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from reconkit.keys.references import extract_tokens, match_references
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

# ---- invoice <-> ledger -----------------------------------------------------------------

@register_matcher
@dataclass(frozen=True, kw_only=True)
class DocumentBooked:
    """The document is booked in the ERP under its number, on the client's account, for the
    same amount (`same_amount=True`) or for a different one (`same_amount=False`: the
    exception is raised on the ERP line). `score` when party and currency agree,
    `unsure_score` when the party differs or the currency cannot be compared."""

    kind: ClassVar[str] = "document_booked"
    same_amount: bool = True
    score: float
    unsure_score: float

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
                score=pl.when(same_party & same_currency).then(pl.lit(self.score))
                .otherwise(pl.lit(self.unsure_score)),
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
            score=pl.lit(self.score), evidence=evidence,
            explanation=pl.format("{} is booked in the ERP ({}) for {} but the billing tool says "
                                  "{}.", pl.col("number"), pl.col("ledger_id"),
                                  money(pl.col("ledger_cents")), money(pl.col("invoice_cents"))))


@register_matcher
@dataclass(frozen=True, kw_only=True)
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


# ---- payment <-> ledger -----------------------------------------------------------------

@register_matcher
@dataclass(frozen=True, kw_only=True)
class PaymentBooked:
    """The bank payment is booked on a customer account in the ERP bank journal: the 411 line
    carries the bank reference (`by_reference=True`), or has the same amount within `days`
    on the payer's account (`by_reference=False`, a proposal). A line several payments could
    be loses `shared_line_penalty`."""

    kind: ClassVar[str] = "payment_booked"
    by_reference: bool = True
    days: int
    score: float
    shared_line_penalty: float

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
                           pl.col("record_id").alias("ref"), "amount_cents", "payer_name",
                           "party_id"),
                pay.select(pl.col("record_id").alias("payment_id"),
                           pl.col("entry_ref").alias("ref"), "amount_cents", "payer_name",
                           "party_id"),
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
            # a batch (SEPA direct debits, one bank entry booked as one ERP entry) shares one
            # reference: equal amounts inside it are told apart by the customer account
            same = pairs.filter(pl.col("party_id").is_not_null()
                                & (pl.col("party_id") == pl.col("ledger_party"))).with_columns(
                pl.len().over("payment_id").alias("n"), pl.len().over("ledger_id").alias("m"))
            pairs = pl.concat([pairs.filter((pl.col("n") == 1) & (pl.col("m") == 1)),
                               same.filter((pl.col("n") == 1) & (pl.col("m") == 1))]).unique(
                subset=["payment_id", "ledger_id"]).sort("payment_id", "ledger_id")
            pairs = pairs.filter((pl.len().over("payment_id") == 1)
                                 & (pl.len().over("ledger_id") == 1))
        return candidates(
            pairs, anchor_system="bank", anchor_id="payment_id",
            items=pl.concat_list([item("bank", pl.col("payment_id"), "payment",
                                        pl.col("amount_cents")),
                                  item("erp", pl.col("ledger_id"), "ledger_line",
                                        pl.col("ledger_cents"))]),
            score=pl.lit(self.score) - (pl.col("m") > 1) * self.shared_line_penalty,
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
@dataclass(frozen=True, kw_only=True)
class ExistingLettering:
    """Lines the ERP already lettered together (account + auxiliary account + code): settled,
    recorded as confirmed matches so they are never re-matched."""

    kind: ClassVar[str] = "existing_lettering"
    preset_status: ClassVar[str] = "confirmed"
    score: float

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
            score=pl.lit(self.score),
            evidence=evidence_json(lettering_code=pl.col("lettering_code"),
                                   net_cents=pl.col("net"), partial=pl.col("partial")),
            explanation=pl.format("{} ERP lines of account {} lettered '{}' on {} (net {}).",
                                  pl.col("n"), pl.coalesce("aux_account", "account"),
                                  pl.col("lettering_code"), pl.col("on").cast(pl.String),
                                  money(pl.col("net"))),
        )


@register_matcher
@dataclass(frozen=True, kw_only=True)
class EarlierReceipt:
    """A customer receipt booked in a bank journal (`journals`: code prefixes) in an earlier
    month, never lettered, whose label or piece reference cites an open 411 debit line (an
    invoice's number): a lettering proposal for the two lines. Score: `reference_weight` x
    the reference evidence + `amount_weight` when the receipt settles the line exactly +
    `account_weight` when both lines sit on the same customer account. Besides the reference
    reader, a number of at least `min_written_chars` letters and digits written whole in the
    label of a receipt on the same account (separators anywhere, not glued to other letters
    or digits) is evidence of `written_score` (per-customer numbers such as `0759376C-0001`)."""

    kind: ClassVar[str] = "earlier_receipt"
    journals: tuple[str, ...] = ("BQ",)
    reference_weight: float
    amount_weight: float
    account_weight: float
    min_written_chars: int
    written_score: float

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        led = ctx.ledger.filter(~pl.col("lettered"))
        bank = pl.any_horizontal([pl.col("journal_code").str.starts_with(j)
                                  for j in self.journals]) if self.journals else pl.lit(False)
        receipts = led.filter(bank & (pl.col("amount_cents") < 0)
                              & pl.col("lettering_code").is_null()
                              & (pl.col("entry_date") < ctx.period_start))
        for link in ("payment_ledger", "ledger_lettering"):
            receipts = state.undecided(receipts, link, "erp")
        targets = led.filter((pl.col("amount_cents") > 0) & pl.col("piece_ref").is_not_null()
                             & pl.col("lettering_code").is_null())
        if receipts.height == 0 or targets.height == 0:
            return empty_candidates()
        tokens = extract_tokens(receipts.select("record_id", "label", "piece_ref"),
                                id_col="record_id", text_cols=["label", "piece_ref"])
        pairs = match_references(tokens, targets.select(pl.col("record_id").alias("line_id"),
                                                        "piece_ref"),
                                 id_col="record_id", doc_id_col="line_id",
                                 doc_ref_col="piece_ref").select(
            "record_id", "line_id", "ref_evidence", "ref_score")
        written = self._written(receipts, targets).join(
            pairs.select("record_id", "line_id"), on=["record_id", "line_id"], how="anti")
        pairs = pl.concat([pairs, written])
        pairs = pairs.join(receipts.select("record_id", "aux_account", "amount_cents",
                                           "entry_date", "piece_ref"), on="record_id").join(
            targets.select(pl.col("record_id").alias("line_id"),
                           pl.col("aux_account").alias("target_aux"),
                           pl.col("amount_cents").alias("target_cents"),
                           pl.col("piece_ref").alias("number")), on="line_id")
        exact = pl.col("target_cents") == -pl.col("amount_cents")
        same_account = pl.col("aux_account").eq_missing(pl.col("target_aux"))
        return self._candidates(pairs, exact, same_account)

    def _written(self, receipts: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
        """(record_id, line_id, ref_evidence, ref_score): numbers of the same account's open
        lines written whole in a receipt's label or piece reference."""
        text = pl.concat_str(["label", "piece_ref"], separator=" ", ignore_nulls=True) \
            .str.to_uppercase()
        compact = pl.col("number").str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
        pairs = receipts.select("record_id", "aux_account", text.alias("text")).join(
            targets.select(pl.col("record_id").alias("line_id"), "aux_account",
                           pl.col("piece_ref").alias("number")), on="aux_account").with_columns(
            compact.alias("compact")).filter(
            pl.col("compact").str.len_chars() >= self.min_written_chars)
        pattern = pl.concat_str([pl.lit("(?:^|[^0-9A-Z])"),
                                 pl.col("compact").str.split("").list.join("[^0-9A-Z]*"),
                                 pl.lit("(?:[^0-9]|$)")])
        return pairs.filter(pl.col("text").str.contains(pattern)).select(
            "record_id", "line_id", pl.lit("written").alias("ref_evidence"),
            pl.lit(self.written_score).alias("ref_score"))

    def _candidates(self, pairs: pl.DataFrame, exact: pl.Expr,
                    same_account: pl.Expr) -> pl.DataFrame:
        score = (self.reference_weight * pl.col("ref_score")
                 + pl.when(exact).then(pl.lit(self.amount_weight)).otherwise(0.0)
                 + pl.when(same_account).then(pl.lit(self.account_weight)).otherwise(0.0))
        return candidates(
            pairs.sort("record_id", "line_id"), anchor_system="erp", anchor_id="record_id",
            items=pl.concat_list([item("erp", pl.col("record_id"), "receipt",
                                       pl.col("amount_cents")),
                                  item("erp", pl.col("line_id"), "ledger_line",
                                       pl.col("target_cents"))]),
            score=score,
            evidence=evidence_json(reference=pl.col("ref_evidence"), same_amount=exact,
                                   same_account=same_account,
                                   receipt_date=pl.col("entry_date").cast(pl.String)),
            explanation=pl.format("Receipt {} of {} booked on {} and never lettered cites {} "
                                  "({}): letter them together.", pl.col("record_id"),
                                  money(-pl.col("amount_cents")),
                                  pl.col("entry_date").cast(pl.String), pl.col("number"),
                                  money(pl.col("target_cents"))),
        )


@register_matcher
@dataclass(frozen=True, kw_only=True)
class LedgerLineUnexplained:
    """An open customer-account line tied to no document and no payment."""

    kind: ClassVar[str] = "ledger_line_unexplained"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        led = ctx.ledger
        for link in ("invoice_ledger", "settlement_invoice", "payment_ledger", "payment_invoice",
                     "ledger_lettering"):
            led = state.undecided(led, link, "erp")
        return exception_only(led, "erp", "record_id", pl.format(
            "Open ERP line {} on account {} ({}, '{}') is tied to no invoice or payment.",
            pl.col("record_id"), pl.coalesce("aux_account", "account"),
            money(pl.col("amount_cents")), pl.col("label").fill_null("")),
            evidence_json(piece_ref=pl.col("piece_ref")))
