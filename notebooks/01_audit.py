# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 — Audit the month's sources and the rules the accountant already applies
#
# Automating reconciliation starts with mapping the existing process, not with a tool. This
# notebook answers three questions, in order:
#
# 1. **Can the data be trusted?** How many records each source gave, what went to
#    quarantine and why, and a profile of every column (types, gaps, ranges, examples).
# 2. **Where do the exceptions concentrate?** Count and money at stake per category.
# 3. **Which rules does the accountant already apply?** Every lettering code in the ledger
#    (`EcritureLet`) is a decision: which receipt settled which invoices, which difference
#    was written off to which account, who paid for whom. We mine them into sentences with
#    their support, and into a draft rule catalog.
#
# Runs on the bundled sample month (its native exports: the FEC is read with every account)
# by default; set `RECONKIT_CONFIG` to audit your own run.

# %%
from reconkit.paths import notebook_paths
from reconkit.report_html import enable_offline_renderer

ROOT, CONFIG, OUT = notebook_paths("run_native.yaml")  # the FEC itself: write-offs seen
enable_offline_renderer()  # charts draw without a network (Vega-Lite 5 + SVG fallback)
print(f"run config: {CONFIG.relative_to(ROOT) if CONFIG.is_relative_to(ROOT) else CONFIG}")

# %% [markdown]
# ## 1. What was loaded
# One row per file: rows read, loaded, quarantined and deliberately skipped (lines on
# non-receivable accounts, drafts, pending entries). `read = loaded + quarantined + skipped`:
# if a number surprises you, stop here and ask for a new export.

# %%
import polars as pl

import reconkit
from reconkit.audit import LedgerAudit, exception_profile, exceptions_chart, profile_tables

pl.Config.set_tbl_rows(30)
pl.Config.set_tbl_cols(12)
pl.Config.set_fmt_str_lengths(120)
config = reconkit.load_config(CONFIG)
loaded = reconkit.load_sources(config)
loaded.report_frame()

# %% [markdown]
# ## Quarantine: rows that could not be used, with the reason
# Each row names the file, the line and the column: fix them at the source, not here.

# %%
print(f"Rows quarantined: {loaded.quarantine.height}")
loaded.quarantine.head(20)

# %% [markdown]
# ## Profile of the bank lines
# Look at the gaps (`nulls`) of `payer_iban` and `remittance`: the fewer references the
# payers give, the more the matching relies on names and amounts.

# %%
profile = profile_tables(loaded.tables)
profile.filter(pl.col("table") == "payments")

# %% [markdown]
# ## 2. Where the exceptions are
# Categories of severity `exception` need a person; `info` ones are recorded so nothing is
# silently skipped. The money at stake tells you where to start.

# %%
result = reconkit.Reconciliation.from_config(config).match(loaded)
catalog = reconkit.load_catalog(config.catalog)
exception_profile(result, catalog=catalog)

# %%
exceptions_chart(result, catalog=catalog)

# %% [markdown]
# ## 3. The tacit rules of the ledger
# Mined from the lettered history (a FEC source is read in full, every account, so the
# write-offs to 627/665/709/658/758 are seen) and the month's bank lines. Each sentence gives
# its **support**: how many of the accountant's decisions stand behind it.

# %%
audit = LedgerAudit.from_config(config, loaded)
for row in audit.tacit.iter_rows(named=True):
    print(f"- [{row['topic']}] {row['sentence']} (support: {row['support']})")

# %% [markdown]
# ### How payers cite the invoice
# The *hit rate* is the share of receipts whose citation, read alone, leads to exactly the
# invoices the accountant lettered. Forms with a high hit rate are safe to automate.

# %%
from reconkit.audit.audit_report import mining_charts

charts = mining_charts(audit.mined)
charts["reference_forms"]

# %%
audit.mined.references.select("shape", "form", "receipts", "share", "hit_rate")

# %% [markdown]
# ### Differences written off
# A write-off account used again and again is a tolerance rule: bank fees kept by an
# intermediary bank (627), early-payment discounts the clients took (665), small differences
# not worth chasing (658 short, 758 paid more). Compare each mined tolerance with the
# catalog's (`PAY-FEE` allows 25.00 and 2%): a mined tolerance far above it is a habit to
# discuss, not to automate.

# %%
charts["write_off_gaps"]

# %%
audit.mined.tolerances.drop("examples")

# %% [markdown]
# ### Who pays for whom
# Payers booked to another client's account. When the payer is a client account itself (a
# parent paying for its subsidiary), the pair can be accepted once:
# `reconkit audit CONFIG --accept-payers --user NAME` records it in the decisions store, and
# the next run matches that payer's payments for that client automatically instead of
# queueing them. Payers under a name no account bears (a renamed client, a factor) are for
# the review to settle.

# %%
audit.mined.pays_for.select("payer", "payer_account", "paid_for_account", "paid_for_name",
                            "receipts", "lettered")

# %%
from reconkit.audit.accept import payer_pairs

payer_pairs(audit.mined.pays_for)  # what --accept-payers would record

# %% [markdown]
# ### Payment delays
# Median days from invoice to receipt per client: the slow payers are where partial and
# late payments will come from.

# %%
charts["payment_delays"]

# %% [markdown]
# ## Write the audit report and the draft catalog

# %%
from reconkit.paths import DEFAULT_CATALOG

written = audit.write(OUT / "audit", base_catalog=config.catalog or DEFAULT_CATALOG)
print("Written:", ", ".join(str(p.relative_to(OUT)) for p in written))

# %% [markdown]
# ## What to do next
# 1. Fix what quarantine reports at the source and re-export.
# 2. Read `audit/audit_report.html` with the person who letters the accounts: keep, correct
#    or drop each rule.
# 3. Edit `audit/draft_catalog/mined.yaml`, then measure it:
#    `reconkit catalog what-if CONFIG --catalog out/notebooks/audit/draft_catalog`.
# 4. Accept the payers that pay for another client account once they are confirmed:
#    `reconkit audit CONFIG --accept-payers --user NAME`.
# 5. Run the month (notebook 02) and review the exceptions (notebook 03).
