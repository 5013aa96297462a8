"""Reading a notice's stored values (``note_params``) for its e-mail: a count, a day.

The values are JSON written by whichever module wrote the notice, and an e-mail must still go
out when one is missing or odd: a count reads 0 and a day its text as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.exchange.web.i18n import Lang


def param_count(p: Mapping[str, Any], *names: str) -> int:
    """The first of ``names`` that holds a whole number, else 0."""
    for name in names:
        value = p.get(name)
        if isinstance(value, int):
            return value
    return 0


def param_day(lang: Lang, value: object) -> str:
    """An ISO day as the reader's language writes it (the stored text if it is none)."""
    try:
        return lang.date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")
