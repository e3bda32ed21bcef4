"""Execute each notebook on the bundled sample month (nbclient, venv kernel) and check outputs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SAMPLE = REPO / "data_samples" / "sample" / "run_canonical.yaml"

pytestmark = pytest.mark.slow


def execute(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Run a notebook from the notebooks folder with outputs redirected to `tmp_path`; return
    its code cells' outputs (one list per code cell)."""
    if not SAMPLE.exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("RECONKIT_OUT", str(tmp_path))
    monkeypatch.setenv("RECONKIT_STORE", str(tmp_path / "decisions.sqlite"))
    monkeypatch.setenv("RECONKIT_USER", "tester")
    monkeypatch.delenv("RECONKIT_CONFIG", raising=False)
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "notebooks are committed with outputs stripped"
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return [c.outputs for c in nb.cells if c.cell_type == "code"]


def text_of(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for o in outputs:
        parts.append(o.get("text", ""))
        for mime in ("text/plain", "text/html"):
            parts.append(o.get("data", {}).get(mime, ""))
    return "\n".join(parts)


def test_01_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = execute("01_audit", tmp_path, monkeypatch)
    assert "run config: data_samples/sample/run_canonical.yaml" in text_of(cells[0])
    assert "rows_quarantined" in text_of(cells[1])
    assert "Rows quarantined: 0" in text_of(cells[2])
    assert "payer_iban" in text_of(cells[3])
    assert "bank_charge" in text_of(cells[4]) and "top_parties" in text_of(cells[4])
    chart = text_of(cells[5])
    assert "vega" in chart and "Exceptions per category" in chart


def test_02_monthly_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    cells = execute("02_monthly_run", tmp_path, monkeypatch)
    assert "done: " in text_of(cells[1])
    # the run shows an ipywidgets progress bar
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cells[1])
    summary = text_of(cells[2])
    assert "Auto-matched bank lines:" in summary and "Exceptions to review:" in summary
    run_dir = tmp_path / "monthly"
    for table in ("matches", "match_items", "exceptions", "parties", "quarantine"):
        assert (run_dir / f"{table}.csv").exists() and (run_dir / f"{table}.parquet").exists()
    exceptions = pl.read_csv(run_dir / "exceptions.csv")
    to_review = exceptions.filter(
        ~pl.col("category").is_in(["bank_charge", "commitment_not_in_period"])).height
    assert f"Review queue exported: review_queue.xlsx ({to_review} rows)" in text_of(cells[4])
    ws = load_workbook(run_dir / "review_queue.xlsx")["review queue"]
    assert ws.max_row == to_review + 1
    header = [c.value for c in ws[1]]
    assert header[:3] == ["exception_id", "category", "title"] and "amount" in header


def test_03_exception_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = execute("03_exception_review", tmp_path, monkeypatch)
    assert "0 learned aliases used; decisions stored in decisions.sqlite" in text_of(cells[1])
    assert "exceptions in the queue" in text_of(cells[2])
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cells[2])
    db = sqlite3.connect(tmp_path / "decisions.sqlite")
    assert db.execute("SELECT count(*) FROM decisions").fetchone() == (0,)


def test_04_rule_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconkit import load_catalog

    catalog = load_catalog(REPO / "rule_catalog")
    cells = execute("04_rule_catalog", tmp_path, monkeypatch)
    assert (f"{len(catalog.rules)} rules, {len(catalog.categories)} exception categories"
            in text_of(cells[1]))
    assert "Exported rule_catalog.xlsx and rule_catalog.md" in text_of(cells[3])
    md = (tmp_path / "catalog" / "rule_catalog.md").read_text(encoding="utf-8").splitlines()
    assert md[0].startswith("| id | link | priority | title |")
    assert len(md) == len(catalog.rules) + 2
    assert md[2].startswith(f"| {catalog.rules[0].id} |")
