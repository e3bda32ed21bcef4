"""Which open items can a grouped payment settle? Bounded subset-sum by meet-in-the-middle.

A payment often settles several invoices (net of credit notes) at once. The caller blocks by
client and date first and passes the most relevant items first; this module lists the sets
of items that sum to the payment. Ambiguity, not CPU, is the limit: the caller only needs to
know whether exactly one set fits, so the search stops after `max_solutions`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations


@dataclass
class _Suffixes:
    """All r-item index combinations grouped by sum, each group in lexicographic order."""

    by_sum: dict[int, list[tuple[int, ...]]] = field(default_factory=dict)
    firsts: dict[int, list[int]] = field(default_factory=dict)
    sums: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, items: list[int], r: int) -> _Suffixes:
        out = cls()
        for combo in combinations(range(len(items)), r):
            out.by_sum.setdefault(sum(map(items.__getitem__, combo)), []).append(combo)
        out.firsts = {s: [c[0] for c in combos] for s, combos in out.by_sum.items()}
        out.sums = sorted(out.by_sum)
        return out

    def after(self, lo: int, hi: int, last: int) -> list[tuple[int, ...]]:
        """Combinations summing within [lo, hi] whose first index is greater than `last`."""
        if lo == hi:
            keys = [lo] if lo in self.by_sum else []
        else:
            keys = self.sums[bisect_left(self.sums, lo):bisect_right(self.sums, hi)]
        found: list[tuple[int, ...]] = []
        for s in keys:
            combos = self.by_sum[s]
            found.extend(combos[bisect_right(self.firsts[s], last):])
        if len(keys) > 1:
            found.sort()
        return found


def find_combinations(
    amounts: Sequence[int],
    target: int,
    *,
    k_min: int,
    k_max: int,
    max_solutions: int,
    max_items: int,
    tolerance: int,
) -> list[tuple[int, ...]]:
    """Index sets of k_min..k_max distinct items whose sum is within `tolerance` of `target`.

    `amounts` are integer cents (credit notes negative); only the first `max_items` are
    considered. Each solution is a sorted tuple of indices into `amounts`; solutions come by
    size, then in lexicographic order, and the search stops after `max_solutions` (so
    "exactly one" vs "several" is cheap to tell). Meet-in-the-middle: a combination of size k
    is its first k//2 indices (enumerated) plus the remaining ones (looked up by sum among
    precomputed combinations that start after the prefix); about 30 ms for n=60, k<=6.
    """
    if k_min < 1 or k_max < k_min:
        raise ValueError(f"need 1 <= k_min <= k_max, got k_min={k_min}, k_max={k_max}")
    if tolerance < 0 or max_solutions < 1:
        raise ValueError("tolerance must be >= 0 and max_solutions >= 1")
    items = [int(a) for a in amounts[:max_items]]
    n = len(items)
    lo_t, hi_t = target - tolerance, target + tolerance
    out: list[tuple[int, ...]] = []
    suffixes: dict[int, _Suffixes] = {}
    for k in range(k_min, min(k_max, n) + 1):
        if k == 1:
            out.extend((i,) for i, a in enumerate(items) if lo_t <= a <= hi_t)
            if len(out) >= max_solutions:
                return out[:max_solutions]
            continue
        k1, k2 = k // 2, k - k // 2
        if k2 not in suffixes:
            suffixes[k2] = _Suffixes.build(items, k2)
        table = suffixes[k2]
        exact_sums = table.by_sum if tolerance == 0 else None
        for prefix in combinations(range(n - k2), k1):
            rest = sum(map(items.__getitem__, prefix))
            if exact_sums is not None and (target - rest) not in exact_sums:
                continue  # the common case, without a call
            for tail in table.after(lo_t - rest, hi_t - rest, prefix[-1]):
                out.append(prefix + tail)
                if len(out) >= max_solutions:
                    return out
    return out
