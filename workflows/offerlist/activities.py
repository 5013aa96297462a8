"""The offer list workflow's activities: everything that touches the database.

Each is idempotent, so a retry writes nothing twice: notices are kept by a stable key
(``list_notices.record_list_notices`` returns the ones written before, too), a list is closed
once (``offer_list_closing.close_list`` answers the summary of a list already closed), and the
closing day is simply set again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.exchange.service import list_notices, offer_list_closing
from services.exchange.settings import Settings
from workflows.errors import ERR_INVALID_REQUEST, ERR_NOT_FOUND
from workflows.offerlist.types import (
    CloseListInput,
    ClosingDayInput,
    ClosingDaySet,
    ListAnnouncement,
    ListClosed,
    ListNotices,
)


class OfferListActivities:
    """Bound to one database, so a worker serves exactly the database it was given."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    @activity.defn(name="announce_offer_list")
    def announce_offer_list(self, a: ListAnnouncement) -> ListNotices:
        """Write the notices of a list's event; their ids, for the deliveries to start."""
        try:
            ids = list_notices.record_list_notices(
                self._engine,
                a.list_id,
                a.event,
                datetime.fromisoformat(a.at),
                home=self._settings.home_code,
            )
        except LookupError as exc:  # no such list: no retry will find it
            raise ApplicationError(str(exc), type=ERR_NOT_FOUND, non_retryable=True) from None
        return ListNotices(notice_ids=list(ids))

    @activity.defn(name="close_offer_list")
    def close_offer_list(self, c: CloseListInput) -> ListClosed:
        """Close the list in the database: open selections give their copies back."""
        try:
            summary = offer_list_closing.close_list(
                self._engine, c.list_id, c.actor, datetime.fromisoformat(c.at)
            )
        except LookupError as exc:  # no such list: no retry will find it
            raise ApplicationError(str(exc), type=ERR_NOT_FOUND, non_retryable=True) from None
        except ValueError as exc:  # a draft or withdrawn list: nothing to close
            raise ApplicationError(str(exc), type=ERR_INVALID_REQUEST, non_retryable=True) from None
        return ListClosed(summary=dict(summary))

    @activity.defn(name="set_closing_day")
    def set_closing_day(self, s: ClosingDayInput) -> ClosingDaySet:
        try:
            offer_list_closing.set_closing_day(
                self._engine, s.list_id, date.fromisoformat(s.closes_on)
            )
        except LookupError as exc:
            raise ApplicationError(str(exc), type=ERR_NOT_FOUND, non_retryable=True) from None
        return ClosingDaySet(list_id=s.list_id, closes_on=s.closes_on)
