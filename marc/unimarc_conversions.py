"""The conversions the crosswalk table names, looked up by name."""

from marc.unimarc_context import Conversion
from marc.unimarc_descriptions import edition, extent, publication, series, title, uniform_title
from marc.unimarc_links import link
from marc.unimarc_names import (
    corporate_name,
    family_name,
    name_title_subject,
    personal_name,
    subject,
)
from marc.unimarc_simple_fields import (
    cataloguing_source,
    contents,
    control_copy,
    control_number,
    country,
    fixed_data,
    language,
    persistent_identifier,
    subfields,
)

CONVERSIONS: dict[str, Conversion] = {
    "cataloguing_source": cataloguing_source,
    "contents": contents,
    "control_copy": control_copy,
    "control_number": control_number,
    "corporate_name": corporate_name,
    "country": country,
    "edition": edition,
    "extent": extent,
    "family_name": family_name,
    "fixed_data": fixed_data,
    "language": language,
    "link": link,
    "name_title_subject": name_title_subject,
    "persistent_identifier": persistent_identifier,
    "personal_name": personal_name,
    "publication": publication,
    "series": series,
    "subfields": subfields,
    "subject": subject,
    "title": title,
    "uniform_title": uniform_title,
}
