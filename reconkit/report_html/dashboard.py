"""The management report of a run: what was automated, what is left, what it saved.

Read from a run folder (the result contract: matches, match_items, exceptions, summary.json;
`statements.csv` when the run wrote one) and, when given, the month's input tables (amounts,
dates). Charts: auto-match waterfall by rule, exceptions by category and money at stake, open
invoices by age. Figures: statement balance checks, estimated hours saved, catalog version.

Hours saved rest on a documented assumption, `MINUTES_PER_MATCH`: the minutes an analyst
spends to find and letter one link by hand, per link kind (industry rule of thumb for a
mid-market AR team; change it to your own measurement).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.money import format_cents_expr

MINUTES_PER_MATCH: dict[str, float] = {
    "payment_invoice": 4.0, "payment_ledger": 1.0, "invoice_ledger": 1.0,
    "invoice_commitment": 2.0, "credit_note_invoice": 3.0, "party": 2.0,
    "ledger_lettering": 0.0}
AGE_BUCKETS = ((0, "not yet due"), (30, "1-30 days late"), (60, "31-60 days late"),
               (90, "61-90 days late"))
REST = "not automated (review, exception)"


@dataclass(frozen=True)
class RunFolder:
    """The tables of a run folder the report reads."""

    matches: pl.DataFrame
    match_items: pl.DataFrame
    exceptions: pl.DataFrame
    summary: dict[str, Any]
    statements: pl.DataFrame | None

    @classmethod
    def read(cls, folder: Path) -> RunFolder:
        from reconkit.errors import ReconkitError

        folder = Path(folder)
        missing = [n for n in ("matches.csv", "match_items.csv", "exceptions.csv",
                               "summary.json") if not (folder / n).is_file()]
        if missing:
            raise ReconkitError(f"{folder} is not a run folder (missing {', '.join(missing)})",
                                hint="give the --out folder of `reconkit run`")

        def csv(name: str) -> pl.DataFrame:
            return pl.read_csv(folder / name, infer_schema_length=None)

        st = folder / "statements.csv"
        return cls(matches=csv("matches.csv"), match_items=csv("match_items.csv"),
                   exceptions=csv("exceptions.csv"),
                   summary=json.loads((folder / "summary.json").read_text(encoding="utf-8")),
                   statements=pl.read_csv(st, infer_schema_length=None) if st.is_file()
                   else None)


def auto_waterfall(run: RunFolder, rule_order: list[str] | None = None) -> pl.DataFrame:
    """Received bank lines settled automatically, rule by rule (waterfall order), then what
    is left: rule, lines, start and end share of all received lines (percent)."""
    total = int(run.summary.get("auto_match_bank_lines", {}).get("received_payments", 0))
    auto = run.matches.filter((pl.col("kind") == "payment_invoice") & (pl.col("status") == "auto")
                              & ~pl.col("alternative").cast(pl.Boolean).fill_null(False))
    per_rule = (run.match_items.join(auto.select("match_id", "rule_id"), on="match_id")
                .filter(pl.col("role") == "payment")
                .group_by("rule_id").agg(pl.col("record_id").n_unique().cast(pl.Int64)
                                         .alias("lines")))
    order = {r: i for i, r in enumerate(rule_order or [])}
    per_rule = per_rule.with_columns(
        pl.col("rule_id").replace_strict(order, default=len(order), return_dtype=pl.Int64)
        .alias("o")).sort("o", "rule_id").drop("o")
    rest = max(total - int(per_rule["lines"].sum()), 0)
    steps = pl.concat([per_rule.rename({"rule_id": "step"}),
                       pl.DataFrame({"step": [REST], "lines": [rest]},
                                    schema={"step": pl.String, "lines": pl.Int64})])
    end = steps["lines"].cum_sum()
    scale = 100 / total if total else 0.0
    return steps.with_columns(((end - pl.col("lines")) * scale).round(2).alias("start_pct"),
                              (end * scale).round(2).alias("end_pct"),
                              pl.Series("automated", [True] * per_rule.height + [False]))


def exceptions_at_stake(run: RunFolder, inputs: dict[str, pl.DataFrame] | None,
                        severities: dict[str, str]) -> pl.DataFrame:
    """Per category: exceptions, money at stake (sum of the records' absolute amounts, cents;
    0 without the input tables) and severity (the exceptions' own `severity` column when the
    run has one, else the catalog category's). Most money first."""
    exc = run.exceptions
    if inputs:
        from reconkit.review.records import input_records

        rec = input_records(inputs).select("system", "record_id", "amount_cents")
        exc = exc.join(rec, on=["system", "record_id"], how="left")
    else:
        exc = exc.with_columns(pl.lit(None, pl.Int64).alias("amount_cents"))
    by_catalog = pl.col("category").replace_strict(severities, default="exception")
    # a run whose exceptions carry their own severity (decision | info) says it best
    severity = (pl.coalesce(pl.col("severity").first().cast(pl.String), by_catalog.first())
                if "severity" in exc.columns else by_catalog.first())
    return (exc.group_by("category")
            .agg(pl.len().cast(pl.Int64).alias("exceptions"),
                 pl.col("amount_cents").abs().fill_null(0).sum().alias("amount_cents"),
                 severity.alias("severity"))
            .sort(["amount_cents", "exceptions", "category"], descending=[True, True, False]))


def open_items_by_age(run: RunFolder, inputs: dict[str, pl.DataFrame] | None) -> pl.DataFrame:
    """Invoices still open after the run (not paid before the month, not settled by an auto
    or confirmed payment match) by days past their due date on the latest business date of
    the inputs; with their count and amount (cents)."""
    schema = {"age": pl.String, "invoices": pl.Int64, "amount_cents": pl.Int64}
    inv = (inputs or {}).get("invoices")
    if inv is None or not inv.height:
        return pl.DataFrame(schema=schema)
    from reconkit.review.records import default_as_of

    as_of = default_as_of(inputs or {}) or date.today()
    settled = (run.match_items.filter(pl.col("role") == "invoice")
               .join(run.matches.filter((pl.col("kind") == "payment_invoice")
                                        & pl.col("status").is_in(["auto", "confirmed"]))
                     .select("match_id"), on="match_id").select("record_id").unique())
    open_inv = (inv.filter((pl.col("doc_type") == "invoice") & (pl.col("status") != "paid"))
                .join(settled, on="record_id", how="anti")
                .with_columns((pl.lit(as_of) - pl.coalesce("due_date", "issue_date"))
                              .dt.total_days().alias("late")))
    bucket = pl.lit("over 90 days late")
    for limit, name in reversed(AGE_BUCKETS):
        bucket = pl.when(pl.col("late") <= limit).then(pl.lit(name)).otherwise(bucket)
    order = {name: i for i, (_, name) in enumerate(AGE_BUCKETS)} | {"over 90 days late": 9}
    return (open_inv.group_by(bucket.alias("age"))
            .agg(pl.len().cast(pl.Int64).alias("invoices"), pl.col("amount_cents").sum())
            .with_columns(pl.col("age").replace_strict(order, return_dtype=pl.Int64).alias("o"))
            .sort("o").drop("o"))


def hours_saved(run: RunFolder) -> tuple[float, pl.DataFrame]:
    """Estimated hours saved: auto matches per kind x `MINUTES_PER_MATCH` / 60."""
    per_kind = (run.matches.filter((pl.col("status") == "auto")
                                   & ~pl.col("alternative").cast(pl.Boolean).fill_null(False))
                .group_by("kind").agg(pl.len().cast(pl.Int64).alias("auto_matches"))
                .with_columns(pl.col("kind").replace_strict(MINUTES_PER_MATCH, default=0.0,
                                                            return_dtype=pl.Float64)
                              .alias("minutes_each"))
                .with_columns((pl.col("auto_matches") * pl.col("minutes_each") / 60).round(1)
                              .alias("hours"))
                .sort("kind"))
    return round(float(per_kind["hours"].sum()), 1), per_kind


def catalog_version(catalog: Any) -> str:
    """A short fingerprint of a catalog's content (rules and categories): two runs with the
    same fingerprint applied the same rules."""
    text = json.dumps(catalog.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def dashboard_charts(waterfall: pl.DataFrame, at_stake: pl.DataFrame,
                     ages: pl.DataFrame) -> dict[str, Any]:
    """The three management charts (altair); money on axes in whole euros, exact amounts in
    tooltips. Information-only categories stay out of the exceptions chart (they dwarf the
    rest and need no decision); the report's table lists them."""
    import altair as alt

    steps = waterfall["step"].to_list()
    wf = alt.Chart(alt.Data(values=waterfall.to_dicts()),
                   title="Received bank lines settled automatically, rule by rule (%)") \
        .mark_bar().encode(
            x=alt.X("step:N", sort=steps, title=None, axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("start_pct:Q", title="% of received bank lines",
                    scale=alt.Scale(domain=[0, 100])),
            y2="end_pct:Q",
            color=alt.Color("automated:N", scale=alt.Scale(domain=[True, False],
                                                           range=["#2ca02c", "#d62728"])),
            tooltip=["step:N", "lines:Q", "start_pct:Q", "end_pct:Q"]).properties(width=520)
    exc = at_stake.filter(pl.col("severity") != "info").with_columns(
        (pl.col("amount_cents") // 100).alias("amount_eur"),
                                format_cents_expr(pl.col("amount_cents")).alias("amount"))
    ex = alt.Chart(alt.Data(values=exc.to_dicts()),
                   title="Exceptions to decide: money at stake (EUR)").mark_bar().encode(
        x=alt.X("amount_eur:Q", title="money at stake (EUR)"),
        y=alt.Y("category:N", sort="-x", title=None),
        color=alt.Color("severity:N", scale=alt.Scale(domain=["exception", "decision", "info"],
                                                      range=["#d62728", "#d62728", "#9e9e9e"])),
        tooltip=["category:N", "exceptions:Q", "amount:N", "severity:N"]).properties(width=480)
    ag = ages.with_columns((pl.col("amount_cents") // 100).alias("amount_eur"),
                           format_cents_expr(pl.col("amount_cents")).alias("amount"))
    age = alt.Chart(alt.Data(values=ag.to_dicts()),
                    title="Open invoices by days past due (EUR)").mark_bar().encode(
        x=alt.X("age:N", sort=ag["age"].to_list(), title=None),
        y=alt.Y("amount_eur:Q", title="open amount (EUR)"),
        tooltip=["age:N", "invoices:Q", "amount:N"]).properties(width=480)
    return {"auto_waterfall": wf, "exceptions_at_stake": ex, "open_items_age": age}
