"""撤销: taking back a slip without touching history.

`undo` appends an `undone` event that names the step it takes back and restores
the fields that step changed. A step is reversible only while nothing later stands
on it: a later step that changed one of the same fields, any later change of
status (it was allowed by, or checked against, how the case stood after the step),
a later contact after the first one (it counted on the response being recorded), or a later
change of 时限档 after an extension (it kept the extended deadline). The refusal names the later
step, who logged it and when.
Steps that moved the ledger, recorded a citizen's verdict or filed the case are
never reversible; a correction of a ledger entry (`ledger edit`) moves no balance and is.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from jiesu import rules, textsearch
from jiesu.errors import BadInput, RuleViolation
from jiesu.models import CASE_TIMES, ENTRY_EDITABLE, Case, Event, LedgerEntry
from jiesu.office import Office
from jiesu.steps import _plain, change, load_case, open_entry_id, record, ref_taken, shown
from jiesu.vocab import EventKind, Status

_UNDOING = Event.__table__.alias("undoing")
_TIMES = CASE_TIMES | {"due"}  # the fields a step records as times: the case's, and a ledger entry's 整改期限

IRREVERSIBLE = {
    EventKind.FILED: "受理不能撤销；录错的内容请用 jiesu edit 更正",
    EventKind.IMPORTED: "导入的记录不能撤销",
    EventKind.REVISITED: "回访记下的是诉求人的评价，不能撤销",
    EventKind.LEDGERED: "上账已记入台账余额，不能撤销；措施、单位或期限录错的请用 jiesu ledger edit 更正",
    EventKind.CLEARED: "销账已记入台账余额，不能撤销；整改没有落实的请用 jiesu reopen 重新挂账",
    EventKind.CARRIED: "结转已记入台账余额，不能撤销",
    EventKind.MERGED: "并单不能撤销",
    EventKind.PURGED: "删除的个人信息已不在案卷里，无法恢复",
}


def not_undone(before: datetime | None = None):
    """The condition that an event has not been taken back by an `undone` event (dated before
    `before`, when given: a report of October counts a close that November's undo took back)."""
    undoing = [_UNDOING.c.undoes > 0]  # an event id: a range the undoes index serves
    if before is not None:
        # The time compared as an expression, which no index serves: SQLite otherwise walked the
        # time index of every event before `before` (a report 4× slower) instead of the few undoes.
        undoing.append(func.coalesce(_UNDOING.c.at, _UNDOING.c.at) < before)
    return Event.id.not_in(select(_UNDOING.c.undoes).where(*undoing))


def last_at(session: Session, case_id: int, kind: EventKind) -> datetime | None:
    """When the case's last step of `kind` still standing (not undone) happened."""
    query = select(Event.at).where(Event.case_id == case_id, Event.kind == kind.value, not_undone())
    return session.exec(query.order_by(Event.id.desc()).limit(1)).first()


@dataclass
class Undone:
    """The case after an undo, the step taken back, and the fields restored ({field: [was, now]})."""

    case: Case
    step: Event
    changes: dict[str, list]


def undo(office: Office, case_id: int | None = None) -> Undone:
    """Take back the actor's most recent step (on `case_id`, or on any case)."""
    with office.store.write() as session:
        if case_id is not None:
            load_case(session, case_id)
        step = _latest_step(session, office.actor, case_id)
        if step is None:
            where = f"在 #{case_id} 上" if case_id is not None else ""
            raise BadInput(f"{office.actor} {where}没有可撤销的办理记录")
        step = _step_taken(session, step)
        case = load_case(session, step.case_id, for_update=True)
        what = f"#{case.id} 的{EventKind(step.kind).label}（{shown(office, step.at)}）"
        _check_reversible(office, session, step, what)
        corrected = _corrected_entry(session, step)
        restored = _restore(corrected or case, json.loads(step.changes), what)
        taken = ref_taken(session, restored.get("ref"), case.id)
        if taken:  # another case took the ref the step corrected away
            raise RuleViolation(f"{what}不能撤销：{taken}")
        changes = change(corrected or case, **restored)
        if corrected is not None:
            session.add(corrected)
        elif step.kind == EventKind.EDITED:
            for name, value in textsearch.derived(case).items():
                setattr(case, name, value)
        event = record(session, case, EventKind.UNDONE, office, office.now, f"撤销{EventKind(step.kind).label}", changes)
        event.undoes = step.id
        return Undone(case, step, changes)


def _latest_step(session: Session, actor: str, case_id: int | None, taken: Collection[int] = ()) -> Event | None:
    """The actor's latest step still standing (on `case_id`, or any case), those `taken` counted as undone."""
    query = select(Event).where(Event.actor == actor, Event.kind != EventKind.UNDONE.value, not_undone())
    if taken:
        query = query.where(Event.id.not_in(taken))
    if case_id is not None:
        query = query.where(Event.case_id == case_id)
    return session.exec(query.order_by(Event.id.desc()).limit(1)).first()


def undos_letting_in(session: Session, office: Office, step: Event, fields: set[str]) -> list[Event]:
    """The steps `jiesu undo` by the worker who logged `step` takes back, latest first and `step` last, after
    which a step changing `fields`, refused as backfilled before `step` alone, goes in; empty when no run of
    undos does. Each undo must be allowed once the later ones are done and restore none of `fields` (else the
    backfill is refused against that undo, logged now): an extension with a note logged after it is two undos."""
    if step.kind == EventKind.UNDONE:
        return []
    chain: list[Event] = []
    taken: set[int] = set()
    while not chain or chain[-1].id != step.id:
        latest = _latest_step(session, step.actor, step.case_id, taken)
        if latest is None or latest.id < step.id:
            return []
        taken.add(latest.id)  # a reopen's re-ledgering goes with the reopen (_step_taken)
        latest = _step_taken(session, latest)
        if latest.kind in IRREVERSIBLE or json.loads(latest.changes).keys() & fields:
            return []
        try:
            _check_reversible(office, session, latest, "", taken)
        except RuleViolation:
            return []
        chain.append(latest)
        taken.add(latest.id)
    return chain


def _step_taken(session: Session, step: Event) -> Event:
    """The step the worker took that wrote `step`: a reopen that put the case back on the ledger
    writes its re-ledgering as a second event (a `ledgered` changing nothing) right after it."""
    if step.kind != EventKind.LEDGERED or json.loads(step.changes):
        return step
    before = session.exec(
        select(Event).where(Event.case_id == step.case_id, Event.id < step.id).order_by(Event.id.desc()).limit(1)
    ).first()
    return before if before is not None and before.kind == EventKind.REOPENED else step


def _check_reversible(office: Office, session: Session, step: Event, what: str, taken: Collection[int] = ()) -> None:
    """Refuse to undo `step` (`what`), naming why; the steps `taken` are counted as undone already."""
    kind = EventKind(step.kind)
    if kind in IRREVERSIBLE:
        raise RuleViolation(f"{what}不能撤销：{IRREVERSIBLE[kind]}")
    changes = json.loads(step.changes)
    if kind == EventKind.REOPENED and changes.get("status", [None, None])[1] == Status.LEDGERED:
        raise RuleViolation(f"{what}不能撤销：这次重办把台账重新挂账，已记入台账余额")
    before = session.exec(
        select(Event).where(Event.case_id == step.case_id, Event.id < step.id).order_by(Event.id.desc()).limit(1)
    ).first()
    if kind == EventKind.REOPENED and before is not None and before.kind == EventKind.REVISITED and before.at == step.at:
        raise RuleViolation(f"{what}不能撤销：这次重办是回访结果按规则引起的")
    window = office.rules["undo.window"]
    written = step.recorded_at or step.at  # a backdated step can be taken back as long after its writing as any
    if office.now > rules.add_span(written, window, office.calendar, office.rules):
        raise RuleViolation(f"{what}不能撤销：已超过撤销时限 {window.label}（规则 undo.window）")
    later = session.exec(
        select(Event)
        .where(Event.case_id == step.case_id, Event.id > step.id, Event.kind != EventKind.UNDONE.value, not_undone())
        .order_by(Event.id)
    )
    for other in later:
        if other.id in taken:
            continue
        theirs = json.loads(other.changes)
        # A later contact left responded_at alone because this one had set it; a later change of
        # 时限档 kept resolve_by because this extension had set it.
        repeated_first_contact = kind == EventKind.CONTACTED and other.kind == EventKind.CONTACTED and changes
        retimed_past_extension = kind == EventKind.EXTENDED and "tier" in theirs
        if "status" in theirs or theirs.keys() & changes.keys() or repeated_first_contact or retimed_past_extension:
            raise _stands_on(office, other, step, what)


def _stands_on(office: Office, other: Event, step: Event, what: str) -> RuleViolation:
    """The refusal that names the later step standing on the one to undo: which, by whom, when; one logged
    later but dated earlier is said to be backfilled, as 之后 beside an earlier time reads as a mistake."""
    logged = "补录" if other.at < step.at else ""
    return RuleViolation(
        f"{what}不能撤销：之后 {other.actor} 已{logged}{EventKind(other.kind).label}（{shown(office, other.at)}），它以这一步为依据"
    )


def _corrected_entry(session: Session, step: Event) -> LedgerEntry | None:
    """The ledger entry a `ledger edit` corrected, locked; None for any other step. It is the case's open
    entry: a later step that cleared it changed the case's status, and `_check_reversible` refused."""
    if step.kind != EventKind.EDITED or not json.loads(step.changes).keys() & set(ENTRY_EDITABLE):
        return None
    query = select(LedgerEntry).where(LedgerEntry.id == open_entry_id(session, step.case_id))
    return session.exec(query.with_for_update()).one()


def _restore(target: Case | LedgerEntry, changes: dict[str, list], what: str) -> dict[str, Any]:
    """The value each changed field of `target` (the case, or the entry a `ledger edit` corrected) had
    before the step; refused if a field no longer holds the step's value (a safeguard: `_check_reversible`
    has already refused, naming it, any later step that changed one)."""
    restored = {}
    for name, (old, new) in changes.items():
        if _plain(getattr(target, name)) != new:
            raise RuleViolation(f"{what}不能撤销：它改过的内容之后又被改动了")
        restored[name] = datetime.fromisoformat(old) if name in _TIMES and old is not None else old
    return restored
