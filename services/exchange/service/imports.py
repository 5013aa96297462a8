"""Importing a stored MARC file into catalogue records (run by a workflow activity).

The batch's records are rewritten in one transaction, so an activity retried after a crash
never leaves a record twice; a broken record is listed with its position and reason and the
rest of the file is still imported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert
from sqlmodel import Session, col, select

import marc
from services.exchange.db import session_scope
from services.exchange.models import CatalogueRecord, MarcBatch, Partner
from workflows.shared import ImportBatchResult

RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"

_CHUNK = 1_000


class BatchNotFound(LookupError):
    pass


def import_batch(
    engine: Engine, batch_id: str, heartbeat: Callable[..., None] | None = None
) -> ImportBatchResult:
    total = imported = 0
    rejected: list[dict[str, Any]] = []
    error: str | None = None
    with session_scope(engine) as session:
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        if batch is None:
            raise BatchNotFound(f"MARC batch {batch_id} does not exist")
        session.execute(delete(CatalogueRecord).where(col(CatalogueRecord.batch_id) == batch_id))
        source_isil, source_format = _source(session, batch.uploaded_by)
        rows: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        try:
            # Each file is detected afresh and each record's dialect from its own fields.
            for item in marc.read_records(batch.stored_path):
                total += 1
                if isinstance(item, marc.RejectedRecord):
                    rejected.append(
                        {"index": item.index, "offset": item.offset, "reason": item.reason}
                    )
                    continue
                try:
                    record = marc.to_marc21_record(
                        item.record,
                        item.dialect,
                        source_isil=source_isil,
                        source_format=source_format,
                    )
                    data = marc.to_marc21(record)
                    idx = marc.index_record(record)
                except Exception as exc:  # a record pymarc read but cannot write back
                    rejected.append(
                        {
                            "index": item.index,
                            "offset": item.offset,
                            "reason": f"cannot be written as MARC 21: {exc}",
                        }
                    )
                    continue
                rows.append(
                    {
                        "batch_id": batch_id,
                        "exchange_id": batch.exchange_id,
                        "position": item.index,
                        "control_number": idx.control_number,
                        "title": idx.title,
                        "isbn": idx.isbn,
                        "issn": idx.issn,
                        "author": idx.author,
                        "year": idx.year,
                        "marc": data,
                        "created_at": now,
                    }
                )
                if len(rows) >= _CHUNK:
                    imported += _flush(session, rows)
                    if heartbeat is not None:
                        heartbeat(total)
            imported += _flush(session, rows)
        except marc.MarcFormatError as exc:
            imported += _flush(session, rows)
            error = f"reading stopped after record {total}: {exc}"
        except OSError as exc:
            error = f"the stored file cannot be read: {exc.strerror or exc}"
        batch.state = FAILED if error else COMPLETED
        batch.total, batch.imported, batch.rejected, batch.error = total, imported, rejected, error
        batch.finished_at = datetime.now(UTC)
        session.add(batch)
    return ImportBatchResult(
        batch_id=batch_id,
        state=FAILED if error else COMPLETED,
        total=total,
        imported=imported,
        rejected=len(rejected),
        error=error,
    )


def _source(session: Session, uploaded_by: str) -> tuple[str | None, str | None]:
    """A partner's upload carries its ISIL (for 035) and, for RUSMARC, its local fields."""
    if uploaded_by.startswith("staff:"):
        return None, None
    partner = session.exec(select(Partner).where(col(Partner.code) == uploaded_by)).first()
    if partner is None:
        return None, None
    return partner.isil, "rusmarc" if partner.marc_format == "rusmarc" else None


def _flush(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    session.execute(insert(CatalogueRecord), rows)
    count = len(rows)
    rows.clear()
    return count
