"""Shared pieces of the bank-parser fuzz tests (tests/test_fuzz_*.py).

Each fuzz test mutates real-shaped files (the bundled sample month, ../shared reference
examples and fixtures when present, hand-made seeds otherwise) and asserts the only outcomes
a user may see: rows loaded, rows quarantined with a reason, or a ReconkitError naming the
file; never another exception, and a load report whose counts add up.

Settings (`FUZZ_SETTINGS`): bounded and derandomized by default (each test well under 30 s
in CI); `FUZZ_EXAMPLES=3000` (what `make fuzz` sets) runs that many random examples each.
"""

from __future__ import annotations

import copy
import csv
import io
import json
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
    """Loaded rows, quarantined rows with a reason, or a ReconkitError naming the file (the
    folder's or one of its files when `path` is a folder)."""
    names = (path.name, *(p.name for p in path.iterdir())) if path.is_dir() else (path.name,)
    try:
        loaded = load(path, **options)
    except ReconkitError as exc:
        assert exc.source_file, f"error without the file: {exc}"
        assert exc.source_file.startswith(names), (exc.source_file, names)
        assert exc.message
        return
    merged = merge_loaded([loaded])
    for report in merged.report:
        assert report.unaccounted == 0, (report, merged.warnings)
    q = merged.quarantine
    assert q.filter(q["reason"].is_null() | (q["reason"] == "")).height == 0
    assert set(q["source_file"].to_list()) <= set(loaded.rows_read)
    for name, table in merged.tables.items():  # every row says where a person finds it
        assert set(table["source_file"].unique().to_list()) <= set(loaded.rows_read), name
        assert table["source_row"].null_count() == 0, name
    payments = merged.tables.get("payments")
    if payments is not None and payments.height:
        assert payments["amount_cents"].null_count() == 0
        assert payments["amount_cents"].abs().max() < 10**15  # type: ignore[operator]
    for s in loaded.statements:
        assert s.source_file in loaded.rows_read


# ------------------------------------------------------------------ CSV-aware mutations

ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]
DELIMITERS = [",", ";", "\t", "|"]
# cells a corrupted or hand-edited spreadsheet export holds
NASTY_CELLS = [*NASTY_VALUES, "1 234,56", "1.234,56", "1,234.56", "(12.50)", "12.50-", "+5",
               "-0", "1e-5", "Infinity", "=SUM(A1:A2)", '"', '""', 'a"b', "a\nb", "a\r\nb",
               "  padded  ", "\ufeff", "\u00a0", "null", "None", "#N/A", "0000-00-00",
               "31/12/9999", "1900-01-00", "10/31/2026", "2026-10-31 23:59",
               "2026-10-31T23:59:59+14:00", "9223372036854775808", "-9223372036854775809",
               "0015g000000HCbIAAW", "001", "006", "800", "Closed Won", "Closed Lost", "FR",
               "\u00c9tienne & Fils", "\u202e", "\t", ";", ",", "|"]


def csv_rows(text: str, delimiter: str = ",") -> list[list[str]]:
    """A seed CSV as rows of cells (header first), for `mutated_csv`."""
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]


def head_lines(path: Path, n: int) -> str:
    """The first n lines of a text file (a seed small enough to mutate quickly)."""
    return "\n".join(path.read_text(encoding="utf-8").splitlines()[:n]) + "\n"


@st.composite
def mutated_csv(draw: st.DrawFn, seeds: list[list[list[str]]], *,
                cells: list[str] | None = None) -> bytes:
    """A seed table with 1-4 row/column/header/cell mutations, written back with any
    delimiter, quoting, newline and encoding, then maybe broken at the byte level (a stray
    quote, a cut, garbage bytes)."""
    rows = draw(mutated_table(seeds, cells=cells))
    buf = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    csv.writer(buf, delimiter=draw(st.sampled_from(DELIMITERS)), quoting=quoting,
               lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
    data = buf.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["quote", "truncate", "bytes", "line_dup", "line_del"]))
        data = _MUTATIONS[op](draw, data, []) if op != "quote" else _stray_quote(draw, data)
    return data


@st.composite
def mutated_table(draw: st.DrawFn, seeds: list[list[list[str]]], *,
                  cells: list[str] | None = None) -> list[list[str]]:
    """A seed table (rows of cells, header first) with 1-4 row/column/header/cell mutations."""
    rows = [list(r) for r in draw(st.sampled_from(seeds))]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "header", "col_swap", "col_del",
                                   "col_dup", "row_dup", "row_del", "ragged"]))
        rows = _TABLE_MUTATIONS[op](draw, rows, cells or [])
    return rows


def _stray_quote(draw: st.DrawFn, data: bytes) -> bytes:
    i = draw(st.integers(0, len(data)))
    return data[:i] + b'"' + data[i:]


def _col(draw: st.DrawFn, rows: list[list[str]]) -> int:
    return draw(st.integers(0, max(len(rows[0]) - 1, 0)))


def _cell(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    if len(rows) < 2:
        return rows
    r, c = draw(st.integers(1, len(rows) - 1)), _col(draw, rows)
    if c < len(rows[r]):
        rows[r][c] = draw(st.sampled_from(NASTY_CELLS + cells) | st.text(max_size=12))
    return rows


def _header(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    """Rename a header: lower/upper case, padded, blank, another column's name, any text."""
    if not rows[0]:
        return rows
    c = _col(draw, rows)
    name = rows[0][c]
    rows[0][c] = draw(st.sampled_from([name.lower(), name.upper(), f" {name} ", "", name + "_",
                                       rows[0][_col(draw, rows)], "\ufeff" + name])
                      | st.text(max_size=8))
    return rows


def _col_swap(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    i, j = _col(draw, rows), _col(draw, rows)
    for row in rows:
        if i < len(row) and j < len(row):
            row[i], row[j] = row[j], row[i]
    return rows


def _col_del(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    c = _col(draw, rows)
    return [row[:c] + row[c + 1:] for row in rows]


def _col_dup(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    c = _col(draw, rows)
    return [row[: c + 1] + row[c: c + 1] + row[c + 1:] for row in rows]


def _row_dup(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    r = draw(st.integers(0, len(rows) - 1))
    return [*rows[: r + 1], list(rows[r]), *rows[r + 1:]]


def _row_del(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    r = draw(st.integers(0, len(rows) - 1))
    return (rows[:r] + rows[r + 1:]) or [[]]


def _ragged(draw: st.DrawFn, rows: list[list[str]], cells: list[str]) -> list[list[str]]:
    """One row with a cell too many or too few."""
    r = draw(st.integers(0, len(rows) - 1))
    rows[r] = rows[r][:-1] if draw(st.booleans()) else [*rows[r], "extra"]
    return rows


_TABLE_MUTATIONS: dict[str, Callable[[st.DrawFn, list[list[str]], list[str]],
                                     list[list[str]]]] = {
    "cell": _cell, "header": _header, "col_swap": _col_swap, "col_del": _col_del,
    "col_dup": _col_dup, "row_dup": _row_dup, "row_del": _row_del, "ragged": _ragged,
}


# ----------------------------------------------------------------- JSON-aware mutations

# values of the wrong type or range for a JSON field: huge, negative, millisecond and
# microsecond timestamps, floats for integers, text for numbers, empty containers
NASTY_JSON: list[Any] = [None, "", " ", "x", 0, -1, 1.5, -0.0, 1e20, 10**20, 10**13,
                         1793185200000, 1793185200000000, -1793185200, "1793185200", True,
                         False, [], {}, [None], {"id": None}, {"data": None}, "eur", "EUR",
                         "XXX", "void", "draft", "open", "paid", "closedwon", "true",
                         "2024-02-30T10:00:00Z", "1e20", "12,50", "NaN", 2**63, -(2**63) - 1]


@st.composite
def mutated_json(draw: st.DrawFn, seeds: list[Any], *, values: list[Any] | None = None,
                 ) -> bytes:
    """A parsed seed with 1-4 tree mutations (a value of the wrong type or range, a key
    removed, an item duplicated, a branch nulled, `has_more: true`), written back as JSON and
    maybe truncated or damaged at the byte level."""
    doc = json.loads(json.dumps(draw(st.sampled_from(seeds))))  # a deep copy
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["value", "value", "value", "delete", "dup", "null",
                                   "has_more"]))
        doc = _json_mutation(draw, doc, op, values or [])
    data = json.dumps(doc, ensure_ascii=draw(st.booleans()),
                      indent=draw(st.sampled_from([None, 1]))).encode()
    for _ in range(draw(st.integers(0, 1))):
        op = draw(st.sampled_from(["truncate", "bytes", "token"]))
        data = _MUTATIONS[op](draw, data, ["}", "]", ",", '"', "null", "\ufeff"])
    return data


def _json_paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node's path (dict keys and list indices), the root excluded."""
    out: list[tuple[Any, ...]] = []
    items = doc.items() if isinstance(doc, dict) else \
        enumerate(doc) if isinstance(doc, list) else []
    for key, child in items:
        out.append((*path, key))
        out.extend(_json_paths(child, (*path, key)))
    return out


def _json_mutation(draw: st.DrawFn, doc: Any, op: str, values: list[Any]) -> Any:
    if op == "has_more":
        if isinstance(doc, dict):
            doc["has_more"] = True
        return doc
    paths = _json_paths(doc)
    if not paths:
        return doc
    path = draw(st.sampled_from(paths))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if op == "value":  # mostly a value of the same JSON type (else the whole file is
        # rejected by typed decoders at once and the loading code is never reached)
        pool = NASTY_JSON + values
        same = _same_type(parent[key], pool)
        if same and draw(st.integers(0, 3)):
            extra = st.integers() if isinstance(same[0], int) and not isinstance(
                same[0], bool) else st.text(max_size=8) if isinstance(same[0], str) else None
            value = draw((st.sampled_from(same) | extra) if extra is not None
                         else st.sampled_from(same))
        else:
            value = draw(st.sampled_from(pool) | st.text(max_size=8) | st.integers())
        # a copy: later mutations must not edit the shared NASTY_JSON containers in place
        parent[key] = copy.deepcopy(value)
    elif op == "null":
        parent[key] = None
    elif op == "delete":
        del parent[key]
    elif isinstance(parent, list):  # dup
        parent.insert(key, json.loads(json.dumps(parent[key])))
    return doc


def _same_type(value: Any, pool: list[Any]) -> list[Any]:
    """The values of `pool` of the JSON type of `value` (bool, number, string), else []."""
    def kind(v: Any) -> str:
        return "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) \
            else "string" if isinstance(v, str) else "other"

    if kind(value) == "other":
        return []
    return [v for v in pool if kind(v) == kind(value)]
