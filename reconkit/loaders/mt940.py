"""SWIFT MT940 customer statements into `payments`: one payment per `:61:` statement line.

Written by hand because the `mt-940` package rejects real bank files (ING wraps fields at
arbitrary widths, SNS puts a second `:61:` line with the counterparty name) and accepts a
malformed header (`:9401:`). Fields may span several lines; continuation lines are joined
without a separator, since banks wrap inside words. `:86:` is read as Dutch `/TAG/value/`
sub-fields, German `?20`..`?33` sub-fields, or free text. Rabobank exports start with a
`:940:` line and no SWIFT blocks, and give the counterparty IBAN on the line under `:61:`.
`path:` may be a file or a folder of statement files (read in name order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from reconkit.errors import SourceFormatError
from reconkit.loaders._bank import (
    TOO_LARGE,
    RowIssue,
    balance_warning,
    check_options,
    clean,
    combine,
    iban_or_none,
    parse_cents,
    payments_frame,
    read_statement_text,
    statement_files,
    too_large,
)
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.statements import Statement, period_of
from reconkit.schemas import empty_quarantine

_TAG_RE: Final = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_LINE_RE: Final = re.compile(
    r"^(?P<vdate>\d{6})(?P<edate>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]*)(?P<ttype>[NSF][A-Z0-9]{3})(?P<rest>.*)$")
_BALANCE_RE: Final = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<ccy>[A-Z]{3})"
                                r"(?P<amount>\d[\d,]*)$")
_SIGN: Final = {"C": 1, "D": -1, "RC": -1, "RD": 1}  # RC: reversal of a credit = money out
_DUTCH_TAGS: Final = ("EREF", "NAME", "IBAN", "REMI", "CNTP", "ORDP", "BENM", "BIC", "ADDR",
                      "TRTP", "PREF", "RTRN", "MARF", "CSID", "ISDT", "NRTX", "ULTC", "ULTD",
                      "ULTB", "PURP", "SUM", "RTYP", "ID", "CRED")
_DUTCH_RE: Final = re.compile(r"/(" + "|".join(_DUTCH_TAGS) + r")/")
_GERMAN_RE: Final = re.compile(r"\?(\d{2})")
_SEPA_RE: Final = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE)\+")
OPTIONS: Final = frozenset({"encoding", "timezone"})  # timezone: dates are already local
SUFFIXES: Final = (".940", ".mt940", ".sta", ".txt", ".swi", ".mt9")
_MESSAGE_TYPE_LINE: Final = ":940:"  # Rabobank's first line, instead of a SWIFT header
_WRONG_FILE_HINT: Final = ("check that this is an MT940 statement export from your bank: each "
                           "statement starts with a :20: line (optionally after a SWIFT "
                           "header {1:...}) followed by :25:, :60F:, :61:/:86: lines and "
                           ":62F:")


@dataclass(frozen=True)
class _Field:
    tag: str
    lines: tuple[str, ...]  # first line after the tag, then continuation lines
    line_no: int

    @property
    def joined(self) -> str:
        return "".join(self.lines)


@register_loader("mt940")
def load_mt940(path: Path, **options: Any) -> Loaded:
    """Load an MT940 file (one or more statements), or a folder of them, into `payments`."""
    path = Path(path)
    check_options("mt940", options, OPTIONS, path.name)
    encoding = str(options["encoding"]) if options.get("encoding") else None
    return combine([_load_file(f, encoding) for f in statement_files(path, SUFFIXES, "MT940")])


def _load_file(path: Path, encoding: str | None) -> Loaded:
    text = read_statement_text(path, encoding)
    source_file = path.name
    statements = _statements(_fields(text.split("\n"), source_file), source_file)
    rows: list[dict[str, Any]] = []
    issues: list[RowIssue] = []
    warnings: list[str] = []
    read = [_read_statement(stmt, ordinal, source_file, rows, issues, warnings)
            for ordinal, stmt in enumerate(statements, start=1)]
    payments, quarantine = payments_frame(rows, issues, source_file=source_file,
                                          date_format="%y%m%d", date_hint="YYMMDD")
    return Loaded(
        tables={"payments": payments},
        quarantine=quarantine if quarantine.height else empty_quarantine(),
        rows_read={source_file: len(rows) + len(issues)},
        rows_quarantined={source_file: len(issues) + len(rows) - payments.height},
        warnings=tuple(warnings),
        statements=tuple(read),
    )


def _fields(lines: list[str], source_file: str) -> list[_Field]:
    """Split the text into tagged fields, dropping SWIFT block headers and trailers."""
    fields: list[_Field] = []
    tag: str | None = None
    buf: list[str] = []
    start = 0

    def flush() -> None:
        if tag is not None:
            fields.append(_Field(tag, tuple(buf), start))

    for no, line in enumerate(lines, start=1):
        if not line.strip() and tag != "86":
            continue  # blank lines only matter inside :86:, where they separate words
        if line.rstrip() == _MESSAGE_TYPE_LINE:
            flush()
            tag, buf = None, []
            continue
        if line.startswith("{"):
            rest = line.split("{4:", 1)[1] if "{4:" in line else ""
            if not rest.strip():
                continue
            line = rest
        if line.startswith("-}") or (line.strip() == "-" and _ends_message(lines, no)):
            flush()
            tag, buf = None, []
            continue
        match = _TAG_RE.match(line)
        if match:
            flush()
            tag, buf, start = match.group(1), [match.group(2)], no
        elif tag is None:
            raise SourceFormatError(
                f"'{line.strip()[:40]}' is not an MT940 field (expected a tag such "
                "as :20: to start a statement)", source_file=source_file, row=no,
                hint=_WRONG_FILE_HINT)
        else:
            buf.append(line)
    flush()
    return fields


def _ends_message(lines: list[str], no: int) -> bool:
    """A lone `-` ends a message unless the next line continues a field (ING wraps on it)."""
    nxt = next((line for line in lines[no:] if line.strip()), None)
    return nxt is None or nxt.startswith("{") or _TAG_RE.match(nxt) is not None


def _statements(fields: list[_Field], source_file: str) -> list[list[_Field]]:
    """Group fields into statements, each opened by `:20:`."""
    if not any(f.tag == "20" for f in fields):
        raise SourceFormatError("no MT940 statement found (no :20: line)",
                                source_file=source_file, hint=_WRONG_FILE_HINT)
    statements: list[list[_Field]] = []
    for f in fields:
        if f.tag == "20":
            statements.append([f])
        elif not statements:
            raise SourceFormatError(
                f"field :{f.tag}: comes before the first :20: line",
                source_file=source_file, row=f.line_no, hint=_WRONG_FILE_HINT)
        else:
            statements[-1].append(f)
    return statements


def _read_statement(stmt: list[_Field], ordinal: int, source_file: str,
                    rows: list[dict[str, Any]], issues: list[RowIssue],
                    warnings: list[str]) -> Statement:
    ref = stmt[0].joined.strip()
    by_tag: dict[str, _Field] = {}
    for f in stmt:
        by_tag.setdefault(f.tag, f)
    opening = _balance(by_tag.get("60F") or by_tag.get("60M"), source_file, warnings)
    closing = _balance(by_tag.get("62F") or by_tag.get("62M"), source_file, warnings)
    currency = (opening or closing or (0, None, None))[1]
    account = _account(by_tag.get("25"), currency)
    movements = 0
    line_ordinal = 0
    booked: list[date] = []
    for i, f in enumerate(stmt):
        if f.tag != "61":
            continue
        line_ordinal += 1
        info = stmt[i + 1] if i + 1 < len(stmt) and stmt[i + 1].tag == "86" else None
        row = _statement_line(f, info, currency, f"{ref}:{ordinal}:{line_ordinal}", issues)
        if row is not None:
            movements += row["amount_cents"]
            rows.append({**row, "account_id": account, "currency": currency})
            booked += [d for d in [_day(row["booking_date"])] if d]
    if opening and closing:
        warning = balance_warning(source_file, f"{ref} (statement {ordinal}, line "
                                  f"{stmt[0].line_no})", opening[0], movements, closing[0],
                                  closing[1])
        if warning:
            warnings.append(warning)
    seq = by_tag["28C"].joined.strip() if "28C" in by_tag else ""
    start, end = period_of(opening[2] if opening else None, closing[2] if closing else None,
                           booked)
    return Statement(
        account_id=account, statement_id=f"{ref}:{seq}" if seq else ref, currency=currency,
        source_file=source_file, source_row=stmt[0].line_no, entries=line_ordinal,
        movements_cents=movements, opening_cents=opening[0] if opening else None,
        opening_date=opening[2] if opening else None,
        closing_cents=closing[0] if closing else None,
        closing_date=closing[2] if closing else None, from_date=start, to_date=end)


def _day(text: str | None) -> date | None:
    """A YYMMDD date, or None when it does not read (the row is quarantined anyway)."""
    try:
        return datetime.strptime(text or "", "%y%m%d").date()
    except ValueError:
        return None


def _statement_line(f: _Field, info: _Field | None, currency: str | None, fallback_id: str,
                    issues: list[RowIssue]) -> dict[str, Any] | None:
    """One payment from a `:61:` field and the `:86:` that follows it."""
    m = _LINE_RE.match(f.lines[0].strip())
    cents = parse_cents(m.group("amount"), currency, decimal=",") if m else None
    if m is None or cents is None or too_large(cents):
        issues.append(RowIssue(f.line_no, "amount_cents", f.joined, TOO_LARGE if cents else
                               "not a readable MT940 statement line (:61:): expected value "
                               "date, C/D mark, amount with a comma and a transaction type"))
        return None
    customer_ref, _, bank_ref = m.group("rest").partition("//")
    extra = [line.strip() for line in f.lines[1:]]
    while bank_ref and extra and re.fullmatch(r"[A-Za-z0-9]+", extra[0]) \
            and len(bank_ref) + len(extra[0]) <= 16:
        bank_ref += extra.pop(0)  # a bank reference wrapped onto the next line
    bank_ref = bank_ref.strip()
    # Rabobank: the counterparty account on the line under :61:
    counterparty = next((iban for line in extra if line.split()
                         and (iban := iban_or_none(line.split()[0]))), None)
    details = _parse_info(info.lines if info else ())
    returned = details.pop("returned")
    vdate = m.group("vdate")
    mark = m.group("mark")
    return {
        "record_id": bank_ref or fallback_id,
        "entry_ref": bank_ref or fallback_id,
        "source_row": f.line_no,
        "value_date": vdate,
        "booking_date": _entry_date(vdate, m.group("edate")),
        "amount_cents": cents * _SIGN[mark],
        "bank_tx_code": m.group("ttype"),
        "is_reversal": mark.startswith("R") or returned,
        **details,
        "payer_iban": details["payer_iban"] or iban_or_none(customer_ref) or counterparty,
    }


def _entry_date(vdate: str, edate: str | None) -> str:
    """Booking date as YYMMDD: the entry date MMDD takes the value date's year, +/-1 across
    a new year."""
    if not edate:
        return vdate
    year, vmonth, emonth = int(vdate[:2]), int(vdate[2:4]), int(edate[:2])
    if vmonth == 12 and emonth == 1:
        year += 1
    elif vmonth == 1 and emonth == 12:
        year -= 1
    return f"{year % 100:02d}{edate}"


def _parse_info(lines: tuple[str, ...]) -> dict[str, Any]:
    """Counterparty, references and remittance text from a `:86:` field."""
    text = "".join(lines)
    out: dict[str, Any] = {"payer_name": None, "payer_iban": None, "remittance": None,
                           "structured_ref": None, "end_to_end_id": None,
                           "returned": "/RTRN/" in text}
    if _GERMAN_RE.search(text) and re.match(r"^\s*(\d{3})?\?", text):
        out.update(_german(text))
    elif text.lstrip().startswith("/") and _DUTCH_RE.search(text):
        out.update(_dutch(text))
    else:
        out["remittance"] = clean(text)
        first = lines[0].split(None, 1) if lines and lines[0].strip() else []
        if first and (iban := iban_or_none(first[0])):
            out["payer_iban"] = iban
            out["payer_name"] = clean(first[1]) if len(first) > 1 else None
    if out["end_to_end_id"] == "NOTPROVIDED":
        out["end_to_end_id"] = None
    return out


def _dutch(text: str) -> dict[str, Any]:
    """`/EREF/.../CNTP/iban/bic/name/city/REMI/USTD//text/` (ING, ABN AMRO, Rabobank...)."""
    values: dict[str, str] = {}
    hits = list(_DUTCH_RE.finditer(text))
    for hit, nxt in zip(hits, [*hits[1:], None], strict=True):
        end = nxt.start() if nxt else len(text)
        values.setdefault(hit.group(1), text[hit.end():end].strip("/ "))
    out: dict[str, Any] = {}
    party = (values.get("CNTP") or "").split("/")
    out["payer_iban"] = iban_or_none(values.get("IBAN")) or iban_or_none(party[0]) or \
        clean(values.get("IBAN") or party[0] or None)
    out["payer_name"] = clean(values.get("NAME") or (party[2] if len(party) > 2 else None))
    remi = values.get("REMI", "")
    if remi.startswith("STRD"):
        out["structured_ref"] = clean(remi.rstrip("/").rsplit("/", 1)[-1])
    else:
        out["remittance"] = clean(remi.removeprefix("USTD").lstrip("/"))
    out["end_to_end_id"] = clean(values.get("EREF"))
    return out


def _german(text: str) -> dict[str, Any]:
    """`?20`..`?29` purpose lines with SEPA tags (EREF+, SVWZ+...), `?31` IBAN, `?32/33` name."""
    parts = _GERMAN_RE.split(text)
    sub: dict[int, str] = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        sub[int(code)] = sub.get(int(code), "") + value
    purpose = "".join(sub.get(k, "") for k in (*range(20, 30), *range(60, 64)))
    tagged = _SEPA_RE.split(purpose)
    tags = dict(zip(tagged[1::2], tagged[2::2], strict=True))
    remittance = tags.get("SVWZ") if tags else purpose
    return {
        "remittance": clean(remittance),
        "end_to_end_id": clean(tags.get("EREF")),
        "payer_iban": iban_or_none(sub.get(31)) or clean(sub.get(31)),
        "payer_name": clean((sub.get(32) or "") + (sub.get(33) or "")),
    }


def _balance(f: _Field | None, source_file: str,
             warnings: list[str]) -> tuple[int, str, date | None] | None:
    """Signed balance, its currency and its date, from a :60F:/:62F: field."""
    if f is None:
        return None
    m = _BALANCE_RE.match(f.joined.strip())
    cents = parse_cents(m.group("amount"), m.group("ccy"), decimal=",") if m else None
    if m is None or cents is None or too_large(cents):
        warnings.append(f"{source_file}: line {f.line_no}: unreadable balance :{f.tag}: "
                        f"'{f.joined.strip()[:60]}'; the balance check is skipped")
        return None
    return (cents * (-1 if m.group("mark") == "D" else 1), m.group("ccy"),
            _day(m.group("date")))


def _account(f: _Field | None, currency: str | None) -> str | None:
    """Own account from `:25:`, without the currency some banks append (`NL..INGB..EUR`)."""
    if f is None:
        return None
    value = f.joined.strip()
    if currency and value.endswith(currency) and len(value) > 3:
        value = value[: -len(currency)].strip()
    return value or None
