"""History notes in the reader's language, from their message id and values.

The exchange workflow records each note as English text (for the API, notices and webhooks)
and as a message id with its values (``workflows.exchange.notes.Note``): here each id becomes
catalog messages, with the language's plural forms and numbers and dates in the reader's
locale. People's own words (a decline reason) have no id and are shown as written, and so are
the rows recorded before notes had ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Protocol

from services.exchange.web.i18n import N_, Lang
from services.exchange.web.server_text import translate


class HistoryRow(Protocol):
    note: str | None
    note_id: str | None
    note_params: dict[str, Any] | None


def _count(p: Mapping[str, Any], name: str) -> int:
    value = p.get(name, 0)
    return value if isinstance(value, int) else 0


def _day(lang: Lang, value: object) -> str:
    try:
        return lang.date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _offer(lang: Lang, p: Mapping[str, Any]) -> str:
    lines = lang.ngettext("{n} line", "{n} lines", _count(p, "lines"))
    return f"{lines}, {lang.ngettext('{n} copy', '{n} copies', _count(p, 'copies'))}"


def _revised(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("revised: {offer}", offer=_offer(lang, p))


def _proposal(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.ngettext("{n} line offered", "{n} lines offered", _count(p, "lines"))


def _revision(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.ngettext("{n} line offered now", "{n} lines offered now", _count(p, "lines"))


def _acceptance(lang: Lang, p: Mapping[str, Any]) -> str:
    lines = lang.ngettext(
        "{accepted} of {n} line",
        "{accepted} of {n} lines",
        _count(p, "offered"),
        accepted=lang.number(_count(p, "lines")),
    )
    return f"{lines}, {lang.ngettext('{n} copy', '{n} copies', _count(p, 'copies'))}"


def _accepted(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("accepted: {what}", what=_acceptance(lang, p))


def _declined(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("declined: {reason}", reason=p.get("reason", ""))


def _shipment(lang: Lang, p: Mapping[str, Any]) -> str:
    carrier = str(p.get("carrier", ""))
    if p.get("tracking"):
        tracking = str(p["tracking"])
        return lang.gettext("{carrier}, tracking {tracking}", carrier=carrier, tracking=tracking)
    return carrier


def _receipt(lang: Lang, p: Mapping[str, Any]) -> str:
    text = lang.ngettext(
        "{received} of {n} copy received",
        "{received} of {n} copies received",
        _count(p, "expected"),
        received=lang.number(_count(p, "received")),
    )
    if _count(p, "damaged"):
        text += ", " + lang.ngettext("{n} damaged", "{n} damaged", _count(p, "damaged"))
    return text


def _claim_answer(lang: Lang, p: Mapping[str, Any]) -> str:
    if p.get("outcome") == "written_off":
        text = lang.gettext("{claim_no}: written off", **_str(p, "claim_no"))
    else:
        text = lang.gettext("{claim_no}: resent", **_str(p, "claim_no"))
    return text + (f" ({p['note']})" if p.get("note") else "")


def _resent_arrived(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("{claim_no}: resent copies arrived", **_str(p, "claim_no"))


def _loss(lang: Lang, p: Mapping[str, Any]) -> str:
    n = _count(p, "claims")
    return lang.ngettext("no receipt after {n} claim", "no receipt after {n} claims", n)


def _reminder(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("a decision is due by {day}", day=_day(lang, p.get("day")))


def _expiry(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("no decision by {day}", day=_day(lang, p.get("day")))


_DEADLINES = {
    "respond_by": N_(
        "The decision deadline cannot be counted: no reminder and no expiry; the proposal "
        "waits for a decision or a cancellation."
    ),
    "receipt": N_(
        "The receipt deadline cannot be counted: no overdue claims; the exchange waits for "
        "the recipient's receipt."
    ),
    "claim_interval": N_(
        "The time for a second claim cannot be counted: no second claim; the exchange waits "
        "for the recipient's receipt."
    ),
}


def _deadline(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext(_DEADLINES.get(str(p.get("deadline")), _DEADLINES["claim_interval"]))


def _overdue(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext(
        "receipt overdue: claim {count} ({claim_no})",
        count=lang.number(_count(p, "count")),
        **_str(p, "claim_no"),
    )


def _uploaded(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext("batch {batch}", **_str(p, "batch"))


def _import_failed(lang: Lang, p: Mapping[str, Any]) -> str:
    error = translate(lang, str(p.get("error", "")))
    return lang.gettext("batch {batch} failed: {error}", error=error, **_str(p, "batch"))


def _imported(lang: Lang, p: Mapping[str, Any]) -> str:
    text = lang.ngettext(
        "batch {batch}: {imported} of {n} record imported",
        "batch {batch}: {imported} of {n} records imported",
        _count(p, "total"),
        imported=lang.number(_count(p, "imported")),
        **_str(p, "batch"),
    )
    return f"{text}, {lang.ngettext('{n} rejected', '{n} rejected', _count(p, 'rejected'))}"


def _staged(lang: Lang, p: Mapping[str, Any]) -> str:
    text = lang.ngettext(
        "batch {batch}: {n} record staged for review",
        "batch {batch}: {n} records staged for review",
        _count(p, "total"),
        **_str(p, "batch"),
    )
    return f"{text}, {lang.ngettext('{n} rejected', '{n} rejected', _count(p, 'rejected'))}"


def _committed(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.ngettext(
        "batch {batch}: {n} record committed",
        "batch {batch}: {n} records committed",
        _count(p, "records"),
        **_str(p, "batch"),
    )


def _selection(lang: Lang, p: Mapping[str, Any]) -> str:
    """The first step of an exchange made from a selection on an offer list."""
    return lang.gettext(
        "selected from offer list {list}: {offer}", offer=_offer(lang, p), **_str(p, "list")
    )


def _catalogued(lang: Lang, p: Mapping[str, Any]) -> str:
    n = _count(p, "records")
    return lang.ngettext("{n} record in the catalogue", "{n} records in the catalogue", n)


# The partner's notices, by event (``ExchangeWorkflow._notify``).
NOTICES = {
    "proposal": N_("proposal notice for {party}"),
    "revision": N_("revision notice for {party}"),
    "decision": N_("decision notice for {party}"),
    "shipment": N_("shipment notice for {party}"),
    "receipt": N_("receipt notice for {party}"),
    "claim": N_("claim notice for {party}"),
    "cancellation": N_("cancellation notice for {party}"),
    "lost": N_("loss notice for {party}"),
    "reminder": N_("reminder notice for {party}"),
    "expiry": N_("expiry notice for {party}"),
    "marc_ready": N_("MARC records notice for {party}"),
    "completed": N_("completion notice for {party}"),
}


def _notice(lang: Lang, p: Mapping[str, Any]) -> str:
    event = str(p.get("event", ""))
    party = str(p.get("party_name") or p.get("party", ""))  # its name; older rows: its code
    head = lang.gettext(NOTICES[event], party=party) if event in NOTICES else f"{event}: {party}"
    inner_id, inner = p.get("note_id"), p.get("note_params")
    if isinstance(inner_id, str) and inner_id in _RENDERERS and isinstance(inner, dict):
        return f"{head}: {_RENDERERS[inner_id](lang, inner)}"
    return f"{head}: {p['text']}" if p.get("text") else head


def _str(p: Mapping[str, Any], name: str) -> dict[str, str]:
    return {name: str(p.get(name, ""))}


_RENDERERS: dict[str, Callable[[Lang, Mapping[str, Any]], str]] = {
    "offer": _offer,
    "revised": _revised,
    "proposal": _proposal,
    "revision": _revision,
    "acceptance": _acceptance,
    "accepted": _accepted,
    "declined": _declined,
    "shipment": _shipment,
    "receipt": _receipt,
    "claim_answer": _claim_answer,
    "resent_arrived": _resent_arrived,
    "loss": _loss,
    "reminder": _reminder,
    "expiry": _expiry,
    "deadline": _deadline,
    "overdue": _overdue,
    "uploaded": _uploaded,
    "import_failed": _import_failed,
    "imported": _imported,
    "staged": _staged,
    "committed": _committed,
    "catalogued": _catalogued,
    "offer_list_selection": _selection,
    "notice": _notice,
}
NOTE_IDS = frozenset(_RENDERERS)


def render_note(lang: Lang, row: HistoryRow) -> str:
    """The note of a history row in the reader's language; the English text when it has no
    message id (people's own words, rows recorded before ids), or one this code does not know."""
    renderer = _RENDERERS.get(row.note_id or "")
    if renderer is None or row.note_params is None:
        return row.note or ""
    try:
        return renderer(lang, row.note_params)
    except (KeyError, TypeError, ValueError, IndexError):
        return row.note or ""  # values this code cannot read: the English words still say it
