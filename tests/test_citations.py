"""Reading document numbers from remittance texts as real payers write them (issue 7 #1, #2)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from reconkit.keys.citations import (
    cite_documents,
    document_sequence,
    period_citations,
    sequence_citations,
    text_windows,
)

from builders import World, categories_of, payment_match

IBAN_A = "FR7630006000011234567890189"
IBAN_B = "FR7610107001011234567890129"


def _cites(text: str, numbers: list[str]) -> list[tuple[str, str]]:
    texts = pl.DataFrame({"id": ["p"], "t": [text]})
    docs = pl.DataFrame({"doc": numbers, "number": numbers})
    win = text_windows(texts, id_col="id", text_cols=["t"], max_window=4)
    got = cite_documents(win, docs, id_col="id", doc_id_col="doc", number_col="number",
                         min_key_len=5)
    return sorted(zip(got["doc"].to_list(), got["citation"].to_list(), strict=True))


@pytest.mark.parametrize(("text", "expected"), [
    ("/INV/0759376C-0001", ("0759376C-0001", "exact")),           # digit-led Stripe prefix
    ("PAIEMENT 0759376C 0001 MERCI", ("0759376C-0001", "exact")),  # separator changed
    ("0759376C0001", ("0759376C-0001", "exact")),                  # dash dropped
    ("/RFB/0759376C-1", ("0759376C-0001", "normalized")),          # zeros dropped, code word
    ("REGLT 0759376C - 00001", ("0759376C-0001", "normalized")),   # spaced dash, zero added
    ("/ROC/ILO1B-0012/URI/X", ("ILO1B-0012", "exact")),            # I, L, O kept as letters
])
def test_numbers_read_as_payers_write_them(text: str, expected: tuple[str, str]) -> None:
    assert _cites(text, ["0759376C-0001", "0759376C-0002", "ILO1B-0012", "IL01B-0012"]) \
        == [expected]


def test_letters_of_a_prefix_are_never_read_as_digits() -> None:
    # IL01B-0012 (zero and one) is another customer's number than ILO1B-0012
    assert _cites("ILO1B-0012", ["IL01B-0012"]) == []


def test_a_credit_note_number_is_not_also_read_as_its_invoice() -> None:
    assert _cites("AVOIR ABC12-0010-CN-01", ["ABC12-0010", "ABC12-0010-CN-01"]) == [
        ("ABC12-0010-CN-01", "exact")]


def test_short_numbers_and_amounts_never_cite() -> None:
    assert _cites("VIR 1200 EUR 2026 10", ["1200", "2026-10"]) == []


def test_sequence_after_a_code_word() -> None:
    texts = pl.DataFrame({"id": ["a", "b", "c"],
                          "t": ["VIR INV 0042", "facture n 42 merci", "ABONNEMENT OCTOBRE 2026"]})
    win = text_windows(texts, id_col="id", text_cols=["t"], max_window=4)
    got = sequence_citations(win, id_col="id", code_words=["INV", "FACTURE"])
    assert got.rows() == [("a", "42"), ("b", "42")]
    seq = pl.select(document_sequence(pl.lit("0759376C-0042"))).item()
    assert seq == "42"


# -- end to end: the engine's payment rules on per-customer (Stripe default) numbering ------

def _stripe_world() -> World:
    w = World()
    w.client("A", "Acme Conseil SAS", iban=IBAN_A)
    w.client("B", "Boulangerie Martin SARL", iban=IBAN_B)
    return w


def test_digit_led_number_glued_to_a_code_word_auto_matches() -> None:
    w = _stripe_world()
    inv = w.invoice("A", "0759376C-0021", 49_900)
    w.invoice("A", "0759376C-0022", 49_900)  # the next month's sibling, same amount
    w.payment("P1", 49_900, payer="ACME CONSEIL", iban=IBAN_A, text="/INV/0759376C-0021")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert (m["status"], m["rule_id"]) == ("auto", "PAY-REF-EXACT")
    assert {i["record_id"] for i in m["items"] if i["role"] == "invoice"} == {inv}


def test_a_typo_between_two_siblings_is_never_auto() -> None:
    w = _stripe_world()
    w.invoice("A", "ABC12-0021", 49_900)
    w.invoice("A", "ABC12-0022", 49_900)
    # 0023 is one edit from both open siblings: neither is cited
    w.payment("P1", 49_900, payer="ACME CONSEIL", iban=IBAN_A, text="ABC12-0023")
    r = w.reconcile()
    auto = r.matches.filter(pl.col("status") == "auto").join(
        r.match_items.filter(pl.col("record_id") == "P1"), on="match_id")
    assert auto.height == 0


def test_sequence_only_resolved_within_the_payers_open_invoices() -> None:
    w = _stripe_world()
    inv = w.invoice("A", "ABC12-0042", 120_000)
    w.invoice("B", "XYZ77-0042", 120_000)  # another client's invoice with the same sequence
    w.payment("P1", 120_000, payer="ACME CONSEIL", iban=IBAN_A, text="FACTURE 42")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert m["status"] == "auto"
    assert {i["record_id"] for i in m["items"] if i["role"] == "invoice"} == {inv}
    assert '"ref_evidence":"sequence"' in m["evidence"]


def test_po_number_singles_out_the_invoice_by_its_amount() -> None:
    w = _stripe_world()
    inv = w.invoice("A", "ABC12-0042", 120_000)
    w.invoice("A", "ABC12-0043", 80_000)
    for row in w.invoices:
        row["po_number"] = "PO-2026-118"
    w.payment("P1", 120_000, payer="ACME CONSEIL", iban=IBAN_A, text="CMD PO-2026-118")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert m["status"] == "auto"
    assert {i["record_id"] for i in m["items"] if i["role"] == "invoice"} == {inv}
    assert categories_of(r, "P1") == set()


def test_reference_inside_an_rf_creditor_reference() -> None:
    # RF39 + the invoice number with its dash dropped (ISO 11649, checksum-valid)
    assert _cites("RF393FRN61440022", ["3FRN6144-0022", "3FRN6144-0023"]) == [
        ("3FRN6144-0022", "rf_payload")]
    assert _cites("RF383FRN61440022", ["3FRN6144-0022"]) == []  # bad check digits


def test_contract_number_after_a_code_word_designates_the_payers_invoice() -> None:
    w = _stripe_world()
    w.contract("A", "00000691", 50_000)
    inv = w.invoice("A", "2MJ5HSUP-0005", 60_000, issued=date(2026, 9, 10))
    # the next invoice of the contract is issued after the payment: not what it pays
    w.invoice("A", "2MJ5HSUP-0006", 60_000, issued=date(2026, 10, 10))
    w.payment("P1", 60_000, payer="ACME CONSEIL", iban=IBAN_A,
              text="PAIEMENT CONTRAT N 691 SEPTEMBRE 2026", on=date(2026, 10, 7))
    m = payment_match(w.reconcile(), "P1")
    assert m["status"] == "auto"
    assert {i["record_id"] for i in m["items"] if i["role"] == "invoice"} == {inv}
    assert '"ref_evidence":"contract_number"' in m["evidence"]


def test_ocr_letter_in_the_sequence_reads_as_the_number_not_its_sibling() -> None:
    w = _stripe_world()
    inv = w.invoice("A", "4NT6IGNI-0013", 312_600, issued=date(2026, 9, 17))
    w.invoice("A", "4NT6IGNI-0014", 312_600, issued=date(2026, 10, 17))
    w.payment("P1", 312_600, payer="ACME CONSEIL", iban=IBAN_A, text="FACTURE 4NT6IGNI-O013")
    m = payment_match(w.reconcile(), "P1")
    assert m["status"] == "auto"
    assert {i["record_id"] for i in m["items"] if i["role"] == "invoice"} == {inv}


def test_sequence_alone_still_names_the_invoice_when_the_amount_differs() -> None:
    w = _stripe_world()
    inv = w.invoice("A", "J0RPYL2F-0013", 75_360)
    w.invoice("A", "J0RPYL2F-0014", 75_360)
    w.payment("P1", 83_124, payer="ACME CONSEIL", iban=IBAN_A, text="INV 0013")
    r = w.reconcile()
    m = payment_match(r, "P1")
    assert m["rule_id"] == "PAY-OVER"
    assert {i["record_id"] for i in m["items"] if i["role"] == "invoice"} == {inv}
    assert categories_of(r, "P1") == {"overpayment"}


def test_billing_month_named_with_its_year() -> None:
    texts = pl.DataFrame({"id": ["a", "b", "c", "d"],
                          "t": ["ABONNEMENT SEPTEMBRE 2026", "Échéance décembre 2025",
                                "VIREMENT 2026", "SEPTEMBRE2026 / DECEMBRES 2026"]})
    got = period_citations(texts, id_col="id", text_cols=["t"],
                           month_names={"SEPTEMBRE": 9, "DECEMBRE": 12})
    assert got.rows() == [("a", date(2026, 9, 1)), ("b", date(2025, 12, 1))]


def test_ocr_letters_in_the_final_sequence_read_as_digits_never_in_the_prefix() -> None:
    texts = pl.DataFrame({"id": ["a", "b", "c"],
                          "t": ["FACTURE 3TYB5KEI-002B", "CLIENT 50237 FACTURE 6AXU4C0O-0O14",
                                "FACTURE 3TYB5KEI-0O23"]})
    windows = text_windows(texts, id_col="id", text_cols=["t"], max_window=4)
    docs = pl.DataFrame({"n": ["3TYB5KEI-0028", "3TYB5KEI-0023", "6AXU4C0O-0014",
                               "3TY85KEI-0028"]})
    got = cite_documents(windows, docs, id_col="id", doc_id_col="n", number_col="n",
                         min_key_len=5)
    assert got.select("id", "n", "citation").rows() == [
        ("a", "3TYB5KEI-0028", "ocr"), ("b", "6AXU4C0O-0014", "ocr"),
        ("c", "3TYB5KEI-0023", "ocr")]
