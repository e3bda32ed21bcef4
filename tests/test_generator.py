"""The sample-month generator: determinism, scenario coverage, consistent totals, valid ids."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from stdnum import iban, iso11649
from stdnum.fr import siren

from data_samples import generate
from data_samples.dialects import DIALECTS
from data_samples.model import VOLUMES, rf_reference, tax_of
from reconkit.ids import is_sf_id
from reconkit.schemas import COLUMNS

CATEGORIES = (
    "unmatched_payment", "partial_payment", "overpayment", "duplicate_payment",
    "grouped_payment", "payer_is_other_entity", "bank_fee_deducted", "unbilled_commitment",
    "invoice_without_commitment", "contract_amount_mismatch", "discount_not_applied",
    "renewal_price_drift", "missing_in_ledger", "ledger_amount_mismatch",
    "credit_note_on_lettered_line", "year_end_rebate", "renamed_party", "unresolved_party",
    "bank_charge",
)
NS = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen_a")
    generate.generate(out, 300, 7, date(2026, 10, 1))
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _csv(root: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(root / name, infer_schema_length=0)


def test_same_arguments_give_identical_bytes(sample: Path, tmp_path: Path) -> None:
    generate.generate(tmp_path, 300, 7, date(2026, 10, 1))
    first, second = _files(sample), _files(tmp_path)
    assert sorted(first) == sorted(second)
    assert len(first) == 21
    assert [k for k in first if first[k] != second[k]] == []


def test_classic_is_the_default_and_reproduces_the_committed_sample(sample: Path) -> None:
    committed = _files(ROOT / "data_samples" / "sample")
    fresh = _files(sample)
    assert set(fresh) == {k for k in committed if not k.endswith(".yaml")}
    shared = [k for k in committed if not k.endswith(".yaml")]
    assert len(shared) == 21
    assert [k for k in shared if committed[k] != fresh[k]] == []


@pytest.mark.parametrize("dialect", ["stripe_default", "messy_erp"])
def test_each_dialect_is_byte_deterministic(dialect: str, tmp_path: Path) -> None:
    for run in ("a", "b"):
        generate.generate(tmp_path / run, 150, 11, date(2026, 10, 1),
                          dialect=DIALECTS[dialect])
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    # stripe_default adds the Stripe payouts (2 native JSON files, the payout reconciliation
    # CSV, canonical settlement lines)
    assert len(first) == (25 if DIALECTS[dialect].stripe_payers else 21) and first == second
    summary = json.loads(first["truth/summary.json"])
    assert summary["arguments"]["dialect"] == dialect
    classic = tmp_path / "classic"
    generate.generate(classic, 150, 11, date(2026, 10, 1))
    assert _files(classic)["native/stripe/invoices.json"] != first["native/stripe/invoices.json"]


def test_dialect_option_of_the_cli(tmp_path: Path) -> None:
    assert generate.main(["--out", str(tmp_path), "--clients", "150", "--seed", "2", "--month",
                          "2026-10", "--dialect", "messy_erp", "--no-native"]) == 0
    inv = _csv(tmp_path, "canonical/invoices.csv").filter(pl.col("doc_type") == "invoice")
    assert inv["number"].str.contains(r"^[A-Z0-9]{3,12}-\d{4}$").all()
    with pytest.raises(SystemExit):
        generate.main(["--out", str(tmp_path), "--clients", "150", "--seed", "2", "--month",
                       "2026-10", "--dialect", "nope"])


def test_clean_records_and_payment_link_flags(sample: Path) -> None:
    clean = _csv(sample, "truth/clean.csv")
    exc = _csv(sample, "truth/exceptions.csv")
    assert clean.join(exc, on=["system", "record_id"]).height == 0
    assert set(clean["system"]) == {"bank", "billing", "crm", "erp"}
    pay = _csv(sample, "truth/payment_links.csv")
    links = _csv(sample, "truth/links.csv").filter(pl.col("kind") == "payment_invoice")
    assert pay.height == links.height
    flagged = set(exc.filter(pl.col("system") == "bank")["record_id"])
    assert not set(pay.filter(pl.col("clean") == "true")["left_id"]) & flagged
    assert (pay["habit"] == "classic").all()


def test_another_seed_gives_another_world(sample: Path, tmp_path: Path) -> None:
    generate.generate(tmp_path, 300, 8, date(2026, 10, 1), native=False)
    assert not (tmp_path / "native").exists()
    assert (tmp_path / "canonical" / "invoices.csv").read_bytes() != \
        (sample / "canonical" / "invoices.csv").read_bytes()


def test_every_category_at_least_three_times(sample: Path) -> None:
    exc = _csv(sample, "truth/exceptions.csv")
    counts = dict(exc.group_by("category").len().iter_rows())
    assert {c: counts.get(c, 0) for c in CATEGORIES} == {c: 3 for c in CATEGORIES}
    assert exc.select("system", "record_id").n_unique() == exc.height


def test_truth_records_exist_in_the_canonical_tables(sample: Path) -> None:
    canon = {"crm": set(_csv(sample, "canonical/commitments.csv")["record_id"])
             | set(_csv(sample, "canonical/parties.csv")["record_id"]),
             "billing": set(_csv(sample, "canonical/invoices.csv")["record_id"]),
             "erp": set(_csv(sample, "canonical/ledger_lines.csv")["record_id"]),
             "bank": set(_csv(sample, "canonical/payments.csv")["record_id"])}
    for name in ("exceptions", "decoys"):
        for row in _csv(sample, f"truth/{name}.csv").iter_rows(named=True):
            assert row["record_id"] in canon[row["system"]], row
    links = _csv(sample, "truth/links.csv")
    for row in links.iter_rows(named=True):
        assert row["left_id"] in canon[row["left_system"]], row
        assert row["right_id"] in canon[row["right_system"]], row


def test_headers_are_the_canonical_columns(sample: Path) -> None:
    for table, cols in COLUMNS.items():
        if table == "settlement_lines":  # PSP payouts: realistic dialects only
            continue
        header = (sample / "canonical" / f"{table}.csv").read_text().splitlines()[0]
        assert header == ",".join(cols)


def test_allocations_sum_to_the_payment_amount(sample: Path) -> None:
    pay = dict(_csv(sample, "canonical/payments.csv").select(
        "record_id", pl.col("amount_cents").cast(pl.Int64)).iter_rows())
    links = _csv(sample, "truth/links.csv").filter(pl.col("kind") == "payment_invoice")
    alloc: dict[str, int] = defaultdict(int)
    for row in links.iter_rows(named=True):
        alloc[row["left_id"]] += int(row["amount_cents"])
    exc = _csv(sample, "truth/exceptions.csv")
    by_cat = {c: set(exc.filter(pl.col("category") == c)["record_id"]) for c in CATEGORIES}
    unallocated = by_cat["unmatched_payment"] | by_cat["duplicate_payment"] | \
        by_cat["bank_charge"]
    for rid, amount in pay.items():
        if rid in by_cat["overpayment"]:
            assert amount - alloc[rid] > 500, rid
        elif rid in unallocated:
            assert alloc.get(rid, 0) == 0, rid
        else:
            assert alloc[rid] == amount, rid


def test_fee_partial_and_over_amounts(sample: Path) -> None:
    inv = dict(_csv(sample, "canonical/invoices.csv").select(
        "record_id", pl.col("amount_cents").cast(pl.Int64)).iter_rows())
    pay = dict(_csv(sample, "canonical/payments.csv").select(
        "record_id", pl.col("amount_cents").cast(pl.Int64)).iter_rows())
    links = _csv(sample, "truth/links.csv").filter(pl.col("kind") == "payment_invoice")
    target = dict(links.select("left_id", "right_id").iter_rows())
    for row in _csv(sample, "truth/exceptions.csv").iter_rows(named=True):
        rid, cat = row["record_id"], row["category"]
        if cat == "bank_fee_deducted":
            short = inv[target[rid]] - pay[rid]
            assert 100 <= short <= 2500 and short * 50 < inv[target[rid]]
        elif cat == "partial_payment":
            assert 0.3 <= pay[rid] / inv[target[rid]] <= 0.7
        elif cat == "overpayment":
            assert pay[rid] - inv[target[rid]] > 500


def test_invoice_totals_and_vat(sample: Path) -> None:
    inv = _csv(sample, "canonical/invoices.csv").with_columns(
        pl.col("net_cents", "tax_cents", "amount_cents").cast(pl.Int64))
    for net, tax, amount in inv.select("net_cents", "tax_cents", "amount_cents").iter_rows():
        assert tax == tax_of(net) and amount == net + tax
    assert tax_of(12345) == 2469 and tax_of(-12345) == -2469 and tax_of(2) == 0
    assert tax_of(3) == 1  # 0.6 cent rounds half-up


def test_fec_entries_balance_and_lettering_nets_to_zero(sample: Path) -> None:
    from reconkit.loaders.fec import load_fec

    path = next((sample / "native" / "fec").glob("*FEC20261231.txt"))
    raw = pl.read_csv(path, separator="\t", infer_schema_length=0)
    cents = raw.with_columns(
        (pl.col("Debit").str.replace(",", ".").cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64)
        .alias("d"),
        (pl.col("Credit").str.replace(",", ".").cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64)
        .alias("c"))
    unbalanced = cents.group_by("JournalCode", "EcritureNum").agg(
        (pl.col("d").sum() - pl.col("c").sum()).alias("net")).filter(pl.col("net") != 0)
    assert unbalanced.height == 0
    lettered = cents.filter(pl.col("EcritureLet").is_not_null())
    groups = lettered.group_by("CompAuxNum", "EcritureLet").agg(
        (pl.col("d").sum() - pl.col("c").sum()).alias("net"), pl.len())
    assert groups.height > 50 and groups["net"].abs().max() == 0
    assert groups["len"].min() >= 2
    ledger = load_fec(path).tables["ledger_lines"]
    canon = _csv(sample, "canonical/ledger_lines.csv")
    assert ledger["record_id"].to_list() == canon["record_id"].to_list()
    assert ledger["source_row"].to_list() == canon["source_row"].cast(pl.Int64).to_list()


def test_camt_balances_add_up(sample: Path) -> None:
    path = sample / "native" / "bank" / "camt053_2026-10.xml"
    doc = etree.parse(str(path))
    bal = {b.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=NS):
           round(float(b.findtext("c:Amt", namespaces=NS)) * 100)
           for b in doc.iterfind(".//c:Bal", NS)}
    moves = 0
    for ntry in doc.iterfind(".//c:Ntry", NS):
        amount = int(ntry.findtext("c:Amt", namespaces=NS).replace(".", ""))
        sign = 1 if ntry.findtext("c:CdtDbtInd", namespaces=NS) == "CRDT" else -1
        txs = ntry.findall(".//c:TxDtls", NS)
        if len(txs) > 1:
            assert sum(int(t.findtext("c:Amt", namespaces=NS).replace(".", "")) for t in txs) \
                == amount
        moves += sign * amount
    assert bal["OPBD"] + moves == bal["CLBD"]
    pay = _csv(sample, "canonical/payments.csv")
    assert pay["amount_cents"].cast(pl.Int64).sum() == moves
    assert pay["record_id"].str.contains("/").sum() >= 4  # SDD batch transactions
    assert pay["entry_ref"].str.contains(r"^\d{16}$").all()


def test_ids_are_valid(sample: Path) -> None:
    parties = _csv(sample, "canonical/parties.csv")
    crm = parties.filter(pl.col("system") == "crm")["record_id"].to_list()
    assert crm and all(is_sf_id(x) and len(x) == 18 and x.startswith("001") for x in crm)
    com = _csv(sample, "canonical/commitments.csv")
    assert all(is_sf_id(x) and x[:3] in ("800", "006") for x in com["record_id"])
    sirens = [x for x in parties["legal_id"].drop_nulls() if x.isdigit()]
    assert len(sirens) > 200 and all(siren.is_valid(x) for x in sirens)
    pay = _csv(sample, "canonical/payments.csv")
    ibans = pay["payer_iban"].drop_nulls().to_list() + pay["account_id"].to_list()
    assert all(iban.is_valid(x) for x in ibans)
    refs = pay["structured_ref"].drop_nulls().to_list()
    assert refs and all(iso11649.is_valid(x) for x in refs)
    assert rf_reference("F-2026-004217") == "RF31F2026004217"
    assert iso11649.is_valid(rf_reference("F-2026-004217"))
    billing = parties.filter(pl.col("system") == "billing")["record_id"]
    assert billing.str.contains(r"^cus_[0-9A-Za-z]{14}$").all()
    inv = _csv(sample, "canonical/invoices.csv")
    assert inv.filter(pl.col("doc_type") == "invoice")["record_id"] \
        .str.contains(r"^in_[0-9A-Za-z]{24}$").all()
    assert inv.filter(pl.col("doc_type") == "invoice")["number"] \
        .str.contains(r"^F-2026-\d{6}$").all()


def test_remittance_noise_is_present(sample: Path) -> None:
    rem = " ".join(_csv(sample, "canonical/payments.csv")["remittance"].drop_nulls())
    assert re.search(r"\bf-2026-\d{6}\b", rem)            # lower case
    assert re.search(r"\bF2026\d{6}\b", rem)              # compact
    assert re.search(r"\bF-2026-[1-9]\d{0,4}\b", rem)     # leading zeros dropped
    assert re.search(r"CLIENT \d{5} .* CMD PO-2026-\d{3}", rem)  # distracting digit groups


def test_party_truth_covers_structures(sample: Path) -> None:
    truth = _csv(sample, "truth/parties.csv")
    per_client = truth.filter(pl.col("system") == "crm").group_by("client_id").len()
    assert per_client.filter(pl.col("len") == 2).height == 1   # two legal entities
    accounts = _csv(sample, "canonical/parties.csv").filter(pl.col("system") == "crm")
    assert accounts["parent_record_id"].drop_nulls().len() >= 4  # 3 subsidiaries + 1 entity
    billing = _csv(sample, "canonical/parties.csv").filter(pl.col("system") == "billing")
    share = billing["crm_ref"].is_not_null().mean()
    assert 0.75 < share < 0.95
    summary = json.loads((sample / "truth" / "summary.json").read_text())
    assert summary["exceptions"]["renamed_party"] == 3 and summary["decoys"] >= 9


def test_canonical_payments_equal_the_camt_loader(sample: Path) -> None:
    camt = pytest.importorskip("reconkit.loaders.camt053")
    from reconkit.schemas import conform

    got = conform("payments", camt.load_camt053(
        sample / "native" / "bank" / "camt053_2026-10.xml").tables["payments"])
    exp = pl.read_csv(sample / "canonical" / "payments.csv", schema=got.schema)
    assert got.equals(exp)


def test_too_few_clients_is_refused(tmp_path: Path) -> None:
    assert generate.main(["--out", str(tmp_path), "--clients", "20", "--seed", "1",
                          "--month", "2026-10"]) == 2


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen_bench")
    generate.generate(out, 300, 7, date(2026, 10, 1), native=False,
                      volume=VOLUMES["bench"])
    return out


def test_bench_volume_multiplies_invoices_and_payments(bench: Path, sample: Path) -> None:
    summary = json.loads((bench / "truth" / "summary.json").read_text())
    assert summary["arguments"]["volume"] == {"orders_per_client": 2.5, "scenarios_per_100": 3}
    assert summary["canonical_rows"] == {"commitments": 1372, "invoices": 1647,
                                         "ledger_lines": 2429, "parties": 901,
                                         "payments": 917}
    assert summary["fec_lines"] == 6458  # 30 write-off lines (data_samples/history.py)
    assert summary["exceptions"] == {c: 9 for c in CATEGORIES}
    default = json.loads((sample / "truth" / "summary.json").read_text())
    assert "volume" not in default["arguments"]
    assert default["canonical_rows"]["payments"] == 289


def test_bench_volume_keeps_the_scenario_mix(bench: Path) -> None:
    pay = _csv(bench, "canonical/payments.csv")
    with_ref = pay["remittance"].fill_null("").str.contains(r"(?i)f-?2026|RF\d") \
        | pay["structured_ref"].is_not_null() \
        | pay["end_to_end_id"].fill_null("").str.starts_with("F-")
    assert 0.9 < with_ref.mean() < 0.97
    bank_exc = _csv(bench, "truth/exceptions.csv").filter(pl.col("system") == "bank")
    assert 0.06 < bank_exc.height / pay.height < 0.12
    links = _csv(bench, "truth/links.csv")
    invoices = _csv(bench, "canonical/invoices.csv").filter(pl.col("doc_type") == "invoice")
    committed = set(links.filter(pl.col("kind") == "invoice_commitment")["left_id"])
    without = set(_csv(bench, "truth/exceptions.csv").filter(
        pl.col("category") == "invoice_without_commitment")["record_id"])
    assert set(invoices["record_id"]) == committed | without


def test_volume_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        generate.main(["--out", str(tmp_path), "--clients", "300", "--seed", "1",
                       "--month", "2026-10", "--orders-per-client", "-1"])
    assert exc.value.code == 2
    assert generate.main(["--out", str(tmp_path), "--clients", "300", "--seed", "1",
                          "--month", "2026-10", "--scenarios-per-100", "12"]) == 2
