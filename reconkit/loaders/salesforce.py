"""Salesforce exports (Account, Opportunity, Contract) -> parties and commitments.

Reads three kinds of files the same way, keyed by upper-cased API field names:
Data Loader / Bulk CSV (UPPERCASE API names, every value quoted), report CSV exports (field
labels, 15-character ids, the exporting user's locale, footer lines) through an alias map and
locale options, and saved REST query responses (`{"records": [{"attributes": ...}]}`).
Every id is normalised to 18 characters. Only won opportunities are commitments; the others
are counted and reported in a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from reconkit.errors import SourceFormatError
from reconkit.ids import sf18_expr, sf_object
from reconkit.loaders._text import read_csv_cells
from reconkit.loaders.base import Loaded, register_loader
from reconkit.loaders.saved import (
    Field,
    as_text,
    bool_expr,
    cents_expr,
    iso_date_expr,
    parse_fields,
    percent_bp_expr,
    plain_cents_expr,
    read_json_document,
    string_frame,
    text_expr,
)
from reconkit.schemas import empty_quarantine

OBJECTS: Final = ("Account", "Opportunity", "Contract")
LOCALES: Final[dict[str, tuple[str, str | None, str]]] = {
    # locale: (decimal mark, thousands separator, date format) of a report export
    "fr_FR": (",", " ", "%d/%m/%Y"), "en_US": (".", ",", "%m/%d/%Y"),
    "en_GB": (".", ",", "%d/%m/%Y"), "de_DE": (",", ".", "%d.%m.%Y"),
}
_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "Account": ("ID", "NAME", "PARENTID", "SIREN__C", "VAT_NUMBER__C",
                "BILLING_CUSTOMER_ID__C", "ERP_ACCOUNT__C"),
    "Opportunity": ("ID", "ACCOUNTID", "NAME", "AMOUNT", "CURRENCYISOCODE", "CLOSEDATE",
                    "CONTRACTID", "DISCOUNT__C", "LIST_AMOUNT__C", "ISWON", "STAGENAME"),
    "Contract": ("ID", "ACCOUNTID", "CONTRACTNUMBER", "NAME", "STARTDATE", "ENDDATE",
                 "CONTRACTTERM", "STATUS", "AUTORENEW__C", "BILLINGFREQUENCY__C", "AMOUNT__C",
                 "LISTAMOUNT__C", "DISCOUNT__C", "CURRENCYISOCODE"),
}
REPORT_ALIASES: Final[dict[str, dict[str, str]]] = {
    # report column label (lower case) -> API name, per object; English and French labels
    "Account": {"account id": "ID", "account name": "NAME", "parent account id": "PARENTID",
                "siren": "SIREN__C", "vat number": "VAT_NUMBER__C",
                "billing customer id": "BILLING_CUSTOMER_ID__C", "erp account": "ERP_ACCOUNT__C",
                "id du compte": "ID", "nom du compte": "NAME",
                "id du compte parent": "PARENTID", "numéro de tva": "VAT_NUMBER__C"},
    "Opportunity": {"opportunity id": "ID", "account id": "ACCOUNTID",
                    "opportunity name": "NAME", "amount": "AMOUNT",
                    "opportunity currency": "CURRENCYISOCODE", "currency": "CURRENCYISOCODE",
                    "close date": "CLOSEDATE", "won": "ISWON", "stage": "STAGENAME",
                    "contract id": "CONTRACTID", "discount": "DISCOUNT__C",
                    "list amount": "LIST_AMOUNT__C",
                    "id de l'opportunité": "ID", "id du compte": "ACCOUNTID",
                    "nom de l'opportunité": "NAME", "montant": "AMOUNT",
                    "devise de l'opportunité": "CURRENCYISOCODE", "devise": "CURRENCYISOCODE",
                    "date de clôture": "CLOSEDATE", "gagnée": "ISWON", "étape": "STAGENAME",
                    "id du contrat": "CONTRACTID", "remise": "DISCOUNT__C"},
    "Contract": {"contract id": "ID", "account id": "ACCOUNTID",
                 "contract number": "CONTRACTNUMBER", "contract name": "NAME",
                 "contract start date": "STARTDATE", "start date": "STARTDATE",
                 "contract end date": "ENDDATE", "end date": "ENDDATE",
                 "contract term (months)": "CONTRACTTERM", "contract term": "CONTRACTTERM",
                 "status": "STATUS", "auto renew": "AUTORENEW__C",
                 "billing frequency": "BILLINGFREQUENCY__C", "amount": "AMOUNT__C",
                 "list amount": "LISTAMOUNT__C", "discount": "DISCOUNT__C",
                 "contract currency": "CURRENCYISOCODE", "currency": "CURRENCYISOCODE",
                 "id du contrat": "ID", "id du compte": "ACCOUNTID",
                 "numéro de contrat": "CONTRACTNUMBER", "nom du contrat": "NAME",
                 "date de début du contrat": "STARTDATE", "date de fin du contrat": "ENDDATE",
                 "durée du contrat (mois)": "CONTRACTTERM", "statut": "STATUS"},
}
_FREQUENCIES: Final = {"annually": "annual", "yearly": "annual", "one-off": "one_off",
                       "one off": "one_off"}
_NOT_ID = "not a Salesforce id (expected 15 or 18 letters and digits with a valid checksum)"
_NOT_AMOUNT = "not an amount"
_NOT_DATE = "not a date (expected YYYY-MM-DD or the report's date format)"


@dataclass(frozen=True)
class _Format:
    """How numbers and dates are written in the file being read."""

    decimal: str = "."
    thousands: str | None = None
    date_format: str | None = None
    default_currency: str = "EUR"
    timezone: str = "Europe/Paris"


@dataclass(frozen=True)
class _Table:
    """One file's cells (String columns) and where each API field is: field -> column."""

    object: str | None
    cells: pl.DataFrame  # with source_row
    position: dict[str, str]


def _rest_table(doc: Any, file_name: str) -> _Table:
    pages = doc if isinstance(doc, list) else [doc]
    rows: list[dict[str, str | int | None]] = []
    types: set[str] = set()
    for page in pages:
        records = page.get("records") if isinstance(page, dict) else None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise SourceFormatError(
                "this is not a saved Salesforce query response (expected {\"records\": [...]})",
                source_file=file_name,
                hint="save the JSON returned by /services/data/vXX.X/query")
        for record in records:
            if isinstance(record.get("attributes"), dict):
                types.add(str(record["attributes"].get("type")))
            rows.append({**{k.upper(): as_text(v) for k, v in record.items()
                            if not isinstance(v, dict)}, "source_row": len(rows) + 1})
    names = sorted({k for r in rows for k in r} - {"source_row"})
    cells = string_frame(rows, ("source_row", *names))
    return _Table(types.pop() if len(types) == 1 else None, cells, {n: n for n in names})


def _csv_table(path: Path, encoding: str | None, obj: str | None,
               aliases: Mapping[str, str]) -> _Table:
    """Polars reads the cells; report footers (confidentiality, copyright lines) are cut."""
    csv = read_csv_cells(path, encoding)
    obj = obj or _object_from_name(path) or _object_from_header(csv.header)
    names = _api_names(csv.header, obj, aliases)
    position = {n: f"c{i}" for i, n in enumerate(names)}  # a repeated name: the last wins
    cells = csv.cells
    if len(csv.header) > 1 and cells.height:
        filled = pl.sum_horizontal(pl.col(c).is_not_null() for c in position.values())
        last = cells.select(pl.arg_where(filled > 1).max()).item()
        cells = cells.head(0 if last is None else last + 1)
    return _Table(obj, cells, position)


def _api_names(header: list[str], obj: str | None, aliases: Mapping[str, str]) -> list[str]:
    known = {**(REPORT_ALIASES.get(obj or "", {})), **{k.lower(): v for k, v in aliases.items()}}
    return [known.get(h.lower(), h.upper()) for h in header]


def _object_from_name(path: Path) -> str | None:
    stem = path.stem.lower()
    return next((o for o in OBJECTS if stem.startswith(o.lower())), None)


def _object_from_header(header: list[str]) -> str | None:
    labels = {h.lower() for h in header}
    for obj in OBJECTS:
        ids = {k for k, v in REPORT_ALIASES[obj].items() if v == "ID"}
        if labels & ids:
            return obj
    return None


def _object_from_ids(table: _Table) -> str | None:
    column = table.position.get("ID")
    ids = table.cells[column].drop_nulls() if column else pl.Series([], dtype=pl.String)
    found = sf_object(ids[0]) if len(ids) else None
    return found if found in OBJECTS else None


_REQUIRED: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    # object: (API name, label a person sees) of the columns without which no row loads
    "Account": (("ID", "Id"), ("NAME", "Name")),
    "Opportunity": (("ID", "Id"), ("ACCOUNTID", "AccountId"), ("AMOUNT", "Amount")),
    "Contract": (("ID", "Id"), ("ACCOUNTID", "AccountId"), ("AMOUNT__C", "Amount__c")),
}


def _frame(table: _Table, obj: str, file_name: str,
           extra: tuple[str, ...] = ()) -> pl.DataFrame:
    missing = [label for api, label in _REQUIRED[obj] if api not in table.position]
    if missing and table.cells.height:
        raise SourceFormatError(
            f"this {obj} export has no {' or '.join(repr(m) for m in missing)} column, so "
            f"none of its rows can be loaded", source_file=file_name, row=1,
            hint=f"export the {obj} object again with the field(s) "
                 f"{', '.join(missing)} (Data Loader: "
                 f"{', '.join(a for a, _ in _REQUIRED[obj])}), or map the report's column "
                 "label to it with `aliases:`")
    return table.cells.select(
        pl.lit(file_name).alias("source_file"), "source_row",
        *((pl.col(table.position[f]) if f in table.position else pl.lit(None, pl.String))
          .alias(f) for f in dict.fromkeys((*_FIELDS[obj], *extra))))


def _id_field(column: str, raw: str) -> Field:
    return Field(column, raw, sf18_expr(pl.col(raw)), _NOT_ID)


def _parties(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    fields = [_id_field("record_id", "ID"), Field("name", "NAME", text_expr("NAME"), ""),
              _id_field("parent_record_id", "PARENTID"),
              Field("legal_id", "SIREN__C",
                    pl.coalesce(pl.col("SIREN__C"), pl.col("VAT_NUMBER__C")), ""),
              Field("billing_ref", "BILLING_CUSTOMER_ID__C", text_expr("BILLING_CUSTOMER_ID__C"),
                    ""),
              Field("erp_ref", "ERP_ACCOUNT__C", text_expr("ERP_ACCOUNT__C"), "")]
    return parse_fields(raw, fields, "crm")


def _currency(fmt: _Format) -> pl.Expr:
    return pl.col("CURRENCYISOCODE").str.strip_chars().str.to_uppercase() \
        .fill_null(fmt.default_currency)


def _money(column: str, raw: str, fmt: _Format) -> Field:
    return Field(column, raw, cents_expr(pl.col(raw), _currency(fmt), decimal=fmt.decimal,
                                         thousands=fmt.thousands), _amount_reason(raw, fmt),
                 fast=plain_cents_expr(pl.col(raw), _currency(fmt), decimal=fmt.decimal))


def _amount_reason(raw: str, fmt: _Format) -> pl.Expr:
    """"not an amount", with the locale hint when the value is a number written with other
    separators than the ones set (`1 234,56` read with the default decimal point)."""
    separators = "".join(c for c in ",.' \u00a0\u202f" if c != fmt.decimal)
    other = "[" + re.escape(separators) + "]"
    digits_and_separators = pl.col(raw).str.contains(r"^[-+(]?\d[\d\s\u00a0\u202f.,']*\)?-?$") \
        & pl.col(raw).str.contains(r"\d" + other + r"\d")
    thousands = "none" if fmt.thousands is None else repr(fmt.thousands)
    hint = (f"not an amount with the number format set (decimal {fmt.decimal!r}, thousands "
            f"{thousands}): set `locale:` ({', '.join(LOCALES)}) or `decimal:` and "
            "`thousands:` in the source options")
    return pl.when(digits_and_separators).then(pl.lit(hint)).otherwise(pl.lit(_NOT_AMOUNT))


def _common(fmt: _Format) -> list[Field]:
    return [
        _id_field("record_id", "ID"), _id_field("party_record_id", "ACCOUNTID"),
        Field("name", "NAME", text_expr("NAME"), ""),
        Field("currency", "CURRENCYISOCODE", _currency(fmt), ""),
        Field("discount_bp", "DISCOUNT__C", percent_bp_expr(
            "DISCOUNT__C", decimal=fmt.decimal, thousands=fmt.thousands),
            "not a percentage"),
    ]


def _date(column: str, raw: str, fmt: _Format) -> Field:
    return Field(column, raw, iso_date_expr(raw, fmt.timezone, fmt.date_format), _NOT_DATE)


def _opportunities(raw: pl.DataFrame, fmt: _Format, won_stages: tuple[str, ...],
                   contract_field: str = "CONTRACTID",
                   ) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    won = pl.when(pl.col("ISWON").is_null()).then(pl.col("STAGENAME").is_in(won_stages)) \
        .otherwise(bool_expr("ISWON"))
    lost = won.not_().fill_null(False)
    skipped = raw.filter(lost).height
    fields = [*_common(fmt), _money("amount_cents", "AMOUNT", fmt),
              _money("list_amount_cents", "LIST_AMOUNT__C", fmt),
              _date("close_date", "CLOSEDATE", fmt),
              _id_field("contract_record_id", contract_field),
              Field("is_won", "ISWON", bool_expr("ISWON"), "not true or false"),
              Field("status", "STAGENAME", text_expr("STAGENAME"), "")]
    out, q = parse_fields(raw.filter(~lost), fields, "crm", {
        "kind": pl.lit("opportunity"), "billing_frequency": pl.lit("one_off")})
    return out.drop("is_won"), q, skipped


def _contracts(raw: pl.DataFrame, fmt: _Format, opportunity_fields: tuple[str, ...] = (),
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
    start = iso_date_expr("STARTDATE", fmt.timezone, fmt.date_format)
    term = pl.col("CONTRACTTERM").str.strip_chars().cast(pl.Int64, strict=False)
    from_term = start.dt.offset_by(term.cast(pl.String) + pl.lit("mo")).dt.offset_by("-1d")
    end = pl.when(pl.col("ENDDATE").is_null()).then(from_term) \
        .otherwise(iso_date_expr("ENDDATE", fmt.timezone, fmt.date_format))
    frequency = pl.col("BILLINGFREQUENCY__C").str.strip_chars().str.to_lowercase()
    fields = [*_common(fmt), _money("amount_cents", "AMOUNT__C", fmt),
              _money("list_amount_cents", "LISTAMOUNT__C", fmt),
              Field("contract_number", "CONTRACTNUMBER", text_expr("CONTRACTNUMBER"), ""),
              Field("start_date", "STARTDATE", start, _NOT_DATE),
              Field("end_date", "ENDDATE", end, _NOT_DATE),
              Field("contract_term", "CONTRACTTERM", term, "not a whole number of months"),
              Field("status", "STATUS", text_expr("STATUS"), ""),
              Field("auto_renew", "AUTORENEW__C", bool_expr("AUTORENEW__C"),
                    "not true or false"),
              Field("billing_frequency", "BILLINGFREQUENCY__C",
                    frequency.replace(_FREQUENCIES), "")]
    # the Opportunity <-> Contract lookup may sit on the Contract (custom or CPQ field)
    fields += [_id_field(f"__opportunity_{i}", name) for i, name in enumerate(opportunity_fields)]
    out, q = parse_fields(raw, fields, "crm", {"kind": pl.lit("contract")})
    return out.drop("contract_term"), q


def _contract_side_links(com: pl.DataFrame, n_fields: int) -> pl.DataFrame:
    """Fill an opportunity's contract from a Contract-side lookup when the Opportunity does
    not carry it; the helper columns are dropped."""
    cols = [f"__opportunity_{i}" for i in range(n_fields) if f"__opportunity_{i}" in com.columns]
    if not cols:
        return com
    if "contract_record_id" not in com.columns:
        com = com.with_columns(pl.lit(None, dtype=pl.String).alias("contract_record_id"))
    side = com.filter(pl.col("kind") == "contract").select(
        pl.coalesce(cols).alias("record_id"), pl.col("record_id").alias("__contract")) \
        .drop_nulls().unique(subset=["record_id"], keep="first")
    return com.join(side, on="record_id", how="left", maintain_order="left").with_columns(
        pl.coalesce("contract_record_id", "__contract").alias("contract_record_id")) \
        .drop("__contract", *cols)


def _files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    found = sorted(f for f in path.iterdir() if f.suffix.lower() in (".csv", ".json")
                   and _object_from_name(f))
    if not found:
        raise SourceFormatError("no Salesforce export found in this folder",
                                source_file=path.name,
                                hint="put Account.csv, Opportunity.csv and/or Contract.csv "
                                     "(or .json query responses) in it")
    return found


def _format(locale: str | None, decimal: str | None, thousands: str | None,
            date_format: str | None, default_currency: str, timezone: str) -> _Format:
    if locale is not None and locale not in LOCALES:
        raise SourceFormatError(f"unknown report locale '{locale}'",
                                hint=f"use one of: {', '.join(LOCALES)}, or give decimal, "
                                     "thousands and date_format")
    base = LOCALES.get(locale or "", (".", None, None))
    return _Format(decimal or base[0], thousands if thousands is not None else base[1],
                   date_format or base[2], default_currency.upper(), timezone)


@register_loader("salesforce")
def load_salesforce(path: Path, *, object: str | None = None,
                    locale: str | None = None, decimal: str | None = None,
                    thousands: str | None = None, date_format: str | None = None,
                    default_currency: str = "EUR", timezone: str = "Europe/Paris",
                    aliases: Mapping[str, str] | None = None, encoding: str | None = None,
                    won_stages: tuple[str, ...] = ("Closed Won",),
                    opportunity_contract_field: str = "ContractId",
                    contract_opportunity_fields: tuple[str, ...] = (
                        "Opportunity__c", "SBQQ__Opportunity__c"),
                    **_: Any) -> Loaded:
    """Load Salesforce Account/Opportunity/Contract exports: one CSV or JSON file (object from
    `object`, the file name, report labels or the id prefix 001/006/800) or a folder holding
    Account/Opportunity/Contract files. `locale` (e.g. "fr_FR") or decimal/thousands/date_format
    describe a report export; `aliases` maps extra column labels to API names. The
    Opportunity -> Contract lookup is read on the Opportunity (`opportunity_contract_field`)
    and on the Contract (`contract_opportunity_fields`, first non-empty wins)."""
    opp_field = opportunity_contract_field.upper()
    contract_fields = tuple(f.upper() for f in contract_opportunity_fields)
    fmt = _format(locale, decimal, thousands, date_format, default_currency, timezone)
    tables: dict[str, list[pl.DataFrame]] = {"parties": [], "commitments": []}
    quarantines = [empty_quarantine()]
    rows_read: dict[str, int] = {}
    rows_skipped: dict[str, int] = {}
    warnings: list[str] = []
    for file in _files(Path(path)):
        if file.suffix.lower() == ".json":
            table = _rest_table(read_json_document(file, "Salesforce"), file.name)
        else:
            table = _csv_table(file, encoding, object, aliases or {})
        obj = object or table.object or _object_from_name(file) or _object_from_ids(table)
        if obj not in OBJECTS:
            raise SourceFormatError(
                "cannot tell which Salesforce object this file holds", source_file=file.name,
                hint="name it Account.csv, Opportunity.csv or Contract.csv, or set "
                     "object: Account|Opportunity|Contract")
        rows_read[file.name] = table.cells.height
        extra = {"Opportunity": (opp_field,), "Contract": contract_fields}.get(obj, ())
        raw = _frame(table, obj, file.name, extra)
        if obj == "Account":
            frame, q = _parties(raw)
            tables["parties"].append(frame)
        elif obj == "Opportunity":
            frame, q, skipped = _opportunities(raw, fmt, won_stages, opp_field)
            if skipped:
                rows_skipped[file.name] = skipped
                warnings.append(f"{file.name}: skipped {skipped} opportunit"
                                f"{'y' if skipped == 1 else 'ies'} not won")
            tables["commitments"].append(frame)
        else:
            frame, q = _contracts(raw, fmt, contract_fields)
            tables["commitments"].append(frame)
        quarantines.append(q)
    out = {name: pl.concat(frames, how="diagonal_relaxed")
           for name, frames in tables.items() if frames}
    if "commitments" in out:
        out["commitments"] = _contract_side_links(out["commitments"], len(contract_fields))
    return Loaded(tables=out, quarantine=pl.concat(quarantines, how="vertical"),
                  rows_read=rows_read, rows_skipped=rows_skipped, warnings=tuple(warnings))
