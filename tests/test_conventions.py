"""The realistic dialects: each real-world convention of formats.md §8 is present in the native
exports, with a concrete instance, and every truth record exists in those exports."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from lxml import etree

from data_samples import generate
from data_samples.dialects import DIALECTS

MONTH = date(2026, 10, 1)
PARIS = ZoneInfo("Europe/Paris")
NS = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}


@pytest.fixture(scope="module", params=["stripe_default", "messy_erp"])
def month(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp(request.param)
    generate.generate(out, 300, 3, MONTH, dialect=DIALECTS[request.param])
    return out


def _stripe(root: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((root / "native" / "stripe" / f"{name}.json").read_text())["data"]


def _sf(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "native" / "salesforce" / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fec(root: Path) -> list[dict[str, str]]:
    path = next((root / "native" / "fec").glob("*.txt"))
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _truth(root: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(root / "truth" / f"{name}.csv", infer_schema=False)


def _native_ids(root: Path) -> dict[str, set[str]]:
    """Record ids of every system as the result contract names them, read from native files."""
    crm = {r["ID"] for n in ("Account", "Contract", "Opportunity") for r in _sf(root, n)}
    billing = {o["id"] for n in ("customers", "invoices", "credit_notes")
               for o in _stripe(root, n)}
    erp: set[str] = set()
    per_entry: dict[tuple[str, str], int] = {}
    for r in _fec(root):
        if r["CompAuxNum"]:
            erp.add(r["CompAuxNum"])
        if r["CompteNum"].startswith("411"):
            key = (r["JournalCode"], r["EcritureNum"])
            per_entry[key] = per_entry.get(key, 0) + 1
    for (j, n), count in per_entry.items():
        erp |= {f"{j}:{n}"} if count == 1 else {f"{j}:{n}:{k}" for k in range(1, count + 1)}
    camt = next((root / "native" / "bank").glob("*.xml"))
    bank: set[str] = set()
    for e in etree.parse(str(camt)).getroot().iterfind(".//c:Ntry", NS):
        ref = e.findtext("c:AcctSvcrRef", namespaces=NS)
        n = len(e.findall(".//c:TxDtls", NS))
        bank |= {ref} if n <= 1 else {f"{ref}/{k}" for k in range(1, n + 1)}
    psp: set[str] = set()
    for name in ("balance_transactions", "payouts"):
        path = root / "native" / "stripe_payouts" / f"{name}.json"
        for o in json.loads(path.read_text())["data"] if path.exists() else []:
            is_payout = o["object"] == "payout" or o.get("reporting_category") == "payout"
            psp.add(o["source"] if is_payout and o["object"] != "payout" else o["id"])
    return {"crm": crm, "billing": billing, "erp": erp, "bank": bank, "psp": psp}


def test_truth_records_exist_in_the_native_exports(month: Path) -> None:
    ids = _native_ids(month)
    for name in ("exceptions", "decoys", "clean", "normal_cases"):
        for row in _truth(month, name).iter_rows(named=True):
            assert row["record_id"] in ids[row["system"]], (name, row)
    for row in _truth(month, "links").iter_rows(named=True):
        assert row["left_id"] in ids[row["left_system"]], row
        assert row["right_id"] in ids[row["right_system"]], row
    pay = _truth(month, "payment_links")
    assert set(pay["left_id"]) <= ids["bank"] and set(pay["right_id"]) <= ids["billing"]


def test_per_customer_numbers_with_digit_led_prefixes(month: Path) -> None:
    prefixes = [c["invoice_prefix"] for c in _stripe(month, "customers")]
    assert all(re.fullmatch(r"[A-Z0-9]{3,12}", p) for p in prefixes)
    assert len(set(prefixes)) == len(prefixes)
    assert any(p[0].isdigit() for p in prefixes)
    assert any(set(p) & set("ILO01") for p in prefixes)
    by_customer = {c["id"]: c["invoice_prefix"] for c in _stripe(month, "customers")}
    invoices = _stripe(month, "invoices")
    for inv in invoices:
        prefix, _, seq = inv["number"].rpartition("-")
        assert prefix == by_customer[inv["customer"]] and re.fullmatch(r"\d{4}", seq), inv["number"]
    numbers = {i["id"]: i["number"] for i in invoices}
    for cn in _stripe(month, "credit_notes"):
        assert cn["number"] == f"{numbers[cn['invoice']]}-CN-01" or \
            cn["number"].startswith(numbers[cn["invoice"]] + "-CN-")


def test_crm_metadata_on_part_of_subscription_invoices_only(month: Path) -> None:
    invoices = _stripe(month, "invoices")
    self_serve = set(_truth(month, "exceptions").filter(
        pl.col("category") == "party_not_in_crm")["record_id"])
    subs = [i for i in invoices if i["billing_reason"].startswith("subscription")
            and i["customer"] not in self_serve]
    share = sum("contract_number" in i["metadata"] for i in subs) / len(subs)
    assert 0.5 <= share <= 0.7, share
    manual = [i for i in invoices if i["billing_reason"] == "manual"]
    assert manual and not any("sf_opportunity_id" in i["metadata"] for i in manual)
    assert any(i.get("custom_fields") for i in invoices)
    pos = [i["metadata"].get("po_number") or (i.get("custom_fields") or [{}])[0].get("value")
           for i in subs]
    assert any(p and re.fullmatch(r"45\d{8}", p) for p in pos)  # yearly PO on subscriptions
    line = re.compile(r"\d+ × Nexalia \w+ \(à [\d\u202f]+,\d\d € / (mois|trimestre|an)\)")
    assert any(line.fullmatch(i["lines"]["data"][0]["description"]) for i in subs)


def test_subscription_id_where_the_api_version_puts_it(month: Path) -> None:
    invoices = _stripe(month, "invoices")
    if "parent" in invoices[0]:  # basil
        subs = [i["parent"]["subscription_details"]["subscription"] for i in invoices
                if i["parent"]]
    else:  # pre-basil: top-level subscription, tax, total_tax_amounts
        assert "total_tax_amounts" in invoices[0] and "tax" in invoices[0]
        subs = [i["subscription"] for i in invoices if i["subscription"]]
    assert all(s.startswith("sub_") for s in subs)
    assert len(set(subs)) < len(subs)  # every invoice of a subscription shares its id


def test_opportunity_lookup_on_the_contract_side(month: Path) -> None:
    contracts = _sf(month, "Contract")
    field = "SBQQ__OPPORTUNITY__C" if "messy" in month.name else "OPPORTUNITY__C"
    assert contracts and all(field in r for r in contracts)
    opps = {r["ID"] for r in _sf(month, "Opportunity")}
    linked = [r[field] for r in contracts if r[field]]
    assert linked and set(linked) <= opps
    assert not any(r["CONTRACTID"] for r in _sf(month, "Opportunity"))


def test_unlettered_earlier_receipts_cite_the_invoice(month: Path) -> None:
    numbers = {i["number"] for i in _stripe(month, "invoices")}
    lines = [r for r in _fec(month) if r["JournalCode"] == "BQ1"
             and r["CompteNum"].startswith("411") and not r["EcritureLet"]
             and r["EcritureDate"] < f"{MONTH:%Y%m%d}"]
    cited = [r for r in lines if set(r["EcritureLib"].split()) & numbers]
    assert cited
    cases = _truth(month, "normal_cases").filter(pl.col("case") == "unlettered_earlier_receipt")
    assert cases.height >= len(cited) > 0


def test_year_end_rebates_are_hosted_credit_notes_on_709(month: Path) -> None:
    rebates = set(_truth(month, "exceptions").filter(
        pl.col("category") == "year_end_rebate")["record_id"])
    cns = {c["id"]: c for c in _stripe(month, "credit_notes")}
    invoices = {i["id"]: i for i in _stripe(month, "invoices")}
    fec = _fec(month)
    assert len(rebates) >= 3
    for rid in rebates:
        cn = cns[rid]
        assert cn["invoice"] in invoices
        assert "janvier a octobre 2026" in cn["lines"]["data"][0]["description"]
        assert any(r["PieceRef"] == cn["number"] and r["CompteNum"].startswith("709")
                   for r in fec)
    links = _truth(month, "links").filter(pl.col("kind") == "credit_note_invoice")
    assert not set(links["left_id"]) & rebates  # the host invoice is not what it credits


def test_self_serve_customers_are_not_in_the_crm(month: Path) -> None:
    ids = set(_truth(month, "exceptions").filter(
        pl.col("category") == "party_not_in_crm")["record_id"])
    customers = {c["id"]: c for c in _stripe(month, "customers")}
    accounts = _sf(month, "Account")
    assert ids and ids <= set(customers)
    names = {a["NAME"] for a in accounts}
    assert not ids & {a["BILLING_CUSTOMER_ID__C"] for a in accounts}
    assert not {customers[i]["name"] for i in ids} & names
    auxes = {customers[i]["metadata"]["erp_account"] for i in ids}
    assert auxes <= {r["CompAuxNum"] for r in _fec(month)}


def test_prorated_first_invoices(month: Path) -> None:
    ids = set(_truth(month, "normal_cases").filter(
        pl.col("case") == "prorated_first_invoice")["record_id"])
    invoices = [i for i in _stripe(month, "invoices") if i["id"] in ids]
    assert invoices
    for inv in invoices:
        line = inv["lines"]["data"][0]
        days = (line["period"]["end"] - line["period"]["start"]) // 86400
        assert days <= 28 and line["description"].startswith("Temps restant")
        assert inv["billing_reason"] == "subscription_create"
        assert inv["period_start"] == inv["period_end"] == inv["created"]


def test_invoice_period_is_stripe_usage_period(month: Path) -> None:
    cycles = [i for i in _stripe(month, "invoices") if i["billing_reason"] == "subscription_cycle"]
    assert cycles
    for inv in cycles:
        service = inv["lines"]["data"][0]["period"]
        assert inv["period_end"] == service["start"] and inv["period_start"] < inv["period_end"]


def test_tacit_renewals_keep_the_old_crm_terms(month: Path) -> None:
    drift = _truth(month, "exceptions").filter(pl.col("category") == "renewal_price_drift")
    links = _truth(month, "links").filter(pl.col("kind") == "invoice_commitment")
    contracts = {r["ID"]: r for r in _sf(month, "Contract")}
    invoices = {i["id"]: i for i in _stripe(month, "invoices")}
    tacit = 0
    for inv_id in drift["record_id"]:
        ct = contracts[links.filter(pl.col("left_id") == inv_id)["right_id"][0]]
        issued = datetime.fromtimestamp(invoices[inv_id]["created"], PARIS).date()
        if ct["ENDDATE"] < issued.isoformat():
            tacit += 1
            assert invoices[inv_id]["total_excluding_tax"] > round(float(ct["AMOUNT__C"]) * 100)
    assert tacit >= 3


def test_invoices_created_after_midnight_paris_are_the_previous_utc_day(month: Path) -> None:
    shifted = [i for i in _stripe(month, "invoices")
               if datetime.fromtimestamp(i["created"], UTC).date()
               < datetime.fromtimestamp(i["created"], PARIS).date()]
    assert shifted


def test_carry_over_from_earlier_months(month: Path) -> None:
    exc = _truth(month, "exceptions")
    opps = {r["ID"]: r for r in _sf(month, "Opportunity")}
    unbilled = [opps[r] for r in exc.filter(pl.col("category") == "unbilled_commitment")
                ["record_id"] if r in opps]
    assert any(o["CLOSEDATE"] < MONTH.isoformat() for o in unbilled)
    invoices = {i["id"]: i for i in _stripe(month, "invoices")}
    orphans = [invoices[r] for r in exc.filter(pl.col("category") ==
                                                "invoice_without_commitment")["record_id"]]
    assert any(datetime.fromtimestamp(i["created"], PARIS).date() < MONTH for i in orphans)


def test_remittance_habits_reach_the_statement(month: Path) -> None:
    camt = next((month / "native" / "bank").glob("*.xml")).read_text()
    texts = re.findall(r"<Ustrd>([^<]*)</Ustrd>", camt)
    assert any(re.search(r"/(INV|RFB|ROC|URI)/", t) for t in texts)
    assert any(re.search(r"[A-Z0-9]{3,12} - \d{4}", t) for t in texts)
    assert any(re.search(r"(INV \d{4}|facture \d+|FACT N \d+)", t) for t in texts)
    assert any(re.search(r"(ABONNEMENT|ECHEANCE) [A-Z]+ 2026", t) for t in texts)
    habits = _truth(month, "payment_links").group_by("habit").len()
    assert {"exact", "nothing", "period_only", "e2e_only", "ocr_typo", "contract_only"} <= \
        set(habits["habit"])
    pay = _truth(month, "payment_links")
    unreferenced = pay.filter(pl.col("habit").is_in(["nothing", "period_only"]))
    assert (unreferenced["clean"] == "false").all()
    assert (pay["clean"] == "true").sum() > pay.height // 2


def test_canonical_files_equal_what_the_loaders_read(month: Path) -> None:
    loaders = pytest.importorskip("reconkit.loaders")
    from reconkit.schemas import conform

    for kind, sub, table in (("stripe", "stripe", "invoices"), ("stripe", "stripe", "parties"),
                             ("salesforce", "salesforce", "commitments"),
                             ("camt053", "bank", "payments"),
                             ("stripe_payouts", "stripe_payouts", "settlement_lines")):
        if not (month / "native" / sub).exists():
            continue
        path = month / "native" / sub
        if kind == "camt053":
            path = next(path.glob("*.xml"))
        got = loaders.get_loader(kind)(path).tables[table]
        got = conform(table, got).sort("record_id")
        exp = pl.read_csv(month / "canonical" / f"{table}.csv", schema=got.schema)
        exp = exp.filter(pl.col("system") == got["system"][0]).sort("record_id")
        assert got.equals(exp), (kind, table)
