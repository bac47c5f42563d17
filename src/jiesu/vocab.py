"""The words of DESIGN §1: each enum has a stable English value and a Chinese label.

Kept free of heavy imports: the CLI builds its options from these at start-up.
"""

from __future__ import annotations

from enum import Enum

from jiesu.digits import halfwidth


def refused_word(noun: str, text: str, shown: str, names: list[str] | dict[str, str], choices: str) -> str:
    """The refusal of a word `text` (echoed as `shown`) that none of `names` is: the one it most likely
    meant, if any, and all `choices`."""
    meant = guessed(text, names)
    return f"未知的{noun} {shown}；{f'您是不是要 {meant}？' if meant else ''}可选：{choices}"


def guessed(text: str, names: list[str] | dict[str, str]) -> str | None:
    """The one of `names` a word none of them is most likely meant: the one that begins with it
    (已解释 → 已解释说明, 合理 → 合理诉求 though 不合理诉求 holds it too), else the one holding it, else the
    closest; those equally close, both (已解答 is as near 已解决 as 已答复: tester 42, closing a consultation,
    was offered only the one its case refuses); None for none. `names` may map each spelling to the name
    offered for it (12345 → 12345热线 → hotline)."""
    offered = names if isinstance(names, dict) else {name: name for name in names}
    wanted = text.strip().casefold()
    for fits in (str.startswith, str.__contains__):
        found = list(dict.fromkeys(offered[name] for name in offered if wanted and fits(name.casefold(), wanted)))
        if len(found) == 1:
            return found[0]
    from difflib import SequenceMatcher

    nearness: dict[str, float] = {}
    for name, meant in offered.items():
        nearness[meant] = max(nearness.get(meant, 0), SequenceMatcher(None, wanted, name.casefold()).ratio())
    best = max(nearness.values(), default=0)
    closest = [name for name, ratio in nearness.items() if ratio == best]
    return " 或 ".join(closest) if best >= 0.6 and len(closest) <= 2 else None


class LabeledEnum(str, Enum):
    """A str enum whose members carry a Chinese label; either spelling parses."""

    label: str

    def __new__(cls, value: str, label: str) -> LabeledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def _missing_(cls, value: object) -> LabeledEnum | None:
        if not isinstance(value, str):
            return None
        wanted = halfwidth(value).strip().casefold()  # ＣＯＭＰＬＡＩＮＴ typed on a Chinese keyboard is complaint
        found = next((member for member in cls if wanted in member.spellings()), None)
        if found is None and not wanted.isascii():  # 緊急, typed in traditional characters, is 紧急
            from jiesu.textsearch import fold

            found = next((member for member in cls if fold(wanted) in map(fold, member.spellings())), None)
        return found

    def spellings(self) -> tuple[str, ...]:
        """What a user may write for this member: its value and its label."""
        return self.value, self.label.casefold()

    @classmethod
    def unknown(cls, noun: str, text: object, shown: str) -> str:
        """The refusal of `text` (echoed as `shown`), which no member spells: the one it most likely meant
        by either spelling, offered in the script it was typed in (12345, the hotline's number, is offered
        hotline), and all."""
        text = halfwidth(str(text))
        names = {spelling: m.value if text.isascii() else m.label for m in cls for spelling in (m.value, m.label)}
        return refused_word(noun, text, shown, names, cls.choices())

    @classmethod
    def choices(cls) -> str:
        """The accepted spellings, for help texts and error messages."""
        return ", ".join(f"{m.value} {m.label}" for m in cls)


class Status(LabeledEnum):
    NEW = "new", "待派单"
    ASSIGNED = "assigned", "办理中"
    LEDGERED = "ledgered", "挂账整改"
    CLOSED = "closed", "已办结"
    REVISITED = "revisited", "已回访"
    MERGED = "merged", "已合并"


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.LEDGERED)


def open_status(assignee: str | None) -> Status:
    """An open case off the ledger is 办理中 with someone to handle it, 待派单 without."""
    return Status.ASSIGNED if assignee else Status.NEW


class Nature(LabeledEnum):
    REASONABLE = "reasonable", "合理诉求"
    UNREASONABLE = "unreasonable", "不合理诉求"
    CONSULT = "consult", "咨询建议"
    UNCLASSIFIED = "unclassified", "待研判"


class Track(LabeledEnum):
    HANDLE = "handle", "上门办"
    PERSUADE = "persuade", "上门劝"
    DISCUSS = "discuss", "上门谈"


class CloseStep(LabeledEnum):
    """What a track may need recorded before 办结 (the rules file's close.*_requires): the command that records it."""

    VISIT = "visit", "上门"
    CONTACT = "contact", "联系"


class Result(LabeledEnum):
    RESOLVED = "resolved", "已解决"
    EXPLAINED = "explained", "已解释说明"
    ANSWERED = "answered", "已答复"
    UNRESOLVED = "unresolved", "未解决"


class Satisfaction(LabeledEnum):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Level(LabeledEnum):
    COMMUNITY = "community", "社区"
    STREET = "street", "街道"
    DISTRICT = "district", "区"
    CITY = "city", "市"

    def spellings(self) -> tuple[str, ...]:
        return (*super().spellings(), f"{self.label}级")  # 区级, as jiesu's own lines say it


# The top of the ladder 社区→街道→区→市: a case there cannot be escalated, so is never due for it.
TOP_LEVEL = Level.CITY
# How a rule's length of time (rules.Span: `24 hours`, `7 workdays`) reads in a sentence.
SPAN_UNITS = {"hours": "小时", "days": "天", "workdays": "个工作日"}


class Channel(LabeledEnum):
    HOTLINE = "hotline", "12345热线"
    PHONE = "phone", "电话"
    WALKIN = "walkin", "来访"
    ONLINE = "online", "网络"
    DESK = "desk", "现场办公"
    PROACTIVE = "proactive", "主动发现"
    OTHER = "other", "其他"


class Kind(LabeledEnum):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGEST = "suggest", "建议"


class Urgency(LabeledEnum):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"


class Tier(LabeledEnum):
    EMERGENCY = "emergency", "紧急"
    UTILITY = "utility", "水电气热"
    GENERAL = "general", "一般"
    COMPLEX = "complex", "复杂疑难"


class LedgerStatus(LabeledEnum):
    OPEN = "open", "在账"
    CLEARED = "cleared", "已销账"


class EventKind(LabeledEnum):
    FILED = "filed", "受理"
    CLASSIFIED = "classified", "研判"
    ASSIGNED = "assigned", "派单"
    RETURNED = "returned", "退单"
    CONTACTED = "contacted", "联系诉求人"
    VISITED = "visited", "上门"
    ESCALATED = "escalated", "升级"
    EXTENDED = "extended", "延期"
    NOTED = "noted", "备注"
    CLOSED = "closed", "办结"
    REVISITED = "revisited", "回访"
    REOPENED = "reopened", "重办"
    LEDGERED = "ledgered", "上账"
    CLEARED = "cleared", "销账"
    CARRIED = "carried", "结转"
    MERGED = "merged", "并单"
    IMPORTED = "imported", "导入"
    PURGED = "purged", "删除个人信息"
    EDITED = "edited", "更正"
    UNDONE = "undone", "撤销"


# Entries about the record, not steps on the case: the filing is dated at the receipt as first typed,
# a correction when it was typed. A corrected receipt (`edit --received`) may fall after either;
# every other step must follow it.
RECORD_KINDS = (EventKind.FILED.value, EventKind.EDITED.value)


class OutputFormat(LabeledEnum):
    """How a command prints its rows."""

    TABLE = "table", "表格"
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    IDS = "ids", "编号"


class ReportFormat(LabeledEnum):
    """How a report prints."""

    TABLE = "table", "表格"
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    MARKDOWN = "markdown", "Markdown"
    HTML = "html", "网页"


# Where `purge` removed a personal value, in a case's history: a value no longer known, which a
# view as of an earlier time reads as empty (three purged callers are not one caller "***").
PURGED_VALUE = "***"
PERSONAL_FIELDS = frozenset({"name", "phone", "phone_ext", "address"})


def label_of(enum: type[LabeledEnum], value: str) -> str:
    """The Chinese label of a stored value, or the value itself when it is none of `enum`'s (a damaged book)."""
    try:
        return enum(value).label
    except ValueError:
        return value


def levels_said(levels) -> str:
    """Levels as a sentence names them: `区级或市级`, `街道级、区级或市级`."""
    said = [f"{level.label}级" for level in levels]
    return "或".join(filter(None, ["、".join(said[:-1]), said[-1]]))


def labels_of_every_word() -> list[str]:
    """Every Chinese label of DESIGN §1's words of more than one character, longest first (so a
    pattern made of them takes 挂账整改 before 挂账)."""
    words = {m.label for enum in LabeledEnum.__subclasses__() for m in enum if len(m.label) > 1}
    return sorted(words, key=lambda word: (-len(word), word))
