"""The review pages of a staged batch over real HTTP: the table filtered by proposed action,
decisions per record and per rule, the field-by-field view beside a candidate, the commit
waiting for every multi-match, and who may review."""

from __future__ import annotations

import re

from tests.catalogue_support import book, import_records, record_ids, tag, unique_isbn
from tests.conftest import Stack
from tests.support import wait_for
from tests.web_support import csrf_of, flash_of, post_form, user_client


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def row_of(html: str, position: int) -> str:
    return html.split(f'id="record-{position}"')[1].split("</tr>")[0]


async def test_review_decide_per_record_and_per_rule_then_commit(stack: Stack) -> None:
    word = tag()
    known, _ = unique_isbn()
    await import_records(stack, [book(f"Dikenal {word}", isbn=known, author="Sutomo")])
    (known_id,) = await record_ids(stack.http, stack.staff, word)
    fresh = [book(f"Baru {word} {n}", isbn=unique_isbn()[0]) for n in (1, 2)]
    batch = await import_records(
        stack,
        [
            fresh[0],
            book(f"Dikenal {word}", isbn=known, author="Sutomo", edition="Cet. 2.", extra_650="X"),
            fresh[1],
        ],
        commit=False,
    )
    assert batch["state"] == "staged"
    review = f"/batches/{batch['id']}/review"
    async with user_client(stack, "cataloguer") as client:
        report = await client.get(f"/batches/{batch['id']}")
        assert f'href="{review}"' in report.text  # the report links its review

        page = await client.get(review)
        assert page.status_code == 200, page.text
        assert "merge into an existing record" in row_of(page.text, 2)
        assert "ISBN" in row_of(page.text, 2) and f"candidate={known_id}" in row_of(page.text, 2)
        only_merges = await client.get(review, params={"proposed": "merge"})
        assert 'id="record-2"' in only_merges.text and 'id="record-1"' not in only_merges.text

        # Beside its match, field by field: what differs is marked, what is alike is not.
        compare = await client.get(f"{review}/2", params={"candidate": str(known_id)})
        assert compare.status_code == 200
        marks = dict(re.findall(r'data-tag="(\w+)" data-mark="(\w+)"', compare.text))
        assert (marks["020"], marks["245"]) == ("same", "same")
        assert (marks["250"], marks["650"]) == ("left_only", "differs")
        assert "only in the import" in text_of(compare.text)

        # Per record: ignore record 1; per rule: every merge via ISBN becomes a new record.
        r = await post_form(
            client,
            review,
            f"{review}/decisions",
            {"back": review, "proposed-1": "create", "current-1": "", "choice-1": "ignore"},
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        r = await post_form(
            client,
            review,
            f"{review}/rule",
            {"back": review, "which": "merge", "point": "isbn", "action": "create"},
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        page = await client.get(review)
        assert 'value="ignore" selected' in row_of(page.text, 1)
        assert 'value="create" selected' in row_of(page.text, 2)
        # A choice the page never offers is refused with a reason, not a 500.
        r = await post_form(
            client,
            review,
            f"{review}/decisions",
            {"back": review, "proposed-3": "create", "current-3": "", "choice-3": "merge:x"},
        )
        assert r.status_code == 303 and "not a choice offered" in flash_of(r)

        r = await client.post(
            f"/batches/{batch['id']}/commit", data={"csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 303 and r.headers["location"] == f"/batches/{batch['id']}"
    done = await wait_for(
        stack.http, f"/api/v1/marc-batches/{batch['id']}", stack.staff, "state", {"committed"}
    )
    assert done["state"] == "committed"
    ids = await record_ids(stack.http, stack.staff, word)
    assert len(ids) == 3  # the known one, its new twin, and record 3; record 1 ignored
    r = await stack.http.get(f"/api/v1/records/{known_id}", headers=stack.staff)
    assert r.json()["holdings"] == 1  # not merged: the rule made it a new record


async def test_the_commit_waits_for_every_multi_match(stack: Stack) -> None:
    word = tag()
    await import_records(stack, [book(f"Kembar {word}", author="Hamka", year=1950)])
    # Alike in title, author and year, with no ISBN to tell: only a cataloguer can say.
    twin = await import_records(
        stack, [book(f"Kembar {word}", author="Hamka", year=1950)], commit=False
    )
    review = f"/batches/{twin['id']}/review"
    async with user_client(stack, "cataloguer") as client:
        page = await client.get(review)
        assert "several possible matches" in row_of(page.text, 1)
        assert 'id="unresolved"' in page.text and "Commit to the catalogue" not in page.text
        r = await client.post(
            f"/batches/{twin['id']}/commit", data={"csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 303 and r.headers["location"] == review
        assert flash_of(r).startswith("error:"), flash_of(r)

        r = await post_form(client, review, f"{review}/1/decide", {"choice": "create"})
        assert flash_of(r).startswith("ok:"), flash_of(r)
        page = await client.get(review)
        assert 'id="unresolved"' not in page.text and "Commit to the catalogue" in page.text

    async with user_client(stack, "acquisitions") as other:
        assert (await other.get(review)).status_code == 403  # reviewing is a cataloguer's
