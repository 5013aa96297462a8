"""An offer list as a file for partners that use no portal: CSV and a printable PDF.

The columns are IFLA's recommended fields for international exchange lists (author, title,
edition, place, publisher, year, pages, ISBN/ISSN, language, copies, and a price where the
items carry a value), headed in English, Russian or Bahasa Indonesia. The list is what its
reader may see, as ``offer_lists.read_list`` decides: a partner sees the copies still
available to it, never who took the others, and a list not addressed to it is a 404.

The CSV's headings are the ones ``offer_list_files.items_from_csv`` reads, in each of the
three languages, so a list exported in Russian can come back as a partner's list. It is UTF-8
with a byte order mark (Excel then reads Cyrillic), separated by commas in English and by
semicolons in Russian and Indonesian, as Excel in those locales expects (their decimal
separator is the comma); prices keep the decimal point so that they read back the same.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.exchange.models import Partner
from services.exchange.schemas.offer_lists import OfferItemOut, OfferListOut
from services.exchange.service import pdf
from services.exchange.service.keys import Caller
from services.exchange.settings import Settings
from services.exchange.web.i18n import N_, Lang

DocumentLanguage = Literal["en", "ru", "id"]
DOCUMENT_LANGUAGES: tuple[DocumentLanguage, ...] = ("en", "ru", "id")
_LOCALES = {"en": "en_GB", "ru": "ru_RU", "id": "id_ID"}
_CSV_DELIMITERS = {"en": ",", "ru": ";", "id": ";"}


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    heading: str  # a catalog message id
    width: int  # per cent of the PDF table's width
    numeric: bool = False


COLUMNS = (
    Column("position", N_("No."), 3, numeric=True),
    Column("author", N_("Author"), 11),
    Column("title", N_("Title"), 15),  # and whatever the others leave
    Column("edition", N_("Edition"), 7),
    Column("place", N_("Place"), 7),
    Column("publisher", N_("Publisher"), 9),
    Column("year", N_("Year"), 5, numeric=True),
    Column("pages", N_("Pages"), 7),
    Column("identifier", N_("ISBN/ISSN"), 10),
    Column("language", N_("Language"), 7),
    Column("copies", N_("Copies"), 9, numeric=True),
)
PRICE = Column("price", N_("Price"), 8, numeric=True)
CURRENCY = Column("currency", N_("Currency"), 4)


@dataclass(frozen=True, slots=True)
class Answer:
    """How a partner answers: the portal and the API, or a letter to our postal address."""

    portal: str | None
    api: str | None
    letter: list[str]


@dataclass(frozen=True, slots=True)
class Document:
    number: str
    title: str
    offering: str
    closes_on: date | None
    note: str | None
    columns: list[Column]
    headings: list[str]
    rows: list[list[str]]
    copies_available: int
    answer: Answer | None
    filename: str


def document_lang(code: DocumentLanguage, settings: Settings) -> Lang:
    return Lang(code=code, locale=_LOCALES[code], timezone=ZoneInfo(settings.timezone))


def _price(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _cell(item: OfferItemOut, key: str, lang: Lang, for_csv: bool) -> str:
    match key:
        case "position":
            return str(item.position)
        case "identifier":
            return item.isbn or item.issn or ""
        case "copies":
            return str(item.copies_available) if for_csv else lang.number(item.copies_available)
        case "price":
            if for_csv or item.unit_value is None:
                return _price(item.unit_value)
            return f"{_price(item.unit_value)} {item.currency or ''}".strip()
        case "year":
            return "" if item.year is None else str(item.year)
    value = getattr(item, key)
    return "" if value is None else str(value)


def _offering(engine: Engine, settings: Settings, view: OfferListOut) -> str:
    """Who offers the list, by name: we, or the partner whose list it is."""
    if view.direction == "outgoing" or view.partner is None:
        return settings.home_name
    with Session(engine) as session:
        name = session.scalars(
            select(Partner.name).where(col(Partner.code) == view.partner)
        ).first()
    return name or view.partner


def _answer(settings: Settings, view: OfferListOut) -> Answer | None:
    """Only our lists are answered by partners; a partner's list is selected on the desk."""
    if view.direction != "outgoing":
        return None
    base = settings.base_url
    return Answer(
        portal=f"{base}/partner/offer-lists/{view.id}",
        api=f"{base}/api/v1/offer-lists/{view.id}/selection",
        letter=[settings.home_name, *settings.home_address_lines]
        if settings.home_address_lines
        else [],
    )


def build_document(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    list_id: str,
    lang: Lang,
    *,
    for_csv: bool = False,
) -> Document:
    """The list as its reader may see it, in the columns and language of the file."""
    # Imported here: the offer-list service brings Temporal and the notices with it, and
    # reading a file (``offer_list_files``, which shares the columns) needs neither.
    from services.exchange.service import offer_lists

    view = offer_lists.read_list(engine, settings, caller, list_id, profile_first=False)
    items = sorted(view.item_list, key=lambda item: item.position)
    columns = list(COLUMNS)
    if any(item.unit_value is not None for item in items):
        columns += [PRICE, CURRENCY] if for_csv else [PRICE]
    if not for_csv:  # the PDF's widths add up to 100 with or without the price
        spare = 100 - sum(c.width for c in columns)
        title = next(i for i, c in enumerate(columns) if c.key == "title")
        columns[title] = Column("title", columns[title].heading, columns[title].width + spare)
    number = view.number or view.id
    return Document(
        number=number,
        title=view.title,
        offering=_offering(engine, settings, view),
        closes_on=view.closes_on,
        note=view.note,
        columns=columns,
        headings=[lang.gettext(c.heading) for c in columns],
        rows=[[_cell(item, c.key, lang, for_csv) for c in columns] for item in items],
        copies_available=sum(item.copies_available for item in items),
        answer=_answer(settings, view),
        filename=f"{number}-{lang.code}",
    )


def csv_bytes(document: Document, lang: Lang) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=_CSV_DELIMITERS.get(lang.code, ","), lineterminator="\r\n")
    writer.writerow(document.headings)
    writer.writerows(document.rows)
    return "\ufeff".encode() + out.getvalue().encode()


def export(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    list_id: str,
    lang: DocumentLanguage,
    kind: Literal["csv", "pdf"],
) -> tuple[bytes, str]:
    """The file and its name (``OL-2026-0007-ru.pdf``): what the routes and pages send."""
    reader_lang = document_lang(lang, settings)
    document = build_document(engine, settings, caller, list_id, reader_lang, for_csv=kind == "csv")
    if kind == "csv":
        return csv_bytes(document, reader_lang), f"{document.filename}.csv"
    running = f"{document.number} · {document.offering}"
    data = pdf.render_pdf(
        "documents/offer_list.html",
        {"doc": document, "running_title": pdf.css_string(running)},
        reader_lang,
        cache_dir=settings.data_dir / "documents",
    )
    return data, f"{document.filename}.pdf"


def list_csv(
    engine: Engine, settings: Settings, caller: Caller, list_id: str, lang: DocumentLanguage
) -> bytes:
    """The list's rows as CSV (UTF-8 with a byte order mark), one row per publication."""
    return export(engine, settings, caller, list_id, lang, "csv")[0]


def list_pdf(
    engine: Engine, settings: Settings, caller: Caller, list_id: str, lang: DocumentLanguage
) -> bytes:
    """The list as a printable A4 PDF: its number, title, who offers it, the closing day,
    the publications (the header row repeated on every page) and how to answer."""
    return export(engine, settings, caller, list_id, lang, "pdf")[0]
