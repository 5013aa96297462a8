"""Words that name data (states, steps, claim kinds and states), shown translated.

Pages show them with ``_(value)``, which the catalogs' extraction cannot see, so they are
listed here for it; ``tests/test_web_i18n.py`` checks that every such value the workflows
define is in this list.
"""

from __future__ import annotations

from services.exchange.web.i18n import N_

DATA_WORDS: tuple[str, ...] = (
    N_("proposed"),
    N_("accepted"),
    N_("declined"),
    N_("shipped"),
    N_("received"),
    N_("catalogued"),
    N_("completed"),
    N_("expired"),
    N_("cancelled"),
    N_("lost"),
    N_("running"),
    N_("failed"),
    N_("propose"),
    N_("revise"),
    N_("accept"),
    N_("decline"),
    N_("ship"),
    N_("receive"),
    N_("claim"),
    N_("claim_answer"),
    N_("claim_resolved"),
    N_("cancel"),
    N_("expire"),
    N_("reminder"),
    N_("deadline"),
    N_("catalogue"),
    N_("complete"),
    N_("marc_uploaded"),
    N_("marc_imported"),
    N_("notice"),
    N_("overdue"),
    N_("missing"),
    N_("damaged"),
    N_("open"),
    N_("resent"),
    N_("written_off"),
    N_("resolved"),
)

# The titles of the error pages, from the HTTP status (``HTTPStatus(status).phrase``).
STATUS_TITLES: tuple[str, ...] = (
    N_("Conflict"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Service Unavailable"),
    N_("Unprocessable Content"),
    N_("Unprocessable Entity"),
)
