"""The indexes the list, show, report and hotspot queries rely on, checked with EXPLAIN QUERY PLAN.

A later change that makes one of these queries scan the whole table fails
here instead of showing up as a slow command on a street office's million cases.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import event

from conftest import sqlite_only
from jiesu import cases, lookup, month_rates, reports, todo, undone
from jiesu.cases import Draft
from jiesu.vocab import Nature
from jiesu.lookup import CaseFilter

pytestmark = sqlite_only


@contextmanager
def captured(store):
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)


def plans(store, statements) -> list[str]:
    raw = store.engine.raw_connection()
    try:
        return [
            " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
            for sql, params in statements
        ]
    finally:
        raw.close()


@pytest.fixture
def book(office):
    for n in range(30):
        cases.file_case(office, Draft(f"漏雨 {n}", community="前门社区", category="房屋管理/漏雨",
                                      phone="13812345678", received_at=office.now - timedelta(days=n)))
    return office


def plan_of(office, run) -> str:
    with captured(office.store) as statements:
        result = run()
        if hasattr(result, "__next__"):
            list(result)
    return "\n".join(plans(office.store, statements))


def test_overdue_list_uses_the_status_deadline_index(book):
    plan = plan_of(book, lambda: lookup.list_cases(book, CaseFilter(overdue=True, limit=50)))
    assert "ix_cases_status_resolve_by" in plan


def test_show_uses_the_case_key_and_history_index(book):
    plan = plan_of(book, lambda: lookup.get_case(book, 7))
    assert "USING INTEGER PRIMARY KEY (rowid=?)" in plan
    assert "ix_events_case_id" in plan and "ix_revisits_case_id" in plan and "ix_ledger_entries_case_id" in plan


def test_hotspot_window_uses_the_receipt_index(book):
    plan = plan_of(book, lambda: reports.hotspots(book, days=7))
    assert "ix_cases_received_at" in plan or "ix_cases_community_category" in plan
    assert "SCAN cases\n" not in plan + "\n"


def test_repeat_caller_check_uses_the_phone_index(book):
    plan = plan_of(book, lambda: lookup.list_cases(book, CaseFilter(due_escalation=True)))
    assert "ix_cases_phone_category" in plan


def test_daily_report_never_scans_events_or_revisits_whole(book):
    cases.classify(book, 3, Nature.CONSULT)
    undone.undo(book, 3)  # an undo for the closes counted to pass over, through the undoes index
    plan = plan_of(book, lambda: reports.daily(book))
    assert "SCAN events" not in plan and "SCAN revisits" not in plan and "SCAN undoing" not in plan
    assert "SEARCH undoing USING COVERING INDEX ix_events_undoes" in plan or "SEARCH undoing USING INDEX ix_events_undoes" in plan
    assert "ix_cases_status_resolve_by" in plan and "ix_cases_received_at" in plan
    # The closes imported rows state: the cases of the imports since the day began, by their key
    # (through the status index it would read every closed case of the book).
    imported = "SEARCH cases USING INTEGER PRIMARY KEY (rowid=?) | LIST SUBQUERY 1 | SEARCH events USING INDEX ix_events_kind_at (kind=? AND at>?)"
    assert imported in plan


def test_seasonal_hotspots_read_the_receipt_category_index_alone(office):
    last_winter = office.now - relativedelta(years=1) + timedelta(days=5)
    for n in range(5):
        cases.file_case(office, Draft(f"暖气不热 {n}", community="前门社区", category="供暖/暖气不热",
                                      received_at=last_winter + timedelta(hours=n)))
    found = []
    plan = plan_of(office, lambda: found.extend(reports.hotspots(office, days=7)))
    assert [(s["kind"], s["category"], s["count"]) for s in found] == [("seasonal", "供暖/暖气不热", 5)]
    assert "USING COVERING INDEX ix_cases_received_at_category" in plan.splitlines()[-1]


def test_a_month_kept_for_the_trend_winds_back_its_own_cases_through_their_history(book):
    month = (book.now - timedelta(days=20), book.now - timedelta(days=10))
    cases.contact(book, 15, "十五天前收到，今天才联系上")  # a change dated after the month, to wind back
    with book.store.read() as session:
        plan = plan_of(book, lambda: month_rates.counts_at_end(session, book, month))
    steps = re.split(r"\n| \| ", plan)
    assert "SEARCH events USING INDEX ix_events_case_id (case_id=?)" in steps
    assert not {"SCAN events", "SCAN cases", "SCAN revisits"} & set(steps), plan


def test_one_workers_todo_reads_only_their_cases_in_the_status_asked(book):
    for n in range(1, 11):
        cases.assign(book, n, "物业公司" if n % 2 else "城管科")
    plan = plan_of(book, lambda: todo.todo(book, within=timedelta(days=1), assignee="物业公司"))
    narrowed = ("ix_cases_assignee_status (assignee=? AND status", "ix_cases_status_resolve_by (status=? AND resolve_by<?)")
    per_case = [line for line in plan.splitlines() if not line.startswith("SEARCH ledger_entries") and "closed_at" not in line]
    assert len(per_case) == 3 and all(any(index in line for index in narrowed) for line in per_case), plan
    # the escalations: theirs, and the 挂账整改 cases whose entry's 责任单位 they are, by the ledger's entries
    assert per_case[-1].startswith("MULTI-INDEX OR | INDEX 1 | SEARCH cases USING INDEX ix_cases_assignee_status"), plan
    assert "SCAN cases" not in plan
    # the revisits due: the worker's closed cases in closing order, all todo shows of them in the index
    assert "SEARCH cases USING COVERING INDEX ix_cases_closed_by_assignee (assignee=? AND closed_at>? AND closed_at<?)" in plan



def test_one_assignees_list_reads_their_cases_and_the_ledger_not_the_whole_book(book):
    """`list --assignee U` finds a 挂账整改 case by its entry's 责任单位 too: through the entries, not by a scan."""
    plan = plan_of(book, lambda: lookup.list_cases(book, CaseFilter(assignee="物业公司")))
    assert "MULTI-INDEX OR | INDEX 1 | SEARCH cases USING INDEX ix_cases_assignee_status" in plan and "SCAN cases" not in plan, plan
