"""A partner's postal addresses and the people we write to there, as the API takes and gives them.

An address is its lines as they are printed on a parcel (one per line, the country's own
order) and the ISO 3166-1 alpha-2 code of its country; a contact has a name, an e-mail
address and the language we write to them in (one of the languages of our letters and pages).
"""

from __future__ import annotations

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


class ContactPatch(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "exchange@rsl.ru"}]}
    )

    name: PersonName | None = None
    email: Email | None = None
    language: Language | None = None
    role: Role | None = None
    receives_notices: bool | None = None


class ContactOut(BaseModel):
    id: int
    name: str
    email: str
    language: str
    role: str | None
    receives_notices: bool
