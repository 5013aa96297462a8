"""How fast marc/ reads, checks, converts and writes, against plain pymarc.

    .venv/bin/python -m bench.marc [--records N]

Generates its own files in a temporary directory (MARC 21 in UTF-8 with Indonesian,
Cyrillic and accented text; RUSMARC-style UNIMARC in Cyrillic) and prints a Markdown
table of records per second. Every step streams the file one record at a time, as the
import does; the ratio column compares each step with pymarc's own parsing of the same
MARC 21 file, and the target is read + decode + check at 0.7 or more.
"""

import argparse
import importlib.metadata
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pymarc

from marc import (
    ReadRecord,
    check_record,
    read_records,
    record_xml,
    to_marc21,
    to_marc21_record,
    to_marcjson,
)

_WORDS = {
    "ind": "perpustakaan nasional sejarah koleksi naskah kuno budaya nusantara pendidikan".split(),
    "rus": "библиотека история развитие сборник статей культура наука образование".split(),
    "fre": "société linnéenne histoire théâtre élève général français musée".split(),
    "eng": "library national history collection manuscripts culture education".split(),
}
_NAMES = {
    "ind": ("Sulistyo-Basuki", "L."),
    "rus": ("Иванов", "Пётр"),
    "fre": ("Genevi\u0300eve", "Émile"),  # decomposed on purpose: it must come out NFC
    "eng": ("Smith", "John"),
}
_COUNTRY = {"ind": "io ", "rus": "ru ", "fre": "fr ", "eng": "xxk"}


def _field(tag: str, indicators: str, *subfields: tuple[str, str]) -> pymarc.Field:
    return pymarc.Field(
        tag=tag,
        indicators=pymarc.Indicators(indicators[0], indicators[1]),
        subfields=[pymarc.Subfield(code, value) for code, value in subfields],
    )


def _text(rng: random.Random, language: str, words: int) -> str:
    return " ".join(rng.choice(_WORDS[language]) for _ in range(words)).capitalize()


def marc21_record(number: int, rng: random.Random) -> pymarc.Record:
    """A MARC 21 book record of about 25 fields, like a national library's."""
    language = rng.choice(list(_WORDS))
    surname, forename = _NAMES[language]
    year = str(rng.randint(1900, 2024))
    record = pymarc.Record()
    record.leader = pymarc.Leader("00000nam a2200000 i 4500")
    fixed = f"240115s{year}    {_COUNTRY[language]}a     b    001 0 {language} d"
    record.add_field(
        pymarc.Field(tag="001", data=f"bench{number:08d}"),
        pymarc.Field(tag="003", data="ID-JaPN"),
        pymarc.Field(tag="005", data="20240115120000.0"),
        pymarc.Field(tag="008", data=fixed),
        _field("020", "  ", ("a", "9786028021443"), ("q", "paperback")),
        _field("035", "  ", ("a", f"(OCoLC){number + 1000000}")),
        _field("040", "  ", ("a", "ID-JaPN"), ("b", "ind"), ("c", "ID-JaPN"), ("e", "rda")),
        _field("041", "0 ", ("a", language)),
        _field("082", "04", ("a", "027.5598"), ("2", "23")),
        _field("100", "1 ", ("a", f"{surname}, {forename},"), ("e", "author.")),
        _field(
            "245",
            "10",
            ("a", _text(rng, language, 4) + " :"),
            ("b", _text(rng, language, 3) + " /"),
            ("c", f"{forename} {surname}."),
        ),
        _field("246", "30", ("a", _text(rng, language, 2))),
        _field("250", "  ", ("a", "Cetakan ke-2.")),
        _field("264", " 1", ("a", "Jakarta :"), ("b", "Perpustakaan Nasional RI,"), ("c", year)),
        _field("300", "  ", ("a", "xii, 320 pages :"), ("b", "illustrations ;"), ("c", "24 cm")),
        _field("336", "  ", ("a", "text"), ("b", "txt"), ("2", "rdacontent")),
        _field("337", "  ", ("a", "unmediated"), ("b", "n"), ("2", "rdamedia")),
        _field("338", "  ", ("a", "volume"), ("b", "nc"), ("2", "rdacarrier")),
        _field("490", "1 ", ("a", _text(rng, language, 2) + " ;"), ("v", str(number % 50))),
        _field("504", "  ", ("a", "Includes bibliographical references (pages 300-315).")),
        _field("520", "  ", ("a", _text(rng, language, 25) + ".")),
        _field("650", " 0", ("a", _text(rng, language, 2)), ("x", "History.")),
        _field("650", " 0", ("a", _text(rng, language, 1)), ("z", "Indonesia.")),
        _field("700", "1 ", ("a", "Rahman, Ahmad,"), ("e", "editor.")),
        _field("830", " 0", ("a", _text(rng, language, 2) + " ;"), ("v", str(number % 50))),
        _field("856", "40", ("u", f"https://example.org/record/{number}")),
    )
    return record


def unimarc_record(number: int, rng: random.Random) -> pymarc.Record:
    """A RUSMARC-style Cyrillic book record in UTF-8 (100$a/26-27 = 50)."""
    year = str(rng.randint(1900, 2024))
    record = pymarc.Record()
    record.leader = pymarc.Leader("00000nam0 2200000   450 ")
    record.add_field(
        pymarc.Field(tag="001", data=f"RU/NLR/bibl/{number}"),
        pymarc.Field(tag="005", data="20240115120000.0"),
        _field("010", "  ", ("a", "978-5-7749-0800-4"), ("b", "в пер.")),
        _field("100", "  ", ("a", f"20240115d{year}    k  y0rusy50      ca")),
        _field("101", "0 ", ("a", "rus")),
        _field("102", "  ", ("a", "RU")),
        _field("105", "  ", ("a", "a   z   000yy")),
        _field(
            "200",
            "1 ",
            ("a", _text(rng, "rus", 4)),
            ("e", _text(rng, "rus", 3)),
            ("f", "П. Иванов"),
        ),
        _field("205", "  ", ("a", "2-е изд.")),
        _field("210", "  ", ("a", "Москва"), ("c", "Наука"), ("d", year)),
        _field("215", "  ", ("a", "320 с."), ("c", "ил."), ("d", "22 см")),
        _field("225", "1 ", ("a", _text(rng, "rus", 2)), ("v", str(number % 50))),
        _field("320", "  ", ("a", "Библиогр.: с. 300-315")),
        _field("330", "  ", ("a", _text(rng, "rus", 25))),
        _field("606", "1 ", ("a", _text(rng, "rus", 2)), ("x", "История"), ("2", "nlr_sh")),
        _field("675", "  ", ("a", "02"), ("v", "4")),
        _field("686", "  ", ("a", "78.3"), ("2", "rubbks")),
        _field("700", " 1", ("a", "Иванов"), ("b", "П."), ("4", "070")),
        _field("702", " 1", ("a", "Петрова"), ("b", "А."), ("4", "340")),
        _field("801", " 0", ("a", "RU"), ("b", "NLR"), ("c", "20240115"), ("g", "RCR")),
        _field("856", "4 ", ("u", f"https://example.org/nlr/{number}")),
        _field("899", "  ", ("a", "NLR"), ("j", f"18.13.{number}")),
    )
    return record


def generate(path: Path, count: int, make: Callable[[int, random.Random], pymarc.Record]) -> None:
    rng = random.Random(5)
    with path.open("wb") as stream:
        for number in range(count):
            stream.write(to_marc21(make(number, rng)))


@dataclass
class Step:
    name: str
    records: int
    seconds: float


def _timed(name: str, run: Callable[[], int]) -> Step:
    start = time.perf_counter()
    records = run()
    return Step(name, records, time.perf_counter() - start)


def _pymarc_parse(path: Path) -> int:
    count = 0
    with path.open("rb") as stream:
        for record in pymarc.MARCReader(stream):
            if record is not None:
                count += 1
    return count


def _read(path: Path) -> Iterator[ReadRecord]:
    for outcome in read_records(path):
        if isinstance(outcome, ReadRecord):
            yield outcome


def _read_decode(path: Path) -> int:
    return sum(1 for _ in _read(path))


def _read_decode_check(path: Path) -> int:
    count = 0
    for outcome in _read(path):
        check_record(outcome.record, outcome.dialect)
        count += 1
    return count


def _read_convert(path: Path) -> int:
    count = 0
    for outcome in _read(path):
        to_marc21_record(outcome.record, outcome.dialect)
        count += 1
    return count


def _writing(path: Path, write: Callable[[pymarc.Record], object]) -> Step:
    """Time only the writing, while the file is read (untimed) one record at a time."""
    spent = 0.0
    count = 0
    for outcome in _read(path):
        start = time.perf_counter()
        write(outcome.record)
        spent += time.perf_counter() - start
        count += 1
    return Step("", count, spent)


def run(count: int) -> list[Step]:
    with tempfile.TemporaryDirectory() as folder:
        marc21 = Path(folder) / "marc21.mrc"
        unimarc = Path(folder) / "unimarc.mrc"
        generate(marc21, count, marc21_record)
        generate(unimarc, count, unimarc_record)
        steps = [
            _timed("raw pymarc parse (MARC 21, MARCReader)", lambda: _pymarc_parse(marc21)),
            _timed("read + decode (MARC 21)", lambda: _read_decode(marc21)),
            _timed("read + decode + check (MARC 21)", lambda: _read_decode_check(marc21)),
            _timed("read + decode (UNIMARC, Cyrillic)", lambda: _read_decode(unimarc)),
            _timed("read + decode + convert UNIMARC → MARC 21", lambda: _read_convert(unimarc)),
        ]
        for name, write in (
            ("write MARC 21 binary (UTF-8)", to_marc21),
            ("write MARCXML", record_xml),
            ("write MARC-in-JSON", to_marcjson),
        ):
            step = _writing(marc21, write)
            step.name = name
            steps.append(step)
        return steps


def table(steps: list[Step]) -> str:
    baseline = steps[0].records / steps[0].seconds
    lines = [
        "| step | records | seconds | records/s | × raw pymarc |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in steps:
        rate = step.records / step.seconds
        lines.append(
            f"| {step.name} | {step.records:,} | {step.seconds:.2f} | {rate:,.0f} | "
            f"{rate / baseline:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000, help="records per file")
    arguments = parser.parse_args(argv)
    steps = run(arguments.records)
    print(
        f"Python {platform.python_version()}, pymarc {importlib.metadata.version('pymarc')}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print()
    print(table(steps))
    read_check = steps[2].records / steps[2].seconds
    pymarc_rate = steps[0].records / steps[0].seconds
    print()
    print(f"read + decode + check / raw pymarc = {read_check / pymarc_rate:.2f} (target 0.70)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
