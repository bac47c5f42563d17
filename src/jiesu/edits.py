"""更正: correcting what was typed about a case.

History stays append-only: a correction is one `edited` event holding the old and
new value of every field it changed. When the correction moves the case to another
时限档 (urgency, category, receipt time), the deadlines are recomputed in the same
event, so the history says why they moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from jiesu import fields, phones, rules, textsearch
from jiesu.errors import BadInput, BadOption, RuleViolation, TransitionRefused
from jiesu.models import Case, Event, LedgerEntry
from jiesu.office import Office
from jiesu.steps import change, future, load_case, open_entry, record, ref_kept, shown_apart, work_case
from jiesu.undone import not_undone
from jiesu.vocab import RECORD_KINDS, Channel, EventKind, Status

# What `jiesu edit` may correct; nature has its own step (classify), status and assignee theirs.
EDITABLE = ("summary", "detail", "phone", "name", "address", "community", "category", "urgency", "kind", "ref", "channel", "received_at")
# Corrections of these can move the case to another 时限档 or shift its deadlines.
TIMING = frozenset({"urgency", "category", "received_at"})
REQUIRED = frozenset({"summary", "channel", "urgency"})
# Corrections of these move a face-to-face case's first response, which its receipt is.
RECEIPT = frozenset({"channel", "received_at"})


@dataclass
class Edited:
    """A case after a correction, with what changed ({field: [old, new]}), whether its deadlines moved, and the
    ledger entry whose 整改期限 it answers to instead while on the ledger."""

    case: Case
    changes: dict[str, list]
    retimed: bool
    ledgered: LedgerEntry | None = None


def clean_values(office: Office, values: dict[str, Any]) -> dict[str, Any]:
    """Typed corrections checked exactly as `jiesu new` checks them; received_at is already a time."""
    cleaned = {}
    for name, value in values.items():
        if name not in EDITABLE:
            raise BadInput(f"{name} 不能更正")
        if name == "received_at":
            line = future(office, value, "受理时间")
            if line:
                raise BadInput(line)
            cleaned[name] = value
            continue
        cleaned[name] = fields.clean(name, value)
        if cleaned[name] is None and name in REQUIRED:
            raise BadOption(f"{fields.FIELDS[name].label}不能为空")
        if name == "phone":  # the number and its extension are stored apart, as `jiesu new` stores them
            cleaned["phone"], cleaned["phone_ext"] = phones.split(cleaned["phone"]) if cleaned["phone"] else (None, None)
    return cleaned


def edit_case(office: Office, case_id: int, values: dict[str, Any], note: str = "") -> Edited:
    """更正: apply `values` (field → typed value) to the case in one transaction with one `edited` event."""
    if not values:
        raise BadInput("没有要更正的内容；请给出要改的项，如 --address（jiesu edit --help 看全部）")
    cleaned = clean_values(office, values)
    with office.store.write() as session:
        case = load_case(session, case_id, for_update=True)
        if case.status == Status.MERGED:
            work = work_case(session, case)
            raise TransitionRefused(f"#{case_id} 已合并到 #{work}，不能更正；请更正 #{work}")
        with ref_kept(session, cleaned.get("ref"), case.id):
            if "received_at" in cleaned:
                _check_receipt(office, session, case, cleaned["received_at"])
            receipt_response = rules.responded_at_receipt(case.channel, case.received_at, office.rules)
            changes = change(case, **cleaned)
            if not changes:
                raise BadInput(f"#{case_id} 没有变化：给出的值与现有的相同")
            timing = retime(office, session, case) if TIMING & changes.keys() else {}
            changes |= timing
            if RECEIPT & changes.keys():
                changes |= change(case, responded_at=_first_response(office, session, case, receipt_response))
            if "channel" in changes and case.status in (Status.CLOSED, Status.REVISITED):
                _check_close_kept(office, session, case)
            for name, value in textsearch.derived(case).items():
                setattr(case, name, value)
            record(session, case, EventKind.EDITED, office, office.now, note.strip(), changes)
        ledgered = open_entry(session, case.id) if timing and case.status == Status.LEDGERED else None
    return Edited(case, changes, bool(timing), ledgered)


def _check_receipt(office: Office, session: Session, case: Case, received_at: datetime) -> None:
    """A case cannot have been received after a step that stands on it (its filing and corrections are no
    such step: RECORD_KINDS). A step taken back is none either, nor is its undo: the correction states when
    the case should have been filed as received, and every view reads it so (asof.RECEIPT_KEPT)."""
    first = session.exec(
        select(Event.at, Event.kind, Event.actor)
        .where(Event.case_id == case.id, Event.kind.not_in([*RECORD_KINDS, EventKind.UNDONE.value]), not_undone())
        .order_by(Event.at, Event.id)
        .limit(1)
    ).first()
    if first is not None and received_at > first.at:
        received_shown, step_shown = shown_apart(office, received_at, first.at)
        raise BadInput(
            f"#{case.id} 的受理时间不能改为 {received_shown}：它晚于 {first.actor} 已记录的{EventKind(first.kind).label}（{step_shown}）；"
            "受理须在每一步办理之前"
        )


def _first_response(office: Office, session: Session, case: Case, receipt_response: datetime | None) -> datetime | None:
    """When the corrected case was first responded to: at its receipt if it came face to face (来访, 现场办公),
    else at its first contact. A response its old receipt stood for goes with it; any other (a contact, an
    imported time) stays."""
    if (at_receipt := rules.responded_at_receipt(case.channel, case.received_at, office.rules)) is not None:
        return at_receipt
    if receipt_response is None or case.responded_at != receipt_response:
        return case.responded_at
    return session.exec(
        select(func.min(Event.at)).where(Event.case_id == case.id, Event.kind == EventKind.CONTACTED.value, not_undone())
    ).one()


def _check_close_kept(office: Office, session: Session, case: Case) -> None:
    """A closed case's channel is corrected only if its close still holds: one that went by a face-to-face
    receipt (来访, 现场办公) instead of a visit or contact would become a close 三上门 never allowed."""
    from jiesu.cases import check_close_holds

    try:
        check_close_holds(office, session, case)
    except RuleViolation as exc:
        said = Channel(case.channel).label
        raise RuleViolation(
            f"#{case.id} 已办结，受理渠道改为{said}后这次办结不再成立（{exc}）；确是录错的，请先 jiesu reopen {case.id} --reason … 重办"
        ) from None


def retime(office: Office, session: Session, case: Case) -> dict[str, list]:
    """Tier and deadlines recomputed from what the case now says; {field: [old, new]} of those that moved.

    The resolve clock restarts at the latest reopening, as `reopen` restarts it, and an
    extension granted since then is kept when it is later than the recomputed deadline.
    """
    tier = rules.tier_for(case.urgency, case.category, case.level, office.rules)
    respond_by, _ = rules.deadlines(case.received_at, tier, office.rules, office.calendar)
    reopened = session.exec(
        select(Event.id, Event.at)
        .where(Event.case_id == case.id, Event.kind == EventKind.REOPENED.value, not_undone())
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    since_id, clock_start = reopened if reopened else (0, case.received_at)
    _, resolve_by = rules.deadlines(clock_start, tier, office.rules, office.calendar)
    extended = session.exec(
        select(Event.id).where(
            Event.case_id == case.id, Event.kind == EventKind.EXTENDED.value, Event.id > since_id, not_undone()
        )
    ).first()
    if extended is not None:
        resolve_by = max(resolve_by, case.resolve_by)
    return change(case, tier=tier, respond_by=respond_by, resolve_by=resolve_by)
