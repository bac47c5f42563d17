"""What a spreadsheet cell meant, before Excel or WPS rewrote it.

A sheet opened and saved in Excel comes back with `2026/11/3 9:05` for a time,
`46329.38` for a date whose cell lost its format, `1.38123E+10` for a phone and
`202611030001234000` for an 18-digit work-order number. Each value is read as
what it meant, or refused with a hint — never turned silently into another one.
Cells from a workbook arrive typed (datetime, float, int); from CSV, as text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jiesu.clock import (
    DATE_CLOCK, at_clock, clock_of, date_alone, date_refused, day_end, fraction_written, from_iso, offset_refused, receipt_date_refused, steady_day,
    wall_time_refused, year_refused,
)
from jiesu.safetext import blank, echoed, shortened

LARGEST_INT = 2**63 - 1
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
EXCEL_1904_EPOCH = datetime(1904, 1, 1)  # serial 0 of a workbook on the 1904 date system (old Excel for Mac)
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number; the rest become zeros
TIME_HINT = "请写成 2026-11-03 09:05 这样的时间"
# Open311 refuses a time without its offset: its hint shows one it takes.
OPEN311_TIME_EXAMPLE = "2026-11-20T09:30:00+08:00"
OPEN311_TIME_HINT = f"请写成 {OPEN311_TIME_EXAMPLE} 这样带时区偏移的时间（Open311 要求）"
FORCED_TEXT = "'"  # typed before a cell in Excel or WPS so that it is kept as text, not read as a number or date
# `="BJ40"`: how many Chinese systems write a cell to a CSV so that Excel shows it as that text, not a number
_TEXT_FORMULA = re.compile(r'="((?:[^"]|"")*)"')


class UnsavedFormula:
    """A workbook's formula cell whose result was never saved (a program wrote the workbook; Excel has not
    opened it): the reader sees it empty, though Excel would show a value."""

    def __repr__(self) -> str:
        return "UNSAVED_FORMULA"


UNSAVED_FORMULA = UnsavedFormula()
UNSAVED_REFUSED = "{label} 是公式，Excel 还没有保存它的结果；请在 Excel 中打开此文件并保存后再导入"

# NUL is no text a book can keep: PostgreSQL refuses it, and SQLite's functions stop reading at it (a listing's summary).
NUL_REFUSED = "{label} 含有空字符 U+0000，案卷库存不了它；请删去"
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")
_SCIENTIFIC = re.compile(r"[-+]?\d+(?:\.\d+)?[eE][-+]?\d+")
_DECIMAL_TAIL = re.compile(r"\d+\.0+")


def text(label: str, value: Any) -> str | None:
    """A cell as stripped text (None when empty); numbers stored as numbers come back as their digits."""
    if value.__class__ is str:  # what a CSV gives: the common case first
        if "\x00" in value:
            raise ValueError(NUL_REFUSED.format(label=label))
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{label} 应为文本，不是真假值 {echoed(value)}")
    if isinstance(value, (dict, list)):
        raise ValueError(f"{label} 应为文本，不是嵌套的 JSON 值")
    if isinstance(value, float) and value.is_integer() and abs(value) < 10**EXCEL_DIGITS:
        value = int(value)
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    stripped = str(value).strip()
    if "\x00" in stripped:
        raise ValueError(NUL_REFUSED.format(label=label))
    return stripped or None


def value_text(label: str, value: Any) -> str | None:
    """A cell that is not free text (a ref, a phone, a time, a number, a label) as `text` reads it, without
    the apostrophe Excel and WPS users type before a cell to keep it as text (`'20261127001`), or the text
    formula systems export it in (`="20261127001"`): neither is ever part of such a value, and a ref with
    it would be another case than the same ref without."""
    written = text(label, value)
    if written is not None and written[0] == FORCED_TEXT:
        written = written[1:].lstrip()
    elif written is not None and written[0] == "=" and (formula := _TEXT_FORMULA.fullmatch(written)):
        written = formula.group(1).replace('""', '"').strip()
    return None if blank(written) else written  # a cell that shows nothing is empty: a zero-width space is no ref


# A work-order number or phone that Excel turned into a number in its scientific form, as a CSV it saved or
# its cell shows it: the digits past those shown (past 15 in the workbook) are gone from the file.
SCIENTIFIC_REFUSED = "{label} 被 Excel 改写成了科学计数法（{shown}），后几位数字已丢失；请把该列设为文本后重新填写"


def excel_shown(number: float) -> str:
    """A number too long for a cell as Excel's General format shows it, in six significant digits
    (`2.02612E+16`), not as Python spells it (`2.026120400012346e+16`)."""
    mantissa, exponent = f"{number:.5E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def digits_kept(label: str, value: Any) -> str | None:
    """A work-order number or phone as text, refused when Excel has visibly rewritten its digits."""
    if value.__class__ is str and value.isascii() and value.isalnum():
        written = value  # letters and digits alone, as nearly every ref and phone is: value_text would leave it so
    else:
        if isinstance(value, float) and abs(value) >= 10**EXCEL_DIGITS:
            raise ValueError(SCIENTIFIC_REFUSED.format(label=label, shown=excel_shown(value)))
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{label} 被存成了数字，已被 Excel 改写（{echoed(value)}）；请把该列设为文本后重新填写")
        written = value_text(label, value)
        if written is None:
            return None
    if ("e" in written or "E" in written) and _SCIENTIFIC.fullmatch(written):
        raise ValueError(SCIENTIFIC_REFUSED.format(label=label, shown=written))
    if "." in written and _DECIMAL_TAIL.fullmatch(written):
        raise ValueError(f"{label} 被改写成了小数（{written}）；请把该列设为文本后重新填写")
    if written.isdigit() and len(written) > EXCEL_DIGITS and set(written[EXCEL_DIGITS:]) == {"0"}:
        raise ValueError(
            f"{label} {written} 超过 {EXCEL_DIGITS} 位且末尾全是 0，像是被 Excel 截断的数字；请把该列设为文本后重新填写"
        )
    return written


def moment(
    label: str, value: Any, tz: ZoneInfo, *, offset_required: bool = False, receipt: bool = False, deadline: bool = False,
    epoch: datetime = EXCEL_EPOCH,
) -> datetime | None:
    """A time cell: ISO 8601, the slash and 年月日 forms Excel and WPS write, or an Excel serial date.

    A `receipt` given as a date alone is refused (clock.receipt_date_refused): a date cell, a
    serial without a fraction, or text without a clock time. A `deadline` given as a date alone
    is that day's 24:00, as a date typed for `--due` is. A workbook's date cell at 00:00 reads
    as a date alone (python-calamine gives a date), whatever the format it is shown in.
    """
    if value.__class__ is str and not offset_required and (found := _plain_local(value, tz)) is not None:
        return found  # nearly every row's form, `2026-11-03 09:05:00`, on a plain day
    if isinstance(value, str):
        value = value_text(label, value)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{label} 不是有效时间：{echoed(value)}")
    hint = OPEN311_TIME_HINT if offset_required else TIME_HINT
    if isinstance(value, datetime):
        found, no_clock = value, False  # a workbook's date cell, read to the millisecond Excel keeps
    elif isinstance(value, date):
        found, no_clock = datetime.combine(value, time()), True
    elif isinstance(value, (int, float)):
        found, no_clock = _serial(label, value, hint, epoch), float(value).is_integer()
    else:
        found, no_clock = _parsed(label, str(value).strip(), hint, epoch)
    if found.microsecond:  # a workbook's date cell: text with a fraction is refused as it is read
        raise _fraction_refused(label, found.isoformat(sep=" ", timespec="milliseconds"))
    reason = year_refused(found.year)
    if reason:
        raise ValueError(f"{label} 的{reason}：{echoed(value)}")
    if found.tzinfo is None:
        if offset_required:
            raise ValueError(f"{label} 缺少时区偏移（Open311 要求，如 {OPEN311_TIME_EXAMPLE}）：{echoed(value)}")
        found = found.replace(tzinfo=tz)
    reason = offset_refused(found, tz) or wall_time_refused(found)
    if reason:
        raise ValueError(f"{label} {reason}：{echoed(value)}")
    if receipt and no_clock:
        written = f"{found:%Y-%m-%d}" if isinstance(value, date) else int(value) if isinstance(value, float) else value
        raise ValueError(receipt_date_refused(f"{label} {echoed(written)}", f"{found:%Y-%m-%d} 09:00"))
    if deadline and no_clock:
        return day_end(found.date(), tz)
    return found


_PLAIN_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}")


def _plain_local(written: str, tz: ZoneInfo) -> datetime | None:
    """`written` as `moment` reads it when it is a local time to the second in ISO form on a day whose
    clock runs plainly in `tz` (a year jiesu keeps, no summer-time change, a whole-minute offset);
    None for anything else, left to the general reading and its refusals."""
    if len(written) != 19 or _PLAIN_LOCAL.fullmatch(written) is None or not _plain_day(tz, written[:10]):
        return None
    try:
        read = datetime.fromisoformat(written)
    except ValueError:  # 24:00, 61 seconds: the general reading says what is wrong
        return None
    # Made anew rather than by replace(tzinfo=…), which costs twice a parse.
    return datetime(read.year, read.month, read.day, read.hour, read.minute, read.second, 0, tz)


@lru_cache(maxsize=1024)
def _plain_day(tz: ZoneInfo, day: str) -> bool:
    """Whether every clock time of `day` (YYYY-MM-DD) in `tz` passes moment's checks: a kept year,
    one offset all day (no summer-time change), a whole-minute one (not local mean time)."""
    try:
        noon = datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=tz)
    except ValueError:
        return False
    return (
        year_refused(noon.year) is None and steady_day(tz, noon.date()) and offset_refused(noon, tz) is None
    )


def _fraction_refused(label: str, written: str | float, meaning: str | None = None) -> ValueError:
    """jiesu keeps time to the second, as its exports write it: rounding could carry 23:59:59.999 into
    the next day, and a fraction kept would read back from an export as another case. A fraction of
    zeros (`.000`) is refused too, with the same words: which times pass never depends on its digits.
    `meaning`: the time an Excel serial `written` stands for, to the millisecond."""
    said = echoed(written) if meaning is None else f"{echoed(written)}（即 {meaning}）"
    return ValueError(f"{label} 有不足一秒的部分：{said}；jiesu 记时到秒，请改为整秒")


def _parsed(label: str, written: str, hint: str, epoch: datetime) -> tuple[datetime, bool]:
    """The time `written` means, and whether it was a date alone (no clock time written); refused with `hint`."""
    try:
        found = from_iso(written)
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31T24:00
        pass
    else:
        if fraction_written(written):
            raise _fraction_refused(label, written)
        return found, date_alone(written)
    match = DATE_CLOCK.fullmatch(written)
    if match:
        return _from_parts(label, written, match, hint), match["h"] is None
    if _SERIAL.fullmatch(written):
        serial = float(written)
        return _serial(label, serial, hint, epoch), serial.is_integer()
    raise ValueError(f"{label} 不是有效时间：{echoed(written)}；{hint}")


def _from_parts(label: str, written: str, match: re.Match, hint: str) -> datetime:
    if match["fraction"]:
        raise _fraction_refused(label, written)
    try:
        clock = clock_of(match) if match["h"] else (0, 0, 0)
    except ValueError as exc:
        raise ValueError(f"{label} 的{exc}：{echoed(written)}；{hint}") from None
    missing = date_refused(match)
    if missing:  # as a typed time says it: the cell's form was right, its day is none
        raise ValueError(f"{label} {echoed(written)} 的日期不存在：{missing}")
    try:
        return at_clock(date(int(match["y"]), int(match["mo"]), int(match["d"])), *clock)
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31 24:00
        raise ValueError(f"{label} 不是有效时间：{echoed(written)}；{hint}") from None


# How far a serial may fall from a whole second and still be one: Excel writes 15 significant digits, so a
# serial of these centuries carries its time to 1e-10 of a day (9 µs) and a whole second within 5 µs.
SERIAL_SLACK = timedelta(milliseconds=1)


def _serial(label: str, serial: float, hint: str, epoch: datetime) -> datetime:
    """Excel's day count from `epoch` (what a date cell holds once its format is lost), to the second.
    A serial off a whole second by more than float and Excel's 15 digits explain is refused as any
    fraction of a second is: rounding could carry 23:59:59.9 into the next day."""
    if not 1 <= serial < 2958466:
        raise ValueError(f"{label} 不是有效时间：{echoed(serial)}；{hint}")
    found = epoch + timedelta(days=serial)
    second = (found + timedelta(microseconds=500_000)).replace(microsecond=0)
    if abs(found - second) > SERIAL_SLACK:
        raise _fraction_refused(label, serial, meaning=f"{found:%Y-%m-%d %H:%M:%S.%f}"[:-3])
    return second


def integer(label: str, value: Any, default: int | None) -> int | None:
    """A count or id: a whole number within 64 bits (a number cell holding 3.0 is 3)."""
    if isinstance(value, str):
        value = value_text(label, value)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (bool, float)):
        raise ValueError(f"{label} 应为整数：{echoed(value)}")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{label} 应为整数：{echoed(value)}") from None
    if number < 0:
        raise ValueError(f"{label} 不能为负数：{echoed(value)}")
    if number > LARGEST_INT:
        raise ValueError(f"{label} 超出范围：{shortened(str(value))}")
    return number


