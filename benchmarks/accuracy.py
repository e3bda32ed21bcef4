"""Accuracy benchmark: run reconkit on generated months (several seeds, every dialect) and score
it against their ground truth, beside a naive exact-number baseline on the same months.

Realistic dialects run from their native exports (Salesforce CSV, Stripe JSON, FEC, camt.053):
that is what a user has. `classic` (the engine's own conventions) runs from the canonical files
unless `--native-classic`. Targets are issue 7's.

Usage: python benchmarks/accuracy.py [--seeds 1 2 3] [--clients 300] [--volume bench]
                                     [--dialects classic stripe_default messy_erp]
                                     [--native-classic | --canonical] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_samples.dialects import DIALECTS
from data_samples.evaluate import Truth, evaluate
from data_samples.run_configs import generate
from reconkit import load_config, run

TARGETS = {"auto_precision": 0.999, "clean_auto_recall": 0.99,
           "invoice_commitment_auto_recall": 0.95, "category_recall": 0.95,
           "false_alarm_rate": 0.01}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--dialects", nargs="+", choices=list(DIALECTS), default=list(DIALECTS))
    ap.add_argument("--volume", default="default", choices=["default", "bench"],
                    help="generator volume preset (bench: ~3 invoices and payments per client)")
    ap.add_argument("--scenarios-per-100", type=float, default=None,
                    help="exception instances per category per 100 clients")
    ap.add_argument("--native-classic", action="store_true",
                    help="run classic from its native exports too (default: canonical files)")
    ap.add_argument("--canonical", action="store_true",
                    help="run every dialect from its canonical files (isolates the loaders)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    extra: tuple[str, ...] = ("--volume", args.volume)
    if args.scenarios_per_100 is not None:
        extra += ("--scenarios-per-100", str(int(args.scenarios_per_100)))
    rows: list[tuple[str, int, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialects:
            native = (dialect != "classic" or args.native_classic) and not args.canonical
            for seed in args.seeds:
                month = generate(Path(tmp) / f"{dialect}_{seed}", clients=args.clients,
                                 seed=seed, period=args.period, native=True, extra=extra,
                                 quiet=True, dialect=dialect)
                cfg = month / ("run_native.yaml" if native else "run_canonical.yaml")
                rep = evaluate(run(load_config(cfg)), Truth.read(month))
                rows.append((dialect, seed, rep))
                if not args.json:
                    _print(dialect, seed, "native" if native else "canonical", rep)
    if args.json:
        print(json.dumps({f"{d}/{s}": r for d, s, r in rows}, indent=2, default=str))
        return
    _print_table(rows)


def figures(rep: dict[str, Any]) -> dict[str, Any]:
    """The issue-7 figures of one month."""
    links = rep["links"]
    pi, ic = links["payment_invoice"], links.get("invoice_commitment")
    cats = rep["exceptions"]
    worst = min(((v["recall"], c) for c, v in cats.items()), default=(1.0, "-"))
    worst = worst if worst[0] < 1.0 else (1.0, "-")
    fa = rep.get("false_alarms", {})
    base = rep.get("baseline", {})
    return {
        "pi_auto_p": pi["auto"]["precision"], "overall_auto_p": rep["overall_auto_precision"],
        "pi_auto_r": pi["auto"]["recall"],
        "clean_auto_r": rep.get("clean_payment_links", {}).get("auto_recall"),
        "pi_review_r": pi["auto_or_review"]["recall"],
        "ic_auto_r": ic["auto"]["recall"] if ic else None,
        "worst_cat": worst, "false_alarms": fa.get("rate"),
        "false_alarms_no_info": fa.get("rate_without_catalog_info"),
        "party_f1": rep["parties"]["reconkit"]["f1"],
        "base_p": base.get("all", {}).get("precision"),
        "base_r": base.get("all", {}).get("recall"), "base_clean_r": base.get("clean_recall"),
    }


def _fmt(x: float | None) -> str:
    return "   -  " if x is None else f"{x:.4f}"


def _ok(x: float | None, target: float, higher: bool = True) -> str:
    if x is None:
        return ""
    return "OK" if (x >= target if higher else x <= target) else "MISS"


def _print(dialect: str, seed: int, source: str, rep: dict[str, Any]) -> None:
    f = figures(rep)
    print(f"\n=== dialect {dialect}, seed {seed} ({source} exports) ===")
    print(f"{'link':<22}{'auto P':>8}{'auto R':>8}{'a+r P':>8}{'a+r R':>8}{'true':>7}")
    for kind, r in rep["links"].items():
        a, ar = r["auto"], r["auto_or_review"]
        print(f"{kind:<22}{a['precision']:>8.4f}{a['recall']:>8.4f}{ar['precision']:>8.4f}"
              f"{ar['recall']:>8.4f}{a['true']:>7}")
    t = TARGETS
    print(f"auto precision payment->invoice {_fmt(f['pi_auto_p'])}, overall "
          f"{_fmt(f['overall_auto_p'])} (target >= {t['auto_precision']}) "
          f"{_ok(f['pi_auto_p'], t['auto_precision'])}")
    cl = rep.get("clean_payment_links", {})
    print(f"auto recall, all payment links {_fmt(f['pi_auto_r'])}; clean identifiable links "
          f"{cl.get('auto', '-')}/{cl.get('true', '-')} = {_fmt(f['clean_auto_r'])} "
          f"(target >= {t['clean_auto_recall']}) {_ok(f['clean_auto_r'], t['clean_auto_recall'])}")
    print(f"recall including review, payment links {_fmt(f['pi_review_r'])}")
    print(f"invoice->commitment auto recall {_fmt(f['ic_auto_r'])} (target >= "
          f"{t['invoice_commitment_auto_recall']}) "
          f"{_ok(f['ic_auto_r'], t['invoice_commitment_auto_recall'])}")
    print("exception recall per category (target >= 95% each):")
    for cat, r in rep["exceptions"].items():
        print(f"  {cat:<30} {r['detected']:>3}/{r['true']:<3} {r['recall']:>7.2%} "
              f"{_ok(r['recall'], t['category_recall'])}")
    fa = rep.get("false_alarms")
    if fa:
        print(f"false alarms on clean records: {fa['flagged']}/{fa['clean']} = {fa['rate']:.2%} "
              f"(target <= 1%) {_ok(fa['rate'], t['false_alarm_rate'], higher=False)}; "
              f"without the catalog's info categories {fa['rate_without_catalog_info']:.2%}")
        print("  by kind: " + ", ".join(f"{k} {n}/{m}" for k, (n, m) in fa["by_kind"].items()))
        print("  by cause: " + ", ".join(f"{k} {n}" for k, n in fa["by_category"].items()))
    p = rep["parties"]
    print(f"party map F1 {p['reconkit']['f1']:.4f} (exact-normalised-name baseline "
          f"{p['baseline_exact_normalised_name']['f1']:.4f})")
    b = rep.get("baseline")
    if b:
        print(f"naive baseline (exact number verbatim + exact amount): precision "
              f"{b['all']['precision']:.4f}, recall {b['all']['recall']:.4f}, clean recall "
              f"{_fmt(b.get('clean_recall'))}")
    print(f"decoy payments auto-matched: {len(rep['decoys_auto_matched'])}")


def _print_table(rows: list[tuple[str, int, dict[str, Any]]]) -> None:
    t = TARGETS
    print("\n=== summary (targets: auto P >= 0.999, clean auto R >= 0.99, inv->commit auto R >= "
          "0.95, every category >= 0.95, false alarms <= 1%) ===")
    head = (f"{'dialect':<15}{'seed':>5}{'autoP':>8}{'allP':>8}{'autoR':>8}{'cleanR':>8}"
            f"{'revR':>8}{'icR':>8}{'minCat':>8}  {'worst category':<28}{'FA':>8}{'FA-info':>8}"
            f"{'partyF1':>8}{'baseP':>8}{'baseR':>8}{'baseCl':>8}")
    print(head)
    for dialect, seed, rep in rows:
        f = figures(rep)
        print(f"{dialect:<15}{seed:>5}{_fmt(f['pi_auto_p']):>8}{_fmt(f['overall_auto_p']):>8}"
              f"{_fmt(f['pi_auto_r']):>8}{_fmt(f['clean_auto_r']):>8}{_fmt(f['pi_review_r']):>8}"
              f"{_fmt(f['ic_auto_r']):>8}{_fmt(f['worst_cat'][0]):>8}  {f['worst_cat'][1]:<28}"
              f"{_fmt(f['false_alarms']):>8}{_fmt(f['false_alarms_no_info']):>8}"
              f"{_fmt(f['party_f1']):>8}{_fmt(f['base_p']):>8}{_fmt(f['base_r']):>8}"
              f"{_fmt(f['base_clean_r']):>8}")
    for dialect in dict.fromkeys(d for d, _, _ in rows):
        reps = [r for d, _, r in rows if d == dialect]
        if len(reps) > 1:
            _print_pooled(dialect, reps)
    met = [all((
        (f := figures(rep))["pi_auto_p"] >= t["auto_precision"],
        (f["clean_auto_r"] or 0) >= t["clean_auto_recall"],
        (f["ic_auto_r"] or 0) >= t["invoice_commitment_auto_recall"],
        f["worst_cat"][0] >= t["category_recall"],
        (f["false_alarms"] if f["false_alarms"] is not None else 1) <= t["false_alarm_rate"],
    )) for _, _, rep in rows]
    print(f"months meeting every target: {sum(met)}/{len(met)}")


def _pool(reps: list[dict[str, Any]], kind: str, level: str) -> tuple[float, float]:
    tp = sum(r["links"][kind][level]["true_positives"] for r in reps if kind in r["links"])
    pred = sum(r["links"][kind][level]["predicted"] for r in reps if kind in r["links"])
    true = sum(r["links"][kind][level]["true"] for r in reps if kind in r["links"])
    return (tp / pred if pred else 1.0, tp / true if true else 1.0)


def _print_pooled(dialect: str, reps: list[dict[str, Any]]) -> None:
    """One row pooling every seed of a dialect (sums of counts, not means of rates)."""
    p, r = _pool(reps, "payment_invoice", "auto")
    _, rr = _pool(reps, "payment_invoice", "auto_or_review")
    _, ic = _pool(reps, "invoice_commitment", "auto")
    tp = sum(v["auto"]["true_positives"] for x in reps for v in x["links"].values())
    pred = sum(v["auto"]["predicted"] for x in reps for v in x["links"].values())
    cl = [x["clean_payment_links"] for x in reps if "clean_payment_links" in x]
    clean = sum(c["auto"] for c in cl) / max(sum(c["true"] for c in cl), 1) if cl else None
    cats: dict[str, list[int]] = {}
    for x in reps:
        for c, v in x["exceptions"].items():
            cats.setdefault(c, [0, 0])
            cats[c][0] += v["detected"]
            cats[c][1] += v["true"]
    worst = min(((d / t, c) for c, (d, t) in cats.items()), default=(1.0, "-"))
    worst = worst if worst[0] < 1.0 else (1.0, "-")
    fa = [x["false_alarms"] for x in reps if "false_alarms" in x]
    rate = sum(f["flagged"] for f in fa) / max(sum(f["clean"] for f in fa), 1) if fa else None
    info = (sum(f["rate_without_catalog_info"] * f["clean"] for f in fa)
            / max(sum(f["clean"] for f in fa), 1)) if fa else None
    f1 = sum(x["parties"]["reconkit"]["f1"] for x in reps) / len(reps)
    bt = [x["baseline"]["all"] for x in reps if "baseline" in x]
    btp = sum(b["true_positives"] for b in bt)
    bp = btp / max(sum(b["predicted"] for b in bt), 1) if bt else None
    br = btp / max(sum(b["true"] for b in bt), 1) if bt else None
    print(f"{dialect:<15}{'all':>5}{_fmt(p):>8}{_fmt(tp / pred if pred else 1.0):>8}"
          f"{_fmt(r):>8}{_fmt(clean):>8}{_fmt(rr):>8}{_fmt(ic):>8}{_fmt(worst[0]):>8}  "
          f"{worst[1]:<28}{_fmt(rate):>8}{_fmt(info):>8}{_fmt(f1):>8}{_fmt(bp):>8}"
          f"{_fmt(br):>8}{'':>8}")


if __name__ == "__main__":
    main()
