"""The yearly report on the exchange of publications, as CSV and as PDF, in English, Russian
or Bahasa Indonesia: the figures of ``statistics.yearly`` for the annual report that the
UNESCO Convention concerning the International Exchange of Publications (1958) asks the
exchange services of its parties to make.

The CSV is one row per partner and breakdown (all, each material type, each language), then
the same for all partners, headed in the reader's language, so that a spreadsheet can sum and
filter it; the PDF is the tables and the chart of copies per year, printed on A4.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.numbers import format_decimal
from sqlalchemy import Engine

from services.exchange.schemas.statistics import Counts, Figures, PartnerFigures, YearlyOut
from services.exchange.service import pdf, reports, statistics, svg_charts
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_pdf import DocumentLanguage, document_lang
from services.exchange.settings import Settings
from services.exchange.web.i18n import N_, Lang
from services.exchange.web.money import amounts

CSV_COLUMNS = (
    N_("Partner"),
    N_("Partner library"),
    N_("Country"),
    N_("Breakdown"),
    N_("Group"),
    N_("Exchanges sent"),
    N_("Titles sent"),
    N_("Copies sent"),
    N_("Value sent"),
    N_("Purchase cost"),
    N_("Exchanges received"),
    N_("Titles received"),
    N_("Copies received"),
    N_("Value received"),
    N_("Balance"),
    N_("Balance counted in"),
    N_("Open claims"),
    N_("Shipments lost"),
    N_("Copies written off"),
)
BREAKDOWNS = {"all": N_("All"), "material": N_("Material"), "language": N_("Language")}
MATERIAL_NAMES = {"book": N_("Books"), "serial": N_("Serial issues")}
UNIT_NAMES = {
    "copies": N_("copies"),
    "titles": N_("titles"),
    "value": N_("value"),
    None: N_("no balance kept (blanket exchange)"),
}
# ISO 639-2 (what lines carry) to the two letters the locale data names languages by.
_TWO_LETTERS = {
    "ind": "id", "rus": "ru", "eng": "en", "jav": "jv", "msa": "ms", "may": "ms", "tha": "th",
    "vie": "vi", "chi": "zh", "zho": "zh", "jpn": "ja", "kor": "ko", "ger": "de", "deu": "de",
    "fre": "fr", "fra": "fr", "spa": "es", "por": "pt", "ita": "it", "dut": "nl", "nld": "nl",
    "pol": "pl", "ukr": "uk", "bel": "be", "kaz": "kk", "uzb": "uz", "ara": "ar", "hin": "hi",
    "tur": "tr", "per": "fa", "fas": "fa", "sun": "su", "tgl": "tl", "khm": "km", "bur": "my",
    "mya": "my", "lat": "la", "heb": "he", "cze": "cs", "ces": "cs", "bul": "bg", "srp": "sr",
}  # fmt: skip


def language_name(lang: Lang, code: str) -> str:
    """The language of a line in the reader's words (``und``: not stated); a code the locale
    data does not name is shown as the code."""
    if code == statistics.UNDETERMINED:
        return lang.gettext("Language not stated")
    two = _TWO_LETTERS.get(code, code)
    name = Locale.parse(lang.locale).languages.get(two)
    return name if name else code


def _plain(amounts: dict[str, Decimal]) -> str:
    """For the CSV: decimal points and no grouping, so that the figures read back the same."""
    return "; ".join(f"{amount:.2f} {currency}" for currency, amount in amounts.items())


def _row(
    lang: Lang,
    who: tuple[str, str, str],
    breakdown: str,
    group: str,
    sent: Counts,
    received: Counts,
    tail: Sequence[object] = ("", "", "", "", ""),
) -> list[object]:
    return [
        *who,
        lang.gettext(BREAKDOWNS[breakdown]),
        group,
        sent.exchanges,
        sent.titles,
        sent.copies,
        _plain(sent.value),
        _plain(sent.purchase_cost),
        received.exchanges,
        received.titles,
        received.copies,
        _plain(received.value),
        *tail,
    ]


def _rows(lang: Lang, who: tuple[str, str, str], figures: Figures) -> Iterator[list[object]]:
    balance, unit = "", ""
    if isinstance(figures, PartnerFigures) and figures.balance is not None:
        out = figures.balance
        running = out.running.balance if out.running is not None else None
        balance = "" if running is None else f"{running:f}"
        unit = lang.gettext(UNIT_NAMES.get(out.unit, UNIT_NAMES[None]))
        if out.unit == "value" and out.currency:
            unit = f"{unit} ({out.currency})"
    losses = figures.losses
    tail = (balance, unit, figures.open_claims, losses.lost_exchanges, losses.written_off_copies)
    yield _row(lang, who, "all", "", figures.sent, figures.received, tail)
    for split in figures.by_material:
        name = lang.gettext(MATERIAL_NAMES[split.key])
        yield _row(lang, who, "material", name, split.sent, split.received)
    for split in figures.by_language:
        name = language_name(lang, split.key)
        yield _row(lang, who, "language", name, split.sent, split.received)


def csv_rows(out: YearlyOut, lang: Lang) -> Iterator[list[object]]:
    for p in out.partners:
        yield from _rows(lang, (p.partner, p.name, p.country), p)
    if out.partner is None:
        yield from _rows(lang, ("", lang.gettext("All partners"), ""), out.total)


@dataclass(frozen=True, slots=True)
class Report:
    out: YearlyOut
    home_name: str
    chart: str  # the SVG of copies sent and received per year
    balance: BalanceChart | None


def copies_chart(lang: Lang, figures: Figures, quota: int | None = None) -> str:
    """Copies sent and received in each year of the range, the quota dashed across."""
    label = lang.gettext("Copies sent and received per year")
    return svg_charts.bar_chart(
        label,
        [str(y.year) for y in figures.years],
        [
            svg_charts.Series(lang.gettext("Sent"), [y.sent.copies for y in figures.years]),
            svg_charts.Series(lang.gettext("Received"), [y.received.copies for y in figures.years]),
        ],
        svg_charts.Reference(quota, lang.gettext("Yearly quota")) if quota else None,
    )


@dataclass(frozen=True, slots=True)
class BalanceChart:
    svg: str
    rows: list[tuple[int, Decimal | None]]  # the same figures, for the table beside it
    heading: str
    tolerance: Decimal | None


def balance_chart(lang: Lang, out: YearlyOut) -> BalanceChart | None:
    """One partner: its running balance at the end of each year, in the agreement's model,
    the tolerance dashed at + and -; None when no year keeps a balance (blanket exchange).
    All partners (their models differ): copies sent minus copies received in each year."""
    years = [str(y) for y in range(out.first_year, out.year + 1)]
    if out.partner is not None:
        points = out.partners[0].balance_history
        values = [p.balance for p in points]
        if all(v is None for v in values):
            return None
        last = points[-1]
        unit = lang.gettext(UNIT_NAMES.get(last.unit, UNIT_NAMES[None]))
        heading = lang.gettext("Running balance at the end of each year, in {unit}", unit=unit)
        tolerance = last.tolerance
        reference = None
        if tolerance is not None:
            band = lang.gettext("Tolerance: ±{n}", n=_decimal_text(lang, tolerance))
            reference = svg_charts.Reference(float(tolerance), band)
        svg = svg_charts.line_chart(
            heading,
            years,
            lang.gettext("Balance"),
            [float(v) if v is not None else None for v in values],
            reference,
        )
        return BalanceChart(svg, [(p.year, p.balance) for p in points], heading, tolerance)
    heading = lang.gettext("Copies sent minus copies received, each year")
    differences = [Decimal(y.sent.copies - y.received.copies) for y in out.total.years]
    svg = svg_charts.line_chart(
        heading, years, lang.gettext("Balance"), [float(d) for d in differences]
    )
    rows: list[tuple[int, Decimal | None]] = [
        (y.year, d) for y, d in zip(out.total.years, differences, strict=True)
    ]
    return BalanceChart(svg, rows, heading, None)


def _decimal_text(lang: Lang, value: Decimal) -> str:
    return format_decimal(value, locale=lang.locale)


def quota_of(out: YearlyOut) -> int | None:
    """The yearly quota of copies when one partner is shown and its agreement has one."""
    if out.partner is None or out.partners[0].balance is None:
        return None
    return out.partners[0].balance.quota.yearly


def filename(out: YearlyOut, lang: str, extension: str) -> str:
    scope = f"-{out.partner}" if out.partner else ""
    return f"yearly-{out.year}{scope}-{lang}.{extension}"


def export(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    year: int,
    partner: str | None,
    lang: DocumentLanguage,
    kind: str,
) -> tuple[bytes, str]:
    """The report as CSV or PDF, and its file name (``yearly-2026-ru.pdf``)."""
    out = statistics.yearly(engine, caller, year, partner)
    reader = document_lang(lang, settings)
    if kind == "csv":
        header = [reader.gettext(c) for c in CSV_COLUMNS]
        text = "".join(reports.table_csv(header, csv_rows(out, reader)))
        return text.encode("utf-8"), filename(out, lang, "csv")
    chart = copies_chart(reader, out.total, quota_of(out))
    report = Report(out, settings.home_name, chart, balance_chart(reader, out))
    running = reader.gettext("Yearly report {year}", year=year) + f" · {settings.home_name}"
    data = pdf.render_pdf(
        "documents/yearly_report.html",
        {
            "report": report,
            "running_title": pdf.css_string(running),
            "language_name": lambda code: language_name(reader, code),
            "money": lambda found: amounts(reader, found),
            "material_name": lambda key: reader.gettext(MATERIAL_NAMES[key]),
            "unit_names": UNIT_NAMES,
        },
        reader,
        cache_dir=settings.data_dir / "documents",
    )
    return data, filename(out, lang, "pdf")
