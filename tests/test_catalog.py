"""The rule catalog: the default covers every category; errors name file, rule and field;
matchers round-trip through their serialised form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

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
    # both read a reference, then check amount and client: never amount or name alone
    assert auto_payment == {"reference_exact", "reference_ledger_item"}


def test_rules_are_in_waterfall_order() -> None:
    cat = load_catalog(CATALOG)
    pay = [r.id for r in cat.for_link("payment_invoice")]
    assert pay[0] == "PAY-REF-EXACT" and pay[-1] == "PAY-UNEXPLAINED"


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


def test_every_matcher_round_trips_through_its_dict() -> None:
    for kind in matcher_kinds():
        m = build_matcher(kind, {})
        d = to_dict(m)
        assert d["kind"] == kind
        assert build_matcher(d["kind"], d["params"]) == m


def test_unknown_matcher_parameter_is_named() -> None:
    with pytest.raises(TypeError, match="no parameter"):
        build_matcher("reference_exact", {"treshold": 1})
