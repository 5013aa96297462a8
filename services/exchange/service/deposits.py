"""A deposit as the API and the staff pages take it: the copies into the fund, then the
partners whose wish lists it meets are told.

The wish hits are written in the deposit's own transaction (``fund.deposit``); the notices
follow it and go out by webhook and e-mail (``notice_delivery``), so a deposit is never
refused because Temporal or a partner's mail server is away.
"""

from __future__ import annotations

import asyncio

from services.exchange.schemas.fund import DepositIn, FundItemOut
from services.exchange.service import fund, notice_delivery, wishes
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller


async def deposit(ctx: Context, caller: Caller, body: DepositIn) -> tuple[FundItemOut, bool]:
    """The fund item and whether it is new (False: copies added to a publication held)."""
    retention = ctx.settings.retention_copies
    item, created = await asyncio.to_thread(fund.deposit, ctx.engine, body, retention, caller)
    notices = await asyncio.to_thread(wishes.notify_deposit, ctx.engine, item.id)
    await notice_delivery.deliver_notices(ctx, notices)
    return item, created
