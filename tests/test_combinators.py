"""Combinators over matchers, and their place in a catalog."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from reconkit.catalog import load_catalog
from reconkit.catalog.model import DEFAULT_CATALOG
from reconkit.engine import Reconciliation
from reconkit.loaders.base import Loaded, merge_loaded
from reconkit.matchers.base import build_matcher, to_dict
from reconkit.matchers.context import AllocationState, MatchContext
from reconkit.parties import resolve_parties

from builders import OCT, World

IBAN = "FR7630006000011234567890189"
CATALOG = load_catalog()
PARTY_SETTINGS = CATALOG.party_resolution
EXACT = CATALOG.rule("PAY-REF-EXACT").matcher.model_dump()
AMOUNT = CATALOG.rule("PAY-PARTY-AMOUNT").matcher.model_dump()


def _ctx() -> MatchContext:
    w = World()
    w.client("A", "Acme Conseil SAS", iban=IBAN)
    w.invoice("A", "F-2026-000001", 10_000)
    w.invoice("A", "F-2026-000002", 20_000)
    w.payment("P1", 10_000, payer="ACME", iban=IBAN, text="F-2026-000001")
    w.payment("P2", 20_000, payer="ACME", iban=IBAN, text="VIREMENT")
    t = w.tables()
    return MatchContext(tables=t, parties=resolve_parties(t, PARTY_SETTINGS), period_start=OCT,
                        period_end=date(2026, 10, 31), reading=CATALOG.reading,
                        party_rules=PARTY_SETTINGS)


def _state(ctx: MatchContext) -> AllocationState:
    s = AllocationState()
    s.init_records("billing", ctx.open_items["record_id"], ctx.open_items["open_cents"])
    return s


def _pairs(c: pl.DataFrame) -> dict[str, float]:
    return dict(c.select("anchor_id", "score").iter_rows())


def test_any_of_is_the_union_with_the_best_score() -> None:
    ctx = _ctx()
    got = build_matcher("any_of", {"matchers": [EXACT, AMOUNT]}).propose(ctx, _state(ctx))
    exact = build_matcher(EXACT["kind"], EXACT["params"]).propose(ctx, _state(ctx))
    assert _pairs(got) == {"P1": _pairs(exact)["P1"], "P2": 0.7}


def test_all_of_keeps_what_every_matcher_proposes() -> None:
    ctx = _ctx()
    got = build_matcher("all_of", {"matchers": [EXACT, AMOUNT]}).propose(ctx, _state(ctx))
    # P1 is proposed by both (reference + same amount): the lowest score is kept
    assert _pairs(got) == {"P1": 0.7}


def test_weighted_mean_counts_a_missing_proposal_as_zero() -> None:
    ctx = _ctx()
    m = build_matcher("weighted", {"matchers": [EXACT, AMOUNT], "weights": [3, 1]})
    exact = _pairs(build_matcher(EXACT["kind"], EXACT["params"]).propose(ctx, _state(ctx)))["P1"]
    got = _pairs(m.propose(ctx, _state(ctx)))
    assert got == {"P1": round((3 * exact + 0.7) / 4, 4), "P2": round(0.7 / 4, 4)}


def test_combinator_round_trips_and_refuses_unknown_parts() -> None:
    m = build_matcher("any_of", {"matchers": [EXACT, AMOUNT]})
    assert build_matcher(**to_dict(m)) == m
    with pytest.raises(ValueError, match="unknown matcher 'nope'"):
        build_matcher("all_of", {"matchers": [{"kind": "nope"}]})


def test_a_catalog_rule_can_use_a_combinator(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    shutil.copytree(DEFAULT_CATALOG, folder)
    doc = yaml.safe_load((folder / "payments.yaml").read_text())
    doc["rules"][0]["matcher"] = {"kind": "all_of", "params": {"matchers": [EXACT, AMOUNT]}}
    (folder / "payments.yaml").write_text(yaml.safe_dump(doc))
    cat = load_catalog(folder)
    w = World()
    w.client("A", "Acme Conseil SAS", iban=IBAN)
    w.invoice("A", "F-2026-000001", 10_000)
    w.payment("P1", 10_000, payer="ACME", iban=IBAN, text="F-2026-000001")
    loaded = merge_loaded([Loaded(tables=w.tables())])
    r = Reconciliation(catalog=cat, period_start=OCT, period_end=date(2026, 10, 31)).match(loaded)
    m = r.matches.filter(pl.col("kind") == "payment_invoice")
    # the combined score (0.7) is below PAY-REF-EXACT's auto threshold: review, not auto
    assert m.select("rule_id", "status").rows() == [("PAY-REF-EXACT", "review")]
