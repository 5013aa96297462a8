"""Who a batch's records come from, and what that partner's settings say about them.

A batch's partner is the partner of its exchange, else the partner that uploaded it (a
staff import of its own has none). Its character set decides how the file is read unless
the upload named one (settled when the batch is stored, so every chunk of one file is read
alike), and its heading form how the names of UNIMARC records become MARC 21 headings.
The ISIL and the RUSMARC format that go into converted records come from the uploader, as
they always have.

The source of the control numbers (``control_agency``) is the partner of an exchange it sends
us, whoever uploads its records: a record without 003 carries that partner's 001. It is the
partner's ISIL, else its code here (``partner:CODE``), so its numbers stay apart from others'.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

import marc
from services.exchange.models import Exchange, MarcBatch, Partner


@dataclass(frozen=True, slots=True)
class Source:
    """What the conversion of a batch's records needs to know of where they come from."""

    isil: str | None = None
    source_format: str | None = None
    heading_form: marc.HeadingForm | None = None
    # Whose 001 a record without 003 carries (``matching.record_keys``); None: not known.
    control_agency: str | None = None


INCOMING = "incoming"  # the stored direction of an exchange the partner sends


def control_agency(partner: Partner) -> str:
    return (partner.isil or "").strip() or f"partner:{partner.code}"


def source_of(session: Session, batch: MarcBatch) -> Source:
    uploader = None
    if not batch.uploaded_by.startswith("staff:"):
        uploader = session.exec(
            select(Partner).where(col(Partner.code) == batch.uploaded_by)
        ).first()
    owner = uploader
    agency = None
    if batch.exchange_id is not None:
        exchange = session.get(Exchange, batch.exchange_id)
        if exchange is not None:
            owner = session.get(Partner, exchange.partner_id)
            if owner is not None and exchange.direction == INCOMING:
                agency = control_agency(owner)
    return Source(
        isil=uploader.isil if uploader else None,
        source_format="rusmarc" if uploader and uploader.marc_format == "rusmarc" else None,
        heading_form=heading_form(owner.heading_form) if owner else None,
        control_agency=agency,
    )


def batch_encoding(
    upload: marc.TextEncoding | None, partner: Partner | None
) -> marc.TextEncoding | None:
    """The character set a batch is read in: the upload's, else its partner's, else none."""
    if upload is not None:
        return upload
    return text_encoding(partner.marc_encoding) if partner else None


def text_encoding(value: str | None) -> marc.TextEncoding | None:
    """A stored character set name as the reader takes it (only valid names are stored)."""
    return next((known for known in marc.TEXT_ENCODINGS if known == value), None)


def heading_form(value: str | None) -> marc.HeadingForm | None:
    return next((known for known in marc.HEADING_FORMS if known == value), None)
