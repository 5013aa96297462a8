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
    N_("staging"),
    N_("staged"),
    N_("committing"),
    N_("committed"),
    N_("undoing"),
    N_("undone"),
    N_("propose"),
    N_("select"),
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
    N_("marc_staged"),
    N_("marc_committed"),
    N_("notice"),
    N_("overdue"),
    N_("missing"),
    N_("damaged"),
    N_("open"),
    N_("resent"),
    N_("written_off"),
    N_("resolved"),
    # Offer lists (``offer_models.OfferList.state``) and their selections.
    N_("draft"),
    N_("published"),
    N_("closed"),
    N_("withdrawn"),
    N_("submitted"),
    N_("released"),
)

# The partner's notices and webhook events, by the event's name (``ExchangeWorkflow._notify``).
NOTICE_EVENTS: tuple[str, ...] = (
    N_("proposal"),
    N_("revision"),
    N_("decision"),
    N_("shipment"),
    N_("receipt"),
    N_("claim"),
    N_("cancellation"),
    N_("lost"),
    N_("reminder"),
    N_("expiry"),
    N_("marc_ready"),
    N_("completed"),
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
