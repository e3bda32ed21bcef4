"""HubSpot CRM v3 saved list/search responses (companies, deals) -> parties and commitments.

Every HubSpot property value is a string (`"12000"`, `"true"`); amounts carry no currency, so
`deal_currency_code` is used, else the portal currency given as `default_currency`. Only won
deals are commitments (`hs_is_closed_won` "true" or stage `closedwon`); the others are counted
and reported in a warning. A deal's party is its first associated company.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import polars as pl
from msgspec import Struct

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.saved import (
    Field,
    cents_expr,
    iso_date_expr,
    parse_fields,
    paused_gc,
    plain_cents_expr,
    text_expr,
)
from reconkit.schemas import empty_quarantine

_FILES = ("companies", "deals")
_Text = str | int | float | bool | None  # HubSpot sends strings; hand-made files may not


class _Properties(Struct, gc=False):
    """The properties reconkit reads (companies and deals); others are skipped."""

    name: _Text = None
    siren: _Text = None
    vat: _Text = None
    vat_number: _Text = None
    domain: _Text = None
    dealname: _Text = None
    amount: _Text = None
    deal_currency_code: _Text = None
    closedate: _Text = None
    dealstage: _Text = None
    hs_is_closed_won: _Text = None


class _Link(Struct, gc=False):
    id: _Text = None


class _Links(Struct, gc=False):
    results: list[_Link] | None = None


class _Associations(Struct, gc=False):
    companies: _Links | None = None


class _Item(Struct, gc=False):
    """A CRM object, or a page of them (`results`) when the file is a list of pages."""

    id: _Text = None
    properties: _Properties | None = None
    associations: _Associations | None = None
    results: list[_Item] | None = None


_DECODER = msgspec.json.Decoder(_Item | list[_Item])


def hubspot_results(path: Path) -> list[_Item]:
    """The `results` of a saved list/search page, of a list of pages, or a bare list."""
    raw = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        doc = _DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise SourceFormatError(
            f"this HubSpot file is not valid JSON ({exc}); it may be truncated",
            source_file=path.name,
            hint="download or save the API response again, completely, as UTF-8") from exc
    pages = doc if isinstance(doc, list) and doc and all(
        p.results is not None for p in doc) else [doc]
    results: list[_Item] = []
    for page in pages:
        data = page.results if isinstance(page, _Item) else page
        if data is None:
            raise SourceFormatError(
                "this is not a saved HubSpot CRM v3 response (expected {\"results\": [...]})",
                source_file=path.name,
                hint="save the JSON returned by GET /crm/v3/objects/deals (or companies)")
        results.extend(data)
    return results


def _kind(records: list[_Item], path: Path) -> str:
    stem = path.stem.lower()
    for kind in _FILES:
        if stem.startswith((kind, kind[:-1])):
            return kind
    props = [r.properties for r in records if r.properties is not None]
    if any(p.dealname is not None or p.dealstage is not None or p.amount is not None
           for p in props):
        return "deals"
    if any(p.name is not None or p.domain is not None for p in props):
        return "companies"
    raise SourceFormatError(
        "cannot tell whether this file holds HubSpot companies or deals", source_file=path.name,
        hint="name it companies.json or deals.json")


def _text(values: list[_Text]) -> pl.Series:
    """As text a person reads: booleans as true/false, stripped, blank = missing."""
    s = pl.Series([v if v is None or type(v) is str else
                   str(v).lower() if type(v) is bool else str(v) for v in values],
                  dtype=pl.String).str.strip_chars()
    return s.set(s == "", None)


def _column(records: list[_Item], key: str) -> pl.Series:
    return _text([getattr(r.properties, key) if r.properties is not None else None
                  for r in records])


def _first_company(record: _Item) -> _Text:
    a = record.associations
    linked = a.companies.results if a is not None and a.companies is not None else None
    return linked[0].id if linked else None


def _lineage(n: int, file_name: str) -> dict[str, pl.Series]:
    return {"source_file": pl.Series([file_name] * n, dtype=pl.String),
            "source_row": pl.Series(range(1, n + 1), dtype=pl.Int64)}


def _parties(records: list[_Item], file_name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    legal = _column(records, "siren").fill_null(_column(records, "vat")) \
        .fill_null(_column(records, "vat_number"))
    raw = pl.DataFrame({**_lineage(len(records), file_name),
                        "id": _text([r.id for r in records]), "name": _column(records, "name"),
                        "legal_id": legal})
    return parse_fields(raw, [Field("record_id", "id", text_expr("id"), ""),
                              Field("name", "name", text_expr("name"), ""),
                              Field("legal_id", "legal_id", text_expr("legal_id"), "")], "crm")


def _deals(records: list[_Item], file_name: str) -> pl.DataFrame:
    return pl.DataFrame({
        **_lineage(len(records), file_name), "id": _text([r.id for r in records]),
        "company": _text([_first_company(r) for r in records]),
        "name": _column(records, "dealname"), "amount": _column(records, "amount"),
        "currency": _column(records, "deal_currency_code"),
        "closedate": _column(records, "closedate"), "stage": _column(records, "dealstage"),
        "won": _column(records, "hs_is_closed_won"),
    })


def _commitments(raw: pl.DataFrame, default_currency: str, tz: str,
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
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
        with paused_gc():
            records = hubspot_results(file)
        rows_read[file.name] = len(records)
        if _kind(records, file) == "companies":
            frame, q = _parties(records, file.name)
            tables["parties"].append(frame)
        else:
            deals = _deals(records, file.name)
            won = (pl.col("won").str.to_lowercase() == "true").fill_null(False) \
                | (pl.col("stage") == "closedwon").fill_null(False)
            kept = deals.filter(won)
            if kept.height < len(records):
                rows_skipped[file.name] = len(records) - kept.height
                warnings.append(f"{file.name}: skipped {len(records) - kept.height} deal(s) "
                                "not closed won")
            frame, q = _commitments(kept, default_currency, timezone)
            tables["commitments"].append(frame)
        quarantines.append(q)
    out = {name: pl.concat(frames, how="vertical") for name, frames in tables.items() if frames}
    return Loaded(tables=out, quarantine=pl.concat(quarantines, how="vertical"),
                  rows_read=rows_read, rows_skipped=rows_skipped, warnings=tuple(warnings))
