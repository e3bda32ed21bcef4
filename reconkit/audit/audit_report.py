"""The audit report: each tacit rule mined from the ledger in a sentence with its support,
the evidence tables behind it, and charts; as Markdown and as self-contained HTML.

Deterministic: no clock, sorted tables, the same inputs give byte-identical files.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.audit.export import to_markdown
from reconkit.audit.mine_references import FORM_TEXT
from reconkit.audit.mining import MinedRules
from reconkit.report_html.offline import html_page, table_html

TITLE = "Audit: the tacit rules of the ledger"
TOPICS = {"references": "Reference habits", "tolerances": "Tolerated differences",
          "payers": "Who pays for whom", "grouping": "Grouping habits",
          "delays": "Payment delays"}
DELAY_BINS = ((0, "paid on issue"), (15, "1-15 days"), (30, "16-30 days"),
              (45, "31-45 days"), (60, "46-60 days"))


def mining_charts(mined: MinedRules) -> dict[str, Any]:
    """Altair charts: citation forms (receipts, hit rate), clients by median payment delay,
    lettered groups by difference written off."""
    import altair as alt

    refs = (mined.references.group_by("form").agg(pl.col("receipts").sum(),
                                                  pl.col("hits").sum())
            .with_columns(pl.col("form").replace_strict(FORM_TEXT).alias("how"),
                          (100 * pl.col("hits") / pl.col("receipts")).round(1)
                          .alias("hit_rate_pct"))
            .sort(["receipts", "form"], descending=[True, False]))
    forms = alt.Chart(alt.Data(values=refs.to_dicts()),
                      title="How payers cite the invoice (lettered receipts)").mark_bar().encode(
        x=alt.X("receipts:Q", title="lettered receipts"),
        y=alt.Y("how:N", sort="-x", title=None),
        color=alt.Color("hit_rate_pct:Q", title="hit rate %", scale=alt.Scale(domain=[0, 100])),
        tooltip=["how:N", "receipts:Q", "hits:Q", "hit_rate_pct:Q"]).properties(width=420)
    bucket = pl.lit("over 60 days")
    for limit, name in reversed(DELAY_BINS):
        bucket = pl.when(pl.col("median_days") <= limit).then(pl.lit(name)).otherwise(bucket)
    order = [name for _, name in DELAY_BINS] + ["over 60 days"]
    delays = mined.delays.group_by(bucket.alias("median delay")).agg(
        pl.len().cast(pl.Int64).alias("clients"))
    delay_chart = alt.Chart(alt.Data(values=delays.sort("median delay").to_dicts()),
                            title="Clients by median days from invoice to payment").mark_bar() \
        .encode(x=alt.X("median delay:N", sort=order, title=None),
                y=alt.Y("clients:Q"), tooltip=["median delay:N", "clients:Q"]) \
        .properties(width=420)
    gaps = alt.Chart(alt.Data(values=mined.gaps.to_dicts()),
                     title="Lettered groups by difference written off (EUR)").mark_bar().encode(
        x=alt.X("gap:N", sort=[r["gap"] for r in mined.gaps.to_dicts()], title=None),
        y=alt.Y("groups:Q"), tooltip=["gap:N", "groups:Q"]).properties(width=420)
    return {"reference_forms": forms, "payment_delays": delay_chart, "write_off_gaps": gaps}


def _evidence(mined: MinedRules) -> list[tuple[str, pl.DataFrame]]:
    g = mined.grouping
    grouping = pl.DataFrame({"invoices settled by one receipt": list(g.sizes),
                             "receipts": list(g.sizes.values())},
                            schema={"invoices settled by one receipt": pl.Int64,
                                    "receipts": pl.Int64})
    return [("Citation forms", mined.references),
            ("Write-off accounts", mined.tolerances),
            ("Differences in lettered groups", mined.gaps),
            ("Payers paying for another account", mined.pays_for),
            ("Receipts by number of invoices settled", grouping),
            ("Slowest payers (median days)", mined.delays.head(15))]


def render_markdown(mined: MinedRules, tacit: pl.DataFrame, *, ledger_name: str) -> str:
    """The audit report as Markdown: tacit rules per topic, then the evidence tables."""
    out = [f"# {TITLE}", "",
           f"Mined from the lettering of `{ledger_name}`: {mined.lettered_groups} lettered "
           f"groups, {mined.lettered_receipts} lettered receipts. Each rule is stated with its "
           "support (the number of the accountant's decisions behind it) and, when it drafts "
           "a catalog rule, that rule's id (see `draft_catalog/mined.yaml`).", ""]
    for topic, title in TOPICS.items():
        rows = tacit.filter(pl.col("topic") == topic)
        if not rows.height:
            continue
        out += [f"## {title}", ""]
        for r in rows.iter_rows(named=True):
            rule = f" Drafted as `{r['rule_id']}`." if r["rule_id"] else ""
            out.append(f"- {r['sentence']} (support: {r['support']}).{rule}")
        out.append("")
    out += ["## Evidence", ""]
    for title, frame in _evidence(mined):
        out += [f"### {title}", "", to_markdown(frame) if frame.height else "(none)", ""]
    out += ["## What to do next", "",
            "1. Read each rule above with the person who letters the accounts: keep, correct "
            "or drop it.",
            "2. Edit `draft_catalog/mined.yaml` accordingly and run "
            "`reconkit catalog what-if CONFIG --catalog draft_catalog` to see what changes.",
            "3. Move the accepted rules into the company catalog (`rule_catalog/`).", ""]
    return "\n".join(out)


def render_html(mined: MinedRules, tacit: pl.DataFrame, *, ledger_name: str) -> str:
    """The audit report as one self-contained HTML page (charts drawn offline)."""
    charts = mining_charts(mined)
    sections = [f"<p>Mined from the lettering of <code>{html.escape(ledger_name)}</code>: "
                f"{mined.lettered_groups} lettered groups, {mined.lettered_receipts} lettered "
                "receipts. Each rule is stated with its support (the number of the "
                "accountant's decisions behind it).</p>"]
    for topic, title in TOPICS.items():
        rows = tacit.filter(pl.col("topic") == topic)
        if not rows.height:
            continue
        items = "".join(
            f"<li>{html.escape(r['sentence'])} <span class=\"note\">(support: {r['support']}"
            + (f"; drafted as <code>{html.escape(r['rule_id'])}</code>" if r["rule_id"] else "")
            + ")</span></li>" for r in rows.iter_rows(named=True))
        sections.append(f"<h2>{html.escape(title)}</h2><ul>{items}</ul>")
    sections += [f"<div class=\"chart\" id=\"{name}\"></div>" for name in sorted(charts)]
    sections.append("<h2>Evidence</h2>")
    for title, frame in _evidence(mined):
        sections.append(f"<h3>{html.escape(title)}</h3>" + table_html(frame.to_dicts()))
    return html_page(TITLE, sections, charts)


def write_audit_report(mined: MinedRules, tacit: pl.DataFrame, out: Path, *,
                       ledger_name: str) -> list[Path]:
    """Write `audit_report.md` and `audit_report.html` into `out`; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    md, page = out / "audit_report.md", out / "audit_report.html"
    md.write_text(render_markdown(mined, tacit, ledger_name=ledger_name), encoding="utf-8")
    page.write_text(render_html(mined, tacit, ledger_name=ledger_name), encoding="utf-8")
    return [md, page]
