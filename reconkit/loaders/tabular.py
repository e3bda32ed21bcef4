"""Generic CSV / XLSX / Parquet loader driven by a mapping profile (`reconkit.loaders.profile`).

Reading turns any of the three formats into one frame of text columns plus the row number a
person would look at (`source_row`); mapping then parses every profiled column with vectorised
polars expressions, quarantines each value it cannot parse (one row per problem column), and
emits the remaining rows as a canonical table. Values stay text until parsed, so an amount is
never a float on the way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconkit.errors import ConfigError, SourceFormatError
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.dates import date_expr, human_formats
from reconkit.loaders.profile import (
    MappingProfile,
    ReadOptions,
    load_profile,
)
from reconkit.loaders.tabular_map import map_rows
from reconkit.loaders.tabular_read import (
    FORMATS,
    RawTable,
    read_csv_text,
    read_parquet_text,
    read_xlsx_text,
)


def load_tabular(path: Path, *, profile: str | Path | MappingProfile | dict[str, Any],
                 format: str | None = None, **options: Any) -> Loaded:
    """Load one CSV / XLSX / Parquet export into the profile's canonical table.

    `options` override the profile's `read:` section (encoding, delimiter, quote_char,
    skip_rows, sheet, footer). The format comes from the extension unless `format` is given.
    """
    path = Path(path)
    prof = load_profile(profile)
    read = _read_options(prof, options)
    fmt = format or _format_of(path)
    if not path.is_file():
        raise SourceFormatError("file not found", source_file=path.name,
                                hint=f"check the path {path}")
    if fmt == "csv":
        raw = read_csv_text(path, read)
    elif fmt == "xlsx":
        raw = read_xlsx_text(path, read, _decimal_by_header(prof))
    else:
        raw = read_parquet_text(path, _decimal_by_header(prof))
    table, quarantine, warnings = map_rows(raw.frame, prof, path.name)
    if raw.footer_rows:
        rows = raw.footer_rows
        warnings.append(f"{path.name}: ignored {len(rows)} report footer line(s) "
                        f"(rows {rows[0]}-{rows[-1]})")
    return Loaded(tables={prof.table: table}, quarantine=quarantine,
                  rows_read={path.name: raw.frame.height}, warnings=tuple(warnings))


@register_loader("tabular")
def _load_any(path: Path, **options: Any) -> Loaded:
    return load_tabular(path, **options)


@register_loader("csv")
def load_csv(path: Path, **options: Any) -> Loaded:
    """CSV (or any delimited text) whatever its extension."""
    return load_tabular(path, format="csv", **options)


@register_loader("xlsx")
def load_xlsx(path: Path, **options: Any) -> Loaded:
    return load_tabular(path, format="xlsx", **options)


@register_loader("parquet")
def load_parquet(path: Path, **options: Any) -> Loaded:
    return load_tabular(path, format="parquet", **options)


def _read_options(prof: MappingProfile, options: dict[str, Any]) -> ReadOptions:
    if not options:
        return prof.read
    known = set(ReadOptions.model_fields)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"unknown option '{unknown[0]}' for a tabular source",
                          hint=f"use profile=... and any of: {', '.join(sorted(known))}")
    return MappingProfile.from_dict(
        {**prof.model_dump(by_alias=True, exclude_unset=True),
         "read": {**prof.read.model_dump(exclude_unset=True), **options}},
        source=f"{prof.name} (with source options)").read


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(f"cannot tell the format of {path.name} from its extension",
                          hint="use kind csv, xlsx or parquet, or rename the file")
    return fmt


def _decimal_by_header(prof: MappingProfile) -> dict[str, str]:
    """Decimal separator for each numeric source column: numeric cells are written with it."""
    out: dict[str, str] = {}
    for name in prof.columns:
        spec = prof.field(name)
        if spec.type in ("amount", "percent_bp", "int") and spec.from_:
            for header in spec.from_:
                out[header.strip().casefold()] = spec.decimal or "."
    return out


# ---------------------------------------------------------------------------------- CSV


__all__ = ["RawTable", "date_expr", "human_formats", "load_csv", "load_parquet", "load_tabular",
           "load_xlsx", "map_rows", "read_csv_text", "read_parquet_text", "read_xlsx_text"]
