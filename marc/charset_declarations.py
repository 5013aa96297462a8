"""What a record says about its own character set, and how far to believe it.

MARC 21 declares UTF-8 or MARC-8 in Leader/09; UNIMARC declares its sets in field 100
$a positions 26-29 (RUSMARC adds Windows-1251, CP866 and KOI8-R codes). Both are often
wrong: exporters write UTF-8 and leave the old value in place. The declaration is
therefore only a first guess. Bytes that are valid UTF-8 are read as UTF-8 whatever
the record says, and bytes declared UTF-8 that are clearly legacy text are read in
the dialect's legacy set; either way the record carries a flag saying so.
"""

from dataclasses import dataclass

from marc.charsets import (
    ENCODING_NAMES,
    TextEncoding,
    can_decode,
    has_utf8_sequences,
    is_utf8,
    legacy_encoding,
)
from marc.outcomes import Dialect
from marc.text_errors import UndecodableText

# UNIMARC 100$a/26-27 (G0) and 28-29 (G1) codes; 79, 89 and 99 are RUSMARC's.
UNIMARC_CHARACTER_SETS: dict[str, TextEncoding] = {
    "01": "iso-5426",  # ISO 646 IRV, i.e. ASCII: a subset of the ISO 5426 reading
    "03": "iso-5426",
    "50": "utf-8",
    "79": "cp866",
    "89": "cp1251",
    "99": "koi8-r",
}
_UNIMARC_SET_NAMES = {
    "02": "ISO registration 37 (basic Cyrillic)",
    "04": "ISO 5427 (extended Cyrillic)",
    "05": "ISO 5428 (Greek)",
    "06": "ISO 6438 (African)",
    "07": "ISO 10586 (Georgian)",
    "08": "ISO 8957 (Hebrew), table 1",
    "09": "ISO 8957 (Hebrew), table 2",
    "11": "ISO 5426-2 (Latin, minor languages)",
}


@dataclass(frozen=True, slots=True)
class Declaration:
    """A record's own statement of its character set.

    ``encoding`` is None when nothing usable is declared; ``where`` and ``shown`` say
    what the record holds, in the words a cataloguer would look for.
    """

    encoding: TextEncoding | None
    where: str
    shown: str
    problem: str | None = None  # why the declaration cannot be used, if it cannot
    named: bool = False  # the caller named the file's character set; the record was not asked

    def described(self) -> str:
        """E.g. "Leader/09 is blank (MARC-8)"."""
        meaning = f" ({ENCODING_NAMES[self.encoding]})" if self.encoding else ""
        return f"{self.where} is {self.shown}{meaning}"


def named_declaration(encoding: TextEncoding) -> Declaration:
    """What stands for a record's declaration when the caller named the file's set."""
    return Declaration(
        encoding, "the character set named for the file", ENCODING_NAMES[encoding], named=True
    )


def marc21_declaration(leader: str) -> Declaration:
    value = leader[9]
    if value == "a":
        return Declaration("utf-8", "Leader/09", "'a'")
    if value == " ":
        return Declaration("marc-8", "Leader/09", "blank")
    return Declaration(
        "marc-8",
        "Leader/09",
        f"{value!r}",
        problem=f"Leader/09 is {value!r}, which is not a MARC 21 character coding value",
    )


def unimarc_declaration(field_100: bytes | None) -> Declaration:
    """Read 100$a/26-29 from the raw bytes of field 100 (which is ASCII by definition)."""
    if field_100 is None:
        return Declaration(None, "field 100", "missing", problem="the record has no field 100")
    value: bytes | None = None
    for part in field_100.split(b"\x1f")[1:]:
        if part[:1] == b"a":
            value = part[1:]
            break
    if value is None or len(value) < 28:
        return Declaration(
            None, "100$a/26-29", "missing", problem="field 100 $a is too short to hold 26-29"
        )
    codes = value[26:30].decode("latin-1")
    shown = f"'{codes}'"
    g0, g1 = codes[:2], codes[2:4]
    for code in (g1, g0):
        if code in ("79", "89", "99"):
            return Declaration(UNIMARC_CHARACTER_SETS[code], "100$a/26-29", shown)
    if g0 in UNIMARC_CHARACTER_SETS:
        if g1.strip() and g1 not in UNIMARC_CHARACTER_SETS:
            name = _UNIMARC_SET_NAMES.get(g1, f"code {g1}")
            return Declaration(
                None, "100$a/26-29", shown, problem=f"the G1 set is {name}, which is not read here"
            )
        return Declaration(UNIMARC_CHARACTER_SETS[g0], "100$a/26-29", shown)
    name = _UNIMARC_SET_NAMES.get(g0, f"code '{g0}'")
    return Declaration(None, "100$a/26-29", shown, problem=f"the G0 set is {name}")


@dataclass(frozen=True, slots=True)
class Choice:
    encoding: TextEncoding
    flags: tuple[str, ...] = ()


def first_choice(
    data: bytes, declaration: Declaration, dialect: Dialect, override: TextEncoding | None
) -> Choice:
    """The encoding to try first; ``fallback`` is asked if that one fails.

    A UTF-8 declaration is tried as is (that is the common, fast case); any other is
    checked against the bytes first, because legacy decoders accept almost anything.
    """
    if override is not None:
        return Choice(override)
    declared = declaration.encoding
    if data.isascii():
        return Choice(declared or "utf-8")  # ASCII reads the same in every set
    if declared == "utf-8":
        return Choice("utf-8")
    if is_utf8(data):
        if declared is None:
            return Choice(
                "utf-8", _unusable_declaration(declaration, "the text is UTF-8 and was read so")
            )
        return Choice(
            "utf-8",
            (f"{declaration.described()}, but the text is UTF-8; it was read as UTF-8",),
        )
    if declared is not None:
        return Choice(
            declared, _unusable_declaration(declaration, f"it was read as {_name(declared)}")
        )
    legacy = legacy_encoding(dialect)
    if can_decode(data, legacy):
        return Choice(
            legacy,
            _unusable_declaration(
                declaration, f"the text was read as {_name(legacy)}, the {dialect} default"
            ),
        )
    raise UndecodableText(
        f"the character set cannot be told: {declaration.problem or 'nothing is declared'}, "
        f"and the text is neither UTF-8 nor {_name(legacy)} (Windows-1251 or CP866, perhaps; "
        "the partner's character set can be named when the file is read)"
    )


def fallback(data: bytes, declaration: Declaration, dialect: Dialect) -> Choice | None:
    """When text declared UTF-8 is not: the legacy set, if the bytes are clearly legacy."""
    if declaration.encoding != "utf-8" or has_utf8_sequences(data):
        return None
    legacy = legacy_encoding(dialect)
    if not can_decode(data, legacy):
        return None
    return Choice(
        legacy,
        (f"{declaration.described()}, but the text is not UTF-8; it was read as {_name(legacy)}",),
    )


def _unusable_declaration(declaration: Declaration, outcome: str) -> tuple[str, ...]:
    """A flag for a declaration that could not be used (missing, or a value that means
    nothing), saying what was done instead; nothing for a usable one."""
    if declaration.problem is None:
        return ()
    return (f"{declaration.problem}; {outcome}",)


def _name(encoding: TextEncoding) -> str:
    return ENCODING_NAMES[encoding]
