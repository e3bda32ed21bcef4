"""The result contract: the tables a run writes, and how they are written (deterministically).

Tables (each written as CSV and Parquet): matches, match_items, exceptions, parties, quarantine,
and `statements` (one row per bank statement loaded, with its balance and continuity checks).
Ids are derived from content (hashes of the items), never from run order, so the same inputs
and catalog give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from reconkit.errors import ReconkitError
from reconkit.loaders.statements import SORT_KEYS as STATEMENT_ORDER
from reconkit.safe_export import write_csv
from reconkit.schemas import QUARANTINE_COLUMNS, PolarsDataType

_WRITERS = 4  # tables written at once (a bound on threads, not a figure of the run)

CONTRACT: dict[str, dict[str, PolarsDataType]] = {
    "matches": {
        "match_id": pl.String, "kind": pl.String, "rule_id": pl.String, "status": pl.String,
        "score": pl.Float64, "explanation": pl.String, "evidence": pl.String,
        "alternative": pl.Boolean,  # one of several candidates shown for the same record
    },
    "match_items": {
        "match_id": pl.String, "system": pl.String, "record_id": pl.String, "role": pl.String,
        "amount_cents": pl.Int64,
    },
    "exceptions": {
        "exception_id": pl.String, "category": pl.String, "system": pl.String,
        "record_id": pl.String, "detail": pl.String, "candidate_match_ids": pl.String,
        "severity": pl.String,  # decision (a person decides) | info (recorded, no decision)
    },
    "parties": {
        "party_id": pl.String, "system": pl.String, "source_id": pl.String, "name": pl.String,
    },
    "quarantine": dict(QUARANTINE_COLUMNS),
}

SORT_KEYS = {
    "matches": ["kind", "match_id"],
    "match_items": ["match_id", "system", "record_id", "role"],
    "exceptions": ["category", "system", "record_id", "exception_id"],
    "parties": ["party_id", "system", "source_id"],
    "quarantine": ["system", "source_file", "source_row", "column", "reason"],
}


def stable_id(prefix: str, *parts: str) -> str:
    """A short content hash: the same parts always give the same id."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-{h}"


def stable_id_expr(prefix: str, parts: list[pl.Expr]) -> pl.Expr:
    """Column-wise `stable_id`: sha1 of the parts (stable across polars versions)."""

    def _hash(s: pl.Series) -> pl.Series:
        return pl.Series([stable_id(prefix, v) for v in s.to_list()], dtype=pl.String)

    joined = pl.concat_str([p.cast(pl.String).fill_null("") for p in parts], separator="\x1f")
    return joined.map_batches(_hash, return_dtype=pl.String)


def empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=CONTRACT[table])


def conform(table: str, df: pl.DataFrame) -> pl.DataFrame:
    cols = CONTRACT[table]
    out = df.select([
        (pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c) for c, t in cols.items()
    ])
    return out.sort(SORT_KEYS[table], nulls_last=True)


@dataclass(frozen=True)
class ReconResult:
    """What a reconciliation run produced: the contract tables plus run figures."""

    matches: pl.DataFrame
    match_items: pl.DataFrame
    exceptions: pl.DataFrame
    parties: pl.DataFrame
    quarantine: pl.DataFrame
    inputs: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)
    load_report: pl.DataFrame | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()
    statements: pl.DataFrame | None = field(default=None, repr=False)  # LoadResult.statements

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"matches": self.matches, "match_items": self.match_items,
                "exceptions": self.exceptions, "parties": self.parties,
                "quarantine": self.quarantine}

    def write(self, out_dir: Path) -> list[Path]:
        """Write every contract table as CSV and Parquet; byte-identical for identical results.

        CSV text cells go through `reconkit.safe_export` (no formula a spreadsheet would
        run); Parquet keeps the raw values."""
        out_dir = Path(out_dir)
        check_out_dir(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        def one(name: str, df: pl.DataFrame) -> list[Path]:
            df = conform(name, df)
            csv_path = out_dir / f"{name}.csv"
            pq_path = out_dir / f"{name}.parquet"
            write_csv(df, csv_path)  # text neutralised for spreadsheets
            df.write_parquet(pq_path, compression="zstd", statistics=False)
            return [csv_path, pq_path]

        # independent files, written side by side (polars frees the GIL while it encodes);
        # each file's bytes do not depend on the order
        with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
            for paths in pool.map(lambda kv: one(*kv), self.tables().items()):
                written += paths
        if self.statements is not None:
            df = self.statements.sort(list(STATEMENT_ORDER), nulls_last=True)
            write_csv(df, out_dir / "statements.csv")
            df.write_parquet(out_dir / "statements.parquet", compression="zstd",
                             statistics=False)
            written += [out_dir / "statements.csv", out_dir / "statements.parquet"]
        if self.load_report is not None:
            p = out_dir / "load_report.csv"
            write_csv(self.load_report.sort("source_file"), p)
            written.append(p)
        summary = out_dir / "summary.json"
        summary.write_text(json.dumps(self.summary(), indent=2, sort_keys=True) + "\n")
        written.append(summary)
        return written

    def summary(self) -> dict[str, Any]:
        """Run figures: records per system, auto-match rates, exceptions per category."""
        from reconkit.report import summarise

        return summarise(self)


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output path that is an existing file (or lies under one) before any work.

    Call it first thing in `reconkit run/audit --out`, so the user learns it before the run.
    """
    for p in (out_dir, *out_dir.parents):
        if p.exists() and not p.is_dir():
            raise ReconkitError(f"the output path {out_dir} is not a folder: {p} is a file",
                                hint="give --out a folder name (it is created if missing)")
