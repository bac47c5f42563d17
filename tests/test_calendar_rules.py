"""Issue 13: years beyond the official calendar, and how periods of days are counted (民法典 §201–203)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiesu.rules import Calendar, deadlines, make_rules
from tests.conftest import refused

BJ = ZoneInfo("Asia/Shanghai")
CLOCK_TIME = {"deadlines.period_end": "same_time", "deadlines.rest_day_receipt": "as_received"}


def bj(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BJ)


# ---------------------------------------------------------------- years chinesecalendar does not cover


@pytest.mark.parametrize(
    "overrides, resolve_by",
    [({}, bj(2027, 1, 8, 0)), (CLOCK_TIME, bj(2027, 1, 7, 10))],
)
def test_new_year_2027_is_not_a_working_day(overrides, resolve_by):
    chosen = make_rules(overrides)
    calendar = Calendar(chosen)
    # 12-29, 12-30, 12-31, (元旦 01-01, weekend), 01-04 … 01-07: the 7th working day is 01-07.
    assert deadlines(bj(2026, 12, 28, 10), "general", chosen, calendar)[1] == resolve_by
    assert calendar.fallback_years == {2027}


@pytest.mark.parametrize(
    "day, rest",
    [
        ("2026-10-03", "法定节假日"),  # a Saturday inside 国庆: the notice names it
        ("2026-10-10", None),  # a make-up workday
        ("2026-12-12", "休息日"),
        ("2026-12-14", None),
        ("2027-01-01", "法定节假日"),  # 元旦, from the statutory days (chinesecalendar lacks 2027)
        ("2027-01-02", "休息日"),
        ("2026-12-15", "法定节假日"),  # the office's own holiday
    ],
)
def test_a_rest_day_is_named_a_holiday_or_a_weekend(day, rest):
    calendar = Calendar(make_rules({"calendar.holidays": ["2026-12-15"]}))
    assert calendar.rest_day(datetime.fromisoformat(day).date()) == rest


def test_the_rules_file_lists_override_a_covered_year():
    chosen = make_rules(CLOCK_TIME | {"calendar.workdays": ["2026-10-06", "2026-10-07"], "calendar.holidays": ["2026-10-12"]})
    # 国庆 2026 as published: 10-08, 10-09, 10-10 (make-up), 10-12 … 10-15; the office works 10-06 and 10-07 and rests 10-12.
    assert deadlines(bj(2026, 9, 30, 10), "general", chosen, Calendar(chosen))[1] == bj(2026, 10, 14, 10)


def test_cli_warns_that_make_up_days_are_unknown_and_check_names_the_year(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-28T12:00:00+08:00")
    result = jiesu.ok("new", "楼道灯不亮", "--received", "2026-12-28T10:00", "-q")
    assert "调休上班日未知" in result.stderr and "2027" in result.stderr
    assert jiesu.json("show", int(result.stdout))["resolve_by"] == "2027-01-08T00:00:00+08:00"
    checked = jiesu.ok("check")
    assert "1 件未结诉求的办理时限在 2027 年或以后" in checked.stderr


def test_check_counts_a_deadline_at_the_end_of_a_covered_years_last_day_as_that_years(jiesu):
    """Tester 44: a deadline extended to 2026-12-31 (24:00, stored as 2027-01-01 00:00) was counted by `check` as due
    in 2027, a year whose make-up workdays are unknown."""
    jiesu.new("噪音", "--nature", "合理诉求")
    jiesu.ok("extend", "1", "--to", "2026-12-31", "--reason", "协调")
    assert jiesu.json("show", "1")["resolve_by"] == "2027-01-01T00:00:00+08:00"
    assert "年或以后" not in jiesu.ok("check").stderr


# ---------------------------------------------------------------- rest days and the end of a day

# general = 7 working days; "7 days" = calendar days. Holidays: 国庆 2026-10-01…07 (10-10 a make-up
# Saturday), 春节 2026-02-15…23 (02-14 and 02-28 make-up Saturdays).
COUNTING = [
    # received, span, rest_day_receipt, period_end, resolve_by
    (bj(2026, 10, 3, 10), "7 workdays", "next_workday", "end_of_day", bj(2026, 10, 16, 0)),
    (bj(2026, 10, 3, 10), "7 workdays", "next_workday", "same_time", bj(2026, 10, 16, 0)),
    (bj(2026, 10, 3, 10), "7 workdays", "as_received", "end_of_day", bj(2026, 10, 16, 0)),
    (bj(2026, 10, 3, 10), "7 workdays", "as_received", "same_time", bj(2026, 10, 15, 10)),
    (bj(2026, 10, 3, 10), "7 days", "next_workday", "end_of_day", bj(2026, 10, 15, 0)),
    (bj(2026, 10, 3, 10), "7 days", "next_workday", "same_time", bj(2026, 10, 15, 0)),
    (bj(2026, 10, 3, 10), "7 days", "as_received", "end_of_day", bj(2026, 10, 11, 0)),
    (bj(2026, 10, 3, 10), "7 days", "as_received", "same_time", bj(2026, 10, 10, 10)),
    (bj(2026, 2, 17, 10), "7 workdays", "next_workday", "end_of_day", bj(2026, 3, 4, 0)),
    (bj(2026, 2, 17, 10), "7 workdays", "as_received", "same_time", bj(2026, 3, 3, 10)),
    (bj(2026, 2, 17, 10), "7 days", "next_workday", "end_of_day", bj(2026, 3, 3, 0)),
    (bj(2026, 2, 17, 10), "7 days", "next_workday", "same_time", bj(2026, 3, 3, 0)),
    (bj(2026, 2, 17, 10), "7 days", "as_received", "end_of_day", bj(2026, 2, 25, 0)),
    (bj(2026, 2, 17, 10), "7 days", "as_received", "same_time", bj(2026, 2, 24, 10)),
    # A make-up Saturday is a working day: no rest-day shift; the last day, 02-21, is 春节, so 02-24 is (§203).
    (bj(2026, 2, 14, 10), "7 days", "next_workday", "end_of_day", bj(2026, 2, 25, 0)),
    # Received at 00:00 is received at 24:00 of the day before: its own day is the first counted.
    (bj(2026, 10, 8, 0), "7 workdays", "next_workday", "end_of_day", bj(2026, 10, 16, 0)),
    (bj(2026, 10, 8, 0), "7 workdays", "as_received", "end_of_day", bj(2026, 10, 16, 0)),
    (bj(2026, 11, 3, 0), "7 days", "as_received", "end_of_day", bj(2026, 11, 10, 0)),
    # On a working day both rules agree; the end of the day is the only difference.
    (bj(2026, 11, 2, 9), "7 workdays", "next_workday", "end_of_day", bj(2026, 11, 12, 0)),
    (bj(2026, 11, 2, 9), "7 workdays", "as_received", "same_time", bj(2026, 11, 11, 9)),
]


# Calendar days whose last day is a rest day or holiday end on the next working day (民法典 §203), at
# 24:00 or at the clock time of receipt; working days always end on one.
LAST_DAY_OFF = [
    (bj(2026, 2, 13, 23, 59), "7 days", "next_workday", "end_of_day", bj(2026, 2, 25, 0)),  # 02-20, 春节 → 02-24
    (bj(2026, 9, 27, 10), "7 days", "next_workday", "end_of_day", bj(2026, 10, 9, 0)),  # 10-04, 国庆 → 10-08
    (bj(2026, 11, 20, 10), "8 days", "as_received", "same_time", bj(2026, 11, 30, 10)),  # Saturday 11-28 → Monday
    (bj(2026, 11, 20, 10), "9 days", "as_received", "same_time", bj(2026, 11, 30, 10)),  # Sunday 11-29 → Monday
    (bj(2026, 11, 20, 10), "10 days", "as_received", "end_of_day", bj(2026, 12, 1, 0)),  # a Monday: as counted
    (bj(2026, 9, 30, 10), "10 days", "next_workday", "end_of_day", bj(2026, 10, 11, 0)),  # make-up Saturday 10-10
]


@pytest.mark.parametrize("received, span, rest_day, period_end, resolve_by", COUNTING + LAST_DAY_OFF)
def test_rest_day_receipt_and_period_end(received, span, rest_day, period_end, resolve_by):
    chosen = make_rules(
        {"deadlines.resolve.general": span, "deadlines.rest_day_receipt": rest_day, "deadlines.period_end": period_end}
    )
    respond_by, due = deadlines(received, "general", chosen, Calendar(chosen))
    assert due == resolve_by
    assert respond_by == received + timedelta(hours=24)  # hours count from the moment, on any day


@pytest.mark.parametrize("setting, value, resolve_by", [
    ("rest_day_receipt", "next_workday", "2026-10-15T00:00:00+08:00"),
    ("rest_day_receipt", "as_received", "2026-10-11T00:00:00+08:00"),
    ("period_end", "same_time", "2026-10-15T00:00:00+08:00"),
])
def test_counting_rules_come_from_jiesu_toml(jiesu, db_path, setting, value, resolve_by):
    (db_path.parent / "jiesu.toml").write_text(
        f'[deadlines]\n{setting} = "{value}"\n\n[deadlines.resolve]\ngeneral = "7 days"\n', encoding="utf-8"
    )
    case_id = jiesu.new("国庆期间受理", "--received", "2026-10-03T10:00")
    assert jiesu.json("show", case_id)["resolve_by"] == resolve_by
    shown = {row["key"]: row for row in jiesu.json("rules", "show")}
    assert shown[f"deadlines.{setting}"]["value"] == value


def test_seven_days_ending_on_a_rest_day_end_on_the_next_working_day(jiesu, db_path):
    (db_path.parent / "jiesu.toml").write_text('[deadlines.resolve]\ngeneral = "7 days"\n', encoding="utf-8")
    ends = {}
    for received in ("2026-02-13 23:59", "2026-09-27 10:00", "2026-11-21 10:00"):
        filed = jiesu.ok("new", "楼道灯不亮", "--received", received)
        ends[received] = filed.stderr.split("办理时限 ")[1].rstrip("）\n")
    # 春节 02-20, 国庆 10-04 and Sunday 11-29 are the 7th days; the next working days end the periods.
    assert ends == {"2026-02-13 23:59": "2026-02-24 24:00", "2026-09-27 10:00": "2026-10-08 24:00", "2026-11-21 10:00": "2026-11-30 24:00"}
    due = {row["case_id"]: row["due"] for row in jiesu.json("todo", "--within", "1w") if row["reason"] == "resolve"}
    assert due[3] == "2026-12-01T00:00:00+08:00"  # todo reads the deadline the case was given


def test_the_help_of_period_end_says_a_last_day_off_moves_to_the_next_working_day(jiesu):
    """rules show said where a period ends, not that one of calendar days ending on a rest day moves (民法典 §203)."""
    said = {row["key"]: row["help"] for row in jiesu.json("rules", "show")}["deadlines.period_end"]
    assert said.endswith("按天计的最后一日是休息日或节假日的，顺延至下一个工作日（民法典第二百零三条）")


def test_a_bad_counting_rule_is_refused_with_its_line(jiesu, db_path):
    (db_path.parent / "jiesu.toml").write_text('[deadlines]\nperiod_end = "midnight"\n', encoding="utf-8")
    refused(
        jiesu("list"),
        f"规则文件 {db_path.parent / 'jiesu.toml'} 第 2 行：deadlines.period_end: 可选：end_of_day, same_time",
    )


@pytest.mark.parametrize(("written", "said"), [
    ('["2026-10-08", "2026-02-29"]', "日期 '2026-02-29' 不存在：2026 年 2 月只有 28 天"),
    ('["２０２６－１３－０１"]', "日期 '２０２６－１３－０１' 不存在：一年只有 12 个月"),
    ('["国庆"]', "'国庆' 不是日期"),
    # a fresh tester: a mistyped year was taken, a day that never comes
    ('[2199-01-01]', "日期 2199-01-01 的年份 2199 超出 1900–2100"),
    ('["1899-12-31"]', "日期 '1899-12-31' 的年份 1899 超出 1900–2100"),
    ('["２１９９－０１－０１"]', "日期 '２１９９－０１－０１' 的年份 2199 超出 1900–2100"),  # as typed, as every refusal repeats it
])
def test_a_quoted_date_no_calendar_has_says_why_with_its_key_and_line(jiesu, book, db_path, written, said):
    """A quoted 2026-02-29 said only `不是日期`, where a bare one says why (clock.date_refused)."""
    rules = db_path.parent / "jiesu.toml"
    rules.write_text(f"# 本办放假日\n[calendar]\nholidays = {written}\n", encoding="utf-8")
    refused(jiesu("list"), f"规则文件 {rules} 第 3 行：calendar.holidays: {said}")
    assert book.counts() == (0, 0)


def test_a_day_listed_as_both_holiday_and_workday_is_refused(jiesu, book, db_path):
    """A fresh tester: both lists took 2026-10-08 and the workday quietly won."""
    rules = db_path.parent / "jiesu.toml"
    rules.write_text('[calendar]\nholidays = [2026-10-08, 2026-10-12]\n\nworkdays = ["2026-10-08"]\n', encoding="utf-8")
    refused(
        jiesu("new", "国庆后受理", "--received", "2026-10-07T10:00"),
        f"规则文件 {rules} 第 4 行：calendar.workdays: 2026-10-08 也列在 calendar.holidays 中；同一天不能既放假又上班",
    )
    assert book.counts() == (0, 0)


def test_no_notice_for_a_year_whose_make_up_workdays_the_rules_file_lists(jiesu, db_path, monkeypatch):
    """A fresh tester: every command, in cron every night, said 2027's make-up days were unknown though
    the rules file listed them."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-28T12:00:00+08:00")
    (db_path.parent / "jiesu.toml").write_text("[calendar]\nworkdays = [2027-02-20]\n", encoding="utf-8")
    filed = jiesu.ok("new", "楼道灯不亮", "--received", "2026-12-28T10:00")
    assert filed.stderr == "已受理 #1（待派单，办理时限 2027-01-07 24:00）\n"
    assert jiesu.ok("list").stderr == ""
    assert "注意" not in jiesu.ok("check").stderr
    jiesu.ok("extend", "1", "--to", "2028-01-05", "--reason", "跨年工程")
    assert "2027 年" not in jiesu.ok("list").stderr
    checked = jiesu.ok("check").stderr
    assert "1 件未结诉求的办理时限在 2027 年或以后（规则文件已列出调休上班日的 2027 年除外）" in checked
