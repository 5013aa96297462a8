"""Converting a record to MARC 21: UNIMARC (RUSMARC, BELMARC) by the crosswalk table.

Nothing of the source is dropped. Fields the table maps are converted; a field the
table does not know, a field with a subfield its row does not list, and the fields
whose coded positions MARC 21 cannot all hold (the leader, 100, 105, 106, 110, 801)
are also kept whole in 886 (foreign MARC information field), which MARC 21 defines
for exactly this: $2 names the source format, $a the tag, $b the indicators (or a
control field's data), and the source subfields follow with their own codes.

Name headings are formed as the partner's national library forms them (RUSMARC and
BELMARC: the Russian State Library's MARC 21 form) or as the Library of Congress's
conversion specification says (every other UNIMARC); the caller may choose either.
"""

import pymarc

from marc.crosswalk_table import ALSO_KEPT, BY_SOURCE, FieldMapping
from marc.dialects import national_format
from marc.outcomes import Dialect
from marc.record_parts import control_field, data_field, subfield
from marc.unimarc_context import HEADING_FORMS, Context, HeadingForm
from marc.unimarc_conversions import CONVERSIONS
from marc.unimarc_fixed import marc21_008, marc21_leader

_MAIN_ENTRY_SOURCES = ("700", "710", "720")
# The source subfield codes each row uses; a field with any other is also kept in 886.
_LISTED = {
    source: frozenset(code for code, _ in row.subfields) for source, row in BY_SOURCE.items()
}
_UNIT_SEPARATOR_SYMBOL = "\u241f"  # shows a 0x1F in a control field kept in 886 $b


def to_marc21_record(
    record: pymarc.Record,
    dialect: Dialect,
    *,
    source_isil: str | None = None,
    source_format: str | None = None,
    heading_form: HeadingForm | None = None,
) -> pymarc.Record:
    """The MARC 21 form of ``record``; a MARC 21 record is returned as it is.

    ``source_isil`` is the partner's ISIL: with it the source's control number is also
    kept as 035 "(ISIL)number" and 003. ``source_format`` is the code written to 886
    $2 (default: the format named in 801 $2, such as "rusmarc", else "unimarc").
    ``heading_form`` is "national" or "lc" (see HeadingForm); left out, it is
    "national" for RUSMARC and BELMARC (named in ``source_format`` or 801 $2, or made
    by an agency in Russia or Belarus, as 801 $a says) and "lc" for other UNIMARC.
    The result is a new record; ``record`` is not changed.
    """
    if heading_form is not None and heading_form not in HEADING_FORMS:
        raise ValueError(
            f"heading_form is {heading_form!r}; it must be one of {', '.join(HEADING_FORMS)}"
        )
    if dialect == "marc21":
        return record
    if heading_form is None:
        heading_form = "national" if national_format(record, source_format) else "lc"
    return _Conversion(record, source_isil, source_format, heading_form).run()


class _Conversion:
    def __init__(
        self,
        record: pymarc.Record,
        source_isil: str | None,
        source_format: str | None,
        heading_form: HeadingForm,
    ) -> None:
        self._record = record
        sources = record.get_fields("801")
        named = [value.strip().lower() for f in sources for value in f.get_subfields("2")]
        general = _first_value(record, "100").ljust(36)
        self._context = Context(
            has_main_entry=any(record.get_fields(*_MAIN_ENTRY_SOURCES)),
            language_of_cataloguing=general[22:25].strip().lower(),
            source_isil=(source_isil or "").strip() or None,
            cataloguing_sources=sources,
            source_format=source_format or next((name for name in named if name), "unimarc"),
            heading_form=heading_form,
        )

    def run(self) -> pymarc.Record:
        source = self._record
        leader = marc21_leader(str(source.leader))
        converted: list[pymarc.Field] = []
        kept: list[pymarc.Field] = []
        for field in source.fields:
            mapping = BY_SOURCE.get(field.tag)
            if mapping is None:
                kept.append(field)
                continue
            fields, whole = self._convert(field, mapping)
            converted += fields
            if whole or field.tag in ALSO_KEPT:
                kept.append(field)
        result = pymarc.Record()
        result.leader = pymarc.Leader(leader)
        control = [field for field in converted if field.control_field]
        data = [field for field in converted if not field.control_field]
        control.append(control_field("008", marc21_008(source, leader)))
        control.sort(key=lambda field: field.tag)
        data.sort(key=lambda field: field.tag)
        foreign = [self._leader_kept(str(source.leader))]
        foreign += [self._kept(field) for field in kept]
        result.fields = control + data + foreign
        return result

    def _convert(
        self, field: pymarc.Field, mapping: FieldMapping
    ) -> tuple[list[pymarc.Field], bool]:
        """The field's conversion, and whether the source must also be kept whole."""
        context = self._context
        context.keep_whole = False
        try:
            fields = CONVERSIONS[mapping.conversion](field, mapping, context)
        except Exception:  # one odd field must not cost the record; 886 keeps it
            return [], True
        listed = _LISTED[mapping.source]
        if "1" in listed:  # embedded fields: the conversion judges their subfields itself
            return fields, context.keep_whole
        unlisted = any(code not in listed for code, _ in field.subfields)
        return fields, context.keep_whole or unlisted

    def _leader_kept(self, leader: str) -> pymarc.Field:
        return data_field(
            "886",
            "0",
            " ",
            [
                subfield("2", self._context.source_format),
                subfield("a", "000"),
                subfield("b", leader),
            ],
        )

    def _kept(self, field: pymarc.Field) -> pymarc.Field:
        head = [subfield("2", self._context.source_format), subfield("a", field.tag)]
        if field.control_field:
            data = (field.data or "").replace("\x1f", _UNIT_SEPARATOR_SYMBOL)
            return data_field("886", "1", " ", [*head, subfield("b", data)])
        indicators = field.indicator1 + field.indicator2
        rest = [subfield(code, value) for code, value in field.subfields]
        return data_field("886", "2", " ", [*head, subfield("b", indicators), *rest])


def _first_value(record: pymarc.Record, tag: str) -> str:
    for field in record.get_fields(tag):
        for value in field.get_subfields("a"):
            return value
    return ""
