"""The bundled sample month end to end: figures against its ground truth, determinism, the
native exports giving the same result as the canonical files, and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from data_samples.evaluate import Truth, evaluate
from reconkit import load_config, run
from reconkit.result import ReconResult

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data_samples" / "sample"


@pytest.fixture(scope="module")
def canonical() -> ReconResult:
    return run(load_config(SAMPLE / "run_canonical.yaml"))


@pytest.fixture(scope="module")
def report(canonical: ReconResult) -> dict:
    return evaluate(canonical, Truth.read(SAMPLE))


def test_payment_links_meet_the_targets(report: dict) -> None:
    pi = report["links"]["payment_invoice"]
    assert pi["auto"]["precision"] >= 0.995, pi
    assert pi["auto"]["recall"] >= 0.90, pi
    assert pi["auto_or_review"]["recall"] >= 0.98, pi


def test_every_exception_category_is_detected(report: dict) -> None:
    low = {c: r for c, r in report["exceptions"].items() if r["recall"] < 0.9}
    assert not low, low


def test_no_decoy_payment_is_auto_matched(report: dict) -> None:
    assert report["decoys_auto_matched"] == []


def test_party_map_beats_the_name_baseline(report: dict) -> None:
    p = report["parties"]
    assert p["reconkit"]["f1"] > p["baseline_exact_normalised_name"]["f1"]
    assert p["reconkit"]["precision"] >= 0.99


def test_nothing_lost_on_the_sample(canonical: ReconResult) -> None:
    assert canonical.exceptions.filter(pl.col("category") == "unaccounted_record").height == 0
    assert canonical.quarantine.height == 0


def test_two_runs_write_identical_files(tmp_path: Path) -> None:
    cfg = load_config(SAMPLE / "run_canonical.yaml")
    run(cfg, tmp_path / "a")
    run(cfg, tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "matches.parquet" in files and "exceptions.csv" in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.slow
def test_native_exports_give_the_same_result(canonical: ReconResult) -> None:
    native = run(load_config(SAMPLE / "run_native.yaml"))
    for name in ("matches", "match_items", "exceptions", "parties"):
        a, b = canonical.tables()[name], native.tables()[name]
        assert a.equals(b), (name, a.height, b.height)


def test_cli_run_writes_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "reconkit.cli", "run",
                           str(SAMPLE / "run_canonical.yaml"), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Auto-matched bank lines" in proc.stdout
    for table in ("matches", "match_items", "exceptions", "parties", "quarantine"):
        assert (out / f"{table}.csv").exists() and (out / f"{table}.parquet").exists()


def test_cli_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("period: 2026-13\nsources: []\n")
    proc = subprocess.run([sys.executable, "-m", "reconkit.cli", "run", str(cfg)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "period" in proc.stderr and "Traceback" not in proc.stderr


def test_result_uses_only_contract_values(canonical: ReconResult) -> None:
    from reconkit.catalog import load_catalog
    from reconkit.result import CONTRACT
    from reconkit.vocabulary import LINK_KINDS as MATCH_KINDS
    from reconkit.vocabulary import MATCH_STATUSES

    assert set(canonical.matches["kind"].unique()) <= set(MATCH_KINDS)
    assert set(canonical.matches["status"].unique()) <= set(MATCH_STATUSES)
    assert set(canonical.exceptions["category"].unique()) <= load_catalog().category_ids()
    for name, df in canonical.tables().items():
        assert df.columns == list(CONTRACT[name]), name
    # every item of a match points at a record of the inputs (or a resolved party)
    ids = {(s, r) for s, r in canonical.parties.select("system", "source_id").iter_rows()}
    for table, system in (("payments", "bank"), ("invoices", "billing"),
                          ("ledger_lines", "erp"), ("commitments", "crm")):
        ids |= {(system, r) for r in canonical.inputs[table]["record_id"].to_list()}
    items = set(canonical.match_items.select("system", "record_id").iter_rows())
    assert items <= ids
