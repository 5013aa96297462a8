"""The pages over real HTTP against the running app and worker: authorization, languages and
every step of the lifecycle through a form. Sign-in and sessions are in ``test_web_signin``;
the other forms in ``test_web_forms``."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Stack
from tests.support import marc_file, register_partner, wait_for
from tests.web_support import (
    csrf_of,
    exchange_of,
    exchange_view,
    flash_of,
    post_form,
    user_client,
)


async def test_a_partner_user_gets_404_for_another_partnersexchange_of(stack: Stack) -> None:
    mine, _ = await register_partner(stack.http, stack.staff)
    theirs, their_key = await register_partner(stack.http, stack.staff)
    their_exchange = await exchange_of(stack, theirs, 1)
    own_exchange = await exchange_of(stack, mine, 1)
    path = tmp = Path(stack.settings.data_dir) / f"web-{their_exchange}.mrc"
    marc_file(tmp, 2)
    with path.open("rb") as f:
        r = await stack.http.post(
            "/api/v1/marc-batches",
            files={"file": ("x.mrc", f)},
            data={"exchange_id": their_exchange},
            headers=stack.staff,
        )
    assert r.status_code == 202, r.text
    their_batch = r.json()["batch_id"]

    async with user_client(stack, "partner", mine["code"]) as web:
        own = await web.get(f"/partner/exchanges/{own_exchange}")
        assert own.status_code == 200
        for url in (
            f"/partner/exchanges/{their_exchange}",
            f"/partner/exchanges/{their_exchange}/records",
            f"/partner/exchanges/{their_exchange}/packing-list",
            f"/partner/batches/{their_batch}",
            f"/partner/batches/{their_batch}/progress",
            f"/partner/batches/{their_batch}/outcomes.csv",
            f"/partner/batches/{their_batch}/rejected.mrc",
            f"/partner/exchanges/{'0' * 8}-0000-4000-8000-000000000000",
        ):
            r = await web.get(url)
            assert r.status_code == 404, url
            assert "There is no such page, or it is not yours to see." in r.text
        token = csrf_of(own.text)
        for step in ("decide", "cancel", "ship", "receive", "lost", "revise"):
            r = await web.post(
                f"/partner/exchanges/{their_exchange}/{step}",
                data={"csrf_token": token, "reason": "x", "decision": "decline"},
            )
            assert r.status_code == 404, step
        # Staff pages are not for partner users, whatever the exchange.
        r = await web.get(f"/exchanges/{their_exchange}")
        assert r.status_code == 303 and r.headers["location"] == "/partner/"
    assert (await exchange_view(stack, their_exchange))["state"] == "proposed"
    r = await stack.http.get(f"/api/v1/exchanges/{their_exchange}", headers=their_key)
    assert r.json()["state"] == "proposed"


async def test_roles_apply_to_pages_as_to_theexchange_view(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    exchange_id = await exchange_of(stack, partner, 1)
    async with user_client(stack, "cataloguer") as web:
        page = await web.get(f"/exchanges/{exchange_id}")
        assert page.status_code == 200
        assert 'action="/exchanges/' + exchange_id + '/cancel"' not in page.text
        r = await web.post(
            f"/exchanges/{exchange_id}/cancel",
            data={"csrf_token": csrf_of(page.text), "reason": "not mine to cancel"},
        )
        assert r.status_code == 303
        assert "needs the admin or acquisitions role" in flash_of(r)
    assert (await exchange_view(stack, exchange_id))["state"] == "proposed"


async def test_the_whole_lifecycle_through_the_pages(stack: Stack, tmp_path: Path) -> None:
    """Every step: deposit, propose from the fund, revise, decide in part, ship, receive with
    a damaged copy, answer and confirm the claim, upload MARC; and a cancelled exchange."""
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    async with (
        user_client(stack, "acquisitions") as staff,
        user_client(stack, "partner", code) as portal,
    ):
        title = f"Babad Tanah Jawi {code}"
        r = await post_form(
            staff,
            "/fund",
            "/fund/deposits",
            {"title": title, "author": "Ranggawarsita", "copies": "6", "year": "2012"},
        )
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        fund = await stack.http.get(f"/api/v1/fund?q={code}", headers=stack.staff)
        item = fund.json()["items"][0]
        assert item["copies_available"] == 4

        new = await staff.get(f"/proposals/new?q={code}")
        assert title in new.text
        review = await staff.post(
            "/proposals/review",
            data={"csrf_token": csrf_of(new.text), "partner": code, f"qty-{item['id']}": "3"},
        )
        assert review.status_code == 200
        assert "Send the proposal" in review.text
        sent = await staff.post(
            "/proposals",
            data={
                "csrf_token": csrf_of(review.text),
                "partner": code,
                "pick": f"{item['id']}:3",
            },
        )
        assert sent.status_code == 303, sent.text
        exchange_url = sent.headers["location"]
        exchange_id = exchange_url.rsplit("/", 1)[1]
        x = await exchange_view(stack, exchange_id)
        assert x["lines"][0]["record_id"] == item["id"] and x["lines"][0]["quantity"] == 3

        page = await staff.get(exchange_url)
        assert 'id="revise"' in page.text and 'id="decide"' not in page.text
        r = await staff.post(
            f"{exchange_url}/revise",
            data={
                "csrf_token": csrf_of(page.text),
                "title-001": title,
                "record-001": str(item["id"]),
                "quantity-001": "2",
                "title-002": "Serat Centhini",
                "quantity-002": "1",
                "year-002": "1815",
            },
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        x = await exchange_view(stack, exchange_id)
        assert [(line["title"], line["quantity"]) for line in x["lines"]] == [
            (title, 2),
            ("Serat Centhini", 1),
        ]

        portal_url = f"/partner/exchanges/{exchange_id}"
        page = await portal.get(portal_url)
        assert 'id="decide"' in page.text and 'id="revise"' not in page.text
        first, second = x["lines"]
        r = await portal.post(
            f"{portal_url}/decide",
            data={
                "csrf_token": csrf_of(page.text),
                "decision": "accept",
                f"qty-{first['id']}": "2",
                f"qty-{second['id']}": "0",
            },
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        assert (await exchange_view(stack, exchange_id))["state"] == "accepted"

        packing = await staff.get(f"{exchange_url}/packing-list")
        assert packing.status_code == 200
        assert title in packing.text and "Serat Centhini" not in packing.text  # not accepted
        assert "Copies in all" in packing.text

        # A refused step shows the server's reason.
        r = await post_form(portal, portal_url, f"{portal_url}/ship", {"carrier": "EMS"})
        assert "only the sender" in flash_of(r)

        r = await post_form(
            staff,
            exchange_url,
            f"{exchange_url}/ship",
            {"carrier": "Pos Indonesia", "tracking": "EE1ID", "parcels": "1"},
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)

        page = await portal.get(portal_url)
        assert 'id="receive"' in page.text
        r = await portal.post(
            f"{portal_url}/receive",
            data={
                "csrf_token": csrf_of(page.text),
                f"received-{first['id']}": "2",
                f"damaged-{first['id']}": "1",
            },
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        x = await exchange_view(stack, exchange_id)
        claim = next(c for c in x["claims"] if c["kind"] == "damaged")

        page = await staff.get(exchange_url)
        assert f"/claims/{claim['claim_no']}/answer" in page.text
        r = await staff.post(
            f"{exchange_url}/claims/{claim['claim_no']}/answer",
            data={"csrf_token": csrf_of(page.text), "action": "resend", "note": "new copy"},
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        r = await post_form(
            portal, portal_url, f"{portal_url}/claims/{claim['claim_no']}/confirm", {}
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        done = await wait_for(
            stack.http,
            f"/api/v1/exchanges/{exchange_id}",
            stack.staff,
            "state",
            {"completed"},
        )
        assert done["claims"][0]["state"] == "resolved"
        page = await staff.get(exchange_url)
        assert "Record the shipment" not in page.text
        assert "claim_resolved" in page.text or "claim resolved" in page.text.lower()

        # We sent this exchange: the partner is its recipient, so the portal offers no MARC
        # upload (tests/test_upload_permissions.py uploads the records of a partner's parcel).
        page = await portal.get(portal_url)
        assert 'enctype="multipart/form-data"' not in page.text

        # Cancelling, from the other side this time.
        other = await exchange_of(stack, partner, 1)
        r = await post_form(
            portal,
            f"/partner/exchanges/{other}",
            f"/partner/exchanges/{other}/cancel",
            {"reason": "Already in our collection", "confirmed": "yes"},  # as its confirmation
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        assert (await exchange_view(stack, other))["state"] == "cancelled"


async def test_a_partner_offers_publications_through_the_portal(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "partner", partner["code"]) as web:
        r = await post_form(
            web,
            "/partner/offers/new",
            "/partner/offers",
            {
                "title-1": "Белорусская энциклопедия, т. 1",
                "isbn-1": "978-985-11-0001-5",
                "quantity-1": "2",
                "title-2": "Купала. Избранное",
                "year-2": "2018",
            },
        )
        assert r.status_code == 303, r.text
        exchange_id = r.headers["location"].rsplit("/", 1)[1]
        bad = await post_form(
            web, "/partner/offers/new", "/partner/offers", {"title-1": "x", "year-1": "soon"}
        )
        # The form comes back as typed, the reason beside the year (tests/test_web_identifiers.py).
        assert bad.status_code == 422
        assert 'id="year-1-error">&#39;soon&#39; is not a whole number' in bad.text
    x = await exchange_view(stack, exchange_id)
    assert x["direction"] == "incoming" and x["sender"] == partner["code"]
    assert [line["quantity"] for line in x["lines"]] == [2, 1]
    async with user_client(stack, "acquisitions") as staff:
        home = await staff.get("/")
        assert exchange_id in home.text  # among the offers awaiting our decision
        listed = await staff.get(f"/exchanges?partner={partner['code']}&q=Купала")
        assert exchange_id in listed.text
        year = x["created_at"][:4]
        assert f'href="/reports/exchanges.csv?year={year}"' in listed.text
        report = await staff.get(f"/reports/exchanges.csv?year={year}")
        assert report.headers["content-type"].startswith("text/csv")
        assert exchange_id in report.text and "Купала. Избранное" in report.text


async def test_languages_are_remembered_and_dates_follow_the_locale(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    exchange_id = await exchange_of(stack, partner, 1)
    async with user_client(stack, "acquisitions") as staff:
        r = await staff.get(f"/lang/id?next=/exchanges/{exchange_id}")
        assert r.status_code == 303 and r.headers["location"] == f"/exchanges/{exchange_id}"
        page = await staff.get(f"/exchanges/{exchange_id}")
        assert '<html lang="id">' in page.text
        assert "Riwayat" in page.text and "Batalkan pertukaran" in page.text
        x = await exchange_view(stack, exchange_id)
        months_id = [
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "Mei",
            "Jun",
            "Jul",
            "Agu",
            "Sep",
            "Okt",
            "Nov",
            "Des",
        ]
        respond_by = x["respond_by"]
        month = months_id[int(respond_by[5:7]) - 1]
        assert f"{int(respond_by[8:10])} {month} {respond_by[:4]}" in page.text
        # Staff pages do not speak Russian; an unknown choice falls back to English.
        await staff.get("/lang/ru?next=/")
        assert '<html lang="en">' in (await staff.get("/")).text
    async with user_client(stack, "partner", partner["code"]) as portal:
        portal.headers["Accept-Language"] = "ru-RU,ru;q=0.9,en;q=0.5"
        page = await portal.get(f"/partner/exchanges/{exchange_id}")
        assert '<html lang="ru">' in page.text and "Решение по предложению" in page.text
        await portal.get("/lang/en?next=/partner/")
        assert '<html lang="en">' in (await portal.get("/partner/")).text


async def test_api_errors_stay_problem_json_for_browsers(stack: Stack) -> None:
    r = await stack.http.get(
        "/api/v1/exchanges/nope", headers={**stack.staff, "Accept": "text/html"}
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
