"""Webhook events as a partner receives them: the body, its headers, and the events there are.

The body is built in ``services.exchange.service.webhooks.deliver``; this module only describes
it for the OpenAPI document's ``webhooks`` section, as ``problem`` describes the error bodies.
The events are those the exchange workflow notifies (``_notify`` in
``workflows/exchange/workflow.py``); a test compares the two lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from services.exchange.service.webhooks import ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from workflows.exchange.types import STATES

# Each event, and when a partner gets it. A partner is not told of a step it took itself.
EVENTS: dict[str, str] = {
    "proposal": "We propose an exchange to you: we would send the lines offered. Decide by "
    "its respond_by.",
    "revision": "We replaced the lines of our proposal to you, while it is undecided.",
    "decision": "We decided on your proposal: accepted (the note says how many lines and "
    "copies) or declined (the note gives the reason).",
    "shipment": "We shipped the accepted copies; the note names the carrier and tracking.",
    "receipt": "We recorded what arrived of your shipment; missing or damaged copies become "
    "claims.",
    "claim": "A claim was raised (a receipt overdue, or copies missing or damaged), answered "
    "(resent or written off) or settled.",
    "reminder": "The proposal is still undecided, a few days before its respond_by.",
    "expiry": "The proposal expired: no decision by its respond_by.",
    "cancellation": "We cancelled the exchange; the note gives the reason.",
    "lost": "We marked the shipment lost, after two claims for an overdue receipt.",
    "marc_ready": "Catalogue records for the exchange were imported: GET "
    "/api/v1/exchanges/{id}/marc gives them.",
    "completed": "The exchange is complete: received, catalogued when we receive, and every "
    "claim settled.",
}
EVENT_PREFIX = "exchange."

# The events of offer lists and wish lists (``service/list_notices.py``), by their full type
# (``webhooks.notice_event_type``); their bodies are ``ListWebhookEvent``.
LIST_EVENTS: dict[str, str] = {
    "offer_list.published": "We published an offer list addressed to you: select from it "
    "(POST /api/v1/offer-lists/{id}/selection) until its closes_on; first come, first served.",
    "offer_list.closing": "An offer list addressed to you closes in a few days, and you have "
    "not submitted a selection from it.",
    "offer_list.closed": "An offer list addressed to you closed: selections not submitted were "
    "given back.",
    "selection.submitted": "Our staff submitted a selection from your offer list: it became an "
    "exchange, accepted, for you to ship.",
    "wishlist.hits": "Items from your wish list are offered to you on a list, or arrived in our "
    "exchange fund; the note says how many.",
}

SIGNING = (
    f"Each event is signed. {SIGNATURE_HEADER} is `v1=` and the lowercase hex HMAC-SHA256, "
    f"keyed with your webhook secret (UTF-8), of the {TIMESTAMP_HEADER} value, a full stop and "
    "the raw body bytes: `HMAC-SHA256(secret, timestamp + '.' + body)`. Compute it over the "
    "body as received, before parsing it, compare in constant time, and refuse a timestamp "
    f"far from your clock (five minutes, say) as a replay. {ID_HEADER} is the event's id, the "
    "same on every attempt: drop an id you have handled already."
)

HEADERS: dict[str, tuple[str, str]] = {
    ID_HEADER: ("The event's id, as `id` in the body", r"^.+\.[0-9]+$"),
    TIMESTAMP_HEADER: ("When this attempt was signed, in Unix seconds", r"^[0-9]+$"),
    SIGNATURE_HEADER: (
        "`v1=` and HMAC-SHA256(webhook secret, timestamp + '.' + raw body) in hex",
        r"^v1=[0-9a-f]{64}$",
    ),
}

EventType = Annotated[
    str,
    Field(
        description="exchange. and the event, one of the document's webhooks",
        json_schema_extra={"enum": [EVENT_PREFIX + event for event in EVENTS]},
    ),
]
State = Annotated[
    str | None,
    Field(
        description="The exchange's state when this attempt was sent, which may be later than "
        "the event: GET the exchange for what happened since",
        json_schema_extra={"enum": [*STATES, None]},
    ),
]


class WebhookLinks(BaseModel):
    exchange: str = Field(description="The exchange in the API (GET it with your key)")


class ListWebhookLinks(BaseModel):
    offer_list: str | None = Field(default=None, description="The offer list in the API")
    wishlist: str | None = Field(default=None, description="Your wish list in the API")


class ListWebhookEvent(BaseModel):
    """One event about an offer list or a wish list, POSTed as JSON to the webhook_url."""

    id: str = Field(description="notice.<notice id>: the same on every attempt to deliver it")
    type: Annotated[
        str,
        Field(
            description="The event, one of the document's webhooks",
            json_schema_extra={"enum": list(LIST_EVENTS)},
        ),
    ]
    offer_list_id: str | None
    offer_list_number: str | None = Field(description="As people quote it: OL-2026-0007")
    title: str | None
    state: str | None = Field(description="The list's state when this attempt was sent")
    closes_on: str | None = Field(description="The list's last day for selections")
    note: str | None = Field(description="What happened, in words")
    occurred_at: datetime
    links: ListWebhookLinks


class WebhookEvent(BaseModel):
    """One event about an exchange, POSTed as JSON to the partner's webhook_url."""

    id: str = Field(
        description="<exchange id>.<step number>: the same on every attempt to deliver it"
    )
    type: EventType
    exchange_id: str
    exchange_number: str | None = Field(
        description="The exchange's number as people quote it and parcels carry it: EX-2026-0042"
    )
    state: State
    note: str | None = Field(description="What happened, in words, as the history says it")
    occurred_at: datetime = Field(description="When the event happened")
    links: WebhookLinks
