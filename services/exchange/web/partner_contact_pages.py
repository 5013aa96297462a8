"""The forms of a partner's page that keep its addresses and contacts (staff desk).

They take the same bodies and call the same service functions as
``/api/v1/partners/{code}/addresses`` and ``/contacts``, with the same role check
(``ACQUISITIONS_ROLES``: acquisitions staff and admins). A refused form comes back on the
partner's page filled in as it was sent, the reason beside the field; the page itself is
``staff_partners._partner_view``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from services.exchange.http.deps import ACQUISITIONS_ROLES, require_role
from services.exchange.problems import Problem
from services.exchange.schemas.common import INT32_MAX
from services.exchange.schemas.partner_contacts import (
    KINDS,
    AddressIn,
    AddressPatch,
    ContactIn,
    ContactPatch,
)
from services.exchange.service import partner_contacts
from services.exchange.service.users import SignedIn
from services.exchange.web.i18n import N_
from services.exchange.web.pages import (
    Flash,
    StaffUser,
    context,
    field,
    lang_for,
    posted_form,
    redirect,
)
from services.exchange.web.refusals import kept, mendable, refusal
from services.exchange.web.staff_partners import _partner_view

router = APIRouter(include_in_schema=False)
# A row's id in the address: a number the database's integer column can hold.
RowNumber = Annotated[int, Path(ge=1, le=INT32_MAX)]

# The forms' fields as the API names them, and their labels on the page.
ADDRESS_LABELS = {
    "kind": N_("Kind of address"),
    "lines": N_("Address (one line per line)"),
    "country": N_("Country"),
}
CONTACT_LABELS = {
    "name": N_("Name"),
    "email": N_("E-mail"),
    "language": N_("Language"),
    "role": N_("Role (optional)"),
    "receives_notices": N_("Tell them of each step"),
    "notices": N_("E-mail them these notices"),
}
# The notices a partner's contact may choose on the form (the staff-only ones left out).
CONTACT_KINDS = tuple(k for k in KINDS if k not in ("offer_list_summary", "selection_submitted"))


def _chosen_kinds(form: FormData) -> list[str] | None:
    """The ticked kinds; None (all, also kinds added later) when every one is ticked."""
    chosen = [str(k) for k in form.getlist("notices")]
    if form.get("notices_shown") != "yes" or set(CONTACT_KINDS) <= set(chosen):
        return None
    return chosen


def _address_fields(form: FormData) -> dict[str, Any]:
    return {
        "kind": field(form, "kind"),
        "lines": field(form, "lines"),
        "country": (field(form, "country") or "").upper() or None,
    }


def _contact_fields(form: FormData) -> dict[str, Any]:
    return {
        "name": field(form, "name"),
        "email": field(form, "email"),
        "language": field(form, "language"),
        "role": field(form, "role"),
        "receives_notices": form.get("receives_notices") == "yes",
        "notices": _chosen_kinds(form),
    }


async def _keep(
    request: Request,
    user: SignedIn,
    code: str,
    what: str,
    target: str,
    change: Callable[[FormData], BaseModel | None],
    done: str,
) -> Response:
    """Post one change to an address or contact (``what``); ``target`` names the form on
    the page ("new" or the row's id), so a refusal comes back beside the right fields."""
    form = await posted_form(request, user)
    back = f"/partners/{code}#{what}es" if what == "address" else f"/partners/{code}#{what}s"
    try:
        require_role(user.caller, *ACQUISITIONS_ROLES)
    except Problem as exc:
        return redirect(back, Flash("error", exc.detail), request)
    labels = ADDRESS_LABELS if what == "address" else CONTACT_LABELS
    try:
        await asyncio.to_thread(change, form)
    except (Problem, ValidationError) as exc:
        if not mendable(exc):
            raise
        sent: dict[str, Any] = kept(form, *labels)
        if what == "contact":
            sent["receives_notices"] = form.get("receives_notices") == "yes"
            sent["notices"] = _chosen_kinds(form)
        return await _partner_view(
            code,
            request,
            user,
            status_code=exc.status if isinstance(exc, Problem) else 422,
            **{
                f"{what}_refused": refusal(lang_for(request), exc, labels),
                f"{what}_sent": sent,
                f"{what}_target": target,
            },
        )
    return redirect(back, Flash("ok", done), request)


@router.post("/partners/{code}/addresses")
async def add_address(code: str, request: Request, user: StaffUser) -> Response:
    engine = context(request).engine

    def change(form: FormData) -> BaseModel:
        body = AddressIn.model_validate(_address_fields(form))
        return partner_contacts.add_address(engine, user.caller, code, body)

    return await _keep(request, user, code, "address", "new", change, N_("Address added."))


@router.post("/partners/{code}/addresses/{address_id}")
async def update_address(
    code: str, address_id: RowNumber, request: Request, user: StaffUser
) -> Response:
    engine = context(request).engine

    def change(form: FormData) -> BaseModel:
        body = AddressPatch.model_validate(_address_fields(form))
        return partner_contacts.update_address(engine, user.caller, code, address_id, body)

    return await _keep(
        request, user, code, "address", str(address_id), change, N_("Address saved.")
    )


@router.post("/partners/{code}/addresses/{address_id}/remove")
async def remove_address(
    code: str, address_id: RowNumber, request: Request, user: StaffUser
) -> Response:
    engine = context(request).engine

    def change(_form: FormData) -> None:
        partner_contacts.remove_address(engine, user.caller, code, address_id)

    return await _keep(
        request, user, code, "address", str(address_id), change, N_("Address removed.")
    )


@router.post("/partners/{code}/contacts")
async def add_contact(code: str, request: Request, user: StaffUser) -> Response:
    engine = context(request).engine

    def change(form: FormData) -> BaseModel:
        body = ContactIn.model_validate(_contact_fields(form))
        return partner_contacts.add_contact(engine, user.caller, code, body)

    return await _keep(request, user, code, "contact", "new", change, N_("Contact added."))


@router.post("/partners/{code}/contacts/{contact_id}")
async def update_contact(
    code: str, contact_id: RowNumber, request: Request, user: StaffUser
) -> Response:
    engine = context(request).engine

    def change(form: FormData) -> BaseModel:
        body = ContactPatch.model_validate(_contact_fields(form))
        return partner_contacts.update_contact(engine, user.caller, code, contact_id, body)

    return await _keep(
        request, user, code, "contact", str(contact_id), change, N_("Contact saved.")
    )


@router.post("/partners/{code}/contacts/{contact_id}/remove")
async def remove_contact(
    code: str, contact_id: RowNumber, request: Request, user: StaffUser
) -> Response:
    engine = context(request).engine

    def change(_form: FormData) -> None:
        partner_contacts.remove_contact(engine, user.caller, code, contact_id)

    return await _keep(
        request, user, code, "contact", str(contact_id), change, N_("Contact removed.")
    )
