"""Salesforce 15 -> 18 character ids, checked against Salesforce's own samples."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconkit.ids import is_sf_id, sf18_expr, sf_checksum, sf_object, sf_ref_expr, to_sf18

SAMPLES = [("006x0000001YuG5", "006x0000001YuG5AAK"), ("001D000000IRFma", "001D000000IRFmaIAH"),
           ("003RO0000035WQg", "003RO0000035WQgYAM")]


@pytest.mark.parametrize(("id15", "id18"), SAMPLES)
def test_documented_samples(id15: str, id18: str) -> None:
    assert to_sf18(id15) == id18
    assert to_sf18(id18) == id18
    assert is_sf_id(id15) and is_sf_id(id18)


def test_18_with_wrong_checksum_and_junk_are_rejected() -> None:
    assert not is_sf_id("001D000000IRFmaAAA")
    assert not is_sf_id("001D000000IRFm")
    assert not is_sf_id("001D000000IRFm-a")
    with pytest.raises(ValueError, match="not a Salesforce id"):
        to_sf18("001D000000IRFmaAAA")


def test_lowercase_suffix_accepted() -> None:
    assert to_sf18("001D000000IRFmaiah") == "001D000000IRFmaIAH"
    assert sf_object("006x0000001YuG5AAK") == "Opportunity"
    assert sf_object("zzz") is None


def test_vectorised_matches_scalar_and_nulls_junk() -> None:
    raw = ["006x0000001YuG5", "001D000000IRFmaIAH", "001D000000IRFmaAAA", "bad", None,
           " 003RO0000035WQg "]
    out = pl.DataFrame({"id": raw}).select(a=sf18_expr(pl.col("id")),
                                           b=sf_ref_expr(pl.col("id")))
    assert out["a"].to_list() == ["006x0000001YuG5AAK", "001D000000IRFmaIAH", None, None, None,
                                  "003RO0000035WQgYAM"]
    assert out["b"].to_list() == ["006x0000001YuG5AAK", "001D000000IRFmaIAH",
                                  "001D000000IRFmaAAA", "bad", None, "003RO0000035WQgYAM"]


@settings(deadline=None)  # a polars call per example: slow on a loaded machine, not wrong
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
               min_size=15, max_size=15))
def test_vectorised_equals_scalar_for_any_15_char_id(id15: str) -> None:
    assert sf_checksum(id15) == to_sf18(id15)[15:]
    assert pl.select(sf18_expr(pl.lit(id15))).item() == to_sf18(id15)


def _scalar(value: str | None) -> str | None:
    try:
        return to_sf18(value) if value is not None else None
    except ValueError:
        return None


_ID_CHARS = st.sampled_from("aAzZ09bK5 é\u00a0-")


@settings(deadline=None)
@given(st.lists(st.none() | st.text(_ID_CHARS, min_size=13, max_size=20) | st.text(max_size=20),
                max_size=30))
def test_vectorised_equals_scalar_on_any_text(values: list[str | None]) -> None:
    out = pl.DataFrame({"id": values}, schema={"id": pl.String}).select(
        sf18_expr(pl.col("id")))
    assert out.to_series().to_list() == [_scalar(v) for v in values]
