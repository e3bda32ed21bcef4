"""The exceptions workbook, and feeding it back with `review decide-file`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from reconkit.catalog import load_catalog
from reconkit.result import ReconResult
from reconkit.review.queue import review_queue
from reconkit.review.store import DecisionStore
from reconkit.review.workbook import write_exceptions_workbook

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"


def test_workbook_sheets_types_and_formats(tmp_path: Path, tiny_result: ReconResult) -> None:
    queue = review_queue(tiny_result)
    path = write_exceptions_workbook(queue, tmp_path / "q.xlsx", catalog=load_catalog())
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "review queue", "Credit note on an unknown invoi",
                             "Not booked in the ERP", "Unresolved client"]
    summary = wb["Summary"]
    assert [c.value for c in summary[1]] == ["Category", "Exceptions", "Decided", "To decide",
                                             "Amount", "Oldest (days)", "What to do"]
    assert summary["A2"].value == "Not booked in the ERP"
    assert summary["E2"].value == Decimal("500.00")
    assert summary["E2"].number_format == '#,##0.00 "EUR"'
    assert summary["A5"].value == "Total" and summary["B5"].value == 3
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    credit = wb["Credit note on an unknown invoi"]  # 31 characters at most
    assert [c.value for c in credit[1]][:6] == ["Client", "Record", "System", "Date",
                                                "Amount", "Age (days)"]
    row = [c for c in credit[2]]
    assert row[0].value == "Acme SAS" and row[1].value == "A-1"
    assert row[3].value.date() == date(2024, 3, 20) and row[3].is_date
    assert row[4].value == Decimal("-20.00") and row[4].data_type == "n"
    assert row[4].number_format == '#,##0.00 "EUR"'
    raw = wb["review queue"]
    head = [c.value for c in raw[1]]
    assert head[:2] == ["exception_id", "category"] and head[-2:] == ["action", "note"]


@pytest.mark.slow
def test_confirm_rows_of_the_workbook_confirm_their_best_candidate(tmp_path: Path) -> None:
    if not (SAMPLE / "run_canonical.yaml").exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    from reconkit.cli import app

    config = SAMPLE / "run_canonical.yaml"
    store, book = tmp_path / "d.sqlite", tmp_path / "q.xlsx"
    runner = CliRunner()
    res = runner.invoke(app, ["review", "queue", str(config), "--out", str(book)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(book)
    ws = wb["review queue"]
    head = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(head)}
    chosen = []
    for r in ws.iter_rows(min_row=2):
        cands = r[col["candidate_ids"]].value
        if cands and r[col["category"]].value in ("payer_is_other_entity", "unresolved_party",
                                                  "grouped_payment") and len(chosen) < 3:
            r[col["action"]].value = "confirm"
            chosen.append((r[col["exception_id"]].value, cands.split("; ")[0]))
    wb.save(book)
    assert len(chosen) == 3
    res = runner.invoke(app, ["review", "decide-file", str(book), "--store", str(store),
                              "--user", "carol", "--config", str(config)])
    assert res.exit_code == 0, res.output
    assert "Recorded 3 decisions" in res.output
    with DecisionStore(store) as db:
        got = db.history().select("exception_id", "match_id", "action").rows()
        assert sorted(got) == sorted((e, m, "confirm") for e, m in chosen)
        assert db.aliases().height >= 1  # the screen's rule: unknown payer IBANs learned
        import reconkit

        applied = db.apply(reconkit.run(reconkit.load_config(config)))
    status = dict(applied.matches.select("match_id", "status").iter_rows())
    assert [status[m] for _e, m in chosen] == ["confirmed"] * 3
    assert pl.Series([m for _e, m in chosen]).is_unique().all()
