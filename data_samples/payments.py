"""The ordinary payment of every invoice: numbering, payer names, remittance text, channels.

Classic remittance habits live here; the realistic dialects' habits are in `remittance`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from data_samples import remittance
from data_samples.ids import Ids, add_months, business_day, rf_reference
from data_samples.model import Client, Invoice, Payment, World
from data_samples.words import MONTHS_FR

# --------------------------------------------------------------------------- payments
SDD_DAYS = (5, 20)


def sdd_date(after: date, not_after: date | None = None) -> date:
    """The first direct-debit collection day (the 5th or the 20th, business day) on/after."""
    d = after.replace(day=1)
    while True:
        for day in SDD_DAYS:
            cand = business_day(d.replace(day=day))
            if cand >= after:
                return cand
        d = add_months(d, 1)


def payer_name_variant(rng: random.Random, c: Client, crm_name: bool = False) -> str:
    """The payer name as a bank shows it: upper case, maybe no legal form, `STE`, truncated."""
    legal = c.crm_names[0] if crm_name else c.legal_name
    base = legal.rsplit(" ", 1)[0]
    x = rng.random()
    if x < 0.35:
        name = legal.upper()
    elif x < 0.6:
        name = base.upper()
    elif x < 0.72:
        name = "STE " + base.upper()
    elif x < 0.85:
        name = legal
    else:
        name = f"{base.upper()} {c.legal_form}"
    return name[:35].strip()


def noisy_number(rng: random.Random, number: str) -> tuple[str, str]:
    """The invoice number as a payer types it, with the kind of noise applied."""
    year, seq = number[2:6], number[7:]
    x = rng.random()
    if x < 0.40:
        return number, "exact"
    if x < 0.55:
        return number.replace("-", ""), "compact"
    if x < 0.68:
        return f"F-{year}-{int(seq)}", "zeros_dropped"
    if x < 0.80:
        return number.lower(), "lower_case"
    if x < 0.90 and "0" in seq:
        i = rng.choice([j for j, ch in enumerate(seq) if ch == "0"])
        return f"F-{year}-{seq[:i]}O{seq[i + 1:]}", "o_for_zero"
    i = rng.randrange(len(seq))
    letter = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"}.get(seq[i], "X")
    return f"F-{year}-{seq[:i]}{letter}{seq[i + 1:]}", "typo"


def transfer_remittance(rng: random.Random, numbers: list[str], c: Client,
                        when: date) -> tuple[str | None, str | None, str | None]:
    """(unstructured text, structured RF ref, end-to-end id) of a credit transfer."""
    e2e = "NOTPROVIDED" if rng.random() < 0.5 else f"E2E{rng.randrange(10**9, 10**10)}"
    if len(numbers) == 1 and rng.random() < 0.15:
        text = rng.choice((None, "PAIEMENT FOURNISSEUR", f"VIR {c.base_name.upper()}"))
        return text, rf_reference(numbers[0]), e2e
    shown = [noisy_number(rng, n)[0] for n in numbers]
    refs = " ".join(shown)
    month = MONTHS_FR[when.month - 1]
    x = rng.random()
    if x < 0.3:
        text = f"FACTURE {refs}"
    elif x < 0.45:
        text = f"FACT {refs}"
    elif x < 0.6:
        text = f"REGLEMENT {refs} {c.base_name.upper()}"
    elif x < 0.75:
        text = refs
    elif x < 0.88:
        text = f"VIR {c.base_name.upper()} REF {refs} ECHEANCE {month} {when.year}"
        text = text[:35].strip()
        if shown[0] not in text:
            text = f"REF {refs}"
    else:
        text = f"PAIEMENT {refs} {month}"
    if rng.random() < 0.15:
        text = f"CLIENT {rng.randrange(100, 99999):05d} {text} CMD PO-{when.year}-" \
               f"{rng.randrange(100, 999)}"
    if len(numbers) == 1 and rng.random() < 0.08:
        e2e = numbers[0]
    return text[:140].strip(), None, e2e


def number_documents(world: World) -> None:
    """Invoice numbers in issue order (per year); credit notes `<invoice>-CN-nn` or `AV-...`."""
    ids: Ids = world._ids  # type: ignore[attr-defined]
    first_year = world.first_month.year
    ids.seed_invoice_counter(first_year, world.invoice_seq_start)
    for year in range(first_year + 1, world.month.year + 1):
        ids.seed_invoice_counter(year, 0)
    order = sorted(range(len(world.invoices)), key=lambda i: (world.invoices[i].issue, i))
    by_id = {i.record_id: i for i in world.invoices}
    cn_count: dict[str, int] = {}
    clients = {c.client_id: c for c in world.clients}
    for inv in world.invoices:
        if inv.doc_type == "credit_note" and inv.credited and inv.number:
            cn_count[inv.credited] = cn_count.get(inv.credited, 0) + 1
    for i in order:
        inv = world.invoices[i]
        if inv.number:
            continue
        if inv.doc_type == "invoice" and world.dialect.numbering == "per_customer":
            c = clients[inv.client_id]
            c.invoice_seq += 1
            inv.number = f"{c.invoice_prefix}-{c.invoice_seq:04d}"
        elif inv.doc_type == "invoice":
            inv.number = ids.invoice_number(inv.issue.year, inv.issue.month)
    for i in order:
        inv = world.invoices[i]
        if inv.number or inv.doc_type != "credit_note":
            continue
        if inv.credited:
            cn_count[inv.credited] = cn_count.get(inv.credited, 0) + 1
            inv.number = f"{by_id[inv.credited].number}-CN-{cn_count[inv.credited]:02d}"
        else:
            inv.number = ids.rebate_number(inv.issue.year)


def plan_payments(world: World) -> None:
    """The ordinary payment of every invoice, by each client's payment habit."""
    rng: random.Random = world._rng  # type: ignore[attr-defined]
    clients = {c.client_id: c for c in world.clients}
    end = world.month_end
    for inv in world.invoices:
        if inv.doc_type != "invoice":
            continue
        c = clients[inv.client_id]
        if c.role == "ordinary" and rng.random() < 0.02:
            continue  # disputed: stays open
        if c.payer == "sdd":
            when = sdd_date(inv.issue + timedelta(days=7))
        else:
            lo, hi = {"prompt": (5, 15), "normal": (18, 38), "late": (35, 62)}[c.payer]
            when = business_day(inv.issue + timedelta(days=rng.randrange(lo, hi + 1)))
        if when > end:
            continue
        world.payments.append(make_payment(world, rng, c, [inv], when))


def make_payment(world: World, rng: random.Random, c: Client, invs: list[Invoice], when: date,
                 amount: int | None = None, scenario: str = "normal") -> Payment:
    """A payment by client `c` of `invs` in full (or of `amount`), in its usual channel."""
    total = sum(i.amount for i in invs) if amount is None else amount
    allocations = [(i.record_id, i.amount) for i in invs]
    world.next_pid += 1
    pid = world.next_pid
    if not world.dialect.classic:
        return _realistic_payment(world, rng, c, invs, when, total, pid, scenario)
    if c.payer == "sdd" and len(invs) == 1 and scenario == "normal":
        month = MONTHS_FR[invs[0].issue.month - 1].lower()
        return Payment(pid=pid, date=when, amount=total, client_id=c.client_id,
                       payer_client=c.client_id, payer_name=c.legal_name.upper()[:70].strip(),
                       payer_iban=c.ibans[0],
                       remittance=f"Facture {invs[0].number} abonnement {month} "
                                  f"{invs[0].issue.year}",
                       structured_ref=None, e2e=invs[0].number, channel="sdd",
                       allocations=allocations, mandate=f"MDT-{c.erp_aux}-01", scenario=scenario)
    text, sref, e2e = transfer_remittance(rng, [i.number for i in invs], c, when)
    iban = c.ibans[0] if len(c.ibans) == 1 or rng.random() < 0.8 else c.ibans[1]
    return Payment(pid=pid, date=when, amount=total, client_id=c.client_id,
                   payer_client=c.client_id,
                   payer_name=payer_name_variant(rng, c, crm_name=c.role == "renamed"),
                   payer_iban=iban, remittance=text, structured_ref=sref, e2e=e2e,
                   channel="sct", allocations=allocations, scenario=scenario)


def _realistic_payment(world: World, rng: random.Random, c: Client, invs: list[Invoice],
                       when: date, total: int, pid: int, scenario: str) -> Payment:
    """A payment whose remittance follows the dialect's payer habits (`remittance`)."""
    allocations = [(i.record_id, i.amount) for i in invs]
    text: str | None
    if c.payer == "sdd" and len(invs) == 1 and scenario == "normal":
        text = remittance.direct_debit_text(invs[0], world.company_name.split()[0])
        if world.dialect.sdd_text == "invoice":
            text = f"Facture {invs[0].number}"
        return Payment(pid=pid, date=when, amount=total, client_id=c.client_id,
                       payer_client=c.client_id, payer_name=c.legal_name.upper()[:70].strip(),
                       payer_iban=c.ibans[0], remittance=text, structured_ref=None,
                       e2e=invs[0].number, channel="sdd", allocations=allocations,
                       mandate=f"MDT-{c.erp_aux}-01", scenario=scenario, habit="sdd_e2e")
    text, sref, e2e, habit, identifiable = remittance.credit_transfer(
        rng, world.dialect.habits, invs, c, when)
    iban = c.ibans[0] if len(c.ibans) == 1 or rng.random() < 0.8 else c.ibans[1]
    return Payment(pid=pid, date=when, amount=total, client_id=c.client_id,
                   payer_client=c.client_id,
                   payer_name=payer_name_variant(rng, c, crm_name=c.role == "renamed"),
                   payer_iban=iban, remittance=text, structured_ref=sref, e2e=e2e,
                   channel="sct", allocations=allocations, scenario=scenario, habit=habit,
                   identifiable=identifiable)
