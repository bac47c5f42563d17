"""`jiesu purge`: personal information kept no longer than needed (个人信息保护法 第十九条).

For cases done with before a date, the complainant's name and phone (and, if
asked, the address) are removed; the case, its category, community, times,
history and revisits stay, so every report and rate still adds up. Each case
gets a `purged` event in the same transaction, naming the fields removed but
not their values. The values a correction recorded in the history (an `edited`
event's old and new phone) are replaced by a marker in the same transaction:
history is append-only but for this, personal data kept no longer than needed.
A phone number written into the summary or detail (请回电 13912345678) is the
complainant's too: it is masked there (139****5678), and in the texts a correction
recorded, in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from jiesu import backend
from jiesu.clock import shown_bound, shown_to_the_second
from jiesu.errors import BadInput
from jiesu.models import Case, Event
from jiesu.office import Office
from jiesu.phones import mask_in_text
from jiesu.rules import add_span, latest_start
from jiesu.textsearch import derived
from jiesu.vocab import PURGED_VALUE, EventKind, Status

# An assumption, not a published rule: three years after a case is done covers the year's and the
# previous year's 考评, a repeat complaint about the same matter, and an appeal; the README says so.
DEFAULT_RETENTION_YEARS = 3
BATCH = 2000
# The case's texts a citizen dictates a number into; they stay, with the number masked. (The address
# goes whole with --address; without it, it stays as typed: the same-address hotspot groups by it.)
TEXTS = ("summary", "detail")


@dataclass
class Purged:
    cases: int
    before: datetime
    fields: tuple[str, ...]


def default_cutoff(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of the local day three years before `now` (28 February for 29 February)."""
    today = now.astimezone(tz).date()
    try:
        day = today.replace(year=today.year - DEFAULT_RETENTION_YEARS)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - DEFAULT_RETENTION_YEARS, day=28)
    return datetime.combine(day, time(0), tzinfo=tz)


def purge(office: Office, before: datetime | None, *, address: bool, dry_run: bool) -> Purged:
    """Remove personal fields from the cases done with before `before` (default: the retention period),
    a time already past: a mistyped year (2029 for 2023) would take what a revisit still needs, for good."""
    office.refuse_future(before, "--closed-before 只能是过去的日期（删除个人信息不能撤销）")
    before = before or default_cutoff(office.now, office.tz)
    _refuse_revisits_to_come(office, before)
    fields = ("name", "phone", "address") if address else ("name", "phone")
    done_with = or_(
        and_(Case.status.in_([Status.CLOSED.value, Status.REVISITED.value]), Case.closed_at < before),
        and_(Case.status == Status.MERGED.value, Case.received_at < before),
    )
    holding = or_(*[getattr(Case, name).is_not(None) for name in fields], _history_holding(fields))
    query = select(Case.id, holding.label("holding"), *[getattr(Case, name) for name in TEXTS]).where(done_with).order_by(Case.id)
    with office.store.connect() as conn:
        # A number in the text is found by Python's pattern, not SQL: each done-with case's texts are read once.
        ids = [case_id for case_id, held, *texts in conn.execute(query) if held or any(mask_in_text(t) != t for t in texts)]
    if dry_run:
        return Purged(len(ids), before, fields)
    note = f"按保存期限删除诉求人个人信息（{'、'.join(LABELS[f] for f in fields)}）"
    for start in range(0, len(ids), BATCH):
        _purge_batch(office, ids[start : start + BATCH], fields, note)
    return Purged(len(ids), before, fields)


def _refuse_revisits_to_come(office: Office, before: datetime) -> None:
    """Refuse a cutoff that takes the phone of a closed case whose revisit (rule `revisit.due`) is not
    yet due: the rules still need the citizen called back, and a purge cannot be undone."""
    rules, calendar = office.rules, office.calendar
    span = rules["revisit.due"]
    # Closes before this are due by now (a day of slack covers latest_start's first cut); the rest are counted exactly.
    settled = latest_start(office.now, span, calendar, rules) - timedelta(days=1)
    query = select(Case.id, Case.closed_at).where(
        Case.status == Status.CLOSED.value, Case.closed_at < before, Case.closed_at > settled
    ).order_by(Case.closed_at)
    with office.store.connect() as conn:
        waiting = [(case_id, due) for case_id, closed_at in conn.execute(query)
                   if (due := add_span(closed_at, span, calendar, rules)) > office.now]
    if waiting:
        named = "、".join(f"#{case_id}" for case_id, _ in waiting[:3]) + ("等" if len(waiting) > 3 else "")
        raise BadInput(
            f"办结早于 {cutoff_shown(before, office.tz)} 的诉求中有 {len(waiting)} 件（{named}）还没到回访期限"
            f"（最晚 {shown_bound(waiting[-1][1], office.tz)}），回访要用电话；删除个人信息不能撤销，请先回访，或用更早的日期"
        )


def cutoff_shown(before: datetime, tz: ZoneInfo) -> str:
    """The cutoff as it was typed: a date alone when it is a day's start, else with its clock time."""
    text = shown_to_the_second(before, tz)
    return text.removesuffix(" 00:00")


LABELS = {"name": "姓名", "phone": "电话", "address": "地址", "summary": "诉求摘要中的电话", "detail": "诉求详情中的电话"}


def _purge_batch(office: Office, ids: list[int], fields: tuple[str, ...], note: str) -> None:
    with office.store.connect(write=True) as conn:
        rows = conn.execute(
            select(Case.id, Case.summary, Case.detail, Case.address, Case.category, Case.ref, *[getattr(Case, f) for f in fields]).where(Case.id.in_(ids))
        ).all()
        scrubbed = _scrub_history(conn, ids, _forgotten_fields(fields))
        events = []
        for row in rows:
            values = row._asdict()
            removed = [f for f in fields if values[f] is not None]
            masked = {f: mask_in_text(values[f]) for f in TEXTS if mask_in_text(values[f]) != values[f]}
            if not removed and not masked and row.id not in scrubbed:
                continue  # purged by someone else meanwhile
            if removed or masked:
                forgotten = dict.fromkeys(_forgotten_fields(fields)) if removed else {}
                conn.execute(
                    update(Case).where(Case.id == row.id).values(
                        **forgotten, **masked, **derived(values | forgotten | masked), version=Case.version + 1,
                    )
                )
            # The event names what went, never its value: a masked text is recorded as it now reads.
            changes = {f: [PURGED_VALUE, None] for f in removed} | {f: [PURGED_VALUE, text] for f, text in masked.items()}
            said = note if not masked else f"{note[:-1]}、{'、'.join(LABELS[f] for f in masked)}）"
            events.append((row.id, office.now, office.actor, EventKind.PURGED.value, said, json.dumps(changes, ensure_ascii=False), office.now))
        backend.bulk_insert(conn, "events", ["case_id", "at", "actor", "kind", "note", "changes", "recorded_at"], events)


def _forgotten_fields(fields: tuple[str, ...]) -> tuple[str, ...]:
    return fields + ("phone_ext",) if "phone" in fields else fields


def _history_holding(fields: tuple[str, ...]):
    """A case whose history records a value of `fields` since its last purge: a phone corrected
    away, with no name left, still had its old number there."""
    history = aliased(Event)
    last_purge = (
        select(func.coalesce(func.max(Event.id), 0))
        .where(Event.case_id == Case.id, Event.kind == EventKind.PURGED.value)
        .scalar_subquery()
    )
    return exists().where(
        history.case_id == Case.id, history.id > last_purge, or_(*[history.changes.contains(f'"{f}"') for f in fields])
    )


def _scrub_history(conn, case_ids: list[int], fields: tuple[str, ...]) -> set[int]:
    """Replace the values of `fields` recorded in the changes of these cases' events by the marker,
    and mask a phone number in the texts (TEXTS) they recorded; the cases whose history held one."""
    if not case_ids:
        return set()
    query = select(Event.id, Event.case_id, Event.changes).where(
        Event.case_id.in_(case_ids), or_(*[Event.changes.contains(f'"{f}"') for f in fields + TEXTS])
    )
    scrubbed, cases = [], set()
    for event_id, case_id, text in conn.execute(query):
        changes = json.loads(text)
        kept = {name: [_scrubbed(name, value, fields) for value in pair] for name, pair in changes.items()}
        if kept != changes:
            scrubbed.append({"event_id": event_id, "scrubbed": json.dumps(kept, ensure_ascii=False)})
            cases.add(case_id)
    if scrubbed:
        with backend.history_rewritten(conn, "events"):
            conn.execute(update(Event).where(Event.id == bindparam("event_id")).values(changes=bindparam("scrubbed")), scrubbed)
    return cases


def _scrubbed(name: str, value, fields: tuple[str, ...]):
    """A value a step recorded, as a purge leaves it: a removed field's as the marker, a text's with its numbers masked."""
    if name in fields and value not in (None, PURGED_VALUE):
        return PURGED_VALUE
    return mask_in_text(value) if name in TEXTS and isinstance(value, str) else value
