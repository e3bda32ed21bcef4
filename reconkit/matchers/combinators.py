"""Tiny combinators over matchers: any of, all of, weighted.

Each takes the serialised specs of other matchers (`{"kind": ..., "params": ...}`), so a
combined rule stays plain data in the catalog. Candidates are the same when they have the same
anchor and the same items (system, record, role), whatever their scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import polars as pl

from reconkit.matchers.base import (
    CANDIDATE_SCHEMA,
    build_matcher,
    empty_candidates,
    register_matcher,
)
from reconkit.matchers.context import AllocationState, MatchContext

_ANCHOR = ["anchor_system", "anchor_id", "__key"]


def _keyed(cands: pl.DataFrame) -> pl.DataFrame:
    """Add `__key`: the candidate's items as one sorted string."""
    rows = cands.with_row_index("__r")
    parts = rows.select("__r", "items").explode("items").unnest("items").select(
        "__r", pl.concat_str(["system", "record_id", "role"], separator=":").alias("__k"))
    keys = parts.drop_nulls("__k").sort("__r", "__k").group_by("__r", maintain_order=True).agg(
        pl.col("__k").str.join("|").alias("__key"))
    return rows.join(keys, on="__r", how="left", maintain_order="left").with_columns(
        pl.col("__key").fill_null("")).drop("__r")


@dataclass(frozen=True)
class _Combinator:
    matchers: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        for spec in self.matchers:  # fail at catalog load, not in the middle of a run
            if not isinstance(spec, dict) or "kind" not in spec:
                raise ValueError("each combined matcher is a mapping with a `kind`")
            build_matcher(spec["kind"], dict(spec.get("params") or {}))

    def _each(self, ctx: MatchContext, state: AllocationState) -> list[pl.DataFrame]:
        out = []
        for i, spec in enumerate(self.matchers):
            m = build_matcher(spec["kind"], dict(spec.get("params") or {}))
            out.append(_keyed(m.propose(ctx, state)).with_columns(pl.lit(i).alias("__m")))
        return out


@register_matcher
@dataclass(frozen=True)
class AnyOf(_Combinator):
    """Every candidate proposed by any of the matchers; the best score when several do."""

    kind: ClassVar[str] = "any_of"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        frames = [f for f in self._each(ctx, state) if f.height]
        if not frames:
            return empty_candidates()
        best = pl.concat(frames).sort(["score", "__m"], descending=[True, False]).unique(
            subset=_ANCHOR, keep="first", maintain_order=True)
        return best.select(list(CANDIDATE_SCHEMA)).sort("anchor_system", "anchor_id")


@register_matcher
@dataclass(frozen=True)
class AllOf(_Combinator):
    """Only candidates that every matcher proposes; the lowest of their scores."""

    kind: ClassVar[str] = "all_of"

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        frames = self._each(ctx, state)
        if not frames or any(f.height == 0 for f in frames):
            return empty_candidates()
        allc = pl.concat(frames)
        agree = allc.group_by(_ANCHOR).agg(pl.col("__m").n_unique().alias("__n"),
                                          pl.col("score").min().alias("__s")) \
            .filter(pl.col("__n") == len(frames))
        first = allc.filter(pl.col("__m") == 0).join(agree, on=_ANCHOR)
        return first.with_columns(pl.col("__s").alias("score")).select(
            list(CANDIDATE_SCHEMA)).sort("anchor_system", "anchor_id")


@register_matcher
@dataclass(frozen=True)
class Weighted(_Combinator):
    """The weighted mean of the matchers' scores for each candidate (0 where a matcher does
    not propose it); evidence and explanation come from the first matcher proposing it."""

    kind: ClassVar[str] = "weighted"
    weights: tuple[float, ...] = field(default=())

    def propose(self, ctx: MatchContext, state: AllocationState) -> pl.DataFrame:
        weights = list(self.weights) or [1.0] * len(self.matchers)
        if len(weights) != len(self.matchers):
            raise ValueError("weighted needs one weight per matcher")
        frames = [f for f in self._each(ctx, state) if f.height]
        if not frames:
            return empty_candidates()
        allc = pl.concat(frames).with_columns(
            pl.col("__m").replace_strict(dict(enumerate(weights)), return_dtype=pl.Float64)
            .alias("__w"))
        total = sum(weights)
        mean = allc.group_by(_ANCHOR).agg(((pl.col("score") * pl.col("__w")).sum() / total)
                                          .round(4).alias("__s"))
        first = allc.sort("__m").unique(subset=_ANCHOR, keep="first", maintain_order=True)
        return first.join(mean, on=_ANCHOR).with_columns(pl.col("__s").alias("score")).select(
            list(CANDIDATE_SCHEMA)).sort("anchor_system", "anchor_id")
