"""One catalogue record in full: its fields, a labelled description, holdings, provenance and
history, for the record page and ``GET /api/v1/records/{id}`` alike.

The history is the ``record_history`` the commit and the undo write (imported, merged,
replaced, undone). Records catalogued before staged imports have no such rows: for them the
import outcomes that created or merged into the record stand in (one copy each), so every
record says where its copies came from.

A partner sees a record only if its exchanges brought it in (``catalogue.record_scope``), and
then only its own exchanges in the record's provenance and history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

import marc
from marc.description import describe, field_rows
from services.exchange.models import (
    CatalogueRecord,
    Exchange,
    ImportOutcome,
    MarcBatch,
    Partner,
    RecordHistory,
)
from services.exchange.schemas.records import (
    DescriptionPart,
    HistoryEntry,
    MarcFieldOut,
    PartnerRef,
    Provenance,
    RecordDetail,
)
from services.exchange.service import batch_states as bs
from services.exchange.service.catalogue import reached_catalogue, visible_record
from services.exchange.service.keys import Caller

# What an outcome without a history entry did, in the words of ``record_history``.
_LEGACY_ACTIONS = {
    bs.CREATED: bs.HISTORY_IMPORTED,
    bs.MERGED: bs.HISTORY_MERGED,
    bs.REPLACED: bs.HISTORY_REPLACED,
}


def record_marc(engine: Engine, caller: Caller, record_id: int) -> bytes:
    """The record as stored: MARC 21 in UTF-8 (404 if the caller may not see it)."""
    with Session(engine) as session:
        return bytes(visible_record(session, caller, record_id).marc)


def _partner_ref(partner: Partner | None) -> PartnerRef | None:
    if partner is None:
        return None
    return PartnerRef(code=partner.code, name=partner.name, isil=partner.isil)


class _Lookups:
    """Batches, exchanges and partners by id, each read once however often it is named."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[type, Any], Any] = {}

    def get(self, model: type, key: Any) -> Any:
        if key is None:
            return None
        if (model, key) not in self._cache:
            self._cache[(model, key)] = self.session.get(model, key)
        return self._cache[(model, key)]

    def exchange_partner(self, exchange_id: str | None) -> tuple[Exchange | None, Partner | None]:
        exchange = self.get(Exchange, exchange_id)
        return exchange, self.get(Partner, exchange.partner_id) if exchange else None


def _history(
    session: Session, lookups: _Lookups, record_id: int, caller: Caller
) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    recorded_batches: set[str] = set()
    rows = session.exec(
        select(RecordHistory)
        .where(col(RecordHistory.record_id) == record_id)
        .order_by(col(RecordHistory.at), col(RecordHistory.id))
    )
    for row in rows:
        recorded_batches.add(row.batch_id)
        batch = lookups.get(MarcBatch, row.batch_id)
        exchange, partner = lookups.exchange_partner(row.exchange_id)
        if partner is None and row.partner_id is not None:
            partner = lookups.get(Partner, row.partner_id)
        entries.append(
            HistoryEntry(
                at=row.at,
                action=row.action,
                batch_id=row.batch_id,
                filename=batch.filename if batch else None,
                exchange_id=row.exchange_id,
                exchange_number=exchange.number if exchange else None,
                partner=partner.code if partner else None,
                actor=row.actor,
                holdings=row.holdings,
                revision=row.revision,
                note=row.note,
            )
        )
    legacy = session.exec(
        select(ImportOutcome, MarcBatch)
        .join(MarcBatch, col(MarcBatch.id) == col(ImportOutcome.batch_id))
        .where(
            col(ImportOutcome.record_id) == record_id,
            reached_catalogue(),
            col(MarcBatch.dry_run).is_(False),
        )
        .order_by(col(MarcBatch.created_at), col(ImportOutcome.position))
    )
    for outcome, batch in legacy:
        if batch.id in recorded_batches:
            continue
        exchange, partner = lookups.exchange_partner(batch.exchange_id)
        entries.append(
            HistoryEntry(
                at=batch.finished_at or batch.created_at,
                action=_LEGACY_ACTIONS.get(outcome.applied or outcome.outcome, "imported"),
                batch_id=batch.id,
                filename=batch.filename,
                exchange_id=batch.exchange_id,
                exchange_number=exchange.number if exchange else None,
                partner=partner.code if partner else None,
                actor=batch.uploaded_by,
                holdings=1,
                revision=None,
            )
        )
    entries.sort(key=lambda e: (e.at is None, e.at))
    if not caller.is_staff:
        own = {
            e.id
            for e in session.exec(
                select(Exchange).where(col(Exchange.partner_id) == caller.partner_id)
            )
        }
        entries = [e for e in entries if e.exchange_id in own]
    return entries


def _provenance(lookups: _Lookups, record: CatalogueRecord, caller: Caller) -> Provenance:
    batch = lookups.get(MarcBatch, record.batch_id)
    exchange, partner = lookups.exchange_partner(record.exchange_id)
    if partner is None:
        partner = lookups.get(Partner, record.partner_id)
    if not caller.is_staff and (exchange is None or exchange.partner_id != caller.partner_id):
        exchange = partner = None  # another partner's exchange: not theirs to see
        batch = None
    return Provenance(
        batch_id=batch.id if batch is not None else None,
        filename=batch.filename if batch else None,
        uploaded_by=batch.uploaded_by if batch else None,
        uploaded_at=batch.created_at if batch else None,
        exchange_id=exchange.id if exchange else None,
        exchange_number=exchange.number if exchange else None,
        partner=_partner_ref(partner),
    )


def record_view(engine: Engine, caller: Caller, record_id: int) -> RecordDetail:
    """The record with everything the record page shows (404 if the caller may not see it)."""
    with Session(engine) as session:
        record = visible_record(session, caller, record_id)
        assert record.id is not None
        parsed = marc.parse_marc21(bytes(record.marc))
        lookups = _Lookups(session)
        return RecordDetail(
            id=record.id,
            title=record.title,
            author=record.author,
            year=record.year,
            isbn=record.isbn,
            issn=record.issn,
            control_number=record.control_number,
            holdings=record.holdings,
            created_at=record.created_at,
            updated_at=record.updated_at,
            leader=str(parsed.leader),
            fields=[MarcFieldOut.model_validate(row) for row in field_rows(parsed)],
            description=[
                DescriptionPart.model_validate({"part": part, "values": values})
                for part, values in describe(parsed)
            ],
            provenance=_provenance(lookups, record, caller),
            history=_history(session, lookups, record.id, caller),
        )
