"""The workflow's refusals read in the reader's language on the pages; the API stays English.

A refused step comes back as the workflow's English sentence (the API's ``detail``); the page
finds the catalog message it was filled from and writes it in Indonesian or Russian, with the
values (a state, a claim number, a count) put back, a state translated too.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from temporalio.exceptions import ApplicationError

from services.exchange.web.i18n import Lang
from services.exchange.web.server_text import translate
from workflows.exchange import rules
from workflows.exchange.types import (
    Actor,
    ClaimState,
    DecisionInput,
    ExchangeInput,
    ExchangeState,
    LineOffer,
)

RU = Lang("ru", "ru_RU", ZoneInfo("UTC"))
ID = Lang("id", "id_ID", ZoneInfo("UTC"))
EN = Lang("en", "en_GB", ZoneInfo("UTC"))
PARTIES = ExchangeInput("x", sender="HOME", recipient="RSL", home="HOME", lines=[])


def _state(state: str, claims: list[ClaimState] | None = None) -> ExchangeState:
    return ExchangeState(
        state, 3, [LineOffer("l1", 2)], [], claims or [], [], [], 0, False, 0, None, None
    )


def _refusal(check: object, *args: object) -> str:
    with pytest.raises(ApplicationError) as refused:
        check(*args)  # type: ignore[operator]
    return refused.value.message


def test_a_decline_without_reason_reads_in_russian_and_indonesian() -> None:
    said = _refusal(
        rules.check_decision,
        _state("proposed"),
        PARTIES,
        DecisionInput(Actor("RSL", "o"), None, " "),
    )
    assert said == "a decline needs a reason"  # the API's detail
    assert translate(RU, said) == "для отказа нужна причина"
    assert translate(ID, said) == "penolakan memerlukan alasan"
    assert translate(EN, said) == said


def test_values_are_put_back_and_states_translated() -> None:
    said = _refusal(rules.may_decide, _state("accepted"), PARTIES, "RSL")
    assert said == "cannot decide on an exchange that is accepted (it must be proposed)"
    assert translate(RU, said) == (
        "нельзя принять решение по обмену в состоянии «принят» (нужно «предложен»)"
    )
    assert translate(ID, said).startswith("tidak dapat memutuskan pertukaran yang berstatus ")
    said = _refusal(rules.may_decide, _state("proposed"), PARTIES, "HOME")
    assert translate(RU, said) == "решение по этому обмену принимает только получатель (RSL)"


def test_a_claim_refusal_keeps_its_claim_number() -> None:
    claims = [ClaimState("c2", "damaged", "written_off", "l1", 1)]
    said = _refusal(rules.may_answer, _state("received", claims), PARTIES, "HOME", "c2")
    assert said == "c2 is already written_off"
    assert translate(RU, said).startswith("c2 уже в состоянии «")
    assert "written_off" not in translate(RU, said) and "written_off" not in translate(ID, said)


def test_text_no_catalog_has_stays_as_it_is() -> None:
    assert translate(RU, "Sent again by EMS") == "Sent again by EMS"
    assert translate(RU, "") == ""
