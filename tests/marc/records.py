"""Small records built in memory, so unit tests do not depend on the shared corpus."""

from pathlib import Path

from pymarc import Field, Indicators, Leader, Record, Subfield

from marc import ReadRecord, RejectedRecord

BOOK_LEADER = "00000nam a2200000 i 4500"


def book(
    control_number: str = "book-1",
    title: str = "Perpustakaan Nasional :",
    subtitle: str = "sejarah dan koleksi /",
    author: str = "Sulistyo-Basuki, L.,",
    isbn: str = "978-602-8021-44-3 (pbk.)",
    fixed: str = "230115s2023    io a          000 0 ind d",
    leader: str = BOOK_LEADER,
) -> Record:
    record = Record()
    record.leader = Leader(leader)
    record.add_field(
        Field(tag="001", data=control_number),
        Field(tag="008", data=fixed),
        Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]),
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author)]),
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[Subfield("a", title), Subfield("b", subtitle)],
        ),
    )
    return record


def cyrillic_book() -> Record:
    return book(
        control_number="ru-7",
        title="Перспективы развития библиотек :",
        subtitle="сборник статей /",
        author="Иванов, Пётр,",
        isbn="5-7749-0800-4",
    )


def field_strings(record: Record) -> list[str]:
    return [str(field) for field in record.fields]


def write_bytes(path: Path, *chunks: bytes) -> Path:
    path.write_bytes(b"".join(chunks))
    return path


def raw_record(leader: str, fields: list[tuple[str, bytes]]) -> bytes:
    """An ISO 2709 record assembled from already-encoded field bodies (no terminators).

    Lets a test put bytes in a record that no encoder would write: MARC-8 text,
    Windows-1251, broken indicators.
    """
    directory = b""
    data = b""
    for tag, body in fields:
        encoded = body + b"\x1e"
        directory += tag.encode("ascii") + b"%04d%05d" % (len(encoded), len(data))
        data += encoded
    directory += b"\x1e"
    data += b"\x1d"
    base = 24 + len(directory)
    head = b"%05d" % (base + len(data)) + leader[5:12].encode() + b"%05d" % base
    return head + leader[17:].encode() + directory + data


def as_read(outcome: ReadRecord | RejectedRecord) -> ReadRecord:
    assert isinstance(outcome, ReadRecord), outcome
    return outcome


def as_rejected(outcome: ReadRecord | RejectedRecord) -> RejectedRecord:
    assert isinstance(outcome, RejectedRecord), outcome
    return outcome


UNIMARC_LEADER = "00000nam0 2200000   450 "


def _data(tag: str, indicators: str, *subfields: tuple[str, str]) -> Field:
    return Field(
        tag=tag,
        indicators=Indicators(indicators[0], indicators[1]),
        subfields=[Subfield(code, value) for code, value in subfields],
    )


def unimarc_book(charsets: str = "50  ") -> Record:
    """A RUSMARC-style book record: Cyrillic, with the fields partners always send."""
    record = Record()
    record.leader = Leader(UNIMARC_LEADER)
    record.add_field(
        Field(tag="001", data="RU/NLR/bibl/42"),
        Field(tag="005", data="20240115120000.0"),
        _data("010", "  ", ("a", "5-7749-0800-4"), ("b", "в пер."), ("d", "300 р.")),
        _data("100", "  ", ("a", f"20240115d2023    k  y0rusy{charsets}    ca")),
        _data("101", "1 ", ("a", "rus"), ("c", "eng")),
        _data("102", "  ", ("a", "RU")),
        _data("105", "  ", ("a", "a   z   000yy")),
        _data(
            "200",
            "1 ",
            ("a", "\x88The \x89Перспективы развития библиотек"),
            ("e", "сборник статей"),
            ("f", "П. Иванов"),
            ("g", "пер. с англ. А. Петровой"),
        ),
        _data("205", "  ", ("a", "2-е изд."), ("b", "испр.")),
        _data(
            "210",
            "  ",
            ("a", "Москва"),
            ("c", "Наука"),
            ("d", "2023"),
            ("e", "Тула"),
            ("g", "Тип. 1"),
        ),
        _data("215", "  ", ("a", "320 с."), ("c", "ил."), ("d", "22 см")),
        _data("225", "1 ", ("a", "Библиотечное дело"), ("v", "7")),
        _data("300", "  ", ("a", "Текст парал. рус., англ.")),
        _data("320", "  ", ("a", "Библиогр.: с. 300-315")),
        _data("330", "  ", ("a", "Сборник о развитии библиотек.")),
        _data("454", " 0", ("1", "001RU/NLR/bibl/7"), ("1", "2001 "), ("a", "Library futures")),
        _data("500", "10", ("a", "Library futures"), ("m", "Русский")),
        _data("606", "1 ", ("a", "Библиотечное дело"), ("x", "Развитие"), ("2", "nlr_sh")),
        _data("607", "  ", ("a", "Россия"), ("z", "21 в.")),
        _data("610", "0 ", ("a", "библиотеки")),
        _data("675", "  ", ("a", "02"), ("v", "4")),
        _data("686", "  ", ("a", "78.3"), ("2", "rubbks")),
        _data(
            "700", " 1", ("a", "Иванов"), ("b", "П."), ("g", "Пётр"), ("f", "1960-"), ("4", "070")
        ),
        _data("702", " 1", ("a", "Петрова"), ("b", "А."), ("4", "730")),
        _data("712", "02", ("a", "Российская национальная библиотека"), ("4", "650")),
        _data("801", " 0", ("a", "RU"), ("b", "NLR"), ("c", "20240115"), ("g", "RCR")),
        _data("856", "4 ", ("u", "https://example.org/nlr/42")),
        _data("899", "  ", ("a", "NLR"), ("j", "18.13.7.2")),
    )
    return record
