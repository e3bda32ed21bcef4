"""A real JupyterLab server for the browser tests: venv's `jupyter lab` on a free local port
over a folder, no token, no news or update checks, stopped when the block ends."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_lab(root: Path, work: Path, *, env: Mapping[str, str] | None = None,
                drop_env: tuple[str, ...] = (), args: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve `root` (config, runtime and settings under `work`); yields the server's URL.
    `env` adds variables, `drop_env` removes some, `args` adds `jupyter lab` options."""
    httpx = pytest.importorskip("httpx")
    settings = work / "settings"
    f = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    bin_dir = Path(sys.executable).parent
    full_env = {**os.environ,
                "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                "JUPYTER_CONFIG_DIR": str(work / "config"),
                "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
                "JUPYTERLAB_SETTINGS_DIR": str(settings),
                "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"), **(env or {})}
    for name in drop_env:
        full_env.pop(name, None)
    port = _free_port()
    log_path = work / "lab.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(bin_dir / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
             f"--ServerApp.root_dir={root}", *args],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/api/status", timeout=2).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not start:\n" + log_path.read_text())
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
