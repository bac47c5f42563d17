"""SQL conditions shared by lists and reports: what "open", "overdue" and "due for escalation" mean.

They are built on the tables' columns, so that they serve Core selects (lists, which
need no ORM objects) and ORM ones (reports) alike. Each takes the cases to judge:
the table itself, or the cases as they stood at a past time (`asof.cases_at`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select

from jiesu.backend import selective
from jiesu.models import Case, LedgerEntry
from jiesu.rules import Rules
from jiesu.vocab import OPEN_STATUSES, TOP_LEVEL, LedgerStatus, Status

CASES = Case.__table__

ESCALATION_REASONS = {"overdue": "超期", "reopened": "多次重办", "repeat": "一人多诉"}


def reason_labels(reasons) -> str:
    """Reasons a case is due for escalation, as people read them: 超期、多次重办."""
    return "、".join(ESCALATION_REASONS[r] for r in reasons or [])


def is_open(cases=CASES):
    return selective(cases.c.status.in_([s.value for s in OPEN_STATUSES]))


def ledger_open_at(as_of: datetime):
    """A ledger entry is on the books at `as_of` when its movements dated by then leave it open."""
    from jiesu.ledger_models import LedgerMove

    moves, entries = LedgerMove.__table__, LedgerEntry.__table__
    signed = func.sum(case((moves.c.kind == LedgerStatus.CLEARED.value, -1), else_=1))
    return select(signed).where(moves.c.entry_id == entries.c.id, moves.c.at <= as_of).scalar_subquery() > 0


def entry_value(name: str, was=None, entries=LedgerEntry.__table__):
    """A ledger entry's `name` (its 整改期限 `due`, its 责任单位 `unit`): as it stood then where `was`
    (asof.ledger_values_at) has it — a due none, if it had none then — else as it is."""
    if was is None:
        return entries.c[name]
    then = select(was.c[name]).where(was.c.case_id == entries.c.case_id)
    return case((then.exists(), then.scalar_subquery()), else_=entries.c[name])


def ledger_entry_value(value, cases=CASES, as_of: datetime | None = None):
    """`value` (a column of the ledger entries) of the entry a 挂账整改 case among `cases` answers to — its
    latest (opened by `as_of`, when given), the open one — NULL for a case in any other status."""
    entries = LedgerEntry.__table__
    opened = [entries.c.opened_at <= as_of] if as_of is not None else []
    latest = select(value).where(entries.c.case_id == cases.c.id, *opened).order_by(entries.c.id.desc()).limit(1).scalar_subquery()
    return case((cases.c.status == Status.LEDGERED.value, latest))


def holder(cases=CASES, units=None, as_of: datetime | None = None):
    """Whom a case is with, as `todo` names it and `assigned_to` finds it: a 挂账整改 case its ledger entry's
    责任单位 (as it stood at `as_of`, given the `units` a later `ledger edit` changed), any other its 承办."""
    return func.coalesce(ledger_entry_value(entry_value("unit", units), cases, as_of), cases.c.assignee)


def assigned_to(assignee: str, cases=CASES):
    """The cases `assignee` has: as their 承办, or as the 责任单位 of the ledger entry a 挂账整改 one answers to
    (its latest; the one `holder` names it by). Each side an index reads: the 承办 in the cases', the entries' own in theirs."""
    entries, later = LedgerEntry.__table__, LedgerEntry.__table__.alias()
    superseded = select(later.c.id).where(later.c.case_id == entries.c.case_id, later.c.id > entries.c.id).exists()
    units = select(entries.c.case_id).where(entries.c.unit == assignee, ~superseded)
    return or_(cases.c.assignee == assignee, and_(cases.c.status == Status.LEDGERED.value, cases.c.id.in_(units)))


def is_overdue(as_of: datetime, cases=CASES, dues=None):
    """Open and past resolve_by; a ledgered case answers to its ledger entry's due instead (as it stood
    at `as_of`, given the `dues` a later `ledger edit` changed)."""
    entries = LedgerEntry.__table__
    ledger_overdue = (
        select(entries.c.id)
        .where(entries.c.case_id == cases.c.id, entry_value("due", dues) < as_of, ledger_open_at(as_of))
        .exists()
    )
    return or_(
        and_(selective(cases.c.status.in_([Status.NEW.value, Status.ASSIGNED.value])), cases.c.resolve_by < as_of),
        and_(selective(cases.c.status == Status.LEDGERED.value), ledger_overdue),
    )


def is_reopened_too_often(rules: Rules, cases=CASES):
    return cases.c.reopen_count >= rules["escalation.reopen_limit"]


def repeat_window(rules: Rules, as_of: datetime):
    """The cases that count towards a repeat at `as_of`, as conditions on a table of cases."""
    since = as_of - timedelta(days=rules["escalation.repeat_days"])
    return lambda table: [table.c.received_at > since, table.c.received_at <= as_of]


def repeat_count(rules: Rules, as_of: datetime, cases=CASES, others=CASES):
    """How many of `others` this case's phone filed in its category within the repeat window: merged
    duplicates too, as hotspots count them (a caller's repeat calls merged into one are still repeat calls)."""
    other = others.alias()
    return (
        select(func.count(other.c.id))
        .where(
            other.c.phone == cases.c.phone,
            other.c.category_key == cases.c.category_key,
            *repeat_window(rules, as_of)(other),
        )
        .scalar_subquery()
    )


def is_repeated(rules: Rules, as_of: datetime, cases=CASES, others=CASES):
    """一人多诉: one phone's cases in one category. A case with no category (stored '') shares none
    with another: a caller's unrelated, unclassified calls are no repeat."""
    return and_(
        cases.c.phone.is_not(None), cases.c.category_key != "",
        repeat_count(rules, as_of, cases, others) >= rules["escalation.repeat_limit"],
    )


def escalation_flags(rules: Rules, as_of: datetime, cases=CASES, others=CASES, reasons=tuple(ESCALATION_REASONS), dues=None) -> dict:
    """Labelled boolean conditions, one per reason a case is due for escalation (of `reasons`, all by default).

    `cases` are the cases judged, `others` those a repeat is counted among (both the
    tables themselves, or as they stood at `as_of`, with the ledger's `dues` then)."""
    conditions = {
        "overdue": lambda: is_overdue(as_of, cases, dues),
        "reopened": lambda: is_reopened_too_often(rules, cases),
        "repeat": lambda: is_repeated(rules, as_of, cases, others),
    }
    return {reason: conditions[reason]() for reason in reasons}


def can_escalate(cases=CASES):
    """Below 市, the top of the ladder (社区→街道→区→市): a case at 市 has no level left to go to."""
    return cases.c.level != TOP_LEVEL.value


def is_due_escalation(rules: Rules, as_of: datetime, cases=CASES, others=CASES, flags: dict | None = None, dues=None):
    """Open, not yet at 市, and one of `flags` holds (by default every reason in `escalation_flags`).

    A case at 市 is never due, however overdue: it is still listed overdue by its deadline."""
    flags = escalation_flags(rules, as_of, cases, others, dues=dues) if flags is None else flags
    return and_(is_open(cases), can_escalate(cases), or_(*flags.values()))
