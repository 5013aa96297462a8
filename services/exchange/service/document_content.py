"""What each shipment paper holds: the two parties with their addresses, the agreement, the
lines with their values, the totals in figures and in words, the parcel, the signatories.

Read from the database as it is, the same for every reader (a partner's paper is the one we
print: the same HTML gives the same stored PDF, ``documents``). The papers list the accepted
copies; a shipment in several parcels is split over them in the lines' order, evenly by
copies (a line may go in two parcels). The date of a paper is the day of dispatch once the
exchange is shipped, else the day the lines were accepted, so that a paper printed again
next week is the same paper.

Totals in words come from ``num2words`` in the paper's language, with the currency's name
where it knows one (dollars, roubles, euro) and the code otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.exchange.models import Agreement, Exchange, ExchangeEvent, ExchangeLine, Partner
from services.exchange.schemas.exchanges import ShipmentOut
from services.exchange.service import actors, agreements
from services.exchange.service.partner_contacts import Party, parties
from services.exchange.settings import Settings
from workflows.exchange.types import ACCEPTED

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class PaperLine:
    """One accepted line (or its part in one parcel) as the papers print it."""

    number: int  # its number on the papers, from 1
    line_id: str
    title: str
    author: str
    year: int | None
    identifier: str  # ISBN, else ISSN
    copies: int
    unit_value: Decimal | None
    currency: str
    weight_grams: int | None  # of one copy
    received: int | None
    damaged: int | None
    old: bool = False  # published more than 50 years ago (``documents.old_lines``)
    volume: int | None = None  # a serial issue's (``dispatch_papers``): printed with the title
    numbers: str = ""  # a serial issue's number as printed ("5", "5/6"); empty for a book

    @property
    def id(self) -> str:  # as ``documents.old_lines`` reads a line
        return self.line_id

    @property
    def line_total(self) -> Decimal | None:
        return None if self.unit_value is None else (self.unit_value * self.copies)

    @property
    def total_weight(self) -> int | None:
        return None if self.weight_grams is None else self.weight_grams * self.copies


@dataclass(frozen=True, slots=True)
class Total:
    currency: str
    amount: Decimal
    words: str


@dataclass(frozen=True, slots=True)
class Signatory:
    name: str  # empty: a blank line to write it on
    post: str


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    signed_on: date
    valid_from: date
    valid_to: date


@dataclass(frozen=True, slots=True)
class Shipment:
    """An exchange with what its papers need, read once (``load``)."""

    exchange_id: str
    number: str
    state: str
    we_send: bool
    sender: Party
    recipient: Party
    sender_country: str
    recipient_country: str
    partner_languages: list[str]
    agreement: AgreementFacts | None
    lines: list[PaperLine]
    shipment: ShipmentOut | None
    received_on: date | None
    accepted_on: date | None
    ours: Signatory
    theirs: Signatory
    dispatch: bool = False  # a dispatch of serial issues (``dispatch_papers``), not an exchange

    @property
    def parcels(self) -> int:
        return (self.shipment.parcels or 1) if self.shipment else 1

    @property
    def international(self) -> bool:
        return self.sender_country != self.recipient_country

    @property
    def paper_date(self) -> date | None:
        return self.shipment.shipped_on if self.shipment else self.accepted_on


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper's content: what its template prints."""

    kind: str
    shipment: Shipment
    lines: list[PaperLine]
    totals: list[Total]
    copies: int
    weight_grams: int | None
    parcel: int  # 0: the whole shipment
    parcels: int
    old_count: int = 0

    @property
    def received_copies(self) -> int | None:
        """Copies received on these lines, once any receipt is recorded."""
        known = [line.received for line in self.lines if line.received is not None]
        return sum(known) if known else None


def amount_in_words(amount: Decimal, currency: str, lang: str) -> str:
    """``amount`` written out in ``lang``: the currency's name where num2words knows it (en,
    ru: dollars, roubles, euro), else the whole units in words, the code, and the cents."""
    amount = amount.quantize(CENT, ROUND_HALF_UP)
    if currency:
        try:
            return str(num2words(amount, lang=lang, to="currency", currency=currency))
        except (NotImplementedError, TypeError, KeyError):
            pass
    whole = int(amount)
    cents = int((amount - whole) * 100)
    words = str(num2words(whole, lang=lang))
    text = f"{words} {currency}".strip()
    return f"{text} {cents:02d}/100" if cents else text


def totals(lines: Sequence[PaperLine], lang: str) -> list[Total]:
    """The declared value per currency (lines without a value left out), in figures and words."""
    sums: dict[str, Decimal] = {}
    for line in lines:
        if line.line_total is not None:
            sums[line.currency] = sums.get(line.currency, Decimal(0)) + line.line_total
    return [
        Total(currency, amount, amount_in_words(amount, currency, lang))
        for currency, amount in sorted(sums.items())
    ]


def split(lines: Sequence[PaperLine], parcels: int) -> list[list[PaperLine]]:
    """The lines over ``parcels`` parcels in their order, evenly by copies: the first parcels
    take one copy more when the copies do not divide; a line may be split between two."""
    copies = sum(line.copies for line in lines)
    shares = [copies // parcels + (1 if n < copies % parcels else 0) for n in range(parcels)]
    out: list[list[PaperLine]] = [[] for _ in range(parcels)]
    parcel = 0
    for line in lines:
        left = line.copies
        while left:
            while parcel < parcels - 1 and shares[parcel] == 0:
                parcel += 1
            take = min(left, shares[parcel]) if parcel < parcels - 1 else left
            out[parcel].append(dataclasses.replace(line, copies=take))
            shares[parcel] -= take
            left -= take
    return out


def _paper_line(number: int, row: ExchangeLine) -> PaperLine:
    return PaperLine(
        number=number,
        line_id=row.id,
        title=row.title,
        author=row.author or "",
        year=row.year,
        identifier=row.isbn or row.issn or "",
        copies=row.accepted_quantity or 0,
        unit_value=row.unit_value,
        currency=row.currency or "",
        weight_grams=row.weight_grams,
        received=row.received,
        damaged=row.damaged,
    )


def agreement_on(session: Session, partner_id: int, on: date) -> AgreementFacts | None:
    """The agreement covering material exchange on the paper's day (``agreements.valid_on``,
    the rule every proposal is checked by), else the one signed last: a paper for a late
    dispatch still names the agreement it was made under."""
    chosen = (
        agreements.valid_on(session, partner_id, on)
        or session.exec(
            select(Agreement)
            .where(col(Agreement.partner_id) == partner_id)
            .order_by(col(Agreement.signed_on).desc(), col(Agreement.id).desc())
            .limit(1)
        ).first()
    )
    if chosen is None:
        return None
    return AgreementFacts(chosen.signed_on, chosen.valid_from, chosen.valid_to)


def our_signatory(session: Session, settings: Settings, acted: Sequence[str]) -> Signatory:
    """The settings' signatory; without one, the staff member who acted last of ``acted``
    (actors, in order; by name as a partner reads it, since the partner gets the same paper)."""
    if settings.signatory_name:
        return Signatory(settings.signatory_name, settings.signatory_post)
    staff = [actor for actor in acted if actor.startswith(actors.STAFF_PREFIX)]
    if not staff:
        return Signatory("", settings.signatory_post)
    found = actors.names(
        session.connection(),
        {staff[-1]},
        home_code=settings.home_code,
        home_name=settings.home_name,
        for_staff=False,
    )
    name = found.get(staff[-1], "")
    generic = name in actors.GENERIC_NAMES or name == settings.home_name
    return Signatory("" if generic else name, settings.signatory_post)


def _their_signatory(party: Party) -> Signatory:
    """A contact with a role (a head of exchange signs), else the first contact, else blank."""
    chosen = next((c for c in party.contacts if c.role), None) or next(iter(party.contacts), None)
    return Signatory(chosen.name, chosen.role or "") if chosen else Signatory("", "")


@dataclass(frozen=True, slots=True)
class Sides:
    """Who sends and who receives, where, and who signs for the partner."""

    sender: Party
    recipient: Party
    sender_country: str
    recipient_country: str
    partner_languages: list[str]
    theirs: Signatory


def sides(
    engine: Engine, settings: Settings, code: str, partner_country: str, *, we_send: bool
) -> Sides:
    """The two parties of a paper between us and partner ``code`` (an exchange's, a serial
    dispatch's): addresses, countries (the partner's postal one, else its record's), the
    languages of its contacts, and its signatory."""
    sender, recipient = parties(engine, settings, code, outgoing=we_send)
    theirs_party = recipient if we_send else sender
    their_country = theirs_party.country or partner_country
    home = settings.home_country.upper()
    return Sides(
        sender=sender,
        recipient=recipient,
        sender_country=home if we_send else their_country,
        recipient_country=their_country if we_send else home,
        partner_languages=[c.language for c in theirs_party.contacts],
        theirs=_their_signatory(theirs_party),
    )


def load(engine: Engine, settings: Settings, exchange_id: str) -> Shipment:
    """The exchange's papers' content; the caller checked that the reader may see it."""
    with Session(engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        partner = session.get(Partner, exchange.partner_id)
        assert partner is not None and partner.id is not None
        rows = session.exec(
            select(ExchangeLine)
            .where(col(ExchangeLine.exchange_id) == exchange_id)
            .order_by(col(ExchangeLine.position))
        ).all()
        events = list(
            session.exec(
                select(ExchangeEvent)
                .where(col(ExchangeEvent.exchange_id) == exchange_id)
                .order_by(col(ExchangeEvent.seq))
            )
        )
        shipment = ShipmentOut.model_validate(exchange.shipment) if exchange.shipment else None
        accepted_on = next((e.at.date() for e in events if e.state == ACCEPTED), None)
        on = shipment.shipped_on if shipment else accepted_on or date.today()
        agreement = agreement_on(session, partner.id, on)
        ours = our_signatory(session, settings, [event.actor for event in events])
        code, number, state = partner.code, exchange.number, exchange.state
        we_send = exchange.direction == "outgoing"
        partner_country = partner.country
        received_on = exchange.received_on
    accepted = [row for row in rows if row.accepted_quantity]
    both = sides(engine, settings, code, partner_country, we_send=we_send)
    return Shipment(
        exchange_id=exchange_id,
        number=number or exchange_id,
        state=state,
        we_send=we_send,
        sender=both.sender,
        recipient=both.recipient,
        sender_country=both.sender_country,
        recipient_country=both.recipient_country,
        partner_languages=both.partner_languages,
        agreement=agreement,
        lines=[_paper_line(n, row) for n, row in enumerate(accepted, start=1)],
        shipment=shipment,
        received_on=received_on,
        accepted_on=accepted_on,
        ours=ours,
        theirs=both.theirs,
    )


def paper(shipment: Shipment, kind: str, lang: str, parcel: int, old_ids: set[str]) -> Paper:
    """One paper of the shipment: the lines of the whole shipment (``parcel`` 0) or of one
    parcel, the lines published too long ago flagged (``old_ids``), and the totals."""
    lines = [dataclasses.replace(line, old=line.line_id in old_ids) for line in shipment.lines]
    if parcel:
        lines = split(lines, shipment.parcels)[parcel - 1]
    weights = [line.total_weight for line in lines if line.total_weight is not None]
    return Paper(
        kind=kind,
        shipment=shipment,
        lines=lines,
        totals=totals(lines, lang),
        copies=sum(line.copies for line in lines),
        weight_grams=sum(weights) if weights else None,
        parcel=parcel,
        parcels=shipment.parcels,
        old_count=sum(1 for line in lines if line.old),
    )
