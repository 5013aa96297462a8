"""Offer-list items from files (``service/offer_list_files.py``): CSV headed in English,
Russian or Indonesian, in UTF-8 (with or without a byte order mark) or Windows-1251; bad
rows refused with their row numbers; MARC records built with pymarc (MARC 21 and UNIMARC)
and, when ``../shared/marc-corpus`` is present, the corpus's files.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
from pymarc import Field, Indicators, Record, Subfield

import services.exchange.web  # noqa: F401  (the pages' package first, as the app imports it)
from services.exchange.problems import Problem
from services.exchange.service import pdf
from services.exchange.service.offer_list_files import (
    MAX_CSV_BYTES,
    items_from_csv,
    items_from_marc,
)
from services.exchange.service.offer_list_pdf import COLUMNS, Document
from services.exchange.web.i18n import Lang

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "marc-corpus"


def test_english_header_with_commas_in_utf8() -> None:
    data = (
        b"Author,Title,Edition,Place,Publisher,Year,Pages,ISBN,ISSN,Language,Copies,Price,"
        b"Currency\n"
        b'Poesponegoro,"Sejarah Nasional Indonesia, jilid 1",2nd ed.,Jakarta,Balai Pustaka,'
        b"2010,xii 480 p.,978-979-407-408-4,,ind,3,12.50,usd\n"
        b",Jurnal Sejarah,,Jakarta,MSI,2019,,,0216-7476,ind,1,,\n"
    )
    first, second = items_from_csv(data)
    assert first.title == "Sejarah Nasional Indonesia, jilid 1"
    assert first.author == "Poesponegoro"
    assert (first.edition, first.place, first.publisher) == ("2nd ed.", "Jakarta", "Balai Pustaka")
    assert (first.year, first.pages, first.language, first.copies) == (2010, "xii 480 p.", "ind", 3)
    assert first.isbn == "9789794074084"  # stored without hyphens, as every line is
    assert (first.unit_value, first.currency) == (Decimal("12.50"), "USD")
    assert second.issn == "0216-7476" and second.isbn is None and second.copies == 1


def test_russian_header_with_semicolons_in_windows_1251() -> None:
    text = (
        "Автор;Заглавие;Издание;Место;Издательство;Год;Страницы;ISBN;Язык;Экз.;Цена;Валюта\r\n"
        "Ковкель, И. И.;История Беларуси;2-е изд.;Минск;Вышэйшая школа;2000 г.;"
        "590 с.;985-06-0463-8;русский;2;12,50;BYN\r\n"
    )
    [line] = items_from_csv(text.encode("cp1251"))
    assert line.title == "История Беларуси" and line.author == "Ковкель, И. И."
    assert (line.edition, line.place, line.publisher) == ("2-е изд.", "Минск", "Вышэйшая школа")
    assert (line.year, line.pages, line.isbn, line.language) == (
        2000,
        "590 с.",
        "9850604638",
        "rus",
    )
    assert (line.copies, line.unit_value, line.currency) == (2, Decimal("12.50"), "BYN")


def test_indonesian_header_in_utf8_with_a_byte_order_mark_and_tabs() -> None:
    text = (
        "Pengarang\tJudul\tEdisi\tTempat\tPenerbit\tTahun\tHalaman\tISBN\tBahasa\tEksemplar\n"
        "Pramoedya Ananta Toer\tBumi Manusia\tCet. 1\tJakarta\tHasta Mitra\t[1980]\t"
        "353 hlm.\t\tid\t4\n"
    )
    [line] = items_from_csv(b"\xef\xbb\xbf" + text.encode())
    assert (line.title, line.author) == ("Bumi Manusia", "Pramoedya Ananta Toer")
    assert (line.place, line.publisher, line.year, line.pages) == (
        "Jakarta",
        "Hasta Mitra",
        1980,
        "353 hlm.",
    )
    assert (line.language, line.copies, line.edition) == ("ind", 4, "Cet. 1")


def test_bad_rows_refuse_the_file_with_each_rows_number_and_reason() -> None:
    data = (
        b"Title;ISBN;Year;Copies\n"
        b"Good one;;2001;1\n"
        b'"A title over\ntwo lines";978-979-407-408-5;2002;1\n'  # rows 3-4 (a quoted newline)
        b";;2003;1\n"  # row 5: no title
        b"Another;;sometime;2\n"  # row 6
        b"Fine;;2004;many\n"  # row 7
    )
    with pytest.raises(Problem) as refused:
        items_from_csv(data)
    problem = refused.value
    assert problem.status == 422 and problem.kind == "invalid-rows"
    errors = problem.extra["errors"]
    assert [e["row"] for e in errors] == [3, 5, 6, 7]
    assert "check digit" in errors[0]["reason"] and "isbn" in errors[0]["reason"]
    assert "title" in errors[1]["reason"]
    assert "year" in errors[2]["reason"] and "sometime" in errors[2]["reason"]
    assert "copies" in errors[3]["reason"] and "many" in errors[3]["reason"]
    assert problem.detail.startswith("row 3: ") and "nothing was added" in problem.detail


def test_a_header_without_a_title_column_is_refused() -> None:
    with pytest.raises(Problem) as refused:
        items_from_csv(b"Author,ISBN\nSomeone,\n")
    assert refused.value.status == 422 and refused.value.kind == "no-title-column"
    assert "'Author'" in refused.value.detail


def test_an_empty_or_oversized_file_is_refused() -> None:
    with pytest.raises(Problem) as empty:
        items_from_csv(b"Title,Year\n")
    assert empty.value.status == 422
    with pytest.raises(Problem) as large:
        items_from_csv(b"Title\n" + b"x\n" * (MAX_CSV_BYTES // 2 + 1))
    assert large.value.status == 413


def _marc21(title: str, isbn: str | None = None) -> Record:
    record = Record(leader="00000nam a2200000 i 4500", force_utf8=True)
    record.add_field(Field(tag="001", data="ocm000042"))
    record.add_field(Field(tag="008", data="200101s2019    ru a          000 0 rus d"))
    record.add_field(
        Field(tag="080", indicators=Indicators(" ", " "), subfields=[Subfield("a", "94(470)")])
    )
    if isbn:
        for value in ("978-5-00000-000-0", isbn):  # a wrong ISBN first: left out, not fatal
            record.add_field(
                Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", value)])
            )
    record.add_field(
        Field(
            tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Иванов, И. И.")]
        )
    )
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[
                Subfield("a", title + " :"),
                Subfield("b", "очерки /"),
                Subfield("c", "И. Иванов."),
            ],
        )
    )
    record.add_field(
        Field(tag="250", indicators=Indicators(" ", " "), subfields=[Subfield("a", "2-е изд.")])
    )
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[Subfield("a", "Москва :"), Subfield("b", "Наука,"), Subfield("c", "2019.")],
        )
    )
    record.add_field(
        Field(tag="300", indicators=Indicators(" ", " "), subfields=[Subfield("a", "320 с. ;")])
    )
    return record


def _unimarc(title: str) -> Record:
    record = Record(leader="00000nam0 2200000   4500", force_utf8=True)
    record.add_field(Field(tag="001", data="RU\\NLR\\bibl\\1"))
    record.add_field(
        Field(
            tag="100",
            indicators=Indicators(" ", " "),
            subfields=[Subfield("a", "20200101d2018    k  y0rusy50      ca")],
        )
    )
    record.add_field(
        Field(tag="101", indicators=Indicators("0", " "), subfields=[Subfield("a", "rus")])
    )
    record.add_field(
        Field(
            tag="200",
            indicators=Indicators("1", " "),
            subfields=[Subfield("a", title), Subfield("f", "П. Петров")],
        )
    )
    record.add_field(
        Field(
            tag="210",
            indicators=Indicators(" ", " "),
            subfields=[Subfield("a", "Минск"), Subfield("c", "Беларусь"), Subfield("d", "2018")],
        )
    )
    record.add_field(
        Field(tag="215", indicators=Indicators(" ", " "), subfields=[Subfield("a", "210 с.")])
    )
    record.add_field(
        Field(
            tag="700",
            indicators=Indicators(" ", "1"),
            subfields=[Subfield("a", "Петров"), Subfield("b", "П.")],
        )
    )
    return record


def test_marc_records_become_lines_and_a_broken_one_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "list.mrc"
    good = _marc21("История России", isbn="978-5-02-034001-5").as_marc()
    broken = _marc21("Сломанная").as_marc()
    broken = b"XXXXX" + broken[5:12] + b"ZZZZZ" + broken[17:]
    path.write_bytes(good + broken + _marc21("Без номера").as_marc())
    lines, rejected = items_from_marc(path)
    assert [line.title for line in lines] == ["История России : очерки", "Без номера : очерки"]
    first = lines[0]
    assert first.author == "Иванов, И. И."
    assert (first.edition, first.place, first.publisher, first.year) == (
        "2-е изд.",
        "Москва",
        "Наука",
        2019,
    )
    assert first.isbn == "9785020340015"  # the valid one of the two
    assert (first.pages, first.language, first.material_type, first.subject) == (
        "320 с.",
        "rus",
        "book",
        "94(470)",
    )
    assert first.control_number == "ocm000042" and first.copies == 1
    assert lines[1].isbn is None
    [reject] = rejected
    assert reject.position == 2 and reject.offset == len(good)
    assert reject.reason


def test_unimarc_is_converted_to_marc21_first(tmp_path: Path) -> None:
    path = tmp_path / "rusmarc.iso"
    path.write_bytes(_unimarc("Очерки истории").as_marc())
    [line], rejected = items_from_marc(path)
    assert rejected == []
    assert line.title.startswith("Очерки истории")
    assert line.place == "Минск" and line.publisher == "Беларусь" and line.year == 2018
    assert line.author is not None and line.author.startswith("Петров")
    assert line.language == "rus"


def test_a_file_that_is_not_marc_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n")
    with pytest.raises(Problem) as refused:
        items_from_marc(path)
    assert refused.value.status == 422 and refused.value.kind == "not-marc"


def _manifest() -> dict[str, dict[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as manifest:
        return {row["path"]: row for row in csv.DictReader(manifest, delimiter="\t")}


corpus = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").is_file(),
    reason="../shared/marc-corpus is absent: conformance files are not part of a user's clone",
)


@corpus
def test_corpus_windows_1251_records_give_cyrillic_lines() -> None:
    row = _manifest()["pymarc/1251.dat"]
    lines, rejected = items_from_marc(CORPUS / "pymarc" / "1251.dat", "cp1251")
    assert rejected == [] and len(lines) == int(row["records_in_file"])
    expected = row["pymarc_5_4_behaviour"].split("title via cp1251: 245:")[1][:40]
    assert lines[0].title.startswith(expected.strip()[:30])
    assert all(line.language == "rus" for line in lines)


@corpus
def test_corpus_rusmarc_file_gives_a_line_per_record() -> None:
    row = _manifest()["loge-gh-rusmarc/TEST1.ISO"]
    lines, rejected = items_from_marc(CORPUS / "loge-gh-rusmarc" / "TEST1.ISO", "cp1251")
    assert rejected == [] and len(lines) == int(row["records_in_file"])
    assert sum(1 for line in lines if line.isbn) > 0
    assert any("Сибири" in line.title for line in lines)


@corpus
def test_corpus_broken_records_are_reported_and_the_rest_is_used() -> None:
    lines, rejected = items_from_marc(CORPUS / "pymarc" / "bad_records.mrc")
    assert len(lines) == 2 and lines[0].title.startswith("The pragmatic programmer")
    assert [r.position for r in rejected] == [2, 3, 4, 5, 6, 7]
    assert all(r.reason for r in rejected)


# --- the PDF documents (service/pdf.py) ----------------------------------------------------


def _lang(code: str) -> Lang:
    return Lang(code=code, locale={"en": "en_GB", "ru": "ru_RU"}[code], timezone=ZoneInfo("UTC"))


def test_a_css_string_cannot_end_the_style_element() -> None:
    text = pdf.css_string('OL-1 · "Библиотека" </style><script>')
    assert "</style>" not in text and "<" not in text and text.startswith('"')
    assert '\\"Библиотека\\"' in text


def test_the_page_counter_follows_the_translation() -> None:
    assert pdf.page_counter(_lang("en")) == '"Page " counter(page) " of " counter(pages)'
    assert pdf.page_counter(_lang("ru")) == '"Страница " counter(page) " из " counter(pages)'


def test_a_rendered_document_is_kept_and_given_again(tmp_path: Path) -> None:
    document = Document(
        number="OL-2026-0001",
        title="Дублеты",
        offering="Perpustakaan Nasional Republik Indonesia",
        closes_on=date(2027, 1, 12),
        note=None,
        columns=list(COLUMNS),
        headings=[c.heading for c in COLUMNS],
        rows=[["1", "Toer", "Bumi Manusia", "", "", "", "1980", "", "", "ind", "3"]],
        copies_available=3,
        answer=None,
        filename="OL-2026-0001-en",
    )
    values = {"doc": document, "running_title": '""'}
    first = pdf.render_pdf("documents/offer_list.html", values, _lang("ru"), cache_dir=tmp_path)
    [kept] = list(tmp_path.glob("*.pdf"))
    assert kept.read_bytes() == first and first.startswith(b"%PDF-")
    kept.write_bytes(b"%PDF-kept")  # what is given again is the kept file, not a new one
    again = pdf.render_pdf("documents/offer_list.html", values, _lang("ru"), cache_dir=tmp_path)
    assert again == b"%PDF-kept"
    text = pypdf.PdfReader(io.BytesIO(first)).pages[0].extract_text()
    assert "Bumi Manusia" in text and "Страница 1 из 1" in text


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


def _has_weasyprint(python: str) -> bool:
    return subprocess.run([python, "-c", "import weasyprint"], capture_output=True).returncode == 0


@pytest.mark.skipif(
    SYSTEM_PYTHON is None or _has_weasyprint(SYSTEM_PYTHON),
    reason="needs a Python on this machine without WeasyPrint (Debian's /usr/bin/python3)",
)
def test_where_weasyprint_cannot_load_a_pdf_is_a_503_problem() -> None:
    assert SYSTEM_PYTHON is not None
    with pytest.raises(Problem) as refused:
        pdf.html_to_pdf("<p>x</p>", python=SYSTEM_PYTHON)
    assert refused.value.status == 503 and refused.value.kind == "pdf-unavailable"
    assert "Pango" in refused.value.detail and "weasyprint" in refused.value.detail
