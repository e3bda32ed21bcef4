"""camt entries read in batches (XSLT + polars) give exactly what `read_entry` gives alone.

Every test loads the same statement twice, once with the batched reader and once with every
entry read by `read_entry` (`_camt_batch.FAST = False`), and compares everything a loader
returns: payments, quarantine, counts, warnings, statements, or the error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fuzzing import FUZZ_SETTINGS, REPO, mutated
from hypothesis import given

import reconkit.loaders._camt as camt
import reconkit.loaders._camt_batch as batch
from reconkit.errors import ReconkitError
from reconkit.loaders.camt053 import load_camt053
from reconkit.loaders.camt054 import load_camt054

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _tx(body: str) -> str:
    return f"<NtryDtls><TxDtls>{body}</TxDtls></NtryDtls>"


def _ntry(amount: str = "10.00", ind: str = "CRDT", body: str = "", *, ccy: str = "EUR",
          sts: str = "<Sts><Cd>BOOK</Cd></Sts>", ref: str = "<AcctSvcrRef>R</AcctSvcrRef>",
          dates: str = "<BookgDt><Dt>2024-03-15</Dt></BookgDt>") -> str:
    return (f'<Ntry><NtryRef>N</NtryRef><Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>{ind}'
            f"</CdtDbtInd>{sts}{dates}<ValDt><Dt>2024-03-16</Dt></ValDt>{ref}{body}</Ntry>")


# one entry of every shape the readers must agree on
ENTRIES = [
    _ntry(body=_tx("<Amt Ccy=\"EUR\">10.00</Amt><RltdPties><Dbtr><Pty><Nm>ACME  SAS</Nm></Pty>"
                   "</Dbtr><DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id>"
                   "</DbtrAcct></RltdPties><RmtInf><Ustrd> INV 1 </Ustrd></RmtInf>"
                   "<Refs><EndToEndId>E2E1</EndToEndId></Refs>")),
    _ntry("5.5", "DBIT", _tx("<RltdPties><Cdtr><Nm>Supplier</Nm></Cdtr><CdtrAcct><Id><IBAN>X"
                             "</IBAN></Id></CdtrAcct></RltdPties><Refs><EndToEndId>NOTPROVIDED"
                             "</EndToEndId></Refs>"), ref=""),
    _ntry("7", body=_tx("<RmtInf><Ustrd>part one</Ustrd><Ustrd>part two</Ustrd></RmtInf>")),
    _ntry("12.345", body="<AddtlNtryInf>fee\n  info</AddtlNtryInf>"),
    _ntry("1500", ccy="JPY", body=_tx("<Amt Ccy=\"JPY\">1499</Amt>")),
    _ntry("3.00", body=_tx("<AmtDtls><TxAmt><Amt Ccy=\"EUR\">4.00</Amt></TxAmt></AmtDtls>")),
    _ntry("abc"), _ntry("1" * 20), _ntry(" 2.00 ", "XXXX"), _ntry("", "CRDT", ccy=""),
    _ntry("9.00", sts="<Sts><Cd>PDNG</Cd></Sts>"), _ntry("9.00", sts="<Sts>INFO</Sts>"),
    _ntry("9.00", sts="<Sts><Prtry>BOOK</Prtry></Sts>"), _ntry("9.00", sts=""),
    _ntry("8.00", dates="<BookgDt><DtTm>2024-03-14T23:30:00Z</DtTm></BookgDt>"),
    _ntry("8.00", dates="<BookgDt><Dt>2024-13-45</Dt></BookgDt>"),
    _ntry("6.00", body="<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT"
                       "</SubFmlyCd></Fmly></Domn></BkTxCd>"
                       + _tx("<BkTxCd><Prtry><Cd>P1</Cd></Prtry></BkTxCd>")),
    _ntry("6.00", body="<BkTxCd><Domn><Cd>PMNT</Cd></Domn><Prtry><Cd>OWN</Cd></Prtry></BkTxCd>"),
    _ntry("4.00", "DBIT", _tx("<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>closed</AddtlInf>"
                              "</RtrInf><RmtInf><Ustrd>back</Ustrd></RmtInf>")),
    _ntry("4.00", body=_tx("<RtrInf><Rsn><Prtry>X</Prtry></Rsn></RtrInf>")),
    _ntry("2.00", body=_tx("<RmtInf><Ustrd>pay RF18539007547034 thanks</Ustrd></RmtInf>")),
    _ntry("2.00", body=_tx("<RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf>"
                           "</Strd><Strd><RfrdDocInf><Nb>F1</Nb></RfrdDocInf></Strd></RmtInf>")),
    _ntry("2.00", body=_tx("<RmtInf><Strd><RfrdDocInf><Nb>F2</Nb></RfrdDocInf></Strd></RmtInf>"
                           "<AddtlTxInf>extra</AddtlTxInf>")),
    _ntry("3.00", body="<NtryDtls><TxDtls><Amt Ccy=\"EUR\">1.00</Amt></TxDtls><TxDtls><Amt "
                       "Ccy=\"EUR\">2.50</Amt></TxDtls></NtryDtls>"),
    _ntry("1.00", body="<RvslInd>true</RvslInd><!-- a comment -->"),
    _ntry("1.00", body="<RvslInd> 1 </RvslInd><AddtlNtryInf>a<!-- c -->b</AddtlNtryInf>"),
    _ntry("1.00", body='<x:Amt xmlns:x="urn:other">99.00</x:Amt>'),
    _ntry("1.00", body='<AddtlNtryInf xmlns="">plain</AddtlNtryInf>'),
    _ntry("<![CDATA[1.00]]>", body=_tx("<RmtInf><Ustrd>a &amp; b</Ustrd></RmtInf>")),
    _ntry("1.00", body="<Amt Ccy=\"EUR\">2.00</Amt>"),
    _ntry("1.00", body=_tx("<Amt><X>1</X></Amt>")),
    _ntry("1.00", body="<Sts><Cd>BOOK</Cd></Sts>"),
]


def _statement(entries: list[str], stmt_id: str = "S1") -> str:
    return (f'<Stmt><Id>{stmt_id}</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id>'
            "</Acct><Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt>"
            "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>"
            + "\n".join(entries) + "</Stmt>")


def _document(statements: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}"><BkToCstmrStmt>'
            "<GrpHdr><MsgId>M</MsgId></GrpHdr>" + "\n".join(statements)
            + "</BkToCstmrStmt></Document>").encode()


def _outcome(load: Any, path: Path) -> tuple[Any, ...]:
    try:
        got = load(path)
    except ReconkitError as exc:
        return ("error", type(exc).__name__, str(exc))
    return (got.tables["payments"].to_dicts(), got.tables["payments"].schema,
            got.quarantine.to_dicts(), got.rows_read, got.rows_skipped, got.rows_quarantined,
            got.warnings, got.statements)


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, load: Any = load_camt053
          ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    with monkeypatch.context() as m:
        m.setattr(batch, "FAST", False)
        alone = _outcome(load, path)
    return _outcome(load, path), alone


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches, settlements and chunks of a few entries: every boundary is crossed."""
    monkeypatch.setattr(batch, "BATCH_SIZE", 3)
    monkeypatch.setattr(batch, "SETTLE_SIZE", 5)
    monkeypatch.setattr(camt, "_CHUNK_ROWS", 4)


def test_every_entry_shape_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          small_batches: None) -> None:
    path = tmp_path / "stmt.xml"
    path.write_bytes(_document([_statement(ENTRIES), _statement(ENTRIES[::-1], "S2")]))
    fast, alone = _both(path, monkeypatch)
    assert fast == alone
    payments = fast[0]
    assert len(payments) > 40  # the statements load: the comparison is not of two errors
    assert any("transaction details say" in w for w in fast[6])


def test_simple_entries_are_not_read_one_by_one(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "stmt.xml"
    path.write_bytes(_document([_statement(ENTRIES[:2] * 50)]))
    calls = []
    real = batch.read_entry
    monkeypatch.setattr(batch, "read_entry", lambda *a: calls.append(a) or real(*a))
    assert load_camt053(path).tables["payments"].height == 100
    assert calls == []


def test_bundled_sample_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = REPO / "data_samples/sample/native/bank/camt053_2026-10.xml"
    fast, alone = _both(sample, monkeypatch)
    assert fast == alone
    assert len(fast[0]) > 100


def test_camt054_notifications_read_the_same(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             small_batches: None) -> None:
    text = _document([_statement(ENTRIES)]).decode()
    text = text.replace("camt.053", "camt.054").replace("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn")
    text = text.replace("<Stmt>", "<Ntfctn>").replace("</Stmt>", "</Ntfctn>")
    path = tmp_path / "ntfctn.xml"
    path.write_text(text, encoding="utf-8")
    fast, alone = _both(path, monkeypatch, load_camt054)
    assert fast == alone
    assert len(fast[0]) > 20


SEED = _document([_statement(ENTRIES[:12]), _statement(ENTRIES[12:], "S2")])


@FUZZ_SETTINGS
@given(mutated([SEED], tokens=["<Ntry>", "</Ntry>", "<TxDtls>", "</TxDtls>", "<Stmt>",
                               "<!-- c -->", "<Ustrd>x</Ustrd>", "\x1f", "&#x1f;"]))
def test_mutated_statements_read_the_same(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "stmt.xml"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(batch, "BATCH_SIZE", 3)
        m.setattr(batch, "SETTLE_SIZE", 5)
        m.setattr(camt, "_CHUNK_ROWS", 4)
        fast, alone = _both(path, m)
    assert fast == alone


def test_a_long_statement_is_turned_into_frames_while_it_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # memory stays flat only if payments leave the batch as they are read, not at the end
    monkeypatch.setattr(batch, "BATCH_SIZE", 20)
    monkeypatch.setattr(batch, "SETTLE_SIZE", 40)
    monkeypatch.setattr(camt, "_CHUNK_ROWS", 50)
    frames: list[int] = []
    real = camt.payments_frame

    def counted(raw: Any, *args: Any, **kwargs: Any) -> Any:
        frames.append(raw.height)
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(camt, "payments_frame", counted)
    path = tmp_path / "stmt.xml"
    path.write_bytes(_document([_statement(ENTRIES[:1] * 500)]))
    assert load_camt053(path).tables["payments"].height == 500
    assert len(frames) >= 6 and max(frames) <= 100  # not one frame of 500 at the end


def test_a_failing_stylesheet_falls_back_to_reading_each_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None) -> None:
    from lxml import etree

    def broken(*_: Any, **__: Any) -> Any:
        raise etree.XSLTApplyError("boom")

    path = tmp_path / "stmt.xml"
    path.write_bytes(_document([_statement(ENTRIES)]))
    expected = _both(path, monkeypatch)[1]
    monkeypatch.setattr(batch, "stylesheet", lambda ns: broken)
    assert _outcome(load_camt053, path) == expected
