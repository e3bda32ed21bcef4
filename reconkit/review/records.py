"""Exceptions joined to what a reviewer needs first: the record's amount, date and client.

Every canonical record is reduced to one shape (system, record_id, amount, currency, date,
label, party key) so that an exception on a payment, an invoice, a ledger line, a contract or
a party record reads the same way. The party key is the id `result.parties` knows the record's
client by (a bank payer is known by its compact IBAN, or `name:` + its normalised name).
"""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl

from reconkit.keys.identifiers import normalize_iban
from reconkit.keys.normalize import normalize_name
from reconkit.result import ReconResult
from reconkit.schemas import PolarsDataType

SYSTEM_ORDER = {"billing": 0, "crm": 1, "erp": 2, "bank": 3, "psp": 4}
RECORD_SCHEMA: dict[str, PolarsDataType] = {
    "system": pl.String, "record_id": pl.String, "amount_cents": pl.Int64,
    "currency": pl.String, "record_date": pl.Date, "label": pl.String, "party_key": pl.String,
}


def input_records(inputs: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """All canonical records in one (system, record_id, amount, date, label, party key) frame."""
    parts: list[pl.DataFrame] = []
    if (pay := inputs.get("payments")) is not None:
        parts.append(pay.select(
            pl.lit("bank").alias("system"), "record_id", "amount_cents", "currency",
            pl.col("booking_date").alias("record_date"), pl.col("payer_name").alias("label"),
            pl.coalesce(normalize_iban(pl.col("payer_iban")),
                        pl.lit("name:") + normalize_name(pl.col("payer_name"))).alias("party_key"),
        ))
    if (inv := inputs.get("invoices")) is not None:
        parts.append(inv.select(
            pl.lit("billing").alias("system"), "record_id", "amount_cents", "currency",
            pl.col("issue_date").alias("record_date"), pl.col("number").alias("label"),
            pl.col("party_record_id").alias("party_key")))
    if (led := inputs.get("ledger_lines")) is not None:
        parts.append(led.select(
            pl.lit("erp").alias("system"), "record_id", "amount_cents", "currency",
            pl.col("entry_date").alias("record_date"),
            pl.coalesce("piece_ref", "label").alias("label"),
            pl.col("aux_account").alias("party_key")))
    if (com := inputs.get("commitments")) is not None:
        parts.append(com.select(
            pl.lit("crm").alias("system"), "record_id", "amount_cents", "currency",
            pl.coalesce("start_date", "close_date").alias("record_date"),
            pl.coalesce("name", "contract_number").alias("label"),
            pl.col("party_record_id").alias("party_key")))
    if (psp := inputs.get("settlement_lines")) is not None:
        parts.append(psp.select(
            pl.lit("psp").alias("system"), "record_id", pl.col("gross_cents").alias(
                "amount_cents"), "currency", pl.col("created_date").alias("record_date"),
            pl.concat_str(["provider", "kind", "source_id", "invoice_ref"], separator=" ",
                          ignore_nulls=True).alias("label"),
            pl.col("customer_ref").alias("party_key")))
    if (par := inputs.get("parties")) is not None:
        parts.append(par.select(
            "system", "record_id", pl.lit(None, pl.Int64).alias("amount_cents"),
            pl.lit(None, pl.String).alias("currency"), pl.lit(None, pl.Date).alias("record_date"),
            pl.col("name").alias("label"), pl.col("record_id").alias("party_key")))
    if not parts:
        return pl.DataFrame(schema=RECORD_SCHEMA)
    frames = [p.cast(RECORD_SCHEMA) for p in parts]  # type: ignore[arg-type]
    # documents first: a record id shared by a party and a document reads as the document
    return pl.concat(frames).unique(subset=["system", "record_id"], keep="first",
                                    maintain_order=True)


def party_names(parties: pl.DataFrame) -> pl.DataFrame:
    """party_id -> the client's names across systems, e.g. `billing: Acme SAS | crm: ACME`
    (billing first, then CRM, ERP and bank: the name on the invoices leads)."""
    named = parties.filter(pl.col("name").is_not_null()).select(
        "party_id", pl.col("system").replace_strict(SYSTEM_ORDER, default=9,
                                                    return_dtype=pl.Int64).alias("o"),
        (pl.col("system") + ": " + pl.col("name")).alias("n")).unique()
    return named.sort("party_id", "o", "n").group_by("party_id", maintain_order=True).agg(
        pl.col("n").str.join(" | ").alias("party_names"))


def default_as_of(inputs: dict[str, pl.DataFrame]) -> date | None:
    """The latest business date in the inputs: ages are counted to it (deterministic)."""
    d = input_records(inputs)["record_date"].max()
    return d if isinstance(d, date) else None


def exception_records(result: ReconResult, as_of: date | None = None) -> pl.DataFrame:
    """Every exception with its record's amount, date, age in days and client, and its
    candidate matches as lists (ids, scores, explanations) sorted by score, best first."""
    records = input_records(result.inputs)
    as_of = as_of or default_as_of(result.inputs)
    members = result.parties.select("system", pl.col("source_id").alias("party_key"),
                                    "party_id").unique(subset=["system", "party_key"],
                                                       keep="first", maintain_order=True)
    exc = (result.exceptions
           .join(records, on=["system", "record_id"], how="left", maintain_order="left")
           .join(members, on=["system", "party_key"], how="left", maintain_order="left")
           .join(party_names(result.parties), on="party_id", how="left", maintain_order="left"))
    age = ((pl.lit(as_of) - pl.col("record_date")).dt.total_days() if as_of is not None
           else pl.lit(None, pl.Int64))
    exc = exc.with_columns(age.cast(pl.Int64).alias("age_days"))
    return exc.join(_candidates(result), on="exception_id", how="left",
                    maintain_order="left").with_columns(
        pl.col(c).fill_null(pl.lit([], dtype=t))
        for c, t in (("candidate_ids", pl.List(pl.String)),
                     ("candidate_scores", pl.List(pl.Float64)),
                     ("candidate_explanations", pl.List(pl.String))))


def _candidates(result: ReconResult) -> pl.DataFrame:
    links = (result.exceptions.select(
        "exception_id", pl.col("candidate_match_ids").fill_null("").str.split(";")
        .alias("match_id")).explode("match_id").filter(pl.col("match_id") != ""))
    scored = links.join(result.matches.select("match_id", "score", "explanation"),
                        on="match_id", how="left")
    return (scored.sort(["exception_id", "score", "match_id"], descending=[False, True, False],
                        nulls_last=True)
            .group_by("exception_id", maintain_order=True)
            .agg(pl.col("match_id").alias("candidate_ids"),
                 pl.col("score").alias("candidate_scores"),
                 pl.col("explanation").alias("candidate_explanations")))


def best_candidates(result: ReconResult, exception_ids: list[str]) -> dict[str, str]:
    """exception_id -> its best candidate (see `best_candidate`), for those that have one."""
    if not exception_ids:
        return {}
    some = result.exceptions.filter(pl.col("exception_id").is_in(exception_ids))
    got = _candidates(dataclasses.replace(result, exceptions=some))
    return {e: ids[0] for e, ids in got.select("exception_id", "candidate_ids").iter_rows()
            if ids}


def best_candidate(result: ReconResult, exception_id: str) -> str | None:
    """The candidate match a confirm on a queue row confirms: the best scored (then the
    smallest id), as listed first in the queue; None when the exception has none."""
    one = result.exceptions.filter(pl.col("exception_id") == exception_id)
    hit = _candidates(dataclasses.replace(result, exceptions=one))
    ids = hit["candidate_ids"].to_list()
    return str(ids[0][0]) if ids and ids[0] else None
