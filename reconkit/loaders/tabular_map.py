"""Mapping a read table onto a canonical one through a profile: every profiled column parsed
with vectorised expressions, each value that cannot be parsed quarantined (one row per problem
column), signs and conditional signs applied, the rest emitted."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Final

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.loaders.dates import date_expr, human_formats
from reconkit.loaders.profile import (
    Condition,
    FieldSpec,
    MappingProfile,
    SignFrom,
)
from reconkit.loaders.tabular_read import FALSE_WORDS, ROW, TRUE_WORDS
from reconkit.money import parse_amount_expr
from reconkit.schemas import QUARANTINE_COLUMNS, conform, empty_quarantine, empty_table


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
        return pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False)
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
