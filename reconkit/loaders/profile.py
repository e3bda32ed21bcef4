"""Declarative mapping profiles: how the columns of a CSV / XLSX / Parquet export become a
canonical table.

A profile is a YAML file validated by pydantic. It names the target table and, for every
canonical column it fills, where the value comes from (a source header, a constant, a
concatenation or a template) and how to parse it (type, date formats, decimal separator,
sign rules, value maps). Built-in profiles live in `reconkit/loaders/profiles/`; a user can
point at their own file. Any mistake becomes a `ConfigError` naming the file and the column.
"""

from __future__ import annotations

import codecs
import re
import string
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import polars as pl
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from reconkit.errors import ConfigError
from reconkit.schemas import COLUMNS, MODELS, SYSTEMS, TABLE_SYSTEM, TABLES, PolarsDataType

PROFILE_DIR: Final = Path(__file__).resolve().parent / "profiles"
FIELD_TYPES: Final = ("string", "upper", "amount", "int", "percent_bp", "date", "bool")
# Canonical dtype produced by each field type, and the type used when a profile names none.
_TYPE_DTYPE: Final[dict[str, PolarsDataType]] = {
    "string": pl.String(), "upper": pl.String(), "amount": pl.Int64(), "int": pl.Int64(),
    "percent_bp": pl.Int64(), "date": pl.Date(), "bool": pl.Boolean(),
}
_LOADER_COLUMNS: Final = ("source_file", "source_row")  # lineage always set by the loader
_FILLED_BY_CONFORM: Final = ("lettering_partial", "is_reversal")  # null -> False downstream

_Scalar = str | int | float | bool


def _text(value: Any) -> Any:
    """YAML turns `1`, `true`, `2024-01-31` into numbers, booleans, dates: keep them as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or hasattr(value, "isoformat"):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return value


def _text_list(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value]
    return [_text(value)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Strict):
    """`{column: doc_type, equals: credit_note}`: true when an output column has that value."""

    column: str
    equals: tuple[str, ...]

    _coerce = field_validator("equals", mode="before")(_text_list)


class SignFrom(_Strict):
    """Sign read from another source column (e.g. FEC `Sens`).

    `debit`/`credit` follow the ledger view (debit +, credit -); for a bank statement, where
    a credit is money received, write `positive`/`negative` instead. Values compare
    case-insensitively after trimming.
    """

    from_: str = Field(alias="from")
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()

    _coerce = field_validator("positive", "negative", "debit", "credit",
                              mode="before")(_text_list)

    @model_validator(mode="after")
    def _one_pair(self) -> SignFrom:
        plus = self.positive + self.debit
        minus = self.negative + self.credit
        if not plus or not minus:
            raise ValueError("sign needs the values meaning + and - "
                             "(debit/credit or positive/negative)")
        if {v.casefold() for v in plus} & {v.casefold() for v in minus}:
            raise ValueError("sign: the same value cannot mean both + and -")
        return self

    @property
    def plus(self) -> tuple[str, ...]:
        return self.positive + self.debit

    @property
    def minus(self) -> tuple[str, ...]:
        return self.negative + self.credit


_Sign = Annotated[
    Annotated[Literal["as_is", "negate"], Tag("word")] | Annotated[SignFrom, Tag("from")],
    Discriminator(lambda v: "word" if isinstance(v, str) else "from"),
]


class FieldSpec(_Strict):
    """How one canonical column is filled. Exactly one of from / const / concat / template."""

    from_: tuple[str, ...] | None = Field(default=None, alias="from")
    const: str | None = None
    concat: tuple[str, ...] | None = None
    separator: str = " "
    template: str | None = None
    type: str | None = None
    format: tuple[str, ...] | None = None
    decimal: str | None = None
    thousands: str | None = None
    scale: int | None = Field(default=None, ge=0, le=6)
    source_tz: str | None = None
    sign: _Sign = "as_is"
    negate_if: Condition | None = None
    negative_if: Condition | None = None
    map: dict[str, str] | None = None
    strict: bool = False
    default: str | None = None
    required: bool | None = None
    strip_prefix: str | None = None
    regex: str | None = None

    _lists = field_validator("from_", "concat", "format", mode="before")(_text_list)
    _scalars = field_validator("const", "default", mode="before")(_text)

    @field_validator("map", mode="before")
    @classmethod
    def _map_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(_text(k)): _text(v) for k, v in value.items()}
        return value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is not None and value not in FIELD_TYPES:
            raise ValueError(f"unknown type '{value}' (expected one of: "
                             f"{', '.join(FIELD_TYPES)})")
        return value

    @field_validator("regex")
    @classmethod
    def _regex_has_group(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex '{value}': {exc}") from None
        if compiled.groups < 1:
            raise ValueError(f"regex '{value}' needs a group ( ... ) to extract")
        return value

    @field_validator("template")
    @classmethod
    def _template_fields(cls, value: str | None) -> str | None:
        if value is not None and not template_columns(value):
            raise ValueError(f"template '{value}' names no source column, e.g. "
                             "'{Journal}:{Piece}'")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [k for k in ("from", "const", "concat", "template")
                 if getattr(self, "from_" if k == "from" else k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of from / const / concat / template"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Source headers this field reads (alternatives of `from` included)."""
        if self.from_:
            return self.from_
        if self.concat:
            return self.concat
        if self.template:
            return template_columns(self.template)
        return ()


def template_columns(template: str) -> tuple[str, ...]:
    try:
        return tuple(f for _, f, _, _ in string.Formatter().parse(template) if f)
    except ValueError as exc:
        raise ValueError(f"invalid template '{template}': {exc}") from None


class ReadOptions(_Strict):
    """How to read the file. `auto` detects encoding and delimiter from the content."""

    encoding: str = "auto"
    delimiter: str = "auto"
    quote_char: str | None = '"'
    skip_rows: int = Field(default=0, ge=0)
    sheet: str | int | None = None
    footer: Literal["none", "single_cell"] = "none"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding '{value}'") from None
        return value

    @field_validator("delimiter", mode="before")
    @classmethod
    def _delimiter(cls, value: Any) -> Any:
        named = {"tab": "\t", "semicolon": ";", "comma": ",", "pipe": "|"}
        value = named.get(str(value).lower(), value) if isinstance(value, str) else value
        if value != "auto" and (not isinstance(value, str) or len(value) != 1):
            raise ValueError(f"delimiter must be one character or 'auto', got {value!r}")
        return value


class Defaults(_Strict):
    """Locale of the export, used by every column that does not say otherwise."""

    decimal: str = "."
    thousands: str | None = None
    date_format: tuple[str, ...] = ("%Y-%m-%d",)
    scale: int = Field(default=2, ge=0, le=6)
    timezone: str = "Europe/Paris"  # company time zone: business dates of timestamps

    _lists = field_validator("date_format", mode="before")(_text_list)


class MappingProfile(_Strict):
    """A validated mapping from one export layout to one canonical table."""

    name: str
    description: str = ""
    table: Literal["parties", "commitments", "invoices", "ledger_lines", "payments",
                   "settlement_lines"]
    system: Literal["crm", "billing", "erp", "bank", "psp"] | None = None
    read: ReadOptions = ReadOptions()
    defaults: Defaults = Defaults()
    columns: dict[str, FieldSpec]

    @model_validator(mode="before")
    @classmethod
    def _default_system(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("system") is None \
                and data.get("table") in TABLES:
            data = {**data, "system": TABLE_SYSTEM[data["table"]]}
        return data

    @model_validator(mode="after")
    def _check_columns(self) -> MappingProfile:
        canonical = COLUMNS[self.table]
        for name, spec in self.columns.items():
            where = f"column '{name}'"
            if name not in canonical:
                allowed = ", ".join(c for c in canonical if c not in _LOADER_COLUMNS)
                raise ValueError(f"{where}: not a column of table {self.table} (expected one "
                                 f"of: {allowed})")
            if name in _LOADER_COLUMNS:
                raise ValueError(f"{where}: set by the loader, cannot be mapped")
            produced = _TYPE_DTYPE[self._type_of(name, spec)]
            if produced != canonical[name]:
                raise ValueError(f"{where}: type '{spec.type}' gives {produced}, but the "
                                 f"column holds {canonical[name]}")
            for cond in (spec.negate_if, spec.negative_if):
                if cond is not None and cond.column not in self.columns:
                    raise ValueError(f"{where}: condition on column '{cond.column}', which "
                                     "this profile does not map")
            if spec.map is not None:
                keys = [k.casefold() for k in spec.map]
                if len(set(keys)) != len(keys):
                    raise ValueError(f"{where}: map has keys differing only by case")
        if self.system is None and "system" not in self.columns:
            raise ValueError(f"table {self.table} holds several systems: give 'system' (one "
                             f"of: {', '.join(SYSTEMS)}) or map the 'system' column")
        missing = [c for c in canonical if c not in self.columns and c not in _LOADER_COLUMNS
                   and c != "system" and self._required_by_schema(c)]
        if missing:
            raise ValueError(f"column '{missing[0]}': required by table {self.table} but not "
                             "mapped")
        return self

    def _type_of(self, name: str, spec: FieldSpec) -> str:
        if spec.type is not None:
            return spec.type
        dtype = COLUMNS[self.table][name]
        if dtype == pl.Date:
            return "date"
        if dtype == pl.Boolean:
            return "bool"
        if dtype == pl.Int64:
            return "amount" if name.endswith("_cents") else "int"
        return "string"

    def _required_by_schema(self, name: str) -> bool:
        if name in _FILLED_BY_CONFORM:
            return False
        return not _nullable(self.table)[name]

    def field(self, name: str) -> FieldSpec:
        """The column's spec with profile defaults filled in (type, locale, required)."""
        return self._resolved[name]

    @cached_property
    def _resolved(self) -> dict[str, FieldSpec]:
        out = {}
        d = self.defaults
        for name, spec in self.columns.items():
            required = spec.required
            if required is None:
                required = spec.default is None and self._required_by_schema(name)
            out[name] = spec.model_copy(update={
                "type": self._type_of(name, spec),
                "format": spec.format or d.date_format,
                "decimal": spec.decimal or d.decimal,
                "thousands": spec.thousands if "thousands" in spec.model_fields_set
                else d.thousands,
                "scale": d.scale if spec.scale is None else spec.scale,
                "required": required,
            })
        return out

    @classmethod
    def from_dict(cls, data: Any, source: str = "inline profile") -> MappingProfile:
        """Validate a profile given as a mapping; errors name `source` and the column."""
        if not isinstance(data, dict):
            raise ConfigError(f"profile {source}: expected a mapping of options, got "
                              f"{type(data).__name__}")
        if "name" not in data:
            data = {**data, "name": Path(source).stem}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _config_error(exc, source) from None

    @classmethod
    def from_yaml(cls, path: Path) -> MappingProfile:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"mapping profile {path} not found",
                              hint="check the path, or use a built-in profile name: "
                                   f"{', '.join(builtin_profiles())}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"profile {path.name}{line}: not valid YAML "
                              f"({getattr(exc, 'problem', exc)})") from None
        return cls.from_dict(data, source=path.name)


_NULLABLE_CACHE: dict[str, dict[str, bool]] = {}


def _nullable(table: str) -> dict[str, bool]:
    if table not in _NULLABLE_CACHE:
        schema = MODELS[table].to_schema()
        _NULLABLE_CACHE[table] = {n: c.nullable for n, c in schema.columns.items()}
    return _NULLABLE_CACHE[table]


def _config_error(exc: ValidationError, source: str) -> ConfigError:
    errors = exc.errors(include_url=False)
    messages = [_describe(e) for e in errors]
    more = f" (and {len(messages) - 1} more problem(s))" if len(messages) > 1 else ""
    return ConfigError(f"profile {source}, {messages[0]}{more}",
                       hint="; ".join(messages[1:]) or "fix the mapping profile")


def _describe(err: ErrorDetails) -> str:
    raw = [str(p) for p in err["loc"]]
    loc = [p for i, p in enumerate(raw)
           if not (i and raw[i - 1] == "sign" and p in ("word", "from"))]  # union tags
    msg = str(err["msg"]).removeprefix("Value error, ")
    if loc and loc[0] == "columns" and len(loc) >= 2:
        where, rest = f"column '{loc[1]}'", loc[2:]
    else:
        where, rest = "", loc
    option = rest[-1].rstrip("_") if rest else ""
    kind = err["type"]
    if kind == "extra_forbidden":
        text = f"unknown option '{option}'"
    elif kind == "missing":
        text = f"missing option '{option}'"
    elif kind == "literal_error":
        text = f"unknown {option} '{err.get('input')}' ({msg.lower()})"
    elif kind == "value_error" and where:
        text = msg
    elif option:
        text = f"option '{'.'.join(p.rstrip('_') for p in rest)}': {msg}"
    else:
        text = msg
    return f"{where}: {text}" if where else text


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped in reconkit/loaders/profiles/."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(profile: str | Path | MappingProfile | dict[str, Any]) -> MappingProfile:
    """A profile from a built-in name, a YAML path, an inline mapping, or as given."""
    if isinstance(profile, MappingProfile):
        return profile
    if isinstance(profile, dict):
        return MappingProfile.from_dict(profile)
    text = str(profile)
    if isinstance(profile, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        return MappingProfile.from_yaml(Path(profile))
    builtin = PROFILE_DIR / f"{text}.yaml"
    if not builtin.is_file():
        raise ConfigError(f"unknown mapping profile '{text}'",
                          hint=f"use a YAML file path or one of: "
                               f"{', '.join(builtin_profiles())}")
    return MappingProfile.from_yaml(builtin)


__all__ = ["FIELD_TYPES", "Condition", "Defaults", "FieldSpec", "MappingProfile", "ReadOptions",
           "SignFrom", "builtin_profiles", "load_profile", "template_columns"]
