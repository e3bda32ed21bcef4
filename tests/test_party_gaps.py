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


def test_contract_citation_over_equal_instalments_proposes_the_oldest_for_review() -> None:
    """CONTRAT 00000935 with two open monthly invoices of exactly the amount: the oldest is
    proposed, never automatically (instalments are not always paid oldest first)."""
    w = _world()
    w.contract("A", "00000935", 142_600)
    old = w.invoice("A", "AXIPRO-0005", 171_120, net=142_600, issued=date(2026, 8, 26),
                    contract="00000935")
    w.invoice("A", "AXIPRO-0008", 171_120, net=142_600, issued=date(2026, 9, 26))
    w.payment("P1", 171_120, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A,
              text="CONTRAT 00000935", on=date(2026, 10, 1))
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert (m["rule_id"], m["status"], _invoices(m)) == ("PAY-REF-EXACT", "review",
                                                          {old: 171_120})
    assert json.loads(m["evidence"])["ref_evidence"] == "oldest_instalment"


def test_a_vague_citation_never_takes_an_invoice_another_payment_spells_out() -> None:
    w = _world()
    w.contract("A", "00000940", 100_000)
    first = w.invoice("A", "40DUR-0040", 120_000, net=100_000, issued=date(2026, 8, 20))
    later = w.invoice("A", "40DUR-0043", 120_000, net=100_000, issued=date(2026, 9, 20))
    w.payment("P1", 120_000, payer="PROXIVIA", iban=IBAN_A, text="CONTRAT N 940",
              on=date(2026, 10, 20))
    w.payment("P2", 73_200, payer="PROXIVIA", iban=IBAN_A, text="40DUR-0040",
              on=date(2026, 10, 27))
    r = w.reconcile()
    assert _invoices(payment_match(r, "P1")) == {later: 120_000}
    partial = payment_match(r, "P2")
    assert (partial["rule_id"], _invoices(partial)) == ("PAY-PARTIAL", {first: 73_200})


def test_overpayment_of_the_one_invoice_it_exceeds_by_a_little() -> None:
    w = _world()
    inv = w.invoice("A", "28679E7P-0029", 240_000, issued=date(2026, 9, 20))
    w.invoice("A", "28679E7P-0030", 900_000, issued=date(2026, 9, 25))
    w.invoice("A", "28679E7P-0031", 120_000, issued=date(2026, 9, 28))
    w.payment("P1", 247_913, payer="PROXIVIA EMBALLAGES SASU", iban=IBAN_A,
              text="PAIEMENT FOURNISSEUR")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert (m["rule_id"], m["status"], _invoices(m)) == ("PAY-PARTY-OVER", "review",
                                                          {inv: 240_000})
    assert categories_of(r, "P1") == {"overpayment"}
