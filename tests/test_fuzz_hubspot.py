"""Fuzz the HubSpot loader with mutated saved CRM v3 responses (see tests/fuzzing.py).

HubSpot exports reconkit reads are the API's JSON pages (every property a string), so the
mutations are JSON ones: values of the wrong type, nulls, keys removed, truncation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fuzzing import FUZZ_SETTINGS, check_outcome, mutated_json
from hypothesis import given
from test_hubspot import COMPANIES, DEALS

from reconkit.loaders.hubspot import load_hubspot

SEEDS: list[Any] = [
    {"results": DEALS[:2], "paging": {"next": {"after": "2"}}},
    [{"results": DEALS[:2], "paging": {"next": {"after": "2"}}}, {"results": DEALS[2:]}],
    {"results": COMPANIES},
    DEALS,
]
VALUES = ["closedwon", "true", "12000", "1499.99", "2024-02-28T23:30:00Z", "jpy",
          {"companies": {"results": [{"id": None}]}}, {"results": None}, [{"results": []}]]


@FUZZ_SETTINGS
@given(mutated_json(SEEDS, values=VALUES))
def test_mutated_responses_load_quarantine_or_fail_clearly(tmp_path: Path,
                                                           data: bytes) -> None:
    for name in ("deals.json", "companies.json", "export.json"):
        path = tmp_path / name
        path.write_bytes(data)
        check_outcome(load_hubspot, path)
        path.unlink()
