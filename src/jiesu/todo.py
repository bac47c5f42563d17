"""待办: what is due soon or overdue, for one worker or the whole office, most urgent first.

Five kinds of work come due: the first response to the citizen (respond_by), the
resolve deadline (resolve_by), the revisit of a closed case (rule revisit.due after
closing), a ledger entry's rectification date, and an escalation the rules call for
(reopened too often, one caller repeating; never at 市, the top of the ladder). A deadline
counts when it falls before now + `within`; a past one is overdue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from jiesu.clock import LENGTH, LENGTH_UNITS, MOST_DAYS, bound_as_shown, length, refuse_capital_m, unit_letter
from jiesu.digits import halfwidth
from jiesu.errors import BadOption
from jiesu.fields import text_or_none
from jiesu.models import LedgerEntry
from jiesu.office import Office
from jiesu.queries import CASES, assigned_to, escalation_flags, holder, is_due_escalation, is_open, reason_labels
from jiesu.rules import latest_start, spans_alike
from jiesu.safetext import echoed
from jiesu.vocab import LedgerStatus, Status

REASONS = {"respond": "首次响应", "resolve": "办结", "revisit": "回访", "ledger": "台账整改", "escalate": "应升级"}
_WITHIN = re.compile(rf"^\s*{LENGTH}\s*$")
# A bare zero is zero of any unit (`--within 0`, as `0h` is); another bare number is ambiguous, and refused.
_ZERO = re.compile(r"^\s*0+\s*$")


def parse_within(text: str) -> timedelta:
    """`2h`, `1d`, `30m`, `1w` (or `2小时`, `1天`, `30分钟`, `1周`), or a bare 0, as a length of time; anything else,
    or one longer than MOST_DAYS days, is a usage error (BadOption)."""
    if _ZERO.match(halfwidth(text)):
        return timedelta(0)
    match = _WITHIN.match(halfwidth(text).casefold())
    if not match:
        raise BadOption(f"{echoed(text)} 不是时长；应写作 30m、2h、1d、1w，2 hours、1 day，或 30分钟、2小时、1天、1周")
    refuse_capital_m(text)
    span = length(match["amount"], match["unit"])
    if span is None:
        raise BadOption(f"时长 {echoed(text)} 太长：最多 {MOST_DAYS} 天（{MOST_DAYS}d）")
    return span


def within_said(text: str) -> str:
    """A horizon `parse_within` takes, as a sentence says it: `1d` → `1 天内到期`, `2小时` → `2 小时内到期`, and a
    zero of any unit (`0`, `0h`) → `已到期`, not `0 分钟内到期`."""
    match = _WITHIN.match(halfwidth(text).casefold())
    if _ZERO.match(halfwidth(text)) or int(match["amount"]) == 0:
        return "已到期"
    return f"{int(match['amount'])} {LENGTH_UNITS[unit_letter(match['unit'])]}内到期"


@dataclass
class Due:
    """One piece of work that is due: on which case, why, and by when (None: now)."""

    case_id: int
    reason: str
    due: datetime | None
    summary: str
    assignee: str | None
    community: str | None
    entry_id: int | None = None
    detail: str = ""

    def minutes_left(self, now: datetime) -> int:
        """Whole minutes to the deadline as it is shown (clock.bound_as_shown), negative once past it."""
        return 0 if self.due is None else int((bound_as_shown(self.due) - now).total_seconds() // 60)


def todo(office: Office, *, within: timedelta, assignee: str | None = None) -> list[Due]:
    """Everything due before now + `within` (for `assignee` if given), most urgent first."""
    now = office.now
    horizon = now + within
    assignee = text_or_none(assignee)
    c = CASES.c
    mine = [c.assignee == assignee] if assignee else []
    shown = (c.id, c.summary, c.assignee, c.community)
    found: list[Due] = []
    with office.store.connect() as conn:
        responding = sa.select(*shown, c.respond_by).where(is_open(), c.responded_at.is_(None), c.respond_by <= horizon, *mine)
        found += [Due(r.id, "respond", r.respond_by, r.summary, r.assignee, r.community) for r in conn.execute(responding)]
        working = [Status.NEW.value, Status.ASSIGNED.value]
        resolving = sa.select(*shown, c.resolve_by).where(c.status.in_(working), c.resolve_by <= horizon, *mine)
        found += [Due(r.id, "resolve", r.resolve_by, r.summary, r.assignee, r.community) for r in conn.execute(resolving)]
        found += _revisits(office, conn, horizon, shown, mine)
        entries = LedgerEntry.__table__
        unit = [sa.or_(c.assignee == assignee, entries.c.unit == assignee)] if assignee else []
        ledgered = (
            sa.select(*shown, entries.c.id.label("entry_id"), entries.c.due, entries.c.unit)
            .join(entries, entries.c.case_id == c.id)
            .where(entries.c.status == LedgerStatus.OPEN.value, entries.c.due <= horizon, *unit)
        )
        found += [
            Due(r.id, "ledger", r.due, r.summary, r.unit, r.community, r.entry_id, f"台账 {r.entry_id}") for r in conn.execute(ledgered)
        ]
        flags = escalation_flags(office.rules, now, reasons=("reopened", "repeat"))  # an overdue case is listed by its deadline
        # a 挂账整改 case's escalation is its entry's 责任单位's to see to, as its 台账整改 row is
        escalating = sa.select(*shown, holder().label("holder"), *(f.label(name) for name, f in flags.items())).where(
            is_due_escalation(office.rules, now, flags=flags), *([assigned_to(assignee)] if assignee else [])
        )
        for r in conn.execute(escalating):
            reasons = [name for name in flags if r._mapping[name]]
            found.append(Due(r.id, "escalate", None, r.summary, r.holder, r.community, detail=reason_labels(reasons)))
    order = list(REASONS)
    return sorted(found, key=lambda d: (d.due or now, d.case_id, order.index(d.reason)))


def _revisits(office: Office, conn, horizon: datetime, shown, mine) -> list[Due]:
    """Closed cases not yet revisited whose revisit falls due before `horizon`.

    A later close never has an earlier revisit, so SQL cuts at the last close due in time (exactly,
    for the usual spans), and the rows, taken in closing order, share one deadline a day."""
    rules, calendar = office.rules, office.calendar
    span = rules["revisit.due"]
    c = CASES.c
    last = latest_start(horizon, span, calendar, rules)
    query = (
        sa.select(*shown, c.closed_at)
        .where(c.status == Status.CLOSED.value, c.closed_at.is_not(None), c.closed_at <= last, *mine)
        .order_by(c.closed_at)  # as one worker's are in their index (m018)
    )
    due = []
    until = None  # the last close that shares `revisit_by`
    alike = spans_alike(span, calendar, rules, timezone.utc)  # the zone of every time read from the book
    for case_id, summary, assignee, community, closed_at in conn.execute(query).all():
        if until is None or closed_at > until:
            revisit_by, until = alike(closed_at)
            if revisit_by > horizon:
                break
        due.append(Due(case_id, "revisit", revisit_by, summary, assignee, community))
    return due
