"""reconkit: reconcile CRM, billing, ERP ledger and bank statements.

Load each source, validate it, resolve the same client across systems, apply the documented
rules of a catalog, auto-match the mechanical majority and send every exception to review
with its evidence.
"""

from reconkit.catalog import Catalog, Rule, load_catalog
from reconkit.config import RunConfig, SourceConfig, load_config
from reconkit.engine import Reconciliation
from reconkit.errors import ConfigError, ConnectorError, ReconkitError, SourceFormatError
from reconkit.loaders import LoadResult, get_loader, loader_kinds, register_loader
from reconkit.pipeline import load_sources, run
from reconkit.progress import progress_bar, run_steps
from reconkit.report import render_summary, summarise
from reconkit.result import ReconResult

__version__ = "0.1.0"

__all__ = [
    "Catalog", "ConfigError", "ConnectorError", "LoadResult", "ReconResult", "Reconciliation",
    "ReconkitError", "Rule", "RunConfig", "SourceConfig", "SourceFormatError", "get_loader",
    "load_catalog", "load_config", "load_sources", "loader_kinds", "progress_bar",
    "register_loader", "render_summary", "run", "run_steps", "summarise",
]
