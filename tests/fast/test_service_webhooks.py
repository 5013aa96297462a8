"""Webhooks through the service layer: which URLs are allowed, signatures, and delivery.

The delivery workflow calls ``webhooks.deliver`` once per attempt; here the tests call it
themselves against a real local receiver (``tests/webhook_receiver.py``) that fails first,
on both databases. ``test_webhooks`` checks the same end to end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest

from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.partners import PartnerPatch
from services.exchange.service import partners, projection, webhooks
from services.exchange.service.keys import Caller
from services.exchange.service.webhooks import UnsafeWebhookUrl, check_url
from tests.fast.conftest import STAFF, Database, insert_exchange, new_partner
from tests.webhook_receiver import Received, Receiver
from workflows.exchange.types import NoticeInput


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """One receiver for the module (stopping one takes half a second); tests tell their
    requests apart by event id."""
    r = Receiver(fail_first=1).start()
    yield r
    r.stop()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What the README tells a partner to do."""
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(f"v1={expected.hexdigest()}", signature)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/h",
        "https://127.0.0.1/h",
        "https://[::1]/h",
        "https://localhost/h",
        "https://10.0.0.8/h",
        "https://172.16.5.4/h",
        "https://192.168.0.1/h",
        "https://169.254.169.254/h",
        "https://[fe80::1]/h",
        "https://0.0.0.0/h",
        "https://100.64.0.1/h",
        "ftp://example.org/h",
        "https:///no-host",
        # IPv6 forms that carry a private IPv4 address inside them
        "https://[::ffff:10.0.0.8]/h",
        "https://[64:ff9b::10.0.0.8]/h",  # NAT64, well-known prefix
        "https://[64:ff9b::7f00:1]/h",
        "https://[64:ff9b:1::8.8.8.8]/h",  # NAT64, local-use prefix: never public
        "https://[2002:a00:8::1]/h",  # 6to4 of 10.0.0.8
        "https://[2002:c0a8:1::1]/h",  # 6to4 of 192.168.0.1
        "https://[::10.0.0.8]/h",  # IPv4-compatible
        "https://[::127.0.0.1]/h",
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h",  # Teredo
    ],
)
def test_production_refuses_loopback_private_and_plain_http(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrl):
        check_url(url, allow_insecure=False)
    with pytest.raises(Problem) as refused:
        webhooks.validated(url, allow_insecure=False)
    assert (refused.value.status, refused.value.kind) == (422, "webhook-url-not-allowed")
    assert refused.value.detail.startswith("webhook_url: ")


@pytest.mark.parametrize("url", ["https://[64:ff9b::8.8.8.8]/h", "https://[2002:808:808::1]/h"])
def test_ipv6_that_embeds_a_public_ipv4_is_allowed(url: str) -> None:
    check_url(url, allow_insecure=False)


def test_public_https_passes_and_development_allows_http_to_loopback_only() -> None:
    check_url("https://93.184.215.14/hooks", allow_insecure=False)
    assert webhooks.validated(None, allow_insecure=False) is None
    for url in ("http://127.0.0.1:9000/hooks", "http://localhost/h", "http://[::1]:8/h"):
        check_url(url, allow_insecure=True)
    for url in ("http://10.0.0.8/hooks", "http://example.org/x"):
        with pytest.raises(UnsafeWebhookUrl):
            check_url(url, allow_insecure=True)


def test_a_signature_verifies_with_the_secret_only() -> None:
    body = b'{"id":"x.2"}'
    signature = webhooks.sign("s3cret", "1700000000", body)
    assert signature.startswith("v1=") and verify("s3cret", "1700000000", body, signature)
    assert not verify("wrong", "1700000000", body, signature)
    assert not verify("s3cret", "1700000001", body, signature), "the timestamp is signed too"
    assert webhooks.event_id("abc", 7) == "abc.7"


def _sent(receiver: Receiver, event_id: str) -> list[Received]:
    """What the receiver was sent for one event (each delivery here is synchronous)."""
    return [r for r in receiver.requests if r.headers["webhook-id"] == event_id]


def _hooked(db: Database, url: str) -> tuple[str, Caller, str]:
    """A partner whose webhook is ``url`` (loopback, so development's rule), and its secret."""
    created, caller = new_partner(db)
    insecure = db.settings.model_copy(update={"allow_insecure_webhooks": True})
    patch = PartnerPatch.model_validate({"webhook_url": url})
    partners.update(db.engine, insecure, STAFF, created.code, patch)
    return created.code, caller, created.webhook_secret


def test_an_event_is_retried_until_accepted_then_never_sent_again(
    database: Database, receiver: Receiver
) -> None:
    engine = database.engine
    code, caller, secret = _hooked(database, receiver.url)
    exchange_id, _ = insert_exchange(database, caller, "outgoing", [LineIn(title="A", quantity=1)])
    notice = NoticeInput(exchange_id, 2, code, "proposal", "2026-11-21T10:00:00+00:00", "1 line")
    assert projection.record_notice(engine, notice) == (True, True)

    def attempt(n: int) -> webhooks.Delivered:
        return webhooks.deliver(engine, exchange_id, 2, n, database.settings.base_url, True)

    with pytest.raises(webhooks.DeliveryFailed, match="answered 503"):
        attempt(1)
    assert attempt(2) == webhooks.Delivered(attempts=2, already=False)
    assert attempt(3) == webhooks.Delivered(attempts=3, already=True)
    sent = _sent(receiver, f"{exchange_id}.2")
    assert len(sent) == 2, "nothing sent once accepted"

    accepted = sent[-1]
    headers, event = accepted.headers, accepted.event
    assert verify(secret, headers["webhook-timestamp"], accepted.body, headers["webhook-signature"])
    assert headers["webhook-id"] == event["id"] == f"{exchange_id}.2"
    assert (event["type"], event["state"], event["note"]) == (
        "exchange.proposal",
        "proposed",
        "1 line",
    )
    link = f"{database.settings.base_url}/api/v1/exchanges/{exchange_id}"
    assert event["links"]["exchange"] == link
    assert json.loads(sent[0].body) == event, "a retry sends the same event"

    page = webhooks.list_deliveries(engine, caller, code, limit=10, offset=0)
    assert page.total == 2
    assert [(d.attempt, d.succeeded, d.status_code) for d in page.items] == [
        (2, True, 200),
        (1, False, 503),
    ], "newest first"
    assert page.items[1].error == "the endpoint answered 503"
    assert page.items[0].event_id == f"{exchange_id}.2" and page.items[0].event == "proposal"
    _other, other = new_partner(database)
    with pytest.raises(Problem) as hidden:
        webhooks.list_deliveries(engine, other, code, limit=10, offset=0)
    assert (hidden.value.status, hidden.value.kind) == (404, "not-found")


def test_an_address_refused_at_send_time_is_a_failed_attempt_not_a_request(
    database: Database, receiver: Receiver
) -> None:
    """The check runs again at each attempt: DNS, or the setting, may have changed."""
    engine = database.engine
    code, caller, _ = _hooked(database, receiver.url)
    exchange_id, _ = insert_exchange(database, caller, "outgoing", [LineIn(title="A", quantity=1)])
    projection.record_notice(
        engine, NoticeInput(exchange_id, 2, code, "shipment", "2026-11-21T10:00:00+00:00")
    )
    with pytest.raises(webhooks.DeliveryFailed, match="refused to send"):
        webhooks.deliver(engine, exchange_id, 2, 1, "https://x.example", allow_insecure=False)
    assert _sent(receiver, f"{exchange_id}.2") == []
    (failed,) = webhooks.list_deliveries(engine, STAFF, code, limit=10, offset=0).items
    assert failed.status_code is None and failed.error is not None
    assert failed.error.startswith("refused to send: webhook URLs must use https")

    # The partner removes its webhook: the event is done with, nothing is sent.
    partners.update(
        engine, database.settings, caller, code, PartnerPatch.model_validate({"webhook_url": None})
    )
    assert webhooks.deliver(engine, exchange_id, 2, 2, "https://x.example", True).already
    assert _sent(receiver, f"{exchange_id}.2") == []
