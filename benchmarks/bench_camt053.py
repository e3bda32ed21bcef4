"""Time the camt.053 loader on a generated 100k-entry camt.053.001.08 statement.

Run: `.venv/bin/python benchmarks/bench_camt053.py [n_entries]`. Prints file size, load time,
rows/s and the peak resident memory of the process. Every tenth entry is a 3-transaction batch.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from reconkit.loaders.camt053 import load_camt053

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2024-03-16T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>FR7630004000010001234567830</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-15</Dt></Dt></Bal>
"""
_TX = ("<TxDtls><Refs><EndToEndId>E2E-{i}-{k}</EndToEndId></Refs><Amt Ccy=\"EUR\">{amt}</Amt>"
       "<CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>CUSTOMER {i} SAS</Nm></Pty></Dbtr>"
       "<DbtrAcct><Id><IBAN>FR7630003012340005000123471</IBAN></Id></DbtrAcct></RltdPties>"
       "<RmtInf><Ustrd>Facture INV-{i}-{k}</Ustrd></RmtInf></TxDtls>")


def _entry(i: int) -> tuple[str, int]:
    k_count = 3 if i % 10 == 0 else 1
    cents = 1000 + i % 9000
    txs = "".join(_TX.format(i=i, k=k, amt=f"{cents // 100}.{cents % 100:02d}")
                  for k in range(1, k_count + 1))
    total = cents * k_count
    return ((f"<Ntry><NtryRef>{i}</NtryRef><Amt Ccy=\"EUR\">{total // 100}.{total % 100:02d}"
            f"</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-15"
            f"</Dt></BookgDt><ValDt><Dt>2024-03-15</Dt></ValDt><AcctSvcrRef>B{i:08d}"
            f"</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT"
            f"</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls>{txs}</NtryDtls></Ntry>\n"), total)


def write_statement(path: Path, n_entries: int) -> int:
    """Write a balanced statement of `n_entries` entries; return the number of payments."""
    total = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(_HEAD)
        for i in range(1, n_entries + 1):
            text, cents = _entry(i)
            total += cents
            fh.write(text)
        fh.write(f"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">"
                 f"{total // 100}.{total % 100:02d}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>"
                 "2024-03-15</Dt></Dt></Bal>\n</Stmt></BkToCstmrStmt></Document>\n")
    return n_entries + 2 * (n_entries // 10)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xml"
        expected = write_statement(path, n)
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        res = load_camt053(path)
        elapsed = time.perf_counter() - start
    rows = res.tables["payments"].height
    assert rows == expected, (rows, expected)
    assert res.warnings == (), res.warnings
    print(f"entries: {n}  payments: {rows}  file: {size_mb:.1f} MB")
    print(f"load: {elapsed:.2f} s  ({rows / elapsed:,.0f} payments/s, "
          f"{n / elapsed:,.0f} entries/s)  peak RSS: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


if __name__ == "__main__":
    main()
