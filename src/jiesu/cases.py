"""The life of a case (DESIGN §3).

Every step runs in one write transaction: load the case (locked), ask the
rules, change it, and append the event that says what changed and why.
A refused step raises before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from jiesu import fields, ledger, phones, rules, textsearch
from jiesu.clock import a_year_after, bound_day
from jiesu.fields import named, required
from jiesu.errors import BadInput, BadOption, RuleViolation, TransitionRefused
from jiesu.safetext import shortened
from jiesu.models import Case, Event, LedgerEntry, Revisit
from jiesu.office import Office
from jiesu.steps import (
    change, changing, future, load_case, moment, not_before, open_entry, open_entry_id, record, ref_kept, shown_apart, shown_bound, work_case,
)
from jiesu.undone import last_at, not_undone
from jiesu.vocab import TOP_LEVEL, Channel, EventKind, Level, Nature, Result, Satisfaction, Status, Tier, Urgency, levels_said, open_status

LEVELS = list(Level)


# ---------------------------------------------------------------- filing


@dataclass
class Draft:
    """What a worker knows when a complaint comes in."""

    summary: str
    channel: Channel = Channel.HOTLINE
    urgency: Urgency = Urgency.NORMAL
    nature: Nature = Nature.UNCLASSIFIED
    category: str = ""
    detail: str = ""
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    community: str | None = None
    kind: str | None = None
    ref: str | None = None
    received_at: datetime | None = None


def file_case(office: Office, draft: Draft) -> Case:
    """受理: file a new case and its `filed` event together."""
    summary = fields.clean("summary", draft.summary)
    received_at = draft.received_at or office.now
    line = future(office, received_at, "受理时间")
    if line:
        raise BadInput(line)
    phone, phone_ext = phones.split(fields.clean("phone", draft.phone)) if draft.phone and draft.phone.strip() else (None, None)
    ref, category = (fields.clean(name, getattr(draft, name)) for name in ("ref", "category"))
    channel, urgency, nature = Channel(draft.channel), Urgency(draft.urgency), Nature(draft.nature)
    level = Level.COMMUNITY
    tier = rules.tier_for(urgency, category, level, office.rules)
    respond_by, resolve_by = rules.deadlines(received_at, tier, office.rules, office.calendar)
    case = Case(
        ref=ref,
        received_at=received_at,
        channel=channel.value,
        urgency=urgency.value,
        category=category,
        summary=summary,
        detail=(draft.detail or "").strip(),
        name=fields.clean("name", draft.name),
        phone=phone,
        phone_ext=phone_ext,
        address=fields.clean("address", draft.address),
        community=fields.clean("community", draft.community),
        kind=draft.kind,
        nature=nature.value,
        track=rules.track_for(nature),
        tier=tier.value,
        level=level.value,
        status=Status.NEW.value,
        respond_by=respond_by,
        resolve_by=resolve_by,
        responded_at=rules.responded_at_receipt(channel, received_at, office.rules),
    )
    for name, value in textsearch.derived(case).items():
        setattr(case, name, value)
    with office.store.write() as session:
        with ref_kept(session, ref):
            session.add(case)
        record(session, case, EventKind.FILED, office, received_at, channel.label, {})
    return case


def same_call(office: Office, case: Case) -> int | None:
    """The first other case with the same receipt time, phone, summary and address as `case`: the same call
    filed twice (as an import finds a row the book already has), which `jiesu merge` folds into the first."""
    with office.store.read() as session:
        return session.exec(
            select(func.min(Case.id)).where(
                Case.id != case.id,
                Case.received_at == case.received_at,
                Case.phone.is_not_distinct_from(case.phone),
                Case.summary == case.summary,
                Case.address.is_not_distinct_from(case.address),
            )
        ).one()


# ---------------------------------------------------------------- steps


def add_note(office: Office, case_id: int, text: str, at: datetime | None = None) -> Event:
    """备注: a remark on the case's history, in any status."""
    text = required(text, "备注")
    with changing(office, case_id, "note", "备注") as (session, case):
        return record(session, case, EventKind.NOTED, office, moment(office, case, at), text, {})


def classify(office: Office, case_id: int, nature: Nature, note: str = "", at: datetime | None = None) -> Case:
    """研判: set the nature, and so the 三上门 track. 待研判 is where a case starts, not a finding: going
    back to it would drop the track a close is checked against (a slip is taken back with `undo`)."""
    if nature == Nature.UNCLASSIFIED:
        findings = "、".join(n.label for n in Nature if n != Nature.UNCLASSIFIED)
        raise BadOption(f"研判不能定为{nature.label}（受理时的状态，不是研判结论），只能定为{findings}；研判有误请改研判为另一性质")
    with changing(office, case_id, "classify", "研判") as (session, case):
        when = moment(office, case, at)
        if case.status == Status.LEDGERED and nature != Nature.REASONABLE:
            raise RuleViolation(
                f"#{case_id} 挂账整改，只有合理诉求才能在账，不能研判为{nature.label}；"
                f"请先销账（jiesu ledger clear {open_entry_id(session, case.id)} --evidence …），或保持合理诉求"
            )
        if case.nature == nature:  # a step that changes nothing is no step: undo would take it back instead of the last real one
            raise TransitionRefused(f"#{case_id} 已研判为{nature.label}，没有变化；要补充说明请用 jiesu note")
        changes = change(case, nature=nature, track=rules.track_for(nature))
        record(session, case, EventKind.CLASSIFIED, office, when, note, changes)
        return case


def assign(office: Office, case_id: int, to: str, note: str = "", at: datetime | None = None) -> Case:
    """派单: hand the case to a person or unit (again, if it is already with someone)."""
    to = named(to, "派单对象")
    with changing(office, case_id, "assign", "派单") as (session, case):
        when = moment(office, case, at)
        status = Status.ASSIGNED if case.status == Status.NEW else case.status
        if case.assignee == to:
            raise TransitionRefused(f"#{case_id} 已派给 {shortened(phones.shown_field('assignee', to))}")
        changes = change(case, assignee=to, status=status)
        record(session, case, EventKind.ASSIGNED, office, when, note, changes)
        return case


def return_case(office: Office, case_id: int, reason: str, at: datetime | None = None) -> Case:
    """退单: back to 待派单 with the assignee cleared."""
    reason = required(reason, "退单理由")
    with changing(office, case_id, "return", "退单") as (session, case):
        when = moment(office, case, at)
        not_before(office, case, when, "退单", last_at(session, case.id, EventKind.ASSIGNED), "派单")
        changes = change(case, assignee=None, status=Status.NEW)
        record(session, case, EventKind.RETURNED, office, when, reason, changes)
        return case


def contact(office: Office, case_id: int, note: str = "", at: datetime | None = None) -> Case:
    """响应: a contact with the citizen; the earliest one is the first response (responded_at), one backfilled
    before the recorded first response too: the call a worker really made at 09:30 is the case's response — even
    logged after the close, when the case was open at 09:30 (steps.BACKFILLED_AS_OF)."""
    with changing(office, case_id, "contact", "联系诉求人", at) as (session, case):
        when = moment(office, case, at)
        first = case.responded_at is None or when < case.responded_at
        changes = change(case, responded_at=when) if first else {}
        record(session, case, EventKind.CONTACTED, office, when, note, changes)
        return case


def visit(office: Office, case_id: int, note: str, at: datetime | None = None) -> Case:
    """上门: a door visit, the face-to-face step of 三上门."""
    note = required(note, "上门记录")
    with changing(office, case_id, "visit", "上门", at) as (session, case):
        record(session, case, EventKind.VISITED, office, moment(office, case, at), note, {})
        return case


@dataclass
class Retimed:
    """A case after a step that may recompute its deadlines (升级, 重办, a 回访 that reopens), and whether
    they moved: a new level may move it to another tier; a reopen restarts the 办理时限 unless an extension
    already runs later. A step that left the case on the ledger (a reopen that put it back, an escalation)
    gives the entry: its 整改期限 counts, not restarted, so it may be past already."""

    case: Case
    retimed: bool
    ledgered: LedgerEntry | None = None
    recomputed: datetime | None = None  # a reopen's 办理时限 counted afresh, kept or not


def escalate(office: Office, case_id: int, reason: str, to: Level | None = None, at: datetime | None = None) -> Retimed:
    """升级: one level up the ladder (社区→街道→区→市) unless `to` says which."""
    reason = required(reason, "升级理由")
    with changing(office, case_id, "escalate", "升级") as (session, case):
        when = moment(office, case, at)
        reopened = _last_reopen(session, case.id)
        not_before(office, case, when, "升级", reopened and reopened.at, "重办")
        if case.level == TOP_LEVEL.value:
            raise TransitionRefused(f"#{case_id} 已在{TOP_LEVEL.label}级（最高一级），不能再升级")
        current = LEVELS.index(Level(case.level))
        target = to or LEVELS[current + 1]
        if LEVELS.index(target) <= current:
            down = f"，不能降级到{target.label}级" if LEVELS.index(target) < current else ""
            raise TransitionRefused(f"#{case_id} 已在{Level(case.level).label}级{down}；只能升到{levels_said(LEVELS[current + 1 :])}")
        changes = change(case, level=target)
        retimed = _retier(office, case, reopened.at if reopened else case.received_at)
        record(session, case, EventKind.ESCALATED, office, when, reason, changes | retimed)
        return Retimed(case, bool(retimed), ledgered=open_entry(session, case.id) if case.status == Status.LEDGERED else None)


def _retier(office: Office, case: Case, round_start: datetime) -> dict:
    """Recompute tier and deadlines after a change that may move the case to another tier.

    The first response is counted from receipt; the resolve period from the start of
    the current round (the receipt, or the last reopen), and never ends earlier than before.
    """
    tier = rules.tier_for(case.urgency, case.category, case.level, office.rules)
    if tier == case.tier:
        return {}
    respond_by, _ = rules.deadlines(case.received_at, tier, office.rules, office.calendar)
    _, resolve_by = rules.deadlines(round_start, tier, office.rules, office.calendar)
    return change(case, tier=tier, respond_by=respond_by, resolve_by=max(resolve_by, case.resolve_by))


@dataclass
class Extended:
    """A case after 延期, and what the day its new 办理时限 ends on is when no one works there (法定节假日,
    休息日; None on a working day): allowed, but worth a word."""

    case: Case
    rest_day: str | None


def extend(office: Office, case_id: int, to: datetime, reason: str, at: datetime | None = None) -> Extended:
    """延期: move resolve_by later, before it passes, at most max_extensions times per round (receipt or reopen),
    and by at most a year: a typo (`2099-12-31`) would take a case out of 超期 for decades."""
    reason = required(reason, "延期理由")
    with changing(office, case_id, "extend", "延期") as (session, case):
        when = moment(office, case, at)
        reopened = _last_reopen(session, case.id)
        not_before(office, case, when, "延期", reopened and reopened.at, "重办")
        limit = office.rules["deadlines.max_extensions"]
        used = _count_events(session, case.id, EventKind.EXTENDED, after_id=reopened.id if reopened else 0)
        if used >= limit:
            round_ = "本轮（重办后）" if reopened else ""
            raise RuleViolation(f"#{case_id} {round_}已延期 {used} 次，最多 {limit} 次")
        if when > case.resolve_by:
            when_shown, deadline_shown = shown_apart(office, when, case.resolve_by, bound=True)
            raise RuleViolation(
                f"#{case_id} 的延期时间 {when_shown} 晚于它要延长的时限 {deadline_shown}；超期后不能延期"
            )
        if to <= case.resolve_by:
            raise RuleViolation(f"#{case_id} 延期后的时限应晚于现在的 {shown_bound(office, case.resolve_by)}")
        if to > a_year_after(case.resolve_by, office.tz):
            raise RuleViolation(
                f"#{case_id} 延期后的时限 {shown_bound(office, to)} 比现在的 {shown_bound(office, case.resolve_by)} 晚一年以上；"
                f"12345 诉求不按年延期，一时办不完的请上账整改：jiesu ledger add {case_id} --plan … --unit …"
            )
        changes = change(case, resolve_by=to)
        record(session, case, EventKind.EXTENDED, office, when, reason, changes)
        return Extended(case, office.calendar.rest_day(bound_day(to, office.tz)))


def close(office: Office, case_id: int, result: Result, note: str, at: datetime | None = None) -> Case:
    """办结: checked against 三上门 (nature classified, face-to-face step done, result fits the track)."""
    note = required(note, "办结说明")
    with changing(office, case_id, "close", "办结") as (session, case):
        when = moment(office, case, at)
        reopened = _last_reopen(session, case.id)
        not_before(office, case, when, "办结", reopened and reopened.at, "重办")
        not_before(office, case, when, "办结", last_at(session, case.id, EventKind.CLASSIFIED), "研判")
        _check_close_in_order(office, session, case, result, when, reopened.id if reopened else 0)
        changes = change(case, status=Status.CLOSED, result=result, closed_at=when)
        record(session, case, EventKind.CLOSED, office, when, note, changes)
        return case


CLOSE_STEPS = {"visit": EventKind.VISITED, "contact": EventKind.CONTACTED}


def check_close_holds(office: Office, session: Session, case: Case) -> None:
    """Refuse (RuleViolation) unless the close of the case's current round passes 三上门 as the case now
    reads: a corrected channel may take away the face-to-face receipt it closed by. A close by its ledger
    entry's 销账 is no 三上门 close: it holds under any channel."""
    if ledger.cleared_entry_of(session, case) is not None:
        return
    reopened = _last_reopen(session, case.id)
    _check_close_in_order(office, session, case, Result(case.result), case.closed_at, reopened.id if reopened else 0)


def _check_close_in_order(office: Office, session: Session, case: Case, result: Result, when: datetime, since: int) -> None:
    """三上门 on the steps of this round, then again on those logged at or before the close:
    what the check needs must have happened before it."""
    logged = {step: _times(session, case.id, kind, since) for step, kind in CLOSE_STEPS.items()}

    def check(times: dict[str, list[datetime]]) -> None:
        rules.check_close(
            case_id=case.id, nature=case.nature, channel=case.channel, result=result,
            visits=len(times["visit"]), contacts=len(times["contact"]), rules=office.rules, reopened=bool(since),
        )

    check(logged)
    before = {step: [t for t in times if t <= when] for step, times in logged.items()}
    try:
        check(before)
    except RuleViolation:
        for step in office.rules[f"close.{case.track}_requires"]:
            if not before[step]:
                not_before(office, case, when, "办结", min(logged[step]), CLOSE_STEPS[step].label)
        raise


def revisit(
    office: Office, case_id: int, satisfaction: Satisfaction, resolved: bool, note: str = "", at: datetime | None = None
) -> Retimed:
    """回访: record the citizen's verdict; a bad verdict on a case the rules name reopens it."""
    with changing(office, case_id, "revisit", "回访") as (session, case):
        when = moment(office, case, at)
        not_before(office, case, when, "回访", case.closed_at, "办结")
        session.add(
            Revisit(case_id=case.id, at=when, actor=office.actor, satisfaction=satisfaction.value, resolved=resolved, note=note)
        )
        changes = change(case, status=Status.REVISITED)
        verdict = f"{satisfaction.label}，{'已解决' if resolved else '未解决'}"
        record(session, case, EventKind.REVISITED, office, when, "；".join(filter(None, [verdict, note])), changes)
        if case.nature in office.rules["revisit.reopen_natures"] and (not resolved or satisfaction == Satisfaction.UNSATISFIED):
            return _reopen(office, session, case, when, f"回访{verdict}")
        return Retimed(case, False)


def reopen(office: Office, case_id: int, reason: str, at: datetime | None = None) -> Retimed:
    """重办: back to work after closing; counted, and it restarts the resolve clock (never shortening it)."""
    reason = required(reason, "重办理由")
    with changing(office, case_id, "reopen", "重办") as (session, case):
        when = moment(office, case, at)
        not_before(office, case, when, "重办", case.closed_at, "办结")
        return _reopen(office, session, case, when, reason)


def _reopen(office: Office, session: Session, case: Case, when: datetime, reason: str) -> Retimed:
    """Reopen `case` at `when`: whether its 办理时限 moved (an extension running later keeps it), the
    办理时限 counted afresh, and the ledger entry it put back on the books, if any."""
    entry = ledger.cleared_entry_of(session, case)
    if entry is not None:
        status = Status.LEDGERED
    else:
        status = open_status(case.assignee)
    _, fresh = rules.deadlines(when, case.tier, office.rules, office.calendar)
    changes = change(
        case,
        status=status,
        reopen_count=case.reopen_count + 1,
        closed_at=None,
        result=None,
        resolve_by=max(fresh, case.resolve_by),  # a reopen never shortens a deadline (an extension stands)
    )
    record(session, case, EventKind.REOPENED, office, when, reason, changes)
    if entry is not None:
        ledger.reopen_entry(office, session, case, entry, when, reason)
    return Retimed(case, "resolve_by" in changes, ledgered=entry, recomputed=fresh)


def merge(office: Office, case_id: int, into: int, at: datetime | None = None) -> Case:
    """并单: a duplicate complaint joins the case that carries the work, which must still be open."""
    if case_id == into:
        raise TransitionRefused(f"#{case_id} 不能并入自己")
    with changing(office, case_id, "merge", "并单") as (session, case):
        target = load_case(session, into, for_update=True)
        if target.status == Status.MERGED:
            work = work_case(session, target)
            if work == case_id:  # the hint below would name this case itself: `merge 3 --into 3`
                how = "" if target.merged_into == case_id else f"（经由 #{target.merged_into}）"
                raise TransitionRefused(f"#{into} 已并入 #{case_id}{how}，它的办理就在 #{case_id}；不能互相合并")
            _refuse_finished(case_id, load_case(session, work), f"#{into} 已合并到 #{work}，")
            raise TransitionRefused(f"#{into} 已合并到 #{work}，请并入 #{work}")
        _refuse_finished(case_id, target, "")
        _refuse_lost(office, session, case, target)
        when = moment(office, case, at)
        # The step is written on both cases, so it may not precede either receipt.
        not_before(office, target, when, "并单", target.received_at, "受理")
        changes = change(case, status=Status.MERGED, merged_into=into)
        record(session, case, EventKind.MERGED, office, when, f"并入 #{into}", changes)
        record(session, target, EventKind.MERGED, office, when, f"#{case_id} 并入本件", {})
        return case


def _refuse_finished(case_id: int, work: Case, how: str) -> None:
    """Refuse merging into a closed or revisited case: the merged one would leave every list, deadline
    and rate with no visit, result or revisit of its own (an overdue complaint made to vanish)."""
    if work.status in (Status.CLOSED, Status.REVISITED):
        raise TransitionRefused(
            f"{how}#{work.id} {Status(work.status).label}，不能并入；#{case_id} 说的事 #{work.id} 没办好的，"
            f"先 jiesu reopen {work.id} --reason … 再并单，否则 #{case_id} 请单独办理"
        )


def _refuse_lost(office: Office, session: Session, case: Case, target: Case) -> None:
    """Refuse merging into a case at a lower level, into a normal one from an urgent one, or into one whose
    deadline is later: the target carries the work from now on, so the merged case's escalation (or 紧急,
    or its earlier deadline) would vanish from every list and deadline. The worker raises the target first
    where a step can, or merges the other way when that loses nothing."""
    lost = _lost_by_merging(office, session, case, target)
    if lost is None:
        return
    fact, dropped, first = lost
    reverse = None if not rules.allowed(target.status, "merge") or _lost_by_merging(office, session, target, case) else (
        f"jiesu merge {target.id} --into {case.id}"
    )
    if first:
        then = f"先 {first} 再并单" + (f"，或反过来 {reverse}" if reverse else "")
    else:  # no step brings a 办理时限 forward
        then = f"请反过来 {reverse}" if reverse else f"#{case.id} 请单独办理"
    raise TransitionRefused(f"{fact}：并入后由 #{target.id} 办理，{dropped}就没了；{then}")


def _lost_by_merging(office: Office, session: Session, case: Case, target: Case) -> tuple[str, str, str | None] | None:
    """What merging `case` into `target` would drop (a higher level, 紧急, an earlier deadline) and the step on
    the target that keeps it, if one does (fact, what is dropped, step); None when nothing."""
    level, target_level = Level(case.level), Level(target.level)
    if LEVELS.index(level) > LEVELS.index(target_level):
        return (
            f"#{case.id} 已升级到{level.label}级，#{target.id} 在{target_level.label}级",
            f"{level.label}级的升级",
            f"jiesu escalate {target.id} --to {level.label} --reason …",
        )
    if case.urgency == Urgency.URGENT and target.urgency != Urgency.URGENT:
        return (
            f"#{case.id} 是{Urgency.URGENT.label}诉求，#{target.id} 不是",
            f"{Tier.EMERGENCY.label}档的时限",
            f"jiesu edit {target.id} --urgency {Urgency.URGENT.label}",
        )
    due, target_due = _deadline(office, session, case), _deadline(office, session, target)
    if due.at is not None and (target_due.at is None or due.at < target_due.at):
        ours = f"#{case.id}{due.name} {shown_bound(office, due.at)}"
        if target_due.at is None:
            fact = f"{ours}，#{target.id}{target_due.name}没有整改期限"
        else:
            fact = f"{ours} 早于 #{target.id}{target_due.name} {shown_bound(office, target_due.at)}"
        return (
            fact,
            f"#{case.id} 较早的时限",
            target_due.entry and f"jiesu ledger edit {target_due.entry} --due … --reason …",
        )
    return None


@dataclass
class _Deadline:
    """The deadline a case answers to: its 办理时限, or on the ledger its entry's 整改期限 (`entry`; `at` None: it has
    none), and how a message names it after the case's id."""

    at: datetime | None
    name: str
    entry: int | None = None


def _deadline(office: Office, session: Session, case: Case) -> _Deadline:
    entry = open_entry(session, case.id) if case.status == Status.LEDGERED else None
    if entry is None:
        return _Deadline(case.resolve_by, " 的办理时限")
    return _Deadline(entry.due, f" 台账 {entry.id} " + ("的整改期限" if entry.due else ""), entry.id)


def _count_events(session: Session, case_id: int, kind: EventKind, after_id: int = 0) -> int:
    query = select(func.count(Event.id)).where(
        Event.case_id == case_id, Event.kind == kind.value, Event.id > after_id, not_undone()
    )
    return session.exec(query).one()


def _last_reopen(session: Session, case_id: int) -> Event | None:
    """The reopen that started the current round, if any."""
    query = select(Event).where(Event.case_id == case_id, Event.kind == EventKind.REOPENED.value, not_undone())
    return session.exec(query.order_by(Event.id.desc()).limit(1)).first()


def _times(session: Session, case_id: int, kind: EventKind, after_id: int) -> list[datetime]:
    query = select(Event.at).where(Event.case_id == case_id, Event.kind == kind.value, Event.id > after_id, not_undone())
    return list(session.exec(query))
