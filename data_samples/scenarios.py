"""Exceptions, decoys and notable normal cases, injected into the ordinary world.

Every scenario works on clients reserved for it by `model.build_world` (their `role`), so
instances are independent and each one has a known, explicit truth. Invoice-side scenarios run
before invoice numbering and payment planning; payment-side ones run after. Bank and ERP record
ids do not exist yet, so truth rows name them by placeholder: `payment:<pid>` (a bank
payment) and `invoice:<record id>` (the ERP entry booking that invoice); `generate` resolves
them once the statement and the ledger are numbered.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from data_samples.ids import Ids, add_months, business_day, draw_amount, pct_of, tax_of
from data_samples.model import Client, Invoice, Payment, World
from data_samples.payments import make_payment, payer_name_variant
from data_samples.words import MONTHS_FR, UNKNOWN_PAYERS


def _rng(world: World) -> random.Random:
    rng: random.Random = world._rng  # type: ignore[attr-defined]
    return rng


def _ids(world: World) -> Ids:
    ids: Ids = world._ids  # type: ignore[attr-defined]
    return ids


def _by_role(world: World, role: str) -> list[Client]:
    return [c for c in world.clients if c.role == role]


def _contract_invoices(world: World) -> dict[str, list[Invoice]]:
    """Each client's contract invoices, oldest first."""
    out: dict[str, list[Invoice]] = defaultdict(list)
    contract_ids = {ct.record_id for ct in world.contracts}
    for inv in world.invoices:
        if inv.doc_type == "invoice" and inv.commitment_id in contract_ids:
            out[inv.client_id].append(inv)
    return out


def _of_month(invs: list[Invoice], month: date) -> Invoice:
    for inv in invs:
        if (inv.issue.year, inv.issue.month) == (month.year, month.month):
            return inv
    raise LookupError(f"no invoice in {month:%Y-%m}")


def _set_net(inv: Invoice, net: int, subtotal: int | None = None) -> None:
    inv.net, inv.tax = net, tax_of(net)
    inv.subtotal = net if subtotal is None else subtotal


def _prev(world: World, n: int) -> date:
    return add_months(world.month, -n)


def _day_in_month(world: World, rng: random.Random, lo: int, hi: int,
                  not_before: date | None = None) -> date:
    d = world.month.replace(day=rng.randrange(lo, hi + 1))
    if not_before and d < not_before:
        d = not_before
    return business_day(d, not_after=world.month_end)


# =========================================================================== invoice side
def inject_invoice_scenarios(world: World) -> None:
    """Commitment, billing and ledger exceptions; twin clients share one plan amount."""
    rng, ids = _rng(world), _ids(world)
    invs = _contract_invoices(world)
    contract_of = {ct.client_id: ct for ct in world.contracts if ct.status == "Activated"}
    m = world.month

    unbilled: set[str] = set()
    for c in _by_role(world, "unbilled"):
        unbilled.add(_of_month(invs[c.client_id], m).record_id)
        ct = contract_of[c.client_id]
        world.exceptions.append(("unbilled_commitment", "crm", ct.record_id,
                                 f"contract {ct.number} active, no invoice for {m:%Y-%m}"))
    world.invoices = [i for i in world.invoices if i.record_id not in unbilled]

    for c in _by_role(world, "without_commitment"):
        issue = business_day(m.replace(day=rng.randrange(2, 20)))
        net = draw_amount(rng, "one_off")
        inv = Invoice(record_id=ids.stripe("in_"), number="", client_id=c.client_id,
                      doc_type="invoice", issue=issue, due=issue + timedelta(days=30), net=net,
                      tax=tax_of(net), subtotal=net, party_name=c.billing_name,
                      memo="Prestation complementaire")
        world.invoices.append(inv)
        world.exceptions.append(("invoice_without_commitment", "billing", inv.record_id,
                                 "one-off invoice without contract or opportunity reference"))

    for c in _by_role(world, "amount_mismatch"):
        inv, ct = _of_month(invs[c.client_id], m), contract_of[c.client_id]
        while True:
            delta = rng.choice((-1, 1)) * rng.randrange(317, 25_000)
            ratio_bp = abs(delta) * 10_000 // ct.amount
            if not 150 <= ratio_bp <= 550 and ct.amount + delta > 0:
                break
        _set_net(inv, ct.amount + delta)
        world.exceptions.append(("contract_amount_mismatch", "billing", inv.record_id,
                                 f"net {inv.net} vs contract {ct.number} amount {ct.amount}"))

    for c in _by_role(world, "discount_na"):
        inv, ct = _of_month(invs[c.client_id], m), contract_of[c.client_id]
        assert ct.list_amount is not None
        _set_net(inv, ct.list_amount)
        world.exceptions.append(("discount_not_applied", "billing", inv.record_id,
                                 (f"net = list amount {ct.list_amount}; contract {ct.number} "
                                 f"discount {ct.discount_bp} bp")))

    for c in _by_role(world, "drift"):
        inv, ct = _of_month(invs[c.client_id], m), contract_of[c.client_id]
        index_bp = rng.choice((200, 250, 300, 350, 400, 450, 500))
        _set_net(inv, ct.amount + pct_of(ct.amount, index_bp))
        world.exceptions.append(("renewal_price_drift", "billing", inv.record_id,
                                 (f"contract {ct.number} renewed {ct.start:%m-%d}, "
                                 f"indexed +{index_bp} bp")))

    for c in _by_role(world, "missing_ledger"):
        inv = _of_month(invs[c.client_id], m)
        inv.in_ledger = False
        world.exceptions.append(("missing_in_ledger", "billing", inv.record_id,
                                 "invoice issued, no sales-journal entry"))

    for c in _by_role(world, "ledger_mismatch"):
        inv = _of_month(invs[c.client_id], m)
        inv.ledger_delta = _typing_error(rng, inv.amount)
        world.exceptions.append(("ledger_amount_mismatch", "erp", f"invoice:{inv.record_id}",
                                 (f"411 line {inv.amount + inv.ledger_delta} vs invoice total "
                                 f"{inv.amount}")))

    for c in _by_role(world, "cn_lettered"):
        inv = _of_month(invs[c.client_id], _prev(world, 2))
        part = inv.net if rng.random() < 0.3 else pct_of(inv.net, rng.randrange(1000, 5000))
        cn = _credit_note(world, rng, c, inv, -part, _day_in_month(world, rng, 2, 25),
                          "post_payment", "product_unsatisfactory")
        world.exceptions.append(("credit_note_on_lettered_line", "billing", cn.record_id,
                                 f"credits {inv.record_id}, already paid and lettered"))

    for c in _by_role(world, "rebate"):
        year_net = sum(i.net for i in invs[c.client_id] if i.issue.year == m.year)
        months_in_window = len({(i.issue.year, i.issue.month) for i in invs[c.client_id]}) or 1
        year_estimate = year_net * m.month // months_in_window
        net = -max(1000, pct_of(year_estimate, 200))
        issue = _day_in_month(world, rng, 5, 25)
        cn = Invoice(record_id=ids.stripe("cn_"), number="", client_id=c.client_id,
                     doc_type="credit_note", issue=issue, due=None, net=net, tax=tax_of(net),
                     subtotal=net, cn_type="post_payment", reason=None,
                     memo="Remise de fin d'annee", party_name=c.billing_name)
        world.invoices.append(cn)
        if world.dialect.hosted_rebates:
            _host_rebate(world, cn, invs[c.client_id])
        world.exceptions.append(("year_end_rebate", "billing", cn.record_id,
                                 ("rebate of about 2 % of the year's invoices, no invoice "
                                 "credited")))

    for c in _by_role(world, "renamed"):
        world.exceptions.append(("renamed_party", "crm", c.crm_ids[0],
                                 (f"now '{c.crm_names[0]}', billing and ERP keep "
                                 f"'{c.legal_name}'")))

    for a, b in twin_pairs(world):
        ct_a, ct_b = contract_of[a.client_id], contract_of[b.client_id]
        ct_b.amount, ct_b.list_amount, ct_b.discount_bp = ct_a.amount, None, None
        for inv in invs[b.client_id]:
            _set_net(inv, ct_a.amount)
        for x, y in ((a, b), (b, a)):
            world.decoys.append(("crm", x.crm_ids[0],
                                 (f"near-identical name to '{y.crm_names[0]}': distinct "
                                 f"clients, never merge")))


def _host_rebate(world: World, cn: Invoice, invoices: list[Invoice]) -> None:
    """Stripe needs an invoice on every credit note: the rebate sits on an earlier invoice it
    does not credit; its lines name the months it covers."""
    host = next((i for i in invoices if i.issue < add_months(world.month, -1)), invoices[0])
    cn.credited, cn.rebate = host.record_id, True
    if -cn.net > host.net:
        _set_net(cn, -host.net)
    months = f"janvier a {MONTHS_FR[world.month.month - 1].lower()} {world.month.year}"
    cn.memo = rng_memo = f"Remise de fin d'annee {world.month.year} (RFA)"
    cn.lines_text = f"{rng_memo} - chiffre d'affaires {months}"


def _typing_error(rng: random.Random, amount: int) -> int:
    """A booking error on the 411 line: transposed digits, or a slipped digit."""
    digits = str(amount)
    for _ in range(10):
        i = rng.randrange(len(digits) - 1)
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
        if swapped != digits and not swapped.startswith("0"):
            return int(swapped) - amount
    return rng.choice((-1, 1)) * rng.choice((1000, 10_000, 90))


def _credit_note(world: World, rng: random.Random, c: Client, inv: Invoice, net: int,
                 issue: date, cn_type: str, reason: str) -> Invoice:
    cn = Invoice(record_id=_ids(world).stripe("cn_"), number="", client_id=c.client_id,
                 doc_type="credit_note", issue=issue, due=None, net=net, tax=tax_of(net),
                 subtotal=net, credited=inv.record_id, cn_type=cn_type, reason=reason,
                 party_name=c.billing_name)
    world.invoices.append(cn)
    return cn


def twin_pairs(world: World) -> list[tuple[Client, Client]]:
    """The near-identical-name pairs: (the client that pays, its twin)."""
    by_name = {c.base_name: c for c in world.clients if c.role in ("twin", "unresolved_twin")}
    pairs = []
    for c in world.clients:
        if c.role in ("twin", "unresolved_twin") and c.base_name + "s" in by_name:
            pairs.append((c, by_name[c.base_name + "s"]))
    return pairs


# =========================================================================== payment side
def inject_payment_scenarios(world: World) -> None:
    """Payment exceptions, decoys and the normal-but-notable cases; drops replaced payments."""
    rng = _rng(world)
    invs = _contract_invoices(world)
    clients = {c.client_id: c for c in world.clients}
    paying: dict[str, list[Payment]] = defaultdict(list)
    for p in world.payments:
        for inv_id, _ in p.allocations:
            paying[inv_id].append(p)

    def unpay(*targets: Invoice) -> None:
        for t in targets:
            for p in paying[t.record_id]:
                p.dropped = True

    def add(p: Payment) -> Payment:
        world.payments.append(p)
        return p

    m1 = _prev(world, 1)
    for c in _by_role(world, "partial"):
        inv = _of_month(invs[c.client_id], m1)
        unpay(inv)
        amount = pct_of(inv.amount, rng.randrange(3000, 7001))
        p = add(make_payment(world, rng, c, [inv], _day_in_month(world, rng, 2, 27), amount,
                             "partial_payment"))
        p.allocations = [(inv.record_id, amount)]
        _exc(world, "partial_payment", p, f"pays {amount} of {inv.number} ({inv.amount})")

    for c in _by_role(world, "over"):
        inv = _of_month(invs[c.client_id], m1)
        unpay(inv)
        amount = inv.amount + rng.randrange(501, 15_000)
        p = add(make_payment(world, rng, c, [inv], _day_in_month(world, rng, 2, 27), amount,
                             "overpayment"))
        _exc(world, "overpayment", p, f"{amount} for {inv.number} ({inv.amount})")

    for c in _by_role(world, "dup"):
        inv = _of_month(invs[c.client_id], m1)
        unpay(inv)
        first = add(make_payment(world, rng, c, [inv], _day_in_month(world, rng, 1, 15)))
        world.next_pid += 1
        second = add(replace(first, pid=world.next_pid,
                             date=business_day(first.date + timedelta(days=rng.randrange(3, 10)),
                                               not_after=world.month_end),
                             allocations=[], scenario="duplicate_payment"))
        _exc(world, "duplicate_payment", second, f"second payment of {inv.number}")

    for c in _by_role(world, "fee"):
        inv = _of_month(invs[c.client_id], m1)
        unpay(inv)
        fee = min(rng.randrange(100, 2501), max(100, inv.amount * 2 // 100 - 1))
        p = add(make_payment(world, rng, c, [inv], _day_in_month(world, rng, 2, 27),
                             inv.amount - fee, "bank_fee_deducted"))
        p.allocations = [(inv.record_id, p.amount)]
        _exc(world, "bank_fee_deducted", p, f"{inv.number} short by {fee}")

    for role, category in (("grouped", "grouped_payment"), ("grouped_refs", None)):
        for c in _by_role(world, role):
            when = _day_in_month(world, rng, 18, 28)
            open_items = [i for i in invs[c.client_id] if i.issue <= when - timedelta(days=2)]
            n = rng.randrange(2, min(5, len(open_items)) + 1)
            chosen = open_items[-n:]
            unpay(*chosen)
            p = add(make_payment(world, rng, c, chosen, when, None, category or "normal"))
            if category:
                month = MONTHS_FR[world.month.month - 1]
                p.remittance = rng.choice((f"REGLEMENT FACTURES {month}",
                                           f"PAIEMENT FACTURES {c.base_name.upper()}"[:35].strip(),
                                           f"VIREMENT FACTURES {month} {world.month.year}",
                                           "REGLEMENT SOLDE COMPTE"))
                p.structured_ref, p.e2e = None, "NOTPROVIDED"
                p.habit, p.identifiable = _unreferenced(world)
                _exc(world, category, p, " ".join(i.number for i in chosen))
            else:
                p.remittance = "FACTURES " + " ".join(i.number for i in chosen)
                p.structured_ref = None
                if not world.dialect.classic:
                    p.habit, p.identifiable = "exact", True
                world.normal_cases.append(("grouped_payment_with_references", f"payment:{p.pid}",
                                           " ".join(i.number for i in chosen)))

    for c in _by_role(world, "subsidiary"):
        parent = clients[c.parent_client] if c.parent_client else None
        if parent is None:
            continue
        inv = _of_month(invs[c.client_id], m1)
        unpay(inv)
        p = add(make_payment(world, rng, c, [inv], _day_in_month(world, rng, 2, 27), None,
                             "payer_is_other_entity"))
        p.payer_name, p.payer_iban = payer_name_variant(rng, parent), parent.ibans[0]
        p.payer_client = parent.client_id
        _exc(world, "payer_is_other_entity", p, f"{parent.client_id} pays {inv.number} of "
                                                f"{c.client_id}")

    for a, b in twin_pairs(world):
        inv_a, inv_b = _of_month(invs[a.client_id], m1), _of_month(invs[b.client_id], m1)
        unpay(inv_a, inv_b)
        surname, activity = a.base_name.rsplit(" ", 1)
        p = add(make_payment(world, rng, a, [inv_a], _day_in_month(world, rng, 2, 27), None,
                             "unresolved_party"))
        p.payer_name = f"{surname} {activity[:-2]}".upper()
        p.payer_iban = _ids(world).iban("FR")
        p.remittance, p.structured_ref, p.e2e = rng.choice((None, "VIREMENT", "PAIEMENT")), \
            None, "NOTPROVIDED"
        p.habit, p.identifiable = _unreferenced(world)
        _exc(world, "unresolved_party", p, f"name close to {a.client_id} and {b.client_id}; "
                                           f"truly pays {inv_a.number}")
        world.decoys.append(("bank", f"payment:{p.pid}",
                             (f"payer name close to two clients ({a.crm_names[0]} / "
                             f"{b.crm_names[0]}), unknown IBAN, no reference")))

    for c in _by_role(world, "same_amount"):
        oneoff = sorted((i for i in world.invoices if i.client_id == c.client_id
                         and i.doc_type == "invoice" and i not in invs[c.client_id]),
                        key=lambda i: i.issue)[:2]
        unpay(*oneoff)
        p = _no_reference(world, rng, c, oneoff[0], _day_in_month(world, rng, 5, 27))
        world.decoys.append(("bank", f"payment:{p.pid}",
                             (f"two open invoices of {oneoff[0].amount} ({oneoff[0].number}, "
                             f"{oneoff[1].number}); no reference; truly pays "
                             f"{oneoff[0].number}")))

    for c in _by_role(world, "recurring"):
        items = invs[c.client_id]
        unpay(*items)
        p = _no_reference(world, rng, c, items[0], _day_in_month(world, rng, 5, 27))
        world.decoys.append(("bank", f"payment:{p.pid}",
                             (f"identical monthly amounts {items[0].amount} open on "
                             f"{len(items)} invoices; no reference; truly pays "
                             f"{items[0].number}")))

    for c in _by_role(world, "netting"):
        inv = _of_month(invs[c.client_id], m1)
        unpay(inv)
        cn = _credit_note(world, rng, c, inv, -pct_of(inv.net, rng.randrange(500, 3001)),
                          _day_in_month(world, rng, 1, 8), "pre_payment", "order_change")
        p = add(make_payment(world, rng, c, [inv], _day_in_month(world, rng, 12, 27),
                             inv.amount + cn.amount))
        p.allocations = [(inv.record_id, p.amount)]
        world.normal_cases.append(("credit_note_netting", f"payment:{p.pid}",
                                   f"{inv.number} net of {cn.record_id}"))

    _unmatched(world, rng, len(_by_role(world, "partial")))
    _bank_charges(world, rng, len(_by_role(world, "partial")))
    world.payments = [p for p in world.payments if not p.dropped]


def _unreferenced(world: World) -> tuple[str, bool]:
    """(habit, identifiable) of a payment whose scenario removed every reference."""
    return ("classic", True) if world.dialect.classic else ("nothing", False)


def _exc(world: World, category: str, p: Payment, note: str) -> None:
    world.exceptions.append((category, "bank", f"payment:{p.pid}", note))


def _no_reference(world: World, rng: random.Random, c: Client, inv: Invoice,
                  when: date) -> Payment:
    p = make_payment(world, rng, c, [inv], when, None, "decoy")
    named = f"VIREMENT {c.base_name.upper()}"[:35].strip()
    p.remittance = rng.choice((None, named, "REGLEMENT"))
    p.structured_ref, p.e2e, p.channel = None, "NOTPROVIDED", "sct"
    p.habit, p.identifiable = _unreferenced(world)
    world.payments.append(p)
    return p


def _unmatched(world: World, rng: random.Random, k: int) -> None:
    amounts = {i.amount for i in world.invoices}
    for n in range(k):
        while True:
            amount = rng.randrange(2_000, 500_000)
            if amount not in amounts:
                break
        world.next_pid += 1
        p = Payment(pid=world.next_pid, date=_day_in_month(world, rng, 1, 28), amount=amount,
                    client_id=None, payer_client=None,
                    payer_name=UNKNOWN_PAYERS[(n + rng.randrange(len(UNKNOWN_PAYERS)))
                                              % len(UNKNOWN_PAYERS)],
                    payer_iban=_ids(world).iban("FR"),
                    remittance=rng.choice((None, "VIREMENT", "VIR SEPA", "REMBOURSEMENT")),
                    structured_ref=None, e2e="NOTPROVIDED", channel="sct",
                    scenario="unmatched_payment")
        world.payments.append(p)
        _exc(world, "unmatched_payment", p, "unknown payer, no reference, amount matches "
                                            "nothing")


def _bank_charges(world: World, rng: random.Random, k: int) -> None:
    month = f"{MONTHS_FR[world.month.month - 1]} {world.month.year}"
    labels = (f"FRAIS TENUE DE COMPTE {month}", "COMMISSION VIREMENT INTERNATIONAL",
              f"COTISATION OFFRE ENTREPRISE {month}", "FRAIS REJET PRELEVEMENT SEPA",
              "COMMISSION D INTERVENTION")
    for n in range(k):
        world.next_pid += 1
        p = Payment(pid=world.next_pid, date=_day_in_month(world, rng, 1, 28),
                    amount=-rng.randrange(500, 9_500), client_id=None, payer_client=None,
                    payer_name=None, payer_iban=None, remittance=labels[n % len(labels)],
                    structured_ref=None, e2e=None, channel="fee", scenario="bank_charge")
        world.payments.append(p)
        _exc(world, "bank_charge", p, "bank fee debit on our account")

