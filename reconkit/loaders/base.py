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
from reconkit.loaders.statements import STATEMENT_COLUMNS, Statement, statements_table
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
    # source_file -> records quarantined by the loader, when a record can have several
    # quarantine rows or share its source_row with others (the transactions of a batch
    # entry); files not listed count the distinct source rows of their quarantine
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    statements: tuple[Statement, ...] = ()  # bank loaders: one per statement read


@dataclass(frozen=True)
class FileReport:
    """Each count is made on its own: `unaccounted` = read - loaded - quarantined - skipped
    reveals records lost (> 0) or counted twice (< 0) between the loader and the tables."""

    source_file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int = 0
    unaccounted: int = 0


@dataclass(frozen=True)
class LoadResult:
    """Validated canonical tables of one or more sources, with quarantine and a load report."""

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    report: tuple[FileReport, ...]
    warnings: tuple[str, ...] = ()
    statements: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=STATEMENT_COLUMNS))

    def report_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [r.__dict__ for r in self.report],
            schema={"source_file": pl.String, "rows_read": pl.Int64, "rows_loaded": pl.Int64,
                    "rows_quarantined": pl.Int64, "rows_skipped": pl.Int64,
                    "unaccounted": pl.Int64},
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

    for mod in ("tabular", "fec", "camt053", "camt054", "mt940", "cfonb120", "salesforce",
                "hubspot", "stripe", "stripe_payouts", "adyen", "paypal"):
        try:
            importlib.import_module(f"reconkit.loaders.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"reconkit.loaders.{mod}":
                raise


def merge_loaded(parts: list[Loaded]) -> LoadResult:
    """Concatenate loaders' outputs per table, validate each table once, build the report.

    The load report counts each term on its own: rows read and skipped as the loaders saw
    them, rows quarantined by the loaders and by validation, rows loaded as found in the
    validated tables. A file whose terms do not add up gets an `unaccounted` count and a
    warning: a record was dropped (or counted twice) somewhere.
    """
    tables: dict[str, pl.DataFrame] = {}
    quarantines = [p.quarantine for p in parts]
    rows_read: dict[str, int] = {}
    rows_skipped: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    warnings: list[str] = []
    for p in parts:
        _add(rows_read, p.rows_read)
        _add(rows_skipped, p.rows_skipped)
        _add(quarantined, _loader_quarantined(p))
        warnings.extend(p.warnings)
    loaded: dict[str, int] = {}
    record_files: set[str] = set()  # files whose records are in a table other than parties
    for table in sorted(TABLES, key=lambda t: t == "parties"):
        frames = [conform(table, p.tables[table]) for p in parts if table in p.tables]
        if not frames:
            continue
        raw = pl.concat(frames, how="vertical")
        valid, q = validate(table, raw)
        tables[table] = valid
        quarantines.append(q)
        before, after = _per_file(raw), _per_file(valid)
        if table == "parties":  # derived from other records, except in files of parties
            before = {f: n for f, n in before.items() if f not in record_files}
            after = {f: n for f, n in after.items() if f in before}
        else:
            record_files.update(before)
        _add(loaded, after)
        _add(quarantined, {f: n - after.get(f, 0) for f, n in before.items()})
    quarantine = pl.concat(quarantines, how="vertical") if quarantines else empty_quarantine()
    quarantine = quarantine.sort("source_file", "source_row", "column", nulls_last=True)
    report = []
    for f in sorted(rows_read):
        nl, nq, ns = loaded.get(f, 0), quarantined.get(f, 0), rows_skipped.get(f, 0)
        gap = rows_read[f] - nl - nq - ns
        report.append(FileReport(f, rows_read[f], nl, nq, ns, gap))
        if gap:
            warnings.append(
                f"{f}: the load report does not add up: {rows_read[f]} rows read, {nl} "
                f"loaded, {nq} quarantined, {ns} skipped ({abs(gap)} "
                f"{'unaccounted for' if gap > 0 else 'counted twice'})")
    statements, statement_warnings = statements_table([s for p in parts for s in p.statements])
    return LoadResult(tables=tables, quarantine=quarantine, report=tuple(report),
                      warnings=tuple(warnings + statement_warnings), statements=statements)


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for f, n in counts.items():
        into[f] = into.get(f, 0) + n


def _per_file(df: pl.DataFrame) -> dict[str, int]:
    if df.height == 0:
        return {}
    counts = df.group_by("source_file").len()
    return dict(zip(counts["source_file"].to_list(), counts["len"].to_list(), strict=True))


def _loader_quarantined(p: Loaded) -> dict[str, int]:
    """Records a loader quarantined: its own count, else its distinct quarantined rows."""
    out = dict(p.rows_quarantined)
    q = p.quarantine.filter(~pl.col("source_file").is_in(list(out)))
    if q.height:
        _add(out, _per_file(q.select("source_file", "source_row").unique()))
    return out
