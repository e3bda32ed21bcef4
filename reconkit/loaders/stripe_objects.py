"""Stripe list responses decoded by msgspec into Structs holding only the fields reconkit reads.

Decoding and type checks run in C and skip every other field, so a 300 MB export costs about
what reading it does. Number-like fields accept any JSON scalar (`Scalar`): a total written as
`"12.50"` must reach the loader to be quarantined with its text, not abort the file. A value
of the wrong JSON kind (an object where an id is expected) stops the file with a
`SourceFormatError` naming the object's position and field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import msgspec
import polars as pl
from msgspec import UNSET, Struct, UnsetType

from reconkit.errors import SourceFormatError

Scalar = int | float | str | None


class Expandable(Struct, gc=False):
    """An expanded related object (`"customer": {"id": "cus_...", ...}`): only its id."""

    id: str | None = None


class Amount(Struct, gc=False):
    amount: Scalar = None


class TaxId(Struct, gc=False):
    value: str | None = None


class TaxIds(Struct, gc=False):
    data: list[TaxId] | None = None


class Metadata(Struct, gc=False):
    """The metadata keys that carry other systems' ids."""

    crm_account_id: str | None = None
    erp_account: str | None = None
    siren: str | None = None
    contract_number: str | None = None
    sf_opportunity_id: str | None = None
    po_number: str | None = None


class SubscriptionDetails(Struct, gc=False):
    subscription: str | Expandable | None = None


class Parent(Struct, gc=False):
    """basil (2025-03-31): `parent.subscription_details.subscription`."""

    subscription_details: SubscriptionDetails | None = None


class CustomField(Struct, gc=False):
    """An invoice custom field (`{"name": "PO number", "value": "4541076168"}`)."""

    name: str | None = None
    value: str | None = None


class Period(Struct, gc=False):
    start: Scalar = None
    end: Scalar = None


class Line(Struct, gc=False):
    description: str | None = None
    period: Period | None = None


class Lines(Struct, gc=False):
    data: list[Line] | None = None
    has_more: bool | None = None


class StripeObject(Struct, gc=False):
    """A customer, invoice (both shapes) or credit note: the fields any of them needs."""

    id: str | None = None
    object: str | None = None
    number: str | None = None
    name: str | None = None
    customer: str | Expandable | None = None
    customer_name: str | None = None
    invoice: str | Expandable | None = None
    currency: str | None = None
    status: str | None = None
    created: Scalar = None
    effective_at: Scalar = None
    due_date: Scalar = None
    period_start: Scalar = None
    period_end: Scalar = None
    total_excluding_tax: Scalar = None
    subtotal: Scalar = None
    total: Scalar = None
    amount: Scalar = None
    tax: Scalar | UnsetType = UNSET                       # before basil
    total_tax_amounts: list[Amount] | UnsetType | None = UNSET  # before basil
    total_taxes: list[Amount] | UnsetType | None = UNSET        # basil
    subscription: str | Expandable | None = None           # before basil
    parent: Parent | None = None                            # basil
    lines: Lines | None = None
    metadata: Metadata | None = None
    tax_ids: TaxIds | None = None
    custom_fields: list[CustomField] | None = None
    memo: str | None = None                                # credit notes


class StripeList(Struct, gc=False):
    """`{"object": "list", "data": [...], "has_more": ...}` (also a search result)."""

    data: list[StripeObject]
    has_more: bool | None = None


_DECODER = msgspec.json.Decoder(StripeList | list[StripeObject])
_ELEMENT = re.compile(r"^\$\.data\[(\d+)\]|^\$\[(\d+)\]")


def read_stripe_list(path: Path) -> StripeList:
    """Decode a saved list response (or a bare list of objects) into Structs."""
    raw = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        doc = _DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise _validation_error(str(exc), path.name) from exc
    except msgspec.DecodeError as exc:
        raise _decode_error(str(exc), raw, path.name) from exc
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            f"this Stripe file is not valid JSON: it is not UTF-8 text ({exc.reason} at byte "
            f"{exc.start})", source_file=path.name, row=raw.count(b"\n", 0, exc.start) + 1,
            hint="save the API response as UTF-8 JSON, as the API sends it") from exc
    return doc if isinstance(doc, StripeList) else StripeList(data=doc)


def _validation_error(message: str, name: str) -> SourceFormatError:
    where = message.rsplit(" - at `", 1)
    m = _ELEMENT.match(where[1]) if len(where) == 2 else None
    if m is None:
        return SourceFormatError(
            "this is not a saved Stripe list response (expected {\"object\": \"list\", "
            f"\"data\": [...]}}; {message})", source_file=name,
            hint="save the JSON returned by GET /v1/invoices (or customers, credit_notes)")
    row = int(m.group(1) or m.group(2)) + 1
    return SourceFormatError(
        f"Stripe object {row} of the list has an unexpected value: {where[0]} at "
        f"`{where[1].rstrip('`')}`", source_file=name, row=row,
        hint="save the API response again as Stripe sends it, without editing it")


def _decode_error(message: str, raw: bytes, name: str) -> SourceFormatError:
    m = re.search(r"byte (\d+)", message)
    line = raw.count(b"\n", 0, int(m.group(1))) + 1 if m else None
    truncated = "truncated" in message
    what = "it is truncated" if truncated else "it may be truncated or not UTF-8"
    return SourceFormatError(
        f"this Stripe file is not valid JSON ({message}); {what}", source_file=name,
        row=line, hint="download or save the API response again, completely, as UTF-8")


def ref_id(value: str | Expandable | None) -> str | None:
    """An id given as text or as an expanded object."""
    return value.id if isinstance(value, Expandable) else value


def whole_numbers(name: str, values: list[Any]) -> pl.Series:
    """Int64 when every value is a whole number that fits; else the values as text, so
    that the loader quarantines the ones that do not parse with what the file said."""
    try:
        return pl.Series(name, values, dtype=pl.Int64, strict=True)
    except (TypeError, OverflowError, ValueError, pl.exceptions.PolarsError):
        return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)


def tax_amount(obj: StripeObject) -> Scalar:
    """Tax in minor units from whichever shape the object has (text when not whole numbers)."""
    if obj.total_taxes is not UNSET:
        return _sum_amounts(obj.total_taxes)
    if obj.tax is not UNSET and obj.tax is not None:
        return obj.tax
    return _sum_amounts(obj.total_tax_amounts)


def has_tax(obj: StripeObject) -> bool:
    return obj.total_taxes is not UNSET or obj.total_tax_amounts is not UNSET \
        or obj.tax is not UNSET


def _sum_amounts(items: list[Amount] | UnsetType | None) -> Scalar:
    """The sum of whole amounts; else every amount as text, for the quarantine to show."""
    if not isinstance(items, list):
        return None
    total = 0
    for item in items:  # one plain loop: this runs for each of 100k invoices
        amount = item.amount
        if type(amount) is not int:
            return "; ".join(str(i.amount) for i in items)
        total += amount
    return total


def subscription_id(obj: StripeObject) -> str | None:
    """The subscription an invoice bills: top-level before basil, under `parent` since."""
    if obj.subscription is not None:
        return ref_id(obj.subscription)
    details = obj.parent.subscription_details if obj.parent is not None else None
    return ref_id(details.subscription) if details is not None else None


# custom field names that hold the customer's purchase-order number (case-insensitive)
_PO_FIELD: Final = re.compile(r"^(?:po|p\.o\.|purchase order|bon de commande|commande|bc)"
                              r"(?:\s*(?:n(?:o|umber|um|°)?\.?|#))?$", re.IGNORECASE)


def po_number(obj: StripeObject) -> str | None:
    """The customer's purchase-order number: `metadata.po_number`, else a custom field named
    like one ("PO number", "Bon de commande", "Purchase order")."""
    if obj.metadata is not None and obj.metadata.po_number:
        return obj.metadata.po_number
    for f in obj.custom_fields or ():
        if f.name and f.value and _PO_FIELD.match(f.name.strip()):
            return f.value
    return None


def line_frame(objects: list[StripeObject]) -> pl.DataFrame:
    """One row per invoice line: `__i` (object position, 0-based), description and period."""
    rows = [(i, line) for i, o in enumerate(objects)
            if o.lines is not None and o.lines.data for line in o.lines.data]
    return pl.DataFrame({
        "__i": pl.Series([i for i, _ in rows], dtype=pl.Int64),
        "description": pl.Series([ln.description for _, ln in rows], dtype=pl.String),
        "start": whole_numbers("start", [ln.period.start if ln.period else None
                                         for _, ln in rows]),
        "end": whole_numbers("end", [ln.period.end if ln.period else None for _, ln in rows]),
    })
