"""What every PSP settlement loader shares (Stripe payouts, Adyen, PayPal): reading the export
as named text columns, parsing them into `settlement_lines`, and the net = gross - fee check.

A settlement line is seen from the merchant's balance at the PSP: a charge adds its gross, a
refund or dispute takes it back, `fee_cents` is what the PSP kept, `net_cents` = gross - fee;
a payout line moves the balance to the bank (net negative), so the lines of one settlement
(payout, batch, withdrawal) and its payout line sum to zero. Amounts are integer cents,
parsed from text by `reconkit.money` (never a float).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.loaders._text import read_csv_cells
from reconkit.loaders.base import Loaded
from reconkit.loaders.saved import Field, cents_expr, parse_fields
from reconkit.schemas import QUARANTINE_COLUMNS, empty_quarantine

SYSTEM: Final = "psp"
NOT_AN_AMOUNT: Final = "not an amount"
NOT_A_DATE: Final = "not a date"
UNKNOWN_CURRENCY: Final = "not a currency code (expected 3 letters, e.g. EUR)"


def read_columns(path: Path, required: Sequence[str], source: str,
                 aliases: Mapping[str, Sequence[str]] | None = None) -> pl.DataFrame:
    """A CSV export as one text column per header (blank = null) plus `source_row` (the file
    line, header = 1). A missing required column stops the file with a SourceFormatError
    naming it; `aliases` maps a column to other headers exports use for it."""
    if Path(path).is_dir():
        raise SourceFormatError(f"expected a {source} file, got a folder",
                                source_file=Path(path).name, hint="give the CSV file itself")
    cells = read_csv_cells(path)
    header = [h.strip() for h in cells.header]
    lookup = {h.lower(): f"c{i}" for i, h in reversed(list(enumerate(header))) if h}
    renames: dict[str, str] = {}
    for name in {*required, *(aliases or {})}:
        for candidate in (name, *(aliases or {}).get(name, ())):
            if candidate.lower() in lookup:
                renames[lookup[candidate.lower()]] = name
                break
    missing = [c for c in required if c not in renames.values()]
    if missing:
        raise SourceFormatError(
            f"this is not a {source} export: column(s) {', '.join(missing)} missing "
            f"(found: {', '.join(h for h in header if h) or 'no header'})",
            source_file=Path(path).name, row=1,
            hint=f"export the {source} report again with its standard columns")
    frame = cells.cells.select(*(pl.col(c).alias(n) for c, n in sorted(renames.items())),
                               "source_row")
    for name in aliases or {}:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(name))
    return frame.with_columns(pl.lit(Path(path).name).alias("source_file"))


def amount_field(column: str, raw: str, expr: pl.Expr | None = None) -> Field:
    """A money column parsed from major-unit text with the row's currency."""
    return Field(column, raw, expr if expr is not None else
                 cents_expr(pl.col(raw), pl.col("__currency")), NOT_AN_AMOUNT)


def currency_field(raw: str) -> Field:
    cur = pl.col(raw).str.strip_chars().str.to_uppercase()
    return Field("currency", raw, pl.when(cur.str.contains(r"^[A-Z]{3}$")).then(cur),
                 UNKNOWN_CURRENCY)


def parse_lines(raw: pl.DataFrame, fields: Sequence[Field], provider: str,
                extra: Mapping[str, pl.Expr] | None = None,
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse raw columns into settlement lines; a value that does not parse is quarantined
    with its text, and so is a line whose net is not gross - fee (a cut or edited export)."""
    if "__currency" not in raw.columns:
        raw = raw.with_columns(pl.lit(None, pl.String).alias("__currency"))
    fields = [f if not isinstance(f.reason, str) or f.reason else
              Field(f.column, f.raw, f.expr, "cannot be read", f.fast)
              for f in fields]
    lines, quarantine = parse_fields(raw, fields, SYSTEM, {
        "provider": pl.lit(provider), **(extra or {})})
    bad = lines.filter(pl.col("gross_cents") - pl.col("fee_cents") != pl.col("net_cents"))
    if bad.height:
        from reconkit.money import format_cents_expr as fmt

        quarantine = pl.concat([quarantine, bad.select(
            pl.lit(SYSTEM).alias("system"), "source_file", "source_row",
            pl.lit("net").alias("column"), fmt(pl.col("net_cents")).alias("value"),
            pl.format("net differs from gross - fee ({} - {})", fmt(pl.col("gross_cents")),
                      fmt(pl.col("fee_cents"))).alias("reason"))]).cast(
            QUARANTINE_COLUMNS)  # type: ignore[arg-type]
        lines = lines.join(bad.select("source_file", "source_row"),
                           on=["source_file", "source_row"], how="anti")
    return lines, quarantine


def fix_fee_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """A fee line (`stripe_fee`, amount -5.00, fee 0) is what the PSP kept: gross 0, fee 5.00,
    net -5.00, so that the fees of a payout are the sum of `fee_cents`."""
    fee_line = (pl.col("kind") == "fee") & (pl.col("fee_cents") == 0)
    return lines.with_columns(
        pl.when(fee_line).then(-pl.col("gross_cents")).otherwise(pl.col("fee_cents"))
        .alias("fee_cents"),
        pl.when(fee_line).then(0).otherwise(pl.col("gross_cents")).alias("gross_cents"))


def loaded(frames: list[pl.DataFrame], quarantines: list[pl.DataFrame],
           rows_read: dict[str, int], rows_skipped: dict[str, int] | None = None,
           warnings: Sequence[str] = ()) -> Loaded:
    """The `Loaded` of a settlement loader (one `settlement_lines` table)."""
    tables = {"settlement_lines": pl.concat(frames, how="diagonal_relaxed")} if frames else {}
    quarantine = pl.concat([empty_quarantine(), *quarantines], how="vertical") \
        .sort("source_file", "source_row", "column")
    return Loaded(tables=tables, quarantine=quarantine, rows_read=rows_read,
                  rows_skipped=rows_skipped or {}, warnings=tuple(warnings))


def files_of(path: Path, suffixes: tuple[str, ...], source: str) -> list[Path]:
    """The file itself, or the folder's files with these suffixes (sorted)."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if not found:
        raise SourceFormatError(f"no {source} file in this folder", source_file=path.name,
                                hint=f"put the {' or '.join(suffixes)} exports in it")
    return found
