"""Generic CSV / XLSX / Parquet loader driven by a mapping profile (`reconkit.loaders.profile`).

Reading turns any of the three formats into one frame of text columns plus the row number a
person would look at (`source_row`); mapping then parses every profiled column with vectorised
polars expressions, quarantines each value it cannot parse (one row per problem column), and
emits the remaining rows as a canonical table. Values stay text until parsed, so an amount is
never a float on the way.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import string
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl

from reconkit.errors import ConfigError, SourceFormatError
from reconkit.loaders._text import detect_encoding, sniff_delimiter
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.profile import (
    Condition,
    FieldSpec,
    MappingProfile,
    ReadOptions,
    SignFrom,
    load_profile,
)
from reconkit.money import parse_amount_expr
from reconkit.schemas import QUARANTINE_COLUMNS, conform, empty_quarantine, empty_table

ROW: Final = "__rk_source_row"
_FORMATS: Final = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx",
                   ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
_TRUE: Final = ("true", "t", "yes", "y", "1", "oui", "o", "vrai")
_FALSE: Final = ("false", "f", "no", "n", "0", "non", "faux")


@dataclass(frozen=True)
class RawTable:
    """A file read as text: one String column per header, plus ROW (Int64 source_row)."""

    frame: pl.DataFrame
    footer_rows: tuple[int, ...] = ()


# --------------------------------------------------------------------------------- loader


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
    fmt = _FORMATS.get(path.suffix.lower())
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


def read_csv_text(path: Path, read: ReadOptions) -> RawTable:
    """Read a delimited text file as strings with its real line numbers.

    Encoding and delimiter are detected unless given. Line numbers stay right across quoted
    fields holding newlines: a line starts a record when the quotes before it are balanced.
    """
    raw = path.read_bytes()
    encoding = detect_encoding(raw) if read.encoding == "auto" else read.encoding
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            f"cannot be read as {encoding} text (byte 0x{raw[exc.start]:02X})",
            source_file=path.name, row=raw[:exc.start].count(b"\n") + 1,
            hint="save the export as UTF-8, or set read.encoding in the mapping profile",
        ) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    offset = min(read.skip_rows, len(lines))
    while offset < len(lines) and not lines[offset].strip():
        offset += 1
    if offset >= len(lines):
        return RawTable(pl.DataFrame(schema={ROW: pl.Int64}))
    lines = lines[offset:]
    sep = sniff_delimiter(lines[0]) if read.delimiter == "auto" else read.delimiter
    frame, starts = _parse_delimited(lines, sep, read.quote_char, path.name, offset)
    frame = frame.rename({c: c.strip() for c in frame.columns if c != c.strip()})
    frame = frame.with_columns(pl.Series(ROW, starts, dtype=pl.Int64))
    return _drop_layout_rows(frame, read.footer == "single_cell")


def _parse_delimited(lines: list[str], sep: str, quote: str | None, source_file: str,
                     offset: int) -> tuple[pl.DataFrame, list[int]]:
    """Parse with polars (fast path); fall back to the csv module on irregular quoting."""
    starts = _record_starts(lines, quote)
    body = "\n".join(lines).encode("utf-8")
    try:
        frame = pl.read_csv(io.BytesIO(body), separator=sep, quote_char=quote,
                            infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError:
        frame = None
    if frame is not None and len(starts) == frame.height + 1:
        return frame, [offset + i + 1 for i in starts[1:]]
    return _parse_with_csv_module(lines, sep, quote, source_file, offset)


def _record_starts(lines: list[str], quote: str | None) -> list[int]:
    """0-based indexes of the lines that begin a record (quotes balanced before them)."""
    if quote is None:
        return list(range(len(lines)))
    counts = pl.Series(lines, dtype=pl.String).str.count_matches(quote, literal=True)
    before = counts.cum_sum() - counts
    return (before % 2 == 0).arg_true().to_list()


def _parse_with_csv_module(lines: list[str], sep: str, quote: str | None, source_file: str,
                           offset: int) -> tuple[pl.DataFrame, list[int]]:
    reader = csv.reader(io.StringIO("\n".join(lines) + "\n"), delimiter=sep,
                        quotechar=quote or '"',
                        quoting=csv.QUOTE_NONE if quote is None else csv.QUOTE_MINIMAL,
                        strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    line_no = 0
    try:
        header = next(reader)
        line_no = reader.line_num
        for row in reader:
            starts.append(offset + line_no + 1)
            line_no = reader.line_num
            rows.append(row)
    except csv.Error as exc:
        raise SourceFormatError(f"cannot be read as CSV: {exc}", source_file=source_file,
                                row=offset + line_no + 1,
                                hint="check the quotes on that line, or re-export the file",
                                ) from None
    except StopIteration:
        return pl.DataFrame(schema={}), []
    names = _unique_headers(header)
    for row, line in zip(rows, starts, strict=True):
        if len(row) > len(names) and any(v.strip() for v in row[len(names):]):
            raise SourceFormatError(
                f"this line has {len(row)} fields but the header has {len(names)}",
                source_file=source_file, row=line,
                hint=f"check for an unquoted '{sep}' inside a value, or the delimiter")
    width = len(names)
    padded = [(row + [""] * width)[:width] for row in rows]
    data = {n: [r[i] or None for r in padded] for i, n in enumerate(names)}
    return pl.DataFrame(data, schema={n: pl.String for n in names}), starts


def _unique_headers(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in header:
        n = seen.get(h, 0)
        out.append(h if n == 0 else f"{h}_duplicated_{n - 1}")
        seen[h] = n + 1
    return out


def _drop_layout_rows(frame: pl.DataFrame, strip_footer: bool) -> RawTable:
    """Drop fully blank rows, and trailing one-cell rows (report footers) when asked."""
    data_cols = [c for c in frame.columns if c != ROW]
    if not data_cols:
        return RawTable(frame)
    filled = pl.sum_horizontal(
        [(pl.col(c).str.strip_chars().fill_null("") != "").cast(pl.Int32) for c in data_cols])
    frame = frame.with_columns(filled.alias("__rk_filled")).filter(pl.col("__rk_filled") > 0)
    footer: tuple[int, ...] = ()
    if strip_footer and frame.height:
        multi = frame.select((pl.col("__rk_filled") > 1).arg_true()).to_series()
        last = multi.max()  # None when every row is a one-cell row
        keep = last + 1 if isinstance(last, int) else 0
        footer = tuple(frame[ROW][keep:].to_list())
        frame = frame.head(keep)
    return RawTable(frame.drop("__rk_filled"), footer)


# --------------------------------------------------------------------------------- XLSX


def read_xlsx_text(path: Path, read: ReadOptions, decimals: dict[str, str]) -> RawTable:
    """Read one sheet as text; source_row is the Excel row number.

    Date cells become ISO text; numeric cells are written with the decimal separator the
    profile expects for that column, so one parser serves CSV and Excel alike.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise SourceFormatError(f"cannot be opened as an Excel workbook ({exc})",
                                source_file=path.name,
                                hint="save it as .xlsx from Excel, or export CSV") from None
    try:
        ws = _sheet(wb, read.sheet, path.name)
        header: list[str] | None = None
        columns: list[list[str | None]] = []
        rows: list[int] = []
        first = read.skip_rows + 1
        for number, values in enumerate(ws.iter_rows(min_row=first, values_only=True), first):
            if header is None:
                if all(v is None or str(v).strip() == "" for v in values):
                    continue
                header = _unique_headers([_cell_text(v, ".") or "" for v in values])
                header = [h.strip() for h in header]
                seps = [decimals.get(h.casefold(), ".") for h in header]
                columns = [[] for _ in header]
                continue
            rows.append(number)
            for i, col in enumerate(columns):
                col.append(_cell_text(values[i], seps[i]) if i < len(values) else None)
    finally:
        wb.close()
    if header is None:
        return RawTable(pl.DataFrame(schema={ROW: pl.Int64}))
    frame = pl.DataFrame({h: c for h, c in zip(header, columns, strict=True)},
                         schema={h: pl.String for h in header})
    frame = frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
    return _drop_layout_rows(frame, read.footer == "single_cell")


def _sheet(wb: Any, sheet: str | int | None, source_file: str) -> Any:
    if sheet is None:
        return wb.worksheets[0]
    try:
        return wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    except (IndexError, KeyError):
        raise SourceFormatError(f"sheet {sheet!r} not found", source_file=source_file,
                                hint=f"sheets present: {', '.join(wb.sheetnames)}") from None


def _cell_text(value: Any, decimal: str) -> str | None:
    """One Excel cell as text: exact for numbers (shortest repr, never float arithmetic)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        text = format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", decimal)
    return str(value)


# ------------------------------------------------------------------------------ Parquet


def read_parquet_text(path: Path, decimals: dict[str, str]) -> RawTable:
    """Read a Parquet file as text columns; source_row is the 1-based record ordinal."""
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceFormatError(f"cannot be read as Parquet ({exc})", source_file=path.name,
                                hint="check the file is a complete Parquet export") from None
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        text: pl.Expr
        if dtype == pl.Boolean:
            text = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        elif dtype.is_nested() or dtype == pl.Binary:
            raise SourceFormatError(f"column '{name}' holds nested or binary values",
                                    source_file=path.name,
                                    hint="flatten the column before export")
        else:
            text = col.cast(pl.String)
            if dtype.is_float() or dtype.is_decimal():
                text = text.str.replace(r"\.", decimals.get(name.strip().casefold(), "."),
                                        literal=False)
        exprs.append(text.alias(name.strip()))
    out = frame.select(exprs).with_row_index(ROW, offset=1) \
        .with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(out.select([*(c for c in out.columns if c != ROW), ROW]))


# ------------------------------------------------------------------------------ mapping
#
# Every profiled column `n` goes through named intermediate columns, one polars stage each,
# so that no parse is computed twice:  __s_n source text -> __p_n after strip_prefix/regex ->
# __u_n after map/default -> __v_n typed value; __x_n map problem, __e_n parse problem,
# __g_n / __y_n sign column text / sign problem; finally __q_n / __k_n value and column shown.


@dataclass(frozen=True)
class _Field:
    """One profiled column with its resolved spec and where its source text comes from."""

    name: str
    spec: FieldSpec
    source: pl.Expr
    label: str
    sign_column: str | None = None

    def col(self, stage: str) -> pl.Expr:
        return pl.col(f"__{stage}_{self.name}")


def map_rows(frame: pl.DataFrame, prof: MappingProfile,
             source_file: str) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Apply the profile to text rows: (canonical table, quarantine, warnings)."""
    headers = {c.strip().casefold(): c for c in frame.columns if c != ROW}
    warnings: list[str] = []
    if not headers:  # empty file: nothing to map, nothing lost
        return empty_table(prof.table), empty_quarantine(), warnings
    fields = [_field(name, prof, headers, source_file, warnings) for name in prof.columns]
    work = (
        frame.lazy()
        .with_columns(*_stage_sources(fields))
        .with_columns(_pretreated(f).alias(f"__p_{f.name}") for f in fields)
        .with_columns(*_stage_mapped(fields))
        .with_columns(_typed(f, prof).alias(f"__v_{f.name}") for f in fields)
        .with_columns(*_stage_problems(fields))
        .with_columns(*_stage_signs(fields))
        .with_columns(*_stage_conditional_signs(fields))
        .with_columns(*_stage_shown(fields))
        .collect()
    )
    return _emit(work, prof, fields, source_file), _quarantine(work, prof, fields, source_file), \
        warnings


def _field(name: str, prof: MappingProfile, headers: dict[str, str], source_file: str,
           warnings: list[str]) -> _Field:
    spec = prof.field(name)
    source, label = _source(name, spec, headers, source_file, warnings)
    sign_column = None
    if isinstance(spec.sign, SignFrom):
        sign_column = _find(spec.sign.from_, headers)
        if sign_column is None:
            raise _column_not_found(spec.sign.from_, headers, source_file)
    return _Field(name, spec, source, label, sign_column)


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed text, empty -> null."""
    s = expr.cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _find(header: str, headers: dict[str, str]) -> str | None:
    return headers.get(header.strip().casefold())


def _column_not_found(header: str, headers: dict[str, str], source_file: str,
                      alternatives: tuple[str, ...] = ()) -> SourceFormatError:
    alt = f" (nor {', '.join(repr(a) for a in alternatives)})" if alternatives else ""
    return SourceFormatError(
        f"column '{header}' not found{alt}", source_file=source_file,
        hint=f"columns present: {', '.join(headers.values()) or '(none)'}; fix the export or "
             "the mapping profile")


def _source(name: str, spec: FieldSpec, headers: dict[str, str], source_file: str,
            warnings: list[str]) -> tuple[pl.Expr, str]:
    """The trimmed source text of a field and the column name shown in quarantine."""
    if spec.const is not None:
        return pl.lit(spec.const, pl.String), name
    wanted = spec.source_columns
    found = {w: _find(w, headers) for w in wanted}
    if spec.from_:
        hit = next((f for f in found.values() if f is not None), None)
        if hit is not None:
            return _clean(pl.col(hit)), hit.strip()
        absent, alternatives = wanted[0], wanted[1:]
    else:
        missing = [w for w, f in found.items() if f is None]
        if not missing:
            if spec.concat:
                joined = pl.concat_str([_clean(pl.col(found[w] or w)) for w in wanted],
                                       separator=spec.separator, ignore_nulls=True)
                return _clean(joined), name
            return _clean(_template_expr(spec.template or "", found)), name
        absent, alternatives = missing[0], ()
    if spec.required and spec.default is None:
        raise _column_not_found(absent, headers, source_file, alternatives)
    if spec.default is None:
        warnings.append(f"{source_file}: column '{absent}' not found; '{name}' left empty")
    return pl.lit(None, pl.String), name


def _template_expr(template: str, found: dict[str, str | None]) -> pl.Expr:
    """`{Journal}:{Piece}` -> concatenation; null when any referenced value is missing."""
    parts: list[pl.Expr] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal, pl.String))
        if field:
            parts.append(_clean(pl.col(found[field] or field)))
    return pl.concat_str(parts, ignore_nulls=False)


def _stage_sources(fields: list[_Field]) -> list[pl.Expr]:
    out = [f.source.alias(f"__s_{f.name}") for f in fields]
    out += [_clean(pl.col(f.sign_column)).alias(f"__g_{f.name}")
            for f in fields if f.sign_column]
    return out


def _pretreated(f: _Field) -> pl.Expr:
    value = f.col("s")
    if f.spec.strip_prefix:
        value = value.str.strip_prefix(f.spec.strip_prefix)
    if f.spec.regex:
        value = value.str.extract(f.spec.regex, 1)
    return value


def _stage_mapped(fields: list[_Field]) -> list[pl.Expr]:
    """Value maps (case-insensitive keys) and defaults; strict maps report unknown values."""
    out = []
    for f in fields:
        value, spec = f.col("p"), f.spec
        if spec.map is not None:
            keys = [k.strip().casefold() for k in spec.map]
            mapped = value.str.to_lowercase().replace_strict(
                keys, list(spec.map.values()), default=None, return_dtype=pl.String)
            if spec.strict:
                expected = ", ".join(spec.map)
                out.append(pl.when(value.is_not_null() & mapped.is_null()).then(
                    pl.lit("unknown value '") + value
                    + pl.lit(f"' (expected one of: {expected})")).alias(f"__x_{f.name}"))
                value = mapped
            else:
                value = pl.coalesce(mapped, value)
        if spec.default is not None:
            value = pl.coalesce(value, pl.lit(spec.default, pl.String))
        out.append(value.alias(f"__u_{f.name}"))
    return out


_PROBLEM: Final = {"amount": "not an amount", "percent_bp": "not a percentage",
                   "int": "not a whole number", "bool": "not a yes/no value"}


def _typed(f: _Field, prof: MappingProfile) -> pl.Expr:
    value, spec = f.col("u"), f.spec
    kind = spec.type
    if kind == "upper":
        return value.str.to_uppercase()
    if kind == "amount":
        return parse_amount_expr(value.str.replace_all(r"[€$£]", ""),
                                 decimal=spec.decimal or ".", thousands=spec.thousands,
                                 scale=spec.scale or 0)
    if kind == "percent_bp":
        return parse_amount_expr(value.str.replace_all("%", "", literal=True),
                                 decimal=spec.decimal or ".", thousands=spec.thousands,
                                 scale=2)
    if kind == "int":
        return _int_expr(value, spec)
    if kind == "bool":
        low = value.str.to_lowercase()
        return pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
    if kind == "date":
        return date_expr(value, spec.format or ("%Y-%m-%d",), spec.source_tz,
                         prof.defaults.timezone)
    return value


def _stage_problems(fields: list[_Field]) -> list[pl.Expr]:
    """The first problem of each column: unknown mapped value, then unparsable value."""
    out = []
    for f in fields:
        kind = f.spec.type or "string"
        reasons = [f.col("x")] if f.spec.map is not None and f.spec.strict else []
        if kind in _PROBLEM or kind == "date":
            text = _PROBLEM.get(kind) or \
                f"not a date (expected {human_formats(f.spec.format or ('%Y-%m-%d',))})"
            reasons.append(pl.when(f.col("u").is_not_null() & f.col("v").is_null())
                           .then(pl.lit(text, pl.String)))
        if reasons:
            out.append(pl.coalesce(reasons).alias(f"__e_{f.name}"))
    return out


def _int_expr(value: pl.Expr, spec: FieldSpec) -> pl.Expr:
    s = value.str.replace_all(r"[\s\u00a0\u202f]", "")
    if spec.thousands and spec.thousands.strip():
        s = s.str.replace_all(spec.thousands, "", literal=True)
    s = s.str.replace(rf"{re.escape(spec.decimal or '.')}0*$", "")
    return pl.when(s.str.contains(r"^[+-]?\d{1,18}$")).then(
        s.str.replace(r"^\+", "").cast(pl.Int64, strict=False))


def _stage_signs(fields: list[_Field]) -> list[pl.Expr]:
    """`sign: negate` flips; `sign: {from: ...}` reads + / - from another column."""
    out = []
    for f in fields:
        sign, value = f.spec.sign, f.col("v")
        if sign == "negate":
            out.append((-value).alias(f"__v_{f.name}"))
        elif isinstance(sign, SignFrom):
            s = f.col("g").str.to_lowercase()
            plus = [v.strip().casefold() for v in sign.plus]
            minus = [v.strip().casefold() for v in sign.minus]
            expected = ", ".join([*sign.plus, *sign.minus])
            out.append(pl.when(s.is_in(plus)).then(value).when(s.is_in(minus)).then(-value)
                       .alias(f"__v_{f.name}"))
            out.append(
                pl.when(value.is_null()).then(None)
                .when(s.is_null()).then(pl.lit("missing value"))
                .when(~s.is_in(plus + minus)).then(
                    pl.lit("unknown value '") + f.col("g")
                    + pl.lit(f"' (expected one of: {expected})"))
                .alias(f"__y_{f.name}"))
    return out


def _stage_conditional_signs(fields: list[_Field]) -> list[pl.Expr]:
    """negate_if (flip) and negative_if (force negative), judged on mapped output values."""
    out = []
    for f in fields:
        v = f.col("v")
        if f.spec.negate_if is not None:
            v = pl.when(_holds(f.spec.negate_if)).then(-v).otherwise(v)
        if f.spec.negative_if is not None:
            v = pl.when(_holds(f.spec.negative_if)).then(-v.abs()).otherwise(v)
        if f.spec.negate_if is not None or f.spec.negative_if is not None:
            out.append(v.alias(f"__v_{f.name}"))
    return out


def _holds(cond: Condition) -> pl.Expr:
    return pl.col(f"__v_{cond.column}").cast(pl.String).is_in(list(cond.equals)) \
        .fill_null(False)


def _checked(fields: list[_Field]) -> list[_Field]:
    """Columns that can put a row in quarantine."""
    return [f for f in fields if f.spec.required or isinstance(f.spec.sign, SignFrom)
            or (f.spec.map is not None and f.spec.strict)
            or (f.spec.type or "string") in (*_PROBLEM, "date")]


def _stage_shown(fields: list[_Field]) -> list[pl.Expr]:
    """Final problem per column, with the value and source column an analyst should look at."""
    out = []
    for f in _checked(fields):
        parse = f.col("e") if (f.spec.map is not None and f.spec.strict) \
            or (f.spec.type or "string") in (*_PROBLEM, "date") else pl.lit(None, pl.String)
        missing = pl.when(f.col("v").is_null()).then(pl.lit("missing value")) \
            if f.spec.required else pl.lit(None, pl.String)
        shown_value, shown_column = f.col("s"), pl.lit(f.label, pl.String)
        sign = pl.lit(None, pl.String)
        if f.sign_column is not None:
            sign = f.col("y")
            from_sign = parse.is_null() & sign.is_not_null()
            shown_value = pl.when(from_sign).then(f.col("g")).otherwise(shown_value)
            shown_column = pl.when(from_sign).then(pl.lit(f.sign_column.strip())) \
                .otherwise(shown_column)
        out += [pl.coalesce(parse, sign, missing).alias(f"__e_{f.name}"),
                shown_value.alias(f"__q_{f.name}"), shown_column.alias(f"__k_{f.name}")]
    return out


def _system_expr(prof: MappingProfile) -> pl.Expr:
    fixed = pl.lit(prof.system, pl.String)
    return pl.coalesce(pl.col("__v_system"), fixed) if "system" in prof.columns else fixed


def _emit(work: pl.DataFrame, prof: MappingProfile, fields: list[_Field],
          source_file: str) -> pl.DataFrame:
    checked = _checked(fields)
    ok = pl.all_horizontal([f.col("e").is_null() for f in checked]) if checked \
        else pl.lit(True)
    out = work.filter(ok).select(
        _system_expr(prof).alias("system"),
        pl.lit(source_file, pl.String).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        *(f.col("v").alias(f.name) for f in fields if f.name != "system"),
    )
    return conform(prof.table, out)


def _quarantine(work: pl.DataFrame, prof: MappingProfile, fields: list[_Field],
                source_file: str) -> pl.DataFrame:
    checked = _checked(fields)
    if not checked:
        return empty_quarantine()
    parts = [
        work.filter(f.col("e").is_not_null()).select(
            _system_expr(prof).alias("system"),
            pl.lit(source_file, pl.String).alias("source_file"),
            pl.col(ROW).alias("source_row"),
            f.col("k").alias("column"),
            f.col("q").alias("value"),
            f.col("e").alias("reason"),
            pl.lit(i, pl.Int32).alias("__order"),
        )
        for i, f in enumerate(checked)
    ]
    q = pl.concat(parts, how="vertical").sort("source_row", "__order")
    # Two output columns read from one bad cell (record_id and number): report the cell once.
    return q.select(list(QUARANTINE_COLUMNS)).unique(maintain_order=True)


# ---------------------------------------------------------------------------------- dates

_ISO_DATE: Final = (r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                    r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_TOKENS: Final = {"%d": ("DD", r"\d{1,2}"), "%m": ("MM", r"\d{1,2}"), "%Y": ("YYYY", r"\d{4}"),
                  "%y": ("YY", r"\d{2}"), "%H": ("hh", r"\d{1,2}"), "%M": ("mm", r"\d{1,2}"),
                  "%S": ("ss", r"\d{1,2}"), "%b": ("Mon", r"[^\d\s]+"),
                  "%B": ("Month", r"[^\d\s]+"), "%.f": (".fff", r"\.\d+"),
                  "%z": ("+hhmm", r"[+-]\d{2}:?\d{2}|Z")}
_TOKEN_RE: Final = re.compile(r"%\.f|%.")


def human_formats(formats: tuple[str, ...]) -> str:
    """`%d/%m/%Y` -> `DD/MM/YYYY`, for messages an analyst reads."""
    return " or ".join(_TOKEN_RE.sub(lambda m: _TOKENS.get(m.group(), (m.group(),))[0], f)
                       for f in formats)


def _format_regex(fmt: str) -> str:
    """A strict shape for a format (chrono alone would read `24` as the year 0024)."""
    out, pos = [], 0
    for m in _TOKEN_RE.finditer(fmt):
        out.append(re.escape(fmt[pos:m.start()]))
        out.append(_TOKENS.get(m.group(), ("", r".+?"))[1])
        pos = m.end()
    out.append(re.escape(fmt[pos:]))
    return "^" + "".join(out) + "$"


def date_expr(value: pl.Expr, formats: tuple[str, ...], source_tz: str | None,
              company_tz: str) -> pl.Expr:
    """Parse business dates: the profile's formats, then ISO (Excel cells, exports in UTC).

    Datetimes with `source_tz` are converted to the company time zone before taking the date.
    """
    candidates = []
    for fmt in formats:
        shaped = value.str.contains(_format_regex(fmt))
        if any(t in fmt for t in ("%H", "%M", "%S")):
            parsed = value.str.strptime(pl.Datetime("us"), fmt, strict=False)
            candidates.append(pl.when(shaped).then(_to_business_date(parsed, source_tz,
                                                                     company_tz)))
        else:
            candidates.append(pl.when(shaped).then(
                value.str.strptime(pl.Date, fmt, strict=False)))
    iso = value.str.contains(_ISO_DATE)
    day = value.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if source_tz is not None:
        stamp = value.str.replace(r"(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$", "") \
            .str.replace("T", " ", literal=True)
        parsed = pl.coalesce(
            stamp.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False),
            stamp.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False))
        day = pl.coalesce(_to_business_date(parsed, source_tz, company_tz), day)
    candidates.append(pl.when(iso).then(day))
    return pl.coalesce(candidates)


def _to_business_date(parsed: pl.Expr, source_tz: str | None, company_tz: str) -> pl.Expr:
    if source_tz is None:
        return parsed.dt.date()
    return parsed.dt.replace_time_zone(source_tz, ambiguous="earliest",
                                       non_existent="null") \
        .dt.convert_time_zone(company_tz).dt.date()


__all__ = ["RawTable", "date_expr", "human_formats", "load_csv", "load_parquet", "load_tabular",
           "load_xlsx", "map_rows", "read_csv_text", "read_parquet_text", "read_xlsx_text"]
