"""Blocking rules: the pairs they keep, and how many."""

from __future__ import annotations

from datetime import date

import polars as pl

from reconkit.matchers.blocking import AmountBand, Blocking, DateWindow, SameValue

PAY = pl.DataFrame({"pid": ["P1", "P2", "P3"], "party": ["A", "A", "B"],
                    "paid_on": [date(2026, 10, 10)] * 3, "paid": [10_000, 50_000, 7_000]})
DOC = pl.DataFrame({"doc": ["D1", "D2", "D3", "D4"], "party": ["A", "A", "A", "B"],
                    "issued": [date(2026, 10, 1), date(2026, 10, 20), date(2025, 1, 1),
                               date(2026, 9, 30)],
                    "due": [10_000, 10_050, 10_000, 7_300]})


def _pairs(b: Blocking) -> set[tuple[str, str]]:
    return set(b.pairs(PAY, DOC).select("pid", "doc").collect().iter_rows())


def test_same_value_is_an_equi_join() -> None:
    b = Blocking(keys=(SameValue("party"),))
    assert b.count(PAY, DOC) == 2 * 3 + 1
    assert ("P3", "D4") in _pairs(b) and ("P3", "D1") not in _pairs(b)


def test_date_window_and_amount_band() -> None:
    b = Blocking(keys=(SameValue("party"),),
                 filters=(DateWindow("paid_on", "issued", 30, 5),
                          AmountBand("paid", "due", tolerance_cents=100, tolerance_bp=0)))
    assert _pairs(b) == {("P1", "D1")}
    wide = Blocking(keys=(SameValue("party"),),
                    filters=(AmountBand("paid", "due", tolerance_cents=0, tolerance_bp=500),))
    assert _pairs(wide) == {("P1", "D1"), ("P1", "D2"), ("P1", "D3"), ("P3", "D4")}
    assert "within 0 cents or 500 bp" in wide.describe()
