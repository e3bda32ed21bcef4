"""Checking a source's `options:` against what its loader accepts, for every loader kind.

A loader declares its options as keyword parameters; the allowed keys are read from its
signature, so a new loader gets the check without writing any. Its trailing `**_` (which the
`Loader` protocol asks for) swallows nothing here: anything not declared is refused. A loader
that only takes `**options` (it reads or forwards them itself, like `tabular`, which checks
them against its profile) declares nothing and is not checked here: declaring its options as
keyword parameters is all it takes to be.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from reconkit.errors import ConfigError

# set by the run pipeline from the source itself (`profile:`), not from `options:`
_SET_BY_PIPELINE = frozenset({"profile"})


def loader_options(loader: Callable[..., Any]) -> frozenset[str]:
    """The keyword options a loader declares (every parameter after the path)."""
    params = list(inspect.signature(loader).parameters.values())[1:]
    return frozenset(p.name for p in params
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def check_options(source: str, kind: str, loader: Callable[..., Any],
                  options: Mapping[str, Any]) -> None:
    """Raise a ConfigError naming the first unknown option, the allowed ones and the closest.

    Not checked: loaders that declare no keyword option but take `**options`.
    """
    allowed = loader_options(loader)
    if not allowed:
        return
    for key in sorted(set(options) - allowed - _SET_BY_PIPELINE):
        close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
        guess = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            f"source '{source}' ({kind}): unknown option '{key}'",
            hint=f"{guess}options of {kind}: {', '.join(sorted(allowed))}")
