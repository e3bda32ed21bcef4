"""Charts that render without a network: in JupyterLab, in an HTML file, as PNG/SVG.

Altair 6 emits Vega-Lite 6 specs that its default renderer loads from a CDN, and JupyterLab
4's built-in renderer only knows Vega-Lite 3-5. So every chart is pinned to Vega-Lite
`VL_VERSION` (5.x, which both vl-convert and JupyterLab bundle): in notebooks it is shown
through the `reconkit` renderer (a Vega-Lite 5 mime bundle JupyterLab draws itself, plus an
SVG fallback drawn by vl-convert); in HTML the Vega, Vega-Lite and Vega-Embed JavaScript is
inlined (vl-convert's bundle), so the page opens offline.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

VL_VERSION = "5.21"
SCHEMA_URL = f"https://vega.github.io/schema/vega-lite/v{VL_VERSION}.json"
MIME = "application/vnd.vegalite.v5+json"
RENDERER = "reconkit"


def chart_spec(chart: Any) -> dict[str, Any]:
    """The chart's Vega-Lite spec (an altair chart or a dict), pinned to `VL_VERSION`."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return {**spec, "$schema": SCHEMA_URL}


_SVG_IDS = re.compile(r"\b(gradient_|clip|pattern_)(\d+)\b")


def chart_svg(chart: Any) -> str:
    """The chart as SVG. Vega numbers gradients and clip paths with a counter that lives as
    long as the process; they are renumbered from 0 in order of appearance, so the same
    chart always gives the same bytes."""
    import vl_convert as vlc

    svg = str(vlc.vegalite_to_svg(chart_spec(chart), vl_version=VL_VERSION))
    seen: dict[str, str] = {}

    def renumber(m: re.Match[str]) -> str:
        key = m.group(0)
        if key not in seen:
            seen[key] = f"{m.group(1)}{sum(k.startswith(m.group(1)) for k in seen)}"
        return seen[key]

    return _SVG_IDS.sub(renumber, svg)


def chart_png(chart: Any, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(chart_spec(chart), vl_version=VL_VERSION, scale=scale))


def save_chart_images(charts: Mapping[str, Any], folder: Path | str) -> list[Path]:
    """Write `<name>.svg` and `<name>.png` for every chart; return the paths (sorted)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in sorted(charts):
        svg, png = folder / f"{name}.svg", folder / f"{name}.png"
        svg.write_text(chart_svg(charts[name]), encoding="utf-8")
        png.write_bytes(chart_png(charts[name]))
        written += [png, svg]
    return written


@functools.lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (globals `vega`, `vegaLite`,
    `vegaEmbed`), no network needed."""
    import vl_convert as vlc

    return str(vlc.javascript_bundle(vl_version=VL_VERSION))  # type: ignore[call-arg]


def _mimebundle(spec: dict[str, Any], **_: Any) -> dict[str, Any]:
    pinned = {**spec, "$schema": SCHEMA_URL}
    return {MIME: pinned, "image/svg+xml": chart_svg(pinned),
            "text/plain": "<reconkit chart (Vega-Lite 5)>"}


def enable_offline_renderer() -> None:
    """Show altair charts in notebooks without a network: Vega-Lite 5 (JupyterLab's own
    renderer) plus an SVG fallback (GitHub, nbconvert, other front ends)."""
    import altair as alt

    alt.renderers.register(RENDERER, _mimebundle)
    alt.renderers.enable(RENDERER)


def _script_safe(text: str) -> str:
    """Text that cannot close its <script> element early (`</script` -> `<\\/script`, valid in
    JavaScript strings, regular expressions and JSON alike)."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def html_page(title: str, sections: list[str], charts: Mapping[str, Any], *,
              style: str = "") -> str:
    """A self-contained HTML document: `sections` (HTML fragments, which place each chart
    with `<div class="chart" id="NAME"></div>`), the JavaScript bundle inlined, and one
    embed call per chart (SVG renderer, no actions menu). Deterministic."""
    specs = {name: chart_spec(charts[name]) for name in sorted(charts)}
    data = json.dumps(specs, sort_keys=True, separators=(",", ":"))
    # a block of its own: the bundle's top-level `const`s share the global scope
    embed = ("(() => {\nconst reconkitSpecs = " + _script_safe(data) + ";\n"
             "for (const [id, spec] of Object.entries(reconkitSpecs)) {\n"
             "  vegaEmbed('#' + id, spec, {renderer: 'svg', actions: false})\n"
             "    .catch(err => { document.getElementById(id).textContent = String(err); });\n"
             "}\n})();\n")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{BASE_STYLE}{style}</style>\n"
            f"<script>{_script_safe(javascript_bundle())}</script>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n" + "\n".join(sections)
            + f"\n<script>\n{embed}</script>\n</body>\n</html>\n")


BASE_STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
              "color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid "
              "#ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}"
              "td.num{text-align:right}.chart{margin:1em 0}.note{color:#555}")


def table_html(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """A plain HTML table (values escaped; numbers right-aligned)."""
    if not rows:
        return "<p class=\"note\">(none)</p>"
    cols = columns or list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(
            f"<td class=\"num\">{v}</td>" if isinstance(v, int | float) and not isinstance(v, bool)
            else f"<td>{html.escape('' if v is None else str(v))}</td>"
            for v in (r.get(c) for c in cols)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
