"""Audit views of a run: data profiles of the loaded tables and of the exceptions."""

from reconkit.audit.profile import exception_profile, exceptions_chart, profile_tables

__all__ = ["exception_profile", "exceptions_chart", "profile_tables"]
