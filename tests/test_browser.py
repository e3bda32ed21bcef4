"""End to end in a real browser: JupyterLab + Chromium (Playwright) drive the review screen.

Starts `jupyter lab` from the venv on a free local port over a temporary folder holding a copy
of notebook 03, runs all its cells, clicks Confirm on the first queue item and checks that the
kernel acted: the status line changes and the SQLite store holds exactly one decision.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "03_exception_review.ipynb"
SAMPLE = REPO / "data_samples" / "sample" / "run_canonical.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quiet_lab_settings(settings_dir: Path) -> None:
    """No "Jupyter news" notification, no update check."""
    f = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server over a temp root holding notebook 03; yields (url, root)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    if not SAMPLE.exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    pytest.importorskip("playwright.sync_api")
    httpx = pytest.importorskip("httpx")
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    jupyter = Path(sys.executable).parent / "jupyter"
    env = {**os.environ,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "RECONKIT_STORE": str(root / "decisions.sqlite"), "RECONKIT_USER": "browser",
           "RECONKIT_OUT": str(root / "out"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    env.pop("RECONKIT_CONFIG", None)
    _quiet_lab_settings(tmp_path / "settings")
    port = _free_port()
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/status", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("jupyter lab did not start:\n" + (tmp_path / "lab.log").read_text())
            time.sleep(0.3)
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _decisions(store: Path) -> list[tuple[str, str, str]]:
    if not store.exists():
        return []
    with sqlite3.connect(store) as db:
        return db.execute("SELECT exception_id, action, user FROM decisions").fetchall()


def test_confirm_in_jupyterlab_records_a_decision(lab: tuple[str, Path],
                                                  tmp_path: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    url, root = lab
    store = root / "decisions.sqlite"
    shot = tmp_path / "review_screen.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/{NOTEBOOK.name}")
            page.wait_for_selector(".jp-NotebookPanel", timeout=60_000)
            # a "Select Kernel" dialog can cover the notebook: accept the proposed kernel
            with contextlib.suppress(PlaywrightTimeout):  # no dialog: nothing to accept
                page.locator(".jp-Dialog .jp-mod-accept").first.click(timeout=3_000)
            page.wait_for_function(
                "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel",
                timeout=60_000)
            page.evaluate("async () => { const w = window.jupyterapp.shell.currentWidget;"
                          " await w.sessionContext.ready;"
                          " await window.jupyterapp.commands.execute("
                          "'notebook:run-all-cells'); }")
            app = page.locator(".rk-review-app")
            expect(app).to_be_visible(timeout=90_000)
            status = page.locator(".rk-status")
            expect(status).to_contain_text("exceptions to review", timeout=30_000)
            before = status.inner_text()
            assert _decisions(store) == []
            page.locator("button.rk-confirm").click()
            expect(status).to_contain_text("Confirmed", timeout=30_000)
            assert status.inner_text() != before
            assert "(1 of " in status.inner_text()
            page.wait_for_timeout(300)
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    rows = _decisions(store)
    assert len(rows) == 1
    exception_id, action, user = rows[0]
    assert (action, user) == ("confirm", "browser") and exception_id.startswith("E-")
    assert shot.stat().st_size > 10_000
