"""Benchmark: each native loader of a generated month, alone, best of N (wall and CPU).

The best of several runs approaches the uncontended time on a shared machine; CPU seconds
(all threads) are printed beside wall seconds. Generate the month first, e.g. with
`benchmarks/speed.py --sizes 100k` (cached under out/bench-cache/).

    python benchmarks/bench_native_loaders.py out/bench-cache/c18500_s7_2026-10_bench [reps]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from reconkit.config import load_config
from reconkit.loaders.base import get_loader, merge_loaded


def main(month: Path, reps: int = 3) -> None:
    cfg = load_config(month / "run_native.yaml")
    parts = []
    print(f"{'source':<22} {'best wall s':>11} {'best cpu s':>10} {'rows read':>10}")
    for src in cfg.sources:
        loader = get_loader(src.kind)
        walls, cpus = [], []
        for _ in range(reps):
            w, c = time.perf_counter(), time.process_time()
            loaded = loader(src.path, **src.options)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        parts.append(loaded)
        print(f"{src.name + ' (' + src.kind + ')':<22} {min(walls):>11.2f} {min(cpus):>10.2f} "
              f"{sum(loaded.rows_read.values()):>10}", flush=True)
    w, c = time.perf_counter(), time.process_time()
    merge_loaded(parts)
    print(f"{'validation':<22} {time.perf_counter() - w:>11.2f} {time.process_time() - c:>10.2f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
