"""MARC records in and out of the exchange service: reading, converting, checking, writing.

Reading never stops at a bad record: every record in a file comes back either as a
ReadRecord (with its dialect, MARC 21 or UNIMARC, and flags for what the reader had to
work around) or as a RejectedRecord with a reason a cataloguer can act on and the
record's bytes. Only a file that is not MARC at all raises MarcFormatError. UNIMARC
records (RUSMARC, BELMARC included) become MARC 21 through one crosswalk table. This
package depends on nothing but the standard library, pymarc and defusedxml.
"""

from marc.binary_writer import parse_marc21, to_marc21
from marc.charsets import TEXT_ENCODINGS, TextEncoding
from marc.checking import Finding, check_record
from marc.conversion import to_marc21_record
from marc.detection import detect_format
from marc.errors import MarcFormatError
from marc.identifiers import (
    IdentifierFault,
    isbn_fault,
    isbn_problem,
    issn_fault,
    issn_problem,
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
    normalise_system_number,
    storable_isbn,
)
from marc.indexing import RecordIndex, index_record
from marc.marcjson_writer import marcjson_collection, to_marcjson
from marc.marcxml_writer import marcxml_collection, record_xml
from marc.outcomes import Dialect, MarcFormat, ReadRecord, RejectedRecord, ResumePoint
from marc.reading import read_records
from marc.unimarc_context import HEADING_FORMS, HeadingForm

__all__ = [
    "HEADING_FORMS",
    "TEXT_ENCODINGS",
    "Dialect",
    "Finding",
    "HeadingForm",
    "IdentifierFault",
    "MarcFormat",
    "MarcFormatError",
    "ReadRecord",
    "RecordIndex",
    "RejectedRecord",
    "ResumePoint",
    "TextEncoding",
    "check_record",
    "detect_format",
    "index_record",
    "isbn_fault",
    "isbn_problem",
    "issn_fault",
    "issn_problem",
    "marcjson_collection",
    "marcxml_collection",
    "normalise_isbn",
    "normalise_issn",
    "normalise_lccn",
    "normalise_system_number",
    "parse_marc21",
    "read_records",
    "record_xml",
    "storable_isbn",
    "to_marc21",
    "to_marc21_record",
    "to_marcjson",
]
