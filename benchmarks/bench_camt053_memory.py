"""Memory of the camt.053 loader on a big statement: does it stay flat as the file grows?

Run: `.venv/bin/python benchmarks/bench_camt053_memory.py [--mb 20 200 1000]`. For each size
a synthetic camt.053.001.08 statement of about that many MB is written chunk by chunk to a
temporary file (never held in memory), then loaded in a fresh Python process, which reports:

- `baseline`: resident memory after imports and a warm-up load of a tiny statement;
- `peak`: the process's peak resident memory (`ru_maxrss`) after loading the big file;
- `output`: polars' estimate of what the loader returns (payments frame and quarantine).

Between two sizes, `growth` = extra peak memory per extra payment, and `reading` = what is
left of `peak - baseline` once `growth x payments` is taken away. A loader holding the XML
tree or a Python dict per payment would grow by several KB per payment; this one streams the
XML (`iterparse`, each entry freed once read) and collects payments in columnar chunks of
20 000 rows, so `reading` stays flat and `growth` is the output frame's own cost (about
300 bytes per payment resident, though polars estimates about half of it).

Measured 2026-11-30 (2-core machine under load): 101 MB -> 1001 MB (1.66M payments): growth
312 bytes per payment, reading memory 18 MiB, peak 612 MiB, 939 s.

`tests/test_camt053_memory.py` asserts it (slow-marked) on 20 MB vs 200 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>MEM</MsgId><CreDtTm>2024-03-16T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>MEM-1</Id><Acct><Id><IBAN>FR7630004000010001234567830</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>
"""
_TAIL = ("<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amt}</Amt>"
         "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-28</Dt></Dt></Bal>\n"
         "</Stmt></BkToCstmrStmt></Document>\n")
_TX = ("<TxDtls><Refs><EndToEndId>E2E-{i}-{k}</EndToEndId></Refs><Amt Ccy=\"EUR\">{amt}</Amt>"
       "<CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>CUSTOMER {i} SAS</Nm></Pty></Dbtr>"
       "<DbtrAcct><Id><IBAN>FR7630003012340005000123471</IBAN></Id></DbtrAcct></RltdPties>"
       "<RmtInf><Ustrd>Facture INV-{i}-{k}</Ustrd></RmtInf></TxDtls>")
_CHUNK_ENTRIES = 2_000  # entries rendered and written at a time (about 1.5 MB)


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _entry(i: int) -> tuple[str, int, int]:
    """(XML of entry i, its cents, its payments): every tenth entry a 3-transaction batch."""
    k_count = 3 if i % 10 == 0 else 1
    cents = 1000 + i % 9000
    txs = "".join(_TX.format(i=i, k=k, amt=_amount(cents)) for k in range(1, k_count + 1))
    total = cents * k_count
    day = 1 + i % 28
    return ((f"<Ntry><NtryRef>{i}</NtryRef><Amt Ccy=\"EUR\">{_amount(total)}</Amt>"
             f"<CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-{day:02d}"
             f"</Dt></BookgDt><ValDt><Dt>2024-03-{day:02d}</Dt></ValDt><AcctSvcrRef>B{i:010d}"
             f"</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT"
             f"</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls>{txs}</NtryDtls></Ntry>\n"),
            total, k_count)


def write_big_statement(path: Path, size_mb: float) -> tuple[int, int]:
    """Write a balanced statement of about `size_mb` MB, chunk by chunk; return (entries,
    payments)."""
    target = int(size_mb * 1e6)
    total = payments = i = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(_HEAD)
        written = len(_HEAD)
        while written < target:
            chunk = []
            for _ in range(_CHUNK_ENTRIES):
                i += 1
                text, cents, n = _entry(i)
                chunk.append(text)
                total += cents
                payments += n
            data = "".join(chunk)
            fh.write(data)
            written += len(data)
        fh.write(_TAIL.format(amt=_amount(total)))
    return i, payments


# run in a fresh interpreter so that peak RSS is this load's alone
_CHILD = """
import json, resource, sys
from pathlib import Path
from reconkit.loaders.camt053 import load_camt053

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

load_camt053(Path(sys.argv[2]))  # warm-up: imports, lazy initialisation, first allocations
baseline = rss_mb()
loaded = load_camt053(Path(sys.argv[1]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
output = (loaded.tables["payments"].estimated_size() + loaded.quarantine.estimated_size()) / 2**20
print(json.dumps({"baseline": baseline, "peak": peak, "output": output,
                  "payments": loaded.tables["payments"].height,
                  "warnings": list(loaded.warnings)}))
"""


@dataclass(frozen=True)
class Measure:
    """Memory of one load, in MiB (see the module docstring)."""

    file_mb: float
    entries: int
    payments: int
    baseline: float
    peak: float
    output: float
    seconds: float
    warnings: tuple[str, ...]

    @property
    def grown(self) -> float:
        """Peak memory above the baseline, MiB."""
        return self.peak - self.baseline

    def line(self) -> str:
        return (f"file {self.file_mb:7.1f} MB  entries {self.entries:>9,}  payments "
                f"{self.payments:>9,}  load {self.seconds:6.1f} s  baseline "
                f"{self.baseline:5.0f} MiB  peak {self.peak:6.0f} MiB  output (estimated) "
                f"{self.output:5.0f} MiB")


def growth(small: Measure, big: Measure) -> tuple[float, float]:
    """(bytes of peak memory per extra payment, reading memory in MiB) between two loads."""
    per_payment = (big.grown - small.grown) * 2**20 / (big.payments - small.payments)
    return per_payment, big.grown - per_payment * big.payments / 2**20


def measure(size_mb: float, folder: Path) -> Measure:
    """Write a statement of about `size_mb` MB in `folder`, load it in a child process."""
    big, tiny = folder / f"big_{size_mb:g}.xml", folder / "tiny.xml"
    entries, payments = write_big_statement(big, size_mb)
    write_big_statement(tiny, 0.01)
    repo = Path(__file__).resolve().parents[1]
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD, str(big), str(tiny)], check=True,
                         capture_output=True, text=True, cwd=repo,
                         env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - start
    got = json.loads(out.stdout.strip().splitlines()[-1])
    file_mb = big.stat().st_size / 1e6
    big.unlink()
    if got["payments"] != payments:
        raise AssertionError(f"loaded {got['payments']} payments, wrote {payments}")
    return Measure(file_mb, entries, payments, got["baseline"], got["peak"], got["output"],
                   seconds, tuple(got["warnings"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[20, 200],
                        help="statement sizes in MB (e.g. --mb 20 200 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        done: list[Measure] = []
        for size in args.mb:
            done.append(measure(size, Path(tmp)))
            print(done[-1].line(), flush=True)
            if len(done) > 1:
                per_payment, reading = growth(done[0], done[-1])
                print(f"  {done[0].file_mb:.0f} MB -> {done[-1].file_mb:.0f} MB: growth "
                      f"{per_payment:.0f} bytes per payment, reading memory {reading:.0f} "
                      "MiB", flush=True)


if __name__ == "__main__":
    main()
