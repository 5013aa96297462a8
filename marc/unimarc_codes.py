"""Code lists the crosswalk translates: relator codes (and terms) and country codes.

UNIMARC gives a person's role as a three-digit code (070 author, 730 translator) where
MARC 21 uses three letters (aut, trl); UNIMARC gives the country of publication as an
ISO 3166 code where MARC 21's 008 wants a MARC country code. Both lists cover what
exchange partners use; a code missing here is kept as it is (a relator) or becomes
"xx" (a country), never dropped: the ISO code itself also stays in 044 $c.
"""

# UNIMARC relator codes (Appendix C) and the MARC relator code with the same meaning.
RELATORS: dict[str, str] = {
    "005": "act",  # actor
    "010": "adp",  # adapter
    "018": "anm",  # animator
    "020": "ann",  # annotator
    "030": "arr",  # arranger
    "040": "art",  # artist
    "050": "asg",  # assignee
    "060": "asn",  # associated name
    "065": "auc",  # auctioneer
    "070": "aut",  # author
    "072": "aqt",  # author in quotations
    "073": "aus",  # screenwriter
    "075": "aft",  # author of afterword
    "080": "aui",  # author of introduction
    "090": "aud",  # author of dialogue
    "100": "ant",  # bibliographic antecedent
    "110": "bnd",  # binder
    "120": "bdd",  # binding designer
    "130": "bkd",  # book designer
    "140": "bjd",  # book jacket designer
    "150": "bpd",  # bookplate designer
    "160": "bsl",  # bookseller
    "170": "cll",  # calligrapher
    "180": "ctg",  # cartographer
    "190": "cns",  # censor
    "200": "chr",  # choreographer
    "205": "clb",  # collaborator
    "210": "cmm",  # commentator
    "212": "cwt",  # commentator for written text
    "220": "com",  # compiler
    "230": "cmp",  # composer
    "240": "cmt",  # compositor (typesetter)
    "245": "ccp",  # conceptor
    "250": "cnd",  # conductor
    "255": "csp",  # project consultant
    "260": "cph",  # copyright holder
    "270": "crr",  # corrector
    "273": "cur",  # curator
    "275": "dnc",  # dancer
    "280": "dte",  # dedicatee
    "290": "dto",  # dedicator
    "295": "dgg",  # degree granting institution
    "300": "drt",  # director
    "305": "dis",  # dissertant
    "310": "dst",  # distributor
    "320": "dnr",  # donor
    "330": "dub",  # dubious author
    "340": "edt",  # editor
    "350": "egr",  # engraver
    "360": "etr",  # etcher
    "365": "exp",  # expert
    "370": "flm",  # film editor
    "380": "frg",  # forger
    "390": "fmo",  # former owner
    "400": "fnd",  # funder
    "410": "grt",  # graphic technician
    "420": "hnr",  # honoree
    "430": "ilu",  # illuminator
    "440": "ill",  # illustrator
    "450": "ins",  # inscriber
    "460": "ive",  # interviewee
    "470": "ivr",  # interviewer
    "475": "isb",  # issuing body
    "480": "lbt",  # librettist
    "490": "lse",  # licensee
    "500": "lso",  # licensor
    "510": "ltg",  # lithographer
    "520": "lyr",  # lyricist
    "530": "mte",  # metal engraver
    "540": "mon",  # monitor
    "550": "nrt",  # narrator
    "555": "opn",  # opponent
    "557": "orm",  # organiser of meeting
    "560": "org",  # originator
    "570": "oth",  # other
    "580": "ppm",  # papermaker
    "582": "pta",  # patent applicant
    "584": "inv",  # inventor
    "587": "pth",  # patent holder
    "590": "prf",  # performer
    "595": "res",  # researcher
    "600": "pht",  # photographer
    "605": "pre",  # presenter
    "610": "prt",  # printer
    "620": "pop",  # printer of plates
    "630": "pro",  # producer
    "635": "prg",  # programmer
    "640": "pfr",  # proofreader
    "650": "pbl",  # publisher
    "651": "pbd",  # publishing director
    "660": "rcp",  # addressee (recipient of letters)
    "670": "rce",  # recording engineer
    "673": "rth",  # research team head
    "675": "rev",  # reviewer
    "677": "rtm",  # research team member
    "680": "rbr",  # rubricator
    "690": "sce",  # scenarist
    "695": "sad",  # scientific advisor
    "700": "scr",  # scribe
    "705": "scl",  # sculptor
    "710": "sec",  # secretary
    "720": "sgn",  # signer
    "721": "sng",  # singer
    "723": "spn",  # sponsor
    "725": "stn",  # standards body
    "726": "str",  # stereotyper
    "727": "ths",  # thesis advisor
    "730": "trl",  # translator
    "740": "tyd",  # type designer
    "750": "tyg",  # typographer
    "755": "voc",  # vocalist
    "760": "wde",  # wood engraver
    "770": "wam",  # writer of accompanying material
}

# The relator term the national-form heading gives in $e beside the code in $4, for the
# UNIMARC codes Russian catalogues use most: the abbreviations of GOST 7.0.12 that the
# Russian State Library writes in its MARC 21 (пер., сост.; цензор and гравер it spells
# out). A code missing here gets $4 only.
RUSSIAN_RELATOR_TERMS: dict[str, str] = {
    "040": "худож.",  # artist
    "070": "авт.",  # author
    "075": "авт. послесл.",  # author of afterword
    "080": "авт. предисл.",  # author of introduction
    "190": "цензор",  # censor
    "210": "коммент.",  # commentator
    "212": "коммент.",  # commentator for written text
    "220": "сост.",  # compiler
    "230": "композ.",  # composer
    "340": "ред.",  # editor
    "350": "гравер",  # engraver
    "440": "ил.",  # illustrator
    "600": "фот.",  # photographer
    "610": "тип.",  # printer
    "650": "изд.",  # publisher
    "675": "рец.",  # reviewer
    "727": "науч. рук.",  # thesis advisor
    "730": "пер.",  # translator
}

# ISO 3166-1 alpha-2 codes (UNIMARC 102 $a) and MARC country codes (008/15-17).
COUNTRIES: dict[str, str] = {
    "AM": "ai",
    "AR": "ag",
    "AT": "au",
    "AU": "at",
    "AZ": "aj",
    "BA": "bn",
    "BD": "bg",
    "BE": "be",
    "BG": "bu",
    "BN": "bx",
    "BR": "bl",
    "BY": "bw",
    "CA": "xxc",
    "CH": "sz",
    "CL": "cl",
    "CN": "cc",
    "CY": "cy",
    "CZ": "xr",
    "DE": "gw",
    "DK": "dk",
    "EE": "er",
    "EG": "ua",
    "ES": "sp",
    "FI": "fi",
    "FR": "fr",
    "GB": "xxk",
    "GE": "gs",
    "GR": "gr",
    "HR": "ci",
    "HU": "hu",
    "ID": "io",
    "IE": "ie",
    "IL": "is",
    "IN": "ii",
    "IQ": "iq",
    "IR": "ir",
    "IS": "ic",
    "IT": "it",
    "JP": "ja",
    "KG": "kg",
    "KH": "cb",
    "KP": "kn",
    "KR": "ko",
    "KZ": "kz",
    "LA": "ls",
    "LK": "ce",
    "LT": "li",
    "LU": "lu",
    "LV": "lv",
    "MD": "mv",
    "ME": "mo",
    "MK": "xn",
    "MM": "br",
    "MN": "mp",
    "MT": "mm",
    "MX": "mx",
    "MY": "my",
    "NL": "ne",
    "NO": "no",
    "NP": "np",
    "NZ": "nz",
    "PG": "pp",
    "PH": "ph",
    "PK": "pk",
    "PL": "pl",
    "PT": "po",
    "RO": "rm",
    "RS": "rb",
    "RU": "ru",
    "SA": "su",
    "SE": "sw",
    "SG": "si",
    "SI": "xv",
    "SK": "xo",
    "SU": "ur",  # the Soviet Union, still in older Russian and Belarusian records
    "TH": "th",
    "TJ": "ta",
    "TL": "em",
    "TM": "tk",
    "TR": "tu",
    "TW": "ch",
    "UA": "un",
    "US": "xxu",
    "UZ": "uz",
    "VN": "vm",
    "ZA": "sa",
}


def marc_relator(code: str) -> str:
    """The MARC relator code for a UNIMARC one; anything else is kept as it is."""
    return RELATORS.get(code.strip(), code)


def russian_relator_term(code: str) -> str | None:
    """The Russian relator term for a UNIMARC relator code, if there is one."""
    return RUSSIAN_RELATOR_TERMS.get(code.strip())


def marc_country(iso_code: str) -> str | None:
    return COUNTRIES.get(iso_code.strip().upper())
