"""Fingerprints of what a decision was about, so that a decision never outlives its items.

A reviewer confirms a match *as shown*: these items, these amounts, these candidates. The
fingerprint of a decision is two hashes kept in its payload:

- `items`: the match's items (system, record id, role, amount) and, for each record, its
  amount and status in the sources (an invoice re-issued at another amount, a payment
  reversed, an invoice now marked paid elsewhere all change it);
- `candidates`: the candidate matches of the exception decided (a new candidate appears, one
  disappears).

`DecisionStore.apply` recomputes them on the next run: a decision whose fingerprint changed
is not applied; it comes back to the queue as a `stale_decision` exception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from reconkit.result import ReconResult
from reconkit.review.records import input_records

ITEM_KEYS = ("system", "record_id", "role", "amount_cents")


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _hash_expr(expr: pl.Expr) -> pl.Expr:
    return expr.map_batches(lambda s: pl.Series([_sha(v or "") for v in s.to_list()],
                                                dtype=pl.String), return_dtype=pl.String)


def record_states(result: ReconResult) -> pl.DataFrame:
    """(system, record_id) -> `amount|status` of each input record."""
    records = input_records(result.inputs).select("system", "record_id", "amount_cents")
    status = pl.DataFrame(schema={"system": pl.String, "record_id": pl.String,
                                  "status": pl.String})
    invoices = result.inputs.get("invoices")
    if invoices is not None and "status" in invoices.columns:
        status = invoices.select("system", "record_id", pl.col("status").cast(pl.String))
    return records.join(status, on=["system", "record_id"], how="left").select(
        "system", "record_id",
        pl.concat_str([pl.col("amount_cents").cast(pl.String).fill_null("?"),
                       pl.col("status").fill_null("")], separator="|").alias("state"))


def items_fingerprint(items: pl.DataFrame, states: pl.DataFrame) -> pl.DataFrame:
    """key -> hash of its items and their records' states (`items` has a `key` column and
    the `ITEM_KEYS`)."""
    rows = items.join(states, on=["system", "record_id"], how="left").select(
        "key", pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in ITEM_KEYS]
                             + [pl.col("state").fill_null("missing")], separator=":")
        .alias("line"))
    return (rows.sort("key", "line").group_by("key", maintain_order=True)
            .agg(pl.col("line").str.join("\x1f"))
            .select("key", _hash_expr(pl.col("line")).alias("items")))


def match_fingerprints(result: ReconResult, match_ids: Iterable[str]) -> dict[str, str]:
    """match_id -> items hash, for the matches of `match_ids` present in `result`."""
    wanted = sorted(set(match_ids))
    if not wanted:
        return {}
    items = result.match_items.filter(pl.col("match_id").is_in(wanted)).rename(
        {"match_id": "key"})
    return dict(items_fingerprint(items, record_states(result)).iter_rows())


def manual_fingerprint(result: ReconResult, items: list[Mapping[str, Any]],
                       states: pl.DataFrame | None = None) -> str:
    """Items hash of a match built by hand (its items are in the decision's payload)."""
    frame = pl.DataFrame([{k: i.get(k) for k in ITEM_KEYS} for i in items],
                         schema={"system": pl.String, "record_id": pl.String,
                                 "role": pl.String, "amount_cents": pl.Int64})
    got = items_fingerprint(frame.with_columns(pl.lit("m").alias("key")),
                            states if states is not None else record_states(result))
    return str(got["items"][0]) if got.height else ""


def candidate_fingerprints(result: ReconResult, exception_ids: Iterable[str]) -> dict[str, str]:
    """exception_id -> hash of its sorted candidate match ids."""
    wanted = sorted(set(exception_ids))
    if not wanted:
        return {}
    exc = result.exceptions.filter(pl.col("exception_id").is_in(wanted)).select(
        "exception_id", pl.col("candidate_match_ids").fill_null("").str.split(";")
        .list.eval(pl.element().filter(pl.element() != "")).list.sort().list.join(";")
        .alias("c"))
    return dict(exc.select("exception_id", _hash_expr(pl.col("c"))).iter_rows())


def fingerprints(result: ReconResult,
                 decisions: list[tuple[str | None, str | None, list[Mapping[str, Any]] | None]]
                 ) -> list[dict[str, str]]:
    """The fingerprint stored with each (match_id, exception_id, manual items) decision, all
    computed in one pass over the run (a bulk of hundreds stays fast)."""
    match_fp = match_fingerprints(result, [m for m, _e, items in decisions if m and not items])
    cand_fp = candidate_fingerprints(result, [e for _m, e, _i in decisions if e])
    states = record_states(result) if any(items for _m, _e, items in decisions) else None
    out: list[dict[str, str]] = []
    for match_id, exception_id, items in decisions:
        fp: dict[str, str] = {}
        got = (manual_fingerprint(result, items, states) if items
               else match_fp.get(match_id or ""))
        if got:
            fp["items"] = got
        if exception_id and exception_id in cand_fp:
            fp["candidates"] = cand_fp[exception_id]
        out.append(fp)
    return out


def fingerprint(result: ReconResult, match_id: str | None, exception_id: str | None,
                manual_items: list[Mapping[str, Any]] | None = None) -> dict[str, str]:
    """The fingerprint stored with one decision (empty parts are left out)."""
    return fingerprints(result, [(match_id, exception_id, manual_items)])[0]
