"""Ledger rules on realistic cases: receipts booked in an earlier month and never lettered
are proposed for lettering with the invoice their label cites (issue 7, convention 5)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from reconkit.export.lettering import propose_lettering

from builders import World, categories_of


def _world() -> World:
    w = World()
    w.client("A", "Acme Conseil SAS")
    w.client("B", "Boulangerie Martin SARL")
    return w


def _receipt(w: World, key: str, num: str, amount: int, on: date, label: str) -> str:
    rid = w.ledger_line(key, "BQ1", num, f"VIR{on:%m%d}", amount, on)
    w.ledger[-1].update(label=label, counter_accounts="512000")
    return rid


def test_unlettered_earlier_receipt_citing_an_invoice_is_a_lettering_proposal() -> None:
    w = _world()
    inv = w.invoice("A", "F-2026-000777", 12_000, issued=date(2026, 8, 5))
    inv_line = f"VT:{w.ledger[-1]['entry_number']}"
    rec = _receipt(w, "A", "BQ000412", -12_000, date(2026, 9, 3),
                   "VIR SEPA ACME CONSEIL REGLT FACT F2026-000777")
    r = w.reconcile()
    assert "unexplained_ledger_line" not in categories_of(r, rec)
    m = r.matches.filter(pl.col("rule_id") == "LEDGER-EARLIER-RECEIPT")
    assert m.height == 1
    row = m.row(0, named=True)
    assert (row["kind"], row["status"], row["score"]) == ("ledger_lettering", "auto", 0.985)
    items = r.match_items.filter(pl.col("match_id") == row["match_id"])
    assert sorted(items.select("record_id", "role", "amount_cents").rows()) == [
        (rec, "receipt", -12_000), (inv_line, "ledger_line", 12_000)]
    assert json.loads(row["evidence"])["reference"] == "normalized"
    let = propose_lettering(r)
    assert sorted(let.select("record_id", "lettering_code", "lettering_date").rows()) == [
        (rec, "AAA", date(2026, 9, 3)), (inv_line, "AAA", date(2026, 9, 3))]
    assert categories_of(r, inv) <= {"invoice_without_commitment"}


def test_earlier_receipt_for_another_amount_is_only_proposed() -> None:
    w = _world()
    w.invoice("A", "F-2026-000778", 12_000, issued=date(2026, 8, 5))
    rec = _receipt(w, "A", "BQ000413", -10_000, date(2026, 9, 3), "ACME F-2026-000778 ACOMPTE")
    r = w.reconcile()
    row = r.matches.filter(pl.col("rule_id") == "LEDGER-EARLIER-RECEIPT").row(0, named=True)
    assert (row["status"], row["score"]) == ("review", 0.7)
    assert "unexplained_ledger_line" not in categories_of(r, rec)
    assert propose_lettering(r).height == 0


def test_receipt_of_the_period_or_citing_nothing_is_left_to_other_rules() -> None:
    w = _world()
    w.invoice("A", "F-2026-000779", 12_000, issued=date(2026, 8, 5))
    vague = _receipt(w, "A", "BQ000414", -12_000, date(2026, 9, 3), "VIR ACME CONSEIL")
    r = w.reconcile()
    assert r.matches.filter(pl.col("rule_id") == "LEDGER-EARLIER-RECEIPT").height == 0
    assert categories_of(r, vague) == {"unexplained_ledger_line"}


def test_per_customer_number_written_in_the_label_is_read_not_its_sibling() -> None:
    w = _world()
    w.invoice("A", "0759376C-0001", 12_000, issued=date(2026, 8, 5))
    first = f"VT:{w.ledger[-1]['entry_number']}"
    w.invoice("A", "0759376C-0010", 12_000, issued=date(2026, 9, 5))
    rec = _receipt(w, "A", "BQ000415", -12_000, date(2026, 9, 3),
                   "VIR SEPA ACME CONSEIL /INV/0759376C - 0001")
    r = w.reconcile()
    row = r.matches.filter(pl.col("rule_id") == "LEDGER-EARLIER-RECEIPT").row(0, named=True)
    assert (row["status"], row["score"]) == ("auto", 0.985)
    items = r.match_items.filter(pl.col("match_id") == row["match_id"])
    assert sorted(items["record_id"].to_list()) == sorted([rec, first])
    assert json.loads(row["evidence"])["reference"] == "written"


def test_direct_debit_batch_lines_of_equal_amounts_are_told_apart_by_the_account() -> None:
    """A SEPA direct-debit batch: one bank entry, one ERP entry with a line per customer, all
    under the batch reference, two customers debited the same amount. Reference + amount +
    account single out each line (no review of the whole batch)."""
    w = World()
    w.client("A", "Acme Conseil SAS", iban="FR7630006000011234567890189")
    w.client("B", "Boulangerie Martin SARL", iban="FR7610107001011234567890129")
    w.invoice("A", "ACME-0001", 180_000)
    w.invoice("B", "BOUL-0001", 180_000)
    for n, (key, iban, payer) in enumerate((("A", "FR7630006000011234567890189", "ACME"),
                                            ("B", "FR7610107001011234567890129", "MARTIN"))):
        w.payment(f"B1/{n + 1}", 180_000, payer=payer, iban=iban, text=None)
        w.payments[-1]["entry_ref"] = "B1"
        w.ledger_line(key, "BQ1", f"BQ1000001:{n + 1}", "B1", -180_000, date(2026, 10, 20))
    r = w.reconcile()
    led = r.matches.filter(pl.col("kind") == "payment_ledger")
    assert led.select("rule_id", "status").unique().rows() == [("LEDGER-PAYMENT-REF", "auto")]
    pairs = r.match_items.join(led.select("match_id"), on="match_id").group_by("match_id").agg(
        pl.col("record_id").sort()).get_column("record_id").to_list()
    assert sorted(pairs) == [["B1/1", "BQ1:BQ1000001:1"], ["B1/2", "BQ1:BQ1000001:2"]]
