"""What the printable report shows beyond the report document: the months' 三率, the days, the
splits with their rates, the cases behind each hotspot, the seasonal ones ahead, and the ledger book.

Everything is read as the document read it — what stands at its last instant (reports.last_instant),
the counts over its windows — so the page agrees with the document it was made from. The figures are plain data; `report_html` draws them.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, or_
from sqlmodel import Session, select

from jiesu import ledger, month_rates, reports
from jiesu.asof import CasesAt, entry_fields_at
from jiesu.clock import day_span, shown_bound
from jiesu.models import ENTRY_EDITABLE, Case, Event, LedgerEntry
from jiesu.office import Office
from jiesu.phones import shown_field
from jiesu.queries import ledger_open_at
from jiesu.rules import ASSUMED, in_force
from jiesu.undone import not_undone
from jiesu.vocab import EventKind, Status

TREND_MONTHS = 13  # the report's month and the twelve before it
SPLIT_ROWS = 20  # rows of each ranked table; the rest are counted
CASES_PER_HOTSPOT = 8
LEDGER_ROWS = 100
# A deadline is met when by then the case was closed, put on the ledger (it then answers to the
# entry's due) or merged into another.
MEETING_KINDS = [*reports.CLOSING_KINDS, EventKind.LEDGERED.value, EventKind.MERGED.value]


def figures(office: Office, document: dict[str, Any]) -> dict[str, Any]:
    """The figures of the page for a daily (`date`) or monthly (`period`) report document."""
    tz = office.tz
    as_of = datetime.fromisoformat(document["as_of"])
    if "period" in document:
        month_start = datetime.strptime(document["period"], "%Y-%m").replace(tzinfo=tz)
        span_start = month_start
        last_day = (month_start + relativedelta(months=1) - timedelta(days=1)).date()
        days = _days(month_start.date(), min(last_day, (as_of - timedelta(microseconds=1)).astimezone(tz).date()))
        ahead = month_start + relativedelta(months=1)
        upto = reports.window_end(as_of, ahead)
    else:
        day = date.fromisoformat(document["date"])
        span_start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        month_start = span_start.replace(day=1)
        days = _days(day - timedelta(days=reports.TREND_DAYS - 1), day)
        ahead = as_of
        upto = reports.window_end(as_of, span_start + timedelta(days=1))
    period = month_start.strftime("%Y-%m")
    standing = reports.last_instant(upto)  # what stands is read there, as the document read it
    with office.store.read() as session:
        then = CasesAt(session.connection(), standing, columns=reports.COUNTED)
        volumes = reports.split_counts(session, then, standing, (span_start, upto), ("category", "community"))
        found = {
            "months": _months(session, office, month_start, as_of, standing),
            "days": _by_day(session, office, then, days, standing, upto),
            **{
                f"by_{name}": _ranked(name, volumes[name], reports.rates_per(session, office, then, month_start, standing, name, upto))
                for name in ("category", "community")
            },
            "balance": ledger.balance_at(session, period, upto),
            "entries": _open_entries(session, office, as_of, standing),
        }
        spots = reports.hotspots(office, as_of=standing, with_seasonal=False)[: reports.TOP_HOTSPOTS]
        found["hotspots"] = _with_cases(session, office, spots)
    found["seasonal"] = {"from": ahead.date().isoformat(), "spots": reports.seasonal(office, ahead, standing)}
    found["assumed"] = [row for row in in_force(office.rules) if row["basis"] == ASSUMED or row["source"] != "default"]
    return found


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _months(session: Session, office: Office, month_start: datetime, as_of: datetime, standing: datetime) -> list[dict]:
    """The 三率 of each of the trend's months, each as of its own end (one not ended by `as_of`, as it stood then).

    The ended ones are read where kept (month_rates); winding a year of history back for each
    was most of what the page cost.
    """
    starts = [month_start - relativedelta(months=back) for back in range(TREND_MONTHS - 1, -1, -1)]
    ended = [(start, start + relativedelta(months=1)) for start in starts if start + relativedelta(months=1) <= as_of]
    counts = month_rates.ended_month_counts(office, ended)
    for start in starts:
        if start not in counts:
            then = CasesAt(session.connection(), standing, columns=reports.COUNTED)
            window = (start, reports.window_end(standing, start + relativedelta(months=1)))
            counts[start] = reports.rate_counts(session, office, then, standing, window)[None]
    return [{"period": start.strftime("%Y-%m"), **reports.rates_of(counts[start], office)} for start in starts]


def _by_day(session: Session, office: Office, then: CasesAt, days: list[date], standing: datetime, upto: datetime) -> list[dict]:
    """Received (by the receipt times as they stood `then`), closed, and fallen overdue (deadline
    passed that day, not met by then) per day; what happened at the as-of instant itself counts
    (`upto`, as in the report's own figures)."""
    if not days:
        return []
    spans = [day_span(d, office.tz) for d in days]
    first, last = spans[0][0], spans[-1][1]
    due = then(lambda table: [table.c.resolve_by >= first, table.c.resolve_by < last, table.c.received_at < upto])
    met = (
        select(Event.id)
        .where(Event.case_id == due.c.id, Event.kind.in_(MEETING_KINDS), not_undone(upto), Event.at <= due.c.resolve_by)
        .exists()
    )
    received = reports.per_day(session, reports.received_column(then, (first, min(last, upto))), spans)
    closed = reports.closes_per_day(session, then, spans, upto)
    # A case imported closed has no close step: its closed_at (as it stood) says whether it met the deadline.
    closed_late = or_(due.c.closed_at.is_(None), due.c.closed_at > due.c.resolve_by)
    overdue = reports.per_day(session, due.c.resolve_by, spans, due.c.resolve_by < standing, ~met, closed_late)
    return [
        {"day": d.isoformat(), "received": r, "closed": c, "overdue": o}
        for d, r, c, o in zip(days, received, closed, overdue)
    ]


def _ranked(field: str, volumes: dict[Any, dict], rates: dict[Any, dict]) -> dict:
    """Volumes and 三率 per value of `field`, most received first; the first SPLIT_ROWS and how many more.

    A row is one value: two alike once masked (a number in them) are two rows, their names told apart."""
    keyed = [
        (key, {"name": reports.group_name(field, key), "received": 0, "open": 0, "overdue": 0, **volumes.get(key, {}), **rates.get(key, {})})
        for key in set(volumes) | set(rates)
    ]
    keyed.sort(key=lambda item: (-item[1]["received"], -item[1]["overdue"], -item[1]["open"], item[1]["name"] or "", item[0] or ""))
    rows = _told_apart([row for _, row in keyed])
    shown = rows[:SPLIT_ROWS]
    return {
        "rows": shown,
        "more": len(rows) - len(shown),
        "most_received": max((r["received"] for r in shown), default=0),
        "most_overdue": max((r["overdue"] for r in shown), default=0),
    }


def _told_apart(rows: list[dict]) -> list[dict]:
    """Names alike as shown numbered （1）, （2）… in the order ranked, so that each row reads as its own."""
    alike = Counter(row["name"] for row in rows)
    seen: Counter = Counter()
    for row in rows:
        name = row["name"]
        if name is not None and alike[name] > 1:
            seen[name] += 1
            row["name"] = f"{name}（{seen[name]}）"
    return rows


def _with_cases(session: Session, office: Office, spots: list[dict]) -> list[dict]:
    """Each hotspot with its first cases (summaries with any phone in them masked)."""
    wanted = {i for spot in spots for i in spot["case_ids"][:CASES_PER_HOTSPOT]}
    rows = session.exec(
        select(Case.id, Case.received_at, Case.community, Case.category, Case.summary, Case.status).where(Case.id.in_(wanted))
    ).all() if wanted else []
    by_id = {
        row.id: {
            "id": row.id,
            "received_at": row.received_at.astimezone(office.tz).strftime("%m-%d %H:%M"),
            "community": shown_field("community", row.community),
            "category": shown_field("category", row.category),
            "summary": shown_field("summary", row.summary),
            "status": Status(row.status).label,
        }
        for row in rows
    }
    return [{**spot, "cases": [by_id[i] for i in spot["case_ids"][:CASES_PER_HOTSPOT] if i in by_id]} for spot in spots]


def _open_entries(session: Session, office: Office, as_of: datetime, standing: datetime) -> dict:
    """Entries on the books at the report's last instant (as the document counts them), longest on
    the books first, with their carries as they stood then and their days on the books by `as_of`."""
    on_books = ledger_open_at(standing)
    total = session.exec(select(func.count(LedgerEntry.id)).where(on_books)).one()
    rows = session.exec(
        select(LedgerEntry, Case.community, Case.category, Case.summary)
        .join(Case, Case.id == LedgerEntry.case_id)
        .where(on_books)
        .order_by(LedgerEntry.opened_at, LedgerEntry.id)
        .limit(LEDGER_ROWS)
    ).all()
    # The month-ends it was carried over by the report's last instant, rolled or not yet, as the month's ledger counts them.
    carried = ledger.carried_at(session.connection(), [entry.id for entry, *_ in rows], standing, office)
    edited = entry_fields_at(session.connection(), standing)  # plan, unit and due before a later `ledger edit`

    def shown(moment: datetime | None) -> str:
        return moment.astimezone(office.tz).strftime("%Y-%m-%d") if moment else "—"

    def row(entry: LedgerEntry, community: str | None, category: str, summary: str) -> dict:
        then = {name: getattr(entry, name) for name in ENTRY_EDITABLE} | edited.get(entry.case_id, {})
        return {
            "id": entry.id,
            "case_id": entry.case_id,
            "community": shown_field("community", community),
            "category": shown_field("category", category),
            "summary": shown_field("summary", summary),
            "plan": shown_field("plan", then["plan"]),
            "unit": shown_field("unit", then["unit"]),
            "opened": shown(entry.opened_at),
            "due": shown_bound(then["due"], office.tz) if then["due"] else "—",
            "overdue": then["due"] is not None and then["due"] < standing,
            "carried": carried.get(entry.id, 0),
            "days": (as_of - entry.opened_at).days,
        }

    entries = [row(*found) for found in rows]
    return {"rows": entries, "total": total}
