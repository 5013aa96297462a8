"""What a service call needs from the running app: the database, Temporal and settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from temporalio.client import Client

from services.exchange.service.read_cache import ReadCache
from services.exchange.settings import Settings


@dataclass(frozen=True, slots=True)
class Context:
    engine: Engine
    temporal: Client
    settings: Settings
    reads: ReadCache | None = None
