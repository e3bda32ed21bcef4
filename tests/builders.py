"""Small hand-built canonical tables for engine and matcher tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from reconkit.catalog import Catalog, load_catalog
from reconkit.engine import Reconciliation
from reconkit.loaders.base import Loaded, merge_loaded
from reconkit.result import ReconResult
from reconkit.schemas import COLUMNS, conform

OCT = date(2026, 10, 1)


@dataclass
class World:
    """A tiny company: add clients, documents and payments, then reconcile."""

    parties: list[dict[str, Any]] = field(default_factory=list)
    commitments: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    _n: int = 0

    def _row(self) -> int:
        self._n += 1
        return self._n

    def client(self, key: str, name: str, *, iban: str | None = None, siren: str | None = None,
               billing_name: str | None = None, parent: str | None = None,
               linked: bool = True) -> str:
        """CRM account `001<key>`, billing customer `cus_<key>`, ERP account `C<key>`."""
        crm, cus, aux = f"001{key}", f"cus_{key}", f"C{key}"
        self.parties += [
            {"system": "crm", "record_id": crm, "name": name, "legal_id": siren,
             "parent_record_id": f"001{parent}" if parent else None, "iban": iban},
            {"system": "billing", "record_id": cus, "name": billing_name or name,
             "legal_id": siren, "crm_ref": crm if linked else None,
             "erp_ref": aux if linked else None},
            {"system": "erp", "record_id": aux, "name": (billing_name or name).upper()},
        ]
        return key

    def contract(self, key: str, number: str, amount: int, *, list_amount: int | None = None,
                 discount_bp: int | None = None, start: date = date(2026, 1, 1),
                 auto_renew: bool = False, frequency: str = "monthly") -> str:
        rid = f"800{number}"
        self.commitments.append({
            "system": "crm", "record_id": rid, "kind": "contract", "party_record_id": f"001{key}",
            "contract_number": number, "name": f"Contract {number}", "currency": "EUR",
            "amount_cents": amount, "list_amount_cents": list_amount, "discount_bp": discount_bp,
            "billing_frequency": frequency, "start_date": start, "end_date": None,
            "auto_renew": auto_renew, "status": "Activated"})
        return rid

    def invoice(self, key: str, number: str, amount: int, *, issued: date = date(2026, 10, 5),
                contract: str | None = None, net: int | None = None, book: bool = True,
                booked_amount: int | None = None, lettered: str | None = None,
                credit_of: str | None = None) -> str:
        rid = ("cn_" if credit_of or amount < 0 else "in_") + number.replace("-", "")
        self.invoices.append({
            "system": "billing", "record_id": rid, "number": number,
            "doc_type": "credit_note" if amount < 0 else "invoice",
            "party_record_id": f"cus_{key}", "issue_date": issued, "currency": "EUR",
            "amount_cents": amount, "net_cents": net if net is not None else amount * 5 // 6,
            "commitment_ref": contract, "credited_invoice_id": credit_of})
        if book:
            self.ledger_line(key, "VT", f"VT{len(self.ledger) + 1:06d}", number,
                             booked_amount if booked_amount is not None else amount,
                             issued, lettered)
        return rid

    def ledger_line(self, key: str, journal: str, num: str, piece: str, amount: int,
                    on: date, lettered: str | None = None) -> str:
        rid = f"{journal}:{num}"
        self.ledger.append({
            "system": "erp", "record_id": rid, "journal_code": journal, "entry_number": num,
            "entry_date": on, "account": "411000", "aux_account": f"C{key}",
            "aux_name": key, "piece_ref": piece, "piece_date": on, "label": piece,
            "amount_cents": amount, "currency": "EUR", "lettering_code": lettered,
            "lettering_date": on if lettered else None, "lettering_partial": False})
        return rid

    def payment(self, ref: str, amount: int, *, payer: str | None, iban: str | None = None,
                text: str | None = None, structured: str | None = None,
                on: date = date(2026, 10, 20)) -> str:
        self.payments.append({
            "system": "bank", "record_id": ref, "entry_ref": ref, "booking_date": on,
            "value_date": on, "amount_cents": amount, "currency": "EUR", "payer_name": payer,
            "payer_iban": iban, "remittance": text, "structured_ref": structured,
            "is_reversal": False})
        return ref

    def tables(self) -> dict[str, pl.DataFrame]:
        out = {}
        for name, rows in (("parties", self.parties), ("commitments", self.commitments),
                           ("invoices", self.invoices), ("ledger_lines", self.ledger),
                           ("payments", self.payments)):
            full = [{**{c: None for c in COLUMNS[name]}, **r, "source_file": "test",
                     "source_row": i + 1} for i, r in enumerate(rows)]
            out[name] = conform(name, pl.DataFrame(full, schema=COLUMNS[name]))
        return out

    def reconcile(self, fx_rates: dict[str, str] | None = None, *,
                  catalog: Catalog | None = None) -> ReconResult:
        tables = self.tables()
        loaded = merge_loaded([Loaded(tables=tables, rows_read={"test": 0})])
        assert loaded.quarantine.height == 0, loaded.quarantine
        rec = Reconciliation(catalog=catalog or load_catalog(), period_start=OCT,
                             period_end=date(2026, 10, 31),
                             fx_rates=tuple(sorted((fx_rates or {}).items())))
        return rec.match(loaded)


def payment_match(result: ReconResult, payment_id: str) -> dict[str, Any]:
    """The (single, non-alternative) payment->invoice match of a payment, with its items."""
    items = result.match_items.filter(pl.col("record_id") == payment_id)
    m = result.matches.filter(pl.col("match_id").is_in(items["match_id"].implode())
                              & (pl.col("kind") == "payment_invoice"))
    assert m.height == 1, m
    row = m.row(0, named=True)
    row["items"] = result.match_items.filter(pl.col("match_id") == row["match_id"]).to_dicts()
    return row


def categories_of(result: ReconResult, record_id: str) -> set[str]:
    return set(result.exceptions.filter(pl.col("record_id") == record_id)["category"].to_list())
