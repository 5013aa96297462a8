"""Writing records as MARC-in-JSON, the JSON form most MARC tools read.

The output is deterministic (fixed key order, no whitespace but a newline between
records, non-ASCII text as itself) so that writing the same record twice gives the
same bytes, which the round-trip guarantee depends on.
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any

import pymarc

from marc.binary_writer import parse_marc21


def to_marcjson(record: pymarc.Record) -> str:
    """One record as a compact MARC-in-JSON object."""
    fields: list[dict[str, Any]] = []
    for field in record.fields:
        if field.control_field:
            fields.append({field.tag: field.data or ""})
            continue
        fields.append(
            {
                field.tag: {
                    "ind1": field.indicator1,
                    "ind2": field.indicator2,
                    "subfields": [{code: value} for code, value in field.subfields],
                }
            }
        )
    document = {"leader": str(record.leader), "fields": fields}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def marcjson_collection(records: Iterable[bytes]) -> Iterator[bytes]:
    """Yield a JSON array of records as chunks: "[", one chunk per record, "]".

    ``records`` are UTF-8 MARC 21 records as written by ``to_marc21``, like the input
    of ``marcxml_collection``; one that cannot be decoded raises ValueError.
    """
    yield b"[\n"
    separator = b""
    for raw in records:
        yield separator + to_marcjson(parse_marc21(raw)).encode("utf-8")
        separator = b",\n"
    yield b"\n]\n"
