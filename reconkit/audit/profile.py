"""Data profiles: what was loaded (per table and column) and what went to review.

`profile_tables` is the first look an analyst takes at a month's sources: types, gaps,
cardinality, ranges and a few example values per column. `exception_profile` and
`exceptions_chart` summarise the exceptions per category: how many, how much money, which
clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from reconkit.catalog.model import Catalog, load_catalog
from reconkit.money import format_cents_expr
from reconkit.result import ReconResult
from reconkit.review.records import SYSTEM_ORDER, exception_records
from reconkit.schemas import PolarsDataType

PROFILE_SCHEMA: dict[str, PolarsDataType] = {
    "table": pl.String, "column": pl.String, "dtype": pl.String, "rows": pl.Int64,
    "nulls": pl.Int64, "distinct": pl.Int64, "min": pl.String, "max": pl.String,
    "examples": pl.String,
}
EXAMPLES = 3
EXAMPLE_WIDTH = 40


def profile_tables(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per table and column: dtype, rows, nulls, distinct non-null values, min, max
    and up to three example values (the first distinct ones in file order). Tables by name,
    columns in their own order."""
    frames = [_profile_one(name, tables[name]) for name in sorted(tables)]
    if not frames:
        return pl.DataFrame(schema=PROFILE_SCHEMA)
    return pl.concat(frames)


def _profile_one(name: str, df: pl.DataFrame) -> pl.DataFrame:
    cols = df.columns
    if not cols:
        return pl.DataFrame(schema=PROFILE_SCHEMA)
    orderable = {c for c, t in df.schema.items() if not isinstance(t, (pl.List, pl.Struct))}
    stats = df.select(
        *[pl.col(c).null_count().alias(f"nulls|{c}") for c in cols],
        *[pl.col(c).drop_nulls().n_unique().alias(f"distinct|{c}") for c in cols],
        *[pl.col(c).min().cast(pl.String).alias(f"min|{c}") for c in cols if c in orderable],
        *[pl.col(c).max().cast(pl.String).alias(f"max|{c}") for c in cols if c in orderable],
        *[pl.col(c).drop_nulls().unique(maintain_order=True).head(EXAMPLES).cast(pl.String)
          .str.slice(0, EXAMPLE_WIDTH).str.join(" | ").alias(f"examples|{c}")
          for c in cols if c in orderable],
    ).row(0, named=True) if df.height else {}
    return pl.DataFrame([{
        "table": name, "column": c, "dtype": str(df.schema[c]), "rows": df.height,
        "nulls": stats.get(f"nulls|{c}", 0), "distinct": stats.get(f"distinct|{c}", 0),
        "min": stats.get(f"min|{c}"), "max": stats.get(f"max|{c}"),
        "examples": stats.get(f"examples|{c}") or None,
    } for c in cols], schema=PROFILE_SCHEMA)


def _display_names(parties: pl.DataFrame) -> pl.DataFrame:
    """party_id -> one name to show (billing name first, then CRM, ERP, bank)."""
    return (parties.filter(pl.col("name").is_not_null())
            .with_columns(pl.col("system").replace_strict(SYSTEM_ORDER, default=9,
                                                          return_dtype=pl.Int64).alias("pref"))
            .sort("party_id", "pref", "name")
            .group_by("party_id", maintain_order=True)
            .agg(pl.col("name").first().alias("party_name")))


def exception_profile(result: ReconResult, *, catalog: Catalog | None = None,
                      top: int = 3) -> pl.DataFrame:
    """Per category: severity, count, money at stake (sum of the records' absolute amounts,
    in cents) and the `top` clients by money at stake. Exceptions first, then info; within
    each, the most money first."""
    catalog = catalog if catalog is not None else load_catalog()
    cats = pl.DataFrame([(c.id, c.title, c.severity) for c in catalog.categories],
                        schema={"category": pl.String, "title": pl.String,
                                "severity": pl.String}, orient="row")
    rec = (exception_records(result)
           .join(_display_names(result.parties), on="party_id", how="left")
           .with_columns(pl.col("amount_cents").abs().fill_null(0).alias("abs_cents")))
    per_party = (rec.filter(pl.col("party_name").is_not_null())
                 .group_by("category", "party_name").agg(pl.col("abs_cents").sum())
                 .sort(["category", "abs_cents", "party_name"], descending=[False, True, False])
                 .group_by("category", maintain_order=True)
                 .agg(pl.col("party_name").head(top).str.join(" | ").alias("top_parties")))
    counts = rec.group_by("category").agg(pl.len().cast(pl.Int64).alias("exceptions"),
                                          pl.col("abs_cents").sum().alias("amount_cents"))
    out = (counts.join(cats, on="category", how="left")
           .join(per_party, on="category", how="left")
           .with_columns(pl.col("severity").fill_null("decision"),
                         pl.coalesce("title", "category").alias("title")))
    return out.sort(["severity", "amount_cents", "category"],
                    descending=[False, True, False]).select(
        "category", "title", "severity", "exceptions", "amount_cents", "top_parties")


def exceptions_chart(result: ReconResult, *, catalog: Catalog | None = None) -> Any:
    """Bar chart (altair, Vega-Lite) of exceptions per category, coloured by severity; the
    tooltip shows the money at stake as exact text (no float rounding)."""
    import altair as alt

    prof = exception_profile(result, catalog=catalog).with_columns(
        format_cents_expr(pl.col("amount_cents")).alias("amount"))
    data = alt.Data(values=prof.select("category", "title", "severity", "exceptions",
                                       "amount", "top_parties").to_dicts())
    return alt.Chart(data, title="Exceptions per category").mark_bar().encode(
        x=alt.X("exceptions:Q", title="exceptions"),
        y=alt.Y("title:N", sort="-x", title=None),
        color=alt.Color("severity:N", scale=alt.Scale(domain=["decision", "info"],
                                                      range=["#d62728", "#9e9e9e"])),
        tooltip=["title:N", "exceptions:Q", "amount:N", "top_parties:N"],
    ).properties(width=480)
