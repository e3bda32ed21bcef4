"""Stripe payouts -> settlement lines: balance transactions and payouts saved from the API
(`GET /v1/balance_transactions?payout=po_...`, `GET /v1/payouts`), or the Dashboard's
itemised "Payout reconciliation" CSV (`stripe_payout_csv`).

A JSON file is a list response (`{"object": "list", "data": [...]}`) of `balance_transaction`
and/or `payout` objects. Amounts are integer minor units, timestamps Unix seconds (turned into
dates in the company time zone). A balance transaction names its payout by `payout` or
`automatic_payout_id` (an id or the expanded object); a file saved per payout may instead be
named after it (`po_....json`). The `source` may be expanded (`expand[]=data.source`): the
charge's `invoice`, `customer` and `metadata.invoice_number` then give the invoice reference.
A payout is one line whose record id is its `po_...` id, whether it comes from its balance
transaction (type `payout`), from a payout object, or both (then the payout object's arrival
date and status are kept and the other copy is counted as skipped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.saved import (
    Field,
    as_text,
    epoch_date_expr,
    epoch_reason,
    int_expr,
    read_json_document,
    string_frame,
)
from reconkit.loaders.settlement import (
    currency_field,
    files_of,
    fix_fee_lines,
    loaded,
    parse_lines,
)
from reconkit.loaders.stripe_payout_csv import kind_expr, read_payout_csv

NOT_MINOR_UNITS: Final = "not an amount in minor units (expected a whole number)"
_COLUMNS: Final = ("source_row", "id", "object", "amount", "fee", "net", "currency",
                   "category", "source_id", "invoice", "customer", "created", "available",
                   "payout", "status", "description")


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return as_text(value.get("id"))
    return as_text(value)


def _invoice_and_customer(bt: dict[str, Any]) -> tuple[str | None, str | None]:
    """The invoice a charge (or the charge a refund points at) pays, and its customer."""
    src = bt.get("source")
    found: list[dict[str, Any]] = [bt]
    if isinstance(src, dict):
        found.append(src)
        if isinstance(src.get("charge"), dict):
            found.append(src["charge"])
    invoice = customer = None
    for obj in found:
        raw_meta = obj.get("metadata")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        invoice = invoice or _id(obj.get("invoice")) or as_text(meta.get("invoice_number")) \
            or as_text(meta.get("invoice_id"))
        billing = obj.get("billing_details")
        email = as_text(billing.get("email")) if isinstance(billing, dict) else None
        customer = customer or _id(obj.get("customer")) or email
    return invoice, customer


def _row(n: int, obj: Any, file: Path) -> dict[str, str | int | None]:
    if not isinstance(obj, dict):
        raise SourceFormatError(f"object {n} of the list is not a JSON object",
                                source_file=file.name, row=n,
                                hint="save the API list response as it was returned")
    oid = as_text(obj.get("id"))
    kind = as_text(obj.get("object")) or ("payout" if (oid or "").startswith("po_")
                                          else "balance_transaction")
    if kind == "payout":
        return {"source_row": n, "id": oid, "object": kind, "amount": _negated(obj["amount"])
                if "amount" in obj else None, "fee": "0", "net": _negated(obj.get("amount")),
                "currency": as_text(obj.get("currency")), "category": "payout",
                "source_id": oid, "created": as_text(obj.get("created")),
                "available": as_text(obj.get("arrival_date")), "payout": oid,
                "status": as_text(obj.get("status")),
                "description": as_text(obj.get("statement_descriptor"))
                or as_text(obj.get("description"))}
    if kind != "balance_transaction":
        raise SourceFormatError(f"object {n} is a Stripe '{kind}', not a balance transaction "
                                "or a payout", source_file=file.name, row=n,
                                hint="save GET /v1/balance_transactions or /v1/payouts")
    source = _id(obj.get("source"))
    category = as_text(obj.get("reporting_category")) or as_text(obj.get("type"))
    payout = _id(obj.get("payout")) or _id(obj.get("automatic_payout_id"))
    if (category or "").lower() == "payout":
        payout = source
    elif payout is None and file.stem.startswith("po_"):
        payout = file.stem
    invoice, customer = _invoice_and_customer(obj)
    return {"source_row": n, "id": source if category == "payout" else oid,
            "object": kind, "amount": as_text(obj.get("amount")),
            "fee": as_text(obj.get("fee")), "net": as_text(obj.get("net")),
            "currency": as_text(obj.get("currency")), "category": category,
            "source_id": source, "invoice": invoice, "customer": customer,
            "created": as_text(obj.get("created")),
            "available": as_text(obj.get("available_on")), "payout": payout,
            "status": as_text(obj.get("status")), "description": as_text(obj.get("description"))}


def _negated(value: Any) -> str | None:
    text = as_text(value)
    if text is None:
        return None
    return text[1:] if text.startswith("-") else f"-{text}"


def read_balance_json(file: Path) -> tuple[pl.DataFrame, list[str]]:
    """Raw text rows of one saved list (balance transactions and/or payouts), and warnings."""
    doc = read_json_document(file, "Stripe")
    data = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(data, list):
        raise SourceFormatError("this is not a Stripe list response (no `data` list)",
                                source_file=file.name,
                                hint="save the response of GET /v1/balance_transactions")
    warnings = []
    if isinstance(doc, dict) and doc.get("has_more") is True:
        warnings.append(f"{file.name}: incomplete export: the saved list says has_more: true, "
                        f"so only the first {len(data)} objects were saved and the others are "
                        "missing from this run (save every page)")
    rows = [_row(n, obj, file) for n, obj in enumerate(data, start=1)]
    frame = string_frame(rows, _COLUMNS).with_columns(pl.lit(file.name).alias("source_file"))
    return frame, warnings


def _fields(raw: pl.DataFrame, tz: str) -> list[Field]:
    def whole(column: str, col: str) -> Field:
        return Field(column, col, int_expr(col), NOT_MINOR_UNITS)

    def day(column: str, col: str) -> Field:
        return Field(column, col, epoch_date_expr(int_expr(col), tz), epoch_reason(int_expr(col)))

    text = {"record_id": "id", "settlement_id": "payout", "source_id": "source_id",
            "invoice_ref": "invoice", "customer_ref": "customer", "status": "status",
            "description": "description"}
    return [*(Field(c, r, pl.col(r), "") for c, r in text.items()),
            Field("kind", "category", kind_expr(pl.col("category")), ""),
            whole("gross_cents", "amount"), whole("fee_cents", "fee"), whole("net_cents", "net"),
            currency_field("currency"), day("created_date", "created"),
            day("available_date", "available")]


def _merge_payouts(raw: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """One line per payout: a payout object wins over the payout's balance transaction (its
    arrival date and status); the copy is counted as skipped in its file."""
    payouts = raw.filter(pl.col("object") == "payout").select("id").unique()
    copies = raw.filter((pl.col("object") == "balance_transaction")
                        & (pl.col("category").str.to_lowercase() == "payout")).join(
        payouts, on="id", how="semi")
    skipped = dict(copies.group_by("source_file").len().iter_rows())
    return raw.join(copies.select("source_file", "source_row"),
                    on=["source_file", "source_row"], how="anti"), skipped


@register_loader("stripe_payouts")
def load_stripe_payouts(path: Path, *, timezone: str = "Europe/Paris",
                        **_: Any) -> Loaded:
    """Load Stripe balance transactions and payouts (JSON), or payout reconciliation CSVs:
    one file, or a folder of `.json` and `.csv` exports."""
    frames, quarantines, warnings = [], [], []
    rows_read: dict[str, int] = {}
    raws = []
    for file in files_of(Path(path), (".json", ".csv"), "Stripe payout"):
        if file.suffix.lower() == ".csv":
            lines, q, n = read_payout_csv(file, timezone)
            frames.append(lines)
            quarantines.append(q)
            rows_read[file.name] = n
            continue
        raw, notes = read_balance_json(file)
        rows_read[file.name] = raw.height
        warnings += notes
        raws.append(raw)
    skipped: dict[str, int] = {}
    if raws:
        raw, skipped = _merge_payouts(pl.concat(raws))
        lines, q = parse_lines(raw, _fields(raw, timezone), "stripe")
        frames.append(fix_fee_lines(lines))
        quarantines.append(q)
    return loaded(frames, quarantines, rows_read, skipped, warnings)
