"""The one step that needs weeks to pass: marking a shipment lost, from its page, after two
overdue claims (on Temporal's time-skipping test server)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack
from tests.test_deadlines import _shipped, _wait_step
from tests.web_support import csrf_of, flash_of, user_client


async def test_a_shipment_is_marked_lost_from_its_page(
    skipping_stack: Stack, skipping_env: WorkflowEnvironment
) -> None:
    stack = skipping_stack
    url, _key, shipped = await _shipped(stack, skipping_env)
    page_url = f"/exchanges/{shipped['id']}"
    async with user_client(stack, "acquisitions") as web:
        page = await web.get(page_url)
        assert 'id="lost"' not in page.text  # no claims yet

        await skipping_env.sleep(timedelta(days=61))
        await _wait_step(stack, url, "claim")
        await skipping_env.sleep(timedelta(days=15))
        await _wait_step(stack, url, "claim", count=2)

        page = await web.get(page_url)
        assert 'id="lost"' in page.text and "overdue" in page.text
        r = await web.post(
            f"{page_url}/lost",
            data={"csrf_token": csrf_of(page.text), "note": "parcel never arrived"},
        )
        assert flash_of(r) == "ok:Marked as lost.", flash_of(r)
    exchange = (await stack.http.get(url, headers=stack.staff)).json()
    assert exchange["state"] == "lost"
    assert {c["state"] for c in exchange["claims"]} == {"written_off"}
