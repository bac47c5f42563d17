"""The carry-over ledger: 上账, 销账 only with evidence, month-end roll, Excel-ready export."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text
from sqlmodel import select
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from conftest import refused
from jiesu import cases, ledger, lookup
from jiesu.cases import Draft
from jiesu.db import open_store
from jiesu.errors import BadInput, BadOption, RuleViolation, TransitionRefused
from jiesu.fields import required
from jiesu.ledger_models import LedgerBalance
from jiesu.office import Office
from jiesu.rules import DEFAULT_RULES
from jiesu.vocab import Channel, Nature, Result, Satisfaction, Status

BJ = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BJ)


def balance_of(rolled) -> tuple[int, int, int, int]:
    b = rolled.balance
    return (b.opening, b.added, b.cleared, b.closing)


def test_the_qianmen_desk_story(office):
    """Five desk cases; three closed on the spot; two on the ledger; a write-off that did not hold."""
    office.now = at(2026, 10, 14, 18)
    desk = [
        cases.file_case(office, Draft(summary, channel=Channel.DESK, nature=Nature.REASONABLE, received_at=at(2026, 10, 14, 9, n)))
        for n, summary in enumerate(["楼道灯坏", "垃圾未清", "健身器材松动", "小区主管道老化", "地下室长期积水"])
    ]
    for case in desk[:3]:
        assert cases.close(office, case.id, Result.RESOLVED, "现场办结").status == Status.CLOSED
    pipe = ledger.add_entry(office, desk[3].id, "协调自来水公司更换主管道", "街道城管科", due=at(2026, 12, 31, 23))
    water = ledger.add_entry(office, desk[4].id, "加装排水泵", "物业公司")
    assert (pipe.period, water.period) == ("2026-10", "2026-10")
    assert lookup.get_case(office, desk[3].id).case.status == Status.LEDGERED

    office.now = at(2026, 11, 1, 0, 30)
    assert balance_of(ledger.roll(office, "2026-10")) == (0, 2, 0, 2)

    office.now = at(2026, 11, 20, 10)
    ledger.clear_entry(office, pipe.id, "主管道已更换，验收合格")
    assert lookup.get_case(office, desk[3].id).case.status == Status.CLOSED
    office.now = at(2026, 12, 1, 8)
    assert balance_of(ledger.roll(office, "2026-11")) == (2, 0, 1, 1)

    office.now = at(2026, 12, 2, 10)
    case = cases.revisit(office, desk[3].id, Satisfaction.UNSATISFIED, False, "水压仍然不足").case
    assert (case.status, case.reopen_count) == (Status.LEDGERED, 1)
    found = lookup.get_case(office, desk[3].id)
    assert found.ledger[0].status == "open" and found.carried[found.ledger[0].id] == 1
    assert [e.kind for e in found.events][-3:] == ["revisited", "reopened", "ledgered"]

    office.now = at(2027, 1, 1, 8)
    assert balance_of(ledger.roll(office, "2026-12")) == (1, 1, 0, 2)
    assert [line.carried for line in ledger.list_entries(office, open_only=True)] == [2, 3]
    stored = {b.period: (b.opening, b.added, b.cleared, b.closing) for b in ledger.balances(office)}
    assert stored == {"2026-10": (0, 2, 0, 2), "2026-11": (2, 0, 1, 1), "2026-12": (1, 1, 0, 2)}


def test_rolling_twice_changes_nothing_and_order_is_enforced(office):
    office.now = at(2026, 9, 10, 12)
    case = cases.file_case(office, Draft("积水", nature=Nature.REASONABLE, received_at=at(2026, 9, 10, 9)))
    ledger.add_entry(office, case.id, "排水", "物业")
    office.now = at(2026, 11, 28, 12)
    with pytest.raises(RuleViolation, match="请先结转 2026-09，才能结转 2026-10"):
        ledger.roll(office, "2026-10")
    first = ledger.roll(office, "2026-09")
    again = ledger.roll(office, "2026-09")
    assert again.already and balance_of(again) == balance_of(first) == (0, 1, 0, 1)
    assert [line.carried for line in ledger.list_entries(office)] == [2]  # September's and October's month-ends, rolled twice or not yet
    with pytest.raises(RuleViolation, match="2026-12 还没有过完"):
        ledger.roll(office, "2026-12")
    ledger.roll(office, "2026-10")
    with pytest.raises(RuleViolation) as before_the_first:  # a fresh tester: it named the last month rolled, 2026-10
        ledger.roll(office, "2026-08")
    assert str(before_the_first.value) == "2026-08 早于台账第一次结转的月份 2026-09（余额从该月记起），不能再结转"
    with pytest.raises(BadInput, match="不是期间"):
        ledger.roll(office, "2026-13")


def test_a_ledger_step_dated_in_a_rolled_month_is_refused_and_changes_nothing(jiesu, book, monkeypatch):
    """Replayed from a fresh tester: `ledger add --at` into October after October was rolled was booked
    in November, and October's report then read 在账 1 against 期初 0 + 新增 0 − 销账 0 = 期末 0.
    A rolled month is closed books: 上账, 销账 and 重新挂账 dated in it are refused."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T09:00:00+08:00")
    late, cleared = (jiesu.new(s, "--nature", "合理诉求", "--received", "2026-10-10T09:00") for s in ("主管道", "积水"))
    jiesu.ok("ledger", "add", cleared, "--plan", "排水", "--unit", "物业", "--at", "2026-10-12T09:00")
    jiesu.ok("ledger", "roll", "2026-10")
    october = jiesu.json("report", "monthly", "--period", "2026-10")
    before = book.fingerprint()
    refused(
        jiesu("ledger", "add", late, "--plan", "更换", "--unit", "城管科", "--at", "2026-10-25T10:00"),
        "2026-10 的台账已结转，上账不能再记在该月（2026-10-25 10:00）；请把 --at 写在 2026-11 或以后",
    )
    refused(
        jiesu("ledger", "clear", "1", "--evidence", "已排水", "--at", "2026-10-31T18:00"),
        "2026-10 的台账已结转，销账不能再记在该月（2026-10-31 18:00）；请把 --at 写在 2026-11 或以后",
    )
    assert book.fingerprint() == before
    assert jiesu.json("report", "monthly", "--period", "2026-10") == october
    assert (october["ledger"]["open"], october["ledger_balance"]["closing"]) == (1, 1)

    jiesu.ok("ledger", "add", late, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-01T00:00")
    after = jiesu.json("report", "monthly", "--period", "2026-10")  # November's first instant is November's
    assert (after["ledger"], after["ledger_balance"]) == (october["ledger"], october["ledger_balance"])
    jiesu.ok("ledger", "clear", "1", "--evidence", "已排水", "--at", "2026-11-02T10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:00:00+08:00")
    jiesu.ok("ledger", "roll", "2026-11")
    # The write-off did not hold, but the revisit is dated in rolled November: its 重新挂账 would be too.
    before = book.fingerprint()
    refused(
        jiesu("revisit", cleared, "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-20T10:00"),
        "2026-11 的台账已结转，台账 1 的重新挂账不能再记在该月（2026-11-20 10:00）；请把 --at 写在 2026-12 或以后",
    )
    refused(
        jiesu("reopen", cleared, "--reason", "积水复发", "--at", "2026-11-20T10:00"),
        "2026-11 的台账已结转，台账 1 的重新挂账不能再记在该月（2026-11-20 10:00）；请把 --at 写在 2026-12 或以后",
    )
    assert book.fingerprint() == before
    jiesu.ok("reopen", cleared, "--reason", "积水复发", "--at", "2026-12-01T08:00")
    assert [(r["id"], r["status"]) for r in jiesu.json("ledger", "list")] == [(1, "open"), (2, "open")]
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_add_refusals(office):
    unclassified = cases.file_case(office, Draft("待研判", received_at=office.now - timedelta(hours=1)))
    with pytest.raises(RuleViolation, match="只有合理诉求才能上账整改"):
        ledger.add_entry(office, unclassified.id, "计划", "单位")
    reasonable = cases.file_case(office, Draft("合理", nature=Nature.REASONABLE, received_at=office.now - timedelta(hours=1)))
    ledger.add_entry(office, reasonable.id, "计划", "单位")
    with pytest.raises(TransitionRefused, match="已在台账 1（单位，没有整改期限），不能重复上账"):
        ledger.add_entry(office, reasonable.id, "第二条", "单位")
    with pytest.raises(BadInput, match="整改措施不能为空"):
        ledger.add_entry(office, unclassified.id, " ", "单位")
    with pytest.raises(BadOption, match="责任单位不能为空（- 在命令行上表示清除）"):
        ledger.add_entry(office, unclassified.id, "计划", "-")


def test_edit_entry_takes_none_for_no_due_and_leaves_one_not_given(office):
    """One parameter, as the CLI's --due: not given leaves the 整改期限, None removes it (there was a `clear_due` beside it)."""
    case = cases.file_case(office, Draft("合理", nature=Nature.REASONABLE, received_at=office.now - timedelta(hours=1)))
    due = office.now + timedelta(days=30)
    entry = ledger.add_entry(office, case.id, "计划", "单位", due)
    assert ledger.edit_entry(office, entry.id, "录错", unit="城管科").changes == {"unit": ["单位", "城管科"]}
    assert ledger.edit_entry(office, entry.id, "不该定期限", due=None).entry.due is None
    with pytest.raises(BadInput, match="没有要更正的内容"):
        ledger.edit_entry(office, entry.id, "什么也没给")


@pytest.mark.parametrize("evidence", [None, "", "  ", "\u200b", "-", "－", " —— "])
def test_a_required_text_may_say_its_steps_own_refusal(evidence):
    """销账's 不整改完不销账 line is fields.required's, given as its refusal: blank and dashes-only alike."""
    with pytest.raises(BadOption) as refused_evidence:
        required(evidence, "整改结果", refusal="不整改完不销账")
    assert str(refused_evidence.value) == "不整改完不销账"


def test_clear_refusals(office):
    case = cases.file_case(office, Draft("合理", nature=Nature.REASONABLE, received_at=office.now - timedelta(hours=1)))
    entry = ledger.add_entry(office, case.id, "计划", "单位")
    with pytest.raises(BadOption, match="不整改完不销账"):
        ledger.clear_entry(office, entry.id, "  ")
    with pytest.raises(BadOption, match="不整改完不销账"):
        ledger.clear_entry(office, entry.id, "－")
    ledger.clear_entry(office, entry.id, "已整改")
    with pytest.raises(TransitionRefused, match="不能重复销账"):
        ledger.clear_entry(office, entry.id, "再销一次")
    with pytest.raises(BadInput, match="没有台账 99"):
        ledger.clear_entry(office, 99, "x")


def test_overdue_ledger_entries_are_listed_overdue_and_due_for_escalation(jiesu):
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--due", "2026-11-10", "--at", "2026-11-02T09:00")
    assert jiesu.json("list", "--overdue", "--as-of", "2026-11-10T12:00") == []
    overdue = jiesu.json("list", "--overdue", "--as-of", "2026-11-11T00:01")
    assert [r["id"] for r in overdue] == [case_id]
    due = jiesu.json("list", "--due-escalation", "--as-of", "2026-11-11T00:01")
    assert [(r["id"], r["reasons"]) for r in due] == [(case_id, ["overdue"])]


@pytest.mark.parametrize("typed", ["2026年11月", "2026年 11 月", "２０２６年１１月", "2026-11", "２０２６－１１"])
def test_a_period_is_taken_as_chinese_writes_a_month(jiesu, book, typed):
    """Replayed from a fresh tester: `--period 2026年11月` was refused, as a Chinese user types a month."""
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-02T09:00")
    assert [row["id"] for row in jiesu.json("ledger", "list", "--period", typed)] == [1]
    assert jiesu.json("report", "monthly", "--period", typed)["period"] == "2026-11"
    assert jiesu.json("report", "monthly", "--period", "2026年1月")["period"] == "2026-01"


@pytest.mark.parametrize("typed", ["2026年13月", "2026年11", "26年11月", "2026年11月份", "2026年0月", "11月"])
def test_a_month_no_calendar_has_stays_a_usage_error_of_one_line(jiesu, book, typed):
    jiesu.new("主管道", "--received", "2026-11-01T09:00")
    before = book.fingerprint()
    for command in (["ledger", "list", "--period", typed], ["report", "monthly", "--period", typed], ["ledger", "roll", typed]):
        refused(jiesu(*command), f"{typed!r} 不是期间；应写作 YYYY-MM，如 2026-10", code=2)
    assert book.fingerprint() == before


def test_cli_refusals_are_one_line_and_change_nothing(jiesu, book):
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科")
    before = book.fingerprint()
    refused(jiesu("ledger", "clear", "1"), "台账 1 没有整改结果，不能销账（不整改完不销账）；请用 --evidence 写明整改结果", code=2)
    refused(
        jiesu("ledger", "add", case_id, "--plan", "再加", "--unit", "x"),
        "#1 已在台账 1（城管科，没有整改期限），不能重复上账；措施、单位或期限要改的，请用 jiesu ledger edit 1 --plan … --unit … --due … --reason …（只写要改的）",
    )
    refused(jiesu("ledger", "roll", "10/2026"), "'10/2026' 不是期间；应写作 YYYY-MM，如 2026-10", code=2)
    refused(jiesu("ledger", "export", "--format", "ods"), "未知的导出格式 'ods'；可选：csv, xlsx, json", code=2)
    refused(jiesu("ledger", "export", "--format", "xlsx"), "xlsx 是二进制文件，请用 --out 指定文件名（如 --out 导出.xlsx）", code=2)
    assert book.fingerprint() == before
    jiesu.ok("ledger", "clear", "1", "--evidence", "已更换")
    refused(jiesu("ledger", "clear", "1", "--evidence", "again"))


def test_a_second_ledger_add_names_the_entry_and_the_step_that_changes_it(jiesu, book):
    """A worker who types `ledger add` again on a case on the books meant to change its entry: the refusal names
    the entry (its number, 责任单位 and 整改期限) and `ledger edit`, whose line then goes through."""
    jiesu.new("占位", "--received", "2026-11-01T09:00")
    case_id = jiesu.new("地下室积水", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "街道城管科 13812345678", "--due", "2026-12-07")
    before = book.fingerprint()
    line = refused(jiesu("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "街道城管科", "--due", "2026-12-20"))
    assert line == (
        f"错误: #{case_id} 已在台账 1（街道城管科 138****5678，整改期限 2026-12-07 24:00），不能重复上账；"
        "措施、单位或期限要改的，请用 jiesu ledger edit 1 --plan … --unit … --due … --reason …（只写要改的）"
    )
    assert book.fingerprint() == before
    jiesu.ok("ledger", "edit", "1", "--due", "2026-12-20", "--reason", "延后")
    assert jiesu.json("ledger", "list")[0]["due"] == "2026-12-21T00:00:00+08:00"  # the 20th, through its 24:00


def test_roll_cli_prints_the_balance(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")  # November is over
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-02T09:00")
    result = jiesu.ok("ledger", "roll", "2026-11", "--format", "json")
    assert json.loads(result.stdout) == {"period": "2026-11", "opening": 0, "added": 1, "cleared": 0, "closing": 1}
    assert result.stderr == "2026-11 已结转：1 条未销账台账结转至 2026-12\n"
    again = jiesu.ok("ledger", "roll", "2026-11", "--format", "json")
    assert json.loads(again.stdout)["closing"] == 1
    assert again.stderr == "2026-11 已结转过，以上是存档的余额，未作任何改动\n"
    listed = jiesu.json("ledger", "list", "--open")
    assert [(r["id"], r["case_id"], r["carried"], r["unit"]) for r in listed] == [(1, case_id, 1, "城管科")]
    assert listed[0]["summary"] == "主管道" and listed[0]["age_days"] >= 0


def test_csv_export_opens_in_excel_adds_up_and_hides_phones(jiesu, tmp_path):
    first = jiesu.new('=HYPERLINK("http://x")', "--nature", "合理诉求", "--phone", "13812345678", "--community", "前门社区")
    second = jiesu.new("地下室积水", "--nature", "合理诉求", "--ref", "+86-001")
    jiesu.ok("ledger", "add", first, "--plan", "@SUM(A1)", "--unit", "城管科")
    jiesu.ok("ledger", "add", second, "--plan", "加装水泵", "--unit", "-物业")
    out = tmp_path / "台账.csv"
    jiesu.ok("ledger", "export", "--out", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[0]["诉求摘要"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["整改措施"] == "'@SUM(A1)"
    assert rows[0]["联系电话"] == "138****5678"
    assert rows[0]["所属社区"] == "前门社区"
    assert rows[1]["责任单位"] == "'-物业" and rows[1]["工单编号"] == "'+86-001"
    assert rows[1]["状态"] == "在账" and rows[1]["诉求类别"] == ""
    assert b"13812345678" not in raw
    revealed = jiesu.ok("ledger", "export", "--reveal", "--no-bom").stdout
    assert not revealed.startswith("\ufeff") and "13812345678" in revealed
    as_json = json.loads(jiesu.ok("ledger", "export", "--format", "json").stdout)
    assert as_json[0]["status"] == "open" and as_json[0]["phone"] == "138****5678"
    assert as_json[1]["category"] is None  # no category is null, as in a case's JSON (it read "")


def test_ledger_csv_keeps_digits_only_text_as_text_for_excel(jiesu, tmp_path):
    """A fresh tester's ref 2026112700123456789 showed in Excel as 2.02611E+18 and `0012` as 12; a landline
    lost its 0: they are marked as text with the `'` formula cells get, while counts stay numbers."""
    first = jiesu.new("数字工单", "--nature", "合理诉求", "--ref", "2026112700123456789", "--phone", "01012345678")
    second = jiesu.new("零开头", "--nature", "合理诉求", "--ref", "0012")
    jiesu.ok("ledger", "add", first, "--plan", "2026", "--unit", "城管科")
    jiesu.ok("ledger", "add", second, "--plan", "加装水泵", "--unit", "007")
    out = tmp_path / "台账.csv"
    jiesu.ok("ledger", "export", "--reveal", "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["台账编号"], r["工单编号"], r["联系电话"], r["整改措施"], r["责任单位"], r["结转次数"]) for r in rows] == [
        ("1", "'2026112700123456789", "'01012345678", "'2026", "城管科", "0"), ("2", "'0012", "", "加装水泵", "'007", "0"),
    ]


months = st.lists(
    st.tuples(st.sampled_from(["add", "clear", "revisit_bad", "revisit_good", "roll"]), st.integers(0, 5)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=months)
def test_balances_always_add_up(new_target, steps):
    store = open_store(new_target(f"ledger-{uuid.uuid4().hex[:8]}"))
    office = Office(store=store, rules=DEFAULT_RULES, actor="测试员", now=at(2025, 1, 3, 9))
    rolled_through = None
    try:
        for action, pick in steps:
            office.now += timedelta(days=4)
            try:
                if action == "add":
                    case = cases.file_case(office, Draft("积水", nature=Nature.REASONABLE, received_at=office.now - timedelta(hours=1)))
                    ledger.add_entry(office, case.id, "排水", "物业")
                elif action == "clear":
                    open_entries = [line.entry for line in ledger.list_entries(office, open_only=True)]
                    if open_entries:
                        ledger.clear_entry(office, open_entries[pick % len(open_entries)].id, "已整改")
                elif action.startswith("revisit"):
                    closed = [c.case for c in lookup.list_cases(office, lookup.CaseFilter(statuses=[Status.CLOSED]))]
                    if closed:
                        good = action == "revisit_good"
                        cases.revisit(office, closed[pick % len(closed)].id, Satisfaction.SATISFIED if good else Satisfaction.UNSATISFIED, good)
                else:
                    period = ledger.period_of(office.now, office)
                    target = ledger.next_period(rolled_through) if rolled_through else period
                    while target < period:
                        ledger.roll(office, target)
                        rolled_through = target
                        target = ledger.next_period(target)
            except (RuleViolation, TransitionRefused):
                pass
        stored = ledger.balances(office)
        for earlier, later in zip(stored, stored[1:]):
            assert later.opening == earlier.closing
        for b in stored:
            assert b.opening + b.added - b.cleared == b.closing
        if stored:
            with store.connect() as conn:
                late_moves = conn.execute(
                    text("SELECT count(*) FROM ledger_moves WHERE period > :period"), {"period": stored[-1].period}
                ).scalar()
            if late_moves == 0:
                open_now = sum(1 for _ in ledger.list_entries(office, open_only=True))
                assert stored[-1].closing == open_now
    finally:
        store.close()


# ---------------------------------------------------------------- periods, rolls and days on the books


def test_a_month_over_is_listed_and_exported_as_it_left_its_entries(jiesu, monkeypatch):
    """Replayed from a fresh tester: November's ledger exported again after a 销账 in December showed the entry
    已销账 with December's time, unlike the export made at the roll and the month's report (在账 2)."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-25T09:00:00+08:00")
    pipe, damp, lamp = (jiesu.new(s, "--nature", "合理诉求", "--received", "2026-11-02T09:00") for s in ("主管道", "地下室积水", "路灯"))
    for case_id, unit in ((pipe, "城管科"), (damp, "物业公司"), (lamp, "城管科")):
        jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", unit, "--due", "2027-03-01", "--at", "2026-11-03T10:00")
    jiesu.ok("ledger", "clear", "3", "--evidence", "已修好", "--at", "2026-11-20T10:00")  # 已销账 in November itself

    def seen(*args: str) -> list[str]:
        return [
            jiesu.ok("ledger", "export", "--period", "2026-11", "--no-bom", *args).stdout,
            jiesu.ok("ledger", "list", "--period", "2026-11", "--format", "json").stdout,
            jiesu.ok("ledger", "list", "--period", "2026-11", "--open", "--unit", "城管科", "--format", "json").stdout,
        ]

    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:00:00+08:00")
    jiesu.ok("ledger", "roll", "2026-11")
    as_rolled = seen()
    json_rolled = jiesu.ok("ledger", "export", "--period", "2026-11", "--format", "json").stdout
    assert [(r["entry_id"], r["status"], r["carried"]) for r in json.loads(json_rolled)] == [(1, "open", 1), (2, "open", 1), (3, "cleared", 0)]

    monkeypatch.setenv("JIESU_NOW", "2026-12-05T09:00:00+08:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已更换", "--at", "2026-12-03T10:00")
    jiesu.ok("ledger", "edit", "2", "--unit", "城管科", "--plan", "加装水泵", "--due", "2027-01-31", "--reason", "改由城管科", "--at", "2026-12-04T10:00")
    jiesu.ok("revisit", lamp, "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-12-04T11:00")  # 重新挂账
    jiesu.ok("ledger", "clear", "3", "--evidence", "换了新灯杆", "--at", "2026-12-04T15:00")

    assert seen() == as_rolled
    assert jiesu.ok("ledger", "export", "--period", "2026-11", "--format", "json").stdout == json_rolled
    november = {r["id"]: r for r in jiesu.json("ledger", "list", "--period", "2026-11")}
    assert (november[1]["status"], november[1]["cleared_at"], november[1]["age_days"]) == ("open", None, 27)  # 11-03 → 11-30
    assert (november[2]["unit"], november[2]["plan"]) == ("物业公司", "更换")
    assert (november[3]["evidence"], november[3]["age_days"]) == ("已修好", 17)
    assert [r["id"] for r in jiesu.json("ledger", "list", "--period", "2026-11", "--open", "--unit", "城管科")] == [1]
    # The month now in, and the ledger without --period, are as they are now.
    now = {r["id"]: r for r in jiesu.json("ledger", "list")}
    assert (now[1]["status"], now[2]["unit"], now[3]["evidence"]) == ("cleared", "城管科", "换了新灯杆")
    assert [r["id"] for r in jiesu.json("ledger", "list", "--period", "2026-12")] == [3]


def test_an_entry_is_listed_and_exported_under_the_period_whose_balance_counts_it(jiesu, monkeypatch):
    """A 上账 is listed in its month; a 重新挂账 also in the month that books it as 本期新增."""
    monkeypatch.setenv("JIESU_NOW", "2026-10-05T09:00:00+08:00")
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-09-20T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-09-25T10:00")
    jiesu.ok("ledger", "roll", "2026-09")

    def listed(period: str) -> list[int]:
        return [r["id"] for r in jiesu.json("ledger", "list", "--period", period)]

    def exported(period: str) -> list[tuple[int, str]]:
        rows = json.loads(jiesu.ok("ledger", "export", "--period", period, "--format", "json").stdout)
        return [(r["entry_id"], r["period"]) for r in rows]

    assert (listed("2026-09"), listed("2026-10")) == ([1], [])
    assert (exported("2026-09"), exported("2026-10")) == ([(1, "2026-09")], [])

    monkeypatch.setenv("JIESU_NOW", "2026-11-10T09:00:00+08:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已更换", "--at", "2026-10-20T10:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-03T10:00")
    assert (listed("2026-10"), listed("2026-11")) == ([], [1])
    assert exported("2026-11") == [(1, "2026-09")]  # 上账期间 stays the period of its 上账

    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:00:00+08:00")
    october = jiesu.json("ledger", "roll", "2026-10")
    november = jiesu.json("ledger", "roll", "2026-11")
    assert (october["opening"], october["cleared"], november["added"], november["closing"]) == (1, 1, 1, 1)
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def four_months_of_ledger(jiesu, monkeypatch) -> None:
    """Entries 1–5 over 2026-09…12: 1 carried into October and cleared there; 2 carried on, its unit changed by a
    `ledger edit` in December; 3 cleared in September and 重新挂账 in November; 4 added in October, cleared in
    December; 5 added and cleared within November."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-05T09:00:00+08:00")
    ids = [jiesu.new(s, "--nature", "合理诉求", "--received", f"2026-{m}T09:00") for s, m in (
        ("主管道", "09-01"), ("地下室积水", "09-01"), ("路灯", "09-01"), ("井盖", "10-01"), ("树枝", "11-01"))]
    for case_id, added in zip(ids, ("09-05", "09-10", "09-12", "10-03", "11-20")):
        jiesu.ok("ledger", "add", case_id, "--plan", "整改", "--unit", "城管科", "--at", f"2026-{added}T10:00")
    for entry, cleared in ((3, "09-25"), (1, "10-10"), (5, "11-28"), (4, "12-03")):
        jiesu.ok("ledger", "clear", str(entry), "--evidence", "已整改", "--at", f"2026-{cleared}T10:00")
    jiesu.ok("revisit", ids[2], "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-05T10:00")
    jiesu.ok("ledger", "edit", "2", "--unit", "物业公司", "--reason", "改由物业公司", "--at", "2026-12-02T10:00")


def test_a_months_whole_ledger_holds_its_opening_and_additions_and_the_open_ones_its_closing(jiesu, monkeypatch, tmp_path):
    """Replayed from fresh testers acting as a street office: `ledger list --period M` left out the entries carried
    in from earlier months; `--all` lists every entry on the books in M, as many as its 期初 + 本期新增."""
    four_months_of_ledger(jiesu, monkeypatch)
    assert [r["id"] for r in jiesu.json("ledger", "list", "--period", "2026-12", "--all")] == [2, 3, 4]  # the month now in, so far
    monkeypatch.setenv("JIESU_NOW", "2027-01-05T09:00:00+08:00")
    whole = {
        "2026-09": ([1, 2, 3], [1, 2]),
        "2026-10": ([1, 2, 4], [2, 4]),
        "2026-11": ([2, 3, 4, 5], [2, 3, 4]),
        "2026-12": ([2, 3, 4], [2, 3]),
    }
    for period, (listed, still_open) in whole.items():
        balance = jiesu.json("ledger", "roll", period)
        rows = jiesu.json("ledger", "list", "--period", period, "--all")
        assert [r["id"] for r in rows] == listed and len(rows) == balance["opening"] + balance["added"]
        assert [r["id"] for r in jiesu.json("ledger", "list", "--period", period, "--all", "--open")] == still_open
        assert len(still_open) == balance["closing"]
        exported = json.loads(jiesu.ok("ledger", "export", "--period", period, "--all", "--format", "json").stdout)
        assert [r["entry_id"] for r in exported] == listed
    assert [r["id"] for r in jiesu.json("ledger", "list", "--period", "2026-10")] == [4]  # without --all: 本期新增 only

    october = {r["entry_id"]: r for r in json.loads(jiesu.ok("ledger", "export", "--period", "2026-10", "--all", "--format", "json").stdout)}
    assert [(r["period"], r["status"], r["carried"]) for r in october.values()] == [
        ("2026-09", "cleared", 1), ("2026-09", "open", 2), ("2026-10", "open", 1)]
    assert (october[1]["cleared_at"], october[1]["evidence"]) == ("2026-10-10T10:00:00+08:00", "已整改")
    assert october[4]["cleared_at"] is None  # cleared in December, after October was over
    listed = {r["id"]: r for r in jiesu.json("ledger", "list", "--period", "2026-10", "--all")}
    assert (listed[1]["age_days"], listed[2]["age_days"], listed[2]["unit"]) == (35, 51, "城管科")  # 09-10 → 10-31, before the edit
    assert [r["id"] for r in jiesu.json("ledger", "list", "--period", "2026-12", "--all", "--unit", "物业公司")] == [2]
    assert [r["id"] for r in jiesu.json("ledger", "list", "--period", "2026-11", "--all", "--unit", "物业公司")] == []
    csv_rows = list(csv.DictReader(io.StringIO(jiesu.ok("ledger", "export", "--period", "2026-11", "--all", "--no-bom").stdout)))
    # 3's 上账期间 is September, but November's balance counts its 重新挂账 as 本期新增, not in its 期初.
    assert [(r["台账编号"], r["上账期间"], r["期初在账"], r["状态"], r["销账时间"]) for r in csv_rows] == [
        ("2", "2026-09", "是", "在账", ""), ("3", "2026-09", "否", "在账", ""),
        ("4", "2026-10", "是", "在账", ""), ("5", "2026-11", "否", "已销账", "2026-11-28 10:00")]
    november = jiesu.json("ledger", "list", "--period", "2026-11", "--all")
    assert [r["in_opening"] for r in november] == [True, False, True, False]
    assert sum(r["in_opening"] for r in november) == jiesu.json("ledger", "roll", "2026-11")["opening"]
    assert "期初在账" not in jiesu.ok("ledger", "export", "--period", "2026-11", "--no-bom").stdout.splitlines()[0]
    jiesu.ok("ledger", "export", "--period", "2026-11", "--all", "--out", str(tmp_path / "台账.xlsx"))
    header, *sheet = CalamineWorkbook.from_path(str(tmp_path / "台账.xlsx")).get_sheet_by_name("台账").to_python()
    assert [(row[header.index("期初在账")], row[header.index("销账时间")]) for row in sheet] == [
        ("是", ""), ("否", ""), ("是", ""), ("否", datetime(2026, 11, 28, 10, 0))]
    assert "in_opening" not in jiesu.json("ledger", "list", "--period", "2026-11")[0]


def test_an_entry_cleared_and_back_within_the_month_is_one_row_though_the_balance_counts_each_move(jiesu, monkeypatch):
    """A 台账 has a row per entry; 本期新增 and 本期销账 count moves, so this entry adds 2 to 期初 + 本期新增.
    The open ones still count the 期末."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-30T09:00:00+08:00")
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-02T10:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已更换", "--at", "2026-11-10T10:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-12T10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:00:00+08:00")
    balance = jiesu.json("ledger", "roll", "2026-11")
    assert (balance["opening"], balance["added"], balance["cleared"], balance["closing"]) == (0, 2, 1, 1)
    assert [(r["id"], r["status"]) for r in jiesu.json("ledger", "list", "--period", "2026-11", "--all")] == [(1, "open")]
    assert len(jiesu.json("ledger", "list", "--period", "2026-11", "--all", "--open")) == balance["closing"]


def test_all_without_period_is_a_usage_error_that_makes_no_book(jiesu, db_path):
    """Without --period the ledger lists every entry already; --all reading as the month now in would list fewer."""
    line = "--all 要与 --period 一起用（如 --period 2026-10 --all）：列出该月在账的全部条目"
    refused(jiesu("ledger", "list", "--all"), line, code=2)
    refused(jiesu("ledger", "export", "--all", "--format", "json"), line, code=2)
    assert not db_path.exists()


def test_a_month_still_to_come_is_refused_not_listed_or_exported_empty(jiesu, book, tmp_path, monkeypatch):
    """Replayed from a fresh tester: `ledger export --period 2027-05 --out 台账.csv` on 2027-01-02 replaced the
    ledger file with a header-only one (exit 0). A month to come is refused as `report monthly` refuses it."""
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-02T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-02T10:00")
    out = tmp_path / "台账.csv"
    jiesu.ok("ledger", "export", "--out", str(out))
    exported = out.read_bytes()
    monkeypatch.setenv("JIESU_NOW", "2027-01-02T09:00:00+08:00")
    before = book.fingerprint()
    refused(jiesu("ledger", "export", "--period", "2027-05", "--out", str(out)), "2027-05 还没有到，还没有这一期的台账")
    refused(jiesu("ledger", "export", "--period", "2027-02", "--format", "json"), "2027-02 还没有到，还没有这一期的台账")
    refused(jiesu("ledger", "list", "--period", "2027-05", "--format", "json"), "2027-05 还没有到，还没有这一期的台账")
    refused(jiesu("report", "monthly", "--period", "2027-05"), "2027-05 还没有到，不能出月报")
    assert out.read_bytes() == exported and book.fingerprint() == before
    assert jiesu.json("ledger", "list", "--period", "2027-01") == []  # the month now in is listed, as far as it has come
    assert json.loads(jiesu.ok("ledger", "export", "--period", "2027-01", "--format", "json").stdout) == []


def test_only_a_finished_month_rolls(jiesu, book, monkeypatch):
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-02T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-02T10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-11-30T23:59:00+08:00")
    before = book.fingerprint()
    refused(jiesu("ledger", "roll", "2026-11"), "2026-11 还没有过完，不能结转；2026-12-01 起才能结转")
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T00:00:00+08:00")
    refused(jiesu("ledger", "roll", "2026-12"), "2026-12 还没有过完，不能结转；2027-01-01 起才能结转")
    refused(jiesu("ledger", "roll", "2027-01"), "2027-01 还没有过完，不能结转；2027-02-01 起才能结转")
    assert book.fingerprint() == before
    assert jiesu.json("ledger", "roll", "2026-11")["closing"] == 1


def test_check_catches_a_stored_balance_the_entries_contradict(jiesu, book, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    for n in range(2):
        case_id = jiesu.new(f"积水{n}", "--nature", "合理诉求", "--received", "2026-11-02T09:00")
        jiesu.ok("ledger", "add", case_id, "--plan", "排水", "--unit", "物业", "--at", "2026-11-02T10:00")
    jiesu.ok("ledger", "clear", "2", "--evidence", "已排水", "--at", "2026-11-20T10:00")
    jiesu.ok("ledger", "roll", "2026-11")
    assert jiesu.ok("check").stderr.startswith("案卷完好")

    # Adds up (0 + 3 − 1 = 2) but is not what the entries booked in 2026-11 give.
    book.execute("UPDATE ledger_balances SET added = 3, closing = 2")
    result = jiesu("check")
    assert result.exit_code == 1
    assert result.stdout == "台账 2026-11：存档余额 期初 0 新增 3 销账 1 期末 2，但台账记录算得 期初 0 新增 2 销账 1 期末 1\n"

    # Rolled on the month's last day, before it was over (as an earlier jiesu allowed).
    book.execute("UPDATE ledger_balances SET added = 2, closing = 1, rolled_at = :at", at="2026-11-30 10:00:00")
    result = jiesu("check")
    assert result.stdout == "台账 2026-11 于 2026-11-30 18:00 结转，当时该月还没有过完\n"

    # An entry listed under a period other than the one its 上账 is booked in.
    book.execute("UPDATE ledger_balances SET rolled_at = :at", at="2026-12-01 01:00:00")
    book.execute("UPDATE ledger_entries SET period = '2026-10' WHERE id = 1")
    assert jiesu("check").stdout == "台账 1 列在 2026-10，但其上账计入 2026-11 的余额\n"


def test_days_on_the_books_stop_at_the_clear(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    cleared, still_open = (jiesu.new(s, "--nature", "合理诉求", "--received", "2026-10-12T08:00") for s in ("主管道", "积水"))
    for case_id in (cleared, still_open):
        jiesu.ok("ledger", "add", case_id, "--plan", "整改", "--unit", "城管科", "--at", "2026-10-12T09:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已整改", "--at", "2026-11-05T09:00")
    assert [(r["id"], r["age_days"]) for r in jiesu.json("ledger", "list")] == [(1, 24), (2, 50)]
    monkeypatch.setenv("JIESU_NOW", "2027-03-01T09:30:00+08:00")
    assert [r["age_days"] for r in jiesu.json("ledger", "list")] == [24, 140]


def test_days_on_the_books_are_calendar_days_in_the_office_zone(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T08:00:00+08:00")
    jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-30T20:00")
    jiesu.ok("ledger", "add", "1", "--plan", "整改", "--unit", "城管科", "--at", "2026-11-30T23:00")
    assert [r["age_days"] for r in jiesu.json("ledger", "list")] == [1]
    jiesu.ok("ledger", "clear", "1", "--evidence", "已整改", "--at", "2026-12-01T07:00")
    assert [r["age_days"] for r in jiesu.json("ledger", "list")] == [1]


def booking_as_an_older_jiesu_did(monkeypatch) -> None:
    """Have a ledger step dated in a rolled month booked in the first month still open, as an older jiesu did."""

    def booked_later(session, at, office, step):
        last_rolled = max((b.period for b in session.exec(select(LedgerBalance))), default=None)
        period = ledger.period_of(at, office)
        return ledger.next_period(last_rolled) if last_rolled and period <= last_rolled else period

    monkeypatch.setattr(ledger, "_booking_period", booked_later)


def test_migration_restamps_the_period_of_entries_an_earlier_jiesu_listed_by_calendar_month(jiesu, db_path, monkeypatch, tmp_path):
    import sqlite3

    from conftest import as_an_older_jiesu_wrote_it

    monkeypatch.setenv("JIESU_NOW", "2026-10-05T09:00:00+08:00")
    modern = tmp_path / "modern.db"
    case_id = int(jiesu.ok("--db", modern, "new", "主管道", "--nature", "合理诉求", "--received", "2026-09-20T09:00", "-q").stdout)
    jiesu.ok("--db", modern, "ledger", "roll", "2026-09")
    with monkeypatch.context() as older:
        booking_as_an_older_jiesu_did(older)
        jiesu.ok("--db", modern, "ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-09-25T10:00")
    tables = ("cases", "events", "ledger_entries", "ledger_moves", "ledger_balances")
    as_an_older_jiesu_wrote_it(db_path, modern, monkeypatch, version=5, tables=tables)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE ledger_entries SET period = '2026-09'")  # as the earlier jiesu wrote it
    conn.close()
    assert [r["period"] for r in jiesu.json("ledger", "list", "--period", "2026-10")] == ["2026-10"]
    # Sound, but September's report reads 在账 1 against its stored 期末 0: check says why.
    checked = jiesu.ok("check").stderr.splitlines()
    assert checked[0] == (
        "注意：台账 1 的上账（2026-09-25 10:00）是 2026-09 结转后补记的，计入了 2026-10 的余额；"
        "2026-09 月报的在账条数因此与其期末余额不符（较早版本的 jiesu 这样补记，现在会拒绝）"
    )
    assert checked[1].startswith("案卷完好")


def test_migration_moves_dues_an_earlier_jiesu_stored_at_a_days_last_instant_to_its_24_00(jiesu, db_path, monkeypatch, tmp_path):
    """A jiesu before dues typed as dates were stored as the next 00:00 stored `--due 2026-12-01` as that
    day's 23:59:59.999999: shown 24:00 like one typed today, yet overdue at that 24:00 (in the day's own
    report) and a minute shorter in `todo`. Opened by today's jiesu, both entries are due alike."""
    import sqlite3

    from conftest import as_an_older_jiesu_wrote_it

    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    modern = tmp_path / "modern.db"
    for _ in range(2):
        case_id = int(jiesu.ok("--db", modern, "new", "主管道老化", "--nature", "合理诉求", "--received", "-1h", "-q").stdout)
        jiesu.ok("--db", modern, "ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--due", "2026-12-01")
    as_an_older_jiesu_wrote_it(db_path, modern, monkeypatch, version=10, tables=("cases", "events", "ledger_entries", "ledger_moves"))
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE ledger_entries SET due = '2026-12-01 15:59:59.999999' WHERE id = 1")  # as the earlier jiesu wrote it
    conn.close()
    assert [r["due"] for r in jiesu.json("ledger", "list")] == ["2026-12-02T00:00:00+08:00"] * 2
    assert [r["minutes_left"] for r in jiesu.json("todo") if r["reason"] == "ledger"] == [870, 870]
    monkeypatch.setenv("JIESU_NOW", "2026-12-02T00:00:00+08:00")
    assert jiesu.json("report", "daily", "--date", "2026-12-01")["ledger"] == {"open": 2, "overdue": 0, "overdue_entries": []}
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_show_at_80_columns_gives_a_ledger_entry_its_whole_plan_and_unit(jiesu, monkeypatch):
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", "80")
    case_id = jiesu.new("主管道老化漏水", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-10-10T09:00")
    plan = "协调街道城建科立项，更换主管道，预计明年春季施工"
    jiesu.ok("ledger", "add", case_id, "--plan", plan, "--unit", "街道城建科", "--due", "2027-04-30", "--at", "2026-10-12T10:00")
    lines = [line.rstrip() for line in jiesu.ok("show", case_id, "--format", "table").stdout.splitlines()]
    assert f"整改措施  {plan}" in lines and "责任单位  街道城建科" in lines and "整改期限  2027-04-30 24:00" in lines
    assert max(cell_len(line) for line in lines) <= 80


def test_a_roll_before_the_first_ledger_entry_is_refused_and_month_end_goes_on(jiesu, monkeypatch):
    """Replayed from a fresh tester: `ledger roll 2025-10` (a typo for 2026-10) was taken, and then
    2026-10 could not be rolled before the twelve empty months after the typo."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-10-12T10:00")
    refused(jiesu("ledger", "roll", "2025-10"), "2025-10 早于第一笔台账（2026-10），不能结转；第一个要结转的是 2026-10")
    jiesu.ok("ledger", "roll", "2026-10")


def test_a_ledgered_case_stays_reasonable(jiesu, book):
    """Replayed from a fresh tester: a ledgered case re-classified 不合理诉求 was then cleared 已解决 on
    the 上门劝 track (which close refuses), and its unsatisfied revisit reopened nothing: only a
    合理诉求 can be on the ledger, so classify to anything else is refused while it is."""
    case_id = jiesu.new("地下室积水", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "物业", "--at", "2026-11-02T09:00")
    before = book.fingerprint()
    for nature in ("不合理诉求", "咨询建议"):  # 待研判 is never a finding (test_cli_cases)
        refused(
            jiesu("classify", case_id, nature, "--at", "2026-11-03T09:00"),
            f"#1 挂账整改，只有合理诉求才能在账，不能研判为{nature}；"
            "请先销账（jiesu ledger clear 1 --evidence …），或保持合理诉求",
        )
    assert book.fingerprint() == before
    refused(  # staying 合理诉求 is no step to log
        jiesu("classify", case_id, "合理诉求", "--note", "确属物业责任", "--at", "2026-11-03T09:00"),
        "#1 已研判为合理诉求，没有变化；要补充说明请用 jiesu note",
    )
    assert book.fingerprint() == before
    jiesu.ok("ledger", "clear", "1", "--evidence", "已排水", "--at", "2026-11-05T09:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-06T09:00")
    assert jiesu.json("show", case_id)["status"] == "ledgered"  # the write-off did not hold: back on the books


def test_check_names_a_ledgered_case_an_older_jiesu_let_be_reclassified(jiesu, book):
    case_id = jiesu.new("地下室积水", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "物业", "--at", "2026-11-02T09:00")
    assert jiesu.ok("check").stderr.startswith("案卷完好")
    book.execute("UPDATE cases SET nature = 'unreasonable', track = 'persuade' WHERE id = 1")
    checked = jiesu("check")
    assert checked.exit_code == 1, checked.output
    assert "#1 挂账整改，却研判为不合理诉求：只有合理诉求才能在账；请改回合理诉求（jiesu classify 1 合理诉求）后再办理" in checked.stdout + checked.stderr


def test_a_ledger_step_typed_without_at_in_a_rolled_month_asks_for_the_clock(jiesu, book, monkeypatch):
    """Replayed from a fresh tester: with no --at typed, the refusal told the user to move --at."""
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "roll", "2026-11")
    monkeypatch.setenv("JIESU_NOW", "2026-11-30T10:00:00+08:00")
    before = book.fingerprint()
    refused(
        jiesu("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科"),
        "2026-11 的台账已结转，上账不能再记在该月：上账的时间即现在（2026-11-30 10:00）；请核对时钟（系统时间或 JIESU_NOW）",
    )
    assert book.fingerprint() == before


def test_a_month_before_the_first_roll_is_not_called_rolled(jiesu, book):
    """Replayed from a fresh tester: July, never rolled, was called 已结转 because November was."""
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-07-01T09:00")
    jiesu.ok("ledger", "roll", "2026-11")
    before = book.fingerprint()
    refused(
        jiesu("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-07-30T10:00"),
        "2026-07 早于台账第一次结转的月份 2026-11（余额从该月记起），上账不能记在该月（2026-07-30 10:00）；"
        "请把 --at 写在 2026-12 或以后",
    )
    assert book.fingerprint() == before


def back_on_the_ledger(jiesu) -> int:
    """A case whose entry (台账 1) was added on 11-02, cleared on 11-05 and put back by a reopen on 11-06."""
    case_id = jiesu.new("地下室积水", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "物业", "--at", "2026-11-02T09:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已排水", "--at", "2026-11-05T09:00")
    jiesu.ok("reopen", case_id, "--reason", "积水复发", "--at", "2026-11-06T09:00")
    return case_id


def test_undoing_a_reopen_that_put_the_case_back_on_the_ledger_names_the_reopen(jiesu, book):
    """Replayed from a fresh tester: the refusal named the 上账 the reopen wrote, not the 重办 typed."""
    case_id = back_on_the_ledger(jiesu)
    before = book.fingerprint()
    refused(
        jiesu("undo", case_id),
        "#1 的重办（2026-11-06 09:00）不能撤销：这次重办把台账重新挂账，已记入台账余额",
    )
    assert book.fingerprint() == before


def test_a_refused_step_on_the_ledger_does_not_offer_classify(jiesu, book):
    # A fresh tester: 可用 listed classify on a 挂账整改 case, where every 研判 is refused (it stays 合理诉求).
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-02T09:00")
    before = book.fingerprint()
    refused(jiesu("close", case_id, "--result", "已解决", "--note", "好了"), "#1 挂账整改，不能办结；可用：assign, contact, visit, escalate, ledger clear, ledger edit")
    refused(jiesu("classify", case_id, "不合理诉求"), "#1 挂账整改，只有合理诉求才能在账，不能研判为不合理诉求；请先销账（jiesu ledger clear 1 --evidence …），或保持合理诉求")
    refused(jiesu("classify", case_id, "合理诉求"), "#1 已研判为合理诉求，没有变化；要补充说明请用 jiesu note")
    assert book.fingerprint() == before


def test_a_refused_step_at_the_top_level_does_not_offer_escalate(jiesu):
    """Replayed from a fresh tester: a ledgered case at 市 was offered escalate, which 市 refuses."""
    top, low = (jiesu.new(s, "--nature", "合理诉求", "--received", "2026-11-01T09:00") for s in ("主管道", "积水"))
    for case_id in (top, low):
        jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--at", "2026-11-02T09:00")
    jiesu.ok("escalate", top, "--to", "市", "--reason", "市级协调", "--at", "2026-11-03T09:00")
    refused(
        jiesu("reopen", top, "--reason", "x"), "#1 挂账整改，不能重办；可用：assign, contact, visit, ledger clear, ledger edit"
    )
    refused(
        jiesu("reopen", low, "--reason", "x"),
        "#2 挂账整改，不能重办；可用：assign, contact, visit, escalate, ledger clear, ledger edit",
    )


def test_an_entry_is_named_as_jiesu_prints_it(jiesu):
    """A fresh tester: `ledger edit "#1"` and `台账1` (as jiesu prints an entry) were refused 应为整数,
    though a case is `#42` as well as `42`."""
    case_id = jiesu.new("主管道", "--nature", "合理诉求")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科")
    for named, unit in (("台账1", "城管一科"), ("#1", "城管二科"), ("台账 １", "城管三科"), ("＃1", "城管四科")):
        jiesu.ok("ledger", "edit", named, "--unit", unit, "--reason", "录错")
    assert jiesu.json("ledger", "list")[0]["unit"] == "城管四科"
    refused(jiesu("ledger", "clear", "台账x", "--evidence", "好了"), "台账编号 无效：'台账x' 不是台账编号（应为 3 或 台账3）", code=2)
    # read as a case id is (test_show_accepts_hash_ids_and_refuses_unknown): a superscript is no digit
    refused(jiesu("ledger", "clear", "台账²", "--evidence", "好了"), "台账编号 无效：'台账²' 不是台账编号（应为 3 或 台账3）", code=2)


# ---------------------------------------------------------------- ledger edit (台账更正/延期)


def entry_values(book) -> list[tuple]:
    return book.rows("SELECT id, plan, unit, due, status FROM ledger_entries ORDER BY id")


def test_a_reopened_entry_past_its_due_gets_a_new_one_with_ledger_edit(jiesu, book, monkeypatch):
    """Replayed from a fresh tester: an entry that came back after a bad revisit was overdue at once
    (its 整改期限 had passed), and nothing could give it a new one: `extend` and `ledger add` refused."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-05T12:00:00+08:00")
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-11-02 09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管道", "--unit", "街道城管科", "--due", "2026-11-20", "--at", "2026-11-02 10:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已更换", "--at", "2026-11-05 10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-12-02T10:00:00+08:00")
    reopened = jiesu.ok("revisit", case_id, "--satisfaction", "不满意", "--resolved", "no")
    assert reopened.stderr.splitlines()[0] == "#1 已回访，已重办（挂账整改）"  # no 办理时限: the entry's 整改期限 decides
    assert reopened.stderr.splitlines()[-1] == "台账 1 的整改期限 2026-11-20 24:00 到现在已过，请用 jiesu ledger edit 1 --due … --reason … 重定整改期限"
    assert [r["id"] for r in jiesu.json("list", "--overdue")] == [case_id]
    assert jiesu.json("report", "daily")["overdue"] == 1
    before = book.fingerprint()
    refused(jiesu("extend", case_id, "--to", "2026-12-31", "--reason", "重新整改"),
            "#1 挂账整改，不能延期办理时限；整改期限请用 jiesu ledger edit 1 --due … --reason … 重定")
    assert book.fingerprint() == before
    balances = book.rows("SELECT * FROM ledger_moves ORDER BY id")

    edited = jiesu.ok("ledger", "edit", "1", "--due", "2026-12-31", "--reason", "重新整改")
    assert edited.stderr == "台账 1 已更正：整改期限：2026-11-20 24:00 → 2026-12-31 24:00（#1）\n"
    assert jiesu.json("list", "--overdue") == [] and jiesu.json("list", "--due-escalation") == []
    assert jiesu.json("report", "daily")["overdue"] == 0
    assert book.rows("SELECT * FROM ledger_moves ORDER BY id") == balances  # not a movement
    shown = jiesu.json("show", case_id)
    assert shown["events"][-1] | {"id": 0} == {
        "id": 0, "at": "2026-12-02T10:00:00+08:00", "actor": "测试员", "kind": "edited", "note": "台账 1：重新整改",
        "changes": {"due": ["2026-11-21T00:00:00+08:00", "2027-01-01T00:00:00+08:00"]}, "undoes": None,
    }
    assert shown["ledger"][0]["due"] == "2027-01-01T00:00:00+08:00"
    table = jiesu.ok("show", case_id, "--format", "table").stdout
    corrections = [[cell.strip() for cell in line.split("│")] for line in table.splitlines() if "│ 更正 │" in line]
    assert corrections == [["2026-12-02 10:00", "更正", "测试员", "台账 1：重新整改", "整改期限：2026-11-20 24:00 → 2026-12-31 24:00"]]
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_reopen_names_the_ledger_edit_only_when_the_due_has_passed(jiesu, monkeypatch):
    case_id = jiesu.new("地下室积水", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "物业", "--due", "2026-12-20", "--at", "2026-11-02T09:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已排水", "--at", "2026-11-05T09:00")
    assert jiesu.ok("reopen", case_id, "--reason", "积水复发").stderr == "#1 已重办（挂账整改）\n台账 1 重新挂账，整改期限仍为 2026-12-20 24:00\n"
    jiesu.ok("ledger", "clear", "1", "--evidence", "再次排水")
    monkeypatch.setenv("JIESU_NOW", "2026-12-21T09:00:00+08:00")
    said = jiesu.ok("reopen", case_id, "--reason", "又积水了").stderr
    assert said.endswith("台账 1 的整改期限 2026-12-20 24:00 到现在已过，请用 jiesu ledger edit 1 --due … --reason … 重定整改期限\n")


def test_ledger_edit_corrects_a_typo_in_a_rolled_month_moves_no_balance_and_is_undone(jiesu, book, monkeypatch):
    """A year typo (`--due 2028-02-29` for 2027) stayed on the 台账 handed up: `ledger add` cannot be undone.
    The correction is no balance movement, so a rolled month does not refuse it."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T09:00:00+08:00")
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换主管道", "--unit", "城管科", "--due", "2028-02-29", "--at", "2026-10-12T09:00")
    jiesu.ok("ledger", "roll", "2026-10")
    october = jiesu.json("report", "monthly", "--period", "2026-10")["ledger_balance"]
    movements = book.rows("SELECT * FROM ledger_moves ORDER BY id"), book.rows("SELECT * FROM ledger_balances")

    edited = jiesu.ok("ledger", "edit", "1", "--due", "2027-02-28", "--unit", " 街道城管科 ", "--plan", "协调产权单位更换主管道",
                      "--reason", "录入有误", "--at", "2026-10-20T09:00")
    assert edited.stderr == (
        "台账 1 已更正：整改措施：更换主管道 → 协调产权单位更换主管道；责任单位：城管科 → 街道城管科；"
        "整改期限：2028-02-29 24:00 → 2027-02-28 24:00（#1）\n"
    )
    assert (book.rows("SELECT * FROM ledger_moves ORDER BY id"), book.rows("SELECT * FROM ledger_balances")) == movements
    assert jiesu.json("report", "monthly", "--period", "2026-10")["ledger_balance"] == october
    exported = json.loads(jiesu.ok("ledger", "export", "--format", "json").stdout)
    assert [(r["plan"], r["unit"], r["due"]) for r in exported] == [("协调产权单位更换主管道", "街道城管科", "2027-03-01T00:00:00+08:00")]
    assert jiesu.ok("check").stderr.startswith("案卷完好")

    undone = jiesu.ok("undo", case_id)
    assert undone.stderr == (
        "#1 已撤销更正：整改措施：协调产权单位更换主管道 → 更换主管道；责任单位：街道城管科 → 城管科；"
        "整改期限：2027-02-28 24:00 → 2028-02-29 24:00（挂账整改）\n"
    )
    restored = jiesu.json("ledger", "list")[0]
    assert (restored["plan"], restored["unit"], restored["due"]) == ("更换主管道", "城管科", "2028-03-01T00:00:00+08:00")
    assert jiesu.ok("check").stderr.startswith("案卷完好")


# `ledger edit` lines refused on entry 1 (open) and entry 2 (cleared) of open_and_cleared_entries, with the line
# and the exit code.
EDIT_REFUSALS = [
    (["1", "--reason", "x"], "台账 1 没有要更正的内容；请给出 --plan、--unit 或 --due", 1),
    (["1", "--unit", " 城管科 ", "--reason", "x"], "台账 1 没有变化：给出的值与现有的相同", 1),
    (["1", "--due", "2026-11-01", "--reason", "x"], "台账 1 的整改期限 2026-11-01 24:00 应晚于上账时间 2026-11-02 09:00", 1),
    (["1", "--due", "2026-12-31", "--reason", " "], "更正理由不能为空", 2),
    (["1", "--plan", "\u200b", "--reason", "x"], "整改措施不能为空", 2),
    (["1", "--due", "2026-12-31"], "缺少选项 --reason（jiesu ledger edit --help 看用法）", 2),
    (["1", "--due", "2026-12-31", "--reason", "x", "--at", "2026-11-02T08:00"],
     "台账 1 的更正时间 2026-11-02 08:00 早于上账时间 2026-11-02 09:00", 1),
    (["1", "--due", "2026-12-31", "--reason", "x", "--at", "2026-12-02T08:00"], "#1 的时间 2026-12-02 08:00 在未来（现在是 2026-12-01 09:30）", 1),
    (["3", "--due", "2026-12-31", "--reason", "x"], "没有台账 3", 1),
    (["2", "--due", "2026-12-31", "--reason", "x"],
     "台账 2 已于 2026-11-05 09:00 销账，不能更正；整改没有落实的，请先用 jiesu reopen 2 --reason … 重新挂账", 1),
]


def open_and_cleared_entries(jiesu) -> None:
    """Entry 1 open (更换, 城管科, due 2026-11-30, added 2026-11-02 09:00), entry 2 cleared on 2026-11-05 09:00."""
    for summary in ("主管道", "积水"):
        case_id = jiesu.new(summary, "--nature", "合理诉求", "--received", "2026-11-01T09:00")
        jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--due", "2026-11-30", "--at", "2026-11-02T09:00")
    jiesu.ok("ledger", "clear", "2", "--evidence", "已排水", "--at", "2026-11-05T09:00")


@pytest.mark.parametrize(("args", "line", "code"), EDIT_REFUSALS, ids=[" ".join(args) for args, _, _ in EDIT_REFUSALS])
def test_a_refused_ledger_edit_says_why_and_changes_nothing(jiesu, book, args, line, code):
    open_and_cleared_entries(jiesu)
    before, entries = book.fingerprint(), entry_values(book)
    refused(jiesu("ledger", "edit", *args), line, code=code)
    assert (book.fingerprint(), entry_values(book)) == (before, entries)


# `ledger clear` lines refused on the same entries: the opening it shares with `ledger edit`, in its own words.
CLEAR_REFUSALS = [
    (["2", "--evidence", "又排了一次"], "台账 2 已于 2026-11-05 09:00 销账，不能重复销账"),
    (["1", "--evidence", "已更换", "--at", "2026-11-02T08:00"], "台账 1 的销账时间 2026-11-02 08:00 早于上账时间 2026-11-02 09:00"),
]


@pytest.mark.parametrize(("args", "line"), CLEAR_REFUSALS, ids=[" ".join(args) for args, _ in CLEAR_REFUSALS])
def test_a_refused_ledger_clear_says_why_and_changes_nothing(jiesu, book, args, line):
    open_and_cleared_entries(jiesu)
    before, entries = book.fingerprint(), entry_values(book)
    refused(jiesu("ledger", "clear", *args), line)
    assert (book.fingerprint(), entry_values(book)) == (before, entries)


def test_ledger_edit_dated_before_the_reopen_that_put_the_entry_back_is_refused(jiesu, book):
    back_on_the_ledger(jiesu)
    before = book.fingerprint()
    refused(
        jiesu("ledger", "edit", "1", "--due", "2026-12-31", "--reason", "重新整改", "--at", "2026-11-04T09:00"),
        "#1 的更正台账时间 2026-11-04 09:00 早于重办时间 2026-11-06 09:00；更正台账所依据的重办必须在它之前",
    )
    assert book.fingerprint() == before


def test_ledger_list_unit_matches_without_pasted_spaces(jiesu):
    """Replayed from a fresh tester: `ledger list --unit " 城管科 "` found nothing; `todo --assignee` trims."""
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科")
    assert [r["id"] for r in jiesu.json("ledger", "list", "--unit", " 城管科 ")] == [1]
    # blank: a usage error, as `list --assignee " "` (`--unit "$UNIT"` with $UNIT unset would list every unit's)
    assert jiesu("ledger", "list", "--unit", " ").exit_code == 2


def ledgered_beside_a_new_case(jiesu) -> int:
    """#1 on the ledger of 街道城管科 until 11-30 (its own 办理时限 10-20 long past, no 承办), #2 a new case."""
    case_id = jiesu.new("小区主管道老化，水压不足", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "协调自来水公司更换主管道", "--unit", "街道城管科", "--due", "2026-11-30", "--at", "2026-10-12T10:00")
    jiesu.new("路灯不亮", "--received", "2026-11-28T10:00")
    return case_id


@pytest.mark.parametrize("width", ["80", "40"])
def test_list_shows_a_ledgered_case_by_its_entrys_due_and_unit_marked_as_the_ledgers(jiesu, monkeypatch, width):
    ledgered_beside_a_new_case(jiesu)
    monkeypatch.setenv("COLUMNS", width)
    header, rows = jiesu.table("list")
    deadline = header.index("办理时限")
    assert [row[deadline] for row in rows] == ["11-30 24:00（台账）", "12-08 24:00"]
    if "承办" in header:
        assert rows[0][header.index("承办")].startswith("台账 ")


def test_list_names_a_ledgered_cases_whole_unit_where_there_is_room(jiesu):
    ledgered_beside_a_new_case(jiesu)
    header, rows = jiesu.table("list")
    assert [row[header.index("承办")] for row in rows] == ["台账 街道城管科", ""]


def test_list_json_and_csv_add_the_entry_and_keep_the_cases_own_fields(jiesu):
    case_id = ledgered_beside_a_new_case(jiesu)
    ledgered, new = jiesu.json("list")
    assert (ledgered["resolve_by"], ledgered["assignee"]) == ("2026-10-21T00:00:00+08:00", None)
    assert {k: ledgered[k] for k in ("entry_id", "entry_due", "entry_unit")} == {
        "entry_id": 1, "entry_due": "2026-12-01T00:00:00+08:00", "entry_unit": "街道城管科"
    }
    assert (new["entry_id"], new["entry_due"], new["entry_unit"]) == (None, None, None)
    header = jiesu.ok("list", "--format", "csv").stdout.splitlines()[0].split(",")
    assert header[-3:] == ["entry_id", "entry_due", "entry_unit"]
    assert ledgered["id"] == case_id


def test_a_due_set_later_on_an_entry_that_had_none_reads_none_as_of_before(jiesu):
    """An entry added without a 整改期限 and given one later had none before: the past view neither breaks nor borrows the new one."""
    case_id = jiesu.new("井盖缺失", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-11-02T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "补井盖", "--unit", "市政", "--at", "2026-11-03T10:00")
    jiesu.ok("ledger", "edit", "1", "--due", "2026-11-05", "--reason", "定期限", "--at", "2026-11-10T10:00")
    [then] = jiesu.json("list", "--as-of", "2026-11-08T00:00")
    assert then["entry_due"] is None
    assert jiesu.json("list", "--overdue", "--as-of", "2026-11-08T00:00") == []
    header, rows = jiesu.table("list", "--as-of", "2026-11-08T00:00")
    assert rows[0][header.index("办理时限")] == "无期限（台账）"


def test_a_reopen_back_onto_the_ledger_says_the_entrys_due_not_a_recomputed_resolve_by(jiesu):
    """Replayed: the reopen printed 时限已按重办时间重算 … 办理时限 2027-…, a deadline that decides nothing while the
    case is 挂账整改 (`list --overdue` goes by the entry's 整改期限)."""
    case_id = jiesu.new("地下室积水", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "物业", "--at", "2026-11-02T09:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已排水", "--at", "2026-11-05T09:00")
    said = jiesu.ok("reopen", case_id, "--reason", "积水复发").stderr
    assert said == "#1 已重办（挂账整改）\n台账 1 重新挂账，没有整改期限；要定期限请用 jiesu ledger edit 1 --due … --reason …\n"


def test_ledger_edit_due_dash_removes_a_due_set_by_mistake_logged_and_undone(jiesu, book):
    """`-` clears a field, as on `edit`; an entry may have no 整改期限 (`ledger add` without --due), so one set
    by mistake can be taken off — it was refused as 无法识别的时间 '-'."""
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--due", "2026-11-10", "--at", "2026-11-02T09:00")
    assert [r["id"] for r in jiesu.json("list", "--overdue")] == [case_id]
    removed = jiesu.ok("ledger", "edit", "1", "--due", "-", "--reason", "上账时不该定期限")
    assert removed.stderr == "台账 1 已更正：整改期限：2026-11-10 24:00 → —（#1）\n"
    assert jiesu.json("list", "--overdue") == []
    assert [r["id"] for r in jiesu.json("list", "--overdue", "--as-of", "2026-11-30T09:00")] == [case_id]  # as it stood then
    assert jiesu.json("show", case_id)["events"][-1]["changes"] == {"due": ["2026-11-11T00:00:00+08:00", None]}
    before = book.fingerprint()
    for cleared in ("－", ""):  # a blank clears as `-` does (a fresh tester's `--due ''` was 无法识别的时间)
        refused(jiesu("ledger", "edit", "1", "--due", cleared, "--reason", "再去一次"), "台账 1 没有变化：给出的值与现有的相同")
    assert book.fingerprint() == before
    assert jiesu.ok("undo", case_id).stderr == "#1 已撤销更正：整改期限：— → 2026-11-10 24:00（挂账整改）\n"
    assert [r["id"] for r in jiesu.json("list", "--overdue")] == [case_id]


def test_ledger_add_due_dash_leaves_the_entry_without_one(jiesu):
    case_id = jiesu.new("主管道", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科", "--due", "-", "--at", "2026-11-02T09:00")
    assert jiesu.json("show", case_id)["ledger"][0]["due"] is None
    other = jiesu.new("路灯", "--nature", "合理诉求", "--received", "2026-11-01T09:00")
    jiesu.ok("ledger", "add", other, "--plan", "更换", "--unit", "城管科", "--due", "", "--at", "2026-11-02T09:00")
    assert jiesu.json("show", other)["ledger"][0]["due"] is None


def test_list_assignee_finds_a_ledgered_case_by_its_entrys_unit(jiesu, monkeypatch):
    """`list` shows a 挂账整改 case's 承办 as `台账 街道城管科`: `--assignee 街道城管科` finds it there (in SQL), as
    `todo --assignee` does; its own 承办 still finds it, and once it is off the ledger only that does."""
    case_id = jiesu.ledgered_reopened_twice()
    other = jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")
    jiesu.ok("assign", other, "街道城管科", "--at", "2026-11-20T10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-12-07T09:00:00+08:00")
    assert [r["id"] for r in jiesu.json("list", "--assignee", "街道城管科")] == [case_id, other]
    assert [r["id"] for r in jiesu.json("list", "--assignee", "前门物业")] == [case_id]
    assert [r["id"] for r in jiesu.json("list", "--assignee", "街道城管科", "--as-of", "2026-11-25T12:00")] == [other]
    jiesu.ok("ledger", "clear", "1", "--evidence", "已排水")
    assert [r["id"] for r in jiesu.json("list", "--all", "--assignee", "街道城管科")] == [other]
