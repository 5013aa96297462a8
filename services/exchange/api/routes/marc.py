"""MARC: uploads, following a batch's import and its outcomes, and downloading the records.

No prefix: an exchange's records are under ``/exchanges/{exchange_id}/marc`` and batches under
``/marc-batches``, all with the ``marc`` tag. An upload for an exchange is a step of its
workflow, so it can answer 503 when Temporal does not.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import StreamingResponse

import marc
from services.exchange.api.problem_responses import PROBLEMS, UNAVAILABLE
from services.exchange.http.deps import (
    CallerDep,
    CataloguerDep,
    CataloguerOrPartnerDep,
    ContextDep,
)
from services.exchange.http.downloads import csv_download, marc_download, raw_marc_download
from services.exchange.problems import Problem
from services.exchange.schemas.marc import BatchAccepted, BatchOut, DecisionIn, DecisionsOut
from services.exchange.service import cataloguing, matching, staging
from services.exchange.service.access import require_visible

router = APIRouter(tags=["marc"], responses=PROBLEMS)

MarcFile = Annotated[UploadFile, File(description="MARC 21 or UNIMARC (ISO 2709), MARCXML, JSON")]
DryRun = Annotated[bool, Query(description="Report what would happen; write nothing")]
Encoding = Annotated[
    marc.TextEncoding | None,
    Query(
        description="The character set the file's ISO 2709 records (MARC 21, UNIMARC) are read "
        "in, whatever they declare. Left out: the partner's marc_encoding, else told from each "
        "record. MARCXML and MARC-in-JSON carry their own and ignore it."
    ),
]
_MARC_CONTENT: dict[str, object] = {"application/marc": {}, "application/marcxml+xml": {}}


def _example_upload(filename: str) -> dict[str, object]:
    return {"requestBody": {"content": {"multipart/form-data": {"example": {"file": filename}}}}}


@router.post(
    "/exchanges/{exchange_id}/marc",
    status_code=status.HTTP_202_ACCEPTED,
    responses=UNAVAILABLE,
    openapi_extra=_example_upload("shipment-2026-11.mrc"),
)
async def upload_marc(
    exchange_id: str,
    ctx: ContextDep,
    caller: CataloguerOrPartnerDep,
    file: MarcFile,
    dry_run: DryRun = False,
    encoding: Encoding = None,
) -> BatchAccepted:
    """Upload the MARC records of the exchange's shipment; they are imported in the background."""
    batch_id = await cataloguing.upload(
        ctx, caller, file.file, file.filename, exchange_id, dry_run, encoding
    )
    return BatchAccepted(batch_id=batch_id)


@router.post(
    "/marc-batches",
    status_code=status.HTTP_202_ACCEPTED,
    responses=UNAVAILABLE,
    openapi_extra=_example_upload("deposit-2026.mrc"),
)
async def upload_batch(
    ctx: ContextDep,
    caller: CataloguerOrPartnerDep,
    file: MarcFile,
    exchange_id: Annotated[str | None, Form(description="Import for this exchange")] = None,
    dry_run: DryRun = False,
    encoding: Encoding = None,
) -> BatchAccepted:
    """Import a MARC file into the catalogue, for an exchange or on its own (staff only)."""
    batch_id = await cataloguing.upload(
        ctx, caller, file.file, file.filename, exchange_id, dry_run, encoding
    )
    return BatchAccepted(batch_id=batch_id)


@router.get(
    "/exchanges/{exchange_id}/marc",
    responses={200: {"content": _MARC_CONTENT}},
    response_class=StreamingResponse,
)
async def download_marc(
    exchange_id: str,
    ctx: ContextDep,
    caller: CallerDep,
    format: Literal["marc21", "marcxml"] = "marc21",
) -> StreamingResponse:
    """The exchange's records as MARC 21 (UTF-8) or MARCXML."""
    await asyncio.to_thread(require_visible, ctx.engine, caller, exchange_id)
    records = cataloguing.exchange_records(ctx.engine, exchange_id)
    return marc_download(records, f"exchange-{exchange_id}", format)


@router.get("/marc-batches/{batch_id}")
def get_batch(batch_id: str, ctx: ContextDep, caller: CallerDep) -> BatchOut:
    """State, progress (records done, rate, time left), counts, rejects with their reasons."""
    return cataloguing.batch_view(ctx.engine, caller, batch_id)


_DECISIONS_EXAMPLE = [
    {"position": 4, "action": "merge", "target_record_id": 1201},
    {"position": 7, "action": "create"},
    {"rule": "merge:isbn", "action": "create"},
]


@router.post(
    "/marc-batches/{batch_id}/decisions",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"example": _DECISIONS_EXAMPLE}}}
    },
)
def set_decisions(
    batch_id: str, body: list[DecisionIn], ctx: ContextDep, caller: CataloguerDep
) -> DecisionsOut:
    """Set what the commit does with records: per record (``position``, with
    ``target_record_id`` for a merge or replace) or per rule (a proposed action, a match point,
    or ``action:point``); later decisions win. 409 unless the batch is ``staged``."""
    if len(body) > staging.MAX_DECISIONS:
        raise Problem(422, "validation-error", f"at most {staging.MAX_DECISIONS} decisions")
    decisions = [staging.Decision(d.position, d.rule, d.action, d.target_record_id) for d in body]
    changed = staging.set_decisions(ctx.engine, caller, batch_id, decisions)
    report = cataloguing.batch_view(ctx.engine, caller, batch_id)
    return DecisionsOut(changed=changed, unresolved=report.unresolved)


@router.post(
    "/marc-batches/{batch_id}/commit",
    status_code=status.HTTP_202_ACCEPTED,
    responses=UNAVAILABLE,
)
async def commit_batch(batch_id: str, ctx: ContextDep, caller: CataloguerDep) -> BatchOut:
    """Write the staged batch to the catalogue as decided, in the background (follow it with
    ``GET``). 409 unless staged, or while a multi-match is unresolved (``unresolved`` lists
    the positions)."""
    await staging.commit(ctx, caller, batch_id)
    return await asyncio.to_thread(cataloguing.batch_view, ctx.engine, caller, batch_id)


@router.post(
    "/marc-batches/{batch_id}/undo",
    status_code=status.HTTP_202_ACCEPTED,
    responses=UNAVAILABLE,
)
async def undo_batch(batch_id: str, ctx: ContextDep, caller: CataloguerDep) -> BatchOut:
    """Take a committed batch back out of the catalogue, in the background: its new records
    removed, its copies taken back, replaced records restored, except records a later batch
    changed since (listed in ``undo.kept``). 409 unless committed."""
    await staging.undo(ctx, caller, batch_id)
    return await asyncio.to_thread(cataloguing.batch_view, ctx.engine, caller, batch_id)


@router.get(
    "/marc-batches/{batch_id}/outcomes.csv",
    responses={200: {"content": {"text/csv": {}}}},
    response_class=StreamingResponse,
)
def batch_outcomes(batch_id: str, ctx: ContextDep, caller: CallerDep) -> StreamingResponse:
    """One CSV row per record: created, merged, multi_match, duplicate or rejected, and why."""
    cataloguing.check_batch_visible(ctx.engine, caller, batch_id)
    return csv_download(cataloguing.outcomes_csv(ctx.engine, batch_id), f"batch-{batch_id}.csv")


@router.get(
    "/marc-batches/{batch_id}/rejected",
    responses={200: {"content": {"application/marc": {}}}},
    response_class=StreamingResponse,
)
def batch_rejected(batch_id: str, ctx: ContextDep, caller: CallerDep) -> StreamingResponse:
    """The rejected records with their bytes untouched, to send back or repair."""
    cataloguing.check_batch_visible(ctx.engine, caller, batch_id)
    return raw_marc_download(
        cataloguing.rejected_raw(ctx.engine, batch_id), f"rejected-{batch_id}.mrc"
    )


@router.get(
    "/marc-batches/{batch_id}/export",
    responses={200: {"content": _MARC_CONTENT}},
    response_class=StreamingResponse,
)
def batch_export(
    batch_id: str,
    ctx: ContextDep,
    caller: CallerDep,
    format: Literal["marc21", "marcxml"] = "marc21",
) -> StreamingResponse:
    """What this batch catalogued (created or merged into), as MARC 21 (UTF-8) or MARCXML."""
    cataloguing.check_batch_visible(ctx.engine, caller, batch_id)
    return marc_download(
        cataloguing.batch_records(ctx.engine, batch_id), f"batch-{batch_id}", format
    )


@router.get("/match-rules")
def match_rules(_: CallerDep) -> dict[str, object]:
    """How imported records are matched to the catalogue, the batch and the exchange's lines."""
    return matching.MATCH_RULES
