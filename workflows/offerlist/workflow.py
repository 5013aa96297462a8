"""The offer list workflow: one run carries one published list to its close.

On start it writes the "published" notices and starts one delivery workflow per notice (an
abandoned child: a partner's webhook may take days). Then it waits, on durable timers, for the
"closing soon" moment (its notices likewise) and for the close at 00:00 UTC of the day after
the closing day; staff may close the list earlier or move its day by an update, each with a
validator, so the caller learns at once whether it was taken. The close itself is written by
an activity (open selections give their copies back, the summary is kept), then the "closed"
notices go out, and the run ends once its deliveries have (delivered, or given up after their
window): until then a late update meets the validators (``list-closed``), not a finished run,
and no delivery outlives the run that could still hear of it.

Selections are not the workflow's business: they race in the database (one conditional
UPDATE), never through the workflow's order of updates. The history stays short: a few
activities, one timer at a time, the deliveries started in one workflow task; a run that has
grown long (many extensions, a list to hundreds of partners) continues as new with its state,
once the deliveries it started are done.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.delivery.types import DeliveryInput, notice_workflow_id
from workflows.delivery.workflow import WebhookDeliveryWorkflow
from workflows.errors import ERR_INVALID_REQUEST, ERR_NOT_FOUND
from workflows.offerlist import rules
from workflows.offerlist.types import (
    ERR_INVALID_CLOSING_DAY,
    ERR_LIST_CLOSED,
    EVENT_CLOSED,
    EVENT_CLOSING,
    EVENT_PUBLISHED,
    PUBLISHED,
    CloseListInput,
    CloseRequest,
    ClosingDayInput,
    ClosingDaySet,
    ExtendRequest,
    ListAnnouncement,
    ListClosed,
    ListNotices,
    OfferListInput,
    OfferListStatus,
)

SYSTEM_ACTOR = "system"
ACTIVITY_TIMEOUT = timedelta(seconds=60)
_NON_RETRYABLE = [ERR_NOT_FOUND, ERR_INVALID_REQUEST, ERR_LIST_CLOSED, ERR_INVALID_CLOSING_DAY]
# The timer's close and the notices: worth hours of retries before the run gives up on them.
_BACKGROUND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=25,
    non_retryable_error_types=_NON_RETRYABLE,
)
# An update's activity: someone waits for the answer, so a few quick attempts, then an error.
_UPDATE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=4,
    non_retryable_error_types=_NON_RETRYABLE,
)
# A close that could not be written (the database down for hours) is tried again this late.
CLOSE_AGAIN_AFTER = timedelta(hours=1)
CONTINUE_AS_NEW_AFTER_EVENTS = 2_000


@workflow.defn
class OfferListWorkflow:
    @workflow.init
    def __init__(self, inp: OfferListInput) -> None:
        self._inp = inp
        self._state = inp.snapshot or rules.opened_state(inp, workflow.now())
        self._lock = asyncio.Lock()
        self._changes = 0  # wakes the run loop after each update
        # The deliveries this run started (a run continued as new leaves them to go on).
        self._deliveries: list[workflow.ChildWorkflowHandle[Any, Any]] = []

    @workflow.run
    async def run(self, inp: OfferListInput) -> OfferListStatus:
        state = self._state
        if not state.published_notices:
            await self._announce(EVENT_PUBLISHED)
            state.published_notices = True
        while state.state == PUBLISHED:
            # A run continues as new only once the deliveries it started are done (their
            # ends are reported to it); until then it goes on waiting, timers and all.
            if _history_is_long() and all(d.done() for d in self._deliveries):
                await workflow.wait_condition(workflow.all_handlers_finished)
                if state.state == PUBLISHED:
                    workflow.continue_as_new(replace(self._inp, snapshot=state))
                continue
            await self._wait_for_change_or_timer()
        if not state.closed_notices:
            await self._announce(EVENT_CLOSED)
            state.closed_notices = True
        await self._deliveries_settled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return rules.status(state, self._inp)

    @workflow.query
    def status(self) -> OfferListStatus:
        return rules.status(self._state, self._inp)

    # --- updates --------------------------------------------------------------------------

    @workflow.update
    async def close(self, req: CloseRequest) -> OfferListStatus:
        async with self._lock:
            rules.check_close(self._state, req)
            await self._close(req.actor, req.note, _UPDATE_RETRY)
            return self.status()

    @close.validator
    def _validate_close(self, req: CloseRequest) -> None:
        rules.check_close(self._state, req)

    @workflow.update
    async def extend(self, req: ExtendRequest) -> OfferListStatus:
        async with self._lock:
            day = rules.check_extend(self._state, req, workflow.now().date())
            await workflow.execute_activity(
                "set_closing_day",
                ClosingDayInput(self._inp.list_id, day.isoformat()),
                result_type=ClosingDaySet,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=_UPDATE_RETRY,
            )
            rules.extended(self._state, self._inp, day, workflow.now())
            self._changes += 1
            return self.status()

    @extend.validator
    def _validate_extend(self, req: ExtendRequest) -> None:
        rules.check_extend(self._state, req, workflow.now().date())

    # --- timers ---------------------------------------------------------------------------

    async def _wait_for_change_or_timer(self) -> None:
        timer = rules.next_timer(self._state, self._inp)
        if timer is None:
            return
        at, kind = timer
        if await self._wait_until(at):
            await self._on_timer(kind)

    async def _wait_until(self, at: datetime) -> bool:
        """Wait for an update until ``at`` (a durable timer); True if the time came first."""
        seen = self._changes
        remaining = (at - workflow.now()).total_seconds()
        if remaining <= 0:
            return True
        try:
            await workflow.wait_condition(lambda: self._changes != seen, timeout=remaining)
        except TimeoutError:
            return True
        return False

    async def _on_timer(self, kind: str) -> None:
        async with self._lock:
            state, now = self._state, workflow.now()
            if kind == rules.CLOSING_SOON:
                if rules.closing_soon_due(state, self._inp, now):
                    state.closing_notice_sent = True
                    await self._announce(EVENT_CLOSING)
                return
            if not rules.close_due(state, now):
                return  # the day moved meanwhile
            try:
                await self._close(SYSTEM_ACTOR, None, _BACKGROUND_RETRY)
                return
            except ActivityError as error:
                workflow.logger.warning(
                    "offer list %s could not be closed, trying again in %s: %s",
                    self._inp.list_id,
                    CLOSE_AGAIN_AFTER,
                    error.cause or error,
                )
        # Outside the lock, so that staff may still close or move the list meanwhile.
        await self._wait_until(workflow.now() + CLOSE_AGAIN_AFTER)

    # --- shared ---------------------------------------------------------------------------

    async def _close(self, actor: str, note: str | None, retry: RetryPolicy) -> None:
        at = workflow.now()
        result = await workflow.execute_activity(
            "close_offer_list",
            CloseListInput(self._inp.list_id, actor, at.isoformat()),
            result_type=ListClosed,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=retry,
        )
        rules.closed(self._state, actor, at, note, result.summary)
        self._changes += 1

    async def _announce(self, event: str) -> None:
        """Write an event's notices and start their deliveries. Notices that cannot be written
        after hours of attempts are logged and left: the list goes on without them."""
        try:
            written = await workflow.execute_activity(
                "announce_offer_list",
                ListAnnouncement(self._inp.list_id, event, workflow.now().isoformat()),
                result_type=ListNotices,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=_BACKGROUND_RETRY,
            )
        except ActivityError as error:
            workflow.logger.warning(
                "offer list %s: its %s notices were not written: %s",
                self._inp.list_id,
                event,
                error.cause or error,
            )
            return
        await self._deliver(written.notice_ids)

    async def _deliveries_settled(self) -> None:
        """Wait for the deliveries this run started: it ends only after them, their ends are
        reported to it."""
        pending, self._deliveries = self._deliveries, []
        for outcome in await asyncio.gather(*pending, return_exceptions=True):
            if isinstance(outcome, BaseException):  # its own history says why
                workflow.logger.warning("offer list %s: a delivery failed", self._inp.list_id)

    async def _deliver(self, notice_ids: list[int]) -> None:
        """One delivery workflow per notice, all started in one workflow task; each is an
        abandoned child, so its days of retries outlive the list's run. One already started
        (by a run before a continue-as-new, say) is left to go on."""
        starts = [
            workflow.start_child_workflow(
                WebhookDeliveryWorkflow.run,
                DeliveryInput("", 0, self._inp.retry_seconds, notice_id=notice_id),
                id=notice_workflow_id(notice_id),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
            for notice_id in notice_ids
        ]
        for outcome in await asyncio.gather(*starts, return_exceptions=True):
            if isinstance(outcome, WorkflowAlreadyStartedError):
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            self._deliveries.append(outcome)


def _history_is_long() -> bool:
    info = workflow.info()
    return (
        info.get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS
        or info.is_continue_as_new_suggested()
    )
