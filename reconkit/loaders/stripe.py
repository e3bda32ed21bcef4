"""Stripe saved list responses (customers, invoices, credit notes) -> billing tables.

Reads `{"object": "list", "data": [...]}` files as the API (or `reconkit sync`) wrote them,
decoded by msgspec into typed Structs (`stripe_objects`) and turned into polars columns in
one pass per field. Both invoice shapes are read, per object: the 2025-03-31 "basil" one
(`parent.subscription_details`, `total_taxes`, `payments`) and the older one (`subscription`,
`tax`, `total_tax_amounts`, `paid`). Amounts are already integer minor units (JPY included);
currencies are upper-cased; Unix timestamps become dates in the company time zone (a
timestamp in milliseconds is quarantined with that hint, not read as the year 58875). Drafts
(no number yet) and void documents are not accounting documents: they are counted, skipped and
reported in a warning. A list saved with `"has_more": true` is only the first page of the
export: it is loaded, and the load warns that records are missing (the run goes on, since the
first page is still right; `reconkit sync stripe` saves every page).

Invoices carry their subscription (`subscription_id`), the period their lines bill and the
lines' text (with a credit note's memo); besides, `contract_number`,
`crm_opportunity_id` and the lines' own period (`line_period_start`,
`line_period_end`) for contract matching; schema validation drops what the canonical
schema does not define.
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
    epoch_date_expr,
    epoch_reason,
    int_expr,
    parse_fields,
    paused_gc,
)
from reconkit.loaders.stripe_objects import (
    StripeObject,
    line_frame,
    po_number,
    read_stripe_list,
    ref_id,
    subscription_id,
    tax_amount,
    whole_numbers,
)
from reconkit.schemas import empty_quarantine

_OBJECTS = {"customer": "customers", "invoice": "invoices", "credit_note": "credit_notes"}
_NOT_MINOR_UNITS = "not an amount in minor units (expected a whole number)"


def _object_kind(objects: list[StripeObject], path: Path) -> str:
    kinds = {o.object for o in objects} - {None}
    if len(kinds) == 1 and (kind := kinds.pop()) in _OBJECTS:
        return str(kind)
    stem = path.stem.lower()
    for kind, plural in _OBJECTS.items():
        if stem.startswith((plural, kind)):
            return kind
    raise SourceFormatError(
        "cannot tell whether this file holds Stripe customers, invoices or credit notes",
        source_file=path.name,
        hint="name it customers.json, invoices.json or credit_notes.json")


def _text(values: list[str | None]) -> pl.Series:
    """Text as a person reads it: stripped, blank = missing."""
    s = pl.Series(values, dtype=pl.String).str.strip_chars()
    return s.set(s == "", None)


def _ints(raw: pl.DataFrame, col: str) -> pl.Expr:
    """A whole-number column: as decoded, or parsed from the text kept for quarantine."""
    return pl.col(col) if raw.schema[col] == pl.Int64 else int_expr(col)


def _lineage(n: int, file_name: str) -> dict[str, pl.Series]:
    return {"source_file": pl.Series([file_name] * n, dtype=pl.String),
            "source_row": pl.Series(range(1, n + 1), dtype=pl.Int64)}


def _parties(objects: list[StripeObject], file_name: str,
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    meta = [o.metadata for o in objects]
    tax_ids = [next((t.value for t in o.tax_ids.data if t.value), None)
               if o.tax_ids is not None and o.tax_ids.data else None for o in objects]
    raw = pl.DataFrame({
        **_lineage(len(objects), file_name),
        "id": _text([o.id for o in objects]), "name": _text([o.name for o in objects]),
        "legal_id": _text([t or (m.siren if m else None) for t, m in zip(tax_ids, meta,
                                                                           strict=True)]),
        "crm_ref": _text([m.crm_account_id if m else None for m in meta]),
        "erp_ref": _text([m.erp_account if m else None for m in meta]),
    })
    fields = [Field("record_id", "id", pl.col("id"), ""),
              Field("name", "name", pl.col("name"), ""),
              Field("legal_id", "legal_id", pl.col("legal_id"), ""),
              Field("crm_ref", "crm_ref", sf_ref_expr(pl.col("crm_ref")), ""),
              Field("erp_ref", "erp_ref", pl.col("erp_ref"), "")]
    return parse_fields(raw, fields, "billing")


def _document_columns(objects: list[StripeObject], kind: str, file_name: str,
                      ) -> pl.DataFrame:
    """The raw columns of invoices or credit notes, one Series per field."""
    invoice = kind == "invoice"
    none: list[Any] = [None] * len(objects)
    meta = [o.metadata for o in objects]
    return pl.DataFrame({
        **_lineage(len(objects), file_name),
        "id": _text([o.id for o in objects]), "number": _text([o.number for o in objects]),
        "customer": _text([ref_id(o.customer) for o in objects]),
        "customer_name": _text([o.customer_name for o in objects]),
        "currency": _text([o.currency for o in objects]),
        "status": _text([o.status for o in objects]),
        "issued": whole_numbers("issued", [o.effective_at if o.effective_at is not None
                                           else o.created for o in objects]),
        "due": whole_numbers("due", [o.due_date for o in objects] if invoice else none),
        "period_start": whole_numbers("period_start", [o.period_start for o in objects]
                                      if invoice else none),
        "period_end": whole_numbers("period_end", [o.period_end for o in objects]
                                    if invoice else none),
        "net": whole_numbers("net", [o.total_excluding_tax if invoice
                                     or o.total_excluding_tax is not None else o.subtotal
                                     for o in objects]),
        "tax": whole_numbers("tax", [tax_amount(o) for o in objects]),
        "total": whole_numbers("total", [o.total if invoice else o.amount for o in objects]),
        "credited": _text(none if invoice else [ref_id(o.invoice) for o in objects]),
        "contract_number": _text([m.contract_number if m else None for m in meta]),
        "crm_opportunity_id": _text([m.sf_opportunity_id if m else None for m in meta]),
        "po_number": _text([po_number(o) for o in objects] if invoice else none),
        "subscription_id": _text([subscription_id(o) for o in objects]),
        "memo": _text([o.memo for o in objects]),
    })


def _documents(raw: pl.DataFrame, lines: pl.DataFrame, doc_type: str, tz: str,
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
    sign = -1 if doc_type == "credit_note" else 1

    def date(column: str, col: str) -> Field:
        return Field(column, col, epoch_date_expr(_ints(raw, col), tz),
                     epoch_reason(_ints(raw, col)))

    fields = [
        Field("record_id", "id", pl.col("id"), ""),
        Field("number", "number", pl.col("number"), ""),
        Field("party_record_id", "customer", pl.col("customer"), ""),
        Field("party_name", "customer_name", pl.col("customer_name"), ""),
        date("issue_date", "issued"), date("due_date", "due"),
        Field("currency", "currency", pl.col("currency").str.to_uppercase(), ""),
        Field("net_cents", "net", _ints(raw, "net") * sign, _NOT_MINOR_UNITS),
        Field("tax_cents", "tax", _ints(raw, "tax") * sign, _NOT_MINOR_UNITS),
        Field("amount_cents", "total", _ints(raw, "total") * sign, _NOT_MINOR_UNITS),
        Field("credited_invoice_id", "credited", pl.col("credited"), ""),
        Field("commitment_ref", "contract_number",
              sf_ref_expr(pl.coalesce("contract_number", "crm_opportunity_id")), ""),
        Field("po_number", "po_number", pl.col("po_number"), ""),
        date("period_start", "period_start"), date("period_end", "period_end"),
        Field("status", "status", pl.col("status"), ""),
        Field("subscription_id", "subscription_id", pl.col("subscription_id"), ""),
    ]
    # the period the lines bill wins over the invoice's own (Stripe sets that to the previous
    # usage period on cycle invoices); the memo of a credit note says what it is for
    extra = {"doc_type": pl.lit(doc_type),
             "contract_number": pl.col("contract_number"),
             "crm_opportunity_id": sf_ref_expr(pl.col("crm_opportunity_id")),
             "line_text": pl.concat_str([pl.col("memo"), pl.col("line_text")], separator=" | ",
                                        ignore_nulls=True).replace("", None),
             "line_period_start": epoch_date_expr(pl.col("line_start"), tz),
             "line_period_end": epoch_date_expr(pl.col("line_end"), tz)}
    joined = raw.join(lines, on="source_row", how="left")
    joined = joined.with_columns(
        pl.coalesce(pl.col("line_start").cast(joined.schema["period_start"]),
                    "period_start").alias("period_start"),
        pl.coalesce(pl.col("line_end").cast(joined.schema["period_end"]),
                    "period_end").alias("period_end"))
    return parse_fields(joined, fields, "billing", extra)


def _line_summary(objects: list[StripeObject]) -> pl.DataFrame:
    """Per document (by source_row): its lines' descriptions and the span of their periods."""
    lines = line_frame(objects)
    ints = {c: pl.col(c) if lines.schema[c] == pl.Int64 else pl.col(c).cast(pl.Int64,
                                                                            strict=False)
            for c in ("start", "end")}
    return lines.group_by("__i").agg(
        pl.col("description").drop_nulls().str.join(" | ").alias("line_text"),
        ints["start"].min().alias("line_start"), ints["end"].max().alias("line_end"),
    ).select((pl.col("__i") + 1).alias("source_row"), pl.all().exclude("__i"))


def _accounting(raw: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """(documents that are accounting documents, skipped count, drafts among the skipped)."""
    status = pl.col("status")
    draft = (status == "draft").fill_null(False) \
        | (pl.col("number").is_null() & (status != "void").fill_null(True))
    void = (status == "void").fill_null(False)
    counts = raw.select(draft.sum().alias("d"), (draft | void).sum().alias("s")).row(0)
    return raw.filter(~(draft | void)), int(counts[1]), int(counts[0])


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
        with paused_gc():
            listing = read_stripe_list(file)
        objects = listing.data
        rows_read[file.name] = len(objects)
        kind = _object_kind(objects, file)
        if listing.has_more:
            warnings.append(
                f"{file.name}: incomplete export: the saved list says has_more: true, so "
                f"only the first {len(objects)} {_OBJECTS[kind].replace('_', ' ')} were "
                "saved and the others are missing from this run (save every page, e.g. "
                "with `reconkit sync stripe`)")
        if kind == "customer":
            frame, q = _parties(objects, file.name)
            tables["parties"].append(frame)
            quarantines.append(q)
            continue
        with paused_gc():
            columns = _document_columns(objects, kind, file.name)
        raw, skipped, drafts = _accounting(columns)
        if skipped:
            rows_skipped[file.name] = skipped
            warnings.append(f"{file.name}: skipped {skipped} {kind.replace('_', ' ')}(s) that "
                            f"are not accounting documents ({drafts} draft, "
                            f"{skipped - drafts} void)")
        frame, q = _documents(raw, _line_summary(objects), kind, timezone)
        tables["invoices"].append(frame)
        quarantines.append(q)
    out = {name: pl.concat(frames, how="vertical") for name, frames in tables.items() if frames}
    return Loaded(tables=out, quarantine=pl.concat(quarantines, how="vertical"),
                  rows_read=rows_read, rows_skipped=rows_skipped, warnings=tuple(warnings))
