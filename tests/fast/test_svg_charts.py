"""The server-drawn charts: well-formed SVG that names itself, bars in proportion to their
figures, the tolerance drawn at + and -, and every text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.exchange.service import svg_charts
from services.exchange.service.svg_charts import Reference, Series

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]


def test_bars_are_in_proportion_and_the_chart_names_itself() -> None:
    svg = svg_charts.bar_chart(
        "Copies per year",
        ["2024", "2025", "2026"],
        [Series("Sent", [10, 40, 0]), Series("Received", [20, 5, 30])],
    )
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Copies per year"
    assert root.findtext(f"{SVG}title") == "Copies per year"
    assert "<script" not in svg
    bars = _bars(root)
    assert [b.get("data-value") for b in bars] == ["10", "20", "40", "5", "0", "30"]
    heights = {b.get("data-value"): float(b.get("height") or "nan") for b in bars}
    assert heights["0"] == 0
    assert abs(heights["40"] / heights["10"] - 4) < 0.01
    assert abs(heights["30"] / heights["5"] - 6) < 0.01
    # All bars stand on the same baseline, and each says its figure to a screen reader.
    bottoms = {round(float(b.get("y") or 0) + float(b.get("height") or 0), 1) for b in bars}
    assert len(bottoms) == 1
    assert bars[2].findtext(f"{SVG}title") == "2025: Sent 40"
    assert not [line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-reference"]


def test_the_quota_is_a_dashed_line_at_its_height() -> None:
    svg = svg_charts.bar_chart(
        "Copies", ["2026"], [Series("Sent", [50])], Reference(100, "Yearly quota")
    )
    root = _parse(svg)
    (quota,) = [line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-reference"]
    (bar,) = _bars(root)
    baseline = float(bar.get("y") or 0) + float(bar.get("height") or 0)
    quota_height = baseline - float(quota.get("y1") or 0)
    assert abs(quota_height / float(bar.get("height") or 1) - 2) < 0.01, "100 is twice 50"
    assert quota.get("stroke-dasharray") and quota.findtext(f"{SVG}title") == "Yearly quota"


def test_the_balance_line_has_the_tolerance_at_plus_and_minus() -> None:
    svg = svg_charts.line_chart(
        "Running balance",
        ["2022", "2023", "2024", "2025", "2026"],
        "Balance",
        [5, -12, None, 30, 18],
        Reference(20, "Tolerance: ±20"),
    )
    root = _parse(svg)
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "chart-point"]
    assert [p.get("data-value") for p in points] == ["5", "-12", "30", "18"]
    lines = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "chart-balance"]
    assert len(lines) == 2, "the year without a balance breaks the line"
    band = [line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-reference"]
    assert len(band) == 2
    top, bottom = sorted(float(line.get("y1") or 0) for line in band)
    y = {p.get("data-value"): float(p.get("cy") or 0) for p in points}
    zero = (top + bottom) / 2  # the band is even about zero
    assert y["30"] < top < y["18"] < y["5"] < zero < y["-12"] < bottom
    assert abs((zero - y["18"]) / (zero - top) - 18 / 20) < 0.01


def test_every_text_is_escaped() -> None:
    nasty = "Perpustakaan <b>\"&\"</b> 'x'"
    svg = svg_charts.bar_chart(nasty, [nasty], [Series(nasty, [3])], Reference(2, nasty))
    root = _parse(svg)
    assert root.get("aria-label") == nasty
    assert root.findtext(f"{SVG}title") == nasty
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert nasty in texts
    assert "<b>" not in svg
    line = svg_charts.line_chart(nasty, [nasty], nasty, [1], Reference(1, nasty))
    assert _parse(line).get("aria-label") == nasty and "<b>" not in line


def test_nice_ceilings() -> None:
    assert [svg_charts.nice_ceiling(v) for v in (0, 1, 3, 7, 12, 26, 480, 501)] == [
        1,
        1,
        5,
        10,
        20,
        50,
        500,
        1000,
    ]
