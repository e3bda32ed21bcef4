"""The ISO 20022 cash-management reader shared by camt.053 and camt.054.

Both messages hold entries (`Ntry`) of one account inside a container (`Stmt` for a
statement, `Ntfctn` for a debit/credit notification); an entry is read the same way in both
(see `_camt_entry`). The file is streamed with lxml `iterparse`: each entry is freed once
read, so memory stays flat on a statement of any size. A `.zip` of messages is read member by
member, a folder file by file.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, Final
from zoneinfo import ZoneInfo

import polars as pl
from lxml import etree

from reconkit.errors import SourceFormatError
from reconkit.loaders._bank import (
    TOO_LARGE,
    balance_warning,
    check_options,
    combine,
    local_date,
    parse_cents,
    payments_frame,
    statement_files,
    too_large,
    zone,
)
from reconkit.loaders._camt_batch import Batch
from reconkit.loaders._camt_entry import Doc, Running, q, read_entry
from reconkit.loaders.base import Loaded
from reconkit.loaders.statements import Statement, period_of
from reconkit.schemas import empty_quarantine

OPTIONS: Final = frozenset({"timezone"})
_CHUNK_ROWS: Final = 20_000
DEFAULT_TIMEZONE: Final = "Europe/Paris"
_BROKEN_FILE_HINT: Final = ("the file is damaged or cut short: download it again from your "
                            "bank and load the new file")

_ENCODING_HINT: Final = ("load the file exactly as the bank sent it (not a copy re-saved by an "
                         "editor or a spreadsheet); if that one fails too, ask the bank for a "
                         "UTF-8 export")

Opener = Callable[[], IO[bytes]]


@dataclass(frozen=True)
class Message:
    """Which ISO 20022 message a loader reads: root element, container, namespace marker."""

    kind: str  # loader kind, e.g. camt053
    name: str  # camt.053
    label: str  # camt.053 bank statement
    root: str  # BkToCstmrStmt
    container: str  # Stmt
    wrong_file_hint: str
    chained: bool = True  # statements follow each other (balances carry over)


def load_camt(path: Path, options: dict[str, Any], message: Message) -> Loaded:
    """Load a camt file, a .zip of them, or a folder of either, into `payments`."""
    path = Path(path)
    check_options(message.kind, options, OPTIONS, path.name)
    tz = zone(str(options.get("timezone") or DEFAULT_TIMEZONE), path.name)
    parts: list[Loaded] = []
    for file in statement_files(path, (".xml", ".zip"), message.name):
        if zipfile.is_zipfile(file):
            parts.append(_load_archive(file, message, tz))
        else:
            parts.append(_load_document(lambda f=file: f.open("rb"),  # type: ignore[misc]
                                        file.name, message, tz))
    return combine(parts)


def _load_archive(path: Path, message: Message, tz: ZoneInfo) -> Loaded:
    parts: list[Loaded] = []
    skipped: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or name.startswith("__MACOSX/"):
                    continue
                if not name.lower().endswith(".xml"):
                    skipped.append(name)
                    continue
                parts.append(_load_document(
                    lambda n=name: archive.open(n),  # type: ignore[misc]
                    f"{path.name}!{name}", message, tz))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error,
            NotImplementedError, RuntimeError) as exc:  # damaged, unsupported or encrypted
        raise SourceFormatError(f"the zip archive cannot be read ({exc})",
                                source_file=path.name, hint=_BROKEN_FILE_HINT) from None
    if not parts:
        raise SourceFormatError(f"the archive holds no XML {message.name} file",
                                source_file=path.name, hint=message.wrong_file_hint)
    return combine(parts, [f"{path.name}!{name}: ignored, not an XML file" for name in skipped])


def _syntax_error(exc: etree.XMLSyntaxError | zipfile.BadZipFile | EOFError,
                  source_file: str, empty: bool = False) -> SourceFormatError:
    """Say what is wrong with the XML in words: cut short, wrong encoding, or malformed."""
    msg = str(getattr(exc, "msg", exc) or exc)
    line = getattr(exc, "lineno", None)
    if empty:
        text = "the file is empty"
    elif "Premature end" in msg or "no element found" in msg or "EndTag" in msg \
            or not isinstance(exc, etree.XMLSyntaxError):
        text = (f"the file stops in the middle of the XML (at line {line}): it was cut short "
                f"while downloading or copying ({msg})")
    elif "encoding" in msg.lower() or "UTF-8" in msg:
        text = (f"the file is not encoded as its XML declaration says (line {line}: {msg}); "
                "it was probably re-saved by another program")
    else:
        text = f"the file is not well-formed XML (line {line}: {msg})"
    return SourceFormatError(text, source_file=source_file,
                             hint=_ENCODING_HINT if "encoded" in text else _BROKEN_FILE_HINT)


def _load_document(opener: Opener, source_file: str, message: Message,
                   tz: ZoneInfo) -> Loaded:
    ns = _namespace(opener, source_file, message)
    doc = Doc(ns=ns, source_file=source_file, strip=len(q(ns, "X")) - 1, tz=tz)
    tags = (q(ns, "Ntry"), q(ns, message.container))
    box: _Box | None = None
    ordinal = 0
    chunks: list[tuple[pl.DataFrame, pl.DataFrame]] = []
    n_rows = 0

    def flush() -> None:
        """Payments read so far become a columnar frame (a dict per row costs 10x more)."""
        nonlocal n_rows
        raw = doc.take_payments()
        n_rows += raw.height
        chunks.append(payments_frame(raw, [], source_file=source_file,
                                     date_format="%Y-%m-%d", date_hint="YYYY-MM-DD"))

    batch = Batch(doc, tags[0], tags[1])
    with opener() as fh:
        try:
            for _, el in etree.iterparse(fh, events=("end",), tag=tags,
                                         resolve_entities=False, no_network=True):
                if el.tag == tags[0]:
                    ordinal += 1
                    if box is None:
                        batch.flush(el, settle=True)
                        box = _open_box(doc, el.getparent(), len(doc.statements) + 1)
                        batch.run = box.state
                    if not batch.add(el, ordinal):  # an entry outside a statement element
                        read_entry(doc, box.state, el, ordinal)
                        el.clear(keep_tail=True)
                        while (prev := el.getprevious()) is not None and prev.tag == tags[0]:
                            el.getparent().remove(prev)
                else:
                    batch.flush(el, settle=True)
                    box = box or _open_box(doc, el, len(doc.statements) + 1)
                    doc.statements.append(_close_box(doc, box, message))
                    box = None
                    el.clear(keep_tail=True)
                    while (prev := el.getprevious()) is not None and prev.tag == tags[1]:
                        el.getparent().remove(prev)
                if batch.idle and doc.row_count() >= _CHUNK_ROWS:
                    flush()
            batch.flush(None, settle=True)
        except (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError) as exc:
            raise _syntax_error(exc, source_file) from None
    if doc.not_booked:
        kinds = ", ".join(f"{n} {s}" for s, n in sorted(doc.not_booked.items()))
        doc.warnings.append(f"{source_file}: skipped {sum(doc.not_booked.values())} entries "
                            f"that are not booked ({kinds})")
    raw = doc.take_payments()
    n_rows += raw.height
    chunks.append(payments_frame(raw, doc.issues, source_file=source_file,
                                 date_format="%Y-%m-%d", date_hint="YYYY-MM-DD"))
    payments = pl.concat([c[0] for c in chunks], how="vertical")
    quarantine = pl.concat([c[1] for c in chunks], how="vertical").sort(
        "source_row", "column", maintain_order=True)
    skipped = sum(doc.not_booked.values())
    return Loaded(
        tables={"payments": payments},
        quarantine=quarantine if quarantine.height else empty_quarantine(),
        rows_read={source_file: n_rows + len(doc.issues) + skipped},
        rows_skipped={source_file: skipped},
        rows_quarantined={source_file: len(doc.issues) + n_rows - payments.height},
        warnings=tuple(doc.warnings),
        statements=tuple(doc.statements),
    )


def _namespace(opener: Opener, source_file: str, message: Message) -> str:
    """Namespace of the document after checking it is the expected message."""
    names: list[tuple[str, str]] = []  # (namespace, local name) of the first two elements
    empty = True
    with opener() as fh:
        try:
            empty = not fh.read(1)
            fh.seek(0)
            for _, el in etree.iterparse(fh, events=("start",), resolve_entities=False,
                                         no_network=True):
                tag = el.tag if isinstance(el.tag, str) else ""
                ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
                names.append((ns, local))
                if len(names) == 2:
                    break
        except (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError) as exc:
            raise _syntax_error(exc, source_file, empty=empty) from None
    ns = names[0][0] if names else ""
    found = "/".join(local for _, local in names)
    if found != f"Document/{message.root}" or (ns and message.name not in ns):
        raise SourceFormatError(
            f"not a {message.label}: the XML starts with <{found}>"
            + (f" in namespace {ns}" if ns else ""),
            source_file=source_file, hint=message.wrong_file_hint)
    return ns


@dataclass
class _Box:
    """The statement or notification being read: its header and the entries' running state."""

    state: Running
    ordinal: int
    balances: dict[str, tuple[int, str, date | None]] = field(default_factory=dict)
    stated: tuple[date | None, date | None] = (None, None)
    currency: str | None = None
    announced: str | None = None  # TxsSummry/TtlNtries/NbOfNtries: entries the bank counted


def _open_box(doc: Doc, el: etree._Element, ordinal: int) -> _Box:
    balances: dict[str, tuple[int, str, date | None]] = {}
    for bal in el.iterfind(q(doc.ns, "Bal")):
        code = doc.first_text(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        amt = bal.find(q(doc.ns, "Amt"))
        if code is None or amt is None or code in balances:
            continue
        currency = amt.get("Ccy", "")
        cents = parse_cents(amt.text, currency)
        if cents is None or too_large(cents):
            doc.warnings.append(f"{doc.source_file}: unreadable {code} balance "
                                f"'{(amt.text or '').strip()[:40]}': "
                                + ("not an amount" if cents is None else TOO_LARGE))
            continue
        sign = -1 if doc.text(bal, "CdtDbtInd") == "DBIT" else 1
        balances[code] = (cents * sign, currency,
                          _day(doc.first_text(bal, "Dt/Dt", "Dt/DtTm")))
    stmt_id = doc.text(el, "Id") or "?"
    account = doc.first_text(el, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
    stated = (_day(local_date(doc.text(el, "FrToDt/FrDtTm"), doc.tz)),
              _day(local_date(doc.text(el, "FrToDt/ToDtTm"), doc.tz)))
    return _Box(state=Running(stmt_id=stmt_id, account_id=account), ordinal=ordinal,
                balances=balances, stated=stated, currency=doc.text(el, "Acct/Ccy"),
                announced=doc.text(el, "TxsSummry/TtlNtries/NbOfNtries"))


def _day(text: str | None) -> date | None:
    """The day of an ISO date (or date-time, as written), None if unreadable."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _close_box(doc: Doc, box: _Box, message: Message) -> Statement:
    opening = box.balances.get("OPBD") or box.balances.get("PRCD")
    closing = box.balances.get("CLBD")
    run = box.state
    booked = [d for d in (_day(run.first_day), _day(run.last_day)) if d]
    stated_end = box.stated[1]
    if stated_end and closing and closing[2] and stated_end > closing[2]:
        # `ToDtTm 2014-01-05T23:59:59.999Z` is the 6th in Paris, but the bank means the 5th,
        # the day of its closing balance (balance days are taken as written)
        box.stated = (box.stated[0], closing[2])
    start, end = period_of(opening[2] if opening else None, closing[2] if closing else None,
                           booked, box.stated)
    currency = (closing or opening or (0, box.currency or run.currency, None))[1]
    if opening and closing and (warning := balance_warning(
            doc.source_file, run.stmt_id, opening[0], run.movements, closing[0], closing[1])):
        doc.warnings.append(warning)
    if box.announced is not None and box.announced != str(run.entries):
        doc.warnings.append(
            f"{doc.source_file}: statement {run.stmt_id} announces {box.announced} entries "
            f"(TxsSummry) but holds {run.entries}: the export is incomplete (cut or paged); "
            "download the whole statement again")
    return Statement(
        account_id=run.account_id, statement_id=run.stmt_id, currency=currency or None,
        source_file=doc.source_file, source_row=box.ordinal, entries=run.booked,
        movements_cents=run.movements,
        opening_cents=opening[0] if opening else None,
        opening_date=opening[2] if opening else None,
        closing_cents=closing[0] if closing else None,
        closing_date=closing[2] if closing else None,
        from_date=start, to_date=end, chained=message.chained)

