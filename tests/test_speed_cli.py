"""`reconkit run --timings` on the bundled sample: one line per step, on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reconkit.cli import app

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "data_samples" / "sample" / "run_native.yaml"


def test_run_timings_lists_every_step_on_stderr(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["run", str(NATIVE), "--out", str(tmp_path / "out"),
                                   "--json", "--timings"])
    assert res.exit_code == 0, res.output
    assert isinstance(json.loads(res.stdout), dict)  # stdout stays parseable JSON
    steps = [line.rsplit(None, 3) for line in res.stderr.splitlines()[2:]]
    names = [s[0] for s in steps]
    assert names[:6] == ["read run config", "load crm (salesforce)", "load billing (stripe)",
                         "load ledger (fec)", "load bank (camt053)", "validation"]
    assert names[6] == "resolving parties"
    assert names[-2:] == ["write result", "total"]
    assert sum(n.startswith("rule ") for n in names) >= 30
    seconds = [float(s[1]) for s in steps]
    assert all(s >= 0 for s in seconds)
    assert abs(sum(seconds[:-1]) - seconds[-1]) < 0.02 * len(seconds)
    assert all(float(s[3]) > 50 for s in steps)  # peak RSS in MB of a Python process


def test_run_without_timings_prints_none(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["run", str(NATIVE), "--out", str(tmp_path / "out"),
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    assert "Timings" not in res.stderr and "seconds" not in res.output
