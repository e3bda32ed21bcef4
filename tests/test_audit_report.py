"""The ledger audit end to end on the committed sample: the report states each tacit rule
with its support, is byte-identical when written twice, and the draft catalog loads and
runs."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from reconkit.audit import LedgerAudit
from reconkit.catalog import load_catalog
from reconkit.config import load_config
from reconkit.paths import DEFAULT_CATALOG
from reconkit.pipeline import load_sources

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"


@pytest.fixture(scope="module")
def audit_and_loaded() -> tuple[LedgerAudit, object]:
    cfg = load_config(SAMPLE / "run_native.yaml")
    loaded = load_sources(cfg)
    return LedgerAudit.from_config(cfg, loaded), loaded


def test_report_is_deterministic_and_states_rules(audit_and_loaded: tuple, tmp_path: Path
                                                  ) -> None:
    audit, _ = audit_and_loaded
    a = audit.write(tmp_path / "a", base_catalog=DEFAULT_CATALOG)
    b = audit.write(tmp_path / "b", base_catalog=DEFAULT_CATALOG)
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    md = (tmp_path / "a" / "audit_report.md").read_text(encoding="utf-8")
    assert "- Payers cite the invoice they pay in 88.6% of lettered receipts (295 of 333)" in md
    assert ("- RENAULT AUTOMATISMES EURL (client account C00485, IBAN "
            "FR7630002675473650847330366) pays for SANCHEZ INGENIERIE SAS (C00403): 2 receipts, "
            "4248.00, 1 lettered. (support: 2). Drafted as `PAY-MINED-OTHER-ENTITY`.") in md
    assert ("- Differences up to 19.00 and 2.0% of the invoiced amount are written off to "
            "account 627800 (bank fees): 12 lettered groups, median 9.95, largest 18.22 (2.00%)."
            " (support: 12). Drafted as `PAY-MINED-WRITE-OFF-627`.") in md
    page = (tmp_path / "a" / "audit_report.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in page and "vegaEmbed" in page
    assert page.count('<div class="chart"') == 3
    tacit = pl.read_csv(tmp_path / "a" / "tacit_rules.csv")
    assert tacit["topic"].to_list() == ["references"] + ["tolerances"] * 4 + ["payers"] * 7 + [
        "grouping", "grouping", "delays"]
    assert tacit.filter(pl.col("topic") == "payers")["sentence"][0] == (
        "6 payers paid for another client account (10 receipts, 20673.60): 3 known as clients "
        "themselves (parent, sister company), 3 under a name no client account bears (renamed "
        "client, parent or factor outside the ledger).")


def test_draft_catalog_loads_and_runs(audit_and_loaded: tuple, tmp_path: Path) -> None:
    from reconkit.engine import Reconciliation

    audit, loaded = audit_and_loaded
    audit.write(tmp_path, base_catalog=DEFAULT_CATALOG)
    draft = tmp_path / "draft_catalog"
    cat = load_catalog(draft)
    mined = [r for r in cat.rules if r.source == "mined"]
    # write-off habits of short payments, tightest tolerance first; the 758 habit (clients
    # paying a little more) is stated, not drafted: an overpayment rule takes any excess
    assert [(r.id, r.priority) for r in mined] == [
        ("PAY-MINED-REF", 9), ("PAY-MINED-OTHER-ENTITY", 19), ("PAY-MINED-WRITE-OFF-658", 28),
        ("PAY-MINED-WRITE-OFF-627", 29), ("PAY-MINED-WRITE-OFF-665", 30)]
    fee = cat.rule("PAY-MINED-WRITE-OFF-627").matcher.params
    assert (fee["max_fee_cents"], fee["max_fee_bp"]) == (1900, 200)
    assert "# PAY-MINED-REF evidence:" in (draft / "mined.yaml").read_text(encoding="utf-8")
    cfg = load_config(SAMPLE / "run_native.yaml").model_copy(update={"catalog": draft})
    result = Reconciliation.from_config(cfg).match(loaded)  # type: ignore[arg-type]
    by_rule = result.matches.filter(pl.col("kind") == "payment_invoice").group_by(
        "rule_id", "status").len()
    auto = dict(by_rule.filter(pl.col("status") == "auto").select("rule_id", "len").rows())
    review = dict(by_rule.filter(pl.col("status") == "review").select("rule_id", "len").rows())
    assert auto.get("PAY-MINED-REF", 0) > 200
    # the month's fee-short payments: the smallest to the 658 habit, the largest beyond the
    # mined 627 tolerance (19.00) to the base PAY-FEE (25.00)
    assert (review.get("PAY-MINED-WRITE-OFF-658"), review.get("PAY-FEE")) == (1, 2)
    assert "PAY-REF-EXACT" not in auto  # the mined rule runs first and takes them all
