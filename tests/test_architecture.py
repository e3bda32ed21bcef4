"""The shape of the code that issue 8 asked for, checked so it stays: layers (import-linter
contract in pyproject.toml), small modules, and no scoring number in matcher or party code
(every weight, threshold, tolerance and window lives in the rule catalog)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reconkit"
MAX_LINES = 450


def test_layers_contract_is_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -r requirements.lock)")
    proc = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 kept, 0 broken" in proc.stdout


def test_no_module_is_over_the_size_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


# a decimal weight/threshold (0.85, 0.5) or a default number on a matcher parameter
_SCORE_LITERAL = re.compile(r"(?<![\w.\"'])0\.\d*[1-9]")
_NUMERIC_DEFAULT = re.compile(r"^    \w+: (?:float|int) = -?\d")


def _code_lines(path: Path) -> list[tuple[int, str]]:
    """Lines of code outside docstrings and comments."""
    out, in_doc = [], False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        quotes = line.count('"""')
        if in_doc or quotes:
            if quotes == 1:
                in_doc = not in_doc
            continue
        out.append((n, line.split("#", 1)[0]))
    return out


def test_no_scoring_number_in_matcher_or_party_code() -> None:
    files = [*sorted((PACKAGE / "matchers").rglob("*.py")), PACKAGE / "parties.py"]
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in files
             for n, line in _code_lines(p)
             if _SCORE_LITERAL.search(line) or _NUMERIC_DEFAULT.match(line)]
    assert found == []
