"""`jiesu todo`: the 待办 view (issue 17 item 3). Now is 2026-12-01 09:30 +08:00 unless a test moves it."""

from __future__ import annotations

import json

import pytest
from rich.cells import cell_len

from conftest import refused, sqlite_only


@pytest.fixture(autouse=True)
def morning(monkeypatch, tmp_path):
    """These tests read exact times in messages: now is pinned to the morning of 2026-12-01, and
    deadlines count from the clock time of receipt (how periods end is test_calendar_rules' subject)."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    rules = tmp_path / "jiesu.toml"
    rules.write_text('[deadlines]\nperiod_end = "same_time"\nrest_day_receipt = "as_received"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))


@pytest.fixture
def day(jiesu):
    """A morning's worth of due work, each kind once, plus cases that are not due."""
    jiesu.new("紧急：燃气泄漏味道", "--urgency", "紧急", "--received", "2026-12-01T08:30")  # 1 respond/resolve 10:30
    jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")  # 2 respond overdue, resolve overdue
    jiesu.ok("assign", "2", "张三", "--at", "2026-11-20T10:00")
    jiesu.ok("contact", "2", "--at", "2026-11-20T10:30")
    jiesu.new("已经办结的", "--channel", "来访", "--nature", "合理诉求", "--received", "2026-11-27T09:00")  # 3 revisit due
    jiesu.ok("close", "3", "--result", "resolved", "--note", "修好", "--at", "2026-11-27T10:00")
    jiesu.new("挂账的", "--nature", "合理诉求", "--received", "2026-11-25T09:00")  # 4 ledger due soon
    jiesu.ok("contact", "4", "--at", "2026-11-25T10:00")
    jiesu.ok("ledger", "add", "4", "--plan", "更换管道", "--unit", "城管科", "--due", "2026-12-01T18:00", "--at", "2026-11-25T11:00")
    jiesu.new("还早的", "--received", "2026-12-01T09:00")  # 5 respond due tomorrow 09:00 (inside 1d)
    jiesu.ok("contact", "5")
    return jiesu


def test_todo_lists_each_kind_of_due_work_most_urgent_first(day):
    rows = day.json("todo")
    assert [(r["case_id"], r["reason"]) for r in rows] == [
        (3, "revisit"),
        (2, "resolve"),
        (1, "respond"),
        (1, "resolve"),
        (4, "ledger"),
    ]
    assert rows[0]["due"] == "2026-11-30T10:00:00+08:00" and rows[0]["label"] == "回访" and rows[0]["minutes_left"] == -1410
    assert rows[1]["overdue"] is True and rows[1]["minutes_left"] == -30 and rows[1]["assignee"] == "张三"
    assert rows[2] == {
        "case_id": 1, "reason": "respond", "label": "首次响应", "due": "2026-12-01T10:30:00+08:00", "minutes_left": 60,
        "overdue": False, "entry_id": None, "assignee": None, "community": None, "summary": "紧急：燃气泄漏味道",
    }
    assert rows[4]["entry_id"] == 1 and rows[4]["label"] == "台账整改（台账 1）" and rows[4]["assignee"] == "城管科"


def test_todo_within_narrows_and_widens_the_horizon(day):
    assert [(r["case_id"], r["reason"]) for r in day.json("todo", "--within", "30m")] == [(3, "revisit"), (2, "resolve")]
    wide = day.json("todo", "--within", "2w")
    assert (5, "resolve") in [(r["case_id"], r["reason"]) for r in wide]


def test_todo_for_one_assignee_and_for_me(day, monkeypatch):
    assert [r["case_id"] for r in day.json("todo", "--assignee", "张三")] == [2]
    assert [r["case_id"] for r in day.json("todo", "--assignee", "城管科")] == [4]
    monkeypatch.setenv("JIESU_ACTOR", "张三")
    assert [r["case_id"] for r in day.json("todo", "--mine")] == [2]


def test_a_ledgered_case_is_due_for_escalation_by_its_entrys_unit(jiesu, monkeypatch):
    """A fresh tester's replay: the 应升级 row of a 挂账整改 case stood under the case's old 承办 (前门物业), so
    `--assignee 街道城管科`, the 责任单位 its 台账整改 row names, missed it."""
    case_id = jiesu.ledgered_reopened_twice()
    monkeypatch.setenv("JIESU_NOW", "2026-12-07T09:00:00+08:00")
    ledger_work = [("escalate", "街道城管科"), ("ledger", "街道城管科")]
    assert [(r["reason"], r["assignee"]) for r in jiesu.json("todo") if r["case_id"] == case_id][1:] == ledger_work
    assert [(r["reason"], r["assignee"]) for r in jiesu.json("todo", "--assignee", "街道城管科")] == ledger_work
    assert [r["reason"] for r in jiesu.json("todo", "--assignee", "前门物业")] == ["respond", "escalate", "ledger"]


def test_todo_lists_escalations_the_rules_call_for(jiesu):
    for when in ("2026-11-20T09:00", "2026-11-25T09:00", "2026-11-30T09:00"):
        jiesu.new("夜间施工", "--phone", "13812345678", "--category", "噪音", "--received", when)
        jiesu.ok("contact", jiesu.json("list")[-1]["id"], "--at", when[:11] + "10:00")
    rows = [r for r in jiesu.json("todo") if r["reason"] == "escalate"]
    assert [(r["case_id"], r["label"], r["due"], r["minutes_left"]) for r in rows] == [
        (1, "应升级（一人多诉）", None, 0), (2, "应升级（一人多诉）", None, 0), (3, "应升级（一人多诉）", None, 0),
    ]


def test_at_80_columns_an_escalation_keeps_its_reason_and_claims_no_time_left(jiesu, monkeypatch):
    """An escalation is due now and has no deadline: its 剩余 is empty, not 还有0分; the assignee gives
    way before the 待办 label is cut to 应升级…, and the summary keeps what it kept."""
    monkeypatch.setenv("COLUMNS", "80")
    for when in ("2026-11-20T09:00", "2026-11-25T09:00", "2026-11-30T09:00"):
        case_id = jiesu.new("夜间施工噪音，已经连续一个多星期，影响老人休息", "--phone", "13812345678", "--category", "噪音", "--received", when)
        jiesu.ok("assign", case_id, "街道城管科", "--at", when[:11] + "09:30")
        jiesu.ok("contact", case_id, "--at", when[:11] + "10:00")
    lines = jiesu.ok("todo", "--format", "table").stdout.splitlines()
    assert lines[0].split() == ["编号", "┃", "待办", "┃", "期限", "┃", "剩余", "┃", "诉求"]
    assert max(cell_len(line) for line in lines) <= 80
    escalations = [line.split("│") for line in lines if "应升级" in line]
    assert len(escalations) == 3
    assert all(row[1].strip() == "应升级（一人多诉）" and row[2].strip() == "现在" and row[3].strip() == "" for row in escalations)
    summaries = [row[4].strip().rstrip("…") for row in escalations]
    assert all(len(text) >= 9 and "夜间施工噪音，已经连续一个多星期，影响老人休息".startswith(text) for text in summaries), summaries
    assert [r["minutes_left"] for r in jiesu.json("todo") if r["reason"] == "escalate"] == [0, 0, 0]


def test_todo_table_fits_80_columns_and_says_how_many(day, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    day.ok("edit", "2", "--summary", "楼道灯不亮，已经一个多星期了，老人晚上出门看不清楼梯，多次反映没有人管" * 2)
    result = day.ok("todo", "--format", "table")
    lines = result.stdout.splitlines()
    # The ledger's label 台账整改（台账 1） is kept whole: the assignee gives way for it.
    assert lines[0].split() == ["编号", "┃", "待办", "┃", "期限", "┃", "剩余", "┃", "诉求"]
    assert max(cell_len(line) for line in lines) <= 80 and "台账整改（台账 1）" in result.stdout
    assert "超期" in result.stdout and "#2" in result.stdout and "还有1小时" in result.stdout
    assert result.stderr == "待办 5 项（1 天内到期），其中超期 2 项：办结 1、回访 1\n"


def test_the_footer_counts_items_and_names_what_is_late(jiesu):
    """A fresh tester read `其中超期 3 件` in todo while `list --overdue` had none and `report daily` said
    超期 0: the footer counted rows (a case late to respond and to resolve twice) as 件, and a late
    response or revisit as 超期, which the lists and reports keep for a missed 办理时限."""
    late = jiesu.new("楼道灯不亮", "--received", "2026-11-30T09:00")  # respond_by 12-01 09:00, resolve_by weeks away
    done = jiesu.new("已经办结的", "--channel", "来访", "--nature", "合理诉求", "--received", "2026-11-27T09:00")
    jiesu.ok("close", done, "--result", "resolved", "--note", "修好", "--at", "2026-11-27T10:00")  # revisit due 11-30
    assert jiesu.ok("todo", "--format", "table").stderr == "待办 2 项（1 天内到期），其中超期 2 项：首次响应 1、回访 1\n"
    assert [(row["case_id"], row["reason"]) for row in jiesu.json("todo") if row["overdue"]] == [(done, "revisit"), (late, "respond")]
    assert jiesu.json("list", "--overdue") == [] and jiesu.json("report", "daily")["overdue"] == 0


def test_todo_ids_and_an_empty_day(day, jiesu, new_target, monkeypatch):
    assert day.ok("todo", "--format", "ids").stdout == "3\n2\n1\n4\n"
    monkeypatch.setenv("JIESU_DB", new_target("empty"))
    assert jiesu.json("todo") == []
    assert jiesu.ok("todo", "--format", "table").stderr == "没有 1 天内到期的待办\n"


def test_todo_of_an_assignee_names_them(day):
    """A fresh tester: `todo --assignee 不存在` said 没有 1 天内到期的待办, as if the whole office had a free day."""
    assert day.ok("todo", "--assignee", "不存在", "--format", "table").stderr == "没有派给 不存在 的 1 天内到期的待办\n"
    assignee = next(row["assignee"] for row in day.json("todo") if row["assignee"])
    assert day.ok("todo", "--assignee", assignee, "--format", "table").stderr.startswith(f"派给 {assignee} 的待办 ")
    assert day.ok("todo", "--mine", "--format", "table").stderr == "没有派给 测试员 的 1 天内到期的待办\n"


@pytest.mark.parametrize("args", [["--within", "soon"], ["--within", "-2h"]])
def test_todo_refuses_a_bad_within(jiesu, args):
    refused(jiesu("todo", *args), code=2)


@pytest.mark.parametrize("zero", ["0", "００", " 0 "])
def test_todo_within_a_bare_zero_is_zero_of_any_unit(day, zero):
    """A fresh tester: `--within 0` was refused while `0h` was taken; zero of any unit is the same length."""
    assert day.json("todo", "--within", zero) == day.json("todo", "--within", "0h")
    footer = day.ok("todo", "--within", zero, "--format", "table").stderr
    assert footer == day.ok("todo", "--within", "0h", "--format", "table").stderr
    assert "项（已到期），其中超期" in footer and "分钟" not in footer  # not 0 分钟内到期 (fresh tester 48)


@pytest.mark.parametrize("bare", ["5", "30", "0.5"])
def test_todo_within_another_bare_number_is_refused_as_ambiguous(jiesu, bare):
    """Minutes, hours or days: a bare number other than 0 could be any, so it is refused, not guessed."""
    refused(jiesu("todo", "--within", bare), f"'{bare}' 不是时长；应写作 30m、2h、1d、1w，2 hours、1 day，或 30分钟、2小时、1天、1周", code=2)


def test_todo_mine_and_assignee_together_is_a_usage_error(jiesu):
    result = jiesu("todo", "--mine", "--assignee", "张三")
    assert result.exit_code == 2 and result.stderr == "错误: --mine 与 --assignee 只能用一个\n"


@pytest.mark.parametrize("typed", ["2026-12-01", "today"])
def test_a_ledger_entry_due_on_a_typed_day_ends_at_its_24_00(jiesu, monkeypatch, typed):
    """Due 2026-12-01 at 09:30 that day leaves 14 h 30 min: 870 minutes, not 869 (its 23:59:59)."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    case = jiesu.new("主管道老化", "--nature", "合理诉求", "--received", "-1h")
    jiesu.ok("ledger", "add", case, "--plan", "换管", "--unit", "城管科", "--due", typed)
    [row] = [r for r in jiesu.json("todo") if r["reason"] == "ledger"]
    assert (row["due"], row["minutes_left"], row["overdue"]) == ("2026-12-02T00:00:00+08:00", 870, False)
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T23:59:00+08:00")
    [row] = [r for r in jiesu.json("todo") if r["reason"] == "ledger"]
    assert (row["minutes_left"], row["overdue"]) == (1, False)


def test_the_time_left_agrees_with_the_deadline_as_shown(jiesu, monkeypatch):
    """A fresh tester: due 09:59:59 reads 10:00 (a minute's last second ends it), yet 剩余 read 还有29分 at 09:30."""
    monkeypatch.setenv("COLUMNS", "120")
    jiesu.new("燃气泄漏", "--urgency", "紧急", "--received", "2026-12-01T07:59:59")  # due 09:59:59
    line = next(line for line in jiesu.ok("todo", "--format", "table").stdout.splitlines() if "#1" in line)
    assert "10:00" in line and "还有30分" in line, line
    assert {row["minutes_left"] for row in jiesu.json("todo")} == {30}


def test_todo_keeps_the_year_by_the_same_rule_as_list(jiesu, monkeypatch):
    """Replayed from a fresh tester: on New Year's Eve a deadline of January read `01-11` with no year,
    where `list` said 2027. The year goes only when the table is too wide and every time is this year's."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-31T10:00:00+08:00")
    jiesu.new("年底诉求", "--received", "2026-12-30T09:00")
    wide = jiesu.ok("todo", "--within", "30d", "--format", "table").stdout
    assert "2026-12-31 09:00" in wide and "2027-01-" in wide, wide
    monkeypatch.setenv("COLUMNS", "80")
    jiesu.ok("edit", "1", "--summary", "年底诉求，楼道灯不亮，老人晚上出门看不清楼梯" * 3)
    assert "2027-01-" in jiesu.ok("todo", "--within", "30d", "--format", "table").stdout
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    jiesu.new("本年诉求，楼道灯不亮，老人晚上出门看不清楼梯" * 3, "--received", "2026-12-01T09:00")
    narrow = jiesu.ok("todo", "--within", "1d", "--format", "table").stdout
    assert " 12-02 09:00 " in narrow and "2026-" not in narrow, narrow


def test_revisits_due_by_24_00_are_cut_at_the_last_close_in_time(jiesu, tmp_path, monkeypatch):
    """With the shipped rules (3 days ending at 24:00, a rest-day close counted from the next working
    day) todo asks SQL only for the closes up to the last one due in time. Horizon 2026-12-03 00:00
    (now 12-01 09:30 + 2310 minutes): Saturday 11-28 and Sunday 24:00 (11-30 00:00) are due by then,
    Monday 11-30 00:01 is not; one minute less leaves out the weekend too, but not Friday."""
    rules = tmp_path / "shipped.toml"
    rules.write_text('[deadlines]\nperiod_end = "end_of_day"\nrest_day_receipt = "next_workday"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    closes = ["2026-11-27T23:59", "2026-11-28T00:00", "2026-11-28T10:00", "2026-11-30T00:00", "2026-11-30T00:01"]
    for when in closes:
        case = jiesu.new("已经办结的", "--channel", "来访", "--nature", "合理诉求", "--received", "2026-11-26T09:00")
        jiesu.ok("close", case, "--result", "resolved", "--note", "修好", "--at", when)

    def revisits(within: str) -> list[tuple[int, str]]:
        return [(r["case_id"], r["due"]) for r in jiesu.json("todo", "--within", within) if r["reason"] == "revisit"]

    assert revisits("2310m") == [
        (1, "2026-12-01T00:00:00+08:00"), (2, "2026-12-01T00:00:00+08:00"),
        (3, "2026-12-03T00:00:00+08:00"), (4, "2026-12-03T00:00:00+08:00"),
    ]
    assert revisits("2309m") == [(1, "2026-12-01T00:00:00+08:00"), (2, "2026-12-01T00:00:00+08:00")]
    assert [case for case, _ in revisits("3750m")] == [1, 2, 3, 4, 5]


def test_a_revisit_due_across_the_spring_forward_is_listed(jiesu, tmp_path, monkeypatch):
    """Three days at the same clock time across the night clocks go forward are 71 hours: closed
    Friday 2026-03-27 10:00 in Berlin, the revisit is due Monday 10:00, which SQL's first cut
    (three days of 24 hours before the horizon) used to leave out."""
    rules = tmp_path / "berlin.toml"
    rules.write_text('timezone = "Europe/Berlin"\n[deadlines]\nperiod_end = "same_time"\nrest_day_receipt = "as_received"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    monkeypatch.setenv("JIESU_NOW", "2026-03-30T10:00:00+02:00")
    case = jiesu.new("已经办结的", "--channel", "来访", "--nature", "合理诉求", "--received", "2026-03-26T09:00")
    jiesu.ok("close", case, "--result", "resolved", "--note", "修好", "--at", "2026-03-27T10:00")
    rows = [(r["case_id"], r["due"], r["minutes_left"]) for r in jiesu.json("todo", "--within", "0m") if r["reason"] == "revisit"]
    assert rows == [(1, "2026-03-30T10:00:00+02:00", 0)]


# ---------------------------------------------------------------- a long reason, a long unit, a narrow terminal

UNIT = "前门街道城市管理综合执法队第一分队"
SUMMARY = "一个非常非常长的诉求摘要用来测试八十列的待办表格是否可读"


@pytest.fixture
def escalations(jiesu, tmp_path, monkeypatch):
    """Replayed from a fresh tester, under the shipped rules (none overdue): three repeats of one caller
    (一人多诉), the third also reopened twice (多次重办) and assigned to a unit with a long name."""
    rules = tmp_path / "shipped.toml"
    rules.write_text('[deadlines]\nperiod_end = "end_of_day"\nrest_day_receipt = "next_workday"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    for day in (1, 2, 3):
        jiesu.new(f"{SUMMARY}第{day}件", "--phone", "13812345678", "--category", "物业管理/漏水", "--nature", "合理诉求",
                  "--channel", "desk", "--received", f"2026-11-2{day}T09:00")
    jiesu.ok("assign", "3", UNIT, "--at", "2026-11-23T10:00")
    jiesu.reopen_twice(3)
    return jiesu


def test_at_80_columns_a_long_unit_gives_way_before_the_escalation_reason_is_cut(escalations, monkeypatch):
    """`应升级（多次重办、…` beside `前门街道城…` was the tester's row: the 承办 column goes first, the
    reason is read whole, and the summary keeps what it kept."""
    monkeypatch.setenv("COLUMNS", "80")
    header, [row] = escalations.table("todo", "--assignee", UNIT)
    assert header == ["编号", "待办", "期限", "剩余", "诉求"]
    assert row[:3] == ["#3", "应升级（多次重办、一人多诉）", "现在"]
    assert row[4].endswith("…") and len(row[4].rstrip("…")) >= 9 and SUMMARY.startswith(row[4].rstrip("…"))


def test_at_80_columns_todo_cuts_the_label_only_when_nothing_is_left_to_give_way(escalations, monkeypatch):
    """All three escalations and two deadlines: the longest label cannot be whole beside 期限, 剩余 and a
    readable summary, so 承办 goes, and the room it leaves keeps every shorter label whole."""
    monkeypatch.setenv("COLUMNS", "80")
    header, rows = escalations.table("todo")
    assert header == ["编号", "待办", "期限", "剩余", "诉求"]
    labels = {row[0]: row[1] for row in rows if row[1].startswith("应升级")}
    assert labels["#1"] == labels["#2"] == "应升级（一人多诉）"
    assert labels["#3"].startswith("应升级（多次") and labels["#3"].endswith("…")
    assert all(len(row[4].rstrip("…")) >= 9 for row in rows)


def test_at_80_columns_a_deadline_to_the_second_leaves_the_escalation_reason_whole(jiesu, monkeypatch):
    """A fresh tester's book: deadlines with seconds make 期限 14 wide (`12-01 23:45:17`) beside a 剩余 of
    `还有14小时15分`, and `应升级（一人多诉）` read `应升级（一人多…`. The summary gives way to 8 characters
    before the label is cut, and the line under the table says 承办 was left out."""
    monkeypatch.setenv("COLUMNS", "80")
    for n in (1, 2, 3):
        jiesu.new(f"{SUMMARY}第{n}件", "--phone", "13812345678", "--category", "噪音", "--received", "2026-11-30 23:45:17")
    jiesu.ok("assign", "1", UNIT)
    lines = jiesu.ok("todo", "--format", "table").stdout.splitlines()
    assert lines[-1] == "（屏幕太窄，略去：承办）"
    header, rows = jiesu.table("todo")
    assert header == ["编号", "待办", "期限", "剩余", "诉求"]
    assert [row[1:4] for row in rows if row[1].startswith("应升级")] == [["应升级（一人多诉）", "现在", ""]] * 3
    assert {row[2] for row in rows if row[1] == "首次响应"} == {"12-01 23:45:17"}
    assert all(len(row[4].rstrip("…")) >= 8 and SUMMARY.startswith(row[4].rstrip("…")) for row in rows), rows


def test_at_80_columns_list_due_escalation_shows_its_reasons_whole(escalations, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    header, rows = escalations.table("list", "--due-escalation")
    reasons = [row[header.index("应升级原因")] for row in rows]
    assert reasons == ["一人多诉", "一人多诉", "多次重办、一人多诉"]


@pytest.mark.parametrize("view", [["todo"], ["list"], ["list", "--due-escalation"]], ids=" ".join)
def test_a_narrow_terminal_leaves_out_columns_but_never_cuts_an_id(escalations, monkeypatch, view):
    """At 40 columns the ids read `…`: a worker types the id next, so other columns go first."""
    for width in range(30, 80, 7):
        monkeypatch.setenv("COLUMNS", str(width))
        header, rows = escalations.table(*view)
        assert header[0] == "编号" and {row[0] for row in rows} == {"#1", "#2", "#3"}, (width, header, rows)


@sqlite_only
def test_a_narrow_terminal_keeps_id_summary_and_time_left_with_5_digit_ids(jiesu, book, monkeypatch):
    """A fresh tester at 40 columns with 5-digit ids: `todo` left out both 期限 and 剩余. The time left is
    what a worker needs: 期限 goes first, then the label and the summary are cut, and 剩余 stays."""
    first = jiesu.new("占位")
    columns = [row[1] for row in book.rows("PRAGMA table_info(cases)") if row[1] != "id"]
    book.execute(f"INSERT INTO cases (id, {', '.join(columns)}) SELECT 12344, {', '.join(columns)} FROM cases WHERE id = {first}")
    jiesu.new("楼道灯不亮，三楼到五楼都黑", "--received", "2026-11-20T09:00")  # #12345 respond overdue, resolve due 24:00
    jiesu.new("紧急：燃气泄漏味道", "--urgency", "紧急", "--received", "2026-12-01T08:30")
    jiesu.new("路灯坏", "--received", "2026-12-01T09:00")
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        header, rows = jiesu.table("todo")
        assert {"编号", "剩余", "诉求"} <= set(header), (width, header)
        remaining, summary = header.index("剩余"), header.index("诉求")
        assert "#12345" in {row[0] for row in rows}, (width, rows)
        assert all(row[remaining] and row[summary].rstrip("…") for row in rows), (width, rows)


def test_the_todo_footer_fits_the_terminal_each_label_with_its_figure(day, monkeypatch):
    # A fresh tester at 40 columns: `待办 21299 件（1 天内到期），其中超期 20085 件` was wider and wrapped mid-word.
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = day.ok("todo", "--within", "1440m", "--format", "table").stderr.splitlines()
        assert max(cell_len(line) for line in lines) <= width, (width, lines)
        assert "".join(lines) == "待办 5 项（1440 分钟内到期），其中超期 2 项：办结 1、回访 1", (width, lines)
        assert any("其中超期 2 项" in line for line in lines) and any("（1440 分钟内到期）" in line for line in lines), (width, lines)


@pytest.mark.parametrize(
    ("chinese", "letter"),
    # tester 19: the traditional and colloquial spellings too
    [("2小时", "2h"), ("30 分钟", "30m"), ("１天", "1d"), ("1周", "1w"), ("２小時", "2h"), ("3個小時", "3h"), ("30分鐘", "30m"), ("2星期", "2w"), ("1週", "1w"),
     # the rules file's words, as it writes a span (`"24 hours"`): tester 42's `--within "2 Hours"` was refused
     ("2 Hours", "2h"), ("1 hour", "1h"), ("1 day", "1d"), ("3days", "3d"), ("30 Minutes", "30m"), ("2 weeks", "2w"),
     ("30 min", "30m"), ("2 Hrs", "2h"), ("1 hr", "1h")],  # tester 43
)
def test_todo_within_takes_the_chinese_units(day, jiesu, chinese, letter):
    """A fresh tester: `--within 2小时` was refused while `2h` was taken; both spellings are accepted on input."""
    said = jiesu.ok("todo", "--within", chinese, "--format", "json")
    assert said.stdout == jiesu.ok("todo", "--within", letter, "--format", "json").stdout
    assert said.stderr == jiesu.ok("todo", "--within", letter, "--format", "json").stderr


@pytest.mark.parametrize("ago", ["-2小时", "-2 hours", "-120 Minutes"])
def test_a_relative_time_takes_the_chinese_units_and_the_rules_files_words(jiesu, ago):
    jiesu.new("路灯不亮", "--received", ago)
    assert jiesu.json("list")[0]["received_at"] == "2026-12-01T07:30:00+08:00"


def test_the_calendar_note_names_the_years_of_deadlines_not_of_the_horizon(jiesu, tmp_path, monkeypatch):
    """A fresh tester's `todo --within 36500d` said chinesecalendar had no 2126 yet: no deadline falls
    there, only the horizon, whose cut on the revisits read that year's days. A revisit due in 2027
    (closed on New Year's Eve) is still noted."""
    rules = tmp_path / "shipped.toml"
    rules.write_text('[deadlines]\nperiod_end = "end_of_day"\nrest_day_receipt = "next_workday"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    case = jiesu.new("已经办结的", "--channel", "来访", "--nature", "合理诉求", "--received", "2026-11-26T09:00")
    jiesu.ok("close", case, "--result", "resolved", "--note", "修好", "--at", "2026-11-27T10:00")
    far = jiesu.ok("todo", "--within", "36500d")
    assert "尚无" not in far.stderr and [row["case_id"] for row in json.loads(far.stdout)] == [1]
    monkeypatch.setenv("JIESU_NOW", "2026-12-31T10:00:00+08:00")
    late = jiesu.new("年底办结的", "--channel", "来访", "--nature", "合理诉求", "--received", "2026-12-31T09:00")
    jiesu.ok("close", late, "--result", "resolved", "--note", "修好", "--at", "2026-12-31T09:30")
    assert "chinesecalendar 尚无 2027 年的官方放假安排" in jiesu.ok("todo", "--within", "36500d").stderr
