"""Embedded fields: how UNIMARC puts whole fields inside a linking or subject field.

In a 4XX or 604 field, "$1" starts an embedded field: its tag and, for a data field,
its two indicators, followed by that field's own subfields up to the next "$1".
"""

import pymarc


def embedded_fields(
    source: pymarc.Field,
) -> list[tuple[str | None, str, list[tuple[str, str]]]]:
    """Split a field into its embedded fields ($1 tag, indicators, subfields).

    Subfields before the first $1 come as tag None. An embedded control field's data
    comes as a subfield with code "data".
    """
    groups: list[tuple[str | None, str, list[tuple[str, str]]]] = [(None, "", [])]
    for code, value in source.subfields:
        if code == "1":
            tag = value[:3]
            if tag.isdigit() and tag < "010":
                groups.append((tag, "", [("data", value[3:])]))
            else:
                groups.append((tag, value[3:5], []))
        else:
            groups[-1][2].append((code, value))
    return [group for group in groups if group[0] is not None or group[2]]
