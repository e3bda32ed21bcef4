"""Decisions read from a file: the exported queue fed back, a confirm = its best candidate."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconkit.errors import ReconkitError
from reconkit.review.decision_file import first_candidate, read_decisions


def test_confirm_row_of_the_queue_takes_its_first_candidate(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_text("exception_id,candidate_ids,action,note\n"
                 "E-1,M-a; M-b,confirm,\n"
                 "E-2,M-c,reject,\n"
                 "E-3,,confirm,\n"
                 "E-4,M-d,,\n")
    decisions, skipped = read_decisions(f)
    assert [(d.action, d.match_id, d.exception_id) for d in decisions] == [
        ("confirm", "M-a", "E-1"), ("reject", None, "E-2"), ("confirm", None, "E-3")]
    assert skipped == 1


def test_first_candidate() -> None:
    assert first_candidate("M-a; M-b") == "M-a"
    assert first_candidate("M-a;M-b") == "M-a"
    assert first_candidate("") is None and first_candidate(None) is None


def test_damaged_workbook_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "q.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(ReconkitError, match="cannot read the workbook"):
        read_decisions(bad)
