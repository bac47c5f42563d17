"""Cases as they stood at a past moment: the view that lists and reports as of a time read.

Every step's event holds {field: [old, new]} of the case fields it changed. A case
that no change dated after T touched stands at T as it stands now; the few that
were touched are wound back in Python — each later change undone, newest first —
and come into SQL as the rows of one JSON parameter. Every count stays an SQL
aggregate over the result, so "as of T" never changes when later work is logged.

The first response alone may be set out of time order (steps.UNORDERED): a contact at 09:30 logged
after one at 10:00 moved it earlier. A later change of it is wound back only while the field still holds
what that change set, so the view at 09:45 keeps the 09:30 response the 10:00 contact's event cannot undo.

A correction (`edit`, or the undo of one) is later work like any other: a field it
changed after T reads at T as it was typed then, and so do the normalised copies that
searches and hotspots compare (folded again from it). So does a ledger entry's 整改期限 or
责任单位 that a `ledger edit` after T changed (`CasesAt.dues`, `CasesAt.units`).

Save a correction of the receipt time: that corrects when the case came in, as a case filed
late states it (its filing is dated at its receipt), and it stands in every view with the
deadlines and first response it recomputed (RECEIPT_KEPT); the rest of that correction is wound
back. Each case is then counted in the span its receipt falls in, once: a receipt corrected into
an earlier month counts there, as a late `new` does, and no longer in the month it was filed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import Connection

from jiesu.backend import json_rows, selective
from jiesu.models import ENTRY_EDITABLE, Event, LedgerEntry, UTCDateTime
from jiesu.queries import CASES
from jiesu.steps import UNORDERED
from jiesu.textsearch import FOLDED_FROM, derived
from jiesu.vocab import PERSONAL_FIELDS, PURGED_VALUE, EventKind, open_status

# The case fields a step can change (steps.change), and the version each change bumps: always
# wound back. A field only a correction changes (edits.EDITABLE) is wound back when a later one did.
REPLAYED = ("status", "assignee", "level", "tier", "nature", "track", "respond_by", "resolve_by",
            "responded_at", "closed_at", "result", "reopen_count", "merged_into", "version")
EVENTS = Event.__table__
# What a correction of the receipt time set: never wound back (see above).
RECEIPT_KEPT = frozenset({"received_at", "tier", "respond_by", "resolve_by", "responded_at"})


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
        self.wound_back = _wound_back(conn, as_of, received, [c.name for c in self.columns])
        self._conn, self._as_of = conn, as_of

    @cached_property
    def dues(self):
        """The ledger's 整改期限 a later `ledger edit` changed, as they stood then (ledger_values_at)."""
        return ledger_values_at(self._conn, self._as_of, "due")

    @cached_property
    def units(self):
        """The ledger's 责任单位 a later `ledger edit` changed, as they stood then (ledger_values_at)."""
        return ledger_values_at(self._conn, self._as_of, "unit")

    def __call__(self, where: Callable = lambda table: []):
        if self.wound_back is None:
            return sa.select(*self.columns).where(*where(CASES)).subquery("cases_at")
        wound = self.wound_back
        then = sa.select(*(wound.c[c.name] if c.name in wound.c and c.name != "id" else c for c in self.columns)).join(
            wound, wound.c.id == CASES.c.id
        ).subquery("then")
        return sa.union_all(
            sa.select(then).where(*where(then)),
            sa.select(*self.columns).where(CASES.c.id.not_in(sa.select(wound.c.id)), *where(CASES)),
        ).subquery("cases_at")


def ledger_values_at(conn: Connection, as_of: datetime, name: str):
    """The entry field `name` (due, unit) a `ledger edit` (or the undo of one) dated after `as_of` changed, as
    they stood at `as_of`: (case_id, name) rows read from one JSON parameter, None when no such step came later."""
    was = {case_id: fields[name] for case_id, fields in entry_fields_at(conn, as_of, (name,)).items()}
    if not was:
        return None
    columns = [LedgerEntry.__table__.c.case_id, LedgerEntry.__table__.c[name]]
    return json_rows(conn, columns, [{"case_id": case_id, name: value} for case_id, value in was.items()], f"{name}s_at")


def entry_fields_at(conn: Connection, as_of: datetime, fields: tuple[str, ...] = ENTRY_EDITABLE) -> dict[int, dict]:
    """The ledger entry `fields` a `ledger edit` (or the undo of one) dated after `as_of` changed, as they
    stood at `as_of`: {case_id: {field: value then}} (a case has one entry). The value then is the old one of
    the first such change after `as_of` (a due None: it had none then)."""
    query = (
        sa.select(EVENTS.c.case_id, EVENTS.c.changes)
        .where(
            selective(EVENTS.c.kind.in_([EventKind.EDITED.value, EventKind.UNDONE.value])), EVENTS.c.at > as_of,  # by kind, then time
            # a ledger edit's: the case corrections after `as_of` (no field of theirs is an entry's) are not parsed
            sa.or_(*(EVENTS.c.changes.contains(f'"{name}"') for name in fields)),
        )
        .order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc())
    )
    was: dict[int, dict] = {}
    for case_id, changes in conn.execute(query):
        changed = json.loads(changes or "{}")
        for name in fields:  # newest first: the earliest change after `as_of` is the one left
            if name in changed:
                old = changed[name][0]
                was.setdefault(case_id, {})[name] = datetime.fromisoformat(old) if name == "due" and old else old
    return was


def _wound_back(conn: Connection, as_of: datetime, received: tuple[datetime, datetime] | None, carried: list[str]):
    """The `carried` fields of each case changed after `as_of`, as they were at `as_of`; None when none was."""
    # An import states a case as the row had it, on the row's own times: its event, dated when the
    # file was read, counts as of the case's closing (else its receipt), not as of the reading. When
    # a step after `as_of` changed closed_at (a reopen), the row's closing is known only once that
    # step is wound back: such an import is decided below.
    stated, restep = CASES.alias("stated"), EVENTS.alias("restep")
    as_stated = sa.or_(
        EVENTS.c.kind != EventKind.IMPORTED.value,
        sa.exists()
        .where(stated.c.id == EVENTS.c.case_id, sa.func.coalesce(stated.c.closed_at, stated.c.received_at) > as_of)
        .correlate_except(stated),
        sa.exists()
        .where(restep.c.case_id == EVENTS.c.case_id, restep.c.at > as_of, restep.c.changes.contains('"closed_at"'))
        .correlate_except(restep),
    )
    changed_later = [EVENTS.c.at > as_of, EVENTS.c.changes != "{}", as_stated]
    if received is not None:  # a case's receipt at `as_of` is its receipt now (RECEIPT_KEPT)
        cohort = sa.select(CASES.c.id).where(CASES.c.received_at >= received[0], CASES.c.received_at < received[1])
        changed_later.append(EVENTS.c.case_id.in_(cohort))
    # Read by the events' time index alone (or, for a cohort, through its cases); cases received after `as_of` are dropped below.
    later = [(row.id, row.case_id, json.loads(row.changes), row.kind) for row in conn.execute(
        sa.select(EVENTS.c.id, EVENTS.c.case_id, EVENTS.c.changes, EVENTS.c.kind).where(*changed_later)
    )]
    if not later:
        return None
    touched = sa.select(EVENTS.c.case_id).where(*changed_later)
    replayed = [name for name in REPLAYED if name in carried]
    changed = {name for _, _, changes, _ in later for name in changes}
    # A normalised copy (search_text, address_key, category_key) is no field a step records: it is
    # folded again from its typed fields as they stood, when a later correction changed one of them.
    refolded = [name for name, sources in FOLDED_FROM.items() if name in carried and changed & set(sources)]
    sources = {source for name in refolded for source in FOLDED_FROM[name]}
    corrected = sorted((changed - set(REPLAYED)) & set(carried) | sources)
    columns = [CASES.c.id, *(CASES.c[name] for name in (*replayed, *corrected, *refolded))]
    # closed_at is wound back even when not asked for: it says whether an import's closing stood at
    # `as_of`; so is the assignee when the status is asked for: it says which open status such an import had.
    needed = ("closed_at", "assignee") if "status" in replayed else ("closed_at",)
    unasked = [name for name in needed if name not in replayed]
    read = [*columns, *(CASES.c[name] for name in unasked)]
    states = {
        row.id: dict(row._mapping)
        for row in conn.execute(
            sa.select(*read).where(CASES.c.id.in_(touched), CASES.c.received_at <= as_of)
        )
    }
    if not states:
        return None
    retyped = set()
    for _, case_id, changes, kind in sorted(later, key=lambda event: event[0], reverse=True):  # newest first
        state = states.get(case_id)
        if state is None or (kind == EventKind.IMPORTED.value and not _closed_after(state["closed_at"], as_of)):
            # An import stands when its row's closing was by `as_of` — or a reopen by then took it back.
            continue
        if "version" in state:
            state["version"] -= 1
        kept = RECEIPT_KEPT if "received_at" in changes else frozenset()
        for name, (old, new) in changes.items():
            if name in state and name not in kept and (name not in UNORDERED or state[name] == _value(name, new)):
                state[name] = _value(name, old)
        if kind == EventKind.IMPORTED.value:
            # Imported closed, still open at `as_of`: not yet closed then, and with the assignee its row
            # names. The row has no time of assignment; its event records the status from 待派单, where
            # every history starts (`jiesu check` replays it so), but the case was with them all along.
            state |= {name: None for name in ("closed_at", "result") if name in state}
            if "status" in state:
                state["status"] = open_status(state["assignee"]).value
        if sources & changes.keys():
            retyped.add(case_id)
    for case_id in retyped:
        state = states[case_id]
        state |= {name: value for name, value in derived(state).items() if name in refolded}
    for state in states.values():
        for name in unasked:
            del state[name]
    return json_rows(conn, columns, list(states.values()), "wound_back")


def _closed_after(closed_at: datetime | None, as_of: datetime) -> bool:
    return closed_at is not None and closed_at > as_of


def _value(name: str, old):
    """A value as the history holds it (times as UTC ISO text) back to a column's value; a personal
    value purge removed is not known."""
    if old == PURGED_VALUE and name in PERSONAL_FIELDS:
        return None
    if old is not None and isinstance(CASES.c[name].type, UTCDateTime):
        return datetime.fromisoformat(old).astimezone(timezone.utc)
    return old

