"""The first day's forms and errors over real HTTP (issue 19, items 1, 3, 4, 5 and 10): the
staff partner pages are the staff desk's, forms show only to whom may use them, a refused form
comes back filled in with its reason beside the field, error pages keep the menu, the proposal
search keeps every choice, the fund is searched by ISBN and ISSN, and cancelling asks first."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from markupsafe import escape

from services.exchange.web.i18n import TRANSLATIONS
from tests.conftest import Stack
from tests.support import marc_file, register_partner
from tests.web_support import (
    csrf_of,
    exchange_of,
    exchange_view,
    flash_of,
    post_form,
    user_client,
)

STAFF_MENU = ('action="/signout"', 'href="/exchanges"', 'href="/fund"')
NO_SUCH_EXCHANGE = "00000000-0000-4000-8000-000000000000"


def _unique_isbn() -> str:
    digits = f"978{uuid.uuid4().int % 10**9:09d}"
    return digits + str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10)


def _isbn10_of(isbn13: str) -> str:
    core = isbn13[3:12]
    check = -sum(int(d) * (10 - i) for i, d in enumerate(core)) % 11
    return core + ("X" if check == 10 else str(check))


def _unique_issn() -> str:
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    check = -sum(int(d) * (8 - i) for i, d in enumerate(digits)) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


async def test_the_staff_partner_pages_are_the_staff_desk_not_the_portal(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    async with user_client(stack, "acquisitions") as web:
        await web.get("/lang/id?next=/")
        for url in ("/partners", f"/partners/{code}"):
            page = await web.get(url)
            assert page.status_code == 200, url
            assert '<html lang="id">' in page.text, url  # Indonesian, as chosen
            for shown in STAFF_MENU:
                assert shown in page.text, (url, shown)
            assert "/partner/" not in page.text, url  # no portal menu, sign-out or home
            switch = re.search(r'<span class="langs">(.*?)</span>', page.text, re.DOTALL)
            assert switch and "Bahasa Indonesia" in switch.group(1), url
            assert "Русский" not in switch.group(1), url
            assert TRANSLATIONS["id"].gettext("Partner portal") not in page.text, url
    async with user_client(stack, "partner", code) as portal:
        page = await portal.get("/partner/")
        switch = re.search(r'<span class="langs">(.*?)</span>', page.text, re.DOTALL)
        assert 'action="/partner/signout"' in page.text and switch and "Русский" in switch.group(1)


async def test_forms_are_shown_only_to_whom_may_use_them(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "cataloguer") as web:
        home = await web.get("/")
        assert 'href="/proposals/new"' not in home.text
        refused = await web.get("/proposals/new")
        assert refused.status_code == 403
        assert "Proposals are made by acquisitions staff and administrators." in refused.text
        assert all(shown in refused.text for shown in STAFF_MENU)  # the menu stays
        assert 'action="/proposals/review"' not in refused.text
        review = await web.post(
            "/proposals/review",
            data={"csrf_token": csrf_of(home.text), "partner": partner["code"], "qty-1": "1"},
        )
        assert review.status_code == 403
        fund = await web.get("/fund")
        assert fund.status_code == 200 and 'action="/fund/deposits"' not in fund.text
        cataloguing = await web.get("/cataloguing")
        assert 'action="/cataloguing/upload"' in cataloguing.text
    async with user_client(stack, "acquisitions") as web:
        home = await web.get("/")
        assert 'href="/proposals/new"' in home.text
        page = await web.get("/proposals/new")
        assert page.status_code == 200 and 'action="/proposals/review"' in page.text
        assert 'action="/fund/deposits"' in (await web.get("/fund")).text
        cataloguing = await web.get("/cataloguing")
        assert cataloguing.status_code == 200
        assert 'action="/cataloguing/upload"' not in cataloguing.text
        assert "MARC files are uploaded by cataloguers and administrators." in cataloguing.text


async def test_error_pages_keep_the_signed_in_menu(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "acquisitions") as web:
        for url in (f"/exchanges/{NO_SUCH_EXCHANGE}", "/no-such-page"):
            r = await web.get(url)
            assert r.status_code == 404, url
            assert all(shown in r.text for shown in STAFF_MENU), url
    async with user_client(stack, "partner", partner["code"]) as portal:
        for url in (f"/partner/exchanges/{NO_SUCH_EXCHANGE}", "/partner/no-such-page"):
            r = await portal.get(url)
            assert r.status_code == 404, url
            assert 'action="/partner/signout"' in r.text and 'href="/partner/exchanges"' in r.text


async def test_a_wrong_exchange_on_the_upload_form_comes_back_filled_in(
    stack: Stack, tmp_path: Path
) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    exchange_id = await exchange_of(stack, partner, 1)
    number = (await exchange_view(stack, exchange_id)).get("number") or exchange_id[:8]
    upload = marc_file(tmp_path / "deposit.mrc", 3).read_bytes()
    async with user_client(stack, "cataloguer") as web:
        page = await web.get(f"/cataloguing?exchange={exchange_id}")
        option = re.search(rf'<option value="{exchange_id}" selected>([^<]*)</option>', page.text)
        assert option and number in option.group(1)  # picked from a list, by its number
        r = await web.post(
            "/cataloguing/upload",
            data={
                "csrf_token": csrf_of(page.text),
                "exchange_id": NO_SUCH_EXCHANGE,
                "encoding": "cp1251",
                "mode": "dry_run",
            },
            files={"file": ("deposit.mrc", upload, "application/marc")},
        )
        assert r.status_code == 422, r.text
        assert all(shown in r.text for shown in STAFF_MENU)
        beside = re.search(r'<span class="field-error" id="exchange_id-error">([^<]*)<', r.text)
        assert beside and "choose one of the listed exchanges" in beside.group(1)
        assert "For exchange: choose one of the listed exchanges" in r.text  # label, not code
        assert "choose it again" in r.text  # the file cannot be kept by a browser
        assert '<option value="cp1251" selected>' in r.text
        assert 'value="dry_run" checked' in r.text
        r = await web.post(
            "/cataloguing/upload",
            data={"csrf_token": csrf_of(page.text), "exchange_id": exchange_id},
            files={"file": ("empty.mrc", b"", "application/marc")},
        )
        assert r.status_code == 422 and 'id="file-error"' in r.text
        assert f'<option value="{exchange_id}" selected>' in r.text


async def test_a_refused_agreement_comes_back_filled_in_in_the_readers_language(
    stack: Stack,
) -> None:
    partner, _ = await register_partner(stack.http, stack.staff, agreement=None)
    code = partner["code"]
    async with user_client(stack, "admin") as web:
        await web.get("/lang/id?next=/")
        r = await post_form(
            web,
            f"/partners/{code}",
            f"/partners/{code}/agreements",
            {
                "signed_on": "2026-01-10",
                "valid_from": "2026-02-01",
                "valid_to": "2026-01-01",
                "programmes": "digital_exchange",
                "response_days": "45",
                "receipt_days": "90",
                "yearly_quota": "120",
            },
        )
        assert r.status_code == 422, r.text
        assert "valid_to:" not in r.text
        id_ = TRANSLATIONS["id"]
        said = f"{id_.gettext('Valid to')}: {id_.gettext('the agreement ends before it starts')}"
        assert str(escape(said)) in r.text
        assert 'id="a-valid_to-error"' in r.text
        for value in ("2026-01-10", "2026-02-01", "2026-01-01", "45", "90", "120"):
            assert f'value="{value}"' in r.text, value
        assert 'value="digital_exchange" checked' in r.text
        assert 'value="material_exchange" checked' not in r.text
        assert all(shown in r.text for shown in STAFF_MENU)


async def test_a_search_keeps_the_partner_the_deadline_and_every_quantity(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    for title in (f"Alpha {code}", f"Beta {code}"):
        r = await stack.http.post(
            "/api/v1/deposits", json={"title": title, "copies": 6}, headers=stack.staff
        )
        assert r.status_code in (200, 201), r.text
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/proposals/new", params={"q": f"Alpha {code}"})
        found = re.search(r'name="qty-([0-9]+)"', page.text)
        assert found
        alpha = found.group(1)
        r = await web.post(
            "/proposals/new",
            data={
                "csrf_token": csrf_of(page.text),
                "partner": code,
                "respond_by": "2030-01-31",
                f"qty-{alpha}": "2",
                "q": f"Beta {code}",
            },
        )
        assert r.status_code == 303, r.text
        again = await web.get(r.headers["location"])
        assert f'<option value="{code}" selected>' in again.text
        assert 'value="2030-01-31"' in again.text
        assert f'name="pick" value="{alpha}:2"' in again.text
        assert f"Alpha {code}" in again.text and f"Beta {code}" in again.text
        assert 'name="q" type="search" value="Beta ' in again.text


async def test_the_fund_page_finds_isbns_and_issns_as_the_proposal_page_does(
    stack: Stack,
) -> None:
    isbn, issn = _unique_isbn(), _unique_issn()
    title = f"Jurnal Kebudayaan {isbn}"
    r = await stack.http.post(
        "/api/v1/deposits",
        json={"title": title, "isbn": isbn, "issn": issn, "copies": 4},
        headers=stack.staff,
    )
    assert r.status_code in (200, 201), r.text
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"
    async with user_client(stack, "acquisitions") as web:
        for typed in (hyphenated, isbn, _isbn10_of(isbn), issn, issn.replace("-", "")):
            for url in ("/fund", "/proposals/new"):
                page = await web.get(url, params={"q": typed})
                assert title in page.text, (url, typed)
        page = await web.get("/fund", params={"q": issn})
        assert '<th scope="col"' in page.text and ">ISSN<" in page.text
        assert f'class="mono">{issn}<' in page.text


async def test_cancelling_asks_first_and_names_the_exchange(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff, name="Russian State Library")
    for prefix, role in (("", "acquisitions"), ("/partner", "partner")):
        exchange_id = await exchange_of(stack, partner, 1)
        number = (await exchange_view(stack, exchange_id)).get("number") or exchange_id[:8]
        async with user_client(stack, role, partner["code"] if prefix else None) as web:
            url = f"{prefix}/exchanges/{exchange_id}"
            page = await web.get(url)
            assert f'<form method="get" action="{url}/cancel">' in page.text
            posted = await web.post(
                f"{url}/cancel", data={"csrf_token": csrf_of(page.text), "reason": "Budget"}
            )
            assert posted.status_code == 303  # not cancelled: asked first
            assert posted.headers["location"] == f"{url}/cancel?reason=Budget"
            assert (await exchange_view(stack, exchange_id))["state"] == "proposed"
            confirm = await web.get(posted.headers["location"])
            assert confirm.status_code == 200
            assert number in confirm.text and "It cannot be undone." in confirm.text
            other = stack.settings.home_name if prefix else "Russian State Library"
            assert f"and {other} is told your reason" in confirm.text
            assert 'name="reason" required maxlength="2000" value="Budget"' in confirm.text
            assert f'href="{url}">' in confirm.text  # "No, keep it"
            done = await web.post(
                f"{url}/cancel",
                data={"csrf_token": csrf_of(confirm.text), "reason": "Budget", "confirmed": "yes"},
            )
            assert flash_of(done).startswith("ok:"), flash_of(done)
            assert (await exchange_view(stack, exchange_id))["state"] == "cancelled"
            again = await web.get(f"{url}/cancel")
            assert again.status_code == 303 and flash_of(again).startswith("error:")
