"""Management report figures from a hand-made run folder: waterfall by rule, money at stake,
open items by age, hours saved; the page is self-contained and deterministic."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from reconkit.report_html.dashboard import (
    RunFolder,
    auto_waterfall,
    exceptions_at_stake,
    hours_saved,
    open_items_by_age,
)
from reconkit.report_html.management import ManagementReport


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    pl.DataFrame({
        "match_id": ["M1", "M2", "M3", "M4", "M5"],
        "kind": ["payment_invoice"] * 4 + ["invoice_ledger"],
        "rule_id": ["PAY-REF-EXACT", "PAY-REF-EXACT", "PAY-FEE", "PAY-REF-EXACT", "DOC"],
        "status": ["auto", "auto", "auto", "review", "auto"],
        "score": [1.0] * 5, "explanation": [""] * 5, "evidence": ["{}"] * 5,
        "alternative": [False] * 5}).write_csv(tmp_path / "matches.csv")
    pl.DataFrame({
        "match_id": ["M1", "M1", "M2", "M2", "M3", "M4", "M5"],
        "system": ["bank", "billing", "bank", "billing", "bank", "bank", "billing"],
        "record_id": ["p1", "in_1", "p2", "in_2", "p3", "p4", "in_3"],
        "role": ["payment", "invoice", "payment", "invoice", "payment", "payment", "invoice"],
        "amount_cents": [100, 100, 200, 200, 300, 400, 500]}).write_csv(
        tmp_path / "match_items.csv")
    pl.DataFrame({
        "exception_id": ["E1", "E2", "E3"], "category": ["partial_payment", "bank_charge",
                                                         "partial_payment"],
        "system": ["bank", "bank", "billing"], "record_id": ["p4", "p5", "in_3"],
        "detail": ["", "", ""], "candidate_match_ids": ["M4", "", ""]}).write_csv(
        tmp_path / "exceptions.csv")
    (tmp_path / "summary.json").write_text(json.dumps(
        {"auto_match_bank_lines": {"received_payments": 4, "auto_matched": 3,
                                   "auto_rate_by_count": 0.75, "auto_rate_by_amount": 0.6},
         "exceptions_to_review": 2}))
    return tmp_path


def _inputs() -> dict[str, pl.DataFrame]:
    inv = pl.DataFrame({
        "record_id": ["in_1", "in_2", "in_3", "in_4", "in_5"],
        "doc_type": ["invoice"] * 5, "status": ["open", "open", "open", "open", "paid"],
        "number": ["F1", "F2", "F3", "F4", "F5"], "party_record_id": ["c"] * 5,
        "currency": ["EUR"] * 5, "amount_cents": [100, 200, 500, 700, 900],
        "issue_date": [date(2026, 9, 1)] * 5,
        "due_date": [date(2026, 10, 1), date(2026, 10, 1), date(2026, 8, 1),
                     date(2026, 11, 30), date(2026, 9, 1)]})
    pay = pl.DataFrame({"record_id": ["p4", "p5"], "amount_cents": [400, -80],
                        "currency": ["EUR", "EUR"],
                        "booking_date": [date(2026, 10, 31), date(2026, 10, 31)],
                        "payer_name": ["X", "BANK"], "payer_iban": [None, None]})
    return {"invoices": inv, "payments": pay}


def test_waterfall_follows_the_rule_order(run_dir: Path) -> None:
    wf = auto_waterfall(RunFolder.read(run_dir), ["PAY-REF-EXACT", "PAY-FEE"])
    assert wf.rows() == [("PAY-REF-EXACT", 2, 0.0, 50.0, True),
                         ("PAY-FEE", 1, 50.0, 75.0, True),
                         ("not automated (review, exception)", 1, 75.0, 100.0, False)]


def test_money_at_stake_and_open_items(run_dir: Path) -> None:
    run = RunFolder.read(run_dir)
    stake = exceptions_at_stake(run, _inputs(), {"bank_charge": "info"})
    assert stake.rows() == [("partial_payment", 2, 900, "exception"),
                            ("bank_charge", 1, 80, "info")]
    # as of 2026-10-31: in_3 due 08-01 (91 days late), in_4 not due; in_1/in_2 auto-paid,
    # in_5 paid before the month
    assert open_items_by_age(run, _inputs()).rows() == [("not yet due", 1, 700),
                                                       ("over 90 days late", 1, 500)]
    assert open_items_by_age(run, None).height == 0
    # a run whose exceptions carry a severity column (decision | info)
    sev = RunFolder(run.matches, run.match_items, run.exceptions.with_columns(
        pl.Series("severity", ["decision", "info", "decision"])), run.summary, None)
    assert exceptions_at_stake(sev, _inputs(), {})["severity"].to_list() == ["decision", "info"]


def test_hours_saved_uses_the_documented_minutes(run_dir: Path) -> None:
    hours, per_kind = hours_saved(RunFolder.read(run_dir))
    assert per_kind.rows() == [("invoice_ledger", 1, 1.0, 0.0), ("payment_invoice", 3, 4.0, 0.2)]
    assert hours == 0.2


def test_page_is_self_contained_and_deterministic(run_dir: Path, tmp_path: Path) -> None:
    from reconkit.catalog import load_catalog

    cat = load_catalog()
    a = ManagementReport.build(run_dir, inputs=_inputs(), catalog=cat).html()
    b = ManagementReport.build(run_dir, inputs=_inputs(), catalog=cat).html()
    assert a == b
    assert "https://cdn" not in a and "<script src" not in a
    assert a.count('<div class="chart"') == 3
    assert "Statement balance checks" not in a
    pl.DataFrame({"account": ["FR76"], "opening_cents": [0], "closing_cents": [100],
                  "check": ["ok"]}).write_csv(run_dir / "statements.csv")
    c = ManagementReport.build(run_dir, inputs=_inputs(), catalog=cat).html()
    assert "Statement balance checks" in c and "<td>ok</td>" in c


def test_not_a_run_folder(tmp_path: Path) -> None:
    from reconkit.errors import ReconkitError

    with pytest.raises(ReconkitError, match="not a run folder"):
        RunFolder.read(tmp_path)


def test_report_command_writes_page_and_images(run_dir: Path) -> None:
    from typer.testing import CliRunner

    from reconkit.cli import app

    res = CliRunner().invoke(app, ["report", str(run_dir)])
    assert res.exit_code == 0, res.output
    assert f"Report written: {run_dir / 'report.html'} (6 chart images" in res.output
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Needs the month's input tables" in page  # no --config: no ages
    assert sorted(p.suffix for p in (run_dir / "charts").iterdir()) == [".png"] * 3 + [".svg"] * 3
    bad = CliRunner().invoke(app, ["report", str(run_dir / "nope")])
    assert bad.exit_code == 2 and "not a run folder" in bad.output
