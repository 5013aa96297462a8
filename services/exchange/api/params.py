"""Query parameters several routes share, with the bounds the OpenAPI document publishes.

The bounds keep paging and years inside what the database can take (its integers are 32-bit
on PostgreSQL), so that an absurd value is a 422 and not a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page: 1 to 500")]
Offset = Annotated[
    int, Query(ge=0, le=1_000_000_000, description="Items to skip: 0 to 1,000,000,000")
]
Year = Annotated[int | None, Query(ge=1900, le=2200, description="A year from 1900 to 2200")]
ProposedIn = Annotated[
    int | None,
    Query(ge=1900, le=2200, description="Only exchanges proposed in this year (UTC): 1900 to 2200"),
]
