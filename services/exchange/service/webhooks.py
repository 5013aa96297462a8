"""Webhooks to partners: which URLs are allowed, how events are signed, and delivery.

An event is signed with HMAC-SHA256 over ``"<timestamp>.<body>"`` with the partner's secret.
URLs must be https and must not point to loopback, link-local or private addresses (SSRF);
``EXCHANGE_ALLOW_INSECURE_WEBHOOKS`` lets http to loopback through, for development and tests.
The address check runs again at every attempt, because DNS can change after registration.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from services.exchange.models import Exchange, Notice, Partner, WebhookDelivery
from services.exchange.offer_models import EmailDelivery, OfferList
from services.exchange.problems import Problem
from services.exchange.schemas.common import Page
from services.exchange.schemas.partner_contacts import EmailDeliveryOut
from services.exchange.schemas.partners import DeliveryOut
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from services.exchange.storage.db import session_scope

SIGNATURE_HEADER = "Webhook-Signature"
TIMESTAMP_HEADER = "Webhook-Timestamp"
ID_HEADER = "Webhook-Id"
_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class UnsafeWebhookUrl(ValueError):
    pass


class DeliveryFailed(RuntimeError):
    """The partner's endpoint did not accept the event; the activity retries."""


def event_id(exchange_id: str, seq: int) -> str:
    """Stable across retries, so a receiver can drop a duplicate it already handled."""
    return f"{exchange_id}.{seq}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def _is_loopback_host(host: str) -> bool:
    return host in ("localhost", "127.0.0.1", "::1")


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, never public
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and a router may reach (NAT64, 6to4, ...)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        inner = _embedded_ipv4(address)
        return inner is None or inner.is_global
    return True


def check_url(url: str, allow_insecure: bool) -> None:
    """Refuse URLs a webhook must never reach; raise UnsafeWebhookUrl saying why."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeWebhookUrl("the URL has no host")
    insecure_ok = allow_insecure and _is_loopback_host(host)
    if parts.scheme != "https" and not insecure_ok:
        raise UnsafeWebhookUrl("webhook URLs must use https")
    if insecure_ok:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookUrl(f"the host {host} does not resolve: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not _is_public(address):
            raise UnsafeWebhookUrl(
                f"{host} resolves to {address}, a loopback, link-local, private or reserved "
                "address (or an IPv6 address that carries one)"
            )


def validated(url: str | None, allow_insecure: bool) -> str | None:
    if url is None:
        return None
    try:
        check_url(url, allow_insecure)
    except UnsafeWebhookUrl as exc:
        raise Problem(422, "webhook-url-not-allowed", f"webhook_url: {exc}") from None
    return url


@dataclass(frozen=True, slots=True)
class Delivered:
    attempts: int
    already: bool


def notice_event_id(notice_id: int) -> str:
    """The id of a notice that is not an exchange's; stable across retries like ``event_id``."""
    return f"notice.{notice_id}"


def notice_event_type(event: str) -> str:
    """``offer_list_published`` -> ``offer_list.published``, ``wishlist_hits`` ->
    ``wishlist.hits``: the family, a dot, and what happened, as ``exchange.<event>`` reads."""
    for family in ("offer_list", "wishlist", "selection"):
        if event.startswith(family + "_"):
            return f"{family}.{event[len(family) + 1 :]}"
    return f"notice.{event}"


def _exchange_event(notice: Notice, exchange: Exchange | None, base_url: str) -> dict[str, object]:
    """An exchange's event, exactly as partners have always received it."""
    exchange_id = notice.exchange_id or ""
    return {
        "id": event_id(exchange_id, notice.seq),
        "type": f"exchange.{notice.event}",
        "exchange_id": exchange_id,
        "exchange_number": exchange.number if exchange else None,
        "state": exchange.state if exchange else None,
        "note": notice.note,
        "occurred_at": notice.created_at.isoformat(),
        "links": {"exchange": f"{base_url}/api/v1/exchanges/{exchange_id}"},
    }


def _notice_event(notice: Notice, offer_list: OfferList | None, base_url: str) -> dict[str, object]:
    """An offer list's or a wish list's event: what it is about, and where to read it."""
    assert notice.id is not None
    links: dict[str, str] = {}
    if offer_list is not None:
        links["offer_list"] = f"{base_url}/api/v1/offer-lists/{offer_list.id}"
    if notice.event == "wishlist_hits":
        links["wishlist"] = f"{base_url}/api/v1/partners/{notice.party}/wishlist"
    return {
        "id": notice_event_id(notice.id),
        "type": notice_event_type(notice.event),
        "offer_list_id": offer_list.id if offer_list else None,
        "offer_list_number": offer_list.number if offer_list else None,
        "title": offer_list.title if offer_list else None,
        "state": offer_list.state if offer_list else None,
        "closes_on": offer_list.closes_on.isoformat() if offer_list else None,
        "note": notice.note,
        "occurred_at": notice.created_at.isoformat(),
        "links": links,
    }


def deliver(
    engine: Engine,
    exchange_id: str,
    seq: int,
    attempt: int,
    base_url: str,
    allow_insecure: bool,
    *,
    notice_id: int | None = None,
    home: str | None = None,
) -> Delivered:
    """One attempt; returns once the event is accepted (now or earlier), raises otherwise.

    The notice is an exchange's (``exchange_id``, ``seq``) or, with ``notice_id``, any notice
    (an offer list's, a wish list's). A notice to our own staff (``home``) has no webhook.
    """
    with Session(engine) as session:
        if notice_id is not None:
            found = session.get(Notice, notice_id)
            if found is None:
                return Delivered(attempts=attempt, already=True)  # nothing left to deliver
            notice = found
        else:
            notice = session.exec(
                select(Notice).where(col(Notice.exchange_id) == exchange_id, col(Notice.seq) == seq)
            ).one()
        assert notice.id is not None
        if home is not None and notice.party == home:
            return Delivered(attempts=attempt, already=True)  # staff read it on their pages
        done = session.exec(
            select(func.count()).where(
                col(WebhookDelivery.notice_id) == notice.id, col(WebhookDelivery.succeeded)
            )
        ).one()
        if done:
            return Delivered(attempts=attempt, already=True)
        partner = session.exec(select(Partner).where(col(Partner.code) == notice.party)).first()
        if partner is None:
            return Delivered(attempts=attempt, already=True)  # no partner: nobody to post to
        if notice.exchange_id is not None:
            exchange = session.get(Exchange, notice.exchange_id)
            event: dict[str, object] = _exchange_event(notice, exchange, base_url)
        else:
            offer_list = (
                session.get(OfferList, notice.offer_list_id) if notice.offer_list_id else None
            )
            event = _notice_event(notice, offer_list, base_url)
    if not partner.webhook_url or not partner.webhook_secret:
        return Delivered(attempts=attempt, already=True)  # the partner removed its webhook
    body = json.dumps(event, separators=(",", ":")).encode()
    identifier = str(event["id"])
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        ID_HEADER: identifier,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(partner.webhook_secret, timestamp, body),
        "User-Agent": "library-exchange-webhooks/1",
    }
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        check_url(partner.webhook_url, allow_insecure)
        with httpx.Client(timeout=_TIMEOUT, follow_redirects=False, trust_env=False) as client:
            response = client.post(partner.webhook_url, content=body, headers=headers)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"the endpoint answered {status}"
    except UnsafeWebhookUrl as exc:
        error = f"refused to send: {exc}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    elapsed = int((time.perf_counter() - started) * 1000)
    with session_scope(engine) as session:
        session.add(
            WebhookDelivery(
                notice_id=notice.id,
                partner_id=partner.id or 0,
                attempt=attempt,
                url=partner.webhook_url,
                status_code=status,
                error=error,
                succeeded=error is None,
                duration_ms=elapsed,
                at=datetime.now(UTC),
            )
        )
    if error is not None:
        raise DeliveryFailed(error)
    return Delivered(attempts=attempt, already=False)


def list_deliveries(
    engine: Engine, caller: Caller, code: str, limit: int, offset: int
) -> Page[DeliveryOut]:
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
        query = (
            select(WebhookDelivery, Notice, col(Exchange.number))
            .join(Notice, col(Notice.id) == col(WebhookDelivery.notice_id))
            # An offer list's or a wish list's notice has no exchange: an outer join.
            .outerjoin(Exchange, col(Exchange.id) == col(Notice.exchange_id))
            .where(col(WebhookDelivery.partner_id) == partner.id)
        )
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(
            query.order_by(col(WebhookDelivery.id).desc()).limit(limit).offset(offset)
        ).all()
        items = [
            DeliveryOut(
                id=d.id or 0,
                event_id=_delivered_event_id(n),
                event=n.event,
                exchange_id=n.exchange_id or "",
                exchange_number=number,
                attempt=d.attempt,
                url=d.url,
                status_code=d.status_code,
                error=d.error,
                succeeded=d.succeeded,
                duration_ms=d.duration_ms,
                at=d.at,
            )
            for d, n, number in rows
        ]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _delivered_event_id(notice: Notice) -> str:
    if notice.exchange_id is not None:
        return event_id(notice.exchange_id, notice.seq)
    return notice_event_id(notice.id or 0)


def list_email_deliveries(
    engine: Engine, caller: Caller, code: str | None, limit: int, offset: int
) -> Page[EmailDeliveryOut]:
    """Every attempt to e-mail a notice, newest first: to one partner's contacts (``code``;
    a partner sees only its own), or to everyone, staff addresses included (``code`` None:
    the route lets only staff ask)."""
    with Session(engine) as session:
        query = (
            select(EmailDelivery, Notice, col(Exchange.number), col(OfferList.number))
            .join(Notice, col(Notice.id) == col(EmailDelivery.notice_id))
            .outerjoin(Exchange, col(Exchange.id) == col(Notice.exchange_id))
            .outerjoin(OfferList, col(OfferList.id) == col(Notice.offer_list_id))
        )
        if code is not None:
            partner = visible_partner(session, caller, code)
            query = query.where(col(EmailDelivery.partner_id) == partner.id)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(
            query.order_by(col(EmailDelivery.id).desc()).limit(limit).offset(offset)
        ).all()
        items = [
            EmailDeliveryOut(
                id=d.id or 0,
                notice_id=d.notice_id,
                event_id=_delivered_event_id(n),
                event=n.event,
                party=n.party,
                exchange_id=n.exchange_id,
                exchange_number=exchange_number,
                offer_list_id=n.offer_list_id,
                offer_list_number=list_number,
                address=d.address,
                language=d.language,
                subject=d.subject,
                attempt=d.attempt,
                succeeded=d.succeeded,
                error=d.error,
                duration_ms=d.duration_ms,
                at=d.at,
            )
            for d, n, exchange_number, list_number in rows
        ]
    return Page(items=items, total=total, limit=limit, offset=offset)
