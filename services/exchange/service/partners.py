"""Registering partner libraries and listing them."""

from __future__ import annotations

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.db import session_scope
from services.exchange.models import Partner
from services.exchange.problems import Problem
from services.exchange.schemas import Page, PartnerCreated, PartnerIn, PartnerOut
from services.exchange.service.keys import PARTNER_ROLE, new_key


def _out(p: Partner) -> PartnerOut:
    return PartnerOut.model_validate(p, from_attributes=True)


def create(engine: Engine, home_code: str, body: PartnerIn) -> PartnerCreated:
    if body.code.casefold() == home_code.casefold():
        raise Problem(409, "partner-exists", f"{body.code} is the code of our own library")
    try:
        with session_scope(engine) as session:
            partner = Partner(
                code=body.code,
                name=body.name,
                country=body.country,
                isil=body.isil,
                marc_format=body.marc_format,
                webhook_url=str(body.webhook_url) if body.webhook_url else None,
            )
            session.add(partner)
            session.flush()
            key, token = new_key(session, PARTNER_ROLE, partner.id)
            out = PartnerCreated(**_out(partner).model_dump(), api_key=token, api_key_id=key.id)
    except IntegrityError:
        raise Problem(409, "partner-exists", f"a partner with code {body.code} exists") from None
    return out


def list_all(engine: Engine, limit: int, offset: int) -> Page[PartnerOut]:
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(Partner)).scalar_one()
        rows = session.scalars(
            select(Partner).order_by(col(Partner.code)).limit(limit).offset(offset)
        )
        return Page(items=[_out(p) for p in rows], total=total, limit=limit, offset=offset)


def by_code(session: Session, code: str) -> Partner | None:
    return session.scalars(select(Partner).where(col(Partner.code) == code)).first()
