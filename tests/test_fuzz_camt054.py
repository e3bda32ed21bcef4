"""Fuzz the camt.054 loader with mutated notifications (see tests/fuzzing.py)."""

from __future__ import annotations

from pathlib import Path

from fuzzing import FUZZ_SETTINGS, check_outcome, mutated
from hypothesis import given
from test_camt054 import _notification

from reconkit.loaders.camt054 import load_camt054

SEEDS = [_notification(v).encode() for v in ("02", "08")]


@FUZZ_SETTINGS
@given(mutated(SEEDS, tokens=["<Ntry>", "</Ntry>", "<RvslInd>true</RvslInd>", "MD06"]))
def test_mutated_notifications_load_quarantine_or_fail_clearly(tmp_path: Path,
                                                               data: bytes) -> None:
    path = tmp_path / "ntf.xml"
    path.write_bytes(data)
    check_outcome(load_camt054, path)
