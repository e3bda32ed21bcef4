"""Fuzz the CFONB 120 loader with mutated statements (see tests/fuzzing.py)."""

from __future__ import annotations

from pathlib import Path

from fuzzing import FUZZ_SETTINGS, check_outcome, mutated, shared_seeds
from hypothesis import given
from test_cfonb120 import _rec

from reconkit.loaders.cfonb120 import load_cfonb120

SEEDS = ["\n".join([
    _rec("01", amount="0000000001000{", date_="140324"),
    _rec("04", amount="0000000000123D", ref="VIR-1", label="VIR ACME"),
    _rec("05", qualifier="NPY", detail="ACME SA"),
    _rec("05", qualifier="IPY", detail="FR7630003012340005000123471"),
    _rec("04", amount="0000000000050}", entry="0000002"),
    _rec("07", amount="0000000001073D"),
]).encode("latin-1"), *shared_seeds(
    "reference/examples/releve.cfonb120", "fixtures/cfonb120/pennylane-example.txt")]


@FUZZ_SETTINGS
@given(mutated(SEEDS, tokens=["01", "04", "05", "07", "}", "{", "R", "    "]))
def test_mutated_statements_load_quarantine_or_fail_clearly(tmp_path: Path,
                                                             data: bytes) -> None:
    path = tmp_path / "releve.txt"
    path.write_bytes(data)
    check_outcome(load_cfonb120, path)
