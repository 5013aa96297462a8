"""Steps wait their turn per exchange in the API process, so that Temporal's limit of updates
in flight per workflow is not what refuses them.

Temporal keeps at most ten updates in flight per workflow (``limit.workflowExecution.
maxInFlightUpdates``) and refuses more; the SDK retries a refused update for about ten seconds
and then gives up. The workflow takes one step at a time anyway (its handlers share a lock), so
more than a couple at once from one process only fill those slots: when its worker is slow, a
burst of steps on one exchange would end in errors from a healthy system. Here at most
``IN_FLIGHT`` steps per exchange go to Temporal from this process and up to ``WAITING`` more
wait in order; past that, or past the step's deadline, ``TooManySteps`` (answered with 429).
Several API processes can still fill the slots between them: then Temporal's refusal is
answered the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

IN_FLIGHT = 2
WAITING = 64


class TooManySteps(Exception):
    """The exchange has as many steps under way and waiting as it may have: try again later."""


@dataclass
class _Lane:
    slots: asyncio.Semaphore
    holders: int = field(default=0)  # in flight and waiting


class StepQueue:
    """One lane per exchange with steps under way; a lane goes when its last step ends."""

    def __init__(self, in_flight: int = IN_FLIGHT, waiting: int = WAITING) -> None:
        self._in_flight, self._waiting = in_flight, waiting
        self._lanes: dict[str, _Lane] = {}

    @asynccontextmanager
    async def turn(self, exchange_id: str, deadline: float) -> AsyncIterator[None]:
        """Hold one of the exchange's slots for the block, waiting for it at most until
        ``deadline`` (on the event loop's clock)."""
        lane = self._lanes.get(exchange_id)
        if lane is None:
            lane = self._lanes[exchange_id] = _Lane(asyncio.Semaphore(self._in_flight))
        if lane.holders >= self._in_flight + self._waiting:
            raise TooManySteps(f"{lane.holders} steps on this exchange are under way or waiting")
        lane.holders += 1
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await lane.slots.acquire()
            except TimeoutError:
                raise TooManySteps(
                    "the steps before this one on the exchange took too long"
                ) from None
            try:
                yield
            finally:
                lane.slots.release()
        finally:
            lane.holders -= 1
            if lane.holders == 0:
                del self._lanes[exchange_id]
