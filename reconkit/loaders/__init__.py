"""Source loaders: each parses one source kind into canonical tables with quarantine."""

from reconkit.loaders.base import (
    FileReport,
    Loaded,
    LoadResult,
    get_loader,
    loader_kinds,
    merge_loaded,
    register_loader,
)

__all__ = ["FileReport", "LoadResult", "Loaded", "get_loader", "loader_kinds", "merge_loaded",
           "register_loader"]
