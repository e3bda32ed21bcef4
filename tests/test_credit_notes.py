"""Credit note rules on realistic cases: a year-end rebate hosted on an unrelated invoice is a
rebate to allocate, never an ordinary credit note netted against it (issue 7, convention 6)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from builders import World, categories_of, payment_match

IBAN_A = "FR7630006000011234567890189"
RFA_LINES = " | ".join(f"RFA 2% {m} 2026" for m in (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre"))


def _world() -> World:
    w = World()
    w.client("A", "Acme Conseil SAS", iban=IBAN_A)
    return w


def _rebate(w: World, host: str, *, lines: str | None, counter: str = "44571 709000",
            number: str = "AV-2026-000031") -> str:
    cn = w.invoice("A", number, -8_436, net=-7_030, credit_of=host,
                   issued=date(2026, 10, 10))
    w.invoices[-1]["line_text"] = lines
    w.ledger[-1]["counter_accounts"] = counter
    return cn


def test_year_end_rebate_on_a_host_invoice_is_not_netted_against_it() -> None:
    w = _world()
    host = w.invoice("A", "F-2026-001500", 120_000, net=100_000)
    cn = _rebate(w, host, lines=RFA_LINES)
    w.payment("P1", 120_000, payer="ACME CONSEIL", iban=IBAN_A, text="FACTURE F-2026-001500")
    r = w.reconcile()
    assert "year_end_rebate" in categories_of(r, cn)
    detail = r.exceptions.filter((pl.col("record_id") == cn)
                                 & (pl.col("category") == "year_end_rebate"))["detail"].item()
    assert "wording, month lines, rebate account, unrelated amount" in detail
    linked = r.matches.filter(pl.col("kind") == "credit_note_invoice")
    assert linked.height == 0
    # the client pays the host invoice in full: exact, not an overpayment of the netted amount
    m = payment_match(r, "P1")
    assert m["status"] == "auto"
    assert {(i["record_id"], i["amount_cents"]) for i in m["items"]} == {
        ("P1", 120_000), (host, 120_000)}
    assert "overpayment" not in categories_of(r, "P1")


def test_rebate_recognised_by_month_lines_709_and_amount_without_wording() -> None:
    w = _world()
    host = w.invoice("A", "F-2026-001501", 120_000, net=100_000)
    cn = _rebate(w, host, lines="Remise volume janvier 2026 | Remise volume février 2026",
                 number="AV-2026-000032")
    r = w.reconcile()
    assert "year_end_rebate" in categories_of(r, cn)
    assert r.matches.filter(pl.col("kind") == "credit_note_invoice").height == 0


def test_ordinary_partial_credit_note_booked_on_709_is_not_a_rebate() -> None:
    w = _world()
    host = w.invoice("A", "F-2026-001503", 120_000, net=100_000)
    cn = _rebate(w, host, lines="Avoir partiel: prestation non réalisée",
                 number="AV-2026-000034")
    r = w.reconcile()
    assert "year_end_rebate" not in categories_of(r, cn)
    link = r.matches.filter(pl.col("kind") == "credit_note_invoice").row(0, named=True)
    assert (link["rule_id"], link["status"]) == ("CN-LINKED", "auto")


def test_ordinary_credit_note_on_its_invoice_is_still_linked_and_netted() -> None:
    w = _world()
    host = w.invoice("A", "F-2026-001502", 120_000, net=100_000)
    cn = w.invoice("A", "AV-2026-000033", -12_000, net=-10_000, credit_of=host)
    w.invoices[-1]["line_text"] = "Geste commercial: retard de livraison octobre"
    w.ledger[-1]["counter_accounts"] = "44571 706000"
    w.payment("P1", 108_000, payer="ACME CONSEIL", iban=IBAN_A, text="F-2026-001502")
    r = w.reconcile()
    link = r.matches.filter(pl.col("kind") == "credit_note_invoice").row(0, named=True)
    assert (link["rule_id"], link["status"]) == ("CN-LINKED", "auto")
    assert "year_end_rebate" not in categories_of(r, cn)
    m = payment_match(r, "P1")
    assert m["status"] == "auto"
    assert {(i["record_id"], i["amount_cents"]) for i in m["items"]} >= {
        ("P1", 108_000), (host, 108_000)}
    assert json.loads(link["evidence"])["same_party"] is True


def test_credit_note_on_an_invoice_paid_by_an_unlettered_earlier_receipt() -> None:
    """The invoice was paid in August; the receipt is booked in the bank journal, cites it and
    was never lettered (issue 7, convention 5). A credit note on it in October cannot reduce
    what is due any more: it is raised as on a closed invoice, not netted."""
    w = _world()
    inv = w.invoice("A", "65TEL-0027", 69_120, issued=date(2026, 8, 4))
    w.ledger_line("A", "BQ1", "BQ1006965", "2026081700002901", -69_120, date(2026, 8, 17))
    w.ledger[-1]["label"] = "REGLEMENT FACT 65TEL-0027 STE TELECOM"
    cn = w.invoice("A", "65TEL-0027-CN-01", -69_120, credit_of=inv, issued=date(2026, 10, 14))
    r = w.reconcile()
    assert categories_of(r, cn) == {"credit_note_on_lettered_line"}
    m = r.matches.join(r.match_items.filter(pl.col("record_id") == cn), on="match_id") \
        .filter(pl.col("kind") == "credit_note_invoice")
    assert m["rule_id"].to_list() == ["CN-ON-LETTERED"]
    assert "already paid by a receipt (not lettered) on 2026-08-17" in m["explanation"][0]
    assert json.loads(m["evidence"][0])["settled_by"] == "earlier_receipt"
