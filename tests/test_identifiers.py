"""IBAN and SIREN keys: invalid check digits give null, never a join key."""

from __future__ import annotations

import polars as pl

from reconkit.keys.identifiers import (
    is_valid_iban,
    is_valid_siren,
    normalize_iban,
    siren_from,
)


def test_normalize_iban() -> None:
    df = pl.DataFrame({"x": ["FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890188",
                             "de89 3704 0044 0532 0130 00", None, "not an iban",
                             "FR76 3000 6000 0112 3456 7890 189"]})
    out = df.select(normalize_iban(pl.col("x"))).to_series().to_list()
    assert out == ["FR7630006000011234567890189", None, "DE89370400440532013000", None, None,
                   "FR7630006000011234567890189"]


def test_is_valid_iban() -> None:
    assert is_valid_iban("FR76 3000 6000 0112 3456 7890 189")
    assert not is_valid_iban("FR7630006000011234567890188")
    assert not is_valid_iban(None)
    assert not is_valid_iban("")


def test_siren_from_siren_siret_vat() -> None:
    df = pl.DataFrame({"x": ["732 829 320", "732829321", "73282932000074", "73282932000075",
                             "FR 40 303 265 045", "FR41303265045", "FR32 123456782", None,
                             "ABC"]})
    out = df.select(siren_from(pl.col("x"))).to_series().to_list()
    assert out == ["732829320", None, "732829320", None, "303265045", None, None, None, None]


def test_is_valid_siren() -> None:
    assert is_valid_siren("732 829 320")
    assert not is_valid_siren("732829321")
    assert not is_valid_siren(None)
