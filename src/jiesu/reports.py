"""Reports: the nightly and monthly report, the 三率 and 未诉先办 hotspots.

Every count is an SQL aggregate; Python only shapes the handful of rows the
database returns. Reports return plain JSON-ready data; the CLI renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import String, and_, case, cast, exists, func, null, or_, type_coerce, union_all
from sqlmodel import Session, select

from jiesu.asof import CasesAt
from jiesu.clock import day_span
from jiesu.errors import BadInput
from jiesu.models import Event, LedgerEntry, Revisit, UTCDateTime
from jiesu.office import Office
from jiesu.phones import shown_field
from jiesu.queries import entry_value, escalation_flags, holder, is_due_escalation, is_open, is_overdue, ledger_open_at, repeat_window
from jiesu.render import iso, null_if_empty
from jiesu.rules import RateCounts, rates
from jiesu.undone import not_undone
from jiesu.vocab import EventKind, Nature, Satisfaction, Status

TREND_DAYS = 14
TOP_HOTSPOTS = 5
# The case columns the reports' statements read from the cases as they stood (CasesAt).
COUNTED = ("id", "received_at", "category", "category_key", "community", "assignee", "phone", "status", "nature",
           "level", "respond_by", "resolve_by", "responded_at", "closed_at", "reopen_count")
CLOSING_KINDS = [EventKind.CLOSED.value, EventKind.CLEARED.value]
CLOSED_STATES = (Status.CLOSED.value, Status.REVISITED.value)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# ---------------------------------------------------------------- 三率


def _received_in(cases, received: tuple[datetime, datetime]) -> list:
    start, end = received
    return [cases.c.received_at >= start, cases.c.received_at < end]


def rate_counts(
    session: Session, office: Office, then: CasesAt, as_of: datetime, received: tuple[datetime, datetime], group: str | None = None
) -> dict[Any, RateCounts]:
    """RateCounts of the non-merged cases received in the span as they stood `then`, per value of column `group` (or None)."""
    cases = held(then, then(lambda table: _received_in(table, received)), as_of)
    c = cases.c
    # Each case's latest revisit made by `as_of`, found through the (case_id, at) index case by case.
    latest = Revisit.__table__.alias("latest")
    latest_id = select(func.max(Revisit.id)).where(Revisit.case_id == c.id, Revisit.at <= as_of).scalar_subquery()
    counts_nature = True if office.rules["rates.include_unreasonable"] else c.nature != Nature.UNREASONABLE.value
    revisited = and_(counts_nature, latest.c.case_id.is_not(None))
    columns = [
        _count(and_(c.responded_at.is_not(None), c.responded_at <= c.respond_by, c.responded_at <= as_of)),
        _count(or_(c.respond_by <= as_of, and_(c.responded_at.is_not(None), c.responded_at <= as_of))),
        _count(revisited),
        _count(and_(revisited, latest.c.resolved.is_(True))),
        _count(and_(revisited, latest.c.satisfaction == Satisfaction.SATISFIED.value)),
        _count(and_(revisited, latest.c.satisfaction == Satisfaction.BASIC.value)),
    ]
    key = c[group] if group is not None else null()
    query = (
        select(key, *columns)
        .select_from(cases)
        .outerjoin(latest, latest.c.id == latest_id)
        .where(c.status != Status.MERGED.value)
    )
    if group is not None:
        query = query.group_by(key)
    return {row[0]: RateCounts(*(int(v) for v in row[1:])) for row in session.exec(query)}


def held(then: CasesAt, cases, as_of: datetime):
    """`cases` (as they stood `then`) with their assignee read as whom each was with at `as_of` (queries.holder):
    a report counts a 挂账整改 case under its 责任单位, as `list --assignee` and `todo` find it."""
    return select(*(holder(cases, then.units, as_of).label(c.name) if c.name == "assignee" else c for c in cases.c)).subquery("held")


def rates_of(counts: RateCounts, office: Office) -> dict[str, float | None]:
    """The 三率 and 综合得分 of the counts, to four places."""
    return {name: None if value is None else round(value, 4) for name, value in rates(counts, office.rules).items()}


# ---------------------------------------------------------------- hotspots


# The case columns hotspots read from the cases as they stood (CasesAt).
SPOTTED = ("id", "received_at", "community", "category", "category_key", "address", "address_key", "phone")


def hotspots(
    office: Office, *, as_of: datetime | None = None, days: int | None = None, min_cases: int | None = None, with_seasonal: bool = True
) -> list[dict]:
    """未诉先办 candidates: clusters, repeated addresses and callers, and (unless not wanted) seasonal returns, biggest first.

    They are counted over the cases as they stood at `as_of`: a correction made since moves no case
    into or out of a group.
    """
    office.refuse_future(as_of)
    as_of = as_of or office.now
    days = days or office.rules["hotspots.days"]
    min_cases = min_cases or office.rules["hotspots.min_cases"]
    since = as_of - timedelta(days=days)
    groupings = [
        ("cluster", ("community", "category_key"), lambda t: [t.c.community.is_not(None), t.c.category_key != ""], min_cases),
        ("address", ("address_key",), lambda t: [t.c.address_key.is_not(None)], office.rules["hotspots.address_min"]),
        ("caller", ("phone",), lambda t: [t.c.phone.is_not(None)], office.rules["hotspots.caller_min"]),
    ]
    found: list[dict] = []
    with office.store.read() as session:
        # Only the window's cases are asked for, so only their history is wound back.
        then = CasesAt(session.connection(), as_of, received=(since, as_of + timedelta(microseconds=1)), columns=SPOTTED)
        for kind, keys, present, threshold in groupings:
            # Merged duplicates still count here: thirty calls about one blocked gate are thirty calls.
            cases = then(lambda t: [t.c.received_at > since, t.c.received_at <= as_of, *present(t)])
            found += _grouped(session, office, kind, cases, keys, threshold)
        if with_seasonal:
            found += _seasonal(session, office, as_of, as_of)
    return sorted(found, key=lambda h: (-h["count"], h["kind"], h["case_ids"][0]))


SHOWN = ("community", "category", "address")


def _grouped(
    session: Session, office: Office, kind: str, cases, keys: tuple[str, ...], threshold: int, shown: tuple[str, ...] = SHOWN
) -> list[dict]:
    """One aggregate query over `cases`: every group of columns `keys` with at least `threshold` cases, with its case ids.

    Of the `shown` columns, a group shows those all its cases share, and always the
    spelling it was grouped by (cases may write one address or category differently).
    """
    c = cases.c
    count = func.count(c.id)
    spread = [agg(c[name]) for name in shown for agg in (func.min, func.max)]
    query = (
        select(
            count,
            type_coerce(func.min(c.received_at), UTCDateTime),
            type_coerce(func.max(c.received_at), UTCDateTime),
            func.aggregate_strings(cast(c.id, String), ","),
            *spread,
        )
        .group_by(*(c[name] for name in keys))
        .having(count >= threshold)
    )
    spots = []
    for total, first, last, ids, *bounds in session.exec(query):
        shared = {name: low for name, low, high in zip(shown, bounds[::2], bounds[1::2]) if low == high}
        spelt = dict(zip(shown, bounds[::2]))
        grouped_by = {"cluster": "category", "address": "address"}.get(kind)
        if grouped_by:
            shared[grouped_by] = spelt[grouped_by]
        spots.append({
            "kind": kind,
            "community": shown_field("community", shared.get("community")),  # hotspots have no --reveal
            "category": shown_field("category", null_if_empty("category", shared.get("category"))),
            "address": shown_field("address", shared.get("address")) if kind == "address" else None,
            "count": total,
            "case_ids": sorted(map(int, ids.split(","))),
            "first_at": iso(first, office.tz),
            "last_at": iso(last, office.tz),
        })
    return spots


SEASONED = ("id", "received_at", "category")


def _seasonal(session: Session, office: Office, as_of: datetime, ahead: datetime) -> list[dict]:
    """Categories that came back in the 30 days from `ahead` of every earlier year the book covers, by the cases as they stood at `as_of`."""
    threshold = office.rules["hotspots.seasonal_min"]
    windows = []
    for years_back in range(1, office.rules["hotspots.seasonal_years"] + 1):
        start = ahead - relativedelta(years=years_back)
        windows.append((start, start + timedelta(days=30)))
    # Each year's cases as they stood, winding back only that window's history; the receipt time
    # and category alone, so that the queries read the (received_at, category) index alone.
    years = [(CasesAt(session.connection(), as_of, received=window, columns=SEASONED), window) for window in windows]

    def received_in(then: CasesAt, window: tuple[datetime, datetime], *more):
        return then(lambda t: [t.c.received_at >= window[0], t.c.received_at < window[1], *(condition(t) for condition in more)])

    holds = session.connection().execute(select(*(exists(received_in(then, window).select()) for then, window in years))).one()
    covered = [year for year, held in zip(years, holds) if held]
    if not covered:
        return []
    per_year = []
    for then, window in covered:
        cases = received_in(then, window, lambda t: t.c.category != "")
        query = select(cases.c.category, func.count(cases.c.id)).group_by(cases.c.category).having(func.count(cases.c.id) >= threshold)
        per_year.append({category for category, _ in session.exec(query).all()})
    returning = set.intersection(*per_year)
    if not returning:
        return []
    returned = union_all(*(received_in(then, window, lambda t: t.c.category.in_(returning)).select() for then, window in covered))
    return _grouped(session, office, "seasonal", returned.subquery("returned"), ("category",), 1, ("category",))


# ---------------------------------------------------------------- the reports


@dataclass
class Trend:
    day: date
    received: int
    closed: int


@dataclass
class DailyReport:
    document: dict[str, Any]
    trend: list[Trend]


def daily(office: Office, day: date | None = None) -> DailyReport:
    """The nightly report for `day` (default today), as of its end, or now when it is today."""
    tz = office.tz
    today = office.now.astimezone(tz).date()
    # Unless told, today — but at a day's very first instant (00:00:00) the day that has just
    # ended, as the monthly report does at a month's: a job started at midnight reports the finished day.
    day = day or (office.now - timedelta(microseconds=1)).astimezone(tz).date()
    if day > today:
        raise BadInput(f"{day} 还没有到，不能出日报")
    start, end = day_span(day, tz)
    as_of = min(end, office.now)
    upto = window_end(as_of, end)
    standing = last_instant(upto)
    month_start = start.replace(day=1)
    with office.store.read() as session:
        then = CasesAt(session.connection(), standing, columns=COUNTED)
        document = {"date": day.isoformat(), "as_of": iso(as_of, tz)}
        document |= _activity(session, then, start, upto)
        document |= _standing(session, office, then, standing, received_in=(start, upto))
        document["rates"] = rates_between(session, office, then, month_start, standing, upto)
        document["ledger"] = _ledger_standing(session, standing, then.dues)
        trend = _trend(session, then, day, office, upto)
    document["hotspots"] = hotspots(office, as_of=standing)[:TOP_HOTSPOTS]
    return DailyReport(document, trend)


def monthly(office: Office, period: str | None = None) -> dict[str, Any]:
    """The monthly 考评 view: the month's activity, 三率 overall and per community and assignee, ledger balance."""
    from jiesu import ledger  # only the monthly report needs periods and stored balances

    tz = office.tz
    # Unless told, the month now falls in — but at a month's very first instant (the 1st, 00:00:00)
    # the month that has just ended, not one yet without a second.
    period = ledger.begun_period(office, period, "不能出月报") if period is not None else ledger.period_of(office.now - timedelta(microseconds=1), office)
    year, month = map(int, period.split("-"))
    start = datetime(year, month, 1, tzinfo=tz)
    end = start + relativedelta(months=1)
    as_of = min(end, office.now)
    upto = window_end(as_of, end)
    standing = last_instant(upto)
    with office.store.read() as session:
        then = CasesAt(session.connection(), standing, columns=COUNTED)
        document = {"period": period, "as_of": iso(as_of, tz)}
        document |= _activity(session, then, start, upto)
        document |= _standing(session, office, then, standing, received_in=(start, upto))
        document["rates"] = rates_between(session, office, then, start, standing, upto)
        for name, column in (("rates_by_community", "community"), ("rates_by_assignee", "assignee")):
            document[name] = rates_by(session, office, then, start, standing, column, upto)
        document["ledger"] = _ledger_standing(session, standing, then.dues)
        document["ledger_balance"] = ledger.balance_at(session, period, upto)
    document["hotspots"] = hotspots(office, as_of=standing)[:TOP_HOTSPOTS]
    return document


def window_end(as_of: datetime, end: datetime) -> datetime:
    """Where a report's half-open windows [start, …) stop: at the period's end once it is over
    (a receipt at the next 00:00 is the next day's), else just after `as_of` — what happened at
    the as-of instant itself is part of the record at that instant. Times are kept to the microsecond.
    """
    return end if as_of >= end else as_of + timedelta(microseconds=1)


def last_instant(upto: datetime) -> datetime:
    """The last instant of a report's window [start, upto), at which it reads what stands: the cases
    (status, assignee, level, deadlines), the ledger entries on the books, the revisits made. A step
    at the period's end — a close, assignment, escalation or 销账 at the next month's first 00:00 —
    is the next period's, as its counts already were; before the period is over it is `as_of` itself.
    """
    return upto - timedelta(microseconds=1)


def _activity(session: Session, then: CasesAt, start: datetime, upto: datetime) -> dict[str, int]:
    """Cases received (by the receipt times as they stood `then`), closed and revisited in [start, upto): three counts, one
    statement. A case closed, reopened and closed again within the window is one case closed (and revisited)."""
    received_in = then(lambda table: _received_in(table, (start, upto)))
    received = select(func.count()).select_from(received_in)
    closes = union_all(
        select(Event.case_id.label("id")).where(Event.kind.in_(CLOSING_KINDS), not_undone(upto), Event.at >= start, Event.at < upto),
        select(imported_closes(then, start, upto).c.id),
    ).subquery("closes")
    closed = select(func.count(func.distinct(closes.c.id)))
    # Cases, as closed counts: a case revisited in the window, then reopened, closed and revisited again, is one.
    revisited = select(func.count(func.distinct(Revisit.case_id))).where(Revisit.at >= start, Revisit.at < upto)
    counts = {"received": received, "closed": closed, "revisited": revisited}
    row = session.exec(select(*(count.scalar_subquery().label(name) for name, count in counts.items()))).one()
    return {name: int(row._mapping[name]) for name in counts}


def _standing(session: Session, office: Office, then: CasesAt, as_of: datetime, received_in: tuple[datetime, datetime]) -> dict:
    """Open, overdue and due-for-escalation cases as they stood at `as_of`, and the same split by category and assignee."""
    cases = then(lambda table: [is_open(table), table.c.received_at <= as_of])
    others = then(repeat_window(office.rules, as_of))
    c = cases.c
    flags = escalation_flags(office.rules, as_of, cases, others, dues=then.dues)
    # One scan finds the overdue cases and those due for escalation: every case due has a reason,
    # and overdue is one, but a case at 市 is overdue without being due.
    flagged = session.exec(
        select(c.id, is_due_escalation(office.rules, as_of, cases, others, flags).label("due"),
               *(condition.label(name) for name, condition in flags.items()))
        .where(or_(*flags.values()))
        .order_by(c.id)
    ).all()
    held = [(case_id, is_due, [name for name, holds in zip(flags, holding) if holds]) for case_id, is_due, *holding in flagged]
    due = [{"id": case_id, "reasons": reasons} for case_id, is_due, reasons in held if is_due]
    overdue_ids = [case_id for case_id, _, reasons in held if "overdue" in reasons]
    split = splits(session, then, as_of, received_in, ("category", "assignee"))
    return {
        "open": sum(group["open"] for group in split["category"]),
        "overdue": len(overdue_ids),
        "overdue_cases": overdue_ids,
        "due_escalation": due,
        **{f"by_{name}": groups for name, groups in split.items()},
    }


def group_name(field: str, value: Any) -> str | None:
    """A grouped row's name as reports give it: masked, and null when the field is empty, whichever way the
    book holds an empty value (a category is '', an assignee NULL), so a script tests one absence."""
    return shown_field(field, value) or None


def splits(
    session: Session, then: CasesAt, as_of: datetime, received_in: tuple[datetime, datetime], names: tuple[str, ...]
) -> dict[str, list[dict]]:
    """`split_counts` as a listing shows them: each value a row under `name`, masked (two values alike
    once masked stay two rows)."""
    return {
        name: [{"name": group_name(name, key), **counts} for key, counts in per_value.items()]
        for name, per_value in split_counts(session, then, as_of, received_in, names).items()
    }


def split_counts(
    session: Session, then: CasesAt, as_of: datetime, received_in: tuple[datetime, datetime], names: tuple[str, ...]
) -> dict[str, dict[Any, dict[str, int]]]:
    """Received in the span, open and overdue as they stood at `as_of`, per value of each column of
    `names` (the values themselves, most open first), from two grouped scans whatever their number.

    The database counts per combination of the columns' values (fresh by receipt
    time, open by status: two indexed scans rather than one OR over the whole
    table); each column's figures are the sums over the few combinations.
    """
    cases = held(then, then(lambda table: [is_open(table), table.c.received_at <= as_of]), as_of)
    received = held(then, then(lambda table: _received_in(table, received_in)), as_of)
    fresh_keys = [received.c[name] for name in names]
    fresh_rows = session.exec(select(func.count(), *fresh_keys).group_by(*fresh_keys)).all()
    standing_keys = [cases.c[name] for name in names]
    standing_rows = session.exec(
        select(func.count(cases.c.id), _count(is_overdue(as_of, cases, then.dues)), *standing_keys).group_by(*standing_keys)
    ).all()
    found = {}
    for position, name in enumerate(names):
        fresh: dict[Any, int] = {}
        for total, *keys in fresh_rows:
            fresh[keys[position]] = fresh.get(keys[position], 0) + int(total)
        standing: dict[Any, tuple[int, int]] = {}
        for opened, late, *keys in standing_rows:
            was = standing.get(keys[position], (0, 0))
            standing[keys[position]] = (was[0] + int(opened), was[1] + int(late))
        ordered = sorted(set(fresh) | set(standing), key=lambda k: (-standing.get(k, (0, 0))[0], k or ""))
        found[name] = {
            key: {"received": fresh.get(key, 0), "open": standing.get(key, (0, 0))[0], "overdue": standing.get(key, (0, 0))[1]}
            for key in ordered
        }
    return found


def _ledger_standing(session: Session, standing: datetime, dues) -> dict:
    """Entries on the books at the report's `last_instant` (by their movements dated by then, as the
    period's balance counts them: a 上账 at the next month's first instant is in neither), and those
    past due then (their 整改期限 then: `dues`, asof.ledger_values_at)."""
    on_books = ledger_open_at(standing)
    open_entries = session.exec(select(func.count(LedgerEntry.id)).where(on_books)).one()
    overdue = list(session.exec(select(LedgerEntry.id).where(on_books, entry_value("due", dues) < standing).order_by(LedgerEntry.id)))
    return {"open": open_entries, "overdue": len(overdue), "overdue_entries": overdue}


def _trend(session: Session, then: CasesAt, day: date, office: Office, upto: datetime) -> list[Trend]:
    """Received (by the receipt times as they stood `then`) and closed (by the closes standing at `upto`)
    per day over the fortnight ending `day`, in two scans."""
    days = [day - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    spans = [day_span(d, office.tz) for d in days]
    received = per_day(session, received_column(then, (spans[0][0], spans[-1][1])), spans)
    closed = closes_per_day(session, then, spans, upto)
    return [Trend(d, r, c) for d, r, c in zip(days, received, closed)]


def imported_closes(then: CasesAt, start: datetime, upto: datetime):
    """The cases an import brought in closed whose close, as they stood `then`, falls in [start, upto):
    an import records no close event; the row's closed_at is when it closed (as `CasesAt` winds it).
    A case a later step closed again is that step's event's to count."""
    # An import is dated when its file was read, never before a row's closing: the imports since
    # `start` are all there can be, read through the events' time index.
    imported = select(Event.case_id).where(Event.kind == EventKind.IMPORTED.value, Event.at >= start)

    def where(table):
        closed_by_a_step = (
            select(Event.id).where(Event.case_id == table.c.id, Event.kind.in_(CLOSING_KINDS), Event.at == table.c.closed_at).exists()
        )
        # The status compared as an expression, which no index serves: the imports lead, by the
        # cases' key (through the status index SQLite walked every closed case of the book).
        return [table.c.id.in_(imported), func.coalesce(table.c.status, table.c.status).in_(CLOSED_STATES),
                table.c.closed_at >= start, table.c.closed_at < upto, ~closed_by_a_step]

    return then(where)


def closes_per_day(session: Session, then: CasesAt, spans: list[tuple[datetime, datetime]], upto: datetime) -> list[int]:
    """Closes per day: the close and 销账 steps standing at `upto`, and the closes imported rows state."""
    first, last = spans[0][0], spans[-1][1]
    steps = per_day(session, Event.at, spans, Event.kind.in_(CLOSING_KINDS), not_undone(upto), Event.at < upto)
    imported = per_day(session, imported_closes(then, first, min(last, upto)).c.closed_at, spans)
    return [a + b for a, b in zip(steps, imported)]


def received_column(then: CasesAt, span: tuple[datetime, datetime]):
    """The receipt times in [start, end) as they stood `then`, to count per day (the span chosen by the cases' index)."""
    return then(lambda table: _received_in(table, span)).c.received_at


def per_day(session: Session, column, spans: list[tuple[datetime, datetime]], *where) -> list[int]:
    """How many rows have `column` in each span (consecutive days), in one scan of their whole range."""
    first, last = spans[0][0], spans[-1][1]
    # The leading total keeps the result a row even for one day (SQLModel unwraps a lone column).
    _, *counts = session.exec(
        select(func.count(), *(_count(and_(column >= s, column < e)) for s, e in spans)).where(column >= first, column < last, *where)
    ).one()
    return [int(count) for count in counts]


def rates_between(
    session: Session, office: Office, then: CasesAt, start: datetime, as_of: datetime, upto: datetime | None = None
) -> dict[str, float | None]:
    """The 三率 of the cases received in [start, upto) (default [start, as_of)), as they stood `then`."""
    return rates_of(rate_counts(session, office, then, as_of, (start, upto or as_of))[None], office)


def rates_by(
    session: Session, office: Office, then: CasesAt, start: datetime, as_of: datetime, name: str, upto: datetime | None = None
) -> list[dict]:
    """`rates_per` as a listing shows them: each value a row, masked (two values alike once masked stay two rows)."""
    return [{"name": group_name(name, key), **found} for key, found in rates_per(session, office, then, start, as_of, name, upto).items()]


def rates_per(
    session: Session, office: Office, then: CasesAt, start: datetime, as_of: datetime, name: str, upto: datetime | None = None
) -> dict[Any, dict[str, float | None]]:
    """The same 三率 per value of column `name` (the values themselves): none first, then by value as
    Python orders text (not by the database, whose collation and place for NULL differ between SQLite
    and PostgreSQL)."""
    per_group = rate_counts(session, office, then, as_of, (start, upto or as_of), group=name)
    ordered = sorted(per_group.items(), key=lambda item: (item[0] is not None, item[0] or ""))
    return {key: rates_of(counts, office) for key, counts in ordered}


def seasonal(office: Office, ahead: datetime, as_of: datetime) -> list[dict]:
    """The seasonal hotspots expected in the 30 days from `ahead`, by the cases as they stood at `as_of`."""
    with office.store.read() as session:
        return _seasonal(session, office, as_of, ahead)
