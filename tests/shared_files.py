"""Reference files beside the repository (../shared): where they are, and a skip when not."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

SHARED = Path(os.environ.get("RECONKIT_SHARED") or Path(__file__).resolve().parents[2] / "shared")
EXAMPLES = SHARED / "reference" / "examples"


def fixtures(kind: str) -> Path:
    return SHARED / "fixtures" / kind


def shared_file(path: Path) -> Path:
    """`path`, or skip the test with the reason when ../shared is not there."""
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def col(df: pl.DataFrame, name: str) -> list:
    return df.get_column(name).to_list()
