"""Bank statements as a table, and the first controls an accountant runs on them.

Every bank loader (camt.053, camt.054, MT940, CFONB 120) reports one `Statement` per
statement it read: account, id, period, opening and closing balances, entries and the sum of
their movements. `statements_table` checks them together, across files and sources:
- balance: opening + movements = closing;
- chain: consecutive statements of one account follow each other: the opening balance of N+1
  is the closing balance of N, their periods neither overlap nor leave a working day out;
- duplicates: the same statement loaded twice (same account and id, or a copy of a file).
The checks become columns (`balance_ok`, `chain_ok`, `issue`) and warnings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Final

import polars as pl

from reconkit.money import currency_exponent, format_cents
from reconkit.schemas import PolarsDataType

STATEMENT_COLUMNS: Final[dict[str, PolarsDataType]] = {
    "system": pl.String, "account_id": pl.String, "statement_id": pl.String,
    "currency": pl.String, "from_date": pl.Date, "to_date": pl.Date,
    "opening_cents": pl.Int64, "opening_date": pl.Date, "closing_cents": pl.Int64,
    "closing_date": pl.Date, "entries": pl.Int64, "movements_cents": pl.Int64,
    "source_file": pl.String, "source_row": pl.Int64, "balance_ok": pl.Boolean,
    "chain_ok": pl.Boolean, "issue": pl.String,
}
SORT_KEYS: Final = ("account_id", "currency", "to_date", "from_date", "statement_id",
                    "source_file", "source_row")
_MAX_LISTED_DAYS: Final = 5


@dataclass(frozen=True)
class Statement:
    """What a loader read of one statement (balances signed, in minor units)."""

    account_id: str | None
    statement_id: str
    currency: str | None
    source_file: str
    source_row: int  # line of the statement's first record, or its ordinal in an XML file
    entries: int  # booked movements read (loaded or quarantined; pending ones are not)
    movements_cents: int  # sum of the booked movements that could be read
    opening_cents: int | None = None
    opening_date: date | None = None
    closing_cents: int | None = None
    closing_date: date | None = None
    from_date: date | None = None
    to_date: date | None = None
    system: str = "bank"
    chained: bool = True  # False for notifications (camt.054): no balance carried over


def period_of(opening: date | None, closing: date | None, booked: list[date],
              stated: tuple[date | None, date | None] = (None, None)) -> tuple[date | None,
                                                                               date | None]:
    """The days a statement covers: as stated by the bank, else from its balance dates.

    Banks date the opening balance either on the statement day (balance at start of day) or
    on the previous statement's day (MT940 `:60F:`, CFONB 01): a statement starts the day
    after its opening balance date when that is earlier than the closing date.
    """
    start, end = stated
    end = end or closing or (max(booked) if booked else None)
    if start is None:
        if opening is not None and end is not None:
            start = opening + timedelta(days=1) if opening < end else opening
        else:
            start = min(booked) if booked else end
    return start, end


def statements_table(statements: list[Statement]) -> tuple[pl.DataFrame, list[str]]:
    """The statements as a sorted frame with their checks, and one warning per problem."""
    if not statements:
        return pl.DataFrame(schema=STATEMENT_COLUMNS), []
    rows = sorted((asdict(s) for s in statements), key=_sort_key)
    balance_issue: list[bool] = [False] * len(rows)
    issues: list[list[str]] = [[] for _ in rows]
    chain: list[bool | None] = [None] * len(rows)
    balance: list[bool | None] = []
    for i, r in enumerate(rows):
        ok = None
        if r["opening_cents"] is not None and r["closing_cents"] is not None:
            ok = r["opening_cents"] + r["movements_cents"] == r["closing_cents"]
            if not ok:
                balance_issue[i] = True
                issues[i].append(
                    f"opening {_money(r['opening_cents'], r)} + movements "
                    f"{_money(r['movements_cents'], r)} = "
                    f"{_money(r['opening_cents'] + r['movements_cents'], r)}, but the closing "
                    f"balance is {_money(r['closing_cents'], r)}")
        balance.append(ok)
    _check_chains(rows, chain, issues)
    frame = pl.DataFrame(
        [{**{k: r[k] for k in STATEMENT_COLUMNS if k in r}, "balance_ok": b, "chain_ok": c,
          "issue": "; ".join(t) or None}
         for r, b, c, t in zip(rows, balance, chain, issues, strict=True)],
        schema=STATEMENT_COLUMNS)
    # the loaders already warn about balances that do not add up, file by file
    warnings = [f"{r['source_file']}: statement {r['statement_id']} of account "
                f"{r['account_id'] or '?'}: {'; '.join(t[1:] if b else t)}"
                for r, t, b in zip(rows, issues, balance_issue, strict=True)
                if t[1 if b else 0:]]
    return frame, warnings


def _check_chains(rows: list[dict[str, Any]], chain: list[bool | None],
                  issues: list[list[str]]) -> None:
    """Duplicates, then balance and date continuity with the previous statement."""
    seen: dict[tuple[Any, ...], int] = {}
    prev_of: dict[tuple[Any, Any], int] = {}
    for i, r in enumerate(rows):
        same_id = (r["account_id"], r["currency"], r["statement_id"], r["to_date"])
        if same_id in seen:
            first = rows[seen[same_id]]
            copy = all(r[k] == first[k] for k in ("opening_cents", "closing_cents",
                                                   "movements_cents", "entries"))
            issues[i].append(
                f"{'duplicate' if copy else 'another version'} of statement "
                f"{r['statement_id']} already read in {first['source_file']}"
                + ("" if copy else " with different figures"))
            chain[i] = False
            continue
        seen[same_id] = i
        key = (r["account_id"], r["currency"])
        if not r["chained"] or r["account_id"] is None or key not in prev_of:
            if r["chained"]:
                prev_of[key] = i
            continue
        prev = rows[prev_of[key]]
        prev_of[key] = i
        chain[i] = _link(prev, r, issues[i])


def _link(prev: dict[str, Any], cur: dict[str, Any], issues: list[str]) -> bool:
    ok = True
    where = f"statement {prev['statement_id']} ({prev['source_file']})"
    if prev["closing_cents"] is not None and cur["opening_cents"] is not None \
            and prev["closing_cents"] != cur["opening_cents"]:
        ok = False
        issues.append(f"opening balance {_money(cur['opening_cents'], cur)} differs from the "
                      f"closing balance {_money(prev['closing_cents'], prev)} of {where}")
    p_end, c_start = prev["to_date"], cur["from_date"]
    if isinstance(p_end, date) and isinstance(c_start, date):
        if c_start <= p_end:
            ok = False
            issues.append(f"its period starts on {c_start}, within {where} ending {p_end}")
        else:
            gap = [p_end + timedelta(days=k) for k in range(1, (c_start - p_end).days)]
            missing = [d for d in gap if d.weekday() < 5]
            if missing:
                ok = False
                listed = ", ".join(str(d) for d in missing[:_MAX_LISTED_DAYS])
                more = len(missing) - _MAX_LISTED_DAYS
                issues.append(f"missing day{'s' if len(missing) > 1 else ''} since {where}: "
                              f"{listed}" + (f" and {more} more" if more > 0 else ""))
    return ok


def _sort_key(r: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((r[k] is None, r[k] if r[k] is not None else 0) for k in SORT_KEYS)


def _money(cents: int, row: dict[str, Any]) -> str:
    ccy = str(row["currency"] or "")
    return f"{format_cents(cents, scale=currency_exponent(ccy))} {ccy}".strip()
