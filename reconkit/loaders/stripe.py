"""Stripe saved list responses (customers, invoices, credit notes) -> billing tables.

Reads `{"object": "list", "data": [...]}` files as the API (or `reconkit sync`) wrote them.
Both invoice shapes are read, detected per object: the 2025-03-31 "basil" one (`parent`,
`total_taxes`, `payments`) and the older one (`subscription`, `tax`, `total_tax_amounts`,
`paid`). Amounts are already integer minor units (JPY included); currencies are upper-cased;
Unix timestamps become dates in the company time zone. Drafts (no number yet) and void
documents are not accounting documents: they are counted, skipped and reported in a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.ids import sf_ref_expr
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.saved import (
    Field,
    dig,
    epoch_date_expr,
    flatten,
    int_expr,
    parse_fields,
    read_json_document,
    string_frame,
    text_expr,
)
from reconkit.schemas import empty_quarantine

_OBJECTS = {"customer": "customers", "invoice": "invoices", "credit_note": "credit_notes"}
_NOT_MINOR_UNITS = "not an amount in minor units (expected a whole number)"
_NOT_TIMESTAMP = "not a Unix timestamp (expected whole seconds)"


def stripe_list(doc: Any, file_name: str) -> list[dict[str, Any]]:
    """The `data` of a saved list (or search) response, or a bare list of objects."""
    data = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise SourceFormatError(
            "this is not a saved Stripe list response (expected {\"object\": \"list\", "
            "\"data\": [...]})", source_file=file_name,
            hint="save the JSON returned by GET /v1/invoices (or customers, credit_notes)")
    return data


def _object_kind(records: list[dict[str, Any]], path: Path) -> str:
    kinds = {r.get("object") for r in records} - {None}
    if len(kinds) == 1 and (kind := kinds.pop()) in _OBJECTS:
        return kind
    stem = path.stem.lower()
    for kind, plural in _OBJECTS.items():
        if stem.startswith((plural, kind)):
            return kind
    raise SourceFormatError(
        "cannot tell whether this file holds Stripe customers, invoices or credit notes",
        source_file=path.name,
        hint="name it customers.json, invoices.json or credit_notes.json")


def _sum_amounts(items: Any) -> int | str | None:
    if not isinstance(items, list):
        return None
    amounts = [i.get("amount") if isinstance(i, dict) else None for i in items]
    cents = [a for a in amounts if isinstance(a, int) and not isinstance(a, bool)]
    if len(cents) == len(amounts):
        return sum(cents)
    return "; ".join(str(a) for a in amounts)


def _tax(record: dict[str, Any]) -> Any:
    """Tax in minor units from whichever shape the object has."""
    if "total_taxes" in record:
        return _sum_amounts(record["total_taxes"])
    if record.get("tax") is not None:
        return record["tax"]
    return _sum_amounts(record.get("total_tax_amounts"))


def _customer_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _legal_id(record: dict[str, Any]) -> Any:
    tax_ids = dig(record, "tax_ids", "data") or []
    for tax_id in tax_ids:
        if isinstance(tax_id, dict) and tax_id.get("value"):
            return tax_id["value"]
    return dig(record, "metadata", "siren")


def _customer_row(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r.get("id"), "name": r.get("name"), "legal_id": _legal_id(r),
            "crm_ref": dig(r, "metadata", "crm_account_id"),
            "erp_ref": dig(r, "metadata", "erp_account")}


def _line_text(r: dict[str, Any], *extra: Any) -> str | None:
    """The document's memo and line descriptions joined with " | " (what was sold)."""
    lines = dig(r, "lines", "data") or []
    parts = [*extra, *(ln.get("description") for ln in lines if isinstance(ln, dict))]
    text = " | ".join(str(p) for p in parts if p)
    return text or None


def _service_period(r: dict[str, Any]) -> tuple[Any, Any]:
    """The period the lines bill (`lines.data[].period`), else the invoice's own
    `period_start`/`period_end` (which Stripe sets to the *previous* usage period on cycle
    invoices and to the creation instant on first invoices)."""
    lines = dig(r, "lines", "data") or []
    starts = [p["start"] for ln in lines if isinstance(p := ln.get("period"), dict)
              and isinstance(p.get("start"), int)]
    ends = [p["end"] for ln in lines if isinstance(p := ln.get("period"), dict)
            and isinstance(p.get("end"), int)]
    if starts and ends:
        return min(starts), max(ends)
    return r.get("period_start"), r.get("period_end")


def _invoice_row(r: dict[str, Any]) -> dict[str, Any]:
    period_start, period_end = _service_period(r)
    return {
        "id": r.get("id"), "number": r.get("number"), "customer": _customer_id(r.get("customer")),
        "customer_name": r.get("customer_name"),
        "issued": r.get("effective_at") if r.get("effective_at") is not None else r.get("created"),
        "due": r.get("due_date"), "currency": r.get("currency"),
        "net": r.get("total_excluding_tax"), "tax": _tax(r), "total": r.get("total"),
        "commitment_ref": dig(r, "metadata", "contract_number")
        or dig(r, "metadata", "sf_opportunity_id"),
        "po_number": dig(r, "metadata", "po_number"),
        "period_start": period_start, "period_end": period_end,
        "status": r.get("status"), "credited": None,
        # pre-basil API: top-level `subscription`; basil: parent.subscription_details
        "subscription": _customer_id(r.get("subscription")
                                     or dig(r, "parent", "subscription_details", "subscription")),
        "line_text": _line_text(r),
    }


def _credit_note_row(r: dict[str, Any]) -> dict[str, Any]:
    net = r.get("total_excluding_tax")
    taxes = _tax(r) if ("total_taxes" in r or "total_tax_amounts" in r or "tax" in r) else None
    return {
        "id": r.get("id"), "number": r.get("number"), "customer": _customer_id(r.get("customer")),
        "customer_name": r.get("customer_name"),
        "issued": r.get("effective_at") if r.get("effective_at") is not None else r.get("created"),
        "due": None, "currency": r.get("currency"),
        "net": net if net is not None else r.get("subtotal"), "tax": taxes,
        "total": r.get("amount"), "commitment_ref": dig(r, "metadata", "contract_number"),
        "po_number": None, "period_start": None, "period_end": None,
        "status": r.get("status"), "credited": _customer_id(r.get("invoice")),
        "subscription": None, "line_text": _line_text(r, r.get("memo")),
    }


_DOC_COLUMNS = ("id", "number", "customer", "customer_name", "issued", "due", "currency", "net",
                "tax", "total", "commitment_ref", "po_number", "period_start", "period_end",
                "status", "credited", "subscription", "line_text")


def _parties(rows: list[dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = string_frame(rows, ("source_file", "source_row", "id", "name", "legal_id", "crm_ref",
                              "erp_ref"))
    fields = [Field("record_id", "id", text_expr("id"), ""),
              Field("name", "name", text_expr("name"), ""),
              Field("legal_id", "legal_id", text_expr("legal_id"), ""),
              Field("crm_ref", "crm_ref", sf_ref_expr(pl.col("crm_ref")), ""),
              Field("erp_ref", "erp_ref", text_expr("erp_ref"), "")]
    return parse_fields(raw, fields, "billing")


def _documents(rows: list[dict[str, Any]], doc_type: str, tz: str,
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = string_frame(rows, ("source_file", "source_row", *_DOC_COLUMNS))
    sign = -1 if doc_type == "credit_note" else 1
    fields = [
        Field("record_id", "id", text_expr("id"), ""),
        Field("number", "number", text_expr("number"), ""),
        Field("party_record_id", "customer", text_expr("customer"), ""),
        Field("party_name", "customer_name", text_expr("customer_name"), ""),
        Field("issue_date", "issued", epoch_date_expr("issued", tz), _NOT_TIMESTAMP),
        Field("due_date", "due", epoch_date_expr("due", tz), _NOT_TIMESTAMP),
        Field("currency", "currency", pl.col("currency").str.to_uppercase(), ""),
        Field("net_cents", "net", int_expr("net") * sign, _NOT_MINOR_UNITS),
        Field("tax_cents", "tax", int_expr("tax") * sign, _NOT_MINOR_UNITS),
        Field("amount_cents", "total", int_expr("total") * sign, _NOT_MINOR_UNITS),
        Field("credited_invoice_id", "credited", text_expr("credited"), ""),
        Field("commitment_ref", "commitment_ref", sf_ref_expr(pl.col("commitment_ref")), ""),
        Field("po_number", "po_number", text_expr("po_number"), ""),
        Field("period_start", "period_start", epoch_date_expr("period_start", tz),
              _NOT_TIMESTAMP),
        Field("period_end", "period_end", epoch_date_expr("period_end", tz), _NOT_TIMESTAMP),
        Field("status", "status", text_expr("status"), ""),
        Field("subscription_id", "subscription", text_expr("subscription"), ""),
        Field("line_text", "line_text", text_expr("line_text"), ""),
    ]
    return parse_fields(raw, fields, "billing", {"doc_type": pl.lit(doc_type)})


def _is_accounting_document(record: dict[str, Any]) -> bool:
    return record.get("status") not in ("draft", "void") and record.get("number") is not None


def _stripe_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = [path / f"{plural}.json" for plural in _OBJECTS.values()]
        found = [f for f in files if f.exists()]
        if not found:
            raise SourceFormatError(
                "no Stripe export found in this folder", source_file=path.name,
                hint="put customers.json, invoices.json and/or credit_notes.json in it")
        return found
    return [path]


@register_loader("stripe")
def load_stripe(path: Path, *, timezone: str = "Europe/Paris", **_: Any) -> Loaded:
    """Load saved Stripe list responses: one file, or a folder holding customers.json,
    invoices.json and credit_notes.json (any of them)."""
    tables: dict[str, list[pl.DataFrame]] = {"parties": [], "invoices": []}
    quarantines = [empty_quarantine()]
    rows_read: dict[str, int] = {}
    rows_skipped: dict[str, int] = {}
    warnings: list[str] = []
    for file in _stripe_files(Path(path)):
        records = stripe_list(read_json_document(file, "Stripe"), file.name)
        rows_read[file.name] = len(records)
        kind = _object_kind(records, file)
        if kind == "customer":
            frame, q = _parties(flatten(list(enumerate(records, start=1)), _customer_row,
                                      file.name))
            tables["parties"].append(frame)
            quarantines.append(q)
            continue
        kept = [(n, r) for n, r in enumerate(records, start=1) if _is_accounting_document(r)]
        skipped = len(records) - len(kept)
        if skipped:
            rows_skipped[file.name] = skipped
            drafts = sum(1 for r in records if r.get("status") == "draft"
                         or (r.get("number") is None and r.get("status") != "void"))
            warnings.append(f"{file.name}: skipped {skipped} {kind.replace('_', ' ')}(s) that "
                            f"are not accounting documents ({drafts} draft, "
                            f"{skipped - drafts} void)")
        make = _invoice_row if kind == "invoice" else _credit_note_row
        frame, q = _documents(flatten(kept, make, file.name), kind, timezone)
        tables["invoices"].append(frame)
        quarantines.append(q)
    out = {name: pl.concat(frames, how="vertical") for name, frames in tables.items() if frames}
    return Loaded(tables=out, quarantine=pl.concat(quarantines, how="vertical"),
                  rows_read=rows_read, rows_skipped=rows_skipped, warnings=tuple(warnings))
