"""Who is e-mailed a notice, in which language, and what the e-mail says.

A notice to a partner goes to its contacts that receive notices and have not turned its kind
off (``PartnerContact.notices``: the kinds they want, None for all), each in the contact's own
language. A notice to our staff (``party`` is our home code) goes to every enabled staff user
with an e-mail address, in the language on their account (English unless set), and to the
department's mailbox (``EXCHANGE_STAFF_EMAIL``) in Bahasa Indonesia. One address gets one
e-mail, whichever way it is listed.

The words come from the gettext catalogs: the subject per kind, the note from its message id
and values (an exchange's through ``web/history_notes.py``, a list's or a wish list's here, a
serial exchange's in ``serial_email_notices``), with
the language's own plural forms; the English ``note`` is the fallback for a note without an id.
Each e-mail names the exchange or the list (number, title, closing day) and links to the page
(the portal for partners, the staff pages for staff) and to the API resource.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from services.exchange.models import Exchange, Notice, Partner, PartnerContact, WebUser
from services.exchange.offer_models import OfferList
from services.exchange.schemas.partner_contacts import EXCHANGE_KINDS, KINDS, LIST_KINDS
from services.exchange.service.keys import PARTNER_ROLE
from services.exchange.service.notice_values import param_count, param_day
from services.exchange.service.serial_email_notices import (
    SERIAL_NOTES,
    SERIAL_SUBJECTS,
    serial_links,
    serial_subject,
)
from workflows.errors import N_

if TYPE_CHECKING:
    from services.exchange.web.i18n import Lang

# The kinds a contact may choose (kept with the contact's API shape, which validates them).
__all__ = ["EXCHANGE_KINDS", "KINDS", "LIST_KINDS", "has_recipients", "recipients"]
STAFF_MAILBOX_LANGUAGE = "id"
DEFAULT_LANGUAGE = "en"

_LOCALES = {"en": "en_GB", "id": "id_ID", "ru": "ru_RU"}

_SUBJECTS = {
    "proposal": N_("Exchange {number}: a new proposal"),
    "revision": N_("Exchange {number}: the proposal was revised"),
    "decision": N_("Exchange {number}: a decision"),
    "shipment": N_("Exchange {number}: shipped"),
    "receipt": N_("Exchange {number}: receipt recorded"),
    "claim": N_("Exchange {number}: a claim"),
    "cancellation": N_("Exchange {number}: cancelled"),
    "lost": N_("Exchange {number}: the shipment is lost"),
    "reminder": N_("Exchange {number}: a decision is due"),
    "expiry": N_("Exchange {number}: the proposal expired"),
    "marc_ready": N_("Exchange {number}: catalogue records are ready"),
    "completed": N_("Exchange {number}: completed"),
    "offer_list_published": N_("Offer list {number}: {title}"),
    "offer_list_closing": N_("Offer list {number} closes on {day}"),
    "offer_list_closed": N_("Offer list {number} is closed"),
    "offer_list_summary": N_("Offer list {number} is closed: who took what"),
    "selection_submitted": N_("Offer list {number}: a selection was submitted"),
    **SERIAL_SUBJECTS,
}


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    language: str
    name: str | None
    partner_id: int | None  # None: a staff address


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str
    html: str


def lang_for(code: str, timezone: str = "UTC") -> Lang:
    """A reader's ``Lang`` from a language code; an unknown code reads English."""
    # The pages' package, imported when an e-mail is written: the workflows' activities import
    # this module, and the pages import the workflows.
    from services.exchange.web.i18n import LANGUAGE_NAMES, Lang

    code = code if code in LANGUAGE_NAMES else DEFAULT_LANGUAGE
    return Lang(code=code, locale=_LOCALES[code], timezone=ZoneInfo(timezone))


def _wants(contact: PartnerContact, event: str) -> bool:
    return contact.receives_notices and (contact.notices is None or event in contact.notices)


def recipients(
    session: Session, party: str, event: str, home: str, staff_email: str | None = None
) -> list[Recipient]:
    """Every address the notice goes to, each once (the first listing of it decides)."""
    found: list[Recipient] = []
    if party == home:
        users = session.exec(
            select(WebUser)
            .where(
                col(WebUser.role) != PARTNER_ROLE,
                col(WebUser.disabled_at).is_(None),
                col(WebUser.email).is_not(None),
            )
            .order_by(col(WebUser.id))
        )
        for user in users:
            assert user.email is not None
            language = user.language or DEFAULT_LANGUAGE
            found.append(Recipient(user.email, language, user.display_name, None))
        if staff_email:
            found.append(Recipient(staff_email, STAFF_MAILBOX_LANGUAGE, None, None))
    else:
        partner = session.exec(select(Partner).where(col(Partner.code) == party)).first()
        if partner is not None:
            contacts = session.exec(
                select(PartnerContact)
                .where(col(PartnerContact.partner_id) == partner.id)
                .order_by(col(PartnerContact.id))
            )
            for contact in contacts:
                if _wants(contact, event):
                    found.append(
                        Recipient(contact.email, contact.language, contact.name, partner.id)
                    )
    seen: set[str] = set()
    unique: list[Recipient] = []
    for recipient in found:
        if recipient.address.lower() not in seen:
            seen.add(recipient.address.lower())
            unique.append(recipient)
    return unique


def has_recipients(
    session: Session, party: str, event: str, home: str, staff_email: str | None = None
) -> bool:
    """Whether the notice has anyone to e-mail (so whether a delivery is worth starting)."""
    return bool(recipients(session, party, event, home, staff_email))


# --- the notes of list and wish-list notices ------------------------------------------------


def _published(lang: Lang, p: Mapping[str, Any]) -> str:
    items = lang.ngettext("{n} item is offered", "{n} items are offered", param_count(p, "items"))
    return f"{items}; " + lang.gettext("select by {day}", day=param_day(lang, p.get("closes_on")))


def _closing(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext(
        "the list closes on {day}; submit your selection before then",
        day=param_day(lang, p.get("closes_on")),
    )


def _closed(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("the list is closed; items not selected stay with the offering library")


def _summary(lang: Lang, p: Mapping[str, Any]) -> str:
    partners = lang.ngettext(
        "{n} partner selected", "{n} partners selected", param_count(p, "partners")
    )
    taken = lang.ngettext(
        "{taken} of {n} copy taken",
        "{taken} of {n} copies taken",
        param_count(p, "copies_offered"),
        taken=lang.number(param_count(p, "copies_taken")),
    )
    return f"{partners}, {taken}"


def _selection(lang: Lang, p: Mapping[str, Any]) -> str:
    lines = lang.ngettext("{n} line", "{n} lines", param_count(p, "lines"))
    copies = lang.ngettext("{n} copy", "{n} copies", param_count(p, "copies"))
    if p.get("partner"):  # staff are told who selected
        return lang.gettext(
            "{partner} selected {lines}, {copies}",
            partner=str(p["partner"]),
            lines=lines,
            copies=copies,
        )
    return lang.gettext("selection: {lines}, {copies}", lines=lines, copies=copies)


def _hits(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.ngettext(
        "{n} item from your wish list is offered",
        "{n} items from your wish list are offered",
        param_count(p, "n", "items", "hits"),
    )


def _deposit_hits(lang: Lang, p: Mapping[str, Any]) -> str:
    text = lang.ngettext(
        "{n} item from your wish list is in our exchange fund",
        "{n} items from your wish list are in our exchange fund",
        param_count(p, "n", "items", "hits"),
    )
    return f"{text}: {p['title']}" if p.get("title") else text


LIST_NOTES: dict[str, Callable[[Lang, Mapping[str, Any]], str]] = {
    "offer_list_published": _published,
    "offer_list_closing": _closing,
    "offer_list_closed": _closed,
    "offer_list_summary": _summary,
    "offer_list_selection": _selection,
    "selection_submitted": _selection,
    "wishlist_hits": _hits,
    "wishlist_hits_list": _hits,
    "wishlist_hits_deposit": _deposit_hits,
    **SERIAL_NOTES,
}


def note_text(lang: Lang, notice: Notice) -> str:
    """The notice's note in the reader's language (the English words when it has no id)."""
    from services.exchange.web.history_notes import NOTE_IDS, render_note  # see lang_for

    renderer = LIST_NOTES.get(notice.note_id or "")
    if renderer is not None and notice.note_params is not None:
        try:
            return renderer(lang, notice.note_params)
        except (KeyError, TypeError, ValueError, IndexError):
            return notice.note or ""
    if (notice.note_id or "") in NOTE_IDS:
        return render_note(lang, notice)
    return notice.note or ""


# --- the message --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class About:
    """What the notice is about, read once per notice (not per address)."""

    exchange: Exchange | None
    offer_list: OfferList | None
    partner_name: str | None  # the notice's partner, or the list's offering partner


def about(session: Session, notice: Notice) -> About:
    exchange = session.get(Exchange, notice.exchange_id) if notice.exchange_id else None
    offer_list = session.get(OfferList, notice.offer_list_id) if notice.offer_list_id else None
    partner = session.exec(select(Partner).where(col(Partner.code) == notice.party)).first()
    name = partner.name if partner else None
    if partner is None and exchange is not None:
        theirs = session.get(Partner, exchange.partner_id)
        name = theirs.name if theirs else None
    if partner is None and offer_list is not None and offer_list.partner_id is not None:
        theirs = session.get(Partner, offer_list.partner_id)
        name = theirs.name if theirs else None
    return About(exchange, offer_list, name)


def _subject(lang: Lang, notice: Notice, what: About, day: str) -> str:
    number = ""
    if what.exchange is not None:
        number = what.exchange.number or what.exchange.id
    elif what.offer_list is not None:
        number = what.offer_list.number or what.offer_list.id
    if notice.event == "wishlist_hits":
        return _hits(lang, notice.note_params or {})
    serial = serial_subject(lang, notice)
    if serial is not None:
        return serial
    template = _SUBJECTS.get(notice.event)
    if template is None:
        return f"{number}: {notice.event}" if number else notice.event
    title = what.offer_list.title if what.offer_list else ""
    return lang.gettext(template, number=number, title=title, day=day)


def _links(base_url: str, notice: Notice, what: About, staff: bool) -> tuple[str, str]:
    """(the page, the API resource) the e-mail points to."""
    pages = base_url if staff else f"{base_url}/partner"
    if what.exchange is not None:
        ex_id = what.exchange.id
        return f"{pages}/exchanges/{ex_id}", f"{base_url}/api/v1/exchanges/{ex_id}"
    if what.offer_list is not None:
        list_id = what.offer_list.id
        return f"{pages}/offer-lists/{list_id}", f"{base_url}/api/v1/offer-lists/{list_id}"
    serial = serial_links(base_url, pages, notice)
    if serial is not None:
        return serial
    if notice.event == "wishlist_hits":
        api = f"{base_url}/api/v1/partners/{notice.party}/wishlist"
        return (f"{pages}/wishlist", api if not staff else f"{base_url}/api/v1/wishlist")
    return pages, f"{base_url}/api/v1"


def compose(
    lang: Lang,
    recipient: Recipient,
    notice: Notice,
    what: About,
    *,
    base_url: str,
    home_name: str,
) -> Message:
    """The e-mail in the recipient's language: subject, plain text, and the same as HTML."""
    staff = recipient.partner_id is None
    listed = what.offer_list
    day = lang.date(listed.closes_on) if listed else ""
    subject = _subject(lang, notice, what, day)
    page, api = _links(base_url, notice, what, staff)
    greeting = (
        lang.gettext("Dear {name},", name=recipient.name)
        if recipient.name
        else lang.gettext("Hello,")
    )
    rows: list[tuple[str, str]] = []
    if what.exchange is not None:
        rows.append((lang.gettext("Exchange"), what.exchange.number or what.exchange.id))
    if listed is not None:
        rows.append((lang.gettext("Offer list"), listed.number or listed.id))
        rows.append((lang.gettext("Title"), listed.title))
        rows.append((lang.gettext("Closes on"), day))
    if staff and what.partner_name:
        rows.append((lang.gettext("Partner"), what.partner_name))
    note = note_text(lang, notice)
    links = [(lang.gettext("Read it on the web"), page), (lang.gettext("In the API"), api)]
    footer = (
        lang.gettext("You receive this as staff of {home}.", home=home_name)
        if staff
        else lang.gettext(
            "You receive this as a contact of {partner} for exchanges with {home}.",
            partner=what.partner_name or notice.party,
            home=home_name,
        )
    )
    text_lines = [greeting, "", subject]
    if note and note != subject:
        text_lines += ["", note]
    text_lines.append("")
    text_lines += [f"{label}: {value}" for label, value in rows]
    text_lines.append("")
    text_lines += [f"{label}: {url}" for label, url in links]
    text_lines += ["", "-- ", footer, home_name]
    html_rows = "".join(
        f'<tr><th align="left">{escape(label)}</th><td>{escape(value)}</td></tr>'
        for label, value in rows
    )
    html_links = "".join(
        f'<li><a href="{escape(url, quote=True)}">{escape(label)}</a></li>' for label, url in links
    )
    note_html = f"<p>{escape(note)}</p>" if note and note != subject else ""
    html = (
        f'<!doctype html><html lang="{escape(lang.code)}"><body>'
        f"<p>{escape(greeting)}</p><p><strong>{escape(subject)}</strong></p>{note_html}"
        f"<table>{html_rows}</table><ul>{html_links}</ul>"
        f"<p><small>{escape(footer)}<br>{escape(home_name)}</small></p></body></html>"
    )
    return Message(subject=subject, text="\n".join(text_lines) + "\n", html=html)
