"""Dataclasses of the webhook delivery workflow and its activity (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeliveryInput:
    exchange_id: str
    seq: int
    retry_seconds: float = 30.0


@dataclass
class DeliveryResult:
    attempts: int
    already_delivered: bool
