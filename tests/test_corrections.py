"""Correcting a case (`jiesu edit`) and taking back a slip (`jiesu undo`), issue 17 items 1 and 2."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from conftest import refused
from jiesu import cases, edits, integrity, ledger, undone
from jiesu.db import open_store
from jiesu.errors import JiesuError
from jiesu.models import CASE_FIELDS, Case, Event
from jiesu.office import Office
from jiesu.rules import DEFAULT_RULES
from jiesu.vocab import Level, Nature, Result, Satisfaction


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """These tests read exact times in messages: now is pinned to the morning of 2026-12-01."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")


def filed(jiesu, *args):
    return jiesu.new(
        "楼上漏水", "--phone", "13812345678", "--name", "王大爷", "--address", "前门东大街1号", "--community", "前门社区",
        "--category", "物业管理/漏水", "--received", "2026-11-30T09:00", *args,
    )


def test_edit_corrects_fields_in_one_edited_event_with_old_and_new_values(jiesu, book):
    case_id = filed(jiesu)
    result = jiesu.ok(
        "edit", case_id, "--address", "前门东大街3号", "--phone", "010-65123456", "--name", "王建国",
        "--community", "大栅栏社区", "--summary", "楼上卫生间漏水", "--ref", "BJ001", "--kind", "投诉", "--channel", "来访",
    )
    assert result.stderr.splitlines()[0].startswith("#1 已更正：诉求摘要：楼上漏水 → 楼上卫生间漏水；")
    assert "诉求地址：前门东大街1号 → 前门东大街3号" in result.stderr
    assert "受理渠道：12345热线 → 来访" in result.stderr
    case = jiesu.json("show", case_id, "--reveal")
    assert (case["address"], case["phone"], case["name"], case["community"]) == ("前门东大街3号", "01065123456", "王建国", "大栅栏社区")
    assert (case["ref"], case["kind"], case["channel"], case["version"]) == ("BJ001", "complaint", "walkin", 2)
    edited = case["events"][-1]
    assert [e["kind"] for e in case["events"]] == ["filed", "edited"]
    assert edited["changes"]["address"] == ["前门东大街1号", "前门东大街3号"]
    assert edited["changes"]["phone"] == ["13812345678", "01065123456"]
    assert edited["actor"] == "测试员"
    assert book.counts() == (1, 2)
    table = jiesu.ok("show", case_id, "--format", "table").stdout
    assert "更正" in table and "诉求地址：前门东大街1号" in table  # show wraps the long change line
    assert [c["id"] for c in jiesu.json("list", "--search", "前门东大街３号")] == [1]
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_a_corrected_phone_is_masked_in_the_history_unless_revealed(jiesu):
    """The edit event holds the old number and the new: `show` masked the case's phone but printed both in full."""
    case_id = filed(jiesu)
    jiesu.ok("edit", case_id, "--phone", "13900001111")
    jiesu.ok("undo", case_id)
    shown = jiesu.ok("show", case_id, "--format", "json").stdout + jiesu.ok("show", case_id, "--format", "table").stdout
    assert "13812345678" not in shown and "13900001111" not in shown
    assert [e["changes"].get("phone") for e in jiesu.json("show", case_id)["events"]] == [
        None, ["138****5678", "139****1111"], ["139****1111", "138****5678"],
    ]
    revealed = jiesu.json("show", case_id, "--reveal")["events"]
    assert revealed[1]["changes"]["phone"] == ["13812345678", "13900001111"]
    assert "联系电话：13812345678 → 13900001111" in jiesu.ok("show", case_id, "--reveal", "--format", "table").stdout.replace("\n", "")


def test_edit_that_changes_the_tier_recomputes_deadlines_and_says_so(jiesu):
    case_id = filed(jiesu)
    before = jiesu.json("show", case_id)
    assert before["tier"] == "general"
    result = jiesu.ok("edit", case_id, "--urgency", "紧急")
    assert result.stderr.splitlines() == [
        "#1 已更正：紧急程度：一般 → 紧急",
        "时限已按更正后的内容重算：紧急档，响应时限 2026-11-30 11:00 到现在已过，办理时限 2026-11-30 11:00 到现在已过",
    ]
    after = jiesu.json("show", case_id)
    assert (after["tier"], after["resolve_by"]) == ("emergency", "2026-11-30T11:00:00+08:00")
    assert set(after["events"][-1]["changes"]) == {"urgency", "tier", "respond_by", "resolve_by"}
    result = jiesu.ok("edit", case_id, "--urgency", "normal", "--category", "供暖/暖气不热")
    assert "水电气热档" in result.stderr
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-12-01T09:00:00+08:00"


def test_edit_that_makes_an_open_case_late_says_its_deadline_has_passed(jiesu, monkeypatch):
    """Replayed from a fresh tester: a category corrected to 供水 two days on moved the 办理时限 to the day after
    receipt, and the line named it without saying the case was now late (as `reopen` says of a passed 整改期限)."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-04T10:50:00+08:00")
    case_id = jiesu.new("停水", "--channel", "walkin", "--nature", "合理诉求", "--received", "2026-12-01T15:05")
    result = jiesu.ok("edit", case_id, "--category", "供水/停水")
    assert result.stderr.splitlines()[-1] == "时限已按更正后的内容重算：水电气热档，办理时限 2026-12-02 15:05 到现在已过（已响应）"
    assert ids_of(jiesu.json("list", "--overdue")) == [case_id]
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "已恢复供水")
    jiesu.ok("edit", case_id, "--category", "物业/维修")
    result = jiesu.ok("edit", case_id, "--category", "供水/停水")  # closed: late no longer, nothing to say
    assert result.stderr.splitlines()[-1] == "时限已按更正后的内容重算：水电气热档，办理时限 2026-12-02 15:05（已响应）"


def ids_of(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


def test_edit_that_keeps_the_tier_does_not_mention_deadlines(jiesu):
    case_id = filed(jiesu)
    result = jiesu.ok("edit", case_id, "--category", "物业管理/下水管道")
    assert result.stderr == "#1 已更正：诉求类别：物业管理/漏水 → 物业管理/下水管道\n"


def test_edit_of_receipt_time_moves_the_deadlines(jiesu):
    case_id = filed(jiesu)
    jiesu.ok("edit", case_id, "--received", "2026-11-30T08:00")
    assert jiesu.json("show", case_id)["respond_by"] == "2026-12-01T08:00:00+08:00"


def test_a_receipt_corrected_to_a_later_time_passes_check(jiesu, monkeypatch):
    """A fresh tester's cron alarm: the filing is dated at the receipt as first typed, a correction when it
    was typed, and `check` called both earlier than the corrected receipt (`#1 的受理时间 … 早于受理时间 …`)."""
    case_id = filed(jiesu)  # received 2026-11-30 09:00
    monkeypatch.setenv("JIESU_NOW", "2026-11-30T09:10:00+08:00")
    jiesu.ok("edit", case_id, "--address", "前门东大街3号")
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    jiesu.ok("edit", case_id, "--received", "2026-12-01T08:00")
    assert jiesu.json("show", case_id)["received_at"] == "2026-12-01T08:00:00+08:00"
    assert jiesu.ok("check").stderr.startswith("案卷完好")
    jiesu.ok("assign", case_id, "物业", "--at", "2026-12-01T08:30")
    assert jiesu.ok("check").stderr.startswith("案卷完好")


@pytest.mark.parametrize(
    "args, line",
    [
        (["--address", "前门东大街1号"], "#1 没有变化：给出的值与现有的相同"),
        (["--received", "+2d"], None),
        (["--received", "2026-11-30T12:00"], "#1 的受理时间不能改为 2026-11-30 12:00：它晚于 测试员 已记录的派单（2026-11-30 10:00）；受理须在每一步办理之前"),
        # the same minute: to the second, or `10:00 … 晚于 10:00` reads as nonsense (a fresh tester's `--received now`)
        (["--received", "2026-11-30T10:00:30"], "#1 的受理时间不能改为 2026-11-30 10:00:30：它晚于 测试员 已记录的派单（2026-11-30 10:00:00）；受理须在每一步办理之前"),
        (["--ref", "BJ-TAKEN"], "工单编号 BJ-TAKEN 已用于 #2"),
        ([], None),
    ],
)
def test_edit_refuses_bad_values_with_one_line_and_writes_nothing(jiesu, book, args, line):
    case_id = filed(jiesu)
    jiesu.new("另一件", "--ref", "BJ-TAKEN")
    jiesu.ok("assign", case_id, "物业", "--at", "2026-11-30T10:00")
    before = book.fingerprint()
    refused(jiesu("edit", case_id, *args), line)
    assert book.fingerprint() == before


def test_edit_refuses_a_merged_case_and_an_unknown_one(jiesu, book):
    first, second = filed(jiesu), filed(jiesu)
    jiesu.ok("merge", second, "--into", first)
    before = book.fingerprint()
    refused(jiesu("edit", second, "--address", "别处"), "#2 已合并到 #1，不能更正；请更正 #1")
    refused(jiesu("edit", 9, "--address", "别处"), "没有 #9 这件诉求")
    assert book.fingerprint() == before


@pytest.mark.parametrize("cleared", ["-", "", "－"])
def test_edit_kind_dash_clears_it_as_the_prompt_does_and_undo_brings_it_back(jiesu, cleared):
    # a fresh tester: `edit 21 --kind -` was `未知的诉求类型 '-'` though the editor's `-` clears the kind
    case_id = filed(jiesu, "--kind", "投诉")
    assert jiesu.ok("edit", case_id, "--kind", cleared).stderr == "#1 已更正：诉求类型：投诉 → —\n"
    case = jiesu.json("show", case_id)
    assert case["kind"] is None and case["events"][-1]["changes"] == {"kind": ["complaint", None]}
    jiesu.ok("undo", case_id)
    assert jiesu.json("show", case_id)["kind"] == "complaint"


@pytest.mark.parametrize("option", ["--urgency", "--channel"])
@pytest.mark.parametrize("cleared", ["-", ""])
def test_edit_refuses_to_clear_a_choice_a_case_must_have(jiesu, book, option, cleared):
    case_id = filed(jiesu)
    before = book.fingerprint()
    line = refused(jiesu("edit", case_id, option, cleared), code=2)
    assert "必须有值，不能留空或清除" in line
    assert book.fingerprint() == before


def test_edit_of_a_closed_case_is_allowed(jiesu):
    case_id = filed(jiesu, "--channel", "来访", "--nature", "合理诉求")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "当场修好")
    jiesu.ok("edit", case_id, "--address", "前门东大街5号")
    assert jiesu.json("show", case_id)["status"] == "closed"


# ---------------------------------------------------------------- undo


def test_a_long_text_is_echoed_short_and_kept_whole(jiesu):
    """A 5,000-character detail: the message shows its start, an ellipsis and its length; show and JSON keep it all."""
    long = "楼上漏水" * 1250
    case = jiesu.new("楼上漏水", "--received", "-2h")
    edited = jiesu.ok("edit", case, "--detail", long)
    assert edited.stderr == f"#{case} 已更正：诉求详情：— → {long[:20]}…（共 5000 字）\n"  # 20 characters: 40 columns
    undone_line = jiesu.ok("undo", case).stderr
    assert undone_line == f"#{case} 已撤销更正：诉求详情：{long[:20]}…（共 5000 字） → —（待派单）\n"
    events = jiesu.json("show", case)["events"]
    assert events[1]["changes"]["detail"] == [None, long] and events[2]["changes"]["detail"] == [long, None]  # null, as the case says none


def test_every_echo_of_typed_text_is_one_short_line(jiesu):
    long = "街道城市管理综合执法队" * 100
    case = jiesu.new("楼上漏水", "--nature", "合理诉求", "--received", "-2h")
    assigned = jiesu.ok("assign", case, long).stderr
    assert assigned == f"#{case} 已派给 {long[:20]}…（共 1100 字）（办理中）\n"
    added = jiesu.ok("ledger", "add", case, "--plan", "修", "--unit", long).stderr
    assert added == f"#{case} 已上账：台账 1（2026-12，{long[:20]}…（共 1100 字））\n"
    refused(jiesu("new", "x", "--phone", "1" * 5000), code=2, line=f"--phone 无效：不是有效的中国电话号码：'{'1' * 40}…（共 5000 字）'（手机如 13812345678，座机如 010-65123456）")
    assert jiesu.json("show", case)["assignee"] == long


def test_an_edited_text_that_starts_like_a_date_is_echoed_as_typed(jiesu):
    case = jiesu.new("楼上漏水", "--received", "-2h")
    text = "2026-11-20 楼上漏水，天花板滴水三天"
    assert jiesu.ok("edit", case, "--detail", text).stderr == f"#{case} 已更正：诉求详情：— → {text}\n"


def test_undo_takes_back_a_wrong_assignment(jiesu, book):
    case_id = filed(jiesu)
    jiesu.ok("assign", case_id, "错的单位")
    result = jiesu.ok("undo", case_id)
    assert result.stderr == "#1 已撤销派单：承办：错的单位 → —；状态：办理中 → 待派单（待派单）\n"
    case = jiesu.json("show", case_id)
    assert (case["status"], case["assignee"]) == ("new", None)
    undone = case["events"][-1]
    assert undone["kind"] == "undone" and undone["changes"] == {"assignee": ["错的单位", None], "status": ["assigned", "new"]}
    assert [e["kind"] for e in case["events"]] == ["filed", "assigned", "undone"]
    assert undone["undoes"] == case["events"][1]["id"] and case["events"][1]["undoes"] is None
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_undo_without_id_takes_back_the_actors_latest_step_anywhere(jiesu):
    first, second = filed(jiesu), filed(jiesu)
    jiesu.ok("assign", second, "物业")
    jiesu.ok("assign", first, "物业")
    jiesu.ok("classify", second, "reasonable")
    jiesu.ok("undo")
    assert jiesu.json("show", second)["nature"] == "unclassified"
    jiesu.ok("undo")
    assert jiesu.json("show", first)["status"] == "new"
    assert jiesu.json("show", second)["status"] == "assigned"


def test_undo_of_a_close_reopens_nothing_but_the_step(jiesu):
    case_id = filed(jiesu, "--channel", "来访", "--nature", "合理诉求")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "办错了编号")
    jiesu.ok("undo", case_id)
    case = jiesu.json("show", case_id)
    assert (case["status"], case["result"], case["closed_at"]) == ("new", None, None)
    assert jiesu.json("report", "daily")["closed"] == 0
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_undone_visit_no_longer_counts_for_closing(jiesu):
    case_id = filed(jiesu, "--nature", "合理诉求")
    jiesu.ok("visit", case_id, "--note", "记错了件")
    jiesu.ok("undo", case_id)
    refused(jiesu("close", case_id, "--result", "resolved", "--note", "x"), "#1 走上门办，办结前还需要上门（visit）的记录")


def test_undo_refused_when_a_later_step_depends_on_it(jiesu, book, monkeypatch):
    case_id = filed(jiesu, "--nature", "合理诉求")
    jiesu.ok("assign", case_id, "物业")
    jiesu.ok("visit", case_id, "--note", "上门")
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "修好")
    monkeypatch.setenv("JIESU_ACTOR", "测试员")
    before = book.fingerprint()
    refused(jiesu("undo", case_id), "#1 的上门（2026-12-01 09:30）不能撤销：之后 李四 已办结（2026-12-01 09:30），它以这一步为依据")
    assert book.fingerprint() == before


# (my step, the later step by 李四 that stands on it, the later step as the refusal names it)
DEPENDENT_STEPS = [
    (["assign", "1", "物业"], ["assign", "1", "城管科"], "派单"),
    (["assign", "1", "物业"], ["return", "1", "--reason", "不归我们"], "退单"),
    (["visit", "1", "--note", "上门"], ["close", "1", "--result", "resolved", "--note", "修好"], "办结"),
    (["escalate", "1", "--reason", "难"], ["escalate", "1", "--reason", "更难"], "升级"),
    (["edit", "1", "--address", "前门东大街3号"], ["edit", "1", "--address", "前门东大街5号"], "更正"),
    (["classify", "1", "不合理诉求"], ["classify", "1", "合理诉求"], "研判"),
    (["extend", "1", "--to", "2026-12-30", "--reason", "等"], ["edit", "1", "--urgency", "紧急"], "更正"),
    (["contact", "1", "--note", "电话"], ["contact", "1", "--note", "再打"], "联系诉求人"),
    (["assign", "1", "物业"], ["ledger", "add", "1", "--plan", "修", "--unit", "物业"], "上账"),
    (["assign", "1", "物业"], ["merge", "1", "--into", "2"], "并单"),
]


@pytest.mark.parametrize("mine, theirs, named", DEPENDENT_STEPS, ids=[t[0] for _, t, _ in DEPENDENT_STEPS])
def test_undo_refusal_names_the_later_step_who_did_it_and_when(jiesu, book, monkeypatch, mine, theirs, named):
    filed(jiesu, "--nature", "合理诉求")
    filed(jiesu)
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:00:00+08:00")
    jiesu.ok(*mine)
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:20:00+08:00")
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    jiesu.ok(*theirs)
    monkeypatch.setenv("JIESU_ACTOR", "测试员")
    before = book.fingerprint()
    line = refused(jiesu("undo", "1"))
    assert line.endswith(f"（2026-12-01 09:00）不能撤销：之后 李四 已{named}（2026-12-01 09:20），它以这一步为依据"), line
    assert book.fingerprint() == before


def test_undo_of_the_first_contact_is_refused_after_a_second_one(jiesu, monkeypatch):
    case_id = filed(jiesu)
    jiesu.ok("contact", case_id, "--at", "2026-12-01T08:00")
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    jiesu.ok("contact", case_id)
    monkeypatch.setenv("JIESU_ACTOR", "测试员")
    refused(jiesu("undo", case_id), "#1 的联系诉求人（2026-12-01 08:00）不能撤销：之后 李四 已联系诉求人（2026-12-01 09:30），它以这一步为依据")


def test_undo_is_allowed_past_a_later_step_that_does_not_depend_on_it(jiesu, monkeypatch):
    case_id = filed(jiesu)
    jiesu.ok("assign", case_id, "错的单位")
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    jiesu.ok("contact", case_id, "--note", "已联系")
    monkeypatch.setenv("JIESU_ACTOR", "测试员")
    jiesu.ok("undo", case_id)
    assert jiesu.json("show", case_id)["assignee"] is None


@pytest.mark.parametrize(
    "steps, line",
    [
        ([], "#1 的受理（2026-11-30 09:00）不能撤销：受理不能撤销；录错的内容请用 jiesu edit 更正"),
        ([["ledger", "add", "1", "--plan", "换管", "--unit", "城管科"]],
         "#1 的上账（2026-12-01 09:30）不能撤销：上账已记入台账余额，不能撤销；措施、单位或期限录错的请用 jiesu ledger edit 更正"),
        # a fresh tester: the 销账's refusal said what could not be done, not what to do
        ([["ledger", "add", "1", "--plan", "换管", "--unit", "城管科"], ["ledger", "clear", "1", "--evidence", "已换"]],
         "#1 的销账（2026-12-01 09:30）不能撤销：销账已记入台账余额，不能撤销；整改没有落实的请用 jiesu reopen 重新挂账"),
        ([["merge", "1", "--into", "2"]], "#1 的并单（2026-12-01 09:30）不能撤销：并单不能撤销"),
    ],
)
def test_undo_refuses_irreversible_steps_saying_which(jiesu, book, steps, line):
    filed(jiesu, "--nature", "合理诉求")
    filed(jiesu)
    for step in steps:
        jiesu.ok(*step)
    before = book.fingerprint()
    said = refused(jiesu("undo", "1"), line)
    assert "不能撤销" in said
    assert book.fingerprint() == before


def logged_the_day_before(jiesu, monkeypatch) -> int:
    """A case assigned by a step written on 2026-11-30 at 09:10 (now is 2026-12-01 09:30)."""
    case_id = filed(jiesu)
    monkeypatch.setenv("JIESU_NOW", "2026-11-30T09:10:00+08:00")
    jiesu.ok("assign", case_id, "物业")
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    return case_id


def test_undo_refused_once_the_window_has_passed(jiesu, monkeypatch):
    case_id = logged_the_day_before(jiesu, monkeypatch)
    refused(jiesu("undo", case_id), "#1 的派单（2026-11-30 09:10）不能撤销：已超过撤销时限 24 小时（规则 undo.window）")


def test_undo_window_comes_from_the_rules_file(jiesu, tmp_path, monkeypatch):
    path = tmp_path / "rules.toml"
    path.write_text('[undo]\nwindow = "48 hours"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(path))
    case_id = logged_the_day_before(jiesu, monkeypatch)
    jiesu.ok("undo", case_id)


@pytest.mark.parametrize("at", ["-3d", "2026-11-30T09:10", "-25h"])
def test_a_backdated_step_can_be_undone_as_soon_after_its_writing_as_any(jiesu, book, at):
    """The time limit counts from when the step was written, not from the time it is dated."""
    case_id = jiesu.new("楼上漏水", "--received", "2026-11-20T09:00")
    jiesu.ok("assign", case_id, "物业", "--at", at)
    jiesu.ok("undo", case_id)
    assert jiesu.json("show", case_id)["status"] == "new"
    recorded = book.rows("SELECT kind, recorded_at FROM events WHERE case_id = :c ORDER BY id", c=case_id)
    assert [kind for kind, _ in recorded] == ["filed", "assigned", "undone"] and all(when is not None for _, when in recorded)


def test_undo_with_nothing_to_undo(jiesu, monkeypatch):
    filed(jiesu)
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    refused(jiesu("undo", "1"), "李四 在 #1 上没有可撤销的办理记录")
    refused(jiesu("undo"), "李四 没有可撤销的办理记录")
    refused(jiesu("undo", "7"), "没有 #7 这件诉求")


def test_undo_of_an_edit_restores_the_old_values_and_deadlines(jiesu):
    case_id = filed(jiesu)
    before = jiesu.json("show", case_id)
    jiesu.ok("edit", case_id, "--urgency", "urgent", "--address", "别处")
    jiesu.ok("undo", case_id)
    after = jiesu.json("show", case_id)
    for key in ("urgency", "address", "tier", "respond_by", "resolve_by"):
        assert after[key] == before[key]
    assert [c["id"] for c in jiesu.json("list", "--search", "别处")] == []
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_check_finds_an_undone_event_that_restores_the_wrong_values(jiesu, book):
    case_id = filed(jiesu)
    jiesu.ok("assign", case_id, "物业")
    step = book.scalar("SELECT max(id) FROM events")
    book.execute(
        "INSERT INTO events (case_id, at, actor, kind, note, changes, undoes) VALUES "
        "(1, '2026-12-01 01:40:00', 'x', 'undone', '', '{\"assignee\": [\"物业\", \"别人\"]}', :step)", step=step
    )
    result = jiesu("check")
    assert result.exit_code == 1
    assert f"#1 的撤销记录 {step + 1}恢复的值与记录 {step} 的变更不符" in result.stdout + result.stderr


# ---------------------------------------------------------------- random days of work with slips taken back

ACTIONS = [
    "assign", "return", "contact", "visit", "classify", "escalate", "extend", "close", "revisit_bad", "revisit_good",
    "reopen", "note", "edit_urgency", "edit_category", "edit_address", "ledger", "merge", "undo", "undo", "undo_any",
]
workdays = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2), st.integers(0, 1)), min_size=1, max_size=30)


def _step(office: Office, action: str, case_id: int, pick: int):
    if action == "assign":
        return cases.assign(office, case_id, ["物业", "城管科", "水务所"][pick])
    if action == "return":
        return cases.return_case(office, case_id, "不属本单位")
    if action == "contact":
        return cases.contact(office, case_id)
    if action == "visit":
        return cases.visit(office, case_id, "上门")
    if action == "classify":
        return cases.classify(office, case_id, [Nature.REASONABLE, Nature.UNREASONABLE, Nature.CONSULT][pick])
    if action == "escalate":
        return cases.escalate(office, case_id, "协调", [None, Level.DISTRICT, None][pick])
    if action == "extend":
        with office.store.read() as session:
            resolve_by = session.get(Case, case_id).resolve_by
        return cases.extend(office, case_id, resolve_by + timedelta(days=2), "等配件")
    if action == "close":
        with office.store.read() as session:
            track = session.get(Case, case_id).track
        result = {"handle": Result.RESOLVED, "persuade": Result.EXPLAINED, "discuss": Result.ANSWERED}.get(track, Result.RESOLVED)
        return cases.close(office, case_id, result, "办结")
    if action.startswith("revisit"):
        good = action == "revisit_good"
        return cases.revisit(office, case_id, Satisfaction.SATISFIED if good else Satisfaction.UNSATISFIED, good)
    if action == "reopen":
        return cases.reopen(office, case_id, "仍未解决")
    if action == "note":
        return cases.add_note(office, case_id, "备注")
    if action == "edit_urgency":
        return edits.edit_case(office, case_id, {"urgency": ["normal", "urgent", "normal"][pick]})
    if action == "edit_category":
        return edits.edit_case(office, case_id, {"category": ["供暖/暖气不热", "物业管理/漏水", "城乡建设/违建"][pick]})
    if action == "edit_address":
        return edits.edit_case(office, case_id, {"address": ["前门东大街３号", "前门东大街3号", "鲜鱼口街1号"][pick]})
    if action == "ledger":
        return ledger.add_entry(office, case_id, "整改", "城管科")
    if action == "merge":
        return cases.merge(office, case_id, 1 + (case_id % 3))
    raise AssertionError(action)


def _fields(office: Office, case_id: int) -> dict:
    with office.store.read() as session:
        case = session.get(Case, case_id)
        return {name: getattr(case, name) for name in CASE_FIELDS if name != "version"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=workdays)
def test_random_steps_with_edits_and_undos_keep_the_book_sound(new_target, steps):
    store = open_store(new_target(f"undo-{uuid.uuid4().hex[:8]}"))
    start = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    workers = [Office(store=store, rules=DEFAULT_RULES, actor=name, now=start) for name in ("张三", "李四")]
    before_step: dict[int, dict] = {}  # event id → the case's fields just before the step that wrote it
    try:
        for number in range(3):
            cases.file_case(workers[0], cases.Draft(f"诉求{number}", received_at=start - timedelta(hours=1)))
        for action, which, who in steps:
            office = workers[who]
            for worker in workers:
                worker.now += timedelta(minutes=7)
            case_id = which + 1
            if action.startswith("undo"):
                standing = {n: _fields(office, n) for n in (1, 2, 3)}
                try:
                    done = undone.undo(office, None if action == "undo_any" else case_id)
                except JiesuError:
                    continue
                # What the step changed is as it was before the step; everything else as it was before the undo.
                restored = {name: before_step[done.step.id][name] for name in json.loads(done.step.changes)}
                assert _fields(office, done.case.id) == standing[done.case.id] | restored, done.step.kind
                continue
            snapshot = _fields(office, case_id)
            with store.read() as session:
                last_event = session.exec(select(func.max(Event.id))).one() or 0
            try:
                _step(office, action, case_id, which)
            except JiesuError:
                continue
            with store.read() as session:
                for event in session.exec(select(Event).where(Event.id > last_event, Event.case_id == case_id)):
                    before_step[event.id] = snapshot
        assert integrity.check(workers[0]) == []
    finally:
        store.close()



def test_a_dash_clears_a_field_on_the_command_line_as_when_edit_asks(jiesu, book):
    """A fresh tester: `edit --phone ''` cleared the phone but `edit --phone -` — the README's way to clear,
    typed when `edit` asks — was refused, and `--name -` stored a name `-`."""
    case_id = jiesu.new("楼上漏水", "--phone", "13812345678", "--name", "王大爷", "--address", "前门东大街3号", "--received", "-2h")
    assert jiesu.ok("edit", case_id, "--phone", "-").stderr == f"#{case_id} 已更正：联系电话：138****5678 → —\n"
    assert jiesu.ok("edit", case_id, "--name", "-", "--address", " - ").stderr == f"#{case_id} 已更正：诉求人：王大爷 → —；诉求地址：前门东大街3号 → —\n"
    shown = jiesu.json("show", case_id, "--reveal")
    assert (shown["phone"], shown["name"], shown["address"]) == (None, None, None)
    before = book.fingerprint()
    refused(jiesu("edit", case_id, "--summary", ""), "诉求摘要不能为空", code=2)
    for dash in ("-", "－"):
        refused(jiesu("edit", case_id, "--summary", dash), "诉求摘要不能为空（- 在命令行上表示清除）；请写出诉求摘要的内容", code=2)
    assert book.fingerprint() == before
    # Tester 19: the full-width － a Chinese keyboard types stored itself as the community.
    jiesu.ok("edit", case_id, "--community", "前门社区")
    assert jiesu.ok("edit", case_id, "--community", "－").stderr == f"#{case_id} 已更正：所属社区：前门社区 → —\n"
