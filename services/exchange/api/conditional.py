"""Read answers with an ETag, and ``304 Not Modified`` for a client that already has them.

A partner polling over a slow link sends back the ETag it got (``If-None-Match``); while the
answer is unchanged it gets an empty 304 instead of the whole list again. ``private,
no-cache``: a client may keep the answer but asks again before using it, and no shared cache
may keep one partner's data.
"""

from __future__ import annotations

import re

from fastapi import Request, Response

from services.exchange.service.read_cache import Answer

CACHE_CONTROL = "private, no-cache"
NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "Not Modified: the ETag sent in If-None-Match is still the current one"}
}


_ENTITY_TAG = re.compile(r'\*|(?:W/)?"([^"]*)"')


def _still_current(request: Request, etag: str) -> bool:
    """RFC 9110's weak comparison: ``W/"x"`` matches ``"x"``; ``*`` matches anything.

    The header may come as several lines, which make one list; a comma inside a quoted tag
    does not split it.
    """
    sent = ",".join(request.headers.getlist("if-none-match"))
    for match in _ENTITY_TAG.finditer(sent):
        if match.group(0) == "*" or f'"{match.group(1)}"' == etag:
            return True
    return False


def json_answer(request: Request, answer: Answer) -> Response:
    headers = {"ETag": answer.etag, "Cache-Control": CACHE_CONTROL}
    if _still_current(request, answer.etag):
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)
