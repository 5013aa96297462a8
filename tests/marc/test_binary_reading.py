import io
from pathlib import Path

import pytest

from marc import ReadRecord, RejectedRecord, read_records, to_marc21
from marc.framing import frames

from .records import (
    as_read,
    as_rejected,
    book,
    cyrillic_book,
    field_strings,
    raw_record,
    write_bytes,
)


def _books(count: int) -> list[bytes]:
    return [
        to_marc21(book(control_number=f"rec-{n}", title=f"Title {n}")) for n in range(1, count + 1)
    ]


def test_utf8_round_trip_keeps_every_field(tmp_path: Path) -> None:
    original = [book(), cyrillic_book()]
    first = write_bytes(tmp_path / "in.mrc", *(to_marc21(r) for r in original))

    read = [as_read(outcome).record for outcome in read_records(first)]
    again = write_bytes(tmp_path / "again.mrc", *(to_marc21(r) for r in read))
    reread = [as_read(outcome).record for outcome in read_records(again)]

    assert [field_strings(r) for r in reread] == [field_strings(r) for r in original]
    assert reread[1]["245"]["a"] == "Перспективы развития библиотек :"
    assert reread[0]["245"]["a"] == "Perpustakaan Nasional :"


def test_outcomes_are_numbered_and_located(tmp_path: Path) -> None:
    records = _books(3)
    path = write_bytes(tmp_path / "three.mrc", *records)

    outcomes = list(read_records(path))

    assert [o.index for o in outcomes] == [1, 2, 3]
    assert [o.offset for o in outcomes] == [0, len(records[0]), len(records[0]) + len(records[1])]
    assert all(isinstance(o, ReadRecord) for o in outcomes)


def test_bad_leader_length_with_shifted_directory_rejects_only_that_record(tmp_path: Path) -> None:
    records = _books(5)
    broken = bytearray(records[2])
    title_at = broken.index(b"Title 3")
    broken[title_at:title_at] = b"XYZ"  # text grew, leader and directory did not
    records[2] = bytes(broken)
    path = write_bytes(tmp_path / "batch.mrc", *records)

    outcomes = list(read_records(path))

    assert [type(o) for o in outcomes] == [ReadRecord] * 2 + [RejectedRecord] + [ReadRecord] * 2
    rejected = as_rejected(outcomes[2])
    assert rejected.index == 3
    assert rejected.offset == sum(len(r) for r in records[:2])
    assert rejected.raw == records[2]
    declared = records[2][:5].decode()
    assert rejected.reason.startswith(
        f"record length in leader ({declared}) does not match the {len(records[2])} bytes "
        "up to the record terminator"
    )
    assert "field 245" in rejected.reason
    assert [o.record["001"].data for o in outcomes if isinstance(o, ReadRecord)] == [
        "rec-1",
        "rec-2",
        "rec-4",
        "rec-5",
    ]


def test_broken_directory_is_rejected_with_the_entry(tmp_path: Path) -> None:
    records = _books(5)
    broken = bytearray(records[2])
    broken[24:27] = b"2#5"  # first directory entry's tag
    records[2] = bytes(broken)
    path = write_bytes(tmp_path / "batch.mrc", *records)

    outcomes = list(read_records(path))

    rejected = [o for o in outcomes if isinstance(o, RejectedRecord)]
    assert len(outcomes) == 5
    assert [(r.index, r.reason[:20]) for r in rejected] == [(3, "directory entry 1 ('")]


def test_leader_length_miscount_alone_is_tolerated(tmp_path: Path) -> None:
    record = bytearray(to_marc21(book()))
    record[0:5] = b"%05d" % (len(record) - 3)  # miscounted, but the directory fits
    path = write_bytes(tmp_path / "miscount.mrc", bytes(record))

    [outcome] = read_records(path)

    assert isinstance(outcome, ReadRecord)


def test_truncated_last_record_is_reported(tmp_path: Path) -> None:
    records = _books(3)
    path = write_bytes(tmp_path / "cut.mrc", records[0], records[1], records[2][:100])

    outcomes = list(read_records(path))

    assert [type(o) for o in outcomes] == [ReadRecord, ReadRecord, RejectedRecord]
    truncated = as_rejected(outcomes[2])
    assert truncated.index == 3
    assert truncated.reason.startswith("truncated: file ends without a record terminator")
    assert truncated.raw == records[2][:100]


@pytest.mark.parametrize("tail", [b"\n", b"\r\n", b"\x1a", b"   \n\x00", b""])
def test_trailing_filler_is_not_a_record(tmp_path: Path, tail: bytes) -> None:
    path = write_bytes(tmp_path / "tail.mrc", *_books(2), tail)

    outcomes = list(read_records(path))

    assert len(outcomes) == 2
    assert all(isinstance(o, ReadRecord) for o in outcomes)


def test_filler_and_empty_records_between_records_are_skipped(tmp_path: Path) -> None:
    first, second = _books(2)
    path = write_bytes(tmp_path / "filler.mrc", b"\xef\xbb\xbf", first, b"\r\n\x1a\x1d  ", second)

    outcomes = list(read_records(path))

    assert [type(o) for o in outcomes] == [ReadRecord, ReadRecord]
    assert outcomes[1].offset == 3 + len(first) + len(b"\r\n\x1a\x1d  ")


def test_blank_leader_09_with_utf8_bytes_decodes_as_utf8(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(cyrillic_book()))
    raw[9:10] = b" "  # the exporting system forgot to say UTF-8
    path = write_bytes(tmp_path / "unflagged.mrc", bytes(raw))

    [outcome] = read_records(path)

    assert isinstance(outcome, ReadRecord)
    assert outcome.record["245"]["a"] == "Перспективы развития библиотек :"


def test_marc8_record_is_decoded(tmp_path: Path) -> None:
    raw = raw_record(
        "00000nam  2200000 a 4500",
        [("001", b"m8"), ("245", b"10\x1faBulletin de la Soci\xe2et\xe2e linn\xe2eenne.")],
    )
    path = write_bytes(tmp_path / "marc8.mrc", raw)

    [outcome] = read_records(path)

    assert isinstance(outcome, ReadRecord), outcome
    assert outcome.record["245"]["a"] == "Bulletin de la Société linnéenne."


def test_windows_1251_bytes_under_blank_leader_are_refused_not_garbled(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(book(title="Perspektivy")))
    start = raw.index(b"Perspektivy")
    raw[start : start + 11] = "Перспективы".encode("cp1251")
    raw[9:10] = b" "
    path = write_bytes(tmp_path / "cp1251.mrc", bytes(raw))

    [outcome] = read_records(path)

    assert isinstance(outcome, RejectedRecord)
    assert outcome.reason.startswith("field 245 $a: byte 0xCF at position 0 is not a character")
    assert "MARC-8" in outcome.reason


def test_invalid_utf8_under_leader_a_is_refused(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(book(title="Perspektivy", subtitle="Перспективы")))
    raw[raw.index(b"Perspektivy") + 3] = 0xC0
    path = write_bytes(tmp_path / "bad-utf8.mrc", bytes(raw))

    [outcome] = read_records(path)

    assert isinstance(outcome, RejectedRecord)
    assert outcome.reason.startswith("field 245 $a: byte 0xC0 at position 3 is not valid UTF-8")


def test_non_ascii_indicator_is_refused_with_the_field(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(book()))
    field_245 = raw.index(b"\x1e10\x1fa") + 1
    raw[field_245] = ord("x")
    raw[field_245 + 1] = 0x14
    path = write_bytes(tmp_path / "indicator.mrc", bytes(raw))

    [outcome] = read_records(path)

    assert isinstance(outcome, RejectedRecord)
    assert outcome.reason == (
        "field 245 has an indicator that is not a printable ASCII character (U+0014)"
    )


def test_file_that_is_not_marc_raises(tmp_path: Path) -> None:
    from marc import MarcFormatError

    path = write_bytes(tmp_path / "notes.txt", b"Dear colleagues, please find attached")

    with pytest.raises(MarcFormatError, match="neither a MARC record"):
        read_records(path)


@pytest.mark.parametrize("block_size", [1, 7, 64, 1 << 16])
def test_framing_does_not_depend_on_block_boundaries(block_size: int) -> None:
    records = _books(4)
    data = b"\n".join(records) + b"\x1a"

    cut = list(frames(io.BytesIO(data), block_size=block_size))

    assert [frame.data for frame in cut] == records
    assert [frame.offset for frame in cut] == [
        sum(len(r) + 1 for r in records[:n]) for n in range(4)
    ]


def test_oversized_run_without_terminator_is_cut_and_skipped() -> None:
    first, second = _books(2)
    data = first + b"9" * 5000 + b"\x1d" + second

    cut = list(frames(io.BytesIO(data), block_size=512, max_record_bytes=2000))

    assert [frame.kind for frame in cut] == ["record", "oversized", "record"]
    assert len(cut[1].data) == 2000
    assert cut[2].data == second


def test_non_ascii_leader_is_refused(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(book()))
    raw[7] = 0xE9
    path = write_bytes(tmp_path / "leader.mrc", bytes(raw))

    [outcome] = read_records(path)

    assert as_rejected(outcome).reason == (
        "the leader holds a byte that is not ASCII (0xE9 at position 7)"
    )
