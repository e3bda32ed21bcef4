"""Errors a finance analyst can act on: which file, which row, what to fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReconkitError(Exception):
    """Base error: a plain-language message plus where it happened and what to do."""

    message: str
    source_file: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = []
        if self.source_file:
            where.append(f"file {self.source_file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = self.message
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.hint:
            text = f"{text}\n  What to do: {self.hint}"
        return text


class SourceFormatError(ReconkitError):
    """A source file cannot be read as the format it claims to be."""


class ConfigError(ReconkitError):
    """A run config, mapping profile or rule catalog is invalid."""


class ConnectorError(ReconkitError):
    """An API connector failed (authentication, rate limit, malformed response)."""
