"""The ledger audit of a month: mine its FEC's lettering, state the tacit rules, write the
audit report, the evidence tables and the draft catalog (what `reconkit audit` and notebook
01 call)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from reconkit.audit.audit_report import mining_charts, write_audit_report
from reconkit.audit.draft_catalog import write_draft_catalog
from reconkit.audit.export import to_csv
from reconkit.audit.history import LedgerHistory, read_fec_lines
from reconkit.audit.mining import MinedRules, mine
from reconkit.audit.tacit import tacit_rules
from reconkit.config import RunConfig
from reconkit.loaders.base import LoadResult
from reconkit.report_html.offline import save_chart_images


@dataclass(frozen=True)
class LedgerAudit:
    """Mined rules, their sentences and the ledger they come from."""

    mined: MinedRules
    tacit: pl.DataFrame
    ledger_name: str
    full_ledger: bool  # every account read (FEC), not only the customer lines

    @classmethod
    def from_config(cls, config: RunConfig, loaded: LoadResult) -> LedgerAudit:
        """Mine the month of a run config: the FEC source is read in full (every account, so
        write-offs are seen); without one, the loaded customer lines are mined."""
        fec = [s for s in config.sources if s.kind == "fec"]
        if fec:
            lines, name, full = read_fec_lines(fec[0].path), fec[0].path.name, True
        else:
            lines = loaded.tables.get("ledger_lines", pl.DataFrame())
            name = ", ".join(sorted(lines["source_file"].unique().to_list())) \
                if "source_file" in lines.columns and lines.height else "(no ledger)"
            full = False
        return cls.from_lines(lines, ledger_name=name, full_ledger=full,
                              invoices=loaded.tables.get("invoices"),
                              payments=loaded.tables.get("payments"))

    @classmethod
    def from_lines(cls, lines: pl.DataFrame, *, ledger_name: str, full_ledger: bool = True,
                   invoices: pl.DataFrame | None = None,
                   payments: pl.DataFrame | None = None) -> LedgerAudit:
        mined = mine(LedgerHistory.from_lines(lines), invoices=invoices, payments=payments)
        return cls(mined=mined, tacit=tacit_rules(mined), ledger_name=ledger_name,
                   full_ledger=full_ledger)

    def write(self, out: Path, *, base_catalog: Path) -> list[Path]:
        """audit_report.md/.html, one CSV per evidence table (mined_*.csv), a PNG and an SVG
        of each chart (charts/) and the draft catalog folder (base catalog + mined.yaml)."""
        out = Path(out)
        written = write_audit_report(self.mined, self.tacit, out, ledger_name=self.ledger_name)
        m = self.mined
        for name, df in (("tacit_rules", self.tacit), ("mined_references", m.references),
                         ("mined_tolerances", m.tolerances), ("mined_pays_for", m.pays_for),
                         ("mined_payment_delays", m.delays)):
            written.append(to_csv(df, out / f"{name}.csv"))
        written += save_chart_images(mining_charts(m), out / "charts")
        draft = write_draft_catalog(m, self.tacit, out / "draft_catalog", base=base_catalog,
                                    ledger_name=self.ledger_name)
        written.append(draft / "mined.yaml")
        return written
