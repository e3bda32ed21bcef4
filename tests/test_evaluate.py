"""Scoring against the ground truth: decision exceptions, false alarms on clean records, recall
on clean identifiable payment links, and the naive exact-number baseline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from data_samples import generate
from data_samples.dialects import DIALECTS
from data_samples.evaluate import (
    Truth,
    decision_exceptions,
    false_alarms,
    naive_baseline,
    scorecard,
)
from reconkit.result import ReconResult

S = pl.String


def _result(matches: list[tuple[str, str, str]], items: list[tuple[str, str, str, str]],
            exceptions: list[tuple[str, str, str]], severity: list[str] | None = None
            ) -> ReconResult:
    exc = pl.DataFrame(exceptions, orient="row",
                       schema={"category": S, "system": S, "record_id": S})
    if severity is not None:
        exc = exc.with_columns(pl.Series("severity", severity, dtype=S))
    return ReconResult(
        matches=pl.DataFrame(matches, orient="row",
                             schema={"match_id": S, "kind": S, "status": S}),
        match_items=pl.DataFrame(items, orient="row", schema={
            "match_id": S, "system": S, "record_id": S, "role": S}).with_columns(
            pl.lit(100, dtype=pl.Int64).alias("amount_cents")),
        exceptions=exc, parties=pl.DataFrame(), quarantine=pl.DataFrame())


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    generate.generate(out, 150, 4, date(2026, 10, 1), native=False,
                      dialect=DIALECTS["messy_erp"])
    return out


def test_a_missing_severity_column_counts_every_exception() -> None:
    rows = [("bank_charge", "bank", "B1"), ("partial_payment", "bank", "B2")]
    assert decision_exceptions(_result([], [], rows)).height == 2
    kept = decision_exceptions(_result([], [], rows, ["info", "decision"]))
    assert kept["record_id"].to_list() == ["B2"]


def test_false_alarms_are_clean_records_in_decisions_or_review() -> None:
    clean = pl.DataFrame({"system": ["bank", "bank", "billing", "billing"],
                          "record_id": ["B1", "B2", "in_1", "in_2"],
                          "kind": ["payment", "payment", "invoice", "invoice"]})
    result = _result([("M1", "payment_invoice", "review"), ("M2", "payment_invoice", "auto")],
                     [("M1", "bank", "B2", "payment"), ("M1", "billing", "in_9", "invoice"),
                      ("M2", "billing", "in_2", "invoice")],
                     [("partial_payment", "bank", "B1"), ("bank_charge", "billing", "in_1")],
                     ["decision", "info"])
    fa = false_alarms(result, clean)
    assert (fa["clean"], fa["flagged"], fa["rate"]) == (4, 2, 0.5)
    assert fa["by_kind"] == {"invoice": (0, 2), "payment": (2, 2)}
    assert fa["by_category"] == {"partial_payment": 1, "review:payment_invoice": 1}


def test_a_perfect_result_scores_one_on_clean_links(month: Path) -> None:
    truth = Truth.read(month)
    assert truth.payment_links is not None and truth.clean is not None
    links = truth.links.filter(pl.col("kind") == "payment_invoice")
    matches = [(f"M{n}", "payment_invoice", "auto") for n in range(links.height)]
    items = [x for n, r in enumerate(links.iter_rows(named=True))
             for x in ((f"M{n}", "bank", r["left_id"], "payment"),
                       (f"M{n}", "billing", r["right_id"], "invoice"))]
    card = scorecard(_result(matches, items, []), truth, {})
    clean = card["clean_payment_links"]
    assert clean["auto_recall"] == 1.0 and 0 < clean["true"] < links.height
    assert card["false_alarms"]["flagged"] == 0


def test_the_naive_baseline_misses_what_payers_rewrite(month: Path) -> None:
    truth = Truth.read(month)
    base = naive_baseline(month, truth)
    assert base["all"]["precision"] >= 0.95
    assert 0.2 < base["all"]["recall"] < 0.8
    assert base["clean_recall"] < 0.9
    pay = pl.read_csv(month / "canonical" / "payments.csv", infer_schema=False)
    inv = pl.read_csv(month / "canonical" / "invoices.csv", infer_schema=False)
    exact = truth.payment_links.filter(pl.col("habit") == "exact").join(  # type: ignore[union-attr]
        pay.select(pl.col("record_id").alias("left_id"), "remittance"), on="left_id").join(
        inv.select(pl.col("record_id").alias("right_id"), "number"), on="right_id")
    assert exact.height and exact.filter(
        pl.col("remittance").str.contains(pl.col("number"), literal=True)).height == exact.height
