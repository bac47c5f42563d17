"""`jiesu purge`: names and phones of long-closed cases go; the cases, their history and every figure stay."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import DBAPIError

from conftest import refused



def figures(jiesu) -> dict:
    return {
        "monthly": jiesu.json("report", "monthly", "--period", "2026-11"),
        "daily": jiesu.json("report", "daily"),
        "hotspots": [h for h in jiesu.json("hotspots", "--days", "30") if h.get("kind") != "caller"],
        "ids": [c["id"] for c in jiesu.json("list", "--all")],
    }


def test_purge_removes_name_and_phone_of_closed_cases_and_every_figure_still_adds_up(jiesu, db_target, book):
    jiesu.ok("demo", "--db", db_target)
    closed = book.rows(  # before 2026-11-29 in Beijing is before 16:00 UTC the day before
        "SELECT id FROM cases WHERE (name IS NOT NULL OR phone IS NOT NULL) AND ("
        "status IN ('closed', 'revisited') AND closed_at < '2026-11-28 16:00' OR status = 'merged' AND received_at < '2026-11-28 16:00') "
        "ORDER BY status = 'merged', id"
    )
    assert closed and book.scalar("SELECT count(*) FROM cases WHERE phone IS NOT NULL AND id = :i", i=closed[0][0]) == 1
    before, events_before = figures(jiesu), book.counts()[1]

    dry = jiesu.ok("purge", "--closed-before", "2026-11-29", "--dry-run")
    assert dry.stderr.strip() == f"将删除 {len(closed)} 件诉求的姓名、电话（办结早于 2026-11-29）；试运行，未写入"
    assert book.counts()[1] == events_before

    done = jiesu.ok("purge", "--closed-before", "2026-11-29")
    assert done.stderr.strip() == f"已删除 {len(closed)} 件诉求的姓名、电话（办结早于 2026-11-29）；诉求、办理记录和统计保留"
    assert book.scalar("SELECT count(*) FROM cases WHERE (name IS NOT NULL OR phone IS NOT NULL) AND id IN "
                       "(SELECT case_id FROM events WHERE kind = 'purged')") == 0
    assert book.counts()[1] == events_before + len(closed)
    assert figures(jiesu) == before
    shown = jiesu.json("show", str(closed[0][0]))
    assert shown["name"] is None and shown["phone"] is None and shown["address"] is not None
    purged = shown["events"][-1]
    assert purged["kind"] == "purged" and purged["note"] == "按保存期限删除诉求人个人信息（姓名、电话）"
    assert "***" in json.dumps(purged, ensure_ascii=False)
    jiesu.ok("check")
    again = jiesu.ok("purge", "--closed-before", "2026-11-29")
    assert again.stderr.startswith("已删除 0 件")


def test_purge_with_address_also_forgets_where_but_keeps_the_community(jiesu, db_target, book):
    case_id = jiesu.new("楼道灯不亮", "--phone", "13812345678", "--name", "张三", "--address", "前门东大街3号",
                        "--community", "前门社区", "--received", "2026-10-01T09:00", "--nature", "合理诉求")
    jiesu.ok("visit", case_id, "--note", "上门查看", "--at", "2026-10-01T09:30")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "已修好", "--at", "2026-10-01T10:00")
    jiesu.ok("purge", "--closed-before", "2026-11-01", "--address")
    case = jiesu.json("show", case_id)
    assert (case["name"], case["phone"], case["address"], case["community"]) == (None, None, None, "前门社区")
    assert jiesu.json("list", "--all", "--search", "前门东大街") == []
    assert jiesu.json("list", "--all", "--search", "张三") == []
    assert [c["id"] for c in jiesu.json("list", "--all", "--search", "楼道灯")] == [case_id]


def test_the_default_retention_is_three_years_after_closing(jiesu, db_target, book, monkeypatch):
    jiesu.ok("demo", "--db", db_target)
    assert jiesu.ok("purge", "--dry-run").stderr.startswith("将删除 0 件诉求的姓名、电话（办结早于 2023-12-01）")
    monkeypatch.setenv("JIESU_NOW", "2029-12-01T09:30:00+08:00")
    done_with = book.scalar("SELECT count(*) FROM cases WHERE status IN ('closed', 'revisited', 'merged') "
                            "AND (name IS NOT NULL OR phone IS NOT NULL)")
    assert jiesu.ok("purge").stderr.startswith(f"已删除 {done_with} 件诉求的姓名、电话（办结早于 2026-12-01）")
    open_with_phone = book.scalar("SELECT count(*) FROM cases WHERE status IN ('new', 'assigned', 'ledgered') AND phone IS NOT NULL")
    assert open_with_phone > 0  # open cases keep their citizen


def test_a_bad_date_is_refused_and_changes_nothing(jiesu, book):
    jiesu.new("楼道灯不亮", "--phone", "13812345678")
    before = book.fingerprint()
    assert jiesu("purge", "--closed-before", "去年").exit_code in (1, 2)
    assert book.fingerprint() == before


def test_a_cutoff_still_to_come_is_refused_and_purges_nothing(jiesu, book):
    """A fresh tester: `--closed-before 2099-01-01` purged a case closed yesterday whose revisit was still
    due; a mistyped year (2029 for 2023) cannot be undone."""
    case_id = jiesu.new("楼道灯不亮", "--phone", "13812345678", "--name", "张三", "--received", "2026-11-29T09:00", "--nature", "咨询建议")
    jiesu.ok("visit", case_id, "--note", "谈了", "--at", "2026-11-29T10:00")
    jiesu.ok("close", case_id, "--result", "answered", "--note", "已答复", "--at", "2026-11-30T09:00")
    before = book.fingerprint()
    line = "2099-01-01 00:00 还没有到，--closed-before 只能是过去的日期（删除个人信息不能撤销）"
    refused(jiesu("purge", "--closed-before", "2099-01-01", "--dry-run"), line)
    refused(jiesu("purge", "--closed-before", "2099-01-01"), line)
    refused(jiesu("purge", "--closed-before", "2026-12-01T09:31"), "2026-12-01 09:31 还没有到，--closed-before 只能是过去的日期（删除个人信息不能撤销）")
    assert book.fingerprint() == before and jiesu.json("show", case_id)["phone"] == "138****5678"
    assert "已合并的按受理时间算" in jiesu.ok("purge", "--help").stdout.replace("\n", "").replace(" ", "")


def test_a_cutoff_that_takes_the_phone_of_a_revisit_not_yet_due_is_refused(jiesu, book):
    """A fresh tester: `purge --closed-before` today took the phone of a case closed yesterday, whose
    revisit (3 days, rule revisit.due) the rules still asked for. A revisit already late does not stop it."""
    def closed(on: str) -> str:
        case_id = jiesu.new("楼道灯不亮", "--phone", "13812345678", "--received", f"{on}T08:00", "--nature", "咨询建议")
        jiesu.ok("visit", case_id, "--note", "谈了", "--at", f"{on}T08:30")
        jiesu.ok("close", case_id, "--result", "answered", "--note", "已答复", "--at", f"{on}T09:00")
        return case_id

    late, waiting = closed("2026-11-20"), closed("2026-11-30")  # now is 2026-12-01 09:30; 11-30's revisit is due 12-03 24:00
    before = book.fingerprint()
    line = (f"错误: 办结早于 2026-12-01 的诉求中有 1 件（#{waiting}）还没到回访期限（最晚 2026-12-03 24:00），"
            "回访要用电话；删除个人信息不能撤销，请先回访，或用更早的日期")
    for dry in ([], ["--dry-run"]):
        result = jiesu("purge", "--closed-before", "2026-12-01", *dry)
        assert (result.exit_code, result.stderr.strip()) == (1, line)
    assert book.fingerprint() == before
    assert jiesu.ok("purge", "--closed-before", "2026-11-25").stderr.startswith("已删除 1 件")
    assert jiesu.json("show", late)["phone"] is None
    jiesu.ok("revisit", waiting, "--satisfaction", "满意", "--resolved", "yes", "--at", "2026-12-01T09:00")
    assert jiesu.ok("purge", "--closed-before", "2026-12-01").stderr.startswith("已删除 1 件")


def test_the_cutoff_is_echoed_with_its_clock_time(jiesu):
    """The line said 办结早于 2026-11-30 for 2026-11-30T15:00, which also took cases closed that morning."""
    out = jiesu.ok("purge", "--closed-before", "2026-11-30T15:00", "--dry-run").stderr.strip()
    assert out == "将删除 0 件诉求的姓名、电话（办结早于 2026-11-30 15:00）；试运行，未写入"


def test_purge_also_replaces_the_values_a_correction_recorded_in_the_history(jiesu, book):
    """Purge said it removed 姓名、电话, but an `edited` event still held the old and new number and name."""
    corrected = jiesu.new("咨询", "--phone", "13812345678", "--name", "张三", "--address", "前门东大街1号",
                          "--channel", "desk", "--nature", "咨询建议", "--received", "2026-10-01T09:00")
    jiesu.ok("edit", corrected, "--phone", "010-65123456-8001", "--name", "李四", "--address", "前门东大街3号")
    jiesu.ok("edit", corrected, "--summary", "咨询：13812345678 的诉求")  # a phone typed into the text is masked, not removed
    jiesu.ok("close", corrected, "--result", "answered", "--note", "已答复", "--at", "2026-10-02T09:00")
    still_open = jiesu.new("楼道灯不亮", "--phone", "13911112222", "--received", "2026-10-01T09:00")
    jiesu.ok("edit", still_open, "--phone", "13933334444")
    history_before = book.rows("SELECT id, case_id, at, actor, kind, note, undoes FROM events ORDER BY id")

    jiesu.ok("purge", "--closed-before", "2026-11-01")
    events = jiesu.json("show", corrected, "--reveal")["events"]
    assert events[1]["changes"] == {
        "phone": ["***", "***"], "phone_ext": [None, "***"], "name": ["***", "***"], "address": ["前门东大街1号", "前门东大街3号"],
    }
    assert [e["kind"] for e in events] == ["filed", "edited", "edited", "closed", "purged"]
    assert events[2]["changes"]["summary"][1] == "咨询：138****5678 的诉求"
    stored = " ".join(text for (text,) in book.rows("SELECT changes FROM events WHERE case_id = :c", c=corrected))
    assert "13812345678" not in stored and "65123456" not in stored and "张三" not in stored and "李四" not in stored
    assert jiesu.json("show", still_open, "--reveal")["events"][1]["changes"]["phone"] == ["13911112222", "13933334444"]
    assert book.rows("SELECT id, case_id, at, actor, kind, note, undoes FROM events WHERE kind != 'purged' ORDER BY id") == history_before
    refused(jiesu("undo", corrected), f"#{corrected} 的删除个人信息（2026-12-01 09:30）不能撤销：删除的个人信息已不在案卷里，无法恢复")
    jiesu.ok("check")
    with pytest.raises(DBAPIError, match="append-only"):  # the guard is back once purge is done
        book.execute("UPDATE events SET changes = '{}' WHERE case_id = :c", c=still_open)

    jiesu.ok("purge", "--closed-before", "2026-11-01", "--address")
    assert jiesu.json("show", corrected, "--reveal")["events"][1]["changes"]["address"] == ["***", "***"]


def test_purged_callers_are_unknown_callers_in_a_view_of_the_past_not_one_caller(jiesu, book):
    """Three callers purged became three cases of the phone "***": one repeat caller in past reports."""
    for n in (1, 2, 3):
        case_id = jiesu.new(f"诉求{n}", "--phone", f"1380000000{n}", "--community", "C", "--category", "环境/噪音",
                            "--channel", "walkin", "--nature", "咨询建议", "--received", f"2026-11-1{n}T09:00")
        jiesu.ok("close", case_id, "--result", "answered", "--note", "已答复", "--at", "2026-11-25T10:00")
    views = [("report", "daily", "--date", "2026-11-20", "-f", "json"), ("hotspots", "--as-of", "2026-11-20", "--days", "30", "-f", "json"),
             ("list", "--all", "--due-escalation", "--as-of", "2026-11-20T12:00", "-f", "json")]
    before = [jiesu.ok(*view).stdout for view in views]
    jiesu.ok("purge", "--closed-before", "2026-12-01")
    assert [jiesu.ok(*view).stdout for view in views] == before
    assert all(case["phone"] is None for case in jiesu.json("list", "--all", "--as-of", "2026-11-20T12:00", "--reveal"))


def test_a_number_corrected_away_is_purged_from_the_history_of_a_case_with_no_name(jiesu, book):
    case_id = jiesu.new("咨询", "--phone", "13812345678", "--channel", "desk", "--nature", "咨询建议", "--received", "2026-10-01T09:00")
    jiesu.ok("edit", case_id, "--phone", "")
    jiesu.ok("close", case_id, "--result", "answered", "--note", "已答复", "--at", "2026-10-02T09:00")
    jiesu.ok("purge", "--closed-before", "2026-11-01")
    events = jiesu.json("show", case_id, "--reveal")["events"]
    assert events[1]["changes"]["phone"] == ["***", None] and events[-1]["kind"] == "purged"
    assert "13812345678" not in " ".join(text for (text,) in book.rows("SELECT changes FROM events WHERE case_id = :c", c=case_id))
    kinds = [e["kind"] for e in events]
    jiesu.ok("purge", "--closed-before", "2026-11-01")  # nothing left to purge: no second event
    assert [e["kind"] for e in jiesu.json("show", case_id, "--reveal")["events"]] == kinds


def test_purge_masks_a_phone_number_typed_into_the_summary_detail_and_their_recorded_corrections(jiesu, db_target, book):
    case_id = jiesu.new("请回电 13912345678", "--phone", "13812345678", "--name", "张三", "--detail", "或打 010-65123456",
                        "--received", "2026-10-01T09:00", "--nature", "合理诉求")
    jiesu.ok("edit", str(case_id), "--summary", "请回电 13912345678 谢谢")
    jiesu.ok("visit", str(case_id), "--note", "上门查看", "--at", "2026-10-01T09:30")
    jiesu.ok("close", str(case_id), "--result", "resolved", "--note", "已修好", "--at", "2026-10-01T10:00")
    events_before = book.counts()[1]
    assert jiesu.ok("purge", "--closed-before", "2026-11-01").stderr.startswith("已删除 1 件")
    case = jiesu.json("show", str(case_id), "--reveal")
    assert (case["summary"], case["detail"], case["name"], case["phone"]) == ("请回电 139****5678 谢谢", "或打 010****3456", None, None)
    assert book.counts()[1] == events_before + 1  # one purged step says what went
    purged = case["events"][-1]
    assert purged["note"] == "按保存期限删除诉求人个人信息（姓名、电话、诉求摘要中的电话、诉求详情中的电话）"
    assert purged["changes"]["summary"] == ["***", "请回电 139****5678 谢谢"]
    every_word = json.dumps(case, ensure_ascii=False) + str(book.rows("SELECT changes, note FROM events"))
    assert "13912345678" not in every_word and "65123456" not in every_word
    assert jiesu.json("list", "--all", "--search", "13912345678") == []
    jiesu.ok("check")


def test_purge_masks_a_number_in_the_text_of_a_case_purged_before_without_it(jiesu, db_target, book):
    case_id = jiesu.new("请回电 13912345678", "--received", "2026-10-01T09:00", "--nature", "合理诉求")
    jiesu.ok("visit", str(case_id), "--note", "上门查看", "--at", "2026-10-01T09:30")
    jiesu.ok("close", str(case_id), "--result", "resolved", "--note", "已修好", "--at", "2026-10-01T10:00")
    assert jiesu.ok("purge", "--closed-before", "2026-11-01", "--dry-run").stderr.startswith("将删除 1 件")
    jiesu.ok("purge", "--closed-before", "2026-11-01")
    assert jiesu.json("show", str(case_id), "--reveal")["summary"] == "请回电 139****5678"
    assert jiesu.ok("purge", "--closed-before", "2026-11-01").stderr.startswith("已删除 0 件")
