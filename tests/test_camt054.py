"""camt.054 loader: debit/credit notifications read like camt.053 entries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconkit.errors import SourceFormatError
from reconkit.loaders.base import get_loader, merge_loaded
from reconkit.loaders.camt053 import load_camt053
from reconkit.loaders.camt054 import load_camt054

from shared_files import col

RETURN = """<Ntry><NtryRef>1</NtryRef><Amt Ccy="EUR">120.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>
<RvslInd>true</RvslInd><Sts>{sts}</Sts><BookgDt><Dt>2024-03-18</Dt></BookgDt>
<ValDt><Dt>2024-03-18</Dt></ValDt><AcctSvcrRef>RET-1</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>INV-2024-0131</EndToEndId><MndtId>M-42</MndtId></Refs>
{amount}<RltdPties>{cdtr}<CdtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct>
</RltdPties><RmtInf><Ustrd>Facture INV-2024-0131</Ustrd></RmtInf>
<RtrInf><Rsn><Cd>MD06</Cd></Rsn><AddtlInf>Refund request by end customer</AddtlInf></RtrInf>
</TxDtls></NtryDtls></Ntry>"""
CREDIT = """<Ntry><Amt Ccy="EUR">4800.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>{sts}</Sts>
<BookgDt><DtTm>2024-03-18T23:15:00Z</DtTm></BookgDt><AcctSvcrRef>CRD-7</AcctSvcrRef>
<NtryDtls><TxDtls>{amount2}<RltdPties>{dbtr}</RltdPties></TxDtls></NtryDtls></Ntry>"""


def _notification(version: str) -> str:
    v08 = version == "08"
    sts = "<Cd>BOOK</Cd>" if v08 else "BOOK"
    amount = ('<Amt Ccy="EUR">120.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>' if v08 else
              '<AmtDtls><TxAmt><Amt Ccy="EUR">120.00</Amt></TxAmt></AmtDtls>')
    amount2 = ('<Amt Ccy="EUR">4800.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>' if v08 else
               '<AmtDtls><TxAmt><Amt Ccy="EUR">4800.00</Amt></TxAmt></AmtDtls>')
    cdtr = ("<Cdtr><Pty><Nm>INITECH SARL</Nm></Pty></Cdtr>" if v08
            else "<Cdtr><Nm>INITECH SARL</Nm></Cdtr>")
    dbtr = ("<Dbtr><Pty><Nm>GLOBEX SA</Nm></Pty></Dbtr>" if v08
            else "<Dbtr><Nm>GLOBEX SA</Nm></Dbtr>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}">
<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N1</MsgId><CreDtTm>2024-03-18T18:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>NTF-1</Id><CreDtTm>2024-03-18T18:00:00</CreDtTm>
<Acct><Id><IBAN>FR7630004000010001234567830</IBAN></Id></Acct>
{RETURN.format(sts=sts, amount=amount, cdtr=cdtr)}
{CREDIT.format(sts=sts, amount2=amount2, dbtr=dbtr)}
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""


def _write(tmp_path: Path, text: str, name: str = "ntf.xml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("version", ["02", "04", "06", "08"])
def test_sdd_return_and_intraday_credit(tmp_path: Path, version: str) -> None:
    res = load_camt054(_write(tmp_path, _notification(version)))
    df = res.tables["payments"]
    assert col(df, "record_id") == ["RET-1", "CRD-7"]
    assert col(df, "amount_cents") == [-12000, 480000]
    assert col(df, "is_reversal") == [True, False]
    assert col(df, "payer_name") == ["INITECH SARL", "GLOBEX SA"]
    assert col(df, "payer_iban") == ["DE89370400440532013000", None]
    assert col(df, "remittance")[0] == ("Facture INV-2024-0131 (return MD06: Refund request "
                                         "by end customer)")
    assert col(df, "end_to_end_id")[0] == "INV-2024-0131"
    assert col(df, "bank_tx_code")[0] == "PMNT/IDDT/UPDD"
    assert col(df, "booking_date") == [date(2024, 3, 18), date(2024, 3, 19)]  # Paris time
    assert col(df, "account_id") == ["FR7630004000010001234567830"] * 2
    assert res.warnings == ()
    (ntf,) = res.statements
    assert (ntf.statement_id, ntf.entries, ntf.movements_cents, ntf.opening_cents,
            ntf.chained) == ("NTF-1", 2, 468000, None, False)
    assert (ntf.from_date, ntf.to_date) == (date(2024, 3, 18), date(2024, 3, 19))


def test_registered_and_validated(tmp_path: Path) -> None:
    assert get_loader("camt054") is load_camt054
    merged = merge_loaded([load_camt054(_write(tmp_path, _notification("08")))])
    assert merged.quarantine.height == 0
    assert merged.report_frame().row(0) == ("ntf.xml", 2, 2, 0, 0, 0)
    assert col(merged.statements, "chain_ok") == [None]


def test_statement_and_notification_are_told_apart(tmp_path: Path) -> None:
    path = _write(tmp_path, _notification("08"))
    with pytest.raises(SourceFormatError, match=r"not a camt\.053 bank statement") as exc:
        load_camt053(path)
    assert "kind: camt054" in (exc.value.hint or "")
    stmt = _notification("08").replace("camt.054", "camt.053").replace(
        "BkToCstmrDbtCdtNtfctn", "BkToCstmrStmt").replace("Ntfctn>", "Stmt>")
    with pytest.raises(SourceFormatError, match=r"not a camt\.054 notification"):
        load_camt054(_write(tmp_path, stmt, "stmt.xml"))


def test_pending_notification_entries_are_skipped_and_counted(tmp_path: Path) -> None:
    text = _notification("08").replace("<Sts><Cd>BOOK</Cd></Sts>", "<Sts><Cd>PDNG</Cd></Sts>",
                                       1)
    res = load_camt054(_write(tmp_path, text))
    assert col(res.tables["payments"], "record_id") == ["CRD-7"]
    assert (res.rows_read, res.rows_skipped) == ({"ntf.xml": 2}, {"ntf.xml": 1})
