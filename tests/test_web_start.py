"""A new desk says where to start, and every form says in one line what it does.

The dashboard of an empty service lists the three steps before a first exchange (register a
partner, record an agreement, deposit publications), each linking to its form and each gone
once done; it needs a database of its own, since the shared one has partners already. The
form pages carry their line of help under the form's heading.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack, running_stack
from tests.support import AGREEMENT, register_partner
from tests.web_support import exchange_of, make_user, signed_in, user_client

_STEPS = re.compile(r'<section class="box starting" id="where-to-start">(.*?)</section>', re.S)


@pytest.fixture
async def empty_stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    url = f"sqlite:///{tmp_path / 'exchange.db'}"
    async with running_stack(temporal_env.client, "sqlite", tmp_path, url) as running:
        yield running


def _steps(html: str) -> str | None:
    found = _STEPS.search(html)
    return found.group(1) if found else None


async def test_the_empty_dashboard_lists_the_first_steps_until_done(empty_stack: Stack) -> None:
    stack = empty_stack
    admin = await make_user(stack, "admin", name="Dewi")
    async with signed_in(stack, *admin) as web:
        steps = _steps((await web.get("/")).text)
        assert steps is not None, "an empty desk says where to start"
        assert 'href="/partners#partner-form"' in steps and "Register a partner library" in steps
        assert 'href="/partners"' in steps and "Record an agreement" in steps
        assert 'href="/fund#deposit"' in steps and "Deposit publications" in steps

        code = f"S{uuid.uuid4().hex[:6].upper()}"
        await register_partner(stack.http, stack.staff, code=code, agreement=None)
        steps = _steps((await web.get("/")).text) or ""
        assert "Register a partner library" not in steps and "Record an agreement" in steps

        r = await stack.http.post(
            f"/api/v1/partners/{code}/agreements", json=AGREEMENT, headers=stack.staff
        )
        assert r.status_code == 201, r.text
        steps = _steps((await web.get("/")).text) or ""
        assert "Record an agreement" not in steps and "Deposit publications" in steps

        r = await stack.http.post(
            "/api/v1/deposits", json={"title": "Babad", "copies": 3}, headers=stack.staff
        )
        assert r.status_code == 201, r.text
        assert _steps((await web.get("/")).text) is None, "a desk set up has no such list"


async def test_the_steps_link_only_for_whom_may_take_them(empty_stack: Stack) -> None:
    async with user_client(empty_stack, "cataloguer") as web:
        steps = _steps((await web.get("/")).text)
        assert steps is not None
        assert "href=" not in steps  # a cataloguer takes none of them: said, not linked
        assert "an administrator does this" in steps and "acquisitions staff do this" in steps


_HELP = re.compile(r'<p class="hint form-help">([^<]+)</p>')


async def test_each_form_has_a_line_of_help(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "admin") as web:
        for path, words in (
            ("/proposals/new", "sending reserves the copies"),
            ("/fund", "Adds deposited copies to the fund"),
            ("/partners", "Registers a library we exchange with"),
            (f"/partners/{partner['code']}", "Records the memorandum"),
            ("/cataloguing", "The file is imported in the background"),
        ):
            r = await web.get(path)
            assert r.status_code == 200, (path, r.text)
            assert any(words in line for line in _HELP.findall(r.text)), path
    exchange_id = await exchange_of(stack, partner, 2)
    async with user_client(stack, "partner", partner["code"]) as portal:
        r = await portal.get(f"/partner/exchanges/{exchange_id}")
        assert any("Accept all or some" in line for line in _HELP.findall(r.text))
        r = await portal.get("/partner/offers/new")
        assert any("Lists the publications you offer us" in h for h in _HELP.findall(r.text))
