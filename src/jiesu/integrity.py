"""`jiesu check` and `jiesu backup`: is the case book sound, and a consistent copy of it.

The check looks past SQLite's own integrity check at jiesu's promises: every
case's status is what its history says, every case was filed, the ledger's
entries agree with their cases, and every stored balance adds up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain, groupby
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import func, select, text

from jiesu import clock, month_rates
from jiesu.atomicfile import NOT_REGULAR
from jiesu.db import backup_to, check_apart
from jiesu.errors import BadInput
from jiesu.ledger import next_period, period_of
from jiesu.ledger_models import LedgerBalance, LedgerMove
from jiesu.models import Case, Event, LedgerEntry, Revisit, UTCDateTime
from jiesu.office import Office
from jiesu.rules import ALLOWED
from jiesu.safetext import echoed_path, name_refused
from jiesu.steps import OPEN_ONLY, STEP_EVENTS, inverted
from jiesu.vocab import OPEN_STATUSES, RECORD_KINDS, EventKind, Nature, Status, label_of

MAX_PROBLEMS = 200


class Problem(NamedTuple):
    """One line `check` found; `hinted` when the line says how a person mends it (a merge, a file
    put back): no damage a backup must undo."""

    line: str
    hinted: bool = False


def check(office: Office) -> list[Problem]:
    """Every problem found, one line each (empty when the book is sound)."""
    problems: list[Problem] = []
    with office.store.connect() as conn:
        if conn.dialect.name == "sqlite":
            verdict = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                problems += [Problem(f"SQLite 完整性检查：{line}") for line in verdict]
        half_copied = _half_copied(conn)
        if half_copied:  # what else is amiss follows from it: history, revisits and ledger not there yet
            return [*problems, Problem(half_copied, hinted=True)]
        for line in chain(_history_problems(conn), _order_problems(conn, office)):
            problems.append(Problem(line))
            if len(problems) >= MAX_PROBLEMS:
                return problems
        problems += map(Problem, _closing_problems(conn) + _merge_problems(conn))
        problems += [Problem(line, hinted=True) for line in _ref_twins(conn) + _hidden_in_names(conn)]
        problems += map(Problem, _undo_problems(conn) + _ledger_problems(conn) + _balance_problems(conn, office))
    problems += map(Problem, month_rates.stale(office))
    if office.store.path is not None:
        problems += [Problem(line, hinted=True) for line in _orphan_logs(office.store.path.parent)]
    return problems


def advice(problems: list[Problem]) -> str:
    """What to do about the problems `check` found: those whose line says how to mend them need no
    backup (restoring one for twin refs a merge settles would lose the work done since)."""
    hinted = sum(problem.hinted for problem in problems)
    if hinted == len(problems):
        return "请按上面的提示处理"
    restore = "请从备份恢复（步骤见 jiesu backup --help），或联系维护人员"
    return f"有提示的请按提示处理，其余{restore}" if hinted else restore


def _orphan_logs(folder: Path) -> list[str]:
    """A `-wal` beside no book: someone moved or copied the book without its write-ahead log,
    and the cases acknowledged since the last checkpoint went only into that log."""
    return [
        f"{wal} 没有对应的案卷库 {wal.name[:-4]}：它是一个案卷库尚未写回的日志，只复制或移走 .db 文件会丢掉其中的诉求；"
        f"请把 {wal.name[:-4]} 放回这里后用 jiesu backup 备份"
        for wal in sorted(folder.glob("*-wal"))
        if wal.is_file() and wal.stat().st_size > 0 and not wal.with_name(wal.name[:-4]).exists()
    ]


def _half_copied(conn) -> str | None:
    """A book an older jiesu's copy left half made (before db.UNFINISHED_COPY marked one): its last cases,
    and those only, have no history at all, as the copy wrote every case before any event. No case
    jiesu writes lacks it (filed with its first event, and events are never deleted)."""
    cases, events = Case.__table__, Event.__table__
    bare = ~sa.exists().where(events.c.case_id == cases.c.id)
    count, first = conn.execute(select(func.count(), func.min(cases.c.id)).where(bare)).one()
    last_with_history = conn.execute(select(func.max(events.c.case_id))).scalar()
    if not count or (last_with_history is not None and last_with_history > first):
        return None
    return (
        f"#{first} 及以后的 {count} 件诉求没有任何办理记录：这是没有复制完的案卷库（旧版 jiesu 的 copy 被中断，没有留下标记）；"
        "请用复制它的同一条命令加 --resume 接着复制"
    )


def _history_problems(conn) -> Iterator[str]:
    """Replaying each case's recorded status changes must give its status.

    An `undone` event records the status it restores like any other step, so the
    replay walks through undone steps without special cases.
    """
    statuses = {case_id: status for case_id, status in conn.execute(text("SELECT id, status FROM cases"))}
    first_kind: dict[int, str] = {}
    replayed: dict[int, str] = {}
    rows = conn.execution_options(yield_per=5000).execute(
        text("SELECT case_id, kind, changes FROM events ORDER BY case_id, id")
    )
    for case_id, kind, changes in rows:
        if case_id not in first_kind:
            first_kind[case_id] = kind
            replayed[case_id] = "new"
        if '"status"' not in changes:
            continue
        old, new = json.loads(changes)["status"]
        if old != replayed[case_id]:
            yield f"#{case_id} 的办理记录不连贯：记录从{_status(old)}改为{_status(new)}，但此前应为{_status(replayed[case_id])}"
        replayed[case_id] = new
    for case_id, status in statuses.items():
        if case_id not in first_kind:
            yield f"#{case_id} 没有任何办理记录"
        elif first_kind[case_id] not in ("filed", "imported"):
            yield f"#{case_id} 的第一条记录是{label_of(EventKind, first_kind[case_id])}，不是受理"
        elif replayed[case_id] != status:
            yield f"#{case_id} 状态为{_status(status)}，但办理记录显示应为{_status(replayed[case_id])}"


def _status(value: str | None) -> str:
    """A stored status as `check` names it: its label (办理中), or the value when it is none."""
    return label_of(Status, value) if value is not None else "空"


def _closing_problems(conn) -> list[str]:
    """Closed cases as `close` leaves them (when, how, on a classified nature), revisited ones with
    their revisit, open and merged ones never closed (a reopen takes back the close's time and result):
    an import before jiesu checked this, or a hand's SQL, could store others."""
    cases, revisits = Case.__table__, Revisit.__table__
    closed = cases.c.status.in_([Status.CLOSED.value, Status.REVISITED.value])
    missing = [
        (closed & cases.c.closed_at.is_(None), "没有办结时间（closed_at）"),
        (closed & (cases.c.nature == Nature.UNCLASSIFIED.value), "未研判诉求性质（nature）"),
        (closed & cases.c.result.is_(None), "没有办结结果（result）"),
        (
            (cases.c.status == Status.REVISITED.value) & ~sa.exists().where(revisits.c.case_id == cases.c.id),
            "没有回访记录",
        ),
        (~closed & cases.c.closed_at.is_not(None), "却有办结时间（closed_at）"),
        (~closed & cases.c.result.is_not(None), "却有办结结果（result）"),
    ]
    labels = {status.value: status.label for status in Status}
    found = [
        (case_id, order, f"#{case_id} 状态为{labels[status]}，{what}")
        for order, (which, what) in enumerate(missing)
        for case_id, status in conn.execute(select(cases.c.id, cases.c.status).where(which).order_by(cases.c.id).limit(MAX_PROBLEMS))
    ]
    return [line for _, _, line in sorted(found)[:MAX_PROBLEMS]]


def _merge_problems(conn) -> list[str]:
    """Merged cases as `merge` leaves them, the rule import holds its rows to: each merged into a
    case, only merged ones so, and its chain of merges (into a case itself merged, …) ends at a case
    that is not merged rather than coming back round. A hand's SQL could store others."""
    cases = Case.__table__
    merged = cases.c.status == Status.MERGED.value
    unlinked = [
        f"#{case_id} 状态为已合并，却没有并入哪件诉求（merged_into）"
        for (case_id,) in conn.execute(select(cases.c.id).where(merged, cases.c.merged_into.is_(None)).order_by(cases.c.id).limit(MAX_PROBLEMS))
    ]
    labels = {status.value: status.label for status in Status}
    linked = [
        f"#{case_id} 状态为{labels[status]}，却并入了 #{into}"
        for case_id, status, into in conn.execute(
            select(cases.c.id, cases.c.status, cases.c.merged_into).where(~merged, cases.c.merged_into.is_not(None)).order_by(cases.c.id).limit(MAX_PROBLEMS)
        )
    ]
    links = dict(conn.execute(select(cases.c.id, cases.c.merged_into).where(cases.c.merged_into.is_not(None))).all())
    looping, ending = [], set()
    for start in sorted(links):
        path, case_id = [], start
        while case_id in links and case_id not in ending and case_id not in path:
            path.append(case_id)
            case_id = links[case_id]
        if case_id in path:  # the walk came back round (each loop once: its cases then end a walk)
            loop = path[path.index(case_id):]
            loop = loop[loop.index(min(loop)):] + loop[: loop.index(min(loop))]
            looping.append(" → ".join(f"#{each}" for each in [*loop, loop[0]]))
        ending.update(path)
    return unlinked + linked + [f"{loop} 互相并入成了环，没有一件未合并的诉求承办" for loop in looping[:MAX_PROBLEMS]]


def _ref_twins(conn) -> list[str]:
    """Cases holding one work order under refs that differ only in case, width or spaces (`BJ001`,
    `ｂｊ００１`): a jiesu before m015 compared refs exactly and filed both. Each such order, while more
    than one of its cases is unmerged, with how to make them one."""
    cases = Case.__table__
    unmerged = cases.c.status != Status.MERGED.value
    shared = (
        select(cases.c.ref_key).where(cases.c.ref_key.is_not(None), unmerged)
        .group_by(cases.c.ref_key).having(func.count() > 1).order_by(cases.c.ref_key).limit(MAX_PROBLEMS)
    )
    rows = conn.execute(
        select(cases.c.ref_key, cases.c.id, cases.c.ref).where(cases.c.ref_key.in_(shared), unmerged).order_by(cases.c.ref_key, cases.c.id)
    )
    lines = []
    for _, twins in groupby(rows, key=lambda row: row[0]):
        (first, first_ref), *later = [(case_id, ref) for _, case_id, ref in twins]
        named = "、".join(f"#{case_id}（{ref}）" for case_id, ref in [(first, first_ref), *later])
        lines.append(
            f"{named} 是同一个工单编号（只差大小写、全半角、空格或看不见的字符）；请核对后合并，如 jiesu merge {later[0][0]} --into {first}"
        )
    return lines


def _hidden_in_names(conn) -> list[str]:
    """Names, communities and categories holding a character that draws nothing (a zero-width space pasted after
    前门社区): a jiesu before they were refused (safetext.name_refused) stored them, and `--community 前门社区`, the
    reports' rows and `--assignee` miss them. Each such value once, with the command that mends it, where the
    case or entry takes that command."""
    cases, entries = Case.__table__, LedgerEntry.__table__
    editable = cases.c.status != Status.MERGED.value
    assignable = cases.c.status.in_([status.value for status, steps in ALLOWED.items() if "assign" in steps])
    lines = []
    for column, label, where, mend in (
        (cases.c.community, "社区", editable, "jiesu edit {} --community …"),
        (cases.c.category, "类别", editable, "jiesu edit {} --category …"),
        (cases.c.name, "姓名", editable, "jiesu edit {} --name …"),
        (cases.c.assignee, "承办", assignable, "jiesu assign {} …"),
    ):
        lines += _hidden_in(conn, cases.c.id, ("#{}", "件"), column, label, where, mend)
    open_entry = entries.c.status == "open"
    return lines + _hidden_in(conn, entries.c.id, ("台账 {}", "条"), entries.c.unit, "责任单位", open_entry, "jiesu ledger edit {} --reason … --unit …")


def _hidden_in(conn, key, owner: tuple[str, str], column, label: str, where, mend: str) -> list[str]:
    """The line for each value of `column` that `name_refused` refuses, naming the first cases (or entries) holding
    it (`owner`: how one is named, and what they are counted in)."""
    named, counted = owner
    values = conn.execute(select(column).where(where, column.is_not(None)).distinct()).scalars()
    lines = []
    for value in sorted(value for value in values if name_refused(value, label)):
        holding = sa.and_(where, column == value)
        ids = conn.execute(select(key).where(holding).order_by(key).limit(3)).scalars().all()
        count = conn.execute(select(func.count()).where(holding)).scalar_one()
        holders = "、".join(named.format(each) for each in ids) + (f" 等 {count} {counted}的" if count > len(ids) else " 的")
        lines.append(f"{name_refused(value, holders + label)}，如 {mend.format(ids[0])}")
    return lines[:MAX_PROBLEMS]


# What each step depends on: the last step of these kinds must not be dated after it.
DEPENDS_ON = {
    "returned": ("assigned",),
    "closed": ("reopened", "classified"),
    "extended": ("reopened",),
    "escalated": ("reopened",),
    "revisited": ("closed", "revisited"),
    "reopened": ("closed",),
    "cleared": ("reopened",),
    "ledgered": ("reopened", "classified"),
}
EARLIER_LABEL = {"assigned": "派单", "reopened": "重办", "closed": "办结", "revisited": "上次回访", "classified": "研判"}


def _order_problems(conn, office: Office) -> Iterator[str]:
    """Every step, and the first response, dated after what it depends on, the receipt first (the filing and corrections are no
    steps: RECORD_KINDS, as `edit --received` holds them, nor are the steps taken back and their undos): the steps
    refuse inversions, older books may hold them.

    Times are compared as stored (uniform UTC text on SQLite, timestamps on PostgreSQL),
    and read as datetimes only for the lines that name them: a million events replay fast.
    """
    cases = {row[0]: row[1:] for row in conn.execute(text("SELECT id, received_at, responded_at, channel, track FROM cases"))}
    undone = {row[0] for row in conn.execute(text("SELECT undoes FROM events WHERE undoes > 0"))}
    rows = conn.execution_options(yield_per=5000).execute(
        text("SELECT case_id, kind, at, changes, id FROM events ORDER BY case_id, id")
    )
    for case_id, events in groupby(rows, key=lambda row: row[0]):
        if case_id in cases:
            standing = [event[:4] for event in events if event[4] not in undone and event[1] != EventKind.UNDONE.value]
            yield from _case_order_problems(case_id, *cases[case_id], standing, office)
            yield from _after_a_step_barring_it(case_id, standing, office)


LABEL = {kind.value: kind.label for kind in EventKind}


def _case_order_problems(case_id: int, received_at, responded_at, channel: str, track: str | None, events: Iterable, office: Office):
    tz = office.tz
    if responded_at is not None and responded_at < received_at:
        responded_shown, received_shown = clock.shown_apart(_stored(responded_at), _stored(received_at), tz)
        yield f"#{case_id} 的首次响应时间 {responded_shown} 早于受理时间 {received_shown}"
    required = () if not track or channel in office.rules["close.face_to_face_channels"] else office.rules[f"close.{track}_requires"]
    last: dict[str, object] = {}  # kind → its last time, as stored
    this_round: dict[str, list] = {"visited": [], "contacted": []}
    for _, kind, at, changes in events:
        if at < received_at and kind not in RECORD_KINDS:
            at_shown, received_shown = clock.shown_apart(_stored(at), _stored(received_at), tz)
            yield f"#{case_id} 的{LABEL[kind]}时间 {at_shown} 早于受理时间 {received_shown}"
        for earlier_kind in DEPENDS_ON.get(kind, ()):
            if earlier_kind in last and at < last[earlier_kind]:
                apart = clock.shown_apart(_stored(at), _stored(last[earlier_kind]), tz)
                yield inverted(case_id, LABEL[kind], EARLIER_LABEL[earlier_kind], *apart)
        if kind in this_round:
            this_round[kind].append(at)
        elif kind == "closed":
            for step in required:
                times = this_round[STEP_EVENTS[step].value]
                if times and min(times) > at:
                    apart = clock.shown_apart(_stored(at), _stored(min(times)), tz)
                    yield inverted(case_id, LABEL[kind], LABEL[STEP_EVENTS[step].value], *apart)
        elif kind == "extended" and '"resolve_by"' in changes:
            extended = datetime.fromisoformat(json.loads(changes)["resolve_by"][0])
            if _stored(at) > extended:
                at_shown, deadline_shown = clock.shown_apart(_stored(at), extended, tz, bound=True)
                yield f"#{case_id} 的延期时间 {at_shown} 晚于它要延长的时限 {deadline_shown}"
        elif kind == "reopened":
            this_round = {"visited": [], "contacted": []}
        if '"closed"]' in changes and json.loads(changes).get("status", [None, None])[1] == "closed":
            last["closed"] = at
        if kind in EARLIER_LABEL:
            last[kind] = at


def _after_a_step_barring_it(case_id: int, standing: list, office: Office) -> Iterator[str]:
    """A step the case's status could not take, dated after the step that put it there: after the close (or merge,
    销账) that ended its open life and before any reopen, a step only an open case takes (steps.OPEN_ONLY: an
    extension, a contact…); after a 上账 and while on the ledger, an extension. An older jiesu
    took such a close or 上账 backfilled before the step. The case's standing steps (none undone) are replayed
    in the order of their times; an import, dated when its file was read, states the row's status as of the
    row's own times and is passed by. (The other steps the ledger bars change the status themselves.)"""
    entered = None  # the standing step that put the case where it is, and the steps barred there, while any are
    for _, kind, at, changes in sorted(standing, key=lambda event: event[2]):
        if entered is not None and kind in entered[2] and at > entered[1]:
            apart = clock.shown_apart(_stored(at), _stored(entered[1]), office.tz)
            yield f"#{case_id} 的{LABEL[kind]}时间 {apart[0]} 晚于{LABEL[entered[0]]}时间 {apart[1]}：{LABEL[entered[0]]}后的诉求不能再{LABEL[kind]}"
        if '"status": [' in changes and kind != EventKind.IMPORTED.value:  # an import counts as of its row's times
            status = json.loads(changes)["status"][1]
            if status == Status.LEDGERED:
                entered = (kind, at, ON_THE_LEDGER)
            elif status in OPEN_STATUSES:
                entered = None
            elif entered is None or entered[2] is not OPEN_ONLY:  # the first step that ended its open life
                entered = (kind, at, OPEN_ONLY)


# What a case on the ledger cannot take (rules.ALLOWED) that leaves its status as it is: an extension (the
# ledger's own 整改期限 is moved with `ledger edit --due`).
ON_THE_LEDGER = (EventKind.EXTENDED.value,)


def _stored(value) -> datetime:
    """A time as read raw from the store, as the aware UTC datetime the models give."""
    return UTCDateTime().process_result_value(value, None)


def unofficial_deadlines(office: Office) -> list[str]:
    """A note when open cases are due in years chinesecalendar does not cover (their make-up workdays are unknown)."""
    from jiesu.rules import first_unofficial_year, listed_workday_years

    year = first_unofficial_year()
    start = datetime(year, 1, 1, tzinfo=office.tz)
    listed = sorted(y for y in listed_workday_years(office.rules) if y >= year)  # their make-up workdays are known
    # A deadline is the end of its day: 2026-12-31 24:00, stored as 2027-01-01 00:00, is 2026's (tester 44).
    outside_listed = [
        ~sa.and_(Case.resolve_by > datetime(y, 1, 1, tzinfo=office.tz), Case.resolve_by <= datetime(y + 1, 1, 1, tzinfo=office.tz))
        for y in listed
    ]
    with office.store.connect() as conn:
        due = conn.execute(
            select(func.count(Case.id)).where(
                Case.resolve_by > start, Case.status.in_([s.value for s in OPEN_STATUSES]), *outside_listed
            )
        ).scalar_one()
    if not due:
        return []
    besides = f"（规则文件已列出调休上班日的 {'、'.join(map(str, listed))} 年除外）" if listed else ""
    return [
        f"注意：{due} 件未结诉求的办理时限在 {year} 年或以后{besides}，chinesecalendar 尚无这些年份的官方放假安排；"
        "法定节假日已按《全国年节及纪念日放假办法》计算，调休上班日需在规则文件 calendar.workdays 中列出"
    ]


MOVE_LABELS = {"added": "上账", "cleared": "销账", "reopened": "重新挂账"}


def late_bookings(office: Office) -> list[str]:
    """A note on each ledger step an older jiesu, the step dated in a month already rolled, booked in
    a later one: that month's report counts the entry on the books as the step left it, its stored
    balance does not. Nothing can be undone about it (the balance is a record of that month's end)."""
    moves = LedgerMove.__table__
    with office.store.connect() as conn:
        earliest = conn.execute(sa.select(moves.c.period, func.min(moves.c.at)).group_by(moves.c.period)).all()
        late = [period for period, first in earliest if period_of(first, office) < period]
        rows = conn.execute(
            sa.select(moves.c.entry_id, moves.c.kind, moves.c.at, moves.c.period).where(moves.c.period.in_(late)).order_by(moves.c.id)
        ).all() if late else []
    return [
        f"注意：台账 {entry_id} 的{MOVE_LABELS[kind]}（{clock.shown(at, office.tz)}）是 {own} 结转后补记的，计入了 {booked} 的余额；"
        f"{own} 月报的在账条数因此与其期末余额不符（较早版本的 jiesu 这样补记，现在会拒绝）"
        for entry_id, kind, at, booked in rows
        if (own := period_of(at, office)) < booked
    ]


def _undo_problems(conn) -> list[str]:
    """Every `undone` event takes back one earlier step of its own case, once, restoring what that step changed."""
    problems = []
    rows = conn.execute(
        text(
            "SELECT u.id, u.case_id, u.changes, u.undoes, s.case_id, s.kind, s.changes, "
            "(SELECT count(*) FROM events o WHERE o.undoes = u.undoes) "
            "FROM events u LEFT JOIN events s ON s.id = u.undoes WHERE u.kind = 'undone' ORDER BY u.id"
        )
    )
    for undone_id, case_id, changes, step_id, step_case, step_kind, step_changes, times in rows:
        where = f"#{case_id} 的撤销记录 {undone_id}"
        if step_case is None:
            problems.append(f"{where}没有指明撤销哪一步")
        elif step_case != case_id or step_kind == "undone" or step_id >= undone_id:
            problems.append(f"{where}撤销的记录 {step_id} 不是本件此前的一步")
        elif times > 1:
            problems.append(f"{where}：记录 {step_id} 被撤销了 {times} 次")
        elif json.loads(changes) != {name: [new, old] for name, (old, new) in json.loads(step_changes).items()}:
            problems.append(f"{where}恢复的值与记录 {step_id} 的变更不符")
    return problems


def _ledger_problems(conn) -> list[str]:
    problems = []
    mismatched = conn.execute(
        text(
            "SELECT c.id, c.status FROM cases c WHERE (c.status = 'ledgered') != EXISTS "
            "(SELECT 1 FROM ledger_entries e WHERE e.case_id = c.id AND e.status = 'open')"
        )
    )
    for case_id, status in mismatched:
        problems.append(f"#{case_id} 状态为{_status(status)}，与台账是否在账不符")
    misbooked = conn.execute(
        text(
            "SELECT e.id, e.period, m.period FROM ledger_entries e JOIN ledger_moves m "
            "ON m.entry_id = e.id AND m.kind = 'added' WHERE m.period != e.period ORDER BY e.id"
        )
    )
    for entry_id, listed, booked in misbooked:
        problems.append(f"台账 {entry_id} 列在 {listed}，但其上账计入 {booked} 的余额")
    # Before classify was refused for a ledgered case, one could be re-classified while on the books.
    unreasonable = conn.execute(
        text("SELECT id, nature FROM cases WHERE status = 'ledgered' AND nature != 'reasonable' ORDER BY id")
    )
    for case_id, nature in unreasonable:
        problems.append(
            f"#{case_id} 挂账整改，却研判为{Nature(nature).label}：只有合理诉求才能在账；"
            f"请改回合理诉求（jiesu classify {case_id} 合理诉求）后再办理"
        )
    return problems


def _balance_problems(conn, office: Office) -> list[str]:
    """Each stored balance must add up, follow the one before, and be what the movements booked in it give."""
    moves = LedgerMove.__table__
    booked = {
        period: (int(added), int(cleared))
        for period, added, cleared in conn.execute(
            sa.select(
                moves.c.period,
                sa.func.sum(sa.case((moves.c.kind == "cleared", 0), else_=1)),
                sa.func.sum(sa.case((moves.c.kind == "cleared", 1), else_=0)),
            ).group_by(moves.c.period)
        )
    }
    balances = conn.execute(sa.select(LedgerBalance.__table__).order_by(LedgerBalance.period)).all()
    problems = []
    previous = None
    for b in balances:
        if b.opening + b.added - b.cleared != b.closing:
            problems.append(f"台账 {b.period}：期初 {b.opening} + 新增 {b.added} - 销账 {b.cleared} ≠ 期末 {b.closing}")
        if previous is not None and previous != b.opening:
            problems.append(f"台账 {b.period}：期初 {b.opening} 不等于上期期末 {previous}")
        previous = b.closing
        opening = sum(a - c for period, (a, c) in booked.items() if period < b.period)
        added, cleared = booked.get(b.period, (0, 0))
        stored = (b.opening, b.added, b.cleared, b.closing)
        if stored != (opening, added, cleared, opening + added - cleared):
            problems.append(
                f"台账 {b.period}：存档余额 {_figures(*stored)}，"
                f"但台账记录算得 {_figures(opening, added, cleared, opening + added - cleared)}"
            )
        month_end = datetime.strptime(next_period(b.period), "%Y-%m").replace(tzinfo=office.tz)
        if b.rolled_at < month_end:
            problems.append(f"台账 {b.period} 于 {clock.shown(b.rolled_at, office.tz)} 结转，当时该月还没有过完")
    return problems


def _figures(opening: int, added: int, cleared: int, closing: int) -> str:
    return f"期初 {opening} 新增 {added} 销账 {cleared} 期末 {closing}"


def backup(office: Office, destination: str) -> Path:
    """A consistent, owner-only copy of the SQLite store at `destination` (which must not exist)."""
    target = Path(destination).expanduser()
    if office.store.path is not None:
        check_apart(office.store.path, target, "请换一个文件名")
    if target.exists() and not target.is_file():  # a folder is no file that exists: said as export --out says it
        raise BadInput(f"无法写入 {echoed_path(target)}：{NOT_REGULAR}")
    if target.exists():
        raise BadInput(f"{echoed_path(target)} 已存在；请换一个文件名（备份不会覆盖已有文件）")
    if not target.parent.is_dir():
        raise BadInput(f"文件夹 {target.parent} 不存在")
    backup_to(office.store, target, overwrite=False)
    return target
