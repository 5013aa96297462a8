"""What a serial renewal and a selection from a partner's offer list would do to the balance,
shown on the staff pages before they are sent, over HTTP on the real stack (both databases).

The yearly review of an outgoing title shows the next year's issues times the copies as the
effect, in the agreement's model (pieces, or value in the agreement's currency when the title
has a value and no currency of its own), with a warning past the tolerance and none within
it; a title we receive shows none. A partner's offer list shows what submitting our saved
selection would do (we receive it), warned past the tolerance, and nothing once submitted.
"""

from __future__ import annotations

import html
import re
from typing import Any

from services.exchange.service import agreements
from tests.conftest import Stack
from tests.support import register_partner
from tests.test_web_serials import api_serial, new_issn
from tests.web_support import post_form, user_client

TODAY = agreements.today()
YEAR = TODAY.year
# The year the title page offers to confirm: next year from October on (as the page says).
REVIEW_YEAR = YEAR + (1 if TODAY.month >= 10 else 0)


def _agreement(**balance: Any) -> dict[str, Any]:
    return {
        "signed_on": f"{YEAR - 1}-01-10",
        "valid_from": f"{YEAR - 1}-01-10",
        "valid_to": f"{YEAR + 4}-12-31",
        "programmes": ["material_exchange"],
        **balance,
    }


def _text(fragment: str) -> str:
    words = html.unescape(re.sub(r"<[^>]+>", " ", fragment))
    return re.sub(r"\s+", " ", words.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def _part(page: str, element_id: str) -> str:
    """The preview box with this id: its figures and its warning, to its closing tag."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</div>", page.index("</dl>", start))]


async def test_an_outgoing_renewal_shows_its_effect_and_warns_past_the_tolerance(
    stack: Stack,
) -> None:
    partner, _ = await register_partner(
        stack.http, stack.staff, agreement=_agreement(balance_model="pieces", tolerance="2")
    )
    code = partner["code"]
    ours = await api_serial(stack, code, "outgoing", YEAR, issues=4)
    theirs = await api_serial(stack, code, "incoming", YEAR, issues=4)
    async with user_client(stack, "acquisitions") as web:
        page = await web.get(f"/serials/{ours['id']}")
        assert page.status_code == 200, page.text
        assert "What the renewal does to the balance" in page.text
        assert _text(page.text[page.text.index('id="renewal-effect"') :].split("</p>")[0]).endswith(
            f"4 issues in {REVIEW_YEAR} × 1 copy: counted in the balance as the partner "
            "confirms receipt."
        )
        box = _text(_part(page.text, "renewal-balance"))
        assert "Balance now 0 copies" in box
        assert f"The renewal for {REVIEW_YEAR} +4 copies" in box
        assert "Balance after it +4 copies (we sent more)" in box
        assert "Tolerance 2 copies" in box
        assert 'id="renewal-balance-warning"' in page.text
        assert "Past the tolerance: after this the balance would be +4 copies, beyond the " \
            "agreed tolerance of 2 copies." in box  # fmt: skip
        # A skipped issue is not sent: the renewal counts the issues left.
        issues = await stack.http.get(
            f"/api/v1/serials/{ours['id']}/issues", params={"year": REVIEW_YEAR},
            headers=stack.staff,
        )  # fmt: skip
        first = issues.json()[0]
        r = await post_form(
            web,
            f"/serials/{ours['id']}?year={REVIEW_YEAR}",
            f"/serials/{ours['id']}/issues/{first['id']}/edit",
            {"skip": "yes", "year": str(REVIEW_YEAR)},
        )
        assert r.status_code == 303, r.text
        page = await web.get(f"/serials/{ours['id']}")
        box = _text(_part(page.text, "renewal-balance"))
        assert f"The renewal for {REVIEW_YEAR} +3 copies" in box and "+3 copies" in box
        # What the partner sends us is not a renewal we send: no preview.
        page = await web.get(f"/serials/{theirs['id']}")
        assert page.status_code == 200, page.text
        assert 'id="renewal-balance"' not in page.text
        # In Indonesian, the same box and warning.
        await web.get("/lang/id", params={"next": f"/serials/{ours['id']}"})
        page = await web.get(f"/serials/{ours['id']}")
        assert page.status_code == 200 and '<html lang="id">' in page.text
        assert 'id="renewal-balance"' in page.text and 'id="renewal-balance-warning"' in page.text


async def test_a_valued_renewal_within_the_tolerance_has_no_warning(stack: Stack) -> None:
    """A title valued with no currency of its own counts in the agreement's currency."""
    partner, _ = await register_partner(
        stack.http,
        stack.staff,
        agreement=_agreement(balance_model="value", currency="EUR", tolerance="100"),
    )
    body = {
        "issn": new_issn(),
        "title": "Buletin Perpustakaan",
        "direction": "outgoing",
        "frequency": {"issues_per_year": 4},
        "copies": 2,
        "first_year": YEAR,
        "claim_after_days": 30,
        "unit_value": "10.00",
    }
    r = await stack.http.post(
        f"/api/v1/partners/{partner['code']}/serials", json=body, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    async with user_client(stack, "acquisitions") as web:
        page = await web.get(f"/serials/{r.json()['id']}")
        assert page.status_code == 200, page.text
        box = _text(_part(page.text, "renewal-balance"))
        assert f"The renewal for {REVIEW_YEAR} +€80.00" in box, box
        assert "Tolerance €100.00" in box
        assert 'id="renewal-balance-warning"' not in page.text


async def test_a_selection_from_a_partners_list_shows_its_effect_before_it_is_submitted(
    stack: Stack,
) -> None:
    partner, key = await register_partner(
        stack.http, stack.staff, agreement=_agreement(balance_model="pieces", tolerance="2")
    )
    r = await stack.http.post(
        "/api/v1/offer-lists",
        json={
            "title": f"Dublety {partner['code']}",
            "items": [{"title": "Atlas mira", "copies": 3}, {"title": "Slovar", "copies": 2}],
        },
        headers=key,
    )
    assert r.status_code == 201, r.text
    list_id = r.json()["id"]
    listed = await stack.http.get(f"/api/v1/offer-lists/{list_id}", headers=stack.staff)
    atlas, slovar = (i["id"] for i in listed.json()["item_list"])
    url = f"/offer-lists/{list_id}"
    async with user_client(stack, "acquisitions") as web:
        page = await web.get(url)
        assert page.status_code == 200, page.text
        assert 'id="selection-balance"' not in page.text, "nothing selected: nothing counted"
        r = await post_form(web, url, f"{url}/selection", {f"take-{atlas}": "1"})
        assert r.status_code == 303, r.text
        page = await web.get(url)
        box = _text(_part(page.text, "selection-balance"))
        assert "What submitting the saved selection does to the balance" in page.text
        assert "This selection −1 copy" in box and "(the partner sent more)" in box
        assert 'id="selection-balance-warning"' not in page.text, "within the tolerance"
        r = await post_form(
            web, url, f"{url}/selection", {f"take-{atlas}": "3", f"take-{slovar}": "2"}
        )
        assert r.status_code == 303, r.text
        page = await web.get(url)
        box = _text(_part(page.text, "selection-balance"))
        assert "This selection −5 copies" in box
        assert "Balance after it −5 copies" in box
        assert 'id="selection-balance-warning"' in page.text
        assert "beyond the agreed tolerance of 2 copies" in box
        # The warning does not stop the submission; once submitted, nothing is left to count.
        r = await post_form(
            web, url, f"{url}/selection/submit", {f"take-{atlas}": "3", f"take-{slovar}": "2"}
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/exchanges/"), r.text
        page = await web.get(url)
        assert 'id="our-exchange"' in page.text and 'id="selection-balance"' not in page.text
        # In Indonesian the page is counted the same way.
        await web.get("/lang/id", params={"next": url})
        page = await web.get(url)
        assert page.status_code == 200 and '<html lang="id">' in page.text
