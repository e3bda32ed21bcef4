"""Accepting the mined "who pays for whom" pairs: on the sample, the parents the ledger shows
paying for their subsidiaries go to the decisions store (once), and the next run matches the
parents' payments of the month automatically instead of queueing them as
payer_is_other_entity; undoing the decision brings the exception back."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from reconkit.audit import LedgerAudit
from reconkit.audit.accept import PAYER_SYSTEM, accept_payers, payer_pairs
from reconkit.cli import app
from reconkit.config import load_config
from reconkit.pipeline import load_sources, run
from reconkit.result import ReconResult
from reconkit.review.store import DecisionStore

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"
PAIRS = [("C00468", "C00402"), ("C00485", "C00403"), ("C00567", "C00413")]


@pytest.fixture(scope="module")
def pays_for() -> pl.DataFrame:
    cfg = load_config(SAMPLE / "run_native.yaml")
    return LedgerAudit.from_config(cfg, load_sources(cfg)).mined.pays_for


def _other_entity(store: Path | None) -> tuple[set[str], ReconResult]:
    """(payments queued as payer_is_other_entity, the result) of the sample month run with
    `store`."""
    cfg = load_config(SAMPLE / "run_canonical.yaml")
    if store is not None:
        cfg = cfg.model_copy(update={"store": store})
    result = run(cfg)
    return set(result.exceptions.filter(pl.col("category") == "payer_is_other_entity")
               ["record_id"]), result


def test_pairs_accepted_once_with_their_evidence(pays_for: pl.DataFrame,
                                                 tmp_path: Path) -> None:
    assert payer_pairs(pays_for).select("payer_account", "paid_for_account").rows() == PAIRS
    with DecisionStore(tmp_path / "d.sqlite") as store:
        ids = accept_payers(store, pays_for, user="ana")
        assert len(ids) == 3
        assert accept_payers(store, pays_for, user="ana") == []  # already accepted
        assert store.aliases().rows() == [(PAYER_SYSTEM, a, "erp", b) for a, b in PAIRS]
        trail = store.history()
        assert trail["exception_id"].to_list() == [f"mined-payer:{a}>{b}" for a, b in PAIRS]
        assert set(trail["action"]) == {"note"} and set(trail["user"]) == {"ana"}
        assert "RENAULT AUTOMATISMES EURL (C00485) pays for SANCHEZ INGENIERIE SAS (C00403): " \
               "2 receipts in the ledger, 1 lettered" in trail["payload"][1]


def test_next_run_matches_the_accepted_payers(pays_for: pl.DataFrame, tmp_path: Path) -> None:
    truth = pl.read_csv(SAMPLE / "truth" / "exceptions.csv").filter(
        pl.col("category") == "payer_is_other_entity")
    before, _ = _other_entity(None)
    assert before == set(truth["record_id"])  # three parents' payments queued for review
    db = tmp_path / "d.sqlite"
    with DecisionStore(db) as store:
        ids = accept_payers(store, pays_for, user="ana")
    after, result = _other_entity(db)
    assert after == set()
    paid = result.match_items.filter(pl.col("record_id").is_in(sorted(before)))
    matched = result.matches.filter(pl.col("match_id").is_in(paid["match_id"].implode())
                                    & (pl.col("kind") == "payment_invoice"))
    assert matched.height == 3 and set(matched["status"]) == {"auto"}
    assert set(matched["rule_id"]) == {"PAY-REF-EXACT"}
    assert all("accepted payer for this client" in e for e in matched["explanation"])
    # undoing one acceptance brings its payment back to the queue
    with DecisionStore(db) as store:
        store.undo(ids[1], "ana")
    again, _ = _other_entity(db)
    assert len(again) == 1


def test_cli_accepts_payers_into_the_store(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "d.sqlite"
    args = ["audit", str(SAMPLE / "run_native.yaml"), "--out", str(tmp_path / "audit"),
            "--accept-payers", "--store", str(db)]
    refused = runner.invoke(app, args, env={"RECONKIT_USER": ""})
    assert refused.exit_code == 2 and "--accept-payers needs the name" in refused.output
    assert not db.exists()
    res = runner.invoke(app, [*args, "--user", "ana"])
    assert res.exit_code == 0, res.output
    assert "Payers accepted: 3 new of 3 mined pairs, recorded by ana" in res.output
    with DecisionStore(db) as store:
        assert store.aliases().height == 3
