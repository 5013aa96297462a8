"""A retried activity must not write anything twice."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, func, select

from services.exchange.models import ExchangeEvent, ImportOutcome, MarcBatch
from services.exchange.service import imports, projection
from tests.conftest import Stack
from tests.support import lines, marc_file, register_partner
from workflows.exchange.types import ACCEPTED, LineQuantity, StepRecord


async def test_record_step_twice_writes_once(stack: Stack) -> None:
    _p, key = await register_partner(stack.http, stack.staff)
    r = await stack.http.post("/api/v1/exchanges", json={"lines": lines(2)}, headers=key)
    exchange = r.json()
    step = StepRecord(
        exchange_id=exchange["id"],
        seq=99,
        step="accept",
        state=ACCEPTED,
        actor="staff:test",
        at="2026-11-21T10:00:00+00:00",
        accepted=[LineQuantity(exchange["lines"][0]["id"], 1)],
    )
    assert projection.apply_step(stack.engine, step) is True
    assert projection.apply_step(stack.engine, step) is False
    with Session(stack.engine) as session:
        count = session.exec(
            select(func.count()).where(
                col(ExchangeEvent.exchange_id) == exchange["id"], col(ExchangeEvent.seq) == 99
            )
        ).one()
    assert count == 1


async def test_import_batch_twice_keeps_one_copy(stack: Stack, tmp_path: Path) -> None:
    batch_id = f"test-{tmp_path.name}"[:36]
    path = marc_file(tmp_path / "b.mrc", 7, broken_at={3})
    with Session(stack.engine) as session:
        session.add(
            MarcBatch(
                id=batch_id,
                uploaded_by="staff:test",
                stored_path=str(path),
                format="marc21",
                state=imports.RUNNING,
            )
        )
        session.commit()
    first = imports.import_whole(stack.engine, batch_id)
    again = imports.import_whole(stack.engine, batch_id)
    assert (first.processed, first.rejected) == (7, 1)
    assert again == first
    with Session(stack.engine) as session:
        positions = session.exec(
            select(ImportOutcome.position).where(
                col(ImportOutcome.batch_id) == batch_id, col(ImportOutcome.marc).is_not(None)
            )
        ).all()
        batch = session.get(MarcBatch, batch_id)
    assert sorted(positions) == [1, 2, 4, 5, 6, 7], "each staged once, with its MARC 21"
    assert batch is not None and batch.state == "staged"
    assert [r["index"] for r in batch.rejected] == [3]
