"""What the serial pages of both sides say alike: an issue's label, "late", partners' names.

Koha's words: an issue is *late* when it is still awaited after the day it should have come,
and due a claim after that day and the grace period; both are read from the issue as the
service gives it, so the staff pages and the portal highlight the same issues. Which issues
the portal offers a claim of is the service's own rule (``rules.partner_claim_refusal``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import date

from fastapi import Request

from services.exchange.schemas.serials import IssueOut
from services.exchange.service import agreements, desk
from services.exchange.web.i18n import N_
from services.exchange.web.pages import context, templates
from workflows.serial import rules
from workflows.serial.rules import OPEN_STATES

# The states of titles, issues and parcels, which the pages show with ``_(value)``
# (``macros.state``): listed here for the catalogs' extraction, as ``words.DATA_WORDS`` does.
SERIAL_WORDS: tuple[str, ...] = (
    N_("expected"),
    N_("claimed"),
    N_("received"),
    N_("skipped"),
    N_("active"),
    N_("ended"),
    N_("ceased"),
    N_("draft"),
    N_("sent"),
    N_("confirmed"),
)


def is_late(issue: IssueOut, today: date) -> bool:
    """Still awaited after the day it should have come."""
    return issue.state in OPEN_STATES and issue.expected_on < today


def claim_due(issue: IssueOut, today: date) -> bool:
    """Awaited past its claim day: claimed already, or about to be."""
    return issue.state in OPEN_STATES and issue.claim_on <= today


def claimable(issues: Iterable[IssueOut], today: date) -> set[int]:
    """The ids of the issues a partner may claim today: those the service would not refuse."""
    return {
        i.id
        for i in issues
        if rules.partner_claim_refusal(i.state, i.claims, i.expected_on, today) is None
    }


# For the portal's title page, which asks ``partner_claimable(issues, today)`` and tests
# ``i.id in ...`` (a template global, so the rule reaches the page whichever module renders it).
templates.env.globals["partner_claimable"] = claimable
templates.env.globals["serial_open_states"] = OPEN_STATES


def issue_label(gettext: Callable[..., str], issue: IssueOut) -> str:
    """An issue as a serials librarian says it: "vol. 12, no. 5/6"."""
    if issue.volume is None:
        return gettext(N_("no. {numbers}"), numbers=issue.numbers)
    return gettext(N_("vol. {volume}, no. {numbers}"), volume=issue.volume, numbers=issue.numbers)


async def partner_names(request: Request) -> dict[str, str]:
    rows = await asyncio.to_thread(desk.partners, context(request).engine, agreements.today())
    return {row.code: row.name for row in rows}
