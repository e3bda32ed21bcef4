"""Statements table: balance, chain, gap/overlap and duplicate checks across files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconkit.errors import ReconkitError
from reconkit.loaders.statements import Statement, period_of, statements_table

from conftest import make_result
from shared_files import col


def _stmt(sid: str, day: date, opening: int, closing: int, movements: int | None = None,
          *, file: str = "a.xml", account: str = "FR76", start: date | None = None) -> Statement:
    return Statement(account_id=account, statement_id=sid, currency="EUR", source_file=file,
                     source_row=1, entries=1, movements_cents=closing - opening
                     if movements is None else movements, opening_cents=opening,
                     opening_date=day, closing_cents=closing, closing_date=day,
                     from_date=start or day, to_date=day)


def test_consecutive_statements_chain() -> None:
    frame, warnings = statements_table([
        _stmt("S2", date(2024, 3, 18), 150, 100, file="b.xml"),  # Monday after the weekend
        _stmt("S1", date(2024, 3, 15), 100, 150),
    ])
    assert col(frame, "statement_id") == ["S1", "S2"]
    assert col(frame, "balance_ok") == [True, True]
    assert col(frame, "chain_ok") == [None, True]
    assert col(frame, "issue") == [None, None]
    assert warnings == []


def test_broken_chain_missing_day_overlap_and_balance() -> None:
    frame, warnings = statements_table([
        _stmt("S1", date(2024, 3, 12), 100, 150),
        _stmt("S2", date(2024, 3, 14), 140, 160),  # 13th missing, opening != 150
        _stmt("S3", date(2024, 3, 14), 160, 170, movements=5, start=date(2024, 3, 14)),
    ])
    assert col(frame, "chain_ok") == [None, False, False]
    assert col(frame, "balance_ok") == [True, True, False]
    assert col(frame, "issue") == [
        None,
        "opening balance 1.40 EUR differs from the closing balance 1.50 EUR of statement S1 "
        "(a.xml); missing day since statement S1 (a.xml): 2024-03-13",
        "opening 1.60 EUR + movements 0.05 EUR = 1.65 EUR, but the closing balance is "
        "1.70 EUR; its period starts on 2024-03-14, within statement S2 (a.xml) ending "
        "2024-03-14",
    ]
    # balance mismatches are already warned by the loaders: not twice
    assert warnings == [
        "a.xml: statement S2 of account FR76: opening balance 1.40 EUR differs from the "
        "closing balance 1.50 EUR of statement S1 (a.xml); missing day since statement S1 "
        "(a.xml): 2024-03-13",
        "a.xml: statement S3 of account FR76: its period starts on 2024-03-14, within "
        "statement S2 (a.xml) ending 2024-03-14",
    ]


def test_duplicate_file_and_other_version_of_a_statement() -> None:
    frame, _ = statements_table([
        _stmt("S1", date(2024, 3, 15), 100, 150),
        _stmt("S1", date(2024, 3, 15), 100, 150, file="copy.xml"),
        _stmt("S1", date(2024, 3, 15), 100, 160, file="v2.xml"),
    ])
    assert col(frame, "source_file") == ["a.xml", "copy.xml", "v2.xml"]
    assert col(frame, "chain_ok") == [None, False, False]
    assert col(frame, "issue")[1:] == [
        "duplicate of statement S1 already read in a.xml",
        "another version of statement S1 already read in a.xml with different figures"]


def test_accounts_chain_separately_and_notifications_do_not_chain() -> None:
    notif = Statement(account_id="FR76", statement_id="N1", currency="EUR",
                      source_file="n.xml", source_row=1, entries=3, movements_cents=10,
                      from_date=date(2024, 3, 1), to_date=date(2024, 3, 1), chained=False)
    frame, warnings = statements_table([
        _stmt("A1", date(2024, 3, 15), 0, 10, account="DE89"),
        _stmt("B1", date(2024, 3, 20), 0, 10),
        notif,
    ])
    assert col(frame, "chain_ok") == [None, None, None]
    assert warnings == []


def test_period_from_balance_dates() -> None:
    # MT940/CFONB: the opening balance is dated the previous statement's day
    assert period_of(date(2024, 3, 14), date(2024, 3, 15), []) == (date(2024, 3, 15),
                                                                   date(2024, 3, 15))
    # camt: opening balance at the start of the statement day
    assert period_of(date(2024, 3, 15), date(2024, 3, 15), []) == (date(2024, 3, 15),
                                                                   date(2024, 3, 15))
    assert period_of(None, None, [date(2024, 3, 2), date(2024, 3, 1)]) == (
        date(2024, 3, 1), date(2024, 3, 2))
    assert period_of(None, None, []) == (None, None)


def test_empty() -> None:
    frame, warnings = statements_table([])
    assert frame.height == 0 and "balance_ok" in frame.columns and warnings == []


def test_written_with_the_result_and_out_must_be_a_folder(tmp_path: Path) -> None:
    frame, _ = statements_table([_stmt("S1", date(2024, 3, 15), 100, 150)])
    result = make_result()
    result = type(result)(**{**result.__dict__, "statements": frame})
    written = result.write(tmp_path / "out")
    assert tmp_path / "out" / "statements.csv" in written
    assert (tmp_path / "out" / "statements.csv").read_text().splitlines()[0].startswith(
        "system,account_id,statement_id,currency,from_date,to_date,opening_cents")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ReconkitError, match=r"is not a folder: .*file\.txt is a file"):
        result.write(blocker)
    with pytest.raises(ReconkitError, match="is not a folder"):
        result.write(blocker / "sub")
