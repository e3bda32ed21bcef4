"""The draft rule catalog: mined rules as catalog YAML the auditor edits and accepts.

Each mined rule has `source: mined`, its tacit rule as the description (with its support),
and a comment block above it with the evidence (counts, examples). The catalog model refuses
unknown fields, so the evidence lives in that comment block and in the description.

`write_draft_catalog` writes a loadable, runnable catalog folder: the base catalog's files
plus `mined.yaml`, whose rules run just before their base counterparts (same matcher kinds,
mined tolerances).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from reconkit.audit.mining import MinedRules
from reconkit.catalog.model import Catalog, load_catalog

OWNER = "accounts-receivable"
MINED_CATEGORY = {
    "id": "mined_write_off", "title": "Difference written off (mined habit)",
    "description": "A payment short by a difference the ledger habitually writes off to a "
                   "discount or write-off account (mined from the lettering).",
    "what_to_do": "Approve the write-off to the account named in the rule, or claim the "
                  "difference."}


def write_off_rule_id(row: dict[str, Any]) -> str:
    return f"PAY-MINED-WRITE-OFF-{str(row['write_off_account'])[:3]}"


def short_paid() -> pl.Expr:
    """Write-off habits of payments short of the invoice (most of their groups): the ones a
    fee-deducted rule can draft."""
    return pl.col("short_paid") * 2 >= pl.col("groups")


def other_entity_rule_id() -> str:
    return "PAY-MINED-OTHER-ENTITY"


def _rule(rule_id: str, title: str, description: str, rationale: str, matcher: dict[str, Any],
          priority: int, *, auto: float | None = None,
          category: str | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id, "title": title, "description": description, "rationale": rationale,
        "owner": OWNER, "source": "mined", "link": "payment_invoice", "matcher": matcher,
        "priority": priority, "auto_approve": auto}
    if category:
        rule["exception_category"] = category
    return rule


def draft_rules(mined: MinedRules, tacit: pl.DataFrame, base: Catalog,
                ) -> list[tuple[dict[str, Any], list[str]]]:
    """(rule, evidence comment lines) for every rule the mining supports, in priority order.

    Each mined rule starts from the parameters of the base catalog's rule of the same matcher
    (weights, thresholds, bounds) and changes only what the ledger showed."""

    def params(rule_id: str, **mined_values: Any) -> dict[str, Any]:
        return {**base.rule(rule_id).matcher.params, **mined_values}

    sentence = {r["rule_id"]: r["sentence"] for r in tacit.iter_rows(named=True)
                if r["rule_id"]}
    out: list[tuple[dict[str, Any], list[str]]] = []
    refs = mined.references
    if "PAY-MINED-REF" in sentence:
        ev = [f"{r['form']} ({r['shape']}): {r['receipts']} receipts, hit rate "
              f"{r['hit_rate']:.2%}, e.g. {r['examples']}" for r in refs.iter_rows(named=True)]
        out.append((_rule("PAY-MINED-REF", "Invoice cited as the payers habitually write it",
                          sentence["PAY-MINED-REF"],
                          "The accountant lettered these receipts with the invoice they cite; "
                          "the same reading, amount and client agreeing, is safe to automate.",
                          {"kind": "reference_exact", "params": params("PAY-REF-EXACT")},
                          9, auto=0.9), ev))
    if other_entity_rule_id() in sentence:
        pairs = mined.pays_for.filter(pl.col("payer_account").is_not_null())
        ev = [f"{r['payer']} ({r['payer_account']}, IBAN {r['payer_iban'] or '-'}) pays for "
              f"{r['paid_for_name']} ({r['paid_for_account']}): {r['receipts']} receipts, "
              f"e.g. {r['examples']}" for r in pairs.iter_rows(named=True)]
        desc = " ".join(r["sentence"] for r in tacit.iter_rows(named=True)
                        if r["rule_id"] == other_entity_rule_id())
        out.append((_rule(other_entity_rule_id(), "Known payer for another client", desc,
                          "The ledger shows who pays for whom; confirm each pair once and "
                          "record the payer as an alias of the client it pays for.",
                          {"kind": "reference_other_entity",
                           "params": params("PAY-OTHER-ENTITY")},
                          19, category="payer_is_other_entity"), ev))
    # short-payment habits only (an overpayment matcher takes any excess, whatever its size),
    # tightest tolerance first: a gap goes to the most specific habit that covers it
    short_habits = mined.tolerances.filter(short_paid()).sort(
        "tolerance_cents", "tolerance_bp", "write_off_account")
    for i, r in enumerate(short_habits.iter_rows(named=True)):
        rid = write_off_rule_id(r)
        category = ("bank_fee_deducted" if str(r["write_off_account"]).startswith("627")
                    else MINED_CATEGORY["id"])
        gap = params("PAY-FEE", max_fee_cents=r["tolerance_cents"],
                     max_fee_bp=r["tolerance_bp"])
        out.append((_rule(rid, f"Difference written off to {r['write_off_account']} "
                          f"({r['meaning']})", sentence[rid],
                          "The accountant closed these groups with the difference written off; "
                          "the write-off is still approved by a person.",
                          {"kind": "reference_fee_deducted", "params": gap}, 28 + i,
                          category=category),
                    [f"{r['groups']} groups, min {r['min_cents']} / median {r['median_cents']}"
                     f" / max {r['max_cents']} cents, max {r['max_bp']} bp; e.g. "
                     f"{r['examples']}"]))
    g = mined.grouping
    if g.several_invoices:
        k = max(2, g.max_invoices)
        out.append((_rule("PAY-MINED-GROUPED", "Grouped payment as the ledger letters it",
                          sentence["PAY-MINED-GROUPED"],
                          "Combinations the size the accountant lettered; never auto.",
                          {"kind": "grouped_subset_sum",
                           "params": params("PAY-GROUPED", k_max=k)}, 69,
                          category="grouped_payment"),
                    [f"receipts per number of invoices: {g.sizes}"]))
    return sorted(out, key=lambda x: (x[0]["priority"], x[0]["id"]))


def render_draft(mined: MinedRules, tacit: pl.DataFrame, *, base: Catalog,
                 ledger_name: str) -> str:
    """The `mined.yaml` text: header comment, description, rules with evidence comments."""
    rules = draft_rules(mined, tacit, base)
    lines = ["# Draft rules mined by `reconkit audit` from the ledger's lettering "
             f"({ledger_name}).",
             f"# {mined.lettered_groups} lettered groups, {mined.lettered_receipts} lettered "
             "receipts. Edit, then accept by moving the rules you keep into the catalog.",
             "# Evidence of each rule is in the comment block above it.",
             yaml.safe_dump({"description": f"Rules mined from {ledger_name} (draft)."},
                            sort_keys=False, width=100).rstrip(), "rules:"]
    if not rules:
        lines[-1] = "rules: []"
    uses_category = False
    for rule, evidence in rules:
        uses_category |= rule.get("exception_category") == MINED_CATEGORY["id"]
        lines.append(f"  # {rule['id']} evidence:")
        lines += [f"  #   {e}" for e in evidence]
        body = yaml.safe_dump([rule], sort_keys=False, width=100, allow_unicode=True)
        lines += ["  " + ln for ln in body.rstrip().splitlines()]
    if uses_category:
        lines.append(yaml.safe_dump({"categories": [MINED_CATEGORY]}, sort_keys=False,
                                    width=100).rstrip())
    return "\n".join(lines) + "\n"


def write_draft_catalog(mined: MinedRules, tacit: pl.DataFrame, folder: Path, *,
                        base: Path, ledger_name: str) -> Path:
    """Write the base catalog's YAML files and `mined.yaml` into `folder`; return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for f in sorted(Path(base).glob("*.yaml")):
        if f.name != "mined.yaml":
            shutil.copyfile(f, folder / f.name)
    (folder / "mined.yaml").write_text(
        render_draft(mined, tacit, base=load_catalog(base), ledger_name=ledger_name),
        encoding="utf-8")
    return folder
