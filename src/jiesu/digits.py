"""What a person typed on a Chinese keyboard, read as jiesu reads it: full-width forms as ASCII
(`halfwidth`), and a number checked against its bound before Python reads it whole (`at_most`)."""

from __future__ import annotations

import unicodedata


def halfwidth(text: str) -> str:
    """Text typed on a Chinese keyboard in the forms jiesu reads: its full-width digits, letters and
    marks (`１０：００`, `２０２６－１１－２０`, `３`) as ASCII, the ideographic space as a space (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def at_most(digits: str, most: int) -> int | None:
    """The number the decimal `digits` write, or None when it is over `most` — without int() of
    thousands of digits, which Python refuses with an error of its own (or takes its time over)."""
    if len(digits.lstrip("0")) > len(str(most)):
        return None
    number = int(digits)
    return number if number <= most else None
