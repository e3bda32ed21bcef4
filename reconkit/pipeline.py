"""The run pipeline: load and validate the sources, apply remembered decisions, match, write.

The engine (`reconkit.engine`) only runs the rule waterfall on validated tables; this module
does everything around it that touches files and the decisions store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from reconkit.config import RunConfig
from reconkit.engine import Progress, Reconciliation
from reconkit.errors import ReconkitError
from reconkit.export.lettering import write_lettering
from reconkit.loaders.base import LoadResult, get_loader, merge_loaded
from reconkit.loaders.options import check_options, loader_options
from reconkit.loaders.period import check_period
from reconkit.result import ReconResult, check_out_dir
from reconkit.review.store import DecisionStore
from reconkit.timings import Timings
from reconkit.timings import start as start_step


def load_sources(config: RunConfig, progress: Progress | None = None,
                 timings: Timings | None = None) -> LoadResult:
    """Load every source of a run config and validate each canonical table once.

    Each source's `options:` are checked against its loader's keyword parameters first, so
    a misspelt option (`locle: fr_FR`) stops the run instead of being silently ignored.
    """
    parts = []
    for src in config.sources:
        if progress:
            progress(f"loading {src.name} ({src.kind})")
        start_step(timings, f"load {src.name} ({src.kind})")
        if not src.path.exists():
            raise ReconkitError(f"source '{src.name}': {src.path} does not exist",
                                hint="check `path:` in the run config")
        loader = get_loader(src.kind)
        options: dict[str, Any] = dict(src.options)
        check_options(src.name, src.kind, loader, options)
        if src.profile:
            options["profile"] = src.profile
        if "timezone" in loader_options(loader):
            options.setdefault("timezone", config.timezone)
        parts.append(loader(src.path, **options))
    start_step(timings, "validation")
    return merge_loaded(parts)


def run(config: RunConfig, out_dir: Path | None = None, *,
        progress: Progress | None = None, aliases: pl.DataFrame | None = None,
        timings: Timings | None = None) -> ReconResult:
    """Load, validate, match and (when `out_dir` is given) write the result contract.

    With a decisions store in the config, its remembered aliases (IBAN -> client, ...) feed
    party resolution and its confirmed/rejected decisions are applied to the result.
    `timings` records the seconds and peak memory of each step (`reconkit run --timings`).
    """
    if out_dir is not None:
        check_out_dir(Path(out_dir))
    loaded = load_sources(config, progress, timings)
    check_period(loaded.tables, config.period_start, config.period_end)
    rec = Reconciliation.from_config(config)
    if timings is not None:
        progress = timings.wrap(progress)
    if config.store is not None:
        with DecisionStore(config.store) as store:
            if aliases is None:
                aliases = store.aliases()
            result = rec.match(loaded, aliases=aliases, progress=progress)
            start_step(timings, "apply stored decisions")
            result = store.apply(result)
    else:
        result = rec.match(loaded, aliases=aliases, progress=progress)
    if out_dir is not None:
        start_step(timings, "write result")
        result.write(out_dir)
        write_lettering(result, Path(out_dir) / "lettering.csv")
    if timings is not None:
        timings.stop()
    return result
