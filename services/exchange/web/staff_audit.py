"""The audit page (admins): who changed partners, agreements, keys, users and deposits.

The entries and their filters come from ``service/audit.py``, as ``GET /api/v1/audit`` gives
them; this page only turns codes into words in the reader's language and shows each change as
a table of the fields that differ.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.exchange.http.deps import require_role
from services.exchange.service import actors, audit
from services.exchange.web.exchange_pages import PAGE_SIZE
from services.exchange.web.i18n import N_, Lang
from services.exchange.web.pages import StaffUser, context, lang_for, page_base, render

router = APIRouter(include_in_schema=False)

ENTITY_LABELS = {
    audit.PARTNER: N_("Partner library"),
    audit.AGREEMENT: N_("Agreement"),
    audit.KEY: N_("API key"),
    audit.USER: N_("User"),
    audit.DEPOSIT: N_("Deposit"),
    audit.OFFER_LIST: N_("Offer list"),
    audit.EXCHANGE_RATE: N_("Exchange rate"),
    audit.SERIAL_TITLE: N_("Serial title"),
}
ACTION_LABELS = {
    audit.CREATED: N_("created"),
    audit.UPDATED: N_("changed"),
    audit.REVOKED: N_("revoked"),
    audit.DISABLED: N_("disabled"),
    audit.DEPOSITED: N_("copies deposited"),
    audit.SECRET_RENEWED: N_("new webhook secret"),
    audit.PASSWORD_CHANGED: N_("new password"),
    audit.PUBLISHED: N_("published"),
    audit.CLOSED: N_("closed"),
    audit.WITHDRAWN: N_("withdrawn"),
    audit.DELETED: N_("deleted"),
    audit.ENDED: N_("ended"),
    audit.REVIEWED: N_("reviewed"),
}
# The fields an entry may hold, in words; one not named here is shown by its name.
FIELD_LABELS = {
    "code": N_("Code"),
    "name": N_("Name"),
    "country": N_("Country"),
    "isil": N_("ISIL"),
    "marc_format": N_("MARC format"),
    "marc_encoding": N_("Character set of its MARC files"),
    "heading_form": N_("Name headings"),
    "webhook_url": N_("Webhook address"),
    "partner": N_("Partner"),
    "signed_on": N_("Signed on"),
    "valid_from": N_("Valid from"),
    "valid_to": N_("Valid to"),
    "programmes": N_("Programmes"),
    "response_days": N_("Days to respond"),
    "receipt_days": N_("Days to receive"),
    "yearly_quota": N_("Yearly quota"),
    "balance_model": N_("Balance model"),
    "currency": N_("Currency"),
    "tolerance": N_("Tolerance"),
    "rate": N_("Rate"),
    "to_currency": N_("Into currency"),
    "recorded_by": N_("Recorded by"),
    "recorded_at": N_("Recorded"),
    # Offer lists and serial titles.
    "state": N_("State"),
    "direction": N_("Direction"),
    "copies": N_("Copies"),
    "note": N_("Note"),
    "number": N_("Number"),
    "closes_on": N_("Closing day"),
    "published_at": N_("Published on"),
    "closed_at": N_("Closed on"),
    "created_by": N_("Made by"),
    "closed_by": N_("Closed by"),
    "all_partners": N_("To every partner"),
    "frequency": N_("Frequency"),
    "numbering": N_("Numbering"),
    "issues_per_year": N_("Issues a year"),
    "months": N_("Months"),
    "combined": N_("Double issues"),
    "volume_start": N_("First volume"),
    "volume_each_year": N_("A new volume each year"),
    "restart_yearly": N_("Numbers restart each year"),
    "issue_start": N_("First number"),
    "first_year": N_("First year"),
    "claim_after_days": N_("Days before a claim"),
    "second_claim_days": N_("Days before the second claim"),
    "unit_value": N_("Value of one copy"),
    "confirmed_year": N_("Confirmed for"),
    "ended_on": N_("Ended on"),
    "end_reason": N_("Why it ended"),
    "role": N_("Role"),
    "label": N_("Label"),
    "expires_at": N_("Expires"),
    "revoked_at": N_("Revoked"),
    "username": N_("User name"),
    "display_name": N_("Name shown"),
    "disabled_at": N_("Disabled"),
    "title": N_("Title"),
    "isbn": N_("ISBN"),
    "issn": N_("ISSN"),
    "author": N_("Author"),
    "publisher": N_("Publisher"),
    "year": N_("Year"),
    "control_number": N_("Control number"),
    "copies_deposited": N_("Copies deposited"),
    "copies_received": N_("Deposited"),
    "copies_retained": N_("Kept"),
    "copies_reserved": N_("Reserved"),
    "copies_shipped": N_("Shipped"),
}
# Row ids and times the entry itself already says; a closed list's summary (who took what)
# is on the list's own page.
HIDDEN_FIELDS = frozenset(
    {"id", "partner_id", "created_at", "updated_at", "successor_id", "summary"}
)


# Codes stored as values, in words, for the fields that hold them.
VALUE_LABELS = {
    "programmes": {
        "material_exchange": N_("Exchange of publications"),
        "digital_exchange": N_("Digital exchange"),
    },
    "heading_form": {"national": N_("national form"), "lc": N_("LC form")},
    "balance_model": {
        "blanket": N_("blanket exchange (no balance kept)"),
        "pieces": N_("piece for piece"),
        "titles": N_("title for title"),
        "value": N_("equal value"),
    },
    "address.kind": {"postal": N_("postal"), "shipping": N_("for parcels")},
    "state": {
        "draft": N_("draft"),
        "published": N_("published"),
        "closed": N_("closed"),
        "withdrawn": N_("withdrawn"),
        "active": N_("active"),
        "ended": N_("ended"),
        "ceased": N_("ceased"),
    },
    "direction": {"incoming": N_("we receive"), "outgoing": N_("we send")},
    "end_reason": {
        "not_wanted": N_("no longer wanted"),
        "ceased": N_("the title ceased"),
        "renamed": N_("continued under a new title"),
        "not_confirmed": N_("not confirmed for the next year"),
    },
    "role": {
        "admin": N_("administrator"),
        "acquisitions": N_("acquisitions"),
        "cataloguer": N_("cataloguer"),
        "partner": N_("partner library"),
    },
}
# Counts, written in the reader's locale (30.000); years and ids are not counts.
_COUNTS = frozenset(
    {"yearly_quota", "response_days", "receipt_days", "claim_after_days", "second_claim_days"}
)


def shown_value(lang: Lang, name: str, value: object) -> str:
    """A value from ``before`` or ``after`` as the reader reads it: dates and counts in their
    locale, lists joined, yes and no in words, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return lang.gettext("yes") if value else lang.gettext("no")
    if isinstance(value, int | float):
        counted = name.startswith("copies") or name in _COUNTS
        return lang.number(value) if counted else str(value)
    if isinstance(value, list):
        return ", ".join(shown_value(lang, name, v) for v in value)
    if isinstance(value, dict):  # a serial's frequency or numbering: each part named
        return "; ".join(
            f"{lang.gettext(FIELD_LABELS[key]) if key in FIELD_LABELS else key}: "
            f"{shown_value(lang, key, part)}"
            for key, part in value.items()
        )
    text = str(value)
    if text in VALUE_LABELS.get(name, {}):
        return lang.gettext(VALUE_LABELS[name][text])
    if len(text) == 10:
        try:
            return lang.date(date.fromisoformat(text))
        except ValueError:
            return text
    if len(text) > 18 and text[10:11] == "T":
        try:
            return lang.datetime(datetime.fromisoformat(text))
        except ValueError:
            return text
    return text


def _day(value: str | None) -> date | None:
    """A day from the filter form; one that cannot be read is no filter."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or date(1950, 1, 1) <= day <= date(2200, 12, 31) else None


@router.get("/audit")
async def audit_page(
    request: Request,
    user: StaffUser,
    entity: str | None = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: str | None = None,
    until: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    require_role(user.caller)  # admins only: the trail names everyone who changed anything
    ctx = context(request)
    query = audit.AuditQuery(
        entity=entity if entity in audit.ENTITIES else None,
        actor=(actor or "").strip() or None,
        since=_day(since),
        until=_day(until),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    found = await asyncio.to_thread(audit.entries, ctx.engine, query)
    unnamed = {e.actor for e in found.items if not e.actor_name and e.actor != audit.SYSTEM}

    def look_up() -> dict[str, str]:
        with ctx.engine.connect() as conn:
            home = ctx.settings
            return actors.names(conn, unnamed, home_code=home.home_code, home_name=home.home_name)

    # Who acted without a name written down (an API key without a label): named as today.
    names = await asyncio.to_thread(look_up) if unnamed else {}
    lang = lang_for(request)
    return render(
        request,
        "staff/audit.html",
        user,
        found=found,
        query=query,
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        base=page_base(request, "/audit"),
        entities=ENTITY_LABELS,
        actions=ACTION_LABELS,
        field_labels=FIELD_LABELS,
        hidden=HIDDEN_FIELDS,
        system=audit.SYSTEM,
        names=names,
        shown=lambda name, value: shown_value(lang, name, value),
    )
