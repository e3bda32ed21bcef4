"""Stripe as a payment provider (realistic dialects): a share of clients pay their invoices by
card or SEPA debit through Stripe; charges are grouped into daily automatic payouts, net of
fees (card 1.4 % + 0.25 EUR, SEPA debit 0.35 EUR), and each payout reaches the bank as one
credit (`STRIPE TECHNOLOGY EUROPE LTD`, remittance `STRIPE PAYOUT po_...` or the descriptor
alone). A few charges are refunded (with a credit note, or without one) or disputed.

The ledger books each charge in the Stripe clearing journal `STR` (511 debit net, 627 fee,
411 credit gross, piece = the invoice number) and each payout in the bank journal (512 / 511);
earlier-month charges are lettered with their invoices. Draws come from a stream of their own,
so the rest of the world is unchanged; `classic` never calls this module.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data_samples.ids import add_months, base62, business_day, iban_from_bban, pct_of, tax_of
from data_samples.model import Invoice, Payment, World
from reconkit.money import format_cents

PARIS = ZoneInfo("Europe/Paris")
STRIPE_NAME = "STRIPE TECHNOLOGY EUROPE LTD"
STRIPE_IBAN = iban_from_bban("IE", "STRP99000012345678")
CARD_FEE_BP, CARD_FEE_FIXED, SEPA_FEE = 140, 25, 35
BILLING_FEE_BP = 70                 # Stripe Billing: 0.7 % of last month's billing volume
CHECKOUT_SHARE = 0.2                # charges made through Checkout / a Payment Link: the
#                                     charge carries the invoice number in metadata, no invoice
DISPUTE_FEE = 1500
PAYOUT_DELAY_DAYS = 2


@dataclass
class Line:
    """One Stripe balance transaction (charge, refund, dispute) of the world."""

    txn: str
    source: str
    kind: str                       # charge | refund | dispute | fee
    invoice_id: str
    customer: str
    client_id: str
    created: date
    amount: int                     # balance side: charge +, refund/dispute -
    fee: int
    payout: str = ""
    arrival: date | None = None
    pid: int = 0                    # the payment it replaces (charges)
    number: str | None = None       # Checkout / Payment Link: the invoice number in metadata


@dataclass
class Payout:
    po: str
    arrival: date
    lines: list[Line] = field(default_factory=list)
    pid: int | None = None          # the bank credit (None: arrives after the month)

    @property
    def amount(self) -> int:
        return sum(ln.amount - ln.fee for ln in self.lines)


@dataclass
class Stripe:
    lines: list[Line] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    receipts: dict[str, Any] = field(default_factory=dict)  # txn -> its 411 ledger line


def stripe_of(world: World) -> Stripe | None:
    return getattr(world, "_stripe", None)


def _ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, 12, tzinfo=PARIS).timestamp())


def route_through_stripe(world: World) -> None:
    """Move the ordinary payments of the dialect's share of clients to Stripe charges,
    grouped into payouts; add refunds, disputes and the payouts' bank credits."""
    d = world.dialect
    if d.stripe_payers <= 0:
        return
    rng = random.Random(f"{world.seed}:{d.name}:stripe")
    flagged = {ref.split(":", 1)[1] for _, _, ref, _ in world.exceptions
               if ref.startswith("payment:")} | {
        ref.split(":", 1)[1] for _, ref, _ in world.decoys if ref.startswith("payment:")} | {
        ref.split(":", 1)[1] for _, ref, _ in world.normal_cases if ref.startswith("payment:")}
    payers = {c.client_id: c for c in world.clients
              if c.role == "ordinary" and c.in_crm and rng.random() < d.stripe_payers}
    stripe = Stripe()
    numbers = {i.record_id: i.number for i in world.invoices}
    kept: list[Payment] = []
    for p in sorted(world.payments, key=lambda p: p.pid):
        c = payers.get(p.client_id or "")
        if c is None or p.scenario != "normal" or str(p.pid) in flagged \
                or p.payer_client != p.client_id or p.channel not in ("sct", "sdd"):
            kept.append(p)
            continue
        for inv_id, amt in p.allocations:
            fee = SEPA_FEE if c.payer == "sdd" else pct_of(amt, CARD_FEE_BP) + CARD_FEE_FIXED
            stripe.lines.append(Line(
                txn="txn_" + base62(rng, 24), source=("py_" if c.payer == "sdd" else "ch_")
                + base62(rng, 24), kind="charge", invoice_id=inv_id, customer=c.billing_id,
                client_id=c.client_id, created=p.date, amount=amt, fee=fee, pid=p.pid,
                number=numbers[inv_id] if rng.random() < CHECKOUT_SHARE else None))
    if not stripe.lines:
        return
    world.payments = kept
    _refunds_and_disputes(world, rng, stripe)
    _billing_fees(world, rng, stripe)
    _payouts(world, rng, stripe)
    world._stripe = stripe  # type: ignore[attr-defined]


def _refunds_and_disputes(world: World, rng: random.Random, stripe: Stripe) -> None:
    """Per scenario unit: a refund with its credit note, one without, a dispute."""
    k = max(1, world._k // 3)  # type: ignore[attr-defined]
    d = world.dialect
    month = [ln for ln in stripe.lines if world.month <= ln.created
             and ln.created + timedelta(days=8) <= world.month_end]
    picks = rng.sample(month, min(len(month), k * (2 * d.stripe_refunds_per_k
                                                   + d.stripe_disputes_per_k)))
    invoices = {i.record_id: i for i in world.invoices}
    for n, charge in enumerate(picks):
        inv = invoices[charge.invoice_id]
        when = business_day(charge.created + timedelta(days=rng.randrange(2, 6)))
        if n < 2 * k * d.stripe_refunds_per_k:
            net = -pct_of(inv.net, rng.randrange(1000, 3001))
            amount = net + tax_of(net)
            stripe.lines.append(Line("txn_" + base62(rng, 24), "re_" + base62(rng, 24),
                                     "refund", inv.record_id, charge.customer,
                                     charge.client_id, when, amount, 0))
            if n % 2 == 0:
                _credit_note(world, rng, inv, net, when)
            else:
                world.exceptions.append(("psp_refund_without_credit_note", "psp",
                                         stripe.lines[-1].txn, f"refund of {inv.number}"))
        else:
            stripe.lines.append(Line("txn_" + base62(rng, 24), "dp_" + base62(rng, 24),
                                     "dispute", inv.record_id, charge.customer,
                                     charge.client_id, when, -charge.amount, DISPUTE_FEE))
            world.exceptions.append(("psp_dispute", "psp", stripe.lines[-1].txn,
                                     f"dispute of {inv.number}"))


def _billing_fees(world: World, rng: random.Random, stripe: Stripe) -> None:
    """The monthly Stripe Billing fee (a `stripe_fee` line on the first business day), on
    the previous month's charges."""
    for start in world.history_months()[1:]:
        volume = sum(ln.amount for ln in stripe.lines if ln.kind == "charge"
                     and add_months(start, -1) <= ln.created < start)
        if volume:
            stripe.lines.append(Line("txn_" + base62(rng, 24), "", "fee", "", "", "",
                                     business_day(start), -pct_of(volume, BILLING_FEE_BP), 0))


def _credit_note(world: World, rng: random.Random, inv: Invoice, net: int, when: date) -> None:
    n = 1 + sum(1 for i in world.invoices if i.credited == inv.record_id)
    world.invoices.append(Invoice(
        record_id="cn_" + base62(rng, 24), number=f"{inv.number}-CN-{n:02d}",
        client_id=inv.client_id, doc_type="credit_note", issue=when, due=None, net=net,
        tax=tax_of(net), subtotal=net, credited=inv.record_id, cn_type="post_payment",
        reason="product_unsatisfactory", memo="Geste commercial (remboursement carte)",
        party_name=inv.party_name, lines_text="Geste commercial (remboursement carte)"))


def _payouts(world: World, rng: random.Random, stripe: Stripe) -> None:
    """Daily automatic payouts: a line is paid out `PAYOUT_DELAY_DAYS` business days after
    it is created; a day whose lines net to nothing or less (a refund alone) is carried into
    the next payout, as Stripe does with a negative balance. One bank credit per payout
    arriving by the month's end."""
    by_day: dict[date, list[Line]] = {}
    for ln in sorted(stripe.lines, key=lambda x: (x.created, x.txn)):
        by_day.setdefault(business_day(ln.created + timedelta(days=PAYOUT_DELAY_DAYS)),
                          []).append(ln)
    carried: list[Line] = []
    for arrival in sorted(by_day):
        lines = carried + by_day[arrival]
        if sum(ln.amount - ln.fee for ln in lines) <= 0:
            carried = lines
            continue
        carried = []
        po = Payout("po_" + base62(rng, 24), arrival, lines)
        for ln in lines:
            ln.payout, ln.arrival = po.po, arrival
        stripe.payouts.append(po)
        if po.arrival > world.month_end:
            continue
        world.next_pid += 1
        po.pid = world.next_pid
        cited = rng.random() < 0.7
        world.payments.append(Payment(
            pid=po.pid, date=po.arrival, amount=po.amount, client_id=None, payer_client=None,
            payer_name=STRIPE_NAME, payer_iban=STRIPE_IBAN,
            remittance=f"STRIPE PAYOUT {po.po}" if cited else "STRIPE PAYOUT",
            structured_ref=None, e2e="NOTPROVIDED", channel="psp", scenario="psp_payout",
            habit="psp_payout"))
    unpaid = {ln.txn for ln in carried}  # a negative balance at the end: never exported
    world.exceptions[:] = [e for e in world.exceptions if e[2] not in unpaid]


def exported_payouts(world: World, stripe: Stripe) -> list[Payout]:
    """Payouts in the month's export: arriving in the month, or later with lines created in
    the month (in transit at the month's end)."""
    return [po for po in stripe.payouts if world.month <= po.arrival <= world.month_end
            or (po.arrival > world.month_end
                and any(ln.created >= world.month for ln in po.lines))]


def balance_transactions(world: World, stripe: Stripe) -> list[dict[str, Any]]:
    """`GET /v1/balance_transactions` objects (charges with their source expanded, refunds,
    disputes and the payouts' own transactions), newest first as Stripe lists them."""
    out: list[tuple[date, str, dict[str, Any]]] = []
    for po in exported_payouts(world, stripe):
        for ln in po.lines:
            source: Any = _charge_source(ln) if ln.kind == "charge" else None \
                if ln.kind == "fee" else \
                {"id": ln.source, "object": ln.kind,
                 "charge": {"invoice": ln.invoice_id, "customer": ln.customer}}
            out.append((ln.created, ln.txn, {
                "id": ln.txn, "object": "balance_transaction", "amount": ln.amount,
                "fee": ln.fee, "net": ln.amount - ln.fee, "currency": "eur",
                "type": {"charge": "charge", "refund": "refund", "dispute": "adjustment",
                         "fee": "stripe_fee"}[ln.kind],
                "description": f"Billing - Usage Fee ({ln.created:%Y-%m})"
                if ln.kind == "fee" else None,
                "reporting_category": ln.kind, "created": _ts(ln.created),
                "available_on": _ts(po.arrival), "payout": po.po, "source": source,
                "status": "available" if po.arrival <= world.month_end else "pending"}))
        out.append((po.arrival, "txn_" + po.po[3:], {
            "id": "txn_" + po.po[3:], "object": "balance_transaction", "amount": -po.amount,
            "fee": 0, "net": -po.amount, "currency": "eur", "type": "payout",
            "reporting_category": "payout", "created": _ts(po.arrival),
            "available_on": _ts(po.arrival), "source": po.po, "status": "available"}))
    return [obj for _, _, obj in sorted(out, key=lambda t: (t[0], t[1]), reverse=True)]


def _charge_source(ln: Line) -> dict[str, Any]:
    """The expanded charge: the invoice it pays, or (Checkout) its number in metadata."""
    if ln.number is None:
        return {"id": ln.source, "object": "charge", "invoice": ln.invoice_id,
                "customer": ln.customer}
    return {"id": ln.source, "object": "charge", "invoice": None, "customer": ln.customer,
            "description": f"Payment for invoice {ln.number}",
            "metadata": {"invoice_number": ln.number}}


def payout_objects(world: World, stripe: Stripe) -> list[dict[str, Any]]:
    return [{"id": po.po, "object": "payout", "amount": po.amount, "currency": "eur",
             "arrival_date": _ts(po.arrival), "created": _ts(po.arrival - timedelta(days=1)),
             "automatic": True, "method": "standard", "statement_descriptor": "STRIPE PAYOUT",
             "status": "paid" if po.arrival <= world.month_end else "in_transit"}
            for po in sorted(exported_payouts(world, stripe), key=lambda x: x.arrival,
                             reverse=True)]


REPORT_COLUMNS = ("balance_transaction_id", "created_utc", "available_on_utc", "currency",
                  "gross", "fee", "net", "reporting_category", "source_id", "customer_id",
                  "customer_email", "invoice_id", "charge_id", "payment_intent_id",
                  "automatic_payout_id", "automatic_payout_effective_at")


def _utc(ts: int) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")


def payout_report_rows(world: World, stripe: Stripe) -> list[list[str]]:
    """The Dashboard's itemised payout reconciliation report of the same lines (major units,
    UTC times; the payouts themselves are not rows)."""
    emails = {c.billing_id: f"comptabilite@{c.email_domain}" for c in world.clients}
    rows = []
    for bt in reversed(balance_transactions(world, stripe)):
        if bt["reporting_category"] == "payout":
            continue
        src = bt["source"] or {}
        charge = src.get("id") if src.get("object") == "charge" else None
        customer = src.get("customer") or src.get("charge", {}).get("customer") or ""
        invoice = src.get("invoice") or src.get("charge", {}).get("invoice") or ""
        rows.append([bt["id"], _utc(bt["created"]), _utc(bt["available_on"]), "eur",
                     format_cents(bt["amount"]), format_cents(bt["fee"]),
                     format_cents(bt["net"]), bt["reporting_category"], src.get("id") or "",
                     customer, emails.get(customer, ""), invoice, charge or "", "",
                     bt["payout"], _utc(bt["available_on"])])
    return rows


def write_native(world: World, root: Path) -> None:
    """native/stripe_payouts/balance_transactions.json and payouts.json; the same lines as
    the itemised payout reconciliation CSV in native/stripe_reports/ (not in the run)."""
    stripe = stripe_of(world)
    if stripe is None:
        return
    folder = root / "stripe_payouts"
    folder.mkdir(parents=True, exist_ok=True)
    for name, url, data in (
            ("balance_transactions", "/v1/balance_transactions",
             balance_transactions(world, stripe)),
            ("payouts", "/v1/payouts", payout_objects(world, stripe))):
        body = {"object": "list", "url": url, "has_more": False, "data": data}
        with (folder / f"{name}.json").open("w", encoding="utf-8", newline="\n") as fh:
            json.dump(body, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
    reports = root / "stripe_reports"
    reports.mkdir(parents=True, exist_ok=True)
    with (reports / f"payout_reconciliation_{world.month:%Y-%m}.csv").open(
            "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(REPORT_COLUMNS)
        out.writerows(payout_report_rows(world, stripe))


def truth_links(world: World, bank_id: dict[int, str]) -> list[tuple[str, str, str, str, str,
                                                                     int]]:
    """settlement_invoice (charge txn -> invoice) and payout_payment (bank -> payout) links
    of the month's export."""
    stripe = stripe_of(world)
    if stripe is None:
        return []
    rows = []
    for po in exported_payouts(world, stripe):
        if po.pid is not None and po.pid in bank_id:
            rows.append(("payout_payment", "bank", bank_id[po.pid], "psp", po.po, po.amount))
        rows += [("settlement_invoice", "psp", ln.txn, "billing", ln.invoice_id, ln.amount)
                 for ln in po.lines if ln.kind == "charge"]
    return rows


def paid_by_charges(world: World) -> dict[str, int]:
    """invoice id -> amount charged before the month (for the invoices' `paid` status)."""
    stripe = stripe_of(world)
    out: dict[str, int] = {}
    for ln in stripe.lines if stripe else []:
        if ln.kind == "charge" and ln.created < world.month:
            out[ln.invoice_id] = out.get(ln.invoice_id, 0) + ln.amount
    return out


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts, PARIS).date()


def canonical_rows(world: World) -> list[dict[str, Any]]:
    """What the `stripe_payouts` loader yields from the two JSON files (lineage included):
    the payout objects win over the payouts' own balance transactions."""
    stripe = stripe_of(world)
    if stripe is None:
        return []
    rows: list[dict[str, Any]] = []
    for n, bt in enumerate(balance_transactions(world, stripe), start=1):
        if bt["reporting_category"] == "payout":
            continue
        src = bt["source"] or {"id": None}
        fee_line = bt["reporting_category"] == "fee"
        rows.append({
            "system": "psp", "record_id": bt["id"], "source_file": "balance_transactions.json",
            "source_row": n, "provider": "stripe", "settlement_id": bt["payout"],
            "kind": bt["reporting_category"], "source_id": src["id"],
            "gross_cents": 0 if fee_line else bt["amount"],
            "fee_cents": -bt["amount"] if fee_line else bt["fee"], "net_cents": bt["net"],
            "currency": "EUR", "invoice_ref": src.get("invoice") or src["charge"]["invoice"]
            if "charge" in src else src.get("invoice")
            or src.get("metadata", {}).get("invoice_number"),
            "customer_ref": src.get("customer") or src.get("charge", {}).get("customer"),
            "created_date": _day(bt["created"]), "available_date": _day(bt["available_on"]),
            "status": bt["status"], "description": bt["description"]})
    for n, po in enumerate(payout_objects(world, stripe), start=1):
        rows.append({
            "system": "psp", "record_id": po["id"], "source_file": "payouts.json",
            "source_row": n, "provider": "stripe", "settlement_id": po["id"], "kind": "payout",
            "source_id": po["id"], "gross_cents": -po["amount"], "fee_cents": 0,
            "net_cents": -po["amount"], "currency": "EUR", "created_date": _day(po["created"]),
            "available_date": _day(po["arrival_date"]), "status": po["status"],
            "description": po["statement_descriptor"]})
    return rows
