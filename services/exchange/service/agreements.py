"""Memoranda of understanding: an exchange needs one valid on the day it is proposed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, ScalarSelect, String, cast
from sqlmodel import Session, col, select

from services.exchange.models import Agreement, Partner
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.partners import AgreementIn, AgreementOut
from services.exchange.schemas.profiles import ProfileIn, read, stored
from services.exchange.service import audit
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from services.exchange.storage.db import session_scope
from workflows.errors import N_

MATERIAL_EXCHANGE = "material_exchange"


def today() -> date:
    return datetime.now(UTC).date()


def _out(a: Agreement, partner: Partner, day: date) -> AgreementOut:
    return AgreementOut(
        id=a.id or 0,
        partner=partner.code,
        signed_on=a.signed_on,
        valid_from=a.valid_from,
        valid_to=a.valid_to,
        programmes=a.programmes,
        response_days=a.response_days,
        receipt_days=a.receipt_days,
        yearly_quota=a.yearly_quota,
        valid_today=a.valid_from <= day <= a.valid_to,
        profile=read(a.profile),
        balance_model=a.balance_model,
        currency=a.currency,
        tolerance=a.tolerance,
    )


def create(engine: Engine, caller: Caller, code: str, body: AgreementIn) -> AgreementOut:
    if body.valid_to < body.valid_from:
        raise Problem(422, "validation-error", "valid_to: the agreement ends before it starts")
    if body.signed_on > body.valid_to:
        raise Problem(422, "validation-error", "signed_on: signed after the agreement ended")
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        assert partner.id is not None
        fields = body.model_dump(exclude={"profile"})
        agreement = Agreement(partner_id=partner.id, **fields, profile=stored(body.profile))
        session.add(agreement)
        session.flush()
        after = audit.snapshot(agreement, partner=partner.code)
        key = str(agreement.id)
        audit.changed(session, caller, audit.AGREEMENT, key, audit.CREATED, after=after)
        return _out(agreement, partner, today())


def set_profile(
    engine: Engine, caller: Caller, code: str, agreement_id: int, body: ProfileIn
) -> AgreementOut:
    """Change what the partner wants under this agreement (an empty profile: everything)."""
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, code)
        agreement = session.get(Agreement, agreement_id)
        if agreement is None or agreement.partner_id != partner.id:
            raise not_found(N_("agreement {agreement_id}").format(agreement_id=agreement_id))
        before = audit.snapshot(agreement, partner=partner.code)
        agreement.profile = stored(body)
        session.add(agreement)
        session.flush()
        after = audit.snapshot(agreement, partner=partner.code)
        key = str(agreement.id)
        audit.changed(session, caller, audit.AGREEMENT, key, audit.UPDATED, before, after)
        return _out(agreement, partner, today())


def list_for(engine: Engine, caller: Caller, code: str) -> list[AgreementOut]:
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
        rows = session.scalars(
            select(Agreement)
            .where(col(Agreement.partner_id) == partner.id)
            .order_by(col(Agreement.valid_from))
        )
        day = today()
        return [_out(a, partner, day) for a in rows]


def valid_to_on(day: date) -> ScalarSelect[date]:
    """``valid_on``'s agreement as SQL, for a list of partners: the day it ends, per partner
    row of the statement it is put in (the latest signed wins; tests keep the two in step).

    The programmes are a JSON list: its text holds ``"material_exchange"`` on both databases.
    """
    return (
        select(col(Agreement.valid_to))
        .where(
            col(Agreement.partner_id) == col(Partner.id),
            col(Agreement.valid_from) <= day,
            col(Agreement.valid_to) >= day,
            cast(col(Agreement.programmes), String).contains(f'"{MATERIAL_EXCHANGE}"'),
        )
        .order_by(col(Agreement.signed_on).desc(), col(Agreement.id).desc())
        .limit(1)
        .correlate(Partner)
        .scalar_subquery()
    )


def valid_on(session: Session, partner_id: int, day: date) -> Agreement | None:
    """The agreement covering material exchange on ``day``; the latest signed wins."""
    rows = session.scalars(
        select(Agreement)
        .where(
            col(Agreement.partner_id) == partner_id,
            col(Agreement.valid_from) <= day,
            col(Agreement.valid_to) >= day,
        )
        .order_by(col(Agreement.signed_on).desc(), col(Agreement.id).desc())
    )
    return next((a for a in rows if MATERIAL_EXCHANGE in a.programmes), None)
