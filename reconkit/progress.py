"""Progress for long runs: how many steps a run has, and a bar for notebooks.

`reconkit.run` reports one message per step (each source loaded, party resolution, each rule
of the catalog); knowing the count up front turns those messages into a real progress bar.
"""

from __future__ import annotations

from typing import Any

from reconkit.catalog import load_catalog
from reconkit.config import RunConfig
from reconkit.vocabulary import LINK_KINDS


def run_steps(config: RunConfig) -> int:
    """The number of progress messages `reconkit.run(config)` sends."""
    catalog = load_catalog(config.catalog)
    return len(config.sources) + 1 + sum(len(catalog.for_link(link)) for link in LINK_KINDS)


class NotebookProgress:
    """An ipywidgets progress bar with the current step; pass it as `progress=` to `run`."""

    def __init__(self, total: int, description: str = "reconciling") -> None:
        import ipywidgets as widgets

        self.total = total
        self.bar = widgets.IntProgress(value=0, min=0, max=max(total, 1),
                                       description=description)
        self.label = widgets.Label(value="starting")
        self.widget = widgets.HBox([self.bar, self.label])

    def __call__(self, message: str) -> None:
        self.bar.value = min(self.bar.value + 1, self.bar.max)
        self.label.value = f"{self.bar.value}/{self.total} {message}"

    def done(self, message: str = "done") -> None:
        self.bar.value = self.bar.max
        self.bar.bar_style = "success"
        self.label.value = message

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def progress_bar(config: RunConfig, description: str = "reconciling") -> NotebookProgress:
    """A notebook progress bar sized for this run config."""
    return NotebookProgress(run_steps(config), description)
