"""Generate a deterministic sample month: native source files, canonical tables, ground truth.

    python -m data_samples.generate --out DIR --clients N --seed S --month YYYY-MM
                                    [--history-months 2] [--no-native] [--volume bench]
                                    [--orders-per-client F] [--scenarios-per-100 K]
                                    [--dialect classic|stripe_default|messy_erp]

The world (`model`) gets its exceptions and decoys (`scenarios`); this module then derives the
ERP ledger (sales and bank journals, lettering), the bank statement of the month, the canonical
tables, the truth files, and writes everything. Same arguments, byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from data_samples import (
    business,
    conventions,
    history,
    native_writers,
    payments,
    psp,
    scenarios,
)
from data_samples.dialects import CLASSIC, DIALECTS, Dialect
from data_samples.ledger import bank_entries, build_ledger, fec_frame, fec_name
from data_samples.model import VOLUMES, Volume, World
from data_samples.tables import (
    canonical_commitments,
    canonical_frame,
    canonical_invoices,
    canonical_ledger,
    canonical_parties,
    canonical_payments,
    month_entries,
)
from data_samples.truth import truth_tables


# =========================================================================== world
def build(n_clients: int, seed: int, month: date, history_months: int = 2,
          volume: Volume = VOLUMES["default"], dialect: Dialect = CLASSIC) -> World:
    """The complete world: ordinary business plus every scenario, documents numbered."""
    world = business.build_world(n_clients, seed, month, history_months, volume, dialect)
    if not dialect.classic:
        conventions.before_scenarios(world)
    scenarios.inject_invoice_scenarios(world)
    if not dialect.classic:
        conventions.after_invoice_scenarios(world)
    payments.number_documents(world)
    payments.plan_payments(world)
    scenarios.inject_payment_scenarios(world)
    payments.number_documents(world)
    if not dialect.classic:
        psp.route_through_stripe(world)
    history.apply_history_habits(world)
    return world


# =========================================================================== output
def generate(out: Path, n_clients: int, seed: int, month: date, history_months: int = 2,
             native: bool = True, volume: Volume = VOLUMES["default"],
             dialect: Dialect = CLASSIC) -> dict[str, Any]:
    """Build the world and write canonical/, truth/ and (unless native=False) native/."""
    world = build(n_clients, seed, month, history_months, volume, dialect)
    entries = bank_entries(world)
    ledger = build_ledger(world, entries)
    fec = fec_frame(world, ledger)
    tables = {
        "parties": canonical_parties(world, fec),
        "commitments": canonical_commitments(world),
        "invoices": canonical_invoices(world),
        "ledger_lines": canonical_ledger(world, ledger),
        "payments": canonical_payments(world, entries),
    }
    psp_rows = psp.canonical_rows(world)
    if psp_rows:  # realistic dialects with Stripe payers only: classic writes no such file
        tables["settlement_lines"] = canonical_frame("settlement_lines", psp_rows)
    truth = truth_tables(world, entries, ledger, tables["parties"])
    (out / "canonical").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.write_csv(out / "canonical" / f"{name}.csv", line_terminator="\n")
    for name, df in truth.items():
        df.write_csv(out / "truth" / f"{name}.csv", line_terminator="\n")
    if native:
        native_writers.write_all(world, month_entries(world, entries), fec, out / "native",
                                 fec_name(world))
    summary = _summary(world, tables, truth, fec, n_clients, seed, history_months)
    if volume != VOLUMES["default"]:
        summary["arguments"]["volume"] = {"orders_per_client": volume.orders_per_client,
                                          "scenarios_per_100": volume.scenarios_per_100}
    if not dialect.classic:
        summary["arguments"]["dialect"] = dialect.name
    (out / "truth" / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True)
                                                + "\n", encoding="utf-8")
    return summary


def _summary(world: World, tables: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame],
             fec: pl.DataFrame, n_clients: int, seed: int, history: int) -> dict[str, Any]:
    def counts(df: pl.DataFrame, col: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in df.group_by(col).len().sort(col).iter_rows()}

    return {
        "arguments": {"clients": n_clients, "seed": seed, "month": f"{world.month:%Y-%m}",
                      "history_months": history},
        "canonical_rows": {k: v.height for k, v in tables.items()},
        "fec_lines": fec.height,
        "fec_entries": fec.select("JournalCode", "EcritureNum").n_unique(),
        "payments_all_months": len(world.payments),
        "documents": counts(tables["invoices"], "doc_type"),
        "exceptions": counts(truth["exceptions"], "category"),
        "links": counts(truth["links"], "kind"),
        "decoys": truth["decoys"].height,
        "normal_cases": counts(truth["normal_cases"], "case"),
        "truth_parties": counts(truth["parties"], "system"),
    }


def _month(text: str) -> date:
    try:
        year, mon = text.split("-")
        return date(int(year), int(mon), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month: {text!r} (expected YYYY-MM)") from None


def _volume(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Volume:
    """The preset, with the explicit --orders-per-client / --scenarios-per-100 on top."""
    preset = VOLUMES[args.volume]
    orders = preset.orders_per_client if args.orders_per_client is None \
        else args.orders_per_client
    per_100 = preset.scenarios_per_100 if args.scenarios_per_100 is None \
        else args.scenarios_per_100
    if orders < 0 or per_100 < 1:
        parser.error("--orders-per-client must be >= 0 and --scenarios-per-100 >= 1")
    return Volume(orders_per_client=orders, scenarios_per_100=per_100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_samples.generate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--month", type=_month, required=True)
    parser.add_argument("--history-months", type=int, default=2)
    parser.add_argument("--no-native", action="store_true")
    parser.add_argument("--volume", choices=sorted(VOLUMES), default="default",
                        help="bench: ~3.3 invoices and bank payments per client in the month")
    parser.add_argument("--orders-per-client", type=float, default=None,
                        help="extra one-off orders per client, due and paid in the month")
    parser.add_argument("--scenarios-per-100", type=int, default=None,
                        help="instances of each exception per 100 clients")
    parser.add_argument("--dialect", choices=list(DIALECTS), default="classic",
                        help="export conventions (classic: the committed sample's)")
    args = parser.parse_args(argv)
    volume = _volume(parser, args)
    try:
        summary = generate(args.out, args.clients, args.seed, args.month, args.history_months,
                           native=not args.no_native, volume=volume,
                           dialect=DIALECTS[args.dialect])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("canonical_rows", "fec_lines", "exceptions")},
                     indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
