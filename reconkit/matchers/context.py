"""The read-only context matchers work from (features computed once) and the allocation state.

Features are computed lazily and cached: open items net of their credit notes, reference
pairs between bank remittance and invoice numbers, invoice/ledger pairs, each record's party.
The allocation state is the only mutable piece: what each record still has to give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Final

import polars as pl

from reconkit.catalog.settings import APPROXIMATE_EVIDENCE, PartyResolution, ReferenceReading
from reconkit.formats.fec import journal_kind
from reconkit.keys.citations import (
    cite_documents,
    period_citations,
    text_windows,
)
from reconkit.keys.normalize import normalize_name, reference_key
from reconkit.keys.references import (
    extract_tokens,
    match_references,
    match_references_in_blocks,
)
from reconkit.keys.wording import rebate_wording
from reconkit.matchers.designation import designated_refs, period_refs
from reconkit.parties import PartyMap
from reconkit.schemas import PolarsDataType, empty_table

REF_TEXT_COLUMNS = ["remittance", "structured_ref", "end_to_end_id"]


@dataclass(frozen=True)
class MatchContext:
    tables: dict[str, pl.DataFrame]
    parties: PartyMap
    period_start: date
    period_end: date
    reading: ReferenceReading
    party_rules: PartyResolution
    currency: str = "EUR"
    fx_rates: dict[str, str] = field(default_factory=dict)  # 1 unit of key = value in currency
    # results several rules share within one run (e.g. payer-name scores), filled on demand
    memo: dict[str, pl.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    def fx_rate_ppm(self) -> dict[str, int]:
        """Exchange rates to the company currency as integer parts per million (no floats)."""
        out = {self.currency: 1_000_000}
        for cur, rate in self.fx_rates.items():
            out[cur.upper()] = int((Decimal(str(rate)) * 1_000_000).to_integral_value())
        return out

    def table(self, name: str) -> pl.DataFrame:
        return self.tables.get(name) if name in self.tables else empty_table(name)  # type: ignore[return-value]

    @cached_property
    def invoices(self) -> pl.DataFrame:
        """Invoices and credit notes with their resolved party, reference key and whether
        their wording makes them a year-end rebate (`rebate_wording`)."""
        inv = self.table("invoices")
        text = pl.col("line_text") if "line_text" in inv.columns else pl.lit(None, pl.String)
        return inv.join(self.parties.party_of("billing").rename({"record_id": "party_record_id"}),
                        on="party_record_id", how="left").with_columns(
            reference_key(pl.col("number")).alias("ref_key"),
            ((pl.col("doc_type") == "credit_note") & rebate_wording(pl.col("number"), text))
            .alias("rebate_wording"))

    @cached_property
    def ledger(self) -> pl.DataFrame:
        """Customer-account ledger lines with their resolved party and piece-reference key."""
        led = self.table("ledger_lines")
        return led.join(self.parties.party_of("erp").rename({"record_id": "aux_account"}),
                        on="aux_account", how="left").with_columns(
            reference_key(pl.col("piece_ref")).alias("ref_key"),
            (pl.col("lettering_code").is_not_null() & ~pl.col("lettering_partial"))
            .alias("lettered"))

    @cached_property
    def payments(self) -> pl.DataFrame:
        """Bank payments with the payer's resolved party and normalised name."""
        pay = self.table("payments")
        return pay.join(self.parties.payers.select("record_id", "party_id", "payer_evidence",
                                                   "candidate_party_ids"),
                        on="record_id", how="left").with_columns(
            normalize_name(pl.col("payer_name")).alias("payer_norm"))

    @cached_property
    def invoice_ledger_pairs(self) -> pl.DataFrame:
        """Each invoice/credit note with the 411 lines booked under the same document number."""
        inv = self.invoices.select(pl.col("record_id").alias("invoice_id"), "ref_key",
                                   pl.col("amount_cents").alias("invoice_cents"),
                                   pl.col("currency").alias("invoice_currency"),
                                   pl.col("party_id").alias("invoice_party"))
        led = self.ledger.select(pl.col("record_id").alias("ledger_id"), "ref_key",
                                 pl.col("amount_cents").alias("ledger_cents"),
                                 self._journal_is("sales", "credit_note").alias("sales_journal"),
                                 pl.col("currency").alias("ledger_currency"),
                                 pl.col("party_id").alias("ledger_party"), "lettered",
                                 "lettering_date", "entry_date")
        # the document's own line: in a sales or credit-note journal (whatever its sign: a line
        # booked with the wrong sign is a mismatch to report), else of the document's sign (a
        # payment line in the bank journal has the opposite sign)
        return inv.join(led, on="ref_key").filter(
            pl.col("sales_journal")
            | ((pl.col("invoice_cents") >= 0) == (pl.col("ledger_cents") >= 0))).drop(
            "sales_journal")

    @cached_property
    def settled_invoices(self) -> pl.DataFrame:
        """(invoice_id, lettering_date, settled_by): documents paid already, not open items
        any more: their ERP line is fully lettered (`lettering`), or a bank receipt of an
        earlier month, booked and never lettered, cites the invoice's number exactly and pays
        its amount (`earlier_receipt`: paid in substance; LEDGER-EARLIER-RECEIPT proposes the
        lettering). The date is the lettering's, or the receipt's."""
        lettered = (self.invoice_ledger_pairs.filter(pl.col("lettered"))
                    .select("invoice_id", "lettering_date",
                            pl.lit("lettering").alias("settled_by")))
        return pl.concat([lettered, self._receipted_invoices()]).sort(
            "invoice_id", "settled_by").unique(subset=["invoice_id"], keep="first",
                                               maintain_order=True)

    def _journal_is(self, *kinds: str) -> pl.Expr:
        """Whether a ledger line's journal is of one of these kinds (`journal_kind`)."""
        of_kind = {c: journal_kind(c, "") in kinds
                   for c in self.ledger["journal_code"].unique().to_list()}
        return pl.col("journal_code").replace_strict(of_kind, default=False,
                                                      return_dtype=pl.Boolean)

    def _receipted_invoices(self) -> pl.DataFrame:
        """Invoices an earlier month's unlettered bank receipt pays exactly, citing them."""
        led = self.ledger
        receipts = led.filter(
            self._journal_is("bank") & (pl.col("amount_cents") < 0)
            & pl.col("lettering_code").is_null() & (pl.col("entry_date") < self.period_start))
        invoices = self.invoices.filter((pl.col("doc_type") == "invoice")
                                        & (pl.col("amount_cents") > 0))
        windows = text_windows(receipts.select("record_id", "label", "piece_ref"),
                               id_col="record_id", text_cols=["label", "piece_ref"],
                               max_window=self.reading.max_window)
        cited = cite_documents(windows, invoices.select(pl.col("record_id").alias("invoice_id"),
                                                        "number"),
                               id_col="record_id", doc_id_col="invoice_id", number_col="number",
                               min_key_len=self.reading.min_key_len)
        paid = cited.filter(pl.col("citation") == "exact").join(
            receipts.select("record_id", "amount_cents", "entry_date"), on="record_id").join(
            invoices.select(pl.col("record_id").alias("invoice_id"),
                            pl.col("amount_cents").alias("invoice_cents")), on="invoice_id")
        return paid.filter(pl.col("invoice_cents") == -pl.col("amount_cents")).group_by(
            "invoice_id").agg(pl.col("entry_date").min().alias("lettering_date")).with_columns(
            pl.lit("earlier_receipt").alias("settled_by"))

    @cached_property
    def open_items(self) -> pl.DataFrame:
        """Open invoices net of their own credit notes, plus unattached credit notes.

        Columns: record_id, number, party_id, doc_type, issue_date, amount_cents (gross),
        open_cents (net of credit notes), credit_note_ids, credit_note_cents.
        """
        inv = self.invoices.join(self.settled_invoices.rename({"invoice_id": "record_id"}),
                                 on="record_id", how="anti")
        # a year-end rebate hosted on an invoice does not reduce that invoice (issue 7, #6):
        # it stays a credit of its own, like an unattached credit note
        rebate = pl.col("rebate_wording")
        notes = inv.filter((pl.col("doc_type") == "credit_note")
                           & pl.col("credited_invoice_id").is_not_null() & ~rebate)
        per_invoice = notes.group_by("credited_invoice_id").agg(
            pl.col("record_id").sort().alias("credit_note_ids"),
            pl.col("amount_cents").sum().alias("credit_note_cents"),
        ).rename({"credited_invoice_id": "record_id"})
        base = inv.filter(pl.col("doc_type") == "invoice").join(per_invoice, on="record_id",
                                                                how="left")
        orphans = inv.filter((pl.col("doc_type") == "credit_note")
                             & (pl.col("credited_invoice_id").is_null() | rebate
                                | ~pl.col("credited_invoice_id").is_in(base["record_id"]
                                                                       .implode())))
        out = pl.concat([base, orphans], how="diagonal_relaxed").with_columns(
            pl.col("credit_note_ids").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("credit_note_cents").fill_null(0),
        ).with_columns((pl.col("amount_cents") + pl.col("credit_note_cents")).alias("open_cents"))
        return out.select("record_id", "number", "party_id", "doc_type", "issue_date",
                          "due_date", "currency", "amount_cents", "open_cents", "credit_note_ids",
                          "credit_note_cents", "party_name").sort("record_id")

    @cached_property
    def payment_tokens(self) -> pl.DataFrame:
        """Reference tokens read in the remittance of received payments that spell no known
        invoice number (once per run): typos, truncations and ERP-only pieces are only looked
        for there, since an exact reading wins anyway."""
        pay = self.table("payments").filter(pl.col("amount_cents") > 0).join(
            self._invoice_citations.select(pl.col("payment_id").alias("record_id")).unique(),
            on="record_id", how="anti")
        return extract_tokens(pay.select("record_id", *REF_TEXT_COLUMNS), id_col="record_id",
                              text_cols=REF_TEXT_COLUMNS)

    @cached_property
    def _invoice_citations(self) -> pl.DataFrame:
        """(payment_id, invoice_id, ref_evidence): invoice numbers spelled in the remittance."""
        cited = cite_documents(self.payment_windows, self.invoices.select("record_id", "number"),
                               id_col="record_id", doc_id_col="record_id",
                               number_col="number", min_key_len=self.reading.min_key_len)
        return cited.select(pl.col("record_id").alias("payment_id"),
                            pl.col("record_id_doc").alias("invoice_id"),
                            pl.col("citation").alias("ref_evidence"))

    @cached_property
    def payment_periods(self) -> pl.DataFrame:
        """(payment_id, period): billing months received payments name in their remittance
        (ECHEANCE SEPTEMBRE 2026), read once per run for the rules that use them."""
        pay = self.table("payments").filter(pl.col("amount_cents") > 0)
        return period_citations(pay.select("record_id", "remittance"), id_col="record_id",
                                text_cols=["remittance"],
                                month_names=self.reading.month_names).rename(
            {"record_id": "payment_id"})

    @cached_property
    def payment_windows(self) -> pl.DataFrame:
        """Windows of the received payments' remittance runs (once per run)."""
        pay = self.table("payments").filter(pl.col("amount_cents") > 0)
        return text_windows(pay.select("record_id", *REF_TEXT_COLUMNS), id_col="record_id",
                            text_cols=REF_TEXT_COLUMNS, max_window=self.reading.max_window)

    @cached_property
    def payment_refs(self) -> pl.DataFrame:
        """(payment_id, invoice_id, ref_evidence, ref_score): documents cited by a payment.

        Read two ways and merged, best evidence per pair: the documents' own numbers spelled
        in the remittance (any numbering, `keys.citations`), and reference-shaped tokens
        (OCR slips, RF creditor references, typos and truncations, `keys.references`). A PO
        or contract number, or a bare sequence after a code word, cites the payer's documents
        it designates when the amount singles them out. An exact reading of a payment wins
        over its approximate ones, and an approximate reading designates one document or none.
        """
        reading = self.reading
        docs = self.invoices.select("record_id", "number")
        cited = self._invoice_citations
        # reference-shaped tokens (OCR slips, typos, cut-off numbers) are only read for the
        # payments whose remittance spells no known number: an exact reading wins anyway
        tokens = self.payment_tokens
        pairs = match_references(tokens, docs, id_col="record_id", doc_id_col="record_id",
                                 doc_ref_col="number", max_edits=reading.max_edits,
                                 min_key_len=reading.fuzzy_min_len,
                                 min_truncated_len=reading.truncated_min_len)
        cols = pairs.columns
        pairs = pairs.rename({cols[0]: "payment_id", cols[1]: "invoice_id"}).select(
            "payment_id", "invoice_id", "ref_evidence")
        # typos that are ambiguous globally are often unique among the payer's own documents
        # (or those of the look-alike clients a payer's name is close to)
        rest = self.payments.filter(pl.col("amount_cents") > 0).with_columns(
            pl.when(pl.col("party_id").is_not_null()).then(pl.concat_list("party_id"))
            .otherwise(pl.col("candidate_party_ids")).alias("party_id"))
        rest = rest.explode("party_id").filter(pl.col("party_id").is_not_null())
        rest = rest.join(pl.concat([pairs, cited]).select(
            pl.col("payment_id").alias("record_id")).unique(), on="record_id", how="anti")
        blocked = match_references_in_blocks(
            rest.select("record_id", "party_id", *REF_TEXT_COLUMNS),
            # block: the payer's own documents and those of its parent and subsidiaries
            self.open_items.select(pl.col("record_id").alias("invoice_id"), "party_id", "number")
            .join(self.parties.groups(), on="party_id").drop("party_id")
            .rename({"group_party_id": "party_id"}),
            id_col="record_id", block_col="party_id", text_cols=REF_TEXT_COLUMNS,
            doc_id_col="invoice_id", doc_ref_col="number", max_edits=reading.max_edits,
            min_len=reading.fuzzy_min_len).rename({"record_id": "payment_id"})
        merged = pl.concat([pairs, cited, blocked.select(pairs.columns),
                            designated_refs(self)])
        merged = pl.concat([merged, period_refs(self, merged)])
        # a vague designation never takes an invoice another payment spells out
        spelled = merged.filter(pl.col("ref_evidence").is_in(["exact", "normalized", "ocr",
                                                              "rf_payload"])).select(
            pl.col("payment_id").alias("__by"), "invoice_id").unique()
        vague = pl.col("ref_evidence").is_in(["period", "oldest_instalment"])
        taken = merged.filter(vague).join(spelled, on="invoice_id").filter(
            pl.col("__by") != pl.col("payment_id")).select("payment_id", "invoice_id")
        merged = merged.join(taken, on=["payment_id", "invoice_id"], how="anti")
        return _best_readings(merged, reading)

    @cached_property
    def ledger_open_items(self) -> pl.DataFrame:
        """Unlettered customer debits with no billing document behind them (invoices older
        than the billing data, opening balances): open items only the ERP knows."""
        booked = self.invoice_ledger_pairs.select(pl.col("ledger_id").alias("record_id"))
        return (self.ledger.filter((pl.col("amount_cents") > 0) & ~pl.col("lettered")
                                   & pl.col("piece_ref").is_not_null())
                .join(booked, on="record_id", how="anti")
                .select("record_id", pl.col("piece_ref").alias("number"), "party_id",
                        "currency", "amount_cents", "entry_date"))

    @cached_property
    def payment_ledger_refs(self) -> pl.DataFrame:
        """(payment_id, ledger_id, ref_evidence, ref_score): ERP-only open items a payment
        cites by their piece reference."""
        items = self.ledger_open_items
        tokens = self.payment_tokens
        if items.height == 0 or tokens.height == 0:
            return pl.DataFrame(schema={"payment_id": pl.String, "ledger_id": pl.String,
                                        "ref_evidence": pl.String, "ref_score": pl.Float64})
        reading = self.reading
        docs = items.select(pl.col("record_id").alias("ledger_id"), "number")
        pairs = match_references(tokens, docs, id_col="record_id", doc_id_col="ledger_id",
                                 doc_ref_col="number", max_edits=reading.max_edits,
                                 min_key_len=reading.fuzzy_min_len,
                                 min_truncated_len=reading.truncated_min_len)
        cited = cite_documents(self.payment_windows, docs, id_col="record_id",
                               doc_id_col="ledger_id", number_col="number",
                               min_key_len=reading.min_key_len).rename(
            {"citation": "ref_evidence"})
        merged = pl.concat([p.select(pl.col("record_id").alias("payment_id"),
                                     pl.col("ledger_id").alias("invoice_id"), "ref_evidence")
                            for p in (pairs, cited)])
        return _best_readings(merged, reading).rename({"invoice_id": "ledger_id"})

    @cached_property
    def party_names(self) -> pl.DataFrame:
        """(party_id, norm): every normalised name a party is known under."""
        return self.parties.members.select(
            "party_id", normalize_name(pl.col("name")).alias("norm")).filter(
            pl.col("norm").is_not_null() & (pl.col("norm") != "")).unique().sort("party_id",
                                                                                 "norm")


def _best_readings(pairs: pl.DataFrame, reading: ReferenceReading) -> pl.DataFrame:
    """(payment_id, invoice_id, ref_evidence, ref_score): the best reading of each pair.

    An exact reading of a payment wins over its approximate ones (a typo'd sibling of the
    number it spells is not cited too), and an approximate reading counts only when it
    designates exactly one document (never two one-edit siblings).
    """
    scores = reading.evidence_scores
    scored = pairs.with_columns(pl.col("ref_evidence").replace_strict(
        scores, return_dtype=pl.Float64).alias("ref_score"))
    best = scored.sort(["payment_id", "invoice_id", "ref_score", "ref_evidence"],
                       descending=[False, False, True, False]).unique(
        subset=["payment_id", "invoice_id"], keep="first", maintain_order=True)
    approx = pl.col("ref_evidence").is_in(list(APPROXIMATE_EVIDENCE))
    has_exact = (~approx).any().over("payment_id")
    n_approx = approx.sum().over("payment_id")
    return best.filter(~approx | (~has_exact & (n_approx == 1))).select(
        "payment_id", "invoice_id", "ref_evidence", "ref_score").sort("payment_id",
                                                                      "invoice_id")


_KEYS: Final[dict[str, PolarsDataType]] = {"system": pl.String, "record_id": pl.String}


def _keys(df: pl.DataFrame | None = None) -> pl.DataFrame:
    if df is None:
        return pl.DataFrame(schema=_KEYS)
    # polars types cast()'s mapping with an invariant key union (pola-rs/polars#14468)
    return df.select(list(_KEYS)).cast(_KEYS)  # type: ignore[arg-type]


@dataclass
class AllocationState:
    """What each record still has to give, and which records are decided per link kind.

    Kept as polars frames so that rules filter and update it with joins, not Python loops:
    `remaining` (system, record_id, remaining_cents), per link the `decided` anchors and the
    `covered` records (inside a match of that link), and who used up a record (`consumed_by`).
    """

    remaining: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={**_KEYS, "remaining_cents": pl.Int64}))
    decided: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    covered: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    consumed_by: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={**_KEYS, "by": pl.String}))

    def init_records(self, system: str, ids: pl.Series, amounts: pl.Series) -> None:
        add = pl.DataFrame({"record_id": ids, "remaining_cents": amounts.abs()}).select(
            pl.lit(system).alias("system"), pl.col("record_id").cast(pl.String),
            pl.col("remaining_cents").cast(pl.Int64))
        self.remaining = pl.concat([self.remaining, add.join(self.remaining, how="anti",
                                                              on=["system", "record_id"])])

    def decide(self, link: str, keys: pl.DataFrame) -> None:
        """Mark (system, record_id) rows as decided anchors of a link."""
        self.decided.setdefault(link, []).append(_keys(keys))

    def cover(self, link: str, keys: pl.DataFrame) -> None:
        """Mark (system, record_id) rows as part of a match of a link."""
        self.covered.setdefault(link, []).append(_keys(keys))

    def consume(self, used: pl.DataFrame) -> None:
        """Subtract (system, record_id, amount_cents, by) allocations from what remains."""
        agg = used.group_by("system", "record_id").agg(
            pl.col("amount_cents").abs().sum().alias("__used"),
            pl.col("by").sort().first())
        rem = self.remaining.join(agg, on=["system", "record_id"], how="left").with_columns(
            (pl.col("remaining_cents") - pl.col("__used").fill_null(0)).alias("remaining_cents"))
        done = rem.filter(pl.col("__used").is_not_null() & (pl.col("remaining_cents") == 0))
        self.consumed_by = pl.concat([self.consumed_by, done.select(*_KEYS, "by").join(
            self.consumed_by, on=["system", "record_id"], how="anti")])
        self.remaining = rem.select("system", "record_id", "remaining_cents")

    def consumed_by_map(self, system: str = "billing") -> dict[str, str]:
        """record_id -> the record (e.g. payment) that used up its amount."""
        rows = self.consumed_by.filter(pl.col("system") == system).sort("record_id")
        return dict(rows.select("record_id", "by").iter_rows())

    def decided_frame(self, link: str, *, anchors_only: bool = False) -> pl.DataFrame:
        """Records decided for a link: anchors, plus (by default) records inside its matches.
        May hold repeats: it is meant for anti-joins."""
        parts = [_keys(), *self.decided.get(link, [])]
        if not anchors_only:
            parts += self.covered.get(link, [])
        return pl.concat(parts)

    def undecided(self, df: pl.DataFrame, link: str, system: str, id_col: str = "record_id",
                  *, anchors_only: bool = False) -> pl.DataFrame:
        """The rows of `df` whose `id_col` (a record of `system`) is not decided for `link`."""
        decided = self.decided_frame(link, anchors_only=anchors_only) \
            .filter(pl.col("system") == system)
        return df.join(decided.select(pl.col("record_id").alias(id_col)), on=id_col,
                       how="anti")

    def remaining_frame(self, system: str) -> pl.DataFrame:
        return self.remaining.filter(pl.col("system") == system).select(
            "record_id", "remaining_cents")
