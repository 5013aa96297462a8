"""MARC batches seen from the API: storing an upload, starting its import, the report, exports.

An upload for an exchange goes through the exchange's workflow (which runs the import as a
child); a standalone upload, or any dry run, starts an import workflow of its own. The
workflow gets only the batch id: the file stays in the data directory.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

import marc
from services.exchange.models import (
    CatalogueRecord,
    ImportOutcome,
    MarcBatch,
    Partner,
)
from services.exchange.problems import Problem
from services.exchange.service import batch_report, commit, imports, staging, steps, upload_access
from services.exchange.service import batch_states as bs
from services.exchange.service.access import visible
from services.exchange.service.context import TEMPORAL_RPC_TIMEOUT, Context
from services.exchange.service.import_sources import batch_encoding
from services.exchange.service.keys import Caller
from services.exchange.storage.db import session_scope
from workflows.importing.types import ImportInput
from workflows.importing.workflow import ImportWorkflow, import_workflow_id

_COPY_BLOCK = 1024 * 1024
_XML_RECORD = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?record[\s>]")


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


def expected_records(path: Path, fmt: str) -> int | None:
    """A quick count for the progress bar: record terminators, or <record> elements."""
    if fmt == "marcjson":
        return None
    pattern = _XML_RECORD if fmt == "marcxml" else None
    count = 0
    carry = b""
    with path.open("rb") as stream:
        while block := stream.read(_COPY_BLOCK):
            if pattern is None:
                count += block.count(b"\x1d")
            else:
                data = carry + block
                count += len(pattern.findall(data))
                carry = data[-64:]
                count -= len(pattern.findall(carry))
    return count


def _insert_batch(
    engine: Engine,
    batch_id: str,
    exchange_id: str | None,
    caller: Caller,
    filename: str | None,
    path: Path,
    size: int,
    fmt: str,
    dry_run: bool,
    encoding: marc.TextEncoding | None,
) -> None:
    expected = expected_records(path, fmt)
    with session_scope(engine) as session:
        partner = None  # whose marc_encoding applies: the exchange's partner, or the uploader
        if exchange_id is not None:
            _, partner = visible(session, caller, exchange_id)
        elif caller.partner_id is not None:
            partner = session.get(Partner, caller.partner_id)
        session.add(
            MarcBatch(
                id=batch_id,
                exchange_id=exchange_id,
                uploaded_by=caller.actor,
                filename=filename,
                stored_path=str(path.resolve()),
                size_bytes=size,
                format=fmt,
                encoding=batch_encoding(encoding, partner),
                state=imports.STAGING,
                dry_run=dry_run,
                expected_total=expected,
            )
        )


def _remove_batch(engine: Engine, batch_id: str, path: Path) -> None:
    with session_scope(engine) as session:
        session.execute(delete(MarcBatch).where(col(MarcBatch.id) == batch_id))
    path.unlink(missing_ok=True)


async def upload(
    ctx: Context,
    caller: Caller,
    source: BinaryIO,
    filename: str | None,
    exchange_id: str | None,
    dry_run: bool,
    encoding: marc.TextEncoding | None = None,
) -> str:
    """Store the file, register the batch and start its import; returns the batch id.

    ``encoding`` is the character set the file's ISO 2709 records are read in; left out,
    the partner's ``marc_encoding``, else each record's own. It is settled here and stored
    on the batch, so every chunk reads the file alike even if the partner's setting changes.
    """
    # Who may upload where (404, 403, 409, 422): ``upload_access``, shared with the pages.
    await asyncio.to_thread(upload_access.check_upload, ctx.engine, caller, exchange_id)
    settings = ctx.settings
    batch_id, path, size, fmt = await asyncio.to_thread(
        store_upload, settings.uploads_dir, source, settings.max_upload_bytes
    )
    await asyncio.to_thread(
        _insert_batch,
        ctx.engine,
        batch_id,
        exchange_id,
        caller,
        filename,
        path,
        size,
        fmt,
        dry_run,
        encoding,
    )
    try:
        if exchange_id is not None and not dry_run:
            await steps.attach_marc(ctx, caller, exchange_id, batch_id)
        else:
            await ctx.temporal.start_workflow(
                ImportWorkflow.run,
                ImportInput(
                    batch_id,
                    chunk_size=settings.import_chunk_size,
                    heartbeat_seconds=settings.import_heartbeat_seconds,
                    chunk_attempts=settings.import_chunk_attempts,
                ),
                id=import_workflow_id(batch_id),
                task_queue=settings.task_queue,
                rpc_timeout=TEMPORAL_RPC_TIMEOUT,
            )
    except BaseException:
        await asyncio.to_thread(_remove_batch, ctx.engine, batch_id, path)
        raise
    return batch_id


# --- the report --------------------------------------------------------------------------


def _visible_batch(session: Session, caller: Caller, batch_id: str) -> MarcBatch:
    return staging.visible_batch(session, caller, batch_id)


# The report (state, progress, proposals, commit and undo) lives in ``batch_report``.
batch_view = batch_report.batch_view


OUTCOME_COLUMNS = ["position", "outcome", "title", "record_id", "line_id", "candidates", "reason"]
# After the flags: the staged batch's decisions and what the commit and the undo did.
DECISION_COLUMNS = ["match_points", "action", "target_record_id", "applied", "undone"]


def outcomes_csv(engine: Engine, batch_id: str) -> Iterator[str]:
    """One row per record of the batch: what became of it and why (check access first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*OUTCOME_COLUMNS, "flags", *DECISION_COLUMNS])
    yield _drain(buffer)
    with Session(engine) as session:
        rows = session.exec(
            select(ImportOutcome)
            .where(col(ImportOutcome.batch_id) == batch_id)
            .order_by(col(ImportOutcome.position))
            .execution_options(yield_per=1000)
        )
        for o in rows:
            writer.writerow(
                [
                    o.position,
                    o.outcome,
                    o.title or "",
                    o.record_id or "",
                    o.line_id or "",
                    " ".join(str(c) for c in o.candidates or []),
                    o.reason or "",
                    "; ".join(o.flags or []),
                    " ".join(o.match_points or []),
                    o.action or "",
                    o.target_record_id or "",
                    o.applied or "",
                    o.undone or "",
                ]
            )
            yield _drain(buffer)


def rejected_raw(engine: Engine, batch_id: str) -> Iterator[bytes]:
    """The rejected records exactly as they were in the file (check access first)."""
    with Session(engine) as session:
        rows = session.exec(
            select(ImportOutcome.raw)
            .where(
                col(ImportOutcome.batch_id) == batch_id,
                col(ImportOutcome.outcome) == imports.REJECTED,
                col(ImportOutcome.raw).is_not(None),
            )
            .order_by(col(ImportOutcome.position))
        )
        for raw in rows:
            if raw:
                yield bytes(raw)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# --- records and exports -----------------------------------------------------------------


def check_batch_visible(engine: Engine, caller: Caller, batch_id: str) -> None:
    with Session(engine) as session:
        _visible_batch(session, caller, batch_id)


def _records_of(engine: Engine, condition: object) -> Iterator[bytes]:
    """The catalogue records that batches created or merged into, in upload and file order."""
    with Session(engine) as session:
        result = session.exec(
            select(CatalogueRecord.marc)
            .join(ImportOutcome, col(ImportOutcome.record_id) == col(CatalogueRecord.id))
            .join(MarcBatch, col(MarcBatch.id) == col(ImportOutcome.batch_id))
            .where(
                condition,  # type: ignore[arg-type]
                col(MarcBatch.dry_run).is_(False),
                col(ImportOutcome.applied).in_(commit.RECORDS),
                col(ImportOutcome.undone).is_(None) | (col(ImportOutcome.undone) == bs.KEPT),
            )
            .order_by(col(MarcBatch.created_at), col(MarcBatch.id), col(ImportOutcome.position))
            .execution_options(yield_per=500)
        )
        for data in result:
            yield bytes(data)


def exchange_records(engine: Engine, exchange_id: str) -> Iterator[bytes]:
    return _records_of(engine, col(MarcBatch.exchange_id) == exchange_id)


def batch_records(engine: Engine, batch_id: str) -> Iterator[bytes]:
    return _records_of(engine, col(MarcBatch.id) == batch_id)
