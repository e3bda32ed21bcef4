"""End to end in a real browser: JupyterLab + Chromium (Playwright) drive the review screen.

Starts `jupyter lab` from the venv on a free local port over a temporary folder holding a copy
of notebook 03 and a run config of the sample month with `store:`, runs all its cells, then by
clicking: confirms a grouped payment, rejects a payment by another entity, writes off a bank
fee and builds a match by hand on a partial payment. The next `reconkit run` of the same
config must reflect each decision (none lost). Screenshots go to out/screenshots/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jupyter_lab import running_lab

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "03_exception_review.ipynb"
SAMPLE = REPO / "data_samples" / "sample" / "run_canonical.yaml"
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "out" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server over a temp root holding notebook 03; yields (url, root)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    if not SAMPLE.exists():
        pytest.skip("bundled sample month not generated (run `make sample`)")
    pytest.importorskip("playwright.sync_api")
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    text = SAMPLE.read_text().replace("../../rule_catalog", str(REPO / "rule_catalog"))
    text = text.replace("path: canonical/", f"path: {SAMPLE.parent / 'canonical'}/")
    (root / "month.yaml").write_text(text + "store: decisions.sqlite\n")
    env = {"RECONKIT_CONFIG": str(root / "month.yaml"), "RECONKIT_USER": "browser",
           "RECONKIT_OUT": str(root / "out")}
    # the run config's `store:` is the store
    with running_lab(root, tmp_path, env=env, drop_env=("RECONKIT_STORE",),
                     args=("--LabApp.expose_app_in_browser=True",)) as url:
        yield url, root


def _decisions(store: Path) -> list[dict[str, str]]:
    if not store.exists():
        return []
    with sqlite3.connect(store) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(
            "SELECT decision_id, match_id, exception_id, action, payload, user FROM decisions "
            "WHERE undone_at IS NULL ORDER BY decision_id")]


def expect(target: Any) -> Any:
    """Playwright's `expect`, imported when a browser test runs (the module imports without
    Playwright)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _pick_category(page: Page, title: str) -> None:
    """Choose a category of the filter by the start of its title (the count follows)."""
    select = page.locator(".rk-filter select")
    labels = select.locator("option").evaluate_all("els => els.map(e => e.textContent)")
    # ipywidgets writes spaces as non-breaking spaces
    label = next((x for x in labels if x.replace("\xa0", " ").startswith(title)), None)
    assert label is not None, (title, labels)
    select.select_option(label=label)
    queue = page.locator(".rk-queue select")
    expect(queue.locator("option")).not_to_have_count(0, timeout=30_000)
    expect(queue.locator("option").first).to_contain_text(title.replace(" ", "\xa0"),
                                                           timeout=30_000)
    queue.select_option(index=0)  # the first exception of the category, as a person clicks
    expect(page.locator(".rk-detail")).to_contain_text(title, timeout=30_000)


def _shot(page: Page, top: str, name: str) -> None:
    """A screenshot of the window with `top` scrolled to the top of the notebook."""
    page.locator(top).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / name))


def _status_says(page: Page, text: str) -> None:
    expect(page.locator(".rk-status")).to_contain_text(text, timeout=30_000)
    assert "⚠" not in page.locator(".rk-status").inner_text()


def test_review_by_clicking_is_applied_by_the_next_run(lab: tuple[str, Path]) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, root = lab
    store = root / "decisions.sqlite"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1500})
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
            expect(page.locator(".rk-review-app")).to_be_visible(timeout=120_000)
            _status_says(page, "exceptions to review")
            expect(page.locator(".rk-status")).to_contain_text("`store:` of month.yaml")
            assert _decisions(store) == []

            # 1. a grouped payment: read it, confirm the proposed combination
            _pick_category(page, "Grouped payment")
            expect(page.locator(".rk-detail")).to_contain_text("Candidate 1")
            _shot(page, ".rk-filter", "grouped_payment.png")
            page.locator("button.rk-confirm").click()
            _status_says(page, "Confirmed")

            # 2. paid by another entity: reject the proposal
            _pick_category(page, "Paid by another entity")
            page.locator("button.rk-reject").click()
            _status_says(page, "Rejected")

            # 3. a bank fee: write the difference off to 627 with a reason
            _pick_category(page, "Bank fee deducted")
            expect(page.locator(".rk-write-off-amount input")).not_to_have_value("")
            page.locator(".rk-write-off-reason input").fill("fee withheld by the bank")
            page.locator("button.rk-write-off").click()
            _status_says(page, "Wrote off")

            # 4. a partial payment: a match by hand over the client's open invoices
            _pick_category(page, "Partial payment")
            page.locator("button.rk-search-button").click()
            options = page.locator(".rk-open-items select option")
            expect(options.first).to_be_attached(timeout=30_000)
            page.locator(".rk-open-items select").select_option(index=0)
            expect(page.locator(".rk-allocation-amount input").first).to_be_visible(
                timeout=30_000)
            expect(page.locator(".rk-review-app")).to_contain_text("Allocated",
                                                                   timeout=30_000)
            _shot(page, ".rk-search", "manual_allocation.png")
            page.locator("button.rk-manual-match").click()
            _status_says(page, "Recorded a match by hand")
            _shot(page, ".rk-status", "review_screen.png")
        finally:
            browser.close()

    decided = _decisions(store)
    assert [(d["action"], d["user"]) for d in decided] == [
        ("confirm", "browser"), ("reject", "browser"), ("write_off", "browser"),
        ("confirm", "browser")], decided
    assert all(d["match_id"] for d in decided)
    out = root / "next_run"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("RECONKIT_STORE", None)
    proc = subprocess.run([sys.executable, "-m", "reconkit.cli", "run", str(root / "month.yaml"),
                           "--out", str(out), "--quiet"], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    matches = {r["match_id"]: r for r in _csv_rows(out / "matches.csv")}
    confirmed, rejected, written_off, manual = (d["match_id"] for d in decided)
    assert matches[confirmed]["status"] == "confirmed"
    assert matches[rejected]["status"] == "rejected"
    assert matches[written_off]["status"] == "confirmed"
    assert "written off to account 627 (fee withheld by the bank)" in \
        matches[written_off]["explanation"]
    assert (matches[manual]["rule_id"], matches[manual]["status"]) == ("MANUAL", "confirmed")
    items = [r for r in _csv_rows(out / "match_items.csv") if r["match_id"] == manual]
    assert sorted(r["role"] for r in items) == ["invoice", "payment"]
    for name in ("grouped_payment.png", "manual_allocation.png", "review_screen.png"):
        assert (SHOTS / name).stat().st_size > 10_000


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
