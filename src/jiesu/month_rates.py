"""Each ended month's 三率 counts, kept once computed, so that the report's twelve-month trend
reads them back instead of winding a year of history back twelve times.

A month's counts are taken as of its end (asof.CasesAt): the cases received in it, as the
history dated before its end left them, and their revisits by then. Work logged later does not
move them (nor does an `edit`, dated when it is made — save of a receipt time, which counts the
case in the month it is corrected to, as a late `new` would), but some writes still can: a step,
revisit, merge or undo logged with `--at` inside the month, `new --received`, an import of cases
received then, or a receipt corrected into or out of it. Rather than trust every command, present and future, to
remember that, the database drops a kept month itself (the triggers of migration 10) whenever
an event, a revisit or a case is written with a time at or before the month's end, in the
writer's own transaction; and a month is computed to be kept in a transaction no such write
can slip into. So a kept month is always what computing it afresh gives; `jiesu check`
recomputes each one to prove it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, select

from jiesu import backend
from jiesu.asof import CasesAt
from jiesu.errors import StoreError
from jiesu.models import TableModel, UTCDateTime
from jiesu.office import Office
from jiesu.rules import RateCounts

COUNTS = tuple(RateCounts.__dataclass_fields__)
Month = tuple[datetime, datetime]  # [start, end)


class MonthRates(TableModel, table=True):
    """An ended month's 三率 counts as of its end, under one setting of rates.include_unreasonable."""

    __tablename__ = "month_rates"

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    counts_unreasonable: bool
    responded_in_time: int
    response_due: int
    revisited: int
    resolved: int
    satisfied: int
    basic: int
    computed_at: datetime = Field(sa_type=UTCDateTime)


def counts_at_end(session: Session, office: Office, month: Month) -> RateCounts:
    """A month's counts computed afresh, as of its end (its last instant: a step at the next month's first is that month's)."""
    from jiesu.reports import COUNTED, last_instant, rate_counts

    standing = last_instant(month[1])
    return rate_counts(session, office, CasesAt(session.connection(), standing, received=month, columns=COUNTED), standing, month)[None]


def ended_month_counts(office: Office, months: list[Month]) -> dict[datetime, RateCounts]:
    """The counts of each ended month by its start: read where kept, else computed and kept."""
    with office.store.read() as session:
        found = _kept(session, office, months)
    missing = [month for month in months if month[0] not in found]
    if missing:
        found |= _compute_and_keep(office, missing)
    return found


def stale(office: Office) -> list[str]:
    """A line for each kept month (under the rules in force) that computing it afresh contradicts."""
    problems = []
    with office.store.read() as session:
        for row in session.exec(_rows(office)):
            fresh = counts_at_end(session, office, (row.starts_at, row.ends_at))
            if fresh != _counts(row):
                month = row.starts_at.astimezone(office.tz).strftime("%Y-%m")
                problems.append(f"{month} 存档的三率计数 {_shown(_counts(row))}，但重新计算得 {_shown(fresh)}")
    return problems


def _rows(office: Office):
    return select(MonthRates).where(MonthRates.counts_unreasonable == bool(office.rules["rates.include_unreasonable"]))


def _kept(session: Session, office: Office, months: list[Month]) -> dict[datetime, RateCounts]:
    wanted = set(months)
    starts = [start for start, _ in months]
    rows = session.exec(_rows(office).where(MonthRates.starts_at.in_(starts))).all() if months else []
    return {row.starts_at: _counts(row) for row in rows if (row.starts_at, row.ends_at) in wanted}


def _compute_and_keep(office: Office, months: list[Month]) -> dict[datetime, RateCounts]:
    """Compute the months while nothing they are computed from can be written, and keep them.

    A book that cannot be written now (read-only, or locked past the wait) still gets its
    figures, computed afresh and not kept.
    """
    try:
        with office.store.write() as session:
            _hold_still(session.connection())
            found = _kept(session, office, months)  # another report may have kept some meanwhile
            for month in months:
                if month[0] not in found:
                    found[month[0]] = counts_at_end(session, office, month)
                    session.add(_row(office, month, found[month[0]]))
            return found
    except StoreError:
        with office.store.read() as session:
            return {month[0]: counts_at_end(session, office, month) for month in months}


def _hold_still(conn) -> None:
    """On SQLite the write lock already keeps every other writer out; PostgreSQL must be told."""
    backend.serialise(conn, "month-rates")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE cases, events, revisits IN SHARE MODE")


def _row(office: Office, month: Month, counts: RateCounts) -> MonthRates:
    return MonthRates(
        starts_at=month[0],
        ends_at=month[1],
        counts_unreasonable=bool(office.rules["rates.include_unreasonable"]),
        computed_at=office.now,
        **{name: getattr(counts, name) for name in COUNTS},
    )


def _counts(row: MonthRates) -> RateCounts:
    return RateCounts(*(getattr(row, name) for name in COUNTS))


def _shown(counts: RateCounts) -> str:
    return " ".join(str(getattr(counts, name)) for name in COUNTS)
