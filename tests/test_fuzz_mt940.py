"""Fuzz the MT940 loader with mutated statements (see tests/fuzzing.py)."""

from __future__ import annotations

from pathlib import Path

from fuzzing import FUZZ_SETTINGS, check_outcome, mutated, shared_seeds
from hypothesis import given
from test_mt940 import RABOBANK, STMT

from reconkit.loaders.mt940 import load_mt940

SEEDS = [RABOBANK.encode(), STMT.format(
    lines=":61:2312290102RC10,00NTRFNONREF//B1\n:86:/EREF/E1/REMI/USTD//Invoice 7/\n"
          ":61:240102C5,50NDDTNONREF//B2\n:86:166?00SEPA?20EREF+E2E-1?21SVWZ+R 2023?32ACME",
    closing="C240102EUR96,50").encode(), *shared_seeds(
    "reference/examples/stmt.mt940", "fixtures/mt940/oca-test-ing.940",
    "fixtures/mt940/oca-test-sns.940")]


@FUZZ_SETTINGS
@given(mutated(SEEDS, tokens=[":61:", ":86:", ":62F:", ":60F:C240101EUR", "{4:", "-}"]))
def test_mutated_statements_load_quarantine_or_fail_clearly(tmp_path: Path,
                                                             data: bytes) -> None:
    path = tmp_path / "stmt.940"
    path.write_bytes(data)
    check_outcome(load_mt940, path)
