"""The MARC 21 bibliographic rules the record checks apply, as data.

Taken from the MARC 21 Format for Bibliographic Data; only tags that partners commonly
send are listed, so a tag missing here is not checked rather than reported.
"""

# Leader positions and the values MARC 21 bibliographic records may hold there.
LEADER_VALUES: dict[int, tuple[str, str]] = {
    5: ("record status", "acdnp"),
    6: ("type of record", "acdefgijkmoprt"),
    7: ("bibliographic level", "abcdims"),
    8: ("type of control", " a"),
    9: ("character coding scheme", " a"),
    17: ("encoding level", " 1234578uz"),
    18: ("descriptive cataloguing form", " acinu"),
    19: ("multipart resource record level", " abc"),
}

BIBLIOGRAPHIC_TYPES = LEADER_VALUES[6][1]
# Leader/06 of the other MARC 21 formats (holdings, classification, authority, community).
OTHER_FORMAT_TYPES = "uvxywqz"

NOT_REPEATABLE = frozenset(
    "001 003 005 008 010 018 036 038 040 042 043 044 045 066 100 110 111 130 240 243 245 "
    "254 256 263 306 357 384 507 514 841 842 844 882".split()
)

_DIGITS = "0123456789"
_LINK = ("01", " 8")

# Allowed first and second indicator values; " " is blank.
INDICATORS: dict[str, tuple[str, str]] = {
    "010": (" ", " "),
    "015": (" ", " "),
    "017": (" 8", " "),
    "020": (" ", " "),
    "022": (" 01", " "),
    "024": ("0123478", " 01"),
    "028": ("0123456", "0123"),
    "035": (" ", " "),
    "040": (" ", " "),
    "041": (" 01", " 7"),
    "043": (" ", " "),
    "044": (" ", " "),
    "050": (" 01", "04"),
    "080": (" 01", " "),
    "082": ("017", " 04"),
    "084": (" ", " "),
    "100": ("013", " "),
    "110": ("012", " "),
    "111": ("012", " "),
    "130": (_DIGITS, " "),
    "210": ("01", " 0"),
    "222": (" ", _DIGITS),
    "240": ("01", _DIGITS),
    "242": ("01", _DIGITS),
    "245": ("01", _DIGITS),
    "246": ("0123", " 012345678"),
    "247": ("01", "01"),
    "250": (" ", " "),
    "254": (" ", " "),
    "255": (" 0", " "),
    "256": (" ", " "),
    "260": (" 23", " "),
    "263": (" ", " "),
    "264": (" 23", "01234"),
    "300": (" ", " "),
    "310": (" ", " "),
    "336": (" ", " "),
    "337": (" ", " "),
    "338": (" ", " "),
    "362": ("01", " "),
    "490": ("01", " "),
    "500": (" ", " "),
    "502": (" ", " "),
    "504": (" ", " "),
    "505": ("0128", " 0"),
    "508": (" ", " "),
    "510": ("01234", " "),
    "511": ("01", " "),
    "520": (" 012348", " "),
    "533": (" ", " "),
    "534": (" ", " "),
    "546": (" ", " "),
    "561": (" 01", " "),
    "580": (" ", " "),
    "586": (" 8", " "),
    "600": ("013", "01234567"),
    "610": ("012", "01234567"),
    "611": ("012", "01234567"),
    "630": (_DIGITS, "01234567"),
    "650": (" 012", "01234567"),
    "651": (" ", "01234567"),
    "653": (" 012", " 0123456"),
    "655": (" 0", "01234567"),
    "700": ("013", " 2"),
    "710": ("012", " 2"),
    "711": ("012", " 2"),
    "720": (" 12", " "),
    "730": (_DIGITS, " 2"),
    "740": (_DIGITS, " 2"),
    "752": (" ", " "),
    "760": _LINK,
    "762": _LINK,
    "765": _LINK,
    "767": _LINK,
    "770": _LINK,
    "772": ("01", " 08"),
    "773": _LINK,
    "774": _LINK,
    "775": _LINK,
    "776": _LINK,
    "777": _LINK,
    "780": ("01", "01234567"),
    "785": ("01", "012345678"),
    "786": _LINK,
    "787": _LINK,
    "800": ("013", " "),
    "810": ("012", " "),
    "811": ("012", " "),
    "830": (" ", _DIGITS),
    "852": (" 012345678", " 012"),
    "856": (" 012347", " 012348"),
    "886": ("012", " "),
}

# Subfield codes MARC 21 defines: lowercase letters and digits.
SUBFIELD_CODES = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
