"""PSP settlement loaders (Stripe balance transactions / payouts JSON, Stripe payout
reconciliation CSV, Adyen settlement details, PayPal activity download): exact values, kinds,
settlement ids, quarantine and load report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import get_loader, merge_loaded

PO = "po_1QxPayoutOct05"
# 2026-10-05 12:00 Paris = 10:00 UTC
T5, T7 = 1791194400, 1791367200
BALANCE = {"object": "list", "url": "/v1/balance_transactions", "has_more": False, "data": [
    {"id": "txn_ch1", "object": "balance_transaction", "amount": 120000, "fee": 1705,
     "net": 118295, "currency": "eur", "type": "charge", "reporting_category": "charge",
     "created": T5, "available_on": T7, "payout": PO,
     "source": {"id": "ch_1", "object": "charge", "invoice": "in_001", "customer": "cus_a"}},
    {"id": "txn_ch2", "object": "balance_transaction", "amount": 6000, "fee": 109,
     "net": 5891, "currency": "eur", "type": "payment", "reporting_category": "charge",
     "created": T5, "available_on": T7, "payout": {"id": PO, "object": "payout"},
     "source": {"id": "py_2", "object": "charge", "customer": "cus_b",
                "metadata": {"invoice_number": "0759376C-0002"}}},
    {"id": "txn_re1", "object": "balance_transaction", "amount": -6000, "fee": 0,
     "net": -6000, "currency": "eur", "type": "refund", "reporting_category": "refund",
     "created": T5, "available_on": T5, "payout": PO,
     "source": {"id": "re_1", "object": "refund", "charge": {"id": "ch_0", "invoice": "in_000"}}},
    {"id": "txn_fee1", "object": "balance_transaction", "amount": -500, "fee": 0,
     "net": -500, "currency": "eur", "type": "stripe_fee", "reporting_category": "fee",
     "created": T5, "available_on": T5, "payout": PO, "source": None},
    {"id": "txn_dp1", "object": "balance_transaction", "amount": -3000, "fee": 1500,
     "net": -4500, "currency": "eur", "type": "adjustment", "reporting_category": "dispute",
     "created": T5, "available_on": T5, "payout": PO, "source": "dp_1"},
    {"id": "txn_po1", "object": "balance_transaction", "amount": -113186, "fee": 0,
     "net": -113186, "currency": "eur", "type": "payout", "reporting_category": "payout",
     "created": T7, "available_on": T7, "source": PO},
]}
PAYOUTS = {"object": "list", "has_more": False, "data": [
    {"id": PO, "object": "payout", "amount": 113186, "currency": "eur", "arrival_date": T7,
     "created": T5, "status": "paid", "statement_descriptor": "STRIPE PAYOUT"}]}


def _write(path: Path, body: object) -> Path:
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def _lines(kind: str, path: Path, **options: object) -> pl.DataFrame:
    return merge_loaded([get_loader(kind)(path, **options)]).tables["settlement_lines"]


def test_stripe_balance_transactions_and_payouts(tmp_path: Path) -> None:
    _write(tmp_path / "balance_transactions.json", BALANCE)
    _write(tmp_path / "payouts.json", PAYOUTS)
    loaded = get_loader("stripe_payouts")(tmp_path)
    res = merge_loaded([loaded])
    df = res.tables["settlement_lines"].sort("source_file", "source_row")
    assert df["record_id"].to_list() == ["txn_ch1", "txn_ch2", "txn_re1", "txn_fee1", "txn_dp1",
                                         PO]
    assert df["kind"].to_list() == ["charge", "charge", "refund", "fee", "dispute", "payout"]
    assert df["gross_cents"].to_list() == [120000, 6000, -6000, 0, -3000, -113186]
    assert df["fee_cents"].to_list() == [1705, 109, 0, 500, 1500, 0]
    assert df["net_cents"].sum() == 0  # the lines and their payout balance out
    assert set(df["settlement_id"]) == {PO}
    assert df["invoice_ref"].to_list() == ["in_001", "0759376C-0002", "in_000", None, None,
                                           None]
    assert df["customer_ref"].to_list()[:2] == ["cus_a", "cus_b"]
    assert df["currency"].unique().to_list() == ["EUR"]
    payout = df.filter(pl.col("kind") == "payout").row(0, named=True)
    assert payout["source_file"] == "payouts.json"  # the payout object wins over its txn
    assert payout["available_date"] == dt.date(2026, 10, 7) and payout["status"] == "paid"
    assert df["created_date"][0] == dt.date(2026, 10, 5)
    report = {r.source_file: r for r in res.report}
    assert report["balance_transactions.json"].rows_read == 6
    assert report["balance_transactions.json"].rows_skipped == 1
    assert all(r.unaccounted == 0 for r in res.report)


def test_stripe_json_bad_values_are_quarantined_and_incomplete_lists_warned(
        tmp_path: Path) -> None:
    body = json.loads(json.dumps(BALANCE))
    body["has_more"] = True
    body["data"][0]["amount"] = "1200.00"
    body["data"][1]["created"] = 1791194400000  # milliseconds
    body["data"][2]["net"] = -5000  # net != gross - fee
    loaded = get_loader("stripe_payouts")(_write(tmp_path / "bt.json", body))
    q = loaded.quarantine.sort("source_row")
    assert q.select("source_row", "column").rows() == [(1, "gross_cents"),
                                                        (2, "created_date"), (3, "net")]
    assert q["reason"][0].startswith("not an amount in minor units")
    assert "milliseconds" in q["reason"][1]
    assert q["reason"][2] == "net differs from gross - fee (-60.00 - 0.00)"
    assert any("has_more: true" in w for w in loaded.warnings)
    res = merge_loaded([loaded])
    assert res.report[0].rows_quarantined == 3 and res.report[0].unaccounted == 0


@pytest.mark.parametrize("text,fragment", [
    ("{not json", "not valid JSON"), ('{"object": "list"}', "no `data` list"),
    ('{"object": "list", "data": [{"id": "in_1", "object": "invoice"}]}', "'invoice'")])
def test_stripe_json_malformed_files_name_the_file(tmp_path: Path, text: str,
                                                   fragment: str) -> None:
    path = tmp_path / "bt.json"
    path.write_text(text)
    with pytest.raises(SourceFormatError) as err:
        get_loader("stripe_payouts")(path)
    assert err.value.source_file == "bt.json" and fragment in str(err.value)


PAYOUT_CSV = """\
balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,\
source_id,customer_id,customer_email,invoice_id,charge_id,payment_intent_id,automatic_payout_id,\
automatic_payout_effective_at
txn_1,2026-10-05 22:30:00,2026-10-07 00:00:00,eur,1200.00,17.05,1182.95,charge,ch_1,cus_a,\
a@x.fr,in_001,ch_1,pi_1,po_A,2026-10-07 00:00:00
txn_2,2026-10-05 09:00:00,2026-10-07 00:00:00,eur,-60.00,0.00,-60.00,refund,re_1,cus_b,,in_002,\
ch_2,,po_A,2026-10-07 00:00:00
txn_3,2026-10-05 09:00:00,2026-10-07 00:00:00,eur,-5.00,0.00,-5.00,fee,,,,,,,po_A,\
2026-10-07 00:00:00
txn_4,2026-10-05 09:00:00,2026-10-07 00:00:00,eur,12O.00,1.00,119.00,charge,ch_4,,,,,,po_A,\
2026-10-07 00:00:00
txn_5,2026-10-06 09:00:00,2026-10-08 00:00:00,jpy,1200,45,1155,charge,ch_5,,,in_005,,,,
"""


def test_stripe_payout_reconciliation_csv(tmp_path: Path) -> None:
    path = tmp_path / "payout_reconciliation.csv"
    path.write_text(PAYOUT_CSV)
    loaded = get_loader("stripe_payouts")(path)
    res = merge_loaded([loaded])
    df = res.tables["settlement_lines"].sort("source_row")
    assert df["record_id"].to_list() == ["txn_1", "txn_2", "txn_3", "txn_5"]
    assert df["gross_cents"].to_list() == [120000, -6000, 0, 1200]  # JPY has no minor unit
    assert df["fee_cents"].to_list() == [1705, 0, 500, 45]
    assert df["kind"].to_list() == ["charge", "refund", "fee", "charge"]
    assert df["settlement_id"].to_list() == ["po_A", "po_A", "po_A", None]
    # 22:30 UTC on the 5th is the 6th in Paris
    assert df["created_date"][0] == dt.date(2026, 10, 6)
    assert df["available_date"][0] == dt.date(2026, 10, 7)
    assert loaded.quarantine.select("source_row", "column", "value").rows() == [
        (5, "gross_cents", "12O.00")]
    assert res.report[0].rows_read == 5 and res.report[0].unaccounted == 0


def test_csv_without_its_columns_names_them(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,amount\n1,2\n")
    with pytest.raises(SourceFormatError) as err:
        get_loader("stripe_payouts")(path)
    assert err.value.source_file == "export.csv"
    assert "balance_transaction_id" in str(err.value) and "reporting_category" in str(err.value)


ADYEN = """\
Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,\
TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),Gross Credit (GC),\
Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC),\
Scheme Fees (NC),Interchange (NC),Batch Number
Nexalia,NexaliaEU,8815000000000001,F-2026-000101,visa,2026-10-05 10:11:12,CET,Settled,\
8815000000000001,EUR,,1200.00,1,EUR,,1182.40,0.12,,2.28,15.20,42
Nexalia,NexaliaEU,8815000000000002,F-2026-000102,sepadirectdebit,2026-10-05 11:00:00,CET,\
Settled,8815000000000002,EUR,,600.00,1,EUR,,599.65,0.35,,,,42
Nexalia,NexaliaEU,8815000000000003,F-2026-000090,mc,2026-10-05 12:00:00,CET,Refunded,\
8825000000000009,EUR,50.00,,1,EUR,50.00,,,,,,42
Nexalia,NexaliaEU,,,,2026-10-06 06:00:00,CET,Fee,,EUR,,,1,EUR,2.50,,,,,,42
Nexalia,NexaliaEU,8815000000000004,F-2026-000103,visa,2026-10-05 13:00:00,CET,Settled,\
8815000000000004,EUR,,x,1,EUR,,abc,,,,,42
Nexalia,NexaliaEU,,,,2026-10-06 07:00:00,CET,MerchantPayout,,EUR,,,1,EUR,1729.55,,,,,,42
"""


def test_adyen_settlement_details(tmp_path: Path) -> None:
    path = tmp_path / "settlement_detail_report_batch_42.csv"
    path.write_text(ADYEN)
    loaded = get_loader("adyen")(path)
    res = merge_loaded([loaded])
    df = res.tables["settlement_lines"].sort("source_row")
    assert df["kind"].to_list() == ["charge", "charge", "refund", "fee", "payout"]
    assert df["gross_cents"].to_list() == [120000, 60000, -5000, 0, -172955]
    assert df["fee_cents"].to_list() == [1760, 35, 0, 250, 0]
    assert df["net_cents"].to_list() == [118240, 59965, -5000, -250, -172955]
    assert df["net_cents"].sum() == -118240 + 118240 - 118240 + 118240  # balanced
    assert set(df["settlement_id"]) == {"NexaliaEU/42"}
    assert df["record_id"].to_list()[2:] == ["8825000000000009:Refunded", "row 5:Fee",
                                             "NexaliaEU/42"]
    assert df["invoice_ref"].to_list()[:3] == ["F-2026-000101", "F-2026-000102",
                                               "F-2026-000090"]
    assert df["available_date"].unique().to_list() == [dt.date(2026, 10, 6)]
    assert loaded.quarantine.select("source_row", "column").rows() == [
        (6, "gross_cents"), (6, "net_cents")]
    assert res.report[0].rows_read == 6 and res.report[0].unaccounted == 0


def test_adyen_without_a_currency_asks_for_it(tmp_path: Path) -> None:
    path = tmp_path / "adyen.csv"
    path.write_text("Merchant Account,Psp Reference,Type,Creation Date,Net Debit (NC),"
                    "Net Credit (NC),Batch Number\nM,1,Settled,2026-10-05,,10.00,1\n")
    with pytest.raises(SourceFormatError, match="currency"):
        get_loader("adyen")(path)
    df = _lines("adyen", path, currency="EUR")
    assert df["net_cents"].to_list() == [1000]


PAYPAL = """\
"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net",\
"From Email Address","Transaction ID","Reference Txn ID","Invoice Number","Balance Impact"
"03/10/2026","09:12:00","CEST","Globex SA","Express Checkout Payment","Completed","EUR",\
"1 200,00","-41,15","1 158,85","ap@globex.fr","5AB12345CD678901E","","F-2026-000101","Credit"
"03/10/2026","10:00:00","CEST","Initech","Payment Refund","Completed","EUR","-60,00","0,00",\
"-60,00","","7XY","2CD","","Debit"
"03/10/2026","10:05:00","CEST","Initech","Express Checkout Payment","Completed","EUR","60,00",\
"-2,39","57,61","ap@initech.fr","2CD","","F-2026-000099","Credit"
"04/10/2026","08:00:00","CEST","","General Withdrawal","Completed","EUR","-1 156,46","0,00",\
"-1 156,46","","WD1","","","Debit"
"04/10/2026","09:00:00","CEST","Hooli","Express Checkout Payment","Pending","EUR","10,00",\
"0,00","10,00","","PEND1","","","Memo"
"05/10/2026","09:00:00","CEST","Hooli","Express Checkout Payment","Completed","EUR","99,00",\
"-3,27","95,73","ap@hooli.fr","LATE1","","F-2026-000120","Credit"
"""


def test_paypal_activity_download(tmp_path: Path) -> None:
    path = tmp_path / "Download.CSV"
    path.write_text(PAYPAL, encoding="utf-8-sig")
    loaded = get_loader("paypal")(path, decimal=",", thousands=" ")
    res = merge_loaded([loaded])
    df = res.tables["settlement_lines"].sort("source_row")
    assert df["record_id"].to_list() == ["5AB12345CD678901E", "7XY", "2CD", "WD1", "LATE1"]
    assert df["kind"].to_list() == ["charge", "refund", "charge", "payout", "charge"]
    assert df["gross_cents"].to_list() == [120000, -6000, 6000, -115646, 9900]
    assert df["fee_cents"].to_list() == [4115, 0, 239, 0, 327]
    # swept by the withdrawal WD1; the last payment is still in the PayPal balance
    assert df["settlement_id"].to_list() == ["WD1", "WD1", "WD1", "WD1", None]
    assert df.filter(pl.col("settlement_id") == "WD1")["net_cents"].sum() == 0
    assert df["invoice_ref"][1] == "F-2026-000099"  # the refunded payment's invoice
    assert df["created_date"][0] == dt.date(2026, 10, 3)
    assert loaded.rows_skipped == {"Download.CSV": 1}
    assert res.report[0].rows_read == 6 and res.report[0].unaccounted == 0


def test_paypal_folder_and_bad_date(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(PAYPAL.replace("03/10/2026", "3 oct.", 1))
    loaded = get_loader("paypal")(tmp_path, decimal=",", thousands=" ")
    assert loaded.quarantine.select("source_row", "column", "reason").rows() == [
        (2, "created_date", "not a date (expected DD/MM/YYYY)")]
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceFormatError, match="no PayPal"):
        get_loader("paypal")(tmp_path / "empty")


def test_stripe_payout_known_by_its_own_balance_transaction(tmp_path: Path) -> None:
    """Without payouts.json the payout line comes from the `payout` transaction (its id is
    the po_ source); a file saved per payout (`po_....json`) names the lines' payout."""
    lines = _lines("stripe_payouts", _write(tmp_path / "bt.json", BALANCE))
    payout = lines.filter(pl.col("kind") == "payout").row(0, named=True)
    assert (payout["record_id"], payout["settlement_id"], payout["net_cents"]) == (
        PO, PO, -113186)
    body = {"object": "list", "data": [{k: v for k, v in BALANCE["data"][0].items()
                                        if k != "payout"}]}
    per_payout = _lines("stripe_payouts", _write(tmp_path / f"{PO}.json", body))
    assert per_payout["settlement_id"].to_list() == [PO]
