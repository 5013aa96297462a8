"""Query parameters several routes share, with the bounds the OpenAPI document publishes.

The bounds keep paging and years inside what the database can take, so that an absurd value
is a 422 and not a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
Year = Annotated[int | None, Query(ge=1900, le=2200)]
