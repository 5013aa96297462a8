"""What every UNIMARC field conversion is given, and the shape of a conversion."""

from collections.abc import Callable
from dataclasses import dataclass, field

import pymarc

from marc.crosswalk_table import FROM_IND1, FROM_IND2, FieldMapping


@dataclass
class Context:
    """What a field's conversion needs to know about the rest of the record."""

    has_main_entry: bool
    language_of_cataloguing: str
    source_isil: str | None
    cataloguing_sources: list[pymarc.Field]
    source_format: str
    keep_whole: bool = False  # set by a conversion that could not use part of the field
    done: set[str] = field(default_factory=set)


Conversion = Callable[[pymarc.Field, FieldMapping, Context], list[pymarc.Field]]


def indicator(spec: str, source: pymarc.Field) -> str:
    if spec == FROM_IND1:
        return source.indicator1
    if spec == FROM_IND2:
        return source.indicator2
    return spec if len(spec) == 1 else " "
