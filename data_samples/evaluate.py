"""Score a reconciliation result against a generated month's ground truth.

Links are compared as (left record, right record) pairs per link kind, for auto matches and
for auto + review matches. Parties are compared pairwise (two records in the same resolved
party vs the same true client). Exceptions are compared as (category, system, record_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.keys.normalize import normalize_name
from reconkit.result import ReconResult

LINK_ROLES = {
    "payment_invoice": ("payment", "invoice"),
    "credit_note_invoice": ("credit_note", "invoice"),
    "invoice_ledger": ("invoice", "ledger_line"),
    "payment_ledger": ("payment", "ledger_line"),
    "invoice_commitment": ("invoice", "commitment"),
}


@dataclass(frozen=True)
class Truth:
    parties: pl.DataFrame
    links: pl.DataFrame
    exceptions: pl.DataFrame
    decoys: pl.DataFrame

    @classmethod
    def read(cls, month_dir: Path) -> Truth:
        t = Path(month_dir) / "truth"
        return cls(*(pl.read_csv(t / f"{n}.csv", infer_schema=False)
                     for n in ("parties", "links", "exceptions", "decoys")))


def _prf(pred: set[Any], true: set[Any]) -> dict[str, float | int]:
    tp = len(pred & true)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(true) if true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "predicted": len(pred), "true": len(true), "true_positives": tp}


def predicted_links(result: ReconResult, kind: str,
                    statuses: tuple[str, ...]) -> set[tuple[str, str]]:
    left_role, right_role = LINK_ROLES[kind]
    m = result.matches.filter((pl.col("kind") == kind) & pl.col("status").is_in(statuses))
    items = result.match_items.join(m.select("match_id"), on="match_id")
    left = items.filter(pl.col("role") == left_role).select("match_id",
                                                            pl.col("record_id").alias("l"))
    right = items.filter(pl.col("role") == right_role).select("match_id",
                                                              pl.col("record_id").alias("r"))
    pairs = left.join(right, on="match_id").select("l", "r").unique()
    if kind == "payment_invoice":
        # a duplicate-payment candidate allocates nothing: it is not a payment link
        zero = items.filter((pl.col("role") == "payment") & (pl.col("amount_cents") == 0))
        pairs = pairs.join(zero.select(pl.col("record_id").alias("l")), on="l", how="anti")
    return set(pairs.iter_rows())


def true_links(truth: Truth, kind: str) -> set[tuple[str, str]]:
    t = truth.links.filter(pl.col("kind") == kind)
    return set(t.select("left_id", "right_id").iter_rows())


def _pairs(groups: pl.DataFrame, key: str) -> set[tuple[str, str]]:
    g = groups.select(key, "node").unique()
    j = g.join(g, on=key).filter(pl.col("node") < pl.col("node_right"))
    return set(j.select("node", "node_right").iter_rows())


def party_scores(result: ReconResult, truth: Truth) -> dict[str, Any]:
    """Pairwise precision/recall/F1 of the party map, and of an exact-normalised-name baseline,
    over CRM, billing and ERP records (bank payers are scored through payment links)."""
    tp = truth.parties.filter(pl.col("system") != "bank").select(
        pl.concat_str(["system", "record_id"], separator="|").alias("node"), "client_id")
    pred = result.parties.filter(pl.col("system") != "bank").select(
        pl.concat_str(["system", "source_id"], separator="|").alias("node"), "party_id",
        "name")
    nodes = tp.join(pred, on="node")
    true_pairs = _pairs(nodes, "client_id")
    ours = _prf(_pairs(nodes, "party_id"), true_pairs)
    base = nodes.with_columns(normalize_name(pl.col("name")).alias("norm"))
    baseline = _prf(_pairs(base, "norm"), true_pairs)
    return {"reconkit": ours, "baseline_exact_normalised_name": baseline}


def evaluate(result: ReconResult, truth: Truth) -> dict[str, Any]:
    links: dict[str, Any] = {}
    for kind in LINK_ROLES:
        true = true_links(truth, kind)
        if not true:
            continue
        links[kind] = {
            "auto": _prf(predicted_links(result, kind, ("auto", "confirmed")), true),
            "auto_or_review": _prf(predicted_links(result, kind,
                                                   ("auto", "confirmed", "review")), true),
        }
    exc = set(result.exceptions.select("category", "system", "record_id").iter_rows())
    per_cat: dict[str, Any] = {}
    for (cat,), grp in truth.exceptions.group_by("category", maintain_order=True):
        true = set(grp.select("category", "system", "record_id").iter_rows())
        hit = len(true & exc)
        per_cat[str(cat)] = {"true": len(true), "detected": hit,
                             "recall": round(hit / len(true), 4)}
    auto_pay = predicted_links(result, "payment_invoice", ("auto",))
    # links whose payment carries no injected exception or decoy: what should be mechanical
    special = set(truth.exceptions.filter(pl.col("system") == "bank")["record_id"].to_list()) \
        | set(truth.decoys.filter(pl.col("system") == "bank")["record_id"].to_list())
    plain = {link for link in true_links(truth, "payment_invoice") if link[0] not in special}
    mechanical = _prf(auto_pay & plain, plain)
    # decoy payments carry no reference: any auto match of one would be a guess
    decoy_ids = set(truth.decoys.filter(pl.col("system") == "bank")["record_id"].to_list())
    decoys_auto = sorted({p for p, _ in auto_pay if p in decoy_ids})
    return {
        "links": links,
        "parties": party_scores(result, truth),
        "exceptions": dict(sorted(per_cat.items())),
        "decoys_auto_matched": decoys_auto,
        "mechanical_payment_links": {"true": len(plain), "auto": mechanical["true_positives"],
                                     "auto_recall": mechanical["recall"]},
        "summary": result.summary(),
    }
