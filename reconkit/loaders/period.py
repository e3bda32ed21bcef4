"""Does the run's `period:` meet the loaded data? A wrong month is a config error, not news.

A run whose period lies outside every date of the files finds nothing to settle and reports
every record as an exception; the user mistyped the month or loaded the wrong exports.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

from reconkit.errors import ConfigError

# the business date of each table's records (when they happened, not when they were lettered)
PERIOD_DATES: Final = {"payments": "booking_date", "invoices": "issue_date",
                       "ledger_lines": "entry_date"}


def check_period(tables: dict[str, pl.DataFrame], start: date, end: date) -> None:
    """Raise a ConfigError when no payment, invoice or ledger line is dated in [start, end].

    Call it right after loading (pipeline `run`, before matching). Tables without dated
    records (nothing loaded) are not a period problem and pass.
    """
    spans: list[tuple[str, date, date]] = []
    for table, column in PERIOD_DATES.items():
        df = tables.get(table)
        if df is None or column not in df.columns:
            continue
        days = df.get_column(column).drop_nulls()
        if days.len() == 0:
            continue
        if days.is_between(start, end).any():
            return
        spans.append((table, days.min(), days.max()))  # type: ignore[arg-type]
    if not spans:
        return
    first = min(s[1] for s in spans)
    last = max(s[2] for s in spans)
    detail = "; ".join(f"{t} {a} to {b}" for t, a, b in spans)
    raise ConfigError(
        f"the period {start:%Y-%m} ({start} to {end}) lies outside every date in the "
        f"sources ({detail})",
        hint=(f"set `period:` to {first:%Y-%m}" if f"{first:%Y-%m}" == f"{last:%Y-%m}" else
              f"set `period:` to a month between {first:%Y-%m} and {last:%Y-%m}")
        + f", or load the exports of {start:%Y-%m}")
