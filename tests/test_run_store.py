"""A run with a decisions store: remembered decisions and aliases are applied next run."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from reconkit import load_config, run
from reconkit.review.store import DecisionStore

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"


def test_confirmed_decision_and_alias_carry_over_to_the_next_run(tmp_path: Path) -> None:
    cfg = load_config(SAMPLE / "run_canonical.yaml")
    cfg = cfg.model_copy(update={"store": tmp_path / "reconkit.db"})
    first = run(cfg)
    review = first.matches.filter((pl.col("kind") == "payment_invoice")
                                  & (pl.col("rule_id") == "PAY-OTHER-ENTITY"))
    mid = review["match_id"][0]
    payment = first.match_items.filter((pl.col("match_id") == mid)
                                       & (pl.col("role") == "payment"))["record_id"].item()
    iban = first.inputs["payments"].filter(pl.col("record_id") == payment)["payer_iban"].item()
    invoice = first.match_items.filter((pl.col("match_id") == mid)
                                       & (pl.col("role") == "invoice"))["record_id"].item()
    customer = first.inputs["invoices"].filter(
        pl.col("record_id") == invoice)["party_record_id"].item()
    with DecisionStore(cfg.store) as store:
        store.record("confirm", user="ana", match_id=mid,
                     teach=[("bank", iban, "billing", customer)])
    second = run(cfg)
    assert second.matches.filter(pl.col("match_id") == mid)["status"].item() == "confirmed"
    # the parent's IBAN is now an alias of the subsidiary: its payer resolves by alias
    payer = second.parties.filter((pl.col("system") == "bank") & (pl.col("source_id") == iban))
    assert payer.height == 1
    assert first.matches.filter(pl.col("match_id") == mid)["status"].item() == "review"


def _config_with_store(tmp_path: Path) -> Path:
    """The sample month's run config, in tmp, with `store: decisions.sqlite`."""
    text = (SAMPLE / "run_canonical.yaml").read_text()
    text = text.replace("../../rule_catalog", str(SAMPLE.parents[1] / "rule_catalog"))
    text = text.replace("path: canonical/", f"path: {SAMPLE / 'canonical'}/")
    path = tmp_path / "month.yaml"
    path.write_text(text + "store: decisions.sqlite\n")
    return path


def test_store_choice_config_env_and_option(tmp_path: Path) -> None:
    from reconkit.review.where import review_store, store_choice

    cfg = load_config(_config_with_store(tmp_path))
    assert store_choice(cfg, environ={}).path == tmp_path / "decisions.sqlite"
    env = store_choice(cfg, environ={"RECONKIT_STORE": "/x/other.sqlite"})
    assert env.path == Path("/x/other.sqlite")
    assert "RECONKIT_STORE overrides the `store:` of month.yaml" in env.describe("month.yaml")
    assert store_choice(cfg, Path("/y.sqlite"), environ={"RECONKIT_STORE": "z"}).origin == \
        "option"
    bare = cfg.model_copy(update={"store": None})
    loud = review_store(bare, tmp_path / "fallback.sqlite", environ={})
    assert "`reconkit run` will not apply these decisions" in loud.describe("month.yaml")


def test_decisions_clicked_on_the_screen_are_applied_by_the_next_reconkit_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (SAMPLE / "run_canonical.yaml").exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    from typer.testing import CliRunner

    from reconkit.cli import app as cli
    from reconkit.review.where import review_store, with_store
    from reconkit.review.widget import ReviewApp

    monkeypatch.delenv("RECONKIT_STORE", raising=False)
    config_path = _config_with_store(tmp_path)
    config = load_config(config_path)
    # what notebook 03 does
    choice = review_store(config, fallback=tmp_path / "elsewhere.sqlite")
    assert choice.origin == "config"
    store = DecisionStore(choice.path)
    result = run(with_store(config, choice))
    screen = ReviewApp(result, store, "ana")
    queue = screen.queue
    grouped = queue.filter(pl.col("category") == "grouped_payment").row(0, named=True)
    screen.select([grouped["exception_id"]])
    chosen = grouped["candidate_ids"][1]  # not the best: the one the reviewer picks
    screen.candidate.value = chosen
    screen.confirm_button.click()
    other = queue.filter(pl.col("category") == "payer_is_other_entity").row(0, named=True)
    screen.select([other["exception_id"]])
    screen.reject_button.click()
    rejected = other["candidate_ids"][0]
    assert store.history()["action"].to_list() == ["confirm", "reject"]
    # an automatic match rejected (CLI or API): its payment must come back to the queue
    auto = result.matches.filter(pl.col("rule_id") == "PAY-REF-EXACT")["match_id"][0]
    paid = result.match_items.filter((pl.col("match_id") == auto)
                                     & (pl.col("role") == "payment"))["record_id"].item()
    store.record("reject", user="bob", match_id=auto, result=result)
    store.close()

    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(config_path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "`store:` of month.yaml" in res.output  # said on screen
    matches = pl.read_csv(out / "matches.csv")
    status = dict(matches.select("match_id", "status").iter_rows())
    assert status[chosen] == "confirmed" and status[rejected] == "rejected"
    # the payment whose match was rejected stays in the queue (its exception remains)
    exceptions = pl.read_csv(out / "exceptions.csv", infer_schema=False)
    assert other["exception_id"] in exceptions["exception_id"].to_list()
    back = exceptions.filter(pl.col("record_id") == paid)
    assert back.select("category", "candidate_match_ids").rows() == [("rejected_match", auto)]

    # RECONKIT_STORE overrides, and says so
    res = CliRunner().invoke(cli, ["run", str(config_path), "--out", str(tmp_path / "o2")],
                             env={"RECONKIT_STORE": str(tmp_path / "other.sqlite")})
    assert res.exit_code == 0 and "RECONKIT_STORE overrides" in res.output
    status2 = dict(pl.read_csv(tmp_path / "o2" / "matches.csv")
                   .select("match_id", "status").iter_rows())
    assert status2[chosen] == "review"
