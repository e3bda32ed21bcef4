"""Payments that cite nothing usable, explained by the known payer's open documents with a
gap (fee, partial, over), by an invoice it already paid (duplicate), or by the billing month
the remittance names. Never automatic; each carries the exception to decide."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from builders import World, categories_of, payment_match

IBAN_A = "FR7630006000011234567890189"


def _world() -> World:
    w = World()
    w.client("A", "Proxivia Emballages SASU", iban=IBAN_A)
    return w


def _invoices(m: dict[str, object]) -> dict[str, int]:
    return {i["record_id"]: i["amount_cents"] for i in m["items"]  # type: ignore[attr-defined]
            if i["role"] == "invoice"}


def test_short_by_a_fee_without_reference_is_proposed_with_a_write_off() -> None:
    w = _world()
    inv = w.invoice("A", "PROXIVIA-0043", 180_000, issued=date(2026, 9, 20))
    w.payment("P1", 178_781, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A, text="VIREMENT")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert (m["rule_id"], m["status"]) == ("PAY-PARTY-FEE", "review")
    assert _invoices(m) == {inv: 180_000}
    assert [i["amount_cents"] for i in m["items"] if i["role"] == "write_off"] == [1_219]
    assert categories_of(r, "P1") == {"bank_fee_deducted"}


def test_partial_payment_of_the_only_open_invoice_without_reference() -> None:
    w = _world()
    inv = w.invoice("A", "PROXIVIA-0025", 363_480, issued=date(2026, 9, 20))
    w.payment("P1", 184_175, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A,
              text="VIR PROXIVIA")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert (m["rule_id"], m["status"]) == ("PAY-PARTY-PARTIAL", "review")
    assert _invoices(m) == {inv: 184_175}
    assert categories_of(r, "P1") == {"partial_payment"}


def test_partial_payment_is_not_guessed_among_several_open_invoices() -> None:
    w = _world()
    w.invoice("A", "PROXIVIA-0025", 363_480, issued=date(2026, 9, 20))
    w.invoice("A", "PROXIVIA-0026", 300_000, issued=date(2026, 9, 25))
    w.payment("P1", 184_175, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A, text="VIREMENT")
    r = w.reconcile()
    assert categories_of(r, "P1") == {"unmatched_payment"}


def test_overpayment_of_the_only_open_invoice_without_reference() -> None:
    w = _world()
    inv = w.invoice("A", "PROXIVIA-0009", 90_000, issued=date(2026, 9, 20))
    w.payment("P1", 102_120, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A, text="VIREMENT")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert (m["rule_id"], m["status"]) == ("PAY-PARTY-OVER", "review")
    assert _invoices(m) == {inv: 90_000}
    assert categories_of(r, "P1") == {"overpayment"}


def test_second_transfer_of_an_invoice_already_paid_is_a_duplicate() -> None:
    w = _world()
    inv = w.invoice("A", "PROXIVIA-0023", 41_328, issued=date(2026, 9, 20))
    w.payment("P1", 41_328, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A,
              text="PROXIVIA-0023", on=date(2026, 10, 5))
    w.payment("P2", 41_328, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A,
              text="PAIEMENT FOURNISSEUR", on=date(2026, 10, 9))
    r = w.reconcile()
    assert payment_match(r, "P1")["status"] == "auto"
    m = payment_match(r, "P2")
    assert (m["rule_id"], m["status"]) == ("PAY-PARTY-DUPLICATE", "review")
    assert _invoices(m) == {inv: 0}
    assert categories_of(r, "P2") == {"duplicate_payment"}


def test_billing_month_named_singles_out_the_invoice_and_reveals_a_duplicate() -> None:
    """Two transfers of a monthly amount, both saying ABONNEMENT SEPTEMBRE 2026, while the
    September and October invoices are open with that amount: the month names September's;
    the second transfer pays it again."""
    w = _world()
    sep = w.invoice("A", "HAIFCEUW-0040", 413_520, issued=date(2026, 9, 8))
    w.invoices[-1].update(period_start=date(2026, 9, 8), period_end=date(2026, 10, 7))
    octo = w.invoice("A", "HAIFCEUW-0044", 413_520, issued=date(2026, 10, 8))
    w.invoices[-1].update(period_start=date(2026, 10, 8), period_end=date(2026, 11, 7))
    w.payment("P1", 413_520, payer="PROXIVIA EMBALLAGES", iban=IBAN_A,
              text="ABONNEMENT SEPTEMBRE 2026", on=date(2026, 10, 12))
    w.payment("P2", 413_520, payer="PROXIVIA EMBALLAGES", iban=IBAN_A,
              text="ABONNEMENT SEPTEMBRE 2026", on=date(2026, 10, 19))
    r = w.reconcile()
    first = payment_match(r, "P1")
    assert (first["rule_id"], first["status"]) == ("PAY-REF-EXACT", "review")
    assert _invoices(first) == {sep: 413_520}
    assert json.loads(first["evidence"])["ref_evidence"] == "period"
    second = payment_match(r, "P2")
    assert (second["rule_id"], _invoices(second)) == ("PAY-DUPLICATE", {sep: 0})
    assert categories_of(r, "P2") == {"duplicate_payment"}
    assert r.match_items.filter(pl.col("record_id") == octo).height == 0 or \
        "payment_invoice" not in set(r.matches.join(
            r.match_items.filter(pl.col("record_id") == octo), on="match_id")["kind"])
