"""Offer lists as files: CSV and PDF downloads, and uploads of CSV or MARC files.

Paths: ``GET /offer-lists/{list_id}.csv`` and ``.pdf`` (``?lang=en|ru|id``) are a path
parameter followed by a literal suffix, which the ``/offer-lists/{list_id}`` route would
also match (its parameter takes any text without a slash). This router is therefore included
before the offer-list router (``api/main.py``), so ``OL-2026-0007.pdf`` is a download and
``OL-2026-0007`` the list. Uploads are ``POST /offer-lists/{list_id}/items:upload`` (items
for a draft) and ``POST /offer-lists/upload`` (a new list from a file), beside the offer-list
router's JSON ``items``.

Who may: whoever may read the list downloads it as they see it (a partner gets 404 for a list
not addressed to it); acquisitions staff add to our drafts, a partner to its own.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

import marc
from services.exchange.api.problem_responses import PROBLEMS, UNAVAILABLE
from services.exchange.http.deps import AcquisitionsOrPartnerDep, CallerDep, ContextDep
from services.exchange.http.downloads import download
from services.exchange.schemas.common import Code, ShortText
from services.exchange.schemas.offer_list_files import OfferListUploadOut
from services.exchange.schemas.offer_lists import Note
from services.exchange.service import offer_list_pdf, offer_list_uploads
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_files import FileFormat
from services.exchange.service.offer_list_pdf import DocumentLanguage

router = APIRouter(tags=["offer-lists"], responses=PROBLEMS)

DocLang = Annotated[
    DocumentLanguage,
    Query(description="The language of the headings: English, Russian or Bahasa Indonesia"),
]
ListFile = Annotated[
    UploadFile,
    File(
        description="A CSV list (UTF-8 or Windows-1251; comma, semicolon or tab; headed in "
        "English, Russian or Indonesian) or a MARC file (MARC 21, UNIMARC, MARCXML, JSON)"
    ),
]
Encoding = Annotated[
    marc.TextEncoding | None,
    Query(description="The character set of a binary MARC file's records, whatever they say"),
]
Format = Annotated[
    FileFormat | None, Query(description="csv or marc; left out, told from the content")
]


def _export(
    ctx: Context, caller: Caller, list_id: str, lang: DocumentLanguage, kind: str
) -> tuple[bytes, str]:
    chosen: Literal["csv", "pdf"] = "pdf" if kind == "pdf" else "csv"
    return offer_list_pdf.export(ctx.engine, ctx.settings, caller, list_id, lang, chosen)


@router.get(
    "/offer-lists/{list_id}.csv",
    responses={200: {"content": {"text/csv": {}}, "description": "The list as CSV"}},
    response_class=Response,
)
async def list_csv(
    list_id: str, ctx: ContextDep, caller: CallerDep, lang: DocLang = "en"
) -> Response:
    """The list as the caller sees it, one row per publication in IFLA's fields (UTF-8 with
    a byte order mark; commas in English, semicolons in Russian and Indonesian)."""
    data, name = await asyncio.to_thread(_export, ctx, caller, list_id, lang, "csv")
    return download(data, name, "text/csv; charset=utf-8")


@router.get(
    "/offer-lists/{list_id}.pdf",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The list as PDF"},
        **UNAVAILABLE,
    },
    response_class=Response,
)
async def list_pdf(
    list_id: str, ctx: ContextDep, caller: CallerDep, lang: DocLang = "en"
) -> Response:
    """The list as a printable A4 PDF, for partners that use no portal: number, title, who
    offers it, the closing day, the publications and how to answer. 503 if this server
    cannot make PDFs (WeasyPrint or Pango missing)."""
    data, name = await asyncio.to_thread(_export, ctx, caller, list_id, lang, "pdf")
    return download(data, name, "application/pdf")


@router.post(
    "/offer-lists/{list_id}/items:upload",
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"example": {"file": "list.csv"}}}}
    },
)
async def upload_items(
    list_id: str,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
    file: ListFile,
    encoding: Encoding = None,
    format: Format = None,
) -> OfferListUploadOut:
    """Add a file's publications to a draft: on ours each is deposited into the exchange
    fund first (the fund's retention applies: a line whose copies all stay in the national
    collection is in ``skipped``); on a partner's own list they are added as they are. A CSV
    with a bad row is refused whole (422, each row's number and reason in ``errors``); a
    MARC file's broken records are in ``rejected`` and the rest is used."""
    return await offer_list_uploads.upload_items(
        ctx, caller, list_id, file.file, encoding=encoding, fmt=format
    )


@router.post(
    "/offer-lists/upload",
    status_code=status.HTTP_201_CREATED,
    responses=UNAVAILABLE,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {"file": "duplicates-2026.mrc", "title": "Duplicates, 2026"}
                }
            }
        }
    },
)
async def upload_list(
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
    file: ListFile,
    title: Annotated[ShortText, Form(description="The list's title")],
    note: Annotated[Note | None, Form()] = None,
    closes_on: Annotated[
        date | None, Form(description="The last day of selection; left out: six weeks")
    ] = None,
    partners: Annotated[
        list[Code] | None,
        Form(description="Our lists: the addressees' codes; left out, every partner"),
    ] = None,
    publish: Annotated[
        bool, Form(description="A partner's list: publish at once (else a draft)")
    ] = True,
    encoding: Encoding = None,
    format: Format = None,
) -> OfferListUploadOut:
    """A new list from a file. Staff: a draft of ours, each publication deposited into the
    fund first, to publish with ``POST /offer-lists/{id}/publish``. A partner: its own list
    of duplicates, published at once unless ``publish`` is false."""
    return await offer_list_uploads.upload_list(
        ctx,
        caller,
        file.file,
        title=title,
        note=note,
        closes_on=closes_on,
        partners=partners,
        publish=publish,
        encoding=encoding,
        fmt=format,
    )
