#!/usr/bin/env python3
"""Draws docs/images/crik-dashboard.svg from examples/monitoring/crik-dashboard.json.

The picture is schematic: each panel where the dashboard puts it (Grafana's grid of 24 columns), with its
title, its unit and one legend entry per query. The lines and bars stand for series in general: they are
not data. Run it after changing the dashboard; DashboardPictureTests fails while the picture is out of date.

    python3 scripts/draw-dashboard.py            # writes docs/images/crik-dashboard.svg
    python3 scripts/draw-dashboard.py --stdout   # prints it instead
"""
import json
import math
import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "examples" / "monitoring" / "crik-dashboard.json"
PICTURE = ROOT / "docs" / "images" / "crik-dashboard.svg"

WIDTH = 1200
COLUMN = (WIDTH - 10) / 24  # Grafana's grid: 24 columns
GRID_ROW = 22  # pixels per unit of gridPos height
TOP = 50  # the dashboard's title bar
GAP = 4
COLOURS = ["#56a64b", "#3274d9", "#e0b400", "#e02f44", "#a352cc", "#ff9830"]
UNITS = {"s": "seconds", "bytes": "bytes", "reqps": "requests/s", "percentunit": "share", "short": ""}

STYLE = """  <style>
    .page { fill: #f4f5f5; }
    .panel { fill: #ffffff; stroke: #d8d9da; }
    .title { font-size: 13px; font-weight: bold; fill: #24292e; }
    .row { font-size: 15px; font-weight: bold; fill: #24292e; }
    .unit { font-size: 9px; fill: #6e7379; }
    .legend { font-size: 10px; fill: #464c54; }
    .grid { stroke: #e4e6e8; stroke-width: 1; }
    .pick { fill: #ffffff; stroke: #c7d0d9; }
    .picktext { font-size: 12px; fill: #24292e; }
  </style>"""


def legend_text(target):
    """A query's legend as Grafana fills it in, with each {{label}} shown as <label>."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", r"<\1>", target.get("legendFormat") or target.get("refId", ""))


def header(dashboard):
    out = [f'  <text x="10" y="30" font-size="20" font-weight="bold" fill="#24292e">{escape(dashboard["title"])}</text>']
    x = 10 + 12 * len(dashboard["title"]) + 20
    for variable in dashboard.get("templating", {}).get("list", []):
        shown = variable.get("query") if variable["type"] == "datasource" else (
            "All" if variable.get("includeAll") else variable.get("current", {}).get("text", ""))
        text = f'{variable.get("label") or variable["name"]}: {shown}'
        width = 7 * len(text) + 20
        out.append(f'  <rect class="pick" x="{x}" y="12" width="{width}" height="26" rx="3"/>')
        out.append(f'  <text class="picktext" x="{x + 10}" y="30">{escape(text)}</text>')
        x += width + 10
    span = dashboard.get("time", {}).get("from", "now-24h").removeprefix("now-")
    amount, unit = span[:-1], {"m": "minutes", "h": "hours", "d": "days"}.get(span[-1:], span[-1:])
    out.append(f'  <text class="picktext" x="{WIDTH - 10}" y="30" text-anchor="end">Last {escape(amount)} {unit}</text>')
    return out


def series(index, count, left, top, width, height, bars, stacked):
    """One schematic series: a gentle wave, or bars, in the plot area; each series at its own level."""
    colour = COLOURS[index % len(COLOURS)]
    level = top + height * (index + 1) / (count + 1)
    if bars:
        out = []
        for step in range(12):
            bar = height / (count + 2) * (0.6 + 0.4 * math.sin(step * 1.7 + index))
            base = top + height - (bar * index if stacked else 0)
            x = left + step * width / 12 + 2
            out.append(f'<rect x="{x:.0f}" y="{base - bar:.0f}" width="{width / 12 - 4:.0f}" height="{bar:.0f}" fill="{colour}"/>')
        return out
    points = " ".join(
        f"{left + step * width / 20:.0f},{level + height / 10 * math.sin(step * 0.8 + index * 1.3):.0f}" for step in range(21))
    return [f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>']


def panel(item):
    grid = item["gridPos"]
    x, y = 5 + grid["x"] * COLUMN, TOP + grid["y"] * GRID_ROW
    width, height = grid["w"] * COLUMN - GAP, grid["h"] * GRID_ROW - GAP
    title = escape(item.get("title", ""))
    if item["type"] == "row":
        return [f'  <text class="row" x="{x + 5:.0f}" y="{y + 17:.0f}">{title}</text>']
    targets = item.get("targets", [])
    custom = item.get("fieldConfig", {}).get("defaults", {}).get("custom", {})
    unit = UNITS.get(item.get("fieldConfig", {}).get("defaults", {}).get("unit", ""), "")
    legend_rows = max(1, math.ceil(sum(7 * len(legend_text(t)) + 30 for t in targets) / (width - 20)))
    plot_top, plot_height = 32, height - 32 - 14 * legend_rows - 8
    out = [f'  <g transform="translate({x:.0f},{y:.0f})">',
           f'    <rect class="panel" width="{width:.0f}" height="{height:.0f}" rx="2"/>',
           f'    <text class="title" x="10" y="20">{title}</text>',
           f'    <text class="unit" x="{width - 10:.0f}" y="20" text-anchor="end">{escape(unit)}</text>']
    for line in range(3):
        ly = plot_top + plot_height * line / 2
        out.append(f'    <line class="grid" x1="10" y1="{ly:.0f}" x2="{width - 10:.0f}" y2="{ly:.0f}"/>')
    for index in range(len(targets)):
        out += ["    " + s for s in series(index, len(targets), 10, plot_top, width - 20, plot_height,
                                             custom.get("drawStyle") == "bars", custom.get("stacking", {}).get("mode") == "normal")]
    lx, ly = 10, plot_top + plot_height + 16
    for index, target in enumerate(targets):
        text = legend_text(target)
        if lx + 7 * len(text) + 20 > width - 10 and lx > 10:
            lx, ly = 10, ly + 14
        out.append(f'    <rect x="{lx}" y="{ly - 8:.0f}" width="10" height="4" fill="{COLOURS[index % len(COLOURS)]}"/>')
        out.append(f'    <text class="legend" x="{lx + 14}" y="{ly:.0f}">{escape(text)}</text>')
        lx += 7 * len(text) + 30
    out.append("  </g>")
    return out


def draw(dashboard):
    panels = dashboard["panels"]
    height = TOP + max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) * GRID_ROW + 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
           'font-family="Helvetica, Arial, sans-serif">',
           "  <title>The crik dashboard (examples/monitoring/crik-dashboard.json), drawn schematically by "
           "scripts/draw-dashboard.py: the panels and their queries, not data</title>",
           STYLE,
           f'  <rect class="page" width="{WIDTH}" height="{height}"/>']
    out += header(dashboard)
    for item in panels:
        out += panel(item)
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    picture = draw(json.loads(DASHBOARD.read_text()))
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(picture)
    else:
        PICTURE.write_text(picture)
