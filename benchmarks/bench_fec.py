"""Benchmark: write then load a valid FEC of about 400k lines (133k entries).

Sales entries (411 debit / 706 credit / 44571 credit) and SEPA batch receipts (512 debit /
two 411 credits, lettered). Run: `.venv/bin/python benchmarks/bench_fec.py [n_lines]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from reconkit.export.fec import fec_filename, write_fec
from reconkit.loaders.fec import load_fec

_START = date(2024, 1, 1)


def _day(i: pl.Expr) -> pl.Expr:
    return pl.lit(_START) + pl.duration(days=(i % 365).cast(pl.Int32))


def _customer(invoice: pl.Expr) -> pl.Expr:
    return pl.format("C{}", (invoice % 5000).cast(pl.String).str.zfill(5))


def _net(invoice: pl.Expr) -> pl.Expr:
    return (invoice * 7919 % 900_000 + 10_000).cast(pl.Int64)


def _line(base: pl.DataFrame, k: int, account: str, label: str, aux: pl.Expr | None,
          debit: pl.Expr, credit: pl.Expr, letter: pl.Expr | None) -> pl.DataFrame:
    none = pl.lit(None, pl.String)
    return base.select(
        "i", pl.lit(k).alias("k"), "JournalCode", "JournalLib", "EcritureNum", "EcritureDate",
        pl.lit(account).alias("CompteNum"), pl.lit(label).alias("CompteLib"),
        (none if aux is None else aux).alias("CompAuxNum"),
        (none if aux is None else pl.format("CLIENT {}", aux)).alias("CompAuxLib"),
        "PieceRef", "PieceDate", "EcritureLib",
        debit.cast(pl.Int64).alias("debit_cents"), credit.cast(pl.Int64).alias("credit_cents"),
        (none if letter is None else letter).alias("EcritureLet"),
        (pl.lit(None, pl.Date) if letter is None else pl.col("EcritureDate")).alias("DateLet"),
        "ValidDate",
    )


def sales_entries(n: int, lettered: int) -> pl.DataFrame:
    """n invoices of 3 lines: 411 debit incl. VAT, 706 credit net, 445710 credit VAT (20%).

    The first `lettered` invoices are paid (lettered `L<i>` on their customer's account).
    """
    base = pl.DataFrame(pl.int_range(n, eager=True).alias("i")).with_columns(
        pl.lit("VT").alias("JournalCode"), pl.lit("Ventes").alias("JournalLib"),
        pl.format("VT{}", pl.col("i").cast(pl.String).str.zfill(7)).alias("EcritureNum"),
        _day(pl.col("i")).alias("EcritureDate"), pl.format("INV-{}", pl.col("i")).alias("PieceRef"),
        _day(pl.col("i")).alias("PieceDate"),
        pl.format("Facture INV-{}", pl.col("i")).alias("EcritureLib"),
        _day(pl.col("i")).alias("ValidDate"),
    )
    net = _net(pl.col("i"))
    letter = pl.when(pl.col("i") < lettered).then(pl.format("L{}", pl.col("i")))
    zero = pl.lit(0)
    return pl.concat([
        _line(base, 0, "411000", "Clients", _customer(pl.col("i")), net + net // 5, zero, letter),
        _line(base, 1, "706000", "Prestations de services", None, zero, net, None),
        _line(base, 2, "445710", "TVA collectee", None, zero, net // 5, None),
    ]).sort("i", "k").drop("i", "k")


def bank_entries(n: int) -> pl.DataFrame:
    """n SEPA batch receipts of 3 lines: 512 debit, 411 credits paying invoices 2i and 2i+1."""
    base = pl.DataFrame(pl.int_range(n, eager=True).alias("i")).with_columns(
        pl.lit("BQ1").alias("JournalCode"), pl.lit("Banque BNP").alias("JournalLib"),
        pl.format("BQ{}", pl.col("i").cast(pl.String).str.zfill(7)).alias("EcritureNum"),
        _day(pl.col("i") * 2 + 1).alias("EcritureDate"),
        pl.format("REM{}", pl.col("i")).alias("PieceRef"),
        _day(pl.col("i") * 2 + 1).alias("PieceDate"),
        pl.lit("REMISE PRLV SEPA").alias("EcritureLib"),
        _day(pl.col("i") * 2 + 1).alias("ValidDate"),
    )
    a, b = pl.col("i") * 2, pl.col("i") * 2 + 1
    due_a, due_b = _net(a) + _net(a) // 5, _net(b) + _net(b) // 5
    zero = pl.lit(0)
    return pl.concat([
        _line(base, 0, "512100", "Banque BNP", None, due_a + due_b, zero, None),
        _line(base, 1, "411000", "Clients", _customer(a), zero, due_a, pl.format("L{}", a)),
        _line(base, 2, "411000", "Clients", _customer(b), zero, due_b, pl.format("L{}", b)),
    ]).sort("i", "k").drop("i", "k")


def main(n_lines: int = 400_000) -> None:
    n_sales = n_lines * 33 // 40 // 3
    n_bank = (n_lines - 3 * n_sales) // 3
    entries = pl.concat([sales_entries(n_sales, 2 * n_bank), bank_entries(n_bank)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / fec_filename("123456782", date(2024, 12, 31))
        t0 = time.perf_counter()
        write_fec(entries, path)
        t_write = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = load_fec(path)
        t_load = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
    n = loaded.rows_read[path.name]
    print(f"FEC: {n} lines, {n_sales + n_bank} entries, {size_mb:.1f} MB")
    print(f"write_fec: {t_write:.2f} s")
    print(f"load_fec:  {t_load:.2f} s ({n / t_load:,.0f} lines/s); "
          f"{loaded.tables['ledger_lines'].height} ledger lines, "
          f"{loaded.tables['parties'].height} parties, {loaded.quarantine.height} quarantined, "
          f"{len(loaded.warnings)} warnings")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400_000)
