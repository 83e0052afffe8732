"""Inline SVG line charts for the HTML report: axes, ticks, grid, legend, an optional marked x.

    svg = line_chart([Series("val_loss", xs, ys)], title="Loss", x_label="epoch", y_label="loss", mark_x=3)

No scripts, no fonts fetched: plain SVG elements that print and render in any
browser. Each series is a ``<g class="series" data-name=...>`` holding its
polyline and one ``<circle>`` per point (``data-x`` / ``data-y`` carry the
values, so a reader or a test can get the numbers back).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


@dataclass(frozen=True)
class Series:
    """One line: a name for the legend, x and y values of equal length, and how to draw it."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: str = ""
    dashed: bool = False
    markers: bool = True


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks, value = [], first
    while value <= high + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high - 1e-9:
        ticks.append(round(value, 10))
    return ticks


def _label(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.1e}"


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    mark_x: float | None = None,
    mark_label: str = "best",
    y_range: tuple[float, float] | None = None,
    x_range: tuple[float, float] | None = None,
    integer_x: bool = False,
    width: int = 540,
    height: int = 320,
) -> str:
    """An SVG line chart of ``series``; ``mark_x`` draws a dashed vertical line (e.g. the best epoch)."""
    left, right, top, bottom = 62, 16, 34, 72
    plot_w, plot_h = width - left - right, height - top - bottom
    height += 16 * (_legend_rows(series, plot_w) - 1)  # more legend rows: a taller chart, same plot
    points = [(x, y) for s in series for x, y in zip(s.xs, s.ys) if _finite(x) and _finite(y)]
    if x_range is None:
        xs = [p[0] for p in points] or [0.0, 1.0]
        x_range = (min(xs), max(xs))
    if y_range is None:
        ys = [p[1] for p in points] or [0.0, 1.0]
        y_range = (min(ys), max(ys))
    x_ticks = _integer_ticks(*x_range) if integer_x else nice_ticks(*x_range)
    y_ticks = nice_ticks(*y_range)
    x0, x1 = (min(x_ticks[0], x_range[0]), max(x_ticks[-1], x_range[1])) if not integer_x else x_range
    if x1 - x0 < 1e-12:
        x0, x1 = x0 - 0.5, x1 + 0.5
    y0, y1 = y_ticks[0], y_ticks[-1]

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y - y0) / (y1 - y0) * plot_h

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{left}" y="20">{escape(title)}</text>',
        f'<rect class="plot-area" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>',
    ]
    for tick in y_ticks:
        y = sy(tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(tick)}</text>')
    for tick in x_ticks:
        if not x0 - 1e-9 <= tick <= x1 + 1e-9:
            continue
        x = sx(tick)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{_label(tick)}</text>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>')
    parts.append(
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{top + plot_h + 34}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    parts.append(
        f'<text class="axis-label" transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    if mark_x is not None and _finite(mark_x) and x0 <= mark_x <= x1:
        x = sx(mark_x)
        parts.append(f'<line class="mark" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}"/>')
        # Label on the side with room: the best epoch is often the last one.
        anchor, dx = ("end", -4) if x > left + plot_w * 0.8 else ("start", 4)
        parts.append(
            f'<text class="mark-label" x="{x + dx:.1f}" y="{top + 12}" text-anchor="{anchor}">{escape(mark_label)}</text>'
        )
    for index, line in enumerate(series):
        parts.append(_series_svg(line, PALETTE[index % len(PALETTE)], sx, sy))
    parts.append(_legend(series, left, top + plot_h + 52, plot_w))
    parts.append("</svg>")
    return "\n".join(parts)


def _series_svg(line: Series, default_colour: str, sx, sy) -> str:  # noqa: ANN001 - local scalers
    colour = line.colour or default_colour
    pairs = [(x, y) for x, y in zip(line.xs, line.ys) if _finite(x) and _finite(y)]
    dash = ' stroke-dasharray="6 4"' if line.dashed else ""
    out = [f'<g class="series" data-name="{escape(line.name)}">']
    if len(pairs) > 1:
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pairs)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{coords}"/>')
    if line.markers or len(pairs) == 1:
        for x, y in pairs:
            out.append(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{colour}" '
                f'data-x="{x:g}" data-y="{y:.6g}"><title>{escape(line.name)}: {y:.4g} at {x:g}</title></circle>'
            )
    out.append("</g>")
    return "".join(out)


def _legend(series: Sequence[Series], left: float, y: float, width: float) -> str:
    out, x = ['<g class="legend">'], left
    for index, line in enumerate(series):
        colour = line.colour or PALETTE[index % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        needed = 40 + 6.6 * len(line.name)  # swatch, gap and an estimate of the text's width at 12 px
        if x > left and x + needed > left + width:
            x, y = left, y + 16
        out.append(f'<line x1="{x:.1f}" y1="{y - 4}" x2="{x + 22:.1f}" y2="{y - 4}" stroke="{colour}" stroke-width="3"{dash}/>')
        out.append(f'<text class="legend-text" x="{x + 28:.1f}" y="{y}">{escape(line.name)}</text>')
        x += needed
    out.append("</g>")
    return "".join(out)


def _legend_rows(series: Sequence[Series], width: float) -> int:
    rows, x = 1, 0.0
    for line in series:
        needed = 40 + 6.6 * len(line.name)
        if x > 0 and x + needed > width:
            rows, x = rows + 1, 0.0
        x += needed
    return rows


def _integer_ticks(low: float, high: float) -> list[float]:
    low, high = math.floor(low), math.ceil(high)
    step = max(1, math.ceil((high - low) / 10))
    return [float(v) for v in range(int(low), int(high) + 1, step)]


def _finite(value: float | None) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
