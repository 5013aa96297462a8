"""A partner's profile: what it wants from an exchange, as its agreement says.

Empty lists and absent years mean "any"; a profile with nothing in it is everything (it is
stored as no profile). ``service.profiles.fits`` reads it against an offered item.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.exchange.schemas.common import PublicationYear, RequestModel
from services.exchange.schemas.offer_lists import LanguageCode, MaterialType

# A class starts with a digit (UDC 94(470), 821.161.1, 82-1; DDC 959.8); a range is two
# class numbers of the same length joined by a hyphen or an en dash (DDC 300-399, UDC 82-84).
CLASS_PATTERN = r"^[0-9][^\s\x00-\x1f\x7f]*(\s*[-–]\s*[0-9][0-9.]*)?$"
_RANGE = re.compile(r"^([0-9][0-9.]*)\s*[-–]\s*([0-9][0-9.]*)$")

ClassRange = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=CLASS_PATTERN),
    Field(
        description='A UDC or DDC class and everything under it ("94", "8", "94(470)", '
        '"821.161.1"), or a range of classes of the same length ("300-399", "82-84")'
    ),
]


def class_range(text: str) -> tuple[str, str] | None:
    """The two ends of a range such as "300-399" (digits only), or None for one class.

    Both ends must have as many digits: "82-1" is UDC's form auxiliary (poetry), a class.
    """
    found = _RANGE.match(text.strip())
    if found is None:
        return None
    low, high = (part.replace(".", "") for part in found.groups())
    return (low, high) if len(low) == len(high) else None


class Profile(BaseModel):
    classes: Annotated[list[ClassRange], Field(max_length=200)] = Field(
        default_factory=list, description="Subjects wanted; empty: any subject"
    )
    languages: Annotated[list[LanguageCode], Field(max_length=100)] = Field(
        default_factory=list, description="MARC language codes wanted; empty: any language"
    )
    material_types: Annotated[list[MaterialType], Field(max_length=10)] = Field(
        default_factory=list, description="Kinds of material wanted; empty: any kind"
    )
    year_from: PublicationYear | None = Field(
        default=None, description="Published in or after this year"
    )
    year_to: PublicationYear | None = Field(
        default=None, description="Published in or before this year"
    )

    @property
    def empty(self) -> bool:
        return not (
            self.classes or self.languages or self.material_types or self.year_from or self.year_to
        )


class ProfileIn(Profile, RequestModel):
    """What a partner wants; leave everything out for everything."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "classes": ["94(470)", "8", "300-399"],
                    "languages": ["rus", "ind"],
                    "material_types": ["book", "serial"],
                    "year_from": 1990,
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProfileIn:
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValueError("year_to: the years end before they start")
        for text in self.classes:
            ends = class_range(text)
            if ends is not None and ends[0] > ends[1]:
                raise ValueError(f"classes: the range {text!r} ends before it starts")
        return self


class ProfileOut(Profile):
    pass


def stored(profile: ProfileIn | None) -> dict[str, Any] | None:
    """The profile as an agreement keeps it: None for none or an empty one (everything)."""
    if profile is None or profile.empty:
        return None
    return profile.model_dump(mode="json")


def read(profile: dict[str, Any] | None) -> ProfileOut | None:
    """A stored profile as the API gives it; None: everything."""
    return None if not profile else ProfileOut.model_validate(profile)
