"""Run configs: relative paths, clear errors, exchange rates as exact decimals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconkit.config import load_config
from reconkit.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "run.yaml"
    p.write_text(text)
    return p


def test_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, 'period: "2024-02"\ncatalog: cat\nstore: db.sqlite\n'
                                       "sources:\n  - {name: b, kind: fec, path: x/f.txt}\n"))
    assert cfg.catalog == tmp_path / "cat" and cfg.store == tmp_path / "db.sqlite"
    assert cfg.sources[0].path == tmp_path / "x" / "f.txt"
    assert (cfg.period_start, cfg.period_end) == (date(2024, 2, 1), date(2024, 2, 29))


@pytest.mark.parametrize(("text", "message"), [
    ('period: "2026-13"\nsources: []\n', "invalid run config at 'period'"),
    ('period: "2026-10"\nsources: [{name: b, kind: fec}]\n', "'sources.0.path'"),
    ('period: "2026-10"\nfx_rates: {USD: 0.92}\nsources: []\n',
     "write the rate for USD in quotes ('0.92')"),
    ('period: "2026-10"\nfx_rates: {usd: "0.92"}\nsources: []\n', "not an ISO currency code"),
    ('period: "2026-10"\nsources: []\ncolour: red\n', "'colour'"),
    ("period: [unclosed\n", "not valid YAML"),
])
def test_config_errors_say_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    assert message in str(err.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run config not found"):
        load_config(tmp_path / "nope.yaml")
