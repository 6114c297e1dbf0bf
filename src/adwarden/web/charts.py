"""Charts drawn on the server as SVG: no script, the same bytes for the same numbers, and
always shown beside a table holding the numbers themselves."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

_STYLE: dict[Any, Any] = {
    "svg.hashsalt": "adwarden",  # stable ids, so the same data gives the same SVG
    "svg.fonttype": "none",  # text stays text: selectable, and read by screen readers
    "font.family": "sans-serif",
    "font.size": 9,
}


def stacked_bars(
    title: str, categories: Sequence[str], series: Mapping[str, Sequence[float]], unit: str
) -> Markup:
    """One bar per category, stacked by series; `title` labels the image for assistive tech."""
    import matplotlib  # a heavy import, paid only by pages that draw a chart
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(6.4, 3.0), layout="constrained")
        axes = figure.subplots()
        bottom = [0.0] * len(categories)
        for name, values in series.items():
            axes.bar(list(categories), list(values), bottom=bottom, label=name)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        if all(float(v).is_integer() for values in series.values() for v in values):
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # no "0.5 decisions"
        axes.set_ylabel(unit)
        axes.set_title(title)
        if len(series) > 1:
            axes.legend(fontsize=8)
        axes.tick_params(axis="x", labelrotation=45 if len(categories) > 6 else 0)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    label = escape(title, quote=True)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return Markup(svg)  # noqa: S704  (matplotlib's own SVG; the only text we add is escaped)
