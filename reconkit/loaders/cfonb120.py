"""CFONB 120 ("relevé 120 caractères", French bank statements) into `payments`.

Fixed-width records (positions 0-based, see formats.md §2.3): 01 old balance opens a
statement, each 04 movement is one payment, the 05 records after it add details (payer name,
remittance, references), 07 new balance closes the statement. The reader is strict about this
structure, because a record out of place means the file was cut or spliced: it raises a
SourceFormatError naming the line. Amounts carry their sign in the last character (overpunch);
balance records that leave the currency and decimals blank take them from the statement's 04
records, else from the account currency. An operation repeated verbatim is loaded twice and
reported. `path:` may be a file or a folder of statement files (read in name order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal, overload

from reconkit.errors import SourceFormatError
from reconkit.loaders._bank import (
    TOO_LARGE,
    RowIssue,
    balance_warning,
    check_options,
    clean,
    combine,
    iban_or_none,
    payments_frame,
    read_statement_text,
    statement_files,
    too_large,
)
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.statements import Statement, period_of
from reconkit.money import currency_exponent, to_cents
from reconkit.schemas import empty_quarantine

RECORD_LENGTH: Final = 120
OPTIONS: Final = frozenset({"encoding", "fragment", "timezone"})  # dates are already local
SUFFIXES: Final = (".txt", ".cfonb", ".cfonb120", ".120", ".dat", ".asc")
_OVERPUNCH: Final = {**{c: (1, d) for d, c in enumerate("{ABCDEFGHI")},
                     **{c: (-1, d) for d, c in enumerate("}JKLMNOPQR")}}
_KNOWN_QUALIFIERS: Final = frozenset({"LIB", "NPY", "NBE", "RCN", "REF", "LCC", "LC2", "LCS",
                                      "MMO", "IPY", "IBE", "NPO", "NBU", "FEE", "IPO", "IBU",
                                      "RCD", "CBE", "BDB", "LCD", "RCS"})
_HINT: Final = ("the CFONB 120 file looks cut or assembled from several exports: download the "
                "statement again from your bank (each account's block must run 01, 04/05..., "
                "07)")
_LAYOUT_HINT: Final = ("the record is not laid out as a CFONB 120 record (amount at positions "
                       "91-104: 13 digits and a last character {, A-I, } or J-R carrying the "
                       "sign; decimals count at position 20): check the export settings or ask "
                       "the bank for a new file")


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
    """The statement opened by a 01 record; its balance is scaled once decimals are known."""

    line_no: int
    account: str
    currency: str  # may be blank in the 01 record: then the first 04's
    opening_raw: int  # signed amount digits, before the decimals are applied
    opening_date: date
    decimals: int | None  # None: blank in the 01 record, taken from a 04 or the currency
    movements: int = 0
    entries: int = 0
    booked: list[date] = field(default_factory=list)

    def learn(self, rec: str) -> None:
        """Fill a blank currency or decimals count from one of the statement's 04 records."""
        if not self.currency.strip() and rec[16:19].strip():
            self.currency = rec[16:19]
        if self.decimals is None and rec[19].isdigit():
            self.decimals = int(rec[19])


@register_loader("cfonb120")
def load_cfonb120(path: Path, **options: Any) -> Loaded:
    """Load a CFONB 120 statement file into the canonical `payments` table.

    Option `fragment=True` accepts 04/05 records without the 01/07 balance frame (single
    operations as some bank APIs deliver them).
    """
    path = Path(path)
    check_options("cfonb120", options, OPTIONS, path.name)
    encoding = str(options["encoding"]) if options.get("encoding") else None
    return combine([_load_file(f, encoding, bool(options.get("fragment")))
                    for f in statement_files(path, SUFFIXES, "CFONB 120")])


def _load_file(path: Path, encoding: str | None, fragment: bool) -> Loaded:
    text = read_statement_text(path, encoding)
    reader = _Reader(path.name, fragment=fragment)
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
        rows_quarantined={path.name: len(issues) + len(rows) - payments.height},
        warnings=tuple(reader.warnings),
        statements=tuple(reader.statements),
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
        self.statements: list[Statement] = []
        self.seen: dict[str, int] = {}  # 04 record text -> its first line

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
        day = self.date(no, rec[34:40], "old balance (01)")
        self.statement = _Statement(no, rec[21:32].strip(), rec[16:19],
                                    self.balance(no, rec, "old balance (01)"),
                                    _parse_day(day), self.decimals(no, rec, "old balance (01)"))

    def new_balance(self, no: int, rec: str) -> None:
        if self.statement is None:
            raise self.fail(no, "a new balance record (07) without an old balance record (01) "
                                "opening the statement")
        self.close_operation()
        day = _parse_day(self.date(no, rec[34:40], "new balance (07)"))
        stmt = self.statement
        stmt.learn(rec)
        raw = self.balance(no, rec, "new balance (07)")
        decimals = self.decimals(no, rec, "new balance (07)")
        opening = self.scaled(no, stmt.opening_raw, stmt.decimals, stmt.currency, "old")
        closing = self.scaled(no, raw, decimals if decimals is not None else stmt.decimals,
                              stmt.currency, "new")
        currency = stmt.currency.strip() or "EUR"
        warning = balance_warning(self.source_file,
                                  f"account {stmt.account} (lines {stmt.line_no}-{no})",
                                  opening, stmt.movements, closing, currency)
        if warning:
            self.warnings.append(warning)
        self.statements.append(self.summary(stmt, opening, (closing, day)))
        self.statement = None

    def summary(self, stmt: _Statement, opening: int | None,
                closing: tuple[int, date] | None) -> Statement:
        end = closing[1] if closing else None
        start, end = period_of(stmt.opening_date, end, stmt.booked)
        return Statement(
            account_id=stmt.account or None,
            statement_id=f"{stmt.account}:{(end or stmt.opening_date):%Y%m%d}",
            currency=stmt.currency.strip() or None, source_file=self.source_file,
            source_row=stmt.line_no, entries=stmt.entries, movements_cents=stmt.movements,
            opening_cents=opening, opening_date=stmt.opening_date,
            closing_cents=closing[0] if closing else None, closing_date=end if closing else None,
            from_date=start, to_date=end)

    def movement(self, no: int, rec: str) -> None:
        if self.statement is None and not self.fragment:
            raise self.fail(no, "an operation (04) outside a statement: no old balance record "
                                "(01) opens it")
        self.close_operation()
        stmt = self.statement
        if stmt is not None:
            stmt.learn(rec)
            stmt.entries += 1
        currency = rec[16:19] if rec[16:19].strip() else (stmt.currency if stmt else "   ")
        decimals = int(rec[19]) if rec[19].isdigit() else (stmt.decimals if stmt else None)
        raw = self.raw_amount(rec) if rec[19].isdigit() or rec[19] == " " else None
        cents = None if raw is None else _scale(raw, decimals, currency)
        booking = self.date(no, rec[34:40], "operation (04)")
        self.operation = _Operation(
            line_no=no, account=rec[21:32].strip(), currency=currency,
            booking_date=booking,
            value_date=self.date(no, rec[42:48], "operation (04) value", optional=True),
            cents=cents, raw_amount=rec[90:104], ref=rec[104:120].strip(),
            entry_number=rec[81:88].strip(), label=rec[48:80].strip(), tx_code=rec[32:34],
        )
        key = rec.rstrip()
        if key in self.seen:
            self.warnings.append(
                f"{self.source_file}: line {no} repeats the operation (04) of line "
                f"{self.seen[key]} verbatim (same account, date, amount, label, entry number "
                "and reference): both are loaded; if the bank sent it twice, ask for a "
                "corrected statement")
        self.seen.setdefault(key, no)
        if stmt is not None and cents is not None and not too_large(cents):
            stmt.movements += cents
            stmt.booked.append(_parse_day(booking))

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
            stmt = self.statement
            self.statements.append(self.summary(stmt, self.scaled(
                stmt.line_no, stmt.opening_raw, stmt.decimals, stmt.currency, "old"), None))
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
        """Signed digits of a balance amount (decimals applied later), or a clear error."""
        raw = self.raw_amount(rec)
        if raw is None:
            raise SourceFormatError(f"unreadable amount '{rec[90:104]}' in the {what} record",
                                    source_file=self.source_file, row=no, hint=_LAYOUT_HINT)
        return raw

    def decimals(self, no: int, rec: str, what: str) -> int | None:
        """The decimals count at position 20; None when blank (taken from elsewhere)."""
        if rec[19].isdigit():
            return int(rec[19])
        if rec[19] == " ":
            return None
        raise SourceFormatError(f"the decimals count of the {what} record is '{rec[19]}' "
                                "(expected a digit, or blank)", source_file=self.source_file,
                                row=no, hint=_LAYOUT_HINT)

    def scaled(self, no: int, raw: int, decimals: int | None, currency: str, which: str) -> int:
        cents = _scale(raw, decimals, currency)
        if too_large(cents):
            raise SourceFormatError(f"the {which} balance is {TOO_LARGE}",
                                    source_file=self.source_file, row=no, hint=_LAYOUT_HINT)
        return cents

    @staticmethod
    def raw_amount(rec: str) -> int | None:
        """Signed digits of the 14-char overpunched amount at 90-103; None if unreadable."""
        field_ = rec[90:104]
        sign_digit = _OVERPUNCH.get(field_[-1])
        digits = field_[:-1].replace(" ", "0")
        if sign_digit is None or not digits.isdigit():
            return None
        sign, last = sign_digit
        return sign * int(digits + str(last))


def _scale(raw: int, decimals: int | None, currency: str) -> int:
    """Minor units of signed amount digits: decimals as given, else the currency's own."""
    exponent = currency_exponent(currency.strip())
    value = Decimal(raw).scaleb(-(exponent if decimals is None else decimals))
    return to_cents(value, scale=exponent)


def _parse_day(text: str) -> date:
    return datetime.strptime(text, "%d%m%y").date()


def _payments(operations: list[_Operation]) -> tuple[list[dict[str, Any]], list[RowIssue]]:
    """Rows for `payments_frame`; ids are the bank reference when unique in the file."""
    refs = Counter(op.ref for op in operations if op.ref)
    fallbacks = Counter(_fallback_id(op) for op in operations if refs[op.ref] != 1)
    seen: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    issues: list[RowIssue] = []
    for op in operations:
        if op.cents is None or too_large(op.cents):
            issues.append(RowIssue(op.line_no, "amount_cents", op.raw_amount, TOO_LARGE
                                   if op.cents else "not an amount (14 digits, the last one "
                                   "overpunched with its sign)"))
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
