"""The management report and the audit report open in Chromium with the network blocked and
every chart draws (an <svg> inside each chart container); screenshots in out/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_lab import running_lab

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data_samples" / "sample" / "run_canonical.yaml"
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "out" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open_offline(page_path: Path, shot: Path) -> dict[str, object]:
    """Open a local HTML file with every non-file, non-localhost request aborted; return
    the chart containers, how many drew an svg/canvas, and the requests that were blocked."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("file:", "data:", "blob:", "about:")) or "//localhost" in url \
                or "//127.0.0.1" in url:
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(url)
            route.abort()  # type: ignore[attr-defined]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", guard)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri())
            page.wait_for_function(
                "() => [...document.querySelectorAll('div.chart')].every("
                "d => d.querySelector('svg, canvas'))", timeout=30_000)
            charts = page.locator("div.chart").count()
            drawn = page.locator("div.chart svg.marks, div.chart canvas").count()
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return {"charts": charts, "drawn": drawn, "blocked": blocked, "errors": errors}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    from reconkit.config import load_config
    from reconkit.pipeline import run

    out = tmp_path_factory.mktemp("run")
    run(load_config(SAMPLE), out)
    return out


def test_management_report_draws_every_chart_offline(run_dir: Path) -> None:
    from reconkit.catalog import load_catalog
    from reconkit.config import load_config
    from reconkit.pipeline import load_sources
    from reconkit.report_html.management import ManagementReport

    cfg = load_config(SAMPLE)
    rep = ManagementReport.build(run_dir, inputs=load_sources(cfg).tables,
                                 catalog=load_catalog(cfg.catalog))
    page, *images = rep.write(run_dir / "report.html", run_dir / "charts")
    assert sorted(p.name for p in images) == [
        "auto_waterfall.png", "auto_waterfall.svg", "exceptions_at_stake.png",
        "exceptions_at_stake.svg", "open_items_age.png", "open_items_age.svg"]
    seen = _open_offline(page, SHOTS / "management_report.png")
    assert seen["charts"] == 3
    assert seen["drawn"] == 3
    assert seen["errors"] == []
    assert seen["blocked"] == []  # nothing even tried to reach the network


def test_audit_report_draws_every_chart_offline(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    from reconkit.audit import LedgerAudit
    from reconkit.config import load_config
    from reconkit.paths import DEFAULT_CATALOG
    from reconkit.pipeline import load_sources

    cfg = load_config(REPO / "data_samples" / "sample" / "run_native.yaml")
    LedgerAudit.from_config(cfg, load_sources(cfg)).write(tmp_path,
                                                          base_catalog=DEFAULT_CATALOG)
    seen = _open_offline(tmp_path / "audit_report.html", SHOTS / "audit_report.png")
    assert (seen["charts"], seen["drawn"], seen["errors"], seen["blocked"]) == (3, 3, [], [])


def test_notebook_charts_draw_offline_in_jupyterlab(tmp_path: Path) -> None:
    """JupyterLab 4 opens notebook 02 as committed (outputs stored, no kernel run) with the
    network blocked: each of its three charts is drawn by JupyterLab's own Vega-Lite 5
    renderer (a canvas in `.jp-RenderedVegaLite`), nothing asked of a CDN."""
    import contextlib
    import shutil

    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("httpx")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    root = tmp_path / "lab"
    root.mkdir()
    notebook = REPO / "notebooks" / "02_monthly_run.ipynb"
    shutil.copy(notebook, root / notebook.name)
    blocked: list[str] = []
    with running_lab(root, tmp_path) as url:

        def guard(route: object) -> None:
            u = route.request.url  # type: ignore[attr-defined]
            if u.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1",
                             "data:", "blob:")):
                route.continue_()  # type: ignore[attr-defined]
            else:
                blocked.append(u)
                route.abort()  # type: ignore[attr-defined]

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.route("**/*", guard)
                page.goto(f"{url}/lab/tree/{notebook.name}")
                page.wait_for_selector(".jp-NotebookPanel", timeout=60_000)
                with contextlib.suppress(PlaywrightTimeout):
                    page.locator(".jp-Dialog .jp-mod-reject").first.click(timeout=3_000)
                # outputs render lazily as they scroll into view: walk down the notebook
                for _ in range(40):
                    if page.locator(".jp-RenderedVegaLite :is(canvas, svg.marks)").count() >= 3:
                        break
                    page.mouse.wheel(0, 600)
                    page.wait_for_timeout(300)
                charts = page.locator(".jp-RenderedVegaLite")
                drawn = page.locator(".jp-RenderedVegaLite :is(canvas, svg.marks)")
                drawn.first.wait_for(timeout=30_000)
                sizes = drawn.evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
                n_charts = charts.count()
                drawn.first.scroll_into_view_if_needed()
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "jupyterlab_notebook_02.png"))
            finally:
                browser.close()
    assert n_charts == 3
    assert len(sizes) == 3 and min(sizes) > 100  # each chart drawn, not an empty box
    assert not [u for u in blocked if "vega" in u or "jsdelivr" in u]
