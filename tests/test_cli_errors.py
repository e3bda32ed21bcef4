"""Bad input through the whole run: clear errors or quarantine, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"
CATALOG = Path(__file__).resolve().parents[1] / "rule_catalog"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconkit.cli", *args], capture_output=True,
                          text=True, check=False)


def _config(tmp_path: Path, payments: Path) -> Path:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        f'period: "2026-10"\ncatalog: {CATALOG}\nsources:\n'
        f"  - {{name: invoices, kind: csv, path: {SAMPLE}/canonical/invoices.csv, "
        "profile: canonical_invoices}\n"
        f"  - {{name: bank, kind: csv, path: {payments}, profile: canonical_payments}}\n")
    return cfg


def test_bad_rows_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    lines = (SAMPLE / "canonical" / "payments.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:6]
    cols = header.split(",")
    bad_date = rows[1].split(",")
    bad_date[cols.index("booking_date")] = "2026-13-45"
    bad_amount = rows[2].split(",")
    bad_amount[cols.index("amount_cents")] = "12.5O"
    dup = rows[0]
    path = tmp_path / "payments.csv"
    path.write_text("\n".join([header, rows[0], ",".join(bad_date), ",".join(bad_amount), dup,
                               rows[3]]) + "\n")
    out = tmp_path / "out"
    proc = _cli("run", str(_config(tmp_path, path)), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Rows quarantined: 3" in proc.stdout
    q = pl.read_csv(out / "quarantine.csv", infer_schema=False)
    assert q.select("source_file", "source_row", "column").rows() == [
        ("payments.csv", "3", "booking_date"), ("payments.csv", "4", "amount_cents"),
        ("payments.csv", "5", "record_id")]
    assert q["reason"][0].startswith("not a date")
    assert q["reason"][1] == "not a whole number"
    assert q["reason"][2].startswith("duplicate id")
    report = pl.read_csv(out / "load_report.csv")
    row = report.filter(pl.col("source_file") == "payments.csv").row(0, named=True)
    assert (row["rows_read"], row["rows_loaded"], row["rows_quarantined"]) == (5, 2, 3)


def test_missing_source_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = _cli("run", str(_config(tmp_path, tmp_path / "nope.csv")))
    assert proc.returncode == 2
    assert "source 'bank'" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_source_kind_lists_the_known_ones(tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f'period: "2026-10"\nsources:\n  - {{name: x, kind: sap, path: {cfg}}}\n')
    proc = _cli("run", str(cfg))
    assert proc.returncode == 2
    assert "unknown source kind 'sap'" in proc.stderr and "camt053" in proc.stderr


def test_wrong_file_for_its_kind_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "statement.xml"
    fake.write_text("this is not xml")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f'period: "2026-10"\nsources:\n  - {{name: bank, kind: camt053, path: {fake}}}\n')
    proc = _cli("run", str(cfg))
    assert proc.returncode == 2, proc.stderr
    assert "statement.xml" in proc.stderr and "Traceback" not in proc.stderr


def test_out_pointing_at_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    taken = tmp_path / "report.txt"
    taken.write_text("not a folder")
    proc = _cli("run", str(SAMPLE / "run_canonical.yaml"), "--out", str(taken), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "is not a folder" in proc.stderr and "internal error" not in proc.stderr
    assert taken.read_text() == "not a folder"


def test_period_outside_every_date_of_the_files_is_an_error(tmp_path: Path) -> None:
    cfg = _config(tmp_path, SAMPLE / "canonical" / "payments.csv")
    cfg.write_text(cfg.read_text().replace('period: "2026-10"', 'period: "2024-03"'))
    proc = _cli("run", str(cfg), "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "2024-03" in proc.stderr or "period" in proc.stderr
    assert not (tmp_path / "out" / "matches.csv").exists()
