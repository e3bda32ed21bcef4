"""Real-world conventions of the realistic dialects, applied to the ordinary world.

`before_scenarios` reshapes the business (self-serve customers, tacit renewals, prorated first
invoices, carry-over from earlier months) and `after_invoice_scenarios` gives every document its
billing-side habits (subscription ids, partial metadata, line texts, per-customer numbering
prefixes, timestamps after midnight). Never called for `classic`. Every draw comes from the
dialect's own stream `world._drng`, in list order, so outputs stay byte-deterministic.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from data_samples.ids import (
    BASE62,
    Ids,
    add_months,
    base62,
    business_day,
    draw_amount,
    month_end,
    pct_of,
    tax_of,
)
from data_samples.model import Client, Contract, Invoice, Opportunity, World, dialect_roles
from data_samples.words import OPP_PROJECTS

PRODUCTS = ("Nexalia Pro", "Nexalia Business", "Nexalia Essentiel", "Nexalia Entreprise")
QUANTITIES = (1, 1, 2, 3, 5, 10, 20, 25)
PERIOD_FR = {"monthly": "mois", "quarterly": "trimestre", "annual": "an"}
MONTHS_SHORT = ("janv.", "fevr.", "mars", "avr.", "mai", "juin", "juil.", "aout", "sept.", "oct.",
                "nov.", "dec.")
PREFIX_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _drng(world: World) -> random.Random:
    rng: random.Random = world._drng  # type: ignore[attr-defined]
    return rng


def _ids(world: World) -> Ids:
    ids: Ids = world._ids  # type: ignore[attr-defined]
    return ids


def euros_fr(cents: int) -> str:
    """`1 234,50` as a French invoice line shows an amount."""
    whole, frac = divmod(abs(cents), 100)
    return f"{whole:,}".replace(",", "\u202f") + f",{frac:02d}"


def _by_role(world: World, role: str) -> list[Client]:
    return [c for c in world.clients if c.role == role]


def _active_contract(world: World, c: Client) -> Contract:
    return next(ct for ct in world.contracts if ct.client_id == c.client_id
                and ct.status == "Activated")


def _due(c: Client, issue: date) -> date:
    return issue + timedelta(days=10 if c.payer == "sdd" else 30)


# =========================================================================== business shape
def before_scenarios(world: World) -> None:
    """Self-serve customers, tacit renewals, prorated first invoices, carry-over."""
    _assign_roles(world)
    _self_serve(world)
    _tacit_renewals(world)
    _prorated_first_invoices(world)
    _carry_over(world)


def _assign_roles(world: World) -> None:
    """Turn ordinary clients into the dialect's cases (tacit renewals need a monthly plan)."""
    rng = _drng(world)
    roles = dialect_roles(world.dialect, world._k)  # type: ignore[attr-defined]
    monthly = {ct.client_id for ct in world.contracts
               if ct.status == "Activated" and ct.frequency == "monthly"}
    pool = [c for c in world.clients if c.role == "ordinary"]
    rng.shuffle(pool)
    for role in sorted(roles, key=lambda r: r != "tacit"):  # tacit first: the pickiest
        c = next((c for c in pool if c.role == "ordinary"
                  and (role != "tacit" or c.client_id in monthly)), None)
        if c is None:
            raise ValueError("too few ordinary clients for the dialect's cases: add clients")
        c.role = role


def _self_serve(world: World) -> None:
    for c in _by_role(world, "self_serve"):
        c.in_crm, c.billing_meta, c.crm_refs = False, False, False
        for ct in world.contracts:
            if ct.client_id == c.client_id:
                ct.in_crm = False
        world.opportunities = [o for o in world.opportunities if o.client_id != c.client_id]
        own = {ct.record_id for ct in world.contracts if ct.client_id == c.client_id}
        for inv in world.invoices:
            if inv.client_id == c.client_id:
                if inv.commitment_id in own:
                    inv.subscription_id = inv.commitment_id  # resolved by after_invoice_scenarios
                inv.commitment_id, inv.commitment_ref, inv.po_number = None, None, None
        world.exceptions.append(("party_not_in_crm", "billing", c.billing_id,
                                 "self-serve Stripe customer, no CRM account"))


def _tacit_renewals(world: World) -> None:
    """The CRM still shows the term that ended before this month's invoice, at the old price;
    billing renewed tacitly and indexed the price."""
    m = world.month
    rng = _drng(world)
    for c in _by_role(world, "tacit"):
        ct = _active_contract(world, c)
        bill = m.replace(day=min(ct.start.day, 28))
        ct.start, ct.term, ct.auto_renew = add_months(bill, -12), 12, True
        ct.end = bill - timedelta(days=1)
        for op in world.opportunities:
            if op.contract_id == ct.record_id:
                op.close_date = ct.start - timedelta(days=rng.randrange(3, 25))
        inv = next(i for i in world.invoices if i.commitment_id == ct.record_id
                   and (i.issue.year, i.issue.month) == (m.year, m.month))
        index_bp = rng.choice((200, 250, 300, 350, 400))
        inv.net = ct.amount + pct_of(ct.amount, index_bp)
        inv.tax, inv.subtotal = tax_of(inv.net), inv.net
        world.exceptions.append(("renewal_price_drift", "billing", inv.record_id,
                                 f"tacit renewal of {ct.number}: CRM ends {ct.end}, billed "
                                 f"+{index_bp} bp"))


def _prorated_first_invoices(world: World) -> None:
    """Some ordinary monthly subscriptions started last month: the first invoice covers the
    rest of that month, pro rata; billing is then anchored on the 1st."""
    rng, m = _drng(world), world.month
    share = world.dialect.prorated_first
    clients = {c.client_id: c for c in world.clients}
    for ct in list(world.contracts):
        c = clients[ct.client_id]
        if c.role != "ordinary" or ct.status != "Activated" or ct.frequency != "monthly":
            continue
        if rng.random() >= share:
            continue
        start = add_months(m, -1).replace(day=rng.randrange(2, 26))
        ct.start, ct.end = start, add_months(start, ct.term) - timedelta(days=1)
        for op in world.opportunities:
            if op.contract_id == ct.record_id:
                op.close_date = start - timedelta(days=rng.randrange(3, 20))
        world.invoices = [i for i in world.invoices if i.commitment_id != ct.record_id]
        dim = month_end(start).day
        days = dim - start.day + 1
        net = (ct.amount * days * 2 + dim) // (2 * dim)
        first = Invoice(record_id=_ids(world).stripe("in_"), number="", client_id=c.client_id,
                        doc_type="invoice", issue=start, due=_due(c, start), net=net,
                        tax=tax_of(net), subtotal=net, commitment_ref=ct.number,
                        commitment_id=ct.record_id, period_start=start,
                        period_end=month_end(start), party_name=c.billing_name, prorated=True)
        second = Invoice(record_id=_ids(world).stripe("in_"), number="", client_id=c.client_id,
                         doc_type="invoice", issue=m, due=_due(c, m), net=ct.amount,
                         tax=tax_of(ct.amount), subtotal=ct.list_amount or ct.amount,
                         commitment_ref=ct.number, commitment_id=ct.record_id, period_start=m,
                         period_end=month_end(m), party_name=c.billing_name)
        world.invoices += [first, second]
        world.normal_cases.append(("prorated_first_invoice", f"billing:{first.record_id}",
                                   f"{days}/{dim} of {ct.amount} for {ct.number}"))


def _carry_over(world: World) -> None:
    """Won deals of earlier months never billed; earlier invoices without any deal."""
    rng, ids = _drng(world), _ids(world)
    first, m = world.first_month, world.month
    for c in _by_role(world, "carry_unbilled"):
        close = first + timedelta(days=rng.randrange(0, (m - first).days - 3))
        op = Opportunity(record_id=ids.sf("006"), client_id=c.client_id,
                         account_id=c.crm_ids[0],
                         name=f"{c.base_name} - {rng.choice(OPP_PROJECTS)}", stage="Closed Won",
                         is_won=True, amount=draw_amount(rng, "one_off"), close_date=close)
        world.opportunities.append(op)
        world.exceptions.append(("unbilled_commitment", "crm", op.record_id,
                                 f"won {close}, never invoiced"))
    for c in _by_role(world, "carry_orphan"):
        issue = business_day(first + timedelta(days=rng.randrange(0, (m - first).days - 3)))
        net = draw_amount(rng, "one_off")
        inv = Invoice(record_id=ids.stripe("in_"), number="", client_id=c.client_id,
                      doc_type="invoice", issue=issue, due=issue + timedelta(days=30), net=net,
                      tax=tax_of(net), subtotal=net, party_name=c.billing_name,
                      memo="Prestation complementaire")
        world.invoices.append(inv)
        world.exceptions.append(("invoice_without_commitment", "billing", inv.record_id,
                                 f"issued {issue}, no contract or opportunity"))


# =========================================================================== billing habits
def after_invoice_scenarios(world: World) -> None:
    """Subscription ids and products, partial metadata, PO fields, line texts, timestamps,
    per-customer numbering prefixes."""
    d, rng = world.dialect, _drng(world)
    contracts = {ct.record_id: ct for ct in world.contracts}
    for ct in world.contracts:
        ct.subscription_id = "sub_" + base62(rng, 24)
        ct.product = rng.choice(PRODUCTS)
        ct.quantity = rng.choice([q for q in QUANTITIES if ct.amount % q == 0
                                  and ct.amount // q >= 1000] or [1])
    # some clients' purchasing departments issue a yearly PO (SAP style) for the subscription
    yearly_po = {c.client_id: f"45{rng.randrange(10**7, 10**8)}" for c in world.clients
                 if rng.random() < d.subscription_po}
    for inv in world.invoices:
        if inv.doc_type != "invoice":
            continue
        # self-serve invoices lost their commitment; `_self_serve` left the contract id behind
        found = contracts.get(inv.commitment_id or "") or \
            contracts.get(inv.subscription_id or "")
        if found is not None:
            sub = ct = found
            inv.subscription_id = sub.subscription_id
            inv.po_number = inv.po_number or yearly_po.get(inv.client_id)
            inv.crm_meta = ct.in_crm and rng.random() < d.subscription_crm_meta
            unit = euros_fr(sub.amount // sub.quantity)
            inv.lines_text = (f"{sub.quantity} × {sub.product} (à {unit} € / "
                              f"{PERIOD_FR[sub.frequency]})")
            if inv.prorated:
                start = inv.period_start or inv.issue
                inv.lines_text = (f"Temps restant sur {sub.quantity} × {sub.product} (à partir "
                                  f"du {start.day} {MONTHS_SHORT[start.month - 1]} "
                                  f"{start.year})")
        else:
            inv.crm_meta = inv.commitment_id is not None and rng.random() < d.services_crm_meta
            inv.lines_text = inv.memo or _opportunity_name(world, inv) or "Prestation"
        if inv.po_number:
            inv.po_custom = rng.random() < d.po_custom_field
    for inv in world.invoices:
        if rng.random() < d.utc_midnight:
            inv.created_minute = rng.randrange(1, 55)
    _prefixes(world, rng)


def _opportunity_name(world: World, inv: Invoice) -> str | None:
    cache = getattr(world, "_opp_names", None)
    if cache is None:
        cache = {o.record_id: o.name.split(" - ", 1)[-1] for o in world.opportunities}
        world._opp_names = cache  # type: ignore[attr-defined]
    name: str | None = cache.get(inv.commitment_id or "")
    return name


def _prefixes(world: World, rng: random.Random) -> None:
    """Stripe `invoice_prefix` per customer (3-12 upper-case letters or digits; random 8-char
    ones may start with a digit) and the invoices numbered before the window."""
    d = world.dialect
    seen: set[str] = set()
    for c in world.clients:
        while True:
            if rng.random() < d.random_prefixes:
                head = rng.choice("0123456789") if rng.random() < d.digit_led_prefixes \
                    else rng.choice(PREFIX_ALPHABET[10:])
                prefix = head + "".join(rng.choice(PREFIX_ALPHABET) for _ in range(7))
            else:
                letters = "".join(ch for ch in c.base_name.upper() if ch.isalpha())
                prefix = letters[:rng.randrange(3, 10)]
                if rng.random() < d.digit_led_prefixes:
                    prefix = f"{rng.randrange(10, 99)}{prefix}"[:12]
                elif rng.random() < 0.4:
                    prefix = f"{prefix}{rng.randrange(1, 99):02d}"[:12]
            if len(prefix) >= 3 and prefix not in seen:
                seen.add(prefix)
                break
        c.invoice_prefix = prefix
        c.invoice_seq = rng.randrange(0, 40)
    assert all(ch in BASE62 for c in world.clients for ch in c.invoice_prefix or "")
