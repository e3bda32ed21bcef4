"""check_period: a run's month must meet the dates of the loaded records."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from reconkit.errors import ConfigError
from reconkit.loaders.period import check_period

TABLES = {
    "payments": pl.DataFrame({"booking_date": [date(2026, 10, 3), date(2026, 10, 30)]}),
    "invoices": pl.DataFrame({"issue_date": [date(2026, 9, 1), None]}),
}


def test_period_meeting_the_data_passes() -> None:
    check_period(TABLES, date(2026, 10, 1), date(2026, 10, 31))
    check_period(TABLES, date(2026, 9, 1), date(2026, 9, 30))  # invoices only
    check_period({}, date(2030, 1, 1), date(2030, 1, 31))  # nothing loaded: not a period issue


def test_period_outside_every_date_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as exc:
        check_period(TABLES, date(2026, 11, 1), date(2026, 11, 30))
    assert exc.value.message == (
        "the period 2026-11 (2026-11-01 to 2026-11-30) lies outside every date in the sources "
        "(payments 2026-10-03 to 2026-10-30; invoices 2026-09-01 to 2026-09-01)")
    assert exc.value.hint == ("set `period:` to a month between 2026-09 and 2026-10, or load "
                              "the exports of 2026-11")
