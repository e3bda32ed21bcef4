"""Reading CSV, XLSX and Parquet into one frame of text columns plus `source_row` (the row a
person would look at), header rows, footers and layout rows dropped; values stay text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.loaders._text import detect_encoding, sniff_delimiter
from reconkit.loaders.profile import (
    ReadOptions,
)

ROW: Final = "__rk_source_row"
FORMATS: Final = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx",
                   ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
TRUE_WORDS: Final = ("true", "t", "yes", "y", "1", "oui", "o", "vrai")
FALSE_WORDS: Final = ("false", "f", "no", "n", "0", "non", "faux")


@dataclass(frozen=True)
class RawTable:
    """A file read as text: one String column per header, plus ROW (Int64 source_row)."""

    frame: pl.DataFrame
    footer_rows: tuple[int, ...] = ()


# --------------------------------------------------------------------------------- loader


def read_csv_text(path: Path, read: ReadOptions) -> RawTable:
    """Read a delimited text file as strings with its real line numbers.

    Encoding and delimiter are detected unless given. Line numbers stay right across quoted
    fields holding newlines: a line starts a record when the quotes before it are balanced.
    """
    raw = path.read_bytes()
    encoding = detect_encoding(raw) if read.encoding == "auto" else read.encoding
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            f"cannot be read as {encoding} text (byte 0x{raw[exc.start]:02X})",
            source_file=path.name, row=raw[:exc.start].count(b"\n") + 1,
            hint="save the export as UTF-8, or set read.encoding in the mapping profile",
        ) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    offset = min(read.skip_rows, len(lines))
    while offset < len(lines) and not lines[offset].strip():
        offset += 1
    if offset >= len(lines):
        return RawTable(pl.DataFrame(schema={ROW: pl.Int64}))
    lines = lines[offset:]
    sep = sniff_delimiter(lines[0]) if read.delimiter == "auto" else read.delimiter
    frame, starts = _parse_delimited(lines, sep, read.quote_char, path.name, offset)
    frame = frame.rename(dict(zip(frame.columns, _unique_headers(frame.columns), strict=True)))
    frame = frame.with_columns(pl.Series(ROW, starts, dtype=pl.Int64))
    return _drop_layout_rows(frame, read.footer == "single_cell")


def _parse_delimited(lines: list[str], sep: str, quote: str | None, source_file: str,
                     offset: int) -> tuple[pl.DataFrame, list[int]]:
    """Parse with polars (fast path); fall back to the csv module on irregular quoting."""
    starts = _record_starts(lines, quote)
    body = "\n".join(lines).encode("utf-8")
    try:
        frame = pl.read_csv(io.BytesIO(body), separator=sep, quote_char=quote,
                            infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError:
        frame = None
    if frame is not None and len(starts) == frame.height + 1:
        return frame, [offset + i + 1 for i in starts[1:]]
    return _parse_with_csv_module(lines, sep, quote, source_file, offset)


def _record_starts(lines: list[str], quote: str | None) -> list[int]:
    """0-based indexes of the lines that begin a record (quotes balanced before them)."""
    if quote is None:
        return list(range(len(lines)))
    counts = pl.Series(lines, dtype=pl.String).str.count_matches(quote, literal=True)
    before = counts.cum_sum() - counts
    return (before % 2 == 0).arg_true().to_list()


def _parse_with_csv_module(lines: list[str], sep: str, quote: str | None, source_file: str,
                           offset: int) -> tuple[pl.DataFrame, list[int]]:
    reader = csv.reader(io.StringIO("\n".join(lines) + "\n"), delimiter=sep,
                        quotechar=quote or '"',
                        quoting=csv.QUOTE_NONE if quote is None else csv.QUOTE_MINIMAL,
                        strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    line_no = 0
    try:
        header = next(reader)
        line_no = reader.line_num
        for row in reader:
            starts.append(offset + line_no + 1)
            line_no = reader.line_num
            rows.append(row)
    except csv.Error as exc:
        raise SourceFormatError(f"cannot be read as CSV: {exc}", source_file=source_file,
                                row=offset + line_no + 1,
                                hint="check the quotes on that line, or re-export the file",
                                ) from None
    except StopIteration:
        return pl.DataFrame(schema={}), []
    names = _unique_headers(header)
    for row, line in zip(rows, starts, strict=True):
        if len(row) > len(names) and any(v.strip() for v in row[len(names):]):
            raise SourceFormatError(
                f"this line has {len(row)} fields but the header has {len(names)}",
                source_file=source_file, row=line,
                hint=f"check for an unquoted '{sep}' inside a value, or the delimiter")
    width = len(names)
    padded = [(row + [""] * width)[:width] for row in rows]
    data = {n: [r[i] or None for r in padded] for i, n in enumerate(names)}
    return pl.DataFrame(data, schema={n: pl.String for n in names}), starts


def _unique_headers(header: list[str]) -> list[str]:
    """Header labels as matched: stripped; a repeated one (`No` and ` No` too) gets
    `_duplicated_<n>`, so the first keeps its name and no column is lost or merged."""
    taken: set[str] = set()
    out = []
    for label in header:
        name = label = label.strip()
        n = 0
        while name in taken:
            name = f"{label}_duplicated_{n}"
            n += 1
        taken.add(name)
        out.append(name)
    return out


def _drop_layout_rows(frame: pl.DataFrame, strip_footer: bool) -> RawTable:
    """Drop fully blank rows, and trailing one-cell rows (report footers) when asked."""
    data_cols = [c for c in frame.columns if c != ROW]
    if not data_cols:
        return RawTable(frame)
    filled = pl.sum_horizontal(
        [(pl.col(c).str.strip_chars().fill_null("") != "").cast(pl.Int32) for c in data_cols])
    frame = frame.with_columns(filled.alias("__rk_filled")).filter(pl.col("__rk_filled") > 0)
    footer: tuple[int, ...] = ()
    if strip_footer and frame.height:
        multi = frame.select((pl.col("__rk_filled") > 1).arg_true()).to_series()
        last = multi.max()  # None when every row is a one-cell row
        keep = last + 1 if isinstance(last, int) else 0
        footer = tuple(frame[ROW][keep:].to_list())
        frame = frame.head(keep)
    return RawTable(frame.drop("__rk_filled"), footer)


# --------------------------------------------------------------------------------- XLSX


def read_xlsx_text(path: Path, read: ReadOptions, decimals: dict[str, str]) -> RawTable:
    """Read one sheet as text; source_row is the Excel row number.

    Date cells become ISO text; numeric cells are written with the decimal separator the
    profile expects for that column, so one parser serves CSV and Excel alike.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SourceFormatError(f"cannot be opened as an Excel workbook ({exc})",
                                source_file=path.name,
                                hint="save it as .xlsx from Excel, or export CSV") from None
    try:
        ws = _sheet(wb, read.sheet, path.name)
        header: list[str] | None = None
        columns: list[list[str | None]] = []
        rows: list[int] = []
        first = read.skip_rows + 1
        for number, values in enumerate(ws.iter_rows(min_row=first, values_only=True), first):
            if header is None:
                if all(v is None or str(v).strip() == "" for v in values):
                    continue
                header = _unique_headers([_cell_text(v, ".") or "" for v in values])
                seps = [decimals.get(h.casefold(), ".") for h in header]
                columns = [[] for _ in header]
                continue
            rows.append(number)
            for i, col in enumerate(columns):
                col.append(_cell_text(values[i], seps[i]) if i < len(values) else None)
    finally:
        wb.close()
    if header is None:
        return RawTable(pl.DataFrame(schema={ROW: pl.Int64}))
    frame = pl.DataFrame({h: c for h, c in zip(header, columns, strict=True)},
                         schema={h: pl.String for h in header})
    frame = frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
    return _drop_layout_rows(frame, read.footer == "single_cell")


def _sheet(wb: Any, sheet: str | int | None, source_file: str) -> Any:
    if sheet is None:
        return wb.worksheets[0]
    try:
        return wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    except (IndexError, KeyError):
        raise SourceFormatError(f"sheet {sheet!r} not found", source_file=source_file,
                                hint=f"sheets present: {', '.join(wb.sheetnames)}") from None


def _cell_text(value: Any, decimal: str) -> str | None:
    """One Excel cell as text: exact for numbers (shortest repr, never float arithmetic)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        text = format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", decimal)
    return str(value)


# ------------------------------------------------------------------------------ Parquet


def read_parquet_text(path: Path, decimals: dict[str, str]) -> RawTable:
    """Read a Parquet file as text columns; source_row is the 1-based record ordinal."""
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceFormatError(f"cannot be read as Parquet ({exc})", source_file=path.name,
                                hint="check the file is a complete Parquet export") from None
    exprs = []
    names = _unique_headers(list(frame.columns))
    for (name, dtype), label in zip(frame.schema.items(), names, strict=True):
        col = pl.col(name)
        text: pl.Expr
        if dtype == pl.Boolean:
            text = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        elif dtype.is_nested() or dtype == pl.Binary:
            raise SourceFormatError(f"column '{name}' holds nested or binary values",
                                    source_file=path.name,
                                    hint="flatten the column before export")
        else:
            text = col.cast(pl.String)
            if dtype.is_float() or dtype.is_decimal():
                text = text.str.replace(r"\.", decimals.get(name.strip().casefold(), "."),
                                        literal=False)
        exprs.append(text.alias(label))
    out = frame.select(exprs).with_row_index(ROW, offset=1) \
        .with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(out.select([*(c for c in out.columns if c != ROW), ROW]))


# ------------------------------------------------------------------------------ mapping
#
# Every profiled column `n` goes through named intermediate columns, one polars stage each,
# so that no parse is computed twice:  __s_n source text -> __p_n after strip_prefix/regex ->
# __u_n after map/default -> __v_n typed value; __x_n map problem, __e_n parse problem,
# __g_n / __y_n sign column text / sign problem; finally __q_n / __k_n value and column shown.
