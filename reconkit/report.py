"""Run figures: records per system, auto-match rates (by count and amount), exceptions.

Auto-match rates are given at two levels because vendors' figures differ by definition:
- bank-line level: share of received bank payments settled by an auto payment->invoice match;
- invoice level: share of the period's invoices settled by an auto payment->invoice match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from reconkit.result import ReconResult

INFO_CATEGORIES = {"bank_charge", "commitment_not_in_period"}


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarise(result: ReconResult) -> dict[str, Any]:
    inputs = result.inputs
    auto = result.matches.filter(pl.col("status") == "auto").select("match_id", "kind")
    items = result.match_items.join(auto, on="match_id")
    pay_items = items.filter(pl.col("kind") == "payment_invoice")

    payments = inputs.get("payments")
    received = payments.filter(pl.col("amount_cents") > 0) if payments is not None else None
    bank: dict[str, Any] = {}
    if received is not None and received.height:
        auto_pay = pay_items.filter(pl.col("role") == "payment").select("record_id").unique()
        hit = received.join(auto_pay, on="record_id")
        bank = {
            "received_payments": received.height,
            "auto_matched": hit.height,
            "auto_rate_by_count": _rate(hit.height, received.height),
            "auto_rate_by_amount": _rate(int(hit["amount_cents"].sum()),
                                         int(received["amount_cents"].sum())),
        }
    invoices = inputs.get("invoices")
    inv: dict[str, Any] = {}
    if invoices is not None and invoices.height:
        docs = invoices.filter(pl.col("doc_type") == "invoice")
        auto_inv = pay_items.filter(pl.col("role") == "invoice").select("record_id").unique()
        hit = docs.join(auto_inv, on="record_id")
        inv = {
            "invoices": docs.height,
            "auto_paid": hit.height,
            "auto_rate_by_count": _rate(hit.height, docs.height),
            "auto_rate_by_amount": _rate(int(hit["amount_cents"].sum()),
                                         int(docs["amount_cents"].sum())),
        }
    exc = result.exceptions.group_by("category").len().sort("category")
    per_cat = {c: int(n) for c, n in exc.iter_rows()}
    status = result.matches.group_by("kind", "status").len().sort("kind", "status")
    matches: dict[str, dict[str, int]] = {}
    for kind, st, n in status.iter_rows():
        matches.setdefault(kind, {})[st] = int(n)
    return {
        "records": {name: df.height for name, df in sorted(inputs.items())},
        "quarantined_rows": result.quarantine.select("source_file", "source_row").unique().height,
        "parties_resolved": result.parties["party_id"].n_unique(),
        "matches": matches,
        "auto_match_bank_lines": bank,
        "auto_match_invoices": inv,
        "exceptions_by_category": per_cat,
        "exceptions_to_review": sum(n for c, n in per_cat.items() if c not in INFO_CATEGORIES),
        "warnings": list(result.warnings),
    }


def render_summary(summary: dict[str, Any]) -> str:
    """Plain-text rendering for the terminal and notebooks."""
    lines = ["Records per table:"]
    lines += [f"  {k:<14} {v:>8}" for k, v in summary["records"].items()]
    lines.append(f"Rows quarantined: {summary['quarantined_rows']}")
    lines.append(f"Clients resolved: {summary['parties_resolved']}")
    b, i = summary["auto_match_bank_lines"], summary["auto_match_invoices"]
    if b:
        lines.append(f"Auto-matched bank lines: {b['auto_matched']}/{b['received_payments']} "
                     f"({b['auto_rate_by_count']:.1%} by count, "
                     f"{b['auto_rate_by_amount']:.1%} by amount)")
    if i:
        lines.append(f"Invoices paid by auto matches: {i['auto_paid']}/{i['invoices']} "
                     f"({i['auto_rate_by_count']:.1%} by count, "
                     f"{i['auto_rate_by_amount']:.1%} by amount)")
    lines.append("Matches by kind and status:")
    for kind, st in summary["matches"].items():
        lines.append(f"  {kind:<20} " + ", ".join(f"{k} {v}" for k, v in sorted(st.items())))
    lines.append(f"Exceptions to review: {summary['exceptions_to_review']}")
    lines += [f"  {k:<30} {v:>6}" for k, v in summary["exceptions_by_category"].items()]
    return "\n".join(lines)
