"""How the exchange's rules refuse a step: the ``ApplicationError`` the caller sees, its message
a catalog message (marked ``N_``) filled with its values, so the pages can show it in the
reader's language while the API's ``detail`` stays English.

Only the standard library and Temporal's exceptions are imported here: workflow code imports it.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from workflows.errors import N_


def refuse(message: str, kind: str, **values: object) -> ApplicationError:
    """A refusal; ``message`` is a catalog message (``N_``), filled with ``values``."""
    return ApplicationError(message.format(**values), type=kind, non_retryable=True)


# What a step's refusals say: whose turn it is, and in which state (one sentence per step,
# so that each is a whole message for the catalogs).
TURN_REFUSALS = {
    "decide": (
        N_("only the recipient ({by}) may decide on this exchange"),
        N_("cannot decide on an exchange that is {state} (it must be {wanted})"),
    ),
    "revise": (
        N_("only the sender ({by}) may revise this exchange"),
        N_("cannot revise an exchange that is {state} (it must be {wanted})"),
    ),
    "ship": (
        N_("only the sender ({by}) may record the shipment of this exchange"),
        N_("cannot record the shipment of an exchange that is {state} (it must be {wanted})"),
    ),
    "receive": (
        N_("only the recipient ({by}) may record the receipt of this exchange"),
        N_("cannot record the receipt of an exchange that is {state} (it must be {wanted})"),
    ),
    "lost": (
        N_("only the sender ({by}) may mark as lost this exchange"),
        N_("cannot mark as lost an exchange that is {state} (it must be {wanted})"),
    ),
}
