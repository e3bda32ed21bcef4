"""Where the project's own files are: the checkout, the bundled sample month, the catalog."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = PROJECT_ROOT / "data_samples" / "sample"
DEFAULT_CATALOG = PROJECT_ROOT / "rule_catalog"


def find_project_root(start: Path | None = None) -> Path:
    """The reconkit checkout: walk up from `start` (the working folder) until a folder holds
    pyproject.toml and reconkit/; otherwise the checkout this package was installed from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists() and (folder / "reconkit").is_dir():
            return folder
    return PROJECT_ROOT


def notebook_paths(sample_config: str = "run_canonical.yaml") -> tuple[Path, Path, Path]:
    """(project root, run config, output folder) for the notebooks; RECONKIT_CONFIG and
    RECONKIT_OUT override the bundled sample month (`sample_config` of it: the audit reads
    the native exports, whose FEC holds every account) and out/notebooks."""
    root = find_project_root()
    config = Path(os.environ.get("RECONKIT_CONFIG",
                                 root / "data_samples" / "sample" / sample_config))
    out = Path(os.environ.get("RECONKIT_OUT", root / "out" / "notebooks"))
    return root, config, out
