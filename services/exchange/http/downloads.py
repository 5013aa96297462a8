"""File downloads shared by the API and the pages: MARC records, CSV reports, made files (PDF)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse

import marc


def download(data: bytes, filename: str, media_type: str) -> Response:
    """A file made whole (a PDF, a list's CSV) with its name for saving, also when the name
    is not ASCII (``filename*``, RFC 6266)."""
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


def marc_download(records: Iterator[bytes], name: str, format: str) -> StreamingResponse:
    """Records as MARC 21 (UTF-8, ISO 2709) or as one MARCXML collection, streamed."""
    if format == "marcxml":
        return StreamingResponse(
            marc.marcxml_collection(records),
            media_type="application/marcxml+xml",
            headers={"Content-Disposition": f'attachment; filename="{name}.xml"'},
        )
    return StreamingResponse(
        records,
        media_type="application/marc",
        headers={"Content-Disposition": f'attachment; filename="{name}.mrc"'},
    )


def csv_download(rows: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def raw_marc_download(records: Iterator[bytes], filename: str) -> StreamingResponse:
    """Records exactly as they came (rejected ones), not re-encoded."""
    return StreamingResponse(
        records,
        media_type="application/marc",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
