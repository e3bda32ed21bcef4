"""Accuracy benchmark: run reconkit on generated months (several seeds) and score it against
their ground truth. Prints figures; targets are in the issue / README.

Usage: python benchmarks/accuracy.py [--seeds 1 2 3] [--clients 300]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_samples.evaluate import Truth, evaluate
from data_samples.run_configs import generate
from reconkit import load_config, run

TARGETS = {"auto_precision": 0.995, "auto_recall": 0.90, "auto_or_review_recall": 0.98,
           "exception_recall": 0.90}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--volume", default="default", choices=["default", "bench"],
                    help="generator volume preset (bench: ~3 invoices and payments per client)")
    ap.add_argument("--scenarios-per-100", type=float, default=None,
                    help="exception instances per category per 100 clients")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    extra = ("--volume", args.volume)
    if args.scenarios_per_100 is not None:
        extra += ("--scenarios-per-100", str(args.scenarios_per_100))
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            month = generate(Path(tmp) / f"seed{seed}", clients=args.clients, seed=seed,
                             period=args.period, native=False, extra=extra)
            result = run(load_config(month / "run_canonical.yaml"))
            reports.append((seed, evaluate(result, Truth.read(month))))
    if args.json:
        print(json.dumps({str(s): r for s, r in reports}, indent=2, default=str))
        return
    for seed, rep in reports:
        _print(seed, rep)
    _print_overall(reports)


def _print(seed: int, rep: dict) -> None:
    print(f"\n=== seed {seed} ===")
    print(f"{'link':<22}{'auto P':>8}{'auto R':>8}{'a+r P':>8}{'a+r R':>8}{'true':>7}")
    for kind, r in rep["links"].items():
        a, ar = r["auto"], r["auto_or_review"]
        print(f"{kind:<22}{a['precision']:>8.4f}{a['recall']:>8.4f}{ar['precision']:>8.4f}"
              f"{ar['recall']:>8.4f}{a['true']:>7}")
    p = rep["parties"]
    print(f"party map F1: reconkit {p['reconkit']['f1']:.4f} (P {p['reconkit']['precision']:.4f} "
          f"R {p['reconkit']['recall']:.4f}) vs exact-normalised-name baseline "
          f"{p['baseline_exact_normalised_name']['f1']:.4f}")
    print("exception recall per category:")
    for cat, r in rep["exceptions"].items():
        print(f"  {cat:<30} {r['detected']:>3}/{r['true']:<3} {r['recall']:.2%}")
    s = rep["summary"]
    b, i = s["auto_match_bank_lines"], s["auto_match_invoices"]
    print(f"auto-match rate, bank lines: {b['auto_rate_by_count']:.2%} by count, "
          f"{b['auto_rate_by_amount']:.2%} by amount; invoices: {i['auto_rate_by_count']:.2%} "
          f"by count, {i['auto_rate_by_amount']:.2%} by amount")
    print(f"decoy payments auto-matched: {len(rep['decoys_auto_matched'])}")
    m = rep["mechanical_payment_links"]
    print(f"payment links without an injected exception or decoy: {m['auto']}/{m['true']} "
          f"auto-matched ({m['auto_recall']:.2%})")


def _print_overall(reports: list) -> None:
    def pooled(kind: str, level: str) -> tuple[float, float]:
        tp = sum(r["links"][kind][level]["true_positives"] for _, r in reports)
        pred = sum(r["links"][kind][level]["predicted"] for _, r in reports)
        true = sum(r["links"][kind][level]["true"] for _, r in reports)
        return (tp / pred if pred else 1.0, tp / true if true else 1.0)

    ap, ar = pooled("payment_invoice", "auto")
    _, rr = pooled("payment_invoice", "auto_or_review")
    cats: dict[str, list[int]] = {}
    for _, r in reports:
        for c, v in r["exceptions"].items():
            cats.setdefault(c, [0, 0])
            cats[c][0] += v["detected"]
            cats[c][1] += v["true"]
    worst = min((d / t, c) for c, (d, t) in cats.items())
    print("\n=== pooled over seeds (payment -> invoice) ===")
    print(f"auto precision {ap:.4f} (target >= {TARGETS['auto_precision']}) "
          f"{'OK' if ap >= TARGETS['auto_precision'] else 'MISS'}")
    print(f"auto recall {ar:.4f} (target >= {TARGETS['auto_recall']}) "
          f"{'OK' if ar >= TARGETS['auto_recall'] else 'MISS'}")
    print(f"auto+review recall {rr:.4f} (target >= {TARGETS['auto_or_review_recall']}) "
          f"{'OK' if rr >= TARGETS['auto_or_review_recall'] else 'MISS'}")
    print(f"lowest exception-category recall {worst[0]:.2%} ({worst[1]}) (target >= 90%) "
          f"{'OK' if worst[0] >= TARGETS['exception_recall'] else 'MISS'}")
    decoys = sum(len(r["decoys_auto_matched"]) for _, r in reports)
    print(f"decoy payments auto-matched: {decoys}")
    mech_auto = sum(r["mechanical_payment_links"]["auto"] for _, r in reports)
    mech_true = sum(r["mechanical_payment_links"]["true"] for _, r in reports)
    print(f"auto recall on links without an injected exception or decoy: "
          f"{mech_auto}/{mech_true} = {mech_auto / max(mech_true, 1):.4f} (the ceiling of auto "
          "recall is this share of links; exceptions and decoys go to review by design)")


if __name__ == "__main__":
    main()
