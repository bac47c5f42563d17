"""Chinese phone numbers: validate, normalise and mask (DESIGN §5 privacy)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jiesu.errors import BadInput
from jiesu.safetext import shortened

_SEPARATORS = re.compile(r"[\s\-()（）]")


# An extension after the number: 转8001, 分机8001, ext. 8001, x8001, #8001, ;ext=8001.
_EXTENSION = re.compile(r"(?P<number>.*?\d)\s*(?:转|分机|ext\.?|;ext=|x|#)\s*(?P<ext>\d{1,6})", re.IGNORECASE)
# The Chinese way of writing it with a dash, 010-65123456-8001: read so only when the number before it is whole.
_DASHED_EXTENSION = re.compile(r"(?P<number>.*\d)\s*-\s*(?P<ext>\d{1,6})")


def split(text: str) -> tuple[str, str | None]:
    """A phone with its extension kept apart: `010-65123456 转8001` → (`01065123456`, `8001`)."""
    raw = text.strip()
    if raw.isdigit():
        return normalise(raw), None  # the common case: no separator, so no extension to look for
    marked = _EXTENSION.fullmatch(raw)
    if marked:
        return normalise(marked["number"]), marked["ext"]
    whole = _normalised(raw)
    if whole is not None:
        return whole, None
    dashed = _DASHED_EXTENSION.fullmatch(raw)
    if dashed and _normalised(dashed["number"].strip()) is not None:
        return _normalised(dashed["number"].strip()), dashed["ext"]
    return normalise(raw), None


def shown(phone: str | None, extension: str | None, *, reveal: bool) -> str | None:
    """The number a worker dials, as listings show it: `010****3456 转8001` (masked unless `reveal`)."""
    number = phone if reveal else mask(phone)
    return f"{number} 转{extension}" if number and extension else number


def normalise(text: str) -> str:
    """The national dialling digits of a valid CN number (mobile or landline).

    `010-65123456` → `01065123456`, `+86 138 1234 5678` → `13812345678`.
    """
    raw = text.strip()
    normal = _normalised(raw)
    if normal is None:
        raise BadInput(f"不是有效的中国电话号码：{mask_in_text(shortened(raw))!r}（手机如 13812345678，座机如 010-65123456）")  # an error is printed and logged too
    return normal


@lru_cache(maxsize=4096)  # callers recur; a million distinct numbers must not stay in memory
def _normalised(raw: str) -> str | None:
    digits = _SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if len(digits) == 11 and _mobile_pattern().fullmatch(digits):
        return digits  # the common case, checked against phonenumbers' own mobile pattern
    return _slow_path(raw)


@lru_cache(maxsize=1)
def _mobile_pattern() -> re.Pattern:
    import phonenumbers

    return re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)


def _slow_path(raw: str) -> str | None:
    import phonenumbers  # heavy; only commands that take a phone pay for it

    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def mask(phone: str | None) -> str | None:
    """`13812345678` → `138****5678`; short numbers keep only their last two digits."""
    if not phone:
        return phone
    if len(phone) >= 8:
        return phone[:3] + "****" + phone[-4:]
    return "*" * (len(phone) - 2) + phone[-2:]


# A mobile or a landline (with its area code, in brackets or not, its digits grouped or not) written
# inside free text, not part of a longer number.
_PHONE_IN_TEXT = re.compile(
    r"(?<![\d.])(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|\(?0\d{2,3}\)?[\s-]?\d{3,4}[\s-]?\d{4})(?![\d.])"
)
# The most characters the pattern above takes: `+86 (0755) 1234 5678`.
LONGEST_IN_TEXT = 20
# Full-width digits and brackets as a Chinese keyboard types them, read as their ASCII twins (one
# character for one, so what is found in the one text is where it stands in the other).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９（）＋－", "0123456789()+-")


# Every number the pattern above finds has a run of three digits (any script's, full-width too): text
# without one, most of a book, is handed back after one quick scan.
_DIGIT_RUN = re.compile(r"\d{3}")


def mask_in_text(text: str | None) -> str | None:
    """Free text (a summary a citizen dictated) with any phone number in it masked like the phone field."""
    if not text or not _DIGIT_RUN.search(text):
        return text
    kept, last = [], 0
    for found in _PHONE_IN_TEXT.finditer(text.translate(_FULL_WIDTH)):
        # a country code is no part of the number as the phone field holds it (no CN number starts with 86)
        kept += [text[last : found.start()], mask(re.sub(r"\D", "", found.group()).removeprefix("86"))]
        last = found.end()
    return "".join(kept) + text[last:]


# The fields typed as free text: a number dictated or written there (the citizen's, a worker's or an
# assignee's own 王师傅13566667777) is a person's as much as the phone field. Only what is shown is
# masked: filters and report groups compare the value as stored.
FREE_TEXT = frozenset({"summary", "detail", "name", "address", "note", "plan", "evidence", "unit", "assignee", "community", "category"})


# How a field is shown without `--reveal`, for each field a person's number may be in.
MASKS = {"phone": mask} | dict.fromkeys(FREE_TEXT, mask_in_text)


def shown_field(name: str, value: Any) -> Any:
    """A field's value as a listing or an export shows it without `--reveal`: the phone masked, a number in free text masked."""
    return MASKS[name](value) if name in MASKS else value
