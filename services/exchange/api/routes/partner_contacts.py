"""A partner's postal addresses and contacts, under its path and the ``partners`` tag.

Admins and acquisitions staff keep them; a partner's key reads its own (and cannot change
them: what we print on parcels and whom we write to is ours to keep right).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AcquisitionsDep, AcquisitionsOrPartnerDep, ContextDep
from services.exchange.schemas.common import INT32_MAX
from services.exchange.schemas.partner_contacts import (
    AddressIn,
    AddressOut,
    AddressPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
)
from services.exchange.service import partner_contacts

router = APIRouter(prefix="/partners/{code}", tags=["partners"], responses=PROBLEMS)

# Path values are text: a plain int (RowId is strict, for JSON bodies) with RowId's bounds.
AddressId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The address's id, from the list")]
ContactId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The contact's id, from the list")]


@router.get("/addresses")
def list_addresses(
    code: str, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> list[AddressOut]:
    """The partner's addresses, oldest first; a packing list prints the shipping or postal one."""
    return partner_contacts.list_addresses(ctx.engine, caller, code)


@router.post("/addresses", status_code=status.HTTP_201_CREATED)
def add_address(code: str, body: AddressIn, ctx: ContextDep, caller: AcquisitionsDep) -> AddressOut:
    """Add an address: its lines as printed, and its country (ISO 3166-1 alpha-2)."""
    return partner_contacts.add_address(ctx.engine, caller, code, body)


@router.patch("/addresses/{address_id}")
def update_address(
    code: str, address_id: AddressId, body: AddressPatch, ctx: ContextDep, caller: AcquisitionsDep
) -> AddressOut:
    """Change what the body names; the other fields stay."""
    return partner_contacts.update_address(ctx.engine, caller, code, address_id, body)


@router.delete("/addresses/{address_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_address(
    code: str, address_id: AddressId, ctx: ContextDep, caller: AcquisitionsDep
) -> Response:
    """Remove an address."""
    partner_contacts.remove_address(ctx.engine, caller, code, address_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/contacts")
def list_contacts(code: str, ctx: ContextDep, caller: AcquisitionsOrPartnerDep) -> list[ContactOut]:
    """The people at the partner we write to, with their e-mail and language; oldest first."""
    return partner_contacts.list_contacts(ctx.engine, caller, code)


@router.post("/contacts", status_code=status.HTTP_201_CREATED)
def add_contact(code: str, body: ContactIn, ctx: ContextDep, caller: AcquisitionsDep) -> ContactOut:
    """Add a contact: a name, an e-mail address and the language we write in (en, ru, id)."""
    return partner_contacts.add_contact(ctx.engine, caller, code, body)


@router.patch("/contacts/{contact_id}")
def update_contact(
    code: str, contact_id: ContactId, body: ContactPatch, ctx: ContextDep, caller: AcquisitionsDep
) -> ContactOut:
    """Change what the body names; the other fields stay."""
    return partner_contacts.update_contact(ctx.engine, caller, code, contact_id, body)


@router.delete("/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_contact(
    code: str, contact_id: ContactId, ctx: ContextDep, caller: AcquisitionsDep
) -> Response:
    """Remove a contact."""
    partner_contacts.remove_contact(ctx.engine, caller, code, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
