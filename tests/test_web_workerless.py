"""When the exchange's workflow cannot answer (no worker is running), its page still opens:
the facts from the database, and a message instead of the steps."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.conftest import running_stack
from tests.support import lines, register_partner
from tests.web_support import user_client


async def test_the_exchange_page_opens_without_a_worker(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_stack(
        temporal_env.client,
        "no-worker",
        tmp_path,
        f"sqlite:///{tmp_path / 'exchange.db'}",
        with_worker=False,
    ) as stack:
        partner, _ = await register_partner(stack.http, stack.staff)
        r = await stack.http.post(
            "/api/v1/exchanges",
            json={"partner": partner["code"], "lines": lines(2)},
            headers=stack.staff,
        )
        assert r.status_code == 201, r.text
        exchange_id = r.json()["id"]
        async with user_client(stack, "acquisitions") as web:
            page = await web.get(f"/exchanges/{exchange_id}")
        assert page.status_code == 200
        assert "does not answer just now" in page.text
        assert "Judul 1" in page.text  # the lines, from the database
        assert 'id="cancel"' not in page.text and 'id="revise"' not in page.text
