"""The `reconkit` command line: everything a notebook does, headless (batch, cron).

One module per group of commands; importing them registers their commands on `app`.
"""

from reconkit.cli import audit, catalog, report, review, run, sync
from reconkit.cli._app import app, main

__all__ = ["app", "audit", "catalog", "main", "report", "review", "run", "sync"]
