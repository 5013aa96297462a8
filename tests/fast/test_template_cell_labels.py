"""Every cell of every table with a header row carries its column's name (issue 19, item 6).

On a phone such tables become stacked cards (style.css) and a value is only understood by
the ``data-label`` shown before it, so a template that adds a cell without one fails here
rather than on somebody's phone. Tables without a header row (a batch's counts, an audit
entry's fields) label each value with their row's own header and are left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).parents[2] / "services" / "exchange" / "web" / "templates"
_TAG = re.compile(r"<(/?)(table|thead|td)(?=[\s>])([^>]*)>")


def _unlabelled(html: str) -> list[str]:
    """Cells of tables with a ``<thead>`` that have no ``data-label`` (innermost table counts)."""
    has_head: list[bool] = []  # the open tables, innermost last
    missing: list[str] = []
    for match in _TAG.finditer(html):
        closing, tag, attrs = match.groups()
        if tag == "table":
            if closing:
                has_head.pop()
            else:
                has_head.append(False)
        elif tag == "thead" and not closing and has_head:
            has_head[-1] = True
        elif tag == "td" and not closing and has_head and has_head[-1]:
            if "data-label=" not in attrs:
                missing.append(html[match.start() : match.end() + 40])
    return missing


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
)
def test_every_cell_has_its_columns_name(template: str) -> None:
    assert _unlabelled((TEMPLATES / template).read_text()) == []


def test_a_cell_without_its_name_is_found() -> None:
    html = "<table><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
    assert _unlabelled(html) == ["<td>1</td></tr></tbody></table>"]  # its first 40 characters
    labelled = html.replace("<td>", '<td data-label="A">')
    assert _unlabelled(labelled) == []
    key_value = "<table><tr><th scope=row>A</th><td>1</td></tr></table>"
    assert _unlabelled(key_value) == []
