"""Rule mining from a ledger's lettering: a small hand-made FEC whose every habit is known
(fee written off to 627, small write-off to 658, one receipt for two invoices, a parent paying
for its subsidiary, citation forms), and the committed sample, whose generator rules are known
(data_samples/README.md)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from data_samples.history import (
    BANK_FEE,
    PARENT_PAID_CASE,
    WRITE_OFF_HABITS,
    WRITTEN_OFF_CASE,
    habit_count,
)
from reconkit.audit.history import LedgerHistory, read_fec_lines
from reconkit.audit.mine_references import reference_habits
from reconkit.audit.mining import (
    grouping_habits,
    mine,
    tolerated_differences,
    who_pays_for_whom,
)
from reconkit.audit.tacit import tacit_rules

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data_samples" / "sample"
HEADER = ("JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum"
          "\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet"
          "\tValidDate\tMontantdevise\tIdevise")


def _line(j: str, num: str, d: str, acct: str, aux: str, aux_name: str, piece: str, label: str,
          debit: str, credit: str, let: str = "", date_let: str = "") -> str:
    jl = {"VT": "Ventes", "BQ1": "Banque", "OD": "Operations diverses"}[j]
    return "\t".join([j, jl, num, d, acct, "x", aux, aux_name, piece, d, label, debit, credit,
                      let, date_let, d, "", ""])


def _invoice(num: str, d: str, aux: str, name: str, number: str, ttc: str, ht: str, tva: str,
             let: str = "", date_let: str = "") -> list[str]:
    return [_line("VT", num, d, "411000", aux, name, number, f"Facture {number}", ttc, "0,00",
                  let, date_let),
            _line("VT", num, d, "706000", "", "", number, f"Facture {number}", "0,00", ht),
            _line("VT", num, d, "445710", "", "", number, f"Facture {number}", "0,00", tva)]


@pytest.fixture
def fec(tmp_path: Path) -> Path:
    acme, beta, mere = ("C001", "ACME SAS"), ("C002", "BETA FILIALE SARL"), \
        ("C003", "GROUPE MERE SAS")
    rows = [HEADER]
    rows += _invoice("VT1", "20260901", *acme, "F-2026-000101", "1200,00", "1000,00", "200,00",
                     "AAA", "20261005")
    rows += _invoice("VT2", "20260902", *beta, "F-2026-000102", "600,00", "500,00", "100,00",
                     "AAA", "20261010")
    rows += _invoice("VT3", "20260903", *acme, "F-2026-000103", "240,00", "200,00", "40,00",
                     "AAB", "20261012")
    rows += _invoice("VT4", "20260904", *acme, "F-2026-000104", "120,00", "100,00", "20,00",
                     "AAB", "20261012")
    rows += _invoice("VT5", "20260905", *mere, "F-2026-000105", "360,00", "300,00", "60,00",
                     "AAA", "20261003")
    # fee kept by a bank: 1180.00 received for 1200.00, 20.00 to 627
    rows += [_line("BQ1", "BQ1", "20261005", "512100", "", "", "R1", "VIR SEPA ACME FACT "
                   "F-2026-000101", "1180,00", "0,00"),
             _line("BQ1", "BQ1", "20261005", "627800", "", "", "R1", "VIR SEPA ACME FACT "
                   "F-2026-000101", "20,00", "0,00"),
             _line("BQ1", "BQ1", "20261005", "411000", *acme, "R1", "VIR SEPA ACME FACT "
                   "F-2026-000101", "0,00", "1200,00", "AAA", "20261005")]
    # the parent pays its subsidiary's invoice, citing it without zeros
    rows += [_line("BQ1", "BQ2", "20261010", "512100", "", "", "R2", "VIR SEPA GROUPE MERE "
                   "F-2026-102", "600,00", "0,00"),
             _line("BQ1", "BQ2", "20261010", "411000", *beta, "R2", "VIR SEPA GROUPE MERE "
                   "F-2026-102", "0,00", "600,00", "AAA", "20261010")]
    # one receipt for two invoices, 0.50 short written off to 658 by a separate entry
    rows += [_line("BQ1", "BQ3", "20261012", "512100", "", "", "R3", "VIR SEPA ACME f2026000103 "
                   "F2026000104", "359,50", "0,00"),
             _line("BQ1", "BQ3", "20261012", "411000", *acme, "R3", "VIR SEPA ACME f2026000103 "
                   "F2026000104", "0,00", "359,50", "AAB", "20261012"),
             _line("OD", "OD1", "20261012", "658000", "", "", "WO1", "Ecart reglement ACME",
                   "0,50", "0,00"),
             _line("OD", "OD1", "20261012", "411000", *acme, "WO1", "Ecart reglement ACME",
                   "0,00", "0,50", "AAB", "20261012")]
    # the parent's own invoice, cited by its sequence only
    rows += [_line("BQ1", "BQ4", "20261003", "512100", "", "", "R4", "VIR SEPA GROUPE MERE "
                   "FACTURE 105", "360,00", "0,00"),
             _line("BQ1", "BQ4", "20261003", "411000", *mere, "R4", "VIR SEPA GROUPE MERE "
                   "FACTURE 105", "0,00", "360,00", "AAA", "20261003")]
    path = tmp_path / "123456782FEC20261231.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def history(fec: Path) -> LedgerHistory:
    return LedgerHistory.from_lines(read_fec_lines(fec))


def test_history_groups_and_write_offs(history: LedgerHistory) -> None:
    g = history.groups.select("aux_account", "lettering_code", "invoices", "receipts",
                              "adjustments", "invoiced_cents", "received_cents", "balance_cents")
    assert g.rows() == [("C001", "AAA", 1, 1, 0, 120000, 120000, 0),
                        ("C001", "AAB", 2, 1, 1, 36000, 35950, 0),
                        ("C002", "AAA", 1, 1, 0, 60000, 60000, 0),
                        ("C003", "AAA", 1, 1, 0, 36000, 36000, 0)]
    assert history.write_offs.select("aux_account", "lettering_code", "write_off_account",
                                     "amount_cents").rows() == [
        ("C001", "AAA", "627800", 2000), ("C001", "AAB", "658000", 50)]


def test_tolerances_per_write_off_account(history: LedgerHistory) -> None:
    tol = tolerated_differences(history)
    assert tol.select("write_off_account", "meaning", "groups", "short_paid", "max_cents",
                      "max_bp", "tolerance_cents", "tolerance_bp").rows() == [
        ("627800", "bank fees", 1, 1, 2000, 166, 2000, 170),
        ("658000", "small write-offs (charge)", 1, 1, 50, 13, 100, 20)]


def test_reference_forms_and_hit_rates(history: LedgerHistory) -> None:
    refs = reference_habits(history)
    assert sorted(refs.select("form", "receipts", "hits").rows()) == [
        ("exact", 1, 1), ("separators", 1, 1), ("sequence_only", 1, 1), ("zeros_dropped", 1, 1)]
    assert set(refs["shape"]) == {"A-9999-999999"}


def test_parent_pays_for_subsidiary(history: LedgerHistory) -> None:
    pays = who_pays_for_whom(history)
    assert pays.select("payer", "payer_account", "paid_for_account", "receipts",
                       "amount_cents", "lettered").rows() == [
        ("GROUPE MERE", "C003", "C002", 1, 60000, 1)]


def test_grouping_counts_receipts_settling_several(history: LedgerHistory) -> None:
    g = grouping_habits(history)
    assert (g.receipts, g.several_invoices, g.max_invoices, g.sizes) == (4, 1, 2, {1: 3, 2: 1})
    assert (g.oldest_first, g.several_share) == (4, 0.25)


def test_tacit_sentences_state_support(history: LedgerHistory) -> None:
    t = tacit_rules(mine(history))
    fee = t.filter(pl.col("rule_id") == "PAY-MINED-WRITE-OFF-627").row(0, named=True)
    assert fee["sentence"] == ("Differences up to 20.00 and 1.7% of the invoiced amount are "
                               "written off to account 627800 (bank fees): 1 lettered groups, "
                               "median 20.00, largest 20.00 (1.66%).")
    assert fee["support"] == 1
    payer = t.filter(pl.col("topic") == "payers")["sentence"].to_list()[1:]
    assert payer == ["GROUPE MERE (client account C003) pays for BETA FILIALE SARL (C002): "
                     "1 receipt, 600.00, 1 lettered."]


# ----------------------------------------------------------------------- committed sample
@pytest.fixture(scope="module")
def sample_mined() -> object:
    from reconkit.loaders.base import get_loader

    fec = next((SAMPLE / "native" / "fec").glob("*.txt"))
    invoices = pl.read_csv(SAMPLE / "canonical" / "invoices.csv", infer_schema=False) \
        .with_columns(pl.col("due_date").str.to_date())
    payments = get_loader("camt053")(next((SAMPLE / "native" / "bank").glob("*.xml"))) \
        .tables["payments"]
    return mine(LedgerHistory.from_lines(read_fec_lines(fec)), invoices=invoices,
                payments=payments)


def test_sample_reference_forms_are_the_generators(sample_mined: object) -> None:
    """The generator's noise (data_samples/model.py noisy_number): exact, compact, zeros
    dropped, lower case, O for 0, one-letter typo; 15% of transfers cite nothing in text."""
    refs = sample_mined.references  # type: ignore[attr-defined]
    assert refs.select("form", "receipts").rows() == [
        ("exact", 168), ("separators", 41), ("none", 38), ("ocr", 32), ("case_changed", 23),
        ("zeros_dropped", 22), ("typo", 9)]
    assert refs.filter(pl.col("form") != "none")["hit_rate"].to_list() == [1.0] * 6
    assert set(refs["shape"]) == {"A-9999-999999"}


def test_sample_parent_pays_for_subsidiary_is_found(sample_mined: object) -> None:
    """Every parent -> subsidiary pair of the generator is mined with its support: the
    earlier receipts the parents sent (data_samples/history.py, truth normal_cases) plus the
    month's payer_is_other_entity payment booked on the 15th (K00250 pays F-2026-002779 of
    K00206, from its IBAN)."""
    import re

    pays = sample_mined.pays_for  # type: ignore[attr-defined]
    pairs = pays.filter(pl.col("payer_account").is_not_null())
    assert pairs.select("payer_account", "paid_for_account", "payer_iban", "receipts",
                        "lettered").rows() == [
        ("C00468", "C00402", None, 1, 1),
        ("C00485", "C00403", "FR7630002675473650847330366", 2, 1),
        ("C00567", "C00413", None, 1, 1)]
    truth = pl.read_csv(SAMPLE / "truth" / "parties.csv")
    erp = dict(truth.filter(pl.col("system") == "erp").select("client_id", "record_id").rows())
    cases = pl.read_csv(SAMPLE / "truth" / "normal_cases.csv")
    earlier = [re.findall(r"K\d+", note) for note in cases.filter(
        pl.col("case") == PARENT_PAID_CASE)["note"]]
    assert len(earlier) == 3
    assert {(erp[a], erp[b]) for a, b in earlier} == set(
        pairs.select("payer_account", "paid_for_account").rows())
    # renamed clients pay under their new name: stated, without a payer account
    assert set(pays.filter(pl.col("payer_account").is_null())["paid_for_account"]) == {
        "C00164", "C00292", "C00535"}


def test_sample_write_off_habits_are_the_generators(sample_mined: object) -> None:
    """Each write-off habit of the generator (data_samples/history.py: account, receipts per
    100 clients, bounds) is mined with its account, its support (= the truth's count) and a
    tolerance covering the largest gap the generator drew."""
    tol = {r["write_off_account"]: r
           for r in sample_mined.tolerances.iter_rows(named=True)}  # type: ignore[attr-defined]
    cases = pl.read_csv(SAMPLE / "truth" / "normal_cases.csv", infer_schema=False).filter(
        pl.col("case") == WRITTEN_OFF_CASE).with_columns(
        pl.col("note").str.split(" ").list.get(0).alias("account"),
        pl.col("note").str.split(" ").list.get(1).cast(pl.Int64).alias("cents"))
    assert sorted(tol) == sorted(h.account for h in WRITE_OFF_HABITS)
    for habit in WRITE_OFF_HABITS:
        drawn = cases.filter(pl.col("account") == habit.account)["cents"]
        mined = tol[habit.account]
        assert mined["groups"] == drawn.len() == habit_count(habit, 300), habit.account
        assert mined["short_paid"] == (mined["groups"] if habit.short else 0)
        assert mined["max_cents"] == drawn.abs().max()
        assert mined["tolerance_cents"] >= drawn.abs().max()
        assert mined["max_bp"] <= habit.max_bp <= mined["tolerance_bp"]
        if habit.max_cents:
            assert mined["max_cents"] <= habit.max_cents
    assert [tol[a]["meaning"] for a in ("627800", "665000", "658000", "758000")] == [
        "bank fees", "discounts granted", "small write-offs (charge)",
        "small write-offs (income)"]
    # the bank fees stay within the default catalog's fee tolerance (PAY-FEE)
    from reconkit.catalog import load_catalog
    from reconkit.paths import DEFAULT_CATALOG

    fee = load_catalog(DEFAULT_CATALOG).rule("PAY-FEE").matcher.params
    assert tol["627800"]["max_cents"] <= fee["max_fee_cents"] == BANK_FEE.max_cents
    assert tol["627800"]["max_bp"] <= fee["max_fee_bp"] == BANK_FEE.max_bp


def test_sample_grouping_delays_and_tolerances(sample_mined: object) -> None:
    m = sample_mined
    assert m.grouping.sizes == {1: 333}  # type: ignore[attr-defined]
    assert m.grouping.oldest_first == 327  # type: ignore[attr-defined]
    assert m.tolerances.select(  # type: ignore[attr-defined]
        "write_off_account", "groups", "max_cents", "tolerance_cents", "tolerance_bp").rows() == [
        ("627800", 12, 1822, 1900, 200), ("665000", 9, 7311, 7400, 200),
        ("658000", 6, 452, 500, 100), ("758000", 3, 435, 500, 100)]
    assert m.gaps.rows() == [("none", 303), ("up to 5.00", 14),  # type: ignore[attr-defined]
                             ("up to 25.00", 12), ("up to 100.00", 4)]
    s = m.delay_summary  # type: ignore[attr-defined]
    assert (s.invoices_paid, s.median_days, s.on_time, s.on_time_share) == (333, 19, 211, 0.6336)


def test_customer_lines_only_still_mine_receipts(fec: Path) -> None:
    """A canonical ledger (411 lines only): receipts are told by their bank journal; the
    write-offs cannot be seen and the report says so."""
    lines = read_fec_lines(fec).filter(pl.col("account").str.starts_with("411"))
    m = mine(LedgerHistory.from_lines(lines))
    assert (m.lettered_receipts, m.all_accounts, m.tolerances.height) == (4, False, 0)
    t = tacit_rules(m).filter(pl.col("topic") == "tolerances")
    assert t["sentence"].to_list() == [
        "Write-offs cannot be seen: the ledger source holds only customer-account lines (give "
        "the FEC itself to see where differences were booked)."]


def test_similar_name_is_another_firm_but_iban_tells(tmp_path: Path) -> None:
    """ROY & FILS paying BETA's invoice is not ROYER & FILS (a similar name is another
    firm); when its IBAN pays ROYER's own invoices, the IBAN names its account."""
    royer, beta = ("C010", "ROYER & FILS SARL"), ("C020", "BETA SAS")
    rows = [HEADER]
    rows += _invoice("VT1", "20260901", *royer, "F-1", "120,00", "100,00", "20,00", "AAA",
                     "20261001")
    rows += _invoice("VT2", "20260902", *beta, "F-2", "240,00", "200,00", "40,00", "AAA",
                     "20261002")
    for num, d, acct, piece, amount in (("BQ1", "20261001", royer, "R1", "120,00"),
                                        ("BQ2", "20261002", beta, "R2", "240,00")):
        rows += [_line("BQ1", num, d, "512100", "", "", piece, "VIR SEPA", amount, "0,00"),
                 _line("BQ1", num, d, "411000", *acct, piece, "VIR SEPA", "0,00", amount,
                       "AAA", d)]
    path = tmp_path / "123456782FEC20261231.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    history = LedgerHistory.from_lines(read_fec_lines(path))

    def bank(iban_r1: str, iban_r2: str, payer_r1: str) -> pl.DataFrame:
        return pl.DataFrame({"entry_ref": ["R1", "R2"], "payer_name": [payer_r1, "ROY & FILS"],
                             "payer_iban": [iban_r1, iban_r2], "remittance": [None, None],
                             "structured_ref": [None, None], "end_to_end_id": [None, None]})

    by_name = who_pays_for_whom(history, bank("FR01", "FR02", "ROYER & FILS SARL"))
    assert by_name.select("payer", "payer_account", "paid_for_account").rows() == [
        ("ROY & FILS", None, "C020")]
    by_iban = who_pays_for_whom(history, bank("FR01", "FR01", "ROYER & FILS SARL"))
    assert by_iban.select("payer", "payer_account", "paid_for_account").rows() == [
        ("ROY & FILS", "C010", "C020")]


def test_sample_pays_for_pairs_agree_with_the_truth(sample_mined: object) -> None:
    """Truth-driven (survives a regenerated sample): every payer-for-another-client pair
    mined is a parent paying for its subsidiary, and every such payment booked in the FEC
    (the month's payer_is_other_entity ones, the earlier receipts parents sent) is found."""
    import re

    truth = pl.read_csv(SAMPLE / "truth" / "exceptions.csv", infer_schema=False)
    cases = pl.read_csv(SAMPLE / "truth" / "normal_cases.csv", infer_schema=False)
    parties = pl.read_csv(SAMPLE / "truth" / "parties.csv", infer_schema=False)
    erp = dict(parties.filter(pl.col("system") == "erp").select("client_id", "record_id")
               .rows())
    other = pl.concat([truth.filter(pl.col("category") == "payer_is_other_entity")
                       .select("record_id", "note"),
                       cases.filter(pl.col("case") == PARENT_PAID_CASE)
                       .select("record_id", "note")])
    fec = next((SAMPLE / "native" / "fec").glob("*.txt")).read_text(encoding="utf-8")
    booked = {(erp[a], erp[b]) for rec, note in other.rows()
              for a, b in [re.findall(r"K\d+", note)[:2]]
              if rec.split(":")[-1] in fec}
    pays = sample_mined.pays_for  # type: ignore[attr-defined]
    found = set(pays.filter(pl.col("payer_account").is_not_null())
                .select("payer_account", "paid_for_account").rows())
    assert booked and found == booked


def test_contract_and_po_citations(tmp_path: Path) -> None:
    """A receipt citing only the contract number, another only the client's PO number: the
    billing data says which invoice carries them."""
    acme = ("C001", "ACME SAS")
    rows = [HEADER]
    rows += _invoice("VT1", "20260901", *acme, "F-2026-000201", "120,00", "100,00", "20,00",
                     "AAA", "20261001")
    rows += _invoice("VT2", "20260902", *acme, "F-2026-000202", "240,00", "200,00", "40,00",
                     "AAB", "20261002")
    for num, d, piece, label, amount, let in (
            ("BQ1", "20261001", "R1", "VIR ACME CONTRAT 00719 OCTOBRE", "120,00", "AAA"),
            ("BQ2", "20261002", "R2", "VIR ACME COMMANDE PO-2026-118", "240,00", "AAB")):
        rows += [_line("BQ1", num, d, "512100", "", "", piece, label, amount, "0,00"),
                 _line("BQ1", num, d, "411000", *acme, piece, label, "0,00", amount, let, d)]
    path = tmp_path / "123456782FEC20261231.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    invoices = pl.DataFrame({"number": ["F-2026-000201", "F-2026-000202"],
                             "commitment_ref": ["00000719", None],
                             "po_number": [None, "PO-2026-118"]})
    refs = reference_habits(LedgerHistory.from_lines(read_fec_lines(path)), invoices=invoices)
    assert sorted(refs.select("form", "receipts", "hits").rows()) == [
        ("contract_number", 1, 1), ("po_number", 1, 1)]


def test_draft_catalog_with_write_off_rules_loads(history: LedgerHistory,
                                                 tmp_path: Path) -> None:
    from reconkit.audit.draft_catalog import write_draft_catalog
    from reconkit.catalog import load_catalog
    from reconkit.paths import DEFAULT_CATALOG

    m = mine(history)
    folder = write_draft_catalog(m, tacit_rules(m), tmp_path / "draft", base=DEFAULT_CATALOG,
                                 ledger_name="fec.txt")
    cat = load_catalog(folder)
    mined = {r.id: r for r in cat.rules if r.source == "mined"}
    assert sorted(mined) == ["PAY-MINED-GROUPED", "PAY-MINED-OTHER-ENTITY", "PAY-MINED-REF",
                             "PAY-MINED-WRITE-OFF-627", "PAY-MINED-WRITE-OFF-658"]
    fee = mined["PAY-MINED-WRITE-OFF-627"]
    # the mined tolerance replaces the base rule's; its other numbers (weights, party
    # threshold) are the base catalog's PAY-FEE
    base_fee = load_catalog(DEFAULT_CATALOG).rule("PAY-FEE").matcher.params
    assert (fee.matcher.kind, fee.matcher.params, fee.exception_category, fee.priority) == (
        "reference_fee_deducted", {**base_fee, "max_fee_cents": 2000, "max_fee_bp": 170},
        "bank_fee_deducted", 29)
    small = mined["PAY-MINED-WRITE-OFF-658"]  # the tightest tolerance runs first
    base = load_catalog(DEFAULT_CATALOG)
    assert (small.matcher.kind, small.matcher.params, small.exception_category,
            small.priority) == (
        "reference_fee_deducted",
        {**base.rule("PAY-FEE").matcher.params, "max_fee_cents": 100, "max_fee_bp": 20},
        "mined_write_off", 28)
    assert "mined_write_off" in cat.category_ids()
    assert mined["PAY-MINED-GROUPED"].matcher.params == {
        **base.rule("PAY-GROUPED").matcher.params, "k_max": 2}
    text = (folder / "mined.yaml").read_text(encoding="utf-8")
    assert "  # PAY-MINED-WRITE-OFF-627 evidence:\n  #   1 groups, min 2000 / median 2000 / max " \
           "2000 cents, max 166 bp; e.g. VIR SEPA ACME FACT F-2026-000101" in text


def test_overpaid_habit_is_stated_not_drafted(tmp_path: Path) -> None:
    """Clients paying a little more, the excess written off to 758: the habit is a sentence
    of the report, but no draft rule (an overpayment rule takes any excess, whatever its
    size, so a 758 tolerance cannot bound it)."""
    from reconkit.audit.draft_catalog import draft_rules
    from reconkit.catalog import load_catalog
    from reconkit.paths import DEFAULT_CATALOG

    acme = ("C001", "ACME SAS")
    rows = [HEADER]
    rows += _invoice("VT1", "20260901", *acme, "F-2026-000301", "120,00", "100,00", "20,00",
                     "AAA", "20261001")
    rows += [_line("BQ1", "BQ1", "20261001", "512100", "", "", "R1", "VIR ACME F-2026-000301",
                   "120,40", "0,00"),
             _line("BQ1", "BQ1", "20261001", "758000", "", "", "R1", "Ecart", "0,00", "0,40"),
             _line("BQ1", "BQ1", "20261001", "411000", *acme, "R1", "VIR ACME F-2026-000301",
                   "0,00", "120,00", "AAA", "20261001")]
    path = tmp_path / "123456782FEC20261231.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    m = mine(LedgerHistory.from_lines(read_fec_lines(path)))
    assert m.tolerances.select("write_off_account", "groups", "short_paid", "max_cents").rows() \
        == [("758000", 1, 0, 40)]
    tacit = tacit_rules(m).filter(pl.col("topic") == "tolerances")
    assert tacit.select("rule_id", "support").rows() == [(None, 1)]
    assert tacit["sentence"][0].startswith("Differences up to 1.00 and 0.4% of the invoiced "
                                           "amount are written off to account 758000")
    ids = [r["id"] for r, _ in draft_rules(m, tacit_rules(m), load_catalog(DEFAULT_CATALOG))]
    assert not [i for i in ids if i.startswith("PAY-MINED-WRITE-OFF")]
