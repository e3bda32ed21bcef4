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
# # 04 — The rule catalog as documentation
#
# Every matching rule is documented: the tacit rule in plain words (what), why it holds,
# who owns it, where it was learned (source: a person, or `mined` from the ledger), its
# tolerances (every matcher parameter), its threshold for automatic matching and the
# exception it raises. Next to each rule: **how often it fired this month** and, once
# reviewers have decided, **how often they agreed** (precision). A rule that fires often and
# is rejected often is the first to fix.

# %%
from reconkit.paths import notebook_paths

ROOT, CONFIG, OUT = notebook_paths()
print(f"run config: {CONFIG.relative_to(ROOT) if CONFIG.is_relative_to(ROOT) else CONFIG}")

# %%
import polars as pl

import reconkit
from reconkit.audit import to_xlsx
from reconkit.catalog.document import catalog_html, catalog_markdown, rule_documentation

pl.Config.set_tbl_rows(40)
pl.Config.set_fmt_str_lengths(80)
config = reconkit.load_config(CONFIG)
catalog = reconkit.load_catalog(config.catalog)
result = reconkit.run(config)  # this month, in memory: hits per rule
doc = rule_documentation(catalog, matches=result.matches)
print(f"{len(catalog.rules)} rules, {len(catalog.categories)} exception categories")
doc.select("link", "priority", "id", "title", "threshold", "tolerances", "hits_auto",
           "hits_review")

# %% [markdown]
# ## Exception categories and what to do about them

# %%
catalog.categories_frame().select("id", "severity", "title", "what_to_do")

# %% [markdown]
# ## Export for finance (Markdown, HTML, Excel)

# %%
export_dir = OUT / "catalog"
export_dir.mkdir(parents=True, exist_ok=True)
(export_dir / "rule_catalog.md").write_text(
    catalog_markdown(doc, categories=catalog.categories_frame()), encoding="utf-8")
(export_dir / "rule_catalog.html").write_text(catalog_html(doc), encoding="utf-8")
xlsx = to_xlsx({"rules": doc, "categories": catalog.categories_frame()},
               export_dir / "rule_catalog.xlsx")
print(f"Exported {xlsx.name}, rule_catalog.md and rule_catalog.html")

# %% [markdown]
# ## What a changed catalog would change
# The draft catalog of notebook 01 (rules mined from the ledger) against the current one:
# which rules and fields differ. `reconkit catalog what-if CONFIG --catalog DRAFT` then
# reruns the month with it and lists the matches that appear, disappear or change.

# %%
from IPython.display import display

from reconkit.catalog.document import catalog_diff

draft = OUT / "audit" / "draft_catalog"
if draft.is_dir():
    diff = catalog_diff(catalog, reconkit.load_catalog(draft))
    print(f"{diff.height} differences with the draft catalog")
    display(diff)
else:
    print("No draft catalog yet: run notebook 01 first.")

# %% [markdown]
# ## What to do next
# 1. Send `catalog/rule_catalog.html` to the rule owners for review.
# 2. For each rule with many review hits, ask: can its tolerance or threshold change?
#    Measure with `reconkit catalog what-if` before changing the catalog.
# 3. After each review cycle, export again with `--store` to see each rule's precision.
