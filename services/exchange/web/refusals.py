"""A refused form, said beside the field it is about, in the reader's language.

A page that refuses a form renders it again with what was typed and this refusal: one
sentence for the top of the form (the field's label, never its code name) and one message
beside each field at fault. The reasons come from three places, read here alike: a field
the page could not read (``FormError``), the request model's validation (pydantic), and
the service layer's ``Problem``, whose detail names the field as the API does
("valid_to: the agreement ends before it starts").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.exchange.problems import Problem
from services.exchange.schemas.identifiers import MESSAGES as IDENTIFIER_MESSAGES
from services.exchange.web.forms import FormError
from services.exchange.web.i18n import N_, Lang
from services.exchange.web.server_text import translate

# Pydantic's error types, as sentences of our catalogs (its own English has no translations).
_BY_TYPE: dict[str, str] = {
    "missing": N_("fill in this field"),
    "date_parsing": N_("not a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("not a date (YYYY-MM-DD)"),
    "date_type": N_("not a date (YYYY-MM-DD)"),
    "int_parsing": N_("not a whole number"),
    "int_type": N_("not a whole number"),
    "greater_than_equal": N_("must be at least {ge}"),
    "greater_than": N_("must be more than {gt}"),
    "less_than_equal": N_("must be at most {le}"),
    "less_than": N_("must be less than {lt}"),
    "string_too_long": N_("at most {max_length} characters"),
    "string_too_short": N_("at least {min_length} characters"),
    "too_short": N_("choose at least one"),
    "literal_error": N_("not one of the choices"),
    "enum": N_("not one of the choices"),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a refused form shows: a sentence at the top, and messages beside fields."""

    message: str
    fields: dict[str, str] = field(default_factory=dict)


def _pydantic_message(lang: Lang, error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if error.get("input", "") is None and kind not in ("missing",):
        kind = "missing"  # an empty field reaches the model as None
    text = _BY_TYPE.get(kind) or IDENTIFIER_MESSAGES.get(kind)  # ISBN, ISSN: their own ids
    if text is not None:
        return lang.gettext(text, **dict(error.get("ctx") or {}))
    message = str(error.get("msg", ""))
    return lang.gettext(message.removeprefix("Value error, "))


def _named(detail: str, labels: Mapping[str, str]) -> tuple[str | None, str]:
    """Split "field: reason" when the field is one of the form's; else the whole detail."""
    name, sep, rest = detail.partition(": ")
    if sep and name in labels:
        return name, rest
    return None, detail


def refusal(lang: Lang, exc: Exception, labels: Mapping[str, str]) -> Refusal:
    """``labels`` maps the form's field names (as the API names them) to their labels."""
    found: list[tuple[str | None, str]] = []
    if isinstance(exc, FormError):
        found.append((exc.name, lang.gettext(exc.text, **exc.params)))
    elif isinstance(exc, ValidationError):
        for error in exc.errors():
            where = [str(part) for part in error.get("loc", ()) if str(part) in labels]
            found.append((where[-1] if where else None, _pydantic_message(lang, error)))
    elif isinstance(exc, Problem):
        name, reason = _named(exc.detail, labels)
        found.append((name, translate(lang, reason)))  # a server's sentence, values and all
    else:
        found.append((None, translate(lang, str(exc))))
    fields: dict[str, str] = {}
    sentences: list[str] = []
    for name, message in found:
        if name is None:
            sentences.append(message)
            continue
        fields.setdefault(name, message)
        sentences.append(f"{lang.gettext(labels[name])}: {message}")
    return Refusal(message="; ".join(dict.fromkeys(sentences)), fields=fields)


def mendable(exc: Exception) -> bool:
    """A refusal the reader can mend in the form. A missing page, a role the reader lacks
    (the form is not shown to them at all) or a fault is not one: it is an error page."""
    if isinstance(exc, Problem):
        return exc.status not in (401, 403, 404) and exc.status < 500
    return isinstance(exc, (FormError, ValidationError))


def kept(form: Mapping[str, Any], *names: str) -> dict[str, str]:
    """The text fields a refused form shows again, as typed."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        values[name] = value if isinstance(value, str) else ""
    return values
