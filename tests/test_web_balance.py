"""The balance on the pages, over real HTTP on the real stack (both databases).

An admin records an agreement with a value model, its currency and tolerance through the
form; acquisitions staff record exchange rates on their page; the partner's page and the
partner's portal show the balance in the agreement's model (converted, with what could not
be converted named); and the proposal review shows what a proposal does to the balance: past
the tolerance it is sent only with "send anyway" ticked, within it there is no warning.
"""

from __future__ import annotations

import html
import re
import secrets
import string
from decimal import Decimal
from typing import Any

import httpx

from services.exchange.service import agreements
from tests.conftest import Stack
from tests.support import lines, register_partner, wait_for
from tests.web_support import csrf_of, exchange_view, flash_of, post_form, user_client

YEAR = agreements.today().year


def _agreement(**balance: Any) -> dict[str, Any]:
    return {
        "signed_on": f"{YEAR - 1}-01-10",
        "valid_from": f"{YEAR - 1}-01-10",
        "valid_to": f"{YEAR + 4}-12-31",
        "programmes": ["material_exchange"],
        **balance,
    }


def _currency() -> str:
    """A currency code of our own (rates are the library's, shared by every test)."""
    return "Q" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(2))


def _text(page: str) -> str:
    """The page's words, tags taken out, spaces (also no-break ones) made plain."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", words.replace("\u00a0", " ").replace("\u202f", " "))


async def _deposit(stack: Stack, title: str, copies: int) -> int:
    r = await stack.http.post(
        "/api/v1/deposits", json={"title": title, "copies": copies}, headers=stack.staff
    )
    assert r.status_code in (200, 201), r.text
    item_id: int = r.json()["id"]
    return item_id


async def _complete(stack: Stack, code: str, key: dict[str, str], body: list[Any]) -> None:
    """An outgoing exchange, accepted, shipped and received in full: into the ledger."""
    r = await stack.http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": body}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/exchanges/{r.json()['id']}"
    taken = [
        (line["id"], line["quantity"])
        for line in (await exchange_view(stack, r.json()["id"]))["lines"]
    ]
    for path, payload, headers in (
        ("decision", {"accept": [{"line_id": i, "quantity": q} for i, q in taken]}, key),
        ("shipment", {"carrier": "EMS"}, stack.staff),
        ("receipt", {"lines": [{"line_id": i, "received": q} for i, q in taken]}, key),
    ):
        r = await stack.http.post(f"{url}/{path}", json=payload, headers=headers)
        assert r.status_code == 200, r.text
    await wait_for(stack.http, url, stack.staff, "state", {"completed"})


async def _exchanges_of(stack: Stack, code: str) -> list[dict[str, Any]]:
    r = await stack.http.get(f"/api/v1/exchanges?partner={code}", headers=stack.staff)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_the_agreement_form_stores_a_value_model_with_currency_and_tolerance(
    stack: Stack,
) -> None:
    partner, _ = await register_partner(stack.http, stack.staff, agreement=None)
    code = partner["code"]
    form = {
        "signed_on": f"{YEAR}-01-10",
        "valid_from": f"{YEAR}-01-10",
        "valid_to": f"{YEAR + 4}-12-31",
        "programmes": "material_exchange",
        "balance_model": "value",
    }
    async with user_client(stack, "admin") as web:
        page = await web.get(f"/partners/{code}")
        assert 'name="balance_model"' in page.text and 'name="tolerance"' in page.text
        # A value balance without its currency is refused, the form kept as typed.
        bad = await post_form(web, f"/partners/{code}", f"/partners/{code}/agreements", form)
        assert bad.status_code == 422, bad.text
        assert "a value balance needs the agreement&#39;s currency" in bad.text
        assert '<option value="value" selected>' in bad.text
        odd = await post_form(
            web,
            f"/partners/{code}",
            f"/partners/{code}/agreements",
            {**form, "currency": "EUR", "tolerance": "lots"},
        )
        assert odd.status_code == 422
        assert 'id="a-tolerance-error">&#39;lots&#39; is not an amount' in odd.text

        r = await post_form(
            web,
            f"/partners/{code}",
            f"/partners/{code}/agreements",
            {**form, "currency": "eur", "tolerance": "150,50"},
        )
        assert flash_of(r) == "ok:Agreement recorded.", flash_of(r)
        page = await web.get(f"/partners/{code}")
        words = _text(page.text)
        assert "Balance: equal value, counted in EUR · tolerance €150.50" in words
    r = await stack.http.get(f"/api/v1/partners/{code}/agreements", headers=stack.staff)
    assert r.status_code == 200, r.text
    (stored,) = r.json()
    assert (stored["balance_model"], stored["currency"]) == ("value", "EUR")
    assert Decimal(str(stored["tolerance"])) == Decimal("150.50")


async def test_the_rates_page_records_replaces_and_removes_a_rate(stack: Stack) -> None:
    currency = _currency()
    async with user_client(stack, "acquisitions") as web:
        r = await post_form(
            web,
            "/exchange-rates",
            "/exchange-rates",
            {"year": str(YEAR), "currency": currency.lower(), "to_currency": "EUR", "rate": "0,92"},
        )
        assert r.status_code == 303 and flash_of(r) == "ok:Exchange rate recorded.", flash_of(r)
        assert r.headers["location"] == f"/exchange-rates?year={YEAR}"
        page = await web.get(r.headers["location"])
        assert f"1 {currency} = 0.92 EUR" in _text(page.text)
        api = await stack.http.get(f"/api/v1/exchange-rates?year={YEAR}", headers=stack.staff)
        assert api.status_code == 200, api.text
        (rate,) = [x for x in api.json() if x["currency"] == currency]
        assert (rate["to_currency"], Decimal(str(rate["rate"]))) == ("EUR", Decimal("0.92"))

        again = {"year": str(YEAR), "currency": currency, "to_currency": "EUR", "rate": "0.9"}
        r = await post_form(web, "/exchange-rates", "/exchange-rates", again)
        assert flash_of(r).startswith("ok:"), flash_of(r)
        page = await web.get(f"/exchange-rates?year={YEAR}")
        assert f"1 {currency} = 0.9 EUR" in _text(page.text)
        assert f"1 {currency} = 0.92 EUR" not in _text(page.text)  # replaced, not added

        refused = await post_form(
            web,
            "/exchange-rates",
            "/exchange-rates",
            {"year": str(YEAR), "currency": currency, "to_currency": "EUR", "rate": "0"},
        )
        assert refused.status_code == 422
        assert 'id="r-rate-error">must be more than 0</span>' in refused.text

        r = await post_form(
            web,
            f"/exchange-rates?year={YEAR}",
            f"/exchange-rates/{YEAR}/{currency}/EUR/remove",
            {},
        )
        assert flash_of(r) == "ok:Exchange rate removed.", flash_of(r)
        page = await web.get(f"/exchange-rates?year={YEAR}")
        assert f"1 {currency} =" not in _text(page.text)

    async with user_client(stack, "cataloguer") as web:
        page = await web.get("/exchange-rates")
        assert page.status_code == 200 and 'id="rate-form"' not in page.text  # read only
        r = await web.post(
            "/exchange-rates",
            data={
                "csrf_token": csrf_of(page.text),
                "year": str(YEAR),
                "currency": currency,
                "to_currency": "EUR",
                "rate": "1",
            },
        )
        assert flash_of(r).startswith("error:"), flash_of(r)


async def test_the_partner_page_and_the_portal_show_the_balance_in_the_model(
    stack: Stack,
) -> None:
    foreign = _currency()
    unrated = next(c for c in iter(_currency, None) if c != foreign)
    # Codes are drawn from 676: one another test rated this year must not count as unrated.
    r = await stack.http.delete(f"/api/v1/exchange-rates/{YEAR}/{unrated}/EUR", headers=stack.staff)
    assert r.status_code in (204, 404), r.text
    partner, key = await register_partner(
        stack.http,
        stack.staff,
        agreement=_agreement(balance_model="value", currency="EUR", tolerance="10.00"),
    )
    code = partner["code"]
    r = await stack.http.put(
        f"/api/v1/exchange-rates/{YEAR}/{foreign}/EUR", json={"rate": "0.5"}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    two, one = lines(2, 1)
    await _complete(
        stack,
        code,
        key,
        [
            {**two, "unit_value": "20.00", "currency": foreign},  # 40 at 0.5: EUR 20
            {**one, "unit_value": "5.00", "currency": unrated},  # no rate: left out
        ],
    )
    async with user_client(stack, "acquisitions") as web:
        page = await web.get(f"/partners/{code}")
        assert page.status_code == 200, page.text
        summary = _text(page.text.split('id="balance-summary"', 1)[1].split("</dl>", 1)[0])
        assert "equal value, counted in EUR" in summary
        assert f"Sent in {YEAR} €20.00" in summary
        assert f"Running balance to the end of {YEAR} +€20.00 (we sent more)" in summary
        assert "past the tolerance of €10.00" in summary
        assert f"Left out until an exchange rate is recorded for the year: {unrated}" in (
            _text(page.text)
        )
        assert f'href="/exchange-rates?year={YEAR}"' in page.text

    async with user_client(stack, "partner", code) as portal:
        home = await portal.get("/partner/")
        assert home.status_code == 200, home.text
        words = _text(home.text.split('id="our-balance"', 1)[1].split("</section>", 1)[0])
        assert f"Our balance in {YEAR}" in words
        assert f"We sent you in {YEAR} €20.00" in words and f"You sent us in {YEAR} €0.00" in words
        assert "+€20.00 (we sent you more)" in words
        assert "past the tolerance of €10.00" in words


async def _review(
    web: httpx.AsyncClient, code: str, item: int, copies: int, **extra: str
) -> httpx.Response:
    new = await web.get(f"/proposals/new?partner={code}")
    return await web.post(
        "/proposals/review",
        data={
            "csrf_token": csrf_of(new.text),
            "partner": code,
            f"qty-{item}": str(copies),
            **extra,
        },
    )


async def test_a_proposal_past_the_tolerance_is_sent_only_with_send_anyway(stack: Stack) -> None:
    partner, _ = await register_partner(
        stack.http, stack.staff, agreement=_agreement(balance_model="pieces", tolerance="2")
    )
    code = partner["code"]
    item = await _deposit(stack, f"Kamus Besar {code}", 8)
    async with user_client(stack, "acquisitions") as web:
        review = await _review(web, code, item, 5)
        assert review.status_code == 200, review.text
        preview = _text(review.text.split('id="balance-preview"', 1)[1].split("</section>", 1)[0])
        assert "Balance now 0 copies" in preview
        assert "This proposal +5 copies" in preview
        assert "Balance after it +5 copies (we sent more)" in preview
        assert "Past the tolerance:" in preview and "agreed tolerance of 2 copies" in preview
        assert 'name="send_anyway"' in review.text

        sent = {"csrf_token": csrf_of(review.text), "partner": code, "pick": f"{item}:5"}
        refused = await web.post("/proposals", data=sent)
        assert refused.status_code == 422, refused.text
        assert 'id="balance-warning"' in refused.text and "send anyway" in refused.text
        assert await _exchanges_of(stack, code) == []  # nothing was sent

        r = await web.post("/proposals", data={**sent, "send_anyway": "yes"})
        assert r.status_code == 303, r.text
        assert flash_of(r) == "ok:Proposal sent."
        exchange_id = r.headers["location"].rsplit("/", 1)[1]
        x = await exchange_view(stack, exchange_id)
        assert [line["quantity"] for line in x["lines"]] == [5]

        # The open proposal now counts: one more copy is past the tolerance from the start.
        review = await _review(web, code, item, 1)
        assert "Balance now +5 copies" in _text(review.text)


async def test_a_proposal_within_the_tolerance_has_no_warning_and_keeps_its_line_fields(
    stack: Stack,
) -> None:
    partner, _ = await register_partner(
        stack.http, stack.staff, agreement=_agreement(balance_model="titles", tolerance="10")
    )
    code = partner["code"]
    item = await _deposit(stack, f"Hikayat Hang Tuah {code}", 6)
    extra = {
        f"value-{item}": "12,50",
        f"currency-{item}": "eur",
        f"cost-{item}": "9.75",
        f"language-{item}": "IND",
        f"weight-{item}": "450",
    }
    async with user_client(stack, "acquisitions") as web:
        bad = await _review(web, code, item, 3, **{**extra, f"weight-{item}": "heavy"})
        assert "is not a whole number" in bad.text and 'value="heavy"' in bad.text
        assert "Send the proposal" not in bad.text
        bad = await _review(web, code, item, 3, **{**extra, f"currency-{item}": "euro"})
        assert "<strong>Not done:</strong> Currency: " in bad.text, bad.text
        assert "Send the proposal" not in bad.text

        review = await _review(web, code, item, 3, **extra)
        assert review.status_code == 200, review.text
        assert "This proposal +1 title" in _text(review.text)
        assert 'id="balance-warning"' not in review.text
        assert 'name="send_anyway"' not in review.text
        assert f'name="value-{item}" inputmode="decimal" size="8" value="12,50"' in review.text
        r = await web.post(
            "/proposals",
            data={
                "csrf_token": csrf_of(review.text),
                "partner": code,
                "pick": f"{item}:3",
                **extra,
            },
        )
        assert r.status_code == 303 and flash_of(r) == "ok:Proposal sent.", r.text
    (line,) = (await exchange_view(stack, r.headers["location"].rsplit("/", 1)[1]))["lines"]
    assert (line["quantity"], line["currency"], line["language"], line["weight_grams"]) == (
        3,
        "EUR",
        "ind",
        450,
    )
    assert Decimal(line["unit_value"]) == Decimal("12.50")
    assert Decimal(str(line["purchase_cost"])) == Decimal("9.75")


async def test_the_indonesian_partner_page_words_the_balance(stack: Stack) -> None:
    partner, _ = await register_partner(
        stack.http, stack.staff, agreement=_agreement(balance_model="pieces", tolerance="4")
    )
    async with user_client(stack, "acquisitions") as web:
        web.cookies.set("exchange_lang", "id")
        page = await web.get(f"/partners/{partner['code']}")
        assert page.status_code == 200, page.text
        assert 'lang="id"' in page.text
        words = _text(page.text)
        # NEEDS CATALOGS: these msgids are in /tmp/strings/balance-pages.tsv and pass only
        # once the lead has merged them into services/exchange/locale/id.
        assert "Model neraca" in words  # "Balance model"
        assert "eksemplar demi eksemplar" in words  # "piece for piece (copies)"
        assert "dalam batas toleransi 4 eksemplar" in words  # "within the tolerance of {amount}"
