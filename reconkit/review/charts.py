"""Charts of the review queue (notebook 03): where the reviewer's time goes.

`queue_by_category`: per category, exceptions, money at stake and how many already carry a
decision; `queue_by_age`: exceptions and money by age of their record. Both are exact (integer
cents); the charts put whole euros on the axes and the exact amount in the tooltip.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from reconkit.money import format_cents_expr

AGE_BUCKETS = ((7, "0-7 days"), (30, "8-30 days"), (60, "31-60 days"), (90, "61-90 days"))
OLDER = "over 90 days"
NO_DATE = "no date"


def queue_by_category(queue: pl.DataFrame) -> pl.DataFrame:
    """Per category: exceptions, money at stake (cents), decided (a decision in force).
    Most money first."""
    return (queue.group_by("category", "title")
            .agg(pl.len().cast(pl.Int64).alias("exceptions"),
                 pl.col("amount_cents").fill_null(0).abs().sum().alias("amount_cents"),
                 pl.col("decision").is_not_null().sum().cast(pl.Int64).alias("decided"))
            .sort(["amount_cents", "category"], descending=[True, False]))


def queue_by_age(queue: pl.DataFrame) -> pl.DataFrame:
    """Exceptions and money at stake (cents) by age of their record, youngest first."""
    bucket = pl.lit(OLDER)
    for limit, name in reversed(AGE_BUCKETS):
        bucket = pl.when(pl.col("age_days") <= limit).then(pl.lit(name)).otherwise(bucket)
    bucket = pl.when(pl.col("age_days").is_null()).then(pl.lit(NO_DATE)).otherwise(bucket)
    order = {name: i for i, (_, name) in enumerate(AGE_BUCKETS)} | {OLDER: 98, NO_DATE: 99}
    return (queue.group_by(bucket.alias("age"))
            .agg(pl.len().cast(pl.Int64).alias("exceptions"),
                 pl.col("amount_cents").fill_null(0).abs().sum().alias("amount_cents"))
            .with_columns(pl.col("age").replace_strict(order, return_dtype=pl.Int64)
                          .alias("order"))
            .sort("order").drop("order"))


def queue_charts(queue: pl.DataFrame) -> dict[str, Any]:
    """The two queue charts (altair): money at stake per category, exceptions by age."""
    import altair as alt

    cats = queue_by_category(queue).with_columns(
        (pl.col("amount_cents") // 100).alias("amount_eur"),
        format_cents_expr(pl.col("amount_cents")).alias("amount"))
    by_cat = alt.Chart(alt.Data(values=cats.to_dicts()),
                       title="Review queue: money at stake per category (EUR)").mark_bar() \
        .encode(x=alt.X("amount_eur:Q", title="money at stake (EUR)"),
                y=alt.Y("title:N", sort="-x", title=None),
                tooltip=["title:N", "exceptions:Q", "amount:N", "decided:Q"]) \
        .properties(width=480)
    ages = queue_by_age(queue).with_columns(
        format_cents_expr(pl.col("amount_cents")).alias("amount"))
    by_age = alt.Chart(alt.Data(values=ages.to_dicts()),
                       title="Review queue: exceptions by age of the record").mark_bar() \
        .encode(x=alt.X("age:N", sort=ages["age"].to_list(), title=None),
                y=alt.Y("exceptions:Q", title="exceptions"),
                tooltip=["age:N", "exceptions:Q", "amount:N"]).properties(width=480)
    return {"queue_by_category": by_cat, "queue_by_age": by_age}
