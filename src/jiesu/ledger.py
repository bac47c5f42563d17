"""The carry-over ledger (台账): 上账, 销账 only when rectified, month-end roll and balances.

Every add, clear and reopen of an entry is booked as a movement in its month.
A period's balance is computed from its movements when it is rolled and then
stored: 期初 + 本期新增 − 本期销账 = 期末, always. A rolled month is closed books:
a step dated in it is refused (it would change a record of that month after the
fact), so a stored balance never changes and always agrees with the entries on
the books at the month's end. Only a finished month is rolled. An entry is listed
and exported under the periods whose 本期新增 counts it (`counted_in`), and in a
month's whole ledger also under those whose 期初 counts it (`on_books_in`); a book
from an older jiesu may hold movements booked in a later month than their own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import case as when_then
from sqlalchemy import Connection, func, insert, null
from sqlmodel import Session, select

from jiesu.asof import entry_fields_at
from jiesu.backend import serialise
from jiesu.clock import year_refused
from jiesu.digits import halfwidth
from jiesu.errors import BadInput, BadOption, RuleViolation, TransitionRefused
from jiesu.fields import named, required, text_or_none
from jiesu.ledger_models import LedgerBalance, LedgerMove
from jiesu.models import Case, Event, LedgerEntry
from jiesu.office import Office
from jiesu.safetext import echoed
from jiesu.steps import allowed, change, changing, load_case, moment, not_before, record, shown, shown_apart
from jiesu.undone import last_at
from jiesu.vocab import EventKind, LedgerStatus, Nature, Result, Status

OPEN, CLEARED = LedgerStatus.OPEN.value, LedgerStatus.CLEARED.value
ADDED, REOPENED = "added", "reopened"
# A month as typed: `2026-11`, or as Chinese writes it, `2026年11月`, `2026年1月` (full-width digits read as ASCII).
_PERIOD = re.compile(r"(?P<y>[0-9]{4})(?:-(?P<mo>0[1-9]|1[0-2])|\s*年\s*(?P<mo_word>0?[1-9]|1[0-2])\s*月)")


# ---------------------------------------------------------------- periods


def parse_period(text: str) -> str:
    """A period typed as `YYYY-MM` or `YYYY年M月` (full-width `２０２６－１０` alike) as `YYYY-MM`, or a usage error
    (BadOption) saying how to write one."""
    typed = _PERIOD.fullmatch(halfwidth(text).strip())
    if not typed:
        raise BadOption(f"{echoed(text)} 不是期间；应写作 YYYY-MM，如 2026-10")
    period = f"{typed['y']}-{int(typed['mo'] or typed['mo_word']):02d}"
    reason = year_refused(int(typed["y"]))
    if reason:
        raise BadOption(f"期间 {period} 的{reason}")
    return period


def begun_period(office: Office, text: str, only: str) -> str:
    """A period typed (parse_period) that has begun by now; one still to come is refused (BadInput), `only`
    saying what it cannot give: it has nothing yet, and an empty answer would read as an empty month."""
    period = parse_period(text)
    if period > period_of(office.now, office):
        raise BadInput(f"{period} 还没有到，{only}")
    return period


def period_of(at: datetime, office: Office) -> str:
    return at.astimezone(office.tz).strftime("%Y-%m")


def previous_period(period: str) -> str:
    year, month = map(int, period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def next_period(period: str) -> str:
    year, month = map(int, period.split("-"))
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


def _booking_period(session: Session, at: datetime, office: Office, step: str) -> str:
    """The period a movement at `at` is booked in, its own; refused when that month is already rolled.

    Taken under the roll's lock: nothing is booked into a period while it is being rolled.
    A step at exactly now was typed without --at (or with now): the line then does not ask for
    another --at, which could only be in the future, but for a look at the clock.
    """
    serialise(session.connection(), "ledger-roll")
    period = period_of(at, office)
    first_rolled, last_rolled = session.exec(select(func.min(LedgerBalance.period), func.max(LedgerBalance.period))).one()
    if not last_rolled or period > last_rolled:
        return period
    if period < first_rolled:
        why = f"{period} 早于台账第一次结转的月份 {first_rolled}（余额从该月记起），{step}不能记在该月"
    else:
        why = f"{period} 的台账已结转，{step}不能再记在该月"
    if at == office.now:
        raise RuleViolation(f"{why}：{step}的时间即现在（{shown(office, at)}）；请核对时钟（系统时间或 JIESU_NOW）")
    raise RuleViolation(f"{why}（{shown(office, at)}）；请把 --at 写在 {next_period(last_rolled)} 或以后")


def _move(session: Session, entry: LedgerEntry, kind: str, at: datetime, office: Office, step: str) -> None:
    session.add(LedgerMove(entry_id=entry.id, at=at, period=_booking_period(session, at, office, step), kind=kind))


def counted_in(period: str):
    """The one definition of the periods an entry belongs to: those whose 本期新增 counts it,
    i.e. where its 上账 or a 重新挂账 is booked. Lists and exports by period use it; roll counts the same moves."""
    return (
        select(LedgerMove.id)
        .where(LedgerMove.entry_id == LedgerEntry.id, LedgerMove.kind.in_([ADDED, REOPENED]), LedgerMove.period == period)
        .exists()
    )


_SIGNED = when_then((LedgerMove.kind == CLEARED, -1), else_=1)


def open_at_end(period: str):
    """The ids of the entries still open at the end of `period` by the moves booked up to it: what its roll
    carries over, and the next month's 期初."""
    return select(LedgerMove.entry_id).where(LedgerMove.period <= period).group_by(LedgerMove.entry_id).having(func.sum(_SIGNED) > 0)


def in_opening(period: str):
    """Whether `period`'s 期初 counts an entry: it was carried in, open at the end of the month before."""
    return LedgerEntry.id.in_(open_at_end(previous_period(period)).scalar_subquery())


def on_books_in(period: str):
    """The entries on the books during `period`, its whole ledger: those its 期初 counts (carried in from the
    month before) and those its 本期新增 counts (`counted_in`), cleared in it or not — what its balance adds up."""
    return in_opening(period) | counted_in(period)


def days_on_books(entry: LedgerEntry, now: datetime, tz: ZoneInfo) -> int:
    """在账天数: calendar days in the office's zone from 上账 to 销账, or to today while the entry is still open
    (as a date subtraction in Excel counts them: one put on the books last night is 1 day on them this morning)."""
    return ((entry.cleared_at or now).astimezone(tz).date() - entry.opened_at.astimezone(tz).date()).days


# ---------------------------------------------------------------- 上账 and 销账


def add_entry(
    office: Office, case_id: int, plan: str, unit: str, due: datetime | None = None, at: datetime | None = None
) -> LedgerEntry:
    """上账: an open, reasonable case that cannot be fixed now goes on the ledger."""
    plan, unit = required(plan, "整改措施"), named(unit, "责任单位")
    with changing(office, case_id, "ledger add", "上账") as (session, case):
        when = moment(office, case, at)
        if case.nature != Nature.REASONABLE:
            raise RuleViolation(f"#{case_id} 是{Nature(case.nature).label}，只有合理诉求才能上账整改")
        not_before(office, case, when, "上账", last_at(session, case.id, EventKind.CLASSIFIED), "研判")
        not_before(office, case, when, "上账", last_at(session, case.id, EventKind.REOPENED), "重办")
        if due is not None and due <= when:
            when_shown, due_shown = shown_apart(office, when, due, bound=True)
            raise BadInput(f"#{case_id} 的整改期限 {due_shown} 应晚于上账时间 {when_shown}")
        period = _booking_period(session, when, office, "上账")
        entry = LedgerEntry(case_id=case.id, opened_at=when, period=period, plan=plan, unit=unit, due=due)
        session.add(entry)
        session.flush()
        session.add(LedgerMove(entry_id=entry.id, at=when, period=period, kind=ADDED))
        changes = change(case, status=Status.LEDGERED)
        record(session, case, EventKind.LEDGERED, office, when, f"台账 {entry.id}：{plan}（{unit}）", changes)
        return entry


def clear_entry(office: Office, entry_id: int, evidence: str, at: datetime | None = None) -> LedgerEntry:
    """销账: only with evidence of the rectification; the case closes as resolved and goes on to revisit."""
    refusal = f"台账 {entry_id} 没有整改结果，不能销账（不整改完不销账）；请用 --evidence 写明整改结果"
    evidence = required(evidence, "整改结果", refusal=refusal)
    with office.store.write() as session:
        case, entry, when = _step_on_open_entry(
            office, session, entry_id, at, step="ledger clear", verb="销账", timed="销账", if_cleared=lambda case: "不能重复销账"
        )
        entry.status, entry.cleared_at, entry.evidence = CLEARED, when, evidence
        session.add(entry)
        _move(session, entry, CLEARED, when, office, "销账")
        changes = change(case, status=Status.CLOSED, result=Result.RESOLVED, closed_at=when)
        record(session, case, EventKind.CLEARED, office, when, f"台账 {entry_id} 销账：{evidence}", changes)
        return entry


class Unchanged(Enum):
    """A field `ledger edit` leaves as it is: for the 整改期限 None is a value (no 整改期限), so not giving one is this."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass
class EntryEdited:
    """An entry after `ledger edit`, with what changed ({field: [old, new]}) as the case's history records it."""

    entry: LedgerEntry
    changes: dict[str, list]


def edit_entry(
    office: Office, entry_id: int, reason: str, *, plan: str | None = None, unit: str | None = None,
    due: datetime | None | Literal[Unchanged.UNCHANGED] = UNCHANGED, at: datetime | None = None,
) -> EntryEdited:
    """台账更正/延期: a mistyped plan, unit or 整改期限 corrected, a new 整改期限 set, or (`due` None) one set by
    mistake removed — an entry may have none, as `ledger add` without --due leaves it — on an open entry,
    recorded as an `edited` event of its case. No movement: the balances are untouched, so unlike 上账 and
    销账 an edit may be dated in a rolled month."""
    values = {name: take(text, what) for name, text, what, take in (("plan", plan, "整改措施", required), ("unit", unit, "责任单位", named)) if text is not None}
    if due is not UNCHANGED:
        values["due"] = due
    if not values:
        raise BadInput(f"台账 {entry_id} 没有要更正的内容；请给出 --plan、--unit 或 --due")
    reason = required(reason, "更正理由")
    with office.store.write() as session:
        case, entry, when = _step_on_open_entry(
            office, session, entry_id, at, step="ledger edit", verb="更正台账", timed="更正",
            if_cleared=lambda case: f"不能更正；整改没有落实的，请先用 jiesu reopen {case.id} --reason … 重新挂账",
        )
        if isinstance(due, datetime) and due <= entry.opened_at:
            opened_shown, due_shown = shown_apart(office, entry.opened_at, due, bound=True)
            raise BadInput(f"台账 {entry_id} 的整改期限 {due_shown} 应晚于上账时间 {opened_shown}")
        changes = change(entry, **values)
        if not changes:
            raise BadInput(f"台账 {entry_id} 没有变化：给出的值与现有的相同")
        session.add(entry)
        record(session, case, EventKind.EDITED, office, when, f"台账 {entry_id}：{reason}", changes)
        return EntryEdited(entry, changes)


def cleared_entry_of(session: Session, case: Case) -> LedgerEntry | None:
    """The case's latest ledger entry if it was cleared (so a reopen must reopen it too)."""
    entry = session.exec(
        select(LedgerEntry).where(LedgerEntry.case_id == case.id).order_by(LedgerEntry.id.desc()).limit(1)
    ).first()
    return entry if entry is not None and entry.status == CLEARED else None


def reopen_entry(office: Office, session: Session, case: Case, entry: LedgerEntry, when: datetime, reason: str) -> None:
    """A write-off that did not hold is not a write-off: the entry is open again, inside the case's reopen."""
    entry.status, entry.cleared_at, entry.evidence = OPEN, None, None
    session.add(entry)
    _move(session, entry, REOPENED, when, office, f"台账 {entry.id} 的重新挂账")
    record(session, case, EventKind.LEDGERED, office, when, f"台账 {entry.id} 重新挂账：{reason}", {})


def _step_on_open_entry(
    office: Office, session: Session, entry_id: int, at: datetime | None, *,
    step: str, verb: str, timed: str, if_cleared: Callable[[Case], str],
) -> tuple[Case, LedgerEntry, datetime]:
    """The case and the entry a step (`step`, 销账 or 更正台账 as `verb`) is taken on, both locked, and
    when it is: refused on a cleared entry (`if_cleared` says what then, after 已于 … 销账), where the
    case's state does not allow it, and when dated before the 上账 (`timed`: its time's name) or the reopen."""
    # The case is locked before its entry, in the same order as every other step, so that
    # concurrent workers on PostgreSQL queue instead of deadlocking.
    case = load_case(session, _load_entry(session, entry_id, lock=False).case_id, for_update=True)
    entry = _load_entry(session, entry_id)
    if entry.status == CLEARED:
        raise TransitionRefused(f"台账 {entry_id} 已于 {shown(office, entry.cleared_at)} 销账，{if_cleared(case)}")
    allowed(session, case, step, verb)
    when = moment(office, case, at)
    if when < entry.opened_at:
        when_shown, opened_shown = shown_apart(office, when, entry.opened_at)
        raise BadInput(f"台账 {entry_id} 的{timed}时间 {when_shown} 早于上账时间 {opened_shown}")
    not_before(office, case, when, verb, last_at(session, case.id, EventKind.REOPENED), "重办")
    return case, entry, when


def _load_entry(session: Session, entry_id: int, *, lock: bool = True) -> LedgerEntry:
    query = select(LedgerEntry).where(LedgerEntry.id == entry_id)
    entry = session.exec(query.with_for_update() if lock else query).first()
    if entry is None:
        raise BadInput(f"没有台账 {entry_id}")
    return entry


# ---------------------------------------------------------------- listing


@dataclass
class EntryLine:
    """An entry with its case, as it stood at `standing` (now, or the last instant of a month already over), its
    结转次数 then (`carried_at`), and in a month's whole ledger whether its 期初 counts it (`in_opening`; else None):
    an entry 重新挂账 in the month has an earlier 上账期间 but is 本期新增, not carried in."""

    entry: LedgerEntry
    case: Case
    standing: datetime
    carried: int
    in_opening: bool | None


def list_entries(
    office: Office, *, period: str | None = None, whole_month: bool = False, open_only: bool = False, unit: str | None = None
) -> Iterator[EntryLine]:
    """Ledger entries with their cases, oldest first, streamed; by `period`, those it counts as 本期新增, or with
    `whole_month` all it had on the books (`on_books_in`), each marked whether its 期初 counts it — of a month
    already over, as that month left them (`_as_closed`), so that its ledger exported again after a later 销账
    reads as it did; `open_only` and `unit` then ask what they were then."""
    opening = in_opening(period) if period and whole_month else null()
    query = select(LedgerEntry, Case, opening).join(Case, Case.id == LedgerEntry.case_id).order_by(LedgerEntry.id)
    closed = period is not None and period < period_of(office.now, office)
    if period:
        query = query.where(on_books_in(period) if whole_month else counted_in(period))
    unit = text_or_none(unit)  # as stored: stripped, as `list --assignee` compares
    with office.store.read() as session:
        rows = session.exec(query.execution_options(yield_per=500))
        lines = _as_closed(session, office, period, rows) if closed else _as_standing(session, office, rows)
        for line in lines:
            if (not open_only or line.entry.status == OPEN) and (unit is None or line.entry.unit == unit):
                yield line


Listed = tuple[LedgerEntry, Case, bool | None]  # an entry, its case, and whether the month's 期初 counts it


def _chunks(rows: Iterable[Listed]) -> Iterator[list[Listed]]:
    """Entries in chunks, each read with one query more (their moves), never all at once."""
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, 500)):
        yield chunk


def _as_standing(session: Session, office: Office, rows: Iterable[Listed]) -> Iterator[EntryLine]:
    """Each entry as it stands, 结转次数 counting the month-ends before this month it stood open at, as a past
    month's ledger and report count them, whether or not their rolls have been run."""
    for chunk in _chunks(rows):
        carried = carried_at(session.connection(), [entry.id for entry, *_ in chunk], office.now, office)
        for entry, case, opening in chunk:
            yield EntryLine(entry, case, office.now, carried.get(entry.id, 0), opening)


def _as_closed(session: Session, office: Office, period: str, rows: Iterable[Listed]) -> Iterator[EntryLine]:
    """Each entry as the end of `period` left it: 在账 or 销账 (with when and its 整改结果) by the moves booked
    up to `period` (what its roll counts), 整改措施, 责任单位 and 整改期限 from before any `ledger edit` dated
    after it, and 结转次数 counting the month-ends through `period`'s own it stood open at. The case is shown as it is."""
    year, month = map(int, next_period(period).split("-"))
    standing = datetime(year, month, 1, tzinfo=office.tz) - timedelta(microseconds=1)
    edited = entry_fields_at(session.connection(), standing)
    for chunk in _chunks(rows):
        ids = [entry.id for entry, *_ in chunk]
        last_move = {
            entry_id: (kind, at)
            for entry_id, kind, at in session.exec(
                select(LedgerMove.entry_id, LedgerMove.kind, LedgerMove.at)
                .where(LedgerMove.entry_id.in_(ids), LedgerMove.period <= period)
                .order_by(LedgerMove.entry_id, LedgerMove.at, LedgerMove.id)
            )
        }
        carried = carried_at(session.connection(), ids, standing, office)
        for entry, case, opening in chunk:
            kind, at = last_move[entry.id]
            cleared_at = at if kind == CLEARED else None
            then = LedgerEntry(
                **{name: getattr(entry, name) for name in LedgerEntry.model_fields}
                | edited.get(entry.case_id, {})
                | {"status": CLEARED if cleared_at else OPEN, "cleared_at": cleared_at, "evidence": _evidence_at(session, entry, cleared_at)}
            )
            yield EntryLine(then, case, standing, carried.get(entry.id, 0), opening)


def _evidence_at(session: Session, entry: LedgerEntry, cleared_at: datetime | None) -> str | None:
    """The 整改结果 of the entry's 销账 at `cleared_at`: the entry's own, unless a 重新挂账 and a later 销账 have
    replaced it — then as that 销账's event recorded it."""
    if cleared_at is None or cleared_at == entry.cleared_at:
        return entry.evidence if cleared_at else None
    note = session.exec(
        select(Event.note).where(Event.case_id == entry.case_id, Event.kind == EventKind.CLEARED.value, Event.at == cleared_at)
    ).first()
    prefix = f"台账 {entry.id} 销账："
    return note.removeprefix(prefix) if note and note.startswith(prefix) else None


# ---------------------------------------------------------------- month-end


@dataclass
class Roll:
    balance: LedgerBalance
    carried: int
    already: bool


def roll(office: Office, period: str) -> Roll:
    """Month-end: compute and store the balance of `period` and carry its open entries over."""
    period = parse_period(period)
    if period >= period_of(office.now, office):
        raise RuleViolation(f"{period} 还没有过完，不能结转；{next_period(period)}-01 起才能结转")
    with office.store.write() as session:
        serialise(session.connection(), "ledger-roll")
        stored = session.get(LedgerBalance, period)
        if stored is not None:
            return Roll(stored, 0, already=True)
        first_rolled, last_rolled = session.exec(select(func.min(LedgerBalance.period), func.max(LedgerBalance.period))).one()
        first_move = session.exec(select(func.min(LedgerMove.period))).one()
        if last_rolled and period < last_rolled:  # not stored, so before the first: rolls run month after month
            raise RuleViolation(f"{period} 早于台账第一次结转的月份 {first_rolled}（余额从该月记起），不能再结转")
        if not last_rolled and first_move and period < previous_period(first_move):
            # The first roll may be the empty month before the first entry; further back, a typo
            # (2025-10 for 2026-10) would start the chain of rolls there, a year of empty months early.
            raise RuleViolation(f"{period} 早于第一笔台账（{first_move}），不能结转；第一个要结转的是 {first_move}")
        missing = next_period(last_rolled) if last_rolled else first_move
        if missing and missing < period:
            raise RuleViolation(f"请先结转 {missing}，才能结转 {period}")
        booked = dict(
            session.exec(select(LedgerMove.kind, func.count()).where(LedgerMove.period == period).group_by(LedgerMove.kind)).all()
        )
        opening = session.get(LedgerBalance, previous_period(period)).closing if last_rolled else 0
        added = booked.get(ADDED, 0) + booked.get(REOPENED, 0)
        cleared = booked.get(CLEARED, 0)
        balance = LedgerBalance(
            period=period, opening=opening, added=added, cleared=cleared, closing=opening + added - cleared, rolled_at=office.now
        )
        session.add(balance)
        carried = _carry(office, session, period)
        if carried != balance.closing:
            raise RuleViolation(f"{period} 期末 {balance.closing} 与在账条目 {carried} 不符；请运行 jiesu check")
        return Roll(balance, carried, already=False)


def _carry(office: Office, session: Session, period: str) -> int:
    """Carry every entry still open at the end of `period` into the next; returns how many."""
    rows = session.exec(
        select(LedgerEntry.id, LedgerEntry.case_id).where(LedgerEntry.id.in_(open_at_end(period).scalar_subquery()))
    ).all()
    if not rows:
        return 0
    note = f"{period} 未销账，结转至 {next_period(period)}"
    session.exec(
        insert(Event),
        params=[
            {"case_id": case_id, "at": office.now, "actor": office.actor, "kind": EventKind.CARRIED.value,
             "note": f"台账 {entry_id} {note}", "changes": "{}"}
            for entry_id, case_id in rows
        ],
    )
    return len(rows)


def balance_at(session: Session, period: str, upto: datetime) -> dict:
    """期初 / 本期新增 / 本期销账 / 期末 of `period` from the movements dated before `upto` (a report's window end).

    A movement is booked in its own month or a later one, never an earlier one, so as of the
    month's end this is exactly what `roll` stores (and `jiesu check` holds it to): a report of
    the month reads the same before and after it is rolled.
    """
    signed = {ADDED: 1, REOPENED: 1, CLEARED: -1}
    opening = added = cleared = 0
    for booked, kind, count in session.exec(
        select(LedgerMove.period, LedgerMove.kind, func.count())
        .where(LedgerMove.period <= period, LedgerMove.at < upto)
        .group_by(LedgerMove.period, LedgerMove.kind)
    ):
        if booked < period:
            opening += signed[kind] * count
        elif kind == CLEARED:
            cleared += count
        else:
            added += count
    return {"period": period, "opening": opening, "added": added, "cleared": cleared, "closing": opening + added - cleared}


def carried_at(conn: Connection, entry_ids: list[int], standing: datetime, office: Office) -> dict[int, int]:
    """结转次数 of each entry at `standing`: the month-ends come by then (a month's own at its last instant, as
    a month already over is shown) it was still open at by the moves booked up to each — what each month's
    roll counts (`_carry`), whether or not that roll has been run yet, so a month rolled late changes no
    figure; the ledger as it stands, a past month's ledger and its report all count so."""
    period = previous_period(period_of(standing + timedelta(microseconds=1), office))
    booked: dict[int, dict[str, int]] = {}
    for entry_id, booked_in, kind, count in conn.execute(
        select(LedgerMove.entry_id, LedgerMove.period, LedgerMove.kind, func.count())
        .where(LedgerMove.entry_id.in_(entry_ids), LedgerMove.period <= period)
        .group_by(LedgerMove.entry_id, LedgerMove.period, LedgerMove.kind)
    ):
        moves = booked.setdefault(entry_id, {})
        moves[booked_in] = moves.get(booked_in, 0) + (-count if kind == CLEARED else count)
    carried = {}
    for entry_id, moves in booked.items():
        month, on_books, times = min(moves), 0, 0
        while month <= period:
            on_books += moves.get(month, 0)
            times += on_books > 0
            month = next_period(month)
        carried[entry_id] = times
    return carried


def balances(office: Office) -> list[LedgerBalance]:
    with office.store.read() as session:
        return list(session.exec(select(LedgerBalance).order_by(LedgerBalance.period)))
