"""A partner's postal addresses and the people we write to there, as the API takes and gives them.

An address is its lines as they are printed on a parcel (one per line, the country's own
order) and the ISO 3166-1 alpha-2 code of its country; a contact has a name, an e-mail
address and the language we write to them in (one of the languages of our letters and pages).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from babel import Locale
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.exchange.schemas.common import RequestModel

# Babel's territories are CLDR's: ISO 3166-1's two-letter codes and a few others (groupings
# and codes reserved for other uses), left out here.
_NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
COUNTRIES = frozenset(
    code
    for code in map(str, Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166
)
ADDRESS_KINDS = ("postal", "shipping")
CONTACT_LANGUAGES = ("en", "ru", "id")
# The shape of an e-mail address: something, one @, a domain with a dot; no spaces.
_EMAIL = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"


def _known_country(code: str) -> str:
    if code not in COUNTRIES:
        raise ValueError(f"{code} is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    AfterValidator(_known_country),
    Field(description="ISO 3166-1 alpha-2 country code, in capitals: ID, RU, BY"),
]
AddressKind = Annotated[
    Literal["postal", "shipping"],
    Field(
        description="postal: letters and, unless there is a shipping one, parcels; shipping: "
        "where parcels go"
    ),
]
AddressLines = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000, pattern=r"\S"),
    Field(
        description="The address as printed, one line per line (newline-separated), the "
        "library's name first if the post needs it"
    ),
]
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
Email = Annotated[
    str,
    StringConstraints(max_length=320, pattern=_EMAIL),
    Field(description="An e-mail address: name@domain"),
]
Language = Annotated[
    Literal["en", "ru", "id"],
    Field(description="The language we write to them in: en, ru or id"),
]
Role = Annotated[str, StringConstraints(max_length=64)]
# The notices a contact may be e-mailed (``service.email_notices`` sends them): the events of
# an exchange's notices (``ExchangeWorkflow._notify``), then those of offer and wish lists.
EXCHANGE_KINDS = (
    "proposal",
    "revision",
    "decision",
    "shipment",
    "receipt",
    "claim",
    "cancellation",
    "lost",
    "reminder",
    "expiry",
    "marc_ready",
    "completed",
)
LIST_KINDS = (
    "offer_list_published",
    "offer_list_closing",
    "offer_list_closed",
    "offer_list_summary",
    "selection_submitted",
    "wishlist_hits",
)
SERIAL_KINDS = ("serial_claim", "serial_review", "serial_dispatch", "serial_ended")
KINDS = EXCHANGE_KINDS + LIST_KINDS + SERIAL_KINDS


def _known_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"{kind} is not a notice kind; the kinds are {', '.join(KINDS)}")
    return kind


NoticeKind = Annotated[
    str, AfterValidator(_known_kind), Field(json_schema_extra={"enum": list(KINDS)})
]
NoticeKinds = Annotated[
    list[NoticeKind] | None,
    Field(
        max_length=len(KINDS),
        description="The notices they are e-mailed (an exchange's steps, offer lists, "
        "wish-list hits); null: all of them, []: none",
    ),
]


class AddressIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "postal",
                    "lines": "Russian State Library\nVozdvizhenka 3/5\nMoscow 119019",
                    "country": "RU",
                }
            ]
        },
    )

    kind: AddressKind = "postal"
    lines: AddressLines
    country: Country


class AddressPatch(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"lines": "Vozdvizhenka 3/5\nMoscow"}]}
    )

    kind: AddressKind | None = None
    lines: AddressLines | None = None
    country: Country | None = None


class AddressOut(BaseModel):
    id: int
    kind: str
    lines: str
    country: str | None


class ContactIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Anna Ivanova",
                    "email": "exchange@rsl.ru",
                    "language": "ru",
                    "role": "International exchange",
                }
            ]
        },
    )

    name: PersonName
    email: Email
    language: Language = "en"
    role: Role | None = Field(default=None, description="What they do, such as 'Acquisitions'")
    receives_notices: bool = Field(
        default=True, description="Whether they are told of the exchanges' steps"
    )
    notices: NoticeKinds = None


class ContactPatch(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "exchange@rsl.ru"}]}
    )

    name: PersonName | None = None
    email: Email | None = None
    language: Language | None = None
    role: Role | None = None
    receives_notices: bool | None = None
    notices: NoticeKinds = None


class ContactOut(BaseModel):
    id: int
    name: str
    email: str
    language: str
    role: str | None
    receives_notices: bool
    notices: list[str] | None = Field(
        default=None, description="The notices they are e-mailed; null: all of them"
    )


class EmailDeliveryOut(BaseModel):
    """One attempt to e-mail one notice to one address (a contact's, or a staff address)."""

    id: int
    notice_id: int
    event_id: str = Field(description="The notice's id as its webhook event has it")
    event: str
    party: str = Field(description="The partner's code, or ours for a notice to staff")
    exchange_id: str | None
    exchange_number: str | None
    offer_list_id: str | None
    offer_list_number: str | None
    address: str
    language: str
    subject: str
    attempt: int
    succeeded: bool
    error: str | None
    duration_ms: int
    at: datetime
