"""A partner's addresses and contacts on its staff page, over real HTTP: acquisitions staff
add, change and remove them; a refused form comes back filled in with the reason beside the
field; a cataloguer's post is refused as the API refuses it."""

from __future__ import annotations

import html
import re

from tests.conftest import Stack
from tests.support import register_partner
from tests.web_support import flash_of, post_form, user_client


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_staff_keep_addresses_and_contacts_on_the_partner_page(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff, name="Russian State Library")
    page = f"/partners/{partner['code']}"
    async with user_client(stack, "acquisitions") as staff:
        r = await post_form(
            staff,
            page,
            f"{page}/addresses",
            {"kind": "postal", "lines": "Vozdvizhenka 3/5\r\nMoscow 119019", "country": "RU"},
        )
        assert r.status_code == 303 and "Address added." in flash_of(r)
        r = await post_form(
            staff,
            page,
            f"{page}/contacts",
            {"name": "Anna Ivanova", "email": "anna@rsl.example", "language": "ru"},
        )
        assert r.status_code == 303 and "Contact added." in flash_of(r)
        shown = (await staff.get(page)).text
        assert "Vozdvizhenka 3/5" in shown and "Russia" in _text(shown)
        assert "Anna Ivanova" in shown and "anna@rsl.example" in shown
        assert "not told of each step" in shown, "the box was not ticked"

        # A wrong e-mail: the form comes back as typed, the reason beside the field.
        (contact_id,) = re.findall(rf'action="{page}/contacts/(\d+)"', shown)
        r = await post_form(
            staff,
            page,
            f"{page}/contacts/{contact_id}",
            {"name": "Anna Petrovna Ivanova", "email": "anna.rsl.example", "language": "ru"},
        )
        assert r.status_code == 422, r.text
        assert 'value="Anna Petrovna Ivanova"' in r.text
        assert f'id="contact-{contact_id}-email-error"' in r.text
        assert 'aria-invalid="true"' in r.text and "E-mail" in _text(r.text)
        r = await post_form(
            staff,
            page,
            f"{page}/contacts/{contact_id}",
            {
                "name": "Anna Petrovna Ivanova",
                "email": "anna@rsl.example",
                "language": "en",
                "receives_notices": "yes",
            },
        )
        assert r.status_code == 303 and "Contact saved." in flash_of(r)
        shown = (await staff.get(page)).text
        assert "Anna Petrovna Ivanova" in shown and "not told of each step" not in shown

        r = await post_form(
            staff, page, f"{page}/addresses", {"kind": "postal", "lines": "x", "country": "XX"}
        )
        assert r.status_code == 422 and 'id="addr-new-country-error"' in r.text
        assert "x</textarea>" in r.text, "the address typed is kept"

        (address_id,) = re.findall(rf'action="{page}/addresses/(\d+)/remove"', shown)
        r = await post_form(staff, page, f"{page}/addresses/{address_id}/remove", {})
        assert r.status_code == 303 and "Address removed." in flash_of(r)
        assert "Vozdvizhenka" not in (await staff.get(page)).text

    async with user_client(stack, "cataloguer") as cataloguer:
        r = await post_form(
            cataloguer,
            "/",
            f"{page}/contacts",
            {"name": "Someone", "email": "someone@rsl.example", "language": "ru"},
        )
        assert r.status_code == 303 and "acquisitions" in flash_of(r), flash_of(r)
    async with user_client(stack, "admin") as admin:
        assert "Anna Petrovna Ivanova" in (await admin.get(page)).text
        assert "Someone" not in (await admin.get(page)).text, "the cataloguer's was refused"
