"""Execute each notebook on the bundled sample month (nbclient, venv kernel) and check outputs.

Every notebook is an analyst document: committed with their outputs (so they read
before they run), paired with a jupytext percent script `NN_name.py` (readable diffs) that
must hold the same cells, and their charts render offline (Vega-Lite 5 + SVG fallback).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SAMPLE = REPO / "data_samples" / "sample" / "run_canonical.yaml"

PAIRED = ("01_audit", "02_monthly_run", "03_exception_review",
          "04_rule_catalog")  # committed with outputs

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
    if name not in PAIRED:
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


def charts_of(cells: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The mime bundles of the chart outputs, in order."""
    return [o["data"] for outputs in cells for o in outputs
            if "application/vnd.vegalite.v5+json" in o.get("data", {})]


def assert_offline_chart(bundle: dict[str, Any], title: str) -> None:
    """Drawn by JupyterLab's own Vega-Lite 5 renderer, with an SVG for other front ends:
    nothing loads from a CDN."""
    spec = bundle["application/vnd.vegalite.v5+json"]
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v5.21.json"
    assert spec["title"] == title
    assert bundle["image/svg+xml"].lstrip().startswith("<svg")
    assert "<script" not in str(bundle)


@pytest.mark.parametrize("name", PAIRED)
def test_paired_scripts_hold_the_same_cells(name: str) -> None:
    jupytext = pytest.importorskip("jupytext")
    nbformat = pytest.importorskip("nbformat")
    script = jupytext.read(NOTEBOOKS / f"{name}.py")
    stored = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [(c.cell_type, c.source) for c in script.cells] == \
        [(c.cell_type, c.source) for c in stored.cells], \
        f"run `jupytext --sync notebooks/{name}.ipynb`"
    assert stored.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert all(c.get("outputs") for c in code[:2]), "committed with outputs"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    # analyst documents: say what to look at first, end with what to do next
    assert stored.cells[-1].cell_type == "markdown"
    assert stored.cells[-1].source.startswith("## What to do next")


def test_01_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = execute("01_audit", tmp_path, monkeypatch)
    assert "run config: data_samples/sample/run_native.yaml" in text_of(cells[0])
    assert "rows_quarantined" in text_of(cells[1])
    assert "Rows quarantined: 0" in text_of(cells[2])
    assert "payer_iban" in text_of(cells[3])
    assert "bank_charge" in text_of(cells[4]) and "top_parties" in text_of(cells[4])
    rules = text_of(cells[6])
    assert "- [references] Payers cite the invoice they pay in 88.6% of lettered receipts " \
           "(295 of 333)" in rules
    assert "- [payers] RENAULT AUTOMATISMES EURL (client account C00485, IBAN " \
           "FR7630002675473650847330366) pays for SANCHEZ INGENIERIE SAS (C00403)" in rules
    assert "- [tolerances] Differences up to 19.00 and 2.0% of the invoiced amount are " \
           "written off to account 627800 (bank fees): 12 lettered groups" in rules
    assert "C00485" in text_of(cells[12]) and "C00403" in text_of(cells[12])  # payer pairs
    charts = charts_of(cells)
    assert len(charts) == 4
    for bundle, title in zip(charts, ("Exceptions per category",
                                      "How payers cite the invoice (lettered receipts)",
                                      "Lettered groups by difference written off (EUR)",
                                      "Clients by median days from invoice to payment"),
                             strict=True):
        assert_offline_chart(bundle, title)
    assert "audit/draft_catalog/mined.yaml" in text_of(cells[-1])
    from reconkit import load_catalog

    draft = load_catalog(tmp_path / "audit" / "draft_catalog")
    assert {r.id for r in draft.rules if r.source == "mined"} == {
        "PAY-MINED-REF", "PAY-MINED-OTHER-ENTITY", "PAY-MINED-WRITE-OFF-627",
        "PAY-MINED-WRITE-OFF-665", "PAY-MINED-WRITE-OFF-658"}
    assert (tmp_path / "audit" / "audit_report.html").stat().st_size > 100_000


def test_02_monthly_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    cells = execute("02_monthly_run", tmp_path, monkeypatch)
    assert "done: " in text_of(cells[1])
    # the run shows an ipywidgets progress bar
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cells[1])
    summary = text_of(cells[2])
    assert "Auto-matched bank lines:" in summary and "Exceptions to review:" in summary
    charts = charts_of(cells)
    for bundle, title in zip(charts, (
            "Received bank lines settled automatically, rule by rule (%)",
            "Exceptions to decide: money at stake (EUR)",
            "Open invoices by days past due (EUR)"), strict=True):
        assert_offline_chart(bundle, title)
    assert len(charts) == 3
    run_dir = tmp_path / "monthly"
    assert "Management report: report.html (opens offline); 6 chart images" in text_of(cells[6])
    assert sorted(p.name for p in (run_dir / "charts").iterdir())[:2] == [
        "auto_waterfall.png", "auto_waterfall.svg"]
    for table in ("matches", "match_items", "exceptions", "parties", "quarantine"):
        assert (run_dir / f"{table}.csv").exists() and (run_dir / f"{table}.parquet").exists()
    exceptions = pl.read_csv(run_dir / "exceptions.csv")
    to_review = exceptions.filter(
        ~pl.col("category").is_in(["bank_charge", "commitment_not_in_period"])).height
    assert f"Review queue exported: review_queue.xlsx ({to_review} rows)" in text_of(cells[8])
    ws = load_workbook(run_dir / "review_queue.xlsx")["review queue"]
    assert ws.max_row == to_review + 1
    header = [c.value for c in ws[1]]
    assert header[:3] == ["exception_id", "category", "title"] and "amount" in header


def test_03_exception_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = execute("03_exception_review", tmp_path, monkeypatch)
    assert "0 learned aliases used; decisions stored in decisions.sqlite" in text_of(cells[1])
    charts = charts_of(cells)
    for bundle, title in zip(charts, ("Review queue: money at stake per category (EUR)",
                                      "Review queue: exceptions by age of the record"),
                             strict=True):
        assert_offline_chart(bundle, title)
    assert len(charts) == 2
    assert "invoice_without_commitment" in text_of(cells[4])  # most money at stake first
    assert "54 exceptions in the queue" in text_of(cells[5])
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cells[5])
    db = sqlite3.connect(tmp_path / "decisions.sqlite")
    assert db.execute("SELECT count(*) FROM decisions").fetchone() == (0,)


def test_04_rule_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconkit import load_catalog

    catalog = load_catalog(REPO / "rule_catalog")
    cells = execute("04_rule_catalog", tmp_path, monkeypatch)
    listing = text_of(cells[1])
    assert f"{len(catalog.rules)} rules, {len(catalog.categories)} exception categories" \
        in listing
    assert "hits_auto" in listing
    assert "Exported rule_catalog.xlsx, rule_catalog.md and rule_catalog.html" \
        in text_of(cells[3])
    md = (tmp_path / "catalog" / "rule_catalog.md").read_text(encoding="utf-8")
    assert md.startswith("# Rule catalog\n")
    assert md.count("\n## ") == len(catalog.rules) + 1  # one section per rule + categories
    assert "\n## Exception categories\n" in md
    assert "| PAY-REF-EXACT | payment_invoice | 10 | Reference, amount and client agree | 256 |" \
        in md
    assert "No draft catalog yet: run notebook 01 first." in text_of(cells[4])
