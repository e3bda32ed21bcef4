"""Reading text files as real exports come: unknown encoding, unknown delimiter, any newline."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from reconkit.errors import SourceFormatError

_LATIN9_ONLY = {0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE}  # differ from cp1252/latin-1


def detect_encoding(raw: bytes) -> str:
    """Guess the encoding of a finance export: UTF-8 (with or without BOM), cp1252, ISO-8859-15.

    UTF-8 is tried strictly first. For 8-bit files, bytes 0x80-0x9F are printable only in
    cp1252 (e.g. the euro sign 0x80); 0xA4 is the euro sign in ISO-8859-15.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    high = set(raw) - set(range(0x80))
    if any(0x80 <= b <= 0x9F for b in high):
        return "cp1252"
    if high & _LATIN9_ONLY:
        return "iso-8859-15"
    return "cp1252"


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Return (text with newlines normalised to \\n, encoding used)."""
    raw = Path(path).read_bytes()
    enc = encoding or detect_encoding(raw)
    text = raw.decode(enc, errors="strict")
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n"), enc


def sniff_delimiter(header_line: str, candidates: str = ";,\t|") -> str:
    """Pick the delimiter from the header line: the candidate that splits it most."""
    try:
        return csv.Sniffer().sniff(header_line, delimiters=candidates).delimiter
    except csv.Error:
        counts = {c: header_line.count(c) for c in candidates}
        best = max(counts, key=lambda c: counts[c])
        return best if counts[best] else ","


_SAMPLE = 1 << 16


@dataclass(frozen=True)
class CsvCells:
    """A CSV file's cells as text: the header's labels, and one String column per header
    position (`c0`, `c1`, ...) plus `source_row`, the line where each record starts."""

    header: list[str]
    cells: pl.DataFrame


def to_utf8(raw: bytes, encoding: str, file_name: str) -> bytes:
    """The file as UTF-8 bytes with \\n newlines (UTF-8 input is only stripped of its BOM)."""
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig"):
        data = raw.removeprefix(b"\xef\xbb\xbf")
    else:
        try:
            data = raw.decode(encoding).removeprefix("\ufeff").encode("utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise SourceFormatError(
                f"cannot read the file as {encoding} text ({exc})", source_file=file_name,
                hint="save the export again as UTF-8 (or give the right `encoding:` in the "
                     "source options)") from exc
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def read_csv_cells(path: Path, encoding: str | None = None) -> CsvCells:
    """Read a CSV export with polars' reader: every cell as stripped text (blank = null),
    blank lines dropped, each record numbered by the physical line where it starts (a quoted
    value may hold newlines). The encoding is guessed on a sample; when polars then meets
    invalid UTF-8, on the whole file."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        frame = _read_csv(to_utf8(raw, encoding or detect_encoding(_sample(raw)), path.name),
                          path.name)
    except _NotUtf8:
        if encoding is not None:
            raise SourceFormatError(
                f"the file is not {encoding} text", source_file=path.name,
                hint="remove `encoding:` from the source options to detect it") from None
        frame = _read_csv(to_utf8(raw, detect_encoding(raw), path.name), path.name)
    columns = [f"c{i}" for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    header = [h.strip() if h else "" for h in frame.row(0)]
    text = [pl.col(c).str.strip_chars() for c in columns]
    newlines = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0)
                                 for c in columns)
    cells = frame.with_columns(
        *(t.replace("", None).alias(c) for t, c in zip(text, columns, strict=True)),
        (pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
         + newlines.cum_sum().shift(1, fill_value=0)).alias("source_row"),
    ).slice(1).filter(pl.any_horizontal(pl.col(c).is_not_null() for c in columns))
    return CsvCells(header, cells)


@dataclass(frozen=True)
class TextLines:
    """A text file as UTF-8 bytes (\\n newlines) and as its lines."""

    data: bytes
    lines: pl.Series


def read_lines(path: Path, encoding: str | None = None) -> TextLines:
    """A text file's lines (\\n, \\r\\n or \\r), read by polars: the encoding is guessed on a
    sample, and on the whole file when polars then meets invalid UTF-8."""
    path = Path(path)
    raw = path.read_bytes()
    enc = encoding or detect_encoding(_sample(raw))
    data = to_utf8(raw, enc, path.name)
    try:
        return TextLines(data, pl.read_lines(io.BytesIO(data))["line"])
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc) or encoding is not None:
            raise SourceFormatError(f"cannot read the file as {enc} text ({exc})",
                                    source_file=path.name,
                                    hint="save it again as UTF-8 or ISO-8859-15") from exc
    data = to_utf8(raw, detect_encoding(raw), path.name)
    return TextLines(data, pl.read_lines(io.BytesIO(data))["line"])


class _NotUtf8(Exception):
    pass


def _sample(raw: bytes) -> bytes:
    """The first lines of the file (cut at a newline, never inside a UTF-8 character)."""
    cut = raw.rfind(b"\n", 0, _SAMPLE)
    return raw if len(raw) <= _SAMPLE else raw[:cut] if cut > 0 else raw[:_SAMPLE]


def _read_csv(data: bytes, file_name: str) -> pl.DataFrame:
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8", errors="replace")
    if not first.strip():
        raise SourceFormatError("the file is empty or its first line is blank",
                                source_file=file_name, row=1,
                                hint="export again with the header line (field names) first")
    try:
        return pl.read_csv(io.BytesIO(data), has_header=False, infer_schema=False,
                           separator=sniff_delimiter(first), quote_char='"',
                           truncate_ragged_lines=True, raise_if_empty=False)
    except pl.exceptions.ComputeError as exc:
        if "utf-8" in str(exc):
            raise _NotUtf8 from exc
        raise SourceFormatError(f"cannot read the file as CSV ({exc})", source_file=file_name,
                                hint="export the file again as CSV") from exc
