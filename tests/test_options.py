"""Source options checked against the loader's signature, once, for every loader kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconkit.config import RunConfig
from reconkit.errors import ConfigError
from reconkit.loaders.base import Loaded, get_loader
from reconkit.loaders.options import check_options, loader_options
from reconkit.pipeline import load_sources


def _declared(path: Path, *, locale: str | None = None, timezone: str = "UTC",
              **_: Any) -> Loaded:
    return Loaded(tables={})


def _undeclared(path: Path, **options: Any) -> Loaded:
    return Loaded(tables={})


def test_declared_options_come_from_the_signature() -> None:
    assert loader_options(_declared) == {"locale", "timezone"}
    assert loader_options(_undeclared) == frozenset()
    assert {"locale", "thousands", "encoding"} <= loader_options(get_loader("salesforce"))
    assert loader_options(get_loader("fec")) == {"customer_accounts", "currency", "encoding"}


def test_misspelt_option_names_the_key_the_allowed_ones_and_the_closest() -> None:
    with pytest.raises(ConfigError) as err:
        check_options("crm", "x", _declared, {"locale": "fr_FR", "locle": "fr_FR"})
    assert str(err.value) == ("source 'crm' (x): unknown option 'locle'\n"
                              "  What to do: did you mean 'locale'? options of x: locale, "
                              "timezone")


def test_option_far_from_any_gets_no_guess() -> None:
    with pytest.raises(ConfigError, match="unknown option 'colour'") as err:
        check_options("crm", "x", _declared, {"colour": "red"})
    assert "did you mean" not in str(err.value)


def test_known_options_and_undeclared_loaders_pass() -> None:
    check_options("crm", "x", _declared, {"locale": "fr_FR", "profile": "p"})
    check_options("bank", "y", _undeclared, {"anything": 1})


def test_run_config_with_a_misspelt_salesforce_option_stops(tmp_path: Path) -> None:
    (tmp_path / "Account.csv").write_text("Id,Name\n001D000000IRFmaIAH,Globex\n")
    cfg = RunConfig.model_validate({
        "period": "2024-03", "sources": [{"name": "crm", "kind": "salesforce",
                                          "path": str(tmp_path),
                                          "options": {"locle": "fr_FR"}}]})
    with pytest.raises(ConfigError) as err:
        load_sources(cfg)
    assert "unknown option 'locle'" in str(err.value)
    assert "did you mean 'locale'?" in str(err.value)
    assert "options of salesforce: aliases, contract_opportunity_fields, date_format" \
        in str(err.value)


def test_run_timezone_reaches_every_loader_that_declares_it(tmp_path: Path) -> None:
    late = ('{"object": "list", "has_more": false, "data": [{"id": "in_1", "object": '
            '"invoice", "number": "N1", "customer": "cus_1", "currency": "eur", "status": '
            '"open", "created": 1709335800, "total": 100}]}')  # 2024-03-01 23:30 UTC
    (tmp_path / "invoices.json").write_text(late)
    source = {"name": "billing", "kind": "stripe", "path": str(tmp_path / "invoices.json")}
    for tz, day in (("UTC", 1), ("Europe/Paris", 2)):
        cfg = RunConfig.model_validate({"period": "2024-03", "timezone": tz,
                                        "sources": [source]})
        issued = load_sources(cfg).tables["invoices"]["issue_date"].to_list()
        assert [d.day for d in issued] == [day]


@pytest.mark.parametrize(("kind", "name", "message"), [
    ("stripe", "invoices.json", "source 'src' (stripe): unknown option 'locle'"),
    ("fec", "123456782FEC20241231.txt", "source 'src' (fec): unknown option 'locle'"),
    ("camt053", "stmt.xml", "unknown option 'locle' for source kind camt053"),
], ids=["stripe", "fec", "camt053"])
def test_misspelt_option_stops_the_run_for_every_kind(tmp_path: Path, kind: str, name: str,
                                                      message: str) -> None:
    """Issue 10: `locle: fr_FR` was silently ignored by salesforce, stripe, camt053 and fec
    (salesforce is above); the file is never read, so its content does not matter."""
    (tmp_path / name).write_text("{}")
    cfg = RunConfig.model_validate({
        "period": "2024-03", "sources": [{"name": "src", "kind": kind,
                                          "path": str(tmp_path / name),
                                          "options": {"locle": "fr_FR"}}]})
    with pytest.raises(ConfigError) as err:
        load_sources(cfg)
    assert message in str(err.value)
