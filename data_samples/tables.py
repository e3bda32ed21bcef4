"""Canonical tables (`reconkit.schemas.COLUMNS`) derived from the world, the ledger and the
statement: what the loaders yield from the native exports, lineage included."""

from __future__ import annotations

from typing import Any

import polars as pl

from data_samples import native_stripe, native_writers
from data_samples.ledger import BankEntry, Ledger, fec_name
from data_samples.model import World
from reconkit.schemas import COLUMNS

CURRENCY = "EUR"
FILES = {"account": "Account.csv", "contract": "Contract.csv", "opportunity": "Opportunity.csv",
         "customers": "customers.json", "invoices": "invoices.json",
         "credit_notes": "credit_notes.json"}


def canonical_frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows as a canonical table (every column of `reconkit.schemas.COLUMNS`, in order)."""
    return _frame(table, rows)


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
    in_crm = sorted((ct for ct in world.contracts if ct.in_crm), key=lambda c: c.record_id)
    for n, ct in enumerate(in_crm, start=2):
        rows.append({"system": "crm", "record_id": ct.record_id, "source_file":
                     FILES["contract"], "source_row": n, "kind": "contract",
                     "party_record_id": ct.account_id, "contract_number": ct.number,
                     "name": ct.name, "currency": CURRENCY, "amount_cents": ct.amount,
                     "list_amount_cents": ct.list_amount, "discount_bp": ct.discount_bp,
                     "billing_frequency": ct.frequency, "start_date": ct.start,
                     "end_date": ct.end, "auto_renew": ct.auto_renew, "status": ct.status})
    numbers = {ct.record_id: ct.number for ct in world.contracts}
    # the lookup may sit on the Contract: an Opportunity row then names no contract, and the
    # loader finds it on the Contract that points back (when that contract is in the CRM)
    on_contract = bool(native_writers.contract_link_field(world))
    if on_contract:
        numbers = {}
    pointed = {ct.record_id for ct in in_crm}
    for n, op in enumerate(sorted(world.opportunities, key=lambda o: o.record_id), start=2):
        if not op.is_won:
            continue  # lost and open opportunities are not commitments
        rows.append({"system": "crm", "record_id": op.record_id, "source_file":
                     FILES["opportunity"], "source_row": n, "kind": "opportunity",
                     "party_record_id": op.account_id,
                     "contract_number": numbers.get(op.contract_id or ""),
                     "contract_record_id": op.contract_id if numbers else (
                         op.contract_id if on_contract and op.contract_id in pointed
                         else None),
                     "name": op.name,
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
            period, subscription, text = _as_exported(world, inv, kind)
            rows.append({"system": "billing", "record_id": inv.record_id,
                         "source_file": fname, "source_row": n, "doc_type": kind,
                         "number": inv.number, "party_record_id":
                         clients[inv.client_id].billing_id,
                         "party_name": inv.party_name if kind == "invoice" else None,
                         "issue_date": inv.issue, "due_date": inv.due, "currency": CURRENCY,
                         "net_cents": inv.net, "tax_cents": inv.tax, "amount_cents": inv.amount,
                         "credited_invoice_id": inv.credited,
                         "commitment_ref": inv.commitment_ref if inv.crm_meta else None,
                         "po_number": inv.po_number,
                         "period_start": period[0], "period_end": period[1],
                         "status": native_writers.invoice_status(world, inv),
                         "subscription_id": subscription, "line_text": text})
    return _frame("invoices", rows)


def _as_exported(world: World, inv: Any, kind: str,
                 ) -> tuple[tuple[Any, Any], str | None, str | None]:
    """(period, subscription id, line text) as the loaders read them from the Stripe export:
    the period the line items bill wins over the invoice's own, a credit note's memo comes
    before its lines' descriptions."""
    if world.dialect.classic:
        period = (inv.period_start, inv.period_end) if kind == "invoice" else (None, None)
        contracts = {ct.number for ct in world.contracts}
        subscription = ("sub_" + inv.record_id[3:27]
                        if kind == "invoice" and inv.commitment_ref in contracts else None)
        return period, subscription, None
    lines = kind == "credit_note" or world.dialect.line_items
    if lines and inv.period_start is not None:
        period = (inv.period_start, inv.period_end)
    elif kind == "invoice":
        period = native_stripe.invoice_period(world, inv)
    else:
        period = (None, None)
    described = (inv.lines_text or inv.memo
                 or ("Avoir sur facture" if kind == "credit_note" else "Prestation")) \
        if lines else None
    memo = inv.memo if kind == "credit_note" else None
    text = " | ".join(t for t in (memo, described) if t) or None
    return period, inv.subscription_id if kind == "invoice" else None, text


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

