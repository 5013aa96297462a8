"""Reviewing a staged batch before it reaches the catalogue: per record, per rule, side by side.

A cataloguer (or an admin) sees every staged record with its proposed action, the reason and
the match points; changes the action of any record (create new, merge holdings, replace the
record, ignore), or of every record a rule picks ("every merge via isbn → create new");
resolves each multi-match by picking one of its candidates or creating a new record; compares
a record with a candidate field by field; and commits once nothing is left undecided.

Everything goes through ``service/staging.py``, as the API's decisions and commit do, so the
pages and the API refuse the same things with the same reasons.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.datastructures import FormData

from marc import parse_marc21
from marc.comparison import compare
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.common import INT32_MAX
from services.exchange.service import batch_states as bs
from services.exchange.service import catalogue, catalogue_view, cataloguing, matching, staging
from services.exchange.service.keys import Caller
from services.exchange.service.staging import Decision, StagedRecord
from services.exchange.web.pages import (
    Flash,
    StaffUser,
    act,
    context,
    posted_form,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
Position = Annotated[int, Path(ge=1, le=INT32_MAX)]


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a record's select: ``create``, ``ignore``, ``merge:12``, ``replace:12``."""

    value: str
    action: str
    target: int | None


def parse_choice(value: str) -> tuple[str, int | None]:
    """A select's value as (action, target record); a malformed one is a validation problem."""
    action, _, target = value.partition(":")
    if action not in staging.ACTIONS or (target and not target.isdigit()):
        raise Problem(422, "validation-error", f"decision: {value!r} is not a choice offered")
    return action, int(target) if target else None


def current_choice(record: StagedRecord) -> str:
    """The select's value for what is decided now; "" when the proposal stands."""
    if record.action is None:
        return ""
    if record.action in (bs.MERGE, bs.REPLACE) and record.target_record_id is not None:
        return f"{record.action}:{record.target_record_id}"
    return record.action


def targets_of(record: StagedRecord) -> list[int]:
    """The records a merge or a replace may go to: its candidates, else its match."""
    found = list(record.candidates)
    for extra in (
        record.record_id if record.proposed == bs.MERGE else None,
        record.target_record_id,
    ):
        if extra is not None and extra not in found:
            found.append(extra)
    return found


def _decisions_from(form: FormData, proposed_of: dict[int, str]) -> list[Decision]:
    """The records whose select changed; back to "" is back to the proposal where there is one."""
    decisions = []
    for position, proposed in proposed_of.items():
        chosen = form.get(f"choice-{position}")
        before = form.get(f"current-{position}")
        if not isinstance(chosen, str) or chosen == before:
            continue
        if chosen == "":
            default = bs.default_action(proposed)
            if default is not None:
                decisions.append(Decision(position=position, rule=None, action=default))
            continue
        action, target = parse_choice(chosen)
        decisions.append(Decision(position, None, action, target))
    return decisions


def _positions(form: FormData) -> dict[int, str]:
    """The records the posted page showed, with their proposed actions (hidden fields)."""
    found: dict[int, str] = {}
    for key, value in form.multi_items():
        if key.startswith("proposed-") and key[9:].isdigit() and isinstance(value, str):
            found[int(key[9:])] = value
    return found


def _editable(state: str, dry_run: bool) -> bool:
    """Decisions can change only while the batch is staged, and never on a dry run."""
    return state == bs.STAGED and not dry_run


def _unresolved(engine: Engine, batch_id: str) -> list[int]:
    with Session(engine) as session:
        return staging.unresolved(session, batch_id)


def _staged_one(engine: Engine, caller: Caller, batch_id: str, position: int) -> StagedRecord:
    """One staged record by its position (positions run 1, 2, 3... through the file)."""
    _, rows = staging.staged_records(engine, caller, batch_id, offset=position - 1, limit=1)
    if not rows or rows[0].position != position:
        raise not_found(f"record {position} of MARC batch {batch_id}")
    return rows[0]


def _review_data(
    engine: Engine, caller: Caller, batch_id: str, proposed: str | None, page: int
) -> dict[str, Any]:
    batch = cataloguing.batch_view(engine, caller, batch_id)
    counts = {
        p: staging.staged_records(engine, caller, batch_id, proposed=p, limit=1)[0]
        for p in staging.PROPOSED
    }
    total, rows = staging.staged_records(
        engine, caller, batch_id, proposed=proposed, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    ids = {t for r in rows for t in targets_of(r)}
    return {
        "b": batch,
        "counts": counts,
        "total": total,
        "rows": rows,
        "titles": catalogue.titles(engine, caller, ids),
        "unresolved": _unresolved(engine, batch_id),
        "pages": max(1, -(-total // PAGE_SIZE)),
        "editable": _editable(batch.state, batch.dry_run),
    }


@router.get("/batches/{batch_id}/review")
async def review_page(
    batch_id: str,
    request: Request,
    user: StaffUser,
    proposed: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    staging.require_cataloguer(user.caller)
    ctx = context(request)
    wanted = proposed if proposed in staging.PROPOSED else None
    data = await asyncio.to_thread(_review_data, ctx.engine, user.caller, batch_id, wanted, page)
    kept = urlencode({"proposed": wanted}) if wanted else ""
    return render(
        request,
        "review.html",
        user,
        **data,
        proposed=wanted,
        page=page,
        page_base=f"/batches/{batch_id}/review?{kept + '&' if kept else ''}",
        back=f"/batches/{batch_id}/review?{urlencode({'proposed': wanted or '', 'page': page})}",
        actions=staging.ACTIONS,
        proposals=staging.PROPOSED,
        points=list(dict.fromkeys(matching.POINTS.values())),
        current_choice=current_choice,
        targets_of=targets_of,
    )


def _back(form: FormData, batch_id: str) -> str:
    back = form.get("back")
    prefix = f"/batches/{batch_id}/review"
    return back if isinstance(back, str) and back.startswith(prefix) else prefix


@router.post("/batches/{batch_id}/review/decisions")
async def save_decisions(batch_id: str, request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        decisions = _decisions_from(form, _positions(form))
        await asyncio.to_thread(staging.set_decisions, ctx.engine, user.caller, batch_id, decisions)

    return await act(request, _back(form, batch_id), run, "Decisions saved.")


@router.post("/batches/{batch_id}/review/rule")
async def decide_by_rule(batch_id: str, request: Request, user: StaffUser) -> Response:
    """Every record a rule picks: its proposed action, its match point, or both."""
    form = await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        which, point, action = (form.get(k) or "" for k in ("which", "point", "action"))
        assert isinstance(which, str) and isinstance(point, str) and isinstance(action, str)
        if which and which not in staging.PROPOSED:
            raise Problem(422, "validation-error", f"which: {which!r} is not a proposed action")
        rule = ":".join(part for part in (which, point) if part)
        if not rule:
            raise Problem(422, "validation-error", "choose which records the rule applies to")
        decision = Decision(position=None, rule=rule, action=action)
        await asyncio.to_thread(
            staging.set_decisions, ctx.engine, user.caller, batch_id, [decision]
        )

    return await act(request, _back(form, batch_id), run, "Decisions saved.")


@router.post("/batches/{batch_id}/review/reset")
async def reset_decisions(batch_id: str, request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        await asyncio.to_thread(staging.clear_decisions, ctx.engine, user.caller, batch_id)

    return await act(request, _back(form, batch_id), run, "Back to the proposed actions.")


@router.post("/batches/{batch_id}/commit")
async def commit_batch(batch_id: str, request: Request, user: StaffUser) -> Response:
    """Start the commit, then follow its progress on the batch report; a refusal (a
    multi-match still undecided, the wrong state) comes back to the review with its reason."""
    await posted_form(request, user)
    try:
        await staging.commit(context(request), user.caller, batch_id)
    except Problem as exc:
        if exc.status == 404:
            raise
        return redirect(f"/batches/{batch_id}/review", Flash("error", exc.detail), request)
    return redirect(f"/batches/{batch_id}", Flash("ok", "Commit started."), request)


# --- one record beside a candidate ---------------------------------------------------------


def _compare_data(
    engine: Engine, caller: Caller, batch_id: str, position: int, candidate: int | None
) -> dict[str, Any]:
    record = _staged_one(engine, caller, batch_id, position)
    staged = staging.staged_marc(engine, caller, batch_id, position)
    options = targets_of(record)
    chosen = candidate if candidate is not None else (options[0] if options else None)
    pairs = None
    other = None
    if chosen is not None:
        other = catalogue_view.record_view(engine, caller, chosen)
        pairs = compare(staged, parse_marc21(catalogue_view.record_marc(engine, caller, chosen)))
    else:
        pairs = compare(staged, staged)
    batch = cataloguing.batch_view(engine, caller, batch_id)
    return {
        "b": batch,
        "s": record,
        "options": options,
        "titles": catalogue.titles(engine, caller, options),
        "candidate": chosen,
        "other": other,
        "pairs": pairs,
        "alone": chosen is None,
        "editable": _editable(batch.state, batch.dry_run),
    }


@router.get("/batches/{batch_id}/review/{position}")
async def compare_page(
    batch_id: str,
    position: Position,
    request: Request,
    user: StaffUser,
    candidate: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
) -> Response:
    staging.require_cataloguer(user.caller)
    ctx = context(request)
    data = await asyncio.to_thread(
        _compare_data, ctx.engine, user.caller, batch_id, position, candidate
    )
    return render(request, "review_compare.html", user, **data, current_choice=current_choice)


@router.post("/batches/{batch_id}/review/{position}/decide")
async def decide_one(
    batch_id: str, position: Position, request: Request, user: StaffUser
) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)
    chosen = form.get("choice")

    async def run() -> None:
        action, target = parse_choice(chosen if isinstance(chosen, str) else "")
        decision = Decision(position=position, rule=None, action=action, target_record_id=target)
        await asyncio.to_thread(
            staging.set_decisions, ctx.engine, user.caller, batch_id, [decision]
        )

    return await act(request, _back(form, batch_id), run, "Decision saved.")
