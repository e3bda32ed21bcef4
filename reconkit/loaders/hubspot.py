"""HubSpot CRM v3 saved list/search responses (companies, deals) -> parties and commitments.

Every HubSpot property value is a string (`"12000"`, `"true"`); amounts carry no currency, so
`deal_currency_code` is used, else the portal currency given as `default_currency`. Only won
deals are commitments (`hs_is_closed_won` "true" or stage `closedwon`); the others are counted
and reported in a warning. A deal's party is its first associated company.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.saved import (
    Field,
    cents_expr,
    dig,
    flatten,
    iso_date_expr,
    parse_fields,
    plain_cents_expr,
    read_json_document,
    string_frame,
    text_expr,
)
from reconkit.schemas import empty_quarantine

_FILES = ("companies", "deals")


def hubspot_results(doc: Any, file_name: str) -> list[dict[str, Any]]:
    """The `results` of a saved list/search page, of a list of pages, or a bare list."""
    pages = doc if isinstance(doc, list) and all(
        isinstance(p, dict) and "results" in p for p in doc) and doc else [doc]
    results: list[dict[str, Any]] = []
    for page in pages:
        data = page.get("results") if isinstance(page, dict) else page
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise SourceFormatError(
                "this is not a saved HubSpot CRM v3 response (expected {\"results\": [...]})",
                source_file=file_name,
                hint="save the JSON returned by GET /crm/v3/objects/deals (or companies)")
        results.extend(data)
    return results


def _kind(records: list[dict[str, Any]], path: Path) -> str:
    stem = path.stem.lower()
    for kind in _FILES:
        if stem.startswith((kind, kind[:-1])):
            return kind
    props = {k for r in records for k in (r.get("properties") or {})}
    if props & {"dealname", "dealstage", "amount"}:
        return "deals"
    if props & {"name", "domain"}:
        return "companies"
    raise SourceFormatError(
        "cannot tell whether this file holds HubSpot companies or deals", source_file=path.name,
        hint="name it companies.json or deals.json")


def _is_won(record: dict[str, Any]) -> bool:
    props = record.get("properties") or {}
    return str(props.get("hs_is_closed_won", "")).lower() == "true" \
        or props.get("dealstage") == "closedwon"


def _first_company(record: dict[str, Any]) -> Any:
    linked = dig(record, "associations", "companies", "results") or []
    return linked[0].get("id") if linked and isinstance(linked[0], dict) else None


def _company_row(r: dict[str, Any]) -> dict[str, Any]:
    p = r.get("properties") or {}
    return {"id": r.get("id"), "name": p.get("name"),
            "legal_id": p.get("siren") or p.get("vat") or p.get("vat_number")}


def _deal_row(r: dict[str, Any]) -> dict[str, Any]:
    p = r.get("properties") or {}
    return {"id": r.get("id"), "company": _first_company(r), "name": p.get("dealname"),
            "amount": p.get("amount"), "currency": p.get("deal_currency_code"),
            "closedate": p.get("closedate"), "stage": p.get("dealstage")}


def _parties(rows: list[dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = string_frame(rows, ("source_file", "source_row", "id", "name", "legal_id"))
    return parse_fields(raw, [Field("record_id", "id", text_expr("id"), ""),
                              Field("name", "name", text_expr("name"), ""),
                              Field("legal_id", "legal_id", text_expr("legal_id"), "")], "crm")


def _commitments(rows: list[dict[str, Any]], default_currency: str, tz: str,
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = string_frame(rows, ("source_file", "source_row", "id", "company", "name", "amount",
                              "currency", "closedate", "stage"))
    currency = pl.col("currency").str.to_uppercase().fill_null(default_currency.upper())
    fields = [
        Field("record_id", "id", text_expr("id"), ""),
        Field("party_record_id", "company", text_expr("company"), ""),
        Field("name", "name", text_expr("name"), ""),
        Field("currency", "currency", currency, ""),
        Field("amount_cents", "amount", cents_expr(pl.col("amount"), currency), "not an amount",
              fast=plain_cents_expr(pl.col("amount"), currency)),
        Field("close_date", "closedate", iso_date_expr("closedate", tz),
              "not a date (expected an ISO 8601 date-time such as 2024-02-28T10:00:00Z)"),
        Field("status", "stage", text_expr("stage"), ""),
    ]
    return parse_fields(raw, fields, "crm", {"kind": pl.lit("opportunity"),
                                             "billing_frequency": pl.lit("one_off")})


def _hubspot_files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    found = [path / f"{name}.json" for name in _FILES if (path / f"{name}.json").exists()]
    if not found:
        raise SourceFormatError("no HubSpot export found in this folder", source_file=path.name,
                                hint="put companies.json and/or deals.json in it")
    return found


@register_loader("hubspot")
def load_hubspot(path: Path, *, default_currency: str = "EUR", timezone: str = "Europe/Paris",
                 **_: Any) -> Loaded:
    """Load saved HubSpot companies/deals responses: one file or a folder holding
    companies.json and/or deals.json."""
    tables: dict[str, list[pl.DataFrame]] = {"parties": [], "commitments": []}
    quarantines = [empty_quarantine()]
    rows_read: dict[str, int] = {}
    rows_skipped: dict[str, int] = {}
    warnings: list[str] = []
    for file in _hubspot_files(Path(path)):
        records = hubspot_results(read_json_document(file, "HubSpot"), file.name)
        rows_read[file.name] = len(records)
        numbered = list(enumerate(records, start=1))
        if _kind(records, file) == "companies":
            frame, q = _parties(flatten(numbered, _company_row, file.name))
            tables["parties"].append(frame)
        else:
            won = [(n, r) for n, r in numbered if _is_won(r)]
            if len(won) < len(records):
                rows_skipped[file.name] = len(records) - len(won)
                warnings.append(f"{file.name}: skipped {len(records) - len(won)} deal(s) not "
                                "closed won")
            frame, q = _commitments(flatten(won, _deal_row, file.name), default_currency,
                                    timezone)
            tables["commitments"].append(frame)
        quarantines.append(q)
    out = {name: pl.concat(frames, how="vertical") for name, frames in tables.items() if frames}
    return Loaded(tables=out, quarantine=pl.concat(quarantines, how="vertical"),
                  rows_read=rows_read, rows_skipped=rows_skipped, warnings=tuple(warnings))
