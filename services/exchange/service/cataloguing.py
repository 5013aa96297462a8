"""MARC batches seen from the API: storing an upload, showing the result, exporting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

import marc
from services.exchange.db import session_scope
from services.exchange.models import CatalogueRecord, MarcBatch
from services.exchange.problems import Problem, not_found
from services.exchange.schemas import BatchOut, Page, RecordOut, RejectedOut
from services.exchange.service import exchanges, imports
from services.exchange.service.access import aware, visible
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller

_COPY_BLOCK = 1024 * 1024


# --- upload ------------------------------------------------------------------------------


def store_upload(uploads_dir: Path, source: BinaryIO, max_bytes: int) -> tuple[str, Path, int, str]:
    """Copy the upload to the data directory in blocks; refuse it if too large or not MARC."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    batch_id = str(uuid.uuid4())
    path = uploads_dir / f"{batch_id}.marc"
    size = 0
    try:
        with path.open("wb") as out:
            while block := source.read(_COPY_BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise Problem(
                        413, "upload-too-large", f"the file is larger than {max_bytes} bytes"
                    )
                out.write(block)
        if size == 0:
            raise Problem(422, "not-marc", "the file is empty")
        try:
            fmt = marc.detect_format(path)
        except marc.MarcFormatError as exc:
            raise Problem(
                422,
                "not-marc",
                f"the file is not MARC (ISO 2709 MARC 21 or UNIMARC, MARCXML, MARC-in-JSON): {exc}",
            ) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return batch_id, path, size, fmt


def _insert_batch(
    engine: Engine,
    batch_id: str,
    exchange_id: str | None,
    caller: Caller,
    filename: str | None,
    path: Path,
    size: int,
    fmt: str,
) -> None:
    with session_scope(engine) as session:
        if exchange_id is not None:
            visible(session, caller, exchange_id)
        session.add(
            MarcBatch(
                id=batch_id,
                exchange_id=exchange_id,
                uploaded_by=caller.actor,
                filename=filename,
                stored_path=str(path.resolve()),
                size_bytes=size,
                format=fmt,
                state=imports.RUNNING,
            )
        )


def _remove_batch(engine: Engine, batch_id: str, path: Path) -> None:
    with session_scope(engine) as session:
        session.execute(delete(MarcBatch).where(col(MarcBatch.id) == batch_id))
    path.unlink(missing_ok=True)


async def upload_for_exchange(
    ctx: Context, caller: Caller, exchange_id: str, source: BinaryIO, filename: str | None
) -> str:
    """Store the file, register the batch and hand it to the exchange's workflow to import."""

    def _visible() -> None:
        with Session(ctx.engine) as session:
            visible(session, caller, exchange_id)

    await asyncio.to_thread(_visible)
    batch_id, path, size, fmt = await asyncio.to_thread(
        store_upload, ctx.settings.uploads_dir, source, ctx.settings.max_upload_bytes
    )
    await asyncio.to_thread(
        _insert_batch, ctx.engine, batch_id, exchange_id, caller, filename, path, size, fmt
    )
    try:
        await exchanges.attach_marc(ctx, caller, exchange_id, batch_id)
    except BaseException:
        await asyncio.to_thread(_remove_batch, ctx.engine, batch_id, path)
        raise
    return batch_id


# --- reading -----------------------------------------------------------------------------


def batch_view(engine: Engine, caller: Caller, batch_id: str) -> BatchOut:
    with Session(engine) as session:
        batch = session.get(MarcBatch, batch_id)
        if batch is None:
            raise not_found(f"MARC batch {batch_id}")
        if batch.exchange_id is None:
            if not caller.is_staff:
                raise not_found(f"MARC batch {batch_id}")
        else:
            try:
                visible(session, caller, batch.exchange_id)
            except Problem:
                raise not_found(f"MARC batch {batch_id}") from None
        return BatchOut.model_validate(
            dict(
                id=batch.id,
                exchange_id=batch.exchange_id,
                state=batch.state,
                filename=batch.filename,
                format=batch.format,
                total=batch.total,
                imported=batch.imported,
                rejected=[RejectedOut.model_validate(r) for r in batch.rejected or []],
                error=batch.error,
                created_at=aware(batch.created_at),
                finished_at=aware(batch.finished_at) if batch.finished_at else None,
            )
        )


def list_records(
    engine: Engine, *, isbn: str | None, q: str | None, limit: int, offset: int
) -> Page[RecordOut]:
    query = select(CatalogueRecord)
    if isbn:
        wanted = marc.normalise_isbn(isbn)
        if wanted is None:
            raise Problem(422, "validation-error", f"isbn: {isbn!r} is not an ISBN")
        query = query.where(col(CatalogueRecord.isbn) == wanted)
    for word in (q or "").split():
        query = query.where(col(CatalogueRecord.title).ilike(f"%{word}%"))
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.scalars(
            query.order_by(col(CatalogueRecord.id)).limit(limit).offset(offset)
        ).all()
        items = [RecordOut.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def check_exchange_visible(engine: Engine, caller: Caller, exchange_id: str) -> None:
    with Session(engine) as session:
        visible(session, caller, exchange_id)


def exchange_records(engine: Engine, exchange_id: str) -> Iterator[bytes]:
    """Stream the exchange's records as MARC 21, oldest batch first, in file order."""
    with Session(engine) as session:
        result = session.execute(
            select(col(CatalogueRecord.marc))
            .join(MarcBatch, col(MarcBatch.id) == col(CatalogueRecord.batch_id))
            .where(col(CatalogueRecord.exchange_id) == exchange_id)
            .order_by(
                col(MarcBatch.created_at),
                col(CatalogueRecord.batch_id),
                col(CatalogueRecord.position),
            )
            .execution_options(yield_per=500)
        )
        for (data,) in result:
            yield bytes(data)
