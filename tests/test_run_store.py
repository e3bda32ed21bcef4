"""A run with a decisions store: remembered decisions and aliases are applied next run."""

from __future__ import annotations

from pathlib import Path

import polars as pl

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
