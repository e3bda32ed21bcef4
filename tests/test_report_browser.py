"""The management report and the audit report open in Chromium with the network blocked and
every chart draws (an <svg> inside each chart container); screenshots in out/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

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
