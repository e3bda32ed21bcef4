"""Lettering proposed back to the ERP from settled payments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from reconkit.export.lettering import code_at, code_index, propose_lettering, write_lettering

from builders import World

IBAN = "FR7630006000011234567890189"


def test_codes_sequence() -> None:
    assert [code_at(i) for i in (0, 1, 25, 26, 27)] == ["AAA", "AAB", "AAZ", "ABA", "ABB"]
    assert code_index("ABB") == 27 and code_index("aab") == 1 and code_index("12") is None


def test_settled_payment_letters_its_invoice_and_bank_lines(tmp_path: Path) -> None:
    w = World()
    w.client("A", "Acme Conseil SAS", iban=IBAN)
    w.invoice("A", "F-2026-000001", 5_000, issued=date(2026, 8, 1), lettered="AAC")
    inv = w.invoice("A", "F-2026-000100", 12_000)
    w.payment("2026102000000001", 12_000, payer="ACME CONSEIL", iban=IBAN, text="F-2026-000100")
    w.ledger_line("A", "BQ1", "BQ000001", "2026102000000001", -12_000, date(2026, 10, 20))
    w.invoice("A", "F-2026-000101", 9_000)  # open, no payment: not lettered
    r = w.reconcile()
    let = propose_lettering(r)
    assert let.select("record_id", "lettering_code", "partial", "amount_cents").rows() == [
        ("BQ1:BQ000001", "AAD", False, -12_000), ("VT:VT000002", "AAD", False, 12_000)]
    assert let["lettering_date"].unique().to_list() == [date(2026, 10, 20)]
    assert inv  # the invoice's line is VT:VT000002
    out = tmp_path / "lettering.csv"
    write_lettering(r, out)
    csv = pl.read_csv(out, infer_schema=False)
    assert csv.columns[:2] == ["JournalCode", "EcritureNum"]
    assert csv["EcritureLet"].to_list() == ["AAD", "AAD"]
    assert csv["DateLet"].to_list() == ["20261020", "20261020"]


def test_unbooked_payment_is_not_lettered_yet() -> None:
    w = World()
    w.client("A", "Acme Conseil SAS", iban=IBAN)
    w.invoice("A", "F-2026-000100", 12_000)
    w.payment("P1", 12_000, payer="ACME CONSEIL", iban=IBAN, text="F-2026-000100")
    assert propose_lettering(w.reconcile()).height == 0
