"""Cases as they stood at a past moment: the view that lists and reports as of a time read.

Every step's event holds {field: [old, new]} of the case fields it changed. A case
that no change dated after T touched stands at T as it stands now; the few that
were touched are wound back in Python — each later change undone, newest first —
and come into SQL as the rows of one JSON parameter. Every count stays an SQL
aggregate over the result, so "as of T" never changes when later work is logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import Connection

from jiesu.backend import json_rows
from jiesu.models import Event, UTCDateTime
from jiesu.queries import CASES

# The case fields a step can change (steps.change), and the version each change bumps;
# the others are fixed at filing.
REPLAYED = ("status", "assignee", "level", "tier", "nature", "track", "respond_by", "resolve_by",
            "responded_at", "closed_at", "result", "reopen_count", "merged_into", "version")
EVENTS = Event.__table__


class CasesAt:
    """The cases as they stood at `as_of`, chosen by conditions built on whichever table is given.

    Called with a function of a table giving conditions, it returns a subquery of the
    cases meeting them: the conditions go into each branch, so that the cases table's
    indexes serve them (a view over all cases would have to be read whole).
    """

    def __init__(
        self, conn: Connection, as_of: datetime, received: tuple[datetime, datetime] | None = None, columns: tuple[str, ...] | None = None
    ) -> None:
        """`received`, when given, promises that only cases received in [start, end) will be asked
        for: only their history is wound back (a month a year ago need not replay the whole year).
        `columns`, when given, are the only ones the subqueries carry: a report reads a dozen of
        the thirty-one, and each one carried is built, compiled and keyed in every statement."""
        self.columns = [CASES.c[name] for name in columns] if columns else list(CASES.columns)
        replayed = [name for name in REPLAYED if name in {c.name for c in self.columns}]
        self.wound_back = _wound_back(conn, as_of, received, replayed)

    def __call__(self, where: Callable = lambda table: []):
        if self.wound_back is None:
            return sa.select(*self.columns).where(*where(CASES)).subquery("cases_at")
        wound = self.wound_back
        then = sa.select(*(wound.c[c.name] if c.name in REPLAYED else c for c in self.columns)).join(
            wound, wound.c.id == CASES.c.id
        ).subquery("then")
        return sa.union_all(
            sa.select(then).where(*where(then)),
            sa.select(*self.columns).where(CASES.c.id.not_in(sa.select(wound.c.id)), *where(CASES)),
        ).subquery("cases_at")


def _wound_back(conn: Connection, as_of: datetime, received: tuple[datetime, datetime] | None, replayed: list[str]):
    """The `replayed` fields of each case changed after `as_of`, as they were at `as_of`; None when none was."""
    changed_later = [EVENTS.c.at > as_of, EVENTS.c.changes != "{}"]
    if received is not None:
        cohort = sa.select(CASES.c.id).where(CASES.c.received_at >= received[0], CASES.c.received_at < received[1])
        changed_later.append(EVENTS.c.case_id.in_(cohort))
    # Read by the events' time index alone (or, for a cohort, through its cases); cases received after `as_of` are dropped below.
    later = conn.execute(sa.select(EVENTS.c.id, EVENTS.c.case_id, EVENTS.c.changes).where(*changed_later)).all()
    if not later:
        return None
    touched = sa.select(EVENTS.c.case_id).where(*changed_later)
    columns = [CASES.c.id, *(CASES.c[name] for name in replayed)]
    states = {
        row.id: dict(row._mapping)
        for row in conn.execute(sa.select(*columns).where(CASES.c.id.in_(touched), CASES.c.received_at <= as_of))
    }
    if not states:
        return None
    for _, case_id, changes in sorted(map(tuple, later), reverse=True):  # newest first
        state = states.get(case_id)
        if state is None:
            continue
        if "version" in state:
            state["version"] -= 1
        for name, (old, _new) in json.loads(changes).items():
            if name in state:
                state[name] = _value(name, old)
    return json_rows(conn, columns, list(states.values()), "wound_back")


def _value(name: str, old):
    """A value as the history holds it (times as UTC ISO text) back to a column's value."""
    if old is not None and isinstance(CASES.c[name].type, UTCDateTime):
        return datetime.fromisoformat(old).astimezone(timezone.utc)
    return old

