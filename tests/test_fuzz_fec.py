"""Fuzz the FEC loader with mutated ledgers, line- and column-wise (see tests/fuzzing.py)."""

from __future__ import annotations

from pathlib import Path

from fuzzing import (
    FUZZ_SETTINGS,
    REPO,
    check_outcome,
    csv_rows,
    head_lines,
    mutated,
    mutated_csv,
    shared_seeds,
)
from hypothesis import given

from reconkit.loaders.fec import load_fec

NAME = "502466337FEC20261231.txt"
SAMPLE = head_lines(REPO / "data_samples/sample/native/fec" / NAME, 16)
SHARED = [s.decode("utf-8", errors="replace") for s in shared_seeds(
    "reference/examples/123456782FEC20241231.txt", "fixtures/fec/fec-reader-sample_tab.txt",
    "fixtures/fec/fec-reader-sample_pipe.txt")]
SEEDS = [SAMPLE, *SHARED]
TOKENS = ["\t", "|", "411000", "706000", "20261231", "C", "D", "0,00", "1440,00", "AAA"]


@FUZZ_SETTINGS
@given(mutated([s.encode("utf-8") for s in SEEDS], tokens=TOKENS))
def test_mutated_lines_load_quarantine_or_fail_clearly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / NAME
    path.write_bytes(data)
    check_outcome(load_fec, path)


@FUZZ_SETTINGS
@given(mutated_csv([csv_rows(s, "|" if s.count("|") > s.count("\t") else "\t")
                    for s in SEEDS], cells=TOKENS))
def test_mutated_columns_load_quarantine_or_fail_clearly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / NAME
    path.write_bytes(data)
    check_outcome(load_fec, path)


def test_seeds_load_cleanly(tmp_path: Path) -> None:
    for seed in SEEDS:
        path = tmp_path / NAME
        path.write_text(seed, encoding="utf-8")
        loaded = load_fec(path)
        assert loaded.tables["ledger_lines"].height > 0
        assert loaded.quarantine.height == 0
