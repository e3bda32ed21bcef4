# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 — Monthly run
#
# Load every source of the run config, resolve clients, run the rule catalog and write the
# result contract (matches, match items, exceptions, parties, quarantine as CSV + Parquet,
# plus a summary). Then look at the dashboard: **how much was automated, rule by rule; where
# the money at stake is; how old the open invoices are**. The review queue is exported to
# Excel for those who review outside the notebook.
#
# Runs on the bundled sample month by default; set `RECONKIT_CONFIG` / `RECONKIT_OUT` to change.

# %%
from reconkit.paths import notebook_paths
from reconkit.report_html import enable_offline_renderer

ROOT, CONFIG, OUT = notebook_paths()
enable_offline_renderer()  # charts draw without a network (Vega-Lite 5 + SVG fallback)
print(f"run config: {CONFIG.relative_to(ROOT) if CONFIG.is_relative_to(ROOT) else CONFIG}")

# %%
from IPython.display import display

import reconkit
from reconkit.review import review_queue

config = reconkit.load_config(CONFIG)
run_dir = OUT / "monthly"
bar = reconkit.progress_bar(config)
display(bar)
result = reconkit.run(config, run_dir, progress=bar)
bar.done(f"done: {len(list(run_dir.iterdir()))} files written to {run_dir.name}/")
print(bar.label.value)

# %% [markdown]
# ## The figures of the month
# Auto-match rates are given per bank line and per invoice, by count and by amount: vendors'
# figures differ by definition, compare like with like.

# %%
print(reconkit.render_summary(result.summary()))

# %% [markdown]
# ## Dashboard
# The waterfall shows which rules settle the bank lines automatically and what is left to a
# person. A rule that settles little is a candidate for tuning (notebook 04, what-if).

# %%
from reconkit.report_html.management import ManagementReport

catalog = reconkit.load_catalog(config.catalog)
report = ManagementReport.build(run_dir, inputs=result.inputs, catalog=catalog)
report.charts["auto_waterfall"]

# %% [markdown]
# Exceptions to decide, by money at stake: start at the top.

# %%
report.charts["exceptions_at_stake"]

# %% [markdown]
# Open invoices by days past due: what the collection team chases next.

# %%
report.charts["open_items_age"]

# %%
written = report.write(run_dir / "report.html", run_dir / "charts")
print(f"Management report: {written[0].name} (opens offline); {len(written) - 1} chart images; "
      f"estimated {report.hours:.1f} hours saved")

# %% [markdown]
# ## The review queue (largest amounts first)

# %%
queue = review_queue(result, catalog=catalog)
queue.select("category", "label", "amount_cents", "age_days", "party_names").head(10)

# %%
from reconkit.review.workbook import write_exceptions_workbook

# summary sheet, one sheet per category, typed amounts and dates, no formula from the data
xlsx = write_exceptions_workbook(queue, run_dir / "review_queue.xlsx",
                                 catalog=reconkit.load_catalog(config.catalog))
print(f"Review queue exported: {xlsx.name} ({queue.height} rows)")

# %% [markdown]
# ## What to do next
# 1. Send `monthly/report.html` to management (it opens without a network).
# 2. Review the exceptions in notebook 03 (or share `review_queue.xlsx`).
# 3. Import `monthly/lettering.csv` into the ERP for the settled payments.
