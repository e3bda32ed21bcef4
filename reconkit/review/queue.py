"""The review queue: the exceptions that need a human, largest first, with their evidence.

`review_queue` lists one row per exception whose category needs a decision (categories of
severity `info` are accounted for and skipped); `context` gathers everything needed to decide
one of them: the client across systems, its contracts, invoices, payments and ledger lines,
and each candidate match with its items and parsed evidence.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl

from reconkit.catalog.model import Catalog, load_catalog
from reconkit.result import ReconResult
from reconkit.review.records import exception_records, input_records

QUEUE_COLUMNS = ["exception_id", "category", "title", "system", "record_id", "label",
                 "amount_cents", "currency", "record_date", "age_days", "party_id",
                 "party_names", "detail", "candidate_ids", "candidate_scores",
                 "candidate_explanations", "decision"]
SETTLING = ("auto", "confirmed")
REOPENED = ("rejected_match", "stale_decision")


def decision_label(action: pl.Expr, payload: pl.Expr) -> pl.Expr:
    """What a decision says in the queue: its action, or the kind of a note (`defer`)."""
    kind = payload.str.json_path_match("$.kind")
    return pl.when((action == "note") & kind.is_not_null()).then(kind).otherwise(action)


def review_queue(result: ReconResult, *, catalog: Catalog | None = None,
                 decisions: pl.DataFrame | None = None,
                 as_of: date | None = None) -> pl.DataFrame:
    """One row per exception needing a decision, by absolute amount (desc) then id.

    `decisions` (a store's `active_decisions()`) fills `decision`: the latest action taken on
    the exception or on one of its candidate matches (null while undecided).
    `as_of` is the date ages are counted to (default: the latest date in the inputs).
    """
    catalog = catalog if catalog is not None else load_catalog()
    titles = pl.DataFrame({"category": [c.id for c in catalog.categories],
                           "title": [c.title for c in catalog.categories]},
                          schema={"category": pl.String, "title": pl.String})
    rows = (exception_records(result, as_of)
            .filter(pl.col("severity") != "info")
            .join(titles, on="category", how="left", maintain_order="left")
            .with_columns(pl.coalesce("title", "category").alias("title")))
    rows = rows.join(_latest_decision(rows, decisions), on="exception_id", how="left",
                     maintain_order="left")
    return (rows.sort([pl.col("amount_cents").abs(), pl.col("exception_id")],
                      descending=[True, False], nulls_last=True)
            .select(QUEUE_COLUMNS))


def _latest_decision(rows: pl.DataFrame, decisions: pl.DataFrame | None) -> pl.DataFrame:
    schema = {"exception_id": pl.String, "decision": pl.String}
    if decisions is None or decisions.height == 0:
        return pl.DataFrame(schema=schema)
    decisions = decisions.with_columns(decision_label(pl.col("action"), pl.col("payload"))
                                       .alias("action")).drop_nulls("action")
    direct = decisions.filter(pl.col("exception_id").is_not_null()).select(
        "exception_id", "decision_id", "action")
    # a rejected or stale candidate is the context of these exceptions, not their answer
    fresh = rows.filter(~pl.col("category").is_in(list(REOPENED)))
    via_match = (fresh.select("exception_id", pl.col("candidate_ids").alias("match_id"))
                 .explode("match_id").drop_nulls("match_id")
                 .join(decisions.filter(pl.col("match_id").is_not_null())
                       .select("match_id", "decision_id", "action"), on="match_id")
                 .drop("match_id"))
    both = pl.concat([direct, via_match]).unique().sort("decision_id")
    return both.group_by("exception_id", maintain_order=True).agg(
        pl.col("action").last().alias("decision")).cast(schema)  # type: ignore[arg-type]


def context(result: ReconResult, exception_id: str, *,
            catalog: Catalog | None = None) -> dict[str, Any]:
    """Everything needed to decide one exception, as plain Python values.

    Keys: exception, category, record, party_id, parties, commitments, invoices (with
    `open_cents`: amount not yet settled by an auto or confirmed payment match), payments,
    ledger_lines, candidates (match, items, parsed evidence; best score first).
    """
    rows = exception_records(result).filter(pl.col("exception_id") == exception_id)
    if rows.height == 0:
        raise KeyError(f"no exception {exception_id} in this result")
    exc = rows.row(0, named=True)
    catalog = catalog if catalog is not None else load_catalog()
    category = next((c.model_dump() for c in catalog.categories if c.id == exc["category"]),
                    {"id": exc["category"]})
    party_id = exc["party_id"]
    members = result.parties.filter(pl.col("party_id") == party_id) if party_id else \
        result.parties.clear()
    ids = {s: members.filter(pl.col("system") == s)["source_id"].to_list()
           for s in ("crm", "billing", "erp", "bank")}
    candidates = _candidate_matches(result, exc["candidate_ids"])
    in_candidates = {(i["system"], i["record_id"]) for c in candidates for i in c["items"]}
    inputs = result.inputs

    def table(name: str) -> pl.DataFrame:
        return inputs[name] if name in inputs else pl.DataFrame()

    def mine(name: str, column: str, system: str, owned: list[str]) -> list[dict[str, Any]]:
        df = table(name)
        if df.height == 0:
            return []
        cited = [r for s, r in in_candidates if s == system]
        return df.filter(pl.col(column).is_in(owned) | pl.col("record_id").is_in(cited)) \
            .sort("record_id").to_dicts()

    payments = table("payments")
    if payments.height:
        keys = input_records({"payments": payments}).select("record_id", "party_key")
        payments = payments.join(keys, on="record_id", how="left", maintain_order="left")
    return {
        "exception": exc,
        "category": category,
        "record": _record(inputs, exc["system"], exc["record_id"]),
        "party_id": party_id,
        "parties": members.to_dicts(),
        "commitments": mine("commitments", "party_record_id", "crm", ids["crm"]),
        "invoices": _with_open_amounts(result, mine("invoices", "party_record_id", "billing",
                                                    ids["billing"])),
        "payments": (payments.filter(pl.col("party_key").is_in(ids["bank"])
                                     | pl.col("record_id").is_in(
                                         [r for s, r in in_candidates if s == "bank"]))
                     .drop("party_key").sort("record_id").to_dicts() if payments.height else []),
        "ledger_lines": mine("ledger_lines", "aux_account", "erp", ids["erp"]),
        "candidates": candidates,
    }


def _record(inputs: dict[str, pl.DataFrame], system: str, record_id: str) -> dict[str, Any]:
    tables = {"bank": ["payments"], "billing": ["invoices", "parties"],
              "erp": ["ledger_lines", "parties"], "crm": ["commitments", "parties"]}
    for name in tables.get(system, []):
        df = inputs.get(name)
        if df is None:
            continue
        hit = df.filter((pl.col("system") == system) & (pl.col("record_id") == record_id))
        if hit.height:
            return {"table": name, **hit.row(0, named=True)}
    return {}


def _candidate_matches(result: ReconResult, match_ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for mid in match_ids:
        hit = result.matches.filter(pl.col("match_id") == mid)
        if hit.height == 0:
            continue
        m = hit.row(0, named=True)
        m["evidence"] = json.loads(m["evidence"]) if m["evidence"] else {}
        m["items"] = result.match_items.filter(pl.col("match_id") == mid).drop("match_id") \
            .to_dicts()
        out.append(m)
    return out


def _with_open_amounts(result: ReconResult,
                       invoices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    settled = (result.match_items
               .join(result.matches.filter((pl.col("kind") == "payment_invoice")
                                           & pl.col("status").is_in(SETTLING))
                     .select("match_id"), on="match_id")
               .filter((pl.col("system") == "billing") & (pl.col("role") == "invoice"))
               .group_by("record_id").agg(pl.col("amount_cents").sum()))
    paid = dict(settled.iter_rows())
    return [{**inv, "open_cents": inv["amount_cents"] - int(paid.get(inv["record_id"], 0) or 0)}
            for inv in invoices]
