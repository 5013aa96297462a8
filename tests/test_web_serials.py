"""The serial pages over HTTP on the real stack (both databases): staff register a title
through the form after seeing its predicted issues, read its year of issues, skip one, record
a receipt, do the yearly review, check issues in at the desk and see the late ones; they
gather the issues we owe a partner into a parcel with its packing list (both addresses) and
mark it sent, and the partner confirms it on the portal, where it sees only its own titles.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
from datetime import date
from typing import Any

import pytest

from services.exchange.service import agreements, serial_issues
from services.exchange.service.keys import Caller
from tests.conftest import Stack
from tests.support import register_partner
from tests.web_support import csrf_of, flash_of, post_form, user_client

pytestmark = pytest.mark.asyncio


def new_issn() -> str:
    """A valid ISSN nobody else in the run uses (its check digit computed)."""
    digits = [random.randrange(10) for _ in range(7)]
    check = -sum(d * (8 - i) for i, d in enumerate(digits)) % 11
    last = "X" if check == 10 else str(check)
    text = "".join(map(str, digits))
    return f"{text[:4]}-{text[4:]}{last}"


def _form(code: str, issn: str, title: str, **extra: str) -> dict[str, str]:
    year = agreements.today().year
    values = {
        "partner": code,
        "issn": issn,
        "title": title,
        "direction": "incoming",
        "issues_per_year": "12",
        "combined": "5-6",
        "volume_start": "40",
        "volume_each_year": "yes",
        "restart_yearly": "yes",
        "issue_start": "1",
        "copies": "1",
        "first_year": str(year),
        "claim_after_days": "30",
        "second_claim_days": "30",
    }
    return {**values, **extra}


async def api_serial(
    stack: Stack, code: str, direction: str, first_year: int, issues: int = 4
) -> dict[str, Any]:
    body = {
        "issn": new_issn(),
        "title": f"Jurnal {direction} {random.randrange(10**6)}",
        "direction": direction,
        "frequency": {"issues_per_year": issues},
        "copies": 1,
        "first_year": first_year,
        "claim_after_days": 30,
    }
    r = await stack.http.post(f"/api/v1/partners/{code}/serials", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def api_issues(stack: Stack, serial_id: int, year: int) -> list[dict[str, Any]]:
    """The title's issues of ``year`` as the API gives them (that year predicted first, as
    the title page does on reading it)."""
    staff = Caller(kind="staff", key_id="test", party=stack.settings.home_code, role="admin")
    await asyncio.to_thread(serial_issues.list_issues, stack.engine, staff, serial_id, year)
    r = await stack.http.get(f"/api/v1/serials/{serial_id}/issues", headers=stack.staff)
    assert r.status_code == 200, r.text
    return [i for i in r.json() if i["year"] == year]


def row_of(page: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert found, f"no row {row_id}"
    return found.group(0)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


async def test_register_a_title_after_its_prediction_and_read_its_year(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    code, issn = partner["code"], new_issn()
    year = agreements.today().year
    title = f"Majalah Arkeologi {random.randrange(10**6)}"
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/serials/new", params={"partner": code})
        assert page.status_code == 200, page.text
        assert f'<option value="{code}" selected>' in page.text
        token = csrf_of(page.text)

        # The preview: the form as typed, with this year's issues and next year's below it.
        r = await web.post("/serials/new", data={"csrf_token": token, **_form(code, issn, title)})
        assert r.status_code == 200, r.text
        assert f'value="{title}"' in r.text
        this_year = r.text[r.text.index(f'id="prediction-{year}"') :]
        this_year = this_year[: this_year.index("</table>")]
        assert this_year.count("<tr><td") == 11  # 12 numbers, 5 and 6 one double issue
        assert "vol. 40, no. 5/6" in this_year and "vol. 40, no. 12" in this_year
        assert f'id="prediction-{year + 1}"' in r.text and "vol. 41, no. 1" in r.text

        # A wrong ISSN is refused beside its field, everything typed kept.
        bad = _form(code, "1234-5678", title)
        r = await web.post("/serials", data={"csrf_token": token, **bad})
        assert r.status_code == 422, r.text
        assert 'id="n-issn-error"' in r.text and f'value="{title}"' in r.text

        # A pattern that predicts nothing: the reason beside the frequency.
        odd = _form(code, issn, title, combined="12-13")
        r = await web.post("/serials/new", data={"csrf_token": token, **odd})
        assert r.status_code == 422, r.text
        assert 'id="n-issues_per_year-error"' in r.text

        r = await web.post("/serials", data={"csrf_token": token, **_form(code, issn, title)})
        assert r.status_code == 303, r.text
        found = re.fullmatch(r"/serials/(\d+)", r.headers["location"])
        assert found, r.headers["location"]
        serial_id = int(found.group(1))

        page = await web.get(f"/serials/{serial_id}")
        assert page.status_code == 200, page.text
        issues = await api_issues(stack, serial_id, year)
        assert len(issues) == 11
        for issue in issues:
            assert f'id="issue-{issue["id"]}"' in page.text
        first = row_of(page.text, f"issue-{issues[0]['id']}")
        assert "vol. 40, no. 1" in text_of(first)
        assert issues[0]["expected_on"] == f"{year}-01-31"
        # January's issue is late once February has come: highlighted as such.
        if agreements.today() > date(year, 1, 31):
            assert 'class="late' in first
        next_year = await web.get(f"/serials/{serial_id}", params={"year": year + 1})
        assert "vol. 41, no. 1" in next_year.text

        # The register finds it by ISSN and by words of its title, and by direction.
        listing = await web.get("/serials", params={"q": issn})
        assert f'href="/serials/{serial_id}"' in listing.text
        listing = await web.get("/serials", params={"q": title.split()[1]})
        assert f'href="/serials/{serial_id}"' in listing.text
        listing = await web.get("/serials", params={"partner": code, "direction": "outgoing"})
        assert f'href="/serials/{serial_id}"' not in listing.text

        # In Indonesian too.
        await web.get("/lang/id", params={"next": "/serials"})
        page = await web.get(f"/serials/{serial_id}")
        assert page.status_code == 200 and '<html lang="id">' in page.text


async def test_skip_receive_review_and_late_issues(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    year = agreements.today().year
    serial = await api_serial(stack, partner["code"], "incoming", year - 1, issues=4)
    serial_id = serial["id"]
    last_year = await api_issues(stack, serial_id, year - 1)
    first, second, third = last_year[0], last_year[1], last_year[2]
    page_url = f"/serials/{serial_id}?year={year - 1}"
    async with user_client(stack, "acquisitions") as web:
        # Skip: not published.
        action = f"/serials/{serial_id}/issues/{first['id']}/edit"
        r = await post_form(web, page_url, action, {"skip": "yes", "year": str(year - 1)})
        assert r.status_code == 303 and flash_of(r) == "ok:The issue is changed.", flash_of(r)
        assert r.headers["location"] == page_url
        # A receipt, one copy damaged.
        action = f"/serials/{serial_id}/issues/{second['id']}/receipt"
        r = await post_form(web, page_url, action, {"copies": "2", "damaged": "1"})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        now = {i["id"]: i for i in await api_issues(stack, serial_id, year - 1)}
        assert now[first["id"]]["state"] == "skipped"
        assert now[second["id"]]["state"] == "received"
        assert now[second["id"]]["copies_received"] == 2 and now[second["id"]]["damaged"] == 1
        page = await web.get(page_url)
        assert "state-skipped" in row_of(page.text, f"issue-{first['id']}")
        assert "damaged: 1" in text_of(row_of(page.text, f"issue-{second['id']}"))

        # Late issues across titles: the third of last year is, the skipped one is not.
        late = await web.get("/serials/late")
        assert late.status_code == 200, late.text
        assert f'id="late-{third["id"]}"' in late.text
        assert f'id="late-{first["id"]}"' not in late.text
        assert f'id="late-{second["id"]}"' not in late.text
        assert 'class="late overdue"' in row_of(late.text, f"late-{third['id']}")

        # The yearly review: confirmed for next year with two copies.
        action = f"/serials/{serial_id}/review"
        form = {"review_year": str(year + 1), "copies": "2", "keep": "yes"}
        r = await post_form(web, f"/serials/{serial_id}", action, form)
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        r = await stack.http.get(f"/api/v1/serials/{serial_id}", headers=stack.staff)
        assert r.json()["confirmed_year"] == year + 1 and r.json()["copies"] == 2
        page = await web.get(f"/serials/{serial_id}")
        assert f'id="confirmed-year">{year + 1}<' in page.text

    # A cataloguer reads the page but is shown no form, and a post is refused.
    async with user_client(stack, "cataloguer") as web:
        page = await web.get(page_url)
        assert page.status_code == 200
        assert f"/issues/{third['id']}/receipt" not in page.text
        r = await web.post(
            f"/serials/{serial_id}/issues/{third['id']}/receipt",
            data={"csrf_token": csrf_of(page.text), "copies": "1"},
        )
        assert r.status_code == 303 and flash_of(r).startswith("error:"), flash_of(r)


async def test_check_in_desk(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    year = agreements.today().year
    serial = await api_serial(stack, partner["code"], "incoming", year, issues=4)
    issues = await api_issues(stack, serial["id"], year)
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/serials/check-in")
        assert page.status_code == 200
        assert 'id="c-issn" name="issn" value="" autofocus' in page.text
        token = csrf_of(page.text)
        r = await web.post(
            "/serials/check-in",
            data={"csrf_token": token, "issn": serial["issn"].replace("-", ""), "numbers": "2"},
        )
        assert r.status_code == 303, r.text
        said = flash_of(r)
        assert said.startswith("ok:Checked in: ") and serial["title"] in said, said
        assert "no. 2" in said
        page = await web.get(r.headers["location"])
        assert 'id="last-checkin"' in page.text and 'id="c-issn" name="issn" value=""' in page.text
        assert "state-received" in page.text
        now = {i["id"]: i for i in await api_issues(stack, serial["id"], year)}
        assert now[issues[1]["id"]]["state"] == "received"

        # No such issue: said on the page, with what was typed.
        r = await web.post(
            "/serials/check-in",
            data={"csrf_token": token, "issn": serial["issn"], "numbers": "77"},
        )
        assert r.status_code == 404, r.text
        assert 'id="form-problem"' in r.text and 'name="numbers" value="77"' in r.text


async def test_portal_shows_only_its_own_serials(stack: Stack) -> None:
    year = agreements.today().year
    ours, _ = await register_partner(stack.http, stack.staff)
    theirs, _ = await register_partner(stack.http, stack.staff)
    mine = await api_serial(stack, ours["code"], "outgoing", year)
    other = await api_serial(stack, theirs["code"], "incoming", year)
    async with user_client(stack, "partner", ours["code"]) as web:
        page = await web.get("/partner/serials")
        assert page.status_code == 200, page.text
        assert f'href="/partner/serials/{mine["id"]}"' in page.text
        assert other["title"] not in page.text
        page = await web.get(f"/partner/serials/{mine['id']}")
        assert page.status_code == 200 and mine["title"] in page.text
        r = await web.get(f"/partner/serials/{other['id']}")
        assert r.status_code == 404
        # Its form cannot reach another partner's title either.
        r = await web.post(
            f"/partner/serials/{other['id']}/end", data={"csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 404
        await web.get("/lang/ru", params={"next": "/partner/serials"})
        page = await web.get("/partner/serials")
        assert page.status_code == 200 and '<html lang="ru">' in page.text
    r = await stack.http.get(f"/api/v1/serials/{other['id']}", headers=stack.staff)
    assert r.json()["state"] == "active"


async def _address(stack: Stack, code: str, lines: str) -> None:
    r = await stack.http.post(
        f"/api/v1/partners/{code}/addresses",
        json={"kind": "shipping", "lines": lines, "country": "RU"},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text


async def test_dispatch_packing_list_sent_and_confirmed(stack: Stack) -> None:
    year = agreements.today().year
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    street = f"Vozdvizhenka {random.randrange(1000)}"
    await _address(stack, code, f"Russian State Library\n{street}\nMoscow 119019")
    serial = await api_serial(stack, code, "outgoing", year - 1, issues=4)
    due = await api_issues(stack, serial["id"], year - 1)  # last year's: all due by now
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/serials/dispatch", params={"partner": code})
        assert page.status_code == 200, page.text
        section = page.text[page.text.index(f'id="due-{code}"') :]
        for issue in due:
            assert f'name="issue" value="{issue["id"]}" checked' in section
        picked = [str(due[0]["id"]), str(due[1]["id"])]
        r = await web.post(
            "/serials/dispatch",
            data={"csrf_token": csrf_of(page.text), "partner": code, "issue": picked},
        )
        assert r.status_code == 303, r.text
        found = re.fullmatch(r"/serials/dispatches/(\d+)", r.headers["location"])
        assert found, r.headers["location"]
        dispatch_id = int(found.group(1))
        parcel = await web.get(r.headers["location"])
        assert parcel.status_code == 200, parcel.text
        sender = parcel.text[parcel.text.index('id="sender"') : parcel.text.index('id="recipient"')]
        recipient = parcel.text[parcel.text.index('id="recipient"') :]
        assert stack.settings.home_name in sender
        assert partner["name"] in recipient and street in recipient
        listed = parcel.text[parcel.text.index('id="dispatch-issues"') :]
        assert listed.count(serial["title"]) == 2 and serial["issn"] in listed
        assert "state-draft" in parcel.text
        # The rest is still due; the parcel's are not.
        page = await web.get("/serials/dispatch", params={"partner": code})
        assert f'value="{due[0]["id"]}"' not in page.text
        assert f'value="{due[2]["id"]}"' in page.text

        r = await post_form(
            web, r.headers["location"], f"/serials/dispatches/{dispatch_id}/sent", {}
        )
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        parcel = await web.get(f"/serials/dispatches/{dispatch_id}")
        assert "state-sent" in parcel.text and 'id="mark-sent"' not in parcel.text

    async with user_client(stack, "partner", code) as portal:
        page = await portal.get("/partner/serials")
        assert f'href="/partner/serials/dispatches/{dispatch_id}"' in page.text
        url = f"/partner/serials/dispatches/{dispatch_id}"
        r = await post_form(portal, url, f"{url}/confirm", {})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        page = await portal.get(url)
        assert "state-confirmed" in page.text
    now = {i["id"]: i for i in await api_issues(stack, serial["id"], year - 1)}
    assert now[due[0]["id"]]["state"] == "received" and now[due[2]["id"]]["state"] != "received"
    other, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "partner", other["code"]) as portal:
        r = await portal.get(f"/partner/serials/dispatches/{dispatch_id}")
        assert r.status_code == 404


async def test_what_we_send_claimed_on_the_portal_answered_by_staff(stack: Stack) -> None:
    """An outgoing title: the partner claims a late issue and confirms another arrived on the
    portal; our staff answer the claim on the title page; the partner ends the title."""
    year = agreements.today().year
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    serial = await api_serial(stack, code, "outgoing", year - 1, issues=4)
    serial_id = serial["id"]
    first, second = (await api_issues(stack, serial_id, year - 1))[:2]
    url = f"/partner/serials/{serial_id}?year={year - 1}"
    async with user_client(stack, "partner", code) as portal:
        page = await portal.get(url)
        assert f'action="/partner/serials/{serial_id}/issues/{first["id"]}/claim"' in page.text
        action = f"/partner/serials/{serial_id}/issues/{first['id']}/claim"
        r = await post_form(portal, url, action, {"year": str(year - 1)})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        assert r.headers["location"] == url
        action = f"/partner/serials/{serial_id}/issues/{second['id']}/receipt"
        r = await post_form(portal, url, action, {"copies": "1", "year": str(year - 1)})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        page = await portal.get(url)
        assert "state-claimed" in row_of(page.text, f"issue-{first['id']}")
        assert "state-received" in row_of(page.text, f"issue-{second['id']}")
        # Our claims' answer form is not the partner's for what we send.
        assert f"/issues/{first['id']}/answer" not in page.text

    sent_on = agreements.today().isoformat()
    async with user_client(stack, "acquisitions") as web:
        staff_url = f"/serials/{serial_id}?year={year - 1}"
        page = await web.get(staff_url)
        claimed = row_of(page.text, f"issue-{first['id']}")
        assert f'action="/serials/{serial_id}/issues/{first["id"]}/answer"' in claimed
        action = f"/serials/{serial_id}/issues/{first['id']}/answer"
        form = {"answer": "sent", "sent_on": sent_on, "year": str(year - 1)}
        r = await post_form(web, staff_url, action, form)
        assert r.status_code == 303 and flash_of(r) == "ok:The claim is answered.", flash_of(r)
        page = await web.get(staff_url)
        assert "sent on" in text_of(row_of(page.text, f"issue-{first['id']}"))
    now = {i["id"]: i for i in await api_issues(stack, serial_id, year - 1)}
    assert now[first["id"]]["answer"] == "sent" and now[first["id"]]["sent_on"] == sent_on
    assert now[first["id"]]["state"] == "expected"

    async with user_client(stack, "partner", code) as portal:
        url = f"/partner/serials/{serial_id}"
        r = await post_form(portal, url, f"{url}/end", {"note": "no longer collected"})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        page = await portal.get(url)
        assert "state-ended" in page.text and 'id="not-wanted"' not in page.text
