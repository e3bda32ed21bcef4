"""The catalog as documentation (every field and matcher parameter, hits, precision), the
diff of two catalogs, the what-if comparison of two runs, and their commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from reconkit.audit.whatif import compare_runs, whatif_summary
from reconkit.catalog import load_catalog
from reconkit.catalog.document import (
    catalog_diff,
    catalog_html,
    catalog_markdown,
    flatten,
    rule_documentation,
    tolerances_text,
)
from reconkit.cli import app
from reconkit.paths import DEFAULT_CATALOG
from reconkit.result import ReconResult, empty

runner = CliRunner()


def test_flatten_walks_nested_params() -> None:
    params = {"matchers": [{"kind": "a", "params": {"w": 1}}, {"kind": "b"}], "k": 2,
              "empty": {}}
    assert flatten(params) == [("matchers[0].kind", "a"), ("matchers[0].params.w", 1),
                               ("matchers[1].kind", "b"), ("k", 2), ("empty", {})]
    assert tolerances_text({"max_fee_cents": 2550, "max_fee_bp": 200, "k": 3}) == \
        "max_fee_cents=2550 (25.50); max_fee_bp=200 (2.00%); k=3"
    assert tolerances_text({}) == "(defaults)"


def _matches() -> pl.DataFrame:
    return pl.DataFrame({"match_id": ["M1", "M2", "M3", "M4"],
                         "rule_id": ["PAY-REF-EXACT", "PAY-REF-EXACT", "PAY-FEE", "PAY-FEE"],
                         "status": ["auto", "auto", "review", "review"]})


def _decisions() -> pl.DataFrame:
    return pl.DataFrame({"decision_id": [1, 2, 3, 4], "match_id": ["M1", "M3", "M4", "M4"],
                         "action": ["confirm", "confirm", "confirm", "reject"]})


def test_documentation_rows_hits_and_precision() -> None:
    doc = rule_documentation(load_catalog(), matches=_matches(), decisions=_decisions())
    fee = doc.filter(pl.col("id") == "PAY-FEE").row(0, named=True)
    assert fee["tolerances"] == (
        "party_threshold=0.85; max_fee_cents=2500 (25.00); max_fee_bp=200 (2.00%); "
        "score.reference=0.5; score.amount=0.0; score.party=0.25; score.bonus=0.2")
    assert fee["threshold"] == "always reviewed"
    assert fee["exception_category"] == "bank_fee_deducted (decision: Bank fee deducted)"
    assert (fee["hits_auto"], fee["hits_review"], fee["confirmed"], fee["rejected"],
            fee["precision"]) == (0, 2, 1, 1, 0.5)
    exact = doc.filter(pl.col("id") == "PAY-REF-EXACT").row(0, named=True)
    assert (exact["hits_auto"], exact["confirmed"], exact["precision"]) == (2, 1, 1.0)
    assert exact["threshold"] == "auto at score >= 0.9"
    unmeasured = rule_documentation(load_catalog())
    assert unmeasured["hits_auto"].null_count() == unmeasured.height


def test_markdown_and_html_state_each_rule() -> None:
    doc = rule_documentation(load_catalog(), matches=_matches(), decisions=_decisions())
    md = catalog_markdown(doc)
    assert "## PAY-FEE: Bank fee deducted" in md
    assert "- **Hits: 0 auto, 2 to review, 0 confirmed. Reviewed: 1 confirmed, 1 rejected, " \
           "precision 50.0%.**" in md
    assert "- **Owner:** accounts-receivable" in md
    page = catalog_html(doc)
    assert page.count("<h2 id=") == doc.height and "<script" not in page


def test_diff_names_added_removed_and_changed_fields(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(DEFAULT_CATALOG, new)
    text = (new / "payments.yaml").read_text(encoding="utf-8")
    text = text.replace("max_fee_cents: 2500     # at most 25.00",
                        "max_fee_cents: 3000     # at most 25.00", 1)
    (new / "payments.yaml").write_text(text, encoding="utf-8")
    ledger = (new / "ledger.yaml").read_text(encoding="utf-8")
    (new / "ledger.yaml").write_text(ledger.replace("id: LEDGER-UNEXPLAINED",
                                                    "id: LEDGER-UNEXPLAINED-2"),
                                     encoding="utf-8")
    diff = catalog_diff(load_catalog(DEFAULT_CATALOG), load_catalog(new))
    assert diff.rows() == [
        ("rule", "LEDGER-UNEXPLAINED", "removed", None, None),
        ("rule", "LEDGER-UNEXPLAINED-2", "added", None, None),
        ("rule", "PAY-FEE", "changed matcher.params.max_fee_cents", "2500", "3000")]
    res = runner.invoke(app, ["catalog", "diff", str(DEFAULT_CATALOG), str(new)])
    assert res.exit_code == 0, res.output
    assert "PAY-FEE                    changed matcher.params.max_fee_cents: 2500 -> 3000" \
        in res.output


def _result(rows: list[tuple[str, str, str, str]]) -> ReconResult:
    matches = pl.DataFrame(rows, schema=["match_id", "kind", "rule_id", "status"],
                           orient="row")
    items = pl.DataFrame({"match_id": [r[0] for r in rows], "system": ["bank"] * len(rows),
                          "record_id": [f"p{r[0]}" for r in rows], "role": ["payment"] * len(rows),
                          "amount_cents": [1] * len(rows)})
    return ReconResult(matches=matches, match_items=items, exceptions=empty("exceptions"),
                       parties=empty("parties"), quarantine=empty("quarantine"))


def test_whatif_lists_appearing_disappearing_and_changed_matches() -> None:
    old = _result([("M1", "payment_invoice", "R1", "auto"), ("M2", "payment_invoice", "R1",
                                                                "auto"),
                   ("M3", "payment_invoice", "R2", "review"), ("M5", "party", "P", "auto")])
    new = _result([("M1", "payment_invoice", "R1", "auto"), ("M2", "payment_invoice", "R9",
                                                                "auto"),
                   ("M3", "payment_invoice", "R3", "auto"), ("M4", "payment_invoice", "R3",
                                                            "review")])
    diff = compare_runs(old, new)
    assert diff.select("change", "match_id", "old_rule", "new_rule", "old_status",
                       "new_status", "records").rows() == [
        ("appears", "M4", None, "R3", None, "review", "bank:pM4"),
        ("disappears", "M5", "P", None, "auto", None, "bank:pM5"),
        ("changes status", "M3", "R2", "R3", "review", "auto", "bank:pM3"),
        ("changes rule", "M2", "R1", "R9", "auto", "auto", "bank:pM2")]
    assert whatif_summary(diff)["matches"].to_list() == [1, 1, 1, 1]


def test_export_command_formats_and_store(tmp_path: Path) -> None:
    from reconkit.review.store import DecisionStore

    run = tmp_path / "run"
    run.mkdir()
    _matches().write_csv(run / "matches.csv")
    store = tmp_path / "d.sqlite"
    with DecisionStore(store) as st:
        st.record("confirm", user="ana", match_id="M1")
        st.record("reject", user="ana", match_id="M2")
    out = tmp_path / "cat.md"
    res = runner.invoke(app, ["catalog", "export", "--out", str(out), "--run", str(run),
                              "--store", str(store)])
    assert res.exit_code == 0, res.output
    md = out.read_text(encoding="utf-8")
    assert "| PAY-REF-EXACT | payment_invoice | 10 | Reference, amount and client agree | 2 | " \
           "0 | 0 | 50.0% |" in md
    for fmt in ("html", "xlsx"):
        res = runner.invoke(app, ["catalog", "export", "--out", str(tmp_path / f"c.{fmt}"),
                                  "--format", fmt])
        assert res.exit_code == 0, res.output
        assert (tmp_path / f"c.{fmt}").stat().st_size > 1000
    res = runner.invoke(app, ["catalog", "export", "--out", str(out), "--store", str(store)])
    assert res.exit_code == 2 and "--store needs --run" in res.output


@pytest.mark.slow
def test_whatif_command_on_the_sample_with_the_draft_catalog(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[1] / "data_samples" / "sample"
    draft = tmp_path / "draft"
    shutil.copytree(DEFAULT_CATALOG, draft)
    text = (draft / "payments.yaml").read_text(encoding="utf-8")
    (draft / "payments.yaml").write_text(
        text.replace("max_fee_cents: 2500     # at most 25.00",
                     "max_fee_cents: 100     # at most 25.00", 1),
        encoding="utf-8")
    out = tmp_path / "wi.csv"
    res = runner.invoke(app, ["catalog", "what-if", str(sample / "run_canonical.yaml"),
                              "--catalog", str(draft), "--out", str(out)])
    assert res.exit_code == 0, res.output
    diff = pl.read_csv(out)
    # fees of 16.90, 19.15 and 21.69 no longer fit a 1.00 tolerance: PAY-PARTIAL keeps its
    # own 25.00 fee tolerance, so the payer-led fee rule (which ignores the reference and
    # keeps its own 25.00) proposes them instead, for review: the only change of the month
    fee = diff.filter(pl.col("old_rule") == "PAY-FEE")
    assert fee.select("change", "old_status", "new_rule").rows() == \
        [("changes rule", "review", "PAY-PARTY-FEE")] * 3
    assert diff.height == 3


def test_markdown_export_lists_every_number_the_engine_uses(tmp_path: Path) -> None:
    """Each rule's matcher parameters and every shared setting appear in the document."""
    from reconkit.catalog.document import catalog_markdown, flatten, rule_documentation

    cat = load_catalog(DEFAULT_CATALOG)
    text = catalog_markdown(rule_documentation(cat), categories=cat.categories_frame(),
                            settings=cat.settings_frame())
    for rule in cat.rules:
        section = text.split(f"## {rule.id}:", 1)[1].split("\n## ", 1)[0]
        for path, value in flatten(rule.matcher.params):
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert f"{path}={value}" in section, (rule.id, path)
    settings = text.split("## Shared settings", 1)[1]
    assert "| reading | evidence_scores.fuzzy | 0.85 |" in settings
    assert "| party_resolution | name_attach_min | 0.92 |" in settings
