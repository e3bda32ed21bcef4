"""Timings of the matching primitives on synthetic data; prints one line per measure.

Run: `.venv/bin/python benchmarks/bench_primitives.py [--n 100000]`. Figures are wall-clock
seconds on the current machine (single process).
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections.abc import Callable
from typing import Any

import polars as pl

from reconkit.keys.names import best_name_candidates
from reconkit.keys.normalize import normalize_name
from reconkit.keys.references import extract_tokens, match_references
from reconkit.matchers.subset_sum import find_combinations


def _timed(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    print(f"{label:<58} {time.perf_counter() - start:8.3f} s")
    return out


def _documents(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "record_id": [f"in_{i:07d}" for i in range(n)],
        "number": [f"F-{2024 + i % 3}-{i:06d}" for i in range(n)],
    })


def _remittances(n: int, rng: random.Random) -> pl.DataFrame:
    texts = []
    for i in range(n):
        year, seq = 2024 + i % 3, i
        shape = i % 5
        if shape == 0:
            texts.append(f"VIR SEPA FACT F-{year}-{seq:06d} MERCI {rng.randint(1, 9999)}.00 EUR")
        elif shape == 1:
            texts.append(f"REGLEMENT F{year}{seq:06d}")
        elif shape == 2:
            s = list(f"{seq:06d}")
            s[rng.randrange(6)] = rng.choice(string.digits)
            texts.append(f"PAIEMENT F {year} {''.join(s)} CLIENT {rng.randint(10000, 99999)}")
        elif shape == 3:
            texts.append(f"/INV/F-{year}-{seq:06d}/F-{year}-{(seq + 1) % n:06d}")
        else:
            texts.append(f"PRLV SEPA CLIENT {rng.randint(100000, 999999)} ECH {i % 28 + 1}/03")
    return pl.DataFrame({"payment_id": [f"p{i:07d}" for i in range(n)], "remittance": texts})


def _names(n: int, rng: random.Random) -> list[str]:
    words = ["".join(rng.choices(string.ascii_uppercase, k=rng.randint(4, 9)))
             for _ in range(max(n // 3, 50))]
    common = ["FRANCE", "SERVICES", "GROUPE", "CONSEIL", "HOLDING", "INDUSTRIES"]
    forms = ["SAS", "SARL", "SA", "", "S.A.S.", "GMBH"]
    return [f"{rng.choice(words)} {rng.choice(words + common)} {rng.choice(forms)}"
            for _ in range(n)]


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice(string.ascii_uppercase) + name[i + 1:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000, help="texts and documents")
    parser.add_argument("--names", type=int, default=30_000, help="queries and references")
    args = parser.parse_args()
    rng = random.Random(7)

    docs = _documents(args.n)
    texts = _remittances(args.n, rng)
    tokens = _timed(f"extract_tokens {args.n:,} texts",
                    lambda: extract_tokens(texts, id_col="payment_id", text_cols=["remittance"]))
    pairs = _timed(f"match_references {tokens.height:,} tokens x {args.n:,} docs",
                   lambda: match_references(tokens, docs, id_col="payment_id"))
    print("  evidence counts:", dict(pairs.group_by("ref_evidence").len().sort("ref_evidence")
                                     .iter_rows()))

    ref_names = _names(args.names, rng)
    query_names = [_typo(x, rng) if i % 2 else x for i, x in enumerate(ref_names)]
    rng.shuffle(query_names)
    refs = pl.DataFrame({"party_id": [f"c{i}" for i in range(args.names)], "name": ref_names})
    queries = pl.DataFrame({"payment_id": [f"q{i}" for i in range(args.names)],
                            "payer": query_names})
    refs = _timed(f"normalize_name {args.names:,} names",
                  lambda: refs.with_columns(normalize_name(pl.col("name")).alias("norm")))
    queries = queries.with_columns(normalize_name(pl.col("payer")).alias("norm"))
    cands = _timed(f"best_name_candidates {args.names:,} x {args.names:,} (half typos)",
                   lambda: best_name_candidates(queries, refs, query_id="payment_id",
                                                query_name="norm", ref_id="party_id",
                                                ref_name="norm"))
    print(f"  candidates: {cands.height:,}, queries with one: "
          f"{cands.get_column('payment_id').n_unique():,}")

    amounts = [rng.randint(1_000, 500_000) for _ in range(60)]
    target = sum(amounts[i] for i in (3, 17, 29, 41, 52))
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        find_combinations(amounts, target, k_min=2, k_max=6, max_solutions=20, max_items=60,
                      tolerance=0)
    print(f"{'find_combinations n=60 k<=6 random cents (mean)':<58} "
          f"{(time.perf_counter() - start) / runs:8.3f} s")
    round_amounts = [5_000 * rng.randint(1, 6) for _ in range(60)]
    start = time.perf_counter()
    sols = find_combinations(round_amounts, 60_000, k_min=2, k_max=6, max_solutions=20,
                             max_items=60, tolerance=0)
    print(f"{'find_combinations n=60 k<=6 round 50 EUR amounts':<58} "
          f"{time.perf_counter() - start:8.3f} s ({len(sols)} solutions, capped)")


if __name__ == "__main__":
    main()
