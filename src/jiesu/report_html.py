"""The printable report: one self-contained HTML file a street leader reads on screen or on A4.

Jinja2 lays out the page (autoescaped: every name and summary a citizen or worker typed is
text, never markup, its control and invisible characters shown as stand-ins before it is escaped); pygal draws the charts as inline SVG — pure Python, no browser script
needed to draw, text kept as text so the system's CJK fonts render it, and vector lines that
print sharp at any size. The file fetches nothing: fonts are the system's, styles and charts
are inline, and a Content-Security-Policy forbids any request.
"""

from __future__ import annotations

from typing import Any

from jiesu.report_views import HOTSPOT_LABELS, RATE_LABELS, headline, percent
from jiesu.rules import value_said

FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", sans-serif'
SERIES_COLOURS = ("#1f5fa8", "#2e8b57", "#d98c1f", "#6a3d9a")
DAY_COLOURS = ("#1f5fa8", "#2e8b57", "#b03a2e")


def render(document: dict[str, Any], figures: dict[str, Any]) -> str:
    """The whole page for a report document and its figures (`report_figures.figures`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    environment = Environment(
        loader=PackageLoader("jiesu", "templates"),
        autoescape=True,
        finalize=_shown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(percent=percent, points=points, change=change, share=share, rule_value=value_said, direction=direction)
    page = environment.get_template("report.html.j2")
    months = figures["months"]
    return page.render(
        doc=document,
        fig=figures,
        title=headline(document),
        monthly="period" in document,
        fonts=FONTS,
        rate_labels=RATE_LABELS,
        hotspot_labels=HOTSPOT_LABELS,
        previous=months[-2] if len(months) > 1 else {},
        months_chart=Markup(months_chart(months)),
        days_chart=Markup(days_chart(figures["days"])),
    )


def _shown(value: Any) -> Any:
    """What the page prints of a value, before it is escaped: text with its control and invisible characters
    as stand-ins (`␛`, `<U+2066>`), which are text too: made visible after escaping, `<U+2066>` was an
    element to a browser, and hidden. Markup (the charts) is the page's own."""
    from markupsafe import Markup

    from jiesu.safetext import visible_lines

    return visible_lines(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def points(value: float | None) -> str:
    """The composite score out of 100, one decimal."""
    return "—" if value is None else f"{value * 100:.1f}"


def _points_changed(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round((now - before) * 100, 1)


def change(now: float | None, before: float | None, unit: str = "个百分点") -> str:
    """The change from last month as people say it: a rate's in percentage points, the score's (out of 100) in 分."""
    delta = _points_changed(now, before)
    if delta is None:
        return "较上月 —"
    if delta == 0:
        return "较上月持平"
    return f"较上月{'↑' if delta > 0 else '↓'} {abs(delta):.1f} {unit}"


def direction(now: float | None, before: float | None) -> str:
    """`up`, `down` or nothing: the colour of the change, agreeing with its rounded words."""
    delta = _points_changed(now, before)
    return "" if not delta else "up" if delta > 0 else "down"


def share(value: float | int | None, most: float | int | None) -> str:
    """A bar's width: `value` as a percentage of `most`."""
    if not value or not most:
        return "0%"
    return f"{100 * value / most:.1f}%"


# ---------------------------------------------------------------- charts


def _chart(kind: str, name: str, caption: str, colours: tuple[str, ...] = SERIES_COLOURS, **config):
    """A pygal chart drawn the page's way; its SVG's <title> (what a browser shows on hover, and a reader
    of the page's text reads) is `caption`, not pygal's own name."""
    import pygal
    from pygal.style import Style

    style = Style(
        font_family=FONTS,
        background="white",
        plot_background="white",
        foreground="#333",
        foreground_strong="#111",
        foreground_subtle="#ccc",
        colors=colours,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        title_font_size=16,
        value_font_size=12,
    )
    chart = getattr(pygal, kind)(
        style=style,
        js=[],  # no tooltip script: the chart is drawn by the SVG alone
        disable_xml_declaration=True,
        width=960,
        height=340,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        margin=16,
        margin_bottom=30,  # room under the legend for CJK glyphs, taller than pygal measures them
        **config,
    )
    chart.uuid = name  # stable ids: the same book gives the same page
    chart.add_xml_filter(_without_script_or_comments)
    chart.add_xml_filter(lambda root: _captioned(root, caption))
    return chart


def _captioned(root, caption: str):
    for title in root:  # the document's own title, not the values' (a point's tooltip is a <title> too)
        if str(title.tag).rsplit("}", 1)[-1] == "title":
            title.text = caption
    return root


def _without_script_or_comments(root):
    """pygal adds a config script and a dated comment; a static, reproducible page needs neither."""
    for parent in list(root.iter()):
        for child in list(parent):
            if callable(child.tag) or str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def months_chart(months: list[dict]) -> str:
    """The 三率 and the score of each month, as lines in percent."""
    chart = _chart(
        "Line", "months", f"近 {len(months)} 个月三率与综合得分", range=(0, 100), show_dots=True, dots_size=3, value_formatter=lambda v: f"{v:.1f}%",
    )
    chart.x_labels = [m["period"] for m in months]
    for key, label in RATE_LABELS.items():
        chart.add(label, [None if m[key] is None else round(m[key] * 100, 1) for m in months])
    return chart.render(is_unicode=True)


def days_chart(days: list[dict]) -> str:
    """Received, closed and fallen overdue per day, as grouped bars."""
    top = max((d[key] for d in days for key in ("received", "closed", "overdue")), default=0)
    step = max(1, -(-top // 5))  # whole cases: at most six labels, never 0.2 shown as a second "0"
    chart = _chart("Bar", "days", "每日受理、办结与到期未办结", DAY_COLOURS, value_formatter=lambda v: f"{v:.0f}", y_labels=list(range(0, top + step, step)))
    # A fortnight reads as dates; a whole month as its day numbers, which fit unturned.
    chart.x_labels = [d["day"][5:] if len(days) <= 16 else str(int(d["day"][8:])) for d in days]
    for key, label in (("received", "受理"), ("closed", "办结"), ("overdue", "到期未办结")):
        chart.add(label, [d[key] for d in days])
    return chart.render(is_unicode=True)
