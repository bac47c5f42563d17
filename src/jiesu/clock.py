"""Time: the configured zone, "now", and the date forms people type (DESIGN §5)."""

from __future__ import annotations

import os
import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jiesu.digits import at_most, halfwidth
from jiesu.errors import BadInput, BadOption
from jiesu.safetext import echoed

DEFAULT_ZONE = "Asia/Shanghai"
DATE_FORMS = "ISO 日期时间（2026-10-01、2026-10-01T08:30）、today、yesterday、今天、昨天、前天（可加钟点：yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h、+3d"
# A receipt needs its clock time.
RECEIPT_FORMS = "ISO 日期时间（2026-10-01T08:30、2026-10-01 08:30）、today/yesterday/今天/昨天/前天 加钟点（yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h"

# A length of time as typed: `30m`, `2h`, `1d`, `1w`, or in Chinese `30分钟`, `2小时`, `1天`, `1周` (todo's --within;
# after + or - a time counted from now).
LENGTH_UNITS = {"m": "分钟", "h": "小时", "d": "天", "w": "周"}
# The same words as a traditional-Chinese keyboard or a colloquial hand writes them.
_UNIT_LETTERS = {word: letter for letter, word in LENGTH_UNITS.items()} | {"分鐘": "m", "小時": "h", "个小时": "h", "個小時": "h", "週": "w", "星期": "w"} | {
    word: letter for letter, names in (("m", ("minute", "min")), ("h", ("hour", "hr")), ("d", ("day",)), ("w", ("week",)))
    for name in names for word in (name, name + "s")
}  # the rules file's words too (`24 hours`), and their short forms (`30 min`, `2 hrs`): written alike wherever typed
# Longest first: a regex alternation takes the first word that fits, and `小时` would leave `个` of `2个小时` unread.
LENGTH_UNIT = rf"[mhdw]|{'|'.join(sorted(_UNIT_LETTERS, key=len, reverse=True))}"
LENGTH = rf"(?P<amount>\d+)\s*(?P<unit>{LENGTH_UNIT})"
_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}
MOST_DAYS = 36_500  # a length or window in days: a century back stays inside the years jiesu stores
_RELATIVE = re.compile(rf"^(?P<sign>[+-])\s*{LENGTH}$")
# The days people name instead of a date, by their distance from today.
DAY_WORDS = {"today": 0, "今天": 0, "yesterday": -1, "昨天": -1, "前天": -2, "tomorrow": 1, "明天": 1}
# A clock time as people and spreadsheets write one after a day: `9:05`, `09:05:30`, `9点`, `9点05分`, `9点半`,
# `下午 3:05`, `晚上 8点`, `3:05 PM`, `8 PM` (cells reads it after a date in a file, parse_when after a day word); `clock_of`
# reads it. After a colon a minute and a second have two digits (`18:3` is more likely 18:30 mistyped than 18:03);
# after 点 or 时 one digit needs its 分.
CLOCK_TIME = (
    r"(?P<part>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|AM|PM|am|pm)?\s*(?P<h>\d{1,2})\s*"
    r"(?:[:：]\s*(?P<mi>\d{1,2})(?:\s*[:：]\s*(?P<s>\d{1,2})(?P<fraction>\.\d+)?)?"
    r"|[点时]\s*(?:(?P<half_hour>半)|(?P<mi_word>\d{1,2})\s*(?P<fen>分)?(?:\s*(?P<s_word>\d{1,2})\s*秒)?)?"
    r"|(?=\s*(?:AM|PM|am|pm)))"
    r"\s*(?P<part2>AM|PM|am|pm)?"
)
# The hours (24-hour clock, first and last) each part of the day names. 上午/下午 are AM/PM as Excel and WPS write
# them (`上午 12:30` is 00:30); a part's hour written in 12-hour form is moved into its span (`晚上 8` is 20:00,
# `中午 1` 13:00), one written in 24-hour form must already be in it (`晚上 20:00`; `凌晨 20:00` is refused).
DAY_PARTS = {"凌晨": (0, 6), "早上": (5, 10), "早晨": (5, 10), "上午": (0, 11), "中午": (11, 13), "下午": (12, 23), "傍晚": (16, 19), "晚上": (18, 23)}
_PART_NAMES = {"am": "上午", "pm": "下午"}
# A date as people and spreadsheets write one, with such a clock time after it or none: `2026/11/3 晚上 8点`,
# `2026-12-01 9:00`, `2026年11月3日` (ISO text, `2026-12-01T09:00+08:00`, is read by `from_iso` first).
_WRITTEN_DATE = r"(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
DATE_CLOCK = re.compile(rf"{_WRITTEN_DATE}\s*日?(?:[\sT]*{CLOCK_TIME})?")
# A date as written, whatever follows it (an offset, seconds): what `date_refused` reads.
WRITTEN_DAY = re.compile(rf"{_WRITTEN_DATE}(?!\d)")
# A clock time alone is today's (`18:30`, `9点`), as `今天 18:30` is.
_DAY_AT = re.compile(rf"(?:(?P<word>{'|'.join(DAY_WORDS)})\s*)?{CLOCK_TIME}")
_DAY_END = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})[T ]24:00(?::00)?(?P<zone>(?:Z|[+-]\d{2}:?\d{2})?)")


def zone(name: str) -> ZoneInfo:
    """The zone called `name`, or a BadInput naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(f"未知的时区 {echoed(name)}") from exc


NOW_VARIABLE = "JIESU_NOW"
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # what a CSV or workbook may say, and what a command may type


def year_refused(year: int) -> str | None:
    """Why a year is outside what jiesu stores (so every export can be imported again), or None."""
    if EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    return f"年份 {year} 超出 {EARLIEST_YEAR}–{LATEST_YEAR}"


def offset_refused(moment: datetime, tz: ZoneInfo) -> str | None:
    """Why a time is outside what jiesu stores in zone `tz`, or None: before the zone kept standard
    time its clocks ran on local mean time, an offset to the second (Asia/Shanghai +08:05:43 before
    1901), which no export's `+HH:MM` can carry and no office means."""
    offset = moment.astimezone(tz).utcoffset()
    if offset is None or offset.seconds % 60 == 0:
        return None
    return f"早于 {tz.key} 启用标准时（当时为地方平时 {_offset_text(offset)}）"


def utcnow() -> datetime:
    """Now, in UTC: the wall clock, unless JIESU_NOW fixes it (tests, training, replaying a day).

    This is the only place jiesu reads the clock, so one variable moves every
    command, the demo and the tests to the same instant. jiesu keeps time to the
    second, as its exports and every form people type it in do: a fraction kept here
    would make a case's own export read back as a different (duplicate) case.
    """
    fixed = os.environ.get(NOW_VARIABLE, "").strip()
    if not fixed:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        moment = from_iso(fixed)  # 24:00 too, as jiesu writes a deadline
    except ValueError:
        raise BadOption(f"{NOW_VARIABLE}={echoed(fixed)} 不是 ISO 时间（例：2026-12-01T09:30+08:00）") from None
    if moment.tzinfo is None:
        raise BadOption(f"{NOW_VARIABLE}={echoed(fixed)} 缺少时区（例：2026-12-01T09:30+08:00）")
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo, end_of_day: bool = False, deadline: bool = False, receipt: str = ""
) -> datetime:
    """Parse a time typed on the command line into an aware datetime, in the years jiesu stores;
    one it cannot read or store is a usage error (BadOption). A file's times are read by `cells`.
    What a Chinese keyboard types full-width (`２０２６－１１－２０ ９：００`) is read as its ASCII form;
    messages repeat what was typed.

    A bare date means the start of that day in `tz`; its last instant when
    `end_of_day` is set (`--until`, compared with `<=`); its 24:00, the next day's
    00:00, when it is a `deadline` (`--due`, `--to`), as deadlines counted in days
    end. A `receipt` (named by its option: `--received`, or import's `--at`, the receipt of rows
    without one) may not be a date alone, nor `today` and the like (`receipt_date_refused`). Relative forms count from `now`.
    """
    written = text.strip()
    try:
        moment, a_day = _parsed_when(halfwidth(written), written, now, tz, end_of_day, deadline)
    except ValueError:
        raise BadOption(no_such_day(halfwidth(written), written) or f"无法识别的时间 {echoed(written)}；可用：{RECEIPT_FORMS if receipt else DATE_FORMS}") from None
    except OverflowError:  # `-999999w`: before year 1
        raise BadOption(f"时间 {echoed(written)} 超出 {EARLIEST_YEAR}–{LATEST_YEAR}") from None
    reason = year_refused(moment.year)
    if reason:
        raise BadOption(f"时间 {echoed(written)} 的{reason}")
    reason = offset_refused(moment, tz) or wall_time_refused(moment)
    if reason:
        raise BadOption(f"时间 {echoed(written)} {reason}")
    if receipt and a_day:
        example = min(moment + timedelta(hours=9), now.astimezone(tz))  # a time that has come: 09:00, or now if earlier
        day = written if written.casefold() in DAY_WORDS else f"{example:%Y-%m-%d}"  # `昨天` → `昨天 09:00`
        raise BadOption(receipt_date_refused(f"受理时间 {echoed(written)}", f'{receipt} "{day} {example:%H:%M}"'))
    return moment


def _parsed_when(raw: str, written: str, now: datetime, tz: ZoneInfo, end_of_day: bool, deadline: bool) -> tuple[datetime, bool]:
    """The time `raw` (what was `written`, in ASCII) means, and whether it named a day rather than a time
    (`2026-11-20`, `today`); ValueError if it is none of the forms."""
    word = raw.casefold()
    local_now = now.astimezone(tz)
    if word == "now":
        return now, False
    if word in DAY_WORDS:
        return _day_bound(local_now.date() + timedelta(days=DAY_WORDS[word]), tz, end_of_day, deadline), True
    day_at = _DAY_AT.fullmatch(word)
    if day_at:
        day = local_now.date() + timedelta(days=DAY_WORDS[day_at["word"] or "today"])
        return at_clock(day, *_typed_clock(day_at, written)).replace(tzinfo=tz), False
    match = _RELATIVE.match(word)
    if match:
        refuse_capital_m(raw)
        delta = length(match["amount"], match["unit"])
        if delta is None:
            raise OverflowError(raw)
        return (now + delta if match["sign"] == "+" else now - delta), False
    try:
        parsed = from_iso(raw.replace("/", "-"))
    except ValueError:
        dated = DATE_CLOCK.fullmatch(raw)
        if dated is None:
            raise
        day = date(int(dated["y"]), int(dated["mo"]), int(dated["d"]))
        if dated["h"] is None:
            return _day_bound(day, tz, end_of_day, deadline), True
        return at_clock(day, *_typed_clock(dated, written)).replace(tzinfo=tz), False
    if fraction_written(raw):
        raise BadOption(_fraction_refused(written))
    if date_alone(raw):
        return _day_bound(parsed.date(), tz, end_of_day, deadline), True
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed, False


def _typed_clock(match: re.Match, written: str) -> tuple[int, int, int]:
    """The clock time a CLOCK_TIME `match` in a typed time names; a BadOption saying why it is none."""
    if match["fraction"]:
        raise BadOption(_fraction_refused(written))
    try:
        return clock_of(match)
    except ValueError as exc:
        raise BadOption(f"时间 {echoed(written)} 的{exc}") from None


def length(amount: str, unit: str) -> timedelta | None:
    """The length a LENGTH match's digits and unit name; None when it is longer than MOST_DAYS days."""
    minutes = _MINUTES[unit_letter(unit)]
    count = at_most(amount, MOST_DAYS * _MINUTES["d"] // minutes)
    return None if count is None else timedelta(minutes=count * minutes)


_CAPITAL_M = re.compile(r"\d\s*M(?![a-zA-Z])")  # `2 Minutes` is minutes; `2M` a month to many


def refuse_capital_m(written: str) -> None:
    """A length is read case-blind (`2H` is 2 hours), but `1M` is a month to many and a minute to
    the fold: refused, not guessed (BadOption)."""
    if _CAPITAL_M.search(halfwidth(written)):
        raise BadOption(f"{echoed(written)} 的 M 不明确：分钟请写小写 m（如 30m），一个月请写天数（如 30d）")


def unit_letter(unit: str) -> str:
    """A LENGTH match's unit as its letter: `小时` → `h`, `h` → `h`."""
    return _UNIT_LETTERS.get(unit, unit)


def _fraction_refused(raw: str) -> str:
    return f"时间 {echoed(raw)} 有不足一秒的部分；jiesu 记时到秒，请改为整秒"


def clock_of(match: re.Match) -> tuple[int, int, int]:
    """The hour, minute and second a CLOCK_TIME `match` names, its part of the day applied (DAY_PARTS);
    ValueError saying why when a minute or second is short of a digit or the part and the hour disagree."""
    hour, written_hour = int(match["h"]), match["h"]
    if match["mi"] is not None:
        minute, second = int(match["mi"]), int(match["s"] or 0)
        if len(match["mi"]) < 2:
            raise ValueError(f"分钟须为两位数字，如 {written_hour}:0{minute}")
        if match["s"] is not None and len(match["s"]) < 2:
            raise ValueError(f"秒须为两位数字，如 {written_hour}:{match['mi']}:0{second}")
    else:
        minute, second = 30 if match["half_hour"] else int(match["mi_word"] or 0), int(match["s_word"] or 0)
        if match["mi_word"] is not None and len(match["mi_word"]) < 2 and not match["fen"]:
            raise ValueError(f"分钟须为两位数字或后跟“分”，如 {written_hour}点0{minute} 或 {written_hour}点{minute}分")
    parts = {_PART_NAMES.get(part.casefold(), part) for part in (match["part"], match["part2"]) if part}
    if len(parts) > 1:
        raise ValueError(f"{'与'.join(sorted(parts))}矛盾")
    if not parts:
        return hour, minute, second
    part = parts.pop()
    first, last = DAY_PARTS[part]
    readings = {hour} if hour == 0 or hour > 12 else {hour, (hour + 12) % 24}
    fitting = [reading for reading in readings if first <= reading <= last]
    if not fitting:
        raise ValueError(f"{part}是 {first}–{last} 点，与 {hour} 点矛盾")
    return fitting[0], minute, second


def at_clock(day: date, hour: int, minute: int, second: int) -> datetime:
    """The (naive) time on `day` a clock reads: 24:00 is the end of the day, the next day's 00:00;
    ValueError for a clock time there is none of (25:00, 9:60)."""
    if hour == 24 and minute == second == 0:
        return datetime.combine(day, time()) + timedelta(days=1)
    return datetime.combine(day, time(hour, minute, second))


def receipt_date_refused(subject: str, example: str) -> str:
    """Why a receipt given as a date alone is refused, typed or in a file: a date means its 00:00,
    and a case received at 00:00 counts as received at 24:00 the day before (rules.deadlines), so
    "received that day" would silently get a deadline a working day early."""
    return f"{subject} 只有日期，没有钟点（0 点受理按前一天 24:00 计，时限会早一个工作日）；请写明钟点，如 {example}"


def no_such_day(raw: str, written: str) -> str | None:
    """Why a time `written` as a date (`raw`: in ASCII) is refused when its date is one no calendar has
    (`2026-02-30`, `2026-13-01`), else None: "cannot read it" would send a person looking for another form."""
    day = WRITTEN_DAY.match(raw)
    reason = day and date_refused(day)
    return f"时间 {echoed(written)} 的日期不存在：{reason}" if reason else None


def date_refused(day: re.Match) -> str | None:
    """Why the year, month and day a WRITTEN_DAY match names are no date (`2026 年 2 月只有 28 天`,
    `一年只有 12 个月`), else None: typed, in a file or in the rules file alike."""
    year, month, dom = int(day["y"]), int(day["mo"]), int(day["d"])
    if year < 1:
        return "没有公元 0 年"
    if not 1 <= month <= 12:
        return "一年只有 12 个月"
    last = monthrange(year, month)[1]
    if not 1 <= dom <= last:
        return f"{year} 年 {month} 月只有 {last} 天"
    return None


def from_iso(text: str) -> datetime:
    """ISO 8601 text as a datetime (ValueError if it is not), typed or in a file alike.

    `2026-11-30T24:00`, as jiesu shows a deadline, with or without seconds and offset, is the
    end of that day: the next day's 00:00.
    """
    if not date_alone(text) and "T" not in text and "t" not in text and " " not in text:
        # Python takes any one character between date and time: `2026-11-20+08:00` would be 08:00.
        raise ValueError(f"no T or space between date and time: {text!r}")
    day_end = _DAY_END.fullmatch(text)
    if day_end is None:
        return datetime.fromisoformat(text)
    return datetime.fromisoformat(f"{day_end['day']}T00:00{day_end['zone']}") + timedelta(days=1)


def fraction_written(text: str) -> bool:
    """Whether ISO text that `from_iso` reads writes a fraction of a second (`09:05:00.5`, `09:05:00,5`):
    jiesu keeps time to the second, and `.000` is refused as `.5` is, so that which times pass
    never depends on the fraction's digits. (No other part of an ISO time has a dot or comma.)"""
    return "." in text or "," in text


def wall_time_refused(moment: datetime) -> str | None:
    """Why a clock time read in a zone names no single instant, or None. China kept summer time
    in 1986–1991: the hour skipped when clocks went forward never happened, and the hour repeated
    when they went back happened twice; taking either as some instant would store another time
    than the one meant. A time with its offset written is one instant, whatever its zone."""
    if steady_day(moment.tzinfo, moment.date()):
        return None
    earlier, later = moment.replace(fold=0).utcoffset(), moment.replace(fold=1).utcoffset()
    if earlier == later:  # the two readings of a clock time differ only in a gap or a repeat (PEP 495)
        return None
    zone_ = moment.tzinfo
    if moment.astimezone(timezone.utc).astimezone(zone_).replace(tzinfo=None) != moment.replace(tzinfo=None):
        return f"在 {zone_} 不存在（夏令时拨快时跳过的钟点）"
    return f"在 {zone_} 出现了两次（夏令时拨回）；请写明偏移：{_offset_text(earlier)} 或 {_offset_text(later)}"


@lru_cache(maxsize=4096)
def steady_day(zone_, day) -> bool:
    """Whether the zone's clock neither jumps nor repeats during `day` (an import asks per row)."""
    start = datetime.combine(day, time(0), tzinfo=zone_)
    return start.utcoffset() == start.replace(fold=1).utcoffset() == (start + timedelta(days=1)).utcoffset()


def _offset_text(offset: timedelta) -> str:
    """`+08:00`; `+08:05:43` for an offset to the second."""
    sign, size = ("-", -offset) if offset.days < 0 else ("+", offset)
    text = f"{sign}{size.seconds // 3600:02d}:{size.seconds // 60 % 60:02d}"
    return f"{text}:{size.seconds % 60:02d}" if size.seconds % 60 else text


def date_alone(raw: str) -> bool:
    """Whether ISO text that reads as a time wrote a date without a clock time (`2026-11-20`, `20261120`)."""
    return len(raw) <= 10 and ":" not in raw and "T" not in raw


def day_end(day, tz: ZoneInfo) -> datetime:
    """A day's 24:00, the next 00:00: where a deadline given as a date (or counted in days) ends."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _day_bound(day, tz: ZoneInfo, end_of_day: bool, deadline: bool) -> datetime:
    start = datetime.combine(day, time(0), tzinfo=tz)
    if deadline:
        return day_end(day, tz)
    if end_of_day:
        return datetime.combine(day, time.max, tzinfo=tz)
    return start


def day_span(day, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The half-open interval [start, next start) of a local calendar day."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def shown(moment: datetime | None, tz: ZoneInfo) -> str:
    """A time as people read it: local, to the minute."""
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def shown_to_the_second(moment: datetime, tz: ZoneInfo, *, always: bool = False) -> str:
    """A time to the minute, or to the second when it has seconds or `always` (two times set side
    by side are shown alike: 23:59:59 beside 23:59 read as a contradiction)."""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M:%S}" if local.second or always else shown(local, tz)


def shown_apart(first: datetime, second: datetime, tz: ZoneInfo, *, bound: bool = False) -> tuple[str, str]:
    """Two times a line sets side by side (`X 早于 Y`): to the minute — the second as a deadline reads when
    `bound` — or both to the second when they fall in the same minute (`21:22` beside `21:22` reads as nonsense)."""
    if _minute(first, tz) == _minute(second, tz):
        return shown_to_the_second(first, tz, always=True), shown_to_the_second(second, tz, always=True)
    return shown(first, tz), (shown_bound if bound else shown)(second, tz)


def _minute(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(second=0, microsecond=0)


def bound_day(moment: datetime, tz: ZoneInfo) -> date:
    """The day a deadline ends on as people read it: one at 00:00 ends the day before (its 24:00)."""
    local = moment.astimezone(tz)
    return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()


def a_year_after(moment: datetime, tz: ZoneInfo) -> datetime:
    """The same local date and time a year later (29 February: the 28th)."""
    local = moment.astimezone(tz)
    day = min(local.day, monthrange(local.year + 1, local.month)[1])
    return local.replace(year=local.year + 1, day=day)


def bound_as_shown(moment: datetime) -> datetime:
    """The instant an end bound reads as (shown_bound): a minute's last second is the next minute's start,
    as an old book's 23:59:59.999999 is; the time left to it (todo's 剩余) is counted to it too, so that
    `10:00` never reads `还有29分` at 09:30, and is never more than a second past the bound itself."""
    exact = moment.astimezone(timezone.utc).replace(microsecond=0)
    return exact + timedelta(seconds=1) if exact.second == 59 else exact


def shown_bound(moment: datetime | None, tz: ZoneInfo) -> str:
    """A deadline or other end bound as people read it: one that ends a day is that day's 24:00.

    Deadlines counted in days end at the next 00:00, and a typed date (`--to 2026-12-30`) at the
    day's last instant; both read `2026-12-30 24:00`, never the next day's `00:00` or `23:59`.
    A minute's last second is the end of that minute as a day's is (`01:59:59` reads `02:00`); any
    other second is shown (`09:30:30`), for a deadline must never read earlier than it falls.
    JSON and CSV keep the exact instant.
    """
    if moment is None:
        return ""
    local = bound_as_shown(moment).astimezone(tz)
    if local.time() == time(0):
        return f"{bound_day(local, tz):%Y-%m-%d} 24:00"
    return shown_to_the_second(local, tz)
