"""What the case commands show: records of cases, events and revisits, and their table columns."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jiesu.models import CASE_FIELDS, CASE_TIMES, ENTRY_EDITABLE, LISTED_ENTRY_FIELDS, Case, Event, LedgerEntry, Revisit
from jiesu import phones
from jiesu.queries import reason_labels
from jiesu.clock import shown as shown_at, shown_bound
from jiesu.render import Column, iso, labelled, local_bound, local_time, null_if_empty, record, without_year
from jiesu.safetext import shortened
from jiesu.vocab import OPEN_STATUSES, Channel, EventKind, Kind, LedgerStatus, Level, Nature, Result, Satisfaction, Status, Tier, Track, Urgency

EVENT_FIELDS = ("id", "at", "actor", "kind", "note", "changes", "undoes")
LEDGER_FIELDS = ("id", "case_id", "opened_at", "period", "plan", "unit", "due", "status", "cleared_at", "evidence")
REVISIT_FIELDS = ("id", "at", "actor", "satisfaction", "resolved", "note")


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def case_id(value: Any) -> str:
    return f"#{value}" if value else ""


def case_record(case: Case, tz: ZoneInfo, *, reveal: bool = False) -> dict[str, Any]:
    return record(case, CASE_FIELDS, tz, reveal=reveal)


def event_record(event: Event, tz: ZoneInfo, *, reveal: bool = False) -> dict[str, Any]:
    row = record(event, EVENT_FIELDS, tz, reveal=reveal)
    row["changes"] = _shown_changes(json.loads(event.changes), tz, reveal=reveal)
    return row


def _shown_changes(changes: dict[str, list], tz: ZoneInfo, *, reveal: bool) -> dict[str, list]:
    """Recorded changes as every view shows them: times in the office's offset, a corrected phone (or
    a number in corrected free text) masked unless `reveal`, like the case's own (a correction holds the old value and the new)."""
    def shown(name: str, value: Any) -> Any:
        value = null_if_empty(name, value)  # a cleared category or detail is null, as in the case's own JSON
        return _local(value if reveal else phones.shown_field(name, value), tz)

    return {name: [shown(name, value) for value in pair] for name, pair in changes.items()}


def _local(value: Any, tz: ZoneInfo) -> Any:
    """A time recorded in a change, shown with the office's offset like every other time."""
    if isinstance(value, str) and len(value) >= 25 and value[10:11] == "T":
        try:
            return iso(datetime.fromisoformat(value), tz)
        except ValueError:
            return value
    return value


def revisit_record(revisit: Revisit, tz: ZoneInfo, *, reveal: bool = False) -> dict[str, Any]:
    return record(revisit, REVISIT_FIELDS, tz, reveal=reveal)


def ledger_record(entry: LedgerEntry, carried: int, tz: ZoneInfo, *, reveal: bool = False) -> dict[str, Any]:
    """An entry's JSON, with its 结转次数 as counted from its moves (ledger.carried_at)."""
    return record(entry, LEDGER_FIELDS, tz, reveal=reveal) | {"carried": carried}


def ledger_columns(tz: ZoneInfo) -> list[Column]:
    time = local_time(tz)
    return [
        Column("id", "台账编号", whole=True),
        Column("period", "上账期间", whole=True),
        Column("plan", "整改措施"),
        Column("unit", "责任单位"),
        Column("due", "整改期限", local_bound(tz), whole=True),
        Column("status", "状态", labelled(LedgerStatus), whole=True),
        Column("cleared_at", "销账时间", time, whole=True),
        Column("evidence", "整改结果"),
        Column("carried", "结转次数", whole=True),
    ]


def list_fields(with_reasons: bool) -> tuple[str, ...]:
    """The keys of a `list` row (a `case_record`, the ledger entry a 挂账整改 case answers to, and why it
    is due for escalation when asked)."""
    fields = (*CASE_FIELDS, *LISTED_ENTRY_FIELDS)
    return (*fields, "reasons") if with_reasons else fields


def entry_record(listed: Any, tz: ZoneInfo, *, reveal: bool = False) -> dict[str, Any]:
    """The ledger entry of a listed 挂账整改 case (entry_id, entry_due, entry_unit; all None for another case),
    the unit masked as the ledger's own is unless `reveal`."""
    row = record(listed, LISTED_ENTRY_FIELDS, tz, reveal=True)
    row["entry_unit"] = row["entry_unit"] if reveal else phones.shown_field("unit", row["entry_unit"])
    return row


LEDGER_MARK = "（台账）"


@dataclass(frozen=True)
class OnLedger(Column):
    """承办 or 办理时限 of a listed case: for a 挂账整改 case, its ledger entry's `entry` field instead (the
    责任单位, the 整改期限 `list --overdue` judges it by), `marked` as the ledger's."""

    entry: str = ""
    marked: Callable[[str], str] = lambda text: text

    def text(self, row: dict[str, Any]) -> str:
        if row.get("entry_id") is None:
            return super().text(row)
        return self.marked(self.show(row.get(self.entry)))


def list_columns(tz: ZoneInfo, *, with_reasons: bool = False) -> list[Column]:
    """`list`'s table. A 挂账整改 case shows its entry's 责任单位 and 整改期限, marked 台账: before the unit,
    which a narrow terminal may cut; after the time, which keeps its year or drops it as the others do.
    The deadline is `lasting`: on a terminal too narrow for it, the status goes first (a 台账 mark says it)."""
    columns = [
        Column("id", "编号", case_id, whole=True, ids=True),
        Column("status", "状态", labelled(Status), whole=True),
        Column("received_at", "受理时间", local_time(tz), whole=True, narrow=without_year, drop=1),
        Column("community", "社区", drop=2),
        Column("category", "类别", drop=3),
        Column("summary", "诉求", main=True),
        OnLedger("assignee", "承办", drop=4, entry="entry_unit", marked=lambda unit: f"台账 {unit}"),
        OnLedger(
            "resolve_by", "办理时限", local_bound(tz), whole=True, narrow=without_year, lasting=True,
            entry="entry_due", marked=lambda due: (due or "无期限") + LEDGER_MARK,
        ),
    ]
    if with_reasons:
        columns.append(Column("reasons", "应升级原因", reason_labels, short=True))
    return columns


def case_columns(tz: ZoneInfo, ledgered: dict[str, Any] | None = None) -> list[Column]:
    """`show`'s record of a case; a 挂账整改 case's 办理时限 says the entry it answers to instead (`ledgered`,
    its `ledger_record`), as `list` marks it."""
    time = local_time(tz)
    return [
        Column("ref", "工单编号"),
        Column("status", "状态", labelled(Status)),
        Column("summary", "诉求摘要"),
        Column("detail", "诉求详情"),
        Column("received_at", "受理时间", time),
        Column("channel", "受理渠道", labelled(Channel)),
        Column("kind", "诉求类型", labelled(Kind)),
        Column("urgency", "紧急程度", labelled(Urgency)),
        Column("category", "诉求类别"),
        Column("name", "诉求人"),
        Column("phone", "联系电话"),
        Column("phone_ext", "分机"),
        Column("address", "诉求地址"),
        Column("community", "所属社区"),
        Column("nature", "诉求性质", labelled(Nature)),
        Column("track", "三上门", labelled(Track)),
        Column("tier", "时限档", labelled(Tier)),
        Column("level", "层级", labelled(Level)),
        Column("assignee", "承办"),
        Column("respond_by", "响应时限", local_bound(tz)),
        Column("responded_at", "首次响应", time),
        Column("resolve_by", "办理时限", _resolve_by_shown(tz, ledgered)),
        Column("closed_at", "办结时间", time),
        Column("result", "办理结果", labelled(Result)),
        Column("reopen_count", "重办次数", lambda n: str(n) if n else ""),
        Column("merged_into", "并入", case_id),
    ]


def _resolve_by_shown(tz: ZoneInfo, ledgered: dict[str, Any] | None) -> Callable[[Any], str]:
    """A case's 办理时限; on the ledger, followed by the entry's 整改期限 that counts instead."""
    bound = local_bound(tz)
    if ledgered is None:
        return bound
    due = f"整改期限 {bound(ledgered['due'])} " if ledgered["due"] else "整改期限（未定）"
    return lambda value: f"{bound(value)}（挂账整改，以台账 {ledgered['id']} 的{due}为准）"


def history(events: Sequence[Event]) -> list[tuple[Event, bool]]:
    """A case's steps, given in the order logged, as `show` lists them: by when each happened, ties in the order
    logged (DESIGN §7: steps keep time order), each with whether it was backfilled — logged after a step dated
    later than it, so that it now comes before a step logged earlier. A close backfilled to last week was
    listed below today's steps."""
    marked, latest = [], None
    for event in events:
        marked.append((event, latest is not None and event.at < latest))
        latest = event.at if latest is None else max(latest, event.at)
    return sorted(marked, key=lambda pair: pair[0].at)  # sorted is stable: ties keep the order logged


def step_label(kind: str, backfilled: bool) -> str:
    """A step's name in `show`'s history, `办结（补录）` when backfilled (history)."""
    return EventKind(kind).label + ("（补录）" if backfilled else "")


def event_columns(tz: ZoneInfo) -> list[Column]:
    """`show`'s history of rows from event_record, each with its `step` (step_label)."""
    return [
        Column("at", "时间", local_time(tz), whole=True, narrow=without_year),
        Column("step", "办理", whole=True),
        Column("actor", "经办人"),
        Column("note", "说明"),
        Column("changes", "变更", _changes),
    ]


def revisit_columns(tz: ZoneInfo) -> list[Column]:
    return [
        Column("at", "回访时间", local_time(tz), whole=True, narrow=without_year),
        Column("satisfaction", "满意度", labelled(Satisfaction), whole=True),
        Column("resolved", "是否解决", lambda v: "已解决" if v else "未解决", whole=True),
        Column("actor", "回访人"),
        Column("note", "说明"),
    ]


_BOUNDS = {"respond_by", "resolve_by", "due"}  # deadlines: one that ends a day reads 24:00
_HIDDEN_CHANGES = {"version", "search_text", "address_key", "category_key", "responded_at", "closed_at"}


def retimed_line(case: Case, basis: str, now: datetime, tz: ZoneInfo) -> str:
    """What a step that recomputed a case's deadlines says of them (`basis`: what it went by): the 响应时限
    only while the case awaits its first response — once responded, it decides nothing, and may read as past.
    A deadline of an open case already past by `now` says so: the step has made the case late."""
    late = now if Status(case.status) in OPEN_STATUSES else None
    resolve_by = f"办理时限 {deadline_shown(case.resolve_by, late, tz)}"
    if case.responded_at is not None:
        return f"时限已按{basis}重算：{Tier(case.tier).label}档，{resolve_by}（已响应）"
    return f"时限已按{basis}重算：{Tier(case.tier).label}档，响应时限 {deadline_shown(case.respond_by, late, tz)}，{resolve_by}"


def deadline_shown(bound: datetime, now: datetime | None, tz: ZoneInfo) -> str:
    """A deadline as a step's line names it, followed by 到现在已过 when it is before `now` (None: never said)."""
    shown = shown_bound(bound, tz)
    return f"{shown} 到现在已过" if now is not None and bound < now else shown


def respond_by_line(case: Case, basis: str, tz: ZoneInfo) -> str:
    """What a step says of the 响应时限 it moved on a 挂账整改 case still awaiting its first response (beside
    `ledgered_line`, as its 办理时限 gives way to its entry's 整改期限)."""
    return f"响应时限已按{basis}重算为 {shown_bound(case.respond_by, tz)}"


def responded_line(case: Case, tz: ZoneInfo, moved: str = "改为") -> str:
    """What a correction of a case's receipt or channel (or the undo of one, `moved="改回"`) says of the first
    response it moved with it."""
    if case.responded_at is None and Status(case.status) in OPEN_STATUSES:
        return f"首次响应随之{moved}：尚未响应（联系诉求人后用 jiesu contact 记录，可用 --at 写实际时间）"
    if case.responded_at is None:  # a closed case takes no contact: the case was closed without one
        return f"首次响应随之{moved}：尚未响应（这件诉求办结前没有联系记录）"
    return f"首次响应随之{moved} {shown_at(case.responded_at, tz)}"


def restored_shown(changes: dict[str, list], case: Case, tz: ZoneInfo) -> str:
    """What an undo put back, as its line repeats it: the 响应时限 left out once the case is responded, where it
    decides nothing (as in `retimed_line`); the first response it moved has its own line (`responded_line`)."""
    if case.responded_at is not None:
        changes = {name: values for name, values in changes.items() if name != "respond_by"}
    return changes_shown(changes, tz)


def restarted_line(case: Case, tz: ZoneInfo) -> str:
    """What a reopen says of the 办理时限 it counted again from the reopen: that one alone, as the 响应时限
    stays counted from receipt (the first response was due then, not again)."""
    return f"办理时限已按重办时间重算为 {shown_bound(case.resolve_by, tz)}（{Tier(case.tier).label}档）"


def kept_line(case: Case, recomputed: datetime, tz: ZoneInfo) -> str:
    """What a reopen says when the 办理时限 it restarted (`recomputed`) would not end after the one the case
    has: a deadline is never brought forward, so it stands — and only one that was earlier is called so."""
    earlier = "（按重办时间重算的时限更早，时限不提前）" if recomputed < case.resolve_by else ""
    return f"办理时限仍为 {shown_bound(case.resolve_by, tz)}{earlier}"


def ledgered_line(entry: LedgerEntry, now: datetime, tz: ZoneInfo, standing: str = "重新挂账") -> str:
    """What a step that left the case on the ledger (`standing`: a reopen put it back, an escalation kept it)
    says of its deadline: the entry's 整改期限, which it answers to (`list --overdue`) instead of the 办理时限 the
    step counted afresh; one already past (overdue at once) or none names the step that sets it."""
    edit = f"请用 jiesu ledger edit {entry.id} --due … --reason …"
    if entry.due is None:
        return f"台账 {entry.id} {standing}，没有整改期限；要定期限{edit}"
    if entry.due < now:
        return f"台账 {entry.id} 的整改期限 {deadline_shown(entry.due, now, tz)}，{edit} 重定整改期限"
    return f"台账 {entry.id} {standing}，整改期限仍为 {shown_bound(entry.due, tz)}"


def changes_shown(changes: dict[str, list], tz: ZoneInfo) -> str:
    """A step's recorded changes ({field: [old, new]}, times in UTC) as a one-line message repeats them:
    a long text shortened to its start and its length (`jiesu show` and JSON keep it whole)."""
    return _changes(_shown_changes(changes, tz, reveal=False), echo=True)


# A changed field as a person reads it: its Chinese label, and the enum whose labels its values take.
_FIELD_ENUMS = {
    "status": Status, "nature": Nature, "track": Track, "tier": Tier, "level": Level,
    "channel": Channel, "kind": Kind, "urgency": Urgency, "result": Result,
}
_FIELD_LABELS = (
    {column.key: column.label for column in case_columns(ZoneInfo("UTC"))} | {"merged_into": "并入", "phone_ext": "分机"}
    | {column.key: column.label for column in ledger_columns(ZoneInfo("UTC")) if column.key in ENTRY_EDITABLE}  # `ledger edit`
)


def _changes(changes: Any, echo: bool = False) -> str:
    """What a step changed as people read it: 诉求地址：前门东大街1号 → 前门东大街3号."""
    parts = []
    for name, (old, new) in (changes or {}).items():
        if name in _HIDDEN_CHANGES:
            continue
        parts.append(f"{_FIELD_LABELS.get(name, name)}：{_short(name, old, echo)} → {_short(name, new, echo)}")
    return "；".join(parts)


def _short(name: str, value: Any, echo: bool = False) -> str:
    if value is None or value == "":
        return "—"
    enum = _FIELD_ENUMS.get(name)
    if enum is not None:
        try:
            return enum(value).label
        except ValueError:
            return str(value)
    text = str(value)
    if name in _BOUNDS:
        moment = datetime.fromisoformat(text)
        return shown_bound(moment, moment.tzinfo)
    if name in CASE_TIMES:  # to the minute, as every view shows a time
        return text[:16].replace("T", " ")
    if name == "merged_into":
        return f"#{text}"
    return shortened(text) if echo else text


# ---------------------------------------------------------------- 待办

DUE_FIELDS = ("case_id", "reason", "label", "due", "minutes_left", "overdue", "entry_id", "assignee", "community", "summary")


def due_records(work, now: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Pieces of due work (todo.Due) as JSON-ready rows.

    Each deadline is formatted once: a day's revisits share one, and converting a time to
    the office's zone was most of a row's cost on a book with thousands of them. So is each
    label, and each assignee and community masked once: a few of them stand over thousands of rows."""
    from jiesu.todo import REASONS

    deadlines: dict[datetime | None, tuple[str | None, int]] = {}
    labels = _Once(lambda key: REASONS[key[0]] + (f"（{key[1]}）" if key[1] else ""))
    # todo has no --reveal: a number written into any text is always masked
    assignees = _Once(lambda name: phones.shown_field("assignee", name))
    communities = _Once(lambda name: phones.shown_field("community", name))
    summary = phones.MASKS["summary"]
    rows = []
    for item in work:
        shown = deadlines.get(item.due)
        if shown is None:
            shown = deadlines[item.due] = (iso(item.due, tz), item.minutes_left(now))
        due, left = shown
        rows.append({
            "case_id": item.case_id,
            "reason": item.reason,
            "label": labels[item.reason, item.detail],
            "due": due,
            "minutes_left": left,
            "overdue": item.due is not None and left < 0,
            "entry_id": item.entry_id,
            "assignee": assignees[item.assignee],
            "community": communities[item.community],
            "summary": summary(item.summary),
        })
    return rows


class _Once(dict):
    """`work(key)` for each key, worked out the first time it is asked for."""

    def __init__(self, work) -> None:
        super().__init__()
        self.work = work

    def __missing__(self, key):
        value = self[key] = self.work(key)
        return value


def todo_columns(tz: ZoneInfo) -> list[Column]:
    """Narrow enough for an 80-column terminal: times drop the year as `list` does, the assignee goes
    before the 待办 label is cut (应升级（一人多诉）, not 应升级…) however long the assignee, the summary
    keeps the most. Work due now without a deadline (an escalation) has no time left to tell. Narrower
    (40 columns, 5-digit ids), 期限 goes before 剩余: the time left is what a worker on a narrow
    terminal needs, and the label and the summary are cut to their headers' width before it goes."""
    bound = local_bound(tz)
    return [
        Column("case_id", "编号", case_id, whole=True, ids=True),
        Column("label", "待办", short=True),
        Column("due", "期限", lambda value: bound(value) if value else "现在", whole=True, narrow=without_year),
        Column("minutes_left", "剩余", time_left, whole=True, given="due", lasting=True),
        Column("assignee", "承办", drop=1),
        Column("summary", "诉求", main=True),
    ]


def time_left(minutes: int) -> str:
    """`还有 2小时`, `超期 1天3小时`: how a worker says how much time is left."""
    if minutes is None:
        return ""
    span = abs(minutes)
    days, rest = divmod(span, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分" if mins and not days else ""]
    text = "".join(parts) or "0分"
    return f"超期{text}" if minutes < 0 else f"还有{text}"
