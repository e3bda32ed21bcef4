"""Reviewers' decisions applied to a run: statuses, matches built by hand, write-offs, and
everything a decision leaves open sent back to the queue.

- confirm / reject of a match sets its status (the latest decision in force wins);
- a write-off confirms its match and says what was written off, to which account and why;
- a confirm carrying `items` is a match built by hand: it is added (rule `MANUAL`);
- a decision whose items changed since it was taken (fingerprint) is not applied: its record
  returns to the queue as a `stale_decision` exception;
- a record whose only matches of a kind are rejected returns to the queue as a
  `rejected_match` exception, the rejected candidates as context.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Final

import polars as pl

from reconkit.result import SORT_KEYS, ReconResult, stable_id
from reconkit.review.fingerprint import (
    candidate_fingerprints,
    manual_fingerprint,
    match_fingerprints,
    record_states,
)
from reconkit.review.render import format_money

MANUAL_RULE: Final = "MANUAL"
STATUS_OF: Final = {"confirm": "confirmed", "reject": "rejected", "write_off": "confirmed"}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What applying the decisions did: ids of the stale decisions and why."""

    result: ReconResult
    stale: dict[int, str]


def payload_of(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _staleness(result: ReconResult, decisions: list[dict[str, Any]]) -> dict[int, str]:
    """decision_id -> why it no longer applies (only decisions that carry a fingerprint)."""
    match_fp = match_fingerprints(result, [d["match_id"] for d in decisions if d["match_id"]])
    cand_fp = candidate_fingerprints(result, [d["exception_id"] for d in decisions
                                              if d["exception_id"]])
    states = record_states(result) if any(d["payload"].get("items") for d in decisions) \
        else None
    stale: dict[int, str] = {}
    for d in decisions:
        fp = d["payload"].get("fingerprint") or {}
        manual = d["payload"].get("items")
        if "items" in fp:
            now = (manual_fingerprint(result, manual, states) if manual
                   else match_fp.get(d["match_id"] or ""))
            if now is None:
                stale[d["decision_id"]] = "the match it was about is no longer proposed"
            elif now != fp["items"]:
                stale[d["decision_id"]] = ("the records it was about changed since "
                                           "(amount, status or items)")
        if d["decision_id"] not in stale and "candidates" in fp:
            now = cand_fp.get(d["exception_id"] or "")
            if now is not None and now != fp["candidates"]:
                stale[d["decision_id"]] = "the candidate matches changed since (a new one " \
                                          "appeared or one went away)"
    return stale


def apply_decisions(result: ReconResult, active: pl.DataFrame) -> Outcome:
    """`result` with the decisions in force (`DecisionStore.active_decisions()`) applied."""
    decisions = [{**d, "payload": payload_of(d["payload"])}
                 for d in active.sort("decision_id").to_dicts()]
    stale = _staleness(result, decisions)
    live = [d for d in decisions if d["decision_id"] not in stale]
    known = set(result.matches["match_id"].to_list())
    verdicts: dict[str, tuple[str, str]] = {}
    manual_matches: list[dict[str, Any]] = []
    manual_items: list[dict[str, Any]] = []
    for d in live:
        items = d["payload"].get("items")
        if d["action"] == "confirm" and items and d["match_id"] and d["match_id"] not in known:
            known.add(d["match_id"])
            manual_matches.append(_manual_match(d))
            manual_items += [{"match_id": d["match_id"], **{k: i.get(k) for k in
                              ("system", "record_id", "role", "amount_cents")}} for i in items]
            continue
        if d["match_id"] and d["action"] in STATUS_OF:
            verdicts[d["match_id"]] = (STATUS_OF[d["action"]], _write_off_text(d))
    matches, match_items = result.matches, result.match_items
    if manual_matches:
        matches = pl.concat([matches, pl.DataFrame(manual_matches, schema=matches.schema)])
        match_items = pl.concat([match_items, pl.DataFrame(manual_items,
                                                           schema=match_items.schema)])
    matches = _with_verdicts(matches, verdicts)
    exceptions = pl.concat([result.exceptions, _stale_exceptions(result, decisions, stale)])
    applied = dataclasses.replace(result, matches=matches.sort(SORT_KEYS["matches"]),
                                  match_items=match_items.sort(SORT_KEYS["match_items"]))
    exceptions = pl.concat([exceptions, rejected_exceptions(applied, exceptions)])
    applied = dataclasses.replace(applied, exceptions=exceptions.sort(
        SORT_KEYS["exceptions"], nulls_last=True))
    return Outcome(applied, stale)


def _with_verdicts(matches: pl.DataFrame, verdicts: dict[str, tuple[str, str]]) -> pl.DataFrame:
    if not verdicts:
        return matches
    v = pl.DataFrame([(m, s, n) for m, (s, n) in verdicts.items()], orient="row",
                     schema={"match_id": pl.String, "decided": pl.String, "note": pl.String})
    return matches.join(v, on="match_id", how="left", maintain_order="left").with_columns(
        pl.coalesce("decided", "status").alias("status"),
        (pl.col("explanation") + pl.col("note").fill_null("")).alias("explanation"),
    ).drop("decided", "note")


def _money(cents: int, currency: str | None = "EUR") -> str:
    return f"{format_money(cents)} {currency or ''}".strip()


def _write_off_text(d: dict[str, Any]) -> str:
    if d["action"] != "write_off":
        return ""
    p = d["payload"]
    cents = int(p.get("cents") or 0)
    reason = f" ({p['reason']})" if p.get("reason") else ""
    return (f"; {_money(cents, p.get('currency'))} written off to account "
            f"{p.get('account') or '?'}{reason} by {d['user']} on {d['at'][:10]}")


def _manual_match(d: dict[str, Any]) -> dict[str, Any]:
    p = d["payload"]
    parts = [f"{_money(int(i.get('amount_cents') or 0), p.get('currency'))} to "
             f"{i.get('label') or i['record_id']}" for i in p["items"]
             if i.get("role") != "payment"]
    return {"match_id": d["match_id"], "kind": p.get("kind", "payment_invoice"),
            "rule_id": MANUAL_RULE, "status": "confirmed", "score": 1.0,
            "explanation": f"matched by hand by {d['user']} on {d['at'][:10]}: "
                           + ", ".join(parts) + (f" ({p['note']})" if p.get("note") else ""),
            "evidence": json.dumps({"decision_id": d["decision_id"], "by": d["user"]},
                                   sort_keys=True),
            "alternative": False}


def manual_match_id(items: list[dict[str, Any]]) -> str:
    """The id of a match built by hand: a hash of its items (same items, same id)."""
    keys = sorted(f"{i['system']}:{i['record_id']}:{i['role']}" for i in items)
    return stable_id("M", "manual", *keys)


def _exception_rows(template: pl.DataFrame, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows shaped like `template` (the run's exceptions table); a `severity` column, when
    the table has one, says `decision`."""
    if not rows:
        return template.clear()
    full = [{c: r.get(c, "decision" if c == "severity" else None) for c in template.columns}
            for r in rows]
    return pl.DataFrame(full, schema=template.schema)


def _stale_exceptions(result: ReconResult, decisions: list[dict[str, Any]],
                      stale: dict[int, str]) -> pl.DataFrame:
    if not stale:
        return result.exceptions.clear()
    where = {r[0]: (r[1], r[2]) for r in result.exceptions.select(
        "exception_id", "system", "record_id").iter_rows()}
    rows: dict[str, dict[str, Any]] = {}
    for d in decisions:
        why = stale.get(d["decision_id"])
        if why is None:
            continue
        record = where.get(d["exception_id"] or "") or _anchor(result, d)
        if record is None:
            continue
        eid = stable_id("E", "stale_decision", *record)
        mid = d["match_id"] if d["match_id"] in set(result.matches["match_id"]) else ""
        rows[eid] = {"exception_id": eid, "category": "stale_decision", "system": record[0],
                     "record_id": record[1], "candidate_match_ids": mid,
                     "detail": f"{d['user']}'s {d['action'].replace('_', '-')} of "
                               f"{d['at'][:10]} (decision {d['decision_id']}) was not "
                               f"applied: {why}. Decide again."}
    return _exception_rows(result.exceptions, list(rows.values()))


def _anchor(result: ReconResult, d: dict[str, Any]) -> tuple[str, str] | None:
    """The record a decision is about when its exception is gone: the payment, else the
    first item."""
    items = d["payload"].get("items") or result.match_items.filter(
        pl.col("match_id") == (d["match_id"] or "")).to_dicts()
    if not items:
        return None
    first = min(items, key=lambda i: (i.get("role") != "payment", i["system"],
                                      i["record_id"]))
    return str(first["system"]), str(first["record_id"])


def rejected_exceptions(result: ReconResult, exceptions: pl.DataFrame) -> pl.DataFrame:
    """A `rejected_match` exception for each record left with only rejected matches of a
    kind (a payment whose invoice match was rejected stays unexplained even if its ERP bank
    line is linked) and that no exception already holds; the rejected matches are its
    candidates."""
    items = result.match_items.join(result.matches.select("match_id", "kind", "status"),
                                    on="match_id")
    keys = ["system", "record_id", "kind"]
    held = items.filter(pl.col("status") != "rejected").select(keys).unique()
    orphans = (items.filter(pl.col("status") == "rejected")
               .join(held, on=keys, how="anti")
               .join(exceptions.select("system", "record_id").unique(),
                     on=["system", "record_id"], how="anti"))
    if orphans.height == 0:
        return exceptions.clear()
    grouped = orphans.group_by("system", "record_id").agg(
        pl.col("match_id").unique().sort().str.join(";").alias("candidate_match_ids"),
        pl.col("match_id").n_unique().alias("n")).sort("system", "record_id")
    rows = [{"exception_id": stable_id("E", "rejected_match", s, r),
             "category": "rejected_match", "system": s, "record_id": r,
             "candidate_match_ids": c,
             "detail": ("a reviewer rejected the only match proposed for this record"
                        if n == 1 else f"a reviewer rejected all {n} matches proposed for "
                                       "this record") + "; it still needs a match"}
            for s, r, c, n in grouped.iter_rows()]
    return _exception_rows(exceptions, rows)


__all__ = ["MANUAL_RULE", "Outcome", "apply_decisions", "format_money",
           "manual_match_id", "rejected_exceptions"]
