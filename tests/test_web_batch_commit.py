"""The batch report page through a staged batch's life, over real HTTP with a worker: the
Commit button for cataloguers while it is staged, then what the commit wrote and an Undo
button, then what the undo took back; other staff see the report without the buttons."""

from __future__ import annotations

import uuid

from pymarc import Field, Indicators, Subfield

from tests.conftest import Stack
from tests.support import build_record, isbn13, wait_for
from tests.web_support import csrf_of, flash_of, user_client


def _file(count: int) -> bytes:
    seed = uuid.uuid4().int
    records = []
    for n in range(1, count + 1):
        record = build_record(n, title=f"Serat {n}")
        record.remove_fields("001")
        record.add_ordered_field(Field(tag="001", data=f"web{uuid.uuid4().hex[:12]}"))
        isbn = isbn13(f"978{(seed + n) % 10**9:09d}")
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
        records.append(record.as_marc())
    return b"".join(records)


async def test_the_report_commits_and_undoes_a_staged_batch(stack: Stack) -> None:
    r = await stack.http.post(
        "/api/v1/marc-batches", files={"file": ("web.mrc", _file(3))}, headers=stack.staff
    )
    batch_id = r.json()["batch_id"]
    api = f"/api/v1/marc-batches/{batch_id}"
    await wait_for(stack.http, api, stack.staff, "state", {"staged"})
    page_url = f"/batches/{batch_id}"

    async with user_client(stack, "acquisitions") as other:
        page = await other.get(page_url)
        assert page.status_code == 200
        assert 'data-state="staged"' in page.text
        assert 'id="commit-form"' not in page.text, "only cataloguers commit"

    async with user_client(stack, "cataloguer") as web:
        page = await web.get(page_url)
        assert 'id="commit-form"' in page.text and 'id="undo-form"' not in page.text
        r = await web.post(f"{page_url}/commit", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        await wait_for(stack.http, api, stack.staff, "state", {"committed"})
        page = await web.get(page_url)
        assert 'data-state="committed"' in page.text
        assert 'id="commit-form"' not in page.text and 'id="undo-form"' in page.text
        assert 'id="committed-created">3<' in page.text

        r = await web.post(f"{page_url}/undo", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        await wait_for(stack.http, api, stack.staff, "state", {"undone"})
        page = await web.get(page_url)
        assert 'data-state="undone"' in page.text and 'id="undo-form"' not in page.text
        assert 'id="undone-removed">3<' in page.text

        r = await web.post(f"{page_url}/undo", data={"csrf_token": csrf_of(page.text)})
        assert flash_of(r).startswith("error:"), "an undone batch cannot be undone again"
