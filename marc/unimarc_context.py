"""What every UNIMARC field conversion is given, and the shape of a conversion."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

import pymarc

from marc.crosswalk_table import FROM_IND1, FROM_IND2, FieldMapping

# How name headings are formed. "national": as the Russian State Library writes them in
# MARC 21 (full forenames of $g in $a, no punctuation between subfields, a relator term
# in $e beside $4); "lc": as the Library of Congress's UNIMARC to MARC 21 specification
# says ($g in parentheses in $q, commas before $c and $d, $4 only).
HeadingForm = Literal["national", "lc"]
HEADING_FORMS: tuple[HeadingForm, ...] = get_args(HeadingForm)


@dataclass
class Context:
    """What a field's conversion needs to know about the rest of the record."""

    has_main_entry: bool
    language_of_cataloguing: str
    source_isil: str | None
    cataloguing_sources: list[pymarc.Field]
    source_format: str
    heading_form: HeadingForm = "lc"
    keep_whole: bool = False  # set by a conversion that could not use part of the field
    done: set[str] = field(default_factory=set)


Conversion = Callable[[pymarc.Field, FieldMapping, Context], list[pymarc.Field]]


def indicator(spec: str, source: pymarc.Field) -> str:
    if spec == FROM_IND1:
        return source.indicator1
    if spec == FROM_IND2:
        return source.indicator2
    return spec if len(spec) == 1 else " "
