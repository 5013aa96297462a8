"""The character set of a partner's MARC files, and an upload's own (issue 13, item 21),
through HTTP with a real worker and Temporal on both databases.

pymarc's ``1251.dat`` (``../shared/marc-corpus``) holds six MARC 21 records in Windows-1251
with a blank Leader/09: read as that says (MARC-8), none of them is text, and all six are
rejected with the reason. Named as cp1251 (by the upload, by the partner's
``marc_encoding``, on the cataloguing page or by ``exchange import --encoding``) all six
import, with the Cyrillic title the corpus MANIFEST gives.
"""

from __future__ import annotations

import asyncio
import csv
import html
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import marc
from tests.conftest import Stack
from tests.support import commit_batch, lines, register_partner, wait_for
from tests.test_api_access import assert_problem
from tests.web_support import csrf_of, user_client

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT_ROOT.parent / "shared" / "marc-corpus"
CP1251_FILE = CORPUS / "pymarc" / "1251.dat"

if not (CORPUS / "MANIFEST.tsv").is_file() or not CP1251_FILE.is_file():
    pytest.skip(
        "../shared/marc-corpus (with pymarc/1251.dat) is absent: conformance files are not "
        "part of a user's clone",
        allow_module_level=True,
    )


def _manifest_title() -> str:
    """The 245 that a correct reading of 1251.dat gives its first record, as MANIFEST says."""
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as manifest:
        row = next(
            r for r in csv.DictReader(manifest, delimiter="\t") if r["path"] == "pymarc/1251.dat"
        )
    found = re.search(r"title via cp1251: 245:(.*)$", row["pymarc_5_4_behaviour"])
    assert found is not None, row
    return found.group(1).strip()


TITLE = _manifest_title()
RECORDS = 6


async def _upload(
    stack: Stack,
    url: str,
    headers: dict[str, str],
    data: dict[str, str] | None = None,
    **params: str,
) -> dict[str, Any]:
    r = await stack.http.post(
        url,
        params=params,
        data=data or {},
        files={"file": ("1251.dat", CP1251_FILE.read_bytes())},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    batch: dict[str, Any] = await wait_for(
        stack.http,
        f"/api/v1/marc-batches/{r.json()['batch_id']}",
        headers,
        "state",
        {"staged", "failed"},
    )
    return batch


async def _first_title(stack: Stack, batch: dict[str, Any], headers: dict[str, str]) -> str:
    """245 $a $b of the first record the batch catalogued, from its MARC 21 export (committed
    first: an upload is only staged)."""
    await commit_batch(stack.http, stack.staff, batch["id"])
    r = await stack.http.get(f"/api/v1/marc-batches/{batch['id']}/export", headers=headers)
    assert r.status_code == 200, r.text
    first = r.content.split(b"\x1d")[0] + b"\x1d"
    title = marc.parse_marc21(first)["245"]
    return " ".join(title.get_subfields("a", "b"))


def _assert_all_read(batch: dict[str, Any], encoding: str) -> None:
    assert batch["state"] == "staged", batch
    assert batch["encoding"] == encoding
    assert batch["total"] == RECORDS and batch["imported"] == RECORDS, batch["counts"]
    assert batch["rejected"] == [] and batch["counts"]["rejected"] == 0


DETECTED = "Leader/09 is blank, so the record is read as MARC-8"
NAMED = "the file was read as MARC-8 because that character set was named for it"


def _assert_all_refused(batch: dict[str, Any], why: str = DETECTED) -> None:
    assert batch["state"] == "staged", batch
    assert batch["total"] == RECORDS and batch["imported"] == 0
    assert [r["index"] for r in batch["rejected"]] == list(range(1, RECORDS + 1))
    for rejected in batch["rejected"]:
        assert "not a character of the MARC-8" in rejected["reason"], rejected
        assert why in rejected["reason"], rejected


async def test_windows_1251_is_refused_unless_the_upload_names_it(stack: Stack) -> None:
    assert TITLE.startswith("Основы гидравлического расчета инженерных сетей")

    refused = await _upload(stack, "/api/v1/marc-batches", stack.staff)
    _assert_all_refused(refused)
    assert refused["encoding"] is None

    read = await _upload(stack, "/api/v1/marc-batches", stack.staff, encoding="cp1251")
    _assert_all_read(read, "cp1251")
    assert (await _first_title(stack, read, stack.staff)).startswith(TITLE)
    r = await stack.http.get(f"/api/v1/marc-batches/{read['id']}/outcomes.csv", headers=stack.staff)
    titles = [row["title"] for row in csv.DictReader(r.text.splitlines())]
    assert len(titles) == RECORDS and titles[0].startswith("Основы гидравлического")


async def test_a_partners_character_set_applies_unless_the_upload_names_another(
    stack: Stack,
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff, marc_encoding="cp1251")
    assert (partner["marc_encoding"], partner["heading_form"]) == ("cp1251", None)
    code = partner["code"]
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    assert r.status_code == 201, r.text
    exchange_id = r.json()["id"]
    url = f"/api/v1/exchanges/{exchange_id}"
    accept = {
        "accept": [
            {"line_id": line["id"], "quantity": line["quantity"]} for line in r.json()["lines"]
        ]
    }
    assert (await http.post(f"{url}/decision", json=accept, headers=staff)).is_success
    shipped = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    assert shipped.is_success, shipped.text  # a partner uploads once it has shipped

    # The partner uploads into its exchange without saying anything: its setting reads it.
    batch = await _upload(stack, f"/api/v1/exchanges/{exchange_id}/marc", key)
    _assert_all_read(batch, "cp1251")
    assert (await _first_title(stack, batch, key)).startswith(TITLE)

    # A staff upload for the partner's exchange gets the partner's setting too ...
    for_exchange = {"exchange_id": exchange_id}
    staff_batch = await _upload(stack, "/api/v1/marc-batches", staff, for_exchange, dry_run="true")
    _assert_all_read(staff_batch, "cp1251")
    # ... and the upload's own encoding wins over it.
    named = await _upload(
        stack, "/api/v1/marc-batches", staff, for_exchange, dry_run="true", encoding="marc-8"
    )
    _assert_all_refused(named, NAMED)
    assert named["encoding"] == "marc-8"

    # Only an admin changes it; null goes back to telling it from each record.
    r = await http.patch(f"/api/v1/partners/{code}", json={"marc_encoding": None}, headers=key)
    assert_problem(r, 403)
    r = await http.patch(f"/api/v1/partners/{code}", json={"marc_encoding": None}, headers=staff)
    assert r.status_code == 200 and r.json()["marc_encoding"] is None, r.text
    assert (await http.get(f"/api/v1/partners/{code}", headers=key)).json()["marc_encoding"] is None
    again = await _upload(stack, "/api/v1/marc-batches", staff, for_exchange, dry_run="true")
    _assert_all_refused(again)
    assert again["encoding"] is None


async def test_an_unknown_character_set_is_a_422_naming_the_accepted_ones(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    exchange_id = (
        await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    ).json()["id"]
    for url, headers in (
        ("/api/v1/marc-batches", staff),
        (f"/api/v1/exchanges/{exchange_id}/marc", key),
    ):
        r = await http.post(
            url,
            params={"encoding": "windows-1251"},
            files={"file": ("1251.dat", CP1251_FILE.read_bytes())},
            headers=headers,
        )
        body = assert_problem(r, 422, "validation-error")
        assert "encoding" in body["detail"], body
        for name in marc.TEXT_ENCODINGS:
            assert f"'{name}'" in body["detail"], (name, body["detail"])
    listed = (await http.get(f"/api/v1/exchanges/{exchange_id}", headers=key)).json()
    assert listed["marc_batches"] == [], "nothing was stored"

    r = await http.post(
        "/api/v1/partners",
        json={
            "code": "ENC1",
            "name": "x",
            "country": "RU",
            "marc_format": "marc21",
            "marc_encoding": "cp-1251",
        },
        headers=staff,
    )
    body = assert_problem(r, 422, "validation-error")
    assert all(f"'{name}'" in body["detail"] for name in marc.TEXT_ENCODINGS), body
    r = await http.patch(
        f"/api/v1/partners/{partner['code']}", json={"marc_encoding": "utf8"}, headers=staff
    )
    body = assert_problem(r, 422, "validation-error")
    assert all(f"'{name}'" in body["detail"] for name in marc.TEXT_ENCODINGS), body


def _enum(schema: dict[str, Any]) -> list[str]:
    """The values of an optional enum as pydantic documents it (anyOf the enum and null)."""
    for option in schema.get("anyOf", [schema]):
        if "enum" in option:
            return list(option["enum"])
    raise AssertionError(schema)


async def test_the_openapi_document_lists_the_accepted_values(stack: Stack) -> None:
    document = (await stack.http.get("/openapi.json")).json()
    for path in ("/api/v1/marc-batches", "/api/v1/exchanges/{exchange_id}/marc"):
        parameters = document["paths"][path]["post"]["parameters"]
        [encoding] = [p for p in parameters if p.get("name") == "encoding"]
        assert encoding["in"] == "query" and not encoding.get("required", False)
        assert _enum(encoding["schema"]) == list(marc.TEXT_ENCODINGS), path
    schemas = document["components"]["schemas"]
    for model in ("PartnerIn", "PartnerOut", "PartnerPatch"):
        properties = schemas[model]["properties"]
        assert _enum(properties["marc_encoding"]) == list(marc.TEXT_ENCODINGS), model
        assert _enum(properties["heading_form"]) == list(marc.HEADING_FORMS), model
    batch = schemas["BatchOut"]["properties"]["encoding"]
    assert _enum(batch) == list(marc.TEXT_ENCODINGS)


async def _exchange_command(stack: Stack, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "EXCHANGE_API_URL": stack.base_url,
        "EXCHANGE_API_KEY": stack.staff["Authorization"].removeprefix("Bearer "),
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "exchange"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_the_import_command_takes_the_character_set(stack: Stack) -> None:
    code, text = await _exchange_command(stack, "import", "--help")
    assert code == 0, text
    assert "--encoding ENC" in text
    assert all(name in text for name in marc.TEXT_ENCODINGS), text

    code, text = await _exchange_command(stack, "import", str(CP1251_FILE))
    assert code == 0, text
    assert "rejected 6" in text and "character set: told from each record" in text
    assert "record 1: field 084 $a: byte 0xFF" in text, text

    code, text = await _exchange_command(stack, "import", str(CP1251_FILE), "--encoding", "cp1251")
    assert code == 0, text
    assert "staged: 6 records" in text and "rejected 0" in text, text
    assert "character set: cp1251" in text

    code, text = await _exchange_command(stack, "import", str(CP1251_FILE), "--encoding", "1251")
    assert code == 2, text
    assert "--encoding 1251" in text and ", ".join(marc.TEXT_ENCODINGS) in text
    assert "batch " not in text, "nothing was uploaded"


async def test_the_pages_offer_the_character_set(stack: Stack) -> None:
    async with user_client(stack, "cataloguer") as web:
        page = await web.get("/cataloguing")
        assert page.status_code == 200
        select = re.search(r'<select id="encoding" name="encoding"[^>]*>(.*?)</select>', page.text)
        assert select, page.text
        values = re.findall(r'<option value="([^"]*)"', select.group(1))
        assert values == ["", *marc.TEXT_ENCODINGS]
        assert "Windows-1251" in select.group(1)
        assert 'id="encoding-help"' in page.text

        r = await web.post(
            "/cataloguing/upload",
            data={"csrf_token": csrf_of(page.text), "mode": "import", "encoding": "cp1251"},
            files={"file": ("1251.dat", CP1251_FILE.read_bytes())},
        )
        assert r.status_code == 303, r.text
        batch_id = r.headers["location"].rsplit("/", 1)[-1]
        batch = await wait_for(
            stack.http,
            f"/api/v1/marc-batches/{batch_id}",
            stack.staff,
            "state",
            {"staged", "failed"},
        )
        _assert_all_read(batch, "cp1251")
        report = await web.get(f"/batches/{batch_id}")
        assert re.search(r'id="batch-encoding">Windows-1251<', report.text), report.text

        page = await web.get("/cataloguing")
        r = await web.post(
            "/cataloguing/upload",
            data={"csrf_token": csrf_of(page.text), "mode": "import", "encoding": "cp-1251"},
            files={"file": ("1251.dat", CP1251_FILE.read_bytes())},
        )
        # Refused in place: the page again, the reason beside the character-set field.
        assert r.status_code == 422, r.text
        beside = re.search(r'<span class="field-error" id="encoding-error">([^<]*)<', r.text)
        assert beside, r.text
        assert "'cp-1251' is not one of utf-8, marc-8" in html.unescape(beside.group(1))

        await web.get("/lang/id?next=/cataloguing")
        page = await web.get("/cataloguing")
        assert '<html lang="id">' in page.text and "Set karakter berkas" in page.text
        report = await web.get(f"/batches/{batch_id}")
        assert "Set karakter" in report.text
