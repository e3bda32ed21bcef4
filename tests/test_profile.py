"""Mapping profiles: YAML validation, resolved defaults, errors naming file and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconkit.errors import ConfigError
from reconkit.loaders.profile import MappingProfile, SignFrom, builtin_profiles, load_profile


def _invoice_profile(**columns: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": {"from": "No"}, "number": {"from": "No"},
        "doc_type": {"const": "invoice"}, "party_record_id": {"from": "Client"},
        "issue_date": {"from": "Date"}, "currency": {"const": "EUR"},
        "amount_cents": {"from": "Total"},
    }
    base.update(columns)
    return {"name": "t", "table": "invoices", "columns": base}


def _error(data: dict[str, Any], source: str = "pennylane_invoices.yaml") -> str:
    with pytest.raises(ConfigError) as info:
        MappingProfile.from_dict(data, source=source)
    return info.value.message


def test_builtin_profiles_all_load() -> None:
    names = builtin_profiles()
    assert names == ["canonical_commitments", "canonical_invoices", "canonical_ledger_lines",
                     "canonical_parties", "canonical_payments", "canonical_settlement_lines",
                     "pennylane_invoices",
                     "sellsy_invoices", "stripe_dashboard_invoices"]
    tables = {n: load_profile(n).table for n in names}
    assert tables["canonical_parties"] == "parties"
    assert tables["pennylane_invoices"] == "invoices"
    assert all(load_profile(n).description for n in names)


def test_pennylane_profile_resolves_locale_and_required() -> None:
    prof = load_profile("pennylane_invoices")
    ttc = prof.field("amount_cents")
    assert (ttc.type, ttc.decimal, ttc.thousands, ttc.scale, ttc.required) == \
        ("amount", ",", " ", 2, True)
    assert prof.field("issue_date").type == "date"
    assert prof.field("issue_date").format == ("%d/%m/%Y",)
    assert prof.field("doc_type").required is False  # has a default
    assert prof.field("due_date").required is False
    assert prof.field("party_record_id").from_ == ("Identifiant client", "Client")
    assert prof.system == "billing"


def test_inferred_types_from_canonical_dtypes() -> None:
    prof = MappingProfile.from_dict(_invoice_profile(due_date={"from": "Due"}))
    assert prof.field("due_date").type == "date"
    assert prof.field("amount_cents").type == "amount"
    assert prof.field("number").type == "string"


def test_unknown_type_names_file_and_column(tmp_path: Path) -> None:
    data = _invoice_profile(issue_date={"from": "Date", "type": "dat"})
    path = tmp_path / "pennylane_invoices.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert info.value.message == (
        "profile pennylane_invoices.yaml, column 'issue_date': unknown type 'dat' (expected one "
        "of: string, upper, amount, int, percent_bp, date, bool)")


@pytest.mark.parametrize(("change", "expected"), [
    ({"issue_date": {"from": "Date", "fromm": "x"}},
     "column 'issue_date': unknown option 'fromm'"),
    ({"currency": {"const": "EUR", "from": "Devise"}},
     "column 'currency': give exactly one of from / const / concat / template "
     "(got from, const)"),
    ({"amount_cents": {"from": "Total", "sign": "neg"}},
     "column 'amount_cents': unknown sign 'neg' (input should be 'as_is' or 'negate')"),
    ({"amount_cents": {"from": "Total", "sign": {"from": "Sens", "debit": "D"}}},
     "column 'amount_cents': sign needs the values meaning + and - (debit/credit or "
     "positive/negative)"),
    ({"issue_date": {"from": "Date", "type": "amount"}},
     "column 'issue_date': type 'amount' gives Int64, but the column holds Date"),
    ({"amount_cents": {"from": "Total", "negate_if": {"column": "kind", "equals": "x"}}},
     "column 'amount_cents': condition on column 'kind', which this profile does not map"),
    ({"number": {"from": "No", "regex": "INV-\\d+"}},
     "column 'number': regex 'INV-\\d+' needs a group ( ... ) to extract"),
    ({"source_row": {"from": "Line"}},
     "column 'source_row': set by the loader, cannot be mapped"),
])
def test_column_errors(change: dict[str, Any], expected: str) -> None:
    assert _error(_invoice_profile(**change)) == f"profile pennylane_invoices.yaml, {expected}"


def test_unmapped_required_column_and_unknown_column() -> None:
    data = _invoice_profile()
    del data["columns"]["party_record_id"]
    assert _error(data, "x.yaml") == ("profile x.yaml, column 'party_record_id': required by "
                                      "table invoices but not mapped")
    data = _invoice_profile(colour={"const": "red"})
    assert _error(data, "x.yaml").startswith(
        "profile x.yaml, column 'colour': not a column of table invoices (expected one of: "
        "system, record_id, doc_type,")


def test_table_and_read_errors() -> None:
    assert _error({**_invoice_profile(), "table": "invoice"}, "x.yaml") == (
        "profile x.yaml, unknown table 'invoice' (input should be 'parties', 'commitments', "
        "'invoices', 'ledger_lines', 'payments' or 'settlement_lines')")
    assert _error({**_invoice_profile(), "read": {"delimiter": ";;"}}, "x.yaml") == (
        "profile x.yaml, option 'read.delimiter': delimiter must be one character or 'auto', "
        "got ';;'")
    assert _error({**_invoice_profile(), "read": {"encoding": "latin-42"}}, "x.yaml") == (
        "profile x.yaml, option 'read.encoding': unknown encoding 'latin-42'")


def test_parties_need_a_system() -> None:
    data = {"name": "p", "table": "parties",
            "columns": {"record_id": {"from": "Id"}, "name": {"from": "Name"}}}
    assert _error(data, "p.yaml") == (
        "profile p.yaml, table parties holds several systems: give 'system' (one of: crm, "
        "billing, erp, bank, psp) or map the 'system' column")
    assert MappingProfile.from_dict({**data, "system": "crm"}).system == "crm"


def test_yaml_values_kept_as_text_and_sign_aliases() -> None:
    prof = MappingProfile.from_dict(_invoice_profile(
        number={"from": 2024, "map": {1: "one"}},
        amount_cents={"from": "Montant", "sign": {"from": "Sens", "debit": "D",
                                                  "credit": ["C", "Cr"]}}))
    assert prof.field("number").from_ == ("2024",)
    assert prof.field("number").map == {"1": "one"}
    sign = prof.field("amount_cents").sign
    assert isinstance(sign, SignFrom)
    assert (sign.plus, sign.minus) == (("D",), ("C", "Cr"))


def test_load_profile_lookup_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_profile("pennylane")
    assert info.value.message == "unknown mapping profile 'pennylane'"
    assert "pennylane_invoices" in (info.value.hint or "")
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\ncolumns: {a: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(bad)
    assert info.value.message.startswith("profile broken.yaml line 3: not valid YAML")
    with pytest.raises(ConfigError) as info:
        load_profile(tmp_path / "absent.yaml")
    assert info.value.message.endswith("absent.yaml not found")


def test_load_profile_accepts_dict_and_instance() -> None:
    prof = load_profile(_invoice_profile())
    assert load_profile(prof) is prof
    assert prof.name == "t"
