"""Registering partner libraries, changing their details, and their keys and secrets."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.models import Partner
from services.exchange.problems import Problem
from services.exchange.schemas.common import Page
from services.exchange.schemas.keys import KeyCreated, RotateIn
from services.exchange.schemas.partners import (
    PartnerCreated,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    WebhookSecret,
)
from services.exchange.service import audit, keys, webhooks
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import PARTNER_ROLE, Caller, new_key
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope


def _out(p: Partner) -> PartnerOut:
    out = PartnerOut.model_validate(p, from_attributes=True)
    return out.model_copy(update={"created_at": p.created_at})


def create(
    engine: Engine, settings: Settings, body: PartnerIn, caller: Caller | None = None
) -> PartnerCreated:
    if body.code.casefold() == settings.home_code.casefold():
        raise Problem(409, "partner-exists", f"{body.code} is the code of our own library")
    url = webhooks.validated(
        str(body.webhook_url) if body.webhook_url else None, settings.allow_insecure_webhooks
    )
    secret = secrets.token_urlsafe(32)
    try:
        with session_scope(engine) as session:
            partner = Partner(
                code=body.code,
                name=body.name,
                country=body.country,
                isil=body.isil,
                marc_format=body.marc_format,
                marc_encoding=body.marc_encoding,
                heading_form=body.heading_form,
                webhook_url=url,
                webhook_secret=secret,
            )
            session.add(partner)
            session.flush()
            key, token = new_key(session, PARTNER_ROLE, partner.id, "registration")
            after = audit.snapshot(partner)
            audit.changed(session, caller, audit.PARTNER, partner.code, audit.CREATED, after=after)
            after = audit.snapshot(key, partner=partner.code)
            audit.changed(session, caller, audit.KEY, key.id, audit.CREATED, after=after)
            out = PartnerCreated(
                **_out(partner).model_dump(),
                api_key=token,
                api_key_id=key.id,
                webhook_secret=secret,
            )
    except IntegrityError:
        raise Problem(409, "partner-exists", f"a partner with code {body.code} exists") from None
    return out


def update(
    engine: Engine, settings: Settings, caller: Caller, code: str, body: PartnerPatch
) -> PartnerOut:
    """Staff (admins: see the route) may change name, ISIL, the character set its files are
    read in and its heading form; a partner may change only its own webhook URL, since how
    its records are read and converted is the cataloguers' decision."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name",):
        if required in changes and changes[required] is None:
            raise Problem(422, "validation-error", f"{required}: cannot be removed")
    with Session(engine) as session:
        visible_partner(session, caller, code)  # 404 before anything about the body
    if not caller.is_staff and set(changes) - {"webhook_url"}:
        raise Problem(403, "forbidden", "a partner may change only its webhook_url")
    if "webhook_url" in changes:
        url = body.webhook_url
        changes["webhook_url"] = webhooks.validated(
            str(url) if url else None, settings.allow_insecure_webhooks
        )
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        before = audit.snapshot(partner)
        for field, value in changes.items():
            setattr(partner, field, value)
        session.add(partner)
        session.flush()
        after = audit.snapshot(partner)
        audit.changed(session, caller, audit.PARTNER, partner.code, audit.UPDATED, before, after)
        return _out(partner)


def new_webhook_secret(engine: Engine, caller: Caller, code: str) -> WebhookSecret:
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        partner.webhook_secret = secrets.token_urlsafe(32)
        session.add(partner)
        audit.changed(session, caller, audit.PARTNER, partner.code, audit.SECRET_RENEWED)
        return WebhookSecret(webhook_secret=partner.webhook_secret)


def rotate_key(engine: Engine, caller: Caller, code: str, body: RotateIn) -> KeyCreated:
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
    return keys.rotate_partner_key(
        engine, partner, timedelta(hours=body.overlap_hours), body.label, caller=caller
    )


def get(engine: Engine, caller: Caller, code: str) -> PartnerOut:
    """One partner as the list shows it; a partner sees only itself (404 for any other)."""
    with Session(engine) as session:
        return _out(visible_partner(session, caller, code))


def list_all(engine: Engine, limit: int, offset: int) -> Page[PartnerOut]:
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(Partner)).one()
        rows = session.exec(select(Partner).order_by(col(Partner.code)).limit(limit).offset(offset))
        return Page(items=[_out(p) for p in rows], total=total, limit=limit, offset=offset)


def by_code(session: Session, code: str) -> Partner | None:
    return session.exec(select(Partner).where(col(Partner.code) == code)).first()
