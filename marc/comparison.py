"""Two records side by side, field by field, as a cataloguer compares an import with a match.

Fields are aligned by tag: the first 650 of one record faces the first 650 of the other, the
second the second, and so on; a field one record has and the other lacks faces nothing.
Each pair says whether it is the same, differs, or is on one side only. The leader is
compared too, without its length and base address (positions 0-4 and 12-16), which only
say how the record was written.
"""

from dataclasses import dataclass
from typing import Literal

import pymarc

Mark = Literal["same", "differs", "left_only", "right_only"]
_WRITING_POSITIONS = (slice(0, 5), slice(12, 17))


@dataclass(frozen=True, slots=True)
class FieldPair:
    tag: str
    left: str | None
    right: str | None
    mark: Mark


def field_text(field: pymarc.Field) -> str:
    """A field as cataloguers write it: indicators (blank as _), then $code value ..."""
    if field.is_control_field():
        return field.data or ""
    indicators = f"{field.indicator1 or ' '}{field.indicator2 or ' '}".replace(" ", "_")
    subfields = " ".join(f"${code} {value}" for code, value in field.subfields)
    return f"{indicators} {subfields}"


def _leader(record: pymarc.Record) -> str:
    text = list(str(record.leader))
    for part in _WRITING_POSITIONS:
        text[part] = "#" * len(text[part])
    return "".join(text)


def _mark(left: str | None, right: str | None) -> Mark:
    if left is None:
        return "right_only"
    if right is None:
        return "left_only"
    return "same" if left == right else "differs"


def compare(left: pymarc.Record, right: pymarc.Record) -> list[FieldPair]:
    """The two records' fields aligned by tag, in tag order (LDR first)."""
    pairs = [FieldPair("LDR", _leader(left), _leader(right), "same")]
    if pairs[0].left != pairs[0].right:
        pairs[0] = FieldPair("LDR", pairs[0].left, pairs[0].right, "differs")
    by_tag_left: dict[str, list[str]] = {}
    by_tag_right: dict[str, list[str]] = {}
    for record, by_tag in ((left, by_tag_left), (right, by_tag_right)):
        for field in record.fields:
            by_tag.setdefault(field.tag, []).append(field_text(field))
    for tag in sorted(set(by_tag_left) | set(by_tag_right)):
        lefts, rights = by_tag_left.get(tag, []), by_tag_right.get(tag, [])
        for n in range(max(len(lefts), len(rights))):
            a = lefts[n] if n < len(lefts) else None
            b = rights[n] if n < len(rights) else None
            pairs.append(FieldPair(tag, a, b, _mark(a, b)))
    return pairs
