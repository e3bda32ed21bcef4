"""FEC writer: exact bytes, label cleaning, refusals, file name, and a write -> load round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from reconkit.export.fec import fec_filename, write_fec
from reconkit.formats.fec import FEC_COLUMNS
from reconkit.loaders.fec import load_fec

D1, D15 = dt.date(2024, 3, 1), dt.date(2024, 3, 15)


def line(journal: str, num: str, day: dt.date, account: str, debit: int, credit: int,
         aux: str | None = None, name: str | None = None, letter: str | None = None,
         label: str = "Facture INV-1", fx: int | None = None, currency: str | None = None
         ) -> dict[str, object]:
    return {
        "JournalCode": journal, "JournalLib": "Ventes" if journal == "VT" else "Banque",
        "EcritureNum": num, "EcritureDate": day, "CompteNum": account, "CompteLib": "Compte",
        "CompAuxNum": aux, "CompAuxLib": name, "PieceRef": "INV-1", "PieceDate": day,
        "EcritureLib": label, "debit_cents": debit, "credit_cents": credit,
        "EcritureLet": letter, "DateLet": D15 if letter else None, "ValidDate": day,
        "Montantdevise_cents": fx, "Idevise": currency,
    }


SCHEMA = {"EcritureDate": pl.Date, "PieceDate": pl.Date, "DateLet": pl.Date,
          "ValidDate": pl.Date, "debit_cents": pl.Int64, "credit_cents": pl.Int64,
          "Montantdevise_cents": pl.Int64}


def entries(*lines: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(lines), schema_overrides=SCHEMA)


BOOKS = entries(
    line("VT", "VT1", D1, "411000", 1200000, 0, "C0001", "GLOBEX SA", "AAA"),
    line("VT", "VT1", D1, "706000", 0, 1000000),
    line("VT", "VT1", D1, "445710", 0, 200000),
    line("VT", "VT2", D1, "411000", 360000, 0, "C0002", "INITECH", fx=390000, currency="USD"),
    line("VT", "VT2", D1, "706000", 0, 360000),
    line("BQ", "BQ7", D15, "512000", 1680000, 0, label="REMISE"),
    line("BQ", "BQ7", D15, "411000", 0, 1200000, "C0001", "GLOBEX SA", "AAA", label="REMISE"),
    line("BQ", "BQ7", D15, "411000", 0, 480000, "C0003", "UMBRELLA", label="REMISE"),
)


def test_exact_bytes(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    write_fec(BOOKS.head(3), path)
    assert path.read_bytes().decode("utf-8").split("\r\n") == [
        "\t".join(FEC_COLUMNS),
        ("VT\tVentes\tVT1\t20240301\t411000\tCompte\tC0001\tGLOBEX SA\tINV-1\t20240301\t"
        "Facture INV-1\t12000,00\t0,00\tAAA\t20240315\t20240301\t\t"),
        ("VT\tVentes\tVT1\t20240301\t706000\tCompte\t\t\tINV-1\t20240301\tFacture INV-1\t"
        "0,00\t10000,00\t\t\t20240301\t\t"),
        ("VT\tVentes\tVT1\t20240301\t445710\tCompte\t\t\tINV-1\t20240301\tFacture INV-1\t"
        "0,00\t2000,00\t\t\t20240301\t\t"),
        "",
    ]


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / fec_filename("123456782", dt.date(2024, 12, 31))
    write_fec(BOOKS, path)
    got = load_fec(path)
    assert got.quarantine.height == 0
    assert got.warnings == ()
    assert got.rows_read == {"123456782FEC20241231.txt": 8}
    assert got.tables["ledger_lines"].select(
        "record_id", "source_row", "entry_date", "aux_account", "amount_cents", "currency",
        "lettering_code", "lettering_date").rows() == [
        ("VT:VT1", 2, D1, "C0001", 1200000, "EUR", "AAA", D15),
        ("VT:VT2", 5, D1, "C0002", 360000, "USD", None, None),
        ("BQ:BQ7:1", 8, D15, "C0001", -1200000, "EUR", "AAA", D15),
        ("BQ:BQ7:2", 9, D15, "C0003", -480000, "EUR", None, None),
    ]
    assert b"\t3900,00\tUSD\r\n" in path.read_bytes()


@pytest.mark.parametrize("sep", ["|", ";"])
def test_labels_cleaned_and_round_trip_with_other_separators(tmp_path: Path, sep: str) -> None:
    messy = BOOKS.with_columns(pl.lit("Facture 1|2;3,4\tvia\nlignes").alias("EcritureLib"))
    path = tmp_path / "out.txt"
    write_fec(messy, path, separator=sep, line_ending="\n")
    text = path.read_bytes().decode("utf-8")
    expected = {"|": "Facture 1/2;3,4 via lignes", ";": "Facture 1/2 3,4 via lignes"}[sep]
    got = load_fec(path)
    assert got.quarantine.height == 0
    assert got.tables["ledger_lines"]["label"].unique().to_list() == [expected]
    assert text.count("\n") == 9 and "\r" not in text


def test_latin9_encoding_and_unencodable_character(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    books = BOOKS.with_columns(pl.lit("Société € payée").alias("CompAuxLib"))
    write_fec(books, path, encoding="iso-8859-15")
    assert "Soci\xe9t\xe9 \xa4 pay\xe9e".encode("latin-1") in path.read_bytes()
    assert load_fec(path).tables["parties"]["name"].to_list() == ["Société € payée"] * 3
    with pytest.raises(ValueError, match="the character 'Ł' has no code in that encoding"):
        write_fec(books.with_columns(pl.lit("Łódź łąka").alias("EcritureLib")), path,
                  encoding="iso-8859-15")


def test_refuses_unbalanced_entries(tmp_path: Path) -> None:
    bad = BOOKS.with_columns(
        pl.when(pl.col("CompteNum") == "445710").then(pl.lit(100000, pl.Int64))
        .otherwise(pl.col("credit_cents")).alias("credit_cents"))
    path = tmp_path / "out.txt"
    with pytest.raises(ValueError) as err:
        write_fec(bad, path)
    assert str(err.value) == ("cannot write a FEC with unbalanced entries: entry VT1 (journal "
                              "VT): debit 12000.00, credit 11000.00")
    assert not path.exists()


def test_refuses_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with pytest.raises(ValueError, match="missing column"):
        write_fec(BOOKS.drop("PieceRef"), path)
    with pytest.raises(ValueError, match="debit_cents must hold integer cents"):
        write_fec(BOOKS.with_columns(pl.col("debit_cents").cast(pl.Float64)), path)
    with pytest.raises(ValueError, match="CompteNum is empty on 1 line"):
        write_fec(BOOKS.with_columns(pl.when(pl.col("CompteNum") == "706000")
                                     .then(None).otherwise(pl.col("CompteNum"))
                                     .alias("CompteNum")).head(3), path)
    with pytest.raises(ValueError, match="separator"):
        write_fec(BOOKS, path, separator=":")
    with pytest.raises(ValueError, match="clash with the decimal comma"):
        write_fec(BOOKS, path, separator=",")


def test_optional_currency_columns_and_negative_amounts(tmp_path: Path) -> None:
    books = entries(line("OD", "OD1", D1, "411000", -5050, 0, "C0001", "GLOBEX SA"),
                    line("OD", "OD1", D1, "706000", 0, -5050)).drop("Montantdevise_cents",
                                                                    "Idevise")
    path = tmp_path / "out.txt"
    write_fec(books, path)
    assert "\t-50,50\t0,00\t" in path.read_text("utf-8")
    assert load_fec(path).tables["ledger_lines"]["amount_cents"].to_list() == [-5050]


def test_fec_filename() -> None:
    assert fec_filename("123 456 782", dt.date(2024, 12, 31)) == "123456782FEC20241231.txt"
    with pytest.raises(ValueError, match="not a valid SIREN"):
        fec_filename("123456789", dt.date(2024, 12, 31))
