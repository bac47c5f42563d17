"""Chinese phone numbers: validate, normalise and mask (DESIGN §5 privacy)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jiesu.errors import BadInput
from jiesu.safetext import echoed

# How a phone number may be written, in the phone field and inside free text alike: after a country code
# (+86, 0086 or a bare 86), its digit groups apart by spaces, a dash of any width (with spaces around it or
# not) or a dot, the area code in brackets or not. Full-width digits, brackets and dashes as a Chinese
# keyboard types them are read as their ASCII twins, one character for one (so what is found in the one
# text is where it stands in the other).
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"  # ‐ ‑ ‒ – — ― − ﹘ ﹣ －
_AS_ASCII = str.maketrans("０１２３４５６７８９（）＋．" + _DASHES, "0123456789()+." + "-" * len(_DASHES))
_COUNTRY_CODES = ("+86", "0086", "86")
_SEPARATORS = re.compile(r"[\s\-./()]")  # what may stand between a number's digit groups
_DIALLED = re.compile(r"\+?[0-9]+")  # a number as dialled, once its groups are joined
_GAP = r"\s?[-./]?\s?"  # between two groups of digits: `138 1234`, `138-1234`, `010 - 6512`, `135.1234`, `135/1234`


# An extension after the number: 转8001, 分机8001, ext. 8001, x8001, #8001, ;ext=8001.
_EXTENSION = re.compile(r"(?P<number>.*?\d)\s*(?:转|分机|ext\.?|;ext=|x|#)\s*(?P<ext>\d{1,6})", re.IGNORECASE)
# The Chinese way of writing it with a dash, 010-65123456-8001: read so only when the number before it is whole.
_DASHED_EXTENSION = re.compile(r"(?P<number>.*\d)\s*-\s*(?P<ext>\d{1,6})")


LANDLINE_DIGITS = 10  # the shortest landline with its area code: 0xx + 7 digits (010 and 02x numbers have 8)
# A Beijing landline as Beijing dials it, without its area code: 8 digits from 2 to 8 (jiesu is Beijing's).
_BEIJING_LOCAL = re.compile(r"[2-8][0-9]{7}")
_BEIJING_AREA_CODE = "010"

def split(text: str) -> tuple[str, str | None]:
    """A phone with its extension kept apart: `010-65123456 转8001` → (`01065123456`, `8001`).

    Read in the forms free text is masked in (_AS_ASCII): `010—65123456—8001` with a dash of any width too."""
    typed = text.strip()
    raw = typed if typed.isascii() else typed.translate(_AS_ASCII)
    if raw.isdigit():
        return _normalised(raw) or normalise(typed), None  # the common case: no separator, no extension; refused as typed
    marked = _EXTENSION.fullmatch(raw)
    if marked and (number := _normalised(marked["number"])) is not None:
        return number, marked["ext"]
    whole = _normalised(raw)
    if whole is not None:
        return whole, None
    dashed = _DASHED_EXTENSION.fullmatch(raw)
    if dashed and _normalised(dashed["number"].strip()) is not None:
        return _normalised(dashed["number"].strip()), dashed["ext"]
    return normalise(typed), None  # refused, as it was typed


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
        # Repeated as typed, as every refusal repeats a value (quoted, control codes escaped): it is the person's
        # own input on their own screen, and a number masked there hides the digits they must correct.
        if _business_hotline(raw):
            raise BadInput(f"{echoed(raw)} 是企业客服热线号码（400、800 号码只能拨入），不是来电人的电话")
        raise BadInput(f"不是有效的中国电话号码：{echoed(raw)}（手机如 13812345678，座机如 010-65123456）")
    return normal


@lru_cache(maxsize=4096)  # callers recur; a million distinct numbers must not stay in memory
def _normalised(raw: str) -> str | None:
    raw = raw if raw.isascii() else raw.translate(_AS_ASCII)  # ASCII, the common case, as it is
    digits = _SEPARATORS.sub("", raw)
    for prefix in _COUNTRY_CODES:
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if len(digits) == 11 and _mobile_pattern().fullmatch(digits):
        return digits  # the common case, checked against phonenumbers' own mobile pattern
    if _BEIJING_LOCAL.fullmatch(digits):
        return _slow_path(_BEIJING_AREA_CODE + digits)
    return _slow_path(raw)


@lru_cache(maxsize=1)
def _mobile_pattern() -> re.Pattern:
    import phonenumbers

    return re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)


def _slow_path(raw: str) -> str | None:
    import phonenumbers  # heavy; only commands that take a phone pay for it

    number = _valid_number(raw)
    if number is None or _hotline_kind(number):
        return None
    national = "".join(ch for ch in phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if ch.isdigit())
    # phonenumbers also takes an area code before a 5-digit service number (010-12345, the hotline itself;
    # 010-95555, a bank): no citizen calls from one, and a subscriber's number is 7 or 8 digits
    return national if len(national) >= LANDLINE_DIGITS else None


def _valid_number(raw: str):
    """The valid CN number `raw` is as phonenumbers reads it (a `PhoneNumber`), or None."""
    if not _DIALLED.fullmatch(_SEPARATORS.sub("", raw)):
        return None  # phonenumbers would pick `13812345678` out of `编号13812345678`: a value silently changed
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    return number if number.country_code == 86 and phonenumbers.is_valid_number(number) else None


def _hotline_kind(number) -> bool:
    """Whether `number` is a business's 400 (shared cost) or 800 (toll free) hotline: it only takes calls,
    so no citizen calls from one, and stored as theirs it is a number nobody can call back."""
    from phonenumbers import PhoneNumberType, number_type

    return number_type(number) in (PhoneNumberType.SHARED_COST, PhoneNumberType.TOLL_FREE)


def _business_hotline(typed: str) -> bool:
    """Whether a refused phone is a 400/800 hotline, alone or with an extension (`400-810-1234 转 5`)."""
    raw = typed if typed.isascii() else typed.translate(_AS_ASCII)
    marked = _EXTENSION.fullmatch(raw) or _DASHED_EXTENSION.fullmatch(raw)
    for candidate in (raw, marked["number"].strip() if marked else None):
        number = _valid_number(candidate) if candidate else None
        if number is not None:
            return _hotline_kind(number)
    return False


def mask(phone: str | None) -> str | None:
    """`13812345678` → `138****5678`; short numbers keep only their last two digits."""
    if not phone:
        return phone
    if len(phone) >= 8:
        return phone[:3] + "****" + phone[-4:]
    return "*" * (len(phone) - 2) + phone[-2:]


_MASKED = re.compile(r"\d{3}\*{4}\d{4}")  # a number as `mask` writes it


def holds_masked(text: str | None) -> bool:
    """Whether `text` holds a number `mask` hid (`139****5678`): what a masked export wrote, not the number."""
    return bool(text) and "****" in text and _MASKED.search(text) is not None


# A mobile or a landline written inside free text as the phone field takes it (see _GAP above), not part
# of a longer number nor of a code glued to Latin letters (`工单号BJ13812345678`); Chinese right before it
# is no such glue (`电话13812345678`). A bare local number without its area code (`65123456`) is not
# taken, though the phone field takes one of Beijing's: in text eight digits alone are a date (`20261120`) as often.
# After a country code the landline's trunk 0 is left out, or written `(0)`: `+86 10 6512 3456`, `+86 (0)10 …`.
_PHONE_IN_TEXT = re.compile(
    r"(?<![\dA-Za-z])(?<!\d\.)"
    rf"(?:(?P<country>{'|'.join(re.escape(code) for code in _COUNTRY_CODES)}){_GAP})?"
    rf"(?:(?P<mobile>1[3-9]\d{_GAP}\d{{4}}{_GAP}\d{{4}})"
    rf"|(?P<landline>\(?(?(country)(?:\(0\)|0)?|0)[1-9]\d{{1,2}}\)?{_GAP}\d{{3,4}}{_GAP}\d{{4}}))"
    r"(?!\.?\d)"
)
# The most characters the pattern above takes: `0086 - (0755) - 1234 - 5678`.
LONGEST_IN_TEXT = 27


# Every number the pattern above finds has a run of three digits (any script's, full-width too): text
# without one, most of a book, is handed back after one quick scan.
_DIGIT_RUN = re.compile(r"\d{3}")


def mask_in_text(text: str | None) -> str | None:
    """Free text (a summary a citizen dictated) with any phone number in it masked like the phone field."""
    if not text or not _DIGIT_RUN.search(text):
        return text
    kept, last = [], 0
    for found in _PHONE_IN_TEXT.finditer(text.translate(_AS_ASCII)):
        kept += [text[last : found.start()], mask(_national(found))]
        last = found.end()
    return "".join(kept) + text[last:]


def _national(found: re.Match) -> str:
    """The number a match of _PHONE_IN_TEXT holds as the phone field holds it: no country code, a landline with its trunk 0."""
    digits = re.sub(r"\D", "", found["mobile"] or found["landline"])
    return digits if found["mobile"] or digits.startswith("0") else "0" + digits


def as_number(term: str) -> str | None:
    """The number a search term is, when it is nothing but a phone number written in any form free text's
    is masked in (`186-0000-3333`, `+86 186 0000 3333`, `(010)6512—3456`): as the phone field holds it; else None."""
    found = _PHONE_IN_TEXT.fullmatch(term.strip().translate(_AS_ASCII))
    return _national(found) if found else None


def as_dialled(term: str) -> tuple[str, str | None] | None:
    """The number and extension (None without one) a search term is, when it is a phone written in a form
    `--phone` takes that free text's masking does not read (`010-65123456转8001`, `010-65123456-8001`, a Beijing
    landline without its 010, `62345678`); else None."""
    try:
        return split(term)
    except BadInput:
        return None


# What may stand between a number's digit groups, spaces aside (_GAP, and every dash width _AS_ASCII reads).
GROUP_SEPARATORS = "-./()" + _DASHES


# The fields typed as free text: a number dictated or written there (the citizen's, a worker's or an
# assignee's own 王师傅13566667777) is a person's as much as the phone field. Only what is shown is
# masked: filters and report groups compare the value as stored.
FREE_TEXT = frozenset({"summary", "detail", "name", "address", "note", "plan", "evidence", "unit", "assignee", "community", "category"})


# How a field is shown without `--reveal`, for each field a person's number may be in.
MASKS = {"phone": mask} | dict.fromkeys(FREE_TEXT, mask_in_text)


def shown_field(name: str, value: Any) -> Any:
    """A field's value as a listing or an export shows it without `--reveal`: the phone masked, a number in free text masked."""
    return MASKS[name](value) if name in MASKS else value
