"""Generate a deterministic sample month: native source files, canonical tables, ground truth.

    python -m data_samples.generate --out DIR --clients N --seed S --month YYYY-MM
                                    [--history-months 2] [--no-native] [--volume bench]
                                    [--orders-per-client F] [--scenarios-per-100 K]

The world (`model`) gets its exceptions and decoys (`scenarios`); this module then derives the
ERP ledger (sales and bank journals, lettering), the bank statement of the month, the canonical
tables, the truth files, and writes everything. Same arguments, byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from data_samples import model, native_writers, scenarios
from data_samples.model import VOLUMES, Payment, Volume, World
from reconkit.schemas import COLUMNS

CURRENCY = "EUR"
JOURNALS = {"VT": "Ventes", "BQ1": "Banque BNP"}
BANK_ACCOUNT = ("512100", "Banque BNP")
FILES = {"account": "Account.csv", "contract": "Contract.csv", "opportunity": "Opportunity.csv",
         "customers": "customers.json", "invoices": "invoices.json",
         "credit_notes": "credit_notes.json"}


# =========================================================================== world
def build(n_clients: int, seed: int, month: date, history_months: int = 2,
          volume: Volume = VOLUMES["default"]) -> World:
    """The complete world: ordinary business plus every scenario, documents numbered."""
    world = model.build_world(n_clients, seed, month, history_months, volume)
    scenarios.inject_invoice_scenarios(world)
    model.number_documents(world)
    model.plan_payments(world)
    scenarios.inject_payment_scenarios(world)
    model.number_documents(world)
    return world


# =========================================================================== bank entries
@dataclass
class BankEntry:
    """One booking on our account: a single payment, an SDD batch, or a bank fee."""

    ref: str
    date: date
    kind: str                       # sct | sdd | fee
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
    ids: model.Ids = world._ids  # type: ignore[attr-defined]
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
    _number(world, ledger)
    _letter(world, ledger)
    return ledger


def _line(account: str, lib: str, amount: int, aux: str | None = None,
          aux_lib: str | None = None) -> Line:
    return Line(account, lib, max(amount, 0), max(-amount, 0), aux, aux_lib)


def _bank_entry(be: BankEntry, clients: dict[str, model.Client], ledger: Ledger,
                order: int) -> Entry:
    if be.kind == "fee":
        p = be.payments[0]
        return Entry("BQ1", be.date, be.ref, p.remittance or "FRAIS BANCAIRES",
                     [_line("627800", "Frais bancaires", -p.amount),
                      _line(*BANK_ACCOUNT, p.amount)], order)
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
        line = _line("411000", "Clients", -p.amount, c.erp_aux, c.erp_name)
        if be.kind == "sdd":
            line.label = f"PRLV SEPA {p.e2e}"
        lines.append(line)
        ledger.payment_line[p.pid] = line
    return Entry("BQ1", be.date, be.ref, label[:100].strip(), lines, order)


def _number(world: World, ledger: Ledger) -> None:
    """Chronological order; EcritureNum per journal; record ids on the 411 lines."""
    ledger.entries.sort(key=lambda e: (e.date, 0 if e.journal == "VT" else 1, e.order))
    start = world.invoice_seq_start
    counters = {"VT": start, "BQ1": start * 9 // 10}
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
    for p in world.payments:
        if p.date >= world.month or p.pid not in ledger.payment_line:
            continue
        pay_line = ledger.payment_line[p.pid]
        inv_lines = [ledger.invoice_line.get(inv_id) for inv_id, _ in p.allocations]
        if not inv_lines or any(ln is None for ln in inv_lines):
            continue
        net = sum(ln.debit - ln.credit for ln in inv_lines) - pay_line.credit  # type: ignore
        if net != 0:
            continue
        members = [(ln, line_date[id(ln)]) for ln in [pay_line, *inv_lines]]  # type: ignore
        groups.append((max(d for _, d in members), p.pid, members))
    codes: dict[str, int] = defaultdict(int)
    for when, _, members in sorted(groups, key=lambda g: (g[0], g[1])):
        aux = members[0][0].aux or ""
        code = _letter_code(codes[aux])
        codes[aux] += 1
        for ln, _ in members:
            ln.letter, ln.date_let = code, when


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


# =========================================================================== canonical tables
def _frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    cols = COLUMNS[table]
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in cols}, schema=cols)


def canonical_parties(world: World, fec: pl.DataFrame) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    accounts = native_writers.account_rows(world)
    for n, a in enumerate(accounts, start=2):
        rows.append({"system": "crm", "record_id": a["ID"], "source_file": FILES["account"],
                     "source_row": n, "name": a["NAME"],
                     "legal_id": a["SIREN__C"] or a["VAT_NUMBER__C"] or None,
                     "parent_record_id": a["PARENTID"] or None,
                     "billing_ref": a["BILLING_CUSTOMER_ID__C"] or None,
                     "erp_ref": a["ERP_ACCOUNT__C"] or None})
    for n, cus in enumerate(native_writers.customer_objects(world), start=1):
        meta = cus["metadata"]
        rows.append({"system": "billing", "record_id": cus["id"],
                     "source_file": FILES["customers"], "source_row": n, "name": cus["name"],
                     "legal_id": meta.get("siren"), "crm_ref": meta.get("crm_account_id"),
                     "erp_ref": meta.get("erp_account")})
    first = fec.with_row_index("row", offset=2).filter(pl.col("CompAuxNum").is_not_null()) \
        .group_by("CompAuxNum", maintain_order=True).first().sort("row")
    name = fec_name(world)
    for r in first.iter_rows(named=True):
        rows.append({"system": "erp", "record_id": r["CompAuxNum"], "source_file": name,
                     "source_row": r["row"], "name": r["CompAuxLib"]})
    return _frame("parties", rows)


def canonical_commitments(world: World) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for n, ct in enumerate(sorted(world.contracts, key=lambda c: c.record_id), start=2):
        rows.append({"system": "crm", "record_id": ct.record_id, "source_file":
                     FILES["contract"], "source_row": n, "kind": "contract",
                     "party_record_id": ct.account_id, "contract_number": ct.number,
                     "name": ct.name, "currency": CURRENCY, "amount_cents": ct.amount,
                     "list_amount_cents": ct.list_amount, "discount_bp": ct.discount_bp,
                     "billing_frequency": ct.frequency, "start_date": ct.start,
                     "end_date": ct.end, "auto_renew": ct.auto_renew, "status": ct.status})
    numbers = {ct.record_id: ct.number for ct in world.contracts}
    for n, op in enumerate(sorted(world.opportunities, key=lambda o: o.record_id), start=2):
        if not op.is_won:
            continue  # lost and open opportunities are not commitments
        rows.append({"system": "crm", "record_id": op.record_id, "source_file":
                     FILES["opportunity"], "source_row": n, "kind": "opportunity",
                     "party_record_id": op.account_id,
                     "contract_number": numbers.get(op.contract_id or ""),
                     "contract_record_id": op.contract_id, "name": op.name,
                     "currency": CURRENCY, "amount_cents": op.amount,
                     "list_amount_cents": op.list_amount, "discount_bp": op.discount_bp,
                     "billing_frequency": "one_off", "close_date": op.close_date,
                     "status": op.stage})
    return _frame("commitments", rows)


def canonical_invoices(world: World) -> pl.DataFrame:
    clients = {c.client_id: c for c in world.clients}
    rows: list[dict[str, Any]] = []
    for kind, fname in (("invoice", FILES["invoices"]), ("credit_note", FILES["credit_notes"])):
        for n, inv in enumerate(native_writers.ordered_documents(world, kind), start=1):
            rows.append({"system": "billing", "record_id": inv.record_id,
                         "source_file": fname, "source_row": n, "doc_type": kind,
                         "number": inv.number, "party_record_id":
                         clients[inv.client_id].billing_id,
                         "party_name": inv.party_name if kind == "invoice" else None,
                         "issue_date": inv.issue, "due_date": inv.due, "currency": CURRENCY,
                         "net_cents": inv.net, "tax_cents": inv.tax, "amount_cents": inv.amount,
                         "credited_invoice_id": inv.credited,
                         "commitment_ref": inv.commitment_ref, "po_number": inv.po_number,
                         "period_start": inv.period_start, "period_end": inv.period_end,
                         "status": native_writers.invoice_status(world, inv)})
    return _frame("invoices", rows)


def canonical_ledger(world: World, ledger: Ledger) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    name, row = fec_name(world), 1
    for e in ledger.entries:
        for ln in e.lines:
            row += 1
            if ln.account != "411000":
                continue
            rows.append({"system": "erp", "record_id": ln.record_id, "source_file": name,
                         "source_row": row, "journal_code": e.journal, "entry_number": e.number,
                         "entry_date": e.date, "account": ln.account, "aux_account": ln.aux,
                         "aux_name": ln.aux_lib, "piece_ref": e.piece_ref, "piece_date": e.date,
                         "label": ln.label or e.label, "amount_cents": ln.debit - ln.credit,
                         "currency": CURRENCY, "lettering_code": ln.letter,
                         "lettering_date": ln.date_let, "lettering_partial": False})
    return _frame("ledger_lines", rows)


def month_entries(world: World, entries: list[BankEntry]) -> list[BankEntry]:
    return [e for e in entries if e.date >= world.month]


def canonical_payments(world: World, entries: list[BankEntry]) -> pl.DataFrame:
    """What the camt.053 file of the month yields, transaction by transaction."""
    rows: list[dict[str, Any]] = []
    name = native_writers.camt_name(world)
    for n, be in enumerate(month_entries(world, entries), start=1):
        code = native_writers.BANK_CODES[be.kind]
        for rid, p in zip(be.record_ids(), be.payments, strict=True):
            rows.append({"system": "bank", "record_id": rid, "source_file": name,
                         "source_row": n, "entry_ref": be.ref, "booking_date": be.date,
                         "value_date": be.date, "amount_cents": p.amount, "currency": CURRENCY,
                         "payer_name": _clean(p.payer_name), "payer_iban": p.payer_iban,
                         "remittance": _clean(p.remittance),
                         "structured_ref": p.structured_ref,
                         "end_to_end_id": None if p.e2e == "NOTPROVIDED" else p.e2e,
                         "bank_tx_code": code, "is_reversal": False,
                         "account_id": world.company_iban})
    return _frame("payments", rows)


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None


# =========================================================================== truth
def truth_tables(world: World, entries: list[BankEntry], ledger: Ledger,
                 parties: pl.DataFrame) -> dict[str, pl.DataFrame]:
    bank_id = {p.pid: rid for be in month_entries(world, entries)
               for rid, p in zip(be.record_ids(), be.payments, strict=True)}

    def resolve(ref: str) -> str:
        kind, _, key = ref.partition(":")
        if kind == "payment":
            return bank_id[int(key)]
        if kind == "invoice":
            return ledger.invoice_line[key].record_id or ""
        return ref

    erp_seen = set(parties.filter(pl.col("system") == "erp")["record_id"].to_list())
    party_rows: list[tuple[str, str, str]] = []
    for c in world.clients:
        party_rows += [(c.client_id, "crm", x) for x in c.crm_ids]
        party_rows.append((c.client_id, "billing", c.billing_id))
        if c.erp_aux in erp_seen:
            party_rows.append((c.client_id, "erp", c.erp_aux))
    for p in world.payments:
        if p.pid in bank_id and p.payer_iban and p.payer_client:
            party_rows.append((p.payer_client, "bank", p.payer_iban))
    link_rows: list[tuple[str, str, str, str, str, int]] = []
    for p in world.payments:
        if p.pid in bank_id:
            link_rows += [("payment_invoice", "bank", bank_id[p.pid], "billing", inv_id, amt)
                          for inv_id, amt in p.allocations if amt]
            if p.pid in ledger.payment_line:
                link_rows.append(("payment_ledger", "bank", bank_id[p.pid], "erp",
                                  ledger.payment_line[p.pid].record_id or "", p.amount))
    for inv in world.invoices:
        if inv.credited:
            link_rows.append(("credit_note_invoice", "billing", inv.record_id, "billing",
                              inv.credited, -inv.amount))
        if inv.commitment_id:
            link_rows.append(("invoice_commitment", "billing", inv.record_id, "crm",
                              inv.commitment_id, inv.amount))
        if inv.record_id in ledger.invoice_line:
            link_rows.append(("invoice_ledger", "billing", inv.record_id, "erp",
                              ledger.invoice_line[inv.record_id].record_id or "", inv.amount))
    exc = [(cat, sysname, resolve(rid), note) for cat, sysname, rid, note in world.exceptions]
    decoys = [(s, resolve(rid), reason) for s, rid, reason in world.decoys]
    normal = [(kind, "bank", resolve(rid), note) for kind, rid, note in world.normal_cases]
    return {
        "parties": pl.DataFrame(sorted(set(party_rows)), orient="row",
                                schema=["client_id", "system", "record_id"]),
        "links": pl.DataFrame(sorted(link_rows), orient="row",
                              schema={"kind": pl.String, "left_system": pl.String,
                                      "left_id": pl.String, "right_system": pl.String,
                                      "right_id": pl.String, "amount_cents": pl.Int64}),
        "exceptions": pl.DataFrame(sorted(exc), orient="row",
                                   schema=["category", "system", "record_id", "note"]),
        "decoys": pl.DataFrame(sorted(decoys), orient="row",
                               schema=["system", "record_id", "reason"]),
        "normal_cases": pl.DataFrame(sorted(normal), orient="row",
                                     schema=["case", "system", "record_id", "note"]),
    }


# =========================================================================== output
def generate(out: Path, n_clients: int, seed: int, month: date, history_months: int = 2,
             native: bool = True, volume: Volume = VOLUMES["default"]) -> dict[str, Any]:
    """Build the world and write canonical/, truth/ and (unless native=False) native/."""
    world = build(n_clients, seed, month, history_months, volume)
    entries = bank_entries(world)
    ledger = build_ledger(world, entries)
    fec = fec_frame(world, ledger)
    tables = {
        "parties": canonical_parties(world, fec),
        "commitments": canonical_commitments(world),
        "invoices": canonical_invoices(world),
        "ledger_lines": canonical_ledger(world, ledger),
        "payments": canonical_payments(world, entries),
    }
    truth = truth_tables(world, entries, ledger, tables["parties"])
    (out / "canonical").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.write_csv(out / "canonical" / f"{name}.csv", line_terminator="\n")
    for name, df in truth.items():
        df.write_csv(out / "truth" / f"{name}.csv", line_terminator="\n")
    if native:
        native_writers.write_all(world, month_entries(world, entries), fec, out / "native",
                                 fec_name(world))
    summary = _summary(world, tables, truth, fec, n_clients, seed, history_months)
    if volume != VOLUMES["default"]:
        summary["arguments"]["volume"] = {"orders_per_client": volume.orders_per_client,
                                          "scenarios_per_100": volume.scenarios_per_100}
    (out / "truth" / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True)
                                                + "\n", encoding="utf-8")
    return summary


def _summary(world: World, tables: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame],
             fec: pl.DataFrame, n_clients: int, seed: int, history: int) -> dict[str, Any]:
    def counts(df: pl.DataFrame, col: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in df.group_by(col).len().sort(col).iter_rows()}

    return {
        "arguments": {"clients": n_clients, "seed": seed, "month": f"{world.month:%Y-%m}",
                      "history_months": history},
        "canonical_rows": {k: v.height for k, v in tables.items()},
        "fec_lines": fec.height,
        "fec_entries": fec.select("JournalCode", "EcritureNum").n_unique(),
        "payments_all_months": len(world.payments),
        "documents": counts(tables["invoices"], "doc_type"),
        "exceptions": counts(truth["exceptions"], "category"),
        "links": counts(truth["links"], "kind"),
        "decoys": truth["decoys"].height,
        "normal_cases": counts(truth["normal_cases"], "case"),
        "truth_parties": counts(truth["parties"], "system"),
    }


def _month(text: str) -> date:
    try:
        year, mon = text.split("-")
        return date(int(year), int(mon), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month: {text!r} (expected YYYY-MM)") from None


def _volume(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Volume:
    """The preset, with the explicit --orders-per-client / --scenarios-per-100 on top."""
    preset = VOLUMES[args.volume]
    orders = preset.orders_per_client if args.orders_per_client is None \
        else args.orders_per_client
    per_100 = preset.scenarios_per_100 if args.scenarios_per_100 is None \
        else args.scenarios_per_100
    if orders < 0 or per_100 < 1:
        parser.error("--orders-per-client must be >= 0 and --scenarios-per-100 >= 1")
    return Volume(orders_per_client=orders, scenarios_per_100=per_100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_samples.generate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--month", type=_month, required=True)
    parser.add_argument("--history-months", type=int, default=2)
    parser.add_argument("--no-native", action="store_true")
    parser.add_argument("--volume", choices=sorted(VOLUMES), default="default",
                        help="bench: ~3.3 invoices and bank payments per client in the month")
    parser.add_argument("--orders-per-client", type=float, default=None,
                        help="extra one-off orders per client, due and paid in the month")
    parser.add_argument("--scenarios-per-100", type=int, default=None,
                        help="instances of each exception per 100 clients")
    args = parser.parse_args(argv)
    volume = _volume(parser, args)
    try:
        summary = generate(args.out, args.clients, args.seed, args.month, args.history_months,
                           native=not args.no_native, volume=volume)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("canonical_rows", "fec_lines", "exceptions")},
                     indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
