"""The exchange rates staff record per year, by which a value balance adds declared values.

A rate says what one unit of ``currency`` was worth in ``to_currency`` in a year (as the
library's accounts used it: the balance does not look rates up anywhere). It is recorded,
changed or removed by acquisitions staff, each change in the audit trail; the balance reads
them (``service.balance``) and never guesses a missing one.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.exchange.balance_models import ExchangeRate
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.reports import ExchangeRateOut
from services.exchange.service import audit
from services.exchange.service.keys import ACQUISITIONS, Caller
from services.exchange.service.roles import STAFF_KEY_NEEDED, require_role
from services.exchange.storage.db import session_scope
from services.exchange.storage.utc import utcnow
from workflows.errors import N_


def _out(rate: ExchangeRate) -> ExchangeRateOut:
    return ExchangeRateOut(
        year=rate.year,
        currency=rate.currency,
        to_currency=rate.to_currency,
        rate=rate.rate,
        recorded_by=rate.recorded_by,
        recorded_at=rate.recorded_at,
    )


def _staff_only(caller: Caller) -> None:
    """Rates are the library's own books: a partner's key is refused like any staff route."""
    if not caller.is_staff:
        raise Problem(403, "staff-only", STAFF_KEY_NEEDED)


def _may_record(caller: Caller) -> None:
    """Who records rates: as for agreements' profiles, acquisitions staff (and admins)."""
    require_role(caller, ACQUISITIONS)


def _key(year: int, currency: str, to_currency: str) -> str:
    return f"{year}/{currency}/{to_currency}"


def _find(session: Session, year: int, currency: str, to_currency: str) -> ExchangeRate | None:
    return session.scalars(
        select(ExchangeRate).where(
            col(ExchangeRate.year) == year,
            col(ExchangeRate.currency) == currency,
            col(ExchangeRate.to_currency) == to_currency,
        )
    ).first()


def _snapshot(rate: ExchangeRate) -> dict[str, object]:
    return audit.snapshot(rate.model_dump(exclude={"id", "recorded_at"}))


def list_rates(engine: Engine, caller: Caller, year: int | None) -> list[ExchangeRateOut]:
    """The rates recorded, for one year or all, by year (newest first), then currencies."""
    _staff_only(caller)
    wanted = select(ExchangeRate)
    if year is not None:
        wanted = wanted.where(col(ExchangeRate.year) == year)
    with Session(engine) as session:
        rows = session.scalars(
            wanted.order_by(
                col(ExchangeRate.year).desc(),
                col(ExchangeRate.currency),
                col(ExchangeRate.to_currency),
            )
        )
        return [_out(r) for r in rows]


def put_rate(
    engine: Engine, caller: Caller, year: int, currency: str, to_currency: str, rate: Decimal
) -> ExchangeRateOut:
    """Record the year's rate from ``currency`` to ``to_currency``, or change the one there."""
    _may_record(caller)
    if currency == to_currency:
        raise Problem(
            422, "validation-error", N_("to_currency: a currency is worth itself; give another one")
        )
    with session_scope(engine) as session:
        row = _find(session, year, currency, to_currency)
        before = _snapshot(row) if row is not None else None
        if row is None:
            row = ExchangeRate(
                year=year,
                currency=currency,
                to_currency=to_currency,
                rate=rate,
                recorded_by=caller.actor,
                recorded_at=utcnow(),
            )
        elif row.rate == rate:
            return _out(row)
        else:
            row.rate, row.recorded_by, row.recorded_at = rate, caller.actor, utcnow()
        session.add(row)
        session.flush()
        action = audit.CREATED if before is None else audit.UPDATED
        key = _key(year, currency, to_currency)
        audit.changed(session, caller, audit.EXCHANGE_RATE, key, action, before, _snapshot(row))
        return _out(row)


def delete_rate(engine: Engine, caller: Caller, year: int, currency: str, to_currency: str) -> None:
    """Remove a rate recorded by mistake: the amounts it converted are unconverted again."""
    _may_record(caller)
    with session_scope(engine) as session:
        row = _find(session, year, currency, to_currency)
        if row is None:
            what = N_("exchange rate {year} {currency} to {to_currency}")
            raise not_found(what.format(year=year, currency=currency, to_currency=to_currency))
        before = _snapshot(row)
        session.delete(row)
        key = _key(year, currency, to_currency)
        audit.changed(session, caller, audit.EXCHANGE_RATE, key, audit.DELETED, before, None)
