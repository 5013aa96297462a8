"""ApplicationError types the workflows raise and the API turns into problem responses.

Only the standard library is imported here, because workflow code imports this module.
"""

ERR_INVALID_TRANSITION = "InvalidTransition"
ERR_NOT_ALLOWED = "NotAllowed"
ERR_INVALID_REQUEST = "InvalidRequest"
ERR_NOT_FOUND = "NotFound"
ERR_INSUFFICIENT_COPIES = "InsufficientCopies"


def N_(text: str) -> str:
    """Marks a refusal's message (a template where it has values) for the pages' catalogs,
    which show it in the reader's language (``services/exchange/web/server_text.py``); the
    workflows cannot import ``services/``, so this is their own identity function."""
    return text
