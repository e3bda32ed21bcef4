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
# # 03 — Exception review
#
# The run matched the mechanical majority; what is left needs a person. This notebook helps
# you decide it **in order of what matters**:
#
# 1. **Where is the work?** The queue by category and money at stake, and by age: start
#    with the large amounts and the oldest records, leave the small recent ones for last.
# 2. **Decide, one exception at a time or in bulk.** Pick an exception, read it in plain
#    words (the record, what happened, what to do, the client across systems, each
#    candidate match as a sentence), then **Confirm** or **Reject** it, build a **match by
#    hand** (search the client's open invoices and allocate the payment), **write off** a
#    difference with a reason and an account, **reassign** a payment to another client,
#    **defer** or **comment**.
# 3. **Check what the review taught.** Every decision is stored with who and when in the
#    decisions store of the run config (`store:`), the same file `reconkit run` and
#    `reconkit review` read, so the next run applies it; `RECONKIT_STORE` overrides it, and
#    the screen says so. A confirmed payer IBAN becomes an alias, so next month resolves it
#    alone. Decisions can be undone one by one; a decision whose records changed since is
#    never applied silently (it comes back as *Decision to take again*).
#
# Runs on the bundled sample month by default; set `RECONKIT_CONFIG` to review your own run.

# %%
from reconkit.paths import notebook_paths
from reconkit.report_html import enable_offline_renderer

ROOT, CONFIG, OUT = notebook_paths()
enable_offline_renderer()  # charts draw without a network (Vega-Lite 5 + SVG fallback)
print(f"run config: {CONFIG.relative_to(ROOT) if CONFIG.is_relative_to(ROOT) else CONFIG}")

# %%
import getpass
import os

import reconkit
from reconkit.review import DecisionStore, ReviewApp
from reconkit.review.where import review_store, with_store

USER = os.environ.get("RECONKIT_USER") or getpass.getuser()
config = reconkit.load_config(CONFIG)
# the run config's `store:` (RECONKIT_STORE overrides it); said on screen either way
choice = review_store(config, fallback=OUT / "decisions.sqlite")
print(choice.describe(CONFIG.name))
store = DecisionStore(choice.path)
result = reconkit.run(with_store(config, choice))  # its aliases and decisions applied
print(f"{store.aliases().height} learned aliases used; decisions stored in {choice.path.name}")

# %% [markdown]
# ## 1. Where the work is
# Money at stake per category: a category at the top with one strong candidate per
# exception (a bank fee, a parent paying for its subsidiary) is often a bulk confirmation;
# a category with no candidate (an unexplained payment) needs a call to the client.

# %%
import polars as pl

from reconkit.review import review_queue
from reconkit.review.charts import queue_by_category, queue_charts

catalog = reconkit.load_catalog(config.catalog)
queue = review_queue(result, catalog=catalog)
charts = queue_charts(queue)
charts["queue_by_category"]

# %% [markdown]
# By age of the record: anything over 30 days is late for the month-end close; an old
# unbilled commitment is revenue nobody invoiced.

# %%
charts["queue_by_age"]

# %%
pl.Config.set_fmt_str_lengths(60)
queue_by_category(queue)

# %% [markdown]
# ## 2. Decide
# The screen lists the queue, largest amounts first (filter it by category, or show only
# what is still to decide). Select an exception to see its evidence; the buttons record your
# decision at once, with your name and the time. **Confirm all selected** confirms the best
# candidate of every exception selected in the list, in one transaction; **Undo last** takes
# back your latest decision. Errors (an allocation that does not add up, a missing reason,
# a busy store) are shown on screen, and nothing is recorded.

# %%
app = ReviewApp(result, store, USER, catalog=catalog, store_note=choice.describe(CONFIG.name))
print(f"{app.queue.height} exceptions in the queue")
app

# %% [markdown]
# ## 3. Audit trail and what the review taught (re-run to refresh)
# The last decisions, undone ones included (`undone_at`): undo one with
# `store.undo(decision_id, USER)` or `reconkit review undo`.

# %%
store.history().tail(10)

# %% [markdown]
# Aliases in force: payer IBANs confirmed for a client (`bank`), and payers accepted as
# paying for another client (`payer:erp`, from `reconkit audit --accept-payers`).

# %%
store.aliases()

# %% [markdown]
# ## What to do next
# 1. Run the month again (notebook 02 or `reconkit run`): your decisions and the aliases
#    they taught are applied, and the queue shrinks to what is still open.
# 2. Send the exceptions you could not decide to their owner (`reconkit review queue` exports
#    them to Excel, one sheet per category) and note why on each.
# 3. When the same decision comes back every month (the same payer for the same client, the
#    same small difference written off), make it a rule: accept the mined payers with
#    `reconkit audit CONFIG --accept-payers --user NAME`, or change the catalog and measure
#    it with `reconkit catalog what-if` (notebook 04).
# 4. Import `lettering.csv` of the run into the ERP for the settled payments.
