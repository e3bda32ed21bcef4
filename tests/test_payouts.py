"""PSP payouts end to end on a small built month: bank credit <-> Stripe payout <-> charges <->
invoices (lettered), fees written off to their account, a refund with its credit note, a
dispute, a payout that does not add up, a payout still in transit."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from reconkit.catalog import load_catalog
from reconkit.engine import Reconciliation
from reconkit.export.lettering import propose_lettering
from reconkit.loaders.base import Loaded, get_loader, merge_loaded
from reconkit.result import ReconResult
from tests.builders import World

PARIS = ZoneInfo("Europe/Paris")
PO_A, PO_B, PO_C = "po_1AAAAAAAAAAAAAAA", "po_1BBBBBBBBBBBBBBB", "po_1CCCCCCCCCCCCCCC"


def _ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, 12, tzinfo=PARIS).timestamp())


def _bt(tid: str, amount: int, fee: int, category: str, payout: str, on: date,
        source: object = None) -> dict[str, object]:
    return {"id": tid, "object": "balance_transaction", "amount": amount, "fee": fee,
            "net": amount - fee, "currency": "eur", "type": category,
            "reporting_category": category, "created": _ts(on), "available_on": _ts(on),
            "payout": payout, "source": source}


def _charge(cid: str, invoice: str | None, customer: str) -> dict[str, object]:
    return {"id": cid, "object": "charge", "invoice": invoice, "customer": customer}


OCT5, OCT7, OCT12, OCT14 = date(2026, 10, 5), date(2026, 10, 7), date(2026, 10, 12), \
    date(2026, 10, 14)
BALANCE = [
    _bt("txn_a1", 120000, 1705, "charge", PO_A, OCT5, _charge("ch_a1", "in_0759376C0001",
                                                               "cus_A")),
    _bt("txn_b1", 60000, 865, "charge", PO_A, OCT5,
        {"id": "py_b1", "object": "charge", "customer": "cus_B",
         "metadata": {"invoice_number": "BETA-0001"}}),
    _bt("txn_c1", 30000, 445, "charge", PO_A, OCT5, _charge("ch_c1", "in_GAMMA0001", "cus_C")),
    _bt("txn_c2", -6000, 0, "refund", PO_A, OCT5,
        {"id": "re_c2", "object": "refund", "charge": {"id": "ch_c1", "invoice": "in_GAMMA0001"}}),
    _bt("txn_a2", 50000, 725, "charge", PO_B, OCT12, _charge("ch_a2", "in_0759376C0002",
                                                              "cus_A")),
    _bt("txn_dp", -10000, 1500, "dispute", PO_B, OCT12, "dp_1"),
    _bt("txn_x1", 5000, 95, "charge", PO_C, date(2026, 10, 30), _charge("ch_x1", None, "cus_Z")),
]
PAYOUTS = [
    {"id": PO_A, "object": "payout", "amount": 200985, "currency": "eur",
     "arrival_date": _ts(OCT7), "created": _ts(OCT5), "status": "paid"},
    {"id": PO_B, "object": "payout", "amount": 40000, "currency": "eur",  # lines: 377.75
     "arrival_date": _ts(OCT14), "created": _ts(OCT12), "status": "paid"},
    {"id": PO_C, "object": "payout", "amount": 4905, "currency": "eur",
     "arrival_date": _ts(date(2026, 11, 2)), "created": _ts(date(2026, 10, 30)),
     "status": "in_transit"},
]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ReconResult:
    folder = tmp_path_factory.mktemp("stripe_payouts")
    for name, data in (("balance_transactions", BALANCE), ("payouts", PAYOUTS)):
        (folder / f"{name}.json").write_text(json.dumps(
            {"object": "list", "has_more": False, "data": data}))
    w = World()
    for key, name in (("A", "Acme SAS"), ("B", "Beta SARL"), ("C", "Gamma SA")):
        w.client(key, name)
    w.invoice("A", "0759376C-0001", 120000, issued=date(2026, 10, 1))
    w.invoice("A", "0759376C-0002", 50000, issued=date(2026, 10, 9))
    w.invoice("B", "BETA-0001", 60000, issued=date(2026, 10, 1))
    w.invoice("C", "GAMMA-0001", 30000, issued=date(2026, 10, 1))
    w.invoice("C", "GAMMA-0001-CN-01", -6000, issued=date(2026, 10, 5), credit_of="in_GAMMA0001")
    # the charge booked in the Stripe clearing journal: 511 debit / 411 credit
    w.ledger_line("A", "STR", "STR000001", "0759376C-0001", -120000, OCT5)
    w.payment("BQ-1", 200985, payer="STRIPE TECHNOLOGY EUROPE LTD", text="STRIPE PAYOUT",
              on=OCT7)
    w.payment("BQ-2", 40000, payer="STRIPE", text=f"STRIPE PAYOUT {PO_B.upper()}", on=OCT14)
    stripe = get_loader("stripe_payouts")(folder)
    loaded = merge_loaded([Loaded(tables=w.tables(), rows_read={"test": 0}), stripe])
    assert loaded.quarantine.height == 0
    rec = Reconciliation(catalog=load_catalog(), period_start=date(2026, 10, 1),
                         period_end=date(2026, 10, 31))
    return rec.match(loaded)


def _match_of(result: ReconResult, system: str, record_id: str, kind: str) -> dict[str, object]:
    ids = result.match_items.filter((pl.col("system") == system)
                                    & (pl.col("record_id") == record_id)
                                    & (pl.col("role") != "fee"))["match_id"]
    m = result.matches.filter(pl.col("match_id").is_in(ids.implode()) & (pl.col("kind") == kind))
    assert m.height == 1, m
    row = m.row(0, named=True)
    items = result.match_items.filter(pl.col("match_id") == row["match_id"])
    row["items"] = sorted(items.select("system", "record_id", "role", "amount_cents").rows())
    return row


def test_bank_credit_is_the_payout_and_is_used_once(result: ReconResult) -> None:
    m = _match_of(result, "bank", "BQ-1", "payment_invoice")
    assert (m["rule_id"], m["status"]) == ("PAY-PSP-PAYOUT", "auto")
    assert m["items"] == [("bank", "BQ-1", "payment", 200985), ("psp", PO_A, "payout", 200985)]
    evidence = json.loads(str(m["evidence"]))
    assert evidence["fees_cents"] == 3015 and evidence["lines"] == 4
    assert not evidence["cited"] and evidence["provider_named"]
    assert result.match_items.filter(pl.col("record_id") == "BQ-1").height == 1
    assert result.exceptions.filter(pl.col("record_id") == "BQ-1").height == 0


def test_charges_pay_their_invoices_and_are_lettered(result: ReconResult) -> None:
    m = _match_of(result, "psp", "txn_a1", "settlement_invoice")
    assert (m["rule_id"], m["status"]) == ("PSP-CHARGE-INVOICE", "auto")
    assert m["items"] == [("billing", "in_0759376C0001", "invoice", 120000),
                          ("erp", "STR:STR000001", "receipt", -120000),
                          ("erp", "VT:VT000001", "ledger_line", 120000),
                          ("psp", "txn_a1", "charge", 120000)]
    by_number = _match_of(result, "psp", "txn_b1", "settlement_invoice")
    assert ("billing", "in_BETA0001", "invoice", 60000) in by_number["items"]
    assert by_number["status"] == "auto"
    # the refunded invoice: the charge pays what is left after its credit note
    c = _match_of(result, "psp", "txn_c1", "settlement_invoice")
    assert ("billing", "in_GAMMA0001", "invoice", 24000) in c["items"]
    lettering = propose_lettering(result)
    a = lettering.filter(pl.col("aux_account") == "CA")
    assert sorted(a["record_id"].to_list()) == ["STR:STR000001", "VT:VT000001"]
    assert a["lettering_code"].unique().to_list() == ["AAA"] and not a["partial"].any()


def test_fees_are_written_off_to_their_account(result: ReconResult) -> None:
    fees = result.matches.filter(pl.col("rule_id") == "PSP-FEES").sort("explanation")
    assert fees.height == 3 and set(fees["status"]) == {"auto"}
    ev = {json.loads(e)["payout"]: json.loads(e) for e in fees["evidence"]}
    assert ev[PO_A]["write_off_account"] == "627800" and ev[PO_A]["fees_cents"] == 3015
    assert ev[PO_B]["fees_cents"] == 725 + 1500 and ev[PO_C]["fees_cents"] == 95


def test_refund_with_credit_note_and_dispute(result: ReconResult) -> None:
    m = _match_of(result, "psp", "txn_c2", "settlement_invoice")
    assert m["rule_id"] == "PSP-REFUND-CREDIT-NOTE" and m["status"] == "auto"
    assert ("billing", "cn_GAMMA0001CN01", "credit_note", -6000) in m["items"]
    exc = result.exceptions.filter(pl.col("system") == "psp")
    assert sorted(exc.select("category", "record_id").rows()) == [
        ("payout_in_transit", PO_C), ("psp_charge_without_invoice", "txn_x1"),
        ("psp_dispute", "txn_dp")]
    assert exc.filter(pl.col("category") == "payout_in_transit")["severity"].to_list() == \
        ["info"]


def test_a_payout_that_does_not_add_up_goes_to_review(result: ReconResult) -> None:
    m = _match_of(result, "bank", "BQ-2", "payment_invoice")
    assert (m["rule_id"], m["status"]) == ("PAY-PSP-PAYOUT-UNBALANCED", "review")
    assert "add up to 377.75" in str(m["explanation"])
    exc = result.exceptions.filter(pl.col("record_id") == "BQ-2")
    assert exc["category"].to_list() == ["payout_lines_mismatch"]


def test_every_settlement_line_is_accounted_for(result: ReconResult) -> None:
    assert result.exceptions.filter(pl.col("category") == "unaccounted_record").height == 0
    assert result.exceptions.filter(pl.col("category") == "unmatched_payment").height == 0


def test_descriptor_amount_and_date_are_all_needed(tmp_path: Path) -> None:
    """Same amount from STRIPE but 10 days from the arrival date: not this payout."""
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "payouts.json").write_text(json.dumps({"object": "list", "data": [PAYOUTS[0]]}))
    (folder / "bt.json").write_text(json.dumps({"object": "list", "data": BALANCE[:4]}))
    w = World()
    w.payment("BQ-9", 200985, payer="STRIPE TECHNOLOGY EUROPE LTD", text="STRIPE PAYOUT",
              on=date(2026, 10, 20))
    loaded = merge_loaded([Loaded(tables=w.tables(), rows_read={"test": 0}),
                           get_loader("stripe_payouts")(folder)])
    res = Reconciliation(catalog=load_catalog(), period_start=date(2026, 10, 1),
                         period_end=date(2026, 10, 31)).match(loaded)
    assert "payout_not_in_bank" in res.exceptions.filter(
        pl.col("record_id") == PO_A)["category"].to_list()
    assert res.matches.filter(pl.col("rule_id").str.starts_with("PAY-PSP")).height == 0


# ---------------------------------------------------------------- a generated stripe_default month
def payout_figures(result: ReconResult) -> dict[str, int]:
    """The payout reconciliation of a run in numbers (the closing note's figures)."""
    lines = result.inputs["settlement_lines"]
    m, items, exc = result.matches, result.match_items, result.exceptions
    by_rule = m.group_by("rule_id", "status").len()

    def n(rule: str, status: str = "auto") -> int:
        row = by_rule.filter((pl.col("rule_id") == rule) & (pl.col("status") == status))
        return int(row["len"].sum())

    fees = m.filter(pl.col("rule_id") == "PSP-FEES").join(items, on="match_id")
    psp_exc = exc.filter(pl.col("system") == "psp")
    charge_groups = m.filter(pl.col("rule_id") == "PSP-CHARGE-INVOICE").select("match_id")
    lettered = propose_lettering(result).join(charge_groups, on="match_id")
    return {
        "payouts": int(lines.filter(pl.col("settlement_id").is_not_null())
                       ["settlement_id"].n_unique()),
        "bank_lines_matched_to_payouts_auto": n("PAY-PSP-PAYOUT"),
        "bank_lines_matched_to_payouts_review": n("PAY-PSP-PAYOUT-UNBALANCED", "review"),
        "charges": lines.filter(pl.col("kind") == "charge").height,
        "charges_linked_to_invoices_auto": n("PSP-CHARGE-INVOICE"),
        "invoices_lettered_with_their_charge": lettered["match_id"].n_unique(),
        "fees_cents": int(fees["amount_cents"].sum()),
        "fee_lines": lines.filter(pl.col("kind") == "fee").height,
        "refunds": lines.filter(pl.col("kind") == "refund").height,
        "refunds_linked_to_credit_notes": n("PSP-REFUND-CREDIT-NOTE"),
        "disputes": lines.filter(pl.col("kind") == "dispute").height,
        "payouts_in_transit": psp_exc.filter(pl.col("category") == "payout_in_transit").height,
        "unexplained_psp_exceptions": psp_exc.filter(
            pl.col("severity") == "decision").height,
        "unmatched_bank_psp_credits": exc.filter(
            (pl.col("category") == "unmatched_payment")
            & pl.col("detail").str.contains("(?i)stripe")).height,
    }


@pytest.mark.slow
def test_generated_stripe_month(tmp_path_factory: pytest.TempPathFactory) -> None:
    from data_samples.evaluate import Truth, evaluate
    from data_samples.run_configs import generate
    from reconkit.config import load_config
    from reconkit.pipeline import run

    month = generate(tmp_path_factory.mktemp("stripe_month"), clients=300, seed=1,
                     period="2026-10", dialect="stripe_default", quiet=True)
    result = run(load_config(month / "run_native.yaml"))
    figures = payout_figures(result)
    scores = evaluate(result, Truth.read(month))["links"]
    print("\npayout reconciliation, stripe_default 300 clients seed 1 2026-10:")
    for k, v in figures.items():
        print(f"  {k:<40} {v}")
    for kind in ("payout_payment", "settlement_invoice"):
        print(f"  {kind:<40} auto {scores[kind]['auto']}")
    truth = Truth.read(month).links
    true_payouts = truth.filter(pl.col("kind") == "payout_payment").height
    assert figures["bank_lines_matched_to_payouts_auto"] == true_payouts > 5
    assert scores["payout_payment"]["auto"]["precision"] == 1.0
    assert scores["settlement_invoice"]["auto"]["precision"] == 1.0
    assert scores["settlement_invoice"]["auto"]["recall"] == 1.0
    assert figures["fees_cents"] > 0 and figures["unmatched_bank_psp_credits"] == 0
    assert figures["invoices_lettered_with_their_charge"] > 5
    assert figures["refunds"] == 2 and figures["refunds_linked_to_credit_notes"] == 1
    assert figures["disputes"] == 1 and figures["fee_lines"] == 1
    assert figures["fees_cents"] == int(result.inputs["settlement_lines"].filter(
        pl.col("settlement_id").is_not_null())["fee_cents"].sum())
    exc = set(result.exceptions.select("category", "record_id").iter_rows())
    true_exc = set(Truth.read(month).exceptions.filter(pl.col("system") == "psp").select(
        "category", "record_id").iter_rows())
    assert true_exc and true_exc <= exc
    # the Dashboard's itemised CSV of the same month reads as the same lines as the JSON
    report = next((month / "native" / "stripe_reports").glob("*.csv"))
    csv_lines = merge_loaded([get_loader("stripe_payouts")(report)]).tables["settlement_lines"]
    cols = ["record_id", "kind", "gross_cents", "fee_cents", "net_cents", "settlement_id",
            "created_date", "available_date", "customer_ref"]
    from_json = result.inputs["settlement_lines"].filter(pl.col("kind") != "payout")
    assert csv_lines.select(cols).sort("record_id").equals(from_json.select(cols).sort(
        "record_id"))
    refs = csv_lines.join(from_json, on="record_id").filter(pl.col("invoice_ref").is_not_null())
    assert refs.height > 0 and (refs["invoice_ref"] == refs["invoice_ref_right"]).all()


def _run(world: World, *psp: Loaded) -> ReconResult:
    loaded = merge_loaded([Loaded(tables=world.tables(), rows_read={"test": 0}), *psp])
    return Reconciliation(catalog=load_catalog(), period_start=date(2026, 10, 1),
                          period_end=date(2026, 10, 31)).match(loaded)


def test_adyen_batch_and_paypal_withdrawal_reach_the_bank(tmp_path: Path) -> None:
    from tests.test_settlement_loaders import ADYEN, PAYPAL

    (tmp_path / "adyen.csv").write_text(ADYEN)
    (tmp_path / "paypal.csv").write_text(PAYPAL)
    w = World()
    w.client("G", "Globex SA")
    w.invoice("G", "F-2026-000101", 120000, issued=date(2026, 10, 1))
    w.invoice("G", "F-2026-000102", 60000, issued=date(2026, 10, 1))
    w.payment("BQ-A", 172955, payer="ADYEN N.V.", text="ADYEN PAYOUT BATCH 42",
              on=date(2026, 10, 7))
    w.payment("BQ-P", 115646, payer="PAYPAL EUROPE S.A.R.L. ET CIE S.C.A",
              text="PAYPAL TRANSFER", on=date(2026, 10, 5))
    res = _run(w, get_loader("adyen")(tmp_path / "adyen.csv"),
               get_loader("paypal")(tmp_path / "paypal.csv", decimal=",", thousands=" "))
    adyen = _match_of(res, "bank", "BQ-A", "payment_invoice")
    assert adyen["rule_id"] == "PAY-PSP-PAYOUT" and adyen["status"] == "auto"
    assert ("psp", "NexaliaEU/42", "payout", 172955) in adyen["items"]
    paypal = _match_of(res, "bank", "BQ-P", "payment_invoice")
    assert paypal["rule_id"] == "PAY-PSP-PAYOUT" and paypal["status"] == "auto"
    charge = _match_of(res, "psp", "8815000000000002:Settled", "settlement_invoice")
    assert charge["status"] == "auto"
    assert ("billing", "in_F2026000102", "invoice", 60000) in charge["items"]
    # F-2026-000101 was collected twice (PayPal and Adyen): its amount is used once, the
    # second charge is an exception
    first = _match_of(res, "psp", "5AB12345CD678901E", "settlement_invoice")
    assert ("billing", "in_F2026000101", "invoice", 120000) in first["items"]
    assert res.exceptions.filter(pl.col("record_id") == "8815000000000001:Settled")[
        "category"].to_list() == ["psp_charge_without_invoice"]


def test_itemised_csv_alone_is_a_payout_by_its_lines(tmp_path: Path) -> None:
    """The payout reconciliation report has no payout row: the payout is its lines' sum."""
    from tests.test_settlement_loaders import PAYOUT_CSV

    (tmp_path / "payout_reconciliation.csv").write_text(PAYOUT_CSV)
    w = World()
    w.client("a", "Acme SAS")
    w.invoice("a", "A-0001", 120000, issued=date(2026, 10, 1))
    w.payment("BQ-S", 111795, payer="STRIPE", text="STRIPE PAYOUT PO_A REF", on=date(2026, 10, 7))
    res = _run(w, get_loader("stripe_payouts")(tmp_path / "payout_reconciliation.csv"))
    m = _match_of(res, "bank", "BQ-S", "payment_invoice")
    assert m["status"] == "auto" and ("psp", "po_A", "payout", 111795) in m["items"]


def test_a_payout_two_bank_credits_could_be_is_never_auto(tmp_path: Path) -> None:
    """A statement loaded twice: both credits cite the payout; neither is matched alone."""
    (tmp_path / "payouts.json").write_text(json.dumps({"object": "list", "data": [PAYOUTS[0]]}))
    (tmp_path / "bt.json").write_text(json.dumps({"object": "list", "data": BALANCE[:4]}))
    w = World()
    for ref in ("BQ-1", "BQ-1-COPY"):
        w.payment(ref, 200985, payer="STRIPE", text=f"STRIPE PAYOUT {PO_A}", on=OCT7)
    res = _run(w, get_loader("stripe_payouts")(tmp_path))
    for ref in ("BQ-1", "BQ-1-COPY"):
        m = _match_of(res, "bank", ref, "payment_invoice")
        assert (m["rule_id"], m["status"], m["score"]) == ("PAY-PSP-PAYOUT", "review", 0.5)
