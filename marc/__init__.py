"""MARC records in and out of the exchange service: reading uploads, indexing, exporting.

Reading never stops at a bad record: every record in a file comes back either as a
ReadRecord or as a RejectedRecord with a reason a cataloguer can act on. Only a file
that is not MARC at all raises MarcFormatError. This package depends on nothing but the
standard library, pymarc and defusedxml.
"""

from marc.binary_writer import parse_marc21, to_marc21
from marc.detection import detect_format
from marc.errors import MarcFormatError
from marc.identifiers import normalise_isbn, normalise_issn
from marc.indexing import RecordIndex, index_record
from marc.marcxml_writer import marcxml_collection
from marc.outcomes import MarcFormat, ReadRecord, RejectedRecord
from marc.reading import read_records

__all__ = [
    "MarcFormat",
    "MarcFormatError",
    "ReadRecord",
    "RecordIndex",
    "RejectedRecord",
    "detect_format",
    "index_record",
    "marcxml_collection",
    "normalise_isbn",
    "normalise_issn",
    "parse_marc21",
    "read_records",
    "to_marc21",
]
