"""How every change to a case is made: load it under the write lock, check, change, record.

Shared by the case transitions (cases.py) and the ledger (ledger.py).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import false, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jiesu import clock, phones, rules, textsearch
from jiesu.errors import BadInput, CaseNotFound, RuleViolation, TransitionRefused
from jiesu.models import Case, Event, LedgerEntry, Revisit
from jiesu.office import Office
from jiesu.safetext import shortened
from jiesu.vocab import EventKind, LedgerStatus, Satisfaction, Status


@contextmanager
def changing(office: Office, case_id: int, step: str, verb: str, at: datetime | None = None) -> Iterator[tuple[Session, Case]]:
    """Load the case under the write lock and check that its status allows `step` — or, for a step backfilled to
    `at` that leaves the status as it is, that its status then did (allowed_then)."""
    with office.store.write() as session:
        case = load_case(session, case_id, for_update=True)
        refuse_repeat(office, session, case, step)
        if not allowed_then(session, case, step, at):
            allowed(session, case, step, verb)
        yield session, case


# The steps that leave a case's status as it is (a note any case takes): one dated with --at to a time the case's
# status then allowed it is taken as a backfill even when the case has moved on since — the first contact forgotten
# until after the close is the case's first response, not a reason to reopen it. A step that changes the status
# is not: the history after it would no longer follow.
BACKFILLED_AS_OF = frozenset({"contact", "visit"})


def allowed_then(session: Session, case: Case, step: str, at: datetime | None) -> bool:
    """Whether `step`, dated `at`, is a backfill its case's status at `at` allows though its status now does not."""
    if at is None or step not in BACKFILLED_AS_OF or rules.allowed(case.status, step):
        return False
    return rules.allowed(status_at(session, case, at), step)


def status_at(session: Session, case: Case, at: datetime) -> str:
    """The case's status at `at`: what the first change of it dated after `at` changed it from, else its status now.
    Steps taken back (and their undos) are none; an import counts as of the row's own times, which its event does
    not carry, so it is passed over (a case imported closed reads closed until a later step)."""
    from jiesu.undone import not_undone  # undone.py builds on this module

    changed = session.exec(
        select(Event.changes)
        .where(
            Event.case_id == case.id, Event.at > at, Event.changes.contains('"status": ['), not_undone(),
            Event.kind.not_in((EventKind.IMPORTED.value, EventKind.UNDONE.value)),
        )
        .order_by(Event.at, Event.id)
        .limit(1)
    ).first()
    return json.loads(changed)["status"][0] if changed else case.status


def allowed(session: Session, case: Case, step: str, verb: str) -> None:
    """rules.check_step for `case`, a refusal of a merged one naming where its work now is (work_case).

    A ledgered case answers to its entry's 整改期限, not to its 办理时限: refused an extension, it is
    told the step that moves that deadline."""
    if step == "extend" and case.status == Status.LEDGERED:
        raise TransitionRefused(
            f"#{case.id} 挂账整改，不能延期办理时限；整改期限请用 jiesu ledger edit {open_entry_id(session, case.id)} --due … --reason … 重定"
        )
    rules.check_step(case.id, case.status, case.level, step, verb, work_case(session, case))


def refuse_repeat(office: Office, session: Session, case: Case, step: str) -> None:
    """Refuse a step the case has taken already in this round — a second 回访 of the same 办结, a second 上账 —
    naming the one taken and what to do instead, as `assign` to the unit it is with is refused."""
    if step == "revisit" and case.status == Status.REVISITED:
        raise TransitionRefused(revisited_already(office, session, case))
    if step == "ledger add" and case.status == Status.LEDGERED:
        raise TransitionRefused(on_the_books(office, session, case))


def on_the_books(office: Office, session: Session, case: Case) -> str:
    """The refusal of a second 上账, naming the entry the case is on (its 责任单位 and 整改期限) and the step that
    corrects it: a worker who typed `ledger add` again meant to change the plan, unit or due."""
    entry = open_entry(session, case.id)
    if entry is None:  # a book that lost its entry: `jiesu check` says so
        return f"#{case.id} 挂账整改，不能重复上账"
    unit = shortened(phones.shown_field("unit", entry.unit))
    due = f"，整改期限 {shown_bound(office, entry.due)}" if entry.due else "，没有整改期限"
    return (
        f"#{case.id} 已在台账 {entry.id}（{unit}{due}），不能重复上账；"
        f"措施、单位或期限要改的，请用 jiesu ledger edit {entry.id} --plan … --unit … --due … --reason …（只写要改的）"
    )


def revisited_already(office: Office, session: Session, case: Case) -> str:
    """The refusal of a second 回访 of the same 办结, naming the one made: a revisit is the citizen's verdict on a
    close, and two would leave "the latest" to chance (and count the case twice). It cannot be undone, so the line
    says what a worker can do instead."""
    made = session.exec(select(Revisit).where(Revisit.case_id == case.id).order_by(Revisit.at.desc(), Revisit.id.desc())).first()
    verdict = ""
    if made is not None:
        verdict = f"（{made.actor} {shown(office, made.at)} 已回访：{Satisfaction(made.satisfaction).label}，{'已解决' if made.resolved else '未解决'}）"
    return (
        f"#{case.id} 已回访，不能再回访{verdict}：同一次办结只回访一次；回访不能撤销，"
        f"记错的请用 jiesu note {case.id} … 说明，诉求人仍不满意或未解决的请 jiesu reopen {case.id} --reason …"
    )


def open_entry(session: Session, case_id: int) -> LedgerEntry | None:
    """The case's entry on the books, if it is ledgered."""
    query = select(LedgerEntry).where(LedgerEntry.case_id == case_id, LedgerEntry.status == LedgerStatus.OPEN.value)
    return session.exec(query.limit(1)).first()


def open_entry_id(session: Session, case_id: int) -> int | None:
    entry = open_entry(session, case_id)
    return entry and entry.id


def work_case(session: Session, case: Case) -> int | None:
    """Where a merged case's work now is: the case at the end of its merges (`#3` into `#2`, later `#2` into
    `#1`: `#1`), so that a refusal's hint is one a worker can follow; None for a case not merged."""
    seen = {case.id}
    while case.merged_into is not None and case.merged_into not in seen:
        seen.add(case.merged_into)
        case = session.get(Case, case.merged_into) or case
    return None if len(seen) == 1 else case.id


def load_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update()
    case = session.exec(query).first()
    if case is None:
        raise missing(case_id)
    return case


def missing(case_id: int) -> CaseNotFound:
    return CaseNotFound(f"没有 #{case_id} 这件诉求")


def moment(office: Office, case: Case, at: datetime | None) -> datetime:
    """When a step happened: now unless logged afterwards, never before receipt or in the future."""
    at = at or office.now
    if at < case.received_at:
        at_shown, received_shown = shown_apart(office, at, case.received_at)
        raise BadInput(f"#{case.id} 的时间 {spaced(at_shown)}早于受理时间 {received_shown}")
    line = future(office, at, f"#{case.id} 的时间")
    if line:
        raise BadInput(line)
    return at


def future(office: Office, when: datetime, what: str) -> str | None:
    """The line refusing `when` as the time `what` happened when it is after now, else None.

    No grace for a clock running ahead: a case or step dated even seconds after now would be
    missing from every view of "now" (`--as-of now`, today's report) until then. Whoever's clock
    runs ahead types `now`, or the minute before.
    """
    if when <= office.now:
        return None
    exact = bool(when.second or office.now.second)  # both to the second, or 23:59:59 reads as after a "now" of 23:59
    return f"{what} {spaced(office.said(when, always=exact))}在未来（现在是 {clock.shown_to_the_second(office.now, office.tz, always=exact)}）"


def not_before(office: Office, case: Case, when: datetime, verb: str, earlier: datetime | None, earlier_verb: str) -> None:
    """Refuse a step dated before the step it depends on, naming both times."""
    if earlier is not None and when < earlier:
        raise RuleViolation(inverted(case.id, verb, earlier_verb, *shown_apart(office, when, earlier)))


def inverted(case_id: int, verb: str, earlier_verb: str, when_shown: str, earlier_shown: str) -> str:
    """The line for a step dated before the step it depends on (refused by the steps, found by `check`), its
    times shown apart (clock.shown_apart)."""
    return (
        f"#{case_id} 的{verb}时间 {spaced(when_shown)}早于{earlier_verb}时间 {earlier_shown}；"
        f"{verb}所依据的{earlier_verb}必须在它之前"
    )


def spaced(shown: str) -> str:
    """A time shown in a line, then the space before the next word, but none after the bracket that follows
    what was typed (`'09:30'（2026-12-03 09:30）早于`): a space there reads as a stray one."""
    return shown if shown.endswith("）") else f"{shown} "


def shown(office: Office, when: datetime) -> str:
    return clock.shown(when, office.tz)


def shown_apart(office: Office, first: datetime, second: datetime, *, bound: bool = False) -> tuple[str, str]:
    """Two times a refusal sets side by side, both to the second when they fall in the same minute (clock.shown_apart);
    the first, the time the refused step was given, after what was typed for it when that reads otherwise
    (`--at "2026-12-01 24:00"`: `'2026-12-01 24:00'（2026-12-02 00:00）`, Office.said)."""
    first_shown, second_shown = clock.shown_apart(first, second, office.tz, bound=bound)
    return office.beside_typed(first, first_shown), second_shown


def shown_bound(office: Office, when: datetime) -> str:
    """A deadline in a message: one that ends a day reads that day's 24:00."""
    return clock.shown_bound(when, office.tz)


def change(case: Case, **values) -> dict[str, list]:
    """Set fields on `case`, returning {field: [old, new]} for those that really changed."""
    changes = {}
    for name, new in values.items():
        new = getattr(new, "value", new)
        old = getattr(case, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(case, name, new)
    return changes


def _plain(value):
    """Times are kept in the history in UTC, like every stored time."""
    return value.astimezone(timezone.utc).isoformat() if isinstance(value, datetime) else value


def record(session: Session, case: Case, kind: EventKind, office: Office, at: datetime, note: str, changes: dict) -> Event:
    """Append the event for `office`'s actor's step; bumps the case's version when something changed."""
    if changes:
        _in_time_order(session, case, kind, office, at, changes)
        case.version += 1
        session.add(case)
    event = Event(
        case_id=case.id, at=at, actor=office.actor, kind=kind.value, note=note or "",
        changes=json.dumps(changes, ensure_ascii=False), recorded_at=clock.utcnow(),
    )
    session.add(event)
    return event


# The first response is the earliest response whenever it was written: a contact backfilled before the recorded
# one is the first response (views wind it back only while it holds what a step set: asof), and a correction
# moves it with the receipt or channel (edits._first_response).
UNORDERED = frozenset({"responded_at"})

# The event each step of rules.ALLOWED writes on its case (a `ledger edit` writes a 更正, which any case takes).
STEP_EVENTS = {
    "assign": EventKind.ASSIGNED, "return": EventKind.RETURNED, "contact": EventKind.CONTACTED, "visit": EventKind.VISITED,
    "classify": EventKind.CLASSIFIED, "escalate": EventKind.ESCALATED, "extend": EventKind.EXTENDED, "close": EventKind.CLOSED,
    "merge": EventKind.MERGED, "ledger add": EventKind.LEDGERED, "ledger clear": EventKind.CLEARED, "note": EventKind.NOTED,
    "revisit": EventKind.REVISITED, "reopen": EventKind.REOPENED,
}
# The events of the steps a case in each status is not allowed: a step that puts a case in that status cannot be
# backfilled before one of them (a 上账 before an extension logged today would leave an extension on the ledger).
NOT_TAKEN = {status: tuple(kind.value for step, kind in STEP_EVENTS.items() if not rules.allowed(status, step)) for status in Status}
# The steps only an open case takes, none of which a closed one is allowed: the 并单 a merge writes on the case it
# went into among them, as a finished case is refused as a target.
OPEN_ONLY = NOT_TAKEN[Status.CLOSED]


def _in_time_order(session: Session, case: Case, kind: EventKind, office: Office, at: datetime, changes: dict) -> None:
    """Refuse a step dated before steps already recorded that stand in its way, naming the first of them:

    - a step that changed any of the same fields (`assign --at` the 24th after an assignment on the 26th, a merge
      before a later assignment): the book would then hold the earlier value as the latest, and every view as of a
      time between the two, which winds the history back in the order it was written, would be wrong. The first
      response is no such field (UNORDERED);
    - for a step that puts the case in another status, a step that status does not allow (NOT_TAKEN): for one
      that ends the case's open life (办结, 并单, 销账), a step only an open case takes (an extension logged today, a
      close backfilled to last week); for a 上账, an extension or a close. The history would show that step on a
      case that could not take it.

    A step taken back (undone) no longer stands; one that changed the same fields is still in the way as its undo."""
    from jiesu.undone import not_undone  # undone.py builds on this module

    fields = {name for name in changes if name not in UNORDERED}
    same = [Event.changes.contains(f'"{name}": [') for name in fields]
    not_taken = Event.kind.in_(NOT_TAKEN[Status(changes["status"][1])]) if "status" in changes else false()
    standing = session.exec(
        select(Event)
        .where(
            Event.case_id == case.id, Event.at > at, Event.kind != EventKind.IMPORTED.value,  # an import counts as of the row's own times
            or_(not_taken, *same), not_undone(),
        )
        .order_by(Event.at, Event.id)
    ).all()
    if standing:
        raise _out_of_order(session, office, case, kind, at, standing, changes)


def _out_of_order(
    session: Session, office: Office, case: Case, kind: EventKind, at: datetime, standing: list[Event], changes: dict
) -> RuleViolation:
    """The refusal of a `kind` step dated `at` (making `changes`), before the `standing` steps recorded already
    (in time order), naming the first, and how to backfill it: after its worker undoes it (and any step they
    logged after it) only where those undos let the step in (undone.undos_letting_in: a close backfilled before
    an extension logged today, wrongly logged on a closed case); else no earlier than the last of them."""
    from jiesu.undone import undos_letting_in  # undone.py builds on this module

    fields = {name for name in changes if name not in UNORDERED}
    first, last = standing[0], standing[-1]
    at_shown, first_shown = shown_apart(office, at, first.at)
    label = EventKind(first.kind).label
    why = "两步改变了案卷的同一项" if json.loads(first.changes).keys() & fields else f"{kind.label}后的诉求不能再{label}"
    undos = undos_letting_in(session, office, first, fields) if len(standing) == 1 else []
    if undos:
        how = _undo_advice(office, case, kind, at_shown, undos, changes)
    else:
        cannot = f"那次{label}不能为此撤销，" if len(standing) == 1 and first.kind != EventKind.UNDONE else ""
        bound = "它" if last is first else f"{EventKind(last.kind).label}（{shown_apart(office, at, last.at)[1]}）"
        how = f"{cannot}{kind.label}时间须不早于{bound}"
    return RuleViolation(
        f"#{case.id} 的{kind.label}时间 {spaced(at_shown)}早于 {first.actor} 已记录的{label}（{first_shown}），{why}；补录须按时间先后：{how}"
    )


def _undo_advice(office: Office, case: Case, kind: EventKind, at_shown: str, undos: list[Event], changes: dict) -> str:
    """How to backfill a `kind` step (making `changes`, dated `at_shown`) by taking back the `undos` (latest
    first, the step in its way last) as the worker who logged them. A first response among them is lost by its
    undo and, once the backfilled step bars contacts (a close), is to be logged again at its real time (before
    the backfill: `allowed_then`), or else the backfill dated no earlier than it."""
    first = undos[-1]
    actor = first.actor if re.fullmatch(r"[\w.@-]+", first.actor) else shlex.quote(first.actor)  # 李四 as typed
    undo = f"jiesu undo {case.id}" if first.actor == office.actor else f"jiesu --actor {actor} undo {case.id}"  # as that worker: on a shared login, undo is the typist's
    taken = [f"{undo} 撤销之后记录的{EventKind(step.kind).label}（{shown(office, step.at)}）" for step in undos[:-1]]
    taken.append(f"{undo} 撤销那次{EventKind(first.kind).label}")
    how = f"请 {first.actor} 先 " + "，再 ".join(taken)
    response = next((step for step in undos if step.kind == EventKind.CONTACTED and "responded_at" in json.loads(step.changes)), None)
    new_status = changes.get("status", [None, None])[1]
    if response is None or new_status is None or EventKind.CONTACTED.value not in NOT_TAKEN[Status(new_status)]:
        return f"{how}，再补录{kind.label}"
    relog = f"jiesu contact {case.id} --at …"
    return (
        f"{how}（首次响应随之撤销），按实际时间重记联系 {relog}（须早于 {at_shown}），再补录{kind.label}；"
        f"联系确在{kind.label}之后的，{kind.label}时间须不早于 {shown(office, response.at)}"
    )


def ref_taken(session: Session, ref: str | None, case_id: int | None = None) -> str | None:
    """Why `ref` cannot be the ref of case `case_id` (or a new case): another case holds it as refs
    compare (textsearch.ref_key: `ＢＪ００１`, `bj001` and `BJ001` are one work order), named with how
    it wrote the ref; None when it is free."""
    if not ref:
        return None
    query = select(Case.id, Case.ref).where(Case.ref_key == textsearch.ref_key(ref))
    if case_id is not None:
        query = query.where(Case.id != case_id)
    holder = session.exec(query.order_by(Case.id).limit(1)).first()
    if holder is None:
        return None
    written = "" if holder.ref == ref else f"（记为 {holder.ref}）"
    return f"工单编号 {ref} 已用于 #{holder.id}{written}"


def refuse_taken_ref(session: Session, ref: str | None, case_id: int | None = None) -> None:
    """Refuse a `ref` another case holds (ref_taken), in its words."""
    line = ref_taken(session, ref, case_id)
    if line:
        raise BadInput(line)


@contextmanager
def ref_kept(session: Session, ref: str | None, case_id: int | None = None) -> Iterator[None]:
    """Refuse a taken `ref` before the block writes it, and again if a racing worker (on PostgreSQL)
    took it meanwhile: the unique index refuses the write, and the line names who has it now."""
    refuse_taken_ref(session, ref, case_id)
    try:
        yield
        session.flush()
    except IntegrityError:
        session.rollback()
        refuse_taken_ref(session, ref, case_id)
        raise
