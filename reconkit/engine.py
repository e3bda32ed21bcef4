"""The reconciliation engine: load, validate, resolve parties, run the rule waterfall, decide.

Rules run link kind by link kind, in catalog priority order. For each anchor record (a
payment, an invoice, ...) the first rule that proposes something decides it:
- several candidates within the rule's ambiguity margin -> all go to review, nothing is used;
- one candidate -> auto when the rule allows auto-approval and its score reaches the rule's
  threshold, otherwise review; it uses up the amounts it allocates (never twice);
- a rule with an exception category also raises that exception, listing its candidates.
Every record ends in a match, an exception or quarantine; a final sweep guarantees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.catalog.model import Catalog, Rule, load_catalog
from reconkit.config import RunConfig
from reconkit.errors import ReconkitError
from reconkit.loaders.base import LoadResult, get_loader, merge_loaded
from reconkit.matchers.base import build_matcher
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.parties import PartyMap, resolve_parties
from reconkit.result import CONTRACT, ReconResult, conform, stable_id

LINK_ORDER = ("party", "credit_note_invoice", "invoice_ledger", "invoice_commitment",
              "payment_invoice", "payment_ledger", "ledger_lettering")
CONSUMING_LINKS = {"payment_invoice"}
CONSUMING_ROLES = {"invoice", "payment"}
TABLE_SYSTEMS = {"payments": "bank", "invoices": "billing", "ledger_lines": "erp",
                 "commitments": "crm"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Reconciliation:
    """One reconciliation: a catalog, the period, and the verbs to run it."""

    catalog: Catalog
    period_start: date
    period_end: date
    currency: str = "EUR"

    @classmethod
    def from_config(cls, config: RunConfig) -> Reconciliation:
        return cls(catalog=load_catalog(config.catalog), period_start=config.period_start,
                   period_end=config.period_end, currency=config.currency)

    def match(self, loaded: LoadResult, *, aliases: pl.DataFrame | None = None,
              progress: Progress | None = None) -> ReconResult:
        """Resolve parties and run every rule of the catalog on validated tables."""
        say = progress or (lambda _msg: None)
        tables = loaded.tables
        say("resolving parties")
        parties = resolve_parties(tables, aliases)
        ctx = MatchContext(tables=tables, parties=parties, period_start=self.period_start,
                           period_end=self.period_end, currency=self.currency)
        state = AllocationState()
        opens = ctx.open_items
        state.init_records("billing", opens["record_id"].to_list(),
                           opens["open_cents"].to_list())
        pays = ctx.payments.filter(pl.col("amount_cents") > 0)
        state.init_records("bank", pays["record_id"].to_list(), pays["amount_cents"].to_list())
        decisions = _Decisions()
        for link in LINK_ORDER:
            for rule in self.catalog.for_link(link):
                say(f"rule {rule.id}")
                matcher = build_matcher(rule.matcher.kind, rule.matcher.params)
                cands = matcher.propose(ctx, state)
                preset = getattr(matcher, "preset_status", None)
                decisions.decide(rule, cands, state, preset)
        decisions.sweep(tables, parties)
        return decisions.result(tables, parties, loaded)


def load_sources(config: RunConfig, progress: Progress | None = None) -> LoadResult:
    """Load every source of a run config and validate each canonical table once."""
    parts = []
    for src in config.sources:
        if progress:
            progress(f"loading {src.name} ({src.kind})")
        if not src.path.exists():
            raise ReconkitError(f"source '{src.name}': {src.path} does not exist",
                                hint="check `path:` in the run config")
        loader = get_loader(src.kind)
        options: dict[str, Any] = dict(src.options)
        if src.profile:
            options["profile"] = src.profile
        if src.kind in {"stripe", "hubspot"}:
            options.setdefault("timezone", config.timezone)
        parts.append(loader(src.path, **options))
    return merge_loaded(parts)


def run(config: RunConfig, out_dir: Path | None = None, *,
        progress: Progress | None = None, aliases: pl.DataFrame | None = None) -> ReconResult:
    """Load, validate, match and (when `out_dir` is given) write the result contract.

    With a decisions store in the config, its remembered aliases (IBAN -> client, ...) feed
    party resolution and its confirmed/rejected decisions are applied to the result.
    """
    loaded = load_sources(config, progress)
    rec = Reconciliation.from_config(config)
    if config.store is not None:
        from reconkit.review.store import DecisionStore

        with DecisionStore(config.store) as store:
            if aliases is None:
                aliases = store.aliases()
            result = store.apply(rec.match(loaded, aliases=aliases, progress=progress))
    else:
        result = rec.match(loaded, aliases=aliases, progress=progress)
    if out_dir is not None:
        from reconkit.export.lettering import write_lettering

        result.write(out_dir)
        write_lettering(result, Path(out_dir) / "lettering.csv")
    return result


class _Decisions:
    """Accumulates matches, items and exceptions while rules decide anchors."""

    def __init__(self) -> None:
        self.matches: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.exceptions: list[dict[str, Any]] = []
        self.accounted: set[tuple[str, str]] = set()

    def decide(self, rule: Rule, cands: pl.DataFrame, state: AllocationState,
               preset: str | None) -> None:
        if cands.height == 0:
            return
        link = rule.link
        cands = cands.sort(["anchor_system", "anchor_id", "score", "evidence"],
                           descending=[False, False, True, False])
        for (anchor_system, anchor_id), group in _groups(cands):
            if state.is_decided(link, anchor_system, anchor_id):
                continue
            best = group[0]
            if not best["items"]:
                self._exception(rule, anchor_system, anchor_id, best["explanation"], [])
                state.decide(link, anchor_system, anchor_id)
                continue
            close = [c for c in group if c["score"] >= best["score"] - rule.ambiguity_margin]
            if len(close) > 1:
                ids = [self._match(rule, c, "review", alternative=True) for c in close]
                self._exception(rule, anchor_system, anchor_id,
                                f"{len(close)} alternatives: {best['explanation']}", ids)
                state.decide(link, anchor_system, anchor_id)
                continue
            if link in CONSUMING_LINKS and not _fits(best["items"], state):
                continue
            status = preset or ("auto" if rule.auto_approve is not None
                                and best["score"] >= rule.auto_approve else "review")
            mid = self._match(rule, best, status)
            if link in CONSUMING_LINKS:
                for it in best["items"]:
                    if it["role"] in CONSUMING_ROLES and it["amount_cents"]:
                        state.consume(it["system"], it["record_id"], it["amount_cents"],
                                      anchor_id)
            state.decide(link, anchor_system, anchor_id)
            for it in best["items"]:
                state.cover(link, it["system"], it["record_id"])
            self._exception(rule, anchor_system, anchor_id, best["explanation"], [mid])

    def _match(self, rule: Rule, cand: dict[str, Any], status: str, *,
               alternative: bool = False) -> str:
        items = sorted(cand["items"], key=lambda i: (i["system"], i["record_id"], i["role"]))
        key = [rule.link] + [f"{i['system']}:{i['record_id']}:{i['role']}" for i in items]
        mid = stable_id("M", *key)
        self.matches.append({"match_id": mid, "kind": rule.link, "rule_id": rule.id,
                             "status": status, "score": cand["score"],
                             "explanation": cand["explanation"], "evidence": cand["evidence"],
                             "alternative": alternative})
        for i in items:
            self.items.append({"match_id": mid, **i})
            self.accounted.add((i["system"], i["record_id"]))
        return mid

    def _exception(self, rule: Rule, system: str, record_id: str, detail: str,
                   match_ids: list[str]) -> None:
        if not rule.exception_category:
            return
        self._raise(rule.exception_category, system, record_id, detail, match_ids)

    def _raise(self, category: str, system: str, record_id: str, detail: str,
               match_ids: Iterable[str]) -> None:
        self.exceptions.append({
            "exception_id": stable_id("E", category, system, record_id),
            "category": category, "system": system, "record_id": record_id,
            "detail": detail, "candidate_match_ids": ";".join(sorted(set(match_ids))),
        })
        self.accounted.add((system, record_id))

    def sweep(self, tables: dict[str, pl.DataFrame], parties: PartyMap) -> None:
        """Safety net: any record neither matched nor in an exception is reported."""
        for table, system in TABLE_SYSTEMS.items():
            if table not in tables:
                continue
            for rid in tables[table]["record_id"].to_list():
                if (system, rid) not in self.accounted:
                    self._raise("unaccounted_record", system, rid,
                                f"no rule of the catalog explained this {table[:-1]}", [])
        for system, rid in parties.members.select("system", "source_id").iter_rows():
            if (system, rid) not in self.accounted:
                self._raise("unaccounted_record", system, rid,
                            "no rule of the catalog resolved this party record", [])

    def result(self, tables: dict[str, pl.DataFrame], parties: PartyMap,
               loaded: LoadResult) -> ReconResult:
        matches = _frame(self.matches, CONTRACT["matches"]).unique(
            subset=["match_id"], keep="first", maintain_order=True)
        items = _frame(self.items, CONTRACT["match_items"]).unique(maintain_order=True)
        exceptions = _frame(self.exceptions, CONTRACT["exceptions"]).unique(
            subset=["exception_id"], keep="first", maintain_order=True)
        party_table = parties.members.select("party_id", "system", "source_id", "name")
        return ReconResult(
            matches=conform("matches", matches),
            match_items=conform("match_items", items),
            exceptions=conform("exceptions", exceptions),
            parties=conform("parties", party_table),
            quarantine=conform("quarantine", loaded.quarantine),
            inputs=tables, load_report=loaded.report_frame(), warnings=loaded.warnings,
        )


def _fits(items: list[dict[str, Any]], state: AllocationState) -> bool:
    """Every consuming item still has the amount it would take."""
    for it in items:
        if it["role"] in CONSUMING_ROLES and it["amount_cents"]:
            left = state.left(it["system"], it["record_id"])
            if left is not None and left < abs(it["amount_cents"]):
                return False
    return True


def _groups(cands: pl.DataFrame) -> Iterable[tuple[tuple[str, str], list[dict[str, Any]]]]:
    rows = cands.to_dicts()
    i = 0
    while i < len(rows):
        key = (rows[i]["anchor_system"], rows[i]["anchor_id"])
        j = i
        while j < len(rows) and (rows[j]["anchor_system"], rows[j]["anchor_id"]) == key:
            j += 1
        yield key, rows[i:j]
        i = j


def _frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema)
