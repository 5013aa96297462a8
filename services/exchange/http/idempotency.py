"""``Idempotency-Key`` on POST: a retry gets the first response again and does nothing twice.

Partners on slow links retry. The first request with a key claims a row (unique per caller and
key) before it runs; a retry with the same body waits for that row's response and gets it
again, byte for byte, with ``Idempotent-Replayed: true``; the same key with another body is
refused (422). A 5xx or a 429 is not kept: the key is free again, so the client can try again
and the retry runs anew. A step may have been taken although its answer was a 503 (Temporal
went away before it answered), so while a keyed request runs, ``REQUEST_KEY`` holds a digest of
caller, key and request: the step's workflow update takes its id from it, and Temporal answers
the retry's update with the first one's outcome. Rows live at least 24 hours.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.exchange.http.auth import CALLER_KEY
from services.exchange.models import IdempotencyRecord
from services.exchange.problems import send_problem
from services.exchange.service.context import REQUEST_KEY, Context
from services.exchange.service.keys import Caller
from services.exchange.storage.db import session_scope

HEADER = "idempotency-key"
KEEP_FOR = timedelta(hours=48)
STALE_AFTER = timedelta(minutes=10)  # a claim whose request died without an answer
WAIT_FOR_FIRST = 60.0
_MAX_STORED_BODY = 1024 * 1024
_SPOOL = 1024 * 1024


def _begin(
    engine: Engine, principal: str, key: str, fingerprint: str
) -> tuple[str, IdempotencyRecord | None]:
    """Claim the key: ("new", row), ("done", row), ("running", None) or ("mismatch", None)."""
    now = datetime.now(UTC)
    for _ in range(2):
        try:
            with session_scope(engine) as session:
                row = IdempotencyRecord(
                    principal=principal, key=key, fingerprint=fingerprint, created_at=now
                )
                session.add(row)
            return "new", row
        except IntegrityError:
            pass
        with session_scope(engine) as session:
            existing = session.exec(
                select(IdempotencyRecord).where(
                    col(IdempotencyRecord.principal) == principal,
                    col(IdempotencyRecord.key) == key,
                )
            ).first()
            if existing is None:
                continue  # it expired between the two statements
            if existing.fingerprint != fingerprint:
                return "mismatch", None
            if existing.status_code is not None:
                return "done", existing
            created = existing.created_at
            created = created if created.tzinfo else created.replace(tzinfo=UTC)
            if now - created > STALE_AFTER:
                session.delete(existing)
                continue
            return "running", None
    return "running", None


def _purge(engine: Engine) -> None:
    """Forget keys older than KEEP_FOR; cheap on the created_at index."""
    cutoff = datetime.now(UTC) - KEEP_FOR
    with session_scope(engine) as session:
        session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < cutoff))


def _finish(
    engine: Engine, row_id: int, status: int, content_type: str | None, body: bytes
) -> None:
    with session_scope(engine) as session:
        row = session.get(IdempotencyRecord, row_id)
        if row is None:
            return
        if status >= 500 or status == 429 or len(body) > _MAX_STORED_BODY:
            session.delete(row)  # nothing worth replaying: let the client try again
            return
        row.status_code, row.content_type, row.body = status, content_type, body
        session.add(row)


def _abandon(engine: Engine, row_id: int) -> None:
    with session_scope(engine) as session:
        row = session.get(IdempotencyRecord, row_id)
        if row is not None and row.status_code is None:
            session.delete(row)


def _load(engine: Engine, principal: str, key: str) -> IdempotencyRecord | None:
    with Session(engine) as session:
        return session.exec(
            select(IdempotencyRecord).where(
                col(IdempotencyRecord.principal) == principal, col(IdempotencyRecord.key) == key
            )
        ).first()


async def _replay(send: Send, row: IdempotencyRecord) -> None:
    headers = [(b"idempotent-replayed", b"true")]
    if row.content_type:
        headers.append((b"content-type", row.content_type.encode()))
    await send({"type": "http.response.start", "status": row.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": row.body or b""})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if not 1 <= len(key) <= 255:
            await send_problem(
                send,
                422,
                "invalid-idempotency-key",
                "Idempotency-Key must be 1 to 255 characters",
                path,
                title="Invalid Idempotency-Key",
            )
            return
        ctx: Context = scope["app"].state.context
        caller: Caller | None = scope.get("state", {}).get(CALLER_KEY)
        if caller is None:
            await self.app(scope, receive, send)  # outside /api/: nothing to keep
            return

        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
        digest = hashlib.sha256(f"{scope['method']} {path}?{scope['query_string']!r}".encode())
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                spool.close()
                return
            chunk = message.get("body", b"")
            digest.update(chunk)
            spool.write(chunk)
            if not message.get("more_body", False):
                break
        spool.seek(0)
        fingerprint = digest.hexdigest()

        await asyncio.to_thread(_purge, ctx.engine)
        state, row = await asyncio.to_thread(_begin, ctx.engine, caller.principal, key, fingerprint)
        waited = 0.0
        while state == "running" and waited < WAIT_FOR_FIRST:
            await asyncio.sleep(0.05)
            waited += 0.05
            state, row = await asyncio.to_thread(
                _begin, ctx.engine, caller.principal, key, fingerprint
            )
        if state == "mismatch":
            spool.close()
            await send_problem(
                send,
                422,
                "idempotency-key-reused",
                "this Idempotency-Key was used with a different request",
                path,
                title="Idempotency-Key reused",
            )
            return
        if state == "running":
            spool.close()
            await send_problem(
                send,
                409,
                "idempotency-in-progress",
                "the first request with this Idempotency-Key is still running",
                path,
                title="Request in progress",
            )
            return
        if state == "done":
            spool.close()
            assert row is not None
            await _replay(send, row)
            return
        assert row is not None and row.id is not None
        request_key = hashlib.sha256(f"{caller.principal}\n{key}\n{fingerprint}".encode())
        await self._run_first(scope, spool, send, ctx.engine, row.id, request_key.hexdigest())

    async def _run_first(
        self, scope: Scope, spool: Any, send: Send, engine: Engine, row_id: int, request_key: str
    ) -> None:
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            chunk = spool.read(_SPOOL)
            more = bool(chunk) and spool.tell() < _spool_size(spool)
            if not more:
                sent_body = True
            return {"type": "http.request", "body": chunk, "more_body": more}

        status = 500
        content_type: str | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type")
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        token = REQUEST_KEY.set(request_key)
        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await asyncio.to_thread(_abandon, engine, row_id)
            raise
        finally:
            REQUEST_KEY.reset(token)
            spool.close()
        await asyncio.to_thread(_finish, engine, row_id, status, content_type, bytes(body))


def _spool_size(spool: Any) -> int:
    position = spool.tell()
    spool.seek(0, 2)
    size: int = spool.tell()
    spool.seek(position)
    return size
