"""Building one pymarc.Record from the parser events inside a MARCXML <record> element.

Kept apart from the reading loop because it holds the MARCXML-specific judgement: which
elements are MARC, what makes a record unusable, and how to tell a MARC record from a
look-alike such as an OAI-PMH <record> wrapper that holds no MARC fields at all.
"""

import pymarc

from marc.charsets import nfc
from marc.field_rules import is_control_tag, is_indicator, is_subfield_code, is_tag
from marc.record_parts import control_field, data_field, subfield

MARC_NAMESPACE = "http://www.loc.gov/MARC21/slim"
LEADER_LENGTH = 24
# A record's text and elements are held until its end tag; this caps what one record
# (a hostile one, say, with a gigabyte of subfields) may make the reader hold.
MAX_RECORD_SIZE = 4 << 20
_ELEMENT_COST = 32  # what an element costs against the cap, whatever its text

_TEXT_ELEMENTS = frozenset({"leader", "controlfield", "subfield"})
_OTHER = "#other"  # an element that is not part of the MARC structure


def is_marc_namespace(namespace: str | None) -> bool:
    """Un-namespaced elements count as MARC: many exports omit the namespace."""
    return namespace is None or namespace == MARC_NAMESPACE


def _unwrapped_leader(text: str) -> str:
    """Undo a pretty-printer that put the leader on its own indented line.

    Blanks are meaningful leader positions, so only a leader that holds a line break
    (never legitimate) is touched: its one line, right-aligned to 24 positions, is kept
    when what precedes those positions is indentation.
    """
    if "\n" not in text and "\r" not in text:
        return text
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and len(lines[0]) >= LEADER_LENGTH and not lines[0][:-LEADER_LENGTH].strip():
        return lines[0][-LEADER_LENGTH:]
    return text


class RecordBuilder:
    """Collects one record's content; ``outcome`` then gives the Record or a reason."""

    def __init__(
        self,
        offset: int,
        depth: int,
        *,
        namespaced: bool,
        parent_is_collection: bool,
        is_root: bool,
    ) -> None:
        self.offset = offset
        self.depth = depth
        self.holds_record = False  # set when another <record> opens inside this one
        self._namespaced = namespaced
        self._parent_is_collection = parent_is_collection
        self._is_root = is_root
        self._path: list[str] = []
        self._leader: str | None = None
        self._fields: list[pymarc.Field] = []
        self._problems: list[str] = []
        self._marc_children = False
        self._text: list[str] = []
        self._tag = ""
        self._indicators = ("", "")
        self._subfields: list[pymarc.Subfield] = []
        self._code: str | None = None
        self._size = 0

    def is_marc(self) -> bool:
        """Whether this element is a MARC record rather than a wrapper or look-alike."""
        if self.holds_record and not self._marc_children:
            return False
        return (
            self._namespaced or self._marc_children or self._parent_is_collection or self._is_root
        )

    def child_start(self, namespace: str | None, local: str, attrib: dict[str, str]) -> None:
        self._grow(_ELEMENT_COST)
        parent = self._path[-1] if self._path else None
        marc = is_marc_namespace(namespace)
        kind = _OTHER
        if parent is None:
            kind = self._record_child(namespace, local, attrib)
        elif parent == "datafield" and marc and local == "subfield":
            self._code = attrib.get("code")
            kind = "subfield"
        elif marc and parent != _OTHER:
            where = f"field {self._tag}" if parent in ("datafield", "subfield") else parent
            self._problems.append(f"unexpected element <{local}> inside <{where}>")
        if kind in _TEXT_ELEMENTS:
            self._text = []
        self._path.append(kind)

    def child_end(self) -> None:
        kind = self._path.pop()
        if kind == "leader":
            self._leader = _unwrapped_leader("".join(self._text))
        elif kind == "controlfield":
            self._add_control_field("".join(self._text))
        elif kind == "subfield":
            self._add_subfield("".join(self._text))
        elif kind == "datafield":
            self._add_data_field()

    def text(self, content: str) -> None:
        if self._path and self._path[-1] in _TEXT_ELEMENTS and self._grow(len(content)):
            self._text.append(content)

    def _grow(self, size: int) -> bool:
        """Count ``size`` against the cap; False once the record is over it."""
        self._size += size
        if self._size <= MAX_RECORD_SIZE:
            return True
        if self._size - size <= MAX_RECORD_SIZE:
            self._problems.append(
                f"the record holds more than {MAX_RECORD_SIZE} characters of MARC data, far "
                "more than a MARC record can"
            )
            self._fields.clear()
        return False

    def outcome(self) -> pymarc.Record | str:
        """The finished Record, or a sentence saying why there is none."""
        problems = self._problems
        if problems:
            more = len(problems) - 1
            return problems[0] + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")
        if self._leader is None:
            if not self._fields:
                return "the record is empty: it has no leader and no fields"
            return "the record has no leader"
        if len(self._leader) != LEADER_LENGTH:
            return (
                f"the leader is {len(self._leader)} characters long ('{self._leader}'); "
                f"MARC 21 requires {LEADER_LENGTH}"
            )
        if not self._fields:
            return "the record has no fields"
        record = pymarc.Record()
        record.leader = pymarc.Leader(self._leader)
        record.fields = list(self._fields)
        return record

    def _record_child(self, namespace: str | None, local: str, attrib: dict[str, str]) -> str:
        if not is_marc_namespace(namespace):
            return _OTHER
        if local == "leader":
            self._marc_children = True
            return "leader"
        if local == "controlfield":
            self._marc_children = True
            self._tag = self._checked_tag(attrib.get("tag"), "controlfield")
            return "controlfield"
        if local == "datafield":
            self._marc_children = True
            self._tag = self._checked_tag(attrib.get("tag"), "datafield")
            self._indicators = (attrib.get("ind1", " "), attrib.get("ind2", " "))
            self._subfields = []
            return "datafield"
        # Other children (an OAI-PMH header pasted into the record, say) carry no MARC
        # data, so they are skipped rather than costing the record.
        return _OTHER

    def _checked_tag(self, tag: str | None, element: str) -> str:
        if tag is None:
            self._problems.append(f"a {element} has no tag attribute")
            return ""
        tag = tag.strip()
        if tag.isdigit() and len(tag) < 3:
            tag = tag.zfill(3)  # some writers drop leading zeros: "42" is field 042
        if not is_tag(tag):
            self._problems.append(f"{element} tag '{tag}' is not 3 letters or digits")
        return tag

    def _add_control_field(self, data: str) -> None:
        if not self._tag:
            return
        if not is_control_tag(self._tag):
            self._problems.append(
                f"controlfield {self._tag} is not a control field: only tags 001-009 can "
                "hold data without subfields"
            )
            return
        if self._size <= MAX_RECORD_SIZE:
            self._fields.append(control_field(self._tag, nfc(data)))

    def _add_subfield(self, value: str) -> None:
        if self._code is None:
            self._problems.append(f"a subfield in field {self._tag} has no code attribute")
        elif not is_subfield_code(self._code):
            self._problems.append(
                f"subfield code '{self._code}' in field {self._tag} is not a single printable "
                "ASCII character"
            )
        else:
            self._subfields.append(subfield(self._code, nfc(value)))
        self._code = None

    def _add_data_field(self) -> None:
        if not self._tag:
            return
        if is_control_tag(self._tag):
            self._problems.append(f"datafield {self._tag} uses a control field tag (001-009)")
            return
        first, second = (value or " " for value in self._indicators)
        for indicator in (first, second):
            if not is_indicator(indicator):
                self._problems.append(
                    f"field {self._tag} has indicator '{indicator}', which is not a single "
                    "printable ASCII character"
                )
                return
        if self._size <= MAX_RECORD_SIZE:
            self._fields.append(data_field(self._tag, first, second, self._subfields))
