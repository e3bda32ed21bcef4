"""The mined rules as sentences: each tacit rule in plain words with its support.

`tacit_rules` gives one row per rule (topic, rule id it drafts when any, sentence, support
count): the audit report prints them, the draft catalog copies them into descriptions.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from reconkit.audit.mine_references import FORM_TEXT
from reconkit.audit.mining import DelaySummary, Grouping, MinedRules
from reconkit.money import format_cents

TACIT_SCHEMA = {"topic": pl.String, "rule_id": pl.String, "sentence": pl.String,
                "support": pl.Int64}


def pct(part: int | float, whole: int | float) -> str:
    """`part/whole` as a percentage with one decimal (`0.0%` for an empty whole)."""
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"


def reference_sentence(refs: pl.DataFrame, receipts: int) -> tuple[str, int]:
    """How payers cite invoices: share per form and how often the citation alone leads to
    the invoice the accountant lettered."""
    forms = refs.group_by("form").agg(pl.col("receipts").sum(), pl.col("hits").sum()) \
        .sort(["receipts", "form"], descending=[True, False])
    cited = forms.filter(pl.col("form") != "none")
    n_cited = int(cited["receipts"].sum())
    hits = int(cited["hits"].sum())
    shapes = sorted(refs.filter(pl.col("form") != "none")["shape"].drop_nulls().unique())
    parts = [f"{FORM_TEXT[f]} {pct(n, receipts)}" for f, n, _ in cited.iter_rows()]
    shape_text = f" (invoice numbers shaped {', '.join(shapes)})" if shapes else ""
    text = (f"Payers cite the invoice they pay in {pct(n_cited, receipts)} of lettered "
            f"receipts ({n_cited} of {receipts}){shape_text}: {'; '.join(parts) or 'never'}. "
            f"Read alone, the citation leads to exactly the invoices the accountant lettered "
            f"in {pct(hits, n_cited)} of them ({hits} of {n_cited}).")
    none = forms.filter(pl.col("form") == "none")
    if none.height:
        n_none = int(none["receipts"][0])
        text += (f" {n_none} receipts ({pct(n_none, receipts)}) cite nothing: the payer's "
                 "name and the amount decided.")
    return text, n_cited


def tolerance_sentence(row: dict[str, Any]) -> str:
    return (f"Differences up to {format_cents(row['tolerance_cents'])} and "
            f"{row['tolerance_bp'] / 100:.1f}% of the invoiced amount are written off to "
            f"account {row['write_off_account']} ({row['meaning']}): {row['groups']} lettered "
            f"groups, median {format_cents(row['median_cents'])}, largest "
            f"{format_cents(row['max_cents'])} ({row['max_bp'] / 100:.2f}%).")


def pays_for_sentence(row: dict[str, Any]) -> str:
    money = format_cents(row["amount_cents"])
    iban = f", IBAN {row['payer_iban']}" if row["payer_iban"] else ""
    n = row["receipts"]
    what = f"{n} receipt{'s' if n > 1 else ''}, {money}, {row['lettered']} lettered"
    if row["payer_account"]:
        return (f"{row['payer']} (client account {row['payer_account']}{iban}) pays for "
                f"{row['paid_for_name']} ({row['paid_for_account']}): {what}.")
    return (f"{row['payer']}{iban} pays the invoices of {row['paid_for_name']} "
            f"({row['paid_for_account']}) without being a client account of the ledger under "
            f"that name (a renamed client, a parent or a factor): {what}.")


def pays_for_summary(pays: pl.DataFrame) -> str:
    """One sentence over all payers booked to another client's account."""
    known = pays.filter(pl.col("payer_account").is_not_null())
    n, receipts = pays.height, int(pays["receipts"].sum())
    return (f"{n} payer{'s' if n > 1 else ''} paid for another client account "
            f"({receipts} receipts, {format_cents(int(pays['amount_cents'].sum()))}): "
            f"{known.height} known as clients themselves (parent, sister company), "
            f"{n - known.height} under a name no client account bears (renamed client, "
            "parent or factor outside the ledger).")


def grouping_sentences(g: Grouping) -> list[str]:
    n, multi = g.receipts, g.several_invoices
    if multi:
        first = (f"One receipt settles several invoices in {pct(multi, n)} of lettered "
                 f"receipts ({multi} of {n}), up to {g.max_invoices} at once.")
    else:
        first = (f"One receipt settles exactly one invoice: no lettered receipt settles "
                 f"several ({n} receipts).")
    return [first, f"Receipts settle the client's oldest open invoice first in "
                   f"{pct(g.oldest_first, n)} of lettered receipts "
                   f"({g.oldest_first} of {n})."]


def delay_sentence(s: DelaySummary, delays: pl.DataFrame) -> str:
    text = (f"Clients pay a median {s.median_days} days after the invoice date; "
            f"{pct(s.on_time, s.invoices_paid)} of paid invoices were paid by their due "
            f"date ({s.on_time} of {s.invoices_paid}).")
    slow = delays.filter(pl.col("invoices_paid") >= 2).head(3)
    if slow.height:
        names = ", ".join(f"{r['aux_name']} ({r['median_days']} days)"
                          for r in slow.iter_rows(named=True))
        text += f" Slowest regular payers: {names}."
    return text


def tacit_rules(mined: MinedRules) -> pl.DataFrame:
    """One row per tacit rule, in report order: topic, drafted rule id (if any), sentence,
    support (the number of ledger decisions behind it)."""
    from reconkit.audit.draft_catalog import other_entity_rule_id, short_paid, write_off_rule_id

    rows: list[tuple[str, str | None, str, int]] = []
    text, cited = reference_sentence(mined.references, mined.lettered_receipts)
    rows.append(("references", "PAY-MINED-REF" if cited else None, text,
                 mined.lettered_receipts))
    short = set(mined.tolerances.filter(short_paid())["write_off_account"])
    for r in mined.tolerances.iter_rows(named=True):
        rule = write_off_rule_id(r) if r["write_off_account"] in short else None
        rows.append(("tolerances", rule, tolerance_sentence(r), r["groups"]))
    if not mined.all_accounts:
        rows.append(("tolerances", None, "Write-offs cannot be seen: the ledger source holds "
                     "only customer-account lines (give the FEC itself to see where "
                     "differences were booked).", 0))
    elif not mined.tolerances.height:
        rows.append(("tolerances", None, "No lettered group closed with a difference written "
                     f"off: every one of the {mined.lettered_groups} lettered groups balances "
                     "receipts against invoices exactly.", mined.lettered_groups))
    if mined.pays_for.height:
        rows.append(("payers", None, pays_for_summary(mined.pays_for),
                     int(mined.pays_for["receipts"].sum())))
    for r in mined.pays_for.iter_rows(named=True):
        rows.append(("payers", other_entity_rule_id() if r["payer_account"] else None,
                     pays_for_sentence(r), r["receipts"]))
    g = mined.grouping
    for i, sentence in enumerate(grouping_sentences(g)):
        rule = "PAY-MINED-GROUPED" if i == 0 and g.several_invoices else None
        rows.append(("grouping", rule, sentence, g.receipts))
    rows.append(("delays", None, delay_sentence(mined.delay_summary, mined.delays),
                 mined.delay_summary.invoices_paid))
    return pl.DataFrame(rows, schema=TACIT_SCHEMA, orient="row")
