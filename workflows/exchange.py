"""The exchange workflow: one run carries one exchange from proposal to its end.

Every step is an update with a validator, so a caller learns at once whether the step was
taken. The validator answers from the workflow's own state; the handler checks again under a
lock because two updates can pass their validators before either handler runs.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from workflows.shared import (
    ACCEPTED,
    CATALOGUED,
    COMPLETED,
    DECLINED,
    ERR_INVALID_REQUEST,
    ERR_INVALID_TRANSITION,
    ERR_NOT_ALLOWED,
    FINAL_STATES,
    PROPOSED,
    RECEIVED,
    SHIPPED,
    Actor,
    AttachMarcInput,
    DecisionInput,
    ExchangeInput,
    ExchangeOutcome,
    ExchangeStatus,
    ImportBatchInput,
    ImportBatchResult,
    LineQuantity,
    ReceiptInput,
    ReceivedLine,
    ShipmentDetails,
    ShipmentInput,
    StepRecord,
)

with workflow.unsafe.imports_passed_through():
    from workflows.activities import ExchangeActivities

_RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=6,
)
_IMPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
    non_retryable_error_types=[ERR_INVALID_REQUEST],
)


def _refuse(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


@workflow.defn
class ExchangeWorkflow:
    @workflow.init
    def __init__(self, inp: ExchangeInput) -> None:
        self._inp = inp
        self._state = PROPOSED
        self._seq = inp.next_seq - 1
        self._offered = {line.line_id: line.quantity for line in inp.lines}
        self._accepted: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._pending_imports: list[str] = []
        self._batches: list[str] = []
        self._records_imported = 0

    @workflow.run
    async def run(self, inp: ExchangeInput) -> ExchangeOutcome:
        while True:
            await workflow.wait_condition(
                lambda: bool(self._pending_imports) or self._state in FINAL_STATES
            )
            if not self._pending_imports:
                break
            await self._import(self._pending_imports.pop(0))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ExchangeOutcome(
            exchange_id=inp.exchange_id, state=self._state, batches=self._batches
        )

    @workflow.query
    def status(self) -> ExchangeStatus:
        return ExchangeStatus(exchange_id=self._inp.exchange_id, state=self._state)

    # --- decision -------------------------------------------------------------------------

    @workflow.update
    async def decide(self, d: DecisionInput) -> ExchangeStatus:
        async with self._lock:
            self._check_decision(d)
            if d.decline_reason is not None:
                await self._record(
                    "decline",
                    DECLINED,
                    d.actor,
                    note=d.decline_reason,
                    decline_reason=d.decline_reason,
                )
            else:
                accepted = {q.line_id: q.quantity for q in d.accept or []}
                await self._record(
                    "accept",
                    ACCEPTED,
                    d.actor,
                    note=f"{len(accepted)} of {len(self._offered)} lines, "
                    f"{sum(accepted.values())} copies",
                    accepted=[LineQuantity(k, v) for k, v in accepted.items()],
                )
                self._accepted = accepted
            return self.status()

    @decide.validator
    def _validate_decide(self, d: DecisionInput) -> None:
        self._check_decision(d)

    def _check_decision(self, d: DecisionInput) -> None:
        self._require(d.actor, self._inp.recipient, "decide on", PROPOSED)
        if (d.decline_reason is None) == (d.accept is None):
            raise _refuse("give either lines to accept or a reason to decline", ERR_INVALID_REQUEST)
        if d.decline_reason is not None:
            if not d.decline_reason.strip():
                raise _refuse("a decline needs a reason", ERR_INVALID_REQUEST)
            return
        if not d.accept:
            raise _refuse("accept at least one line, or decline with a reason", ERR_INVALID_REQUEST)
        seen: set[str] = set()
        for q in d.accept:
            offered = self._offered.get(q.line_id)
            if offered is None:
                raise _refuse(f"line {q.line_id} is not part of this exchange", ERR_INVALID_REQUEST)
            if q.line_id in seen:
                raise _refuse(f"line {q.line_id} is listed twice", ERR_INVALID_REQUEST)
            seen.add(q.line_id)
            if not 1 <= q.quantity <= offered:
                raise _refuse(
                    f"line {q.line_id}: quantity must be between 1 and the {offered} offered",
                    ERR_INVALID_REQUEST,
                )

    # --- shipment -------------------------------------------------------------------------

    @workflow.update
    async def ship(self, s: ShipmentInput) -> ExchangeStatus:
        async with self._lock:
            self._check_shipment(s)
            shipped_on = s.shipped_on or workflow.now().date().isoformat()
            note = s.carrier + (f", tracking {s.tracking}" if s.tracking else "")
            await self._record(
                "ship",
                SHIPPED,
                s.actor,
                note=note,
                shipment=ShipmentDetails(s.carrier, s.tracking, s.parcels, shipped_on),
            )
            return self.status()

    @ship.validator
    def _validate_ship(self, s: ShipmentInput) -> None:
        self._check_shipment(s)

    def _check_shipment(self, s: ShipmentInput) -> None:
        self._require(s.actor, self._inp.sender, "record the shipment of", ACCEPTED)
        if not s.carrier.strip():
            raise _refuse("name the carrier", ERR_INVALID_REQUEST)
        if s.parcels is not None and s.parcels < 1:
            raise _refuse("parcels must be at least 1", ERR_INVALID_REQUEST)

    # --- receipt --------------------------------------------------------------------------

    @workflow.update
    async def receive(self, r: ReceiptInput) -> ExchangeStatus:
        async with self._lock:
            self._check_receipt(r)
            reported = {line.line_id: line for line in r.lines}
            lines = [
                reported.get(line_id, ReceivedLine(line_id, 0, 0)) for line_id in self._accepted
            ]
            copies = sum(line.received for line in lines)
            damaged = sum(line.damaged for line in lines)
            expected = sum(self._accepted.values())
            note = f"{copies} of {expected} copies received" + (
                f", {damaged} damaged" if damaged else ""
            )
            await self._record(
                "receive",
                RECEIVED,
                r.actor,
                note=note,
                received=lines,
                received_on=r.received_on or workflow.now().date().isoformat(),
            )
            if self._inp.recipient != self._inp.home:
                await self._record("complete", COMPLETED, r.actor, note="received by the partner")
            else:
                await self._catalogue_if_ready(r.actor)
            return self.status()

    @receive.validator
    def _validate_receive(self, r: ReceiptInput) -> None:
        self._check_receipt(r)

    def _check_receipt(self, r: ReceiptInput) -> None:
        self._require(r.actor, self._inp.recipient, "record the receipt of", SHIPPED)
        seen: set[str] = set()
        for line in r.lines:
            accepted = self._accepted.get(line.line_id)
            if accepted is None:
                raise _refuse(
                    f"line {line.line_id} was not accepted in this exchange", ERR_INVALID_REQUEST
                )
            if line.line_id in seen:
                raise _refuse(f"line {line.line_id} is listed twice", ERR_INVALID_REQUEST)
            seen.add(line.line_id)
            if not 0 <= line.received <= accepted:
                raise _refuse(
                    f"line {line.line_id}: received must be between 0 and the {accepted} accepted",
                    ERR_INVALID_REQUEST,
                )
            if not 0 <= line.damaged <= line.received:
                raise _refuse(
                    f"line {line.line_id}: damaged cannot exceed the copies received",
                    ERR_INVALID_REQUEST,
                )

    # --- MARC -----------------------------------------------------------------------------

    @workflow.update
    async def attach_marc(self, a: AttachMarcInput) -> ExchangeStatus:
        async with self._lock:
            self._check_attach(a)
            self._batches.append(a.batch_id)
            self._pending_imports.append(a.batch_id)
            await self._record("marc_uploaded", self._state, a.actor, note=f"batch {a.batch_id}")
            return self.status()

    @attach_marc.validator
    def _validate_attach(self, a: AttachMarcInput) -> None:
        self._check_attach(a)

    def _check_attach(self, a: AttachMarcInput) -> None:
        if a.actor.party not in (self._inp.sender, self._inp.recipient):
            raise _refuse("only the sender or the recipient may upload MARC", ERR_NOT_ALLOWED)
        if self._state in FINAL_STATES:
            raise _refuse(f"the exchange is {self._state}", ERR_INVALID_TRANSITION)
        if a.batch_id in self._batches:
            raise _refuse(f"batch {a.batch_id} is already attached", ERR_INVALID_REQUEST)

    async def _import(self, batch_id: str) -> None:
        result: ImportBatchResult = await workflow.execute_activity_method(
            ExchangeActivities.import_marc_batch,
            ImportBatchInput(batch_id=batch_id),
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=_IMPORT_RETRY,
        )
        system = Actor(party=self._inp.home, name="system")
        async with self._lock:
            note = (
                f"batch {batch_id}: {result.imported} of {result.total} records imported, "
                f"{result.rejected} rejected"
                if result.error is None
                else f"batch {batch_id} failed: {result.error}"
            )
            await self._record("marc_imported", self._state, system, note=note)
            self._records_imported += result.imported
            await self._catalogue_if_ready(system)

    async def _catalogue_if_ready(self, actor: Actor) -> None:
        """Our side is catalogued once it has received the shipment and imported its records."""
        if (
            self._state == RECEIVED
            and self._inp.recipient == self._inp.home
            and self._records_imported > 0
        ):
            await self._record(
                "catalogue",
                CATALOGUED,
                actor,
                note=f"{self._records_imported} records in the catalogue",
            )
            await self._record("complete", COMPLETED, actor)

    # --- shared ---------------------------------------------------------------------------

    def _require(self, actor: Actor, party: str, action: str, state: str) -> None:
        if actor.party != party:
            role = "recipient" if party == self._inp.recipient else "sender"
            raise _refuse(f"only the {role} ({party}) may {action} this exchange", ERR_NOT_ALLOWED)
        if self._state != state:
            raise _refuse(
                f"cannot {action} an exchange that is {self._state} (it must be {state})",
                ERR_INVALID_TRANSITION,
            )

    async def _record(
        self, step: str, state: str, actor: Actor, note: str | None = None, **details: object
    ) -> None:
        """Write the step to the database projection, then take it as the new state."""
        self._seq += 1
        record = StepRecord(
            exchange_id=self._inp.exchange_id,
            seq=self._seq,
            step=step,
            state=state,
            actor=actor.name,
            at=workflow.now().isoformat(),
            note=note,
            **details,  # type: ignore[arg-type]
        )
        await workflow.execute_activity_method(
            ExchangeActivities.record_step,
            record,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_RECORD_RETRY,
        )
        self._state = state
