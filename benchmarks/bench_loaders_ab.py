"""Benchmark: each native loader of a month from two source trees, alternated, cold.

On a shared machine one run says little: this loads each source once per fresh process,
alternating the two trees (`git archive HEAD reconkit | tar -x -C /tmp/before` gives the
"before" tree), and prints per tree the min and median of CPU seconds (all threads), wall
seconds, the main thread's CPU (what Python, lxml and libxslt cost, without polars' worker
threads) and the peak RSS. Each child runs with `python -P` from /tmp: with `-c` and the
repository as working directory, Python would import the working tree for both sides.

    python benchmarks/bench_loaders_ab.py out/bench-cache/c18500_s7_2026-10_bench \\
        /tmp/before . [reps] [kind,kind...]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import resource, sys, time
from reconkit.config import load_config
from reconkit.loaders.base import get_loader
cfg = load_config(sys.argv[1])
for src in cfg.sources:
    if src.kind == sys.argv[2]:
        load = get_loader(src.kind)
        w, c, t = time.perf_counter(), time.process_time(), time.thread_time()
        load(src.path, **src.options)
        print(time.process_time() - c, time.perf_counter() - w, time.thread_time() - t,
              resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _run(tree: Path, config: Path, kind: str) -> tuple[float, ...]:
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    out = subprocess.run([sys.executable, "-P", "-c", _CHILD, str(config), kind], env=env,
                         capture_output=True, text=True, cwd="/tmp", check=True)
    return tuple(float(x) for x in out.stdout.split())


def main(month: Path, before: Path, after: Path, reps: int, kinds: list[str] | None) -> None:
    config = (month / "run_native.yaml").resolve()
    from reconkit.config import load_config

    for kind in kinds or [s.kind for s in load_config(config).sources]:
        runs: dict[str, list[tuple[float, ...]]] = {"before": [], "after": []}
        for _ in range(reps):
            runs["before"].append(_run(before, config, kind))
            runs["after"].append(_run(after, config, kind))
        for side, rows in runs.items():
            cpu, wall, main_cpu, rss = (list(col) for col in zip(*rows, strict=True))
            print(f"{kind:<11} {side:<6} cpu min {min(cpu):5.2f} med "
                  f"{statistics.median(cpu):5.2f} | wall min {min(wall):5.2f} | main thread "
                  f"cpu min {min(main_cpu):5.2f} | peak RSS {max(rss):4.0f} MB", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0]), Path(args[1]), Path(args[2]), int(args[3]) if len(args) > 3 else 3,
         args[4].split(",") if len(args) > 4 else None)
