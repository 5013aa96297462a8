"""What the e-mail of a serial exchange's notice says: its subject, its note, its links.

``email_notices`` writes every notice's e-mail; the serial notices (``serial_notices``: a
claim, the yearly review, a dispatch, an ended title) are worded here from their ``note_params``
in the reader's language, and ``email_notices`` takes ``SERIAL_SUBJECTS``, ``SERIAL_NOTES``,
``serial_subject`` and ``serial_links`` into its own tables, so a serial e-mail reads as any
other. The keys are the notices' events (``workflows.serial.types``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from services.exchange.models import Notice
from services.exchange.service.notice_values import param_count, param_day
from workflows.errors import N_
from workflows.serial.types import EVENT_CLAIM, EVENT_DISPATCH, EVENT_ENDED, EVENT_REVIEW

if TYPE_CHECKING:
    from services.exchange.web.i18n import Lang

SERIAL_SUBJECTS = {
    EVENT_CLAIM: N_("Claim: {title}, no. {numbers} ({year})"),
    EVENT_REVIEW: N_("Yearly review: {title} in {next_year}"),
    EVENT_DISPATCH: N_("Serials dispatch {dispatch}"),
    EVENT_ENDED: N_("Serial exchange ended: {title}"),
}


def _claim(lang: Lang, p: Mapping[str, Any]) -> str:
    first = param_count(p, "claim") <= 1
    which = lang.gettext("First claim") if first else lang.gettext("Second claim")
    text = lang.gettext(
        "{title} ({issn}), no. {numbers} of {year}, expected by {day}, has not arrived",
        title=str(p.get("title", "")),
        issn=str(p.get("issn", "")),
        numbers=str(p.get("numbers", "")),
        year=str(p.get("year", "")),
        day=param_day(lang, p.get("expected_on")),
    )
    return f"{which}: {text}"


def _review(lang: Lang, p: Mapping[str, Any]) -> str:
    return lang.gettext(
        "Please confirm the exchange of {title} ({issn}) for {next_year}; "
        "an exchange not confirmed ends at the end of {year}",
        title=str(p.get("title", "")),
        issn=str(p.get("issn", "")),
        next_year=str(p.get("next_year", "")),
        year=str(p.get("year", "")),
    )


def _dispatch(lang: Lang, p: Mapping[str, Any]) -> str:
    issues = lang.ngettext("{n} issue", "{n} issues", param_count(p, "issues"))
    return lang.gettext(
        "Dispatch {dispatch} was sent on {day}: {issues}; please confirm its receipt",
        dispatch=str(p.get("dispatch", "")),
        day=param_day(lang, p.get("sent_on")),
        issues=issues,
    )


_END_REASONS = {
    "not_wanted": N_("it is no longer wanted"),
    "ceased": N_("the title ceased"),
    "renamed": N_("the title continues under a new name"),
    "not_confirmed": N_("it was not confirmed for the next year"),
}


def _ended(lang: Lang, p: Mapping[str, Any]) -> str:
    reason = _END_REASONS.get(str(p.get("reason")))
    return lang.gettext(
        "The exchange of {title} ({issn}) ends: {reason}",
        title=str(p.get("title", "")),
        issn=str(p.get("issn", "")),
        reason=lang.gettext(reason) if reason else str(p.get("reason", "")),
    )


SERIAL_NOTES: dict[str, Callable[[Lang, Mapping[str, Any]], str]] = {
    EVENT_CLAIM: _claim,
    EVENT_REVIEW: _review,
    EVENT_DISPATCH: _dispatch,
    EVENT_ENDED: _ended,
}


def serial_subject(lang: Lang, notice: Notice) -> str | None:
    """The subject of a serial notice, filled from its values (its English note when they do
    not fill it); None for a notice that is not a serial one."""
    template = SERIAL_SUBJECTS.get(notice.event)
    if template is None:
        return None
    values = {k: str(v) for k, v in (notice.note_params or {}).items()}
    try:
        return lang.gettext(template, **values)
    except (KeyError, IndexError, ValueError):
        return notice.note or notice.event


def serial_links(base_url: str, pages: str, notice: Notice) -> tuple[str, str] | None:
    """(the page, the API resource) of a serial notice: its title's, or for a dispatch the
    serials overview and the dispatch; None when the notice names neither."""
    if notice.serial_id is not None and notice.event != EVENT_DISPATCH:
        serial = notice.serial_id
        return f"{pages}/serials/{serial}", f"{base_url}/api/v1/serials/{serial}"
    sent = (notice.note_params or {}).get("dispatch_id")
    if notice.event == EVENT_DISPATCH and sent:
        return f"{pages}/serials", f"{base_url}/api/v1/serial-dispatches/{sent}"
    return None
