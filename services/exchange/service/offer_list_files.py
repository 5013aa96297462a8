"""Offer-list items from files: a spreadsheet saved as CSV, or a MARC file.

Exchange departments keep their duplicate lists in spreadsheets, headed in their own
language, and catalogues export MARC; both become ``OfferLineIn`` lines here, checked by the
same schema as a line sent to the API (ISBN and ISSN digit by digit).

CSV: UTF-8 (with or without a byte order mark), UTF-16 with one, or Windows-1251 (what a
Russian Excel saves); comma, semicolon or tab between cells (the header row tells which).
The header names IFLA's fields in English, Russian or Bahasa Indonesia, and the headings of
our own CSV export in every language the catalogs have. A row that cannot be read refuses
the whole file (422) with each bad row's number as a spreadsheet shows it (the header is row
1) and why, so a list is never added in part.

MARC files are read by ``offer_list_marc`` (``items_from_marc`` is re-exported here).
The contract's ``list_csv`` and ``list_pdf`` (the list as a file) are in ``offer_list_pdf``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, Literal

from pydantic import ValidationError

import marc
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import OfferLineIn
from services.exchange.service.offer_list_marc import (
    MAX_ERRORS,
    MAX_ITEMS,
    FileRejection,
    items_from_marc,
    validation_reason,
)
from services.exchange.service.offer_list_pdf import COLUMNS, CURRENCY, PRICE, list_csv, list_pdf
from services.exchange.settings import Settings
from services.exchange.web.i18n import N_, TRANSLATIONS

__all__ = ["FileRejection", "items_from_csv", "items_from_marc", "list_csv", "list_pdf"]

MAX_CSV_BYTES = 10 * 1024 * 1024
_BLOCK = 1 << 20
FileFormat = Literal["csv", "marc"]

# Header names per field ("|" between them): IFLA's fields in English, Russian and Bahasa
# Indonesia, compared in lower case without end punctuation. Our export's translated
# headings are added by ``_header_map``.
_ALIASES = {
    "author": "author|authors|creator|автор|авторы|pengarang|penulis",
    "title": "title|заглавие|название|judul",
    "edition": "edition|издание|edisi",
    "place": "place|place of publication|место|место издания|tempat|tempat terbit",
    "publisher": "publisher|издательство|издатель|penerbit",
    "year": "year|date|year of publication|год|год издания|tahun|tahun terbit",
    "pages": "pages|pagination|extent|страницы|объем|объём|кол-во страниц|halaman",
    "isbn": "isbn",
    "issn": "issn",
    "identifier": "isbn/issn|isbn / issn|isbn or issn|isbn/issn|isbn или issn",
    "control_number": "control number|record number|001|номер записи|nomor kendali",
    "language": "language|lang|язык|bahasa",
    "material_type": "type|material type|material|тип|вид издания|jenis|jenis bahan",
    "subject": "class|classification|udc|ddc|subject|удк|ббк|рубрика|klasifikasi|subjek",
    "copies": "copies|copies available|number of copies|quantity|qty|экз|экземпляры"
    "|экземпляров|количество|кол-во|eksemplar|jumlah|jumlah eksemplar",
    "unit_value": "price|unit value|unit_value|value|цена|стоимость|harga|nilai",
    "currency": "currency|валюта|mata uang",
}
# Our export's columns, whose translations a partner may send back.
_EXPORT_HEADINGS = {c.key: c.heading for c in (*COLUMNS, PRICE, CURRENCY)}
_EXPORT_FIELD = {"price": "unit_value"}


def _table(pairs: str) -> dict[str, str]:
    """``"a=x|b=y"`` as ``{"a": "x", "b": "y"}``: the word lists below, one line each."""
    return dict(pair.split("=", 1) for pair in pairs.split("|"))


# A language as lists write it (ISO 639-1, or its name) to the MARC code.
_LANGUAGES = _table(
    "ru=rus|en=eng|id=ind|be=bel|uk=ukr|de=ger|fr=fre|kk=kaz|ms=may|nl=dut|zh=chi|ar=ara"
    "|russian=rus|русский=rus|english=eng|английский=eng|inggris=eng|rusia=rus"
    "|indonesian=ind|bahasa indonesia=ind|индонезийский=ind|belarusian=bel|белорусский=bel"
)
_MATERIAL_TYPES = _table(
    "book=book|books=book|monograph=book|книга=book|книги=book|buku=book|serial=serial"
    "|journal=serial|periodical=serial|журнал=serial|серийное издание=serial"
    "|периодическое издание=serial|majalah=serial|terbitan berkala=serial|jurnal=serial"
    "|map=map|карта=map|peta=map|music=music|ноты=music|musik=music"
)
_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|2[01]\d\d|2200)(?!\d)")
_NUMBER = re.compile(r"^\d[\d\s\u00a0]*$")
_ISSN_LIKE = re.compile(r"^\s*\d{4}-?\d{3}[\dXx]\s*$")


def _key(heading: str) -> str:
    text = " ".join(heading.replace("\ufeff", "").strip().lower().split())
    return text.strip(" .:*")


def _header_map() -> dict[str, str]:
    """Every heading this reader knows, to its field."""
    known = {
        _key(alias): field for field, aliases in _ALIASES.items() for alias in aliases.split("|")
    }
    for key, msgid in _EXPORT_HEADINGS.items():
        field = _EXPORT_FIELD.get(key, key)
        if field == "position":
            continue
        for translations in TRANSLATIONS.values():
            known.setdefault(_key(translations.gettext(msgid)), field)
    return known


def decode(data: bytes) -> str:
    """The file's text: UTF-16 or UTF-8 by their byte order marks, UTF-8 when it decodes,
    else Windows-1251 (a Russian spreadsheet saved as CSV)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise Problem(422, "unreadable-file", N_("the file is not valid UTF-16 text")) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _delimiter(header_line: str) -> str:
    """The separator the header row uses most, outside quotes: tab, semicolon or comma."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _integer(value: str, what: str, low: int, high: int) -> int:
    text = value.strip().rstrip(".")
    if not _NUMBER.match(text):
        raise ValueError(
            N_("{what}: '{value}' is not a whole number").format(what=what, value=value.strip())
        )
    number = int(re.sub(r"\s", "", text))
    if not low <= number <= high:
        raise ValueError(
            N_("{what}: {number} is not between {low} and {high}").format(
                what=what, number=number, low=low, high=high
            )
        )
    return number


def _year(value: str) -> int:
    """A year as lists print it: 2019, [2019], c2019, 2019-2020 (the first)."""
    found = _YEAR.search(value)
    if found is None:
        raise ValueError(
            N_("year: '{value}' has no year of four digits").format(value=value.strip())
        )
    return int(found.group(1))


def _price(value: str) -> tuple[Decimal, str | None]:
    """12.50, 12,50, 1 200,00, 12.50 EUR, EUR 12.50."""
    text = value.strip()
    currency = None
    code = re.search(r"\b([A-Za-z]{3})\b", text)
    if code is not None:
        currency = code.group(1).upper()
        text = (text[: code.start()] + text[code.end() :]).strip()
    text = re.sub(r"[\s\u00a0]", "", text)
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            N_("price: '{value}' is not an amount").format(value=value.strip())
        ) from None
    return amount, currency


def _language(value: str) -> str:
    text = _key(value)
    return _LANGUAGES.get(text, text)


def _line(cells: dict[str, str]) -> dict[str, object]:
    """A row's cells as the fields of an ``OfferLineIn``; ValueError says what is wrong."""
    fields: dict[str, object] = {}
    for field, raw in cells.items():
        value = raw.strip()
        if not value:
            continue
        if field == "year":
            fields["year"] = _year(value)
        elif field == "copies":
            fields["copies"] = _integer(value, "copies", 1, 10_000)
        elif field == "unit_value":
            amount, currency = _price(value)
            fields["unit_value"] = amount
            if currency and "currency" not in fields:
                fields["currency"] = currency
        elif field == "currency":
            fields["currency"] = value.upper()
        elif field == "language":
            fields["language"] = _language(value)
        elif field == "material_type":
            fields["material_type"] = _MATERIAL_TYPES.get(_key(value), _key(value))
        elif field == "identifier":
            fields["issn" if _ISSN_LIKE.match(value) else "isbn"] = value
        else:
            fields[field] = value
    return fields


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for every row but blank ones."""
    lines = text.splitlines(keepends=True)
    if not lines:
        return
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    start = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1


def items_from_csv(data: bytes) -> list[OfferLineIn]:
    """The lines of a CSV file, in its order; 422 with every bad row's number and reason
    (and nothing added), 413 above ``MAX_CSV_BYTES``."""
    if len(data) > MAX_CSV_BYTES:
        raise Problem(
            413,
            "payload-too-large",
            N_("a CSV list may have at most {limit} bytes").format(limit=MAX_CSV_BYTES),
        )
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Problem(422, "unreadable-file", N_("the file is neither a CSV list nor MARC"))
    rows = _rows(decode(data))
    first = next(rows, None)
    if first is None:
        raise Problem(422, "empty-file", N_("the file has no header row and no publications"))
    known = _header_map()
    columns: dict[int, str] = {}
    for index, heading in enumerate(first[1]):
        # A column of the partner's own (number, shelf mark, remarks) is not ours to read.
        field = known.get(_key(heading))
        if field is not None and field not in columns.values():
            columns[index] = field
    if "title" not in columns.values():
        headings = ", ".join(repr(h.strip()) for h in first[1][:12])
        raise Problem(
            422,
            "no-title-column",
            N_(
                "row 1 is the header and needs a title column (title, заглавие or judul); "
                "it has {headings}"
            ).format(headings=headings),
        )
    lines: list[OfferLineIn] = []
    errors: list[dict[str, object]] = []
    for number, cells in rows:
        if len(lines) + len(errors) >= MAX_ITEMS:
            raise Problem(
                422,
                "too-many-items",
                N_("a list may have at most {limit} items").format(limit=MAX_ITEMS),
            )
        values = {field: cells[i] for i, field in columns.items() if i < len(cells)}
        try:
            lines.append(OfferLineIn.model_validate(_line(values)))
        except ValidationError as exc:
            errors.append({"row": number, "reason": validation_reason(exc)})
        except ValueError as exc:
            errors.append({"row": number, "reason": str(exc)})
    if errors:
        first_error = errors[0]
        detail = (
            N_("row {row}: {reason}; nothing was added")
            if len(errors) == 1
            else N_(
                "row {row}: {reason}; {more} more rows cannot be read either; nothing was added"
            )
        ).format(row=first_error["row"], reason=first_error["reason"], more=len(errors) - 1)
        raise Problem(
            422,
            "invalid-rows",
            detail,
            errors=errors[:MAX_ERRORS],
            rows_refused=len(errors),
        )
    if not lines:
        raise Problem(422, "empty-file", N_("the file has a header row but no publications"))
    return lines


@dataclass(frozen=True, slots=True)
class ReadFile:
    format: FileFormat
    lines: list[OfferLineIn]
    rejected: list[FileRejection]


def store(source: BinaryIO, settings: Settings) -> Path:
    """The upload in a file of its own in the data directory (the MARC reader reads paths);
    413 above ``EXCHANGE_MAX_UPLOAD_BYTES``, 422 when empty. The caller removes it."""
    folder = settings.uploads_dir / "offer-lists"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, suffix=".upload")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while block := source.read(_BLOCK):
                size += len(block)
                if size > settings.max_upload_bytes:
                    raise Problem(
                        413,
                        "upload-too-large",
                        N_("the file is larger than {limit} bytes").format(
                            limit=settings.max_upload_bytes
                        ),
                    )
                out.write(block)
        if size == 0:
            raise Problem(422, "empty-file", N_("the file is empty"))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def read_file(
    path: Path, encoding: marc.TextEncoding | None = None, fmt: FileFormat | None = None
) -> ReadFile:
    """The lines of a CSV or MARC file, told apart by content unless ``fmt`` says."""
    if fmt is None:
        try:
            marc.detect_format(path)
            fmt = "marc"
        except marc.MarcFormatError:
            fmt = "csv"
    if fmt == "marc":
        lines, rejected = items_from_marc(path, encoding)
        return ReadFile("marc", lines, rejected)
    if path.stat().st_size > MAX_CSV_BYTES:
        raise Problem(
            413,
            "payload-too-large",
            N_("a CSV list may have at most {limit} bytes").format(limit=MAX_CSV_BYTES),
        )
    return ReadFile("csv", items_from_csv(path.read_bytes()), [])
