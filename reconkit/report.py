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

def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _auto_share(records: pl.DataFrame | None, auto_items: pl.DataFrame, role: str,
                names: tuple[str, str]) -> dict[str, Any]:
    """How many of `records` (and how much of their amount) auto matches settled."""
    if records is None or records.height == 0:
        return {}
    auto = auto_items.filter(pl.col("role") == role).select("record_id").unique()
    hit = records.join(auto, on="record_id")
    return {
        names[0]: records.height,
        names[1]: hit.height,
        "auto_rate_by_count": _rate(hit.height, records.height),
        "auto_rate_by_amount": _rate(int(hit["amount_cents"].sum()),
                                     int(records["amount_cents"].sum())),
    }


def summarise(result: ReconResult) -> dict[str, Any]:
    inputs = result.inputs
    auto = result.matches.filter(pl.col("status") == "auto").select("match_id", "kind")
    items = result.match_items.join(auto, on="match_id")
    pay_items = items.filter(pl.col("kind") == "payment_invoice")

    payments = inputs.get("payments")
    bank = _auto_share(payments.filter(pl.col("amount_cents") > 0)
                       if payments is not None else None, pay_items, "payment",
                       ("received_payments", "auto_matched"))
    invoices = inputs.get("invoices")
    inv = _auto_share(invoices.filter(pl.col("doc_type") == "invoice")
                      if invoices is not None else None, pay_items, "invoice",
                      ("invoices", "auto_paid"))
    exc = result.exceptions.group_by("severity", "category").len().sort("severity",
                                                                         "category")
    per_cat = {c: int(n) for s, c, n in exc.iter_rows() if s != "info"}
    info = {c: int(n) for s, c, n in exc.iter_rows() if s == "info"}
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
        "exceptions_to_review": sum(per_cat.values()),
        "information_by_category": info,
        "warnings": list(result.warnings),
    }


def render_summary(summary: dict[str, Any]) -> str:
    """Plain-text rendering for the terminal and notebooks."""
    systems = {"parties": "all systems", "commitments": "CRM", "invoices": "billing",
               "ledger_lines": "ERP", "payments": "bank", "settlement_lines": "PSP"}
    lines = ["Records per system:"]
    lines += [f"  {k + ' (' + systems.get(k, '?') + ')':<26} {v:>8}"
              for k, v in summary["records"].items()]
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
    per_cat = summary["exceptions_by_category"]
    lines.append(f"Exceptions to review: {summary['exceptions_to_review']}")
    lines += [f"  {k:<30} {v:>6}" for k, v in per_cat.items()]
    info = summary.get("information_by_category", {})
    if info:
        lines.append("Recorded for information (no decision needed):")
        lines += [f"  {k:<30} {v:>6}" for k, v in info.items()]
    return "\n".join(lines)
