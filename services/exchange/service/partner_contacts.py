"""A partner's postal addresses and contacts, and the two parties of an exchange on paper.

Staff with the admin or acquisitions role keep them (the API's routes and the staff pages check
the role before calling here); a partner reads its own, and nobody else's exists for it. Each
change is written to the audit as a change to the partner, in the same transaction.

``parties`` is what a packing list prints: both libraries by name, with the address a parcel
goes to (the recipient's shipping address when it has one, else its postal one) or comes from
(the sender's postal address), and the partner's contacts. Our own library's name and address
come from the settings (``EXCHANGE_HOME_NAME``, ``EXCHANGE_HOME_ADDRESS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from services.exchange.models import Partner, PartnerAddress, PartnerContact
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.partner_contacts import (
    AddressIn,
    AddressOut,
    AddressPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
)
from services.exchange.service import audit
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope

POSTAL = "postal"
SHIPPING = "shipping"

Row = TypeVar("Row", PartnerAddress, PartnerContact)
Out = TypeVar("Out", AddressOut, ContactOut)


def _lines(text: str) -> str:
    """The address as printed: each line stripped, blank lines dropped, newlines between."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _address_out(row: PartnerAddress) -> AddressOut:
    return AddressOut(id=row.id or 0, kind=row.kind, lines=row.lines, country=row.country)


def _contact_out(row: PartnerContact) -> ContactOut:
    return ContactOut.model_validate({**row.model_dump(), "id": row.id or 0})


def _rows(session: Session, model: type[Row], partner_id: int | None) -> list[Row]:
    return list(
        session.exec(
            select(model).where(col(model.partner_id) == partner_id).order_by(col(model.id))
        )
    )


def _own_row(session: Session, model: type[Row], partner: Partner, row_id: int) -> Row:
    row = session.get(model, row_id)
    if row is None or row.partner_id != partner.id:
        what = "address" if model is PartnerAddress else "contact"
        raise not_found(f"{what} {row_id} of partner {partner.code}")
    return row


def _audit(
    session: Session,
    caller: Caller,
    partner: Partner,
    what: str,
    before: SQLModel | None,
    after: SQLModel | None,
) -> None:
    """The partner changed: its ``what`` (address or contact) was added, changed or removed."""

    def fields(row: SQLModel | None) -> dict[str, Any] | None:
        if row is None:
            return None
        values = row.model_dump(exclude={"partner_id"})
        return {f"{what}.{name}": value for name, value in values.items()}

    audit.changed(
        session, caller, audit.PARTNER, partner.code, audit.UPDATED, fields(before), fields(after)
    )


def _changes(body: AddressPatch | ContactPatch, required: tuple[str, ...]) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for name in required:
        if name in changes and changes[name] is None:
            raise Problem(422, "validation-error", f"{name}: cannot be removed")
    return changes


# --- addresses ---------------------------------------------------------------------------


def list_addresses(engine: Engine, caller: Caller, code: str) -> list[AddressOut]:
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
        return [_address_out(row) for row in _rows(session, PartnerAddress, partner.id)]


def add_address(engine: Engine, caller: Caller, code: str, body: AddressIn) -> AddressOut:
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        assert partner.id is not None
        row = PartnerAddress(
            partner_id=partner.id, kind=body.kind, lines=_lines(body.lines), country=body.country
        )
        session.add(row)
        session.flush()
        _audit(session, caller, partner, "address", None, row)
        return _address_out(row)


def update_address(
    engine: Engine, caller: Caller, code: str, address_id: int, body: AddressPatch
) -> AddressOut:
    changes = _changes(body, ("kind", "lines", "country"))
    if "lines" in changes:
        changes["lines"] = _lines(changes["lines"])
    return _update(
        engine, caller, code, PartnerAddress, "address", address_id, changes, _address_out
    )


def remove_address(engine: Engine, caller: Caller, code: str, address_id: int) -> None:
    _remove(engine, caller, code, PartnerAddress, "address", address_id)


# --- contacts ----------------------------------------------------------------------------


def list_contacts(engine: Engine, caller: Caller, code: str) -> list[ContactOut]:
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
        return [_contact_out(row) for row in _rows(session, PartnerContact, partner.id)]


def add_contact(engine: Engine, caller: Caller, code: str, body: ContactIn) -> ContactOut:
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        assert partner.id is not None
        row = PartnerContact(partner_id=partner.id, **body.model_dump())
        session.add(row)
        session.flush()
        _audit(session, caller, partner, "contact", None, row)
        return _contact_out(row)


def update_contact(
    engine: Engine, caller: Caller, code: str, contact_id: int, body: ContactPatch
) -> ContactOut:
    changes = _changes(body, ("name", "email", "language", "receives_notices"))
    return _update(
        engine, caller, code, PartnerContact, "contact", contact_id, changes, _contact_out
    )


def remove_contact(engine: Engine, caller: Caller, code: str, contact_id: int) -> None:
    _remove(engine, caller, code, PartnerContact, "contact", contact_id)


def _update(
    engine: Engine,
    caller: Caller,
    code: str,
    model: type[Row],
    what: str,
    row_id: int,
    changes: dict[str, Any],
    out: Callable[[Row], Out],
) -> Out:
    """Change one address or contact of the partner, audited with its fields before and after;
    ``out`` reads the changed row while its session is open."""
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        row = _own_row(session, model, partner, row_id)
        before = row.model_copy()
        for name, value in changes.items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
        _audit(session, caller, partner, what, before, row)
        return out(row)


def _remove(
    engine: Engine, caller: Caller, code: str, model: type[Row], what: str, row_id: int
) -> None:
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        row = _own_row(session, model, partner, row_id)
        _audit(session, caller, partner, what, row.model_copy(), None)
        session.delete(row)


# --- the two parties on paper ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    """One side of an exchange as a packing list prints it."""

    name: str
    address: list[str] = field(default_factory=list)  # its lines; empty: none recorded
    country: str | None = None
    contacts: list[ContactOut] = field(default_factory=list)


def _pick(addresses: list[PartnerAddress], first_choice: str) -> PartnerAddress | None:
    for kind in (first_choice, POSTAL, SHIPPING):
        for row in addresses:
            if row.kind == kind:
                return row
    return addresses[0] if addresses else None


def parties(engine: Engine, settings: Settings, code: str, outgoing: bool) -> tuple[Party, Party]:
    """(sender, recipient) of an exchange with partner ``code``; ``outgoing``: we send.

    Only for a reader who may see the exchange (the caller checked that already).
    """
    with Session(engine) as session:
        partner = session.exec(select(Partner).where(col(Partner.code) == code)).one()
        addresses = _rows(session, PartnerAddress, partner.id)
        contacts = [_contact_out(row) for row in _rows(session, PartnerContact, partner.id)]
    # A parcel goes to the recipient's shipping address; the sender's postal one is on it too.
    chosen = _pick(addresses, SHIPPING if outgoing else POSTAL)
    theirs = Party(
        name=partner.name,
        address=chosen.lines.splitlines() if chosen else [],
        country=chosen.country if chosen else None,
        contacts=contacts,
    )
    ours = Party(name=settings.home_name, address=settings.home_address_lines)
    return (ours, theirs) if outgoing else (theirs, ours)
