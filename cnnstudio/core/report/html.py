"""The HTML report's page frame: the inline stylesheet, escaping, number formats and table markup.

Everything the page needs is in the page: no links, fonts, scripts or images
are fetched (images are data URIs, charts inline SVG).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

STYLESHEET = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --soft: #f4f6fa; --accent: #2457a6; --bad: #c62828; --good: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
header.page { background: linear-gradient(120deg, #1d3557, #2457a6); color: #fff; padding: 28px 0 22px; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 28px; }
header.page h1 { margin: 0 0 4px; font-size: 26px; font-weight: 600; word-break: break-all; }
header.page .subtitle { opacity: .85; margin: 0 0 16px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; }
.fact { background: rgba(255,255,255,.12); border-radius: 8px; padding: 8px 12px; }
.fact .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; opacity: .8; }
.fact .value { font-size: 16px; font-weight: 600; }
nav.toc { border-bottom: 1px solid var(--line); background: var(--soft); padding: 8px 0; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 16px; white-space: nowrap; }
section { padding: 20px 0 10px; border-bottom: 1px solid var(--line); }
section h2 { margin: 0 0 6px; font-size: 20px; color: #1d3557; }
p.lead { color: var(--muted); margin: 0 0 14px; max-width: 900px; }
p.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 8px 12px; margin: 8px 0; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.config td:first-child { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
tr.changed td { background: #fff4d6; }
.config-groups { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 0 22px; align-items: start; }
.config-groups table { width: 100%; }
.config-groups td { overflow-wrap: anywhere; }
.config-groups td:first-child { white-space: nowrap; overflow-wrap: normal; }
.config-groups h3 { font-size: 15px; margin: 8px 0 0; color: var(--muted); }
tr.changed td:first-child::after { content: " \\2022 changed"; color: #a06a00; font-family: sans-serif; font-size: 11px; }
.columns { display: flex; flex-wrap: wrap; gap: 18px 28px; align-items: flex-start; }
.columns > * { flex: 0 1 auto; min-width: 0; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
svg .plot-area { fill: #fbfcfe; stroke: none; }
svg .grid { stroke: #e3e7ee; stroke-width: 1; }
svg .axis { stroke: #4a5264; stroke-width: 1.2; }
svg .tick, svg .legend-text { font-size: 12px; fill: #39404f; }
svg .axis-label { font-size: 13px; fill: #1d2330; }
svg .chart-title { font-size: 15px; font-weight: 600; fill: #1d3557; }
svg .mark { stroke: #6b7280; stroke-width: 1.4; stroke-dasharray: 4 3; }
svg .mark-label { font-size: 12px; fill: #4b5563; }
table.confusion td { text-align: center; min-width: 74px; font-variant-numeric: tabular-nums; }
table.confusion td .share { display: block; font-size: 11px; opacity: .8; }
table.confusion th.corner { font-weight: 400; font-size: 12px; color: var(--muted); }
.filters figure { margin: 0 0 14px; }
.filters figcaption, .tile figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
img.pixels { image-rendering: pixelated; border: 1px solid var(--line); }
.mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; break-inside: avoid; page-break-inside: avoid; }
.card .images { display: flex; gap: 8px; }
.tile { margin: 0; text-align: center; }
.tile img { width: 104px; height: 104px; }
.card .verdict { margin: 8px 0 4px; font-size: 14px; }
.card .verdict .wrong { color: var(--bad); font-weight: 600; }
.card .verdict .true { color: var(--good); font-weight: 600; }
.card .source { font-size: 12px; color: var(--muted); word-break: break-all; }
.bar { display: flex; align-items: center; gap: 6px; font-size: 12px; }
.bar .name { width: 90px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar .track { flex: 1; height: 8px; background: #e9edf3; border-radius: 4px; overflow: hidden; }
.bar .fill { height: 100%; background: var(--accent); }
.pass { color: var(--good); font-weight: 600; }
.fail { color: var(--bad); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; padding: 16px 0 30px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
@media (max-width: 900px) { .config-groups { grid-template-columns: 1fr; } }
@media print {
  header.page { background: none; color: var(--ink); border-bottom: 2px solid var(--ink); }
  .fact { background: var(--soft); }
  nav.toc { display: none; }
  section { break-inside: avoid-page; }
  .wrap { max-width: none; padding: 0 8mm; }
}
"""


def e(value: Any) -> str:
    """``value`` as HTML-escaped text."""
    return escape(str(value), quote=True)


def fmt(value: Any, digits: int = 4) -> str:
    """A number for people: integers as is, floats to ``digits`` decimals (tiny ones in e-notation), NaN/None as a dash."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "\u2013"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] = (), css: str = "") -> str:
    """A ``<table>`` of escaped cells; ``numeric[i]`` right-aligns column i and formats its numbers."""
    numeric = list(numeric) + [False] * (len(headers) - len(numeric))
    head = "".join(f'<th{" class=num" if numeric[i] else ""}>{e(h)}</th>' for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{e(fmt(cell))}</td>' if numeric[i] else f"<td>{e(fmt(cell))}</td>"
            for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    klass = f' class="{e(css)}"' if css else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section(anchor: str, title: str, body: str, lead: str = "") -> str:
    """One report section with its heading and an optional one-paragraph explanation."""
    intro = f'<p class="lead">{e(lead)}</p>' if lead else ""
    return f'<section id="{e(anchor)}"><div class="wrap"><h2>{e(title)}</h2>{intro}{body}</div></section>'


def note(text: str) -> str:
    """A highlighted remark (something missing, not yet done)."""
    return f'<p class="note">{e(text)}</p>'


def page(title: str, header: str, toc: Sequence[tuple[str, str]], sections: Sequence[str], footer: str) -> str:
    """The whole document: head with the inline stylesheet, header, table of contents, sections, footer."""
    links = "".join(f'<a href="#{e(anchor)}">{e(name)}</a>' for anchor, name in toc)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{STYLESHEET}</style></head><body>"
        f"{header}<nav class=\"toc\"><div class=\"wrap\">{links}</div></nav><main>{''.join(sections)}</main>"
        f"<footer><div class=\"wrap\">{footer}</div></footer></body></html>\n"
    )
