"""camt.053 loader: real fixtures, the synthetic examples, and hand-built edge cases."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from reconkit.errors import ConfigError, SourceFormatError
from reconkit.loaders.base import get_loader, merge_loaded
from reconkit.loaders.camt053 import load_camt053

from shared_files import EXAMPLES, col, fixtures, shared_file

FIXTURES = fixtures("camt053")


def _camt(entries: str, *, version: str = "08", balances: str = "", stmt_id: str = "S1") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
 <BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-16T06:00:00</CreDtTm></GrpHdr>
  <Stmt><Id>{stmt_id}</Id>
   <Acct><Id><Othr><Id>00012345678</Id></Othr></Id></Acct>
   {balances}
   {entries}
  </Stmt>
 </BkToCstmrStmt>
</Document>"""


def _bal(code: str, amount: str, ind: str = "CRDT") -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}"
            f"</Amt><CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>2024-03-15</Dt></Dt></Bal>")


def _entry(amount: str, ind: str, *, ref: str | None = "REF1", sts: str = "<Cd>BOOK</Cd>",
           details: str = "", extra: str = "") -> str:
    ref_xml = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return (f"<Ntry>{extra}<Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd>"
            f"<Sts>{sts}</Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt>"
            f"<ValDt><DtTm>2024-03-16T10:00:00</DtTm></ValDt>{ref_xml}{details}</Ntry>")


def _write(tmp_path: Path, text: str, name: str = "stmt.xml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- real fixtures -------------------------------------------------------------------------

@pytest.mark.shared
def test_oca_v02_fixture_batch_reversal_and_names() -> None:
    res = load_camt053(shared_file(FIXTURES / "oca-test-camt053.xml"))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["1234Test/1:1", "1234Test/1:2/1", "1234Test/1:2/2",
                                     "1234Test/1:3"]
    assert col(df, "entry_ref") == ["1234Test/1:1", "1234Test/1:2", "1234Test/1:2",
                                     "1234Test/1:3"]
    assert col(df, "amount_cents") == [-75425, -56405, -10000, 140531]
    assert col(df, "is_reversal") == [False, True, True, False]
    assert col(df, "source_row") == [1, 2, 2, 3]
    # debits name the creditor, credits the debtor
    assert col(df, "payer_name") == ["INSURANCE COMPANY TESTX", "Test Customer",
                                      "Test Customer", "3rd party Media"]
    assert col(df, "payer_iban") == ["NL46ABNA0499998748", "NL46ABNA0499998748",
                                      "NL46ABNA0499998748", "NL69ABNA0522123643"]
    assert col(df, "remittance")[0] == "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014"
    assert col(df, "remittance")[3] == "#RD PARTY MEDIA CUSNO 90782 4210773"  # AddtlTxInf
    assert col(df, "end_to_end_id")[1] == "TESTBANK/NL/20141229/01206408"
    assert col(df, "bank_tx_code") == ["PMNT/RDDT/ESDD", "PMNT/IDDT/UPDD", "PMNT/IDDT/UPDD",
                                        "PMNT/RCDT/ESCT"]
    assert set(col(df, "account_id")) == {"NL77ABNA0574908765"}
    assert set(col(df, "currency")) == {"EUR"}
    assert set(col(df, "booking_date")) == {date(2014, 1, 5)}
    assert res.rows_read == {"oca-test-camt053.xml": 4}
    # The file's balances do not add up (15568.27 - 754.25 - 664.05 + 1405.31 = 15555.28,
    # CLBD 15121.12): the loader says so instead of failing.
    assert res.warnings == (
        ("oca-test-camt053.xml: statement 1234Test/1: opening balance 15568.27 + movements "
        "-12.99 = 15555.28 EUR, but the closing balance is 15121.12 EUR"),)


@pytest.mark.shared
def test_oca_v04_txdtls_fixture_splits_batch_with_structured_refs() -> None:
    res = load_camt053(shared_file(FIXTURES / "oca-test-camt053-txdtls.xml"))
    df = res.tables["payments"]
    ref = "20170323001234567891234567891234"
    assert col(df, "record_id") == [f"{ref}/1", f"{ref}/2"]
    assert col(df, "entry_ref") == [ref, ref]
    assert col(df, "amount_cents") == [218700, 129600]
    assert col(df, "currency") == ["CHF", "CHF"]
    assert col(df, "payer_name") == ["Banque Cantonale Vaudoise"] * 2
    assert col(df, "payer_iban") == ["CH2222000000123456789", "CH3333000000123456789"]
    assert col(df, "structured_ref") == ["302388292000011111111111111",
                                          "302388292000022222222222222"]
    assert col(df, "bank_tx_code") == ["PMNT/RCDT/AUTT"] * 2  # transaction level wins
    assert col(df, "booking_date") == [date(2017, 3, 22)] * 2
    assert col(df, "value_date") == [date(2017, 3, 23)] * 2
    assert col(df, "remittance")[0].startswith("CRÉDIT GROUPÉ BVR")  # AddtlNtryInf fallback
    assert res.warnings == ()  # 75960.15 + 3483.00 = 79443.15, batch sums to the entry


@pytest.mark.shared
def test_statement_without_entries_loads_empty() -> None:
    res = load_camt053(shared_file(FIXTURES / "oca-test-camt053-no-ntry.xml"))
    assert res.tables["payments"].height == 0
    assert res.rows_read == {"oca-test-camt053-no-ntry.xml": 0}
    assert res.warnings == ()


@pytest.mark.shared
def test_zip_fixture_reads_every_member() -> None:
    res = load_camt053(shared_file(FIXTURES / "oca-test-camt053.zip"))
    df = res.tables["payments"]
    assert res.rows_read == {"oca-test-camt053.zip!test-camt053_02.xml": 3,
                             "oca-test-camt053.zip!test-camt053_03.xml": 3}
    assert col(df, "record_id") == ["1234Test/2:1", "1234Test/2:2", "1234Test/2:3",
                                     "1234Test/3:1", "1234Test/3:2", "1234Test/3:3"]
    assert col(df, "amount_cents") == [-75425, -59405, 140531] * 2
    assert col(df, "source_file")[0] == "oca-test-camt053.zip!test-camt053_02.xml"
    # each member's entry 2 is 594.05 but its only transaction says 564.05: said, not hidden
    assert len(res.warnings) == 4 and "statement 1234Test/2" in res.warnings[0]
    assert res.warnings[0] == (
        "oca-test-camt053.zip!test-camt053_02.xml: statement 1234Test/2: entry 1234Test/2:2 "
        "(entry 2) is 594.05 EUR but its transaction details say 564.05 EUR: the entry "
        "amount is loaded; ask the bank which one was booked")


@pytest.mark.shared
@pytest.mark.parametrize("name", ["camt053_v02.xml", "camt053_v08.xml"])
def test_examples_v02_and_v08_load_identically(name: str) -> None:
    res = load_camt053(shared_file(EXAMPLES / name))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["2024031500001234", "2024031500001240/1",
                                     "2024031500001240/2", "2024031500001251",
                                     "2024031500001299"]
    assert col(df, "amount_cents") == [1200000, 360000, 120000, 40080, -1900]
    assert col(df, "payer_name") == ["GLOBEX INDUSTRIES SA", "INITECH SARL",
                                      "UMBRELLA CORP SAS", "STRIPE TECHNOLOGY EUROPE LTD", None]
    assert col(df, "payer_iban") == ["FR7630003012340005000123471", "DE89370400440532013000",
                                      "FR1420041010050500013M02606", None, None]
    assert col(df, "structured_ref") == ["RF90INV202400123", None, None, None, None]
    assert col(df, "end_to_end_id") == ["GLOBEX-PAY-88213", "INV-2024-00131",
                                         "INV-2024-00132", None, None]  # NOTPROVIDED -> null
    assert col(df, "remittance")[4] == "FRAIS TENUE DE COMPTE MARS 2024"
    assert col(df, "bank_tx_code")[4] == "ACMT/MDOP/CHRG"
    assert set(col(df, "account_id")) == {"FR7630004000010001234567830"}
    assert res.warnings == ()  # 152340.17 + 17181.80 = 169521.97


@pytest.mark.shared
def test_fixtures_pass_schema_validation() -> None:
    parts = [load_camt053(shared_file(p)) for p in sorted(FIXTURES.iterdir())]
    merged = merge_loaded(parts)
    assert merged.quarantine.height == 0
    assert merged.tables["payments"].height == 4 + 2 + 0 + 6


# --- hand-built edge cases ----------------------------------------------------------------

def test_registered_under_kind() -> None:
    assert get_loader("camt053") is load_camt053


def test_v02_and_v08_party_names_and_fee_without_details(tmp_path: Path) -> None:
    v02 = _entry("10.00", "CRDT", ref="A", details=(
        "<NtryDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy='EUR'>10.00</Amt></TxAmt></AmtDtls>"
        "<RltdPties><Dbtr><Nm>ACME  LTD</Nm></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000"
        "</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>INV-1</Ustrd><Ustrd>INV-2</Ustrd>"
        "</RmtInf></TxDtls></NtryDtls>"))
    v08 = _entry("7.50", "DBIT", ref="B", details=(
        "<NtryDtls><TxDtls><Amt Ccy='EUR'>7.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><RltdPties>"
        "<Dbtr><Pty><Nm>US SAS</Nm></Pty></Dbtr><Cdtr><Pty><Nm>SUPPLIER GMBH</Nm></Pty></Cdtr>"
        "<CdtrAcct><Id><IBAN>FR7630003012340005000123471</IBAN></Id></CdtrAcct></RltdPties>"
        "<RmtInf><Strd><RfrdDocInf><Nb>F-2024-7</Nb></RfrdDocInf></Strd></RmtInf>"
        "</TxDtls></NtryDtls>"))
    fee = _entry("1.20", "DBIT", ref="C", extra="", details=(
        "<BkTxCd><Prtry><Cd>FEE</Cd></Prtry></BkTxCd><AddtlNtryInf>FRAIS  TENUE</AddtlNtryInf>"))
    df = load_camt053(_write(tmp_path, _camt(v02 + v08 + fee))).tables["payments"]
    assert col(df, "record_id") == ["A", "B", "C"]
    assert col(df, "amount_cents") == [1000, -750, -120]
    assert col(df, "payer_name") == ["ACME LTD", "SUPPLIER GMBH", None]
    assert col(df, "payer_iban") == ["DE89370400440532013000", "FR7630003012340005000123471",
                                      None]
    assert col(df, "remittance") == ["INV-1 INV-2", None, "FRAIS TENUE"]
    assert col(df, "structured_ref") == [None, "F-2024-7", None]
    assert col(df, "bank_tx_code") == [None, None, "FEE"]
    assert col(df, "value_date") == [date(2024, 3, 16)] * 3  # from ValDt/DtTm
    assert col(df, "account_id") == ["00012345678"] * 3  # Acct/Id/Othr/Id


def test_batch_that_does_not_add_up_warns_and_still_loads(tmp_path: Path) -> None:
    tx = ("<TxDtls><Amt Ccy='EUR'>{}</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
          "<RmtInf><Ustrd>Facture RF18539007547034</Ustrd></RmtInf></TxDtls>")
    batch = _entry("100.00", "CRDT", ref="BATCH", details=(
        "<NtryDtls>" + tx.format("60.00") + tx.format("30.00") + "</NtryDtls>"))
    res = load_camt053(_write(tmp_path, _camt(batch)))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["BATCH/1", "BATCH/2"]
    assert col(df, "amount_cents") == [6000, 3000]
    assert col(df, "structured_ref") == ["RF18539007547034"] * 2  # RF quoted in Ustrd
    assert res.warnings == (("stmt.xml: statement S1: the 2 transactions of batch entry BATCH "
                            "(entry 1) add up to 9000 cents but the entry amount is 10000 cents"),)


def test_pending_and_info_entries_are_skipped_with_a_warning(tmp_path: Path) -> None:
    entries = (_entry("5.00", "CRDT", ref="P", sts="<Cd>PDNG</Cd>")
               + _entry("6.00", "CRDT", ref="K")
               + _entry("7.00", "CRDT", ref="I", sts="INFO"))
    res = load_camt053(_write(tmp_path, _camt(entries)))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["K"]
    assert col(df, "source_row") == [2]
    # pending entries are read and counted as skipped, not silently dropped
    assert (res.rows_read, res.rows_skipped) == ({"stmt.xml": 3}, {"stmt.xml": 2})
    assert res.warnings == ("stmt.xml: skipped 2 entries that are not booked (1 INFO, 1 PDNG)",)


def test_v02_plain_status_and_balance_mismatch_warning(tmp_path: Path) -> None:
    balances = _bal("OPBD", "100.00") + _bal("CLBD", "50.00", "DBIT")
    text = _camt(_entry("20.00", "DBIT", ref="X", sts="BOOK"), version="02", balances=balances)
    res = load_camt053(_write(tmp_path, text))
    assert col(res.tables["payments"], "amount_cents") == [-2000]
    assert res.warnings == (("stmt.xml: statement S1: opening balance 100.00 + movements "
                            "-20.00 = 80.00 EUR, but the closing balance is -50.00 EUR"),)


def test_missing_acctsvcrref_falls_back_to_statement_and_entry_ref(tmp_path: Path) -> None:
    entries = (_entry("1.00", "CRDT", ref=None, extra="<NtryRef>77</NtryRef>")
               + _entry("2.00", "CRDT", ref=None))
    df = load_camt053(_write(tmp_path, _camt(entries, stmt_id="STMT-9"))).tables["payments"]
    assert col(df, "record_id") == ["STMT-9:77", "STMT-9:2"]
    assert col(df, "entry_ref") == ["STMT-9:77", "STMT-9:2"]


def test_zip_archive_names_members(tmp_path: Path) -> None:
    archive = tmp_path / "statements.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("b/one.xml", _camt(_entry("1.00", "CRDT", ref="R1"), stmt_id="S1"))
        zf.writestr("two.XML", _camt(_entry("2.00", "DBIT", ref="R2"), stmt_id="S2"))
        zf.writestr("readme.txt", "not a statement")
    res = load_camt053(archive)
    df = res.tables["payments"]
    assert col(df, "source_file") == ["statements.zip!b/one.xml", "statements.zip!two.XML"]
    assert col(df, "amount_cents") == [100, -200]
    assert res.warnings == ("statements.zip!readme.txt: ignored, not an XML file",)


def test_unreadable_amount_and_date_are_quarantined(tmp_path: Path) -> None:
    bad_date = _entry("3.00", "CRDT", ref="D").replace("2024-03-15", "2024-13-45")
    entries = _entry("1,00", "CRDT", ref="A") + _entry("2.00", "XXXX", ref="B") + bad_date \
        + _entry("4.00", "CRDT", ref="OK")
    res = load_camt053(_write(tmp_path, _camt(entries)))
    assert col(res.tables["payments"], "record_id") == ["OK"]
    q = res.quarantine
    assert col(q, "source_row") == [1, 2, 3]
    assert col(q, "column") == ["amount_cents", "amount_cents", "booking_date"]
    assert col(q, "value") == ["1,00", "XXXX", "2024-13-45"]
    assert col(q, "reason") == ["not an amount (expected a number such as 1234.56)",
                                 "unknown credit/debit indicator (expected CRDT or DBIT)",
                                 "not a date (expected YYYY-MM-DD)"]
    assert res.rows_read == {"stmt.xml": 4}
    report = merge_loaded([res]).report[0]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 1, 3)


def test_malformed_xml_raises_with_line(tmp_path: Path) -> None:
    text = _camt(_entry("1.00", "CRDT")).replace("</Stmt>", "</Stmtx>")
    with pytest.raises(SourceFormatError, match=r"not well-formed XML \(line \d+") as exc:
        load_camt053(_write(tmp_path, text))
    assert exc.value.source_file == "stmt.xml" and exc.value.hint


def test_other_iso_message_is_rejected(tmp_path: Path) -> None:
    text = _camt(_entry("1.00", "CRDT")).replace("camt.053.001.08", "camt.054.001.08")
    with pytest.raises(SourceFormatError, match=r"not a camt\.053 bank statement"):
        load_camt053(_write(tmp_path, text))
    with pytest.raises(SourceFormatError, match=r"starts with <Invoice/Line>"):
        load_camt053(_write(tmp_path, "<Invoice><Line/></Invoice>", "inv.xml"))


def test_same_input_gives_same_frames(tmp_path: Path) -> None:
    path = _write(tmp_path, _camt(_entry("1.00", "CRDT", ref="A")
                                  + _entry("2.00", "DBIT", ref="B")))
    first, second = load_camt053(path), load_camt053(path)
    assert first.tables["payments"].equals(second.tables["payments"])


# --- issue 10: real files as banks send them ---------------------------------------------

def _dttm_entry(booking: str, value: str, ref: str = "T1") -> str:
    return (f"<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><DtTm>{booking}</DtTm></BookgDt><ValDt><DtTm>{value}</DtTm></ValDt>"
            f"<AcctSvcrRef>{ref}</AcctSvcrRef></Ntry>")


def test_booking_and_value_datetimes_are_taken_in_the_company_time_zone(
        tmp_path: Path) -> None:
    entries = (_dttm_entry("2014-01-04T23:00:00Z", "2014-01-04T22:59:59+00:00", "A")
               + _dttm_entry("2014-01-04T23:30:00", "2014-01-05T01:00:00+02:00", "B"))
    path = _write(tmp_path, _camt(entries))
    df = load_camt053(path).tables["payments"]
    # 23:00 UTC is midnight in Paris: the 5th; a time without offset is already local
    assert col(df, "booking_date") == [date(2014, 1, 5), date(2014, 1, 4)]
    assert col(df, "value_date") == [date(2014, 1, 4), date(2014, 1, 5)]
    ny = load_camt053(path, timezone="America/New_York").tables["payments"]
    assert col(ny, "booking_date") == [date(2014, 1, 4), date(2014, 1, 4)]
    for wrong in ("Europe/Pariss", "Europe", " "):
        with pytest.raises(ConfigError, match=f"unknown time zone '{wrong}'"):
            load_camt053(path, timezone=wrong)


def test_single_transaction_amount_differing_from_the_entry_warns(tmp_path: Path) -> None:
    entry = _entry("100.00", "CRDT", ref="E1", details=(
        "<NtryDtls><TxDtls><Amt Ccy='EUR'>90.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></TxDtls>"
        "</NtryDtls>"))
    res = load_camt053(_write(tmp_path, _camt(entry)))
    assert col(res.tables["payments"], "amount_cents") == [10000]
    assert res.warnings == (
        "stmt.xml: statement S1: entry E1 (entry 1) is 100.00 EUR but its transaction "
        "details say 90.00 EUR: the entry amount is loaded; ask the bank which one was "
        "booked",)


def test_unknown_option_is_rejected_with_the_closest_key(tmp_path: Path) -> None:
    path = _write(tmp_path, _camt(_entry("1.00", "CRDT")))
    with pytest.raises(ConfigError, match="unknown option 'timezon' for source kind camt053") \
            as exc:
        load_camt053(path, timezon="Europe/Paris")
    assert exc.value.hint == "did you mean 'timezone'? camt053 sources accept: timezone"
    assert exc.value.source_file == "stmt.xml"
    with pytest.raises(ConfigError, match="unknown option 'locle'"):
        load_camt053(path, locle="fr_FR")


def test_folder_path_reads_every_statement_file(tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    _write(folder, _camt(_entry("1.00", "CRDT", ref="R2"), stmt_id="S2"), "2024-03-16.xml")
    _write(folder, _camt(_entry("2.00", "CRDT", ref="R1"), stmt_id="S1"), "2024-03-15.XML")
    _write(folder, "statement PDF", "2024-03-15.pdf")
    res = load_camt053(folder)
    assert col(res.tables["payments"], "record_id") == ["R1", "R2"]
    assert res.rows_read == {"2024-03-15.XML": 1, "2024-03-16.xml": 1}
    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(SourceFormatError, match=r"the folder holds no camt\.053 file"):
        load_camt053(empty)


@pytest.mark.parametrize("amount", ["100000000000000000000.00", "1e20",
                                    "9" * 40 + ".00"])
def test_absurd_amount_is_quarantined_not_a_crash(tmp_path: Path, amount: str) -> None:
    entries = _entry(amount, "CRDT", ref="HUGE") + _entry("1.00", "CRDT", ref="OK")
    res = load_camt053(_write(tmp_path, _camt(entries)))
    assert col(res.tables["payments"], "record_id") == ["OK"]
    assert col(res.quarantine, "value") == [amount]
    assert col(res.quarantine, "reason")[0].startswith(
        "not an amount" if "e" in amount else "amount too large")
    report = merge_loaded([res]).report[0]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined,
            report.unaccounted) == (2, 1, 1, 0)


def test_cut_short_file_names_the_file_and_says_so(tmp_path: Path) -> None:
    text = _camt(_entry("1.00", "CRDT", ref="A") + _entry("2.00", "CRDT", ref="B"))
    cut = text[: text.index("<AcctSvcrRef>B")]
    with pytest.raises(SourceFormatError, match="the file stops in the middle of the XML") \
            as exc:
        load_camt053(_write(tmp_path, cut))
    assert exc.value.source_file == "stmt.xml" and "download it again" in (exc.value.hint or "")


def test_undecodable_and_empty_files_are_clear_errors(tmp_path: Path) -> None:
    text = _camt(_entry("1.00", "CRDT", details="<AddtlNtryInf>CAFÉ</AddtlNtryInf>"))
    p = tmp_path / "latin.xml"
    p.write_bytes(text.encode("latin-1"))  # declared UTF-8, saved as Latin-1
    with pytest.raises(SourceFormatError, match="not encoded as its XML declaration says"):
        load_camt053(p)
    with pytest.raises(SourceFormatError, match="the file is empty"):
        load_camt053(_write(tmp_path, "", "empty.xml"))


def test_batch_with_two_bad_transactions_counts_two_quarantined(tmp_path: Path) -> None:
    tx = "<TxDtls><Amt Ccy='EUR'>{}</Amt><CdtDbtInd>CRDT</CdtDbtInd></TxDtls>"
    batch = _entry("3.00", "CRDT", ref="BAT", details=(
        "<NtryDtls>" + tx.format("x") + tx.format("y") + tx.format("3.00") + "</NtryDtls>"))
    res = load_camt053(_write(tmp_path, _camt(batch)))
    report = merge_loaded([res]).report[0]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined,
            report.unaccounted) == (3, 1, 2, 0)


def test_same_file_listed_twice_is_counted_and_its_statement_flagged(tmp_path: Path) -> None:
    balances = _bal("OPBD", "10.00") + _bal("CLBD", "11.00")
    path = _write(tmp_path, _camt(_entry("1.00", "CRDT", ref="A"), balances=balances))
    merged = merge_loaded([load_camt053(path), load_camt053(path)])
    (report,) = merged.report
    # the second copy's payment is quarantined as a duplicate id: 2 read = 1 + 1
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined,
            report.unaccounted) == (2, 1, 1, 0)
    assert col(merged.statements, "issue") == [
        None, "duplicate of statement S1 already read in stmt.xml"]
    assert col(merged.statements, "balance_ok") == [True, True]
    assert merged.warnings == (
        "stmt.xml: statement S1 of account 00012345678: duplicate of statement S1 already "
        "read in stmt.xml",)


def test_statement_summary_from_balances_and_period(tmp_path: Path) -> None:
    balances = _bal("OPBD", "10.00") + _bal("CLBD", "8.50")
    text = _camt(_entry("1.50", "DBIT", ref="A"), balances=balances).replace(
        "<Acct>", "<FrToDt><FrDtTm>2024-03-14T23:00:00Z</FrDtTm><ToDtTm>2024-03-15T22:59:59Z"
        "</ToDtTm></FrToDt><Acct>")
    (stmt,) = load_camt053(_write(tmp_path, text)).statements
    assert (stmt.account_id, stmt.statement_id, stmt.currency, stmt.entries) == (
        "00012345678", "S1", "EUR", 1)
    assert (stmt.opening_cents, stmt.closing_cents, stmt.movements_cents) == (1000, 850, -150)
    assert (stmt.from_date, stmt.to_date) == (date(2024, 3, 15), date(2024, 3, 15))


def test_mangled_root_tag_is_a_clear_error(tmp_path: Path) -> None:
    # found by the fuzz test: a date pasted into the root tag made lxml's QName raise
    text = _camt(_entry("1.00", "CRDT")).replace("<Document", "<D2014-01-04T23:00:00Zocument")
    text = text.replace("</Document>", "</D2014-01-04T23:00:00Zocument>")
    with pytest.raises(SourceFormatError, match=r"not a camt\.053 bank statement|XML"):
        load_camt053(_write(tmp_path, text))


def test_chunked_reading_gives_the_same_frames(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import reconkit.loaders._camt as camt

    bad_date = _entry("3.00", "CRDT", ref="D").replace("2024-03-15", "2024-13-45")
    entries = "".join(_entry(f"{i}.00", "CRDT", ref=f"R{i}") for i in range(1, 6)) + bad_date
    path = _write(tmp_path, _camt(entries))
    whole = load_camt053(path)
    monkeypatch.setattr(camt, "_CHUNK_ROWS", 2)
    chunked = load_camt053(path)
    assert chunked.tables["payments"].equals(whole.tables["payments"])
    assert chunked.quarantine.equals(whole.quarantine)
    assert chunked.rows_read == whole.rows_read == {"stmt.xml": 6}
    assert chunked.rows_quarantined == {"stmt.xml": 1}


def test_statement_holding_fewer_entries_than_it_announces_warns(tmp_path: Path) -> None:
    summary = "<TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries></TxsSummry>"
    text = _camt(_entry("1.00", "CRDT", ref="A") + _entry("2.00", "CRDT", ref="B"),
                 balances=summary)
    res = load_camt053(_write(tmp_path, text))
    assert res.tables["payments"].height == 2
    assert res.warnings == (
        "stmt.xml: statement S1 announces 3 entries (TxsSummry) but holds 2: the export is "
        "incomplete (cut or paged); download the whole statement again",)
    ok = load_camt053(_write(tmp_path, text.replace(">3<", ">2<"), "ok.xml"))
    assert ok.warnings == ()


@pytest.mark.shared
def test_oca_statement_period_is_the_day_of_its_closing_balance() -> None:
    (stmt,) = load_camt053(shared_file(FIXTURES / "oca-test-camt053.xml")).statements
    # FrToDt runs to 2014-01-05T23:59:59.999Z: 00:59 on the 6th in Paris, but the bank
    # means the 5th, the day of its closing balance
    assert (stmt.from_date, stmt.to_date, stmt.closing_date) == (
        date(2014, 1, 5), date(2014, 1, 5), date(2014, 1, 5))
    assert (stmt.opening_cents, stmt.closing_cents, stmt.movements_cents, stmt.entries) == (
        1556827, 1512112, -1299, 3)


def test_damaged_zip_archive_is_a_clear_error(tmp_path: Path) -> None:
    # found by the fuzz test: a corrupted deflate stream raised a bare zlib.error
    archive = tmp_path / "statements.zip"
    body = _camt("".join(_entry(f"{i}.00", "CRDT", ref=f"R{i}") for i in range(1, 40)))
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("s.xml", body)
    data = bytearray(archive.read_bytes())
    start = 30 + len("s.xml")  # compressed data follows the local file header
    data[start + 5: start + 25] = b"\xff" * 20
    archive.write_bytes(bytes(data))
    with pytest.raises(SourceFormatError) as exc:
        load_camt053(archive)
    assert exc.value.source_file is not None
    assert exc.value.source_file.startswith("statements.zip")


def test_absurdly_deep_nesting_is_a_clear_error(tmp_path: Path) -> None:
    deep = "<X>" * 1500 + "</X>" * 1500  # beyond libxml2's depth limit: no recursion crash
    padding = "".join(_entry("1.00", "CRDT", ref=f"P{i}") for i in range(2000))  # > 1 chunk
    text = _camt(padding + _entry("1.00", "CRDT",
                                  details=f"<AddtlNtryInf>{deep}</AddtlNtryInf>"))
    with pytest.raises(SourceFormatError, match="not well-formed XML"):
        load_camt053(_write(tmp_path, text))
