"""Reading holds one record at a time, whatever the size of the file.

The import reads partner files of a million records; memory must not grow with the
file. Measured with tracemalloc over files of a few thousand records: the peak while
streaming stays far below what holding every record would take.
"""

import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from marc import marcjson_collection, marcxml_collection, read_records, to_marc21

from .records import book, cyrillic_book

COUNT = 3000
PEAK_LIMIT = 2 << 20  # holding all 3000 (small) records at once takes about 7 MiB


def _binary(records: Iterable[bytes]) -> Iterator[bytes]:
    yield from records


def _records() -> Iterator[bytes]:
    for number in range(COUNT):
        yield to_marc21(book(control_number=f"s{number}") if number % 2 else cyrillic_book())


@pytest.mark.parametrize(
    "writer", [_binary, marcxml_collection, marcjson_collection], ids=["binary", "xml", "json"]
)
def test_reading_streams_in_constant_memory(
    tmp_path: Path, writer: Callable[[Iterable[bytes]], Iterator[bytes]]
) -> None:
    path = tmp_path / "big"
    with path.open("wb") as stream:
        for chunk in writer(_records()):
            stream.write(chunk)

    tracemalloc.start()
    try:
        count = sum(1 for _ in read_records(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == COUNT
    assert peak < PEAK_LIMIT
