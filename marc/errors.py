"""Errors that concern a whole file rather than one record in it."""


class MarcFormatError(ValueError):
    """The file as a whole cannot be read as MARC.

    Raised only when nothing sensible can be taken from the file (it is not MARC at all,
    or its XML is broken before the first record). A single bad record never raises
    this: it becomes a RejectedRecord so the rest of the file still gets read.
    """
