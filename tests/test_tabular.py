"""CSV / XLSX / Parquet loading through mapping profiles: exact values, rows and reasons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import FileReport, get_loader, merge_loaded
from reconkit.loaders.tabular import human_formats, load_tabular

SHARED = Path(__file__).resolve().parents[2] / "shared"
PENNYLANE_HEADER = ("Numéro de facture;Client;Date;Date d'échéance;Montant HT;Montant TVA;"
                    "Montant TTC;Devise;Type")


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _profile(**overrides: Any) -> dict[str, Any]:
    """A small French invoice layout: No;Client;Date;Total;Type."""
    columns: dict[str, Any] = {
        "record_id": {"from": "No"}, "number": {"from": "No"},
        "doc_type": {"from": "Type", "map": {"F": "invoice", "A": "credit_note"},
                     "strict": True, "default": "invoice"},
        "party_record_id": {"from": "Client"}, "party_name": {"from": "Client"},
        "issue_date": {"from": "Date"}, "currency": {"const": "EUR"},
        "amount_cents": {"from": "Total",
                         "negate_if": {"column": "doc_type", "equals": "credit_note"}},
    }
    columns.update(overrides.pop("columns", {}))
    prof = {"name": "t", "table": "invoices",
            "defaults": {"decimal": ",", "date_format": ["%d/%m/%Y"]}, "columns": columns}
    prof.update(overrides)
    return prof


def _rows(df: pl.DataFrame, *cols: str) -> list[tuple[Any, ...]]:
    return df.select(cols).rows()


# ------------------------------------------------------------------------ encodings, delimiters


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "iso-8859-15"])
def test_encodings_keep_accents_and_euro(tmp_path: Path, encoding: str) -> None:
    text = "No;Client;Date;Total;Type\nF-1;Café Élysée €;28/02/2024;1 234,56;F\n"
    loaded = load_tabular(_write(tmp_path, "f.csv", text, encoding), profile=_profile())
    inv = loaded.tables["invoices"]
    assert _rows(inv, "record_id", "party_name", "issue_date", "amount_cents") == [
        ("F-1", "Café Élysée €", dt.date(2024, 2, 28), 123456)]


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_delimiters_detected(tmp_path: Path, sep: str) -> None:
    lines = [["No", "Client", "Date", "Total", "Type"],
             ["F-1", "Acme", "01/03/2024", "10", "F"],
             ["A-1", "Acme", "02/03/2024", "4", "A"]]
    text = "\n".join(sep.join(r) for r in lines) + "\n"
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())
    assert _rows(loaded.tables["invoices"], "record_id", "doc_type", "amount_cents") == [
        ("F-1", "invoice", 1000), ("A-1", "credit_note", -400)]


def test_crlf_and_quoted_delimiter(tmp_path: Path) -> None:
    text = 'No,Client,Date,Total,Type\r\nF-1,"Dupont, Fils et Cie",01/03/2024,"12,50",F\r\n'
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())
    assert _rows(loaded.tables["invoices"], "party_name", "amount_cents", "source_row") == [
        ("Dupont, Fils et Cie", 1250, 2)]


# ---------------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(("value", "decimal", "thousands", "cents"), [
    ("1 234,56", ",", " ", 123456),
    ("1.234,56", ",", ".", 123456),
    ("1,234.56", ".", ",", 123456),
    ("1\u202f234,56", ",", None, 123456),
    ("150,00-", ",", None, -15000),
    ("(12,00)", ",", None, -1200),
    ("12,5 €", ",", None, 1250),
    ("0,005", ",", None, 1),
])
def test_amount_locales(tmp_path: Path, value: str, decimal: str, thousands: str | None,
                        cents: int) -> None:
    text = f'No;Client;Date;Total;Type\nF-1;Acme;01/03/2024;"{value}";F\n'
    prof = _profile(defaults={"decimal": decimal, "thousands": thousands,
                              "date_format": ["%d/%m/%Y"]},
                    columns={"doc_type": {"const": "invoice"}})
    inv = load_tabular(_write(tmp_path, "f.csv", text), profile=prof).tables["invoices"]
    assert inv["amount_cents"].to_list() == [cents]
    assert inv["amount_cents"].dtype == pl.Int64


def test_wrong_locale_is_not_an_amount(tmp_path: Path) -> None:
    text = "No;Client;Date;Total;Type\nF-1;Acme;01/03/2024;1.234,56;F\n"
    prof = _profile(defaults={"decimal": ",", "date_format": ["%d/%m/%Y"]})
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=prof)
    assert loaded.tables["invoices"].height == 0
    assert loaded.quarantine.rows() == [
        ("billing", "f.csv", 2, "Total", "1.234,56", "not an amount")]


# ------------------------------------------------------------------------------- quarantine


def test_bad_values_quarantined_one_row_per_column(tmp_path: Path) -> None:
    text = ("No;Client;Date;Total;Type\n"
            "F-1;Acme;28/02/2024;10,00;F\n"
            "F-2;Acme;31/02/2024;abc;Z\n"
            "F-3;;2024-03-05;7;F\n"
            "F-4;Acme;5/3/24;7;F\n")
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())
    assert _rows(loaded.tables["invoices"], "record_id", "issue_date", "amount_cents") == [
        ("F-1", dt.date(2024, 2, 28), 1000)]
    assert loaded.quarantine.rows() == [
        ("billing", "f.csv", 3, "Type", "Z", "unknown value 'Z' (expected one of: F, A)"),
        ("billing", "f.csv", 3, "Date", "31/02/2024", "not a date (expected DD/MM/YYYY)"),
        ("billing", "f.csv", 3, "Total", "abc", "not an amount"),
        ("billing", "f.csv", 4, "Client", None, "missing value"),
        ("billing", "f.csv", 5, "Date", "5/3/24", "not a date (expected DD/MM/YYYY)"),
    ]
    assert loaded.quarantine.schema == {"system": pl.String, "source_file": pl.String,
                                         "source_row": pl.Int64, "column": pl.String,
                                         "value": pl.String, "reason": pl.String}
    assert loaded.rows_read == {"f.csv": 4}


def test_int_bool_percent_problems(tmp_path: Path) -> None:
    text = ("Id;Client;Montant;Remise;Renouv;Periode\n"
            "C1;P1;100,00;10,5 %;oui;12\n"
            "C2;P1;100,00;dix;peut-être;1,5\n")
    prof = {"name": "c", "table": "commitments", "defaults": {"decimal": ","},
            "columns": {"record_id": {"from": "Id"}, "kind": {"const": "contract"},
                        "party_record_id": {"from": "Client"}, "currency": {"const": "EUR"},
                        "amount_cents": {"from": "Montant"},
                        "discount_bp": {"from": "Remise", "type": "percent_bp"},
                        "auto_renew": {"from": "Renouv"},
                        "list_amount_cents": {"from": "Periode", "type": "int"}}}
    loaded = load_tabular(_write(tmp_path, "c.csv", text), profile=prof)
    assert _rows(loaded.tables["commitments"], "record_id", "discount_bp", "auto_renew",
                 "list_amount_cents") == [("C1", 1050, True, 12)]
    assert [r[3:] for r in loaded.quarantine.rows()] == [
        ("Remise", "dix", "not a percentage"),
        ("Renouv", "peut-être", "not a yes/no value"),
        ("Periode", "1,5", "not a whole number"),
    ]


def test_missing_required_column_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, "pl.csv", "Numéro de facture;Client;Date\nF-1;Acme;01/03/2024\n")
    with pytest.raises(SourceFormatError) as info:
        load_tabular(path, profile="pennylane_invoices")
    err = info.value
    assert err.message == "column 'Montant TTC' not found"
    assert err.source_file == "pl.csv"
    assert err.hint == ("columns present: Numéro de facture, Client, Date; fix the export or "
                        "the mapping profile")
    assert str(err).startswith("file pl.csv: column 'Montant TTC' not found\n  What to do:")


def test_optional_column_absent_warns(tmp_path: Path) -> None:
    text = "No;Client;Date;Total;Type\nF-1;Acme;01/03/2024;1;F\n"
    prof = _profile(columns={"po_number": {"from": "Bon de commande"}})
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=prof)
    assert loaded.tables["invoices"]["po_number"].to_list() == [None]
    assert loaded.warnings == ("f.csv: column 'Bon de commande' not found; 'po_number' left "
                               "empty",)


def test_duplicate_ids_and_report_via_merge(tmp_path: Path) -> None:
    text = ("No;Client;Date;Total;Type\n"
            "F-1;Acme;01/03/2024;10;F\n"
            "F-1;Acme;02/03/2024;11;F\n"
            "F-2;Acme;xx;12;F\n"
            "F-3;Acme;03/03/2024;13;F\n")
    result = merge_loaded([load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())])
    assert _rows(result.tables["invoices"], "record_id", "source_row") == [("F-1", 2),
                                                                           ("F-3", 5)]
    assert result.quarantine.select("source_row", "column", "reason").rows() == [
        (3, "record_id", "duplicate id: this record id already appears earlier in the same "
                         "source"),
        (4, "Date", "not a date (expected DD/MM/YYYY)"),
    ]
    assert result.report == (FileReport("f.csv", rows_read=4, rows_loaded=2,
                                        rows_quarantined=2),)


# --------------------------------------------------------------------------- layout and rows


def test_multiline_field_keeps_line_numbers(tmp_path: Path) -> None:
    text = ('No;Client;Date;Total;Type\n'
            'F-1;"Acme\nBâtiment B\n""Nord""";01/03/2024;1;F\n'
            '\n'
            'F-2;Beta;02/03/2024;2;F\n'
            'F-3;Gamma;bad;3;F\n')
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())
    assert _rows(loaded.tables["invoices"], "record_id", "party_name", "source_row") == [
        ("F-1", 'Acme\nBâtiment B\n"Nord"', 2), ("F-2", "Beta", 6)]
    assert loaded.quarantine.select("source_row", "value").rows() == [(7, "bad")]
    assert loaded.rows_read == {"f.csv": 3}


def test_irregular_quote_falls_back_with_right_rows(tmp_path: Path) -> None:
    text = 'No;Client;Date;Total;Type\nF-1;Ecran 27" Dell;01/03/2024;1;F\nF-2;B;x;2;F\n'
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())
    assert _rows(loaded.tables["invoices"], "party_name", "source_row") == [
        ('Ecran 27" Dell', 2)]
    assert loaded.quarantine.select("source_row", "column").rows() == [(3, "Date")]


def test_too_many_fields_names_the_line(tmp_path: Path) -> None:
    text = "No;Client;Date;Total;Type\nF-1;A;01/03/2024;1;F\nF-2;B;01/03/2024;1,5;F;extra\n"
    with pytest.raises(SourceFormatError) as info:
        load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())
    assert (info.value.message, info.value.row) == (
        "this line has 6 fields but the header has 5", 3)


def test_footer_stripped_only_when_asked(tmp_path: Path) -> None:
    text = ('"No","Client","Date","Total","Type"\n'
            '"F-1","Acme","01/03/2024","1","F"\n'
            '\n'
            '"Confidential Information - Do Not Distribute"\n'
            '"Generated by Salesforce.com"\n')
    path = _write(tmp_path, "report.csv", text)
    loaded = load_tabular(path, profile=_profile(read={"footer": "single_cell"}))
    assert loaded.tables["invoices"]["record_id"].to_list() == ["F-1"]
    assert loaded.quarantine.height == 0
    assert loaded.rows_read == {"report.csv": 1}
    assert loaded.warnings == ("report.csv: ignored 2 report footer line(s) (rows 4-5)",)
    kept = load_tabular(path, profile=_profile())
    assert kept.rows_read == {"report.csv": 3}
    assert kept.quarantine.filter(pl.col("column") == "Client")["source_row"].to_list() == \
        [4, 5]


def test_skip_rows_and_source_option(tmp_path: Path) -> None:
    text = "Export du 01/04/2024\n\nNo;Client;Date;Total;Type\nF-1;A;01/03/2024;1;F\n"
    path = _write(tmp_path, "f.csv", text)
    loaded = load_tabular(path, profile=_profile(), skip_rows=1)
    assert _rows(loaded.tables["invoices"], "record_id", "source_row") == [("F-1", 4)]


@pytest.mark.parametrize("text", ["", "\n\n", "No;Client;Date;Total;Type\n"])
def test_empty_and_header_only(tmp_path: Path, text: str) -> None:
    loaded = load_tabular(_write(tmp_path, "f.csv", text), profile=_profile())
    assert loaded.tables["invoices"].height == 0
    assert loaded.tables["invoices"].columns[:4] == ["system", "record_id", "source_file",
                                                     "source_row"]
    assert loaded.quarantine.height == 0
    assert loaded.rows_read == {"f.csv": 0}


def test_undecodable_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "No;Client\nF-1;Caf\xe9\n", "latin-1")
    with pytest.raises(SourceFormatError) as info:
        load_tabular(path, profile=_profile(read={"encoding": "utf-8"}))
    assert (info.value.message, info.value.row) == ("cannot be read as utf-8 text (byte 0xE9)",
                                                    2)


# ----------------------------------------------------------------------- field spec options


def test_sign_from_column_template_regex_prefix(tmp_path: Path) -> None:
    text = ("Journal|Piece|Date|Compte|Montant|Sens|Libelle|Lettrage\n"
            "VE|12|20240315|411000|2500,00|D|Facture INV-2024-7 Robert|AA\n"
            "BQ|3|20240320|411000|2500,00|C|Vir. Robert|aa\n"
            "BQ|4|20240321|411000|1,00|X|Frais|\n")
    prof = {"name": "l", "table": "ledger_lines", "defaults": {"decimal": ",",
                                                               "date_format": "%Y%m%d"},
            "columns": {
                "record_id": {"template": "{Journal}:{Piece}"},
                "journal_code": {"from": "Journal"}, "entry_number": {"from": "Piece"},
                "entry_date": {"from": "Date"}, "account": {"from": "Compte"},
                "amount_cents": {"from": "Montant",
                                 "sign": {"from": "Sens", "debit": "D", "credit": "C"}},
                "currency": {"const": "EUR"},
                "piece_ref": {"from": "Libelle", "regex": r"(INV-\d{4}-\d+)"},
                "label": {"concat": ["Journal", "Libelle"], "separator": " / "},
                "lettering_code": {"from": "Lettrage", "type": "upper"},
                "aux_account": {"from": "Compte", "strip_prefix": "411"}}}
    loaded = load_tabular(_write(tmp_path, "fec.txt", text), profile=prof)
    assert _rows(loaded.tables["ledger_lines"], "record_id", "amount_cents", "piece_ref",
                 "label", "lettering_code", "aux_account", "entry_date") == [
        ("VE:12", 250000, "INV-2024-7", "VE / Facture INV-2024-7 Robert", "AA", "000",
         dt.date(2024, 3, 15)),
        ("BQ:3", -250000, None, "BQ / Vir. Robert", "AA", "000", dt.date(2024, 3, 20)),
    ]
    assert loaded.quarantine.rows() == [
        ("erp", "fec.txt", 4, "Sens", "X", "unknown value 'X' (expected one of: D, C)")]


def test_negative_if_forces_credit_notes_negative(tmp_path: Path) -> None:
    text = (PENNYLANE_HEADER + "\n"
            "F-1;Acme;01/03/2024;31/03/2024;100,00;20,00;120,00;EUR;Facture\n"
            "AV-1;Acme;05/03/2024;;-50,00;-10,00;-60,00;EUR;Avoir\n"
            "AV-2;Acme;06/03/2024;;50,00;10,00;60,00;eur;avoir\n")
    loaded = load_tabular(_write(tmp_path, "pl.csv", text), profile="pennylane_invoices")
    assert _rows(loaded.tables["invoices"], "record_id", "doc_type", "net_cents", "tax_cents",
                 "amount_cents", "currency", "due_date") == [
        ("F-1", "invoice", 10000, 2000, 12000, "EUR", dt.date(2024, 3, 31)),
        ("AV-1", "credit_note", -5000, -1000, -6000, "EUR", None),
        ("AV-2", "credit_note", -5000, -1000, -6000, "EUR", None),
    ]
    assert merge_loaded([loaded]).quarantine.height == 0


def test_stripe_dashboard_profile_utc_to_paris(tmp_path: Path) -> None:
    text = ("id,Amount Due,Currency,Customer,Date (UTC),Due Date (UTC),Number,Paid,Tax,Total,"
            "Status\n"
            "in_1,120.00,eur,cus_A,2024-03-31 23:30,2024-04-30 10:00,A1B2-0007,true,20.00,"
            "120.00,paid\n"
            "in_2,0.00,eur,cus_A,2024-01-15 09:00,,,false,,10.00,draft\n")
    loaded = load_tabular(_write(tmp_path, "stripe.csv", text),
                          profile="stripe_dashboard_invoices")
    assert _rows(loaded.tables["invoices"], "record_id", "number", "issue_date", "due_date",
                 "currency", "tax_cents", "amount_cents", "status") == [
        ("in_1", "A1B2-0007", dt.date(2024, 4, 1), dt.date(2024, 4, 30), "EUR", 2000, 12000,
         "paid")]
    assert loaded.quarantine.select("source_row", "column", "reason").rows() == [
        (3, "Number", "missing value")]


def test_canonical_profile_identity(tmp_path: Path) -> None:
    text = ("system,record_id,name,legal_id,iban,source_file,source_row\n"
            "crm,0015g00000XyZaBAAV,Globex SA,552100554,,old.csv,9\n"
            "erp,C002,Robert SA,,FR7630006000011234567890189,old.csv,10\n")
    loaded = load_tabular(_write(tmp_path, "parties.csv", text), profile="canonical_parties")
    assert loaded.tables["parties"].select("system", "record_id", "name", "source_file",
                                           "source_row").rows() == [
        ("crm", "0015g00000XyZaBAAV", "Globex SA", "parties.csv", 2),
        ("erp", "C002", "Robert SA", "parties.csv", 3)]


def test_canonical_payments_types(tmp_path: Path) -> None:
    text = ("record_id,entry_ref,booking_date,amount_cents,currency,is_reversal\n"
            "R1,R1,2024-03-05,-12000,EUR,true\n"
            "R2,R2,2024-03-06,12000.5,EUR,\n")
    loaded = load_tabular(_write(tmp_path, "pay.csv", text), profile="canonical_payments")
    assert _rows(loaded.tables["payments"], "system", "amount_cents", "is_reversal") == [
        ("bank", -12000, True)]
    assert loaded.quarantine.select("source_row", "column", "reason").rows() == [
        (3, "amount_cents", "not a whole number")]


# ------------------------------------------------------------------------------ XLSX, Parquet


def test_xlsx_date_cells_numbers_and_rows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Factures"
    ws.append(["Rapport des ventes"])
    ws.append(PENNYLANE_HEADER.split(";"))
    ws.append(["F-1", "Café €", dt.datetime(2024, 2, 28), dt.date(2024, 3, 31), 100, 20.5,
               120.5, "EUR", "Facture"])
    ws.append([None] * 9)
    ws.append(["F-2", "Acme", "29/02/2024", None, "1 000,10", "0", "1 000,10", None, "Avoir"])
    ws.append([1003, "Acme", "pas une date", None, 1, 0, 1, "EUR", "Facture"])
    path = tmp_path / "ventes.xlsx"
    wb.save(path)
    loaded = load_tabular(path, profile="pennylane_invoices", skip_rows=1)
    assert _rows(loaded.tables["invoices"], "record_id", "party_name", "issue_date",
                 "due_date", "net_cents", "tax_cents", "amount_cents", "currency",
                 "source_row") == [
        ("F-1", "Café €", dt.date(2024, 2, 28), dt.date(2024, 3, 31), 10000, 2050, 12050,
         "EUR", 3),
        ("F-2", "Acme", dt.date(2024, 2, 29), None, -100010, 0, -100010, "EUR", 5),
    ]
    assert loaded.quarantine.rows() == [
        ("billing", "ventes.xlsx", 6, "Date", "pas une date",
         "not a date (expected DD/MM/YYYY)")]
    assert loaded.rows_read == {"ventes.xlsx": 3}



@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 cut short", b"not a workbook at all"])
def test_empty_or_damaged_workbook_is_a_readable_error(tmp_path: Path, data: bytes) -> None:
    """Found by the fuzz test: a file that is not a zip at all escaped as BadZipFile."""
    path = tmp_path / "ventes.xlsx"
    path.write_bytes(data)
    with pytest.raises(SourceFormatError, match="cannot be opened as an Excel workbook") as err:
        load_tabular(path, profile="pennylane_invoices")
    assert err.value.source_file == "ventes.xlsx"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_headers_equal_once_trimmed_keep_the_first_column(tmp_path: Path, suffix: str) -> None:
    """Found by the fuzz test: `No` and ` No` raised DuplicateError (CSV, Parquet) or let
    the second column replace the first (Excel)."""
    header = ["No", "Client", " No ", "Date", "Total", "Type"]
    row = ["F-1", "Acme", "X-9", "01/03/2024", "1", "F"]
    path = tmp_path / f"dup{suffix}"
    if suffix == ".csv":
        path.write_text(";".join(header) + "\n" + ";".join(row) + "\n")
    elif suffix == ".parquet":
        pl.DataFrame([row], schema=header, orient="row").write_parquet(path)
    else:
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(header)
        wb.active.append(row)
        wb.save(path)
    loaded = load_tabular(path, profile=_profile())
    assert _rows(loaded.tables["invoices"], "record_id", "party_name", "amount_cents") == [
        ("F-1", "Acme", 100)]

def test_parquet_typed_columns(tmp_path: Path) -> None:
    frame = pl.DataFrame({
        "No": ["F-1", "F-2", None], "Client": ["Acme", "Beta", "Gamma"],
        "Date": [dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 3)],
        "Total": [1234.56, 0.1, 3.0], "Type": ["F", "A", "F"],
    })
    path = tmp_path / "inv.parquet"
    frame.write_parquet(path)
    loaded = get_loader("tabular")(path, profile=_profile())
    assert _rows(loaded.tables["invoices"], "record_id", "issue_date", "amount_cents",
                 "source_row") == [("F-1", dt.date(2024, 3, 1), 123456, 1),
                                   ("F-2", dt.date(2024, 3, 2), -10, 2)]
    assert loaded.quarantine.select("source_row", "column", "reason").rows() == [
        (3, "No", "missing value")]


def test_registry_kinds() -> None:
    from reconkit.loaders.tabular import load_csv, load_parquet, load_xlsx

    assert get_loader("csv") is load_csv
    assert get_loader("xlsx") is load_xlsx
    assert get_loader("parquet") is load_parquet


def test_human_formats() -> None:
    assert human_formats(("%d/%m/%Y",)) == "DD/MM/YYYY"
    assert human_formats(("%Y-%m-%d", "%d.%m.%y")) == "YYYY-MM-DD or DD.MM.YY"


def test_many_rows_nothing_lost(tmp_path: Path) -> None:
    lines = ["No;Client;Date;Total;Type"]
    lines += [f"F-{i};C{i % 7};{1 + i % 28:02d}/03/2024;{i},{i % 100:02d};F"
              for i in range(20_000)]
    lines[5001] = "F-5000;C1;32/03/2024;1;F"
    result = merge_loaded([load_tabular(_write(tmp_path, "big.csv", "\n".join(lines)),
                                        profile=_profile())])
    assert result.report == (FileReport("big.csv", 20_000, 19_999, 1),)
    assert result.tables["invoices"]["amount_cents"].sum() == \
        sum(i * 100 + i % 100 for i in range(20_000)) - (5000 * 100)
    assert result.quarantine.select("source_row", "value").rows() == [(5002, "32/03/2024")]


@pytest.mark.shared
def test_shared_fec_pipe_fixture_through_a_profile() -> None:
    path = SHARED / "fixtures" / "fec" / "fec-reader-sample_pipe.txt"
    if not path.is_file():
        pytest.skip("../shared fixtures absent")
    prof = {"name": "fec_pipe", "table": "ledger_lines",
            "defaults": {"decimal": ",", "date_format": "%Y%m%d"},
            "columns": {"record_id": {"template": "{JournalCode}:{EcritureNum}:{CompteNum}"},
                        "journal_code": {"from": "JournalCode"},
                        "entry_number": {"from": "EcritureNum"},
                        "entry_date": {"from": "EcritureDate"},
                        "account": {"from": "CompteNum"},
                        "aux_account": {"from": "CompAuxNum"},
                        "aux_name": {"from": "CompAuxLib"},
                        "amount_cents": {"from": "Montant", "sign": {
                            "from": "Sens", "debit": "D", "credit": "C"}},
                        "currency": {"from": "Idevise", "default": "EUR"}}}
    result = merge_loaded([load_tabular(path, profile=prof)])
    lines = result.tables["ledger_lines"]
    assert _rows(lines, "record_id", "aux_account", "aux_name", "amount_cents",
                 "entry_date", "source_row") == [
        ("VTE:VT0001:70600", None, None, -250000, dt.date(2024, 3, 15), 2),
        ("VTE:VT0001:411000", "C002", "Robert SA", 250000, dt.date(2024, 3, 15), 3),
        ("ACH:AC0002:60200", None, None, 80000, dt.date(2024, 6, 20), 4),
        ("ACH:AC0002:401000", None, None, -80000, dt.date(2024, 6, 20), 5),
    ]
    assert lines["amount_cents"].sum() == 0
    assert result.report == (FileReport("fec-reader-sample_pipe.txt", 4, 4, 0),)
