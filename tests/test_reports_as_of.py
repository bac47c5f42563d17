"""Reports and lists as of a past time are records: later work never changes them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import refused


@pytest.fixture(autouse=True)
def december(monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")


def test_the_month_report_keeps_a_case_open_that_was_closed_after_the_month(jiesu):
    case_id = jiesu.new("楼道积水", "--nature", "合理诉求", "--received", "2026-10-12T08:00")
    before = jiesu.json("report", "monthly", "--period", "2026-10")
    assert (before["open"], before["overdue_cases"]) == (1, [case_id])
    jiesu.ok("visit", case_id, "--note", "现场查看", "--at", "2026-11-05T09:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "已疏通", "--at", "2026-11-05T10:00")
    assert jiesu.json("report", "monthly", "--period", "2026-10") == before


def test_a_past_view_keeps_the_ledger_due_it_had_before_a_ledger_edit(jiesu):
    """`ledger edit --due` set a new 整改期限 in December; November's report and a list as of November had
    the entry overdue, and must keep it so: the edit is later work (it read the entry's current due)."""
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-11-02T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管道", "--unit", "街道城管科", "--due", "2026-11-20", "--at", "2026-11-02T10:00")
    views = {
        "monthly": ("report", "monthly", "--period", "2026-11"),
        "daily": ("report", "daily", "--date", "2026-11-25"),
        "overdue": ("list", "--overdue", "--as-of", "2026-11-25T12:00"),
        "due": ("list", "--due-escalation", "--as-of", "2026-11-25T12:00"),
    }
    before = {name: jiesu.json(*command) for name, command in views.items()}
    assert before["monthly"]["ledger"]["overdue_entries"] == [1] and before["daily"]["overdue_cases"] == [int(case_id)]
    assert [c["id"] for c in before["overdue"]] == [int(case_id)]
    jiesu.ok("edit", case_id, "--detail", "due")  # a later case correction, a "due" in its changes yet no 整改期限
    assert {name: jiesu.json(*command) for name, command in views.items()} == before
    jiesu.ok("ledger", "edit", "1", "--due", "2026-12-31", "--reason", "重新整改", "--at", "2026-12-01T09:00")
    assert {name: jiesu.json(*command) for name, command in views.items()} == before
    today = jiesu.json("report", "daily")
    assert (today["overdue_cases"], today["ledger"]["overdue_entries"]) == ([], [])
    jiesu.ok("undo", case_id)  # the undo, later still, changes no past view either
    assert {name: jiesu.json(*command) for name, command in views.items()} == before
    assert jiesu.json("report", "daily")["ledger"]["overdue_entries"] == [1]


def october_book(jiesu) -> dict[str, int]:
    """A month of every kind of step, all dated in October."""
    c = {}
    for name, extra in {
        "new": (), "assigned": (), "escalated": ("--phone", "13812345678"), "extended": (), "closed": (),
        "revisited": (), "reopened": (), "ledgered": (), "cleared": (), "merged": (), "walkin": ("--channel", "walkin"),
    }.items():
        c[name] = jiesu.new(f"诉求{name}", "--nature", "合理诉求", "--community", "前门社区", "--category", "市容/积水",
                            "--received", "2026-10-09T09:00", *extra)
    at = ("--at", "2026-10-10T09:00")
    for name in ("assigned", "escalated", "extended", "closed", "revisited", "reopened", "ledgered", "cleared"):
        jiesu.ok("assign", c[name], "王网格", *at)
        jiesu.ok("contact", c[name], "--note", "电话联系", *at)
    jiesu.ok("escalate", c["escalated"], "--reason", "需街道协调", "--at", "2026-10-11T09:00")
    jiesu.ok("extend", c["extended"], "--to", "2026-11-30", "--reason", "等待施工", "--at", "2026-10-12T09:00")
    for name in ("closed", "revisited", "reopened", "cleared"):
        jiesu.ok("visit", c[name], "--note", "上门", "--at", "2026-10-13T09:00")
    for name in ("closed", "revisited", "reopened"):
        jiesu.ok("close", c[name], "--result", "resolved", "--note", "已办", "--at", "2026-10-14T09:00")
    jiesu.ok("revisit", c["revisited"], "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-10-15T09:00")
    jiesu.ok("reopen", c["reopened"], "--reason", "又漏了", "--at", "2026-10-16T09:00")
    jiesu.ok("ledger", "add", c["ledgered"], "--plan", "更换管道", "--unit", "城管科", "--due", "2026-10-25", "--at", "2026-10-17T09:00")
    jiesu.ok("ledger", "add", c["cleared"], "--plan", "补墙", "--unit", "物业", "--at", "2026-10-17T09:00")
    jiesu.ok("ledger", "clear", "2", "--evidence", "已补", "--at", "2026-10-20T09:00")
    jiesu.ok("merge", c["merged"], "--into", c["new"], "--at", "2026-10-21T09:00")
    return c


def later_work(jiesu, c: dict[str, int]) -> None:
    """Everything that can happen to those cases afterwards, dated after October."""
    at = ("--at", "2026-11-03T09:00")
    jiesu.ok("assign", c["new"], "李网格", *at)
    jiesu.ok("return", c["assigned"], "--reason", "不属本社区", *at)
    jiesu.ok("escalate", c["escalated"], "--reason", "再升级", *at)
    jiesu.ok("contact", c["new"], "--note", "联系上了", *at)
    jiesu.ok("classify", c["walkin"], "不合理诉求", *at)
    for name in ("extended", "reopened", "walkin"):
        jiesu.ok("visit", c[name], "--note", "上门", *at)
    jiesu.ok("close", c["extended"], "--result", "resolved", "--note", "已办", "--at", "2026-11-04T09:00")
    jiesu.ok("close", c["reopened"], "--result", "resolved", "--note", "已办", "--at", "2026-11-04T09:00")
    jiesu.ok("revisit", c["closed"], "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-05T09:00")
    jiesu.ok("revisit", c["cleared"], "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-05T09:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已更换", "--at", "2026-11-06T09:00")
    jiesu.ok("new", "新的诉求", "--community", "前门社区", "--category", "市容/积水", "--received", "2026-11-07T09:00")
    jiesu.ok("ledger", "roll", "2026-10")  # the month's balance, now stored, reads as it did as of the month's end


AS_OF_VIEWS = [
    ("report", "monthly", "--period", "2026-10"),
    ("report", "daily", "--date", "2026-10-20"),
    ("report", "daily", "--date", "2026-10-31"),
    ("hotspots", "--as-of", "2026-10-31T23:00", "--days", "30", "--min", "2"),
    ("list", "--all", "--as-of", "2026-10-31T23:59"),
    ("list", "--overdue", "--as-of", "2026-10-31T23:59"),
    ("list", "--due-escalation", "--as-of", "2026-10-31T23:59"),
    ("list", "--status", "ledgered", "--as-of", "2026-10-18T00:00"),
]


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_reports_and_lists_as_of_a_past_time_never_change(jiesu, fmt):
    c = october_book(jiesu)
    before = {view: jiesu.ok(*view, "--format", fmt).stdout for view in AS_OF_VIEWS}
    later_work(jiesu, c)
    after = {view: jiesu.ok(*view, "--format", fmt).stdout for view in AS_OF_VIEWS}
    for view in AS_OF_VIEWS:
        assert after[view] == before[view], view


REPORTS = [view for view in AS_OF_VIEWS if view[0] == "report"]


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_printed_reports_as_of_a_past_time_never_change(jiesu, fmt):
    """Replayed from a fresh tester: the page's ledger table counted the roll done after the month
    (结转 0 → 1), and an entry cleared in the month and reopened after it as on the books."""
    c = october_book(jiesu)
    before = {view: jiesu.ok(*view, "--format", fmt).stdout for view in REPORTS}
    later_work(jiesu, c)
    for view in REPORTS:
        assert jiesu.ok(*view, "--format", fmt).stdout == before[view], view


def test_as_of_figures_are_the_history_as_it_stood(jiesu):
    c = october_book(jiesu)
    later_work(jiesu, c)
    listed = {r["id"]: r for r in jiesu.json("list", "--all", "--as-of", "2026-10-31T23:59")}
    assert listed[c["assigned"]]["assignee"] == "王网格" and listed[c["new"]]["assignee"] is None
    assert listed[c["escalated"]]["level"] == "street"
    assert listed[c["reopened"]]["status"] == "assigned" and listed[c["closed"]]["status"] == "closed"
    assert listed[c["ledgered"]]["status"] == "ledgered" and listed[c["walkin"]]["nature"] == "reasonable"
    assert set(listed) == set(c.values())  # the case received in November is not there yet
    monthly = jiesu.json("report", "monthly", "--period", "2026-10")
    assert monthly["ledger"] == {"open": 1, "overdue": 1, "overdue_entries": [1]}
    november = jiesu.json("report", "monthly", "--period", "2026-11")
    assert november["ledger"]["open"] == 1  # 1 cleared, 2 back on the books after the bad revisit


# ---------------------------------------------------------------- the as-of instant itself

NOW = "2026-12-01T09:30:00+08:00"


def test_a_case_received_at_the_as_of_instant_is_in_every_view_of_that_instant(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", NOW)
    for n in range(2):  # an hour before, then exactly now: both in today's record
        received = "2026-12-01T08:30" if n == 0 else NOW
        case = jiesu.new("楼道灯不亮", "--community", "前门社区", "--category", "市容/照明", "--phone", "13812345678",
                         "--nature", "合理诉求", "--received", received)
        jiesu.ok("contact", case, "--note", "已联系")  # at now: responded at the as-of instant too
    daily = jiesu.json("report", "daily")
    assert (daily["as_of"], daily["received"], daily["open"]) == (NOW, 2, 2)
    assert daily["by_category"] == [{"name": "市容/照明", "received": 2, "open": 2, "overdue": 0}]
    assert daily["rates"]["response"] == 1.0
    monthly = jiesu.json("report", "monthly")
    assert (monthly["received"], monthly["open"], monthly["rates"]["response"]) == (2, 2, 1.0)
    assert [r["id"] for r in jiesu.json("list", "--as-of", NOW)] == [1, 2]
    assert [r["id"] for r in jiesu.json("list", "--as-of", "now", "--search", "楼道灯")] == [1, 2]
    spots = jiesu.json("hotspots", "--as-of", NOW, "--min", "2")
    assert [s["case_ids"] for s in spots if s["kind"] == "cluster"] == [[1, 2]]


def test_the_printed_pages_count_the_as_of_instant_as_their_report_does(jiesu, office, monkeypatch):
    """The page's per-day bars, community table and this month's trend point agree with the
    report they illustrate about a case received and answered at the as-of instant."""
    from jiesu import report_figures, reports

    monkeypatch.setenv("JIESU_NOW", NOW)
    case = jiesu.new("楼道灯不亮", "--community", "前门社区", "--category", "市容/照明", "--phone", "13812345678",
                     "--nature", "合理诉求", "--received", NOW)
    jiesu.ok("contact", case, "--note", "已联系")
    for document in (reports.daily(office).document, reports.monthly(office)):
        figures = report_figures.figures(office, document)
        assert figures["days"][-1] == {"day": "2026-12-01", "received": 1, "closed": 0, "overdue": 0}
        assert [(row["name"], row["received"]) for row in figures["by_community"]["rows"]] == [("前门社区", 1)]
    monthly = report_figures.figures(office, reports.monthly(office))
    assert monthly["months"][-1]["period"] == "2026-12" and monthly["months"][-1]["response"] == 1.0


def test_work_done_at_the_as_of_instant_counts_in_that_days_report(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", NOW)
    case = jiesu.new("门口垃圾", "--nature", "合理诉求", "--channel", "walkin", "--received", "2026-12-01T08:00")
    jiesu.ok("close", case, "--result", "resolved", "--note", "已清")  # at now
    jiesu.ok("revisit", case, "--satisfaction", "满意", "--resolved", "yes")  # at now
    daily = jiesu.json("report", "daily")
    assert (daily["received"], daily["closed"], daily["revisited"], daily["open"]) == (1, 1, 1, 0)


def test_a_case_received_at_midnight_belongs_to_its_day_only(jiesu, monkeypatch):
    """A finished day is [00:00, 24:00): a receipt at the next 00:00 is the next day's, counted once."""
    monkeypatch.setenv("JIESU_NOW", NOW)
    jiesu.new("夜里的诉求", "--received", "2026-11-30T00:00")
    jiesu.new("零点的诉求", "--received", "2026-12-01T00:00")
    days = {day: jiesu.json("report", "daily", "--date", day) for day in ("2026-11-29", "2026-11-30", "2026-12-01")}
    assert [days[d]["received"] for d in sorted(days)] == [1 if d != "2026-11-29" else 0 for d in sorted(days)]
    assert days["2026-11-29"]["received"] == 0 and days["2026-11-30"]["received"] == 1
    assert jiesu.json("report", "monthly", "--period", "2026-11")["received"] == 1
    assert jiesu.json("report", "monthly", "--period", "2026-12")["received"] == 1
    # What stood open at a finished day's last instant is what `list --as-of` gives then (nothing
    # happens in its last second here); the book as it stood at the next 00:00 itself holds that
    # instant's receipt too, which is the next day's.
    assert [days[d]["open"] for d in sorted(days)] == [0, 1, 2]
    assert len(jiesu.json("list", "--as-of", "2026-11-30T23:59:59")) == 1
    assert len(jiesu.json("list", "--as-of", days["2026-11-30"]["as_of"])) == 2


# ---------------------------------------------------------------- 24:00, as jiesu prints a deadline


@pytest.mark.parametrize("typed", ["2026-11-30T24:00", "2026-11-30 24:00", "2026-11-30T24:00:00", "2026-11-30T24:00+08:00", "2026/11/30 24:00"])
def test_24_00_as_jiesu_prints_it_is_the_next_days_midnight(jiesu, typed):
    early = jiesu.new("甲", "--received", "2026-11-30T23:59")
    midnight = jiesu.new("乙", "--received", "2026-12-01T00:00")
    jiesu.new("丙", "--received", "2026-12-01T00:01")
    assert [r["id"] for r in jiesu.json("list", "--as-of", typed)] == [early, midnight]
    typed_in = jiesu.new("丁", "--received", typed)
    assert jiesu.json("show", typed_in)["received_at"] == "2026-12-01T00:00:00+08:00"


@pytest.mark.parametrize("typed", ["2026-11-30T24:01", "2026-11-30T24:00:01", "2026-11-30T25:00", "2026-11-31T24:00"])
def test_a_time_past_24_00_is_refused_with_one_line(jiesu, book, typed):
    jiesu.new("甲", "--received", "2026-11-30T08:00")
    before = book.fingerprint()
    forms = "ISO 日期时间（2026-10-01、2026-10-01T08:30）、today、yesterday、今天、昨天、前天（可加钟点：yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h、+3d"
    line = f"无法识别的时间 '{typed}'；可用：{forms}"
    if typed.startswith("2026-11-31"):  # a day no calendar has says so
        line = f"时间 '{typed}' 的日期不存在：2026 年 11 月只有 30 天"
    refused(jiesu("list", "--as-of", typed), line, code=2)
    refused(jiesu("new", "乙", "--received", typed), code=2)
    assert book.fingerprint() == before


def test_an_imported_24_00_is_the_next_days_midnight(jiesu, tmp_path):
    (tmp_path / "x.csv").write_text("summary,received_at\n甲,2026/11/30 24:00\n乙,2026-11-30 24:01\n", encoding="utf-8")
    assert jiesu("import", str(tmp_path / "x.csv")).stderr.splitlines()[0] == "第 3 行：received_at 不是有效时间：'2026-11-30 24:01'；请写成 2026-11-03 09:05 这样的时间"
    jiesu.ok("import", str(tmp_path / "x.csv"), "--skip-bad")
    assert [c["received_at"] for c in jiesu.json("list")] == ["2026-12-01T00:00:00+08:00"]


def test_a_day_report_counts_a_response_made_that_day_the_same_after_later_work(jiesu):
    """The wound-back times compare with the report's time as stored times do (SQLite keeps them
    as text: a time of the same UTC date once compared as later than it, on SQLite only)."""
    case_id = jiesu.new("路灯不亮", "--received", "2026-11-24T10:00")
    jiesu.ok("contact", case_id, "--note", "电话联系", "--at", "2026-11-24T11:00")
    before = jiesu.json("report", "daily", "--date", "2026-11-24")
    assert (before["rates"]["response"], before["open"]) == (1.0, 1)
    jiesu.ok("assign", case_id, "王网格", "--at", "2026-11-25T09:00")
    assert jiesu.json("report", "daily", "--date", "2026-11-24") == before


def test_a_case_wound_back_is_overdue_from_its_deadline_on_the_same_day(jiesu):
    case_id = jiesu.new("停水", "--urgency", "urgent", "--received", "2026-11-24T08:00")
    as_of = ("--as-of", "2026-11-24T13:00")  # 05:00Z; the deadline, hours after receipt, is the same UTC date
    assert [row["id"] for row in jiesu.json("list", "--overdue", *as_of)] == [case_id]
    jiesu.ok("assign", case_id, "王网格", "--at", "2026-11-25T09:00")
    assert [row["id"] for row in jiesu.json("list", "--overdue", *as_of)] == [case_id]


def ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


PAGES = [  # with their received per day: the printable page's days, the table's fortnight
    ("monthly", "--period", "2026-10", "--format", "html"),
    ("monthly", "--period", "2026-11", "--format", "html"),
    ("daily", "--date", "2026-11-10", "--format", "table"),
]


def test_a_receipt_corrected_into_an_earlier_month_counts_there_as_a_late_filed_case_does(jiesu):
    """An earlier tester: as-of views showed a case moved a month back with the deadlines of its old receipt.
    A receipt correction stands in every view, with the deadlines it recomputed: the case reads as filed so."""
    case_id = jiesu.new("楼道积水", "--received", "2026-11-10T09:00")
    pages = [jiesu.ok("report", *args).stdout for args in PAGES]
    jiesu.ok("edit", case_id, "--received", "2026-10-20T09:00")
    assert [jiesu.ok("report", *args).stdout for args in PAGES] != pages
    assert jiesu.json("report", "monthly", "--period", "2026-10")["received"] == 1
    assert jiesu.json("report", "monthly", "--period", "2026-11")["received"] == 0
    now = now_listed(jiesu, case_id)
    for as_of in ("2026-10-31T23:59", "2026-11-15T12:00", "now"):
        [then] = jiesu.json("list", "--all", "--as-of", as_of)
        assert (then["received_at"], then["respond_by"], then["resolve_by"]) == (now["received_at"], now["respond_by"], now["resolve_by"])
    assert now["received_at"] == "2026-10-20T09:00:00+08:00"


def test_a_receipt_corrected_into_the_month_before_is_counted_there_once(jiesu, monkeypatch):
    """Replayed from a fresh tester: a case filed on 01-04 and corrected that day to 12-30 counted in no
    month (December read the receipt as it stood at its end, January the corrected one), while a case filed
    late as received 12-15 counted in December. Work logged later still changes no past month."""
    monkeypatch.setenv("JIESU_NOW", "2027-01-04T10:00:00+08:00")
    corrected = jiesu.new("12月30日的来电", "--received", "2027-01-04T09:00")
    jiesu.ok("edit", corrected, "--received", "2026-12-30T10:00")
    late = jiesu.new("12月15日的来电", "--received", "2026-12-15T10:00")
    monkeypatch.setenv("JIESU_NOW", "2027-02-01T09:00:00+08:00")
    december = jiesu.json("report", "monthly", "--period", "2026-12")  # no step after its end: the book as it is
    january = jiesu.json("report", "monthly", "--period", "2027-01")
    assert (december["received"], december["open"], january["received"], january["open"]) == (2, 2, 0, 2)
    assert jiesu.json("report", "daily", "--date", "2026-12-30")["received"] == 1
    assert ids(jiesu.json("list", "--all", "--since", "2026-12-01", "--until", "2026-12-31")) == [corrected, late]
    assert ids(jiesu.json("list", "--all", "--as-of", "2026-12-31T23:59")) == [corrected, late]
    jiesu.ok("assign", corrected, "张网格", "--at", "2027-01-05T09:00")  # later work: December's end winds it back
    jiesu.ok("assign", late, "李网格", "--at", "2027-01-05T09:00")
    assert jiesu.json("report", "monthly", "--period", "2026-12") == december
    assert [row["status"] for row in jiesu.json("list", "--all", "--as-of", "2026-12-31T23:59")] == ["new", "new"]


def now_listed(jiesu, case_id: int) -> dict:
    return jiesu.json("show", case_id)


def test_a_receipt_corrected_out_of_a_month_leaves_that_month(jiesu):
    case_id = jiesu.new("楼道积水", "--received", "2026-10-20T09:00")
    october = jiesu.json("report", "monthly", "--period", "2026-10")
    assert (october["received"], october["open"]) == (1, 1)
    jiesu.ok("edit", case_id, "--received", "2026-11-10T09:00")
    assert [jiesu.json("report", "monthly", "--period", period)["received"] for period in ("2026-10", "2026-11")] == [0, 1]
    assert jiesu.json("list", "--all", "--as-of", "2026-10-31T23:59") == []


def test_other_fields_corrected_later_read_as_they_stood(jiesu):
    case_id = jiesu.new("暖气不热", "--received", "2026-11-10T09:00", "--category", "物业/维修", "--community", "前门社区")
    day = jiesu.json("report", "daily", "--date", "2026-11-10")
    as_of = ("--all", "--as-of", "2026-11-10T23:00")
    before = jiesu.json("list", *as_of)
    jiesu.ok("edit", case_id, "--category", "供暖/不热", "--community", "大栅栏社区", "--urgency", "紧急")
    assert jiesu.json("report", "daily", "--date", "2026-11-10") == day
    assert jiesu.json("list", *as_of) == before
    assert ids(jiesu.json("list", "--all", "--as-of", "2026-11-10T23:00", "--category", "物业")) == [case_id]
    assert jiesu.json("list", "--all", "--as-of", "2026-11-10T23:00", "--community", "大栅栏社区") == []


HOTSPOTS_AS_OF = ("hotspots", "--as-of", "2026-11-22T00:00", "--days", "30", "--min", "2")
LISTS_AS_OF = [
    ("list", "--all", "--as-of", "2026-11-22T00:00", *wanted)
    for wanted in ((), ("--search", "幸福路"), ("--community", "前门社区"), ("--category", "市政"))
]


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_hotspots_and_lists_as_of_a_past_time_never_change_when_cases_are_corrected_later(jiesu, fmt):
    """The tester's case: `edit` after T of what hotspots group by moved a case out of T's hotspots."""
    filed = [
        jiesu.new(f"下水道堵 {n}", "--community", "前门社区", "--category", "市政/下水", "--address", "幸福路1号",
                  "--phone", "13812345678", "--received", f"2026-11-{19 + n}T09:00")
        for n in range(3)
    ]
    last_winter = [  # last year's 供暖 season, for the seasonal hotspot of the coming 30 days
        jiesu.new(f"暖气不热 {n}", "--category", "供暖/暖气不热", "--received", f"2025-11-{23 + n}T09:00") for n in range(5)
    ]
    views = [HOTSPOTS_AS_OF, *LISTS_AS_OF]
    before = {view: jiesu.ok(*view, "--format", fmt).stdout for view in views}
    assert {s["kind"] for s in jiesu.json(*HOTSPOTS_AS_OF)} == {"cluster", "address", "caller", "seasonal"}
    jiesu.ok("edit", filed[0], "--community", "大栅栏社区", "--category", "园林/树木", "--address", "别处",
             "--phone", "13900000000")
    jiesu.ok("edit", last_winter[0], "--category", "物业/维修")
    for view in views:
        assert jiesu.ok(*view, "--format", fmt).stdout == before[view], view
    now = jiesu.json("hotspots", "--days", "30", "--min", "2")  # from the correction on, the case reads as corrected
    assert [(s["kind"], s["case_ids"]) for s in now] == [("cluster", filed[1:])]


@pytest.mark.parametrize("command", [["list"], ["hotspots"], ["list", "--overdue"]])
def test_a_view_as_of_a_time_still_to_come_is_refused_as_reports_are(jiesu, command):
    jiesu.new("楼道灯不亮")
    refused(jiesu(*command, "--as-of", "2030-01-01"), "2030-01-01 00:00 还没有到，只能查看过去或现在")
    assert jiesu.ok(*command, "--as-of", "now").exit_code == 0


def test_an_undo_logged_later_leaves_the_reports_of_before_it_as_they_were(jiesu, monkeypatch):
    """Replayed from a fresh tester: October's report lost its one close when November undid it."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-01T12:00:00+08:00")
    case_id = jiesu.new("咨询", "--received", "2026-10-10T09:00", "--channel", "walkin", "--nature", "咨询建议")
    jiesu.ok("close", case_id, "--result", "answered", "--note", "已答复", "--at", "2026-10-31T23:00")
    reports = [("report", "monthly", "--period", "2026-10", "-f", "json"), ("report", "monthly", "--period", "2026-10", "-f", "html"),
               ("report", "daily", "--date", "2026-10-31", "-f", "json")]
    before = [jiesu.ok(*report).stdout for report in reports]
    assert json.loads(before[0])["closed"] == 1
    jiesu.ok("undo", case_id)
    assert [jiesu.ok(*report).stdout for report in reports] == before


def test_a_closed_case_imported_later_stands_in_the_past_as_its_row_says(jiesu, tmp_path, monkeypatch):
    """Replayed from a fresh tester: read on Dec 1, a case the row closed on Nov 11 was open and
    overdue in November's report, and `new` with a closing time as of Nov 20."""
    sheet = tmp_path / "closed.csv"
    sheet.write_text(
        "ref,received_at,summary,status,closed_at,result,nature,responded_at\n"
        "G1,2026-11-10T09:00:00+08:00,楼道灯不亮,closed,2026-11-11T09:00:00+08:00,resolved,reasonable,2026-11-10T10:00:00+08:00\n",
        encoding="utf-8",
    )
    jiesu.ok("import", str(sheet))
    month = jiesu.json("report", "monthly", "--period", "2026-11")
    assert (month["open"], month["overdue"]) == (0, 0)
    [closed] = jiesu.json("list", "--all", "--as-of", "2026-11-20T12:00")
    assert (closed["status"], closed["closed_at"]) == ("closed", "2026-11-11T09:00:00+08:00")
    [still_open] = jiesu.json("list", "--all", "--as-of", "2026-11-10T12:00")
    assert (still_open["status"], still_open["closed_at"], still_open["result"]) == ("new", None, None)
    jiesu.ok("revisit", "1", "--satisfaction", "satisfied", "--resolved", "yes", "--at", "2026-11-12T10:00")  # backfilled after the import


IMPORTED_CLOSED = (
    "ref,received_at,summary,status,closed_at,result,nature,urgency,assignee,responded_at\n"
    "G1,2026-10-10T09:00:00+08:00,楼道灯不亮,closed,2026-11-11T09:00:00+08:00,resolved,reasonable,normal,,2026-10-10T10:00:00+08:00\n"
    "G2,2026-11-05T09:00:00+08:00,垃圾未清,closed,2026-11-06T09:00:00+08:00,resolved,reasonable,normal,物业,2026-11-05T10:00:00+08:00\n"
    "G3,2026-11-08T09:00:00+08:00,燃气泄漏,closed,2026-11-08T10:00:00+08:00,resolved,reasonable,urgent,,2026-11-08T09:10:00+08:00\n"
)


def test_a_case_imported_closed_is_closed_in_the_month_of_its_closed_at(jiesu, tmp_path):
    """Replayed from a fresh tester: a row imported closed counted in its month as received 1, closed 0,
    open 0: the month's closes were its close steps, and an import has none. Its row's closed_at is its close."""
    sheet = tmp_path / "closed.csv"
    sheet.write_text(IMPORTED_CLOSED, encoding="utf-8")
    jiesu.ok("import", str(sheet))
    jiesu.ok("reopen", "2", "--reason", "垃圾又堆起来了", "--at", "2026-11-20T09:00")  # closed again by steps
    jiesu.ok("visit", "2", "--note", "现场清理", "--at", "2026-11-25T09:00")
    jiesu.ok("close", "2", "--result", "resolved", "--note", "已清运", "--at", "2026-11-25T10:00")

    def figures(*report: str) -> tuple[int, int, int]:
        doc = jiesu.json("report", *report)
        return doc["received"], doc["closed"], doc["open"]

    october, november = figures("monthly", "--period", "2026-10"), figures("monthly", "--period", "2026-11")
    assert october == (1, 0, 1)  # G1 was still open at October's end
    assert november == (2, 3, 0)  # G1 on 11-11 and G3 by their rows, G2 (twice) once
    assert october[2] + november[0] == november[1] + november[2]
    assert figures("monthly", "--period", "2026-12") == (0, 0, 0)
    assert figures("daily", "--date", "2026-11-10") == (0, 0, 1)  # before G1's closed_at
    assert figures("daily", "--date", "2026-11-11") == (0, 1, 0)  # the day of it
    assert figures("daily", "--date", "2026-11-06") == (0, 1, 1)

    def g2_at(moment: str) -> tuple[str, str | None]:
        [row] = [r for r in jiesu.json("list", "--all", "--as-of", moment) if r["id"] == 2]
        return row["status"], row["closed_at"]

    assert g2_at("2026-11-10T12:00") == ("closed", "2026-11-06T09:00:00+08:00")  # its row's closing, before the reopen
    assert g2_at("2026-11-22T12:00") == ("assigned", None)  # reopened by then, to its assignee
    assert g2_at("2026-11-26T12:00") == ("closed", "2026-11-25T10:00:00+08:00")


def test_the_days_of_a_report_count_an_imported_close_on_its_day(jiesu, office, tmp_path):
    """The fortnight of the nightly report and the days of the printable page: an imported close on its
    closed_at's day, and a deadline it met not fallen overdue."""
    from jiesu import report_figures, reports

    sheet = tmp_path / "closed.csv"
    sheet.write_text(IMPORTED_CLOSED, encoding="utf-8")
    jiesu.ok("import", str(sheet))
    daily = reports.daily(office, date(2026, 11, 11))
    closed = {t.day.isoformat(): t.closed for t in daily.trend if t.closed}
    assert closed == {"2026-11-06": 1, "2026-11-08": 1, "2026-11-11": 1}
    days = report_figures.figures(office, daily.document)["days"]
    assert {d["day"]: d["closed"] for d in days if d["closed"]} == closed
    assert {d["day"]: d["overdue"] for d in days if d["overdue"]} == {}


def test_a_step_at_a_months_first_instant_is_that_months(jiesu):
    """Replayed from a fresh tester: a case closed, assigned or escalated at exactly 2026-12-01 00:00
    read closed, assigned or escalated in November's report. A month is [start, end): a step at its
    end is the next month's, as its close already was in `closed`; `list --as-of` that instant, the
    book as it stood at it, includes it."""
    at_end = ("--at", "2026-12-01T00:00")
    closed = jiesu.new("楼道灯不亮", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.ok("assign", closed, "王网格", "--at", "2026-11-20T10:00")
    jiesu.ok("contact", closed, "--note", "电话联系", "--at", "2026-11-20T11:00")
    jiesu.ok("visit", closed, "--note", "上门", "--at", "2026-11-21T09:00")
    jiesu.ok("close", closed, "--result", "resolved", "--note", "已修好", *at_end)
    assigned = jiesu.new("垃圾未清", "--nature", "合理诉求", "--received", "2026-11-25T09:00")
    jiesu.ok("assign", assigned, "李网格", *at_end)
    escalated = jiesu.new("路灯不亮", "--nature", "合理诉求", "--received", "2026-11-02T09:00")
    jiesu.ok("assign", escalated, "赵网格", "--at", "2026-11-02T10:00")
    for _ in range(2):
        jiesu.ok("escalate", escalated, "--reason", "需上级协调", "--at", "2026-11-03T09:00")
    jiesu.ok("escalate", escalated, "--reason", "需市级协调", *at_end)

    november = jiesu.json("report", "monthly", "--period", "2026-11")
    assert (november["closed"], november["open"]) == (0, 3)
    assert {row["name"]: row["open"] for row in november["by_assignee"]} == {"王网格": 1, "赵网格": 1, None: 1}
    assert [due["id"] for due in november["due_escalation"]] == [escalated]  # at 区 then, overdue
    day = jiesu.json("report", "daily", "--date", "2026-11-30")
    assert (day["open"], [due["id"] for due in day["due_escalation"]]) == (3, [escalated])
    december = jiesu.json("report", "monthly", "--period", "2026-12")
    assert (december["closed"], december["open"]) == (1, 2)
    assert {row["name"]: row["open"] for row in december["by_assignee"]} == {"李网格": 1, "赵网格": 1}
    assert december["due_escalation"] == []  # at 市 now
    at_that_instant = {row["id"]: row for row in jiesu.json("list", "--all", "--as-of", "2026-12-01T00:00")}
    assert at_that_instant[closed]["status"] == "closed"
    assert at_that_instant[assigned]["assignee"] == "李网格"
    assert at_that_instant[escalated]["level"] == "city"


def test_a_case_imported_closed_with_an_assignee_was_with_them_until_its_closing(jiesu, tmp_path):
    """Replayed from a fresh tester: as of a time before its row's closed_at, a case imported closed
    read 待派单 (its import records the status from new), though the row names who handled it."""
    sheet = tmp_path / "closed.csv"
    sheet.write_text(IMPORTED_CLOSED, encoding="utf-8")
    jiesu.ok("import", str(sheet))
    before_closing = {row["id"]: row for row in jiesu.json("list", "--all", "--as-of", "2026-11-05T12:00")}
    assert (before_closing[2]["status"], before_closing[2]["assignee"]) == ("assigned", "物业")
    assert before_closing[1]["status"] == "new"  # no assignee in its row
    october = jiesu.json("report", "monthly", "--period", "2026-10")
    assert [(row["name"], row["open"]) for row in october["by_assignee"]] == [(None, 1)]
    day = jiesu.json("report", "daily", "--date", "2026-11-05")
    assert {row["name"]: row["open"] for row in day["by_assignee"]} == {None: 1, "物业": 1}
    assert jiesu.json("list", "--status", "assigned", "--as-of", "2026-11-05T12:00")[0]["id"] == 2
