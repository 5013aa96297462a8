"""A wrong ISBN or ISSN check digit on the pages (issue 19, item 9), over real HTTP.

The deposit form and the portal's offer form come back as typed, with the reason beside the
field at fault, in the reader's language; nothing is stored. A good number typed with
hyphens is stored without them, as the fund and the API store it.
"""

from __future__ import annotations

import re
import uuid

from tests.conftest import Stack
from tests.support import isbn13, register_partner
from tests.web_support import csrf_of, exchange_view, user_client

LANG_COOKIE = "exchange_lang"


def _beside(html: str, name: str) -> str:
    found = re.search(
        rf'<span class="field-error" id="{re.escape(name)}-error">([^<]*)</span>', html
    )
    assert found, f"no message beside {name}"
    return found.group(1)


async def test_a_deposit_with_a_wrong_check_digit_comes_back_as_typed(stack: Stack) -> None:
    title = f"The C Programming Language {uuid.uuid4().hex[:6]}"
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/fund")
        typed = {
            "title": title,
            "author": "Kernighan, Brian W.",
            "isbn": "978-0-13-110362-1",  # its check digit is 7
            "issn": "",
            "year": "1988",
            "copies": "4",
        }
        r = await web.post("/fund/deposits", data={"csrf_token": csrf_of(page.text), **typed})
        assert r.status_code == 422, r.text
        assert _beside(r.text, "isbn") == (
            "ISBN 9780131103621 ends in check digit 1, but its other digits give 7: "
            "please check the number"
        )
        assert 'name="isbn" maxlength="32" value="978-0-13-110362-1" aria-invalid="true"' in r.text
        for name in ("title", "author", "year", "copies"):
            assert f'name="{name}"' in r.text and f'value="{typed[name]}"' in r.text, name
        assert "Not done:" in r.text
        assert await _deposited(stack, title) == 0

        bad_issn = {**typed, "isbn": "", "issn": "0028-0837"}  # Nature is 0028-0836
        r = await web.post("/fund/deposits", data={"csrf_token": csrf_of(page.text), **bad_issn})
        assert r.status_code == 422
        assert "its other digits give 6" in _beside(r.text, "issn")

        good = {**typed, "isbn": "978-0-13-110362-7"}
        r = await web.post("/fund/deposits", data={"csrf_token": csrf_of(page.text), **good})
        assert r.status_code == 303, r.text
        assert await _deposited(stack, title) == 1


async def _deposited(stack: Stack, title: str) -> int:
    """Fund items with this title."""
    r = await stack.http.get(
        "/api/v1/fund", params={"q": title, "available_only": "false"}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    total: int = r.json()["total"]
    return total


async def test_the_deposit_message_is_in_bahasa_indonesia(stack: Stack) -> None:
    async with user_client(stack, "acquisitions") as web:
        web.cookies.set(LANG_COOKIE, "id")
        page = await web.get("/fund")
        r = await web.post(
            "/fund/deposits",
            data={
                "csrf_token": csrf_of(page.text),
                "title": "Bumi Manusia",
                "isbn": "979-97312-3-5",  # Lentera Dipantara's ISBN-10 ends in 2
                "copies": "1",
            },
        )
        assert r.status_code == 422
        assert _beside(r.text, "isbn") == (
            "ISBN 9799731235 berakhir dengan angka pemeriksa 5, padahal angka-angka lainnya "
            "menghasilkan 2: periksa kembali nomornya"
        )


async def test_the_portal_offer_comes_back_with_the_row_at_fault(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "partner", partner["code"]) as web:
        web.cookies.set(LANG_COOKIE, "ru")
        page = await web.get("/partner/offers/new")
        typed = {
            "title-1": "Белорусская энциклопедия, т. 1",
            "isbn-1": "978-985-11-0001-5",
            "quantity-1": "2",
            "title-2": "Структура и интерпретация компьютерных программ",
            "isbn-2": "5-7989-0151-X",  # its other digits give 3
            "quantity-2": "1",
        }
        r = await web.post("/partner/offers", data={"csrf_token": csrf_of(page.text), **typed})
        assert r.status_code == 422, r.text
        message = _beside(r.text, "isbn-2")
        assert message == (
            "ISBN 579890151X оканчивается контрольной цифрой X, но по остальным цифрам она "
            "должна быть 3: проверьте номер"
        )
        assert "isbn-1-error" not in r.text  # the good row has no message
        for name, value in typed.items():
            assert f'name="{name}"' in r.text and f'value="{value}"' in r.text, name
        assert "строка 2:" in r.text  # the note at the top names the row

        fixed = {**typed, "isbn-2": isbn13("978578900001")}
        r = await web.post("/partner/offers", data={"csrf_token": csrf_of(page.text), **fixed})
        assert r.status_code == 303, r.text
        exchange_id = r.headers["location"].rsplit("/", 1)[1]
    x = await exchange_view(stack, exchange_id)
    assert [line["isbn"] for line in x["lines"]] == ["9789851100015", fixed["isbn-2"]]
