"""Grouped-payment subset search: exact solution lists, order, caps and brute-force agreement."""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconkit.matchers.subset_sum import find_combinations as _find_combinations


def find_combinations(amounts, target, **kw):  # type: ignore[no-untyped-def]
    """The search with the bounds these tests were written against (2..6 items, 20 solutions,
    60 items) unless a test says otherwise."""
    bounds = {"k_min": 2, "k_max": 6, "max_solutions": 20, "max_items": 60, "tolerance": 0,
              **kw}
    return _find_combinations(amounts, target, **bounds)


def _brute(amounts: list[int], target: int, k_min: int, k_max: int,
           tol: int) -> list[tuple[int, ...]]:
    return [c for k in range(k_min, k_max + 1) for c in combinations(range(len(amounts)), k)
            if abs(sum(amounts[i] for i in c) - target) <= tol]


def test_exact_solutions_in_order() -> None:
    amounts = [120000, 50000, 70000, -20000, 30000]
    assert find_combinations(amounts, 100000) == [(0, 3), (2, 4), (1, 2, 3)]


def test_tolerance_credit_notes_and_k_bounds() -> None:
    amounts = [10001, 20000, -5000, 4999]
    assert find_combinations(amounts, 30000, tolerance=1) == [(0, 1), (0, 1, 2, 3)]
    assert find_combinations(amounts, 30000) == [(0, 1, 2, 3)]  # credit note nets out
    assert find_combinations(amounts, 25001, k_min=3) == [(0, 1, 2)]
    assert find_combinations(amounts, 30001, k_max=3) == [(0, 1)]
    assert find_combinations(amounts, 15000, k_min=1, k_max=1) == []
    assert find_combinations(amounts, 20000, k_min=1, k_max=2) == [(1,)]


def test_caps_on_solutions_and_items() -> None:
    amounts = [5000] * 10
    sols = find_combinations(amounts, 10000, max_solutions=3)
    assert sols == [(0, 1), (0, 2), (0, 3)]
    assert find_combinations([1, 2, 3, 100], 103, max_items=3) == []
    assert find_combinations([1, 2, 3, 100], 103) == [(2, 3), (0, 1, 3)]


def test_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError):
        find_combinations([1, 2], 3, k_min=3, k_max=2)
    with pytest.raises(ValueError):
        find_combinations([1, 2], 3, tolerance=-1)


def test_sixty_items_six_deep_finds_the_set() -> None:
    # speed is measured in benchmarks/bench_primitives.py, not asserted here
    rng = random.Random(11)
    amounts = [rng.randint(1_000, 500_000) for _ in range(60)]
    target = sum(amounts[i] for i in (3, 17, 29, 41, 52, 58))
    sols = find_combinations(amounts, target, k_min=2, k_max=6)
    assert (3, 17, 29, 41, 52, 58) in sols
    assert all(sum(amounts[i] for i in s) == target for s in sols)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-50, 200), min_size=0, max_size=12), st.integers(-100, 600),
       st.integers(1, 3), st.integers(0, 3), st.integers(0, 5))
def test_agrees_with_brute_force(amounts: list[int], target: int, k_min: int, extra: int,
                                 tol: int) -> None:
    k_max = k_min + extra
    got = find_combinations(amounts, target, k_min=k_min, k_max=k_max, tolerance=tol,
                            max_solutions=10_000)
    assert got == _brute(amounts, target, k_min, k_max, tol)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-10_000, 10_000), min_size=0, max_size=25),
       st.integers(-20_000, 20_000), st.integers(0, 50), st.integers(1, 5))
def test_every_solution_sums_within_tolerance(amounts: list[int], target: int, tol: int,
                                              cap: int) -> None:
    sols = find_combinations(amounts, target, k_max=4, tolerance=tol, max_solutions=cap)
    assert len(sols) <= cap
    assert len(set(sols)) == len(sols)
    for s in sols:
        assert list(s) == sorted(set(s)) and 2 <= len(s) <= 4
        assert abs(sum(amounts[i] for i in s) - target) <= tol
