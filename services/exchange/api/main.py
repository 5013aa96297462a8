"""API v1: one router per feature, all under ``/api/v1``, and what its document adds to them.

Each feature's router (``api/routes/``) carries its tag and its error responses; this module
puts them under the version prefix and hands them to the app with ``include_api``, which also
completes the OpenAPI document: the schema errors refer to, the Idempotency-Key of every POST
and the webhooks (``openapi_additions``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from services.exchange.api.openapi_additions import add_idempotency_key, add_webhooks
from services.exchange.api.problem_responses import add_problem_schema
from services.exchange.api.routes import (
    audit,
    dispatch_papers,
    documents,
    exchange_rates,
    exchanges,
    fund,
    keys,
    marc,
    notices,
    offer_list_files,
    offer_lists,
    partner_contacts,
    partners,
    records,
    reports,
    serials,
    wishlists,
)

router = APIRouter(prefix="/api/v1")
# Before the offer-list router: its /offer-lists/{id}.csv and .pdf would match {id} there.
router.include_router(offer_list_files.router)
for feature in (
    partners,
    partner_contacts,
    keys,
    fund,
    reports,
    exchange_rates,
    exchanges,
    documents,
    offer_lists,
    marc,
    records,
    audit,
    notices,
):
    router.include_router(feature.router)
router.include_router(wishlists.router)
for serial_router in (serials.router, serials.partner_router, serials.dispatch_router):
    router.include_router(serial_router)
router.include_router(dispatch_papers.router)


def include_api(app: FastAPI) -> None:
    """Serve API v1 on ``app``, and complete its OpenAPI document once it is built."""
    app.include_router(router)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        built = app.openapi_schema is not None
        document = build()  # FastAPI keeps the document it builds and answers with it after
        if not built:
            add_problem_schema(document)
            add_idempotency_key(document)
            add_webhooks(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
