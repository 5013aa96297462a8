"""The baseline of the exchange benchmark: a workflow that only runs no-op activities."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bare_step")
def bare_step(n: int) -> int:
    return n


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    @workflow.run
    async def run(self, activities: int) -> int:
        for n in range(activities):
            await workflow.execute_activity(
                bare_step, n, start_to_close_timeout=timedelta(seconds=30)
            )
        return activities
