"""Offer lists from uploaded files: items for a draft, or a whole new list.

Our lists are made of exchange-fund items, so each line of a file for one of ours is first
deposited into the fund (``fund.deposit``, with its copies and audited as any deposit) and
then listed as a fund pick (``offer_lists.add_items``). The fund's rules hold: the first
``EXCHANGE_RETENTION_COPIES`` copies of a publication new to the fund stay in the national
collection, so a line whose copies all stay there is deposited but not offered (it comes
back in ``skipped`` with the reason), and a line is offered with the copies the fund has
free. The details a fund item has no column for (edition, place, pages, language, class,
value) are written onto the new items from the file, so the list keeps IFLA's fields.

A partner's own list takes the lines as they are, without the fund.

Everything that can refuse the upload (who may, the list's state, every row of a CSV) is
checked before the first deposit, so a refused upload changes nothing; the deposits and the
listing are separate transactions, as the deposits and the list's API calls would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlmodel import col, select

import marc
from services.exchange.offer_models import OfferItem
from services.exchange.problems import Problem
from services.exchange.schemas.fund import DepositIn
from services.exchange.schemas.offer_list_files import (
    FileRejectionOut,
    OfferListUploadOut,
    SkippedLineOut,
)
from services.exchange.schemas.offer_lists import (
    FundPick,
    OfferLineIn,
    OfferListIn,
    OfferListOut,
    PartnerOfferListIn,
)
from services.exchange.service import fund, offer_lists
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_files import FileFormat, ReadFile, read_file, store
from services.exchange.service.offer_list_rules import (
    DRAFT,
    not_draft,
    require_acquisitions,
    require_owner,
)
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.errors import N_

M = TypeVar("M", bound=BaseModel)
# What a line of ours gives its item beyond the fund item's own columns.
_DETAILS = (
    "author",
    "edition",
    "place",
    "publisher",
    "year",
    "pages",
    "language",
    "material_type",
    "subject",
    "unit_value",
    "currency",
)


@dataclass(frozen=True, slots=True)
class Deposited:
    picks: list[FundPick]
    skipped: list[SkippedLineOut]
    copies: int
    details: dict[int, OfferLineIn]  # fund item id: the (first) line that named it


def deposit_lines(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    lines: Sequence[OfferLineIn],
    listed: set[int],
) -> Deposited:
    """Deposit each line's copies and pick what the fund then has free of each publication
    (two lines of one publication make one pick); ``listed`` fund items are on the list
    already and are not picked again."""
    wanted: dict[int, int] = {}
    free: dict[int, int] = {}
    details: dict[int, OfferLineIn] = {}
    first_line: dict[int, int] = {}
    copies = 0
    skipped: list[SkippedLineOut] = []
    for number, line in enumerate(lines, start=1):
        item, _ = fund.deposit(
            engine,
            DepositIn(
                title=line.title,
                isbn=line.isbn,
                issn=line.issn,
                control_number=line.control_number,
                author=line.author,
                publisher=line.publisher,
                year=line.year,
                copies=line.copies,
            ),
            settings.retention_copies,
            caller,
        )
        copies += line.copies
        if item.id in listed:
            skipped.append(
                SkippedLineOut(
                    line=number,
                    title=line.title,
                    reason=N_(
                        "fund item {fund_item_id} is on the list already; its copies were "
                        "deposited into the fund"
                    ).format(fund_item_id=item.id),
                )
            )
            continue
        wanted[item.id] = wanted.get(item.id, 0) + line.copies
        free[item.id] = item.copies_available  # the latest deposit's count holds
        details.setdefault(item.id, line)
        first_line.setdefault(item.id, number)
    picks: list[FundPick] = []
    for item_id, count in wanted.items():
        offered = min(count, free[item_id])
        if offered < 1:
            line = details.pop(item_id)
            skipped.append(
                SkippedLineOut(
                    line=first_line[item_id],
                    title=line.title,
                    reason=N_(
                        "deposited, but the fund keeps all its copies in the national "
                        "collection (the first {retention} of each publication)"
                    ).format(retention=settings.retention_copies),
                )
            )
            continue
        picks.append(FundPick(fund_item_id=item_id, copies=offered))
    return Deposited(picks, sorted(skipped, key=lambda s: s.line), copies, details)


def fill_details(engine: Engine, list_id: str, details: dict[int, OfferLineIn]) -> None:
    """Write the file's details onto the draft's new items where the fund had none."""
    if not details:
        return
    with session_scope(engine) as session:
        items = session.scalars(
            select(OfferItem).where(
                col(OfferItem.list_id) == list_id,
                col(OfferItem.fund_item_id).in_(list(details)),
            )
        )
        for item in items:
            line = details[item.fund_item_id] if item.fund_item_id is not None else None
            if line is None:
                continue
            for name in _DETAILS:
                if getattr(item, name) is None and getattr(line, name) is not None:
                    setattr(item, name, getattr(line, name))
            session.add(item)


def _checked(model: type[M], values: dict[str, object]) -> M:
    """A request schema built from form fields: a 422 problem, as the API gives for a
    body, when a field is wrong (never a 500)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise Problem(
            422, "validation-error", f"{where}: {first.get('msg', 'not valid')}"
        ) from None


def _check_draft(view: OfferListOut, caller: Caller) -> None:
    """Who may add to the list, and only while it is a draft: refused before any deposit
    (the rules of ``offer_list_rules``, on the list as the caller reads it)."""
    require_owner(caller, view.direction)
    if view.state != DRAFT:
        raise not_draft(view.number or view.id, view.state)


def _answer(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    list_id: str,
    read: ReadFile,
    added: int,
    deposited: Deposited | None,
) -> OfferListUploadOut:
    return OfferListUploadOut(
        offer_list=offer_lists.read_list(engine, settings, caller, list_id, profile_first=False),
        format=read.format,
        lines=len(read.lines),
        added=added,
        deposited_copies=deposited.copies if deposited else 0,
        skipped=deposited.skipped if deposited else [],
        rejected=[
            FileRejectionOut(position=r.position, offset=r.offset, reason=r.reason)
            for r in read.rejected
        ],
    )


def add_from_file(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    list_id: str,
    path: Path,
    encoding: marc.TextEncoding | None = None,
    fmt: FileFormat | None = None,
) -> OfferListUploadOut:
    """A file's lines added to a draft: ours through the fund, a partner's as they are."""
    view = offer_lists.read_list(engine, settings, caller, list_id, profile_first=False)
    _check_draft(view, caller)
    read = read_file(path, encoding, fmt)
    if view.direction == "incoming":
        items: list[OfferLineIn | FundPick] = list(read.lines)
        offer_lists.add_items(engine, caller, view.id, items)
        return _answer(engine, settings, caller, view.id, read, len(items), None)
    listed = {i.fund_item_id for i in view.item_list if i.fund_item_id is not None}
    deposited = deposit_lines(engine, settings, caller, read.lines, listed)
    if deposited.picks:
        offer_lists.add_items(engine, caller, view.id, list(deposited.picks))
        fill_details(engine, view.id, deposited.details)
    return _answer(engine, settings, caller, view.id, read, len(deposited.picks), deposited)


def new_from_file(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    path: Path,
    *,
    title: str,
    note: str | None = None,
    closes_on: date | None = None,
    partners: list[str] | None = None,
    encoding: marc.TextEncoding | None = None,
    fmt: FileFormat | None = None,
) -> tuple[OfferListUploadOut, bool]:
    """A new list from a file: staff make a draft of ours (its lines deposited first), a
    partner its own list (a draft; the caller publishes it). True when it is a partner's."""
    if caller.is_staff:
        require_acquisitions(caller)
        # The list's own fields are checked before anything is deposited.
        _checked(
            OfferListIn,
            {
                "title": title,
                "note": note,
                "closes_on": closes_on,
                "partners": partners,
                "items": [{"fund_item_id": 1, "copies": 1}],
            },
        )
        read = read_file(path, encoding, fmt)
        deposited = deposit_lines(engine, settings, caller, read.lines, set())
        if not deposited.picks:
            raise Problem(
                409,
                "nothing-to-offer",
                N_(
                    "the file's {count} publications were deposited into the fund, but the "
                    "fund keeps all their copies in the national collection, so no list was made"
                ).format(count=len(read.lines)),
                deposited_copies=deposited.copies,
            )
        body = _checked(
            OfferListIn,
            {
                "title": title,
                "note": note,
                "closes_on": closes_on,
                "partners": partners,
                "items": deposited.picks,
            },
        )
        made = offer_lists.create_list(engine, settings, caller, body)
        fill_details(engine, made.id, deposited.details)
        answer = _answer(engine, settings, caller, made.id, read, len(deposited.picks), deposited)
        return answer, False
    _checked(
        PartnerOfferListIn,
        {"title": title, "note": note, "closes_on": closes_on, "items": [{"title": "-"}]},
    )
    read = read_file(path, encoding, fmt)
    partner_body = _checked(
        PartnerOfferListIn,
        {"title": title, "note": note, "closes_on": closes_on, "items": read.lines},
    )
    made = offer_lists.create_partner_list(engine, settings, caller, partner_body, publish=True)
    return _answer(engine, settings, caller, made.id, read, len(read.lines), None), True


async def upload_items(
    ctx: Context,
    caller: Caller,
    list_id: str,
    source: BinaryIO,
    encoding: marc.TextEncoding | None = None,
    fmt: FileFormat | None = None,
) -> OfferListUploadOut:
    path = await asyncio.to_thread(store, source, ctx.settings)
    try:
        return await asyncio.to_thread(
            add_from_file, ctx.engine, ctx.settings, caller, list_id, path, encoding, fmt
        )
    finally:
        path.unlink(missing_ok=True)


async def upload_list(
    ctx: Context,
    caller: Caller,
    source: BinaryIO,
    *,
    title: str,
    note: str | None = None,
    closes_on: date | None = None,
    partners: list[str] | None = None,
    publish: bool = True,
    encoding: marc.TextEncoding | None = None,
    fmt: FileFormat | None = None,
) -> OfferListUploadOut:
    """A new list from a file; a partner's is published at once unless ``publish`` is
    False (then it waits as a draft for more items and its own publish)."""
    path = await asyncio.to_thread(store, source, ctx.settings)
    try:
        answer, partners_own = await asyncio.to_thread(
            lambda: new_from_file(
                ctx.engine,
                ctx.settings,
                caller,
                path,
                title=title,
                note=note,
                closes_on=closes_on,
                partners=partners,
                encoding=encoding,
                fmt=fmt,
            )
        )
    finally:
        path.unlink(missing_ok=True)
    if partners_own and publish:
        published = await offer_lists.publish(ctx, caller, answer.offer_list.id)
        answer = answer.model_copy(update={"offer_list": published})
    return answer
