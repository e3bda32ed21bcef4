"""`reconkit report RUN_DIR`: one self-contained HTML page for management (charts drawn
offline, JavaScript inlined) and a PNG + SVG of each chart."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.money import format_cents
from reconkit.report_html.dashboard import (
    MINUTES_PER_MATCH,
    RunFolder,
    auto_waterfall,
    catalog_version,
    dashboard_charts,
    exceptions_at_stake,
    hours_saved,
    open_items_by_age,
)
from reconkit.report_html.offline import html_page, save_chart_images, table_html

TITLE = "Reconciliation report"


@dataclass(frozen=True)
class ManagementReport:
    """The figures and charts of one run, ready to render."""

    run: RunFolder
    waterfall: pl.DataFrame
    at_stake: pl.DataFrame
    ages: pl.DataFrame
    hours: float
    hours_by_kind: pl.DataFrame
    catalog_version: str | None
    charts: dict[str, Any]

    @classmethod
    def build(cls, run_dir: Path, *, inputs: dict[str, pl.DataFrame] | None = None,
              catalog: Any = None) -> ManagementReport:
        run = RunFolder.read(run_dir)
        order = [r.id for r in catalog.rules] if catalog is not None else None
        severities = ({c.id: c.severity for c in catalog.categories}
                      if catalog is not None else {})
        wf = auto_waterfall(run, order)
        stake = exceptions_at_stake(run, inputs, severities)
        ages = open_items_by_age(run, inputs)
        hours, per_kind = hours_saved(run)
        return cls(run=run, waterfall=wf, at_stake=stake, ages=ages, hours=hours,
                   hours_by_kind=per_kind,
                   catalog_version=catalog_version(catalog) if catalog is not None else None,
                   charts=dashboard_charts(wf, stake, ages))

    def html(self) -> str:
        s = self.run.summary
        bank = s.get("auto_match_bank_lines", {})
        sections = [
            "<h2>Automation</h2>",
            f"<p>{bank.get('auto_matched', 0)} of {bank.get('received_payments', 0)} received "
            f"bank lines were settled automatically "
            f"({100 * bank.get('auto_rate_by_count', 0):.1f}% by count, "
            f"{100 * bank.get('auto_rate_by_amount', 0):.1f}% by amount); "
            f"{s.get('exceptions_to_review', 0)} exceptions wait for a decision.</p>",
            '<div class="chart" id="auto_waterfall"></div>',
            table_html(self.waterfall.select("step", "lines", "end_pct").to_dicts()),
            "<h2>Exceptions and money at stake</h2>",
            '<div class="chart" id="exceptions_at_stake"></div>',
            table_html(self.at_stake.with_columns(
                pl.col("amount_cents").map_elements(format_cents, return_dtype=pl.String)
                .alias("amount")).select("category", "severity", "exceptions", "amount")
                .to_dicts()),
            "<h2>Open invoices by age</h2>"]
        if self.ages.height:
            sections += ['<div class="chart" id="open_items_age"></div>',
                         table_html(self.ages.with_columns(
                             pl.col("amount_cents").map_elements(format_cents,
                                                                 return_dtype=pl.String)
                             .alias("amount")).select("age", "invoices", "amount").to_dicts())]
        else:
            sections.append('<p class="note">Needs the month\'s input tables '
                            "(<code>--config</code>).</p>")
        if self.run.statements is not None:
            sections += ["<h2>Statement balance checks</h2>",
                         table_html(self.run.statements.to_dicts())]
        minutes = ", ".join(f"{k} {v:g}" for k, v in sorted(MINUTES_PER_MATCH.items()) if v)
        sections += [
            "<h2>Estimated hours saved</h2>",
            f"<p><strong>{self.hours:.1f} hours</strong> of matching by hand this run. "
            f"Assumption: minutes an analyst spends to find and record one link by hand, per "
            f"link kind ({minutes}); only automatic matches count.</p>",
            table_html(self.hours_by_kind.to_dicts()),
            "<h2>Rule catalog</h2>",
            f"<p>Catalog version <code>{html.escape(self.catalog_version or 'unknown')}</code> "
            "(fingerprint of the rules and categories applied).</p>"]
        charts = {k: v for k, v in self.charts.items()
                  if k != "open_items_age" or self.ages.height}
        return html_page(TITLE, sections, charts)

    def write(self, out: Path, images: Path | None = None) -> list[Path]:
        """Write the HTML page to `out` and, with `images`, each chart as PNG and SVG."""
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.html(), encoding="utf-8")
        written = [out]
        if images is not None:
            written += save_chart_images(self.charts, images)
        return written
