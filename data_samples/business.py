"""Build the ordinary business of the world: clients, CRM commitments, invoices of the window.

Everything is drawn from one `random.Random(seed)` in a fixed order (see `model`).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from data_samples.dialects import CLASSIC, Dialect
from data_samples.ids import (
    Ids,
    Names,
    add_months,
    draw_amount,
    fr_vat,
    month_end,
    pct_of,
    tax_of,
)
from data_samples.model import (
    ROLES_PER_K,
    SINGLE_ROLES,
    VOLUMES,
    Client,
    Contract,
    Invoice,
    Opportunity,
    Volume,
    World,
    min_clients,
    scenario_count,
)
from data_samples.words import FOREIGN, FRENCH_FORMS, OPP_PROJECTS


def build_world(n_clients: int, seed: int, month: date, history_months: int,
                volume: Volume = VOLUMES["default"], dialect: Dialect = CLASSIC) -> World:
    """Clients, CRM commitments and invoices of the window; no payments yet."""
    rng = random.Random(seed)
    ids = Ids(rng)
    names = Names(rng)
    k = scenario_count(n_clients, volume.scenarios_per_100)
    if n_clients < min_clients(k, dialect):
        raise ValueError(f"--clients must be at least {min_clients(k, dialect)} to hold every "
                         "scenario")
    company_siren = ids.siren()
    world = World(seed=seed, month=month, first_month=add_months(month, -history_months),
                  company_siren=company_siren, company_iban=ids.iban("FR"),
                  company_name="Nexalia Software SAS", dialect=dialect)
    roles = [r for r in ROLES_PER_K for _ in range(k)] + list(SINGLE_ROLES)
    roles += ["ordinary"] * (n_clients - len(roles))
    rng.shuffle(roles)
    _make_clients(world, roles, rng, ids, names)
    _make_commitments(world, rng, ids)
    if volume.orders_per_client > 0:
        _make_extra_orders(world, rng, ids, volume.orders_per_client)
    _make_invoices(world, rng, ids)
    world._ids = ids  # type: ignore[attr-defined]
    world._rng = rng  # type: ignore[attr-defined]
    world._k = k  # type: ignore[attr-defined]
    # the dialect's own draws come from a second stream, so `classic` keeps its bytes
    world._drng = random.Random(f"{seed}:{dialect.name}")  # type: ignore[attr-defined]
    return world


def _make_clients(world: World, roles: list[str], rng: random.Random, ids: Ids,
                  names: Names) -> None:
    twin_queues: dict[str, list[str]] = {"twin": [], "unresolved_twin": []}
    parents: list[Client] = []
    subsidiaries: list[Client] = []
    for i, role in enumerate(roles, start=1):
        foreign = rng.random() < 0.05 and role not in ("twin", "unresolved_twin", "parent",
                                                       "subsidiary")
        if role == "fee" and rng.random() < 0.5:
            foreign = True
        if role in twin_queues:
            other = "unresolved_twin" if role == "twin" else "twin"
            if twin_queues[role]:
                base = twin_queues[role].pop()
            else:
                base, twin_name = names.twin_pair()
                twin_queues[other].append(twin_name)
        else:
            base = names.company()
        if foreign:
            country, form = rng.choice(FOREIGN)
            siren, vat = None, None
            if country == "DE":
                vat = f"DE{rng.randrange(10**8, 10**9)}"
        else:
            country = "FR"
            form = rng.choice(FRENCH_FORMS)
            siren = ids.siren() if rng.random() < 0.95 else None
            vat = fr_vat(siren) if siren and rng.random() < 0.85 else None
        if role in ("twin", "unresolved_twin"):
            form = "SAS" if role == "twin" else "SARL"
        payer = _payer_profile(rng, role)
        ibans = [ids.iban(country)]
        if rng.random() < 0.15:
            ibans.append(ids.iban(country))
        legal = f"{base} {form}"
        billing_name = legal if rng.random() < 0.7 else base
        erp_name = legal.upper()[:30].strip()
        c = Client(
            client_id=f"K{i:05d}", base_name=base, legal_form=form, country=country,
            siren=siren, vat=vat, ibans=ibans, crm_ids=[ids.sf("001")], crm_names=[legal],
            billing_id=ids.stripe("cus_", 14), erp_aux=ids.aux(), billing_name=billing_name,
            erp_name=erp_name, payer=payer, role=role,
            billing_meta=rng.random() < 0.85, crm_refs=rng.random() < 0.7,
            email_domain=_domain(base, country),
        )
        if role == "renamed":
            new = names.company()
            c.crm_names = [f"{new} {form}"]
        if role == "two_entity":
            c.crm_ids.append(ids.sf("001"))
            c.crm_names.append(f"{base} Services {rng.choice(('SARL', 'SAS'))}")
        if role == "parent":
            parents.append(c)
        if role == "subsidiary":
            subsidiaries.append(c)
        world.clients.append(c)
    for parent, sub in zip(parents, subsidiaries, strict=False):
        sub.parent_client = parent.client_id
        if not parent.base_name.startswith("Groupe"):
            group = f"Groupe {parent.base_name.split()[0]}"
            if names.reserve(group):
                parent.base_name = group
                parent.crm_names = [f"{group} {parent.legal_form}"]
                parent.billing_name = parent.crm_names[0]
                parent.erp_name = parent.crm_names[0].upper()[:30].strip()


def _payer_profile(rng: random.Random, role: str) -> str:
    if role == "cn_lettered":
        return "prompt"
    if role in ("partial", "over", "dup", "fee", "grouped", "subsidiary", "same_amount",
                "recurring", "netting", "grouped_refs", "twin", "unresolved_twin", "renamed"):
        return "normal"
    x = rng.random()
    return "sdd" if x < 0.2 else "prompt" if x < 0.45 else "normal" if x < 0.85 else "late"


def _domain(base: str, country: str) -> str:
    slug = "".join(ch for ch in base.lower() if ch.isalnum())[:18] or "client"
    return f"{slug}.{ {'FR': 'fr', 'DE': 'de', 'GB': 'co.uk', 'NL': 'nl'}[country] }"


def _make_commitments(world: World, rng: random.Random, ids: Ids) -> None:
    m = world.month
    for c in world.clients:
        account = c.crm_ids[0]
        monthly_only = c.role not in ("ordinary", "parent", "two_entity")
        freq = "monthly"
        if not monthly_only:
            x = rng.random()
            freq = "monthly" if x < 0.8 else "quarterly" if x < 0.92 else "annual"
        amount = draw_amount(rng, freq)
        if c.role == "fee":
            amount = max(amount, 30_000)
        discount = None
        if c.role == "discount_na" or (c.role == "ordinary" and rng.random() < 0.15):
            discount = rng.choice((500, 1000, 1500, 2000))
        term = rng.choice((12, 12, 24, 36))
        auto_renew = rng.random() < 0.6
        months_ago = rng.randrange(len(world.history_months()), 40)
        start = add_months(m, -months_ago).replace(day=rng.randrange(1, 29))
        if c.role == "drift":
            auto_renew, term = True, 12
            start = date(m.year - rng.choice((1, 2)), m.month, rng.randrange(1, 16))
        if c.role == "recurring" or c.role == "grouped":
            start = min(start, add_months(world.first_month, -1))
        start = min(start, add_months(world.first_month, -1)) if freq == "monthly" else start
        end = add_months(start, term) - timedelta(days=1)
        while auto_renew and end < month_end(m):
            end = add_months(end + timedelta(days=1), term) - timedelta(days=1)
        if not auto_renew and end < month_end(m):
            end = add_months(month_end(m), rng.randrange(1, 20))
        list_amount = None
        if discount:
            list_amount = amount
            amount = amount - pct_of(amount, discount)
        contract = Contract(
            record_id=ids.sf("800"), number=ids.contract_number(), client_id=c.client_id,
            account_id=account, name=f"{c.base_name} - Abonnement {freq_label(freq)}",
            frequency=freq, amount=amount, list_amount=list_amount, discount_bp=discount,
            start=start, end=end, term=term, auto_renew=auto_renew, status="Activated")
        world.contracts.append(contract)
        world.opportunities.append(Opportunity(
            record_id=ids.sf("006"), client_id=c.client_id, account_id=account,
            name=f"{c.base_name} - Abonnement {start.year}", stage="Closed Won", is_won=True,
            amount=contract.list_amount or contract.amount,
            close_date=start - timedelta(days=rng.randrange(3, 30)),
            contract_id=contract.record_id))
        if c.role == "ordinary" and rng.random() < 0.06:
            old_start = add_months(start, -rng.randrange(30, 50))
            world.contracts.append(Contract(
                record_id=ids.sf("800"), number=ids.contract_number(), client_id=c.client_id,
                account_id=account, name=f"{c.base_name} - Ancien contrat", frequency="monthly",
                amount=draw_amount(rng, "monthly"), list_amount=None, discount_bp=None,
                start=old_start, end=add_months(old_start, 24) - timedelta(days=1), term=24,
                auto_renew=False, status="Expired"))
        if c.role == "same_amount" or (c.role == "ordinary" and rng.random() < 0.12):
            n_opps = 2 if c.role == "same_amount" else 1
            amount_o = draw_amount(rng, "one_off")
            for j in range(n_opps):
                close = world.first_month + timedelta(days=rng.randrange(
                    0, (month_end(m) - world.first_month).days - 5))
                if c.role == "same_amount":
                    close = add_months(m, -1).replace(day=5 + 10 * j)
                world.opportunities.append(Opportunity(
                    record_id=ids.sf("006"), client_id=c.client_id, account_id=account,
                    name=f"{c.base_name} - {rng.choice(OPP_PROJECTS)}", stage="Closed Won",
                    is_won=True, amount=amount_o, close_date=close))
        if c.role == "ordinary" and rng.random() < 0.1:
            world.opportunities.append(Opportunity(
                record_id=ids.sf("006"), client_id=c.client_id, account_id=account,
                name=f"{c.base_name} - {rng.choice(OPP_PROJECTS)}",
                stage=rng.choice(("Closed Lost", "Negotiation/Review", "Proposal/Price Quote")),
                is_won=False, amount=draw_amount(rng, "one_off"),
                close_date=month_end(m) + timedelta(days=rng.randrange(-40, 60))))


# Typical days from issue to payment, per payment habit (SDD: issue + 7, then the 5th/20th).
TYPICAL_DELAY = {"sdd": 12, "prompt": 10, "normal": 28, "late": 48}


def _make_extra_orders(world: World, rng: random.Random, ids: Ids, per_client: float) -> None:
    """Extra one-off won opportunities, issued so that they fall due and are paid in the month.

    Each client (except the `same_amount` decoys, whose one-off invoices are the decoy) gets
    `per_client` of them on average; the issue date is a day of the month minus the client's
    typical payment delay, so the ordinary payment plan pays most of them in the month.
    """
    whole, frac = int(per_client), per_client - int(per_client)
    first, days = world.first_month, (world.month_end - world.month).days + 1
    for c in world.clients:
        if c.role == "same_amount":
            continue
        for _ in range(whole + (1 if rng.random() < frac else 0)):
            target = world.month + timedelta(days=rng.randrange(days))
            close = max(first, target - timedelta(days=TYPICAL_DELAY[c.payer] + 2))
            world.opportunities.append(Opportunity(
                record_id=ids.sf("006"), client_id=c.client_id, account_id=c.crm_ids[0],
                name=f"{c.base_name} - {rng.choice(OPP_PROJECTS)}", stage="Closed Won",
                is_won=True, amount=draw_amount(rng, "one_off"), close_date=close))


def freq_label(freq: str) -> str:
    return {"monthly": "mensuel", "quarterly": "trimestriel", "annual": "annuel"}[freq]


def billing_months(contract: Contract, months: list[date]) -> list[date]:
    """The months of the window in which a contract issues an invoice."""
    out = []
    for mo in months:
        if contract.status != "Activated":
            continue
        bill_day = mo.replace(day=min(contract.start.day, 28))
        if bill_day < contract.start or bill_day > contract.end:
            continue
        diff = (mo.year - contract.start.year) * 12 + mo.month - contract.start.month
        step = {"monthly": 1, "quarterly": 3, "annual": 12}[contract.frequency]
        if diff % step == 0:
            out.append(mo)
    return out


def _make_invoices(world: World, rng: random.Random, ids: Ids) -> None:
    months = world.history_months()
    # Invoice numbers continue the year's sequence: earlier months of the year already used some.
    per_month = max(1, len(world.clients) * 11 // 10)
    world.invoice_seq_start = per_month * (months[0].month - 1) + rng.randrange(0, 50)
    clients = {c.client_id: c for c in world.clients}
    items: list[tuple[date, int, object]] = []
    for n, ct in enumerate(world.contracts):
        for mo in billing_months(ct, months):
            items.append((mo.replace(day=min(ct.start.day, 28)), n, ct))
    for n, op in enumerate(world.opportunities):
        if op.is_won and op.contract_id is None and op.close_date >= world.first_month:
            issue = op.close_date + timedelta(days=rng.randrange(0, 6))
            if issue <= world.month_end:
                items.append((issue, 100_000_000 + n, op))
    items.sort(key=lambda t: (t[0], t[1]))
    for issue, _, src in items:
        c = clients[src.client_id]  # type: ignore[attr-defined]
        number = ""
        if isinstance(src, Contract):
            net = src.amount
            subtotal = src.list_amount or src.amount
            step = {"monthly": 1, "quarterly": 3, "annual": 12}[src.frequency]
            inv = Invoice(record_id=ids.stripe("in_"), number=number, client_id=c.client_id,
                          doc_type="invoice", issue=issue, due=None, net=net, tax=tax_of(net),
                          subtotal=subtotal, commitment_ref=src.number,
                          commitment_id=src.record_id, period_start=issue,
                          period_end=add_months(issue, step) - timedelta(days=1))
        else:
            net = src.amount  # type: ignore[attr-defined]
            inv = Invoice(record_id=ids.stripe("in_"), number=number, client_id=c.client_id,
                          doc_type="invoice", issue=issue, due=None, net=net, tax=tax_of(net),
                          subtotal=net, commitment_ref=src.record_id,  # type: ignore[attr-defined]
                          commitment_id=src.record_id,  # type: ignore[attr-defined]
                          po_number=f"PO-{issue.year}-{rng.randrange(100, 999)}"
                          if rng.random() < 0.4 else None)
        inv.due = issue + timedelta(days=10 if c.payer == "sdd" else 30)
        inv.party_name = c.billing_name
        world.invoices.append(inv)

