"""Loader registry and the result every loader returns.

A loader is a function `(path, **options) -> Loaded`: it parses one source into canonical
tables (see `reconkit.schemas`) and reports rows it could not parse in a quarantine frame.
Loaders register under a `kind:` name used in run configs. Schema validation happens once,
afterwards, in `load_source`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from reconkit.errors import ConfigError
from reconkit.schemas import TABLES, conform, empty_quarantine, validate


@dataclass(frozen=True)
class Loaded:
    """What a loader parsed: canonical tables (any subset), quarantined rows, rows read."""

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame = field(default_factory=empty_quarantine)
    rows_read: dict[str, int] = field(default_factory=dict)  # source_file -> data rows read
    warnings: tuple[str, ...] = ()
    # source_file -> rows read but deliberately not loaded (lines on other accounts, lost
    # opportunities, draft invoices, pending bank entries): counted, with the reason in warnings
    rows_skipped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FileReport:
    source_file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int = 0


@dataclass(frozen=True)
class LoadResult:
    """Validated canonical tables of one or more sources, with quarantine and a load report."""

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    report: tuple[FileReport, ...]
    warnings: tuple[str, ...] = ()

    def report_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [r.__dict__ for r in self.report],
            schema={"source_file": pl.String, "rows_read": pl.Int64, "rows_loaded": pl.Int64,
                    "rows_quarantined": pl.Int64, "rows_skipped": pl.Int64},
        )


class Loader(Protocol):
    def __call__(self, path: Path, **options: Any) -> Loaded: ...


_REGISTRY: dict[str, Loader] = {}


def register_loader(kind: str) -> Callable[[Loader], Loader]:
    """Register a loader function under a `kind:` name usable in run configs."""

    def deco(fn: Loader) -> Loader:
        _REGISTRY[kind] = fn
        return fn

    return deco


def loader_kinds() -> list[str]:
    _import_builtin_loaders()
    return sorted(_REGISTRY)


def get_loader(kind: str) -> Loader:
    _import_builtin_loaders()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ConfigError(
            f"unknown source kind '{kind}'",
            hint=f"use one of: {', '.join(sorted(_REGISTRY))}",
        ) from None


def _import_builtin_loaders() -> None:
    import importlib

    for mod in ("tabular", "fec", "camt053", "mt940", "cfonb120", "salesforce", "hubspot",
                "stripe"):
        try:
            importlib.import_module(f"reconkit.loaders.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"reconkit.loaders.{mod}":
                raise


def merge_loaded(parts: list[Loaded]) -> LoadResult:
    """Concatenate loaders' outputs per table, validate each table once, build the report."""
    tables: dict[str, pl.DataFrame] = {}
    quarantines = [p.quarantine for p in parts]
    rows_read: dict[str, int] = {}
    rows_skipped: dict[str, int] = {}
    warnings: list[str] = []
    for p in parts:
        for f, n in p.rows_read.items():
            rows_read[f] = rows_read.get(f, 0) + n
        for f, n in p.rows_skipped.items():
            rows_skipped[f] = rows_skipped.get(f, 0) + n
        warnings.extend(p.warnings)
    for table in TABLES:
        frames = [conform(table, p.tables[table]) for p in parts if table in p.tables]
        if not frames:
            continue
        valid, q = validate(table, pl.concat(frames, how="vertical"))
        tables[table] = valid
        quarantines.append(q)
    quarantine = pl.concat(quarantines, how="vertical") if quarantines else empty_quarantine()
    quarantine = quarantine.sort("source_file", "source_row", "column", nulls_last=True)
    bad_rows = quarantine.select("source_file", "source_row").unique()
    report = []
    for f in sorted(rows_read):
        nq = bad_rows.filter(pl.col("source_file") == f).height
        skipped = rows_skipped.get(f, 0)
        report.append(FileReport(f, rows_read[f], rows_read[f] - nq - skipped, nq, skipped))
    return LoadResult(tables=tables, quarantine=quarantine, report=tuple(report),
                      warnings=tuple(warnings))
