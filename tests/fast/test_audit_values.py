"""The audit page shows stored codes in words: an address's kind, a role, a programme."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.exchange.web.i18n import Lang
from services.exchange.web.staff_audit import shown_value

ID = Lang("id", "id_ID", ZoneInfo("Asia/Jakarta"))


def test_an_address_kind_reads_as_a_word_in_the_readers_language() -> None:
    assert shown_value(ID, "address.kind", "postal") == ID.gettext("postal") != "postal"
    assert shown_value(ID, "address.kind", "shipping") == ID.gettext("for parcels")


def test_a_value_without_words_is_shown_as_stored() -> None:
    assert shown_value(ID, "address.lines", "Jl. Salemba Raya 28A") == "Jl. Salemba Raya 28A"
