"""Reports: 三率 computed by hand, hotspots at their thresholds, the nightly report for cron, the demo."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiesu import cases, reports
from jiesu.cases import Draft
from jiesu.rules import RateCounts, make_rules, rates
from jiesu.vocab import Nature, Result, Satisfaction
from tests.conftest import refused

BJ = ZoneInfo("Asia/Shanghai")
DAILY_KEYS = {
    "date", "received", "closed", "revisited", "open", "overdue", "overdue_cases", "due_escalation",
    "rates", "by_category", "by_assignee", "ledger", "hotspots",
}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BJ)


def test_rates_formula_by_hand():
    counts = RateCounts(responded_in_time=3, response_due=4, revisited=4, resolved=3, satisfied=2, basic=1)
    got = rates(counts, make_rules())
    assert got["response"] == 0.75 and got["resolution"] == 0.75 and got["satisfaction"] == 0.75
    assert got["score"] == pytest.approx(0.75)
    half_basic = rates(counts, make_rules({"rates.basic_weight": 0.5}))
    assert half_basic["satisfaction"] == pytest.approx(2.5 / 4)
    assert half_basic["score"] == pytest.approx(0.10 * 0.75 + 0.45 * 0.75 + 0.45 * 0.625)


def test_empty_denominators_are_null_and_score_uses_what_exists():
    assert rates(RateCounts(), make_rules()) == {"response": None, "resolution": None, "satisfaction": None, "score": None}
    only_response = rates(RateCounts(responded_in_time=1, response_due=2), make_rules())
    assert only_response == {"response": 0.5, "resolution": None, "satisfaction": None, "score": 0.5}


def closed_and_revisited(office, summary, nature, received, satisfaction, resolved, *, contacted=None, **fields):
    case = cases.file_case(office, Draft(summary, nature=nature, received_at=received, **fields))
    if contacted:
        cases.contact(office, case.id, at=contacted)
    cases.visit(office, case.id, "上门", at=received + timedelta(hours=2))
    result = {Nature.REASONABLE: Result.RESOLVED, Nature.UNREASONABLE: Result.EXPLAINED, Nature.CONSULT: Result.ANSWERED}[nature]
    closed = max(received + timedelta(hours=3), contacted or received)  # a late contact before the close, not on a closed case
    cases.close(office, case.id, result, "办结", at=closed)
    if satisfaction:
        cases.revisit(office, case.id, satisfaction, resolved, at=closed + timedelta(hours=2))
    return case.id


def test_monthly_rates_on_a_hand_built_book(office):
    office.now = at(2026, 11, 20, 12)
    # October: outside the November cohort.
    closed_and_revisited(office, "十月", Nature.REASONABLE, at(2026, 10, 31, 23), Satisfaction.UNSATISFIED, True)
    # November cohort.
    closed_and_revisited(office, "按时响应满意", Nature.REASONABLE, at(2026, 11, 2, 9), Satisfaction.SATISFIED, True,
                         contacted=at(2026, 11, 2, 10), community="前门社区")
    closed_and_revisited(office, "迟响应基本满意", Nature.REASONABLE, at(2026, 11, 3, 9), Satisfaction.BASIC, True,
                         contacted=at(2026, 11, 5, 9), community="前门社区")
    closed_and_revisited(office, "咨询不满意", Nature.CONSULT, at(2026, 11, 4, 9), Satisfaction.UNSATISFIED, False,
                         community="草厂社区")
    closed_and_revisited(office, "不合理不满意", Nature.UNREASONABLE, at(2026, 11, 5, 9), Satisfaction.UNSATISFIED, False,
                         contacted=at(2026, 11, 5, 9, 30))
    waiting = cases.file_case(office, Draft("尚未到响应时限", received_at=at(2026, 11, 20, 11)))
    merged = cases.file_case(office, Draft("重复", received_at=at(2026, 11, 20, 10)))  # the same day: the same 办理时限, kept by the merge
    cases.merge(office, merged.id, waiting.id, at=at(2026, 11, 20, 11, 30))

    doc = reports.monthly(office, "2026-11")
    # response: contacted in time {按时, 不合理} / due-or-contacted {按时, 迟, 咨询, 不合理}; merged and the
    # case still inside its 24 hours do not count.
    # resolution/satisfaction exclude the unreasonable case: revisited {按时, 迟, 咨询}.
    assert doc["rates"]["response"] == 0.5
    assert doc["rates"]["resolution"] == round(2 / 3, 4)
    assert doc["rates"]["satisfaction"] == round(2 / 3, 4)
    assert doc["rates"]["score"] == round(0.10 * 0.5 + 0.45 * 2 / 3 + 0.45 * 2 / 3, 4)
    by_community = {row["name"]: row for row in doc["rates_by_community"]}
    assert by_community["前门社区"]["resolution"] == 1.0 and by_community["前门社区"]["response"] == 0.5
    assert by_community["草厂社区"]["satisfaction"] == 0.0

    office.rules = make_rules({"rates.include_unreasonable": True})
    counted = reports.monthly(office, "2026-11")
    assert counted["rates"]["resolution"] == 0.5 and counted["rates"]["satisfaction"] == 0.5

    # The October case was revisited on November 1st: October's report, as of its end, has no revisit yet.
    october = reports.monthly(office, "2026-10")
    assert october["received"] == 1 and october["rates"]["satisfaction"] is None


def test_latest_revisit_decides(office):
    office.now = at(2026, 11, 20, 12)
    case_id = closed_and_revisited(office, "先不满意后满意", Nature.REASONABLE, at(2026, 11, 2, 9), Satisfaction.UNSATISFIED, False)
    cases.visit(office, case_id, "再上门", at=at(2026, 11, 3, 9))
    cases.close(office, case_id, Result.RESOLVED, "再办结", at=at(2026, 11, 3, 10))
    cases.revisit(office, case_id, Satisfaction.SATISFIED, True, at=at(2026, 11, 4, 10))
    assert reports.monthly(office, "2026-11")["rates"]["resolution"] == 1.0


def file_many(office, n, when, **fields):
    return [cases.file_case(office, Draft("停车难", received_at=when + timedelta(minutes=i), **fields)).id for i in range(n)]


def test_cluster_hotspot_at_the_threshold_and_not_below(office):
    office.now = at(2026, 11, 20, 12)
    ids = file_many(office, 5, at(2026, 11, 19, 8), community="观澜时代社区", category="交通/停车")
    file_many(office, 4, at(2026, 11, 19, 8), community="前门社区", category="交通/停车")
    found = reports.hotspots(office, days=7, min_cases=5)
    clusters = [h for h in found if h["kind"] == "cluster"]
    assert len(clusters) == 1
    assert clusters[0]["community"] == "观澜时代社区" and clusters[0]["category"] == "交通/停车"
    assert clusters[0]["count"] == 5 and clusters[0]["case_ids"] == ids
    assert clusters[0]["first_at"] == "2026-11-19T08:00:00+08:00" and clusters[0]["last_at"] == "2026-11-19T08:04:00+08:00"
    assert reports.hotspots(office, days=7, min_cases=6) == []
    office.now = at(2026, 11, 27, 9)  # a week on, the cluster has left the window
    assert reports.hotspots(office, days=7, min_cases=5) == []


def test_address_and_caller_hotspots(office):
    office.now = at(2026, 11, 20, 12)
    file_many(office, 3, at(2026, 11, 18, 8), address="草厂三条12号院", category="违建")
    file_many(office, 2, at(2026, 11, 18, 9), address="鲜鱼口街1号", category="噪音")
    file_many(office, 3, at(2026, 11, 18, 10), phone="13812345678", category="噪音", community="大栅栏社区")
    file_many(office, 2, at(2026, 11, 18, 11), phone="13900001111", category="噪音")
    found = {h["kind"]: h for h in reports.hotspots(office, days=7, min_cases=10)}
    assert set(found) == {"address", "caller"}
    assert found["address"]["address"] == "草厂三条12号院" and found["address"]["count"] == 3
    assert found["caller"]["count"] == 3 and found["caller"]["community"] == "大栅栏社区"


def test_address_and_cluster_hotspots_group_spellings_of_one_place(office):
    office.now = at(2026, 11, 20, 12)
    for hour, address, category in ((8, "草厂三条12号院", "违建"), (9, "草厂三条１２号院", "违建"), (10, "草厂三条 12号院", "違建")):
        file_many(office, 1, at(2026, 11, 18, hour), address=address, category=category, community="前门社区")
    found = {h["kind"]: h for h in reports.hotspots(office, days=7, min_cases=3)}
    assert found["address"]["count"] == 3 and found["address"]["case_ids"] == [1, 2, 3]
    assert found["address"]["address"] in ("草厂三条12号院", "草厂三条１２号院", "草厂三条 12号院")
    assert found["cluster"]["count"] == 3 and found["cluster"]["category"] in ("违建", "違建")


def test_seasonal_hotspot_returns_every_year(office):
    office.now = at(2026, 11, 1, 9)
    for year in (2024, 2025):
        file_many(office, 5, at(year, 11, 10, 9), category="供暖/不热")
        file_many(office, 5, at(year, 7, 10, 9), category="漏雨")
    file_many(office, 5, at(2025, 11, 12, 9), category="噪音")
    file_many(office, 4, at(2024, 11, 12, 9), category="噪音")
    seasonal = [h for h in reports.hotspots(office) if h["kind"] == "seasonal"]
    assert [(h["category"], h["count"]) for h in seasonal] == [("供暖/不热", 10)]
    office.now = at(2026, 7, 1, 9)
    assert [h["category"] for h in reports.hotspots(office) if h["kind"] == "seasonal"] == ["漏雨"]


def test_daily_report_counts_the_day(office):
    office.now = at(2026, 11, 20, 23)
    closed_and_revisited(office, "当天办结", Nature.REASONABLE, at(2026, 11, 20, 9), Satisfaction.SATISFIED, True)
    cases.file_case(office, Draft("前一天", received_at=at(2026, 11, 19, 9)))
    late = cases.file_case(office, Draft("紧急停水", urgency="urgent", received_at=at(2026, 11, 20, 8), category="供水"))
    doc = reports.daily(office, date(2026, 11, 20)).document
    assert DAILY_KEYS <= set(doc)
    assert (doc["received"], doc["closed"], doc["revisited"], doc["open"]) == (2, 1, 1, 2)
    assert doc["overdue_cases"] == [late.id] and doc["overdue"] == 1
    assert doc["due_escalation"] == [{"id": late.id, "reasons": ["overdue"]}]
    earlier = reports.daily(office, date(2026, 11, 19)).document
    assert (earlier["received"], earlier["closed"], earlier["open"], earlier["overdue"]) == (1, 0, 1, 0)


def test_report_daily_cli_json_and_fail_on_overdue(jiesu):
    jiesu.new("一般", "--received", "-1h")
    ok = jiesu("report", "daily", "--format", "json", "--fail-on-overdue")
    assert ok.exit_code == 0
    doc = json.loads(ok.stdout)
    assert DAILY_KEYS <= set(doc) and set(doc["rates"]) == {"response", "resolution", "satisfaction", "score"}
    jiesu.new("紧急", "--urgency", "紧急", "--received", "-3h")
    failing = jiesu("report", "daily", "--format", "json", "--fail-on-overdue")
    assert failing.exit_code == 3
    assert json.loads(failing.stdout)["overdue"] == 1
    assert failing.stderr == "有 1 件诉求超期\n"
    assert jiesu("report", "daily", "--format", "json").exit_code == 0


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_report_formats(jiesu, fmt):
    jiesu.new("楼道灯不亮", "--category", "物业管理/照明", "--received", "-1h")
    out = jiesu.ok("report", "daily", "--format", fmt).stdout
    if fmt == "csv":
        assert out.splitlines()[0] == "\ufeffkey,value" and "rates.response," in out and "by_category.0.name,物业管理/照明" in out
    else:
        assert "受理 1" in out and "物业管理/照明" in out
    assert ("近 14 天" in out) == (fmt == "table")


def test_report_monthly_cli(jiesu):
    jiesu.new("十一月", "--received", "2026-11-02T00:00")
    doc = json.loads(jiesu.ok("report", "monthly", "--period", "2026-11", "--format", "json").stdout)
    assert doc["period"] == "2026-11" and doc["received"] == 1
    assert doc["ledger_balance"] == {"period": "2026-11", "opening": 0, "added": 0, "cleared": 0, "closing": 0}
    assert {"rates_by_community", "rates_by_assignee"} <= set(doc)
    refused = jiesu("report", "monthly", "--period", "2099-01")
    assert refused.exit_code == 1 and refused.stderr == "错误: 2099-01 还没有到，不能出月报\n"


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_the_monthly_rates_tables_name_their_first_column(jiesu, fmt):
    case_id = jiesu.new("楼道灯不亮", "--community", "前门社区", "--nature", "合理诉求", "--received", "2026-11-02T09:00")
    jiesu.ok("assign", case_id, "物业公司", "--at", "2026-11-02T10:00")
    jiesu.ok("visit", case_id, "--note", "上门", "--at", "2026-11-02T11:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "已修好", "--at", "2026-11-02T12:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-11-03T10:00")
    out = jiesu.ok("report", "monthly", "--period", "2026-11", "--format", fmt).stdout
    if fmt == "html":
        headers = re.findall(r"<thead><tr>(.*?)</tr></thead>", out, re.S)
        assert headers and all(not row.startswith("<th></th>") for row in headers)
        return
    lines = out.splitlines()
    for title, label, name in (("三率·按社区", "社区", "前门社区"), ("三率·按承办", "承办", "物业公司")):
        header = next(line for line in lines[lines.index(next(line for line in lines if title in line)) + 1:] if "响应率" in line)
        assert header.replace("┃", "|").split("|")[1 if fmt == "markdown" else 0].strip() == label, header
        assert name in out


def test_hotspots_cli(jiesu):
    for n in range(5):
        jiesu.new("停车难", "--community", "观澜时代社区", "--category", "交通/停车", "--received", f"-{n + 1}h")
    found = jiesu.json("hotspots", "--days", "1", "--min", "5")
    assert [(h["kind"], h["count"], h["case_ids"]) for h in found] == [("cluster", 5, [1, 2, 3, 4, 5])]
    assert jiesu.json("hotspots", "--days", "1", "--min", "6") == []


def test_a_hotspot_of_cases_without_a_category_says_null(jiesu):
    """A fresh tester: an address hotspot of cases filed with no category said `"category": ""`."""
    for n in range(3):
        jiesu.new("楼道堆物", "--address", "草厂三条12号院", "--received", f"-{n + 1}h")
    found = jiesu.json("hotspots", "--days", "1", "--min", "5")
    assert [(h["kind"], h["category"], h["address"]) for h in found] == [("address", None, "草厂三条12号院")]


@pytest.mark.parametrize("now", ["2026-12-01T07:00:00+08:00", "2026-12-15T12:00:00+08:00", "2026-12-31T23:50:00+08:00"])
def test_demo_shows_the_whole_tool(jiesu, tmp_path, monkeypatch, now):
    monkeypatch.setenv("JIESU_NOW", now)
    path = tmp_path / "demo.db"
    result = jiesu.ok("demo", "--db", str(path), "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["received"] > 0 and doc["open"] > 0
    assert doc["date"] == now[:10]
    # The demo's last revisit is three days before now: that month has every rate.
    month = (datetime.fromisoformat(now) - timedelta(days=3)).strftime("%Y-%m")
    rates = jiesu.json("--db", str(path), "report", "monthly", "--period", month)["rates"]
    assert all(rates[k] and rates[k] > 0 for k in ("response", "resolution", "satisfaction", "score"))
    assert any(h["kind"] == "cluster" and h["count"] >= 30 for h in doc["hotspots"])
    assert doc["ledger"]["open"] == 2
    reopened = [c for c in jiesu.json("--db", str(path), "list", "--all") if c["reopen_count"] >= 2]
    assert reopened and reopened[0]["status"] == "revisited"
    assert "演示案卷" in result.stderr
    table = jiesu.ok("demo", "--db", str(tmp_path / "again.db")).stdout
    assert "三率" in table and "未诉先办" in table and "近 14 天" in table


def test_rates_by_assignee_list_the_unassigned_first_then_the_names_on_either_backend(jiesu):
    """SQLite sorts NULL first, PostgreSQL last: the order is jiesu's, not the database's."""
    for assignee in ("王网格", None, "Zhang", "李网格"):
        case_id = jiesu.new("路灯不亮", "--received", "2026-11-20T09:00")
        if assignee:
            jiesu.ok("assign", case_id, assignee, "--at", "2026-11-20T10:00")
    report = jiesu.json("report", "monthly", "--period", "2026-11")
    assert [row["name"] for row in report["rates_by_assignee"]] == [None, "Zhang", "李网格", "王网格"]


def by_assignee(report: dict) -> dict:
    return {row["name"]: (row["received"], row["open"], row["overdue"]) for row in report["by_assignee"]}


def test_a_ledgered_case_is_counted_under_its_unit_as_list_and_todo_give_it(jiesu, monkeypatch):
    """Replayed from a fresh tester: list --assignee and todo gave a 挂账整改 case to its 责任单位, while the
    report's 按承办 counted it under none (（未填）). A past month counts it under the unit it had then."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T10:00:00+08:00")
    water = jiesu.new("水压不足", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.ok("assign", water, "张网格", "--at", "2026-11-20T10:00")
    jiesu.ok("ledger", "add", water, "--plan", "换管", "--unit", "街道城管科", "--due", "2026-11-25", "--at", "2026-11-21T11:00")
    lamp = jiesu.new("路灯不亮", "--nature", "合理诉求", "--received", "2026-11-22T09:00")
    jiesu.ok("assign", lamp, "李网格", "--at", "2026-11-22T10:00")
    jiesu.ok("ledger", "add", lamp, "--plan", "换灯", "--unit", "物业", "--due", "2026-12-31", "--at", "2026-12-01T11:00")
    jiesu.ok("ledger", "edit", "1", "--unit", "区住建委", "--reason", "录错")
    assert [row["id"] for row in jiesu.json("list", "--assignee", "区住建委")] == [water]
    assert by_assignee(jiesu.json("report", "daily")) == {"区住建委": (0, 1, 1), "物业": (0, 1, 0)}
    november = jiesu.json("report", "monthly", "--period", "2026-11")
    assert by_assignee(november) == {"街道城管科": (1, 1, 1), "李网格": (1, 1, 0)}
    assert [row["name"] for row in november["rates_by_assignee"]] == ["李网格", "街道城管科"]
    assert [row["name"] for row in jiesu.json("report", "monthly")["rates_by_assignee"]] == []


def test_an_empty_group_is_null_in_every_grouping_of_the_report(jiesu):
    """A category is held as '', an assignee, community as NULL: a script reading the report tests one absence."""
    jiesu.new("路灯不亮", "--received", "2026-11-20T09:00")
    report = jiesu.json("report", "monthly", "--period", "2026-11")
    for key in ("by_category", "by_assignee", "rates_by_community", "rates_by_assignee"):
        assert [row["name"] for row in report[key]] == [None], key


@pytest.mark.parametrize(
    ("now", "period"),
    [
        ("2026-11-30T23:59:59+08:00", "2026-11"),
        ("2026-12-01T00:00:00+08:00", "2026-11"),  # the month just ended, as of its end
        ("2026-12-01T00:00:00.5+08:00", "2026-11"),  # jiesu keeps time to the second: still 00:00:00
        ("2026-12-01T00:00:01+08:00", "2026-12"),
    ],
)
def test_the_monthly_reports_default_month_at_the_turn_of_a_month(jiesu, monkeypatch, now, period):
    jiesu.new("楼道积水", "--received", "2026-11-20T09:00")
    monkeypatch.setenv("JIESU_NOW", now)
    report = jiesu.json("report", "monthly")
    assert report["period"] == period
    assert report == jiesu.json("report", "monthly", "--period", period)


@pytest.mark.parametrize(
    ("now", "day", "received"),
    [
        ("2026-11-30T23:59:59+08:00", "2026-11-30", 1),
        ("2026-12-01T00:00:00+08:00", "2026-11-30", 1),  # the day just ended, as of its 24:00, as the month's report does
        ("2026-12-01T00:00:00.5+08:00", "2026-11-30", 1),
        ("2026-12-01T00:00:01+08:00", "2026-12-01", 0),
    ],
)
def test_the_daily_reports_default_day_at_midnight_is_the_day_just_ended(jiesu, monkeypatch, now, day, received):
    """The tester's case: a nightly job started at 00:00 reported the new day, still empty."""
    jiesu.new("楼道积水", "--received", "2026-11-30T09:00")
    monkeypatch.setenv("JIESU_NOW", now)
    report = jiesu.json("report", "daily")
    assert (report["date"], report["received"]) == (day, received)
    assert report == jiesu.json("report", "daily", "--date", day)


@pytest.mark.parametrize(("name", "starts"), [("日报.json", "{"), ("日报.csv", "\ufeffkey,value"), ("日报.md", "# 日报"), ("日报.html", "<!DOCTYPE html>")])
def test_a_report_file_is_written_in_the_format_its_name_asks_for(jiesu, tmp_path, name, starts):
    jiesu.new("楼道灯不亮")
    jiesu.ok("report", "daily", "--out", str(tmp_path / name))
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(starts)


@pytest.mark.parametrize("report", ["daily", "monthly"])
def test_a_csv_report_starts_with_a_bom_for_excel_unless_asked_not_to(jiesu, tmp_path, report):
    """A fresh tester: the ledger's and the cases' CSV had a BOM, a report's not, so Excel on a Chinese
    Windows showed its community and category names garbled."""
    jiesu.new("楼道灯不亮", "--community", "前门社区")
    jiesu.ok("report", report, "--out", str(tmp_path / "报告.csv"))
    assert (tmp_path / "报告.csv").read_bytes().startswith(b"\xef\xbb\xbfkey,value")
    assert jiesu.ok("report", report, "--format", "csv").stdout.startswith("\ufeffkey,value")
    assert jiesu.ok("report", report, "--format", "csv", "--no-bom").stdout.startswith("key,value")
    assert jiesu.ok("report", report, "--format", "json").stdout.startswith("{")


def test_a_report_file_named_for_a_format_reports_lack_is_a_usage_error(jiesu, tmp_path):
    result = jiesu("report", "daily", "--out", str(tmp_path / "日报.xlsx"))
    assert result.exit_code == 2 and ".xlsx 格式的报告" in result.stderr, result.output
    assert not (tmp_path / "日报.xlsx").exists()


@pytest.mark.parametrize(("fmt", "name", "line"), [
    ("csv", "日报.json", "日报.json：.json 文件不能写成 csv；csv 的文件名用 .csv、.txt"),
    ("html", "日报.pdf", "日报.pdf：.pdf 文件不能写成 html；html 的文件名用 .html、.htm"),
    ("json", "日报.xlsx", "日报.xlsx：.xlsx 文件不能写成 json；json 的文件名用 .json、.txt"),
    ("table", "日报.md", "日报.md：.md 文件不能写成 table；table 的文件名用 .txt"),
    ("html", "日报.txt", "日报.txt：.txt 文件不能写成 html；html 的文件名用 .html、.htm"),
])
@pytest.mark.parametrize("report", ["daily", "monthly"])
def test_a_report_file_named_for_another_format_than_format_is_a_usage_error(jiesu, tmp_path, monkeypatch, report, fmt, name, line):
    """`report daily --format csv --out r.json` wrote CSV into a .json file, `--format html --out r.pdf` a page into a .pdf."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JIESU_DB", str(tmp_path / "还没有.db"))
    refused(jiesu("report", report, "--format", fmt, "--out", name), line, code=2)
    assert list(tmp_path.iterdir()) == []  # neither the file nor the book


@pytest.mark.parametrize(("fmt", "starts"), [("table", "日报 2026-12-01"), ("csv", "\ufeffkey,value"), ("markdown", "# 日报"), ("json", "{")])
def test_a_txt_report_file_holds_any_plain_text_format(jiesu, tmp_path, fmt, starts):
    jiesu.new("楼道灯不亮")
    jiesu.ok("report", "daily", "--format", fmt, "--out", str(tmp_path / "日报.txt"))
    assert (tmp_path / "日报.txt").read_text(encoding="utf-8").startswith(starts)


@pytest.mark.parametrize("kind", ["daily", "monthly"])
def test_a_report_keeps_each_label_with_its_figure_at_every_width(jiesu, monkeypatch, kind):
    # A fresh tester at 40 columns: `超期` ended one line of the summary and its `0` began the next.
    case = jiesu.new("楼道灯不亮", "--nature", "合理诉求", "--received", "-2h")
    jiesu.ok("ledger", "add", case, "--plan", "修", "--unit", "物业")
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = jiesu.ok("report", kind, "--format", "table").stdout.splitlines()
        split = [pair for pair in zip(lines, lines[1:]) if re.search(r"[\u3400-\u9fff]\s*$", pair[0]) and re.match(r"[\d—]", pair[1])]
        assert not split, (width, split)
        assert all(any(pair in line for line in lines) for pair in ("受理 1", "超期 0", "应升级 0", "在账 1 条")), (width, lines)
        # A fresh tester: the ledger's balance ended a line with its sign, `期初 0 + 新增 1 -`, and began the next with `销账 0`.
        assert not [line for line in lines if re.search(r" [-+=]\s*$", line)], (width, lines)


@pytest.mark.parametrize("kind", ["daily", "monthly"])
def test_a_report_keeps_each_case_due_for_escalation_whole_at_every_width(jiesu, monkeypatch, kind):
    # A fresh tester at 40 and 56 columns: the 应升级 list broke inside its items, `#4（超` on one line and `期）` on the next.
    ids = [jiesu.new(f"楼道灯不亮 {n}", "--received", f"-{n + 15}d") for n in range(8)]
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = jiesu.ok("report", kind, "--format", "table").stdout.splitlines()
        assert all(any(f"#{case}（超期）" in line for line in lines) for case in ids), (width, lines)
        assert not [line for line in lines if line.startswith(("期）", "）", "、"))], (width, lines)


def test_the_daily_hotspot_table_drops_whole_columns_and_cuts_none_with_room_to_spare(jiesu, monkeypatch):
    # A fresh tester at 40–80 columns: the kind and count columns went but left their borders
    # (`┃ 地点 ┃ 类别 ┃┃ 诉求`), and the category was cut to `环 …` at 80 while the ids had room.
    from rich.cells import cell_len

    for n in range(12):
        jiesu.new("楼下餐馆油烟扰民", "--community", "观澜时代社区", "--category", "环境/油烟", "--received", f"-{n + 1}h")
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = jiesu.ok("report", "daily", "--format", "table").stdout.splitlines()
        table = lines[lines.index(next(line for line in lines if line.startswith("未诉先办·热点"))) + 1 :]
        table = table[: table.index("")]
        assert max(cell_len(line) for line in table) <= width, (width, table)
        labels = [label.strip() for label in table[0].split("┃")]
        assert "" not in labels and {"地点", "诉求"} <= set(labels), (width, table)
        row = dict(zip(labels, (text.strip() for text in table[2].split("│"))))
        place = row["地点"]  # cut, at the narrowest, to keep the kind and the count
        assert (place == "观澜时代社区" or "观澜时代社区".startswith(place[:-1]) and place.endswith("…")) and row["诉求"].startswith("#1 #2"), (width, table)
        # The category is cut only to free text's minimum, and only while the ids are at theirs; narrower, it is left out.
        assert row.get("类别") in ("环境/油烟", None) or (row["类别"] == "环境/油…" and row["诉求"] == "#1 #2 …"), (width, table)


def _tables(lines: list[str], title: str) -> list[tuple[list[str], list[dict[str, str]], list[str]]]:
    """Each table of a report's screen whose title holds `title`: its header labels, its rows by label,
    and the columns its last line says it left out (`（屏幕太窄，略去：类别）`, folded or not)."""
    found = []
    for at in (n for n, line in enumerate(lines) if line.startswith(title)):
        table = lines[at + 1 :]
        table = table[: table.index("")] if "" in table else table
        noted = next((n for n, line in enumerate(table) if line.startswith("（屏幕太窄，略去：")), len(table))
        note = "".join(table[noted:])
        left_out = note.removeprefix("（屏幕太窄，略去：").removesuffix("）").split("、") if note else []
        labels = [label.strip() for label in table[0].split("┃")]
        rows = [dict(zip(labels, (text.strip() for text in line.split("│")))) for line in table[2:noted]]
        found.append((labels, rows, left_out))
    return found


def test_a_narrow_hotspot_table_keeps_the_count_and_what_a_row_is_and_names_what_it_left_out(jiesu, monkeypatch):
    # A fresh tester below 60 columns: the kind and the count went first, so the 一人多诉 row lost its count
    # (and its kind: its place and category are `—`), and nothing said columns were missing.
    for n in range(3):
        jiesu.new(f"又来电 {n}", "--phone", "13812345678", "--received", f"-{n + 1}h")
    for n in range(5):
        jiesu.new("楼下餐馆油烟扰民", "--community", "观澜时代社区", "--category", "环境/油烟", "--received", f"-{n + 1}h")
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        [(labels, rows, left_out)] = _tables(jiesu.ok("report", "daily", "--format", "table").stdout.splitlines(), "未诉先办·热点")
        assert {"类型", "地点", "件数", "诉求"} <= set(labels), (width, labels)
        assert sorted(labels + left_out) == sorted(["类型", "地点", "类别", "件数", "诉求"]), (width, labels, left_out)
        caller = next(row for row in rows if row["类型"] == "一人多诉")
        assert caller["件数"] == "3" and caller["诉求"] == "#1 #2 #3", (width, rows)


def test_a_narrow_rates_table_keeps_the_score_and_names_what_it_left_out(jiesu, monkeypatch):
    # A fresh tester at 40 columns: the monthly 三率 tables left out 综合得分, and said nothing.
    case = jiesu.new("楼道灯不亮", "--community", "观澜时代社区", "--nature", "合理诉求", "--received", "2026-11-02T09:00")
    jiesu.ok("assign", case, "物业公司", "--at", "2026-11-02T10:00")
    every = ["社区", "响应率", "解决率", "满意率", "综合得分"]
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        tables = _tables(jiesu.ok("report", "monthly", "--period", "2026-11", "--format", "table").stdout.splitlines(), "三率·")
        assert len(tables) == 2
        for labels, rows, left_out in tables:
            assert "综合得分" in labels and rows[0]["综合得分"] == rows[0]["综合得分"].strip() != "", (width, labels)
            assert sorted(labels[1:] + left_out) == sorted(every[1:]), (width, labels, left_out)
            assert set(left_out) == set(["响应率", "满意率", "解决率"][: len(left_out)]), (width, left_out)  # the lightest in the score first
        if width == 40:
            assert tables[0][2] and tables[1][2], tables  # the case's own: names that leave a rate out


def test_a_narrow_category_table_keeps_overdue_last(jiesu, monkeypatch):
    # A fresh tester at 30 columns: 按类别 and 按承办 left out 超期, the figure a worker acts on, before 当期受理.
    case = jiesu.new("楼下餐馆油烟扰民", "--category", "环境/油烟", "--received", "2026-11-20T09:00")
    jiesu.ok("assign", case, "观澜时代社区物业服务中心", "--at", "2026-11-20T10:00")
    seen = set()
    for width in range(24, 61):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = jiesu.ok("report", "daily", "--format", "table").stdout.splitlines()
        for title in ("按类别", "按承办"):
            [(labels, rows, left_out)] = _tables(lines, title)
            seen.update(left_out)
            assert "超期" in labels or {"当期受理", "在办"} <= set(left_out), (width, labels, left_out)
    assert seen, "no width left a column out: the test says nothing"


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-11-03 24:00", "2026-11-03"),  # replayed from a fresh tester: it reported 11-04
        ("2026-11-03", "2026-11-03"),
        ("2026-11-03 09:00", "2026-11-03"),
        ("2026-11-04 00:00", "2026-11-03"),  # 00:00 sharp is the day just ended, as the default at midnight
        ("yesterday", "2026-11-30"),
    ],
)
def test_a_daily_reports_date_is_the_day_a_moment_falls_in_and_24_00_ends(jiesu, monkeypatch, typed, day):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    assert jiesu.json("report", "daily", "--date", typed)["date"] == day
