"""MT940 loader: ING and SNS fixtures, the example statement, and hand-built edge cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconkit.errors import SourceFormatError
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
