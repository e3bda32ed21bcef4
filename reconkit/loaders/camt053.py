"""camt.053 (ISO 20022 BankToCustomerStatement, .001.02 to .001.08) into `payments`.

One payment per underlying transaction: a booked entry (`Ntry`) with zero or one `TxDtls`
gives one payment, a batch entry with k > 1 `TxDtls` gives k payments whose record ids append
`/<i>` to the entry's bank reference. The file is streamed with lxml `iterparse` (entries are
freed once read) so that statements with 100k entries load in seconds; any namespace version
is accepted. A `.zip` holding several statements is read member by member.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Final

import polars as pl
from lxml import etree

from reconkit.errors import SourceFormatError
from reconkit.loaders._bank import (
    RowIssue,
    balance_warning,
    clean,
    parse_cents,
    payments_frame,
)
from reconkit.loaders.base import Loaded, register_loader
from reconkit.schemas import empty_quarantine

_SIGN: Final = {"CRDT": 1, "DBIT": -1}
_WRONG_FILE_HINT: Final = (
    "export the end-of-day account statement in camt.053 format (BankToCustomerStatement) "
    "from your bank; camt.052 intraday reports and camt.054 notifications are other files")
_BROKEN_FILE_HINT: Final = ("the file is damaged or cut short: download the statement again "
                            "from your bank and load the new file")

Opener = Callable[[], IO[bytes]]


@register_loader("camt053")
def load_camt053(path: Path, **options: Any) -> Loaded:
    """Load a camt.053 XML file, or a .zip of them, into the canonical `payments` table."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        return _load_archive(path)
    return _load_document(lambda: path.open("rb"), path.name)


def _load_archive(path: Path) -> Loaded:
    parts: list[Loaded] = []
    skipped: list[str] = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or name.startswith("__MACOSX/"):
                continue
            if not name.lower().endswith(".xml"):
                skipped.append(name)
                continue
            parts.append(_load_document(lambda n=name: archive.open(n),  # type: ignore[misc]
                                        f"{path.name}!{name}"))
    if not parts:
        raise SourceFormatError("the archive holds no XML statement", source_file=path.name,
                                hint=_WRONG_FILE_HINT)
    warnings = [w for p in parts for w in p.warnings]
    warnings += [f"{path.name}!{name}: ignored, not an XML file" for name in skipped]
    return Loaded(
        tables={"payments": pl.concat([p.tables["payments"] for p in parts])},
        quarantine=pl.concat([p.quarantine for p in parts]),
        rows_read={f: n for p in parts for f, n in p.rows_read.items()},
        rows_skipped={f: n for p in parts for f, n in p.rows_skipped.items()},
        warnings=tuple(warnings),
    )


@lru_cache(maxsize=512)
def _q(ns: str, path: str) -> str:
    """ElementPath for `path` (e.g. `RltdPties/Dbtr/Nm`) in namespace `ns` ('' if none)."""
    prefix = f"{{{ns}}}" if ns else ""
    return "/".join(prefix + step for step in path.split("/"))


@dataclass
class _Statement:
    """Running state of the `Stmt` being read: header values and the booked movements."""

    stmt_id: str
    account_id: str | None
    opening: tuple[int, str] | None
    closing: tuple[int, str] | None
    movements: int = 0
    entries: int = 0


@dataclass
class _Document:
    """What has been collected from one XML document so far."""

    ns: str
    source_file: str
    strip: int = 0  # length of the "{namespace}" prefix of tags
    rows: list[dict[str, Any]] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_booked: Counter[str] = field(default_factory=Counter)

    def text(self, el: etree._Element, path: str) -> str | None:
        node = el.find(_q(self.ns, path))
        if node is None or node.text is None:
            return None
        return node.text.strip() or None

    def first_text(self, el: etree._Element, *paths: str) -> str | None:
        for path in paths:
            value = self.text(el, path)
            if value is not None:
                return value
        return None


def _load_document(opener: Opener, source_file: str) -> Loaded:
    ns = _namespace(opener, source_file)
    doc = _Document(ns=ns, source_file=source_file, strip=len(_q(ns, "X")) - 1)
    tags = (_q(ns, "Ntry"), _q(ns, "Stmt"))
    stmt: _Statement | None = None
    ordinal = 0
    with opener() as fh:
        try:
            for _, el in etree.iterparse(fh, events=("end",), tag=tags,
                                         resolve_entities=False, no_network=True):
                if el.tag == tags[0]:
                    ordinal += 1
                    if stmt is None:
                        stmt = _read_statement(doc, el.getparent())
                    _read_entry(doc, stmt, el, ordinal)
                    el.clear(keep_tail=True)
                    while (prev := el.getprevious()) is not None and prev.tag == tags[0]:
                        el.getparent().remove(prev)
                else:
                    _close_statement(doc, stmt or _read_statement(doc, el))
                    stmt = None
                    el.clear(keep_tail=True)
        except etree.XMLSyntaxError as exc:
            raise SourceFormatError(f"the file is not well-formed XML (line {exc.lineno}: "
                                    f"{exc.msg})", source_file=source_file,
                                    hint=_BROKEN_FILE_HINT) from None
    if doc.not_booked:
        kinds = ", ".join(f"{n} {s}" for s, n in sorted(doc.not_booked.items()))
        doc.warnings.append(f"{source_file}: skipped {sum(doc.not_booked.values())} entries "
                            f"that are not booked ({kinds})")
    payments, quarantine = payments_frame(doc.rows, doc.issues, source_file=source_file,
                                          date_format="%Y-%m-%d", date_hint="YYYY-MM-DD")
    return Loaded(
        tables={"payments": payments},
        quarantine=quarantine if quarantine.height else empty_quarantine(),
        rows_read={source_file: len(doc.rows) + len(doc.issues) + sum(doc.not_booked.values())},
        rows_skipped={source_file: sum(doc.not_booked.values())},
        warnings=tuple(doc.warnings),
    )


def _namespace(opener: Opener, source_file: str) -> str:
    """Namespace of the document after checking it is a BankToCustomerStatement."""
    names: list[etree.QName] = []
    with opener() as fh:
        try:
            for _, el in etree.iterparse(fh, events=("start",), resolve_entities=False,
                                         no_network=True):
                names.append(etree.QName(el))
                if len(names) == 2:
                    break
        except etree.XMLSyntaxError as exc:
            raise SourceFormatError(f"the file is not well-formed XML (line {exc.lineno}: "
                                    f"{exc.msg})", source_file=source_file,
                                    hint=_BROKEN_FILE_HINT) from None
    ns = (names[0].namespace or "") if names else ""
    found = "/".join(n.localname for n in names)
    if found != "Document/BkToCstmrStmt" or (ns and "camt.053" not in ns):
        raise SourceFormatError(
            f"not a camt.053 bank statement: the XML starts with <{found}>"
            + (f" in namespace {ns}" if ns else ""),
            source_file=source_file, hint=_WRONG_FILE_HINT)
    return ns


def _read_statement(doc: _Document, stmt: etree._Element) -> _Statement:
    balances: dict[str, tuple[int, str]] = {}
    for bal in stmt.iterfind(_q(doc.ns, "Bal")):
        code = doc.first_text(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        amt = bal.find(_q(doc.ns, "Amt"))
        if code is None or amt is None or code in balances:
            continue
        currency = amt.get("Ccy", "")
        cents = parse_cents(amt.text, currency)
        if cents is not None:
            balances[code] = (cents * (-1 if doc.text(bal, "CdtDbtInd") == "DBIT" else 1),
                              currency)
    return _Statement(
        stmt_id=doc.text(stmt, "Id") or "?",
        account_id=doc.first_text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id"),
        opening=balances.get("OPBD") or balances.get("PRCD"),
        closing=balances.get("CLBD"),
    )


def _close_statement(doc: _Document, stmt: _Statement) -> None:
    if stmt.opening is None or stmt.closing is None:
        return
    warning = balance_warning(doc.source_file, stmt.stmt_id, stmt.opening[0], stmt.movements,
                              stmt.closing[0], stmt.closing[1])
    if warning:
        doc.warnings.append(warning)


Flat = dict[str, list[str]]  # relative path (local names) -> texts, in document order


def _flatten(el: etree._Element, strip: int) -> tuple[Flat, list[Flat]]:
    """Texts of an entry by relative path, plus one such map per `NtryDtls/TxDtls`.

    One walk over the subtree instead of dozens of `find` calls: this is the hot loop of a
    large statement. `strip` is the length of the `{namespace}` prefix of tags.
    """
    flat: Flat = {}
    txs: list[Flat] = []

    def walk(node: etree._Element, prefix: str, out: Flat) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments, processing instructions
            path = prefix + tag[strip:]
            if path == "NtryDtls/TxDtls":
                txs.append({})
                walk(child, "", txs[-1])
            elif len(child):
                walk(child, path + "/", out)
            else:
                text = (child.text or "").strip()
                if text:
                    out.setdefault(path, []).append(text)
                if path.endswith("Amt") and (ccy := child.get("Ccy")):
                    out.setdefault(path + "@Ccy", []).append(ccy)

    walk(el, "", flat)
    return flat, txs


def _get(flat: Flat, *paths: str) -> str | None:
    """First text found under the first of `paths` present."""
    for path in paths:
        values = flat.get(path)
        if values:
            return values[0]
    return None


def _read_entry(doc: _Document, stmt: _Statement, ntry: etree._Element, ordinal: int) -> None:
    stmt.entries += 1
    flat, txs = _flatten(ntry, doc.strip)
    status = _get(flat, "Sts/Cd", "Sts/Prtry", "Sts") or "BOOK"
    if status != "BOOK":
        doc.not_booked[status] += 1
        return
    currency = _get(flat, "Amt@Ccy")
    raw_amount = _get(flat, "Amt")
    cents = parse_cents(raw_amount, currency)
    indicator = _get(flat, "CdtDbtInd")
    if cents is None:
        doc.issues.append(RowIssue(ordinal, "amount_cents", raw_amount,
                                   "not an amount (expected a number such as 1234.56)"))
        return
    if indicator not in _SIGN:
        doc.issues.append(RowIssue(ordinal, "amount_cents", indicator,
                                   "unknown credit/debit indicator (expected CRDT or DBIT)"))
        return
    signed = cents * _SIGN[indicator]
    stmt.movements += signed
    entry_ref = _get(flat, "AcctSvcrRef") or \
        f"{stmt.stmt_id}:{_get(flat, 'NtryRef') or stmt.entries}"
    common = {
        "source_row": ordinal,
        "entry_ref": entry_ref,
        "booking_date": _date(flat, "BookgDt"),
        "value_date": _date(flat, "ValDt"),
        "is_reversal": (_get(flat, "RvslInd") or "").lower() in ("true", "1"),
        "account_id": stmt.account_id,
    }
    entry_code = _tx_code(flat)
    entry_info = clean(_get(flat, "AddtlNtryInf"))
    if len(txs) <= 1:
        doc.rows.append({**common, **_tx_fields(txs[0] if txs else None, signed, entry_info,
                                                entry_code),
                         "record_id": entry_ref, "amount_cents": signed,
                         "currency": currency})
        return
    total = 0
    for i, tx in enumerate(txs, start=1):
        raw = _get(tx, "Amt", "AmtDtls/TxAmt/Amt")
        tx_ccy = _get(tx, "Amt@Ccy", "AmtDtls/TxAmt/Amt@Ccy") or currency
        tx_cents = parse_cents(raw, tx_ccy)
        if tx_cents is None:
            doc.issues.append(RowIssue(
                ordinal, "amount_cents", raw,
                f"transaction {i} of batch entry {entry_ref} has no readable amount"))
            continue
        tx_signed = tx_cents * _SIGN.get(_get(tx, "CdtDbtInd") or indicator, _SIGN[indicator])
        total += tx_signed
        doc.rows.append({**common, **_tx_fields(tx, tx_signed, entry_info, entry_code),
                         "record_id": f"{entry_ref}/{i}", "amount_cents": tx_signed,
                         "currency": tx_ccy})
    if total != signed:
        doc.warnings.append(
            f"{doc.source_file}: statement {stmt.stmt_id}: the {len(txs)} transactions of "
            f"batch entry {entry_ref} (entry {ordinal}) add up to {total} cents but the entry "
            f"amount is {signed} cents")


def _tx_fields(tx: Flat | None, signed: int, entry_info: str | None,
               entry_code: str | None) -> dict[str, Any]:
    """Counterparty, remittance and references of one transaction (None: entry only)."""
    if tx is None:
        return {"remittance": entry_info, "bank_tx_code": entry_code}
    party = "Dbtr" if signed >= 0 else "Cdtr"
    refs = tx.get("RmtInf/Strd/CdtrRefInf/Ref") or tx.get("RmtInf/Strd/RfrdDocInf/Nb") or []
    e2e = _get(tx, "Refs/EndToEndId")
    return {
        "payer_name": clean(_get(tx, f"RltdPties/{party}/Pty/Nm", f"RltdPties/{party}/Nm")),
        "payer_iban": _get(tx, f"RltdPties/{party}Acct/Id/IBAN"),
        "remittance": clean(" ".join(tx.get("RmtInf/Ustrd", ())))
        or clean(_get(tx, "AddtlTxInf")) or entry_info,
        "structured_ref": " ".join(dict.fromkeys(refs)) or None,
        "end_to_end_id": None if e2e in (None, "NOTPROVIDED") else e2e,
        "bank_tx_code": _tx_code(tx) or entry_code,
    }


def _tx_code(flat: Flat) -> str | None:
    """Bank transaction code as `Domain/Family/SubFamily`, else the proprietary code."""
    parts = [_get(flat, p) for p in ("BkTxCd/Domn/Cd", "BkTxCd/Domn/Fmly/Cd",
                                     "BkTxCd/Domn/Fmly/SubFmlyCd")]
    if all(parts):
        return "/".join(parts)  # type: ignore[arg-type]
    return _get(flat, "BkTxCd/Prtry/Cd")


def _date(flat: Flat, path: str) -> str | None:
    value = _get(flat, f"{path}/Dt", f"{path}/DtTm")
    return value[:10] if value else None
