"""What a confirmed match teaches: payer IBANs the parties did not know.

When a reviewer confirms that a bank payment settles a client's invoices and the payer's IBAN
was unknown, the (bank, IBAN) -> (billing, customer id) alias lets party resolution attach the
next payment from that IBAN by itself.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from reconkit.keys.identifiers import normalize_iban
from reconkit.result import ReconResult

Alias = tuple[str, str, str, str]  # system, source_id, target_system, target_id


def aliases_taught(result: ReconResult, match_id: str,
                   known: Collection[str] = (),
                   party_ibans: Collection[str] | None = None) -> list[Alias]:
    """Aliases that confirming `match_id` teaches (empty unless a new payer IBAN is seen).

    Only a payment->invoice match whose invoices belong to exactly one billing customer
    teaches (an IBAN tied to two customers would merge them), and only when the payer is
    unresolved or resolved to that same customer: a parent paying for its subsidiary is
    recorded explicitly (`DecisionStore.record(..., teach=...)`), never learned silently.
    `known` lists IBANs already aliased; `party_ibans` (from `party_ibans(result)`, computed
    once for a bulk) the IBANs on party records.
    """
    kind = result.matches.filter(pl.col("match_id") == match_id)["kind"]
    if kind.len() == 0 or kind[0] != "payment_invoice":
        return []
    items = result.match_items.filter(pl.col("match_id") == match_id)
    payments = result.inputs.get("payments")
    invoices = result.inputs.get("invoices")
    if payments is None or invoices is None:
        return []
    pay_ids = items.filter((pl.col("system") == "bank") & (pl.col("role") == "payment"))
    ibans = (payments.join(pay_ids.select("record_id").unique(), on="record_id")
             .select(normalize_iban(pl.col("payer_iban")).alias("iban"))
             .drop_nulls().unique()["iban"].to_list())
    customers = (invoices.join(items.filter(pl.col("role") == "invoice")
                               .select("record_id").unique(), on="record_id")
                 ["party_record_id"].drop_nulls().unique().to_list())
    if len(ibans) != 1 or len(customers) != 1:
        return []
    iban, customer = ibans[0], customers[0]
    on_parties = party_ibans if party_ibans is not None else _party_ibans(result)
    if iban in known or iban in on_parties:
        return []
    payer_party = _party_of(result, "bank", iban)
    if payer_party is not None and payer_party != _party_of(result, "billing", customer):
        return []  # another entity paid (parent, factor): aliasing it would misattribute
    return [("bank", iban, "billing", customer)]


def _party_of(result: ReconResult, system: str, source_id: str) -> str | None:
    hit = result.parties.filter((pl.col("system") == system)
                                & (pl.col("source_id") == source_id))["party_id"]
    return hit[0] if hit.len() else None


def party_ibans(result: ReconResult) -> set[str]:
    """IBANs written on party records (normalised): never taught as aliases."""
    return _party_ibans(result)


def _party_ibans(result: ReconResult) -> set[str]:
    parties = result.inputs.get("parties")
    if parties is None or parties.height == 0:
        return set()
    return set(parties.select(normalize_iban(pl.col("iban")).alias("i"))
               .drop_nulls()["i"].to_list())
