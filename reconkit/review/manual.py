"""A match built by hand: find the open items, allocate a payment across them, check it.

The reviewer starts from a payment, searches the client's open invoices (or any open invoice
by number or client name), and allocates the amount; what is left can be written off with a
reason and an account. The result is the payload of a `confirm` decision that
`reconkit.review.apply` turns into a confirmed `MANUAL` match on the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import polars as pl

from reconkit.errors import ReconkitError
from reconkit.money import to_cents
from reconkit.result import ReconResult
from reconkit.review.apply import manual_match_id
from reconkit.review.render import money

SETTLING: Final = ("auto", "confirmed")
OPEN_ITEM_SCHEMA: Final = {"record_id": pl.String, "number": pl.String,
                           "party_record_id": pl.String, "party_name": pl.String,
                           "issue_date": pl.Date, "currency": pl.String,
                           "amount_cents": pl.Int64, "open_cents": pl.Int64}
WRITE_OFF_ACCOUNTS: Final = {"627": "bank charges", "658": "sundry operating charges",
                             "758": "sundry operating income", "666": "exchange loss",
                             "766": "exchange gain", "654": "bad debt"}


def open_items(result: ReconResult, *, customers: list[str] | None = None,
               search: str = "") -> pl.DataFrame:
    """Invoices with an amount still due (not settled by an auto or confirmed payment
    match): the client's (`customers`: billing ids) and/or those whose number or client name
    contains `search`; oldest first."""
    invoices = result.inputs.get("invoices")
    if invoices is None or invoices.height == 0:
        return pl.DataFrame(schema=OPEN_ITEM_SCHEMA)
    settled = (result.match_items
               .join(result.matches.filter((pl.col("kind") == "payment_invoice")
                                           & pl.col("status").is_in(SETTLING))
                     .select("match_id"), on="match_id")
               .filter((pl.col("system") == "billing") & (pl.col("role") == "invoice"))
               .group_by("record_id").agg(pl.col("amount_cents").sum().alias("paid")))
    names = result.inputs.get("parties")
    if names is not None and names.height:
        billing = names.filter(pl.col("system") == "billing").select(
            pl.col("record_id").alias("party_record_id"), pl.col("name").alias("client"))
        invoices = invoices.join(billing.unique("party_record_id"), on="party_record_id",
                                 how="left").with_columns(
            pl.coalesce("party_name", "client").alias("party_name"))
    docs = (invoices.filter(pl.col("doc_type") == "invoice")
            .join(settled, on="record_id", how="left")
            .with_columns((pl.col("amount_cents") - pl.col("paid").fill_null(0))
                          .alias("open_cents"))
            .filter(pl.col("open_cents") > 0))
    wanted = pl.lit(False)
    if customers:
        wanted = wanted | pl.col("party_record_id").is_in(customers)
    text = search.strip().lower()
    if text:
        wanted = wanted | pl.col("number").str.to_lowercase().str.contains(text, literal=True) \
            | pl.col("party_name").fill_null("").str.to_lowercase().str.contains(text,
                                                                                 literal=True)
    return (docs.filter(wanted).sort("issue_date", "number")
            .select(list(OPEN_ITEM_SCHEMA)).cast(OPEN_ITEM_SCHEMA))  # type: ignore[arg-type]


def billing_clients(result: ReconResult) -> list[tuple[str, str]]:
    """(name, billing customer id) of every client, by name: whom a payment can go to."""
    parties = result.inputs.get("parties")
    if parties is None:
        return []
    billing = parties.filter(pl.col("system") == "billing").sort("name", "record_id")
    return [(str(n), str(r)) for r, n in billing.select("record_id", "name").iter_rows()]


def customers_of(result: ReconResult, party_id: str | None) -> list[str]:
    """The billing customer ids of a resolved client."""
    if not party_id:
        return []
    return result.parties.filter((pl.col("party_id") == party_id)
                                 & (pl.col("system") == "billing"))["source_id"].to_list()


def allocate(amount_cents: int, open_cents: list[tuple[str, int]]) -> dict[str, int]:
    """Spread a payment over open items in the given order, each up to what it still owes."""
    left, out = amount_cents, {}
    for record_id, due in open_cents:
        take = min(left, due)
        if take <= 0:
            break
        out[record_id] = take
        left -= take
    return out


@dataclass(frozen=True)
class ManualMatch:
    """A checked allocation: the decision's match id and payload, and what is left over."""

    match_id: str
    payload: dict[str, Any]
    unallocated_cents: int


def build_manual_match(payment: Mapping[str, Any], allocations: Mapping[str, int],
                       items: pl.DataFrame, note: str = "") -> ManualMatch:
    """Check an allocation of `payment` (a payments row) over `items` (`open_items` rows):
    every amount positive, no invoice given more than it owes, the total within the payment."""
    if payment.get("table", "payments") != "payments" or payment.get("system") != "bank":
        raise ReconkitError("a match by hand starts from a bank payment",
                            hint="pick a payment in the queue")
    chosen = {k: int(v) for k, v in allocations.items() if v}
    if not chosen:
        raise ReconkitError("allocate an amount to at least one invoice")
    known = {r["record_id"]: r for r in items.to_dicts()}
    problems = []
    for rid, cents in chosen.items():
        inv = known.get(rid)
        if inv is None:
            problems.append(f"{rid} is not an open invoice")
        elif cents <= 0:
            problems.append(f"{inv['number']}: the amount must be positive")
        elif cents > inv["open_cents"]:
            owed = money(inv["open_cents"], inv["currency"])
            problems.append(f"{inv['number']} only owes {owed}")
    total = sum(chosen.values())
    paid = int(payment["amount_cents"])
    if total > paid:
        problems.append(f"{money(total, payment.get('currency'))} allocated but the payment "
                        f"is {money(paid, payment.get('currency'))}")
    if problems:
        raise ReconkitError("this allocation cannot be recorded: " + "; ".join(problems),
                            hint="correct the amounts and record it again")
    rows = [{"system": "bank", "record_id": payment["record_id"], "role": "payment",
             "amount_cents": total, "label": payment.get("payer_name")}]
    rows += [{"system": "billing", "record_id": rid, "role": "invoice", "amount_cents": c,
              "label": known[rid]["number"]} for rid, c in chosen.items()]
    payload: dict[str, Any] = {"items": rows, "currency": payment.get("currency")}
    if note:
        payload["note"] = note
    return ManualMatch(manual_match_id(rows), payload, paid - total)


def parse_amount(text: str) -> int:
    """`1,200.00`, `1 200,00` or `1200` -> cents (never a float)."""
    clean = text.replace("\u00a0", "").replace(" ", "").replace("EUR", "").strip()
    clean = clean.replace(",", "") if "." in clean else clean.replace(",", ".")
    try:
        return to_cents(Decimal(clean))
    except (InvalidOperation, ValueError):
        raise ReconkitError(f"'{text}' is not an amount", hint="write it like 1,200.00") \
            from None


def default_write_off(ctx: dict[str, Any]) -> str:
    """The difference a write-off proposes: the rule's, else payment minus documents."""
    if not ctx["candidates"]:
        return ""
    best = ctx["candidates"][0]
    if isinstance(best["evidence"].get("write_off_cents"), int):
        return money(best["evidence"]["write_off_cents"])
    pay = sum(i["amount_cents"] or 0 for i in best["items"] if i["role"] == "payment")
    docs = sum(i["amount_cents"] or 0 for i in best["items"] if i["role"] == "invoice")
    return money(abs(pay - docs)) if pay and docs and pay != docs else ""
