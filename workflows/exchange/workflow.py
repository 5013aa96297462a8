"""The exchange workflow: one run carries one exchange from proposal to its end.

Every step is an update with a validator, so a caller learns at once whether the step was
taken. Validator and handler both ask ``rules`` about the one ``ExchangeState``; the handler
asks again under a lock, because two updates can pass their validators before either handler
runs. Deadlines (reminder, expiry, overdue claims) are durable timers. A long run continues as
new, handing its state to the next run.

Changed logic sits behind ``workflow.patched(ID)`` so that runs started by older code replay;
the table of patches, what their old branch does and when each may go is in ``patches.py``.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

from workflows.committing.types import BATCH_COMMITTED_SIGNAL, BatchCommitted
from workflows.exchange import claims, commands, deadlines, notes, rules
from workflows.exchange.notes import Note
from workflows.exchange.types import (
    ACCEPTED,
    CANCELLED,
    CATALOGUED,
    COMPLETED,
    DECLINED,
    EXPIRED,
    FINAL_STATES,
    LOST,
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
    ExchangeStatus,
    LostInput,
    ReceiptInput,
    ReviseInput,
    ShipmentDetails,
    ShipmentInput,
)

LIFECYCLE_PATCH = "lifecycle-deadlines-claims"
WEBHOOK_PATCH = "webhook-delivery"
IMPORT_PATCH = "import-workflow"
IMPORT_FAILURE_PATCH = "import-failure-recorded"
COMMIT_PATCH = "commit-catalogues"
STAFF_NOTICE_PATCH = "staff-notices"
# Continue as new well before a history gets heavy; each step costs about ten events.
CONTINUE_AS_NEW_AFTER_EVENTS = 1_000


@workflow.defn
class ExchangeWorkflow:
    @workflow.init
    def __init__(self, inp: ExchangeInput) -> None:
        self._inp = inp
        self._deadlines = inp.deadlines or Deadlines()
        self._state = inp.snapshot or rules.proposed_state(inp)
        if inp.snapshot is None:
            # Settled here, before any handler: a step sent at once after the proposal can
            # reach the run's first task with its start, and its validator runs before
            # ``run``; it must see the run's real lifecycle, not the default's False.
            self._state.lifecycle = workflow.patched(LIFECYCLE_PATCH)
        # What lives only as long as this run: a run continues as new only without them.
        self._lock = asyncio.Lock()
        self._pending_imports: list[str] = []
        self._attached: dict[str, AttachMarcInput] = {}  # each pending batch's settings
        self._changes = 0  # wakes the run loop after each step

    @workflow.run
    async def run(self, inp: ExchangeInput) -> ExchangeOutcome:
        if inp.snapshot is None and self._state.lifecycle:
            await self._on_proposed()
        while True:
            if self._pending_imports:
                await self._import(self._pending_imports.pop(0))
                continue
            if self._state.state in FINAL_STATES:
                break
            if self._state.lifecycle and commands.history_is_long(CONTINUE_AS_NEW_AFTER_EVENTS):
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._pending_imports and self._state.state not in FINAL_STATES:
                    commands.continue_as_new(self._inp, self._state, self._deadlines)
                continue
            await self._wait_for_change_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ExchangeOutcome(
            exchange_id=inp.exchange_id, state=self._state.state, batches=self._state.batches
        )

    @workflow.query
    def status(self) -> ExchangeStatus:
        return ExchangeStatus(exchange_id=self._inp.exchange_id, state=self._state.state)

    @workflow.query
    def actions(self, q: ActionsQuery) -> AvailableActions:
        """The steps the party could take now, by the validators' own rules (for pages)."""
        return rules.available_actions(self._state, self._inp, q.party)

    # --- deadlines ------------------------------------------------------------------------

    async def _on_proposed(self) -> None:
        async with self._lock:
            if deadlines.reminder_too_late(self._deadlines, workflow.now()):
                self._state.reminder_due = False  # too short a deadline for a reminder to help
            proposer = Actor(party=self._inp.sender, name="proposer")
            await self._notify("proposal", notes.proposal(self._state), proposer)

    async def _wait_for_change_or_deadline(self) -> None:
        seen = self._changes
        deadline = deadlines.next_deadline(self._state, self._deadlines)

        def changed() -> bool:
            return (
                self._changes != seen
                or bool(self._pending_imports)
                or self._state.state in FINAL_STATES
            )

        if deadline is None:
            await workflow.wait_condition(changed)
        elif await commands.wait_until(changed, deadline[0]):
            await self._on_deadline(deadline[1])

    async def _on_deadline(self, kind: str) -> None:
        async with self._lock:
            state = self._state
            if not deadlines.deadline_due(state, self._deadlines, kind, workflow.now()):
                return  # a step taken meanwhile moved the deadline
            system = Actor(party=self._inp.home, name="system")
            if kind == deadlines.REMINDER:
                state.reminder_due = False
                note = notes.reminder(self._deadlines)
                await self._record("reminder", state.state, system, note=note)
                await self._notify("reminder", note)
            elif kind == deadlines.EXPIRE:
                note = notes.expiry(self._deadlines)
                await self._record("expire", EXPIRED, system, note=note)
                await self._notify("expiry", note)
            elif kind == deadlines.NOTE:
                name, text = deadlines.unreckonable(state, self._deadlines) or (kind, "")
                state.deadline_notes.append(name)  # noted once: the run waits for people now
                await self._record("deadline", state.state, system, note=notes.deadline(name, text))
            else:
                state.overdue_claims += 1
                claim = claims.overdue_claim(state)
                note = notes.overdue(state, claim)
                await self._record("claim", state.state, system, note=note, claims=[claim])
                self._state.claims = claims.merged(self._state.claims, [claim])
                state.last_claim_at = workflow.now().isoformat()
                await self._notify("claim", note)

    # --- steps ----------------------------------------------------------------------------

    @workflow.update
    async def decide(self, d: DecisionInput) -> ExchangeStatus:
        async with self._lock:
            rules.check_decision(self._state, self._inp, d)
            if d.decline_reason is not None:
                reason = d.decline_reason
                await self._record(
                    "decline", DECLINED, d.actor, note=Note(reason), decline_reason=reason
                )
                await self._notify("decision", notes.declined(reason), d.actor)
            else:
                lines = list(d.accept or [])
                note = notes.acceptance(self._state, lines)
                await self._record("accept", ACCEPTED, d.actor, note=note, accepted=lines)
                self._state.accepted = lines
                await self._notify("decision", notes.accepted(note), d.actor)
            return self.status()

    @decide.validator
    def _validate_decide(self, d: DecisionInput) -> None:
        rules.check_decision(self._state, self._inp, d)

    @workflow.update
    async def revise(self, r: ReviseInput) -> ExchangeStatus:
        async with self._lock:
            rules.check_revision(self._state, self._inp, r)
            self._state.seq += 1
            result = await commands.revise_lines(
                self._inp.exchange_id, self._state.seq, r.actor.name, r.lines
            )
            self._state.offered = rules.offered_lines(result.lines)
            self._changes += 1
            await self._notify("revision", notes.revision(len(result.lines)), r.actor)
            return self.status()

    @revise.validator
    def _validate_revise(self, r: ReviseInput) -> None:
        rules.check_revision(self._state, self._inp, r)

    @workflow.update
    async def ship(self, s: ShipmentInput) -> ExchangeStatus:
        async with self._lock:
            rules.check_shipment(self._state, self._inp, s)
            shipped_on = s.shipped_on or workflow.now().date().isoformat()
            note = notes.shipment(s)
            shipment = ShipmentDetails(s.carrier, s.tracking, s.parcels, shipped_on)
            await self._record("ship", SHIPPED, s.actor, note=note, shipment=shipment)
            self._state.shipped_at = workflow.now().isoformat()
            await self._notify("shipment", note, s.actor)
            return self.status()

    @ship.validator
    def _validate_ship(self, s: ShipmentInput) -> None:
        rules.check_shipment(self._state, self._inp, s)

    @workflow.update
    async def receive(self, r: ReceiptInput) -> ExchangeStatus:
        async with self._lock:
            state = self._state
            rules.check_receipt(state, self._inp, r)
            lines = claims.received_lines(state, r)
            note = notes.receipt(state, lines)
            raised = claims.receipt_claims(state, lines) if state.lifecycle else []
            await self._record(
                "receive",
                RECEIVED,
                r.actor,
                note=note,
                received=lines,
                received_on=r.received_on or workflow.now().date().isoformat(),
                claims=raised or None,
            )
            self._state.claims = claims.merged(self._state.claims, raised)
            await self._notify("receipt", note, r.actor)
            await self._advance(r.actor)
            return self.status()

    @receive.validator
    def _validate_receive(self, r: ReceiptInput) -> None:
        rules.check_receipt(self._state, self._inp, r)

    @workflow.update
    async def answer_claim(self, a: ClaimAnswerInput) -> ExchangeStatus:
        async with self._lock:
            updated = claims.answered_claim(rules.check_answer(self._state, self._inp, a), a)
            note, history = notes.claim_answer(updated, a)
            await self._claim_step("claim_answer", updated, a.actor, note, history)
            return self.status()

    @answer_claim.validator
    def _validate_answer(self, a: ClaimAnswerInput) -> None:
        rules.check_answer(self._state, self._inp, a)

    @workflow.update
    async def confirm_claim(self, c: ClaimConfirmInput) -> ExchangeStatus:
        async with self._lock:
            claim = rules.check_confirm(self._state, self._inp, c)
            updated = claims.resolved(claim, c)
            note = notes.resent_arrived(claim)
            await self._claim_step("claim_resolved", updated, c.actor, note, note)
            return self.status()

    @confirm_claim.validator
    def _validate_confirm(self, c: ClaimConfirmInput) -> None:
        rules.check_confirm(self._state, self._inp, c)

    @workflow.update
    async def cancel(self, c: CancelInput) -> ExchangeStatus:
        async with self._lock:
            rules.check_cancel(self._state, self._inp, c)
            reason = Note(c.reason)  # the canceller's own words
            await self._record("cancel", CANCELLED, c.actor, note=reason, cancel_reason=c.reason)
            await self._notify("cancellation", reason, c.actor)
            return self.status()

    @cancel.validator
    def _validate_cancel(self, c: CancelInput) -> None:
        rules.check_cancel(self._state, self._inp, c)

    @workflow.update
    async def mark_lost(self, m: LostInput) -> ExchangeStatus:
        async with self._lock:
            rules.check_lost(self._state, self._inp, m)
            closed = claims.claims_written_off_by_loss(self._state)
            note = notes.loss(self._state, m.note)
            await self._record("lost", LOST, m.actor, note=note, claims=closed or None)
            self._state.claims = claims.merged(self._state.claims, closed)
            await self._notify("lost", note, m.actor)
            return self.status()

    @mark_lost.validator
    def _validate_lost(self, m: LostInput) -> None:
        rules.check_lost(self._state, self._inp, m)

    # --- MARC -----------------------------------------------------------------------------

    @workflow.update
    async def attach_marc(self, a: AttachMarcInput) -> ExchangeStatus:
        async with self._lock:
            rules.check_attach(self._state, self._inp, a)
            self._attached[a.batch_id] = a
            self._state.batches.append(a.batch_id)
            self._state.batch_uploaders.append(a.actor.party)
            self._pending_imports.append(a.batch_id)
            note = notes.uploaded(a.batch_id)
            await self._record("marc_uploaded", self._state.state, a.actor, note=note)
            return self.status()

    @attach_marc.validator
    def _validate_attach(self, a: AttachMarcInput) -> None:
        rules.check_attach(self._state, self._inp, a)

    async def _import(self, batch_id: str) -> None:
        """Import a batch; one whose import gives no result ends failed; the exchange goes on."""
        attached = self._attached.get(batch_id)
        try:
            if attached is not None and workflow.patched(IMPORT_PATCH):
                result = await commands.import_in_chunks(attached)
            else:
                result = await commands.import_whole(batch_id)
        except (ActivityError, ChildWorkflowError) as error:
            if not workflow.patched(IMPORT_FAILURE_PATCH):
                raise
            result = await commands.fail_import(batch_id, error)
        system = Actor(party=self._inp.home, name="system")
        async with self._lock:
            if workflow.patched(COMMIT_PATCH):
                # Staged only: the records count when a cataloguer commits (batch_committed).
                note = notes.staged(batch_id, result)
                await self._record("marc_staged", self._state.state, system, note=note)
                return
            note = notes.imported(batch_id, result)
            await self._record("marc_imported", self._state.state, system, note=note)
            self._state.records_imported += result.imported
            if rules.announces_import(self._state, self._inp, batch_id, result.imported):
                await self._notify("marc_ready", note)
            await self._advance(system)

    @workflow.signal(name=BATCH_COMMITTED_SIGNAL)
    async def batch_committed(self, c: BatchCommitted) -> None:
        """A batch of this exchange was committed: its records are in the catalogue now, so
        a received exchange becomes catalogued. Counted once per batch."""
        async with self._lock:
            state = self._state
            if c.batch_id in state.committed_batches or state.state in FINAL_STATES:
                return
            state.committed_batches.append(c.batch_id)
            state.records_imported += c.records
            actor = Actor(party=self._inp.home, name=c.actor)
            note = notes.committed(c.batch_id, c.records)
            await self._record("marc_committed", state.state, actor, note=note)
            if rules.announces_import(state, self._inp, c.batch_id, c.records):
                await self._notify("marc_ready", note)
            await self._advance(actor)

    # --- shared ---------------------------------------------------------------------------

    async def _advance(self, actor: Actor) -> None:
        """Take the steps that follow by themselves: catalogued, then completed."""
        if rules.catalogue_due(self._state, self._inp):
            note = notes.catalogued(self._state)
            await self._record("catalogue", CATALOGUED, actor, note=note)
        if rules.completion_due(self._state, self._inp):
            completed_on = workflow.now().date().isoformat()
            await self._record("complete", COMPLETED, actor, completed_on=completed_on)
            await self._notify("completed", None)

    async def _claim_step(
        self, step: str, claim: ClaimState, actor: Actor, note: Note, history: Note
    ) -> None:
        """Record a step that settles a claim, tell the partner, then take what follows."""
        await self._record(step, self._state.state, actor, note=history, claims=[claim])
        self._state.claims = claims.merged(self._state.claims, [claim])
        await self._notify("claim", note, actor)
        await self._advance(actor)

    async def _record(
        self, step: str, state: str, actor: Actor, note: Note | None = None, **details: object
    ) -> None:
        """Write the step to the database projection, then take it as the new state."""
        self._state.seq += 1
        ex_id, seq = self._inp.exchange_id, self._state.seq
        await commands.record_step(ex_id, seq, step, state, actor.name, note, **details)
        self._state.state = state
        self._changes += 1

    async def _notify(self, event: str, note: Note | None, actor: Actor | None = None) -> None:
        """Tell the partner, unless the partner took the step itself; then our staff, of a
        step the partner or the system took (``STAFF_NOTICE_PATCH``)."""
        if rules.notifies(self._state, self._inp, actor):
            self._state.seq += 1
            ex_id, seq = self._inp.exchange_id, self._state.seq
            recorded = await commands.notify(ex_id, seq, self._inp.partner, event, note)
            if recorded.deliver and workflow.patched(WEBHOOK_PATCH):
                # Delivery may take days of retries; the exchange does not wait for it.
                await commands.start_delivery(ex_id, seq, recorded.retry_seconds)
        if rules.tells_staff(self._state, self._inp, actor, event) and workflow.patched(
            STAFF_NOTICE_PATCH
        ):
            # A notice of its own, with its own seq, to our home code (e-mail only).
            self._state.seq += 1
            ex_id, seq = self._inp.exchange_id, self._state.seq
            recorded = await commands.notify(ex_id, seq, self._inp.home, event, note)
            if recorded.deliver:
                await commands.start_delivery(ex_id, seq, recorded.retry_seconds)
