"""Rule mining from the ledger's lettered history: the tacit rules the accountant applies.

- `tolerated_differences`: the gaps inside lettered groups and the account each was written
  off to (627 bank fees, 665/709 discounts, 658/758 small write-offs), giving the tolerance of
  each write-off rule;
- `who_pays_for_whom`: payers booked to a client account whose name is not theirs, with the
  account that is theirs when the ledger knows it (parent pays for subsidiary, factor);
- `grouping_habits`: how many invoices one receipt settles, and whether the oldest first;
- `payment_delays`: days from invoice to receipt per client and the share paid on time.
`mine` runs them all (plus the reference habits of `mine_references`) into `MinedRules`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from reconkit.audit.history import GROUP_KEYS, LedgerHistory, single_bank_lines
from reconkit.audit.mine_references import _candidates, reference_habits
from reconkit.keys.names import name_similarity
from reconkit.keys.normalize import normalize_name

ACCOUNT_MEANING = {"627": "bank fees", "665": "discounts granted", "709": "rebates granted",
                   "658": "small write-offs (charge)", "758": "small write-offs (income)",
                   "666": "exchange losses", "766": "exchange gains"}
GAP_BUCKETS = ((0, "none"), (100, "up to 1.00"), (500, "up to 5.00"), (2500, "up to 25.00"),
               (10_000, "up to 100.00"))
OWN_NAME_SCORE = 0.8       # payer name this close to the account's name: the client itself
PREFIX_MIN_LEN = 12        # a name cut by the bank still names its account from this length
DEFAULT_TERMS_DAYS = 30
# words banks put around the payer's name in a bank-journal label
_BANK_WORDS = (r"^(?:(?:VIR|VIREMENT|SEPA|PRLV|PRELEVEMENT|RECU|DE|FROM|TRF|TRANSFER|REMISE"
               r"|SCT|INST)\s+)+")
_REMIT_WORDS = (r"\b(?:FACTURE|FACT|FACTURES|REGLEMENT|PAIEMENT|PAYMENT|INVOICE|INV|REF|CLIENT"
                r"|CMD|ECHEANCE|VIR|FOURNISSEUR|POUR|ET)\b.*$")
EXAMPLES = 3


def _meaning(account: pl.Expr) -> pl.Expr:
    return account.str.slice(0, 3).replace_strict(ACCOUNT_MEANING, default="other account")


def tolerated_differences(history: LedgerHistory) -> pl.DataFrame:
    """Per write-off account: how many lettered groups closed with a difference booked there,
    smallest/median/largest amount (cents, absolute), largest share of the invoiced amount
    (basis points), the tolerance it implies (rounded up to the euro and to 10 bp) and up to
    three example labels. Most used first."""
    wo = history.write_offs.join(history.groups.select(*GROUP_KEYS, "invoiced_cents"),
                                 on=GROUP_KEYS, how="left")
    per_group = (wo.group_by(*GROUP_KEYS, "write_off_account")
                 .agg(pl.col("amount_cents").sum().alias("gap_cents"),
                      pl.col("invoiced_cents").first(), pl.col("label").first())
                 .with_columns(pl.col("gap_cents").abs().alias("abs_cents"),
                               (pl.col("gap_cents").abs() * 10_000
                                // pl.col("invoiced_cents").abs().clip(lower_bound=1))
                               .alias("bp")))
    return (per_group.sort(*GROUP_KEYS)
            .group_by("write_off_account")
            .agg(pl.len().cast(pl.Int64).alias("groups"),
                 (pl.col("gap_cents") > 0).sum().cast(pl.Int64).alias("short_paid"),
                 pl.col("abs_cents").min().alias("min_cents"),
                 pl.col("abs_cents").median().round(0).cast(pl.Int64).alias("median_cents"),
                 pl.col("abs_cents").max().alias("max_cents"),
                 pl.col("bp").max().cast(pl.Int64).alias("max_bp"),
                 pl.col("label").unique(maintain_order=True).head(EXAMPLES).str.join(" | ")
                 .alias("examples"))
            .with_columns(_meaning(pl.col("write_off_account")).alias("meaning"),
                          ((pl.col("max_cents") + 99) // 100 * 100).alias("tolerance_cents"),
                          ((pl.col("max_bp") + 9) // 10 * 10).alias("tolerance_bp"))
            .sort(["groups", "write_off_account"], descending=[True, False])
            .select("write_off_account", "meaning", "groups", "short_paid", "min_cents",
                    "median_cents", "max_cents", "max_bp", "tolerance_cents", "tolerance_bp",
                    "examples"))


def gap_distribution(history: LedgerHistory) -> pl.DataFrame:
    """Lettered groups with a receipt, by size of the difference written off (buckets)."""
    gaps = (history.groups.filter(pl.col("receipts") > 0).select(GROUP_KEYS)
            .join(history.write_offs.group_by(GROUP_KEYS)
                  .agg(pl.col("amount_cents").sum().abs().alias("gap")), on=GROUP_KEYS,
                  how="left")
            .with_columns(pl.col("gap").fill_null(0)))
    bucket = pl.lit("over 100.00")
    for limit, name in reversed(GAP_BUCKETS):
        bucket = pl.when(pl.col("gap") <= limit).then(pl.lit(name)).otherwise(bucket)
    order = {name: i for i, (_, name) in enumerate(GAP_BUCKETS)} | {"over 100.00": 99}
    return (gaps.group_by(bucket.alias("gap")).agg(pl.len().cast(pl.Int64).alias("groups"))
            .with_columns(pl.col("gap").replace_strict(order, return_dtype=pl.Int64)
                          .alias("order"))
            .sort("order").drop("order"))


def _payer_names(history: LedgerHistory, payments: pl.DataFrame | None) -> pl.DataFrame:
    """Receipts with the payer's name and IBAN: the bank line's when the statement holds it,
    else the label without the bank's words and the remittance part."""
    rec = history.receipts().select("record_id", "piece_ref", "account", "aux_account",
                                    "aux_name", "label", "amount_cents", "lettering_code")
    bank_lines = single_bank_lines(payments)
    if bank_lines is not None:
        bank = bank_lines.select("piece_ref", "payer_name", "payer_iban")
        rec = rec.join(bank, on="piece_ref", how="left")
    else:
        rec = rec.with_columns(pl.lit(None, pl.String).alias("payer_name"),
                               pl.lit(None, pl.String).alias("payer_iban"))
    from_label = (pl.col("label").str.to_uppercase().str.replace(_BANK_WORDS, "")
                  .str.replace(_REMIT_WORDS, "").str.replace_all(r"\S*[0-9]\S*", "")
                  .str.strip_chars())
    payer = pl.coalesce(pl.col("payer_name"), pl.when(from_label != "").then(from_label))
    return rec.with_columns(payer.alias("payer"), normalize_name(payer).alias("payer_key"),
                            normalize_name(pl.col("aux_name")).alias("account_key")) \
        .filter(pl.col("payer_key").is_not_null())


def who_pays_for_whom(history: LedgerHistory,
                      payments: pl.DataFrame | None = None) -> pl.DataFrame:
    """Payers booked to a client account whose name is not theirs: per (payer, paid-for
    account), receipts, money, how many lettered, example record ids, and the payer's own
    account when the ledger knows it: the account its IBAN pays for itself, else the account
    bearing its very name (equal once normalised, or one a prefix of the other: bank fields
    cut names). A merely similar name (ROY & FILS for ROYER & FILS) is another firm."""
    rec = _payer_names(history, payments)
    if not rec.height:
        return _empty_pays_for()
    rec = rec.with_columns(name_similarity(rec["payer_key"], rec["account_key"].fill_null(""))
                           .alias("own_score"))
    other = rec.filter(pl.col("own_score") < OWN_NAME_SCORE)
    accounts = (history.customer.filter(pl.col("aux_name").is_not_null())
                .select("aux_account", normalize_name(pl.col("aux_name")).alias("key"),
                        "aux_name").unique("aux_account").sort("aux_account")
                .filter(pl.col("key").is_not_null()))
    if not other.height or not accounts.height:
        return _empty_pays_for()
    best, _ = _best_accounts(other["payer_key"].to_list(), accounts["key"].to_list())
    names = dict(accounts.select("aux_account", "aux_name").iter_rows())
    shorter = pl.min_horizontal(pl.col("payer_key").str.len_chars(),
                                pl.col("best_key").str.len_chars())
    same_name = ((pl.col("best_key") == pl.col("payer_key"))
                 | ((shorter >= PREFIX_MIN_LEN)
                    & (pl.col("best_key").str.starts_with(pl.col("payer_key"))
                       | pl.col("payer_key").str.starts_with(pl.col("best_key")))))
    by_iban = (rec.filter((pl.col("own_score") >= OWN_NAME_SCORE)
                          & pl.col("payer_iban").is_not_null())
               .select("payer_iban", pl.col("aux_account").alias("iban_account")).unique()
               .filter(pl.len().over("payer_iban") == 1))
    other = (other.with_columns(pl.Series("best_account", accounts["aux_account"].gather(best)),
                                pl.Series("best_key", accounts["key"].gather(best)))
             .join(by_iban, on="payer_iban", how="left")
             .with_columns(pl.coalesce(pl.col("iban_account"),
                                       pl.when(same_name).then(pl.col("best_account")))
                           .alias("payer_account")))
    other = other.with_columns(
        pl.when(pl.col("payer_account") != pl.col("aux_account")).then(pl.col("payer_account"))
        .alias("payer_account")).with_columns(
        pl.col("payer_account").replace_strict(names, default=None, return_dtype=pl.String)
        .alias("payer_account_name"))
    return (other.sort("record_id")
            .group_by("payer_key", "aux_account")
            .agg(pl.col("payer").first(), pl.col("payer_iban").drop_nulls().first(),
                 pl.col("payer_account").drop_nulls().first(),
                 pl.col("payer_account_name").drop_nulls().first(),
                 pl.col("aux_name").first().alias("paid_for_name"),
                 pl.len().cast(pl.Int64).alias("receipts"),
                 (-pl.col("amount_cents")).sum().alias("amount_cents"),
                 pl.col("lettering_code").is_not_null().sum().cast(pl.Int64).alias("lettered"),
                 pl.col("record_id").head(EXAMPLES).str.join(" | ").alias("examples"))
            .rename({"aux_account": "paid_for_account"})
            .sort(["payer_account", "paid_for_account", "payer"], nulls_last=True)
            .select("payer", "payer_iban", "payer_account", "payer_account_name",
                    "paid_for_account", "paid_for_name", "receipts", "amount_cents",
                    "lettered", "examples"))


def _best_accounts(payers: list[str], names: list[str],
                   chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """For each payer name, the index of the closest account name and its score (0..1).
    Scored in chunks of payers with one-byte scores, so memory stays bounded (`chunk` x
    accounts bytes) on ledgers with tens of thousands of accounts."""
    idx, score = np.zeros(len(payers), dtype=np.int64), np.zeros(len(payers))
    for start in range(0, len(payers), chunk):
        block = process.cdist(payers[start:start + chunk], names,
                              scorer=fuzz.token_sort_ratio, dtype=np.uint8)
        best = block.argmax(axis=1)
        idx[start:start + chunk] = best
        score[start:start + chunk] = block[np.arange(len(best)), best] / 100.0
    return idx, score


def _empty_pays_for() -> pl.DataFrame:
    s, i = pl.String, pl.Int64
    return pl.DataFrame(schema={"payer": s, "payer_iban": s, "payer_account": s,
                                "payer_account_name": s, "paid_for_account": s,
                                "paid_for_name": s, "receipts": i, "amount_cents": i,
                                "lettered": i, "examples": s})


@dataclass(frozen=True)
class Grouping:
    """How lettered receipts settle invoices."""

    receipts: int
    several_invoices: int  # receipts settling two invoices or more
    max_invoices: int
    sizes: dict[int, int]  # number of invoices settled -> receipts
    oldest_first: int      # receipts that left no older invoice of the client open

    @property
    def several_share(self) -> float:
        return round(self.several_invoices / self.receipts, 4) if self.receipts else 0.0

    @property
    def oldest_first_share(self) -> float:
        return round(self.oldest_first / self.receipts, 4) if self.receipts else 0.0


def grouping_habits(history: LedgerHistory) -> Grouping:
    """How many invoices one lettered receipt settles and whether the client's oldest open
    invoices go first."""
    pairs = _candidates(history, None)
    per_receipt = (pairs.group_by("receipt_id")
                   .agg(pl.col("lettered").sum().cast(pl.Int64).alias("invoices"),
                        pl.col("doc_date").filter(pl.col("lettered")).max().alias("newest"),
                        pl.col("doc_date").filter(~pl.col("lettered")).min().alias("older"))
                   .filter(pl.col("invoices") > 0)
                   .with_columns((pl.col("older") < pl.col("newest")).fill_null(False)
                                 .alias("skipped_older")))
    sizes = per_receipt.group_by("invoices").agg(pl.len().cast(pl.Int64).alias("receipts")) \
        .sort("invoices")
    total = per_receipt.height
    skipped = int(per_receipt["skipped_older"].sum()) if total else 0
    return Grouping(receipts=total,
                    several_invoices=per_receipt.filter(pl.col("invoices") > 1).height,
                    max_invoices=int(per_receipt["invoices"].max() or 0) if total else 0,  # type: ignore[arg-type]
                    sizes={int(k): int(v) for k, v in sizes.iter_rows()},
                    oldest_first=total - skipped)


def paid_invoices(history: LedgerHistory, invoices: pl.DataFrame | None = None, *,
                  terms_days: int = DEFAULT_TERMS_DAYS) -> pl.DataFrame:
    """Invoices lettered with a receipt: days from invoice to receipt and whether received
    by the due date (the billing due date when known, else invoice date + `terms_days`)."""
    cust = history.customer.filter(pl.col("lettering_code").is_not_null())
    paid = (cust.filter(pl.col("role") == "invoice")
            .join(history.groups.filter(pl.col("receipts") > 0)
                  .select(*GROUP_KEYS, "receipt_date"), on=GROUP_KEYS))
    due = pl.col("doc_date") + pl.duration(days=terms_days)
    if invoices is not None and invoices.height:
        paid = paid.join(invoices.filter(pl.col("number").is_not_null())
                         .select(pl.col("number").alias("piece_ref"),
                                 pl.col("due_date").cast(pl.Date))
                         .unique("piece_ref", keep="first"), on="piece_ref", how="left")
        due = pl.coalesce("due_date", due)
    return paid.with_columns((pl.col("receipt_date") - pl.col("doc_date")).dt.total_days()
                             .alias("days"), (pl.col("receipt_date") <= due).alias("on_time"))


def payment_delays(paid: pl.DataFrame) -> pl.DataFrame:
    """Per client account: invoices paid, median and longest days from invoice to receipt,
    share received by the due date. Slowest payers first."""
    return (paid.group_by("aux_account")
            .agg(pl.col("aux_name").drop_nulls().first(),
                 pl.len().cast(pl.Int64).alias("invoices_paid"),
                 pl.col("days").median().round(0).cast(pl.Int64).alias("median_days"),
                 pl.col("days").max().cast(pl.Int64).alias("max_days"),
                 pl.col("on_time").mean().round(4).alias("on_time_share"))
            .sort(["median_days", "aux_account"], descending=[True, False]))


@dataclass(frozen=True)
class DelaySummary:
    """All paid invoices together: count, median days, how many on time."""

    invoices_paid: int
    median_days: int
    on_time: int

    @property
    def on_time_share(self) -> float:
        return round(self.on_time / self.invoices_paid, 4) if self.invoices_paid else 0.0


def delay_summary(paid: pl.DataFrame) -> DelaySummary:
    """Count, median days (rounded) and invoices paid by their due date."""
    if not paid.height:
        return DelaySummary(0, 0, 0)
    median = paid.select(pl.col("days").median().round(0).cast(pl.Int64)).item()
    return DelaySummary(invoices_paid=paid.height, median_days=int(median),
                        on_time=int(paid["on_time"].sum()))


@dataclass(frozen=True)
class MinedRules:
    """Everything the miners found in one ledger (and its month's bank lines)."""

    references: pl.DataFrame
    tolerances: pl.DataFrame
    gaps: pl.DataFrame
    pays_for: pl.DataFrame
    grouping: Grouping
    delays: pl.DataFrame
    delay_summary: DelaySummary
    lettered_groups: int
    lettered_receipts: int
    all_accounts: bool  # lines of other accounts than the customers' were read (write-offs)


def mine(history: LedgerHistory, *, invoices: pl.DataFrame | None = None,
         payments: pl.DataFrame | None = None,
         terms_days: int = DEFAULT_TERMS_DAYS) -> MinedRules:
    """Run every miner on a ledger history."""
    grouping = grouping_habits(history)
    paid = paid_invoices(history, invoices, terms_days=terms_days)
    return MinedRules(
        references=reference_habits(history, invoices=invoices, payments=payments),
        tolerances=tolerated_differences(history), gaps=gap_distribution(history),
        pays_for=who_pays_for_whom(history, payments), grouping=grouping,
        delays=payment_delays(paid), delay_summary=delay_summary(paid),
        lettered_groups=history.groups.height,
        lettered_receipts=grouping.receipts,
        all_accounts=history.lines.height > history.customer.height)
