"""Stripe list responses as the API returns them (newest first), invoice shape per dialect:
basil (`parent.subscription_details`, `total_taxes`) or pre-basil (top-level `subscription`,
`tax`, `total_tax_amounts`). Timestamps are Unix seconds (UTC) of noon Paris, or of a few
minutes after midnight Paris for the dialect's share of invoices (the previous day in UTC).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data_samples.model import Invoice, World, add_months

PARIS = ZoneInfo("Europe/Paris")


def unix_noon(d: date | None) -> int | None:
    """Unix seconds at noon, Europe/Paris, of a business date (safe from day shifts)."""
    if d is None:
        return None
    return int(datetime(d.year, d.month, d.day, 12, tzinfo=PARIS).timestamp())


def customer_objects(world: World) -> list[dict[str, Any]]:
    out = []
    for c in sorted(world.clients, key=lambda c: c.billing_id):
        meta: dict[str, str] = {}
        if c.billing_meta:
            meta = {"crm_account_id": c.crm_ids[0], "erp_account": c.erp_aux}
        elif not c.in_crm:
            meta = {"erp_account": c.erp_aux}
        if c.siren:
            meta["siren"] = c.siren
        out.append({"id": c.billing_id, "object": "customer", "name": c.billing_name,
                    "email": f"comptabilite@{c.email_domain}", "currency": "eur",
                    "address": {"country": c.country}, "preferred_locales": ["fr-FR"],
                    "created": unix_noon(world.first_month - timedelta(days=400)),
                    "invoice_prefix": c.invoice_prefix, "metadata": meta})
    return out


def ordered_documents(world: World, doc_type: str) -> list[Invoice]:
    """Documents of one type, newest first as Stripe lists them."""
    docs = [i for i in world.invoices if i.doc_type == doc_type]
    return sorted(docs, key=lambda i: (i.issue, i.number), reverse=True)


def _paid_before_month(world: World) -> dict[str, int]:
    cache = getattr(world, "_paid_cache", None)
    if cache is None:
        cache = {}
        for p in world.payments:
            if p.date < world.month:
                for inv_id, amt in p.allocations:
                    cache[inv_id] = cache.get(inv_id, 0) + amt
        from data_samples.psp import paid_by_charges

        for inv_id, amt in paid_by_charges(world).items():
            cache[inv_id] = cache.get(inv_id, 0) + amt
        world._paid_cache = cache  # type: ignore[attr-defined]
    return cache


def _pre_payment_credits(world: World) -> dict[str, int]:
    out: dict[str, int] = {}
    for cn in world.invoices:
        if cn.credited and cn.cn_type == "pre_payment":
            out[cn.credited] = out.get(cn.credited, 0) - cn.amount
    return out


def invoice_status(world: World, inv: Invoice) -> str:
    """`paid` when settled (and marked out of band) before the month, else `open`."""
    if inv.doc_type == "credit_note":
        return "issued"
    return "paid" if _paid_before_month(world).get(inv.record_id, 0) >= inv.amount else "open"


def invoice_objects(world: World) -> list[dict[str, Any]]:
    clients = {c.client_id: c for c in world.clients}
    contracts = {ct.number for ct in world.contracts}
    credits = _pre_payment_credits(world)
    out = []
    for inv in ordered_documents(world, "invoice"):
        status = invoice_status(world, inv)
        discount = inv.subtotal - inv.net
        due = inv.amount - credits.get(inv.record_id, 0)
        paid = due if status == "paid" else 0
        meta: dict[str, str] = {}
        if inv.commitment_ref in contracts:
            meta["contract_number"] = inv.commitment_ref or ""
        elif inv.commitment_ref:
            meta["sf_opportunity_id"] = inv.commitment_ref
        if inv.po_number:
            meta["po_number"] = inv.po_number
        created = unix_noon(inv.issue)
        subscription = None
        if inv.commitment_ref in contracts:
            subscription = {"type": "subscription_details", "subscription_details": {
                "subscription": "sub_" + inv.record_id[3:27], "metadata": {}}}
        out.append({
            "id": inv.record_id, "object": "invoice", "number": inv.number,
            "customer": clients[inv.client_id].billing_id, "customer_name": inv.party_name,
            "currency": "eur", "status": status, "collection_method": "send_invoice",
            "billing_reason": "subscription_cycle" if subscription else "manual",
            "created": created, "effective_at": created, "due_date": unix_noon(inv.due),
            "period_start": unix_noon(inv.period_start or inv.issue),
            "period_end": unix_noon(inv.period_end or inv.issue),
            "subtotal": inv.subtotal, "subtotal_excluding_tax": inv.subtotal,
            "total_discount_amounts": [{"amount": discount, "discount": "di_" +
                                        inv.record_id[3:27]}] if discount else [],
            "discounts": ["di_" + inv.record_id[3:27]] if discount else [],
            "total_excluding_tax": inv.net,
            "total_taxes": [{"amount": inv.tax, "tax_behavior": "exclusive",
                             "taxable_amount": inv.net, "taxability_reason": "standard_rated",
                             "type": "tax_rate_details",
                             "tax_rate_details": {"tax_rate": "txr_FR20standard"}}],
            "total": inv.amount, "amount_due": due, "amount_paid": paid,
            "amount_remaining": due - paid, "amount_overpaid": 0,
            "pre_payment_credit_notes_amount": credits.get(inv.record_id, 0),
            "post_payment_credit_notes_amount": 0,
            "parent": subscription,
            "status_transitions": {"finalized_at": created, "paid_at": None,
                                   "voided_at": None, "marked_uncollectible_at": None},
            "lines": {"object": "list", "data": [], "has_more": False,
                      "url": f"/v1/invoices/{inv.record_id}/lines"},
            "metadata": meta,
        })
        if not world.dialect.classic:
            _realistic_invoice(world, inv, out[-1], clients[inv.client_id].crm_ids)
    return out


def created_at(inv: Invoice) -> int | None:
    """Noon Paris, or `created_minute` minutes after midnight Paris (the previous UTC day)."""
    if inv.created_minute is None:
        return unix_noon(inv.issue)
    d = inv.issue
    return int(datetime(d.year, d.month, d.day, 0, inv.created_minute,
                        tzinfo=PARIS).timestamp())


def invoice_period(world: World, inv: Invoice) -> tuple[date | None, date | None]:
    """The invoice-level (period_start, period_end) dates as the export shows them. Stripe
    bills in advance: with `usage_period`, a subscription invoice's own period is the usage
    period that just ended (a point, the issue date, for its first invoice); the service
    period is on the line."""
    if not (world.dialect.usage_period and inv.subscription_id and inv.doc_type == "invoice"):
        return inv.period_start or inv.issue, inv.period_end or inv.issue
    if inv.prorated:
        return inv.issue, inv.issue
    start = inv.period_start or inv.issue
    months = max(1, round(((inv.period_end or start) - start).days / 30.44))
    return add_months(start, -months), start


def _lines(inv: Invoice, amount: int, kind: str) -> dict[str, Any]:
    line: dict[str, Any] = {"id": ("il_" if kind == "invoices" else "cnli_") + inv.record_id[3:27],
            "object": "line_item" if kind == "invoices" else "credit_note_line_item",
            "amount": amount, "currency": "eur", "description": inv.lines_text or inv.memo
            or ("Avoir sur facture" if kind == "credit_notes" else "Prestation")}
    if inv.period_start is not None:
        line["period"] = {"start": unix_noon(inv.period_start),
                          "end": unix_noon(inv.period_end)}
    return {"object": "list", "data": [line], "has_more": False,
            "url": f"/v1/{kind}/{inv.record_id}/lines"}


def _realistic_invoice(world: World, inv: Invoice, obj: dict[str, Any],
                       crm_ids: list[str]) -> None:
    """Rewrite a classic invoice object with the dialect's conventions: partial CRM metadata,
    PO in custom fields, the subscription id in the API version's place, line items."""
    d = world.dialect
    meta: dict[str, str] = {}
    if inv.crm_meta and inv.commitment_id and inv.commitment_id.startswith("800"):
        meta = {"contract_number": inv.commitment_ref or "", "sf_contract_id":
                inv.commitment_id, "sf_account_id": crm_ids[0]}
    elif inv.crm_meta and inv.commitment_ref:
        meta = {"sf_opportunity_id": inv.commitment_ref}
    if inv.po_number and not inv.po_custom:
        meta["po_number"] = inv.po_number
    obj["metadata"] = meta
    obj["custom_fields"] = [{"name": "Bon de commande", "value": inv.po_number}] \
        if inv.po_number and inv.po_custom else None
    created = created_at(inv)
    obj["created"] = obj["effective_at"] = obj["status_transitions"]["finalized_at"] = created
    sub = inv.subscription_id
    obj["billing_reason"] = "manual" if sub is None else \
        "subscription_create" if inv.prorated else "subscription_cycle"
    if d.line_items:
        obj["lines"] = _lines(inv, inv.subtotal, "invoices")
    if d.usage_period and sub is not None:
        start, end = invoice_period(world, inv)
        obj["period_start"] = created if inv.prorated else unix_noon(start)
        obj["period_end"] = created if inv.prorated else unix_noon(end)
    if d.subscription_field == "basil":
        obj["parent"] = None if sub is None else {
            "type": "subscription_details", "quote_details": None,
            "subscription_details": {"subscription": sub, "metadata": {}}}
        return
    # pre-basil (2024 API versions): top-level subscription, tax, total_tax_amounts, paid
    del obj["parent"], obj["total_taxes"], obj["amount_overpaid"]
    obj["subscription"] = sub
    obj["tax"] = inv.tax
    obj["total_tax_amounts"] = [{"amount": inv.tax, "inclusive": False,
                                 "tax_rate": "txr_FR20standard",
                                 "taxability_reason": "standard_rated",
                                 "taxable_amount": inv.net}]
    obj["paid"] = obj["status"] == "paid"
    obj["discount"] = None


def credit_note_objects(world: World) -> list[dict[str, Any]]:
    clients = {c.client_id: c for c in world.clients}
    out: list[dict[str, Any]] = []
    for cn in ordered_documents(world, "credit_note"):
        created = unix_noon(cn.issue)
        amount = -cn.amount
        out.append({
            "id": cn.record_id, "object": "credit_note", "number": cn.number,
            "invoice": cn.credited, "customer": clients[cn.client_id].billing_id,
            "currency": "eur", "amount": amount, "subtotal": -cn.net, "total": amount,
            "total_excluding_tax": -cn.net, "discount_amount": 0,
            "total_taxes": [{"amount": -cn.tax, "tax_behavior": "exclusive",
                             "taxable_amount": -cn.net, "taxability_reason": "standard_rated",
                             "type": "tax_rate_details",
                             "tax_rate_details": {"tax_rate": "txr_FR20standard"}}],
            "reason": cn.reason, "type": cn.cn_type, "status": "issued",
            "pre_payment_amount": amount if cn.cn_type == "pre_payment" else 0,
            "post_payment_amount": amount if cn.cn_type == "post_payment" else 0,
            "out_of_band_amount": 0, "refunds": [], "memo": cn.memo,
            "created": created, "effective_at": created, "voided_at": None, "metadata": {},
        })
        if not world.dialect.classic:
            obj = out[-1]
            obj["created"] = obj["effective_at"] = created_at(cn)
            obj["lines"] = _lines(cn, -cn.net, "credit_notes")
    return out


def _write_list(path: Path, url: str, data: list[dict[str, Any]]) -> None:
    body = {"object": "list", "url": url, "has_more": False, "data": data}
    with path.open("w", encoding="utf-8", newline="\n") as fh:  # streamed: no whole-file str
        json.dump(body, fh, ensure_ascii=False, indent=1)
        fh.write("\n")

