"""Dataclasses of the notice delivery workflow and its activities (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeliveryInput:
    """An exchange's notice by (exchange_id, seq); any other notice (an offer list's, a wish
    list's) by ``notice_id``, with ``exchange_id`` "" and ``seq`` 0."""

    exchange_id: str
    seq: int
    retry_seconds: float = 30.0
    notice_id: int | None = None


@dataclass
class DeliveryResult:
    attempts: int
    already_delivered: bool


@dataclass
class EmailsSent:
    """What one successful ``send_notice_emails`` attempt found: addresses sent to now, and
    addresses a previous attempt had already reached."""

    sent: int
    already: int


def notice_workflow_id(notice_id: int) -> str:
    """The delivery workflow of a notice that is not an exchange's (one per notice)."""
    return f"notice-{notice_id}"
