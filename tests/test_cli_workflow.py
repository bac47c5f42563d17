"""The life of a case through the real CLI: the 大兴 story, refusals, rules, races."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from conftest import refused


def file_reasonable(jiesu, *extra: str) -> int:
    return jiesu.new("群租房隔断扰民", "--nature", "合理诉求", "--phone", "13912345678", "--received", "2026-11-01T09:00", *extra)


def test_the_daxing_story(jiesu):
    """Closed twice, reopened twice by unhappy revisits, visited at 3 a.m., closed, satisfied."""
    case_id = file_reasonable(jiesu, "--community", "大兴某社区", "--category", "房屋管理/群租房")
    jiesu.ok("assign", case_id, "街道综合执法队", "--at", "2026-11-01T10:00")
    jiesu.ok("contact", case_id, "--note", "电话联系诉求人", "--at", "2026-11-01T10:30")
    jiesu.ok("visit", case_id, "--note", "上门核查，隔断 6 间", "--at", "2026-11-02T15:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "已责令拆除隔断", "--at", "2026-11-03T17:00")
    reopened = jiesu("revisit", case_id, "--satisfaction", "不满意", "--resolved", "no", "--note", "隔断又装回去了", "--at", "2026-11-05T10:00")
    assert reopened.exit_code == 0 and reopened.stderr == (
        "#1 已回访，已重办（办理中）\n办理时限已按重办时间重算为 2026-11-16 24:00（一般档）\n"
    )
    jiesu.ok("visit", case_id, "--note", "再次上门", "--at", "2026-11-06T10:00")
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "隔断拆除", "--at", "2026-11-07T17:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "unsatisfied", "--resolved", "否", "--at", "2026-11-10T10:00")

    due = jiesu.json("list", "--due-escalation", "--as-of", "2026-11-10T12:00")
    assert [(row["id"], row["reasons"]) for row in due] == [(case_id, ["reopened"])]
    table = jiesu.ok("list", "--due-escalation", "--as-of", "2026-11-10T12:00", "--format", "table").stdout
    assert "多次重办" in table

    jiesu.ok("escalate", case_id, "--reason", "两次重办，需街道协调", "--at", "2026-11-10T11:00")
    jiesu.ok("visit", case_id, "--note", "凌晨联合执法，现场拆除", "--at", "2026-11-20T03:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "隔断全部拆除", "--at", "2026-11-20T06:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-11-22T10:00")

    case = jiesu.json("show", case_id)
    assert (case["status"], case["reopen_count"], case["level"], case["result"]) == ("revisited", 2, "street", "resolved")
    kinds = [e["kind"] for e in case["events"]]
    assert kinds == [
        "filed", "assigned", "contacted", "visited", "closed", "revisited", "reopened",
        "visited", "closed", "revisited", "reopened", "escalated", "visited", "closed", "revisited",
    ]
    visit_at_three = [e for e in case["events"] if e["kind"] == "visited"][-1]
    assert visit_at_three["at"] == "2026-11-20T03:00:00+08:00"
    assert [r["satisfaction"] for r in case["revisits"]] == ["unsatisfied", "unsatisfied", "satisfied"]
    assert case["responded_at"] == "2026-11-01T10:30:00+08:00"
    shown = jiesu.ok("show", case_id, "--format", "table").stdout
    assert "重办次数  2" in shown and "回访不满意，未解决" in shown


def test_refusals_are_one_line_naming_status_and_options(jiesu):
    case_id = file_reasonable(jiesu)
    jiesu.ok("visit", case_id, "--note", "上门")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "好了")
    refused(jiesu("assign", case_id, "物业"), "#1 已办结，不能派单；可用：revisit, reopen")
    refused(jiesu("close", case_id, "--result", "resolved", "--note", "x"), "#1 已办结，不能办结；可用：revisit, reopen")
    other = jiesu.new("未研判")
    refused(jiesu("close", other, "--result", "resolved", "--note", "x"), "#2 尚未研判诉求性质，不能办结；请先 classify")
    refused(jiesu("revisit", other, "--satisfaction", "满意", "--resolved", "maybe"), "--resolved 无效：'maybe' 应为 yes/是 或 no/否", code=2)
    refused(jiesu("escalate", other, "--reason", "x", "--to", "社区"), "#2 已在社区级；只能升到街道级、区级或市级")
    refused(jiesu("contact", other, "--at", "2020-01-01"))
    refused(jiesu("extend", other, "--to", "someday", "--reason", "x"), code=2)
    assert jiesu.json("show", other)["version"] == 1


def test_a_visit_before_any_contact_says_the_first_response_is_still_due(jiesu):
    """响应率 counts contacts (DESIGN): a worker who met the citizen at the door is told to log it."""
    case_id = jiesu.new()
    assert jiesu.ok("visit", case_id, "--note", "上门").stderr == (
        "#1 已记录上门（待派单）\n注意：#1 尚未记录首次响应（响应率只算 jiesu contact）；上门时已与诉求人联系的，"
        "请再记 jiesu contact 1 --at '2026-12-01 09:30'\n"
    )
    assert jiesu.json("show", case_id)["responded_at"] is None
    jiesu.ok("contact", case_id)
    assert jiesu.ok("visit", case_id, "--note", "再上门").stderr == "#1 已记录上门（待派单）\n"


def test_unresolved_reasonable_case_is_pointed_to_the_ledger(jiesu):
    case_id = file_reasonable(jiesu)
    jiesu.ok("visit", case_id, "--note", "上门")
    refused(
        jiesu("close", case_id, "--result", "unresolved", "--note", "暂时解决不了"),
        "#1 是合理诉求，暂时解决不了的不能以未解决办结；请用 ledger add 上账整改",
    )


def test_overdue_list_as_of(jiesu):
    jiesu.new("紧急停水", "--urgency", "紧急", "--category", "供水", "--received", "2026-11-01T08:00")
    jiesu.new("一般", "--received", "2026-11-01T08:00")
    overdue = lambda as_of: [r["id"] for r in jiesu.json("list", "--overdue", "--as-of", as_of)]
    assert overdue("2026-11-01T09:00") == []
    assert overdue("2026-11-01T10:01") == [1]
    assert overdue("2026-11-11T08:01") == [1, 2]


def test_repeat_complaints_are_due_for_escalation(jiesu):
    for day in (1, 5, 9):
        jiesu.new("夜间施工噪音", "--phone", "13812345678", "--category", "噪音", "--received", f"2026-11-{day:02d}T22:00")
    jiesu.new("别的事", "--phone", "13812345678", "--category", "停车", "--received", "2026-11-09T22:00")
    due = jiesu.json("list", "--due-escalation", "--as-of", "2026-11-09T23:00")
    assert [(r["id"], r["reasons"]) for r in due] == [(1, ["repeat"]), (2, ["repeat"]), (3, ["repeat"])]
    assert jiesu.json("list", "--due-escalation", "--as-of", "2026-11-08T23:00") == []


def test_a_callers_repeat_calls_merged_into_one_still_make_it_due(jiesu):
    """A fresh tester merged one caller's three calls into the first: 一人多诉 vanished from every list and
    report, as if the caller had called once (hotspots count merged duplicates: three calls are three calls)."""
    for day in (27, 28, 29):
        jiesu.new("半夜装修噪音", "--phone", "13600000001", "--category", "环境/噪音", "--received", f"2026-11-{day}T21:00")
    jiesu.ok("merge", 2, "--into", 1, "--at", "2026-11-30T09:00")
    jiesu.ok("merge", 3, "--into", 1, "--at", "2026-11-30T09:00")
    due = [{"id": 1, "reasons": ["repeat"]}]
    assert [{"id": r["id"], "reasons": r["reasons"]} for r in jiesu.json("list", "--due-escalation")] == due
    assert [(d["case_id"], d["label"]) for d in jiesu.json("todo") if d["reason"] == "escalate"] == [(1, "应升级（一人多诉）")]
    assert jiesu.json("report", "daily")["due_escalation"] == due
    assert jiesu.json("report", "monthly", "--period", "2026-11")["due_escalation"] == due
    # as of a past time, after the merges and before them
    assert [r["id"] for r in jiesu.json("list", "--due-escalation", "--as-of", "2026-11-30T12:00")] == [1]
    assert jiesu.json("report", "daily", "--date", "2026-11-30")["due_escalation"] == due
    assert [r["id"] for r in jiesu.json("list", "--due-escalation", "--as-of", "2026-11-29T22:00")] == [1, 2, 3]


def test_a_callers_calls_without_a_category_are_no_repeat(jiesu):
    """A fresh tester: three unrelated calls from one phone, none given a category (it is optional),
    were all 应升级（一人多诉） in list, todo and the reports; the rule says the same category."""
    for received, summary in (("2026-11-29T09:00", "楼道灯不亮"), ("2026-11-30T09:00", "咨询养老补贴怎么申请"), ("2026-12-01T08:00", "门口垃圾没人清")):
        jiesu.new(summary, "--phone", "13700001111", "--received", received)
    assert jiesu.json("list", "--due-escalation") == []
    assert jiesu.json("report", "daily")["due_escalation"] == []
    assert not [d for d in jiesu.json("todo", "--within", "52w") if d["reason"] == "escalate"]
    jiesu.ok("edit", "1", "--category", "物业管理/照明")
    jiesu.ok("edit", "2", "--category", "物业管理/照明")
    jiesu.ok("edit", "3", "--category", "物业管理/照明")
    assert [c["id"] for c in jiesu.json("list", "--due-escalation")] == [1, 2, 3]


def test_a_case_at_the_top_of_the_ladder_is_never_due_for_escalation(jiesu):
    """市 is the top of 社区→街道→区→市: a case there, overdue or repeated, is listed overdue but not 应升级."""
    for day in (5, 10, 15):
        jiesu.new("夜间施工噪音", "--phone", "13812345678", "--category", "噪音", "--received", f"2026-11-{day:02d}T22:00")
    late = jiesu.new("暖气不热", "--received", "2026-11-01T09:00")
    jiesu.ok("escalate", 1, "--to", "市", "--reason", "市级协调", "--at", "2026-11-20T09:00")
    jiesu.ok("escalate", late, "--to", "city", "--reason", "市级协调", "--at", "2026-11-25T09:00")
    refused(jiesu("escalate", late, "--reason", "再升"), f"#{late} 已在市级（最高一级），不能再升级")

    assert [(r["id"], r["reasons"]) for r in jiesu.json("list", "--due-escalation")] == [(2, ["overdue", "repeat"]), (3, ["overdue", "repeat"])]
    assert [r["id"] for r in jiesu.json("list", "--overdue")] == [1, 2, 3, late]
    assert [(d["case_id"], d["label"]) for d in jiesu.json("todo") if d["reason"] == "escalate"] == [
        (2, "应升级（一人多诉）"), (3, "应升级（一人多诉）"),
    ]
    today = jiesu.json("report", "daily")
    assert today["overdue_cases"] == [1, 2, 3, late] and [d["id"] for d in today["due_escalation"]] == [2, 3]
    assert "应升级：#2（超期、一人多诉）、#3（超期、一人多诉）\n" in jiesu.ok("report", "daily", "--format", "markdown").stdout
    # As the cases stood on the 22nd: #1 already at 市, #4 still at 社区 and overdue.
    then = jiesu.json("report", "daily", "--date", "2026-11-22")
    assert then["overdue_cases"] == [2, late] and [d["id"] for d in then["due_escalation"]] == [2, 3, late]
    assert [r["id"] for r in jiesu.json("list", "--due-escalation", "--as-of", "2026-11-22T12:00")] == [2, 3, late]
    month = jiesu.json("report", "monthly", "--period", "2026-11")
    assert [d["id"] for d in month["due_escalation"]] == [2, 3] and month["overdue"] == 4


RULES = '[deadlines]\nmax_extensions = 2\n\n[deadlines.resolve]\ngeneral = "3 days"\n'


def test_rules_file_from_the_environment_overrides_and_is_shown(jiesu, tmp_path, monkeypatch):
    rules = tmp_path / "office-rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    case_id = jiesu.new("一般诉求", "--received", "2026-11-02T09:00")
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-11-06T00:00:00+08:00"  # 24:00 of the 3rd day
    shown = {row["key"]: row for row in jiesu.json("rules", "show")}
    assert shown["deadlines.resolve.general"]["source"] == str(rules)


def test_rules_are_read_in_chinese_in_the_table_and_the_html_report_and_kept_as_written_in_json(jiesu):
    """A fresh tester read `7 workdays`, `end_of_day`, `next_workday` in `rules show` on a terminal and in the
    HTML report's footnote; people read 7 个工作日, 最后一日 24 时; JSON keeps what a rules file writes."""
    table = jiesu.ok("rules", "show", "--format", "table").stdout
    cells = {row[0].strip(): row[1].strip() for row in (line.split("│") for line in table.splitlines()) if len(row) > 2}
    html = jiesu.ok("report", "daily", "--format", "html").stdout
    for key, said in (("deadlines.resolve.general", "7 个工作日"), ("deadlines.respond.general", "24 小时"),
                      ("deadlines.period_end", "最后一日 24 时"), ("deadlines.rest_day_receipt", "自下一个工作日起算"),
                      ("rates.include_unreasonable", "否")):
        assert cells[key] == said, key
        assert f"<td>{said}</td>" in html, key
    assert "<td>7 workdays</td>" not in html and "<td>end_of_day</td>" not in html
    # lists of steps, channels, levels and natures by their labels, as the other values are said
    for key, said in (("close.handle_requires", "上门"), ("close.face_to_face_channels", "现场办公, 来访"),
                      ("revisit.reopen_natures", "合理诉求")):
        assert cells[key] == said, key
        assert f"<td>{said}</td>" in html, key
    assert cells["deadlines.complex_levels"] == "市, 区"
    shown = {row["key"]: row["value"] for row in jiesu.json("rules", "show")}
    assert (shown["deadlines.resolve.general"], shown["deadlines.period_end"]) == ("7 workdays", "end_of_day")
    assert (shown["close.face_to_face_channels"], shown["deadlines.complex_levels"]) == (["desk", "walkin"], ["city", "district"])


def test_a_span_of_one_is_singular_in_json_and_reads_back_as_the_same_rule(jiesu, tmp_path, monkeypatch):
    """`rules show --format json` said `1 hours`; what it writes is what a rules file takes, and the same rule."""
    rules = tmp_path / "r.toml"
    rules.write_text('[deadlines.respond]\nemergency = "1 小时"\n[undo]\nwindow = "1 天"\n[revisit]\ndue = "1 个工作日"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    keys = ("deadlines.respond.emergency", "undo.window", "revisit.due")
    shown = {row["key"]: row["value"] for row in jiesu.json("rules", "show")}
    assert [shown[key] for key in keys] == ["1 hour", "1 day", "1 workday"]
    rules.write_text("".join(f'{key} = "{shown[key]}"\n' for key in keys), encoding="utf-8")
    assert {row["key"]: row["value"] for row in jiesu.json("rules", "show")} == shown


def test_rules_file_beside_the_store_overrides_and_is_shown(jiesu, db_path):
    (db_path.parent / "jiesu.toml").write_text(RULES, encoding="utf-8")
    case_id = jiesu.new("一般诉求", "--received", "2026-11-02T09:00")
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-11-06T00:00:00+08:00"  # 24:00 of the 3rd day
    shown = {row["key"]: row for row in jiesu.json("rules", "show")}
    assert shown["deadlines.resolve.general"]["value"] == "3 days"
    assert shown["deadlines.resolve.general"]["source"] == str(db_path.parent / "jiesu.toml")
    # the value is the office's own, not 假设 (nor 北京公开规定, a default the file overrode)
    assert shown["deadlines.resolve.general"]["basis"] == shown["deadlines.max_extensions"]["basis"] == "本办规则文件"
    assert shown["deadlines.max_extensions"]["value"] == 2
    assert shown["deadlines.resolve.emergency"] == {
        "key": "deadlines.resolve.emergency", "value": "2 hours", "source": "default",
        "basis": "北京公开规定", "help": "紧急诉求反馈时限",
    }


def test_rules_file_errors_name_key_and_line(jiesu, tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text('# 规则\n[escalation]\nreopen_limit = 2\nrepeat_lmit = 3\n', encoding="utf-8")
    refused(jiesu("--rules", str(rules), "list"), f"规则文件 {rules} 第 4 行：未知的规则 escalation.repeat_lmit（jiesu rules show 列出所有规则）")
    rules.write_text('[deadlines.resolve]\n\ngeneral = "7 weeks"\n', encoding="utf-8")
    refused(
        jiesu("--rules", str(rules), "rules", "show"),
        f'规则文件 {rules} 第 3 行：deadlines.resolve.general: 应写作 "N hours"、"N days" 或 "N workdays"（或 N 小时、N 天、N 个工作日）',
    )
    # A fresh tester: a length too long was said to be no length, as todo --within's was.
    rules.write_text('[deadlines.resolve]\ngeneral = "99999 days"\n', encoding="utf-8")
    refused(jiesu("--rules", str(rules), "rules", "show"), f"规则文件 {rules} 第 2 行：deadlines.resolve.general: '99999 days' 太长：最多 \"9999 days\"")
    refused(jiesu("--rules", str(tmp_path / "none.toml"), "list"), f"规则文件 {tmp_path / 'none.toml'} 不存在")


def test_rules_take_what_a_chinese_keyboard_and_the_other_options_take(jiesu, tmp_path, monkeypatch):
    """A fresh tester: `"５ workdays"` was taken but `"２０２６－１０－０８"`, `"5 工作日"`, `"12小时"` (which --within
    takes) and `["联系"]` were refused; `--rules` naming a folder said the file did not exist."""
    rules = tmp_path / "r.toml"
    rules.write_text(
        '[deadlines.resolve]\ngeneral = "5 工作日"\ncomplex = "１５ 个工作日"\nutility = "24小时"\n\n'
        '[revisit]\ndue = "3天"\n\n[calendar]\nholidays = ["２０２６－１１－０３"]\n\n[close]\ndiscuss_requires = ["联系"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("JIESU_RULES", str(rules))
    shown = {row["key"]: row["value"] for row in jiesu.json("rules", "show")}
    assert [shown[f"deadlines.resolve.{tier}"] for tier in ("general", "complex", "utility")] == ["5 workdays", "15 workdays", "24 hours"]
    assert (shown["revisit.due"], shown["calendar.holidays"], shown["close.discuss_requires"]) == ("3 days", ["2026-11-03"], ["contact"])
    case_id = jiesu.new("楼道灯不亮", "--received", "2026-11-02T09:00")  # 11-03 off: 11-04 … 11-10
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-11-11T00:00:00+08:00"
    rules.write_text('[deadlines.resolve]\ngeneral = "2 周"\n', encoding="utf-8")
    refused(jiesu("list"), f'规则文件 {rules} 第 2 行：deadlines.resolve.general: 应写作 "N hours"、"N days" 或 "N workdays"（或 N 小时、N 天、N 个工作日）')
    refused(jiesu("--rules", str(tmp_path), "list"), f"无法读取规则文件 {tmp_path}：这是文件夹，不是文件")


def test_a_folder_named_jiesu_toml_beside_the_book_is_refused(jiesu, book, db_path):
    """It was silently passed over: the office's rules, meant to be in it, were not in force."""
    (db_path.parent / "jiesu.toml").mkdir()
    (db_path.parent / "jiesu.toml" / "jiesu.toml").write_text('[deadlines.resolve]\ngeneral = "5 days"\n', encoding="utf-8")
    said = f"无法读取规则文件 {db_path.parent / 'jiesu.toml'}：这是文件夹，不是文件"
    refused(jiesu("new", "楼道灯不亮", "--received", "2026-11-02T09:00"), said)
    refused(jiesu("rules", "show"), said)
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("body, number, line", [
    ('[deadlines.resolve]\ngeneral = "2 hours"\n', 2, 'deadlines.resolve.general: "2 hours" 短于首次响应时限 deadlines.respond.general "24 hours"'),
    ('[deadlines.resolve]\ngeneral = "0 workdays"\n', 2, 'deadlines.resolve.general: "0 workdays" 可能短于首次响应时限 deadlines.respond.general "24 hours"'),
    ('[deadlines.respond]\n\nutility = "48 hours"\n', 3, 'deadlines.respond.utility: "48 hours" 长于办理时限 deadlines.resolve.utility "24 hours"'),
    ('[deadlines.respond]\ngeneral = "2 workdays"\n[deadlines.resolve]\ngeneral = "3 days"\n', 4,
     'deadlines.resolve.general: "3 days" 可能短于首次响应时限 deadlines.respond.general "2 workdays"'),
    # a fresh tester: "1 hours" was quoted back as "1 hour"; a refusal repeats what the file says
    ('[deadlines.resolve]\ngeneral = "1 hours"\n', 2, 'deadlines.resolve.general: "1 hours" 短于首次响应时限 deadlines.respond.general "24 hours"'),
    ('[deadlines.respond]\ngeneral = " 3  Workday "\n[deadlines.resolve]\ngeneral = "２天"\n', 4,
     'deadlines.resolve.general: "２天" 可能短于首次响应时限 deadlines.respond.general "3 Workday"'),
])
def test_a_resolve_period_shorter_than_the_respond_period_is_refused(jiesu, book, tmp_path, body, number, line):
    """A fresh tester: "2 hours" gave 办理时限 24 hours after receipt while rules show said 2 hours."""
    rules = tmp_path / "r.toml"
    rules.write_text(body, encoding="utf-8")
    said = f"规则文件 {rules} 第 {number} 行：{line}；办理时限不能早于首次响应时限"
    refused(jiesu("--rules", str(rules), "new", "楼道灯不亮", "--received", "2026-11-02T09:00"), said)
    refused(jiesu("--rules", str(rules), "rules", "show"), said)
    assert book.counts() == (0, 0)


def test_resolve_periods_never_shorter_than_respond_are_taken(jiesu, tmp_path, monkeypatch):
    rules = tmp_path / "r.toml"
    rules.write_text('[deadlines.resolve]\nutility = "1 days"\ngeneral = "1 workdays"\n[deadlines.respond]\ngeneral = "1 days"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    water = jiesu.json("show", jiesu.new("停水", "--received", "2026-11-06T09:00", "--category", "供水"))
    assert (water["respond_by"], water["resolve_by"]) == ("2026-11-07T09:00:00+08:00", "2026-11-10T00:00:00+08:00")
    light = jiesu.json("show", jiesu.new("楼道灯不亮", "--received", "2026-11-06T09:00"))
    assert (light["respond_by"], light["resolve_by"]) == ("2026-11-10T00:00:00+08:00", "2026-11-10T00:00:00+08:00")


def test_calendar_fallback_is_said_once_on_stderr(jiesu, tmp_path, monkeypatch):
    (tmp_path / "r.toml").write_text('[deadlines.resolve]\ngeneral = "300 workdays"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(tmp_path / "r.toml"))
    result = jiesu.ok("new", "明年才到期", "--received", "2026-11-02T00:00")
    assert result.stderr.count("chinesecalendar 尚无 2027、2028 年的官方放假安排") == 1
    assert "调休上班日未知" in result.stderr


def test_two_processes_closing_the_same_case_one_wins(jiesu, db_target):
    case_id = file_reasonable(jiesu)
    jiesu.ok("visit", case_id, "--note", "上门")
    env = os.environ | {"JIESU_DB": db_target}
    command = [sys.executable, "-m", "jiesu", "close", str(case_id), "--result", "resolved", "--note", "办结"]
    racers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = sorted((p.wait(timeout=60), p.stderr.read()) for p in racers)
    assert outcomes[0] == (0, "#1 已办结（已办结）\n")
    assert outcomes[1] == (1, "错误: #1 已办结，不能办结；可用：revisit, reopen\n")
    case = jiesu.json("show", case_id)
    assert [e["kind"] for e in case["events"]].count("closed") == 1


@pytest.mark.parametrize("args", [["report", "daily", "--format", "table"], ["list", "--all", "--format", "table"], ["list", "--all", "--format", "json"]])
def test_a_reader_that_goes_away_ends_jiesu_quietly(tmp_path, args):
    """`jiesu report daily | head` in cron: no traceback, and exit 0 as when the reader read it all."""
    book = str(tmp_path / "demo.db")
    assert subprocess.run([sys.executable, "-m", "jiesu", "demo", "--db", book], capture_output=True).returncode == 0
    reader_gone = subprocess.Popen(
        [sys.executable, "-m", "jiesu", "--db", book, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    reader_gone.stdout.close()  # before jiesu has started, so its first write finds no reader
    errors = reader_gone.stderr.read()
    assert reader_gone.wait(timeout=60) == 0
    assert errors == b""


@pytest.mark.parametrize(("content", "line"), [
    ("\ufeff[escalation]\r\nrepeat_limit = 4\r\n".encode("utf-8"), None),
    ("[escalation]\r\nrepeat_limit = 4\r\n# 注释\r\n".encode("gbk"), "规则文件 {path} 不是 UTF-8 文字（可能是 GBK 编码）；请存为 UTF-8"),
])
def test_a_rules_file_saved_by_a_windows_editor(jiesu, tmp_path, content, line):
    """Replayed from a fresh tester: Notepad's BOM read as a TOML error, a GBK file as Python's codec message."""
    path = tmp_path / "jiesu.toml"
    path.write_bytes(content)
    path.chmod(0o600)
    result = jiesu("--rules", str(path), "rules", "show", "-f", "json")
    if line is None:
        assert result.exit_code == 0, result.output
    else:
        refused(result, line.format(path=path))


def test_a_reopen_says_only_the_deadline_it_counted_again(jiesu):
    """A fresh tester: reopened on 12-01, a case received 11-03 said 时限已按重办时间重算：一般档，响应时限
    2026-11-04 09:00，…: the 响应时限, counted from receipt, is not recomputed, and read as due weeks ago."""
    case_id = jiesu.new("路灯不亮", "--nature", "咨询建议", "--received", "2026-11-03T09:00")
    jiesu.ok("visit", case_id, "--note", "上门", "--at", "2026-11-04T09:00")
    jiesu.ok("close", case_id, "--result", "已答复", "--note", "已答复", "--at", "2026-11-04T10:00")
    reopened = jiesu.ok("reopen", case_id, "--reason", "灯又不亮了")
    assert reopened.stderr == "#1 已重办（待派单）\n办理时限已按重办时间重算为 2026-12-10 24:00（一般档）\n"
    assert jiesu.json("show", case_id)["respond_by"] == "2026-11-04T09:00:00+08:00"


def test_a_step_that_moves_the_deadlines_says_them(jiesu):
    """A fresh tester: `escalate` to 区 moved 办理时限 (12-01 → 12-11, 复杂疑难) without a word; only `show`
    revealed it, while `edit` announces such a recompute. A reopen counts its round again and says so too."""
    case_id = jiesu.new("楼道漏水", "--received", "2026-11-20T09:00")
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-12-02T00:00:00+08:00"  # 办理时限 12-01 24:00
    assert jiesu.ok("escalate", case_id, "--reason", "需街道协调", "--at", "2026-11-20T10:00").stderr == "#1 已升级到街道（待派单）\n"
    escalated = jiesu.ok("escalate", case_id, "--reason", "涉及多个产权单位", "--to", "区", "--at", "2026-11-20T11:00")
    assert escalated.stderr == (
        "#1 已升级到区（待派单）\n时限已按升级后的层级重算：复杂疑难档，响应时限 2026-11-21 09:00 到现在已过，办理时限 2026-12-11 24:00\n"
    )
    jiesu.ok("visit", case_id, "--note", "上门", "--at", "2026-11-21T08:00")
    jiesu.ok("classify", case_id, "合理诉求", "--at", "2026-11-21T08:10")
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "修好", "--at", "2026-11-21T08:30")
    assert jiesu.ok("reopen", case_id, "--reason", "又漏了").stderr == (
        "#1 已重办（待派单）\n办理时限已按重办时间重算为 2026-12-22 24:00（复杂疑难档）\n"
    )


def test_a_recompute_of_a_responded_case_leaves_out_its_response_deadline(jiesu):
    """A fresh tester: escalated weeks after its receipt, a case contacted long ago was told 响应时限 2026-11-21
    09:00, counted from its receipt: a deadline past that decides nothing once the citizen was answered."""
    case_id = jiesu.new("楼道漏水", "--received", "2026-11-20T09:00")
    jiesu.ok("contact", case_id, "--at", "2026-11-20T09:30")
    escalated = jiesu.ok("escalate", case_id, "--reason", "涉及多个产权单位", "--to", "区")
    assert escalated.stderr == "#1 已升级到区（待派单）\n时限已按升级后的层级重算：复杂疑难档，办理时限 2026-12-11 24:00（已响应）\n"


def test_a_close_is_revisited_once_and_the_report_counts_revisited_cases(jiesu, book):
    """A second 回访 of the same 办结 (the same answers, or others at the same instant) is refused naming the one
    made: else "the latest revisit" is left to chance and the day's report counted one case twice."""
    case_id = jiesu.new("楼道灯坏", "--phone", "13812345678", "--received", "2026-11-30 09:00")
    jiesu.ok("classify", case_id, "合理诉求", "--at", "2026-11-30 10:00")
    jiesu.ok("visit", case_id, "--note", "上门", "--at", "2026-11-30 11:00")
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "修好", "--at", "2026-11-30 12:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-12-01 09:00")
    before = book.fingerprint()
    line = (
        f"#{case_id} 已回访，不能再回访（测试员 2026-12-01 09:00 已回访：满意，已解决）：同一次办结只回访一次；回访不能撤销，记错的请用 jiesu note {case_id} … 说明，诉求人仍不满意或未解决的请 jiesu reopen {case_id} --reason …"
    )
    refused(jiesu("revisit", case_id, "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-12-01 09:00"), line)
    refused(jiesu("revisit", case_id, "--satisfaction", "不满意", "--resolved", "no"), line)
    assert book.fingerprint() == before
    refused(jiesu("contact", case_id), f"#{case_id} 已回访，不能联系诉求人；可用：reopen")  # no revisit offered
    assert len(jiesu.json("show", case_id)["revisits"]) == 1
    assert jiesu.json("report", "daily")["revisited"] == 1
    # Reopened, closed and revisited again the same day: one case revisited, as it is one case closed.
    jiesu.ok("reopen", case_id, "--reason", "灯又灭了", "--at", "2026-12-01 09:10")
    jiesu.ok("visit", case_id, "--note", "换灯座", "--at", "2026-12-01 09:15")
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "修好", "--at", "2026-12-01 09:20")
    jiesu.ok("revisit", case_id, "--satisfaction", "基本满意", "--resolved", "yes", "--at", "2026-12-01 09:25")
    daily = jiesu.json("report", "daily")
    assert (daily["closed"], daily["revisited"]) == (1, 1)
    assert len(jiesu.json("show", case_id)["revisits"]) == 2


def test_a_contact_forgotten_until_after_the_close_is_backfilled_to_when_the_case_was_open(jiesu, book):
    """A contact or visit (steps that leave the status as it is) dated to a time the case was open is taken on a
    closed case, as a backfill: the first response and the month's 响应率 count it, with no reopen. One dated
    after the close is still refused. The visit's advice is a line that can be followed even then."""
    case_id = jiesu.new("楼道灯坏", "--phone", "13812345678", "--received", "2026-11-20 09:00")
    jiesu.ok("classify", case_id, "合理诉求", "--at", "2026-11-20 10:00")
    advice = jiesu.ok("visit", case_id, "--note", "上门", "--at", "2026-11-20 11:00").stderr.splitlines()[-1]
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "修好", "--at", "2026-11-20 12:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-11-21 10:00")
    assert jiesu.json("report", "monthly", "--period", "2026-11")["rates"]["response"] == 0.0
    before = book.fingerprint()
    refused(jiesu("contact", case_id, "--at", "2026-11-20 12:30"), f"#{case_id} 已回访，不能联系诉求人；可用：reopen")
    refused(jiesu("contact", case_id, "--at", "2026-11-20 12:00"), f"#{case_id} 已回访，不能联系诉求人；可用：reopen")
    refused(jiesu("visit", case_id, "--note", "再看", "--at", "2026-11-21 09:00"), f"#{case_id} 已回访，不能上门；可用：reopen")
    assert book.fingerprint() == before

    command = advice.split("请再记 jiesu ")[1]
    assert command == f"contact {case_id} --at '2026-11-20 11:00'"
    assert jiesu.ok(*shlex.split(command)).stderr == f"#{case_id} 已记录联系（已回访）\n"
    jiesu.ok("visit", case_id, "--note", "补记第二次上门", "--at", "2026-11-20 11:30")
    shown = jiesu.json("show", case_id)
    assert (shown["status"], shown["reopen_count"], shown["responded_at"]) == ("revisited", 0, "2026-11-20T11:00:00+08:00")
    assert [e["kind"] for e in shown["events"]][-2:] == ["contacted", "visited"]
    assert jiesu.json("report", "monthly", "--period", "2026-11")["rates"]["response"] == 1.0
    assert jiesu.ok("check").stderr.startswith("案卷完好")
