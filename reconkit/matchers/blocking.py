"""Blocking rules: which (left, right) pairs are worth comparing at all, never all pairs.

Small named objects: `SameValue` (an equi-join key such as the resolved party or the currency)
and filters applied after the join (`DateWindow`, `AmountBand`). A `Blocking` combines them,
builds the candidate pairs lazily and can say how many pairs it produces, so a rule's cost is
visible before it runs. Column names of the two sides must differ except for the join keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import polars as pl


class _Filter(Protocol):
    def predicate(self) -> pl.Expr: ...


@dataclass(frozen=True)
class SameValue:
    """Left `left` equals right `right` (defaults to the same name): an equi-join key."""

    left: str
    right: str | None = None

    @property
    def right_col(self) -> str:
        return self.right or self.left


@dataclass(frozen=True)
class DateWindow:
    """Right date within [left date - days_before, left date + days_after]."""

    left: str
    right: str
    days_before: int
    days_after: int

    def predicate(self) -> pl.Expr:
        lo = pl.col(self.left) - pl.duration(days=self.days_before)
        hi = pl.col(self.left) + pl.duration(days=self.days_after)
        return pl.col(self.right).is_between(lo, hi)


@dataclass(frozen=True)
class AmountBand:
    """Right amount within `tolerance_cents` or `tolerance_bp` (whichever is larger) of the
    left amount; integer cents and basis points, never floats."""

    left: str
    right: str
    tolerance_cents: int
    tolerance_bp: int

    def predicate(self) -> pl.Expr:
        diff = (pl.col(self.left) - pl.col(self.right)).abs()
        return (diff <= self.tolerance_cents) | (
            diff * 10_000 <= pl.col(self.left).abs() * self.tolerance_bp)


@dataclass(frozen=True)
class Blocking:
    """Equi-join keys plus filters; `pairs` builds the candidate pairs, `count` sizes them."""

    keys: tuple[SameValue, ...]
    filters: tuple[DateWindow | AmountBand, ...] = ()

    def pairs(self, left: pl.DataFrame | pl.LazyFrame,
              right: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
        joined = left.lazy().join(right.lazy(), left_on=[k.left for k in self.keys],
                                  right_on=[k.right_col for k in self.keys], how="inner")
        for f in self.filters:
            joined = joined.filter(f.predicate())
        return joined

    def count(self, left: pl.DataFrame | pl.LazyFrame, right: pl.DataFrame | pl.LazyFrame) -> int:
        return int(self.pairs(left, right).select(pl.len()).collect().item())

    def describe(self) -> str:
        parts = [f"same {k.left}" if k.right in (None, k.left) else f"{k.left} = {k.right}"
                 for k in self.keys]
        for f in self.filters:
            if isinstance(f, DateWindow):
                parts.append(f"{f.right} from {f.days_before} days before to {f.days_after} "
                             f"days after {f.left}")
            else:
                parts.append(f"{f.right} within {f.tolerance_cents} cents or "
                             f"{f.tolerance_bp} bp of {f.left}")
        return "; ".join(parts)
