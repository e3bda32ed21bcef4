"""HubSpot loader: string amounts, currencies, associations, won filter, exact values."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import merge_loaded
from reconkit.loaders.hubspot import load_hubspot


def _deal(deal_id: str, company: str | None, **props: str) -> dict:
    deal = {"id": deal_id, "properties": {"hs_object_id": deal_id, **props},
            "createdAt": "2024-01-15T09:12:33.123Z", "archived": False}
    if company:
        deal["associations"] = {"companies": {"results": [
            {"id": company, "type": "deal_to_company"},
            {"id": "999", "type": "deal_to_company_unlabeled"}]}}
    return deal


DEALS = [
    _deal("18923456001", "9876543210", dealname="Globex - Platform 2024", amount="12000",
          closedate="2024-02-28T23:30:00Z", dealstage="closedwon", deal_currency_code="EUR",
          hs_is_closed_won="true"),
    _deal("18923456002", "9876543211", dealname="Initech renewal", amount="1499.99",
          closedate="2024-03-05T10:00:00.000Z", dealstage="123456", hs_is_closed_won="true"),
    _deal("18923456003", "9876543210", dealname="Lost one", amount="500",
          closedate="2024-03-05T10:00:00Z", dealstage="closedlost", hs_is_closed_won="false"),
    _deal("18923456004", "9876543212", dealname="Tokyo", amount="1200000",
          closedate="2024-03-06T01:00:00Z", dealstage="closedwon", deal_currency_code="jpy"),
]
COMPANIES = [
    {"id": "9876543210", "properties": {"name": "Globex Industries SA", "siren": "303265045"}},
    {"id": "9876543211", "properties": {"name": "Initech", "vat": "FR83404833048"}},
    {"id": "9876543212", "properties": {"name": "Tokyo KK", "domain": "tokyo.example"}},
]


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    pages = [{"results": DEALS[:2], "paging": {"next": {"after": "2"}}},
             {"results": DEALS[2:]}]
    (tmp_path / "deals.json").write_text(json.dumps(pages))
    (tmp_path / "companies.json").write_text(json.dumps({"results": COMPANIES}))
    return tmp_path


def test_won_deals_become_opportunities_with_exact_values(export: Path) -> None:
    loaded = load_hubspot(export, default_currency="usd")
    c = loaded.tables["commitments"]
    assert c.select("record_id", "party_record_id", "name", "currency", "amount_cents",
                    "close_date", "kind", "billing_frequency", "source_row").rows() == [
        ("18923456001", "9876543210", "Globex - Platform 2024", "EUR", 1200000,
         dt.date(2024, 2, 29), "opportunity", "one_off", 1),
        ("18923456002", "9876543211", "Initech renewal", "USD", 149999,
         dt.date(2024, 3, 5), "opportunity", "one_off", 2),
        ("18923456004", "9876543212", "Tokyo", "JPY", 1200000, dt.date(2024, 3, 6),
         "opportunity", "one_off", 4),
    ]
    assert loaded.rows_read == {"companies.json": 3, "deals.json": 4}
    assert loaded.warnings == ("deals.json: skipped 1 deal(s) not closed won",)


def test_companies_become_parties(export: Path) -> None:
    parties = load_hubspot(export).tables["parties"]
    assert parties.select("system", "record_id", "name", "legal_id").rows() == [
        ("crm", "9876543210", "Globex Industries SA", "303265045"),
        ("crm", "9876543211", "Initech", "FR83404833048"),
        ("crm", "9876543212", "Tokyo KK", None),
    ]


def test_bad_amount_and_missing_company_are_quarantined(tmp_path: Path) -> None:
    deals = [_deal("1", "10", amount="12 000 EUR", closedate="2024-02-28T10:00:00Z",
                   dealstage="closedwon"),
             _deal("2", None, amount="10", closedate="2024-02-28T10:00:00Z",
                   dealstage="closedwon")]
    path = tmp_path / "deals.json"
    path.write_text(json.dumps({"results": deals}))
    result = merge_loaded([load_hubspot(path)])
    assert result.tables["commitments"].height == 0
    assert result.quarantine.select("source_row", "column", "value", "reason").rows() == [
        (1, "amount_cents", "12 000 EUR", "not an amount"),
        (2, "party_record_id", None, "missing value"),
    ]


def test_not_a_hubspot_response(tmp_path: Path) -> None:
    path = tmp_path / "deals.json"
    path.write_text(json.dumps({"status": "error", "message": "Authentication credentials"}))
    with pytest.raises(SourceFormatError, match="not a saved HubSpot CRM v3 response"):
        load_hubspot(path)


def test_values_that_are_not_strings_are_read_as_text(tmp_path: Path) -> None:
    deal = _deal("7", "10", closedate="2024-02-28T10:00:00Z", dealstage="closedwon")
    deal["properties"]["amount"] = 12000.5
    deal["properties"]["hs_is_closed_won"] = True
    deal["id"] = 7
    path = tmp_path / "deals.json"
    path.write_text(json.dumps({"results": [deal]}))
    c = load_hubspot(path).tables["commitments"]
    assert c.select("record_id", "amount_cents").rows() == [("7", 1200050)]


def test_truncated_file_is_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "deals.json"
    path.write_text('{"results": [{"id": "1", "properties": {"amount": "1')
    with pytest.raises(SourceFormatError, match="not valid JSON") as err:
        load_hubspot(path)
    assert err.value.source_file == "deals.json"
