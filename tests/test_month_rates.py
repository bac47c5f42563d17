"""Ended months' 三率 counts kept for the report's trend: read back, and never stale."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from jiesu import month_rates, report_figures, reports
from jiesu.rules import RateCounts

OCTOBER = "2026-10"
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def december(monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")


def october_cases(jiesu) -> list[int]:
    """Three October cases: one answered in time and revisited satisfied, one answered, one not yet."""
    ids = [
        jiesu.new(f"十月诉求{n}", "--nature", "合理诉求", "--community", "前门社区", "--received", f"2026-10-0{n}T09:00")
        for n in (1, 2, 3)
    ]
    for n, case_id in enumerate(ids[:2], start=1):
        jiesu.ok("contact", case_id, "--note", "电话联系", "--at", f"2026-10-0{n}T10:00")
    jiesu.ok("visit", ids[0], "--note", "上门", "--at", "2026-10-06T09:00")
    jiesu.ok("close", ids[0], "--result", "resolved", "--note", "已办", "--at", "2026-10-07T09:00")
    jiesu.ok("revisit", ids[0], "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-10-08T09:00")
    return ids


def page(jiesu, period: str = "2026-11") -> str:
    return jiesu.ok("report", "monthly", "--period", period, "--format", "html").stdout


def kept(book) -> dict[str, tuple]:
    """The kept months (YYYY-MM in Beijing), with their counts."""
    rows = book.rows(
        "SELECT starts_at, responded_in_time, response_due, revisited, resolved, satisfied, basic FROM month_rates"
    )
    return {_month(row[0]): tuple(row[1:]) for row in rows}


def _month(start) -> str:
    if isinstance(start, str):
        start = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    return start.astimezone(BEIJING).strftime("%Y-%m")


def fresh(office, month: str) -> RateCounts:
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=office.tz)
    end = datetime.strptime("2026-11" if month == OCTOBER else "2026-12", "%Y-%m").replace(tzinfo=office.tz)
    with office.store.read() as session:
        return month_rates.counts_at_end(session, office, (start, end))


def test_the_page_keeps_each_ended_month_and_reads_it_back_the_same(jiesu, book, office):
    october_cases(jiesu)
    first = page(jiesu)
    # Trend months of the 2026-11 page: 2025-11 … 2026-11, all ended by now.
    assert len(kept(book)) == 13 and kept(book)[OCTOBER] == (2, 3, 1, 1, 1, 0)
    book.execute("UPDATE month_rates SET computed_at = computed_at")  # nothing recomputed below
    assert page(jiesu) == first
    book.execute("DELETE FROM month_rates")
    assert page(jiesu) == first  # computed afresh, the same page


def test_the_month_being_reported_is_not_kept_until_it_ends(jiesu, book):
    october_cases(jiesu)
    page(jiesu, "2026-12")
    assert len(kept(book)) == 12 and "2026-12" not in kept(book)


def revisit_the_second(jiesu, ids: list[int]):
    """Close the second October case in October, keep the month again, then revisit it there (the first one's
    close has its 回访 already: one per close)."""
    jiesu.ok("visit", ids[1], "--note", "上门", "--at", "2026-10-20T09:00")
    jiesu.ok("close", ids[1], "--result", "resolved", "--note", "已办", "--at", "2026-10-21T09:00")
    page(jiesu)
    return jiesu.ok("revisit", ids[1], "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-10-30T09:00")


BACKDATED = {
    "a step logged with --at inside the month": lambda jiesu, ids: jiesu.ok(
        "contact", ids[2], "--note", "补记联系", "--at", "2026-10-03T10:00"),
    "a revisit dated inside the month": lambda jiesu, ids: revisit_the_second(jiesu, ids),
    "a merge dated inside the month": lambda jiesu, ids: jiesu.ok(
        "merge", ids[1], "--into", ids[2], "--at", "2026-10-25T09:00"),
    "a case filed as received in the month": lambda jiesu, ids: jiesu.new(
        "补录", "--nature", "合理诉求", "--received", "2026-10-15T09:00"),
    # counted by its receipt as corrected, as a case filed late is (asof.RECEIPT_KEPT): in September now
    "a receipt corrected out of the month": lambda jiesu, ids: jiesu.ok("edit", ids[2], "--received", "2026-09-30T09:00"),
}


@pytest.mark.parametrize("write", BACKDATED.values(), ids=BACKDATED.keys())
def test_a_write_dated_inside_a_kept_month_drops_it_and_the_page_agrees_with_a_fresh_count(jiesu, book, office, write):
    ids = october_cases(jiesu)
    page(jiesu)
    before = fresh(office, OCTOBER)
    write(jiesu, ids)
    assert fresh(office, OCTOBER) != before  # the write did move October's figures
    assert OCTOBER not in kept(book)  # …and October was no longer kept
    shown = page(jiesu)
    assert kept(book)[OCTOBER] == tuple(vars(fresh(office, OCTOBER)).values())
    book.execute("DELETE FROM month_rates")
    assert page(jiesu) == shown
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_an_import_of_cases_received_in_the_month_drops_it(jiesu, book, office, tmp_path):
    october_cases(jiesu)
    page(jiesu)
    path = tmp_path / "工单.csv"
    path.write_text(
        "工单编号,受理时间,诉求人,联系电话,诉求地址,所属社区,诉求类别,诉求类型,紧急程度,诉求内容\n"
        "BJ901,2026-10-12 09:30,王大爷,13812345678,前门东大街3号,前门社区,物业管理/漏水,投诉,一般,楼上漏水\n",
        encoding="utf-8",
    )
    jiesu.ok("import", str(path))
    assert OCTOBER not in kept(book) and "2026-09" in kept(book)
    page(jiesu)
    assert kept(book)[OCTOBER] == tuple(vars(fresh(office, OCTOBER)).values())


def test_later_work_keeps_the_month_kept_and_unchanged(jiesu, book):
    ids = october_cases(jiesu)
    page(jiesu)
    before = kept(book)
    jiesu.ok("visit", ids[1], "--note", "上门", "--at", "2026-11-20T09:00")
    jiesu.ok("close", ids[1], "--result", "resolved", "--note", "已办", "--at", "2026-11-20T10:00")
    jiesu.ok("contact", ids[2], "--note", "今天才联系上")
    jiesu.ok("undo", ids[2])
    assert kept(book) == {month: counts for month, counts in before.items() if month != "2026-11"}


def test_check_recomputes_every_kept_month(jiesu, book):
    october_cases(jiesu)
    page(jiesu)
    assert jiesu.ok("check").stderr.startswith("案卷完好")
    book.execute("UPDATE month_rates SET satisfied = 0 WHERE starts_at < '2026-10-15' AND starts_at > '2026-09-15'")
    result = jiesu("check")
    assert result.exit_code == 1
    assert result.stdout == "2026-10 存档的三率计数 2 3 1 1 0 0，但重新计算得 2 3 1 1 1 0\n"


def test_months_kept_by_a_jiesu_that_counted_a_step_at_the_months_end_are_computed_afresh(jiesu, tmp_path, monkeypatch, db_path):
    """A jiesu before schema 14 counted a step dated at the next month's 00:00 in the month, and kept
    the month so counted: today's `check` would call it stale. Opened by today's jiesu, kept months
    are dropped (a cache) and computed again, as the month now reads."""
    from conftest import as_an_older_jiesu_wrote_it

    modern = tmp_path / "modern.db"
    case_id = jiesu.ok("--db", modern, "new", "十月诉求", "--nature", "合理诉求", "--received", "2026-10-31T20:00", "-q").stdout.strip()
    jiesu.ok("--db", modern, "contact", case_id, "--note", "电话联系", "--at", "2026-11-01T00:00")
    page_now = jiesu.ok("--db", modern, "report", "monthly", "--period", "2026-11", "--format", "html").stdout
    as_an_older_jiesu_wrote_it(db_path, modern, monkeypatch, version=13, tables=("cases", "events", "month_rates"))
    # As the older jiesu kept October: its one case answered in time (the 00:00 contact counted).
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("UPDATE month_rates SET responded_in_time = 1 WHERE starts_at LIKE '2026-09-30%'").rowcount == 1
    assert jiesu.ok("check").stderr.splitlines()[1].startswith("案卷完好")  # after the line naming the backup
    assert page(jiesu) == page_now


def test_the_page_figures_read_kept_months_as_the_report_computes_them(jiesu, office):
    october_cases(jiesu)
    document = reports.monthly(office, "2026-11")
    figures = report_figures.figures(office, document)
    october = next(month for month in figures["months"] if month["period"] == OCTOBER)
    assert october == {"period": OCTOBER, **reports.rates_of(fresh(office, OCTOBER), office)}
