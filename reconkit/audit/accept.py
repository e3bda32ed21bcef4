"""Accepting the mined "who pays for whom" pairs into the decisions store.

The ledger shows parents paying for their subsidiaries (`mining.who_pays_for_whom`). Once an
auditor accepts a pair, the store keeps it as a payer alias (`payer:erp`, the payer's ERP
account -> `erp`, the account it pays for) taught by a `note` decision (who accepted it, when,
on what evidence), so the next run treats that payer as a known payer of that client: its
payment citing the client's invoice with the exact amount is matched automatically instead of
being queued as `payer_is_other_entity`. The two stay separate parties. Undoing the decision
(`reconkit review undo`) withdraws the alias.
"""

from __future__ import annotations

import polars as pl

from reconkit.parties import PAYER_ALIAS
from reconkit.review.store import Decision, DecisionStore

PAYER_SYSTEM = f"{PAYER_ALIAS}erp"
ACCEPTED_KIND = "accepted_payer"


def payer_pairs(pays_for: pl.DataFrame) -> pl.DataFrame:
    """The mined pairs an auditor can accept: payers that are client accounts themselves
    (`payer_account` known), one row per (payer account, paid-for account), with support."""
    return (pays_for.filter(pl.col("payer_account").is_not_null()
                            & (pl.col("payer_account") != pl.col("paid_for_account")))
            .group_by("payer_account", "paid_for_account")
            .agg(pl.col("payer").first(), pl.col("paid_for_name").first(),
                 pl.col("receipts").sum(), pl.col("lettered").sum())
            .sort("payer_account", "paid_for_account"))


def accept_payers(store: DecisionStore, pays_for: pl.DataFrame, *, user: str) -> list[int]:
    """Record each minable pair not yet accepted as a decision teaching its payer alias;
    return the new decision ids (none when every pair is already in the store)."""
    held = set(store.aliases().filter(pl.col("system") == PAYER_SYSTEM)
               .select("source_id", "target_id").rows())
    todo = []
    for r in payer_pairs(pays_for).iter_rows(named=True):
        pair = (r["payer_account"], r["paid_for_account"])
        if pair in held:
            continue
        note = (f"{r['payer']} ({pair[0]}) pays for {r['paid_for_name']} ({pair[1]}): "
                f"{r['receipts']} receipts in the ledger, {r['lettered']} lettered")
        todo.append(Decision("note", exception_id=f"mined-payer:{pair[0]}>{pair[1]}",
                             payload={"kind": ACCEPTED_KIND, "note": note,
                                      "source": "reconkit audit"},
                             teach=((PAYER_SYSTEM, pair[0], "erp", pair[1]),)))
    return store.bulk(todo, user=user) if todo else []
