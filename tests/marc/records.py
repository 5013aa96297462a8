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
