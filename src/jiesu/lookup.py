"""Finding and reading cases for people to look at: `jiesu list` and `jiesu show`.

Reads go through Core and come back as read-only rows whose attributes are named
like the models': showing needs no identity map, and in a fresh process a Core
select costs about a third of the instructions of the same ORM select. Kept apart
from `cases.py`, the life of a case, so a look-up does not load the code that changes one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Row

from jiesu.asof import CasesAt
from jiesu.fields import text_or_none
from jiesu.models import LISTED_ENTRY_FIELDS, Event, LedgerEntry, Revisit
from jiesu.office import Office
from jiesu.phones import GROUP_SEPARATORS, LONGEST_IN_TEXT, as_dialled, as_number
from jiesu.queries import (
    CASES, assigned_to, entry_value, escalation_flags, is_due_escalation, is_open, is_overdue, ledger_entry_value, repeat_window,
)
from jiesu.steps import missing
from jiesu.textsearch import fold
from jiesu.vocab import Level, Nature, Status


@dataclass
class CaseFile:
    """A case with everything that has happened to it, as read-only rows named like the models, and the
    结转次数 of each of its ledger entries by id (ledger.carried_at, as `ledger list` counts it)."""

    case: Row
    events: list[Row]
    revisits: list[Row]
    ledger: list[Row]
    carried: dict[int, int]


def get_case(office: Office, case_id: int) -> CaseFile:
    with office.store.connect() as conn:
        case = conn.execute(sa.select(CASES).where(CASES.c.id == case_id)).first()
        if case is None:
            raise missing(case_id)
        events, revisits, entries = (conn.execute(_history_of(model, case_id)).all() for model in (Event, Revisit, LedgerEntry))
        carried = _carried(conn, office, entries) if entries else {}
    return CaseFile(case, events, revisits, entries, carried)


def _carried(conn, office: Office, entries: list[Row]) -> dict[int, int]:
    """结转次数 of a case's entries; the ledger's code is loaded only for a case that has been on it."""
    from jiesu.ledger import carried_at

    return carried_at(conn, [entry.id for entry in entries], office.now, office)


def _history_of(model, case_id: int):
    table = model.__table__
    return sa.select(table).where(table.c.case_id == case_id).order_by(table.c.id)


@dataclass
class CaseFilter:
    """The filters of `jiesu list`; all given ones must hold."""

    include_closed: bool = False
    statuses: list[Status] = field(default_factory=list)
    nature: Nature | None = None
    track: str | None = None
    level: Level | None = None
    assignee: str | None = None
    community: str | None = None
    category: str | None = None
    search: str | None = None
    overdue: bool = False
    due_escalation: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None


@dataclass
class Listed:
    case: Row
    reasons: list[str] = field(default_factory=list)


# A listing for people reads this much of a summary (more, to know it was cut, and to mask a phone
# number across the cut whole before cutting it) and no detail at all: a table row costs the same
# whether the citizen wrote a line or a book.
BRIEF_SUMMARY = 240
BRIEF_FIELDS = tuple(c.name for c in CASES.c if c.name not in ("summary", "detail", "search_text")) + ("summary",)


def _brief_columns(cases):
    kept = [c for c in cases.c if c.name in BRIEF_FIELDS and c.name != "summary"]
    return [*kept, sa.func.substr(cases.c.summary, 1, BRIEF_SUMMARY + LONGEST_IN_TEXT).label("summary")]


def brief_summary(summary: str) -> str:
    """A summary as a listing shows it: cut with an ellipsis past BRIEF_SUMMARY characters."""
    return summary if len(summary) <= BRIEF_SUMMARY else summary[:BRIEF_SUMMARY] + "…"


def list_cases(office: Office, wanted: CaseFilter, as_of: datetime | None = None, *, brief: bool = False) -> Iterator[Listed]:
    """The cases that pass every filter, oldest first, streamed; as they stood at `as_of` when given.

    `brief` leaves out the long text a table cannot show.
    """
    office.refuse_future(as_of)
    with office.store.connect() as conn:
        dues = None
        if as_of:
            then = CasesAt(conn, as_of)
            cases = then(lambda table: [table.c.received_at <= as_of, _by_status(wanted, table)])
            others = then(repeat_window(office.rules, as_of))
            dues = then.dues
        else:
            cases = others = CASES
        as_of = as_of or office.now
        flags = escalation_flags(office.rules, as_of, cases, others, dues=dues) if wanted.due_escalation else {}
        query = _filtered(office, wanted, as_of, cases, others, brief, dues)
        query = query.add_columns(*(condition.label(name) for name, condition in flags.items()))
        for row in conn.execution_options(yield_per=500).execute(query):
            yield Listed(row, [name for name in flags if row._mapping[name]])


# The characters between a number's digit groups as search_text holds them: NFKC as fold applies it (its
# dictionaries, which only change Chinese characters, are not loaded for this).
_FOLDED_SEPARATORS = sorted({unicodedata.normalize("NFKC", ch) for ch in GROUP_SEPARATORS})


def _searched(cases, term: str):
    """`--search`: the term, folded, anywhere in the searched text. A term that is a phone number also finds it
    however it was written: in the phone field (stored as digits), and in the text with the separators
    between its digit groups left out (`186-0000-3333` finds 18600003333, and the other way round). Only
    text holding the number's last four digits, unbroken in every form, is stripped and compared."""
    column = cases.c
    found = column.search_text.contains(fold(term), autoescape=True)
    number = as_number(term)
    if number is None:
        dialled = as_dialled(term)
        if dialled is None:
            return found
        phone, extension = dialled
        return found | ((column.phone == phone) & (column.phone_ext == extension if extension else sa.true()))
    digits = reduce(lambda text, separator: sa.func.replace(text, separator, ""), _FOLDED_SEPARATORS, column.search_text)
    # A landline after a country code leaves its trunk 0 out: +86 10 6512 3456
    spellings = [number, "86" + number[1:]] if number.startswith("0") else [number]
    in_text = column.search_text.contains(number[-4:]) & sa.or_(*(digits.contains(spelling) for spelling in spellings))
    return found | (column.phone == number) | in_text


def _by_status(wanted: CaseFilter, cases):
    if wanted.statuses:
        return cases.c.status.in_([s.value for s in wanted.statuses])
    return sa.true() if wanted.include_closed else is_open(cases)


def _entry_columns(cases, dues=None):
    """The ledger entry of each 挂账整改 case among `cases` (its number, 整改期限 — as it stood, given `dues` — and
    责任单位), NULL for a case in any other status: the deadline `is_overdue` judges such a case by."""
    entries = LedgerEntry.__table__
    values = (entries.c.id, entry_value("due", dues), entries.c.unit)
    return [ledger_entry_value(value, cases).label(name) for value, name in zip(values, LISTED_ENTRY_FIELDS)]


def _filtered(office: Office, wanted: CaseFilter, as_of: datetime, cases, others, brief: bool, dues=None):
    column = cases.c
    shown = [*(_brief_columns(cases) if brief else [cases]), *_entry_columns(cases, dues)]
    query = sa.select(*shown).order_by(column.id).where(_by_status(wanted, cases))
    if wanted.nature:
        query = query.where(column.nature == wanted.nature.value)
    if wanted.track:
        query = query.where(column.track == wanted.track)
    if wanted.level:
        query = query.where(column.level == wanted.level.value)
    if assignee := text_or_none(wanted.assignee):
        query = query.where(assigned_to(assignee, cases))
    if community := text_or_none(wanted.community):
        query = query.where(column.community == community)
    if wanted.category and (category := fold(wanted.category.strip().strip("/"))):  # as category_key holds it: 物業管理 is 物业管理
        query = query.where((column.category_key == category) | column.category_key.startswith(category + "/", autoescape=True))
    if wanted.search:
        query = query.where(_searched(cases, wanted.search))
    if wanted.overdue:
        query = query.where(is_overdue(as_of, cases, dues))
    if wanted.due_escalation:
        query = query.where(is_due_escalation(office.rules, as_of, cases, others, dues=dues))
    if wanted.since:
        query = query.where(column.received_at >= wanted.since)
    if wanted.until:
        query = query.where(column.received_at <= wanted.until)
    if wanted.limit:
        query = query.limit(wanted.limit)
    return query
