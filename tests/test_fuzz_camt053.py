"""Fuzz the camt.053 loader with mutated real-shaped statements (see tests/fuzzing.py)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from fuzzing import FUZZ_SETTINGS, REPO, check_outcome, mutated, shared_seeds
from hypothesis import given

from reconkit.loaders.camt053 import load_camt053


def _sample_head(n_entries: int = 5) -> bytes:
    """The bundled sample statement cut to its first entries, closed properly."""
    text = (REPO / "data_samples/sample/native/bank/camt053_2026-10.xml").read_bytes()
    ends = [m.end() for m in re.finditer(rb"</Ntry>", text)]
    return text[: ends[n_entries - 1]] + b"\n</Stmt></BkToCstmrStmt></Document>\n"


SEEDS = [_sample_head(), *shared_seeds(
    "reference/examples/camt053_v02.xml", "reference/examples/camt053_v08.xml",
    "fixtures/camt053/oca-test-camt053.xml", "fixtures/camt053/oca-test-camt053-txdtls.xml",
    "fixtures/camt053/oca-test-camt053-no-ntry.xml")]


@FUZZ_SETTINGS
@given(mutated(SEEDS, tokens=["<Ntry>", "</Ntry>", "<TxDtls>", "<Stmt>", "OPBD", "CLBD"]))
def test_mutated_statements_load_quarantine_or_fail_clearly(tmp_path: Path,
                                                             data: bytes) -> None:
    path = tmp_path / "stmt.xml"
    path.write_bytes(data)
    check_outcome(load_camt053, path)


def test_seeds_load_cleanly(tmp_path: Path) -> None:
    for i, seed in enumerate(SEEDS):
        path = tmp_path / f"seed{i}.xml"
        path.write_bytes(seed)
        assert load_camt053(path).tables["payments"].height >= 0


def _zipped(*members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i, data in enumerate(members):
            zf.writestr(f"stmt{i}.xml", data)
    return buf.getvalue()


ZIP_SEEDS = [_zipped(SEEDS[0]), _zipped(*SEEDS[:2])]


@FUZZ_SETTINGS
@given(mutated(ZIP_SEEDS))
def test_mutated_archives_load_quarantine_or_fail_clearly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "statements.zip"
    path.write_bytes(data)
    check_outcome(load_camt053, path)
