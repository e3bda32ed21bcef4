"""The accountant's habits in the lettered history: what `reconkit audit` should find there.

Earlier-month receipts are not all exact. Like a real receivables ledger, some were short of
the invoice by a fee an intermediary bank kept (booked to 627), by an early-payment discount
the client took (665), or by a few euros not worth chasing (658); a few paid a little more
(758). The accountant booked the gap in the receipt's own bank entry and lettered the receipt
with the invoice. Subsidiaries' earlier invoices were paid by their parent company (its name on
the transfer), lettered on the subsidiary's account.

Every number the generator uses for these habits is here; `tests/test_audit_mining.py`
asserts that mining the committed sample recovers each one (account, support, tolerance) and
every parent -> subsidiary pair. Draws come from their own `Random("<seed>:history")`, so the
rest of the world keeps its bytes. The truth lists each case in `normal_cases.csv`
(`earlier_receipt_written_off`, `earlier_receipt_paid_by_parent`, erp record ids).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from data_samples.model import Client, Invoice, Payment, World
from data_samples.payments import payer_name_variant

WRITTEN_OFF_CASE = "earlier_receipt_written_off"
PARENT_PAID_CASE = "earlier_receipt_paid_by_parent"


@dataclass(frozen=True)
class WriteOffHabit:
    """Earlier receipts the ledger closed with a difference booked to `account`.

    The gap is drawn between `min_cents` and `max_cents` (a discount: `rate_bp` of the
    invoice), never over `max_bp` of the invoice; `short`: the client paid less (else more).
    `per_100`: receipts per 100 clients; `days_max`: only receipts paid within that many
    days of the invoice (an early-payment discount is taken by prompt payers)."""

    account: str
    account_lib: str
    label: str
    per_100: int
    short: bool
    min_cents: int = 0
    max_cents: int = 0
    max_bp: int = 10_000
    rate_bp: tuple[int, ...] = ()
    days_max: int | None = None


# 627 within the default catalog's PAY-FEE tolerance (25.00 EUR and 2% of the open amount)
BANK_FEE = WriteOffHabit("627800", "Frais bancaires", "Frais bancaires retenus", per_100=4,
                         short=True, min_cents=150, max_cents=2500, max_bp=200)
DISCOUNT = WriteOffHabit("665000", "Escomptes accordes", "Escompte pour paiement anticipe",
                         per_100=3, short=True, rate_bp=(100, 150, 200), max_bp=200,
                         days_max=15)
SMALL_SHORT = WriteOffHabit("658000", "Charges diverses de gestion courante",
                            "Ecart de reglement passe en perte", per_100=2, short=True,
                            min_cents=1, max_cents=500, max_bp=100)
SMALL_OVER = WriteOffHabit("758000", "Produits divers de gestion courante",
                           "Ecart de reglement passe en produit", per_100=1, short=False,
                           min_cents=1, max_cents=500, max_bp=100)
WRITE_OFF_HABITS = (BANK_FEE, DISCOUNT, SMALL_SHORT, SMALL_OVER)
HABIT_BY_ACCOUNT = {h.account: h for h in WRITE_OFF_HABITS}
# every earlier receipt of a subsidiary (by transfer) was sent by its parent company
PARENT_PAYS_EARLIER = True


def habit_count(habit: WriteOffHabit, n_clients: int) -> int:
    """How many earlier receipts follow the habit in a world of `n_clients`."""
    return max(1, habit.per_100 * n_clients // 100)


def _eligible(world: World, clients: dict[str, Client],
              invoices: dict[str, Invoice]) -> list[Payment]:
    """Earlier-month transfers of ordinary clients paying one booked invoice exactly."""
    out = []
    for p in world.payments:
        if (p.date >= world.month or p.channel != "sct" or p.scenario != "normal"
                or len(p.allocations) != 1 or p.client_id is None
                or clients[p.client_id].role != "ordinary"):
            continue
        inv = invoices[p.allocations[0][0]]
        if inv.in_ledger and inv.ledger_delta == 0 and inv.amount == p.amount \
                and p.allocations[0][1] == p.amount:
            out.append(p)
    return sorted(out, key=lambda p: p.pid)


def _gap(rng: random.Random, habit: WriteOffHabit, amount: int) -> int:
    """The difference written off for an invoice of `amount` cents (positive cents)."""
    ceiling = amount * habit.max_bp // 10_000
    if habit.rate_bp:
        return min(amount * rng.choice(habit.rate_bp) // 10_000, ceiling)
    return max(1, min(rng.randrange(habit.min_cents, habit.max_cents + 1), ceiling))


def apply_history_habits(world: World) -> None:
    """Give earlier receipts the write-offs and parent payers of `WRITE_OFF_HABITS` and
    `PARENT_PAYS_EARLIER` (the payment keeps its allocation to the full invoice; its amount
    is what the bank received)."""
    rng = random.Random(f"{world.seed}:history")
    clients = {c.client_id: c for c in world.clients}
    invoices = {i.record_id: i for i in world.invoices}
    pool = _eligible(world, clients, invoices)
    for habit in WRITE_OFF_HABITS:
        fits = [p for p in pool if habit.days_max is None
                or (p.date - invoices[p.allocations[0][0]].issue).days <= habit.days_max]
        chosen = rng.sample(fits, min(habit_count(habit, len(world.clients)), len(fits)))
        for p in sorted(chosen, key=lambda p: p.pid):
            gap = _gap(rng, habit, p.amount)
            p.amount += -gap if habit.short else gap
            p.write_off = (habit.account, gap if habit.short else -gap)
            pool.remove(p)
    if not PARENT_PAYS_EARLIER:
        return
    for p in sorted(world.payments, key=lambda p: p.pid):
        c = clients.get(p.client_id or "")
        if (c is None or c.role != "subsidiary" or not c.parent_client or p.channel != "sct"
                or p.date >= world.month or p.scenario != "normal"):
            continue
        parent = clients[c.parent_client]
        p.payer_name = payer_name_variant(rng, parent)
        p.payer_iban, p.payer_client = parent.ibans[0], parent.client_id
        p.parent_paid = True
