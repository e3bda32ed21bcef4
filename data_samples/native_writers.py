"""Native source files as the real systems export them.

Salesforce Data Loader CSV (UPPERCASE API names, every value quoted, amounts like `1200.0`),
Stripe list responses in the 2025-03-31 (basil) invoice shape, a camt.053.001.08 statement,
and the FEC through `reconkit.export.fec.write_fec`. The canonical tables in `generate` are
derived from the same row builders, so both views always agree.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import polars as pl

from data_samples.model import World, month_end
from data_samples.native_stripe import (  # noqa: F401  (re-exported)
    _write_list,
    credit_note_objects,
    customer_objects,
    invoice_objects,
    invoice_status,
    ordered_documents,
    unix_noon,
)
from reconkit.money import format_cents

if TYPE_CHECKING:
    from data_samples.ledger import BankEntry

BANK_CODES = {"sct": "PMNT/RCDT/ESCT", "sdd": "PMNT/IDDT/ESDD", "fee": "ACMT/MDOP/CHRG",
              "psp": "PMNT/RCDT/ESCT"}
FREQ_SF = {"monthly": "Monthly", "quarterly": "Quarterly", "annual": "Annual"}


# =========================================================================== Salesforce
def sf_number(cents: int | None) -> str:
    """Data Loader number style: `1200.0`, `1234.5`, `1234.56` (from integer hundredths)."""
    if cents is None:
        return ""
    text = format_cents(cents)
    return text.removesuffix("0")


def account_rows(world: World) -> list[dict[str, str]]:
    """One row per CRM account, sorted by id (the Data Loader export order)."""
    clients = {c.client_id: c for c in world.clients}
    rows = []
    for n, c in enumerate(world.clients):
        if not c.in_crm:
            continue  # self-serve customer: billing and ERP only
        parent = clients[c.parent_client].crm_ids[0] if c.parent_client else ""
        for k, (rid, name) in enumerate(zip(c.crm_ids, c.crm_names, strict=True)):
            rows.append({
                "ID": rid, "NAME": name, "PARENTID": parent if k == 0 else c.crm_ids[0],
                "ACCOUNTNUMBER": f"CPT-{n + 1:06d}" if k == 0 else "",
                "SIREN__C": (c.siren or "") if k == 0 else "",
                "VAT_NUMBER__C": (c.vat or "") if k == 0 else "",
                "BILLING_CUSTOMER_ID__C": c.billing_id if c.crm_refs and k == 0 else "",
                "ERP_ACCOUNT__C": c.erp_aux if c.crm_refs and k == 0 else "",
            })
    return sorted(rows, key=lambda r: r["ID"])


LINK_FIELDS = {"contract_custom": "OPPORTUNITY__C", "contract_cpq": "SBQQ__OPPORTUNITY__C"}


def contract_link_field(world: World) -> str | None:
    """The Contract custom field holding the Opportunity lookup, when the dialect puts it
    there instead of `Opportunity.ContractId`."""
    return LINK_FIELDS.get(world.dialect.opportunity_link)


def contract_rows(world: World) -> list[dict[str, str]]:
    rows = [{
        "ID": ct.record_id, "ACCOUNTID": ct.account_id, "CONTRACTNUMBER": ct.number,
        "NAME": ct.name, "STATUS": ct.status, "STARTDATE": ct.start.isoformat(),
        "ENDDATE": ct.end.isoformat(), "CONTRACTTERM": str(ct.term),
        "AUTORENEW__C": "true" if ct.auto_renew else "false",
        "BILLINGFREQUENCY__C": FREQ_SF[ct.frequency], "AMOUNT__C": sf_number(ct.amount),
        "LISTAMOUNT__C": sf_number(ct.list_amount), "DISCOUNT__C": sf_number(ct.discount_bp),
        "CURRENCYISOCODE": "EUR",
    } for ct in sorted(world.contracts, key=lambda c: c.record_id) if ct.in_crm]
    field = contract_link_field(world)
    if field:
        origin = {op.contract_id: op.record_id for op in world.opportunities if op.contract_id}
        for r in rows:
            r[field] = origin.get(r["ID"], "")
    return rows


def opportunity_rows(world: World) -> list[dict[str, str]]:
    return [{
        "ID": op.record_id, "ACCOUNTID": op.account_id, "NAME": op.name,
        "STAGENAME": op.stage, "ISWON": "true" if op.is_won else "false",
        "AMOUNT": sf_number(op.amount), "CLOSEDATE": op.close_date.isoformat(),
        "CURRENCYISOCODE": "EUR",
        "CONTRACTID": "" if contract_link_field(world) else op.contract_id or "",
        "DISCOUNT__C": sf_number(op.discount_bp), "LIST_AMOUNT__C": sf_number(op.list_amount),
    } for op in sorted(world.opportunities, key=lambda o: o.record_id)]


def _write_sf(path: Path, rows: list[dict[str, str]], header: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(header)
        w.writerows([r[h] for h in header] for r in rows)



# =========================================================================== camt.053
def camt_name(world: World) -> str:
    return f"camt053_{world.month:%Y-%m}.xml"


def _amt(cents: int) -> str:
    return format_cents(abs(cents))


def _x(text: str) -> str:
    return escape(text)


def camt_document(world: World, entries: list[BankEntry]) -> str:
    """One camt.053.001.08 statement for the month: OPBD + movements = CLBD."""
    rng_opening = 18_734_512 + world.seed % 1000 * 1_013
    total = sum(e.amount for e in entries)
    credits = sum(e.amount for e in entries if e.amount > 0)
    debits = -sum(e.amount for e in entries if e.amount < 0)
    first, last = world.month, month_end(world.month)
    closing = rng_opening + total
    created = f"{last + timedelta(days=1):%Y-%m-%d}T06:02:11+01:00"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">',
        "  <BkToCstmrStmt>",
        (f"    <GrpHdr><MsgId>STMT{last:%Y%m%d}-{world.seed:06d}</MsgId>"
        f"<CreDtTm>{created}</CreDtTm></GrpHdr>"),
        "    <Stmt>",
        f"      <Id>STMT-{first:%Y%m}-{world.seed % 10_000:04d}</Id>",
        f"      <ElctrncSeqNb>{first.month}</ElctrncSeqNb>",
        f"      <CreDtTm>{created}</CreDtTm>",
        (f"      <FrToDt><FrDtTm>{first:%Y-%m-%d}T00:00:00+01:00</FrDtTm>"
        f"<ToDtTm>{last:%Y-%m-%d}T23:59:59+01:00</ToDtTm></FrToDt>"),
        (f"      <Acct><Id><IBAN>{world.company_iban}</IBAN></Id><Ccy>EUR</Ccy>"
        f"<Ownr><Nm>{_x(world.company_name.upper())}</Nm></Ownr>"
        "<Svcr><FinInstnId><BICFI>BNPAFRPPXXX</BICFI></FinInstnId></Svcr></Acct>"),
        _balance("OPBD", rng_opening, first),
        _balance("CLBD", closing, last),
        (f"      <TxsSummry><TtlNtries><NbOfNtries>{len(entries)}</NbOfNtries>"
        f"<Sum>{_amt(credits + debits)}</Sum><TtlNetNtry><Amt>{_amt(total)}</Amt>"
        f"<CdtDbtInd>{'CRDT' if total >= 0 else 'DBIT'}</CdtDbtInd></TtlNetNtry></TtlNtries>"
        f"<TtlCdtNtries><NbOfNtries>{sum(1 for e in entries if e.amount > 0)}</NbOfNtries>"
        f"<Sum>{_amt(credits)}</Sum></TtlCdtNtries>"
        f"<TtlDbtNtries><NbOfNtries>{sum(1 for e in entries if e.amount < 0)}</NbOfNtries>"
        f"<Sum>{_amt(debits)}</Sum></TtlDbtNtries></TxsSummry>"),
    ]
    for n, e in enumerate(entries, start=1):
        out.append(_entry(n, e))
    out += ["    </Stmt>", "  </BkToCstmrStmt>", "</Document>", ""]
    return "\n".join(out)


def _balance(code: str, cents: int, d: date) -> str:
    return (f"      <Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="EUR">{_amt(cents)}</Amt>'
            f"<CdtDbtInd>{'CRDT' if cents >= 0 else 'DBIT'}</CdtDbtInd>"
            f"<Dt><Dt>{d:%Y-%m-%d}</Dt></Dt></Bal>")


def _btc(kind: str) -> str:
    domain, family, sub = BANK_CODES[kind].split("/")
    return (f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd>"
            f"<SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn></BkTxCd>")


def _entry(n: int, e: BankEntry) -> str:
    ind = "CRDT" if e.amount >= 0 else "DBIT"
    head = (f"      <Ntry><NtryRef>{n}</NtryRef><Amt Ccy=\"EUR\">{_amt(e.amount)}</Amt>"
            f"<CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
            f"<BookgDt><Dt>{e.date:%Y-%m-%d}</Dt></BookgDt>"
            f"<ValDt><Dt>{e.date:%Y-%m-%d}</Dt></ValDt>"
            f"<AcctSvcrRef>{e.ref}</AcctSvcrRef>{_btc(e.kind)}")
    if e.kind == "fee":
        return head + f"<AddtlNtryInf>{_x(e.payments[0].remittance or '')}</AddtlNtryInf></Ntry>"
    parts = [head, "<NtryDtls>"]
    pmt_inf = f"SDD-{e.date:%Y%m%d}-01"
    if e.kind == "sdd":
        parts.append(f"<Btch><PmtInfId>{pmt_inf}</PmtInfId><NbOfTxs>{len(e.payments)}"
                     f"</NbOfTxs><TtlAmt Ccy=\"EUR\">{_amt(e.amount)}</TtlAmt>"
                     f"<CdtDbtInd>CRDT</CdtDbtInd></Btch>")
    for p in e.payments:
        refs = [f"<AcctSvcrRef>{e.ref}</AcctSvcrRef>"] if e.kind == "sct" else \
            [f"<PmtInfId>{pmt_inf}</PmtInfId>"]
        if p.e2e:
            refs.append(f"<EndToEndId>{_x(p.e2e)}</EndToEndId>")
        if p.mandate:
            refs.append(f"<MndtId>{p.mandate}</MndtId>")
        tx = [f"<TxDtls><Refs>{''.join(refs)}</Refs>",
              f"<Amt Ccy=\"EUR\">{_amt(p.amount)}</Amt><CdtDbtInd>CRDT</CdtDbtInd>",
              "<RltdPties>"]
        if p.payer_name:
            tx.append(f"<Dbtr><Pty><Nm>{_x(p.payer_name)}</Nm></Pty></Dbtr>")
        if p.payer_iban:
            tx.append(f"<DbtrAcct><Id><IBAN>{p.payer_iban}</IBAN></Id></DbtrAcct>")
        tx.append("</RltdPties>")
        rmt = []
        if p.remittance:
            rmt.append(f"<Ustrd>{_x(p.remittance)}</Ustrd>")
        if p.structured_ref:
            rmt.append("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>"
                       f"<Issr>ISO</Issr></Tp><Ref>{p.structured_ref}</Ref></CdtrRefInf></Strd>")
        if rmt:
            tx.append(f"<RmtInf>{''.join(rmt)}</RmtInf>")
        tx.append("</TxDtls>")
        parts.append("".join(tx))
    parts.append("</NtryDtls></Ntry>")
    return "".join(parts)


# =========================================================================== all files
def write_all(world: World, month_entries: list[BankEntry], fec: pl.DataFrame, root: Path,
              fec_file: str) -> None:
    """Write native/salesforce, native/stripe, native/fec and native/bank under `root`."""
    from reconkit.export.fec import write_fec

    for sub in ("salesforce", "stripe", "fec", "bank"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    _write_sf(root / "salesforce" / "Account.csv", account_rows(world),
              ["ID", "NAME", "PARENTID", "ACCOUNTNUMBER", "SIREN__C", "VAT_NUMBER__C",
               "BILLING_CUSTOMER_ID__C", "ERP_ACCOUNT__C"])
    _write_sf(root / "salesforce" / "Opportunity.csv", opportunity_rows(world),
              ["ID", "ACCOUNTID", "NAME", "STAGENAME", "ISWON", "AMOUNT", "CLOSEDATE",
               "CURRENCYISOCODE", "CONTRACTID", "DISCOUNT__C", "LIST_AMOUNT__C"])
    _write_sf(root / "salesforce" / "Contract.csv", contract_rows(world),
              ["ID", "ACCOUNTID", "CONTRACTNUMBER", "NAME", "STATUS", "STARTDATE", "ENDDATE",
               "CONTRACTTERM", "AUTORENEW__C", "BILLINGFREQUENCY__C", "AMOUNT__C",
               "LISTAMOUNT__C", "DISCOUNT__C", "CURRENCYISOCODE",
               *filter(None, [contract_link_field(world)])])
    _write_list(root / "stripe" / "customers.json", "/v1/customers", customer_objects(world))
    _write_list(root / "stripe" / "invoices.json", "/v1/invoices", invoice_objects(world))
    _write_list(root / "stripe" / "credit_notes.json", "/v1/credit_notes",
                credit_note_objects(world))
    write_fec(fec, root / "fec" / fec_file)
    from data_samples.psp import write_native

    write_native(world, root)  # native/stripe_payouts (realistic dialects only)
    (root / "bank" / camt_name(world)).write_text(camt_document(world, month_entries),
                                                  encoding="utf-8")

