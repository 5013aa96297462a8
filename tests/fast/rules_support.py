"""What the tests of the exchange rules share: two exchanges, parties and small builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from workflows.exchange import rules
from workflows.exchange.types import (
    CLAIM_DAMAGED,
    CLAIM_OPEN,
    PROPOSED,
    SHIPPED,
    Actor,
    ClaimState,
    ExchangeInput,
    ExchangeState,
    LineOffer,
    LineQuantity,
)

HOME, PARTNER, OTHER = "HOME", "RSL", "OTHER"
# We send (outgoing) or the partner sends to us (incoming).
OUT = ExchangeInput(
    "x", HOME, PARTNER, HOME, [LineOffer("l1", 2), LineOffer("l2", 1)], partner=PARTNER
)
IN = replace(OUT, sender=PARTNER, recipient=HOME)
US, THEM = Actor(HOME, "staff"), Actor(PARTNER, "partner")


def state(st: str = PROPOSED, **fields: Any) -> ExchangeState:
    """An exchange of OUT's lines (l1 x2, l2 x1) in state ``st``, with the lifecycle rules."""
    return replace(rules.proposed_state(OUT), **{"state": st, "lifecycle": True, **fields})


def accepted(st: str = SHIPPED, **fields: Any) -> ExchangeState:
    return state(st, accepted=[LineQuantity("l1", 2), LineQuantity("l2", 1)], **fields)


def claim(no: str, kind: str = CLAIM_DAMAGED, st: str = CLAIM_OPEN) -> ClaimState:
    return ClaimState(no, kind, st, "l1", 1)


def refused(check: Callable[..., object], *args: object) -> tuple[str, str]:
    with pytest.raises(ApplicationError) as error:
        check(*args)
    assert error.value.non_retryable
    assert error.value.type is not None
    return error.value.type, error.value.message


def lines(*pairs: tuple[str, int]) -> list[LineQuantity]:
    return [LineQuantity(line_id, quantity) for line_id, quantity in pairs]
