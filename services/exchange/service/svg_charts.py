"""Charts drawn on the server as SVG: bars of what was sent and received per year, and a line
of the balance over the years with the tolerance (or quota) drawn across.

Plain SVG strings that a page puts inline and a PDF prints: no JavaScript, no fonts or files
fetched, colours that stay apart in grey on paper (a dark and a light fill, the reference
lines dashed). Each chart names itself for screen readers (``role="img"``, ``aria-label``,
``<title>``) and each bar or point carries its figure in a ``<title>`` too; the page puts a
table of the same figures beside it, so nothing is known only from the picture. Every text
is escaped here: labels come from partners' names and translations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 40  # room for the axis labels and the legend
FILLS = ("#1f4e79", "#9dc3e6", "#548235", "#f4b183")  # dark, light, dark, light
TICKS = 4


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float]


@dataclass(frozen=True, slots=True)
class Reference:
    """A line across the chart at ``value`` (a quota; a tolerance is drawn at + and -)."""

    value: float
    label: str


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always ends at 10


def _number(value: float) -> str:
    """A figure as the charts write it: whole numbers plain, others to two places at most."""
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _open(label: str, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{_attr(label)}" '
        'class="svg-chart" style="max-width:100%;height:auto" '
        'font-family="sans-serif" font-size="13">',
        f"<title>{_text(title)}</title>",
    ]


def _axis(lines: list[str], low: float, high: float, y_of: _Scale) -> None:
    for i in range(TICKS + 1):
        value = low + (high - low) * i / TICKS
        y = y_of(value)
        lines.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#d9d9d9" stroke-width="1"/>'
        )
        lines.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#333">'
            f"{_text(_number(value))}</text>"
        )


class _Scale:
    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def __call__(self, value: float) -> float:
        plot = HEIGHT - TOP - BOTTOM
        return TOP + plot * (self.high - value) / (self.high - self.low)


def _legend(lines: list[str], names: Sequence[tuple[str, str, bool]]) -> None:
    """Keys along the top: (name, colour, dashed line rather than a box)."""
    x = LEFT
    for name, colour, dashed in names:
        if dashed:
            lines.append(
                f'<line x1="{x}" y1="12" x2="{x + 14}" y2="12" stroke="{colour}" '
                'stroke-width="2" stroke-dasharray="4 3"/>'
            )
        else:
            lines.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
        lines.append(f'<text x="{x + 18}" y="16" fill="#333">{_text(name)}</text>')
        x += 30 + 7 * len(name)


def bar_chart(
    label: str,
    categories: Sequence[str],
    series: Sequence[Series],
    reference: Reference | None = None,
) -> str:
    """Grouped bars, one group per category (a year), one bar per series; heights in
    proportion to the values, from zero; ``reference`` a dashed line across (the quota)."""
    largest = max([v for s in series for v in s.values] + [reference.value if reference else 0])
    high = nice_ceiling(largest)
    y_of = _Scale(0.0, high)
    lines = _open(label, label)
    _axis(lines, 0.0, high, y_of)
    keys = [(s.name, FILLS[i % len(FILLS)], False) for i, s in enumerate(series)]
    group = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    bar = group * 0.7 / max(len(series), 1)
    for c, category in enumerate(categories):
        x0 = LEFT + c * group + group * 0.15
        for i, s in enumerate(series):
            value = s.values[c]
            top = y_of(value)
            lines.append(
                f'<rect class="chart-bar" x="{x0 + i * bar:.1f}" y="{top:.1f}" '
                f'width="{bar - 2:.1f}" '
                f'height="{y_of(0) - top:.1f}" fill="{FILLS[i % len(FILLS)]}" '
                f'data-value="{value:g}"><title>{_text(f"{category}: {s.name} {_number(value)}")}'
                "</title></rect>"
            )
        lines.append(
            f'<text x="{LEFT + c * group + group / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle" fill="#333">{_text(category)}</text>'
        )
    if reference is not None:
        keys.append((reference.label, "#c00000", True))
        _reference_line(lines, y_of(reference.value), reference.label)
    _legend(lines, keys)
    lines.append("</svg>")
    return "\n".join(lines)


def _reference_line(lines: list[str], y: float, label: str) -> None:
    lines.append(
        f'<line class="chart-reference" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
        f'stroke="#c00000" stroke-width="2" stroke-dasharray="6 4"><title>{_text(label)}</title>'
        "</line>"
    )


def line_chart(
    label: str,
    categories: Sequence[str],
    name: str,
    values: Sequence[float | None],
    tolerance: Reference | None = None,
) -> str:
    """A line through the values (a gap where one is missing), the zero line solid, and the
    tolerance dashed at + and - its value: within the band the balance is even enough."""
    known = [v for v in values if v is not None]
    band = abs(tolerance.value) if tolerance else 0.0
    reach = nice_ceiling(max([abs(v) for v in known] + [band, 1.0]))
    low = -reach if min([*known, 0.0]) < 0 or tolerance else 0.0
    y_of = _Scale(low, reach)
    lines = _open(label, label)
    _axis(lines, low, reach, y_of)
    lines.append(
        f'<line x1="{LEFT}" y1="{y_of(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y_of(0):.1f}" '
        'stroke="#333" stroke-width="1"/>'
    )
    step = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    points: list[tuple[float, float, str, float]] = []
    for c, category in enumerate(categories):
        x = LEFT + c * step + step / 2
        lines.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#333">'
            f"{_text(category)}</text>"
        )
        value = values[c]
        if value is not None:
            points.append((x, y_of(value), category, value))
    runs: list[list[tuple[float, float]]] = [[]]
    for c, value in enumerate(values):  # a missing year breaks the line
        if value is None:
            runs.append([])
        else:
            runs[-1].append((LEFT + c * step + step / 2, y_of(value)))
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            lines.append(
                f'<polyline class="chart-balance" points="{path}" fill="none" stroke="{FILLS[0]}" '
                'stroke-width="2.5"/>'
            )
    for x, y, category, value in points:
        lines.append(
            f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{FILLS[0]}" '
            f'data-value="{value:g}"><title>{_text(f"{category}: {_number(value)}")}</title>'
            "</circle>"
        )
    keys = [(name, FILLS[0], False)]
    if tolerance is not None:
        keys.append((tolerance.label, "#c00000", True))
        _reference_line(lines, y_of(band), tolerance.label)
        _reference_line(lines, y_of(-band), tolerance.label)
    _legend(lines, keys)
    lines.append("</svg>")
    return "\n".join(lines)
