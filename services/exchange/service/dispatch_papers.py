"""A serial dispatch's papers as PDF: its packing list, and its transfer act when its issues
carry a value, in English, Russian or Bahasa Indonesia.

A dispatch is a shipment whose lines are serial issues, so its papers are the shipment papers
(``documents.paper_template``, ``document_content``, ``templates/documents/``): the same two
parties with their addresses (``document_content.sides``), the same agreement and signatories,
one line per issue with its title, ISSN, volume and number, year and copies, valued at its
title's unit value. Who may read them is the dispatch's rule (``serial_dispatches``: staff
every dispatch, the partner its own once sent; 404 otherwise).

They are not stored with the dispatch: ``exchange_document`` belongs to an exchange (its
``exchange_id`` is required and refers to ``exchange``), and a dispatch is none. The PDF is
kept in the file cache of ``pdf.render_pdf`` instead, by the digest of its HTML: asked for
again unchanged, it is given from there; once the dispatch changes (sent, received) its HTML
differs and it is made again.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.exchange.models import Partner
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.documents import PaperLanguage
from services.exchange.schemas.serials import DispatchOut, IssueOut
from services.exchange.serial_models import SerialDispatch, SerialTitle
from services.exchange.service import document_content, documents, pdf, serial_dispatches
from services.exchange.service.document_content import PaperLine, Shipment
from services.exchange.service.keys import Caller
from services.exchange.settings import Settings
from services.exchange.web.i18n import N_

DispatchPaperKind = Literal["packing-list", "transfer-act"]
DISPATCH_PAPER_KINDS: tuple[DispatchPaperKind, ...] = ("packing-list", "transfer-act")
NO_VALUE = N_("a transfer act can be had once the issues of the parcel carry a value")


def _line(number: int, issue: IssueOut, title: SerialTitle) -> PaperLine:
    received = issue.received_on is not None
    return PaperLine(
        number=number,
        line_id=f"serial-issue-{issue.id}",
        title=title.title,
        author="",
        year=issue.year,
        identifier=title.issn,
        copies=issue.copies_expected,
        unit_value=title.unit_value,
        currency=title.currency or "",
        weight_grams=None,
        received=issue.copies_received if received else None,
        damaged=issue.damaged if received else None,
        volume=issue.volume,
        numbers=issue.numbers,
    )


def _shipment(engine: Engine, settings: Settings, found: DispatchOut) -> Shipment:
    """The dispatch as the papers read a shipment: we send, in one parcel, on its day (the
    day it was sent, else the day it was made)."""
    with Session(engine) as session:
        partner = session.exec(select(Partner).where(col(Partner.code) == found.partner)).one()
        assert partner.id is not None
        row = session.get(SerialDispatch, found.id)
        assert row is not None
        titles = {
            t.id: t
            for t in session.exec(
                select(SerialTitle).where(
                    col(SerialTitle.id).in_({i.serial_id for i in found.issues})
                )
            )
        }
        made_on = found.created_at.astimezone(ZoneInfo(settings.timezone)).date()
        day = found.sent_on or made_on
        agreement = document_content.agreement_on(session, partner.id, day)
        ours = document_content.our_signatory(session, settings, [row.created_by])
        session.expunge_all()
    issues = sorted(found.issues, key=lambda i: (titles[i.serial_id].title, i.year, i.seq))
    both = document_content.sides(engine, settings, partner.code, partner.country, we_send=True)
    number = found.number or str(found.id)
    return Shipment(
        exchange_id=number,
        number=number,
        state=found.state,
        we_send=True,
        sender=both.sender,
        recipient=both.recipient,
        sender_country=both.sender_country,
        recipient_country=both.recipient_country,
        partner_languages=both.partner_languages,
        agreement=agreement,
        lines=[_line(n, issue, titles[issue.serial_id]) for n, issue in enumerate(issues, 1)],
        shipment=None,
        received_on=found.confirmed_on,
        accepted_on=day,
        ours=ours,
        theirs=both.theirs,
        dispatch=True,
    )


def load(engine: Engine, settings: Settings, caller: Caller, dispatch_id: int) -> Shipment:
    """The dispatch's papers' content, if the caller may see the dispatch (else 404)."""
    found = serial_dispatches.get_dispatch(engine, caller, dispatch_id)
    return _shipment(engine, settings, found)


def kinds(shipment: Shipment) -> list[DispatchPaperKind]:
    """The papers the dispatch has: always its packing list; a transfer act once a line has
    a value (a title we send priced per issue)."""
    valued = any(line.unit_value is not None for line in shipment.lines)
    return [kind for kind in DISPATCH_PAPER_KINDS if kind == "packing-list" or valued]


def offered(
    engine: Engine, settings: Settings, caller: Caller, dispatch_id: int
) -> tuple[list[DispatchPaperKind], list[PaperLanguage]]:
    """What the pages link to: the papers and the languages (ours, the partner's, English)."""
    shipment = load(engine, settings, caller, dispatch_id)
    return kinds(shipment), documents.languages(shipment)


def paper_pdf(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    dispatch_id: int,
    kind: str,
    lang: PaperLanguage,
) -> tuple[bytes, str]:
    """The paper as PDF and its file name (``SD-2026-0003-packing-list-ru.pdf``); a 409
    problem for the transfer act of a parcel without values. The dispatch is looked for
    first, so that another partner's gets the 404 of a dispatch that does not exist whatever
    ``kind`` it asks for; a kind the dispatch never has is a 404 too. Blocking (WeasyPrint in
    a child process): the routes call it in a thread."""
    shipment = load(engine, settings, caller, dispatch_id)
    chosen = next((known for known in DISPATCH_PAPER_KINDS if known == kind), None)
    if chosen is None:
        raise not_found(
            N_("paper {kind} of serial dispatch {dispatch_id}").format(
                kind=kind, dispatch_id=dispatch_id
            )
        )
    if chosen not in kinds(shipment):
        raise Problem(409, "document-unavailable", NO_VALUE)
    template, context, reader = documents.paper_template(settings, shipment, chosen, lang, 0)
    data = pdf.render_pdf(template, context, reader, cache_dir=settings.data_dir / "documents")
    return data, f"{shipment.number}-{kind}-{lang}.pdf"
