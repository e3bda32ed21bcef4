"""The rule catalog: the default covers every category; errors name file, rule and field;
matchers round-trip through their serialised form."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconkit.catalog import load_catalog
from reconkit.errors import ConfigError
from reconkit.matchers.base import build_matcher, matcher_kinds, to_dict

CATALOG = Path(__file__).resolve().parents[1] / "rule_catalog"
CONTRACT_CATEGORIES = {
    "unmatched_payment", "partial_payment", "overpayment", "duplicate_payment",
    "grouped_payment", "payer_is_other_entity", "unbilled_commitment",
    "invoice_without_commitment", "contract_amount_mismatch", "discount_not_applied",
    "renewal_price_drift", "missing_in_ledger", "ledger_amount_mismatch",
    "credit_note_on_lettered_line", "year_end_rebate", "bank_fee_deducted", "renamed_party",
    "unresolved_party"}


def test_default_catalog_covers_every_contract_category() -> None:
    cat = load_catalog(CATALOG)
    raised = {r.exception_category for r in cat.rules if r.exception_category}
    assert raised >= CONTRACT_CATEGORIES
    assert cat.category_ids() >= CONTRACT_CATEGORIES
    for r in cat.rules:
        assert r.owner and r.source and len(r.description) > 20


def test_auto_rules_never_rely_on_amount_or_name_alone() -> None:
    cat = load_catalog(CATALOG)
    auto_payment = {r.matcher.kind for r in cat.for_link("payment_invoice")
                    if r.auto_approve is not None}
    # both read a reference, then check amount and client: never amount or name alone;
    # a PSP payout: its id or the provider's name, its amount and date, and lines adding up
    assert auto_payment == {"reference_exact", "reference_ledger_item", "psp_payout"}


def test_rules_are_in_waterfall_order() -> None:
    cat = load_catalog(CATALOG)
    pay = [r.id for r in cat.for_link("payment_invoice")]
    # a bank credit that is a PSP payout is decided first: it pays no invoice itself
    assert pay[:2] == ["PAY-PSP-PAYOUT", "PAY-PSP-PAYOUT-UNBALANCED"]
    assert pay[2] == "PAY-REF-EXACT" and pay[-1] == "PAY-UNEXPLAINED"


def _broken(tmp_path: Path, edit: dict) -> Path:
    folder = tmp_path / "cat"
    shutil.copytree(CATALOG, folder)
    doc = yaml.safe_load((folder / "payments.yaml").read_text())
    doc["rules"][0].update(edit)
    (folder / "payments.yaml").write_text(yaml.safe_dump(doc))
    return folder


@pytest.mark.parametrize(("edit", "message"), [
    ({"auto_approve": 1.5}, "file payments.yaml: rule 'PAY-REF-EXACT', field 'auto_approve'"),
    ({"link": "payments"}, "rule 'PAY-REF-EXACT', field 'link'"),
    ({"matcher": {"kind": "magic"}}, "rule 'PAY-REF-EXACT', field 'matcher.kind': unknown "
                                     "matcher 'magic'"),
    ({"exception_category": "oops"}, "field 'exception_category': unknown category 'oops'"),
    ({"id": "pay ref"}, "field 'id'"),
    ({"colour": "red"}, "field 'colour'"),
    ({"matcher": {"kind": "reference_exact", "params": {"treshold": 1}}},
     "rule 'PAY-REF-EXACT', field 'matcher.params': matcher 'reference_exact' has no "
     "parameter(s) ['treshold']"),
])
def test_catalog_errors_point_to_file_rule_and_field(tmp_path: Path, edit: dict,
                                                     message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_catalog(_broken(tmp_path, edit))
    assert message in str(err.value)


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="defined twice"):
        load_catalog(_broken(tmp_path, {"id": "PAY-OVER"}))


def test_every_matcher_of_the_catalog_round_trips_through_its_dict() -> None:
    cat = load_catalog(CATALOG)
    for rule in cat.rules:
        m = build_matcher(rule.matcher.kind, rule.matcher.params)
        d = to_dict(m)
        assert d["kind"] == rule.matcher.kind
        assert build_matcher(d["kind"], d["params"]) == m
    assert {r.matcher.kind for r in cat.rules} <= set(matcher_kinds())


def _perturbed(data: st.DataObject, value: Any) -> Any:
    """The same parameters with every number redrawn (floats in 0..1, ints 0..1000)."""
    if isinstance(value, dict):
        return {k: _perturbed(data, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_perturbed(data, v) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float):
        return data.draw(st.floats(0, 1, allow_nan=False))
    return data.draw(st.integers(0, 1000))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_matcher_parameters_round_trip_through_yaml(data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from(load_catalog(CATALOG).rules))
    params = _perturbed(data, to_dict(build_matcher(rule.matcher.kind,
                                                    rule.matcher.params))["params"])
    m = build_matcher(rule.matcher.kind, params)
    text = yaml.safe_dump(to_dict(m), sort_keys=True)
    back = yaml.safe_load(text)
    assert build_matcher(back["kind"], back["params"]) == m


def test_a_badly_typed_parameter_is_refused_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    shutil.copytree(CATALOG, folder)
    text = (folder / "payments.yaml").read_text(encoding="utf-8")
    (folder / "payments.yaml").write_text(text.replace("k_max: 6 ", 'k_max: "six" '),
                                          encoding="utf-8")
    with pytest.raises(ConfigError, match=r"PAY-GROUPED.*matcher.params.*k_max"):
        load_catalog(folder)


def test_changing_a_weight_in_the_catalog_changes_the_scores(tmp_path: Path) -> None:
    from builders import World

    def score(catalog: Path) -> float:
        w = World()
        w.client("A", "Acme Conseil SAS", iban="FR7630006000011234567890189")
        w.invoice("A", "F-2026-004217", 120_000)
        w.payment("P1", 120_000, payer="ACME", iban="FR7630006000011234567890189",
                  text="F-2026-004217")
        r = w.reconcile(catalog=load_catalog(catalog))
        return float(r.matches.filter(pl.col("rule_id") == "PAY-REF-EXACT")["score"].item())

    folder = tmp_path / "cat"
    shutil.copytree(CATALOG, folder)
    text = (folder / "payments.yaml").read_text(encoding="utf-8")
    (folder / "payments.yaml").write_text(text.replace(
        "score: {reference: 0.5, amount: 0.25, party: 0.25, bonus: 0.0}",
        "score: {reference: 0.4, amount: 0.25, party: 0.25, bonus: 0.0}", 1), encoding="utf-8")
    assert score(CATALOG) == 1.0
    assert score(folder) == pytest.approx(0.9)


def test_unknown_matcher_parameter_is_named() -> None:
    with pytest.raises(TypeError, match="no parameter"):
        build_matcher("reference_exact", {"treshold": 1})
