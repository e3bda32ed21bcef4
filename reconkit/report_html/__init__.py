"""Self-contained HTML reports with charts that render offline (JavaScript inlined), and the
management report of a run (`reconkit report RUN_DIR`)."""

from reconkit.report_html.offline import (
    VL_VERSION,
    chart_spec,
    enable_offline_renderer,
    html_page,
    save_chart_images,
)

__all__ = ["VL_VERSION", "chart_spec", "enable_offline_renderer", "html_page",
           "save_chart_images"]
