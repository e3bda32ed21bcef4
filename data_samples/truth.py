"""Ground truth of a generated month: parties, links, exceptions, decoys, normal cases."""

from __future__ import annotations

import polars as pl

from data_samples.ledger import BankEntry, Ledger
from data_samples.model import World
from data_samples.tables import month_entries


def truth_tables(world: World, entries: list[BankEntry], ledger: Ledger,
                 parties: pl.DataFrame) -> dict[str, pl.DataFrame]:
    bank_id = {p.pid: rid for be in month_entries(world, entries)
               for rid, p in zip(be.record_ids(), be.payments, strict=True)}

    def resolve(ref: str) -> str:
        kind, _, key = ref.partition(":")
        if kind == "payment":
            return bank_id[int(key)]
        if kind == "invoice":
            return ledger.invoice_line[key].record_id or ""
        return ref

    erp_seen = set(parties.filter(pl.col("system") == "erp")["record_id"].to_list())
    party_rows: list[tuple[str, str, str]] = []
    for c in world.clients:
        party_rows += [(c.client_id, "crm", x) for x in c.crm_ids]
        party_rows.append((c.client_id, "billing", c.billing_id))
        if c.erp_aux in erp_seen:
            party_rows.append((c.client_id, "erp", c.erp_aux))
    for p in world.payments:
        if p.pid in bank_id and p.payer_iban and p.payer_client:
            party_rows.append((p.payer_client, "bank", p.payer_iban))
    link_rows: list[tuple[str, str, str, str, str, int]] = []
    for p in world.payments:
        if p.pid in bank_id:
            link_rows += [("payment_invoice", "bank", bank_id[p.pid], "billing", inv_id, amt)
                          for inv_id, amt in p.allocations if amt]
            if p.pid in ledger.payment_line:
                link_rows.append(("payment_ledger", "bank", bank_id[p.pid], "erp",
                                  ledger.payment_line[p.pid].record_id or "", p.amount))
    for inv in world.invoices:
        if inv.credited:
            link_rows.append(("credit_note_invoice", "billing", inv.record_id, "billing",
                              inv.credited, -inv.amount))
        if inv.commitment_id:
            link_rows.append(("invoice_commitment", "billing", inv.record_id, "crm",
                              inv.commitment_id, inv.amount))
        if inv.record_id in ledger.invoice_line:
            link_rows.append(("invoice_ledger", "billing", inv.record_id, "erp",
                              ledger.invoice_line[inv.record_id].record_id or "", inv.amount))
    exc = [(cat, sysname, resolve(rid), note) for cat, sysname, rid, note in world.exceptions]
    decoys = [(s, resolve(rid), reason) for s, rid, reason in world.decoys]
    normal = [(kind, "bank", resolve(rid), note) for kind, rid, note in world.normal_cases]
    return {
        "parties": pl.DataFrame(sorted(set(party_rows)), orient="row",
                                schema=["client_id", "system", "record_id"]),
        "links": pl.DataFrame(sorted(link_rows), orient="row",
                              schema={"kind": pl.String, "left_system": pl.String,
                                      "left_id": pl.String, "right_system": pl.String,
                                      "right_id": pl.String, "amount_cents": pl.Int64}),
        "exceptions": pl.DataFrame(sorted(exc), orient="row",
                                   schema=["category", "system", "record_id", "note"]),
        "decoys": pl.DataFrame(sorted(decoys), orient="row",
                               schema=["system", "record_id", "reason"]),
        "normal_cases": pl.DataFrame(sorted(normal), orient="row",
                                     schema=["case", "system", "record_id", "note"]),
    }

