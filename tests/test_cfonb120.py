"""CFONB 120 loader: pennylane fixtures (valid and broken), the example, hand-built records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconkit.errors import ConfigError, SourceFormatError
from reconkit.loaders.base import get_loader, merge_loaded
from reconkit.loaders.cfonb120 import load_cfonb120

from shared_files import EXAMPLES, col, fixtures, shared_file

FIXTURES = fixtures("cfonb120")


def _rec(code: str, *, date_: str = "150324", amount: str = "0000000000000{", ref: str = "",
         qualifier: str = "", detail: str = "", label: str = "", value: str = "150324",
         entry: str = "0000001") -> str:
    """One record at the formats.md §2.3 positions, trailing spaces trimmed like some banks."""
    r = [" "] * 120
    r[0:2] = code
    r[2:7] = "30004"
    r[16:20] = "EUR2"
    r[21:32] = "00012345678"
    if code in ("04", "05"):
        r[7:11] = "0158"
        r[32:34] = "05"
    r[34:40] = date_
    if code == "05":
        r[45:48] = qualifier.ljust(3)
        r[48:48 + len(detail)] = detail
    else:
        if code == "04":
            r[42:48] = value
            r[48:48 + len(label)] = label
            r[81:88] = entry
        r[90:104] = amount
        r[104:104 + len(ref)] = ref
    return "".join(r).rstrip()


@pytest.mark.shared
def test_example_two_accounts_six_operations() -> None:
    res = load_cfonb120(shared_file(FIXTURES / "pennylane-example.txt"))
    df = res.tables["payments"]
    assert col(df, "record_id") == [
        "98765432100:20190516:0000000", "REFERENCE", "98765432100:20190515:0000000",
        "00123456789:20190517:0000000", "00123456789:20190515:0000000",
        "00123456789:20190516:0000000"]
    assert col(df, "amount_cents") == [-3221, -1070, -790, 9749, -1210, -790]
    assert col(df, "source_row") == [3, 16, 19, 26, 29, 31]
    assert col(df, "booking_date")[3] == date(2019, 5, 17)
    assert col(df, "value_date")[3] == date(2019, 5, 15)
    assert col(df, "payer_name")[:2] == ["INTERNET SFR", "ELEC ERDF"]
    assert col(df, "structured_ref")[0] == "REFERENCE"
    assert col(df, "end_to_end_id")[0] == "OTHER REFERENCE"
    assert col(df, "remittance")[0] == ("PRLV SEPA TEST CABINET MENSUEAUHTR13133 "
                                         "MENSUEAUHTR13DUP PURPOSE")
    assert col(df, "remittance")[3] == "PRLV SEPA GROUPAMA CEN P051928612 22793301700040"
    assert col(df, "bank_tx_code") == ["B1", "B1", "62", "A3", "62", "62"]
    assert col(df, "account_id")[::3] == ["98765432100", "00123456789"]
    assert res.rows_read == {"pennylane-example.txt": 6}
    # balances add up (-190.40 - 50.81 = -241.21; -241.21 + 77.49 = -163.72): only the
    # unknown 05 qualifiers are reported
    assert res.warnings == (("pennylane-example.txt: ignored operation details (05) with an "
                            "unknown qualifier: '2'C' x1, 'AAA' x2, 'BBB' x1, 'CCC' x1, "
                            "'N Y' x1"),)
    assert merge_loaded([res]).quarantine.height == 0


@pytest.mark.shared
def test_example_releve() -> None:
    res = load_cfonb120(shared_file(EXAMPLES / "releve.cfonb120"))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["GLOBEX-PAY-8821", "00012345678:20240315:0000002"]
    assert col(df, "amount_cents") == [1200000, -1900]
    assert col(df, "payer_name") == ["GLOBEX INDUSTRIES SA", None]
    assert col(df, "end_to_end_id") == ["GLOBEX-PAY-88213", None]
    assert col(df, "structured_ref") == ["RF90INV202400123", None]  # RF quoted in LCC
    assert col(df, "remittance") == ["VIR SEPA GLOBEX INDUSTRIES SA RF90INV202400123",
                                      "FRAIS TENUE DE COMPTE"]
    assert res.warnings == ()  # 152340.17 + 12000.00 - 19.00 = 164321.17


@pytest.mark.shared
@pytest.mark.parametrize(("name", "row", "fragment"), [
    ("end_of_statement_without_beginning", 9,
     "a new balance record (07) without an old balance record (01)"),
    ("invalid_date", 1, "invalid date '  CART' in the old balance (01) record"),
    ("new_statement_without_previous_ended", 6,
     "a new statement (01 old balance) starts before the statement opened at line 1"),
    ("operation_detail_without_operation", 3,
     "an operation detail (05) without an operation record (04)"),
    ("operation_out_of_statement", 1, "an operation (04) outside a statement"),
    ("operation_unstarted", 1, "an operation detail (05) without an operation record (04)"),
    ("operation", 1, "an operation (04) outside a statement"),
    ("operation_already_defined", 1, "an operation (04) outside a statement"),
])
def test_broken_structure_is_rejected_with_line(name: str, row: int, fragment: str) -> None:
    with pytest.raises(SourceFormatError) as exc:
        load_cfonb120(shared_file(FIXTURES / f"pennylane-{name}.txt"))
    assert fragment in exc.value.message
    assert exc.value.row == row
    assert f"row {row}:" in str(exc.value) and "What to do" in str(exc.value)


@pytest.mark.shared
def test_fragment_mode_reads_operations_without_balances() -> None:
    one = load_cfonb120(shared_file(FIXTURES / "pennylane-operation.txt"), fragment=True)
    df = one.tables["payments"]
    assert col(df, "record_id") == ["98765432100:20190516:0000000"]
    assert col(df, "amount_cents") == [-3221]
    assert col(df, "payer_name") == ["INTERNET SFR"]
    assert col(df, "remittance") == ["PRLV SEPA TEST CABINET MENSUEAUHTR13133 PURPOSE"]
    two = load_cfonb120(shared_file(FIXTURES / "pennylane-operation_already_defined.txt"),
                        fragment=True)
    # same account, date and entry number twice: ids stay unique with :<n>
    assert col(two.tables["payments"], "record_id") == ["98765432100:20190516:0000000:1",
                                                         "98765432100:20190516:0000000:2"]
    with pytest.raises(SourceFormatError, match="without an operation record"):
        load_cfonb120(shared_file(FIXTURES / "pennylane-operation_unstarted.txt"), fragment=True)


def test_registered_under_kind() -> None:
    assert get_loader("cfonb120") is load_cfonb120


def test_overpunch_details_and_balance_warning(tmp_path: Path) -> None:
    lines = [
        _rec("01", amount="0000000001000{"),                      # +100.00
        _rec("04", amount="0000000000123D", ref="VIR-1", label="VIR ACME"),   # +12.34
        _rec("05", qualifier="NPY", detail="ACME SA"),
        _rec("05", qualifier="IPY", detail="FR7630003012340005000123471"),
        _rec("05", qualifier="LCC", detail="FACTURE F-1"),
        _rec("05", qualifier="LC2", detail="ET F-2"),
        "",
        _rec("04", amount="0000000000050}", entry="0000002"),      # -5.00
        _rec("05", qualifier="NBE", detail="FOURNISSEUR"),
        _rec("05", qualifier="NPY", detail="NOT US"),
        _rec("07", amount="0000000001073R", date_="160324"),     # -107.39: does not add up
    ]
    path = tmp_path / "releve.txt"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
    res = load_cfonb120(path)
    df = res.tables["payments"]
    assert col(df, "record_id") == ["VIR-1", "00012345678:20240315:0000002"]
    assert col(df, "amount_cents") == [1234, -500]
    assert col(df, "payer_name") == ["ACME SA", "FOURNISSEUR"]  # debit: beneficiary
    assert col(df, "payer_iban") == ["FR7630003012340005000123471", None]
    assert col(df, "remittance") == ["VIR ACME FACTURE F-1 ET F-2", None]
    assert col(df, "source_row") == [2, 8]
    assert res.warnings == (("releve.txt: statement account 00012345678 (lines 1-11): opening "
                            "balance 100.00 + movements 7.34 = 107.34 EUR, but the closing "
                            "balance is -107.39 EUR"),)


def test_duplicate_reference_falls_back_and_bad_amount_is_quarantined(tmp_path: Path) -> None:
    lines = [
        _rec("01"),
        _rec("04", amount="0000000000100{", ref="SAME", entry="0000001"),
        _rec("04", amount="0000000000200{", ref="SAME", entry="0000002"),
        _rec("04", amount="00000000002X0{", ref="BAD", entry="0000003"),
        _rec("07", amount="0000000000300{"),
    ]
    path = tmp_path / "r.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    res = load_cfonb120(path)
    assert col(res.tables["payments"], "record_id") == ["00012345678:20240315:0000001",
                                                         "00012345678:20240315:0000002"]
    q = res.quarantine
    assert (col(q, "source_row"), col(q, "value")) == ([4], ["00000000002X0{"])
    assert col(q, "reason")[0].startswith("not an amount")
    assert res.rows_read == {"r.txt": 3}


def test_unknown_record_and_long_line_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text(_rec("01") + "\n" + _rec("09") + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="unknown record code '09'"):
        load_cfonb120(path)
    path.write_text(_rec("01").ljust(120) + "EXTRA\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="125 characters long"):
        load_cfonb120(path)


def test_unclosed_statement_warns(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_text(_rec("01") + "\n" + _rec("04", amount="0000000000100{") + "\n",
                    encoding="utf-8")
    res = load_cfonb120(path)
    assert col(res.tables["payments"], "amount_cents") == [1000]
    assert res.warnings == (("cut.txt: the statement of account 00012345678 opened at line 1 "
                            "has no new balance record (07): the file may be cut short"),)


def _blank_ccy(rec: str) -> str:
    """The record with its currency and decimals positions (17-20) left blank."""
    return rec[:16] + "    " + rec[20:]


def test_balances_with_blank_currency_and_decimals_take_them_from_the_operations(
        tmp_path: Path) -> None:
    lines = [
        _blank_ccy(_rec("01", amount="0000000001000{", date_="140324")),   # 100.00
        _rec("04", amount="0000000000123D", ref="VIR-1"),                 # +12.34
        _blank_ccy(_rec("07", amount="0000000001123D")),                  # 112.34
    ]
    path = tmp_path / "blank.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = load_cfonb120(path)
    assert col(res.tables["payments"], "amount_cents") == [1234]
    assert res.warnings == ()  # 100.00 + 12.34 = 112.34: decimals from the 04 record
    (stmt,) = res.statements
    assert (stmt.opening_cents, stmt.closing_cents, stmt.currency, stmt.movements_cents) == (
        10000, 11234, "EUR", 1234)
    assert (stmt.opening_date, stmt.closing_date, stmt.from_date, stmt.to_date) == (
        date(2024, 3, 14), date(2024, 3, 15), date(2024, 3, 15), date(2024, 3, 15))
    assert stmt.statement_id == "00012345678:20240315"


def test_statement_without_operations_and_blank_decimals_uses_the_currency(
        tmp_path: Path) -> None:
    rec01 = _rec("01", amount="0000000001000{")
    lines = [rec01[:19] + " " + rec01[20:], _blank_ccy(_rec("07", amount="0000000001000{"))]
    path = tmp_path / "quiet.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    res = load_cfonb120(path)
    assert res.warnings == ()
    assert [(s.opening_cents, s.closing_cents) for s in res.statements] == [(10000, 10000)]


def test_really_wrong_balance_says_what_and_where(tmp_path: Path) -> None:
    rec01 = _rec("01", amount="0000000001000{")
    path = tmp_path / "bad.txt"
    path.write_text(rec01[:19] + "X" + rec01[20:] + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="the decimals count of the old balance "
                       r"\(01\) record is 'X' \(expected a digit, or blank\)") as exc:
        load_cfonb120(path)
    assert exc.value.row == 1 and "positions 91-104" in (exc.value.hint or "")
    path.write_text(_rec("01", amount="00000000010?0{") + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="unreadable amount '00000000010.0{' in the "
                       r"old balance \(01\) record"):
        load_cfonb120(path)


def test_operation_repeated_verbatim_is_loaded_and_reported(tmp_path: Path) -> None:
    op = _rec("04", amount="0000000000100{", ref="VIR-9", label="VIR ACME")
    lines = [_rec("01"), op, _rec("05", qualifier="NPY", detail="ACME"), op,
             _rec("07", amount="0000000000200{")]
    path = tmp_path / "twice.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    res = load_cfonb120(path)
    assert col(res.tables["payments"], "record_id") == ["00012345678:20240315:0000001:1",
                                                         "00012345678:20240315:0000001:2"]
    assert res.warnings == (
        "twice.txt: line 4 repeats the operation (04) of line 2 verbatim (same account, date, "
        "amount, label, entry number and reference): both are loaded; if the bank sent it "
        "twice, ask for a corrected statement",)


def test_unknown_option_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("\n".join([_rec("01"), _rec("07")]), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown option 'fragmnt'") as exc:
        load_cfonb120(path, fragmnt=True)
    assert (exc.value.hint or "").startswith("did you mean 'fragment'?")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    assert load_cfonb120(tmp_path).statements[0].source_file == "r.txt"


def test_operation_amount_too_large_is_quarantined(tmp_path: Path) -> None:
    rec = _rec("04", amount="9999999999999I", ref="HUGE")
    lines = [_rec("01"), rec[:19] + "0" + rec[20:], _rec("07")]
    path = tmp_path / "huge.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    res = load_cfonb120(path)
    assert res.tables["payments"].height == 0
    assert col(res.quarantine, "reason")[0].startswith("amount too large")


def test_daily_files_chain_and_a_missing_day_is_reported(tmp_path: Path) -> None:
    def day(name: str, opening: str, closing: str, old: str, new: str) -> None:
        lines = [_rec("01", amount=opening, date_=old),
                 _rec("04", amount="0000000000100{", date_=new, value=new),
                 _rec("07", amount=closing, date_=new)]
        (tmp_path / name).write_text("\n".join(lines), encoding="utf-8")

    day("0311.txt", "0000000001000{", "0000000001100{", "080324", "110324")  # Fri -> Mon
    day("0312.txt", "0000000001100{", "0000000001200{", "110324", "120324")
    day("0314.txt", "0000000001250{", "0000000001350{", "130324", "140324")  # 13th missing
    merged = merge_loaded([load_cfonb120(tmp_path)])
    st = merged.statements
    assert col(st, "statement_id") == ["00012345678:20240311", "00012345678:20240312",
                                        "00012345678:20240314"]
    assert col(st, "chain_ok") == [None, True, False]
    assert col(st, "issue")[2] == (
        "opening balance 125.00 EUR differs from the closing balance 120.00 EUR of statement "
        "00012345678:20240312 (0312.txt); missing day since statement 00012345678:20240312 "
        "(0312.txt): 2024-03-13")
