"""Invoice <-> commitment rules on realistic cases (issue 7, conventions 3, 4, 7 and 8):
links inferred when the invoice does not carry the CRM id, first periods billed pro rata,
billing customers absent from the CRM, and what stays open from earlier months."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.result import ReconResult

from builders import World, categories_of


def _world() -> World:
    w = World()
    w.client("A", "Acme Conseil SAS")
    w.client("B", "Boulangerie Martin SARL")
    return w


def _period(w: World, start: date, end: date, *, lines: str | None = None,
            subscription: str | None = None) -> None:
    w.invoices[-1].update(period_start=start, period_end=end, line_text=lines,
                          subscription_id=subscription)


def _opportunity(w: World, key: str, rid: str, name: str, amount: int, closed: date) -> str:
    w.commitments.append({
        "system": "crm", "record_id": rid, "kind": "opportunity", "party_record_id": f"001{key}",
        "name": name, "currency": "EUR", "amount_cents": amount, "billing_frequency": "one_off",
        "close_date": closed, "status": "Closed Won"})
    return rid


def _links(r: ReconResult, invoice: str) -> list[dict[str, Any]]:
    """The invoice -> commitment matches holding an invoice, with their commitment."""
    items = r.match_items.filter(pl.col("record_id") == invoice)
    m = r.matches.filter(pl.col("match_id").is_in(items["match_id"].implode())
                         & (pl.col("kind") == "invoice_commitment")).sort("match_id")
    out = []
    for row in m.to_dicts():
        its = r.match_items.filter(pl.col("match_id") == row["match_id"])
        row["commitment"] = its.filter(pl.col("role") == "commitment")["record_id"].item()
        out.append(row)
    return out


# ---- convention 3: billing without the CRM id -------------------------------------------

def test_contract_inferred_from_client_amount_interval_and_product() -> None:
    w = _world()
    con = w.contract("A", "00000201", 10_000, start=date(2026, 1, 15))
    w.contract("A", "00000202", 25_000, start=date(2026, 1, 15))  # same client, other amount
    w.contract("B", "00000203", 10_000, start=date(2026, 1, 15))  # same amount, other client
    w.commitments[0]["name"] = "Acme - Platform Pro"
    inv = w.invoice("A", "ACME-0010", 12_000, net=10_000, issued=date(2026, 10, 15))
    _period(w, date(2026, 10, 15), date(2026, 11, 15),
            lines="2 × Platform Pro (à 50,00 € / mois) | Remise partenaire")
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["status"], m["commitment"]) == ("COM-INFERRED-CONTRACT", "auto", con)
    assert m["score"] == 1.0
    ev = json.loads(m["evidence"])
    assert (ev["product"], ev["anchor_day"], ev["fitting_commitments"]) == (True, True, 1)
    assert "invoice_without_commitment" not in categories_of(r, inv)
    assert "unbilled_commitment" not in categories_of(r, con)


def test_two_fitting_contracts_go_to_review_side_by_side() -> None:
    w = _world()
    c1 = w.contract("A", "00000211", 10_000, start=date(2026, 1, 15))
    c2 = w.contract("A", "00000212", 10_000, start=date(2026, 1, 15))
    inv = w.invoice("A", "ACME-0011", 12_000, net=10_000, issued=date(2026, 10, 15))
    _period(w, date(2026, 10, 15), date(2026, 11, 15))
    r = w.reconcile()
    links = _links(r, inv)
    assert {m["commitment"] for m in links} == {c1, c2}
    assert {(m["status"], m["alternative"], m["score"]) for m in links} == {("review", True, 0.5)}
    # either may be the one billed: neither is reported unbilled meanwhile
    assert "unbilled_commitment" not in categories_of(r, c1) | categories_of(r, c2)


def test_services_invoice_inferred_from_opportunity_name_and_amount() -> None:
    w = _world()
    opp = _opportunity(w, "A", "006A00000000001AAA", "Audit sécurité SI 2026", 480_000,
                       date(2026, 10, 2))
    _opportunity(w, "A", "006A00000000002AAA", "Formation équipe", 120_000, date(2026, 10, 2))
    inv = w.invoice("A", "F-2026-000905", 576_000, net=480_000, issued=date(2026, 10, 6))
    w.invoices[-1]["line_text"] = "Audit sécurité SI 2026 - forfait | Frais de déplacement"
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["status"], m["commitment"]) == (
        "COM-INFERRED-OPPORTUNITY", "auto", opp)
    assert "unbilled_commitment" not in categories_of(r, opp)
    assert "invoice_without_commitment" not in categories_of(r, inv)


def test_link_carried_through_the_subscription_to_its_other_invoices() -> None:
    w = _world()
    con = w.contract("A", "00000301", 10_000, start=date(2026, 9, 15))
    w.contract("A", "00000302", 10_000, start=date(2026, 9, 15))  # inference alone: ambiguous
    w.invoice("A", "ACME-0001", 12_000, net=10_000, issued=date(2026, 9, 15),
              contract="00000301")
    _period(w, date(2026, 9, 15), date(2026, 10, 15), subscription="sub_1A")
    inv = w.invoice("A", "ACME-0002", 12_000, net=10_000, issued=date(2026, 10, 15))
    _period(w, date(2026, 10, 15), date(2026, 11, 15), subscription="sub_1A")
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["status"], m["commitment"]) == ("COM-SUBSCRIPTION", "auto", con)
    assert json.loads(m["evidence"])["linked_invoice"] == "ACME-0001"


def test_invoice_citing_nothing_at_the_undiscounted_price_raises_the_discount() -> None:
    w = _world()
    con = w.contract("A", "00000310", 9_000, list_amount=10_000, discount_bp=1000,
                     start=date(2026, 1, 1))
    inv = w.invoice("A", "ACME-0310", 12_000, net=10_000, issued=date(2026, 10, 1))
    _period(w, date(2026, 10, 1), date(2026, 10, 31))  # an inclusive period end
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["status"], m["commitment"]) == ("COM-INFERRED-DISCOUNT", "review",
                                                            con)
    assert categories_of(r, inv) == {"discount_not_applied"}


# ---- convention 4: prorated first invoices ------------------------------------------------

def test_prorated_first_invoice_is_billed_pro_rata_not_a_mismatch() -> None:
    w = _world()
    con = w.contract("A", "00000401", 31_000, start=date(2026, 10, 12))
    # sign-up on Oct 12, cycle anchored on the 1st: 20 of 31 days -> 20_000
    inv = w.invoice("A", "ACME-0401", 24_000, net=20_000, issued=date(2026, 10, 12),
                    contract="00000401")
    _period(w, date(2026, 10, 12), date(2026, 11, 1))
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["status"], m["commitment"]) == ("COM-PRORATED", "auto", con)
    ev = json.loads(m["evidence"])
    assert (ev["expected_cents"], ev["period_days"], ev["interval_days"]) == (20_000, 20, 31)
    assert "contract_amount_mismatch" not in categories_of(r, inv)


def test_prorated_invoice_far_from_pro_rata_is_still_a_mismatch() -> None:
    w = _world()
    w.contract("A", "00000402", 31_000, start=date(2026, 10, 12))
    inv = w.invoice("A", "ACME-0402", 30_000, net=25_000, issued=date(2026, 10, 12),
                    contract="00000402")
    _period(w, date(2026, 10, 12), date(2026, 11, 1))
    r = w.reconcile()
    assert "contract_amount_mismatch" in categories_of(r, inv)


def test_prorated_invoice_without_crm_id_is_inferred_pro_rata() -> None:
    w = _world()
    con = w.contract("A", "00000403", 31_000, start=date(2026, 10, 1))
    inv = w.invoice("A", "ACME-0403", 24_000, net=20_001, issued=date(2026, 10, 12))
    _period(w, date(2026, 10, 12), date(2026, 11, 1))
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["status"], m["commitment"]) == ("COM-INFERRED-CONTRACT", "auto", con)
    assert json.loads(m["evidence"])["prorated"] is True


# ---- convention 7: billing customers absent from the CRM ----------------------------------

def test_self_serve_customer_is_one_exception_not_one_per_invoice() -> None:
    w = _world()
    w.parties.append({"system": "billing", "record_id": "cus_S", "name": "Studio Nuage",
                      "erp_ref": "CS"})
    w.parties.append({"system": "erp", "record_id": "CS", "name": "STUDIO NUAGE"})
    invs = [w.invoice("S", f"NUAGE-000{i}", 4_800, issued=date(2026, 10, i)) for i in (1, 2, 3)]
    r = w.reconcile()
    assert categories_of(r, "cus_S") == {"party_not_in_crm"}
    detail = r.exceptions.filter(pl.col("record_id") == "cus_S")["detail"].item()
    assert "3 invoice(s)" in detail and "144.00" in detail
    for inv in invs:
        assert "invoice_without_commitment" not in categories_of(r, inv)
    # a CRM client's invoice without commitment is still reported
    other = w.invoice("A", "F-2026-009001", 6_000)
    assert "invoice_without_commitment" in categories_of(w.reconcile(), other)


# ---- convention 8: carry-over from earlier months of the extract --------------------------

def test_earlier_invoice_without_commitment_stays_open_with_its_month() -> None:
    w = _world()
    old = w.invoice("A", "F-2026-000801", 6_000, issued=date(2026, 8, 15))
    r = w.reconcile()
    assert "invoice_without_commitment" in categories_of(r, old)
    row = r.exceptions.filter((pl.col("record_id") == old)
                              & (pl.col("category") == "invoice_without_commitment"))
    assert "issued in 2026-08, still open" in row["detail"].item()


def test_won_deal_of_an_earlier_month_not_billed_stays_unbilled_until_billed() -> None:
    w = _world()
    w.invoice("A", "F-2026-000701", 6_000, issued=date(2026, 7, 3), contract="006A0000000000XAAA")
    unbilled = _opportunity(w, "A", "006A00000000003AAA", "Migration ERP", 90_000,
                            date(2026, 9, 10))
    billed = _opportunity(w, "A", "006A00000000004AAA", "Audit RGPD", 30_000, date(2026, 9, 10))
    w.invoice("A", "F-2026-000902", 36_000, net=30_000, issued=date(2026, 9, 12),
              contract=billed)
    r = w.reconcile()
    assert categories_of(r, unbilled) == {"unbilled_commitment"}
    row = r.exceptions.filter(pl.col("record_id") == unbilled)
    assert "since 2026-09 (carried over, still unbilled)" in row["detail"].item()
    assert "unbilled_commitment" not in categories_of(r, billed)


# ---- the catalog holds the numbers ------------------------------------------------------

def test_changing_a_weight_in_the_catalog_changes_the_score(tmp_path: Path) -> None:
    import shutil

    from reconkit.catalog import load_catalog
    from reconkit.engine import Reconciliation
    from reconkit.loaders.base import Loaded, merge_loaded
    from reconkit.paths import DEFAULT_CATALOG

    w = _world()
    w.contract("A", "00000501", 10_000, start=date(2026, 1, 15))
    inv = w.invoice("A", "ACME-0501", 12_000, net=10_000, issued=date(2026, 10, 15))
    _period(w, date(2026, 10, 15), date(2026, 11, 15), lines="Support")
    shutil.copytree(DEFAULT_CATALOG, tmp_path / "cat")
    path = tmp_path / "cat" / "commitments.yaml"
    path.write_text(path.read_text().replace("anchor_weight: 0.1,", "anchor_weight: 0.05,"))
    loaded = merge_loaded([Loaded(tables=w.tables(), rows_read={"test": 0})])
    scores = []
    for catalog in (load_catalog(), load_catalog(tmp_path / "cat")):
        r = Reconciliation(catalog=catalog, period_start=date(2026, 10, 1),
                           period_end=date(2026, 10, 31)).match(loaded)
        [m] = _links(r, inv)
        scores.append((m["score"], m["status"]))
    assert scores == [(0.85, "auto"), (0.8, "review")]


def test_contract_started_in_an_earlier_month_and_never_billed_is_carried_over() -> None:
    w = _world()
    w.invoice("A", "F-2026-000703", 6_000, issued=date(2026, 7, 3), contract="00000601")
    w.contract("A", "00000601", 5_000, start=date(2026, 1, 1))
    never = w.contract("A", "00000602", 8_000, start=date(2026, 8, 1))
    r = w.reconcile()
    row = r.exceptions.filter((pl.col("record_id") == never)
                              & (pl.col("category") == "unbilled_commitment"))
    assert "since 2026-08 (carried over, still unbilled)" in row["detail"].item()


def test_an_unknown_check_is_refused_when_the_catalog_loads(tmp_path: Path) -> None:
    import shutil

    import pytest

    from reconkit.catalog import load_catalog
    from reconkit.errors import ConfigError
    from reconkit.paths import DEFAULT_CATALOG

    shutil.copytree(DEFAULT_CATALOG, tmp_path / "cat")
    path = tmp_path / "cat" / "commitments.yaml"
    path.write_text(path.read_text().replace("check: prorated,", "check: pro_rata,"))
    with pytest.raises(ConfigError, match=r"COM-PRORATED.*check must be one of"):
        load_catalog(tmp_path / "cat")


def test_stripe_invoice_without_crm_id_is_linked_from_its_lines_and_subscription(
        tmp_path: Path) -> None:
    """End to end from a basil-shape Stripe export: no CRM id in metadata; the line's product
    and service period, the client and the net amount link it to the contract; the next
    invoice of the same subscription follows through the subscription id."""
    import datetime as dt
    import json as js
    from zoneinfo import ZoneInfo

    from reconkit.catalog import load_catalog
    from reconkit.engine import Reconciliation
    from reconkit.loaders.base import Loaded, merge_loaded
    from reconkit.loaders.stripe import load_stripe

    def ts(d: date) -> int:
        return int(dt.datetime(d.year, d.month, d.day, 9, tzinfo=ZoneInfo("Europe/Paris"))
                   .timestamp())

    def invoice(n: int, start: date, end: date, net: int) -> dict[str, Any]:
        return {"id": f"in_{n}", "object": "invoice", "number": f"0759376C-000{n}",
                "customer": "cus_A", "customer_name": "Acme Conseil SAS", "currency": "eur",
                "status": "paid", "created": ts(start), "total_excluding_tax": net,
                "total": net * 6 // 5, "total_taxes": [{"amount": net // 5}],
                "period_start": ts(start), "period_end": ts(start), "metadata": {},
                "parent": {"type": "subscription_details",
                           "subscription_details": {"subscription": "sub_1QxA"}},
                "lines": {"data": [{"description": f"1 × Acme Pro ({net // 100},00 € / mois)",
                                    "period": {"start": ts(start), "end": ts(end)}}]}}

    (tmp_path / "invoices.json").write_text(js.dumps({"object": "list", "data": [
        invoice(1, date(2026, 9, 15), date(2026, 10, 15), 10_000),
        invoice(2, date(2026, 10, 15), date(2026, 11, 15), 10_000)]}))
    w = _world()
    con = w.contract("A", "00000701", 10_000, start=date(2026, 9, 15))
    w.contract("A", "00000702", 10_000, start=date(2026, 3, 2))  # same amount, other product
    w.commitments[0]["name"], w.commitments[1]["name"] = "Acme Pro", "Acme Support"
    tables = {k: v for k, v in w.tables().items() if k != "invoices"}
    loaded = merge_loaded([Loaded(tables=tables, rows_read={"test": 0}),
                           load_stripe(tmp_path / "invoices.json")])
    assert loaded.quarantine.height == 0
    r = Reconciliation(catalog=load_catalog(), period_start=date(2026, 10, 1),
                       period_end=date(2026, 10, 31)).match(loaded)
    first, second = _links(r, "in_1"), _links(r, "in_2")
    assert [(m["rule_id"], m["status"], m["commitment"]) for m in first] == [
        ("COM-INFERRED-CONTRACT", "auto", con)]
    assert [(m["rule_id"], m["status"], m["commitment"]) for m in second] in (
        [("COM-INFERRED-CONTRACT", "auto", con)], [("COM-SUBSCRIPTION-INFERRED", "auto", con)])


def test_subscription_sibling_billed_without_its_discount_raises_the_discount() -> None:
    """The subscription says which contract the invoice bills, but it bills the list price:
    the difference is explained (discount not applied), not parked as an unexplained link."""
    w = _world()
    con = w.contract("A", "00000320", 9_000, list_amount=10_000, discount_bp=1000,
                     start=date(2026, 9, 1))
    w.invoice("A", "ACME-0320", 10_800, net=9_000, issued=date(2026, 9, 1),
              contract="00000320")
    _period(w, date(2026, 9, 1), date(2026, 10, 1), subscription="sub_320")
    inv = w.invoice("A", "ACME-0321", 12_000, net=10_000, issued=date(2026, 10, 1))
    _period(w, date(2026, 10, 1), date(2026, 11, 1), subscription="sub_320")
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["commitment"]) == ("COM-INFERRED-DISCOUNT", con)
    assert categories_of(r, inv) == {"discount_not_applied"}


def test_subscription_sibling_billing_another_amount_is_a_contract_mismatch() -> None:
    """The subscription names the contract, the invoice carries no CRM id and bills an amount
    no rule explains (neither pro rata, a forgotten discount nor an indexed renewal): the
    link is proposed with the mismatch, not lost as an invoice without commitment."""
    w = _world()
    con = w.contract("A", "00000330", 318_500, start=date(2026, 9, 25))
    w.invoice("A", "60J437CS-0006", 382_200, net=318_500, issued=date(2026, 9, 25),
              contract="00000330")
    _period(w, date(2026, 9, 25), date(2026, 10, 24), subscription="sub_StxX8U")
    inv = w.invoice("A", "60J437CS-0007", 410_267, net=341_889, issued=date(2026, 10, 25))
    _period(w, date(2026, 10, 25), date(2026, 11, 24), subscription="sub_StxX8U")
    r = w.reconcile()
    [m] = _links(r, inv)
    assert (m["rule_id"], m["status"], m["commitment"]) == \
        ("COM-SUBSCRIPTION-MISMATCH", "review", con)
    assert categories_of(r, inv) == {"contract_amount_mismatch"}
    assert "3418.89 net against 3185.00 expected" in m["explanation"]
