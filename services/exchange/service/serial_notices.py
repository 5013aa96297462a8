"""The notices of serial exchanges: a claim of an issue (the workflow's of what we receive, a
partner's of what we send), a dispatch sent, a title ended by one side. (The workflow also
writes the yearly review's reminders, with the same table and key scheme.)

Each notice has a stable ``key`` (``serial-claim:{issue_id}:{n}``, ``serial-dispatch:{id}:sent``,
``serial-end:{serial_id}:{party}``), so writing one is idempotent and its delivery workflow is
the same one for a retried request; it is written by ``list_notices.record_notice`` like every
notice that is not an exchange's. ``note`` keeps the English words; ``note_id`` (the event) and
``note_params`` let ``serial_email_notices`` write an e-mail in its reader's language.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from services.exchange.serial_models import SerialIssue, SerialTitle
from services.exchange.service.list_notices import record_notice
from workflows.serial.types import EVENT_CLAIM, EVENT_DISPATCH, EVENT_ENDED, EVENT_REVIEW

# The events under the names the service modules use (defined once, in the workflow's types).
CLAIM_EVENT = EVENT_CLAIM
REVIEW_EVENT = EVENT_REVIEW
DISPATCH_EVENT = EVENT_DISPATCH
END_EVENT = EVENT_ENDED


def record(
    engine: Engine,
    *,
    party: str,
    event: str,
    key: str,
    note: str,
    params: dict[str, Any],
    serial_id: int | None,
) -> int | None:
    """One serial notice by its key (after the change's commit), its note id the event; the id
    of the one written before when the key exists."""
    return record_notice(
        engine,
        party=party,
        event=event,
        key=key,
        note=note,
        note_id=event,
        note_params=params,
        serial_id=serial_id,
    )


def claim_params(
    title: SerialTitle, issue: SerialIssue, n: int, partner: str | None = None
) -> dict[str, Any]:
    """The values of claim ``n`` of ``issue``; ``partner``: the claiming partner's code, which
    a partner's claim (told to our staff) names."""
    params: dict[str, Any] = {
        "title": title.title,
        "issn": title.issn,
        "year": issue.year,
        "volume": issue.volume,
        "numbers": issue.numbers,
        "expected_on": issue.expected_on.isoformat(),
        "claim": n,
    }
    if partner is not None:
        params["partner"] = partner
    return params


def claim_note(params: dict[str, Any]) -> str:
    """A claim's English note: "First claim: Title (ISSN) vol. 3, no. 2 (2027), expected by
    2027-02-01, has not arrived"."""
    which = "First claim" if int(params["claim"]) <= 1 else "Second claim"
    volume = f"vol. {params['volume']}, " if params.get("volume") is not None else ""
    return (
        f"{which}: {params['title']} ({params['issn']}) {volume}no. {params['numbers']} "
        f"({params['year']}), expected by {params['expected_on']}, has not arrived"
    )


def dispatch_note(params: dict[str, Any]) -> str:
    n = int(params["issues"])
    return f"Dispatch {params['dispatch']} is on its way: {n} {'issue' if n == 1 else 'issues'}"


def end_note(params: dict[str, Any]) -> str:
    return f"The exchange of {params['title']} ({params['issn']}) ends: {params['reason']}"
