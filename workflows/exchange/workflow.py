"""The exchange workflow: one run carries one exchange from proposal to its end.

Every step is an update with a validator, so a caller learns at once whether the step was
taken. The validator answers from the workflow's own state; the handler checks again under a
lock because two updates can pass their validators before either handler runs.

Deadlines (reminder, expiry, overdue claims) are durable timers. Exchanges started before the
lifecycle rules existed run without them: that logic sits behind ``workflow.patched``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

from workflows.delivery.types import DeliveryInput
from workflows.delivery.workflow import WebhookDeliveryWorkflow, delivery_workflow_id
from workflows.errors import (
    ERR_INSUFFICIENT_COPIES,
    ERR_INVALID_REQUEST,
    ERR_INVALID_TRANSITION,
    ERR_NOT_ALLOWED,
)
from workflows.exchange.types import (
    ACCEPTED,
    CANCELLED,
    CATALOGUED,
    CLAIM_DAMAGED,
    CLAIM_MISSING,
    CLAIM_OPEN,
    CLAIM_OVERDUE,
    CLAIM_RESENT,
    CLAIM_RESOLVED,
    CLAIM_SETTLED,
    CLAIM_WRITTEN_OFF,
    COMPLETED,
    DECLINED,
    EXPIRED,
    FINAL_STATES,
    LOST,
    PROPOSED,
    RECEIVED,
    SHIPPED,
    ActionsQuery,
    Actor,
    AttachMarcInput,
    AvailableActions,
    CancelInput,
    ClaimAnswerInput,
    ClaimConfirmInput,
    ClaimState,
    Deadlines,
    DecisionInput,
    ExchangeInput,
    ExchangeOutcome,
    ExchangeSnapshot,
    ExchangeStatus,
    LineOffer,
    LineQuantity,
    LineSpec,
    LostInput,
    NoticeInput,
    NoticeRecorded,
    ReceiptInput,
    ReceivedLine,
    ReviseInput,
    RevisionRecord,
    RevisionResult,
    ShipmentDetails,
    ShipmentInput,
    StepRecord,
)
from workflows.importing.types import ImportBatchInput, ImportBatchResult, ImportInput
from workflows.importing.workflow import ImportWorkflow, import_workflow_id

with workflow.unsafe.imports_passed_through():
    from workflows.exchange.activities import ExchangeActivities
    from workflows.importing.activities import ImportActivities

LIFECYCLE_PATCH = "lifecycle-deadlines-claims"
WEBHOOK_PATCH = "webhook-delivery"
IMPORT_PATCH = "import-workflow"
# Continue as new well before a history gets heavy; each step costs about ten events.
CONTINUE_AS_NEW_AFTER_EVENTS = 1_000

_RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=6,
    non_retryable_error_types=[ERR_INVALID_REQUEST, ERR_INSUFFICIENT_COPIES],
)
_NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
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


def _passes(check: Callable[[], object]) -> bool:
    try:
        check()
    except ApplicationError:
        return False
    return True


def _midnight_after(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), tzinfo=UTC)


@workflow.defn
class ExchangeWorkflow:
    @workflow.init
    def __init__(self, inp: ExchangeInput) -> None:
        self._inp = inp
        self._deadlines = inp.deadlines or Deadlines()
        self._lock = asyncio.Lock()
        self._pending_imports: list[str] = []
        self._import_settings: dict[str, tuple[int, float]] = {}
        self._changes = 0
        snap = inp.snapshot
        self._v2 = snap is not None
        self._state = snap.state if snap else PROPOSED
        self._seq = snap.seq if snap else inp.next_seq - 1
        offered = snap.offered if snap else inp.lines
        self._offered = {line.line_id: line.quantity for line in offered}
        self._accepted = {q.line_id: q.quantity for q in snap.accepted} if snap else {}
        self._claims = {c.claim_no: c for c in snap.claims} if snap else {}
        self._batches: list[str] = list(snap.batches) if snap else []
        self._uploaders: list[str] = list(snap.batch_uploaders) if snap else []
        self._records_imported = snap.records_imported if snap else 0
        self._reminder_due = snap.reminder_due if snap else True
        self._overdue_claims = snap.overdue_claims if snap else 0
        self._shipped_at = (
            datetime.fromisoformat(snap.shipped_at) if snap and snap.shipped_at else None
        )
        self._last_claim_at = (
            datetime.fromisoformat(snap.last_claim_at) if snap and snap.last_claim_at else None
        )

    @workflow.run
    async def run(self, inp: ExchangeInput) -> ExchangeOutcome:
        if inp.snapshot is None:
            self._v2 = workflow.patched(LIFECYCLE_PATCH)
            if self._v2:
                await self._on_proposed()
        while True:
            if self._pending_imports:
                await self._import(self._pending_imports.pop(0))
                continue
            if self._state in FINAL_STATES:
                break
            if self._v2 and self._history_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._pending_imports and self._state not in FINAL_STATES:
                    workflow.continue_as_new(self._next_run_input())
                continue
            await self._wait_for_change_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ExchangeOutcome(
            exchange_id=inp.exchange_id, state=self._state, batches=self._batches
        )

    @workflow.query
    def status(self) -> ExchangeStatus:
        return ExchangeStatus(exchange_id=self._inp.exchange_id, state=self._state)

    @workflow.query
    def actions(self, q: ActionsQuery) -> AvailableActions:
        """Ask each step's own validator, with a well-formed probe, whether it would pass.

        The rules stay in the validators; pages use this to show only the steps that can be
        taken. A query writes nothing to the history, so this needs no patch.
        """
        actor = Actor(party=q.party, name="")
        probes: dict[str, Callable[[], object]] = {
            "decide": partial(self._check_decision, DecisionInput(actor, decline_reason="?")),
            "revise": partial(self._check_revision, ReviseInput(actor, [LineSpec("?", 1)])),
            "ship": partial(self._check_shipment, ShipmentInput(actor, carrier="?")),
            "receive": partial(self._check_receipt, ReceiptInput(actor, lines=[])),
            "cancel": partial(self._check_cancel, CancelInput(actor, reason="?")),
            "lost": partial(self._check_lost, LostInput(actor)),
            "upload_marc": partial(self._check_attach, AttachMarcInput(actor, batch_id="")),
        }
        answer = self._check_answer
        confirm = self._check_confirm
        return AvailableActions(
            state=self._state,
            actions=[name for name, probe in probes.items() if _passes(probe)],
            answerable_claims=[
                no
                for no in self._claims
                if _passes(partial(answer, ClaimAnswerInput(actor, no, action="resend")))
            ],
            confirmable_claims=[
                no for no in self._claims if _passes(partial(confirm, ClaimConfirmInput(actor, no)))
            ],
        )

    # --- deadlines ------------------------------------------------------------------------

    async def _on_proposed(self) -> None:
        async with self._lock:
            reminder = self._reminder_at()
            if reminder is not None and reminder <= workflow.now():
                self._reminder_due = False  # too short a deadline for a reminder to help
            proposer = Actor(party=self._inp.sender, name="proposer")
            await self._notify("proposal", f"{len(self._offered)} lines offered", proposer)

    def _reminder_at(self) -> datetime | None:
        d = self._deadlines
        if d.respond_by is None or d.reminder_days <= 0:
            return None
        return _midnight_after(d.respond_by) - timedelta(days=d.reminder_days)

    def _next_deadline(self) -> tuple[datetime, str] | None:
        d = self._deadlines
        if self._state == PROPOSED and d.respond_by is not None:
            reminder = self._reminder_at()
            if self._reminder_due and reminder is not None:
                return reminder, "reminder"
            return _midnight_after(d.respond_by), "expire"
        if self._state == SHIPPED and self._shipped_at is not None:
            if self._overdue_claims == 0:
                return self._shipped_at + timedelta(days=d.receipt_days), "claim"
            if self._overdue_claims == 1 and self._last_claim_at is not None:
                return self._last_claim_at + timedelta(days=d.claim_interval_days), "claim"
        return None

    async def _wait_for_change_or_deadline(self) -> None:
        seen = self._changes
        deadline = self._next_deadline() if self._v2 else None

        def changed() -> bool:
            return (
                self._changes != seen or bool(self._pending_imports) or self._state in FINAL_STATES
            )

        if deadline is None:
            await workflow.wait_condition(changed)
            return
        at, kind = deadline
        remaining = (at - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(changed, timeout=remaining)
                return
            except TimeoutError:
                pass
        await self._on_deadline(kind)

    async def _on_deadline(self, kind: str) -> None:
        async with self._lock:
            current = self._next_deadline()
            if current is None or current[1] != kind or current[0] > workflow.now():
                return  # a step taken meanwhile moved the deadline
            system = Actor(party=self._inp.home, name="system")
            if kind == "reminder":
                self._reminder_due = False
                note = f"a decision is due by {self._deadlines.respond_by}"
                await self._record("reminder", self._state, system, note=note)
                await self._notify("reminder", note)
            elif kind == "expire":
                note = f"no decision by {self._deadlines.respond_by}"
                await self._record("expire", EXPIRED, system, note=note)
                await self._notify("expiry", note)
            else:
                self._overdue_claims += 1
                claim = self._new_claim(CLAIM_OVERDUE, None, 0, f"claim {self._overdue_claims}")
                note = f"receipt overdue: claim {self._overdue_claims} ({claim.claim_no})"
                await self._record("claim", self._state, system, note=note, claims=[claim])
                self._claims[claim.claim_no] = claim
                self._last_claim_at = workflow.now()
                await self._notify("claim", note)

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
                await self._notify("decision", f"declined: {d.decline_reason}", d.actor)
            else:
                accepted = {q.line_id: q.quantity for q in d.accept or []}
                note = (
                    f"{len(accepted)} of {len(self._offered)} lines, "
                    f"{sum(accepted.values())} copies"
                )
                await self._record(
                    "accept",
                    ACCEPTED,
                    d.actor,
                    note=note,
                    accepted=[LineQuantity(k, v) for k, v in accepted.items()],
                )
                self._accepted = accepted
                await self._notify("decision", f"accepted {note}", d.actor)
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

    # --- revision -------------------------------------------------------------------------

    @workflow.update
    async def revise(self, r: ReviseInput) -> ExchangeStatus:
        async with self._lock:
            self._check_revision(r)
            self._seq += 1
            result: RevisionResult = await workflow.execute_activity_method(
                ExchangeActivities.revise_lines,
                RevisionRecord(
                    exchange_id=self._inp.exchange_id,
                    seq=self._seq,
                    actor=r.actor.name,
                    at=workflow.now().isoformat(),
                    lines=r.lines,
                ),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_RECORD_RETRY,
            )
            self._offered = {line.line_id: line.quantity for line in result.lines}
            self._changes += 1
            await self._notify("revision", f"{len(result.lines)} lines offered now", r.actor)
            return self.status()

    @revise.validator
    def _validate_revise(self, r: ReviseInput) -> None:
        self._check_revision(r)

    def _check_revision(self, r: ReviseInput) -> None:
        self._require_v2()
        self._require(r.actor, self._inp.sender, "revise", PROPOSED)
        if not r.lines:
            raise _refuse("a revision keeps at least one line", ERR_INVALID_REQUEST)

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
            self._shipped_at = workflow.now()
            await self._notify("shipment", note, s.actor)
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
            claims = self._receipt_claims(lines) if self._v2 else []
            await self._record(
                "receive",
                RECEIVED,
                r.actor,
                note=note,
                received=lines,
                received_on=r.received_on or workflow.now().date().isoformat(),
                claims=claims or None,
            )
            for claim in claims:
                self._claims[claim.claim_no] = claim
            await self._notify("receipt", note, r.actor)
            await self._advance(r.actor)
            return self.status()

    def _receipt_claims(self, lines: list[ReceivedLine]) -> list[ClaimState]:
        """Missing and damaged copies become claims; overdue claims are resolved by the receipt."""
        claims = [
            ClaimState(c.claim_no, c.kind, CLAIM_RESOLVED, c.line_id, c.copies, "parcel arrived")
            for c in self._claims.values()
            if c.kind == CLAIM_OVERDUE and c.state not in CLAIM_SETTLED
        ]
        raised: list[ClaimState] = []
        for line in lines:
            missing = self._accepted[line.line_id] - line.received
            if missing:
                raised.append(
                    self._new_claim(CLAIM_MISSING, line.line_id, missing, None, len(raised))
                )
            if line.damaged:
                raised.append(
                    self._new_claim(CLAIM_DAMAGED, line.line_id, line.damaged, None, len(raised))
                )
        return claims + raised

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

    # --- claims ---------------------------------------------------------------------------

    @workflow.update
    async def answer_claim(self, a: ClaimAnswerInput) -> ExchangeStatus:
        async with self._lock:
            claim = self._check_answer(a)
            settled = CLAIM_WRITTEN_OFF if a.action == "write_off" else CLAIM_RESENT
            updated = ClaimState(
                claim.claim_no, claim.kind, settled, claim.line_id, claim.copies, a.note
            )
            note = f"{claim.claim_no}: " + (
                "written off" if settled == CLAIM_WRITTEN_OFF else "resent"
            )
            await self._record(
                "claim_answer",
                self._state,
                a.actor,
                note=note + (f" ({a.note})" if a.note else ""),
                claims=[updated],
            )
            self._claims[claim.claim_no] = updated
            await self._notify("claim", note, a.actor)
            await self._advance(a.actor)
            return self.status()

    @answer_claim.validator
    def _validate_answer(self, a: ClaimAnswerInput) -> None:
        self._check_answer(a)

    def _check_answer(self, a: ClaimAnswerInput) -> ClaimState:
        self._require_v2()
        claim = self._claim(a.claim_no)
        if a.actor.party != self._inp.sender:
            raise _refuse(f"only the sender ({self._inp.sender}) answers claims", ERR_NOT_ALLOWED)
        if claim.kind == CLAIM_OVERDUE:
            raise _refuse(
                f"{claim.claim_no} is settled by the recipient's receipt, or by marking the "
                "shipment lost",
                ERR_INVALID_TRANSITION,
            )
        if claim.state != CLAIM_OPEN:
            raise _refuse(f"{claim.claim_no} is already {claim.state}", ERR_INVALID_TRANSITION)
        if a.action not in ("resend", "write_off"):
            raise _refuse("answer with resend or write_off", ERR_INVALID_REQUEST)
        return claim

    @workflow.update
    async def confirm_claim(self, c: ClaimConfirmInput) -> ExchangeStatus:
        async with self._lock:
            claim = self._check_confirm(c)
            updated = ClaimState(
                claim.claim_no, claim.kind, CLAIM_RESOLVED, claim.line_id, claim.copies, c.note
            )
            note = f"{claim.claim_no}: resent copies arrived"
            await self._record("claim_resolved", self._state, c.actor, note=note, claims=[updated])
            self._claims[claim.claim_no] = updated
            await self._notify("claim", note, c.actor)
            await self._advance(c.actor)
            return self.status()

    @confirm_claim.validator
    def _validate_confirm(self, c: ClaimConfirmInput) -> None:
        self._check_confirm(c)

    def _check_confirm(self, c: ClaimConfirmInput) -> ClaimState:
        self._require_v2()
        claim = self._claim(c.claim_no)
        if c.actor.party != self._inp.recipient:
            raise _refuse(
                f"only the recipient ({self._inp.recipient}) confirms resent copies",
                ERR_NOT_ALLOWED,
            )
        if claim.state != CLAIM_RESENT:
            raise _refuse(
                f"{claim.claim_no} is {claim.state}; only resent copies can be confirmed",
                ERR_INVALID_TRANSITION,
            )
        return claim

    def _claim(self, claim_no: str) -> ClaimState:
        claim = self._claims.get(claim_no)
        if claim is None:
            raise _refuse(f"there is no claim {claim_no} on this exchange", ERR_INVALID_REQUEST)
        return claim

    def _new_claim(
        self, kind: str, line_id: str | None, copies: int, note: str | None, pending: int = 0
    ) -> ClaimState:
        return ClaimState(
            f"c{len(self._claims) + pending + 1}", kind, CLAIM_OPEN, line_id, copies, note
        )

    # --- cancellation and loss ------------------------------------------------------------

    @workflow.update
    async def cancel(self, c: CancelInput) -> ExchangeStatus:
        async with self._lock:
            self._check_cancel(c)
            await self._record("cancel", CANCELLED, c.actor, note=c.reason, cancel_reason=c.reason)
            await self._notify("cancellation", c.reason, c.actor)
            return self.status()

    @cancel.validator
    def _validate_cancel(self, c: CancelInput) -> None:
        self._check_cancel(c)

    def _check_cancel(self, c: CancelInput) -> None:
        self._require_v2()
        if c.actor.party not in (self._inp.sender, self._inp.recipient):
            raise _refuse("only the sender or the recipient may cancel", ERR_NOT_ALLOWED)
        if self._state not in (PROPOSED, ACCEPTED):
            raise _refuse(
                f"cannot cancel an exchange that is {self._state}: only before shipment; "
                "after it, claims and loss apply",
                ERR_INVALID_TRANSITION,
            )
        if not c.reason.strip():
            raise _refuse("a cancellation needs a reason", ERR_INVALID_REQUEST)

    @workflow.update
    async def mark_lost(self, m: LostInput) -> ExchangeStatus:
        async with self._lock:
            self._check_lost(m)
            closed = [
                ClaimState(c.claim_no, c.kind, CLAIM_WRITTEN_OFF, c.line_id, c.copies, "lost")
                for c in self._claims.values()
                if c.state not in CLAIM_SETTLED
            ]
            note = m.note or f"no receipt after {self._overdue_claims} claims"
            await self._record("lost", LOST, m.actor, note=note, claims=closed or None)
            for claim in closed:
                self._claims[claim.claim_no] = claim
            await self._notify("lost", note, m.actor)
            return self.status()

    @mark_lost.validator
    def _validate_lost(self, m: LostInput) -> None:
        self._check_lost(m)

    def _check_lost(self, m: LostInput) -> None:
        self._require_v2()
        self._require(m.actor, self._inp.sender, "mark as lost", SHIPPED)
        if self._overdue_claims < 2:
            raise _refuse(
                f"a shipment can be marked lost after two unanswered claims; "
                f"{self._overdue_claims} so far",
                ERR_INVALID_TRANSITION,
            )

    # --- MARC -----------------------------------------------------------------------------

    @workflow.update
    async def attach_marc(self, a: AttachMarcInput) -> ExchangeStatus:
        async with self._lock:
            self._check_attach(a)
            self._import_settings[a.batch_id] = (a.chunk_size, a.heartbeat_seconds)
            self._batches.append(a.batch_id)
            self._uploaders.append(a.actor.party)
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
        settings = self._import_settings.get(batch_id)
        if settings is not None and workflow.patched(IMPORT_PATCH):
            result: ImportBatchResult = await workflow.execute_child_workflow(
                ImportWorkflow.run,
                ImportInput(batch_id, chunk_size=settings[0], heartbeat_seconds=settings[1]),
                id=import_workflow_id(batch_id),
            )
        else:
            result = await workflow.execute_activity_method(
                ImportActivities.import_marc_batch,
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
            uploader = self._uploaders[self._batches.index(batch_id)] if self._uploaders else ""
            if result.imported and uploader != self._inp.partner:
                await self._notify("marc_ready", note)
            await self._advance(system)

    # --- shared ---------------------------------------------------------------------------

    async def _advance(self, actor: Actor) -> None:
        """Take the steps that follow by themselves: catalogued, then completed."""
        we_receive = self._inp.recipient == self._inp.home
        if self._state == RECEIVED and we_receive and self._records_imported > 0:
            await self._record(
                "catalogue",
                CATALOGUED,
                actor,
                note=f"{self._records_imported} records in the catalogue",
            )
        ready = CATALOGUED if we_receive else RECEIVED
        if self._state == ready and all(c.state in CLAIM_SETTLED for c in self._claims.values()):
            await self._record(
                "complete", COMPLETED, actor, completed_on=workflow.now().date().isoformat()
            )
            await self._notify("completed", None)

    def _require(self, actor: Actor, party: str, action: str, state: str) -> None:
        if actor.party != party:
            role = "recipient" if party == self._inp.recipient else "sender"
            raise _refuse(f"only the {role} ({party}) may {action} this exchange", ERR_NOT_ALLOWED)
        if self._state != state:
            raise _refuse(
                f"cannot {action} an exchange that is {self._state} (it must be {state})",
                ERR_INVALID_TRANSITION,
            )

    def _require_v2(self) -> None:
        if not self._v2:
            raise _refuse(
                "this exchange was started before this step existed", ERR_INVALID_TRANSITION
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
        self._changes += 1

    async def _notify(self, event: str, note: str | None, actor: Actor | None = None) -> None:
        """Tell the partner, unless the partner took the step itself."""
        if not self._v2 or not self._inp.partner:
            return
        if actor is not None and actor.party == self._inp.partner:
            return
        self._seq += 1
        recorded: NoticeRecorded = await workflow.execute_activity_method(
            ExchangeActivities.notify,
            NoticeInput(
                exchange_id=self._inp.exchange_id,
                seq=self._seq,
                party=self._inp.partner,
                event=event,
                at=workflow.now().isoformat(),
                note=note,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_NOTIFY_RETRY,
        )
        if recorded.deliver and workflow.patched(WEBHOOK_PATCH):
            # Delivery may take days of retries; the exchange does not wait for it.
            await workflow.start_child_workflow(
                WebhookDeliveryWorkflow.run,
                DeliveryInput(self._inp.exchange_id, self._seq, recorded.retry_seconds),
                id=delivery_workflow_id(self._inp.exchange_id, self._seq),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS
            or info.is_continue_as_new_suggested()
        )

    def _next_run_input(self) -> ExchangeInput:
        snapshot = ExchangeSnapshot(
            state=self._state,
            seq=self._seq,
            offered=[LineOffer(k, v) for k, v in self._offered.items()],
            accepted=[LineQuantity(k, v) for k, v in self._accepted.items()],
            claims=list(self._claims.values()),
            batches=self._batches,
            batch_uploaders=self._uploaders,
            records_imported=self._records_imported,
            reminder_due=self._reminder_due,
            overdue_claims=self._overdue_claims,
            shipped_at=self._shipped_at.isoformat() if self._shipped_at else None,
            last_claim_at=self._last_claim_at.isoformat() if self._last_claim_at else None,
        )
        inp = self._inp
        return ExchangeInput(
            exchange_id=inp.exchange_id,
            sender=inp.sender,
            recipient=inp.recipient,
            home=inp.home,
            lines=[],
            next_seq=self._seq + 1,
            partner=inp.partner,
            deadlines=self._deadlines,
            snapshot=snapshot,
        )
