"""Salesforce loader: Data Loader CSV, report export (fr_FR, footer), REST JSON; exact values."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import merge_loaded
from reconkit.loaders.salesforce import load_salesforce

ACC_A, ACC_B = "0015g00000XyZaBAAV", "0015g00000XyZaCAAV"
OPP_1, OPP_2, OPP_3 = "0065g00000AbCdEAAV", "0065g00000AbCdFAAV", "0065g00000AbCdGAAV"
CONTRACT = "8005g000001QrStAAK"

ACCOUNTS = (
    '"ID","ISDELETED","NAME","PARENTID","SIREN__C","VAT_NUMBER__C","BILLING_CUSTOMER_ID__C"\n'
    f'"{ACC_A}","false","Globex Industries SA","","303265045","","cus_globex"\n'
    f'"{ACC_B}","false","Globex, ""Lyon"" branch","{ACC_A}","","FR40303265045",""\n'
)
OPPORTUNITIES = (
    '"ID","ACCOUNTID","NAME","STAGENAME","AMOUNT","CLOSEDATE","ISWON","CURRENCYISOCODE",'
    '"CONTRACTID","DISCOUNT__C","LIST_AMOUNT__C","DESCRIPTION"\n'
    f'"{OPP_1}","{ACC_A}","Globex - Platform 2024","Closed Won","10000.0","2024-02-28","true",'
    f'"EUR","{CONTRACT}","10.0","11111.11","two\nlines"\n'
    f'"{OPP_2}","{ACC_B}","Globex - Lost","Closed Lost","500.0","2024-03-01","false","EUR","",'
    '"",""," "\n'
    f'"{OPP_3}","{ACC_B}","Tokyo","Closed Won","1200000.0","2024-03-02","true","JPY","","","",'
    '""\n'
)
CONTRACTS = (
    '"ID","ACCOUNTID","CONTRACTNUMBER","NAME","STARTDATE","ENDDATE","CONTRACTTERM","STATUS",'
    '"AUTORENEW__C","BILLINGFREQUENCY__C","AMOUNT__C","LISTAMOUNT__C","DISCOUNT__C",'
    '"CURRENCYISOCODE"\n'
    f'"{CONTRACT}","{ACC_A}","00000102","Platform","2024-03-01","","12","Activated","true",'
    '"Monthly","833.33","925.93","10.0","EUR"\n'
)


@pytest.fixture()
def data_loader(tmp_path: Path) -> Path:
    (tmp_path / "Account.csv").write_text(ACCOUNTS)
    (tmp_path / "Opportunity.csv").write_text(OPPORTUNITIES)
    (tmp_path / "Contract.csv").write_text(CONTRACTS)
    return tmp_path


def test_accounts_exact(data_loader: Path) -> None:
    parties = load_salesforce(data_loader).tables["parties"]
    assert parties.select("record_id", "name", "parent_record_id", "legal_id", "billing_ref",
                          "erp_ref", "source_file", "source_row").rows() == [
        (ACC_A, "Globex Industries SA", None, "303265045", "cus_globex", None, "Account.csv", 2),
        (ACC_B, 'Globex, "Lyon" branch', ACC_A, "FR40303265045", None, None, "Account.csv", 3),
    ]


def test_won_opportunities_only_with_line_numbers(data_loader: Path) -> None:
    loaded = load_salesforce(data_loader)
    opp = loaded.tables["commitments"].filter(kind="opportunity")
    assert opp.select("record_id", "party_record_id", "amount_cents", "currency", "close_date",
                      "contract_record_id", "discount_bp", "list_amount_cents",
                      "billing_frequency", "status", "source_row").rows() == [
        (OPP_1, ACC_A, 1000000, "EUR", dt.date(2024, 2, 28), CONTRACT, 1000, 1111111, "one_off",
         "Closed Won", 2),
        (OPP_3, ACC_B, 1200000, "JPY", dt.date(2024, 3, 2), None, None, None, "one_off",
         "Closed Won", 5),  # the first record spans lines 2-3
    ]
    assert loaded.rows_read == {"Account.csv": 2, "Contract.csv": 1, "Opportunity.csv": 3}
    assert loaded.warnings == ("Opportunity.csv: skipped 1 opportunity not won",)


def test_contract_end_date_from_term_and_frequency(data_loader: Path) -> None:
    c = load_salesforce(data_loader).tables["commitments"].filter(kind="contract")
    assert c.select("record_id", "party_record_id", "contract_number", "start_date", "end_date",
                    "status", "auto_renew", "billing_frequency", "amount_cents",
                    "list_amount_cents", "discount_bp", "currency").row(0) == (
        CONTRACT, ACC_A, "00000102", dt.date(2024, 3, 1), dt.date(2025, 2, 28), "Activated",
        True, "monthly", 83333, 92593, 1000, "EUR")


def test_whole_folder_validates_without_quarantine(data_loader: Path) -> None:
    result = merge_loaded([load_salesforce(data_loader)])
    assert result.quarantine.height == 0
    assert result.tables["commitments"].height == 3


def test_object_inferred_from_id_prefix(tmp_path: Path) -> None:
    path = tmp_path / "export_2024.csv"
    path.write_text(OPPORTUNITIES)
    assert load_salesforce(path).tables["commitments"]["record_id"].to_list() == [OPP_1, OPP_3]


REPORT_FR = (
    '"Id de l\'opportunité","Id du compte","Nom de l\'opportunité","Montant","Devise",'
    '"Date de clôture","Gagnée"\n'
    '"0065g00000AbCdE","0015g00000XyZaB","Globex - Platform 2024","10 000,50","EUR",'
    '"28/02/2024","1"\n'
    '"0065g00000AbCdF","0015g00000XyZaC","Perdue","1 000,00","EUR","01/03/2024","0"\n'
    '"0065g00000AbCdG","0015g00000XyZaC","Mauvais montant","douze","EUR","02/03/2024","1"\n'
    '\n'
    '"Confidentiel - Ne pas diffuser"\n'
    '"Copyright (c) 2000-2024 salesforce.com, inc. Tous droits réservés."\n'
)


def test_french_report_export_with_footer(tmp_path: Path) -> None:
    path = tmp_path / "rapport.csv"
    path.write_bytes(REPORT_FR.encode("cp1252"))
    loaded = load_salesforce(path, object="Opportunity", locale="fr_FR")
    assert loaded.rows_read == {"rapport.csv": 3}
    assert loaded.tables["commitments"].select(
        "record_id", "party_record_id", "amount_cents", "close_date").rows() == [
        (OPP_1, ACC_A, 1000050, dt.date(2024, 2, 28))]
    assert loaded.quarantine.rows() == [
        ("crm", "rapport.csv", 4, "amount_cents", "douze", "not an amount")]


def test_bad_id_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "Account.csv"
    path.write_text('"ID","NAME"\n"0015g00000XyZaBAAA","Bad checksum"\n'
                    f'"{ACC_A}","Good"\n')
    loaded = load_salesforce(path)
    assert loaded.tables["parties"]["record_id"].to_list() == [ACC_A]
    assert loaded.quarantine.select("source_row", "column", "value").rows() == [
        (2, "record_id", "0015g00000XyZaBAAA")]


def test_rest_query_response(tmp_path: Path) -> None:
    doc = {"totalSize": 1, "done": True, "records": [{
        "attributes": {"type": "Opportunity", "url": f"/services/data/v62.0/sobjects/x/{OPP_1}"},
        "Id": OPP_1, "Name": "Globex - Platform 2024", "AccountId": ACC_A,
        "Account": {"attributes": {"type": "Account"}, "Name": "Globex Industries SA"},
        "StageName": "Closed Won", "IsWon": True, "Amount": 10000.1, "CloseDate": "2024-02-28",
        "ContractId": None, "LastModifiedDate": "2024-02-28T16:42:10.000+0000"}]}
    path = tmp_path / "q.json"
    path.write_text(json.dumps(doc))
    loaded = load_salesforce(path, default_currency="usd")
    assert loaded.tables["commitments"].select(
        "record_id", "party_record_id", "amount_cents", "currency", "close_date", "kind").rows() \
        == [(OPP_1, ACC_A, 1000010, "USD", dt.date(2024, 2, 28), "opportunity")]


def test_unknown_object_is_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('"ID","NAME"\n"003RO0000035WQg","A contact"\n')
    with pytest.raises(SourceFormatError, match="which Salesforce object") as err:
        load_salesforce(path)
    assert "export.csv" in str(err.value)


def test_amount_in_another_locale_is_quarantined_with_the_locale_hint(tmp_path: Path) -> None:
    path = tmp_path / "Opportunity.csv"
    path.write_text('"ID","ACCOUNTID","AMOUNT","ISWON"\n'
                    f'"{OPP_1}","{ACC_A}","1 234,56","true"\n'
                    f'"{OPP_3}","{ACC_B}","douze","true"\n')
    loaded = load_salesforce(path)
    assert loaded.tables["commitments"].height == 0
    assert loaded.quarantine.select("source_row", "column", "value", "reason").rows() == [
        (2, "amount_cents", "1 234,56",
         "not an amount with the number format set (decimal '.', thousands none): set "
         "`locale:` (fr_FR, en_US, en_GB, de_DE) or `decimal:` and `thousands:` in the "
         "source options"),
        (3, "amount_cents", "douze", "not an amount")]
    fr = load_salesforce(path, locale="fr_FR")
    assert fr.tables["commitments"]["amount_cents"].to_list() == [123456]


@pytest.mark.parametrize(("header", "missing"), [
    ('"ACCOUNTID","AMOUNT","ISWON"', "'Id'"),
    ('"ID","ACCOUNTID","ISWON"', "'Amount'"),
])
def test_file_without_id_or_amount_column_names_it(tmp_path: Path, header: str,
                                                   missing: str) -> None:
    path = tmp_path / "Opportunity.csv"
    path.write_text(f'{header}\n"a","b","true"\n')
    with pytest.raises(SourceFormatError) as err:
        load_salesforce(path)
    assert (err.value.source_file, err.value.row) == ("Opportunity.csv", 1)
    assert err.value.message == (f"this Opportunity export has no {missing} column, so none "
                                 "of its rows can be loaded")


def test_encoding_guessed_on_a_sample_falls_back_on_the_whole_file(tmp_path: Path) -> None:
    filler = "".join(f'"{OPP_2}","{ACC_B}","Lost {i}","1.0","false"\n' for i in range(3000))
    text = ('"ID","ACCOUNTID","NAME","AMOUNT","ISWON"\n' + filler
            + f'"{OPP_1}","{ACC_A}","Société générale","10.0","true"\n')
    path = tmp_path / "Opportunity.csv"
    path.write_bytes(text.encode("cp1252"))  # the sample (64 KB) is plain ASCII
    loaded = load_salesforce(path)
    assert loaded.tables["commitments"].select("name", "source_row").rows() == [
        ("Société générale", 3002)]


def test_quoted_newlines_blank_lines_and_crlf_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "Account.csv"
    path.write_bytes(('"ID","NAME","DESCRIPTION"\r\n'
                      f'"{ACC_A}","Globex","two\r\nlines"\r\n'
                      '\r\n'
                      '  \r\n'
                      f'"{ACC_B}","Globex Lyon",""\r\n').encode())
    loaded = load_salesforce(path)
    assert loaded.tables["parties"].select("record_id", "source_row").rows() == [
        (ACC_A, 2), (ACC_B, 6)]
    assert loaded.rows_read == {"Account.csv": 2}


def test_huge_amount_is_quarantined_without_the_locale_hint(tmp_path: Path) -> None:
    path = tmp_path / "Opportunity.csv"
    path.write_text('"ID","ACCOUNTID","AMOUNT","ISWON"\n'
                    f'"{OPP_1}","{ACC_A}","100000000000000000000.00","true"\n'
                    f'"{OPP_3}","{ACC_B}","1e20","true"\n')
    assert load_salesforce(path).quarantine.select("value", "reason").rows() == [
        ("100000000000000000000.00", "not an amount"), ("1e20", "not an amount")]


def test_undecodable_file_is_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "Account.csv"
    path.write_bytes(b'"ID","NAME"\n"001","Soci\x81t\x8d"\n')  # undefined in cp1252
    with pytest.raises(SourceFormatError) as err:
        load_salesforce(path)
    assert err.value.source_file == "Account.csv"
    assert "cannot read the file as cp1252 text" in err.value.message



def test_byte_order_mark_before_bytes_that_are_not_utf8_is_a_readable_error(
        tmp_path: Path) -> None:
    """Found by the fuzz test: a UTF-8 BOM followed by cp1252 bytes escaped as an internal
    exception (the whole-file retry trusted the BOM)."""
    path = tmp_path / "Account.csv"
    path.write_bytes(b'\xef\xbb\xbf"ID","NAME"\n"001","Soci\xe9t\xe9"\n')
    with pytest.raises(SourceFormatError) as err:
        load_salesforce(path)
    assert (err.value.source_file, err.value.row) == ("Account.csv", 2)
    assert err.value.message == ("cannot read the file as utf-8-sig text: it starts with a "
                                 "UTF-8 byte order mark but holds bytes that are not UTF-8")

def _contract_side(tmp_path: Path, column: str) -> Path:
    """Opportunities without ContractId; the lookup sits on the Contract (custom/CPQ)."""
    (tmp_path / "Opportunity.csv").write_text(
        OPPORTUNITIES.replace(f'"EUR","{CONTRACT}"', '"EUR",""'))
    (tmp_path / "Contract.csv").write_text(
        CONTRACTS.replace('"CURRENCYISOCODE"\n', f'"CURRENCYISOCODE","{column}"\n', 1)
        .replace('"EUR"\n', f'"EUR","{OPP_1[:15]}"\n'))
    return tmp_path


@pytest.mark.parametrize("column", ["SBQQ__OPPORTUNITY__C", "OPPORTUNITY__C"])
def test_opportunity_contract_lookup_read_on_the_contract(tmp_path: Path, column: str) -> None:
    loaded = load_salesforce(_contract_side(tmp_path, column))
    com = loaded.tables["commitments"]
    assert sorted(com.select("record_id", "contract_record_id").rows(),
                  key=lambda r: r[0]) == [(OPP_1, CONTRACT), (OPP_3, None), (CONTRACT, None)]
    assert "__opportunity_0" not in com.columns
    assert merge_loaded([loaded]).quarantine.height == 0


def test_contract_side_lookup_field_name_is_an_option(tmp_path: Path) -> None:
    path = _contract_side(tmp_path, "DEAL__C")
    plain = load_salesforce(path).tables["commitments"]
    assert plain.filter(plain["record_id"] == OPP_1)["contract_record_id"].item() is None
    custom = load_salesforce(path, contract_opportunity_fields=("Deal__c",))
    com = custom.tables["commitments"]
    assert com.filter(com["record_id"] == OPP_1)["contract_record_id"].item() == CONTRACT
