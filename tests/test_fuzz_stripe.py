"""Fuzz the Stripe loader with mutated saved list responses (see tests/fuzzing.py): values of
the wrong type or range (huge, negative, millisecond timestamps), keys removed, nested nulls,
`has_more: true`, truncated JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fuzzing import FUZZ_SETTINGS, REPO, check_outcome, mutated_json
from hypothesis import given
from test_stripe import BASIL, CREDIT, CUSTOMERS, DRAFT, JPY, OLD, VOID

from reconkit.loaders.stripe import load_stripe

SAMPLE = REPO / "data_samples/sample/native/stripe"


def _head(name: str, n: int) -> dict[str, Any]:
    """A sample list response cut to its first n objects."""
    doc = json.loads((SAMPLE / name).read_text(encoding="utf-8"))
    return {**doc, "data": doc["data"][:n]}


def _listing(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "url": "/v1/x", "has_more": False, "data": list(objects)}


SEEDS = {
    "invoices.json": [_head("invoices.json", 3), _listing(BASIL, OLD, JPY, DRAFT, VOID)],
    "credit_notes.json": [_head("credit_notes.json", 3), _listing(CREDIT)],
    "customers.json": [_head("customers.json", 4), _listing(*CUSTOMERS)],
}
SEED_LIST = [(name, doc) for name, docs in SEEDS.items() for doc in docs]
VALUES = ["in_", "cus_", "cn_", {"id": "cus_x", "object": "customer"}, {"data": [None]},
          {"data": [{"amount": None}]}, {"siren": 12}, "subscription_cycle"]


@FUZZ_SETTINGS
@given(mutated_json([doc for _, doc in SEED_LIST], values=VALUES))
def test_mutated_lists_load_quarantine_or_fail_clearly(tmp_path: Path, data: bytes) -> None:
    # the file name picks the object kind when the objects do not say it: try them all
    for name in SEEDS:
        path = tmp_path / name
        path.write_bytes(data)
        check_outcome(load_stripe, path)
        path.unlink()


def test_seeds_load_cleanly(tmp_path: Path) -> None:
    for name, doc in SEED_LIST:
        path = tmp_path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        loaded = load_stripe(path)
        assert sum(t.height for t in loaded.tables.values()) > 0
        assert loaded.quarantine.height == 0
