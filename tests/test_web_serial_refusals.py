"""A refused step on a serial title's page is said in the reader's language, with the field's
label, as the new-title form says it (``refusals.refusal``): never the English sentence of
``FormError`` or pydantic's dump. Staff read Bahasa Indonesia here, the partner Russian.
"""

from __future__ import annotations

from services.exchange.service import agreements
from tests.conftest import Stack
from tests.support import register_partner
from tests.test_web_serials import api_issues, api_serial
from tests.web_support import flash_of, post_form, user_client


async def test_a_staff_step_refused_is_said_in_indonesian(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    year = agreements.today().year
    serial = await api_serial(stack, partner["code"], "incoming", year - 1)
    issue = (await api_issues(stack, serial["id"], year - 1))[0]
    page_url = f"/serials/{serial['id']}?year={year - 1}"
    action = f"/serials/{serial['id']}/issues/{issue['id']}/receipt"
    async with user_client(stack, "acquisitions") as web:
        await web.get("/lang/id", params={"next": page_url})
        r = await post_form(web, page_url, action, {"received_on": "kemarin", "copies": "1"})
        assert r.status_code == 303, r.text
        assert flash_of(r) == "error:Tanggal terima: 'kemarin' bukan tanggal (TTTT-BB-HH)"
        # A value the request model refuses (pydantic) is said the same way, not its dump.
        r = await post_form(web, page_url, action, {"copies": "20000"})
        said = flash_of(r)
        assert said.startswith("error:Eksemplar: "), said
        assert "validation error" not in said and "\n" not in said


async def test_a_partner_step_refused_is_said_in_russian(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    year = agreements.today().year
    serial = await api_serial(stack, partner["code"], "outgoing", year - 1)
    issue = (await api_issues(stack, serial["id"], year - 1))[0]
    page_url = f"/partner/serials/{serial['id']}?year={year - 1}"
    action = f"/partner/serials/{serial['id']}/issues/{issue['id']}/receipt"
    async with user_client(stack, "partner", partner["code"]) as web:
        await web.get("/lang/ru", params={"next": page_url})
        r = await post_form(web, page_url, action, {"copies": "много"})
        assert r.status_code == 303, r.text
        said = flash_of(r)
        assert said == "error:Экземпляры: «много» — не целое число (не более 9 цифр)", said
