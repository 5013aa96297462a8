"""The UNIMARC (RUSMARC, BELMARC) to MARC 21 crosswalk: the one table it is defined by.

Every UNIMARC field the converter knows is a row here, with the MARC 21 field it
becomes, what happens to each subfield and to the indicators, and a note for
cataloguers. The converter reads its subfield maps from these rows, and
docs/marc-crosswalk.md is generated from them (``python -m marc.crosswalk_doc``), so
the documentation cannot drift from the code. Fixed positions (leader, 100, 105, 106,
110 into the leader and 008) are the second table, POSITIONS.

A UNIMARC field with no row, and a field with a subfield its row does not list, is
kept whole in MARC 21 field 886 (foreign MARC information), so nothing is dropped.
Facts come from the UNIMARC and RUSMARC manuals, the MARC 21 Bibliographic format and
the Library of Congress's UNIMARC to MARC 21 conversion specifications.
"""

from dataclasses import dataclass

# How a row's indicators are given: a literal character, or the source's own.
FROM_IND1 = "=1"
FROM_IND2 = "=2"
COMPUTED = "*"

_COMPUTED_BOTH = (COMPUTED, COMPUTED)
_SUBDIVISIONS = (("j", "v"), ("x", "x"), ("y", "z"), ("z", "y"), ("2", "2"), ("3", "0"))
_PERSON = (
    ("a", "a"),
    ("b", "a"),
    ("c", "c"),
    ("d", "b"),
    ("f", "d"),
    ("g", "q"),
    ("p", "u"),
    ("3", "0"),
    ("4", "4"),
    ("5", "5"),
)
_CORPORATE = (
    ("a", "a"),
    ("b", "b"),
    ("c", "a"),
    ("d", "n"),
    ("e", "c"),
    ("f", "d"),
    ("g", "a"),
    ("h", "a"),
    ("p", "u"),
    ("3", "0"),
    ("4", "4"),
    ("5", "5"),
)
_VARIANT_TITLE = (("a", "a"), ("e", "b"), ("h", "n"), ("i", "p"))
_VARIANT_PUNCTUATION = (("b", " :"), ("n", "."), ("p", ","))
_NUMBER = (("a", "a"), ("b", "q"), ("d", "c"), ("z", "z"))
_URI = tuple((code, code) for code in "abcdfhijklmnopqrstuvwxyz23")
_LOCATION = tuple((code, code) for code in "abcdefghijklmnpqstxyz")
_LINK_SUBFIELDS = (
    ("1", "embedded field"),
    ("a", "a"),
    ("t", "t"),
    ("e", "b"),
    ("c", "d"),
    ("n", "d"),
    ("d", "d"),
    ("p", "h"),
    ("v", "g"),
    ("h", "g"),
    ("x", "x"),
    ("y", "z"),
    ("0", "w"),
)


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """One UNIMARC field and the MARC 21 field it becomes.

    ``subfields`` pairs each source code the conversion uses with its target code
    (several sources may feed one target, joined with punctuation); ``indicators``
    gives the target's two indicators as a literal character, FROM_IND1/FROM_IND2
    for one of the source's, or COMPUTED when the conversion works it out (the note
    says how). ``conversion`` names the function in unimarc_fields that applies it.
    """

    source: str
    target: str
    conversion: str
    subfields: tuple[tuple[str, str], ...] = ()
    indicators: tuple[str, str] = (" ", " ")
    note: str = ""
    punctuation: tuple[tuple[str, str], ...] = ()  # (target code, ending the one before)
    constants: tuple[tuple[str, str], ...] = ()  # subfields added as they are


@dataclass(frozen=True, slots=True)
class PositionMapping:
    """A fixed position (or span) of the UNIMARC leader or a coded field, into MARC 21."""

    source: str
    target: str
    values: tuple[tuple[str, str], ...] = ()  # UNIMARC code -> MARC 21 code
    note: str = ""


def _same(*codes: str) -> tuple[tuple[str, str], ...]:
    """Subfields that keep their codes."""
    return tuple((code, code) for code in codes)


FIELDS: tuple[FieldMapping, ...] = (
    # 0-- Identification block
    FieldMapping(
        "001",
        "001",
        "control_number",
        note="Kept as the control number. When the partner's ISIL is known it also goes to "
        "003, and the number to 035 as (ISIL)number, so the source record can be found again.",
    ),
    FieldMapping(
        "003",
        "024",
        "persistent_identifier",
        indicators=("7", " "),
        note="The persistent record identifier (a URI) becomes 024 $a.",
        constants=(("2", "uri"),),
    ),
    FieldMapping("005", "005", "control_copy", note="Date and time of latest transaction."),
    FieldMapping(
        "010",
        "020",
        "subfields",
        _NUMBER,
        note="ISBN; $b qualification becomes $q, $d terms of availability $c, $z "
        "erroneous ISBN stays $z.",
    ),
    FieldMapping(
        "011",
        "022",
        "subfields",
        (("a", "a"), ("f", "l"), ("g", "m"), ("y", "z"), ("z", "y")),
        note="ISSN. UNIMARC $y (cancelled) and $z (erroneous) swap places in MARC 21 "
        "($z cancelled, $y incorrect); $f ISSN-L becomes $l.",
    ),
    FieldMapping("013", "024", "subfields", _NUMBER, ("2", " "), "ISMN."),
    FieldMapping("015", "027", "subfields", (("a", "a"), ("z", "z")), note="ISRN."),
    FieldMapping("016", "024", "subfields", _NUMBER, ("0", " "), "ISRC."),
    FieldMapping(
        "017",
        "024",
        "subfields",
        (*_NUMBER, ("2", "2")),
        ("7", " "),
        "Other standard identifier, with its source in $2.",
    ),
    FieldMapping(
        "020",
        "015",
        "subfields",
        (("a", "2"), ("b", "a"), ("z", "z")),
        note="National bibliography number; the UNIMARC country code stands as the source in $2.",
    ),
    FieldMapping(
        "021",
        "017",
        "subfields",
        (("a", "b"), ("b", "a"), ("z", "z")),
        note="Legal deposit number; the country code becomes the assigning agency $b.",
    ),
    FieldMapping(
        "022",
        "086",
        "subfields",
        (("a", "2"), ("b", "a"), ("z", "z")),
        note="Government publication number.",
    ),
    FieldMapping("035", "035", "subfields", (("a", "a"), ("z", "z")), note="Other system numbers."),
    FieldMapping("040", "030", "subfields", (("a", "a"), ("z", "z")), note="CODEN."),
    FieldMapping(
        "071",
        "028",
        "subfields",
        (("a", "a"), ("b", "b")),
        (FROM_IND1, "0"),
        "Publisher's number for music; the first indicator (type of number) uses the "
        "same codes in both formats.",
    ),
    FieldMapping("073", "024", "subfields", _NUMBER, ("3", " "), "EAN."),
    # 1-- Coded information block
    FieldMapping(
        "100",
        "008",
        "fixed_data",
        (("a", "008"),),
        _COMPUTED_BOTH,
        "General processing data becomes 008 (see the position table). The field is also "
        "kept in 886, since not every position has a MARC 21 equivalent.",
    ),
    FieldMapping(
        "101",
        "041",
        "language",
        (
            ("a", "a"),
            ("b", "k"),
            ("c", "h"),
            ("d", "b"),
            ("e", "f"),
            ("h", "e"),
            ("i", "g"),
            ("j", "j"),
        ),
        (COMPUTED, " "),
        "Language codes (ISO 639-2, which MARC 21 shares). The first $a also goes to "
        "008/35-37. Fill characters (|||) and blanks are not languages and are left out; "
        "a 101 with nothing else gives no 041. First indicator: 0 (original language) "
        "stays 0, 1 (translation) and 2 (contains translations) become 1.",
    ),
    FieldMapping(
        "102",
        "044",
        "country",
        (("a", "c"), ("b", "b"), ("c", "b"), ("2", "2")),
        note="The ISO 3166 country code goes to $c as it is, and its MARC country code to $a "
        "and 008/15-17 (xx when it has none).",
    ),
    FieldMapping(
        "105",
        "008",
        "fixed_data",
        (("a", "008"),),
        _COMPUTED_BOTH,
        "Coded data for books becomes 008/18-34 (see the position table); also kept in 886.",
    ),
    FieldMapping(
        "106",
        "008",
        "fixed_data",
        (("a", "008"),),
        _COMPUTED_BOTH,
        "Form of item becomes 008/23; also kept in 886.",
    ),
    FieldMapping(
        "110",
        "008",
        "fixed_data",
        (("a", "008"),),
        _COMPUTED_BOTH,
        "Coded data for continuing resources becomes 008/18-21; also kept in 886.",
    ),
    # 2-- Descriptive information block
    FieldMapping(
        "200",
        "245",
        "title",
        (
            ("a", "a"),
            ("b", "h"),
            ("c", "a"),
            ("d", "b"),
            ("e", "b"),
            ("f", "c"),
            ("g", "c"),
            ("h", "n"),
            ("i", "p"),
            ("v", "n"),
        ),
        (COMPUTED, COMPUTED),
        "ISBD punctuation is supplied: $e other title information follows ' :', $d parallel "
        "title ' =', $f first statement of responsibility ' /', $g and further $f ' ;'; "
        "$b general material designation becomes $h in brackets; a repeated $a (another "
        "title by the same author) follows ' ;' in $b, and $c (a title by another author) "
        "follows '. '. First indicator 1 when the record has a main entry (1XX), else 0; "
        "second indicator counts the characters between the non-sort markers at the start "
        "of $a, which are removed. A second 200 (not repeatable) is kept in 886.",
    ),
    FieldMapping(
        "205",
        "250",
        "edition",
        (("a", "a"), ("b", "a"), ("d", "a"), ("f", "b"), ("g", "b")),
        note="Edition statement; $b additional statement follows ', ', $d parallel ' = ', "
        "$f responsibility goes to $b after ' /', $g after ' ;'.",
    ),
    FieldMapping("206", "255", "subfields", _same("a"), note="Cartographic mathematical data."),
    FieldMapping(
        "207",
        "362",
        "subfields",
        (("a", "a"), ("z", "z")),
        ("0", " "),
        "Numbering of continuing resources.",
    ),
    FieldMapping("208", "254", "subfields", _same("a"), note="Musical presentation statement."),
    FieldMapping(
        "210",
        "264",
        "publication",
        (("a", "a"), ("c", "b"), ("d", "c"), ("e", "a"), ("g", "b"), ("h", "c")),
        (" ", COMPUTED),
        "Publication (264 second indicator 1) with ISBD punctuation: place ' :' publisher "
        "',' date '.'. Place, name and date of manufacture ($e $g $h) become a second 264 "
        "with second indicator 3. When 210 second indicator is 1 (not published), the "
        "first 264 is production (0).",
    ),
    FieldMapping("211", "263", "subfields", _same("a"), note="Projected publication date."),
    FieldMapping(
        "214",
        "264",
        "publication",
        (("a", "a"), ("c", "b"), ("d", "c")),
        (" ", FROM_IND2),
        "Publication, production, distribution, manufacture and copyright (UNIMARC 2012): "
        "the second indicator uses the same codes as 264's.",
    ),
    FieldMapping(
        "215",
        "300",
        "extent",
        (("a", "a"), ("c", "b"), ("d", "c"), ("e", "e")),
        note="Physical description with ISBD punctuation: other details after ' :', "
        "dimensions after ' ;', accompanying material after ' +'.",
    ),
    FieldMapping(
        "225",
        "490",
        "series",
        (
            ("a", "a"),
            ("d", "a"),
            ("e", "a"),
            ("f", "a"),
            ("h", "a"),
            ("i", "a"),
            ("v", "v"),
            ("x", "x"),
        ),
        ("0", " "),
        "Series statement. 490 $a holds the title with its other title information (' : '), "
        "parallel title (' = '), responsibility (' / ') and part ('. '); the volume follows "
        "' ;' in $v and the ISSN ',' in $x. Not traced (first indicator 0): the series "
        "link itself comes from 410 (760).",
    ),
    FieldMapping(
        "230", "256", "subfields", _same("a"), note="Electronic resource characteristics."
    ),
    # 3-- Notes block
    FieldMapping("300", "500", "subfields", _same("a"), note="General note."),
    FieldMapping("301", "500", "subfields", _same("a"), note="Note on identification numbers."),
    FieldMapping("302", "500", "subfields", _same("a"), note="Note on coded information."),
    FieldMapping("303", "500", "subfields", _same("a"), note="Note on descriptive information."),
    FieldMapping("304", "500", "subfields", _same("a"), note="Note on title and responsibility."),
    FieldMapping("305", "500", "subfields", _same("a"), note="Note on edition and history."),
    FieldMapping("306", "500", "subfields", _same("a"), note="Note on publication."),
    FieldMapping("307", "500", "subfields", _same("a"), note="Note on physical description."),
    FieldMapping("308", "500", "subfields", _same("a"), note="Note on series."),
    FieldMapping("310", "500", "subfields", _same("a"), note="Note on binding and availability."),
    FieldMapping("311", "580", "subfields", _same("a"), note="Note on linking fields."),
    FieldMapping("312", "500", "subfields", _same("a"), note="Note on related titles."),
    FieldMapping("313", "500", "subfields", _same("a"), note="Note on subject access."),
    FieldMapping(
        "314", "500", "subfields", _same("a"), note="Note on intellectual responsibility."
    ),
    FieldMapping("315", "500", "subfields", _same("a"), note="Note on resource type."),
    FieldMapping(
        "316",
        "500",
        "subfields",
        _same("a", "5"),
        note="Note on the copy in hand; $5 (the institution holding it) stays $5.",
    ),
    FieldMapping("317", "561", "subfields", _same("a", "5"), note="Provenance note."),
    FieldMapping("320", "504", "subfields", _same("a"), note="Bibliography and index note."),
    FieldMapping(
        "321",
        "510",
        "subfields",
        (("a", "a"), ("b", "b"), ("c", "c"), ("u", "u"), ("x", "x")),
        ("4", " "),
        "Note on indexes, abstracts and references to published descriptions.",
    ),
    FieldMapping("322", "508", "subfields", _same("a"), note="Credits note."),
    FieldMapping("323", "511", "subfields", _same("a"), ("0", " "), "Performers note."),
    FieldMapping("324", "534", "subfields", (("a", "n"),), note="Original version note."),
    FieldMapping("325", "533", "subfields", (("a", "n"),), note="Reproduction note."),
    FieldMapping("326", "310", "subfields", _same("a", "b"), note="Frequency statement."),
    FieldMapping(
        "327",
        "505",
        "contents",
        _same("a"),
        (COMPUTED, " "),
        "Contents; the parts in repeated $a are joined with ' -- '. First indicator: "
        "UNIMARC 0 (incomplete) becomes 1, 1 (complete) 0, 2 (partial) 2.",
    ),
    FieldMapping(
        "328",
        "502",
        "subfields",
        (("a", "a"), ("b", "b"), ("c", "g"), ("d", "d"), ("e", "c")),
        note="Dissertation note: degree $b, discipline to $g, date $d, granting body $c.",
    ),
    FieldMapping("330", "520", "subfields", _same("a"), note="Summary or abstract."),
    FieldMapping("332", "524", "subfields", _same("a"), note="Preferred citation."),
    FieldMapping("333", "521", "subfields", _same("a"), note="Users / intended audience note."),
    FieldMapping("334", "586", "subfields", _same("a"), note="Awards note."),
    FieldMapping("336", "516", "subfields", _same("a"), note="Type of electronic resource."),
    FieldMapping("337", "538", "subfields", _same("a"), note="System requirements."),
    # 4-- Linking entry block
    *(
        FieldMapping(
            source,
            target,
            "link",
            _LINK_SUBFIELDS,
            ("0", second),
            f"{name}. Embedded fields ($1) become subfields: 001 $w, 200 $a $t, 7XX $a $a, "
            "205 $b (the whole edition statement, punctuated as in 250), 210 $d, 215 $h, "
            "225 $k, 010 $z, 011 $x, 500 $s; $v volume becomes $g.",
            constants=(("i", label),) if label else (),
        )
        for source, target, second, name, label in (
            ("410", "760", " ", "Series", ""),
            ("411", "762", " ", "Subseries", ""),
            ("421", "770", " ", "Supplement", ""),
            ("422", "772", " ", "Parent of supplement", ""),
            ("423", "777", " ", "Issued with", ""),
            ("424", "787", " ", "Is updated by", "Is updated by"),
            ("425", "787", " ", "Updates", "Updates"),
            ("430", "780", "0", "Continues", ""),
            ("431", "780", "1", "Continues in part", ""),
            ("432", "780", "2", "Supersedes", ""),
            ("433", "780", "3", "Supersedes in part", ""),
            ("434", "780", "4", "Absorbed", ""),
            ("435", "780", "5", "Absorbed in part", ""),
            ("436", "780", "4", "Formed by merger of", ""),
            ("437", "780", "7", "Separated from", ""),
            ("440", "785", "0", "Continued by", ""),
            ("441", "785", "1", "Continued in part by", ""),
            ("442", "785", "2", "Superseded by", ""),
            ("443", "785", "3", "Superseded in part by", ""),
            ("444", "785", "4", "Absorbed by", ""),
            ("445", "785", "5", "Absorbed in part by", ""),
            ("446", "785", "6", "Split into", ""),
            ("447", "785", "7", "Merged with ... to form", ""),
            ("448", "785", "8", "Changed back to", ""),
            ("451", "775", " ", "Other edition in the same medium", ""),
            ("452", "776", " ", "Edition in a different medium", ""),
            ("453", "767", " ", "Translated as", ""),
            ("454", "765", " ", "Translation of", ""),
            ("455", "787", " ", "Reproduction of", "Reproduction of"),
            ("456", "787", " ", "Reproduced as", "Reproduced as"),
            ("461", "773", " ", "Set (host item)", ""),
            ("462", "774", " ", "Subset", ""),
            ("463", "773", " ", "Single volume (host item)", ""),
            ("464", "774", " ", "Analytic (constituent unit)", ""),
            ("470", "787", " ", "Item reviewed", "Review of"),
            ("481", "787", " ", "Also bound in this volume", "Also bound in this volume"),
            ("482", "787", " ", "Bound with", "Bound with"),
            ("488", "787", " ", "Other related work", ""),
        )
    ),
    # 5-- Related title block
    FieldMapping(
        "500",
        "240",
        "uniform_title",
        (
            ("a", "a"),
            ("h", "n"),
            ("i", "p"),
            ("k", "f"),
            ("l", "k"),
            ("m", "l"),
            ("n", "g"),
            ("q", "s"),
            ("r", "m"),
            ("s", "n"),
            ("u", "r"),
            ("w", "o"),
            ("3", "0"),
        ),
        (FROM_IND1, COMPUTED),
        "Uniform title: 240 when the record has a main entry (1XX), otherwise 130 (whose "
        "first indicator then holds the non-filing characters). Non-sort markers give the "
        "non-filing count.",
    ),
    FieldMapping(
        "501",
        "243",
        "subfields",
        (("a", "a"), ("k", "f"), ("m", "l"), ("3", "0")),
        ("1", "0"),
        "Collective uniform title.",
    ),
    *(
        FieldMapping(
            source,
            "246",
            "subfields",
            _VARIANT_TITLE,
            ("1", second),
            name,
            punctuation=_VARIANT_PUNCTUATION,
        )
        for source, second, name in (
            ("510", "1", "Parallel title proper."),
            ("512", "4", "Cover title."),
            ("513", "5", "Added title-page title."),
            ("514", "6", "Caption title."),
            ("515", "7", "Running title."),
            ("516", "8", "Spine title."),
            ("517", " ", "Other variant title."),
            ("518", " ", "Title in standard modern spelling."),
            ("532", " ", "Expanded title."),
        )
    ),
    FieldMapping(
        "520",
        "247",
        "subfields",
        (*_VARIANT_TITLE, ("j", "f"), ("x", "x")),
        ("1", "0"),
        "Former title of a continuing resource.",
        punctuation=_VARIANT_PUNCTUATION,
    ),
    FieldMapping("530", "222", "subfields", _same("a", "b"), (" ", "0"), "Key title."),
    FieldMapping("531", "210", "subfields", _same("a", "b"), ("0", " "), "Abbreviated title."),
    FieldMapping(
        "540",
        "740",
        "subfields",
        (("a", "a"), ("h", "n"), ("i", "p")),
        ("0", " "),
        "Additional title supplied by the cataloguer.",
    ),
    FieldMapping(
        "541",
        "242",
        "subfields",
        (*_VARIANT_TITLE, ("z", "y")),
        ("0", "0"),
        "Translated title supplied by the cataloguer; its language code $z becomes $y.",
        punctuation=_VARIANT_PUNCTUATION,
    ),
    # 6-- Subject analysis block
    FieldMapping(
        "600",
        "600",
        "personal_name",
        (*_PERSON, *_SUBDIVISIONS),
        (COMPUTED, COMPUTED),
        "Personal name as subject, in the heading form (see Name headings): '$a, $g' "
        "(national) or '$a, $b' with $g (fuller forename) in $q in parentheses (LC). $d "
        "(roman numerals) becomes $b, $f (dates) $d, $3 (authority number) $0. "
        "Subdivisions: $j form to $v, $x stays, $y place to $z, $z period to $y. First "
        "indicator: UNIMARC second indicator 1 (surname) gives 1, 0 (forename or direct "
        "order) 0. Second indicator 7 with $2 when the thesaurus is named, else 4.",
    ),
    FieldMapping(
        "601",
        "610",
        "corporate_name",
        (*_CORPORATE, *_SUBDIVISIONS),
        (COMPUTED, COMPUTED),
        "Corporate body as subject; a meeting (UNIMARC first indicator 1) becomes 611. "
        "Subfields as in 710; subdivisions and second indicator as in 600.",
    ),
    FieldMapping(
        "602",
        "600",
        "family_name",
        (("a", "a"), ("f", "d"), *_SUBDIVISIONS),
        ("3", COMPUTED),
        "Family name as subject (first indicator 3).",
    ),
    FieldMapping(
        "604",
        "600",
        "name_title_subject",
        (("1", "embedded field"), ("a", "a"), ("t", "t"), *_SUBDIVISIONS),
        (COMPUTED, COMPUTED),
        "Name and title as subject: the embedded name field ($1 70X/71X) gives $a, the "
        "embedded title (500 or 200) $t.",
    ),
    FieldMapping(
        "605",
        "630",
        "subject",
        (
            ("a", "a"),
            ("h", "n"),
            ("i", "p"),
            ("k", "f"),
            ("l", "k"),
            ("m", "l"),
            ("n", "g"),
            ("q", "s"),
            *_SUBDIVISIONS,
        ),
        ("0", COMPUTED),
        "Title as subject.",
    ),
    FieldMapping(
        "606",
        "650",
        "subject",
        (("a", "a"), *_SUBDIVISIONS),
        (FROM_IND1, COMPUTED),
        "Topical subject. The first indicator (level: 0 none, 1 primary, 2 secondary) "
        "uses the same codes.",
    ),
    FieldMapping(
        "607",
        "651",
        "subject",
        (("a", "a"), *_SUBDIVISIONS),
        (" ", COMPUTED),
        "Geographical name as subject.",
    ),
    FieldMapping(
        "608",
        "655",
        "subject",
        (("a", "a"), *_SUBDIVISIONS),
        (" ", COMPUTED),
        "Form, genre or physical characteristics.",
    ),
    FieldMapping(
        "610",
        "653",
        "subfields",
        _same("a"),
        (FROM_IND1, " "),
        "Uncontrolled subject terms (much used in RUSMARC); the level indicator keeps its codes.",
    ),
    FieldMapping(
        "617",
        "662",
        "subfields",
        (*_same("a", "b", "c", "d"), ("2", "2"), ("3", "0")),
        note="Hierarchical place name.",
    ),
    FieldMapping("620", "752", "subfields", _same("a", "b", "c", "d"), note="Place access."),
    FieldMapping("660", "043", "subfields", _same("a"), note="Geographic area code."),
    FieldMapping("661", "045", "subfields", _same("a"), note="Time period code."),
    FieldMapping(
        "675",
        "080",
        "subfields",
        (("a", "a"), ("v", "2")),
        note="Universal Decimal Classification; the edition $v becomes $2.",
    ),
    FieldMapping(
        "676",
        "082",
        "subfields",
        (("a", "a"), ("v", "2")),
        ("0", "4"),
        "Dewey Decimal Classification; the edition $v becomes $2.",
    ),
    FieldMapping(
        "680",
        "050",
        "subfields",
        _same("a", "b"),
        (" ", "4"),
        "Library of Congress Classification.",
    ),
    FieldMapping(
        "686",
        "084",
        "subfields",
        (("a", "a"), ("b", "b"), ("2", "2")),
        note="Other class numbers, with the scheme in $2 (BBK in RUSMARC and BELMARC: "
        "rubbk, rubbks).",
    ),
    # 7-- Intellectual responsibility block
    FieldMapping(
        "700",
        "100",
        "personal_name",
        _PERSON,
        (COMPUTED, " "),
        "Primary responsibility becomes the main entry, in the heading form (see Name "
        "headings): '$a, $g' with a relator term in $e (national) or '$a, $b' with $g "
        "(fuller forename) in $q in parentheses (LC). $d (roman numerals) becomes $b, $c "
        "stays, $f (dates) $d, $p (affiliation) $u, $3 $0; relator codes $4 become MARC "
        "relator codes (see the relator table). First indicator from the UNIMARC second: 1 "
        "(surname) or 0 (forename, direct order).",
    ),
    FieldMapping(
        "701",
        "700",
        "personal_name",
        _PERSON,
        (COMPUTED, " "),
        "Alternative responsibility, as 700.",
    ),
    FieldMapping(
        "702",
        "700",
        "personal_name",
        _PERSON,
        (COMPUTED, " "),
        "Secondary responsibility, as 700.",
    ),
    FieldMapping(
        "710",
        "110",
        "corporate_name",
        _CORPORATE,
        (FROM_IND2, " "),
        "Corporate body, primary responsibility; a meeting (first indicator 1) becomes 111. "
        "$c (qualifier) is added to the name in parentheses, $g and $h (inverted element, "
        "rest of the name) follow ', ', $d number of meeting becomes $n, $e place $c, $f "
        "date $d. In the national heading form a relator term goes in $e ($j for a "
        "meeting) beside $4, and no period before $b. First indicator: the UNIMARC "
        "second (0 inverted, 1 jurisdiction, 2 direct order) uses the same codes.",
    ),
    FieldMapping(
        "711",
        "710",
        "corporate_name",
        _CORPORATE,
        (FROM_IND2, " "),
        "Corporate body, alternative responsibility (711 for a meeting), as 710.",
    ),
    FieldMapping(
        "712",
        "710",
        "corporate_name",
        _CORPORATE,
        (FROM_IND2, " "),
        "Corporate body, secondary responsibility (711 for a meeting), as 710.",
    ),
    FieldMapping(
        "720",
        "100",
        "family_name",
        (("a", "a"), ("f", "d"), ("3", "0"), ("4", "4")),
        ("3", " "),
        "Family name, primary responsibility; in the national heading form a relator term "
        "goes in $e beside $4, and no comma before $d.",
    ),
    FieldMapping(
        "721",
        "700",
        "family_name",
        (("a", "a"), ("f", "d"), ("3", "0"), ("4", "4")),
        ("3", " "),
        "Family name, alternative responsibility.",
    ),
    FieldMapping(
        "722",
        "700",
        "family_name",
        (("a", "a"), ("f", "d"), ("3", "0"), ("4", "4")),
        ("3", " "),
        "Family name, secondary responsibility.",
    ),
    FieldMapping(
        "730",
        "720",
        "subfields",
        (("a", "a"), ("4", "4")),
        note="Name of an entity responsible, uncontrolled.",
    ),
    # 8-- International use block
    FieldMapping(
        "801",
        "040",
        "cataloguing_source",
        (("a", "886"), ("b", "a"), ("g", "e"), ("2", "886")),
        note="All 801 fields make one 040: the agency ($b) of the 801 with second indicator "
        "0 goes to $a, 1 to $c, 2 to $d (repeated); $g cataloguing rules to $e; the "
        "language of cataloguing (100$a/22-24) to $b. $2 (the format, e.g. rusmarc) names "
        "the source format in 886 $2. Dates ($c) have no place in 040, so the 801 fields "
        "are also kept in 886.",
    ),
    FieldMapping(
        "852",
        "852",
        "subfields",
        _LOCATION,
        (FROM_IND1, FROM_IND2),
        "Location and call number (RUSMARC, BELMARC): same subfields.",
    ),
    FieldMapping(
        "856",
        "856",
        "subfields",
        _URI,
        (FROM_IND1, FROM_IND2),
        "Electronic location and access: same subfields and indicators.",
    ),
)

POSITIONS: tuple[PositionMapping, ...] = (
    PositionMapping(
        "Leader/05",
        "Leader/05",
        (("c", "c"), ("d", "d"), ("n", "n"), ("o", "n"), ("p", "p")),
        "Record status; 'o' (previously issued higher level record) becomes 'n'.",
    ),
    PositionMapping(
        "Leader/06",
        "Leader/06",
        (
            ("a", "a"),
            ("b", "t"),
            ("c", "c"),
            ("d", "d"),
            ("e", "e"),
            ("f", "f"),
            ("g", "g"),
            ("i", "i"),
            ("j", "j"),
            ("k", "k"),
            ("l", "m"),
            ("m", "o"),
            ("r", "r"),
        ),
        "Type of record: manuscript text b becomes t, electronic resource l becomes m, "
        "multimedia m becomes o (kit).",
    ),
    PositionMapping(
        "Leader/07",
        "Leader/07",
        (("a", "a"), ("c", "c"), ("i", "i"), ("m", "m"), ("s", "s")),
        "Bibliographic level; same codes.",
    ),
    PositionMapping(
        "Leader/08", "Leader/08", (), "Hierarchical level has no MARC 21 place: blank."
    ),
    PositionMapping("Leader/09", "Leader/09", (), "Always 'a': the record is written in UTF-8."),
    PositionMapping(
        "Leader/17",
        "Leader/17",
        (("#", "#"), ("1", "1"), ("2", "8"), ("3", "7")),
        "Encoding level: full stays full, sublevel 2 (prepublication) becomes 8, sublevel 3 "
        "becomes 7 (minimal); anything else becomes u.",
    ),
    PositionMapping(
        "Leader/18", "Leader/18", (), "Always 'i': ISBD punctuation is supplied by the conversion."
    ),
    PositionMapping("100$a/00-07", "008/00-05", (), "Date entered on file, YYYYMMDD to YYMMDD."),
    PositionMapping(
        "100$a/08",
        "008/06",
        (
            ("a", "c"),
            ("b", "d"),
            ("c", "u"),
            ("d", "s"),
            ("e", "r"),
            ("f", "q"),
            ("g", "m"),
            ("h", "t"),
            ("i", "p"),
            ("j", "e"),
            ("k", "s"),
            ("u", "n"),
        ),
        "Type of publication date.",
    ),
    PositionMapping("100$a/09-12", "008/07-10", (), "Date 1; blanks in a known date become u."),
    PositionMapping("100$a/13-16", "008/11-14", (), "Date 2."),
    PositionMapping(
        "100$a/17",
        "008/22",
        (
            ("a", "j"),
            ("b", "a"),
            ("c", "b"),
            ("d", "c"),
            ("e", "d"),
            ("k", "e"),
            ("m", "g"),
            ("u", "#"),
        ),
        "Target audience (books); the first of the three codes decides.",
    ),
    PositionMapping(
        "100$a/20",
        "008/28",
        (
            ("a", "f"),
            ("b", "s"),
            ("c", "c"),
            ("d", "l"),
            ("e", "z"),
            ("f", "i"),
            ("g", "o"),
            ("h", "u"),
            ("u", "u"),
            ("y", "#"),
            ("z", "o"),
        ),
        "Government publication (books and continuing resources).",
    ),
    PositionMapping("100$a/22-24", "040 $b", (), "Language of cataloguing."),
    PositionMapping(
        "100$a/26-29",
        "Leader/09",
        (),
        "Character sets: used to decode the record (see the character set notes), then "
        "the record is written in UTF-8.",
    ),
    PositionMapping("101 $a (first)", "008/35-37", (), "Language of the text."),
    PositionMapping(
        "102 $a (first)", "008/15-17", (), "Place of publication, as a MARC country code."
    ),
    PositionMapping(
        "105$a/00-03",
        "008/18-21",
        (
            ("a", "a"),
            ("b", "b"),
            ("c", "c"),
            ("d", "d"),
            ("e", "e"),
            ("f", "f"),
            ("g", "g"),
            ("h", "h"),
            ("i", "i"),
            ("j", "j"),
            ("k", "k"),
            ("l", "l"),
            ("m", "m"),
            ("o", "p"),
            ("y", "#"),
        ),
        "Illustration codes (books); illuminations o become p, y (none) blank.",
    ),
    PositionMapping(
        "105$a/04-07",
        "008/24-27",
        (
            ("a", "b"),
            ("b", "c"),
            ("c", "i"),
            ("d", "a"),
            ("e", "d"),
            ("f", "e"),
            ("g", "r"),
            ("i", "s"),
            ("k", "j"),
            ("l", "u"),
            ("m", "m"),
            ("n", "l"),
            ("o", "n"),
            ("p", "t"),
            ("y", "#"),
        ),
        "Form of contents codes (books).",
    ),
    PositionMapping("105$a/08", "008/29", (("0", "0"), ("1", "1")), "Conference publication."),
    PositionMapping("105$a/09", "008/30", (("0", "0"), ("1", "1")), "Festschrift."),
    PositionMapping("105$a/10", "008/31", (("0", "0"), ("1", "1")), "Index."),
    PositionMapping(
        "105$a/11",
        "008/33",
        (
            ("a", "1"),
            ("b", "d"),
            ("c", "e"),
            ("d", "h"),
            ("e", "i"),
            ("f", "j"),
            ("g", "p"),
            ("h", "s"),
            ("y", "0"),
            ("z", "m"),
        ),
        "Literature code (books).",
    ),
    PositionMapping(
        "105$a/12",
        "008/34",
        (("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"), ("y", "#")),
        "Biography code (books).",
    ),
    PositionMapping(
        "106$a/0",
        "008/23",
        (
            ("d", "d"),
            ("e", "e"),
            ("f", "f"),
            ("g", "b"),
            ("h", "#"),
            ("i", "#"),
            ("j", "#"),
            ("r", "r"),
            ("s", "s"),
            ("t", "b"),
            ("z", "#"),
        ),
        "Form of item (books).",
    ),
    PositionMapping(
        "110$a/0",
        "008/21",
        (("a", "p"), ("b", "m"), ("c", "n"), ("e", "l"), ("f", "d"), ("g", "w"), ("z", "#")),
        "Type of continuing resource.",
    ),
    PositionMapping(
        "110$a/1",
        "008/18",
        (
            ("a", "d"),
            ("b", "c"),
            ("c", "w"),
            ("d", "e"),
            ("e", "s"),
            ("f", "m"),
            ("g", "b"),
            ("h", "q"),
            ("i", "t"),
            ("j", "f"),
            ("k", "a"),
            ("l", "g"),
            ("m", "h"),
            ("n", "i"),
            ("o", "j"),
            ("p", "k"),
            ("u", "u"),
            ("y", "#"),
            ("z", "z"),
        ),
        "Frequency of continuing resources.",
    ),
    PositionMapping(
        "110$a/2",
        "008/19",
        (("a", "r"), ("b", "n"), ("u", "u"), ("y", "x")),
        "Regularity of continuing resources.",
    ),
    PositionMapping(
        "(none)", "008/38-39", (), "Modified record blank; cataloguing source 'd' (other)."
    ),
)

# Fields whose source is always kept in 886 as well, because MARC 21 has no place for
# part of what they hold.
ALSO_KEPT = frozenset({"100", "105", "106", "110", "801"})

BY_SOURCE: dict[str, FieldMapping] = {mapping.source: mapping for mapping in FIELDS}
POSITION_VALUES: dict[str, dict[str, str]] = {
    position.source: {
        source.replace("#", " "): target.replace("#", " ") for source, target in position.values
    }
    for position in POSITIONS
}
