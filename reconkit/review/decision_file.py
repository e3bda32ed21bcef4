"""Decisions from user input: one from command-line options, many from a CSV file or the
exceptions workbook (its `review queue` sheet with the `action` column filled).

Library logic shared by the CLI and any batch caller: a bad row is a plain-language error with
its line number, and a file is recorded whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reconkit.errors import ReconkitError
from reconkit.review.store import Decision

REVIEW_ACTIONS = ("confirm", "reject", "note")


def parse_decision(action: str, match_id: str | None, exception_id: str | None,
                   note: str | None) -> Decision:
    """A decision from user input, or a plain-language reason why it is not one."""
    if action not in REVIEW_ACTIONS:
        raise ReconkitError(f"unknown action '{action}'",
                            hint=f"use {', '.join(REVIEW_ACTIONS)}")
    if not match_id and not exception_id:
        raise ReconkitError("a decision needs the match or the exception it is about",
                            hint="give a match id or an exception id from the review queue")
    if action == "note" and not note:
        raise ReconkitError("a note needs its text", hint="give the text of the note")
    return Decision(action, match_id=match_id or None, exception_id=exception_id or None,
                    payload={"note": note} if note else None)


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ReconkitError("the file is not UTF-8 text", source_file=path.name,
                            hint="save it as 'CSV UTF-8' from Excel") from None
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    try:
        return pl.read_csv(text.encode("utf-8"), separator=sep, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ReconkitError(f"cannot read the file as CSV ({str(exc).splitlines()[0]})",
                            source_file=path.name,
                            hint="save it as CSV with a header row") from None


def _read_xlsx(path: Path) -> pl.DataFrame:
    """The `review queue` sheet of the exceptions workbook (else the first sheet), as text."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged file
        raise ReconkitError(f"cannot read the workbook ({exc})", source_file=path.name,
                            hint="save it again as .xlsx from Excel") from None
    ws = wb["review queue"] if "review queue" in wb.sheetnames else wb.worksheets[0]
    rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    wb.close()
    if not rows:
        return pl.DataFrame()
    head = [h or f"column_{i}" for i, h in enumerate(rows[0])]
    return pl.DataFrame(rows[1:], schema=dict.fromkeys(head, pl.String), orient="row")


def first_candidate(candidate_ids: str | None) -> str | None:
    """The first (best) id of a queue's `candidate_ids` cell (`M-a; M-b`)."""
    ids = [c.strip() for c in (candidate_ids or "").replace(";", " ").split()]
    return ids[0] if ids else None


def read_decisions(path: Path) -> tuple[list[Decision], int]:
    """Decisions of a CSV file, and how many rows had no action; any bad row is an error."""
    if not path.is_file():
        raise ReconkitError(f"no decisions file at {path}", hint="check the path of the CSV file")
    df = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    df = df.rename({c: c.strip().lower() for c in df.columns})
    if "action" not in df.columns or not {"match_id", "exception_id"} & set(df.columns):
        raise ReconkitError(f"missing columns: found {', '.join(df.columns) or 'none'}",
                            source_file=path.name,
                            hint="the header needs 'action' and 'match_id' or 'exception_id' "
                                 "(optionally 'note')")

    def cell(row: dict[str, str | None], col: str) -> str | None:
        value = (row.get(col) or "").strip()
        return value or None

    decisions: list[Decision] = []
    problems: list[str] = []
    skipped = 0
    for line, row in enumerate(df.iter_rows(named=True), start=2):
        action = (cell(row, "action") or "").lower()
        if not action:
            skipped += 1
            continue
        match_id = cell(row, "match_id")
        if action == "confirm" and not match_id:
            # a queue row: confirm its best candidate, as the review screen does
            match_id = first_candidate(cell(row, "candidate_ids"))
        try:
            decisions.append(parse_decision(action, match_id,
                                            cell(row, "exception_id"), cell(row, "note")))
        except ReconkitError as exc:
            problems.append(f"line {line}: {exc.message}" + (f" ({exc.hint})" if exc.hint
                                                              else ""))
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise ReconkitError(f"{len(problems)} row(s) cannot be recorded, so nothing was:\n"
                            f"  {shown}{more}", source_file=path.name,
                            hint="fix these rows and run the same command again")
    if not decisions:
        raise ReconkitError("no decision to record (every action is empty)",
                            source_file=path.name, hint="fill the 'action' column")
    return decisions, skipped
