"""Progress: the step count matches the messages a run sends; the notebook bar follows."""

from __future__ import annotations

from pathlib import Path

import reconkit

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "sample"


def test_run_steps_counts_every_progress_message() -> None:
    cfg = reconkit.load_config(SAMPLE / "run_canonical.yaml")
    seen: list[str] = []
    reconkit.run(cfg, progress=seen.append)
    assert len(seen) == reconkit.run_steps(cfg)
    assert seen[0].startswith("loading ") and "resolving parties" in seen
    assert seen[-1] == "rule LEDGER-UNEXPLAINED"


def test_notebook_bar_advances_to_the_end() -> None:
    cfg = reconkit.load_config(SAMPLE / "run_canonical.yaml")
    bar = reconkit.progress_bar(cfg)
    reconkit.run(cfg, progress=bar)
    assert bar.bar.value == bar.total == reconkit.run_steps(cfg)
    assert bar.label.value.startswith(f"{bar.total}/{bar.total} rule ")
    bar.done("finished")
    assert (bar.bar.bar_style, bar.label.value) == ("success", "finished")
