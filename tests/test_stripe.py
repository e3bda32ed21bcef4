"""Stripe loader: both invoice shapes, JPY, credit notes, skipped drafts/voids, exact values."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import get_loader, merge_loaded
from reconkit.loaders.stripe import load_stripe

BASIL = {
    "id": "in_basil0001", "object": "invoice", "number": "A1B2C3D4-0007",
    "customer": "cus_globex", "customer_name": "Globex Industries SA", "currency": "eur",
    "status": "paid", "created": 1709283000, "effective_at": 1709283600,
    "due_date": 1711875600, "total_taxes": [{"amount": 150000}, {"amount": 50000}],
    "total_excluding_tax": 1000000, "total": 1200000, "payments": {"data": []},
    "parent": {"type": "subscription_details",
               "subscription_details": {"subscription": "sub_basil"}},
    "lines": {"data": [{"description": "Platform Pro"}, {"description": "Extra seats"}]},
    "period_start": 1706742000,
    "period_end": 1709247600,
    "metadata": {"sf_opportunity_id": "006x0000001YuG5", "po_number": "PO-77"},
}
OLD = {
    "id": "in_old0002", "object": "invoice", "number": "A1B2C3D4-0008",
    "customer": {"id": "cus_initech", "object": "customer"}, "customer_name": "Initech",
    "currency": "eur", "status": "open", "created": 1709335800, "due_date": None,
    "subscription": "sub_1", "tax": 4000, "total_tax_amounts": [{"amount": 4000}],
    "paid": False, "total_excluding_tax": 20000, "total": 24000,
    "metadata": {"contract_number": "00000102"},
}
JPY = {
    "id": "in_jpy0003", "object": "invoice", "number": "JP-0001", "customer": "cus_tokyo",
    "customer_name": "Tokyo KK", "currency": "jpy", "status": "open", "created": 1709337600,
    "total_taxes": [{"amount": 1000}], "total_excluding_tax": 10000, "total": 11000,
    "metadata": {},
}
DRAFT = {"id": "in_draft", "object": "invoice", "number": None, "status": "draft",
         "customer": "cus_globex", "currency": "eur", "created": 1709337600, "total": 5}
VOID = {"id": "in_void", "object": "invoice", "number": "A1B2C3D4-0009", "status": "void",
        "customer": "cus_globex", "currency": "eur", "created": 1709337600, "total": 5}
CREDIT = {"id": "cn_0001", "object": "credit_note", "number": "A1B2C3D4-0007-CN-01",
          "invoice": "in_basil0001", "customer": "cus_globex", "currency": "eur",
          "amount": 60000, "subtotal": 50000, "total": 60000, "type": "pre_payment",
          "status": "issued", "created": 1709888400, "memo": "RFA 2023",
          "lines": {"data": [{"description": "Remise de fin d'année 2023"}]}}
CREDIT_VOID = {**CREDIT, "id": "cn_0002", "status": "void"}
CUSTOMERS = [
    {"id": "cus_globex", "object": "customer", "name": "Globex Industries SA",
     "tax_ids": {"data": [{"type": "eu_vat", "value": "FR40303265045"}]},
     "metadata": {"crm_account_id": "001D000000IRFma", "erp_account": "C0001"}},
    {"id": "cus_initech", "object": "customer", "name": "Initech",
     "metadata": {"siren": "732829320"}},
]


def _write(folder: Path, name: str, data: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"object": "list", "url": "/v1/x", "has_more": False,
                                "data": data}))
    return path


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    _write(tmp_path, "invoices.json", [BASIL, OLD, DRAFT, VOID, JPY])
    _write(tmp_path, "credit_notes.json", [CREDIT, CREDIT_VOID])
    _write(tmp_path, "customers.json", CUSTOMERS)
    return tmp_path


def test_invoices_both_shapes_exact_values(export: Path) -> None:
    loaded = load_stripe(export)
    inv = loaded.tables["invoices"]
    assert inv["record_id"].to_list() == ["in_basil0001", "in_old0002", "in_jpy0003",
                                          "cn_0001"]
    basil = inv.row(0, named=True)
    assert basil == {
        "system": "billing", "source_file": "invoices.json", "source_row": 1,
        "record_id": "in_basil0001", "number": "A1B2C3D4-0007",
        "party_record_id": "cus_globex", "party_name": "Globex Industries SA",
        "issue_date": dt.date(2024, 3, 1), "due_date": dt.date(2024, 3, 31),
        "currency": "EUR", "net_cents": 1000000, "tax_cents": 200000,
        "amount_cents": 1200000, "credited_invoice_id": None,
        "commitment_ref": "006x0000001YuG5AAK", "po_number": "PO-77",
        "period_start": dt.date(2024, 2, 1), "period_end": dt.date(2024, 3, 1),
        "status": "paid", "doc_type": "invoice",
        "subscription_id": "sub_basil", "contract_number": None,
        "crm_opportunity_id": "006x0000001YuG5AAK", "line_text": "Platform Pro | Extra seats",
        "line_period_start": None, "line_period_end": None,
    }
    old = inv.row(1, named=True)
    assert (old["party_record_id"], old["tax_cents"], old["net_cents"], old["amount_cents"],
            old["commitment_ref"], old["due_date"], old["issue_date"],
            old["subscription_id"], old["line_text"]) == (
        "cus_initech", 4000, 20000, 24000, "00000102", None, dt.date(2024, 3, 2), "sub_1",
        None)
    jpy = inv.row(2, named=True)
    assert (jpy["currency"], jpy["amount_cents"], jpy["tax_cents"], jpy["source_row"]) == (
        "JPY", 11000, 1000, 5)


def test_credit_note_is_negative_and_points_to_invoice(export: Path) -> None:
    cn = load_stripe(export).tables["invoices"].filter(pl.col("doc_type") == "credit_note")
    assert cn["line_text"].to_list() == ["RFA 2023 | Remise de fin d'année 2023"]
    assert cn.select("record_id", "number", "amount_cents", "net_cents", "tax_cents",
                     "credited_invoice_id", "status", "issue_date").row(0) == (
        "cn_0001", "A1B2C3D4-0007-CN-01", -60000, -50000, None, "in_basil0001", "issued",
        dt.date(2024, 3, 8))


def test_drafts_and_voids_are_counted_and_reported(export: Path) -> None:
    loaded = load_stripe(export)
    assert loaded.rows_read == {"invoices.json": 5, "credit_notes.json": 2,
                                "customers.json": 2}
    assert loaded.warnings == (
        ("invoices.json: skipped 2 invoice(s) that are not accounting documents "
         "(1 draft, 1 void)"),
        ("credit_notes.json: skipped 1 credit note(s) that are not accounting documents "
         "(0 draft, 1 void)"),
    )


def test_customers_become_parties(export: Path) -> None:
    parties = load_stripe(export).tables["parties"]
    assert parties.select("record_id", "name", "legal_id", "crm_ref", "erp_ref").rows() == [
        ("cus_globex", "Globex Industries SA", "FR40303265045", "001D000000IRFmaIAH", "C0001"),
        ("cus_initech", "Initech", "732829320", None, None),
    ]


def test_bad_amount_is_quarantined_and_the_rest_validates(tmp_path: Path) -> None:
    bad = {**OLD, "id": "in_bad", "total": "12.50"}
    path = _write(tmp_path, "invoices.json", [BASIL, bad])
    result = merge_loaded([get_loader("stripe")(path)])
    assert result.tables["invoices"]["record_id"].to_list() == ["in_basil0001"]
    assert result.quarantine.rows() == [("billing", "invoices.json", 2, "amount_cents",
                                         "12.50", ("not an amount in minor units "
                                                   "(expected a whole number)"))]
    assert [(r.rows_read, r.rows_loaded, r.rows_quarantined) for r in result.report] == [
        (2, 1, 1)]


def test_timezone_option_changes_the_business_date(tmp_path: Path) -> None:
    late = {**JPY, "effective_at": 1709335800}  # 2024-03-01 23:30 UTC
    path = _write(tmp_path, "invoices.json", [late])
    assert load_stripe(path).tables["invoices"]["issue_date"].to_list() == [dt.date(2024, 3, 2)]
    assert load_stripe(path, timezone="UTC").tables["invoices"]["issue_date"].to_list() == [
        dt.date(2024, 3, 1)]


def test_truncated_file_raises_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "invoices.json"
    path.write_text('{"object": "list", "data": [{"id": "in_1"')
    with pytest.raises(SourceFormatError) as err:
        load_stripe(path)
    assert "invoices.json" in str(err.value) and "truncated" in str(err.value)


def test_not_a_list_response(tmp_path: Path) -> None:
    path = tmp_path / "invoices.json"
    path.write_text('{"error": {"message": "No such invoice"}}')
    with pytest.raises(SourceFormatError, match="not a saved Stripe list response"):
        load_stripe(path)


def test_subscription_and_lines_of_both_shapes_are_columns(tmp_path: Path) -> None:
    basil = {**BASIL, "parent": {"type": "subscription_details", "subscription_details": {
        "subscription": "sub_basil", "metadata": {}}},
        "lines": {"object": "list", "has_more": False, "data": [
            {"description": "Plan Pro", "period": {"start": 1706742000, "end": 1709247600}},
            {"description": "Seats x3", "period": {"start": 1706742000, "end": 1709334000}}]}}
    old = {**OLD, "subscription": {"id": "sub_old", "object": "subscription"}}
    path = _write(tmp_path, "invoices.json", [basil, old])
    inv = load_stripe(path).tables["invoices"]
    assert inv.select("subscription_id", "contract_number", "line_text", "line_period_start",
                      "line_period_end").rows() == [
        ("sub_basil", None, "Plan Pro | Seats x3", dt.date(2024, 2, 1), dt.date(2024, 3, 2)),
        ("sub_old", "00000102", None, None, None)]


def test_has_more_warns_that_the_export_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "invoices.json"
    path.write_text(json.dumps({"object": "list", "has_more": True, "data": [BASIL, OLD]}))
    loaded = load_stripe(path)
    assert loaded.tables["invoices"].height == 2
    assert loaded.warnings == (
        "invoices.json: incomplete export: the saved list says has_more: true, so only the "
        "first 2 invoices were saved and the others are missing from this run (save every "
        "page, e.g. with `reconkit sync stripe`)",)


@pytest.mark.parametrize("stamp", [1709283600000, 10**13, -(10**13)])
def test_timestamp_in_milliseconds_is_quarantined_with_the_hint(tmp_path: Path,
                                                                 stamp: int) -> None:
    path = _write(tmp_path, "invoices.json", [BASIL, {**OLD, "created": stamp}])
    result = merge_loaded([load_stripe(path)])
    assert result.tables["invoices"]["record_id"].to_list() == ["in_basil0001"]
    assert result.quarantine.rows() == [(
        "billing", "invoices.json", 2, "issue_date", str(stamp),
        "timestamp in milliseconds? expected Unix seconds (10 digits, e.g. 1709283600)")]


def test_timestamp_that_is_no_whole_number_is_quarantined(tmp_path: Path) -> None:
    path = _write(tmp_path, "invoices.json", [{**OLD, "due_date": "soon"},
                                              {**OLD, "id": "in_f", "due_date": 1e20}])
    q = load_stripe(path).quarantine
    assert q.select("source_row", "column", "value", "reason").rows() == [
        (1, "due_date", "soon", "not a Unix timestamp (expected whole seconds)"),
        (2, "due_date", "1e+20", "not a Unix timestamp (expected whole seconds)")]


def test_value_of_the_wrong_kind_names_the_object_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "invoices.json", [BASIL, {**OLD, "customer": ["cus_1"]}])
    with pytest.raises(SourceFormatError) as err:
        load_stripe(path)
    assert (err.value.source_file, err.value.row) == ("invoices.json", 2)
    assert "$.data[1].customer" in str(err.value)



def test_amount_beyond_64_bits_is_quarantined(tmp_path: Path) -> None:
    path = _write(tmp_path, "invoices.json", [BASIL, {**OLD, "total": 10**20}])
    result = merge_loaded([load_stripe(path)])
    assert result.tables["invoices"]["record_id"].to_list() == ["in_basil0001"]
    assert result.quarantine.select("source_row", "column", "value").rows() == [
        (2, "amount_cents", "100000000000000000000")]


def test_byte_order_mark_is_accepted_and_latin1_is_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "invoices.json"
    body = json.dumps({"object": "list", "data": [BASIL]}).encode()
    path.write_bytes(b"\xef\xbb\xbf" + body)
    assert load_stripe(path).tables["invoices"].height == 1
    path.write_bytes(body.replace(b"Globex Industries SA", "Société".encode("latin-1")))
    with pytest.raises(SourceFormatError) as err:
        load_stripe(path)
    assert err.value.source_file == "invoices.json"
    assert "not valid JSON" in err.value.message


def test_service_period_is_read_on_the_lines(tmp_path: Path) -> None:
    """A first (prorated) invoice: the invoice-level period is the creation instant; the
    line says what it bills (Oct 12 -> Nov 1, Paris time)."""
    first = {**JPY, "id": "in_first", "number": "JP-0002", "currency": "eur",
             "period_start": 1791759600, "period_end": 1791759600,
             "lines": {"data": [{"description": "Platform Pro (prorated)",
                                 "period": {"start": 1791759600, "end": 1793487600}}]}}
    loaded = load_stripe(_write(tmp_path, "invoices.json", [first, JPY]))
    rows = loaded.tables["invoices"].select("record_id", "period_start", "period_end").rows()
    assert rows == [("in_first", dt.date(2026, 10, 12), dt.date(2026, 11, 1)),
                    ("in_jpy0003", None, None)]


def test_tax_amounts_that_are_not_whole_are_quarantined_with_their_text(
        tmp_path: Path) -> None:
    bad = {**BASIL, "id": "in_badtax", "total_taxes": [{"amount": 1000}, {"amount": "2.5"}]}
    path = _write(tmp_path, "invoices.json", [bad, {**BASIL, "total_taxes": []}])
    result = merge_loaded([get_loader("stripe")(path)])
    assert result.tables["invoices"]["tax_cents"].to_list() == [0]
    assert result.quarantine.select("source_row", "column", "value").rows() == [
        (1, "tax_cents", "1000; 2.5")]
