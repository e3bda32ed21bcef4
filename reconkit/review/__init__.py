"""Review: the exceptions queue, the decisions store and the review screen.

The widget (ipywidgets) is imported lazily so that headless runs never need a notebook stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconkit.review.learn import aliases_taught
from reconkit.review.queue import context, review_queue
from reconkit.review.store import Decision, DecisionStore

if TYPE_CHECKING:
    from reconkit.review.widget import ReviewApp

__all__ = ["Decision", "DecisionStore", "ReviewApp", "aliases_taught", "context",
           "review_queue"]


def __getattr__(name: str) -> Any:
    if name == "ReviewApp":
        from reconkit.review.widget import ReviewApp

        return ReviewApp
    raise AttributeError(name)
