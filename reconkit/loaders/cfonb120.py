"""CFONB 120 ("relevé 120 caractères", French bank statements) into `payments`.

Fixed-width records (positions 0-based, see formats.md §2.3): 01 old balance opens a
statement, each 04 movement is one payment, the 05 records after it add details (payer name,
remittance, references), 07 new balance closes the statement. The reader is strict about this
structure, because a record out of place means the file was cut or spliced: it raises a
SourceFormatError naming the line. Amounts carry their sign in the last character (overpunch).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal, overload

from reconkit.errors import SourceFormatError
from reconkit.loaders._bank import (
    RowIssue,
    balance_warning,
    clean,
    iban_or_none,
    payments_frame,
)
from reconkit.loaders._text import read_text
from reconkit.loaders.base import Loaded, register_loader
from reconkit.money import currency_exponent, to_cents
from reconkit.schemas import empty_quarantine

RECORD_LENGTH: Final = 120
_OVERPUNCH: Final = {**{c: (1, d) for d, c in enumerate("{ABCDEFGHI")},
                     **{c: (-1, d) for d, c in enumerate("}JKLMNOPQR")}}
_KNOWN_QUALIFIERS: Final = frozenset({"LIB", "NPY", "NBE", "RCN", "REF", "LCC", "LC2", "LCS",
                                      "MMO", "IPY", "IBE", "NPO", "NBU", "FEE", "IPO", "IBU",
                                      "RCD", "CBE", "BDB", "LCD", "RCS"})
_HINT: Final = ("the CFONB 120 file looks cut or assembled from several exports: download the "
                "statement again from your bank (each account's block must run 01, 04/05..., "
                "07)")


@dataclass
class _Operation:
    """A 04 movement and what its 05 details added."""

    line_no: int
    account: str
    currency: str
    booking_date: str
    value_date: str | None
    cents: int | None
    raw_amount: str
    ref: str
    entry_number: str
    label: str
    tx_code: str
    details: dict[str, str] = field(default_factory=dict)
    remittance: list[str] = field(default_factory=list)


@dataclass
class _Statement:
    line_no: int
    account: str
    currency: str
    opening: int
    movements: int = 0


@register_loader("cfonb120")
def load_cfonb120(path: Path, **options: Any) -> Loaded:
    """Load a CFONB 120 statement file into the canonical `payments` table.

    Option `fragment=True` accepts 04/05 records without the 01/07 balance frame (single
    operations as some bank APIs deliver them).
    """
    path = Path(path)
    text, _ = read_text(path, options.get("encoding"))
    reader = _Reader(path.name, fragment=bool(options.get("fragment", False)))
    for no, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            reader.record(no, line)
    reader.finish()
    rows, issues = _payments(reader.operations)
    payments, quarantine = payments_frame(rows, issues, source_file=path.name,
                                          date_format="%d%m%y", date_hint="DDMMYY")
    return Loaded(
        tables={"payments": payments},
        quarantine=quarantine if quarantine.height else empty_quarantine(),
        rows_read={path.name: len(reader.operations)},
        warnings=tuple(reader.warnings),
    )


class _Reader:
    """State machine over the records of one file: statement frame, current operation."""

    def __init__(self, source_file: str, *, fragment: bool) -> None:
        self.source_file = source_file
        self.fragment = fragment
        self.statement: _Statement | None = None
        self.operation: _Operation | None = None
        self.operations: list[_Operation] = []
        self.warnings: list[str] = []
        self.unknown: Counter[str] = Counter()

    def fail(self, no: int, message: str) -> SourceFormatError:
        return SourceFormatError(message, source_file=self.source_file, row=no, hint=_HINT)

    def record(self, no: int, line: str) -> None:
        if len(line.rstrip()) > RECORD_LENGTH:
            raise self.fail(no, f"the record is {len(line.rstrip())} characters long; CFONB "
                                f"120 records have {RECORD_LENGTH}")
        rec = line.ljust(RECORD_LENGTH)
        code = rec[:2]
        if code == "01":
            self.old_balance(no, rec)
        elif code == "04":
            self.movement(no, rec)
        elif code == "05":
            self.detail(no, rec)
        elif code == "07":
            self.new_balance(no, rec)
        else:
            raise self.fail(no, f"unknown record code '{code}' (expected 01, 04, 05 or 07)")

    def old_balance(self, no: int, rec: str) -> None:
        if self.statement is not None:
            raise self.fail(no, "a new statement (01 old balance) starts before the statement "
                                f"opened at line {self.statement.line_no} was closed by a 07 "
                                "new balance record")
        self.close_operation()
        self.date(no, rec[34:40], "old balance (01)")
        self.statement = _Statement(no, rec[21:32].strip(), rec[16:19],
                                    self.balance(no, rec, "old balance (01)"))

    def new_balance(self, no: int, rec: str) -> None:
        if self.statement is None:
            raise self.fail(no, "a new balance record (07) without an old balance record (01) "
                                "opening the statement")
        self.close_operation()
        self.date(no, rec[34:40], "new balance (07)")
        closing = self.balance(no, rec, "new balance (07)")
        stmt = self.statement
        warning = balance_warning(self.source_file,
                                  f"account {stmt.account} (lines {stmt.line_no}-{no})",
                                  stmt.opening, stmt.movements, closing, stmt.currency)
        if warning:
            self.warnings.append(warning)
        self.statement = None

    def movement(self, no: int, rec: str) -> None:
        if self.statement is None and not self.fragment:
            raise self.fail(no, "an operation (04) outside a statement: no old balance record "
                                "(01) opens it")
        self.close_operation()
        cents = self.amount(rec)
        self.operation = _Operation(
            line_no=no, account=rec[21:32].strip(), currency=rec[16:19],
            booking_date=self.date(no, rec[34:40], "operation (04)"),
            value_date=self.date(no, rec[42:48], "operation (04) value", optional=True),
            cents=cents, raw_amount=rec[90:104], ref=rec[104:120].strip(),
            entry_number=rec[81:88].strip(), label=rec[48:80].strip(), tx_code=rec[32:34],
        )
        if self.statement is not None and cents is not None:
            self.statement.movements += cents

    def detail(self, no: int, rec: str) -> None:
        if self.operation is None:
            raise self.fail(no, "an operation detail (05) without an operation record (04) "
                                "before it")
        qualifier, text = rec[45:48], rec[48:118]
        op = self.operation
        if qualifier in ("LIB", "LCC", "LC2"):
            op.remittance.append(text.strip())
        elif qualifier == "RCN":
            op.details.setdefault("RCN", text[:35].strip())
            op.remittance.append(text[35:].strip())
        elif qualifier in ("IPY", "IBE"):
            iban = next((i for t in text.split() if (i := iban_or_none(t))), None)
            if iban:
                op.details.setdefault(qualifier, iban)
        elif qualifier in _KNOWN_QUALIFIERS:
            op.details.setdefault(qualifier, text.strip())
        elif qualifier.strip() or text.strip():
            self.unknown[qualifier] += 1

    def finish(self) -> None:
        self.close_operation()
        if self.statement is not None:
            self.warnings.append(
                f"{self.source_file}: the statement of account {self.statement.account} opened "
                f"at line {self.statement.line_no} has no new balance record (07): the file "
                "may be cut short")
        if self.unknown:
            kinds = ", ".join(f"'{q}' x{n}" for q, n in sorted(self.unknown.items()))
            self.warnings.append(f"{self.source_file}: ignored operation details (05) with an "
                                 f"unknown qualifier: {kinds}")

    def close_operation(self) -> None:
        if self.operation is not None:
            self.operations.append(self.operation)
            self.operation = None

    @overload
    def date(self, no: int, text: str, what: str, *, optional: Literal[False] = False) -> str:
        ...

    @overload
    def date(self, no: int, text: str, what: str, *, optional: bool) -> str | None:
        ...

    def date(self, no: int, text: str, what: str, *, optional: bool = False) -> str | None:
        """Check a DDMMYY date; return it unchanged (parsed later, vectorised)."""
        if optional and not text.strip():
            return None
        try:
            datetime.strptime(text, "%d%m%y")
        except ValueError:
            raise self.fail(no, f"invalid date '{text}' in the {what} record (expected "
                                "DDMMYY)") from None
        return text

    def balance(self, no: int, rec: str, what: str) -> int:
        cents = self.amount(rec)
        if cents is None:
            raise self.fail(no, f"unreadable amount '{rec[90:104]}' in the {what} record")
        return cents

    @staticmethod
    def amount(rec: str) -> int | None:
        """Signed minor units of the 14-char overpunched amount at 90-103; None if unreadable."""
        field_ = rec[90:104]
        sign_digit = _OVERPUNCH.get(field_[-1])
        digits = field_[:-1].replace(" ", "0")
        if sign_digit is None or not digits.isdigit() or not rec[19].isdigit():
            return None
        sign, last = sign_digit
        value = Decimal(int(digits + str(last))).scaleb(-int(rec[19]))
        return sign * to_cents(value, scale=currency_exponent(rec[16:19]))


def _payments(operations: list[_Operation]) -> tuple[list[dict[str, Any]], list[RowIssue]]:
    """Rows for `payments_frame`; ids are the bank reference when unique in the file."""
    refs = Counter(op.ref for op in operations if op.ref)
    fallbacks = Counter(_fallback_id(op) for op in operations if refs[op.ref] != 1)
    seen: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    issues: list[RowIssue] = []
    for op in operations:
        if op.cents is None:
            issues.append(RowIssue(op.line_no, "amount_cents", op.raw_amount,
                                   "not an amount (14 digits, the last one overpunched "
                                   "with its sign)"))
            continue
        if op.ref and refs[op.ref] == 1:
            record_id = op.ref
        else:
            record_id = _fallback_id(op)
            if fallbacks[record_id] > 1:
                seen[record_id] += 1
                record_id = f"{record_id}:{seen[record_id]}"
        name_keys = ("NPY", "NBE") if op.cents >= 0 else ("NBE", "NPY")
        rows.append({
            "record_id": record_id,
            "source_row": op.line_no,
            "entry_ref": op.ref or record_id,
            "booking_date": op.booking_date,
            "value_date": op.value_date,
            "amount_cents": op.cents,
            "currency": op.currency,
            "payer_name": clean(op.details.get(name_keys[0]) or op.details.get(name_keys[1])),
            "payer_iban": op.details.get("IPY") or op.details.get("IBE"),
            "remittance": clean(" ".join([op.label, *op.remittance])),
            "structured_ref": clean(op.details.get("REF")),
            "end_to_end_id": clean(op.details.get("RCN")),
            "bank_tx_code": clean(op.tx_code),
            "is_reversal": False,
            "account_id": op.account or None,
        })
    return rows, issues


def _fallback_id(op: _Operation) -> str:
    """`<account>:<YYYYMMDD>:<entry number>` for operations without a usable reference."""
    day = datetime.strptime(op.booking_date, "%d%m%y").strftime("%Y%m%d")
    return f"{op.account}:{day}:{op.entry_number}"
