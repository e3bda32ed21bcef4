"""MT940 loader: ING and SNS fixtures, the example statement, and hand-built edge cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconkit.errors import ConfigError, SourceFormatError
from reconkit.loaders.base import get_loader, merge_loaded
from reconkit.loaders.mt940 import load_mt940

from shared_files import EXAMPLES, col, fixtures, shared_file

FIXTURES = fixtures("mt940")


def _write(tmp_path: Path, text: str, name: str = "stmt.940") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.shared
def test_ing_fixture_lines_refs_and_dutch_subfields() -> None:
    res = load_mt940(shared_file(FIXTURES / "oca-test-ing.940"))
    df = res.tables["payments"]
    assert col(df, "record_id") == [f"0000000000{n}" for n in
                                     ("1005", "1006", "1007", "1009", "1008", "1010", "1011",
                                      "1012")]
    assert col(df, "amount_cents") == [156, -157, 157, -114, 145, -1275, 3200, -11900]
    assert col(df, "source_row") == [9, 14, 17, 21, 31, 39, 47, 51]
    assert col(df, "bank_tx_code") == ["NTRF", "NTRF", "NRTI", "NDDT", "NDDT", "NRTI", "NTRF",
                                        "NTRF"]
    # /RTRN/ marks a returned payment
    assert col(df, "is_reversal") == [False, False, True, False, False, True, False, False]
    assert col(df, "payer_name")[:3] == ["ING BANK NV INZAKE WEB", None, "J.Janssen"]
    assert col(df, "payer_iban")[0] == "NL32INGB0000012345"  # from /CNTP/
    assert col(df, "end_to_end_id")[0] == "EV12341REP1231456T1234"
    assert col(df, "remittance")[:3] == ["EV10001REP1000000T1000", "TOTAAL 1 VZ",
                                          "Factuurnr 123456 Klantnr 00123"]
    # sub-fields wrapped across lines (even on a lone '-') are joined back
    assert col(df, "remittance")[5] == "CONTRIBUTIE FEB 2014"
    assert col(df, "payer_name")[3] == "ING Bank N.V. inzake WeB"
    assert col(df, "structured_ref")[6:] == ["9001123412341234", "1070123412341234"]
    assert set(col(df, "account_id")) == {"NL77INGB0574908765"}  # trailing EUR dropped
    assert set(col(df, "currency")) == {"EUR"}
    assert set(col(df, "booking_date")) == {date(2014, 2, 20)}
    assert res.warnings == ()  # 662.23 + 36.58 - 134.46 = 564.35


@pytest.mark.shared
def test_sns_fixture_three_statements_free_text() -> None:
    res = load_mt940(shared_file(FIXTURES / "oca-test-sns.940"))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["0000000000:1:1", "228ohu/972795", "0000000000:1:3",
                                     "229hro/195867", "0000000000:2:1", "0000000000:2:2",
                                     "0000000000:3:1", "0000000000:3:2"]
    assert col(df, "amount_cents") == [-71313, -1018, -1352, -2561, -1095, 0, -90729, -3500]
    assert col(df, "booking_date")[::2] == [date(2017, 12, 27), date(2017, 12, 27),
                                             date(2017, 12, 28), date(2017, 12, 29)]
    assert col(df, "payer_iban")[0] == "NL49RABO0166416932"
    assert col(df, "payer_name")[0] == "gerrits glas en schilderwerk"
    assert col(df, "remittance")[0] == ("NL49RABO0166416932 gerrits glas en schilderwerk "
                                         "Factuur 17227/248/20")
    assert "VNKlantnr 00000000000" in col(df, "remittance")[2]  # word wrapped at 65 chars
    assert set(col(df, "account_id")) == {"NL05SNSB0908244436"}
    assert res.rows_read == {"oca-test-sns.940": 8}
    assert res.warnings == ()  # statements 1 and 2 balance; 3 has no closing balance


@pytest.mark.shared
def test_wrong_file_is_rejected() -> None:
    with pytest.raises(SourceFormatError, match="':9401:' is not an MT940 field") as exc:
        load_mt940(shared_file(FIXTURES / "oca-test-wrong-file.940"))
    assert exc.value.row == 1
    assert "What to do" in str(exc.value)


@pytest.mark.shared
def test_example_statement() -> None:
    res = load_mt940(shared_file(EXAMPLES / "stmt.mt940"))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["2024031500001234", "2024031500001240",
                                     "2024031500001251", "2024031500001299"]
    assert col(df, "amount_cents") == [1200000, 480000, 40080, -1900]
    assert col(df, "payer_name")[0] == "GLOBEX INDUSTRIES SA"
    assert col(df, "payer_iban")[0] == "FR7630003012340005000123471"
    assert col(df, "end_to_end_id")[0] == "GLOBEX-PAY-88213"
    assert col(df, "structured_ref")[0] == "RF90INV202400123"
    assert col(df, "remittance")[2:] == ["STRIPE ACME SAS po_1OuK2xLkdIwHu7ixAbCdEfGh",
                                          "FRAIS TENUE DE COMPTE MARS 2024"]
    assert col(df, "account_id") == ["FR7630004000010001234567830"] * 4
    assert res.warnings == ()


@pytest.mark.shared
def test_fixtures_pass_schema_validation() -> None:
    parts = [load_mt940(shared_file(FIXTURES / n)) for n in ("oca-test-ing.940", "oca-test-sns.940")]
    merged = merge_loaded(parts)
    assert merged.quarantine.height == 0
    assert merged.tables["payments"].height == 16


def test_registered_under_kind() -> None:
    assert get_loader("mt940") is load_mt940


STMT = """:20:REF1
:25:DE89370400440532013000
:28C:1/1
:60F:C231229EUR100,00
{lines}
:62F:{closing}
-
"""


def test_reversals_german_subfields_and_year_wrap(tmp_path: Path) -> None:
    lines = ":61:2312290102RC10,00NTRFNONREF//B1\n:86:166?00SEPA-GUTSCHRIFT?20EREF+E2E-1?21SVWZ+Rechnung 2023-0?2299?31DE89370400440532013000?32MUSTER GMBH?33 BERLIN\n:61:240102RD5,50NDDTNONREF//B2\n:61:240102C1,NMSCNONREF\n:86:/EREF/NOTPROVIDED/REMI/USTD//Invoice 7/"
    res = load_mt940(_write(tmp_path, STMT.format(lines=lines, closing="C240102EUR96,50")))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["B1", "B2", "REF1:1:3"]
    assert col(df, "amount_cents") == [-1000, 550, 100]  # RC: money out, RD: money in
    assert col(df, "is_reversal") == [True, True, False]
    assert col(df, "value_date")[0] == date(2023, 12, 29)
    assert col(df, "booking_date")[0] == date(2024, 1, 2)  # entry date in the new year
    assert col(df, "end_to_end_id") == ["E2E-1", None, None]  # NOTPROVIDED -> null
    assert col(df, "remittance") == ["Rechnung 2023-099", None, "Invoice 7"]
    assert col(df, "payer_iban")[0] == "DE89370400440532013000"
    assert col(df, "payer_name")[0] == "MUSTER GMBH BERLIN"
    assert col(df, "source_row") == [5, 7, 8]
    assert res.warnings == ()


def test_balance_mismatch_warns(tmp_path: Path) -> None:
    text = STMT.format(lines=":61:240102C1,00NTRFNONREF//X", closing="C240102EUR100,00")
    res = load_mt940(_write(tmp_path, text))
    assert res.warnings == (("stmt.940: statement REF1 (statement 1, line 1): opening balance "
                            "100.00 + movements 1.00 = 101.00 EUR, but the closing balance is "
                            "100.00 EUR"),)


def test_unreadable_statement_line_is_quarantined(tmp_path: Path) -> None:
    lines = ":61:2401XXC1,00NTRFNONREF//X\n:61:240102C2,00NTRFNONREF//Y"
    res = load_mt940(_write(tmp_path, STMT.format(lines=lines, closing="C240102EUR102,00")))
    assert col(res.tables["payments"], "record_id") == ["Y"]
    q = res.quarantine
    assert col(q, "source_row") == [5]
    assert col(q, "value") == ["2401XXC1,00NTRFNONREF//X"]
    assert col(q, "reason")[0].startswith("not a readable MT940 statement line (:61:)")
    assert res.rows_read == {"stmt.940": 2}


def test_no_statement_at_all_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="no MT940 statement found"):
        load_mt940(_write(tmp_path, "{1:F01XXX}\n{4:\n-}\n"))
    with pytest.raises(SourceFormatError, match="field :25: comes before the first :20:"):
        load_mt940(_write(tmp_path, ":25:NL00\n:20:X\n"))


RABOBANK = """:940:
:20:940S140102
:25:NL34RABO0142623393 EUR
:28C:0
:60F:C131231EUR000000004433,52
:61:140102C000000000400,00N541NONREF
NL66RABO0160878799
:86:/ORDP//NAME/R. SMITH/ADDR/Green market 74 3311BE Sheepcity Nederl
and NL/REMI/Test money paid by other partner:
/ISDT/2014-01-02
:62F:C140102EUR000000004833,52
"""


def test_rabobank_export_with_940_line_and_counterparty_under_61(tmp_path: Path) -> None:
    res = load_mt940(_write(tmp_path, RABOBANK, "rabo.swi"))
    df = res.tables["payments"]
    assert col(df, "amount_cents") == [40000]
    assert col(df, "payer_iban") == ["NL66RABO0160878799"]  # the line under :61:
    assert col(df, "payer_name") == ["R. SMITH"]
    assert col(df, "account_id") == ["NL34RABO0142623393"]
    assert col(df, "record_id") == ["940S140102:1:1"]
    assert res.warnings == ()  # 4433.52 + 400.00 = 4833.52
    (stmt,) = res.statements
    assert (stmt.statement_id, stmt.opening_cents, stmt.closing_cents, stmt.entries,
            stmt.movements_cents) == ("940S140102:0", 443352, 483352, 1, 40000)
    assert (stmt.opening_date, stmt.closing_date) == (date(2013, 12, 31), date(2014, 1, 2))
    assert (stmt.from_date, stmt.to_date) == (date(2014, 1, 1), date(2014, 1, 2))


def test_malformed_940_header_is_still_rejected(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="':9401:' is not an MT940 field") as exc:
        load_mt940(_write(tmp_path, RABOBANK.replace(":940:", ":9401:")))
    assert exc.value.row == 1


@pytest.mark.shared
def test_rabobank_fixture_with_a_proper_940_line_loads(tmp_path: Path) -> None:
    text = shared_file(FIXTURES / "oca-test-wrong-file.940").read_text()
    res = load_mt940(_write(tmp_path, text.replace(":9401:", ":940:", 1)))
    assert col(res.tables["payments"], "payer_iban") == ["NL66RABO0160878799"]


def test_unknown_option_names_the_key_and_the_closest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown option 'encodng' for source kind mt940") as exc:
        load_mt940(_write(tmp_path, RABOBANK), encodng="cp1252")
    assert exc.value.hint == "did you mean 'encoding'? mt940 sources accept: encoding, timezone"


def test_undecodable_file_and_bad_encoding_are_clear_errors(tmp_path: Path) -> None:
    p = tmp_path / "x.940"
    p.write_bytes(b"\xff\xfe" + b"\x00\xd8" * 3)  # UTF-16 BOM, then a lone surrogate
    with pytest.raises(SourceFormatError, match="the file cannot be read as text"):
        load_mt940(p)
    with pytest.raises(SourceFormatError, match="cannot be read as text"):
        load_mt940(_write(tmp_path, RABOBANK), encoding="no-such-codec")


def test_folder_reads_every_statement_file_in_name_order(tmp_path: Path) -> None:
    _write(tmp_path, RABOBANK, "b.940")
    _write(tmp_path, RABOBANK.replace("940S140102", "940S140103"), "a.sta")
    _write(tmp_path, "not a statement", "README.md")
    res = load_mt940(tmp_path)
    assert res.rows_read == {"a.sta": 1, "b.940": 1}
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceFormatError, match="the folder holds no MT940 file"):
        load_mt940(tmp_path / "empty")


def test_amount_beyond_any_bank_booking_is_quarantined(tmp_path: Path) -> None:
    text = STMT.format(lines=":61:240102C99999999999999,NTRFNONREF//X\n"
                             ":61:240102C1,00NTRFNONREF//Y", closing="C240102EUR101,00")
    res = load_mt940(_write(tmp_path, text))
    assert col(res.tables["payments"], "record_id") == ["Y"]
    assert col(res.quarantine, "reason") == [
        "amount too large (more than 10 000 000 000 000): the value is corrupted or not an "
        "amount"]
    report = merge_loaded([res]).report[0]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined,
            report.unaccounted) == (2, 1, 1, 0)
