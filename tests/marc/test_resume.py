"""Reading from a resume point gives exactly the records after it, for every packaging."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymarc import Field, Indicators, Record, Subfield, XMLWriter

import marc


def _records(count: int) -> list[Record]:
    records = []
    for n in range(1, count + 1):
        record = Record(leader="00000nam a2200000 a 4500", force_utf8=True)
        record.add_field(Field(tag="001", data=f"r{n}"))
        record.add_field(
            Field(
                tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", f"Judul {n}")]
            )
        )
        records.append(record)
    return records


def _binary(path: Path, count: int) -> Path:
    with path.open("wb") as out:
        for n, record in enumerate(_records(count), 1):
            data = record.as_marc()
            out.write(b"garbage" + b"\x1d" if n == 4 else data)
    return path


def _xml(path: Path, count: int) -> Path:
    with path.open("wb") as out:
        writer = XMLWriter(out)
        for record in _records(count):
            writer.write(record)
        writer.close(close_fh=False)
    return path


@pytest.mark.parametrize("make", [_binary, _xml], ids=["iso2709", "marcxml"])
def test_resume_continues_where_a_read_stopped(tmp_path: Path, make: object) -> None:
    path = make(tmp_path / "f", 9)  # type: ignore[operator]
    everything = list(marc.read_records(path))
    resume_at = everything[5]  # the 6th record
    rest = list(marc.read_records(path, resume=marc.ResumePoint(resume_at.index, resume_at.offset)))
    assert [(r.index, r.offset) for r in rest] == [(r.index, r.offset) for r in everything[5:]]
    kinds = [type(r).__name__ for r in rest]
    assert kinds == [type(r).__name__ for r in everything[5:]]
