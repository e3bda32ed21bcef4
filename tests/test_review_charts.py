"""Charts of the review queue (notebook 03): exact money per category and per age bucket."""

from __future__ import annotations

import polars as pl

from reconkit.review.charts import queue_by_age, queue_by_category, queue_charts


def _queue() -> pl.DataFrame:
    return pl.DataFrame({
        "category": ["partial_payment", "partial_payment", "renamed_party", "overpayment"],
        "title": ["Partial payment", "Partial payment", "Renamed client", "Overpayment"],
        "amount_cents": [120_050, -30_001, None, 99_999],
        "age_days": [3, 45, None, 120],
        "decision": ["confirm", None, None, None],
    })


def test_queue_by_category_sums_exact_cents_most_money_first() -> None:
    assert queue_by_category(_queue()).rows() == [
        ("partial_payment", "Partial payment", 2, 150_051, 1),
        ("overpayment", "Overpayment", 1, 99_999, 0),
        ("renamed_party", "Renamed client", 1, 0, 0)]


def test_queue_by_age_buckets_in_order() -> None:
    assert queue_by_age(_queue()).rows() == [
        ("0-7 days", 1, 120_050), ("31-60 days", 1, 30_001), ("over 90 days", 1, 99_999),
        ("no date", 1, 0)]


def test_charts_show_whole_euros_and_exact_tooltips() -> None:
    charts = queue_charts(_queue())
    spec = charts["queue_by_category"].to_dict()
    assert spec["title"] == "Review queue: money at stake per category (EUR)"
    values = spec["data"]["values"]
    assert values[0]["amount_eur"] == 1500 and values[0]["amount"] == "1500.51"
    age = charts["queue_by_age"].to_dict()
    assert [v["age"] for v in age["data"]["values"]] == [
        "0-7 days", "31-60 days", "over 90 days", "no date"]
