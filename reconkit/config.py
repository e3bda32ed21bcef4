"""Run configuration: which sources to load (kind, path, mapping profile), which catalog."""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconkit.errors import ConfigError


class SourceConfig(BaseModel):
    """One source: a loader `kind`, a path (file or folder) and loader options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: str
    path: Path
    profile: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class RunConfig(BaseModel):
    """A reconciliation run: sources, rule catalog, the period reconciled, company settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "reconciliation"
    period: str = Field(description="the month reconciled, YYYY-MM")
    currency: str = "EUR"
    timezone: str = "Europe/Paris"
    catalog: Path | None = None
    fx_rates: dict[str, str] = Field(
        default_factory=dict,
        description="period exchange rates to `currency`, as decimal strings: {USD: '0.92'}")
    store: Path | None = Field(default=None, description="decisions database (SQLite) file")
    sources: list[SourceConfig]

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v):
            raise ValueError("period must look like 2026-10 (YYYY-MM)")
        return v

    @field_validator("fx_rates", mode="before")
    @classmethod
    def _rates_are_text(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for cur, rate in v.items():
                if isinstance(rate, float):
                    raise ValueError(f"fx_rates: write the rate for {cur} in quotes ('{rate}'): "
                                     "rates are exact decimals, never floating point")
        return v

    @field_validator("fx_rates")
    @classmethod
    def _rates(cls, v: dict[str, str]) -> dict[str, str]:
        for cur, rate in v.items():
            if not re.fullmatch(r"[A-Z]{3}", cur):
                raise ValueError(f"fx_rates: {cur!r} is not an ISO currency code like USD")
            if not re.fullmatch(r"\d+(\.\d+)?", str(rate)) or Decimal(str(rate)) <= 0:
                raise ValueError(f"fx_rates: rate for {cur} must be a positive decimal "
                                 "written as text, e.g. '0.9215'")
        return {k: str(r) for k, r in v.items()}

    @property
    def period_start(self) -> date:
        y, m = map(int, self.period.split("-"))
        return date(y, m, 1)

    @property
    def period_end(self) -> date:
        y, m = map(int, self.period.split("-"))
        return date(y, m, calendar.monthrange(y, m)[1])


def load_config(path: Path) -> RunConfig:
    """Read a YAML run config; relative paths are resolved against the config's folder."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"run config not found: {path}", hint="check the path you passed")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"run config is not valid YAML: {exc}", source_file=path.name) from None
    base = path.parent
    try:
        cfg = RunConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"invalid run config at '{where}': {first['msg']}",
                          source_file=path.name,
                          hint=f"{exc.error_count()} problem(s); fix '{where}' first") from None
    return cfg.model_copy(update={
        "catalog": _resolve(base, cfg.catalog),
        "store": _resolve(base, cfg.store),
        "sources": [s.model_copy(update={"path": _resolve(base, s.path)}) for s in cfg.sources],
    })


def _resolve(base: Path, p: Path | None) -> Path | None:
    if p is None:
        return None
    return p if p.is_absolute() else (base / p)
