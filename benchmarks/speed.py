"""Speed benchmark: a month from NATIVE exports at 10k, 100k and 1M invoices, step by step.

Prints figures and the issue-9 targets, asserts nothing. For each size it generates the month
once with `data_samples` (`--volume bench`, about 5.4 invoices per client, cached under
`out/bench-cache/` by parameters), then times `reconkit run run_native.yaml --timings`
as a subprocess: wall time and peak RSS of the whole CLI run, and the seconds and peak RSS of
each step (each loader, validation, parties, each rule, writing). In the same run it times a
bare polars pipeline on N invoices x N payments (read two CSVs, extract the invoice reference
from the remittance text with a regex, hash-join, write), the floor the run is compared with.

    python benchmarks/speed.py [--sizes 10k,100k,1m] [--reps 1] [--seed 7] [--src TREE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "out" / "bench-cache"
SIZES = {"10k": 1850, "100k": 18_500, "1m": 185_000}  # label -> clients (~5.4 invoices each)
TARGETS = {"100k": (10.0, 2048.0), "1m": (90.0, 16_384.0)}  # wall s, peak RSS MB
TIME_V = Path("/usr/bin/time")
RSS_PROBE = ("import resource, subprocess, sys; "
             "rc = subprocess.run(sys.argv[1:]).returncode; "
             "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
             "file=sys.stderr); sys.exit(rc)")
_STEP = re.compile(r"^(?P<step>.+?)\s+(?P<s>\d+\.\d+)\s+(?P<cpu>\d+\.\d+)\s+(?P<mb>\d+)$")


@dataclass
class Measure:
    """One size: the data, the CLI runs, the steps of the best run, the polars floor."""

    size: str
    clients: int
    counts: dict[str, int]
    gen_seconds: float | None
    walls: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    steps: list[tuple[str, float, float, float]] = field(default_factory=list)
    floor_seconds: float = 0.0

    @property
    def best(self) -> float:
        return min(self.walls)

    @property
    def peak_mb(self) -> float:
        return max(self.rss_mb)


# ============================================================================ data
def month_dir(clients: int, seed: int, month: str) -> Path:
    return CACHE / f"c{clients}_s{seed}_{month}_bench"


def ensure_month(folder: Path, clients: int, seed: int, month: str) -> float | None:
    """Generate the month (native exports and truth) unless the cache has these parameters.

    Returns the generation wall time, or None when the cached month was reused.
    """
    from data_samples.run_configs import generate, write_run_configs

    params = {"clients": clients, "seed": seed, "month": month, "volume": "bench"}
    stamp = folder / "bench_params.json"
    summary = folder / "truth" / "summary.json"
    if summary.exists() and (not stamp.exists() or json.loads(stamp.read_text()) == params):
        write_run_configs(folder, month, name=folder.name)
        stamp.write_text(json.dumps(params, sort_keys=True) + "\n")
        return None
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    generate(folder, clients=clients, seed=seed, period=month, native=True,
             extra=("--volume", "bench"), quiet=True)
    seconds = time.perf_counter() - t0
    write_run_configs(folder, month, name=folder.name)
    stamp.write_text(json.dumps(params, sort_keys=True) + "\n")
    return seconds


def month_counts(folder: Path) -> dict[str, int]:
    summary = json.loads((folder / "truth" / "summary.json").read_text())
    rows = summary["canonical_rows"]
    native = folder / "native"
    mb = sum(f.stat().st_size for f in native.rglob("*") if f.is_file()) / 1e6
    return {"invoices": rows["invoices"], "payments": rows["payments"],
            "fec": summary.get("fec_lines", 0), "commitments": rows["commitments"],
            "native_mb": round(mb)}


# ============================================================================ timing
def timed_run(config: Path, out: Path, timeout: float,
              src: Path = ROOT) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stderr of `reconkit run config --timings`."""
    # -P: the working directory must not shadow --src on sys.path
    cmd = [sys.executable, "-P", "-m", "reconkit.cli", "run", str(config), "--out", str(out),
           "--quiet", "--timings"]
    cmd = ([str(TIME_V), "-v", *cmd] if TIME_V.exists()
           else [sys.executable, "-c", RSS_PROBE, *cmd])
    env = {**os.environ, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"reconkit run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, _peak_kb(proc.stderr) / 1024, proc.stderr


def _peak_kb(stderr: str) -> float:
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("Maximum resident set size (kbytes):"):
            return float(line.rsplit(":", 1)[1])
        if line.startswith("MAXRSS_KB"):
            return float(line.split()[1])
    raise RuntimeError(f"no peak RSS in the output:\n{stderr[-2000:]}")


def parse_steps(stderr: str) -> list[tuple[str, float, float, float]]:
    """The `--timings` table: (step, seconds, cpu seconds, peak RSS MB), without the header
    and total."""
    lines = stderr.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("step "))
    steps = []
    for line in lines[start + 1:]:
        m = _STEP.match(line.strip())
        if m is None or m["step"] == "total":
            break
        steps.append((m["step"], float(m["s"]), float(m["cpu"]), float(m["mb"])))
    return steps


def polars_floor(n: int) -> float:
    """Seconds of a bare polars pipeline on n invoices x n payments: read, regex reference
    extraction, hash join, write (the files are written beforehand, untimed)."""
    base = pl.DataFrame({"i": pl.int_range(n, eager=True)})
    invoices = base.select(
        pl.format("F-2026-{}", pl.col("i").cast(pl.String).str.zfill(7)).alias("number"),
        (pl.col("i") * 7919 % 900_000 + 1000).alias("amount_cents"))
    payments = base.select(
        pl.format("BK{}", pl.col("i")).alias("entry_ref"),
        (pl.col("i") * 7919 % 900_000 + 1000).alias("amount_cents"),
        pl.format("VIR SEPA CLIENT {} FACT F-2026-{} MERCI", pl.col("i") % 997,
                  (pl.col("i") * 31 % n).cast(pl.String).str.zfill(7)).alias("remittance"))
    with tempfile.TemporaryDirectory() as tmp:
        inv_csv, pay_csv, out_csv = (Path(tmp) / x for x in ("inv.csv", "pay.csv", "out.csv"))
        invoices.write_csv(inv_csv)
        payments.write_csv(pay_csv)
        t0 = time.perf_counter()
        inv = pl.read_csv(inv_csv)
        pay = pl.read_csv(pay_csv).with_columns(
            pl.col("remittance").str.extract(r"(F-\d{4}-\d{7})").alias("number"))
        pay.join(inv, on="number", how="inner").write_csv(out_csv)
        return time.perf_counter() - t0


# ============================================================================ report
def _ratio(m: Measure) -> str:
    return f"{m.best / m.floor_seconds:.0f}" if m.floor_seconds else "-"


def print_sizes(results: list[Measure], reps: int) -> None:
    head = (f"{'size':>5} {'clients':>7} {'invoices':>8} {'payments':>8} {'fec':>8} "
            f"{'MB in':>6} {'wall s':>7} {'peak MB':>8} {'floor s':>8} {'ratio':>6} "
            f"{'gen s':>6}")
    print(f"\nWhole CLI run (reconkit run run_native.yaml --timings), best of {reps}; floor = "
          "bare polars read + regex + hash join + write of N x N rows, same run.")
    print(head)
    print("-" * len(head))
    for m in results:
        c = m.counts
        gen = "cached" if m.gen_seconds is None else f"{m.gen_seconds:.0f}"
        print(f"{m.size:>5} {m.clients:>7} {c['invoices']:>8} {c['payments']:>8} "
              f"{c['fec']:>8} {c['native_mb']:>6} {m.best:>7.2f} {m.peak_mb:>8.0f} "
              f"{m.floor_seconds:>8.3f} {_ratio(m):>6} {gen:>6}")


def print_steps(results: list[Measure]) -> None:
    """One row per step, (wall s, CPU s, peak MB) per size; loading and matching subtotals."""
    names: list[str] = []
    for m in results:
        names += [s for s, _, _, _ in m.steps if s not in names]
    width = max(len(n) for n in [*names, "matching (parties + rules)"])
    print("\nSteps: wall s / CPU s (all threads) / peak RSS MB of the process at the step's end")
    print(f"{'step':<{width}} " + " ".join(f"{m.size:>22}" for m in results))
    for name in names:
        cells = []
        for m in results:
            hit = next(((s, c, mb) for n, s, c, mb in m.steps if n == name), None)
            cells.append(f"{hit[0]:>7.2f} /{hit[1]:>6.2f} /{hit[2]:>6.0f}" if hit
                         else f"{'-':>22}")
        print(f"{name:<{width}} " + " ".join(cells))
    gaps = [m.best - sum(s for _, s, _, _ in m.steps) for m in results]
    print(f"{'startup, imports, exit':<{width}} " + " ".join(f"{g:>7.2f}{'':>15}" for g in gaps))
    for label, pick in (("loading (all sources)", lambda n: n.startswith("load ")),
                        ("matching (parties + rules)",
                         lambda n: n == "resolving parties" or n.startswith("rule "))):
        sums = [(sum(s for n, s, _, _ in m.steps if pick(n)),
                 sum(c for n, _, c, _ in m.steps if pick(n))) for m in results]
        print(f"{label:<{width}} " + " ".join(f"{s:>7.2f} /{c:>6.2f}{'':>8}" for s, c in sums))


def print_targets(results: list[Measure]) -> None:
    print()
    for size, (seconds, mb) in TARGETS.items():
        m = next((r for r in results if r.size == size), None)
        if m is None:
            print(f"Target {size}: <= {seconds:.0f} s and <= {mb / 1024:.0f} GB: not run")
            continue
        ok = m.best <= seconds and m.peak_mb <= mb
        print(f"Target {size}: wall {m.best:.2f} s (<= {seconds:.0f}), peak RSS "
              f"{m.peak_mb:.0f} MB (<= {mb:.0f}) -> {'MET' if ok else 'NOT MET'}")


# ============================================================================ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1m",
                        help=f"comma-separated, among {', '.join(SIZES)}")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--src", type=Path, default=ROOT,
                        help="reconkit source tree to time (e.g. an older checkout)")
    args = parser.parse_args(argv)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or args.reps < 1:
        parser.error(f"unknown size(s) {unknown}; choose among {list(SIZES)}; reps >= 1")
    sys.path.insert(0, str(ROOT))
    results: list[Measure] = []
    for size in sizes:
        clients = SIZES[size]
        folder = month_dir(clients, args.seed, args.month)
        print(f"[{size}] month in {folder.relative_to(ROOT)} ...", flush=True)
        gen = ensure_month(folder, clients, args.seed, args.month)
        m = Measure(size, clients, month_counts(folder), gen)
        best_steps: tuple[float, list[tuple[str, float, float, float]]] | None = None
        for rep in range(args.reps):
            wall, rss, stderr = timed_run(folder / "run_native.yaml", folder / "out_run",
                                          args.timeout, args.src)
            m.walls.append(wall)
            m.rss_mb.append(rss)
            if best_steps is None or wall < best_steps[0]:
                best_steps = (wall, parse_steps(stderr))
            print(f"[{size}] run {rep + 1}/{args.reps}: {wall:.2f} s, {rss:.0f} MB", flush=True)
        m.steps = best_steps[1] if best_steps else []
        results.append(m)
        # after the CLI runs, so their peak RSS is not this process's
        m.floor_seconds = min(polars_floor(m.counts["invoices"]) for _ in range(3))
    print(f"\nmachine: {os.cpu_count()} CPU(s), load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, python "
          f"{sys.version.split()[0]}, polars {pl.__version__}")
    print_sizes(results, args.reps)
    print_steps(results)
    print_targets(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
