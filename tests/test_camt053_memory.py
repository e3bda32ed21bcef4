"""A big camt.053 loads in flat reading memory: only the output frame grows with the file.

Slow: writes a 20 MB and a 200 MB statement (`RECONKIT_MEMORY_MB` changes the big one) and
loads each in a fresh process (benchmarks/bench_camt053_memory.py, which also runs 1 GB).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_camt053_memory import growth, measure


@pytest.mark.slow
def test_reading_memory_stays_flat_and_only_the_output_grows(tmp_path: Path) -> None:
    big_mb = float(os.environ.get("RECONKIT_MEMORY_MB", "200"))
    small, big = measure(big_mb / 10, tmp_path), measure(big_mb, tmp_path)
    per_payment, reading = growth(small, big)
    print(small.line(), big.line(), f"growth {per_payment:.0f} B/payment, reading "
          f"{reading:.0f} MiB", sep="\n")
    assert big.warnings == () and small.warnings == ()
    # a parsed XML tree costs several KB per entry, a dict per payment over 1 KB: neither is
    # kept, only the payments frame (about 300 bytes a row resident)
    assert per_payment < 600
    # MiB, whatever the file size: the XML stream and the batch of entries being turned into
    # columns (one XSLT call per batch), polars (measured: about 320 MiB)
    assert reading < 400
    # flat: ten times the file costs no more than the bigger output frame
    assert big.peak - small.peak < (big.payments - small.payments) * 600 / 2**20 + 64
