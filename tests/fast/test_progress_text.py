"""The import report's live progress line is written as the report writes its numbers.

The page's script shows the line the progress endpoint sends, so the running count reads
"4.000 dari 30.000 cantuman" in Indonesian (not "4000 dari 30000"), with the language's plural.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from services.exchange.schemas.marc import BatchProgress
from services.exchange.web.batch_pages import progress_text
from services.exchange.web.i18n import Lang


@pytest.mark.parametrize(
    ("code", "locale", "expected"),
    [
        ("en", "en_GB", "4,000 of 30,000 records, 1,054 per second"),
        ("id", "id_ID", "4.000 dari 30.000 cantuman, 1.054 per detik"),
        ("ru", "ru_RU", "4\xa0000 из 30\xa0000 записей, 1\xa0054 в секунду"),
    ],
)
def test_progress_numbers_are_in_the_readers_locale(code: str, locale: str, expected: str) -> None:
    lang = Lang(code, locale, ZoneInfo("UTC"))
    progress = BatchProgress(
        processed=4000, expected_total=30000, records_per_second=1053.9, eta_seconds=25.0
    )
    assert progress_text(lang, progress) == expected


def test_one_record_of_one_takes_the_singular() -> None:
    ru = Lang("ru", "ru_RU", ZoneInfo("UTC"))
    one = BatchProgress(processed=0, expected_total=1, records_per_second=None, eta_seconds=None)
    assert progress_text(ru, one) == "0 из 1 записи, 0 в секунду"
    unknown = BatchProgress(
        processed=2, expected_total=None, records_per_second=3, eta_seconds=None
    )
    assert progress_text(ru, unknown) == "2 записи, 3 в секунду"
