"""Export safety: no text from the data becomes a spreadsheet formula in any export."""

from __future__ import annotations

import csv
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from reconkit.safe_export import neutralise, safe_frame, write_csv, write_xlsx

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"
HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)", "-2+3", "\tTAB", "\rCR"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("value, safe", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+cmd", "'+cmd"), ("@SUM(1)", "'@SUM(1)"), ("-2+3", "'-2+3"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-12.50", "-12.50"), ("+3", "+3"), ("ACME SAS", "ACME SAS"), ("", ""),
])
def test_neutralise_prefixes_formula_triggers_only(value: str, safe: str) -> None:
    assert neutralise(value) == safe


def test_safe_frame_keeps_numbers_and_neutralises_text_and_lists() -> None:
    df = pl.DataFrame({"name": ["=1+1", "Acme", None], "amount_cents": [-2500, 100, None],
                       "ids": [["-x", "y"], [], None]})
    out = safe_frame(df)
    assert out["name"].to_list() == ["'=1+1", "Acme", None]
    assert out["amount_cents"].to_list() == [-2500, 100, None]
    assert out.schema["amount_cents"] == pl.Int64
    assert out["ids"].to_list() == ["'-x; y", "", None]
    # the vectorised expression and the scalar rule agree
    values = [*HOSTILE, "-12.50", "ok", "+3", "'quoted"]
    assert safe_frame(pl.DataFrame({"v": values}))["v"].to_list() == [neutralise(v)
                                                                      for v in values]


def test_csv_bytes_are_deterministic(tmp_path: Path) -> None:
    df = pl.DataFrame({"payer": HOSTILE, "amount_cents": range(len(HOSTILE))})
    a, b = write_csv(df, tmp_path / "a.csv"), write_csv(df, tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()
    assert _csv_problems(a) == []


def test_xlsx_has_no_formula_and_negative_amounts_are_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    df = pl.DataFrame({"payer": HOSTILE, "amount_cents": [-120050, 5, 0, 1, 2, 3]})
    path = write_xlsx({"q": df}, tmp_path / "q.xlsx")
    ws = load_workbook(path)["q"]
    assert [c.value for c in ws[1]] == ["payer", "amount"]
    assert ws["A2"].value == '=HYPERLINK("http://x","y")' and ws["A2"].data_type == "s"
    assert ws["B2"].value == Decimal("-1200.50") and ws["B2"].data_type == "n"
    assert ws["B2"].number_format == "#,##0.00"
    assert _xlsx_problems(path) == []


def _csv_problems(path: Path) -> list[str]:
    """Cells of a CSV a spreadsheet would read as a formula (numbers are fine)."""
    bad = []
    with path.open(newline="", encoding="utf-8") as f:
        for r, row in enumerate(csv.reader(f), start=1):
            for c, cell in enumerate(row):
                if cell[:1] in TRIGGERS and neutralise(cell) != cell:
                    bad.append(f"{path.name}:{r}:{c}: {cell!r}")
    return bad


def _xlsx_problems(path: Path) -> list[str]:
    """Formula cells (openpyxl data type 'f', or `<f>` in the sheet XML)."""
    from openpyxl import load_workbook

    bad = [f"{path.name}!{ws.title}!{cell.coordinate}"
           for ws in load_workbook(path).worksheets for row in ws.iter_rows() for cell in row
           if cell.data_type == "f"]
    with zipfile.ZipFile(path) as z:
        bad += [f"{path.name}:{n}: <f>" for n in z.namelist()
                if n.startswith("xl/worksheets/") and b"<f>" in z.read(n)]
    return bad


def _hostile_month(tmp_path: Path) -> Path:
    """The sample month with hostile payer names, remittances, client names and one
    quarantined hostile amount."""
    folder = tmp_path / "month"
    shutil.copytree(SAMPLE / "canonical", folder / "canonical")
    shutil.copy(SAMPLE / "run_canonical.yaml", folder / "run.yaml")
    text = (folder / "run.yaml").read_text().replace("../../rule_catalog",
                                                     str(SAMPLE.parents[1] / "rule_catalog"))
    (folder / "run.yaml").write_text(text + "store: decisions.sqlite\n")

    def rewrite(name: str, edits: dict[str, list[str]], rows: int) -> None:
        path = folder / "canonical" / name
        with path.open(newline="", encoding="utf-8") as f:
            data = list(csv.DictReader(f))
        for i in range(rows):
            for column, values in edits.items():
                data[i][column] = values[i % len(values)]
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.DictWriter(f, fieldnames=list(data[0]))
            out.writeheader()
            out.writerows(data)

    rewrite("payments.csv", {"payer_name": HOSTILE, "remittance": HOSTILE[::-1]}, 24)
    rewrite("parties.csv", {"name": HOSTILE}, 12)
    rewrite("invoices.csv", {"po_number": HOSTILE}, 12)
    path = folder / "canonical" / "payments.csv"
    lines = path.read_text().splitlines()
    head = lines[0].split(",")
    cells = lines[30].split(",")
    cells[head.index("amount_cents")] = "=1+1"
    lines[30] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return folder / "run.yaml"


@pytest.mark.slow
def test_every_export_of_a_hostile_month_is_formula_free(tmp_path: Path) -> None:
    if not (SAMPLE / "run_canonical.yaml").exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    from reconkit.cli import app

    config = _hostile_month(tmp_path)
    runner = CliRunner()
    out = tmp_path / "out"
    commands = [
        ["run", str(config), "--out", str(out / "run"), "--quiet"],
        ["review", "queue", str(config), "--out", str(out / "queue.xlsx")],
        ["review", "queue", str(config), "--out", str(out / "queue.csv")],
        ["audit", str(config), "--out", str(out / "audit")],
    ]
    for args in commands:
        res = runner.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    csvs = sorted(out.rglob("*.csv"))
    xlsxs = sorted(out.rglob("*.xlsx"))
    names = {p.name for p in csvs + xlsxs}
    assert {"exceptions.csv", "matches.csv", "quarantine.csv", "lettering.csv", "queue.csv",
            "queue.xlsx", "audit.xlsx"} <= names
    # the hostile values did reach the exports (neutralised), so the check is not vacuous
    everything = "".join(p.read_text(encoding="utf-8") for p in csvs)
    assert "'=HYPERLINK" in everything and "'@SUM(1)" in everything and "'=1+1" in everything
    assert [bad for p in csvs for bad in _csv_problems(p)] == []
    assert [bad for p in xlsxs for bad in _xlsx_problems(p)] == []
    from openpyxl import load_workbook

    queue = load_workbook(out / "queue.xlsx")
    texts = [c.value for ws in queue.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert '=HYPERLINK("http://x","y")' in texts  # shown as text, intact
    amounts = [c.value for ws in queue.worksheets[1:] for row in ws.iter_rows(min_row=2)
               for c in row if c.data_type == "n" and c.number_format.startswith("#,##0.00")]
    assert any(a < 0 for a in amounts)  # negative amounts are numeric cells, not text
