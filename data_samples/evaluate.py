"""Score a reconciliation result against a generated month's ground truth.

Links are compared as (left record, right record) pairs per link kind, for auto matches and
for auto + review matches. Parties are compared pairwise (two records in the same resolved
party vs the same true client). Exceptions are compared as (category, system, record_id).
False alarms: records the truth lists as clean (`truth/clean.csv`) that appear in a `decision`
exception (a result without a `severity` column counts every exception) or in a review match.
The naive baseline links a payment to the one invoice of the same amount whose number, as the
billing export writes it, appears verbatim in the remittance text or the end-to-end id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from reconkit.keys.normalize import normalize_name
from reconkit.result import ReconResult

LINK_ROLES = {
    "payment_invoice": ("payment", "invoice"),
    "credit_note_invoice": ("credit_note", "invoice"),
    "invoice_ledger": ("invoice", "ledger_line"),
    "payment_ledger": ("payment", "ledger_line"),
    "invoice_commitment": ("invoice", "commitment"),
    "settlement_invoice": ("charge", "invoice"),     # a PSP charge and the invoice it pays
    "payout_payment": ("payment", "payout"),         # a bank credit and the PSP payout it is
}
MATCH_KIND = {"payout_payment": "payment_invoice"}  # truth kinds scored on another match kind


@dataclass(frozen=True)
class Truth:
    parties: pl.DataFrame
    links: pl.DataFrame
    exceptions: pl.DataFrame
    decoys: pl.DataFrame
    payment_links: pl.DataFrame | None = None   # absent from months generated before dialects
    clean: pl.DataFrame | None = None
    month_dir: Path | None = None

    @classmethod
    def read(cls, month_dir: Path) -> Truth:
        t = Path(month_dir) / "truth"
        base = [pl.read_csv(t / f"{n}.csv", infer_schema=False)
                for n in ("parties", "links", "exceptions", "decoys")]
        extra = [pl.read_csv(t / f"{n}.csv", infer_schema=False)
                 if (t / f"{n}.csv").exists() else None for n in ("payment_links", "clean")]
        return cls(parties=base[0], links=base[1], exceptions=base[2], decoys=base[3],
                   payment_links=extra[0], clean=extra[1], month_dir=Path(month_dir))


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
    m = result.matches.filter((pl.col("kind") == MATCH_KIND.get(kind, kind))
                              & pl.col("status").is_in(statuses))
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
        **scorecard(result, truth, links),
    }


def decision_exceptions(result: ReconResult) -> pl.DataFrame:
    """Exceptions that need a decision (`severity` = decision; all when the column is absent)."""
    exc = result.exceptions
    if "severity" in exc.columns:
        exc = exc.filter(pl.col("severity").fill_null("decision") == "decision")
    return exc


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


def scorecard(result: ReconResult, truth: Truth, links: dict[str, Any]) -> dict[str, Any]:
    """The issue-7 figures: precision overall, recall on clean identifiable payment links,
    false alarms on clean records, and the naive exact-number baseline."""
    tp = sum(v["auto"]["true_positives"] for v in links.values())
    pred = sum(v["auto"]["predicted"] for v in links.values())
    out: dict[str, Any] = {"overall_auto_precision": _ratio(tp, pred)}
    auto_pay = predicted_links(result, "payment_invoice", ("auto",))
    if truth.payment_links is not None:
        clean = {(r["left_id"], r["right_id"]) for r in truth.payment_links.iter_rows(named=True)
                 if r["clean"] == "true"}
        out["clean_payment_links"] = {"true": len(clean), "auto": len(auto_pay & clean),
                                      "auto_recall": _ratio(len(auto_pay & clean), len(clean))}
    if truth.clean is not None:
        out["false_alarms"] = false_alarms(result, truth.clean)
    if truth.month_dir is not None and (truth.month_dir / "canonical").exists():
        out["baseline"] = naive_baseline(truth.month_dir, truth)
    return out


def false_alarms(result: ReconResult, clean: pl.DataFrame) -> dict[str, Any]:
    """Share of clean records raised in a decision exception or a review match."""
    exc = decision_exceptions(result).select("system", "record_id", "category")
    review = result.matches.filter(pl.col("status") == "review").select("match_id", "kind")
    items = result.match_items.join(review, on="match_id").select(
        "system", "record_id", pl.concat_str([pl.lit("review:"), "kind"]).alias("category"))
    raised = pl.concat([exc, items]).unique()
    hit = clean.join(raised, on=["system", "record_id"])
    flagged = hit.select("system", "record_id").unique().height
    by_kind = {str(k): (int(n), int(t)) for k, n, t in clean.join(
        hit.select("system", "record_id").unique().with_columns(pl.lit(1).alias("hit")),
        on=["system", "record_id"], how="left").group_by("kind").agg(
        pl.col("hit").sum(), pl.len()).sort("kind").iter_rows()}
    by_cat = {str(c): int(n) for c, n in hit.group_by("category").len()
              .sort("len", "category", descending=[True, False]).iter_rows()}
    info = catalog_info_categories()
    strict = hit.filter(~pl.col("category").is_in(info)).select("system", "record_id").unique()
    return {"clean": clean.height, "flagged": flagged, "rate": _ratio(flagged, clean.height)
            if clean.height else 0.0, "by_kind": by_kind, "by_category": by_cat,
            "rate_without_catalog_info": _ratio(strict.height, clean.height)
            if clean.height else 0.0}


def catalog_info_categories() -> list[str]:
    """Categories the default catalog declares `severity: info` (for a result that does not
    carry the severity column yet)."""
    path = Path(__file__).resolve().parents[1] / "rule_catalog" / "categories.yaml"
    if not path.exists():
        return []
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return sorted(c["id"] for c in doc.get("categories", []) if c.get("severity") == "info")


def naive_baseline(month_dir: Path, truth: Truth) -> dict[str, Any]:
    """Exact invoice number found verbatim in the remittance or end-to-end id + exact amount,
    one candidate only -> auto. Scored on the same true payment links."""
    inv = pl.read_csv(month_dir / "canonical" / "invoices.csv", infer_schema=False).filter(
        pl.col("doc_type") == "invoice").select(
        pl.col("record_id").alias("r"), "number", pl.col("amount_cents").cast(pl.Int64))
    pay = pl.read_csv(month_dir / "canonical" / "payments.csv", infer_schema=False).select(
        pl.col("record_id").alias("l"), pl.col("amount_cents").cast(pl.Int64),
        pl.concat_str([pl.col("remittance").fill_null(""),
                       pl.col("end_to_end_id").fill_null("")], separator=" ").alias("text"))
    cand = pay.join(inv, on="amount_cents").filter(
        pl.col("text").str.contains(pl.col("number"), literal=True))
    one = cand.filter(pl.len().over("l") == 1)
    pred = set(one.select("l", "r").iter_rows())
    true = true_links(truth, "payment_invoice")
    out: dict[str, Any] = {"all": _prf(pred, true)}
    if truth.payment_links is not None:
        clean = {(r["left_id"], r["right_id"]) for r in truth.payment_links.iter_rows(named=True)
                 if r["clean"] == "true"}
        out["clean_recall"] = _ratio(len(pred & clean), len(clean))
    return out
