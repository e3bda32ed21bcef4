"""Ground truth of a generated month: parties, links, exceptions, decoys, normal cases."""

from __future__ import annotations

import polars as pl

from data_samples.history import PARENT_PAID_CASE, WRITTEN_OFF_CASE
from data_samples.ledger import BankEntry, Ledger
from data_samples.model import World
from data_samples.psp import truth_links
from data_samples.tables import month_entries

CLEAN_ROLES = frozenset({"ordinary", "parent"})  # clients no scenario touches
BOOL_SCHEMA = {"left_id": pl.String, "right_id": pl.String, "amount_cents": pl.Int64,
               "habit": pl.String, "clean": pl.Boolean}


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

    def system_of(ref: str) -> tuple[str, str]:
        kind, _, key = ref.partition(":")
        return (kind, key) if kind in ("erp", "billing") else ("bank", resolve(ref))

    erp_seen = set(parties.filter(pl.col("system") == "erp")["record_id"].to_list())
    party_rows: list[tuple[str, str, str]] = []
    for c in world.clients:
        if c.in_crm:
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
        if inv.credited and not inv.rebate:
            link_rows.append(("credit_note_invoice", "billing", inv.record_id, "billing",
                              inv.credited, -inv.amount))
        if inv.commitment_id:
            link_rows.append(("invoice_commitment", "billing", inv.record_id, "crm",
                              inv.commitment_id, inv.amount))
        if inv.record_id in ledger.invoice_line:
            link_rows.append(("invoice_ledger", "billing", inv.record_id, "erp",
                              ledger.invoice_line[inv.record_id].record_id or "", inv.amount))
    link_rows += truth_links(world, bank_id)
    exc = [(cat, sysname, resolve(rid), note) for cat, sysname, rid, note in world.exceptions]
    decoys = [(s, resolve(rid), reason) for s, rid, reason in world.decoys]
    normal = [(kind, *system_of(rid), note) for kind, rid, note in world.normal_cases]
    normal += history_cases(world, ledger)
    flagged = {(s, r) for _, s, r, _ in exc} | {(s, r) for s, r, _ in decoys}
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
        "payment_links": payment_links(world, bank_id, flagged),
        "clean": clean_records(world, bank_id, ledger, flagged, normal),
    }


def history_cases(world: World, ledger: Ledger) -> list[tuple[str, str, str, str]]:
    """The accountant's habits in the earlier receipts (`data_samples/history.py`): each
    receipt written off (note: account and cents, + short) or paid by the parent company
    (note: `<parent> pays <invoice> of <client>`), by the erp record id of its 411 line."""
    numbers = {i.record_id: i.number for i in world.invoices}
    rows = []
    for p in world.payments:
        line = ledger.payment_line.get(p.pid)
        if line is None or not line.record_id:
            continue
        if p.write_off:
            rows.append((WRITTEN_OFF_CASE, "erp", line.record_id,
                         f"{p.write_off[0]} {p.write_off[1]}"))
        if p.parent_paid:
            paid = " ".join(numbers[i] for i, _ in p.allocations)
            rows.append((PARENT_PAID_CASE, "erp", line.record_id,
                         f"{p.payer_client} pays {paid} of {p.client_id}"))
    return rows


def payment_links(world: World, bank_id: dict[int, str],
                  flagged: set[tuple[str, str]]) -> pl.DataFrame:
    """Every true payment -> invoice link with the payer's habit and whether it is clean and
    identifiable: an ordinary payment of the exact amount (net of credit notes) whose
    remittance, end-to-end id or RF reference identifies the invoice, no exception or decoy."""
    rows = []
    for p in world.payments:
        if p.pid not in bank_id:
            continue
        clean = (p.scenario == "normal" and p.identifiable
                 and ("bank", bank_id[p.pid]) not in flagged
                 and sum(a for _, a in p.allocations) == p.amount)
        rows += [(bank_id[p.pid], inv_id, amt, p.habit, clean)
                 for inv_id, amt in p.allocations if amt]
    return pl.DataFrame(sorted(rows), orient="row", schema=BOOL_SCHEMA)


def clean_records(world: World, bank_id: dict[int, str], ledger: Ledger,
                  flagged: set[tuple[str, str]],
                  normal: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """Records of clients no scenario touches, with no injected problem and an identifier to
    match on: any alarm raised on one of them (a `decision` exception, a review match) is a
    false alarm. A payment citing nothing, and the invoice it pays, are not clean in that
    sense: proposing them for review (amount and client alone) is the policy, not an alarm."""
    clean = {c.client_id: c for c in world.clients if c.role in CLEAN_ROLES and c.in_crm}
    unreferenced = {inv for p in world.payments if not p.identifiable
                    for inv, _ in p.allocations}
    unlettered = {r for case, s, r, _ in normal if case == "unlettered_earlier_receipt"}
    booked = {ln.aux for e in ledger.entries for ln in e.lines if ln.aux}
    rows: list[tuple[str, str, str]] = []
    for c in clean.values():
        rows += [("crm", x, "party") for x in c.crm_ids]
        rows.append(("billing", c.billing_id, "party"))
        if c.erp_aux in booked:
            rows.append(("erp", c.erp_aux, "party"))
    for ct in world.contracts:
        if ct.client_id in clean:
            rows.append(("crm", ct.record_id, "contract"))
    for op in world.opportunities:
        if op.client_id in clean and op.is_won:
            rows.append(("crm", op.record_id, "opportunity"))
    for inv in world.invoices:
        if inv.client_id in clean and inv.record_id not in unreferenced:
            kind = "invoice_prorated" if inv.prorated else inv.doc_type
            rows.append(("billing", inv.record_id, kind))
            line = ledger.invoice_line.get(inv.record_id)
            if line is not None and line.record_id:
                rows.append(("erp", line.record_id, "ledger_line"))
    for p in world.payments:
        if p.client_id not in clean or p.scenario != "normal":
            continue
        if p.pid in bank_id and p.identifiable:
            rows.append(("bank", bank_id[p.pid], "payment"))
        line = ledger.payment_line.get(p.pid)
        if line is not None and line.record_id:
            rows.append(("erp", line.record_id, "ledger_receipt_unlettered"
                         if line.record_id in unlettered else "ledger_line"))
    rows = [r for r in set(rows) if (r[0], r[1]) not in flagged]
    return pl.DataFrame(sorted(rows), orient="row", schema=["system", "record_id", "kind"])
