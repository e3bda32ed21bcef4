"""Where a month's decisions live: one store per run config, for the notebook, the CLI and
`reconkit run` alike.

The run config's `store:` is the store. `RECONKIT_STORE` overrides it only when set, and
whoever uses the override says so on screen, so that a decision is never recorded in a file
the next headless run does not read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconkit.config import RunConfig

ENV_VAR = "RECONKIT_STORE"


@dataclass(frozen=True)
class StoreChoice:
    """The decisions store of a run and where that choice came from."""

    path: Path | None
    origin: str  # "option", "env", "config", "fallback" or "none"
    shadowed: Path | None = None  # the config's `store:` an override replaces

    def describe(self, config_name: str = "the run config") -> str:
        """One line for the screen."""
        if self.path is None:
            return (f"no decisions store: {config_name} has no `store:` (decisions cannot be "
                    "recorded nor applied; add `store: decisions.sqlite` to it)")
        if self.origin == "fallback":
            return (f"decisions store: {self.path} (WARNING: {config_name} has no `store:`, so "
                    f"`reconkit run` will not apply these decisions; add `store: "
                    f"{self.path}` to it)")
        if self.origin == "env" and self.shadowed is None:
            return (f"decisions store: {self.path} (set by {ENV_VAR}; {config_name} has no "
                    f"`store:`, so only runs with {ENV_VAR} set apply these decisions)")
        why = {"option": "given with --store",
               "env": f"{ENV_VAR} overrides the `store:` of {config_name}",
               "config": f"`store:` of {config_name}"}[self.origin]
        return f"decisions store: {self.path} ({why})"


def store_choice(config: RunConfig, option: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> StoreChoice:
    """The store of `config`: an explicit option, else `RECONKIT_STORE`, else `store:`."""
    env = os.environ if environ is None else environ
    if option is not None:
        return StoreChoice(Path(option), "option")
    if env.get(ENV_VAR):
        return StoreChoice(Path(env[ENV_VAR]), "env", config.store)
    if config.store is not None:
        return StoreChoice(Path(config.store), "config")
    return StoreChoice(None, "none")


def review_store(config: RunConfig, fallback: Path,
                 environ: Mapping[str, str] | None = None) -> StoreChoice:
    """The store the review notebook records into: the run's (as `store_choice`), else
    `fallback`, loudly (see `StoreChoice.describe`)."""
    choice = store_choice(config, environ=environ)
    return choice if choice.path is not None else StoreChoice(Path(fallback), "fallback")


def with_store(config: RunConfig, choice: StoreChoice) -> RunConfig:
    """The config whose `store:` is the chosen store (what `reconkit.run` reads)."""
    return config.model_copy(update={"store": choice.path})
