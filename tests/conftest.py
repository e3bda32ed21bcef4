"""Shared fixtures: a tiny hand-made reconciliation result shaped like the result contract.

Two clients: Acme (billing cus_A, CRM 001A, ERP 411ACME, IBAN FR14... known) and Bolt
(billing cus_B, paying from DE89... which no party knows). Four exceptions, one of them info.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from reconkit.result import CONTRACT, ReconResult, conform
from reconkit.schemas import conform as conform_table

from shared_files import SHARED  # RECONKIT_SHARED overrides ../shared


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `shared` read ../shared (reference files beside the repo): without it,
    they skip with the reason instead of failing."""
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason=f"{SHARED} is absent (reference files beside the repo)")
    for item in items:
        if item.get_closest_marker("shared"):
            item.add_marker(skip)


ACME_IBAN = "FR1420041010050500013M02606"
BOLT_IBAN = "DE89370400440532013000"


def _table(name: str, rows: list[dict[str, object]]) -> pl.DataFrame:
    return conform_table(name, pl.DataFrame(rows))


def make_result() -> ReconResult:
    lineage = {"source_file": "hand.csv", "source_row": 2}
    parties = _table("parties", [
        {"system": "billing", "record_id": "cus_A", "name": "Acme SAS", "iban": ACME_IBAN,
         **lineage},
        {"system": "billing", "record_id": "cus_B", "name": "Bolt SARL", **lineage},
        {"system": "crm", "record_id": "001A", "name": "ACME", **lineage},
        {"system": "erp", "record_id": "411ACME", "name": "ACME SAS", **lineage},
    ])
    commitments = _table("commitments", [
        {"system": "crm", "record_id": "006X", "kind": "contract", "party_record_id": "001A",
         "contract_number": "C-1", "name": "Acme annual", "currency": "EUR",
         "amount_cents": 100000, "start_date": date(2024, 1, 1), **lineage}])
    invoices = _table("invoices", [
        {"system": "billing", "record_id": "in_1", "doc_type": "invoice", "number": "F-1",
         "party_record_id": "cus_A", "issue_date": date(2024, 3, 1), "currency": "EUR",
         "amount_cents": 120000, **lineage},
        {"system": "billing", "record_id": "in_2", "doc_type": "invoice", "number": "F-2",
         "party_record_id": "cus_B", "issue_date": date(2024, 3, 5), "currency": "EUR",
         "amount_cents": 50000, **lineage},
        {"system": "billing", "record_id": "cn_1", "doc_type": "credit_note", "number": "A-1",
         "party_record_id": "cus_A", "issue_date": date(2024, 3, 20), "currency": "EUR",
         "amount_cents": -2000, "credited_invoice_id": "in_9", **lineage},
    ])
    ledger = _table("ledger_lines", [
        {"system": "erp", "record_id": "VT:1", "journal_code": "VT", "entry_number": "1",
         "entry_date": date(2024, 3, 1), "account": "411000", "aux_account": "411ACME",
         "piece_ref": "F-1", "amount_cents": 120000, "currency": "EUR", **lineage}])
    payments = _table("payments", [
        {"system": "bank", "record_id": "p1", "entry_ref": "p1", "booking_date": date(2024, 3, 25),
         "amount_cents": 120000, "currency": "EUR", "payer_name": "ACME SAS",
         "payer_iban": ACME_IBAN, "remittance": "F-1", **lineage},
        {"system": "bank", "record_id": "p2", "entry_ref": "p2", "booking_date": date(2024, 3, 31),
         "amount_cents": 50000, "currency": "EUR", "payer_name": "BOLT",
         "payer_iban": "DE89 3704 0044 0532 0130 00", **lineage},
        {"system": "bank", "record_id": "p3", "entry_ref": "p3", "booking_date": date(2024, 3, 31),
         "amount_cents": -1500, "currency": "EUR", "payer_name": "BANK", **lineage},
    ])
    matches = pl.DataFrame([
        {"match_id": "M-a", "kind": "payment_invoice", "rule_id": "PAY-REF", "status": "auto",
         "score": 0.99, "explanation": "cites F-1", "evidence": '{"invoice_numbers": "F-1"}',
         "alternative": False},
        {"match_id": "M-b", "kind": "payment_invoice", "rule_id": "PAY-AMT", "status": "review",
         "score": 0.7, "explanation": "same amount as F-2", "evidence": '{"amount": 50000}',
         "alternative": True},
        {"match_id": "M-c", "kind": "payment_invoice", "rule_id": "PAY-AMT", "status": "review",
         "score": 0.65, "explanation": "close to F-1", "evidence": '{"amount": 50000}',
         "alternative": True},
    ], schema=CONTRACT["matches"])
    items = pl.DataFrame([
        ("M-a", "bank", "p1", "payment", 120000), ("M-a", "billing", "in_1", "invoice", 120000),
        ("M-b", "bank", "p2", "payment", 50000), ("M-b", "billing", "in_2", "invoice", 50000),
        ("M-c", "bank", "p2", "payment", 50000), ("M-c", "billing", "in_1", "invoice", 50000),
    ], schema=CONTRACT["match_items"], orient="row")
    exceptions = pl.DataFrame([
        ("E-2", "unresolved_party", "bank", "p2", "payer name close to several clients",
         "M-b;M-c", "decision"),
        ("E-3", "missing_in_ledger", "billing", "in_2", "not booked", "", "decision"),
        ("E-4", "bank_charge", "bank", "p3", "bank debit", "", "info"),
        ("E-5", "orphan_credit_note", "billing", "cn_1", "credits in_9, unknown", "",
         "decision"),
    ], schema=CONTRACT["exceptions"], orient="row")
    result_parties = pl.DataFrame([
        ("P1", "billing", "cus_A", "Acme SAS"), ("P1", "crm", "001A", "ACME"),
        ("P1", "erp", "411ACME", "ACME SAS"), ("P1", "bank", ACME_IBAN, "ACME SAS"),
        ("P2", "billing", "cus_B", "Bolt SARL"),
    ], schema=CONTRACT["parties"], orient="row")
    return ReconResult(
        matches=conform("matches", matches), match_items=conform("match_items", items),
        exceptions=conform("exceptions", exceptions),
        parties=conform("parties", result_parties),
        quarantine=conform("quarantine", pl.DataFrame(
            [("bank", "stmt.xml", 7, "amount_cents", "12,3,4", "not an amount")],
            schema=CONTRACT["quarantine"], orient="row")),
        inputs={"parties": parties, "commitments": commitments, "invoices": invoices,
                "ledger_lines": ledger, "payments": payments},
    )


@pytest.fixture
def tiny_result() -> ReconResult:
    return make_result()
