"""An import names its exchange by the number people use (EX-2026-0042), in the API and on
the batch's report and review pages, not by the first characters of its id."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Stack
from tests.support import lines, marc_file, register_partner, wait_for
from tests.web_support import user_client


async def test_a_batch_names_its_exchange_by_number(stack: Stack, tmp_path: Path) -> None:
    http, staff = stack.http, stack.staff
    partner, _key = await register_partner(http, staff)
    r = await http.post(
        "/api/v1/exchanges", json={"partner": partner["code"], "lines": lines(1)}, headers=staff
    )
    exchange = r.json()
    upload = marc_file(tmp_path / "parcel.mrc", 2)
    r = await http.post(
        f"/api/v1/exchanges/{exchange['id']}/marc",
        files={"file": upload.open("rb")},
        headers=staff,
    )
    assert r.status_code == 202, r.text
    url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
    batch = await wait_for(http, url, staff, "state", {"staged", "failed"})
    assert batch["exchange_number"] == exchange["number"]

    async with user_client(stack, "cataloguer") as web:
        for page in (f"/batches/{batch['id']}", f"/batches/{batch['id']}/review"):
            text = (await web.get(page)).text
            assert f">{exchange['number']}</a>" in text, page
            assert f">{exchange['id'][:8]}</a>" not in text, page
