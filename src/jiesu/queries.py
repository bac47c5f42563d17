"""SQL conditions shared by lists and reports: what "open", "overdue" and "due for escalation" mean.

They are built on the tables' columns, so that they serve Core selects (lists, which
need no ORM objects) and ORM ones (reports) alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from jiesu.backend import selective
from jiesu.models import Case, LedgerEntry
from jiesu.rules import Rules
from jiesu.vocab import OPEN_STATUSES, LedgerStatus, Status

CASES = Case.__table__

ESCALATION_REASONS = {"overdue": "超期", "reopened": "多次重办", "repeat": "一人多诉"}


def reason_labels(reasons) -> str:
    """Reasons a case is due for escalation, as people read them: 超期、多次重办."""
    return "、".join(ESCALATION_REASONS[r] for r in reasons or [])


def is_open():
    return selective(CASES.c.status.in_([s.value for s in OPEN_STATUSES]))


def is_overdue(as_of: datetime):
    """Open and past resolve_by; a ledgered case answers to its ledger entry's due instead."""
    entries = LedgerEntry.__table__
    ledger_overdue = (
        select(entries.c.id)
        .where(entries.c.case_id == CASES.c.id, entries.c.status == LedgerStatus.OPEN.value, entries.c.due < as_of)
        .exists()
    )
    return or_(
        and_(selective(CASES.c.status.in_([Status.NEW.value, Status.ASSIGNED.value])), CASES.c.resolve_by < as_of),
        and_(selective(CASES.c.status == Status.LEDGERED.value), ledger_overdue),
    )


def is_reopened_too_often(rules: Rules):
    return CASES.c.reopen_count >= rules["escalation.reopen_limit"]


def repeat_count(rules: Rules, as_of: datetime):
    """How many cases this case's phone filed in its category (however spelt) within the repeat window."""
    other = CASES.alias("other")
    since = as_of - timedelta(days=rules["escalation.repeat_days"])
    return (
        select(func.count(other.c.id))
        .where(
            other.c.phone == CASES.c.phone,
            other.c.category_key == CASES.c.category_key,
            other.c.received_at > since,
            other.c.received_at <= as_of,
            other.c.status != Status.MERGED.value,
        )
        .scalar_subquery()
    )


def is_repeated(rules: Rules, as_of: datetime):
    return and_(CASES.c.phone.is_not(None), repeat_count(rules, as_of) >= rules["escalation.repeat_limit"])


def escalation_flags(rules: Rules, as_of: datetime) -> dict:
    """Labelled boolean conditions, one per reason a case is due for escalation."""
    return {
        "overdue": is_overdue(as_of),
        "reopened": is_reopened_too_often(rules),
        "repeat": is_repeated(rules, as_of),
    }


def is_due_escalation(rules: Rules, as_of: datetime):
    return and_(is_open(), or_(*escalation_flags(rules, as_of).values()))
