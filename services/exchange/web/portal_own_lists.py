"""The partner portal: a partner offers us its own duplicates, as a list.

It types a few lines in the form and/or uploads a CSV or MARC file (read by
``service/offer_list_files.py``, the same readers as the API's upload); the list is written
and published at once (``offer_lists.create_partner_list`` then ``publish``), which checks
each item against our catalogue and starts its closing timer. A refused form comes back as
typed, each reason beside its field (a file cannot be given back: the page asks for it again).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import OfferLineIn, PartnerOfferListIn
from services.exchange.service import offer_list_files, offer_lists
from services.exchange.web.forms import FormError, whole_number
from services.exchange.web.i18n import N_, Lang
from services.exchange.web.pages import (
    Flash,
    PartnerUser,
    context,
    field,
    lang_for,
    posted_form,
    redirect,
    render,
)
from services.exchange.web.refusals import Refusal, kept, mendable, refusal

router = APIRouter(include_in_schema=False)  # under the portal's /partner (portal_offer_lists)

NEW_ROWS = 8
MAX_FILE_BYTES = 20 * 1024 * 1024
LIST_PUBLISHED = N_("Your list was published.")
FILE_TOO_LARGE = N_("the file is larger than 20 MB")
FILE_AGAIN = N_("The file was not kept: choose it again.")

_LINE_LABELS = {
    "title": N_("Title"),
    "author": N_("Author"),
    "publisher": N_("Publisher"),
    "year": N_("Year"),
    "isbn": N_("ISBN"),
    "issn": N_("ISSN"),
    "copies": N_("Copies"),
}
NEW_LIST_LABELS = {
    "title": N_("Title of the list"),
    "note": N_("Note"),
    "closes_on": N_("Closing day"),
    "file": N_("CSV or MARC file"),
    **{
        f"{name}-{row}": label
        for row in range(1, NEW_ROWS + 1)
        for name, label in _LINE_LABELS.items()
    },
}


class LinesRefused(Exception):
    """Typed lines of the new-list form that cannot be sent, each reason beside its field."""

    def __init__(self, refused: Refusal) -> None:
        super().__init__(refused.message)
        self.refused = refused


# --- The partner's own list of duplicates, offered to us --------------------------------


def _new_list_page(
    request: Request,
    user: PartnerUser,
    status: int = 200,
    refused: Refusal | None = None,
    sent: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "portal/offer_list_new.html",
        user,
        status,
        rows=range(1, NEW_ROWS + 1),
        refused=refused,
        sent=sent or {},
    )


@router.get("/offer-lists/new")
async def new_offer_list(request: Request, user: PartnerUser) -> Response:
    return _new_list_page(request, user)


def _typed_lines(form: FormData, lang: Lang) -> list[OfferLineIn]:
    """The rows with a title, each checked as the API checks a line; every field at fault
    is named, row by row (``LinesRefused``)."""
    lines: list[OfferLineIn] = []
    fields: dict[str, str] = {}
    sentences: list[str] = []
    for row in range(1, NEW_ROWS + 1):
        title = field(form, f"title-{row}")
        if title is None:
            continue
        try:
            copies = whole_number(form, f"copies-{row}", "copies")
            line = {
                "title": title,
                "author": field(form, f"author-{row}"),
                "publisher": field(form, f"publisher-{row}"),
                "year": whole_number(form, f"year-{row}", "year"),
                "isbn": field(form, f"isbn-{row}"),
                "issn": field(form, f"issn-{row}"),
                "copies": 1 if copies is None else copies,
            }
            lines.append(OfferLineIn.model_validate(line))
            continue
        except FormError as exc:  # named as the row's field already (year-3)
            found = refusal(lang, exc, NEW_LIST_LABELS)
            fields.update(found.fields)
        except ValidationError as exc:  # named as the line's field (isbn)
            found = refusal(lang, exc, _LINE_LABELS)
            fields.update({f"{name}-{row}": text for name, text in found.fields.items()})
        sentences.append(lang.gettext("row {n}: {problem}", n=row, problem=found.message))
    if sentences:
        raise LinesRefused(Refusal("; ".join(sentences), fields))
    return lines


def _looks_like_csv(name: str, data: bytes) -> bool:
    """MARC is ISO 2709 (a leader of digits), MARCXML or MARC-in-JSON; a CSV file is text
    with a header row. The name decides when it says .csv or .txt."""
    if name.lower().endswith((".csv", ".txt", ".tsv")):
        return True
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
    return not (start[:5].isdigit() or start.startswith((b"<", b"{", b"[")))


def _file_lines(name: str, data: bytes) -> tuple[list[OfferLineIn], int]:
    """The lines of an uploaded file and how many of its MARC records give none; a file
    that cannot be read at all is a 422 from the readers (``offer_list_files``)."""
    if _looks_like_csv(name, data):
        return offer_list_files.items_from_csv(data), 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.mrc"
        path.write_bytes(data)
        found, rejected = offer_list_files.items_from_marc(path)
    return list(found), len(rejected)


async def _uploaded(form: FormData) -> tuple[list[OfferLineIn], int]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return [], 0
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Problem(413, "upload-too-large", f"file: {FILE_TOO_LARGE}")
    if not data:
        return [], 0
    try:
        return await asyncio.to_thread(_file_lines, upload.filename, data)
    except Problem as exc:  # a bad row of the file: said beside the file field
        if exc.detail.startswith("file: "):
            raise
        raise Problem(exc.status, exc.kind, f"file: {exc.detail}") from None


@router.post("/offer-lists")
async def create_offer_list(request: Request, user: PartnerUser) -> Response:
    """A partner offers its duplicates to us: typed lines and/or a file, published at once
    (our holdings checked, our wish list matched, the closing timer started)."""
    form = await posted_form(request, user)
    ctx = context(request)
    lang = lang_for(request)
    upload = form.get("file")
    file_sent = isinstance(upload, UploadFile) and bool(upload.filename)
    try:
        lines = _typed_lines(form, lang)
        from_file, rejected = await _uploaded(form)
        lines += from_file
        if not lines:
            raise Problem(422, "validation-error", "title-1: give at least one title")
        body = PartnerOfferListIn.model_validate(
            {
                "title": field(form, "title"),
                "note": field(form, "note"),
                "closes_on": field(form, "closes_on"),
                "items": lines,
            }
        )
        made = await asyncio.to_thread(
            offer_lists.create_partner_list, ctx.engine, ctx.settings, user.caller, body
        )
        out = await offer_lists.publish(ctx, user.caller, made.id)
    except (LinesRefused, Problem, ValidationError) as exc:
        if isinstance(exc, LinesRefused):
            refused, status = exc.refused, 422
        elif mendable(exc):
            refused = refusal(lang, exc, NEW_LIST_LABELS)
            status = exc.status if isinstance(exc, Problem) else 422
        else:
            raise
        if file_sent:
            again = lang.gettext(FILE_AGAIN)
            note = refused.fields.get("file")
            refused = Refusal(
                f"{refused.message} {again}",
                {**refused.fields, "file": f"{note}. {again}" if note else again},
            )
        return _new_list_page(request, user, status, refused, kept(form, *NEW_LIST_LABELS))
    message = LIST_PUBLISHED
    if rejected:
        message = lang.ngettext(
            "Your list was published; {n} record of the file could not be read.",
            "Your list was published; {n} records of the file could not be read.",
            rejected,
        )
    return redirect(f"/partner/offer-lists/{out.id}", Flash("ok", message), request)
