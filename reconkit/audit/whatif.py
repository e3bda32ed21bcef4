"""What-if: the same month run with two catalogs, and the matches that appear, disappear or
change (status or rule). Match ids hash a match's kind and items, so the same link found by
either catalog has the same id."""

from __future__ import annotations

import polars as pl

from reconkit.result import ReconResult

WHATIF_SCHEMA = {"change": pl.String, "match_id": pl.String, "kind": pl.String,
                 "old_rule": pl.String, "new_rule": pl.String, "old_status": pl.String,
                 "new_status": pl.String, "records": pl.String}
CHANGE_ORDER = {"appears": 0, "disappears": 1, "changes status": 2, "changes rule": 3}


def _side(result: ReconResult) -> pl.DataFrame:
    items = (result.match_items.sort("system", "record_id")
             .group_by("match_id")
             .agg((pl.col("system") + ":" + pl.col("record_id")).str.join(" + ")
                  .alias("records")))
    return result.matches.select("match_id", "kind", "rule_id", "status").join(
        items, on="match_id", how="left")


def compare_runs(old: ReconResult, new: ReconResult) -> pl.DataFrame:
    """One row per match that appears, disappears, changes status or changes rule between
    `old` and `new` (see WHATIF_SCHEMA); sorted by change, kind, match id."""
    a, b = _side(old), _side(new)
    j = a.join(b, on="match_id", how="full", coalesce=True, suffix="_new")
    change = (pl.when(pl.col("rule_id").is_null()).then(pl.lit("appears"))
              .when(pl.col("rule_id_new").is_null()).then(pl.lit("disappears"))
              .when(pl.col("status") != pl.col("status_new")).then(pl.lit("changes status"))
              .when(pl.col("rule_id") != pl.col("rule_id_new")).then(pl.lit("changes rule")))
    out = j.with_columns(change.alias("change")).filter(pl.col("change").is_not_null())
    return (out.select("change", "match_id", pl.coalesce("kind", "kind_new").alias("kind"),
                       pl.col("rule_id").alias("old_rule"), pl.col("rule_id_new")
                       .alias("new_rule"), pl.col("status").alias("old_status"),
                       pl.col("status_new").alias("new_status"),
                       pl.coalesce("records", "records_new").alias("records"))
            .with_columns(pl.col("change").replace_strict(CHANGE_ORDER, return_dtype=pl.Int64)
                          .alias("o"))
            .sort("o", "kind", "match_id").drop("o"))


def whatif_summary(diff: pl.DataFrame) -> pl.DataFrame:
    """Counts per change, kind and (old rule -> new rule)."""
    return (diff.group_by("change", "kind", "old_rule", "new_rule")
            .agg(pl.len().cast(pl.Int64).alias("matches"))
            .with_columns(pl.col("change").replace_strict(CHANGE_ORDER, return_dtype=pl.Int64)
                          .alias("o"))
            .sort("o", "kind", "old_rule", "new_rule", nulls_last=True).drop("o"))
