"""Seconds and peak memory of each step of a run (`reconkit run --timings`, the speed bench).

A `Timings` recorder is a list of frozen `StepTiming` events. Steps follow each other: starting
one closes the previous, so a progress callback (one message per engine step: "resolving
parties", "rule X") is enough to time the engine without touching it (`wrap`). Memory is the
process's peak resident set size so far (`getrusage`), read when a step ends: it only grows,
so the step where it jumps is the one that needed the memory.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StepTiming:
    """One finished step: its name, wall seconds, CPU seconds (all threads, user + system:
    steadier than wall time on a shared machine), the process's peak RSS when it ended."""

    step: str
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss: KB on Linux)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


@dataclass
class Timings:
    """Records consecutive steps; `clock` is injectable for tests."""

    clock: Callable[[], float] = time.perf_counter
    cpu_clock: Callable[[], float] = time.process_time
    events: list[StepTiming] = field(default_factory=list)
    _open: tuple[str, float, float] | None = None

    def start(self, step: str) -> None:
        """End the running step (if any) and start `step`."""
        now, cpu = self.clock(), self.cpu_clock()
        self._close(now, cpu)
        self._open = (step, now, cpu)

    def stop(self) -> None:
        """End the running step."""
        self._close(self.clock(), self.cpu_clock())
        self._open = None

    def _close(self, now: float, cpu: float) -> None:
        if self._open is not None:
            name, began, cpu_began = self._open
            self.events.append(StepTiming(name, now - began, peak_rss_mb(), cpu - cpu_began))

    def wrap(self, progress: Callable[[str], None] | None) -> Callable[[str], None]:
        """A progress callback that starts a step per message, then forwards the message."""

        def say(message: str) -> None:
            self.start(message)
            if progress is not None:
                progress(message)

        return say

    @property
    def total_seconds(self) -> float:
        return sum(e.seconds for e in self.events)

    def table(self) -> str:
        """The steps as an aligned text table, with the total."""
        width = max([len(e.step) for e in self.events] + [5])
        lines = [f"{'step':<{width}}  {'seconds':>8}  {'cpu s':>7}  {'peak RSS MB':>11}"]
        lines += [f"{e.step:<{width}}  {e.seconds:>8.2f}  {e.cpu_seconds:>7.2f}  "
                  f"{e.peak_rss_mb:>11.0f}" for e in self.events]
        cpu = sum(e.cpu_seconds for e in self.events)
        lines.append(f"{'total':<{width}}  {self.total_seconds:>8.2f}  {cpu:>7.2f}  "
                     f"{peak_rss_mb():>11.0f}")
        return "\n".join(lines)


def start(timings: Timings | None, step: str) -> None:
    """`timings.start(step)` when a recorder is given (callers need no `if`)."""
    if timings is not None:
        timings.start(step)
