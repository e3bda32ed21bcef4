"""Audit views of a run: data profiles of the loaded tables and of the exceptions, the tacit
rules mined from the ledger's lettering (with a draft catalog and an audit report), and
exports of any frame to Excel or Markdown."""

from reconkit.audit.export import to_markdown, to_xlsx
from reconkit.audit.ledger_audit import LedgerAudit
from reconkit.audit.profile import exception_profile, exceptions_chart, profile_tables

__all__ = ["LedgerAudit", "exception_profile", "exceptions_chart", "profile_tables",
           "to_markdown", "to_xlsx"]
