"""Reading text files as real exports come: unknown encoding, unknown delimiter, any newline."""

from __future__ import annotations

import csv
from pathlib import Path

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
