"""Partner profiles: what an agreement says a partner wants, and which items fit it.

The rules are read against real items (``OfferItem`` rows as a list holds them); the
agreement's profile goes through the service on both databases (stored, changed, read back,
and the one of the agreement valid today is the one a list reads).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from services.exchange.offer_models import OfferItem
from services.exchange.problems import Problem
from services.exchange.schemas.partners import AgreementIn
from services.exchange.schemas.profiles import ProfileIn, stored
from services.exchange.service import agreements, profiles
from services.exchange.service.profiles import class_fits, fits
from tests.fast.conftest import STAFF, Database, new_partner
from tests.support import AGREEMENT


def _item(**fields: Any) -> OfferItem:
    return OfferItem(list_id="x", position=1, title="Some book", copies=1, **fields)


@pytest.mark.parametrize(
    ("wanted", "subject", "expected"),
    [
        ("94", "94(470)", True),  # UDC: everything under history
        ("8", "821.161.1", True),  # literature, Russian literature under it
        ("821.1", "821.161.1", True),  # the dots only group digits: Indo-European, Russian
        ("821.2", "821.161.1", False),
        ("821.16", "821.161.1", True),
        ("94(470)", '94(470)"19"', True),
        ("94(470)", "94(438)", False),
        ("94(470)", "94", False),  # the item is broader than what is wanted
        ("300-399", "305.42", True),  # DDC range, as a number
        ("300-399", "399.9", True),
        ("300-399", "400", False),
        ("300-399", "299", False),
        ("82-84", "821.161.1", True),  # UDC range of two-digit classes
        ("82-84", "85", False),
        ("82-1", "82-1", True),  # not a range: UDC's form auxiliary (poetry)
        ("82-1", "821", False),
        ("959.8", "959.82", True),
    ],
)
def test_classes_lie_under_what_is_wanted(wanted: str, subject: str, expected: bool) -> None:
    assert class_fits(wanted, subject) is expected


def test_each_criterion_named_must_hold_and_unknown_fits() -> None:
    profile = stored(
        ProfileIn.model_validate(
            {
                "classes": ["94(470)", "8"],
                "languages": ["rus", "ind"],
                "material_types": ["book"],
                "year_from": 1990,
                "year_to": 2020,
            }
        )
    )
    fitting = _item(subject="94(470)", language="rus", material_type="book", year=2001)
    assert fits(profile, fitting)
    assert not fits(profile, _item(subject="5", language="rus", material_type="book", year=2001))
    assert not fits(profile, _item(subject="8", language="eng", material_type="book", year=2001))
    assert not fits(profile, _item(subject="8", language="rus", material_type="map", year=2001))
    assert not fits(profile, _item(subject="8", language="rus", material_type="book", year=1989))
    assert not fits(profile, _item(subject="8", language="rus", material_type="book", year=2021))
    assert fits(profile, _item()), "an item that says nothing fits every criterion"
    assert fits(profile, _item(language="ind")), "no class, no year: only the language counts"
    assert fits(None, _item(subject="5", language="eng")), "no profile: everything"


def test_an_empty_profile_is_everything_and_bad_ones_are_refused() -> None:
    assert stored(ProfileIn()) is None
    assert stored(None) is None
    assert fits({"classes": [], "languages": []}, _item(subject="5")), "empty lists: any"
    for bad in (
        {"year_from": 2020, "year_to": 2000},
        {"classes": ["399-300"]},
        {"classes": ["history"]},
        {"languages": ["ru"]},
        {"material_types": ["vinyl"]},
        {"colour": "red"},
    ):
        with pytest.raises(ValidationError):
            ProfileIn.model_validate(bad)


def test_an_agreement_keeps_its_profile_and_a_list_reads_todays(database: Database) -> None:
    partner, caller = new_partner(database, agreement=False)
    wanted = {"classes": ["94(470)"], "languages": ["rus"], "year_from": 1991}
    made = agreements.create(
        database.engine,
        STAFF,
        partner.code,
        AgreementIn.model_validate({**AGREEMENT, "profile": wanted}),
    )
    assert made.profile is not None
    assert (made.profile.classes, made.profile.languages, made.profile.year_from) == (
        ["94(470)"],
        ["rus"],
        1991,
    )
    listed = agreements.list_for(database.engine, caller, partner.code)
    assert listed[0].profile == made.profile, "the partner reads its own profile"
    with Session(database.engine) as session:
        assert caller.partner_id is not None
        today = profiles.of_partner(session, caller.partner_id)
    assert today is not None and today["classes"] == ["94(470)"]
    assert fits(today, _item(subject="94(470)", language="rus", year=2000))
    assert not fits(today, _item(subject="94(470)", language="ind", year=2000))

    changed = agreements.set_profile(
        database.engine,
        STAFF,
        partner.code,
        made.id,
        ProfileIn.model_validate({"material_types": ["serial"]}),
    )
    assert changed.profile is not None and changed.profile.material_types == ["serial"]
    assert changed.profile.classes == [], "the profile is replaced as a whole"
    everything = agreements.set_profile(database.engine, STAFF, partner.code, made.id, ProfileIn())
    assert everything.profile is None, "an empty profile is stored as everything"

    other, _ = new_partner(database, agreement=False)
    with pytest.raises(Problem) as elsewhere:
        agreements.set_profile(database.engine, STAFF, other.code, made.id, ProfileIn())
    assert elsewhere.value.status == 404, "an agreement of another partner is not found"
    with Session(database.engine) as session:
        assert profiles.of_partner(session, caller.partner_id) is None
    _, stranger = new_partner(database, agreement=False)
    with pytest.raises(Problem) as hidden:
        agreements.set_profile(database.engine, stranger, partner.code, made.id, ProfileIn())
    assert hidden.value.status == 404
