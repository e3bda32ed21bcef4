"""One camt entry (`Ntry`, identical in camt.052/053/054) into payment rows.

One payment per underlying transaction: an entry with zero or one `TxDtls` gives one payment
whose record id is the entry's bank reference (`AcctSvcrRef`); a batch entry with k > 1
`TxDtls` gives k payments whose ids append `/<i>`. Debits name the creditor, credits the
debtor. Dates given as date-times are taken in the company time zone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl
from lxml import etree

from reconkit.loaders._bank import (
    TOO_LARGE,
    RowIssue,
    clean,
    local_date,
    parse_cents,
    raw_payments,
    too_large,
)
from reconkit.loaders.statements import Statement
from reconkit.money import currency_exponent, format_cents

SIGN: Final = {"CRDT": 1, "DBIT": -1}


@lru_cache(maxsize=512)
def q(ns: str, path: str) -> str:
    """ElementPath for `path` (e.g. `RltdPties/Dbtr/Nm`) in namespace `ns` ('' if none)."""
    prefix = f"{{{ns}}}" if ns else ""
    return "/".join(prefix + step for step in path.split("/"))


@dataclass
class Running:
    """Running state of the statement (or notification) being read."""

    stmt_id: str
    account_id: str | None
    entries: int = 0  # every Ntry, booked or not (numbers entries without a reference)
    booked: int = 0
    movements: int = 0
    currency: str | None = None
    first_day: str | None = None
    last_day: str | None = None

    def book(self, cents: int, currency: str | None, day: str | None) -> None:
        self.movements += cents
        self.currency = self.currency or currency
        if day and len(day) == 10:
            self.first_day = min(self.first_day or day, day)
            self.last_day = max(self.last_day or day, day)


@dataclass
class Doc:
    """What has been collected from one XML document so far."""

    ns: str
    source_file: str
    tz: ZoneInfo
    strip: int = 0  # length of the "{namespace}" prefix of tags
    rows: list[dict[str, Any]] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_booked: Counter[str] = field(default_factory=Counter)
    statements: list[Statement] = field(default_factory=list)
    frames: list[pl.DataFrame] = field(default_factory=list)  # raw payments read in batches

    def keep_rows(self) -> None:
        """Move `rows` into `frames`, keeping document order before a batch is added."""
        if self.rows:
            self.frames.append(raw_payments(self.rows))
            self.rows.clear()

    def row_count(self) -> int:
        return len(self.rows) + sum(f.height for f in self.frames)

    def take_payments(self) -> pl.DataFrame:
        """Every raw payment read so far (`RAW_SCHEMA`), in document order; then forget them."""
        self.keep_rows()
        frames, self.frames = self.frames, []
        return pl.concat(frames) if frames else raw_payments([])

    def text(self, el: etree._Element, path: str) -> str | None:
        node = el.find(q(self.ns, path))
        if node is None or node.text is None:
            return None
        return node.text.strip() or None

    def first_text(self, el: etree._Element, *paths: str) -> str | None:
        for path in paths:
            value = self.text(el, path)
            if value is not None:
                return value
        return None


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


def get(flat: Flat, *paths: str) -> str | None:
    """First text found under the first of `paths` present."""
    for path in paths:
        values = flat.get(path)
        if values:
            return values[0]
    return None


def read_entry(doc: Doc, run: Running, ntry: etree._Element, ordinal: int) -> None:
    """Append the payments of one entry to `doc` (or its quarantine issues)."""
    run.entries += 1
    flat, txs = _flatten(ntry, doc.strip)
    status = get(flat, "Sts/Cd", "Sts/Prtry", "Sts") or "BOOK"
    if status != "BOOK":
        doc.not_booked[status] += 1
        return
    run.booked += 1
    currency = get(flat, "Amt@Ccy")
    raw_amount = get(flat, "Amt")
    cents = parse_cents(raw_amount, currency)
    indicator = get(flat, "CdtDbtInd")
    if cents is None or too_large(cents):
        doc.issues.append(RowIssue(ordinal, "amount_cents", raw_amount, TOO_LARGE if cents
                                   else "not an amount (expected a number such as 1234.56)"))
        return
    if indicator not in SIGN:
        doc.issues.append(RowIssue(ordinal, "amount_cents", indicator,
                                   "unknown credit/debit indicator (expected CRDT or DBIT)"))
        return
    signed = cents * SIGN[indicator]
    entry_ref = get(flat, "AcctSvcrRef") or f"{run.stmt_id}:{get(flat, 'NtryRef') or run.entries}"
    booking = local_date(get(flat, "BookgDt/Dt", "BookgDt/DtTm"), doc.tz)
    run.book(signed, currency, booking)
    common = {
        "source_row": ordinal,
        "entry_ref": entry_ref,
        "booking_date": booking,
        "value_date": local_date(get(flat, "ValDt/Dt", "ValDt/DtTm"), doc.tz),
        "is_reversal": (get(flat, "RvslInd") or "").lower() in ("true", "1"),
        "account_id": run.account_id,
    }
    entry_code = _tx_code(flat)
    entry_info = clean(get(flat, "AddtlNtryInf"))
    where = f"{doc.source_file}: statement {run.stmt_id}:"
    if len(txs) <= 1:
        tx = txs[0] if txs else None
        doc.rows.append({**common, **_tx_fields(tx, signed, entry_info, entry_code),
                         "record_id": entry_ref, "amount_cents": signed, "currency": currency})
        detail = None  # parsed only when its text differs from the entry's (hot loop)
        if tx is not None and get(tx, "Amt", "AmtDtls/TxAmt/Amt") not in (None, raw_amount):
            detail = _tx_amount(tx, currency)
        if detail is not None and detail[1] == currency and detail[0] != cents:
            doc.warnings.append(tx_amount_warning(doc, run, entry_ref, ordinal, cents,
                                                  detail[0], currency))
        return
    total = 0
    for i, tx in enumerate(txs, start=1):
        raw = get(tx, "Amt", "AmtDtls/TxAmt/Amt")
        amount = _tx_amount(tx, currency)
        if amount is None or too_large(amount[0]):
            doc.issues.append(RowIssue(
                ordinal, "amount_cents", raw,
                f"transaction {i} of batch entry {entry_ref} has no readable amount"
                if amount is None else f"transaction {i} of batch entry {entry_ref}: "
                + TOO_LARGE))
            continue
        tx_signed = amount[0] * SIGN.get(get(tx, "CdtDbtInd") or indicator, SIGN[indicator])
        total += tx_signed
        doc.rows.append({**common, **_tx_fields(tx, tx_signed, entry_info, entry_code),
                         "record_id": f"{entry_ref}/{i}", "amount_cents": tx_signed,
                         "currency": amount[1]})
    if total != signed:
        doc.warnings.append(
            f"{where} the {len(txs)} transactions of batch entry {entry_ref} (entry "
            f"{ordinal}) add up to {total} cents but the entry amount is {signed} cents")


def tx_amount_warning(doc: Doc, run: Running, entry_ref: str, ordinal: int, cents: int,
                      detail: int, currency: str | None) -> str:
    """An entry whose single transaction states another amount: which one is loaded."""
    scale = currency_exponent(currency or "")
    return (f"{doc.source_file}: statement {run.stmt_id}: entry {entry_ref} (entry {ordinal}) "
            f"is {format_cents(cents, scale=scale)} {currency} but its transaction details "
            f"say {format_cents(detail, scale=scale)} {currency}: the entry amount is "
            "loaded; ask the bank which one was booked")


def _tx_amount(tx: Flat, currency: str | None) -> tuple[int, str | None] | None:
    """Unsigned minor units and currency of a transaction (`Amt`, or `.02`'s `TxAmt`)."""
    raw = get(tx, "Amt", "AmtDtls/TxAmt/Amt")
    ccy = get(tx, "Amt@Ccy", "AmtDtls/TxAmt/Amt@Ccy") or currency
    cents = parse_cents(raw, ccy)
    return None if cents is None else (cents, ccy)


def _tx_fields(tx: Flat | None, signed: int, entry_info: str | None,
               entry_code: str | None) -> dict[str, Any]:
    """Counterparty, remittance and references of one transaction (None: entry only).

    A returned direct debit or transfer (`RtrInf`) keeps its reason code in the remittance
    text (`return AC04: closed account`), where the reviewer sees it.
    """
    if tx is None:
        return {"remittance": entry_info, "bank_tx_code": entry_code}
    party = "Dbtr" if signed >= 0 else "Cdtr"
    refs = tx.get("RmtInf/Strd/CdtrRefInf/Ref") or tx.get("RmtInf/Strd/RfrdDocInf/Nb") or []
    e2e = get(tx, "Refs/EndToEndId")
    remittance = clean(" ".join(tx.get("RmtInf/Ustrd", ()))) \
        or clean(get(tx, "AddtlTxInf")) or entry_info
    if reason := get(tx, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry"):
        info = clean(" ".join(tx.get("RtrInf/AddtlInf", ())))
        returned = f"return {reason}" + (f": {info}" if info else "")
        remittance = f"{remittance} ({returned})" if remittance else returned
    return {
        "payer_name": clean(get(tx, f"RltdPties/{party}/Pty/Nm", f"RltdPties/{party}/Nm")),
        "payer_iban": get(tx, f"RltdPties/{party}Acct/Id/IBAN"),
        "remittance": remittance,
        "structured_ref": " ".join(dict.fromkeys(refs)) or None,
        "end_to_end_id": None if e2e in (None, "NOTPROVIDED") else e2e,
        "bank_tx_code": _tx_code(tx) or entry_code,
    }


def _tx_code(flat: Flat) -> str | None:
    """Bank transaction code as `Domain/Family/SubFamily`, else the proprietary code."""
    parts = [get(flat, p) for p in ("BkTxCd/Domn/Cd", "BkTxCd/Domn/Fmly/Cd",
                                    "BkTxCd/Domn/Fmly/SubFmlyCd")]
    if all(parts):
        return "/".join(parts)  # type: ignore[arg-type]
    return get(flat, "BkTxCd/Prtry/Cd")
