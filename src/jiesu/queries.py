"""SQL conditions shared by lists and reports: what "open", "overdue" and "due for escalation" mean."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from jiesu.backend import selective
from jiesu.models import Case, LedgerEntry
from jiesu.rules import Rules
from jiesu.vocab import OPEN_STATUSES, LedgerStatus, Status

ESCALATION_REASONS = {"overdue": "超期", "reopened": "多次重办", "repeat": "一人多诉"}


def reason_labels(reasons) -> str:
    """Reasons a case is due for escalation, as people read them: 超期、多次重办."""
    return "、".join(ESCALATION_REASONS[r] for r in reasons or [])


def is_open():
    return selective(Case.status.in_([s.value for s in OPEN_STATUSES]))


def is_overdue(as_of: datetime):
    """Open and past resolve_by; a ledgered case answers to its ledger entry's due instead."""
    ledger_overdue = (
        select(LedgerEntry.id)
        .where(LedgerEntry.case_id == Case.id, LedgerEntry.status == LedgerStatus.OPEN.value, LedgerEntry.due < as_of)
        .exists()
    )
    return or_(
        and_(selective(Case.status.in_([Status.NEW.value, Status.ASSIGNED.value])), Case.resolve_by < as_of),
        and_(selective(Case.status == Status.LEDGERED.value), ledger_overdue),
    )


def is_reopened_too_often(rules: Rules):
    return Case.reopen_count >= rules["escalation.reopen_limit"]


def repeat_count(rules: Rules, as_of: datetime):
    """How many cases this case's phone filed in its category within the repeat window."""
    other = aliased(Case)
    since = as_of - timedelta(days=rules["escalation.repeat_days"])
    return (
        select(func.count(other.id))
        .where(
            other.phone == Case.phone,
            other.category == Case.category,
            other.received_at > since,
            other.received_at <= as_of,
            other.status != Status.MERGED.value,
        )
        .scalar_subquery()
    )


def is_repeated(rules: Rules, as_of: datetime):
    return and_(Case.phone.is_not(None), repeat_count(rules, as_of) >= rules["escalation.repeat_limit"])


def escalation_flags(rules: Rules, as_of: datetime) -> dict:
    """Labelled boolean conditions, one per reason a case is due for escalation."""
    return {
        "overdue": is_overdue(as_of),
        "reopened": is_reopened_too_often(rules),
        "repeat": is_repeated(rules, as_of),
    }


def is_due_escalation(rules: Rules, as_of: datetime):
    return and_(is_open(), or_(*escalation_flags(rules, as_of).values()))

