"""The one error every character set decoder raises, so readers can report it alike."""


class UndecodableText(ValueError):
    """Bytes that do not form text in the character set the record is read in."""
