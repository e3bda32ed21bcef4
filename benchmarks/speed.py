"""Speed benchmark of a full reconciliation run (load, validate, match, write) at 3 sizes.

Prints figures, asserts nothing. For each size it generates the month once into
`bench_data/` (git-ignored; reused when the parameters match), times `reconkit run <config>
--out <dir> --quiet` as a subprocess (best and median of `--reps` runs) with its peak RSS,
then runs the pipeline once in-process to split the time into phases (load, parties, each
rule, sweep and result, write). The 100k size is checked against the target: <= 30 s wall,
<= 4 GB peak RSS.

    .venv/bin/python benchmarks/speed.py [--sizes 1k,10k,100k] [--reps 2] [--no-phases]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = ROOT / "bench_data"
BIN = Path(sys.executable).parent
SIZES = {"1k": 300, "10k": 3000, "100k": 30000}   # size label -> clients (with --volume bench)
TARGET_SIZE, TARGET_SECONDS, TARGET_RSS_MB = "100k", 30.0, 4096.0
TIME_V = Path("/usr/bin/time")
# Fallback peak-RSS probe: a child that runs the command and reports its children's max RSS.
RSS_PROBE = ("import resource, subprocess, sys; "
             "rc = subprocess.run(sys.argv[1:]).returncode; "
             "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
             "file=sys.stderr); sys.exit(rc)")


@dataclass
class Measure:
    """The figures of one size."""

    size: str
    clients: int
    counts: dict[str, int]
    gen_seconds: float | None
    walls: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.walls)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak_mb(self) -> float:
        return max(self.rss_mb)


# =========================================================================== data
def month_dir(size: str, clients: int, seed: int, month: str, volume: str) -> Path:
    return DATA_ROOT / f"{size}_c{clients}_s{seed}_{month}_{volume}"


def ensure_month(folder: Path, clients: int, seed: int, month: str,
                 volume: str) -> float | None:
    """Generate the month into `folder` unless it already holds these parameters.

    Returns the generation wall time, or None when the folder was reused.
    """
    from data_samples.run_configs import generate, write_run_configs

    params = {"clients": clients, "seed": seed, "month": month, "volume": volume,
              "native": False}
    stamp = folder / "bench_params.json"
    if stamp.exists() and json.loads(stamp.read_text()) == params \
            and (folder / "truth" / "summary.json").exists():
        write_run_configs(folder, month, name=folder.name)
        return None
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    generate(folder, clients=clients, seed=seed, period=month, native=False,
             extra=("--volume", volume), quiet=True)
    seconds = time.perf_counter() - t0
    write_run_configs(folder, month, name=folder.name)
    stamp.write_text(json.dumps(params, sort_keys=True) + "\n")
    return seconds


def month_counts(folder: Path) -> dict[str, int]:
    summary = json.loads((folder / "truth" / "summary.json").read_text())
    rows = summary["canonical_rows"]
    return {"invoices": rows["invoices"], "payments": rows["payments"],
            "ledger": rows["ledger_lines"], "fec": summary["fec_lines"],
            "parties": rows["parties"], "commitments": rows["commitments"]}


# =========================================================================== timing
def timed_run(config: Path, out: Path, timeout: float) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of `reconkit run config --out out --quiet`."""
    cmd = [str(BIN / "reconkit"), "run", str(config), "--out", str(out), "--quiet"]
    cmd = ([str(TIME_V), "-v", *cmd] if TIME_V.exists()
           else [sys.executable, "-c", RSS_PROBE, *cmd])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"reconkit run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, _peak_kb(proc.stderr) / 1024


def _peak_kb(stderr: str) -> float:
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("Maximum resident set size (kbytes):"):
            return float(line.rsplit(":", 1)[1])
        if line.startswith("MAXRSS_KB"):
            return float(line.split()[1])
    raise RuntimeError(f"no peak RSS in the output:\n{stderr[-2000:]}")


PHASES_CODE = """
import json, sys, time
import reconkit
from reconkit.config import load_config

marks = []
def progress(msg):
    marks.append((msg, time.perf_counter()))

t0 = time.perf_counter()
cfg = load_config(sys.argv[1])
loaded = reconkit.load_sources(cfg)
t1 = time.perf_counter()
result = reconkit.Reconciliation.from_config(cfg).match(loaded, progress=progress)
t2 = time.perf_counter()
result.write(sys.argv[2])
t3 = time.perf_counter()
phases = [("load + validate", t1 - t0)]
ends = [t for _, t in marks[1:]] + [t2]
for (msg, start), end in zip(marks, ends):
    phases.append(("parties" if msg == "resolving parties" else msg, end - start))
phases.append(("write", t3 - t2))
print("PHASES", json.dumps(phases))
"""


def phase_run(config: Path, out: Path, timeout: float) -> list[tuple[str, float]]:
    """Per-phase seconds of one in-process run (in a fresh interpreter, for a clean heap).

    The last rule's share includes the final sweep and the result frames.
    """
    proc = subprocess.run([sys.executable, "-c", PHASES_CODE, str(config), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"in-process run failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("PHASES "))
    return [(str(k), float(v)) for k, v in json.loads(line[len("PHASES "):])]


# =========================================================================== report
def print_table(results: list[Measure], reps: int) -> None:
    head = (f"{'size':>5} {'clients':>7} {'invoices':>8} {'payments':>8} {'ledger':>7} "
            f"{'fec':>7} {'parties':>7} {'best s':>7} {'median s':>8} {'peak MB':>8} "
            f"{'gen s':>6}")
    print(f"\nFull run: reconkit run --quiet, {reps} repetition(s); 'ledger' = 411 lines the "
          "engine loads, 'fec' = all FEC lines of the month's ERP.")
    print(head)
    print("-" * len(head))
    for m in results:
        c = m.counts
        gen = "reused" if m.gen_seconds is None else f"{m.gen_seconds:.1f}"
        print(f"{m.size:>5} {m.clients:>7} {c['invoices']:>8} {c['payments']:>8} "
              f"{c['ledger']:>7} {c['fec']:>7} {c['parties']:>7} {m.best:>7.2f} "
              f"{m.median:>8.2f} {m.peak_mb:>8.0f} {gen:>6}")


def print_growth(results: list[Measure]) -> None:
    if len(results) < 2:
        return
    print("\nGrowth between sizes (1.0 = time grows exactly like the data):")
    for a, b in itertools.pairwise(results):
        rows_a = a.counts["invoices"] + a.counts["payments"] + a.counts["ledger"]
        rows_b = b.counts["invoices"] + b.counts["payments"] + b.counts["ledger"]
        data, wall = rows_b / rows_a, b.best / a.best
        print(f"  {a.size} -> {b.size}: rows x{data:.2f}, wall x{wall:.2f}, "
              f"RSS x{b.peak_mb / a.peak_mb:.2f}, wall/rows {wall / data:.2f}")


def print_phases(results: list[Measure], top: int) -> None:
    for m in results:
        if not m.phases:
            continue
        total = sum(s for _, s in m.phases)
        print(f"\nPhases at {m.size} (one in-process run, {total:.2f} s; top {top}):")
        for name, secs in sorted(m.phases, key=lambda p: -p[1])[:top]:
            print(f"  {name:<40} {secs:>8.2f} s {100 * secs / total:>5.1f} %")


def print_verdict(results: list[Measure]) -> None:
    target = next((m for m in results if m.size == TARGET_SIZE), None)
    if target is None:
        print(f"\nTarget: size {TARGET_SIZE} not run.")
        return
    ok_t, ok_m = target.best <= TARGET_SECONDS, target.peak_mb <= TARGET_RSS_MB
    print(f"\nTarget at {TARGET_SIZE}: wall {target.best:.2f} s (<= {TARGET_SECONDS:.0f} s: "
          f"{'MET' if ok_t else 'NOT MET'}), peak RSS {target.peak_mb:.0f} MB "
          f"(<= {TARGET_RSS_MB:.0f} MB: {'MET' if ok_m else 'NOT MET'}) -> "
          f"{'TARGET MET' if ok_t and ok_m else 'TARGET NOT MET'}")


# =========================================================================== main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help=f"comma-separated, among {', '.join(SIZES)}")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--volume", default="bench", help="generator volume preset")
    parser.add_argument("--no-phases", action="store_true", help="skip the in-process split")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or args.reps < 1:
        parser.error(f"unknown size(s) {unknown}; choose among {list(SIZES)}; reps >= 1")
    sys.path.insert(0, str(ROOT))
    results: list[Measure] = []
    for size in sizes:
        clients = SIZES[size]
        folder = month_dir(size, clients, args.seed, args.month, args.volume)
        print(f"[{size}] data in {folder.relative_to(ROOT)} ...", flush=True)
        gen = ensure_month(folder, clients, args.seed, args.month, args.volume)
        m = Measure(size, clients, month_counts(folder), gen)
        config, out = folder / "run_canonical.yaml", folder / "out_run"
        for rep in range(args.reps):
            wall, rss = timed_run(config, out, args.timeout)
            m.walls.append(wall)
            m.rss_mb.append(rss)
            print(f"[{size}] run {rep + 1}/{args.reps}: {wall:.2f} s, {rss:.0f} MB",
                  flush=True)
        if not args.no_phases:
            m.phases = phase_run(config, folder / "out_phases", args.timeout)
        results.append(m)
    print(f"\nmachine: {os.cpu_count()} CPU(s), python {sys.version.split()[0]}, peak RSS via "
          f"{'/usr/bin/time -v' if TIME_V.exists() else 'getrusage(RUSAGE_CHILDREN)'}")
    print_table(results, args.reps)
    print_growth(results)
    print_phases(results, top=8)
    print_verdict(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
