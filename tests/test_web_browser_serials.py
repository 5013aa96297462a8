"""The issue's browser test for serials (issue 16), in Debian's Chromium: a title the partner
sends us is claimed by its workflow once an issue is past its claim day; the partner answers
the claim on the portal ("sent on ..."), and the claim's answer and the issue's state change
there and on the staff title page; the issue arrives and staff check it in at the desk, the
ISSN and the number typed as a scanner would (each followed by Enter), and see it received.

On the ``stack`` (API, worker and Temporal's dev server): the title's workflow claims what is
due as soon as it starts, so the pages run in real time.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from services.exchange.service import agreements
from tests.conftest import Stack
from tests.support import register_partner
from tests.test_web_browser import _check, _sign_in
from tests.test_web_browser import browser as browser  # the module's Chromium, reused
from tests.test_web_serials import new_issn
from tests.web_support import make_user

pytestmark = pytest.mark.asyncio


async def _issue(stack: Stack, serial_id: int, issue_id: int) -> dict[str, Any]:
    r = await stack.http.get(f"/api/v1/serials/{serial_id}/issues", headers=stack.staff)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = next(i for i in r.json() if i["id"] == issue_id)
    return found


async def _until(stack: Stack, serial_id: int, issue_id: int, state: str) -> dict[str, Any]:
    """The issue once its state is ``state`` (the workflow claims on its own time)."""
    issue: dict[str, Any] = {}
    for _ in range(300):
        issue = await _issue(stack, serial_id, issue_id)
        if issue["state"] == state:
            return issue
        await asyncio.sleep(0.1)
    raise AssertionError(f"issue {issue_id} never became {state}: {issue}")


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_a_claim_answered_on_the_portal_and_the_issue_checked_in(
    stack: Stack, browser: Browser
) -> None:
    base, tag = stack.base_url, uuid.uuid4().hex[:6]
    today = agreements.today()
    partner, _ = await register_partner(
        stack.http, stack.staff, name=f"Russian State Library {tag}", country="RU"
    )
    code, issn, title = partner["code"], new_issn(), f"Vestnik Biblioteki {tag}"
    body = {
        "issn": issn,
        "title": title,
        "direction": "incoming",
        "frequency": {"issues_per_year": 4},
        "first_year": today.year,
        "claim_after_days": 5,
    }
    r = await stack.http.post(f"/api/v1/partners/{code}/serials", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    serial_id = r.json()["id"]
    # A supplement that should have come ten days ago: past its claim day, whatever the month;
    # "sent two days ago" then moves its claim day three days on.
    extra = {"year": today.year, "numbers": "77", "expected_on": str(today - timedelta(days=10))}
    r = await stack.http.post(
        f"/api/v1/serials/{serial_id}/issues", json=extra, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    issue_id = r.json()["id"]
    claimed = await _until(stack, serial_id, issue_id, "claimed")
    assert claimed["claims"] == 1

    librarian = await make_user(stack, "acquisitions", name="Siti Rahayu")
    reader = await make_user(stack, "partner", code)
    staff_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    portal_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    staff, portal = await staff_context.new_page(), await portal_context.new_page()
    try:
        # Staff see the claim on the title page, the issue highlighted as late.
        await _sign_in(staff, base, "/signin", *librarian)
        await staff.goto(f"{base}/serials/{serial_id}")
        row = staff.locator(f"#issue-{issue_id}")
        await expect(row.locator(".issue-state")).to_have_text("claimed")
        await expect(row).to_have_class("late overdue")
        await _check(staff, "serial-title")

        # The partner answers on the portal: sent, on a day.
        await _sign_in(portal, base, "/partner/signin", *reader)
        await portal.get_by_role("navigation").get_by_role("link", name="Serials").click()
        await expect(portal.locator(f"#serial-{serial_id}")).to_contain_text("claim")
        await portal.get_by_role("link", name=title).click()
        row = portal.locator(f"#issue-{issue_id}")
        await expect(row.locator(".issue-state")).to_have_text("claimed")
        await _check(portal, "portal-serial-claimed")
        sent_on = today - timedelta(days=2)
        await row.get_by_label("Answer").select_option("sent")
        await row.get_by_label("Day sent").fill(sent_on.isoformat())
        await row.get_by_role("button", name="Answer the claim").click()
        await expect(portal.get_by_role("status")).to_contain_text("Thank you for your answer.")
        row = portal.locator(f"#issue-{issue_id}")
        await expect(row.locator(".issue-state")).to_have_text("expected")
        await expect(row.locator(".issue-answer")).to_contain_text("sent on")
        answered = await _issue(stack, serial_id, issue_id)
        assert answered["answer"] == "sent" and answered["sent_on"] == sent_on.isoformat()

        # Staff see the answer; the issue arrives and is checked in at the desk.
        await staff.reload()
        row = staff.locator(f"#issue-{issue_id}")
        await expect(row.locator(".issue-state")).to_have_text("expected")
        await expect(row).to_contain_text("sent on")
        await staff.get_by_role("navigation").get_by_role("link", name="Serials").click()
        await staff.get_by_role("link", name="Check in issues").click()
        issn_field = staff.get_by_label("ISSN")
        await expect(issn_field).to_be_focused()
        await issn_field.press_sequentially(issn.replace("-", ""))
        await issn_field.press("Enter")  # a scanner's Enter: on to the number, nothing sent
        number_field = staff.get_by_label("Issue number")
        await expect(number_field).to_be_focused()
        await number_field.press_sequentially("77")
        await number_field.press("Enter")
        await expect(staff.get_by_role("status")).to_contain_text(f"Checked in: {title}")
        await expect(staff.locator("#last-state")).to_have_text("received")
        await expect(staff.get_by_label("ISSN")).to_be_focused()  # ready for the next
        await expect(staff.get_by_label("ISSN")).to_have_value("")
        await _check(staff, "serial-check-in")
        received = await _issue(stack, serial_id, issue_id)
        assert received["state"] == "received" and received["copies_received"] == 1

        await staff.goto(f"{base}/serials/{serial_id}")
        row = staff.locator(f"#issue-{issue_id}")
        await expect(row.locator(".issue-state")).to_have_text("received")
        await portal.reload()
        await expect(portal.locator(f"#issue-{issue_id} .issue-state")).to_have_text("received")
    finally:
        await staff_context.close()
        await portal_context.close()
