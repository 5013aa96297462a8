"""The audit page on the real stack: admins read who changed what, field by field, filtered by
what, who and when; everyone else gets a 403 page that keeps their menu."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import Stack
from tests.web_support import make_user, post_form, signed_in, user_client


async def test_admins_see_each_change_field_by_field(stack: Stack) -> None:
    name = f"Siti Audit {uuid.uuid4().hex[:4]}"
    admin = await make_user(stack, "admin", name=name)
    code = f"W{uuid.uuid4().hex[:8].upper()}"
    async with signed_in(stack, *admin) as web:
        r = await post_form(
            web,
            "/partners",
            "/partners",
            {"code": code, "name": "Audit page library", "country": "by", "marc_format": "marc21"},
        )
        assert r.status_code == 200, r.text  # the page that shows the new key once
        r = await stack.http.patch(
            f"/api/v1/partners/{code}",
            json={"name": "Audit page library, renamed"},
            headers=stack.staff,
        )
        assert r.status_code == 200, r.text

        page = await web.get("/audit", params={"entity": "partner", "actor": name})
        assert page.status_code == 200, page.text
        text = html.unescape(page.text)
        assert 'href="/audit"' in page.text  # in the menu, for admins
        assert "1 change" in text  # the entry made through the page, by this admin
        assert name in text and code in text and "created" in text
        assert "Audit page library" in text and "BY" in text
        assert "webhook_secret" not in text and "secret_hash" not in text

        # Every actor: the page's entry and the API's (the bootstrap key), newest first.
        page = await web.get("/audit", params={"entity": "partner", "actor": "staff:admin"})
        text = html.unescape(page.text)
        assert re.search(
            r"<del>Audit page library</del> → <ins>Audit page library, renamed</ins>", text
        ), text
        # Days: nothing tomorrow; today has it.
        tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
        later = await web.get("/audit", params={"actor": name, "since": tomorrow})
        assert "No change matches." in later.text


async def test_others_get_a_403_page_with_their_menu(stack: Stack) -> None:
    for role in ("acquisitions", "cataloguer"):
        async with user_client(stack, role) as web:
            r = await web.get("/audit")
            assert r.status_code == 403, (role, r.text)
            assert 'href="/exchanges"' in r.text, "the signed-in menu is kept"
            assert 'href="/audit"' not in r.text, "no menu entry for a page one may not use"
            dashboard = await web.get("/")
            assert 'href="/audit"' not in dashboard.text


async def test_the_audit_page_in_bahasa_indonesia(stack: Stack) -> None:
    async with user_client(stack, "admin") as web:
        web.cookies.set("exchange_lang", "id")
        r = await web.get("/audit")
        assert r.status_code == 200
        assert "Siapa (nama atau staff:user-…)" in r.text  # the filter "Who", in Indonesian
        assert "Who (name" not in r.text
