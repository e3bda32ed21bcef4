"""The reconciliation engine: resolve parties, run the rule waterfall, decide.

Rules run link kind by link kind, in catalog priority order. For each anchor record (a
payment, an invoice, ...) the first rule that proposes something decides it:
- several candidates within the rule's ambiguity margin -> all go to review, nothing is used;
- one candidate -> auto when the rule allows auto-approval and its score reaches the rule's
  threshold, otherwise review; it uses up the amounts it allocates (never twice);
- a rule with an exception category also raises that exception, listing its candidates.
Every record ends in a match, an exception or quarantine; a final sweep guarantees it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from reconkit.catalog.model import Catalog, Rule, load_catalog
from reconkit.config import RunConfig
from reconkit.loaders.base import LoadResult
from reconkit.matchers.base import build_matcher
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.parties import PartyMap, resolve_parties
from reconkit.result import CONTRACT, ReconResult, conform, stable_id_expr
from reconkit.schemas import PolarsDataType
from reconkit.vocabulary import CONSUMING_LINKS, LINK_KINDS

CONSUMING_ROLES = {"invoice", "payment", "open_item"}
TABLE_SYSTEMS = {"payments": "bank", "invoices": "billing", "ledger_lines": "erp",
                 "commitments": "crm", "settlement_lines": "psp"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Reconciliation:
    """One reconciliation: a catalog, the period, and the verbs to run it."""

    catalog: Catalog
    period_start: date
    period_end: date
    currency: str = "EUR"
    fx_rates: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_config(cls, config: RunConfig) -> Reconciliation:
        return cls(catalog=load_catalog(config.catalog), period_start=config.period_start,
                   period_end=config.period_end, currency=config.currency,
                   fx_rates=tuple(sorted(config.fx_rates.items())))

    def match(self, loaded: LoadResult, *, aliases: pl.DataFrame | None = None,
              progress: Progress | None = None) -> ReconResult:
        """Resolve parties and run every rule of the catalog on validated tables."""
        say = progress or (lambda _msg: None)
        tables = loaded.tables
        say("resolving parties")
        parties = resolve_parties(tables, self.catalog.party_resolution, aliases)
        ctx = MatchContext(tables=tables, parties=parties, period_start=self.period_start,
                           period_end=self.period_end, reading=self.catalog.reading,
                           party_rules=self.catalog.party_resolution,
                           currency=self.currency,
                           fx_rates=dict(self.fx_rates))
        state = AllocationState()
        opens = ctx.open_items
        state.init_records("billing", opens["record_id"], opens["open_cents"])
        pays = ctx.payments.filter(pl.col("amount_cents") > 0)
        state.init_records("bank", pays["record_id"], pays["amount_cents"])
        erp_open = ctx.ledger_open_items
        state.init_records("erp", erp_open["record_id"], erp_open["amount_cents"])
        decisions = _Decisions(self.catalog.severities())
        for link in LINK_KINDS:
            for rule in self.catalog.for_link(link):
                say(f"rule {rule.id}")
                matcher = build_matcher(rule.matcher.kind, rule.matcher.params)
                cands = matcher.propose(ctx, state)
                preset = getattr(matcher, "preset_status", None)
                decisions.decide(rule, cands, state, preset)
        decisions.sweep(tables, parties)
        return decisions.result(parties, loaded)


class _Decisions:
    """Accumulates matches, items and exceptions while rules decide anchors (vectorised)."""

    def __init__(self, severities: Mapping[str, str]) -> None:
        self.severities = severities
        self.matches: list[pl.DataFrame] = []
        self.items: list[pl.DataFrame] = []
        self.exceptions: list[pl.DataFrame] = []

    def decide(self, rule: Rule, cands: pl.DataFrame, state: AllocationState,
               preset: str | None) -> None:
        link = rule.link
        done = state.decided_frame(link, anchors_only=True).rename(
            {"system": "anchor_system", "record_id": "anchor_id"})
        c = cands.join(done, on=["anchor_system", "anchor_id"], how="anti")
        if c.height == 0:
            return
        c = c.sort(["anchor_system", "anchor_id", "score", "evidence"],
                   descending=[False, False, True, False])
        empty = c.filter(pl.col("items").list.len() == 0).unique(
            subset=["anchor_system", "anchor_id"], keep="first", maintain_order=True)
        self._raise(rule, empty, pl.lit(""))
        c = c.filter(pl.col("items").list.len() > 0).join(
            empty.select("anchor_system", "anchor_id"), on=["anchor_system", "anchor_id"],
            how="anti")
        close = c.filter(pl.col("score") >= pl.col("score").max().over(
            "anchor_system", "anchor_id") - rule.ambiguity_margin)
        close = _with_match_ids(close, link).unique(subset=["anchor_system", "anchor_id",
                                                            "match_id"], maintain_order=True)
        n = pl.len().over("anchor_system", "anchor_id")
        ambiguous = close.filter(n > 1)
        single = close.filter(n == 1)
        if link in CONSUMING_LINKS:
            single = _within_capacity(single, state)
        status = pl.lit(preset) if preset else (
            pl.when(pl.col("score") >= rule.auto_approve).then(pl.lit("auto"))
            .otherwise(pl.lit("review")) if rule.auto_approve is not None else pl.lit("review"))
        self._keep(rule, single.with_columns(status.alias("status"),
                                             pl.lit(False).alias("alternative")))
        self._keep(rule, ambiguous.with_columns(pl.lit("review").alias("status"),
                                                pl.lit(True).alias("alternative")))
        alt = ambiguous.group_by("anchor_system", "anchor_id", maintain_order=True).agg(
            pl.col("match_id"), pl.col("explanation").first(), pl.len().alias("n"))
        self._raise(rule, alt, pl.format("{} alternatives: ", pl.col("n")))
        one = single.with_columns(pl.concat_list("match_id").alias("match_id"))
        self._raise(rule, one, pl.lit(""))
        decided = pl.concat([empty.select("anchor_system", "anchor_id"),
                             ambiguous.select("anchor_system", "anchor_id"),
                             single.select("anchor_system", "anchor_id")])
        state.decide(link, decided.rename({"anchor_system": "system",
                                           "anchor_id": "record_id"}))
        items = single.select("anchor_id", "items").explode("items").unnest("items")
        state.cover(link, items)
        if link in CONSUMING_LINKS:
            used = items.filter(pl.col("role").is_in(list(CONSUMING_ROLES))
                                & pl.col("amount_cents").is_not_null()
                                & (pl.col("amount_cents") != 0))
            state.consume(used.select("system", "record_id", "amount_cents",
                                      pl.col("anchor_id").alias("by")))

    def _keep(self, rule: Rule, df: pl.DataFrame) -> None:
        if df.height == 0:
            return
        self.matches.append(df.select(
            "match_id", pl.lit(rule.link).alias("kind"), pl.lit(rule.id).alias("rule_id"),
            "status", "score", "explanation", "evidence", "alternative"))
        self.items.append(df.select("match_id", "items").explode("items").unnest("items"))

    def _raise(self, rule: Rule, df: pl.DataFrame, prefix: pl.Expr) -> None:
        """Exceptions of the rule's category for these anchors (with their candidate ids)."""
        if not rule.exception_category or df.height == 0:
            return
        ids = (pl.col("match_id").list.sort().list.join(";") if "match_id" in df.columns
               else pl.lit(""))
        self.exceptions.append(_exceptions(
            df.select(pl.col("anchor_system").alias("system"),
                      pl.col("anchor_id").alias("record_id"),
                      (prefix + pl.col("explanation")).alias("detail"),
                      ids.alias("candidate_match_ids")), rule.exception_category))

    def sweep(self, tables: dict[str, pl.DataFrame], parties: PartyMap) -> None:
        """Safety net: any record neither matched nor in an exception is reported."""
        seen = pl.concat([f.select("system", "record_id") for f in self.items + self.exceptions]
                         or [pl.DataFrame(schema={"system": pl.String,
                                                  "record_id": pl.String})]).unique()
        records = [tables[t].select(pl.lit(s).alias("system"), "record_id",
                                    pl.lit(f"no rule of the catalog explained this {t[:-1]}")
                                    .alias("detail"))
                   for t, s in TABLE_SYSTEMS.items() if t in tables]
        records.append(parties.members.select(
            "system", pl.col("source_id").alias("record_id"),
            pl.lit("no rule of the catalog resolved this party record").alias("detail")))
        lost = pl.concat(records).join(seen, on=["system", "record_id"], how="anti")
        if lost.height:
            self.exceptions.append(_exceptions(lost.with_columns(
                pl.lit("").alias("candidate_match_ids")), "unaccounted_record"))

    def result(self, parties: PartyMap, loaded: LoadResult) -> ReconResult:
        matches = _concat(self.matches, CONTRACT["matches"]).unique(
            subset=["match_id"], keep="first", maintain_order=True)
        items = _concat(self.items, CONTRACT["match_items"]).unique(maintain_order=True)
        exceptions = _concat(self.exceptions, CONTRACT["exceptions"]).unique(
            subset=["exception_id"], keep="first", maintain_order=True).with_columns(
            pl.col("category").replace_strict(dict(self.severities), default="decision",
                                              return_dtype=pl.String).alias("severity"))
        party_table = parties.members.select("party_id", "system", "source_id", "name")
        return ReconResult(
            matches=conform("matches", matches),
            match_items=conform("match_items", items),
            exceptions=conform("exceptions", exceptions),
            parties=conform("parties", party_table),
            quarantine=conform("quarantine", loaded.quarantine),
            inputs=loaded.tables, load_report=loaded.report_frame(), warnings=loaded.warnings,
            statements=loaded.statements,
        )


def _with_match_ids(df: pl.DataFrame, link: str) -> pl.DataFrame:
    """Stable match ids: a hash of the link kind and the sorted items (never run order)."""
    rows = df.with_row_index("__r")
    parts = rows.select("__r", "items").explode("items").unnest("items").select(
        "__r", pl.concat_str(["system", "record_id", "role"], separator=":").alias("__k"))
    keys = parts.sort("__r", "__k").group_by("__r", maintain_order=True).agg(
        pl.col("__k").str.join("\x1f"))
    return rows.join(keys, on="__r", how="left", maintain_order="left").with_columns(
        stable_id_expr("M", [pl.lit(link), pl.col("__k")]).alias("match_id")).drop("__r", "__k")


def _within_capacity(cands: pl.DataFrame, state: AllocationState) -> pl.DataFrame:
    """Keep candidates whose consuming items still have the amounts they take; when several
    compete for a record, the best score (then the smallest anchor id) is served first."""
    if cands.height == 0:
        return cands
    ranked = cands.sort(["score", "anchor_id"], descending=[True, False]).with_row_index("__i")
    need = ranked.select("__i", "items").explode("items").unnest("items").filter(
        pl.col("role").is_in(list(CONSUMING_ROLES)) & pl.col("amount_cents").is_not_null()
        & (pl.col("amount_cents") != 0))
    need = need.join(state.remaining, on=["system", "record_id"], how="left").sort("__i")
    need = need.with_columns(pl.col("amount_cents").abs().cum_sum().over("system", "record_id")
                             .alias("__cum"))
    bad = need.filter(pl.col("remaining_cents").is_not_null()
                      & (pl.col("__cum") > pl.col("remaining_cents"))).select("__i").unique()
    return ranked.join(bad, on="__i", how="anti").drop("__i").sort("anchor_system", "anchor_id")


def _exceptions(df: pl.DataFrame, category: str) -> pl.DataFrame:
    return df.with_columns(pl.lit(category).alias("category")).with_columns(
        stable_id_expr("E", [pl.col("category"), pl.col("system"), pl.col("record_id")])
        .alias("exception_id"), pl.lit(None, pl.String).alias("severity")).select(
        list(CONTRACT["exceptions"]))


def _concat(frames: list[pl.DataFrame], schema: dict[str, PolarsDataType]) -> pl.DataFrame:
    frames = [f.select(list(schema)).cast(schema) for f in frames if f.height]  # type: ignore[arg-type]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)
