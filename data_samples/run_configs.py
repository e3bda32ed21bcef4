"""Run configs for a generated month (canonical files and native exports)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository

CANONICAL = """\
name: {name} (canonical files)
period: "{period}"
catalog: {catalog}
sources:
  - {{name: parties, kind: csv, path: canonical/parties.csv, profile: canonical_parties}}
  - {{name: commitments, kind: csv, path: canonical/commitments.csv,
     profile: canonical_commitments}}
  - {{name: invoices, kind: csv, path: canonical/invoices.csv, profile: canonical_invoices}}
  - {{name: ledger, kind: csv, path: canonical/ledger_lines.csv, profile: canonical_ledger_lines}}
  - {{name: bank, kind: csv, path: canonical/payments.csv, profile: canonical_payments}}
"""

NATIVE = """\
name: {name} (native exports)
period: "{period}"
catalog: {catalog}
sources:
  - {{name: crm, kind: salesforce, path: native/salesforce}}
  - {{name: billing, kind: stripe, path: native/stripe}}
  - {{name: ledger, kind: fec, path: {fec}}}
  - {{name: bank, kind: camt053, path: {camt}}}
"""
PSP = "  - {name: psp, kind: stripe_payouts, path: native/stripe_payouts}\n"
PSP_CANONICAL = """\
  - {name: psp, kind: csv, path: canonical/settlement_lines.csv,
     profile: canonical_settlement_lines}
"""


def write_run_configs(month_dir: Path, period: str, name: str = "sample month") -> None:
    """Write run_canonical.yaml and run_native.yaml beside a generated month."""
    month_dir = Path(month_dir)
    catalog = Path(os.path.relpath(ROOT / "rule_catalog", month_dir.resolve()))
    (month_dir / "run_canonical.yaml").write_text(
        CANONICAL.format(name=name, period=period, catalog=catalog.as_posix())
        + (PSP_CANONICAL if (month_dir / "canonical" / "settlement_lines.csv").exists()
           else ""))
    fec = sorted((month_dir / "native" / "fec").glob("*.txt"))
    camt = sorted((month_dir / "native" / "bank").glob("*.xml"))
    if fec and camt:
        psp = PSP if (month_dir / "native" / "stripe_payouts").is_dir() else ""
        (month_dir / "run_native.yaml").write_text(NATIVE.format(
            name=name, period=period, catalog=catalog.as_posix(),
            fec=fec[0].relative_to(month_dir).as_posix(),
            camt=camt[0].relative_to(month_dir).as_posix()) + psp)


def generate(out: Path, *, clients: int, seed: int, period: str, native: bool = True,
             extra: tuple[str, ...] = (), quiet: bool = False, dialect: str = "classic") -> Path:
    """Run the sample generator into `out` (extra CLI options in `extra`) and write its run
    configs."""
    args = [sys.executable, "-m", "data_samples.generate", "--out", str(out), "--clients",
            str(clients), "--seed", str(seed), "--month", period, "--dialect", dialect, *extra]
    if not native:
        args.append("--no-native")
    subprocess.run(args, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL if quiet else None)
    write_run_configs(out, period,
                      name="sample month" if dialect == "classic" else f"{dialect} month")
    return out


if __name__ == "__main__":
    write_run_configs(Path(sys.argv[1]), sys.argv[2])
