"""Audit views of a run: data profiles of the loaded tables and of the exceptions, and
exports of any frame to Excel or Markdown."""

from reconkit.audit.export import to_markdown, to_xlsx
from reconkit.audit.profile import exception_profile, exceptions_chart, profile_tables

__all__ = ["exception_profile", "exceptions_chart", "profile_tables", "to_markdown", "to_xlsx"]
