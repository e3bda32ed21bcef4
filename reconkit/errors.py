"""Errors a finance analyst can act on: which file, which row, what to fix."""

from __future__ import annotations


class ReconkitError(Exception):
    """Base error: a plain-language message plus where it happened and what to do."""

    def __init__(self, message: str, source_file: str | None = None, row: int | None = None,
                 column: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source_file = source_file
        self.row = row
        self.column = column
        self.hint = hint

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
