"""The ERP side and the bank statement: bank entries, sales and bank journals, lettering, FEC.

Derived from the final world (after scenarios): the bank statement batches SDD collections per
day; the ledger books every document in `VT`, every payment booked so far in `BQ1`, and letters
earlier-month payments with the invoices they settle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from data_samples.history import HABIT_BY_ACCOUNT
from data_samples.ids import Ids
from data_samples.model import Client, Payment, World

JOURNALS = {"VT": "Ventes", "BQ1": "Banque BNP", "STR": "Stripe"}
BANK_ACCOUNT = ("512100", "Banque BNP")
STRIPE_ACCOUNT = ("511500", "Stripe (compte de transit)")


@dataclass
class BankEntry:
    """One booking on our account: a single payment, an SDD batch, or a bank fee."""

    ref: str
    date: date
    kind: str                       # sct | sdd | fee | psp
    payments: list[Payment]

    @property
    def amount(self) -> int:
        return sum(p.amount for p in self.payments)

    def record_ids(self) -> list[str]:
        if len(self.payments) == 1:
            return [self.ref]
        return [f"{self.ref}/{k}" for k in range(1, len(self.payments) + 1)]


def bank_entries(world: World) -> list[BankEntry]:
    """All payments (earlier months too) as bank entries, SDD collections batched per day."""
    ids: Ids = world._ids  # type: ignore[attr-defined]
    batches: dict[date, list[Payment]] = defaultdict(list)
    items: list[tuple[date, int, str, list[Payment]]] = []
    for p in sorted(world.payments, key=lambda p: (p.date, p.pid)):
        if p.channel == "sdd":
            if not batches[p.date]:
                items.append((p.date, p.pid, "sdd", batches[p.date]))
            batches[p.date].append(p)
        else:
            items.append((p.date, p.pid, p.channel, [p]))
    items.sort(key=lambda t: (t[0], t[1]))
    return [BankEntry(ids.bank_ref(d), d, kind, ps) for d, _, kind, ps in items]


# =========================================================================== ledger
@dataclass
class Line:
    account: str
    account_lib: str
    debit: int
    credit: int
    aux: str | None = None
    aux_lib: str | None = None
    label: str | None = None
    letter: str | None = None
    date_let: date | None = None
    record_id: str | None = None


@dataclass
class Entry:
    journal: str
    date: date
    piece_ref: str
    label: str
    lines: list[Line]
    order: int
    number: str = ""


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)
    invoice_line: dict[str, Line] = field(default_factory=dict)   # invoice id -> 411 line
    payment_line: dict[int, Line] = field(default_factory=dict)   # payment pid -> 411 line


def build_ledger(world: World, entries: list[BankEntry]) -> Ledger:
    """Sales journal for every booked document, bank journal for payments booked so far."""
    clients = {c.client_id: c for c in world.clients}
    ledger = Ledger()
    order = 0
    for inv in sorted(world.invoices, key=lambda i: (i.issue, i.number)):
        if not inv.in_ledger:
            continue
        c = clients[inv.client_id]
        booked = inv.amount + inv.ledger_delta
        revenue = ("706100", "Prestations projets") if inv.commitment_id and \
            inv.commitment_id.startswith("006") else ("706000", "Prestations de services")
        if inv.doc_type == "credit_note":
            revenue = ("709000", "Rabais remises ristournes accordes")
            label = f"Avoir {inv.number} {c.erp_name}"
        else:
            label = f"Facture {inv.number} {c.erp_name}"
        receivable = _line("411000", "Clients", booked, c.erp_aux, c.erp_name)
        lines = [receivable, _line(*revenue, -(inv.net + inv.ledger_delta)),
                 _line("445710", "TVA collectee", -inv.tax)]
        ledger.invoice_line[inv.record_id] = receivable
        order += 1
        ledger.entries.append(Entry("VT", inv.issue, inv.number, label, lines, order))
    cutoff = world.month.replace(day=15)
    for be in entries:
        if be.date > cutoff:
            continue
        order += 1
        ledger.entries.append(_bank_entry(be, clients, ledger, order))
    _stripe_entries(world, ledger, order, cutoff)
    _number(world, ledger)
    _letter(world, ledger)
    return ledger


def _line(account: str, lib: str, amount: int, aux: str | None = None,
          aux_lib: str | None = None) -> Line:
    return Line(account, lib, max(amount, 0), max(-amount, 0), aux, aux_lib)


def _bank_entry(be: BankEntry, clients: dict[str, Client], ledger: Ledger,
                order: int) -> Entry:
    if be.kind == "fee":
        p = be.payments[0]
        return Entry("BQ1", be.date, be.ref, p.remittance or "FRAIS BANCAIRES",
                     [_line("627800", "Frais bancaires", -p.amount),
                      _line(*BANK_ACCOUNT, p.amount)], order)
    if be.kind == "psp":
        p = be.payments[0]
        return Entry("BQ1", be.date, be.ref, f"VIR {p.payer_name} {p.remittance}"[:100],
                     [_line(*BANK_ACCOUNT, p.amount), _line(*STRIPE_ACCOUNT, -p.amount)], order)
    if be.kind == "sdd":
        label = f"REMISE PRLV SEPA SDD-{be.date:%Y%m%d}-01"
    else:
        p = be.payments[0]
        label = " ".join(x for x in ("VIR SEPA", p.payer_name, p.remittance) if x)
    lines = [_line(*BANK_ACCOUNT, be.amount)]
    for p in be.payments:
        if p.client_id is None or p.scenario == "unresolved_party":
            lines.append(_line("471000", "Compte d'attente", -p.amount))
            continue
        c = clients[p.client_id]
        written_off = p.write_off[1] if p.write_off else 0
        line = _line("411000", "Clients", -(p.amount + written_off), c.erp_aux, c.erp_name)
        if be.kind == "sdd":
            line.label = f"PRLV SEPA {p.e2e}"
        lines.append(line)
        ledger.payment_line[p.pid] = line
        if p.write_off:  # the gap booked in the receipt's entry (data_samples/history.py)
            habit = HABIT_BY_ACCOUNT[p.write_off[0]]
            gap = _line(habit.account, habit.account_lib, written_off)
            gap.label = habit.label
            lines.append(gap)
    return Entry("BQ1", be.date, be.ref, label[:100].strip(), lines, order)


def _stripe_entries(world: World, ledger: Ledger, order: int, cutoff: date) -> None:
    """Each Stripe charge booked so far in the clearing journal: 511 net + 627 fee / 411."""
    from data_samples.psp import stripe_of

    stripe = stripe_of(world)
    if stripe is None:
        return
    clients = {c.client_id: c for c in world.clients}
    numbers = {i.record_id: i.number for i in world.invoices}
    for ln in stripe.lines:
        if ln.kind != "charge" or ln.created > cutoff:
            continue
        c = clients[ln.client_id]
        receivable = _line("411000", "Clients", -ln.amount, c.erp_aux, c.erp_name)
        order += 1
        ledger.entries.append(Entry(
            "STR", ln.created, numbers[ln.invoice_id],
            f"STRIPE {ln.source} {numbers[ln.invoice_id]}",
            [_line(*STRIPE_ACCOUNT, ln.amount - ln.fee),
             _line("627800", "Frais sur prestataires de paiement", ln.fee), receivable],
            order))
        stripe.receipts[ln.txn] = receivable


def _number(world: World, ledger: Ledger) -> None:
    """Chronological order; EcritureNum per journal; record ids on the 411 lines."""
    ledger.entries.sort(key=lambda e: (e.date, 0 if e.journal == "VT" else 1, e.order))
    start = world.invoice_seq_start
    counters = {"VT": start, "BQ1": start * 9 // 10, "STR": 0}
    for e in ledger.entries:
        counters[e.journal] += 1
        e.number = f"{e.journal}{counters[e.journal]:06d}"
        receivables = [ln for ln in e.lines if ln.account == "411000"]
        for k, ln in enumerate(receivables, start=1):
            ln.record_id = f"{e.journal}:{e.number}" + (f":{k}" if len(receivables) > 1 else "")


def _letter(world: World, ledger: Ledger) -> None:
    """Letter each earlier-month payment with the invoices it settles in full."""
    groups: list[tuple[date, int, list[tuple[Line, date]]]] = []
    line_date = {id(ln): e.date for e in ledger.entries for ln in e.lines}
    behind = world.dialect.unlettered_receipts
    numbers = {i.record_id: i.number for i in world.invoices} if behind else {}
    for p in world.payments:
        if p.date >= world.month or p.pid not in ledger.payment_line:
            continue
        pay_line = ledger.payment_line[p.pid]
        found = [ledger.invoice_line.get(inv_id) for inv_id, _ in p.allocations]
        inv_lines = [ln for ln in found if ln is not None]
        if not inv_lines or len(inv_lines) != len(found):
            continue
        net = sum(ln.debit - ln.credit for ln in inv_lines) - pay_line.credit
        if net != 0:
            continue
        if behind and world._drng.random() < behind:  # type: ignore[attr-defined]
            cited = " ".join(numbers[inv_id] for inv_id, _ in p.allocations)
            pay_line.label = f"REGLEMENT FACT {cited} {p.payer_name or ''}"[:100].strip()
            world.normal_cases.append(("unlettered_earlier_receipt",
                                       f"erp:{pay_line.record_id}", cited))
            continue
        members = [(ln, line_date[id(ln)]) for ln in [pay_line, *inv_lines]]
        groups.append((max(d for _, d in members), p.pid, members))
    groups += _stripe_groups(world, ledger, line_date)
    codes: dict[str, int] = defaultdict(int)
    for when, _, members in sorted(groups, key=lambda g: (g[0], g[1])):
        aux = members[0][0].aux or ""
        code = _letter_code(codes[aux])
        codes[aux] += 1
        for ln, _ in members:
            ln.letter, ln.date_let = code, when


def _stripe_groups(world: World, ledger: Ledger, line_date: dict[int, date],
                   ) -> list[tuple[date, int, list[tuple[Line, date]]]]:
    """Earlier-month Stripe charges lettered with the invoices they paid in full."""
    from data_samples.psp import stripe_of

    stripe = stripe_of(world)
    out = []
    for ln in stripe.lines if stripe else []:
        receipt = stripe.receipts.get(ln.txn) if stripe else None
        inv_line = ledger.invoice_line.get(ln.invoice_id)
        if ln.created >= world.month or receipt is None or inv_line is None \
                or inv_line.debit - inv_line.credit != receipt.credit:
            continue
        members = [(x, line_date[id(x)]) for x in (receipt, inv_line)]
        out.append((max(d for _, d in members), ln.pid, members))
    return out


def _letter_code(n: int) -> str:
    """AAA, AAB, ... AAZ, ABA, ...: LDCompta-style three-letter lettering codes."""
    a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return a[n // 676 % 26] + a[n // 26 % 26] + a[n % 26]


def fec_frame(world: World, ledger: Ledger) -> pl.DataFrame:
    """Every ledger line, in file order, in the input shape of `reconkit.export.fec.write_fec`."""
    rows: dict[str, list[Any]] = defaultdict(list)
    for e in ledger.entries:
        for ln in e.lines:
            for key, value in (
                ("JournalCode", e.journal), ("JournalLib", JOURNALS[e.journal]),
                ("EcritureNum", e.number), ("EcritureDate", e.date),
                ("CompteNum", ln.account), ("CompteLib", ln.account_lib),
                ("CompAuxNum", ln.aux), ("CompAuxLib", ln.aux_lib), ("PieceRef", e.piece_ref),
                ("PieceDate", e.date), ("EcritureLib", ln.label or e.label),
                ("debit_cents", ln.debit), ("credit_cents", ln.credit),
                ("EcritureLet", ln.letter), ("DateLet", ln.date_let), ("ValidDate", e.date),
                ("Montantdevise_cents", None), ("Idevise", None),
            ):
                rows[key].append(value)
    schema = {"JournalCode": pl.String, "JournalLib": pl.String, "EcritureNum": pl.String,
              "EcritureDate": pl.Date, "CompteNum": pl.String, "CompteLib": pl.String,
              "CompAuxNum": pl.String, "CompAuxLib": pl.String, "PieceRef": pl.String,
              "PieceDate": pl.Date, "EcritureLib": pl.String, "debit_cents": pl.Int64,
              "credit_cents": pl.Int64, "EcritureLet": pl.String, "DateLet": pl.Date,
              "ValidDate": pl.Date, "Montantdevise_cents": pl.Int64, "Idevise": pl.String}
    return pl.DataFrame({k: rows.get(k, []) for k in schema}, schema=schema)


def fec_name(world: World) -> str:
    from reconkit.export.fec import fec_filename
    return fec_filename(world.company_siren, date(world.month.year, 12, 31))

