"""`reconkit review` commands around the store: which store, who undid whose decision."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconkit.cli import app
from reconkit.review.store import DecisionStore

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"


def _cli(*args: object, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def test_history_says_who_undid_whose_decision(tmp_path: Path) -> None:
    store = tmp_path / "d.sqlite"
    with DecisionStore(store) as db:
        db.record("confirm", user="alice", match_id="M-1")
        db.record("reject", user="bob", match_id="M-2")
        assert db.undo(1, "bob")["user"] == "alice"
        db.undo(2, "bob")
    res = _cli("review", "history", "--store", store)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[1].endswith("bob undid alice's decision")
    assert lines[2].endswith("undone by its author")
    again = _cli("review", "undo", "--store", store, "--user", "carol", "1")
    assert again.exit_code == 2
    assert "decision 1 was already undone at" in again.stderr and "by bob" in again.stderr


def test_store_comes_from_the_environment_or_the_run_config(tmp_path: Path) -> None:
    env_store = tmp_path / "env.sqlite"
    res = _cli("review", "decide", "--user", "ana", "--exception", "E-1", "--action",
               "reject", env={"RECONKIT_STORE": str(env_store)})
    assert res.exit_code == 0, res.output
    assert "set by RECONKIT_STORE" in res.stderr
    with DecisionStore(env_store) as db:
        assert db.history().height == 1
    res = _cli("review", "history", env={"RECONKIT_STORE": ""})
    assert res.exit_code == 2 and "which decisions store?" in res.stderr


@pytest.mark.slow
def test_decide_without_store_uses_the_config_store(tmp_path: Path) -> None:
    if not (SAMPLE / "run_canonical.yaml").exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    text = (SAMPLE / "run_canonical.yaml").read_text()
    text = text.replace("../../rule_catalog", str(SAMPLE.parents[1] / "rule_catalog"))
    text = text.replace("path: canonical/", f"path: {SAMPLE / 'canonical'}/")
    config = tmp_path / "month.yaml"
    config.write_text(text + "store: decisions.sqlite\n")
    queue_csv = tmp_path / "q.csv"
    assert _cli("review", "queue", config, "--out", queue_csv,
                env={"RECONKIT_STORE": ""}).exit_code == 0
    exc = queue_csv.read_text().splitlines()[1].split(",")[0]
    res = _cli("review", "decide", "--user", "ana", "--exception", exc, "--action", "confirm",
               "--config", config, env={"RECONKIT_STORE": ""})
    assert res.exit_code == 0, res.output
    assert "`store:` of month.yaml" in res.stderr
    with DecisionStore(tmp_path / "decisions.sqlite") as db:
        row = db.history().row(0, named=True)
    assert row["exception_id"] == exc and row["action"] == "confirm"
