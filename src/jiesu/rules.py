"""The rules of DESIGN §4 as pure functions: no database, no printing, `now` passed in.

Every number lives in `SPEC` with its default and where that default comes
from; the rules file (`jiesu.toml`, read by `rulesfile.py`) may override any.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from jiesu.clock import LENGTH_UNIT, WRITTEN_DAY, date_refused, unit_letter, year_refused, zone
from jiesu.digits import at_most, halfwidth
from jiesu.errors import BadInput, RuleViolation, TransitionRefused
from jiesu.safetext import echoed
from jiesu.vocab import SPAN_UNITS, TOP_LEVEL, Channel, CloseStep, LabeledEnum, Level, Nature, Result, Status, Tier, Track, Urgency

# ---------------------------------------------------------------- the spec


@dataclass(frozen=True)
class Span:
    """A length of time counted in clock hours, calendar days or working days."""

    amount: int
    unit: str  # hours | days | workdays
    written: str = field(default="", compare=False)  # as the rules file had it (`1 hours`, `7天`), for messages

    def __str__(self) -> str:
        """As the rules file writes it: `24 hours`, `1 hour`."""
        return f"{self.amount} {self.unit.removesuffix('s') if self.amount == 1 else self.unit}"

    @property
    def said(self) -> str:
        """As a message repeats it: as it was typed, else as str() writes it."""
        return self.written or str(self)

    @property
    def label(self) -> str:
        """As a sentence says it: `24 小时`, `7 个工作日` (str() is how the rules file writes it)."""
        return f"{self.amount} {SPAN_UNITS[self.unit]}"


# A span as the rules file writes it, or as `todo --within` takes a length (`12h`, `12小时`, `7天`), or in the
# words a sentence says it with (SPAN_UNITS: `7 个工作日`); minutes and weeks are no unit of a deadline.
_WORKDAY_WORDS = ("个工作日", "個工作日", "工作日")
_SPAN = re.compile(rf"^\s*(?P<amount>\d+)\s*(?P<unit>(?:hour|day|workday)s?|{'|'.join(_WORKDAY_WORDS)}|{LENGTH_UNIT})\s*$")
_SPAN_OF_LETTER = {"h": "hours", "d": "days"}
MOST_SPAN = 9999  # hours, days or working days: no deadline or window is longer


def _span_unit(word: str) -> str | None:
    """The unit of Span a unit as written names (`个工作日` → workdays, `小时` → hours), or None (minutes, weeks)."""
    if word in _WORKDAY_WORDS:
        return "workdays"
    if word.startswith(("hour", "day", "workday")):
        return word.rstrip("s") + "s"
    return _SPAN_OF_LETTER.get(unit_letter(word))


def _span(value: Any) -> Span:
    match = _SPAN.match(halfwidth(value).casefold()) if isinstance(value, str) else None
    unit = _span_unit(match["unit"]) if match else None
    if unit is None:
        raise ValueError('应写作 "N hours"、"N days" 或 "N workdays"（或 N 小时、N 天、N 个工作日）')
    amount = at_most(match["amount"], MOST_SPAN)
    if amount is None:  # a length too long is still a length
        raise ValueError(f'{echoed(value.strip())} 太长：最多 "{MOST_SPAN} {unit}"')
    return Span(amount, unit, " ".join(value.split()))


def _int(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"应为 {low} 到 {high} 之间的整数")
        return value

    return check


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError("应为 0 到 1 之间的数")
    return float(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("应为 true 或 false")
    return value


def _words(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError("应为字符串列表")
    return tuple(value)


def _enums(enum) -> Callable[[Any], tuple]:
    def check(value: Any) -> tuple:
        words = _words(value)
        try:
            return tuple(enum(v) for v in words)
        except ValueError:
            raise ValueError(f"可选：{enum.choices()}") from None

    return check


def _dates(value: Any) -> frozenset[date]:
    if not isinstance(value, list):
        raise ValueError("应为日期列表，如 [2027-01-01]")
    days = set()
    for item in value:
        if isinstance(item, datetime):
            raise ValueError("应为日期，不含时间")
        if isinstance(item, date):
            day = item
        elif isinstance(item, str):
            day = _quoted_date(item)
        else:
            raise ValueError("应为日期列表，如 [2027-01-01]")
        if wrong_year := year_refused(day.year):  # a mistyped year would be a day that never comes
            raise ValueError(f"日期 {echoed(item) if isinstance(item, str) else day.isoformat()} 的{wrong_year}")
        days.add(day)
    return frozenset(days)


def _quoted_date(item: str) -> date:
    """A date the rules file wrote as a string, `２０２６－１０－０８` as typed in Chinese too; ValueError saying
    why one no calendar has is none, as for a bare TOML date."""
    text = halfwidth(item).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        written = WRITTEN_DAY.fullmatch(text)
        reason = written and date_refused(written)
        raise ValueError(f"日期 {echoed(item)} 不存在：{reason}" if reason else f"{echoed(item)} 不是日期") from None


def _choice(*words: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in words:
            raise ValueError(f"可选：{', '.join(words)}")
        return value

    return check


def _zone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("应为时区名，如 Asia/Shanghai")
    try:
        zone(value)
    except BadInput:
        raise ValueError("未知的时区") from None
    return value


PUBLISHED = "北京公开规定"
ASSUMED = "假设"
OWN = "本办规则文件"  # the basis of a value the office's rules file set, whatever the default's was


@dataclass(frozen=True)
class Rule:
    key: str
    default: Any
    check: Callable[[Any], Any]
    basis: str
    help: str


SPEC: tuple[Rule, ...] = (
    Rule("timezone", "Asia/Shanghai", _zone, PUBLISHED, "显示和输入时间所用的时区"),
    Rule("deadlines.respond.emergency", "2 hours", _span, PUBLISHED, "紧急诉求首次响应时限"),
    Rule("deadlines.respond.utility", "24 hours", _span, PUBLISHED, "水电气热诉求首次响应时限"),
    Rule("deadlines.respond.general", "24 hours", _span, PUBLISHED, "一般诉求首次响应时限"),
    Rule("deadlines.respond.complex", "24 hours", _span, PUBLISHED, "复杂疑难诉求首次响应时限"),
    Rule("deadlines.resolve.emergency", "2 hours", _span, PUBLISHED, "紧急诉求反馈时限"),
    Rule("deadlines.resolve.utility", "24 hours", _span, PUBLISHED, "水电气热诉求反馈时限"),
    Rule("deadlines.resolve.general", "7 workdays", _span, ASSUMED, "一般诉求办理时限（北京公布 7 天；按工作日计是假设）"),
    Rule("deadlines.resolve.complex", "15 workdays", _span, ASSUMED, "复杂疑难诉求办理时限（北京公布 15 天；按工作日计是假设）"),
    Rule(
        "deadlines.utility_keywords",
        ["供水", "停水", "水压", "自来水", "供电", "停电", "电力", "燃气", "天然气", "煤气", "供气", "供暖", "供热", "暖气"],
        _words,
        ASSUMED,
        "类别含这些词即为水电气热时限档",
    ),
    Rule("deadlines.complex_levels", ["district", "city"], _enums(Level), PUBLISHED, "升级到这些层级即为复杂疑难"),
    Rule(
        "deadlines.period_end",
        "end_of_day",
        _choice("end_of_day", "same_time"),
        ASSUMED,
        "按天或工作日计的时限截止于：end_of_day 最后一日 24 时 / same_time 受理时刻；按天计的最后一日是休息日或节假日的，"
        "顺延至下一个工作日（民法典第二百零三条）",
    ),
    Rule(
        "deadlines.rest_day_receipt",
        "next_workday",
        _choice("next_workday", "as_received"),
        ASSUMED,
        "休息日、节假日受理的，按天或工作日计的时限：next_workday 自下一个工作日起算 / as_received 自受理时起算",
    ),
    Rule("deadlines.max_extensions", 1, _int(0, 10), ASSUMED, "每轮办理（受理或每次重办起）最多延期次数"),
    Rule("calendar.holidays", [], _dates, ASSUMED, "放假日：优先于 chinesecalendar 和 holidays 库（用于其未覆盖或有变动的年份）"),
    Rule("calendar.workdays", [], _dates, ASSUMED, "调休上班日：优先于 chinesecalendar 和 holidays 库（未覆盖年份的调休只能由此给出）"),
    Rule("close.face_to_face_channels", ["walkin", "desk"], _enums(Channel), ASSUMED, "这些渠道受理即视为已当面接触（三上门）并已响应（响应率）"),
    Rule("close.handle_requires", ["visit"], _enums(CloseStep), ASSUMED, "上门办：办结前需要的记录（visit 上门 / contact 联系）"),
    Rule("close.persuade_requires", ["visit"], _enums(CloseStep), ASSUMED, "上门劝：办结前需要的记录"),
    Rule("close.discuss_requires", ["visit"], _enums(CloseStep), ASSUMED, "上门谈：办结前需要的记录"),
    Rule("revisit.reopen_natures", ["reasonable"], _enums(Nature), ASSUMED, "回访未解决或不满意时重办的诉求性质"),
    Rule("undo.window", "24 hours", _span, ASSUMED, "撤销时限：办理记录在此时间内可由本人撤销（jiesu undo）"),
    Rule("revisit.due", "3 days", _span, ASSUMED, "办结后应在此时间内回访（jiesu todo 提醒）"),
    Rule("escalation.reopen_limit", 2, _int(1, 100), ASSUMED, "重办达到此次数即应升级"),
    Rule("escalation.repeat_limit", 3, _int(2, 1000), ASSUMED, "同一电话同一类别诉求达到此件数即应升级（一人多诉）"),
    Rule("escalation.repeat_days", 30, _int(1, 3650), ASSUMED, "一人多诉统计的天数"),
    Rule("rates.response_weight", 0.10, _fraction, ASSUMED, "综合得分中响应率的权重"),
    Rule("rates.resolution_weight", 0.45, _fraction, ASSUMED, "综合得分中解决率的权重"),
    Rule("rates.satisfaction_weight", 0.45, _fraction, ASSUMED, "综合得分中满意率的权重"),
    Rule("rates.basic_weight", 1.0, _fraction, ASSUMED, "“基本满意”在满意率中按此比例计"),
    Rule("rates.include_unreasonable", False, _flag, ASSUMED, "不合理诉求是否计入解决率和满意率"),
    Rule("hotspots.days", 7, _int(1, 366), ASSUMED, "未诉先办：统计最近多少天"),
    Rule("hotspots.min_cases", 5, _int(2, 100000), ASSUMED, "同社区同类别达到此件数即为热点"),
    Rule("hotspots.address_min", 3, _int(2, 100000), ASSUMED, "同一地址达到此件数即为热点"),
    Rule("hotspots.caller_min", 3, _int(2, 100000), ASSUMED, "同一电话达到此件数即为热点（一人多诉）"),
    Rule("hotspots.seasonal_min", 5, _int(1, 100000), ASSUMED, "往年同期（未来 30 天）同类别每年达到此件数即为季节性热点"),
    Rule("hotspots.seasonal_years", 2, _int(1, 20), ASSUMED, "季节性热点回看的年数"),
)

SPEC_BY_KEY = {rule.key: rule for rule in SPEC}


@dataclass(frozen=True)
class Rules:
    """The rules in force: checked values by dotted key, and where each came from."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.values["timezone"])

    def source(self, key: str) -> str:
        return self.sources.get(key, "default")


# The choices of deadlines.period_end and deadlines.rest_day_receipt as people read them.
CHOICE_WORDS = {"end_of_day": "最后一日 24 时", "same_time": "受理时刻", "next_workday": "自下一个工作日起算", "as_received": "自受理时起算"}


def value_said(value: Any) -> str:
    """A rule's value as `in_force` gives it, as people read it (the table of `rules show`, the HTML report):
    a span in Chinese (`7 个工作日`, Span.label), a choice in words, yes/no as 是/否, a list joined, its steps,
    channels, levels and natures by their labels (`上门`, `来访, 现场办公`). JSON and CSV keep the value itself,
    as a rules file writes it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return ", ".join(item.label if isinstance(item, LabeledEnum) else item for item in value)
    if isinstance(value, str) and _SPAN.match(value):
        return _span(value).label
    return CHOICE_WORDS.get(value, str(value)) if isinstance(value, str) else str(value)


def in_force(rules: Rules) -> Iterator[dict[str, Any]]:
    """Every rule with its value (JSON-ready), where the value came from, its basis (the office's own for a value
    its rules file set) and what it means."""
    for rule in SPEC:
        value = rules[rule.key]
        if isinstance(value, (tuple, frozenset)):  # members of an enum stay so (a str each): the table says their labels
            value = sorted(v if isinstance(v, LabeledEnum) else str(v) for v in value)
        elif not isinstance(value, (int, float, bool, str)):
            value = str(value)
        source = rules.source(rule.key)
        basis = rule.basis if source == "default" else OWN
        yield {"key": rule.key, "value": value, "source": source, "basis": basis, "help": rule.help}


def make_rules(overrides: dict[str, Any] | None = None, source: str = "file") -> Rules:
    """Defaults with `overrides` (dotted keys) checked and laid over them.

    A bad value raises ValueError naming the key; unknown keys are the rules
    file reader's business.
    """
    values = {rule.key: rule.check(rule.default) for rule in SPEC}
    sources = {}
    for key, value in (overrides or {}).items():
        try:
            values[key] = SPEC_BY_KEY[key].check(value)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
        sources[key] = source
    for tier in Tier:
        _refuse_resolve_before_respond(tier.value, values, sources)
    both = values["calendar.holidays"] & values["calendar.workdays"]
    if both:  # neither list may quietly win
        days = "、".join(day.isoformat() for day in sorted(both))
        raise ValueError(f"calendar.workdays: {days} 也列在 calendar.holidays 中；同一天不能既放假又上班")
    return Rules(values, sources)


def _refuse_resolve_before_respond(tier: str, values: dict[str, Any], sources: dict[str, str]) -> None:
    """A resolve period that can end before the respond period of its tier is refused (as a ValueError
    naming the key the file set), not stretched to it: the deadline would not be the one written."""
    respond_key, resolve_key = f"deadlines.respond.{tier}", f"deadlines.resolve.{tier}"
    respond, resolve = values[respond_key], values[resolve_key]
    if never_shorter(resolve, respond):
        return
    maybe = "" if resolve.unit == respond.unit else "可能"  # across units it depends on the clock and the calendar
    if resolve_key in sources:
        said = f'{resolve_key}: "{resolve.said}" {maybe}短于首次响应时限 {respond_key} "{respond.said}"'
    else:
        said = f'{respond_key}: "{respond.said}" {maybe}长于办理时限 {resolve_key} "{resolve.said}"'
    raise ValueError(f"{said}；办理时限不能早于首次响应时限")


def never_shorter(longer: Span, shorter: Span) -> bool:
    """Whether `longer`, counted from any moment (add_span), never ends before `shorter` does.

    N days or working days are at least N×24 hours; N working days (N ≥ 1) end on a working day at
    or after the N-th day, so no earlier than N days (which end on the first working day at or after
    it); N days reach the first working day after the start but not, over a holiday, the second.
    Hours against days depend on the clock and the calendar: they are never taken to be longer."""
    if longer.unit == shorter.unit:
        return longer.amount >= shorter.amount
    if shorter.unit == "hours":
        return longer.amount * 24 >= shorter.amount
    if longer.unit == "workdays":  # 0 working days end on the day counted from, even a rest day
        return shorter.unit == "days" and longer.amount >= max(shorter.amount, 1)
    return longer.unit == "days" and shorter.unit == "workdays" and shorter.amount <= 1 and longer.amount >= shorter.amount


DEFAULT_RULES = make_rules()


# ---------------------------------------------------------------- calendar


class Calendar:
    """Working days: the rules file's lists, then China's official calendar, then the statutory days.

    `chinesecalendar` carries each year's State Council notice (holidays and make-up
    workdays). For a year it does not know yet, the statutory holidays of
    《全国年节及纪念日放假办法》 and their 补假 come from the `holidays` package, and the
    make-up workdays are unknown unless the rules file lists them; `fallback_years`
    collects the years read for which it lists none, so the CLI can say so once. The rules
    file's dates win in any year: an office that lists a date means it.
    """

    def __init__(self, rules: Rules) -> None:
        self.holidays: frozenset[date] = rules["calendar.holidays"]
        self.workdays: frozenset[date] = rules["calendar.workdays"]
        self.listed_years = listed_workday_years(rules)
        self.fallback_years: set[int] = set()
        self._cache: dict[date, bool] = {}
        self._offsets: dict[tuple[date, int], int] = {}
        self.day_ends: dict[tuple, tuple] = {}  # add_span's answers that depend on the day alone (_day_ends)
        self._statutory: dict[int, frozenset[date]] = {}

    def is_workday(self, day: date) -> bool:
        known = self._cache.get(day)
        if known is None:
            known = self._cache[day] = self._lookup(day)
        return known

    def _lookup(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        official = official_workday(day)
        if official is not None:
            return official
        if day.year not in self.listed_years:
            self.fallback_years.add(day.year)
        return day.weekday() < 5 and day not in self._statutory_days(day.year)

    def knows_years(self, first: int, last: int) -> bool:
        """Whether every year from `first` to `last` has its working days listed (officially or in the
        rules file): reading them adds nothing to `fallback_years`."""
        official, _, _ = _official_tables()
        return all(year in official or year in self.listed_years for year in range(first, last + 1))

    def rest_day(self, day: date) -> str | None:
        """What `day` is when no one works: 法定节假日 (a holiday the rules file, the official calendar or
        the statutory days name) or 休息日 (a weekend); None for a working day."""
        if self.is_workday(day):
            return None
        years, official_holidays, _ = _official_tables()
        named = day in official_holidays if day.year in years else day in self._statutory_days(day.year)
        return "法定节假日" if day in self.holidays or named else "休息日"

    def _statutory_days(self, year: int) -> frozenset[date]:
        days = self._statutory.get(year)
        if days is None:
            import holidays  # only for years chinesecalendar does not know

            days = self._statutory[year] = frozenset(holidays.China(years=year))
        return days

    def next_workday(self, day: date) -> date:
        """The first working day after `day`."""
        return day + timedelta(days=self._workday_offset(day, 1))

    def add_workdays(self, day: date, count: int) -> date:
        """The `count`-th working day after `day`."""
        return day + timedelta(days=self._workday_offset(day, count))

    def _workday_offset(self, day: date, count: int) -> int:
        """Calendar days from `day` to its `count`-th following working day (memoised: imports ask often)."""
        key = (day, count)
        offset = self._offsets.get(key)
        if offset is None:
            offset, remaining = 0, count
            while remaining > 0:
                offset += 1
                if self.is_workday(day + timedelta(days=offset)):
                    remaining -= 1
            self._offsets[key] = offset
        return offset

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n)))


def listed_workday_years(rules: Rules) -> frozenset[int]:
    """The years the rules file lists make-up workdays for: their 调休 is known, whatever the package says."""
    return frozenset(day.year for day in rules["calendar.workdays"])


def official_workday(day: date) -> bool | None:
    """chinesecalendar's word on `day`, or None for a year it does not cover.

    Read from its published tables (`holidays`, `workdays`) by the rule of its own
    `is_workday`, which checks the year by scanning every holiday it knows, each call:
    most of the time `todo` took to date a thousand days' revisits."""
    years, holidays, workdays = _official_tables()
    if day.year not in years:
        return None
    return day in workdays or (day.weekday() <= 4 and day not in holidays)


@lru_cache(maxsize=1)
def _official_tables() -> tuple[range, dict, dict]:
    import chinese_calendar

    covered = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
    return covered, chinese_calendar.holidays, chinese_calendar.workdays


def first_unofficial_year() -> int:
    """The first year after 2004 that chinesecalendar does not cover (it covers a run of years)."""
    year = 2004
    while official_workday(date(year, 6, 1)) is not None:
        year += 1
    return year


WHOLE_DAY = timedelta(days=1)
# How far past its end `latest_start`'s probing may read the calendar: a span that starts a few
# days too late, stretched by the longest run of holidays and weekends.
PROBE_SPILL = timedelta(days=31)
MIDNIGHT = time()


def add_span(start: datetime, span: Span, calendar: Calendar, rules: Rules) -> datetime:
    """`start` moved on by `span`.

    Hours are clock hours from the moment (民法典 §201). Days and working days count on
    the local calendar from the day after the start (§201), ending at 24:00 of the last
    day (§203) or, with `deadlines.period_end = "same_time"`, at the clock time of the
    start. Calendar days whose last day is a rest day or holiday end on the next working
    day instead, at the same clock time (§203: 最后一日是法定休假日的，以法定休假日结束的次日
    为期间的最后一日). Received at 00:00 is received at 24:00 of the day before (the same instant).
    Received on a rest day, with `deadlines.rest_day_receipt = "next_workday"`, the
    count starts at 00:00 of the next working day, which is the first day counted.
    """
    if span.unit == "hours":
        end = start + timedelta(hours=span.amount)  # on the clock of start's zone
        if end.utcoffset() != start.utcoffset():  # which jumped meanwhile (summer time, 1986–1991): count elapsed hours
            end = (start.astimezone(timezone.utc) + timedelta(hours=span.amount)).astimezone(start.tzinfo)
        return end
    tz = rules.tz
    local = start.astimezone(tz)
    if (local.hour or local.minute or local.second or local.microsecond) and rules["deadlines.period_end"] == "end_of_day":
        return _day_ends(local.date(), span, calendar, rules, start.tzinfo)[0]
    local = local.replace(tzinfo=None)
    day = local.date()
    return _moved(day, local - datetime.combine(day, datetime.min.time()), span, calendar, rules).astimezone(start.tzinfo)


def _day_ends(day: date, span: Span, calendar: Calendar, rules: Rules, zone) -> tuple[datetime, datetime | None]:
    """For a start on local `day` at a clock time other than 00:00, where spans end at 24:00: where its
    span ends, in `zone` (the zone the caller's times are in), and 24:00 of `day` (`_day_end`)."""
    return DayEnds(span, calendar, rules, zone)(day)


class DayEnds:
    """`_day_ends` of one span, counted under one calendar into one zone, for any local day. The end is
    the same whatever the clock time: one answer per day (an import asks per row, `todo` per closed
    case), remembered in the calendar, and in KEPT_DAY_ENDS where the official calendar alone gave it.
    Made once for many days, it looks up what they share once."""

    def __init__(self, span: Span, calendar: Calendar, rules: Rules, zone) -> None:
        key = (span, rules["deadlines.rest_day_receipt"], rules.tz, zone)
        self.known = calendar.day_ends.setdefault(key, {})
        self.kept = KEPT_DAY_ENDS.setdefault((*key, calendar.holidays, calendar.workdays), {})
        self.span, self.calendar, self.rules, self.zone = span, calendar, rules, zone

    def __call__(self, day: date) -> tuple[datetime, datetime | None]:
        ends = self.known.get(day)
        if ends is None:
            ends = self.kept.get(day)
            if ends is None:
                end = _moved(day, WHOLE_DAY, self.span, self.calendar, self.rules)
                ends = (end.astimezone(self.zone), _day_end(day, self.rules.tz))
                if official_workday(day) is not None and official_workday(end.date() - WHOLE_DAY) is not None:
                    self.kept[day] = ends  # every day counted is in chinesecalendar: no year to tell of
            self.known[day] = ends
        return ends


# _day_ends' answers by everything they depend on (the rules file's own holidays and workdays too), a
# table of days for each, kept for the life of the process. The resident process works out a few
# years' of them before it forks (`remember_day_ends`), so that `todo`, which asks for each day's
# revisits, finds them.
KEPT_DAY_ENDS: dict[tuple, dict[date, tuple[datetime, datetime | None]]] = {}


def remember_day_ends(rules: Rules, last: date, days: int) -> None:
    """Work out where `revisit.due` counted from each of the `days` local days up to `last` ends, for
    the times a book holds (UTC), into KEPT_DAY_ENDS."""
    span = rules["revisit.due"]
    if span.unit != "hours" and rules["deadlines.period_end"] == "end_of_day":
        ends = DayEnds(span, Calendar(rules), rules, timezone.utc)
        for back in range(days):
            ends(last - timedelta(days=back))


def latest_start(end: datetime, span: Span, calendar: Calendar, rules: Rules) -> datetime:
    """A moment no earlier than the last start whose span (add_span) ends by `end`: that start itself
    for hours and for days that end at 24:00, else a first cut (N days or working days are never
    shorter than N calendar days less the hour or two a summer-time change takes out: a day of slack).
    add_span never ends earlier for a later start, so every start up to the moment returned ends by
    `end` in the first two cases."""
    if span.unit == "hours":
        return end - timedelta(hours=span.amount)
    first_cut = end - timedelta(days=span.amount) + WHOLE_DAY
    if rules["deadlines.period_end"] != "end_of_day":
        return first_cut
    day = first_cut.astimezone(rules.tz).date()
    if not calendar.knows_years(day.year, (end + PROBE_SPILL).astimezone(rules.tz).year):
        return first_cut  # probing would read a year no calendar lists, and note it though no deadline falls there
    while True:  # back a day at a time (a few at most: past a holiday) to the last day whose span ends in time
        day_end = _day_end(day, rules.tz)
        if day_end is None:
            return first_cut
        if add_span(day_end, span, calendar, rules) <= end:
            return day_end
        day -= WHOLE_DAY


def spans_alike(span: Span, calendar: Calendar, rules: Rules, zone) -> Callable[[datetime], tuple[datetime, datetime]]:
    """For starts in `zone`: add_span(start, span, …), and the last moment from `start` on whose span
    ends there too: 24:00 of its local day where the end depends on the day alone, else `start`
    itself. Made once for many starts (`todo`'s revisits)."""
    if span.unit == "hours" or rules["deadlines.period_end"] != "end_of_day":
        return lambda start: (add_span(start, span, calendar, rules), start)
    tz, ends_of = rules.tz, DayEnds(span, calendar, rules, zone)

    def alike(start: datetime) -> tuple[datetime, datetime]:
        local = start.astimezone(tz)
        if local.hour or local.minute or local.second or local.microsecond:  # 00:00 is 24:00 of the day before
            end, day_end = ends_of(local.date())
            return end, day_end or start
        return add_span(start, span, calendar, rules), start

    return alike


def _day_end(day: date, tz: ZoneInfo) -> datetime | None:
    """24:00 of local `day` as a UTC time, or None where the zone's clock skipped it (summer time)."""
    midnight = datetime.combine(day + WHOLE_DAY, MIDNIGHT, tz)
    moment = midnight.astimezone(timezone.utc)
    back = moment.astimezone(tz)  # its clock read back, field by field (datetime.replace is slow)
    return moment if back.date() == midnight.date() and back.time() == MIDNIGHT else None


def _moved(day: date, clock_time: timedelta, span: Span, calendar: Calendar, rules: Rules) -> datetime:
    """The end of `span` counted from `clock_time` into local `day`, as add_span says."""
    tz = rules.tz
    if not clock_time:
        day, clock_time = day - WHOLE_DAY, WHOLE_DAY
    if rules["deadlines.rest_day_receipt"] == "next_workday" and not calendar.is_workday(day):
        day, clock_time = calendar.next_workday(day) - WHOLE_DAY, WHOLE_DAY
    if span.unit == "days":
        last = day + timedelta(days=span.amount)
        if not calendar.is_workday(last):  # §203: the day after the 法定休假日 becomes the last day
            last = calendar.next_workday(last)
    else:
        last = calendar.add_workdays(day, span.amount)
    if rules["deadlines.period_end"] == "end_of_day":
        clock_time = WHOLE_DAY
    return datetime.combine(last, MIDNIGHT, tz) + clock_time  # on the local clock, as before (not replace: slow)


# ---------------------------------------------------------------- tiers and deadlines


def tier_for(urgency: str, category: str, level: str, rules: Rules) -> Tier:
    """紧急 when urgent, 复杂疑难 when escalated past the street, 水电气热 by category."""
    if urgency == Urgency.URGENT:
        return Tier.EMERGENCY
    if level in rules["deadlines.complex_levels"]:
        return Tier.COMPLEX
    if _mentions(category, rules["deadlines.utility_keywords"]):
        return Tier.UTILITY
    return Tier.GENERAL


@lru_cache(maxsize=1024)
def _mentions(category: str, words: tuple[str, ...]) -> bool:
    """Whether `category` holds any of `words` (remembered: an import asks for the same few categories)."""
    return any(word in category for word in words)


def deadlines(received_at: datetime, tier: str, rules: Rules, calendar: Calendar) -> tuple[datetime, datetime]:
    """(respond_by, resolve_by) for a case received at `received_at` in `tier`."""
    respond = add_span(received_at, rules[f"deadlines.respond.{tier}"], calendar, rules)
    resolve = add_span(received_at, rules[f"deadlines.resolve.{tier}"], calendar, rules)
    # make_rules refuses a resolve period that can end first; only a summer-time hour still could.
    return respond, max(respond, resolve)


def deadlines_of(rules: Rules, calendar: Calendar, zone) -> Callable[[datetime, str], tuple[datetime, datetime]]:
    """`deadlines` for many cases (an import's), made once: each tier's two spans looked up, and
    their ends per day kept (spans_alike), for receipts in `zone`; a receipt in another zone is
    counted as `deadlines` counts it."""
    ends = {
        tier.value: (
            spans_alike(rules[f"deadlines.respond.{tier.value}"], calendar, rules, zone),
            spans_alike(rules[f"deadlines.resolve.{tier.value}"], calendar, rules, zone),
        )
        for tier in Tier
    }

    def of(received_at: datetime, tier: str) -> tuple[datetime, datetime]:
        if received_at.tzinfo is not zone:
            return deadlines(received_at, tier, rules, calendar)
        respond_end, resolve_end = ends[tier]
        respond, resolve = respond_end(received_at)[0], resolve_end(received_at)[0]
        return respond, max(respond, resolve)

    return of


# ---------------------------------------------------------------- 三上门

TRACK_OF = {
    Nature.REASONABLE: Track.HANDLE,
    Nature.UNREASONABLE: Track.PERSUADE,
    Nature.CONSULT: Track.DISCUSS,
}

RESULT_OF = {Track.HANDLE: Result.RESOLVED, Track.PERSUADE: Result.EXPLAINED, Track.DISCUSS: Result.ANSWERED}


def track_for(nature: str) -> str | None:
    """The 三上门 track a nature calls for, as stored (None while 待研判)."""
    track = TRACK_OF.get(Nature(nature))
    return track.value if track else None


def responded_at_receipt(channel: str, received_at: datetime, rules: Rules) -> datetime | None:
    """A face-to-face receipt is the first response, as it is the face-to-face step of 三上门."""
    return received_at if channel in rules["close.face_to_face_channels"] else None


def wrong_result(track: Track, result: str) -> str | None:
    """Why a case on `track` cannot close with `result` (三上门: each track has its one result), or None."""
    expected = RESULT_OF[track]
    if result == expected:
        return None
    return f"办结结果应为 {expected.value} {expected.label}，不是 {Result(result).value} {Result(result).label}"


def check_close(
    *, case_id: int, nature: str, channel: str, result: str, visits: int, contacts: int, rules: Rules, reopened: bool = False
) -> None:
    """Raise RuleViolation unless 三上门 lets this case close with `result`. A face-to-face receipt
    is the face-to-face step of the first round only: a reopened case needs a new visit."""
    if nature == Nature.UNCLASSIFIED:
        raise RuleViolation(f"#{case_id} 尚未研判诉求性质，不能办结；请先 classify")
    track = TRACK_OF[Nature(nature)]
    if result == Result.UNRESOLVED and nature == Nature.REASONABLE:
        raise RuleViolation(f"#{case_id} 是合理诉求，暂时解决不了的不能以未解决办结；请用 ledger add 上账整改")
    wrong = wrong_result(track, result)
    if wrong:
        raise RuleViolation(f"#{case_id} 走{track.label}，{wrong}")
    face_to_face = not reopened and channel in rules["close.face_to_face_channels"]
    done = {"visit": visits > 0 or face_to_face, "contact": contacts > 0 or face_to_face}
    missing = [step for step in rules[f"close.{track.value}_requires"] if not done[step]]
    if missing:
        said = {"visit": "上门（visit）", "contact": "联系诉求人（contact）"}
        raise RuleViolation(f"#{case_id} 走{track.label}，办结前还需要{'、'.join(said[s] for s in missing)}的记录")


# ---------------------------------------------------------------- 三率


@dataclass(frozen=True)
class RateCounts:
    """What the 三率 are computed from; every field an SQL count."""

    responded_in_time: int = 0
    response_due: int = 0
    revisited: int = 0
    resolved: int = 0
    satisfied: int = 0
    basic: int = 0


def _share(part: float, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def rates(counts: RateCounts, rules: Rules) -> dict[str, float | None]:
    """响应率, 解决率, 满意率 and the weighted score; a rate is None when nothing counts toward it.

    The score weighs the rates that exist, renormalising their weights, so that
    an early-month report with no revisits yet still has a score.
    """
    result = {
        "response": _share(counts.responded_in_time, counts.response_due),
        "resolution": _share(counts.resolved, counts.revisited),
        "satisfaction": _share(counts.satisfied + counts.basic * rules["rates.basic_weight"], counts.revisited),
    }
    weighted = [(rules[f"rates.{name}_weight"], value) for name, value in result.items() if value is not None]
    total = sum(weight for weight, _ in weighted)
    result["score"] = sum(weight * value for weight, value in weighted) / total if weighted and total else None
    return result


# ---------------------------------------------------------------- transitions

ALLOWED: dict[str, tuple[str, ...]] = {
    Status.NEW: ("assign", "contact", "visit", "classify", "escalate", "extend", "close", "note", "merge", "ledger add"),
    Status.ASSIGNED: (
        "assign", "return", "contact", "visit", "classify", "escalate", "extend", "close", "note", "merge", "ledger add",
    ),
    Status.LEDGERED: ("assign", "contact", "visit", "classify", "escalate", "note", "ledger clear", "ledger edit"),
    Status.CLOSED: ("revisit", "reopen", "note"),
    Status.REVISITED: ("reopen", "note"),  # one 回访 per 办结 (steps.allowed names the one made)
    Status.MERGED: ("note",),
}


def allowed(status: str, step: str) -> bool:
    return step in ALLOWED[Status(status)]


def _never_offered(status: str, level: str) -> set[str]:
    """Steps a status allows that the hint of a refusal leaves out: note (always there), escalate at the top
    level, and classify on the ledger, where a case stays 合理诉求 — the nature it already has — so every
    研判 is refused."""
    return {"note"} | ({"escalate"} if level == TOP_LEVEL else set()) | ({"classify"} if status == Status.LEDGERED else set())


def check_step(case_id: int, status: str, level: str, step: str, verb: str, merged_into: int | None = None) -> None:
    """Raise TransitionRefused naming what the case's status allows instead (never a step that is refused
    there whatever it is given: _never_offered), and for a merged case the case it went into: where its work now is."""
    if not allowed(status, step):
        if merged_into is not None:
            raise TransitionRefused(f"#{case_id} 已并入 #{merged_into}，不能{verb}")
        left_out = _never_offered(status, level)
        options = ", ".join(s for s in ALLOWED[Status(status)] if s not in left_out)
        hint = f"；可用：{options}" if options else ""
        raise TransitionRefused(f"#{case_id} {Status(status).label}，不能{verb}{hint}")
