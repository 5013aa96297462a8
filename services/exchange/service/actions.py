"""Which steps a caller could take on an exchange now, as the workflow's validators see it."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from workflows.exchange.types import FINAL_STATES, ActionsQuery, AvailableActions, workflow_id
from workflows.exchange.workflow import ExchangeWorkflow

_QUERY_TIMEOUT = timedelta(seconds=5)


async def available(
    ctx: Context, caller: Caller, exchange_id: str, state: str
) -> AvailableActions | None:
    """The steps open to the caller's side, or None when the workflow cannot be asked.

    Check visibility first. A closed exchange has no steps left, so Temporal is not asked.
    """
    if state in FINAL_STATES:
        return AvailableActions(
            state=state, actions=[], answerable_claims=[], confirmable_claims=[]
        )
    handle = ctx.temporal.get_workflow_handle(workflow_id(exchange_id))
    try:
        return await handle.query(
            ExchangeWorkflow.actions, ActionsQuery(party=caller.party), rpc_timeout=_QUERY_TIMEOUT
        )
    except (RPCError, WorkflowQueryFailedError):
        return None
