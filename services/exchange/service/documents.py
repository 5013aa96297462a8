"""The papers every shipment needs, as PDF: transfer act, packing list (whole or per parcel),
customs declaration content and receipt confirmation, in English, Russian or Indonesian.

Both sides download them (a partner only its own exchanges': 404 otherwise). The transfer act,
the packing list and the customs content can be had once lines are accepted, whichever side
sends; the receipt confirmation once the exchange is shipped; before that a 409 problem says
why. The customs content is needed only when the parcel crosses a border (the two countries
differ), and can be downloaded anyway.

Each paper is kept in ``exchange_document`` (per kind, language and parcel) with a digest of
its HTML: asked for again, the HTML is made (cheap) and, when it is the same, the stored PDF
is given without laying it out again (seconds in WeasyPrint); when the shipment changed (a
receipt recorded, other parcels) the PDF is made again and replaces the stored one.

The age rule (``old_lines``) is here and only here: a line published more than 50 years
before this year may need an export permit (Russia treats printed matter over 50 years old as
cultural property). The papers and the pages flag such lines; the service warns, it does not
decide.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.balance_models import ExchangeDocument
from services.exchange.models import Exchange
from services.exchange.problems import Problem
from services.exchange.schemas.documents import (
    DOCUMENT_KINDS,
    AgeWarningOut,
    DocumentKind,
    DocumentOut,
    DocumentsOut,
    PaperLanguage,
)
from services.exchange.service import document_content, pdf
from services.exchange.service.access import visible
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_pdf import document_lang
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from services.exchange.web.countries import country_names
from services.exchange.web.i18n import N_, Lang
from workflows.exchange.types import (
    ACCEPTED,
    CATALOGUED,
    COMPLETED,
    LOST,
    RECEIVED,
    SHIPPED,
)

OLD_AFTER_YEARS = 50
PAPER_LANGUAGES: tuple[PaperLanguage, ...] = ("en", "ru", "id")
HOME_LANGUAGE: PaperLanguage = "id"
SHIPPED_STATES = frozenset({SHIPPED, RECEIVED, CATALOGUED, COMPLETED, LOST})
ACCEPTED_STATES = SHIPPED_STATES | {ACCEPTED}
TEMPLATES: dict[DocumentKind, str] = {
    "transfer-act": "documents/transfer_act.html",
    "packing-list": "documents/packing_list.html",
    "customs": "documents/customs.html",
    "receipt": "documents/receipt.html",
}
TITLES: dict[DocumentKind, str] = {
    "transfer-act": N_("Transfer act"),
    "packing-list": N_("Packing list"),
    "customs": N_("Customs declaration content"),
    "receipt": N_("Receipt confirmation"),
}


class DatedLine(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def year(self) -> int | None: ...


def old_lines(lines: Sequence[DatedLine], today: date) -> list[AgeWarningOut]:
    """The lines published more than 50 years before ``today``'s year, numbered as listed:
    they may need an export permit. The one place of this rule."""
    return [
        AgeWarningOut(
            line_id=line.id,
            position=position,
            title=line.title,
            year=line.year,
            age=today.year - line.year,
        )
        for position, line in enumerate(lines, start=1)
        if line.year is not None and today.year - line.year > OLD_AFTER_YEARS
    ]


def _today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def _exchange_id(engine: Engine, caller: Caller, exchange_id: str) -> str:
    """The exchange by its id or its number, if the caller is one of its sides (else 404)."""
    with Session(engine) as session:
        if session.get(Exchange, exchange_id) is None:
            found = session.exec(
                select(Exchange.id).where(col(Exchange.number) == exchange_id.upper())
            ).first()
            exchange_id = found or exchange_id
        exchange, _ = visible(session, caller, exchange_id)
        return exchange.id


def unavailable_reason(kind: DocumentKind, state: str) -> str | None:
    """Why ``kind`` cannot be had in ``state`` (English, for the API), or None."""
    if kind == "receipt":
        if state not in SHIPPED_STATES:
            return N_("the receipt confirmation can be had once the exchange is shipped")
        return None
    if state not in ACCEPTED_STATES:
        return N_("the papers of a shipment can be had once its lines are accepted")
    return None


def languages(shipment: document_content.Shipment) -> list[PaperLanguage]:
    """Ours (Indonesian), the partner's (its contacts' languages we print in), and English."""
    chosen: list[PaperLanguage] = [HOME_LANGUAGE]
    for code in [*shipment.partner_languages, "en"]:
        for known in PAPER_LANGUAGES:
            if code == known and known not in chosen:
                chosen.append(known)
    return chosen


def list_documents(
    engine: Engine, settings: Settings, caller: Caller, exchange_id: str
) -> DocumentsOut:
    """Every paper of the exchange with whether it can be had now, and the age warnings."""
    exchange_id = _exchange_id(engine, caller, exchange_id)
    shipment = document_content.load(engine, settings, exchange_id)
    base = f"/api/v1/exchanges/{exchange_id}/documents"
    documents = []
    for kind in DOCUMENT_KINDS:
        reason = unavailable_reason(kind, shipment.state)
        parcels = [0]
        if kind == "packing-list" and shipment.parcels > 1:
            parcels += list(range(1, shipment.parcels + 1))
        documents.append(
            DocumentOut(
                kind=kind,
                available=reason is None,
                reason=reason,
                needed=kind != "customs" or shipment.international,
                parcels=parcels,
                url=f"{base}/{kind}.pdf",
            )
        )
    return DocumentsOut(
        exchange_id=exchange_id,
        number=shipment.number,
        languages=languages(shipment),
        parcels=shipment.parcels,
        documents=documents,
        age_warnings=old_lines(shipment.lines, _today(settings)),
    )


def paper_template(
    settings: Settings,
    shipment: document_content.Shipment,
    kind: DocumentKind,
    lang: PaperLanguage,
    parcel: int,
) -> tuple[str, dict[str, Any], Lang]:
    """The paper's template, what it prints and its reader's language: one place for an
    exchange's papers and a serial dispatch's (``dispatch_papers``)."""
    reader = document_lang(lang, settings)
    old = {w.line_id for w in old_lines(shipment.lines, _today(settings))}
    content = document_content.paper(shipment, kind, lang, parcel, old)
    title = reader.gettext(TITLES[kind])
    context = {
        "paper": content,
        "x": shipment,
        "title": title,
        "countries": country_names(reader),
        "running_title": pdf.css_string(f"{title} · {shipment.number}"),
    }
    return TEMPLATES[kind], context, reader


def render_document(
    settings: Settings,
    shipment: document_content.Shipment,
    kind: DocumentKind,
    lang: PaperLanguage,
    parcel: int,
) -> str:
    """The paper as HTML in ``lang``: what is stored is the PDF of exactly this."""
    return pdf.render_html(*paper_template(settings, shipment, kind, lang, parcel))


def document_pdf(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    exchange_id: str,
    kind: DocumentKind,
    lang: PaperLanguage,
    parcel: int = 0,
) -> tuple[bytes, str]:
    """The paper as PDF and its file name (``EX-2026-0042-packing-list-2-ru.pdf``): the
    stored one when its HTML is unchanged, else made now and stored. Blocking (WeasyPrint in
    a child process): the routes call it in a thread."""
    exchange_id = _exchange_id(engine, caller, exchange_id)
    shipment = document_content.load(engine, settings, exchange_id)
    reason = unavailable_reason(kind, shipment.state)
    if reason is not None:
        raise Problem(409, "document-unavailable", reason)
    if parcel and kind != "packing-list":
        raise Problem(422, "validation-error", N_("parcel: only the packing list comes per parcel"))
    if not 0 <= parcel <= shipment.parcels:
        raise Problem(
            422,
            "validation-error",
            N_("parcel: the shipment has {parcels} parcels").format(parcels=shipment.parcels),
        )
    html = render_document(settings, shipment, kind, lang, parcel)
    fingerprint = hashlib.sha256(html.encode()).hexdigest()
    part = f"-{parcel}" if parcel else ""
    filename = f"{shipment.number}-{kind}{part}-{lang}.pdf"
    stored = _stored(engine, exchange_id, kind, lang, parcel)
    if stored is not None and stored.fingerprint == fingerprint:
        return stored.pdf, filename
    data = pdf.html_to_pdf(html)
    _store(engine, exchange_id, kind, lang, parcel, fingerprint, data)
    return data, filename


def _stored(
    engine: Engine, exchange_id: str, kind: str, lang: str, parcel: int
) -> ExchangeDocument | None:
    with Session(engine) as session:
        return session.exec(
            select(ExchangeDocument).where(
                col(ExchangeDocument.exchange_id) == exchange_id,
                col(ExchangeDocument.kind) == kind,
                col(ExchangeDocument.lang) == lang,
                col(ExchangeDocument.parcel) == parcel,
            )
        ).first()


def _store(
    engine: Engine,
    exchange_id: str,
    kind: str,
    lang: str,
    parcel: int,
    fingerprint: str,
    data: bytes,
) -> None:
    """Keep the paper, replacing what was kept; two requests at once both succeed (the
    second one's insert finds the first one's row and updates it)."""
    for _attempt in range(2):
        try:
            with session_scope(engine) as session:
                row = session.exec(
                    select(ExchangeDocument).where(
                        col(ExchangeDocument.exchange_id) == exchange_id,
                        col(ExchangeDocument.kind) == kind,
                        col(ExchangeDocument.lang) == lang,
                        col(ExchangeDocument.parcel) == parcel,
                    )
                ).first()
                if row is None:
                    row = ExchangeDocument(
                        exchange_id=exchange_id, kind=kind, lang=lang, parcel=parcel,
                        fingerprint=fingerprint, pdf=data, created_at=datetime.now(UTC),
                    )  # fmt: skip
                else:
                    row.fingerprint, row.pdf, row.created_at = fingerprint, data, datetime.now(UTC)
                session.add(row)
            return
        except IntegrityError:
            continue
