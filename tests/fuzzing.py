"""Shared pieces of the bank-parser fuzz tests (tests/test_fuzz_*.py).

Each fuzz test mutates real-shaped files (the bundled sample month, ../shared reference
examples and fixtures when present, hand-made seeds otherwise) and asserts the only outcomes
a user may see: rows loaded, rows quarantined with a reason, or a ReconkitError naming the
file; never another exception, and a load report whose counts add up.

Settings (`FUZZ_SETTINGS`): bounded and derandomized by default (each test well under 30 s
in CI); `FUZZ_EXAMPLES=3000` (what `make fuzz` sets) runs that many random examples each.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from reconkit.errors import ReconkitError
from reconkit.loaders.base import Loaded, merge_loaded

from shared_files import SHARED

_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
# Applied per test (not loaded globally: other hypothesis tests keep their own settings).
FUZZ_SETTINGS = settings(max_examples=int(os.environ["FUZZ_EXAMPLES"]), deadline=None,
                         print_blob=True, suppress_health_check=_QUIET) \
    if os.environ.get("FUZZ_EXAMPLES") else \
    settings(max_examples=40, deadline=None, derandomize=True, print_blob=True,
             suppress_health_check=_QUIET)

REPO = Path(__file__).resolve().parents[1]

# values that have broken parsers before, or that a corrupted export holds
NASTY_VALUES = ["", " ", "0", "-1", "1e20", "100000000000000000000.00", "9" * 40, "NaN",
                "1,00", "12.345", "0.001", "2024-02-30", "2014-01-04T23:00:00Z",
                "2014-01-04T25:00:00", "99999", "CRDT", "DBIT", "BOOK", "PDNG", "INFO", "true",
                "EUR", "XXX", "eur", "\u00e9\u20ac", "\x00", "<", "&amp;", "]]>",
                ":61:", ":20:", ":940:", "-", "{", "}", "01", "04", "05", "07", "RC", "RD"]


def shared_seeds(*relative: str) -> list[bytes]:
    """Contents of the ../shared files that exist (none when ../shared is absent)."""
    return [p.read_bytes() for r in relative if (p := SHARED / r).is_file()]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes], *, tokens: list[str] | None = None) -> bytes:
    """A seed with 1-4 mutations: at the byte, line, element-value or element level."""
    data = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["value", "value", "line_dup", "line_del", "line_swap",
                                   "bytes", "truncate", "token", "element_dup"]))
        data = _MUTATIONS[op](draw, data, tokens or [])
    return data


def _value(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    """Replace the text of one XML element, or one field of a text line, by a nasty value."""
    spans = [m.span(1) for m in re.finditer(rb">([^<>\n]{1,60})<", data)] or \
        [m.span() for m in re.finditer(rb"[0-9A-Z,.]{2,}", data)]
    if not spans:
        return data
    a, b = draw(st.sampled_from(spans))
    new = draw(st.sampled_from(NASTY_VALUES + tokens) | st.text(max_size=12))
    return data[:a] + new.encode("utf-8") + data[b:]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _line_dup(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1:]])


def _line_del(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    return b"\n".join(lines[:i] + lines[i + 1:])


def _line_swap(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    lines = _lines(data)
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _bytes(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    i = draw(st.integers(0, len(data)))
    cut = draw(st.integers(0, 8))
    return data[:i] + draw(st.binary(max_size=6)) + data[i + cut:]


def _truncate(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _token(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    i = draw(st.integers(0, len(data)))
    return data[:i] + draw(st.sampled_from(NASTY_VALUES + tokens)).encode() + data[i:]


def _element_dup(draw: st.DrawFn, data: bytes, tokens: list[str]) -> bytes:
    """Repeat one whole element (an entry, a transaction, a balance) right after itself."""
    spans = [m.span() for m in re.finditer(
        rb"<(Ntry|TxDtls|Bal|Stmt|Ntfctn|Amt|CdtDbtInd)\b[^>]*>.*?</\1>", data, re.DOTALL)]
    if not spans:
        return _line_dup(draw, data, tokens)
    a, b = draw(st.sampled_from(spans))
    return data[:b] + data[a:b] + data[b:]


_MUTATIONS: dict[str, Callable[[st.DrawFn, bytes, list[str]], bytes]] = {
    "value": _value, "line_dup": _line_dup, "line_del": _line_del, "line_swap": _line_swap,
    "bytes": _bytes, "truncate": _truncate, "token": _token, "element_dup": _element_dup,
}


def check_outcome(load: Callable[..., Loaded], path: Path, **options: Any) -> None:
    """Loaded rows, quarantined rows with a reason, or a ReconkitError naming the file."""
    try:
        loaded = load(path, **options)
    except ReconkitError as exc:
        assert exc.source_file, f"error without the file: {exc}"
        assert exc.source_file.startswith(path.name), (exc.source_file, path.name)
        assert exc.message
        return
    merged = merge_loaded([loaded])
    for report in merged.report:
        assert report.unaccounted == 0, (report, merged.warnings)
    q = merged.quarantine
    assert q.filter(q["reason"].is_null() | (q["reason"] == "")).height == 0
    assert set(q["source_file"].to_list()) <= set(loaded.rows_read)
    payments = merged.tables.get("payments")
    if payments is not None and payments.height:
        assert payments["amount_cents"].null_count() == 0
        assert payments["amount_cents"].abs().max() < 10**15  # type: ignore[operator]
    for s in loaded.statements:
        assert s.source_file in loaded.rows_read
