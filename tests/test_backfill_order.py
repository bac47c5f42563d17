"""Backfilled steps in time order: a fresh tester's three findings, each replayed, and the rest of their kind."""

from __future__ import annotations

import pytest

from tests.conftest import refused


def _sound(jiesu) -> None:
    assert "\n案卷完好" in "\n" + jiesu.ok("check").stderr  # after any note on years the calendar does not cover


def _first_response_advice(case_id: int, step: str, at: str, contact_at: str) -> str:
    """The way out of a `step` backfilled to `at` before the case's only first response (logged at `contact_at`):
    its undo loses the response, which the backfilled step then bars, so it is logged again first."""
    return (
        f"请 测试员 先 jiesu undo {case_id} 撤销那次联系诉求人（首次响应随之撤销），按实际时间重记联系 jiesu contact {case_id} --at …"
        f"（须早于 {at}），再补录{step}；联系确在{step}之后的，{step}时间须不早于 {contact_at}"
    )


def _responded_as_of(jiesu, case_id: int, when: str) -> str | None:
    (row,) = [row for row in jiesu.json("list", "--as-of", when) if row["id"] == case_id]
    return row["responded_at"]


# ---------------------------------------------------------------- 1. a close backfilled before a step only an open case takes


@pytest.mark.parametrize(
    ("step", "label"),
    [
        (("extend", "{id}", "--to", "2026-12-31", "--reason", "协调"), "延期"),
        (("escalate", "{id}", "--reason", "协调不动"), "升级"),
        (("visit", "{id}", "--note", "上门"), "上门"),
        (("contact", "{id}", "--note", "电话"), "联系诉求人"),
        (("merge", "{other}", "--into", "{id}"), "并单"),  # the 并单 written on the case that carries the work
    ],
)
def test_a_close_before_a_step_only_an_open_case_takes_is_refused_naming_it(jiesu, book, monkeypatch, step, label):
    """Replayed from a fresh tester: a close backfilled to 11-03 was taken after an extension logged on 11-10,
    and the history showed an extension on a closed case while `check` said 案卷完好. (A 派单 or 研判 after it
    was refused already: the first changed the status too, the close relies on the second.)"""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    other = jiesu.new("b", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok(*[part.format(id=case_id, other=other) for part in step])
    before = book.fingerprint()
    refused(
        jiesu("close", case_id, "--result", "resolved", "--note", "ok", "--at", "2026-11-03 10:00"),
        f"#{case_id} 的办结时间 2026-11-03 10:00 早于 测试员 已记录的{label}（2026-11-10 10:00），办结后的诉求不能再{label}；"
        + ("补录须按时间先后：那次并单不能为此撤销，办结时间须不早于它" if label == "并单"
           else f"补录须按时间先后：请 测试员 先 jiesu undo {case_id} 撤销那次{label}，再补录办结"),
    )
    assert book.fingerprint() == before
    _sound(jiesu)


def test_a_close_before_an_undone_step_is_taken_and_one_after_the_step_still_is(jiesu, monkeypatch):
    """The refusal's way out works: the step it advises to undo taken back no longer stands, and the backfilled
    close goes in."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("extend", case_id, "--to", "2026-12-31", "--reason", "协调")
    close = ("close", case_id, "--result", "resolved", "--note", "ok", "--at", "2026-11-03 10:00")
    assert f"请 测试员 先 jiesu undo {case_id} 撤销那次延期，再补录办结" in refused(jiesu(*close))
    jiesu.ok("undo", case_id)
    jiesu.ok(*close)
    _sound(jiesu)
    other = jiesu.new("b", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("visit", other, "--note", "上门", "--at", "2026-11-03 09:00")
    jiesu.ok("close", other, "--result", "resolved", "--note", "ok", "--at", "2026-11-03 10:00")  # after the visit: fine
    _sound(jiesu)


def test_the_undo_advised_of_another_workers_step_names_that_worker(jiesu, monkeypatch):
    """Tester 44: on a shared login `请 李四 先 jiesu undo 3`, typed as printed, took back the typist's own contact."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("contact", case_id, "--note", "电话", "--at", "2026-11-02 10:00")
    jiesu.ok("--actor", "李四", "extend", case_id, "--to", "2026-12-31", "--reason", "协调")
    close = ("close", case_id, "--result", "resolved", "--note", "ok", "--at", "2026-11-03 10:00")
    assert f"请 李四 先 jiesu --actor 李四 undo {case_id} 撤销那次延期，再补录办结" in refused(jiesu(*close))
    jiesu.ok("--actor", "李四", "undo", case_id)
    jiesu.ok(*close)
    assert [e["kind"] for e in jiesu.json("show", case_id)["events"]][-3:] == ["extended", "undone", "closed"]
    _sound(jiesu)


def test_a_backfill_refused_before_a_step_whose_undo_would_refuse_it_too_is_advised_no_undo(jiesu, book, monkeypatch):
    """Replayed from a fresh tester: a close backfilled before a 派单 was told to undo the 派单 first, and then
    refused again against the undo, which is logged now and changed the status too; the 派单 was lost for nothing."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T10:00+08:00")
    case_id = jiesu.new("咨询低保", "--channel", "walkin", "--nature", "咨询建议", "--received", "2026-11-20 09:00")
    jiesu.ok("assign", case_id, "社保所", "--at", "2026-11-20 11:00")
    close = ("close", case_id, "--result", "已答复", "--note", "当场答复")
    before = book.fingerprint()
    refused(
        jiesu(*close, "--at", "2026-11-20 09:30"),
        f"#{case_id} 的办结时间 2026-11-20 09:30 早于 测试员 已记录的派单（2026-11-20 11:00），两步改变了案卷的同一项；"
        "补录须按时间先后：那次派单不能为此撤销，办结时间须不早于它",
    )
    assert book.fingerprint() == before
    jiesu.ok("undo", case_id)
    refused(
        jiesu(*close, "--at", "2026-11-20 09:30"),
        f"#{case_id} 的办结时间 2026-11-20 09:30 早于 测试员 已记录的撤销（2026-12-03 10:00），两步改变了案卷的同一项；"
        "补录须按时间先后：办结时间须不早于它",
    )
    jiesu.ok(*close, "--at", "2026-12-03 10:00")  # what the line said is possible is
    _sound(jiesu)


def test_a_backfill_refused_before_several_steps_names_the_first_and_is_advised_no_undo(jiesu, monkeypatch):
    """`undo` takes back one step, the worker's latest: with a 升级 or a 并单 into the case logged after the 派单,
    undoing does not clear the way, and the line names the first step in the way and the last it must follow."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T10:00+08:00")
    case_id, other = (jiesu.new(summary, "--channel", "walkin", "--nature", "咨询建议", "--received", "2026-11-20 09:00") for summary in "ab")
    jiesu.ok("assign", case_id, "社保所", "--at", "2026-11-20 11:00")
    jiesu.ok("escalate", case_id, "--reason", "协调不动", "--at", "2026-11-20 12:00")
    jiesu.ok("merge", other, "--into", case_id, "--at", "2026-11-20 13:00")
    refused(
        jiesu("close", case_id, "--result", "已答复", "--note", "当场答复", "--at", "2026-11-20 09:30"),
        f"#{case_id} 的办结时间 2026-11-20 09:30 早于 测试员 已记录的派单（2026-11-20 11:00），两步改变了案卷的同一项；"
        "补录须按时间先后：办结时间须不早于并单（2026-11-20 13:00）",
    )
    jiesu.ok("close", case_id, "--result", "已答复", "--note", "当场答复", "--at", "2026-11-20 13:00")
    _sound(jiesu)


def test_a_backfill_before_a_step_the_worker_logged_more_after_is_advised_each_undo_in_turn(jiesu, book, monkeypatch):
    """`jiesu undo 1` takes back the note logged after the extension, not the extension the line names: the line
    said `那次延期不能为此撤销` though undoing twice, the note then the extension, clears the way (fresh tester)."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("extend", case_id, "--to", "2026-12-31", "--reason", "协调", "--at", "2026-11-09 10:00")
    jiesu.ok("note", case_id, "诉求人下午在家")
    close = ("close", case_id, "--result", "resolved", "--note", "ok", "--at", "2026-11-03 10:00")
    before = book.fingerprint()
    refused(
        jiesu(*close),
        f"#{case_id} 的办结时间 2026-11-03 10:00 早于 测试员 已记录的延期（2026-11-09 10:00），办结后的诉求不能再延期；"
        f"补录须按时间先后：请 测试员 先 jiesu undo {case_id} 撤销之后记录的备注（2026-11-10 10:00），"
        f"再 jiesu undo {case_id} 撤销那次延期，再补录办结",
    )
    assert book.fingerprint() == before
    assert "已撤销备注" in jiesu.ok("undo", case_id).stderr
    assert "已撤销延期" in jiesu.ok("undo", case_id).stderr
    jiesu.ok(*close)  # as the line said
    _sound(jiesu)


def test_a_backfill_is_advised_no_undo_when_the_undos_after_the_first_would_not_reach_the_step(jiesu, monkeypatch):
    """The note logged after the extension can be undone, but the extension, logged two days ago, is past the
    undo window: no run of undos clears the way, and the line says so rather than advising two."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-08T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("extend", case_id, "--to", "2026-12-31", "--reason", "协调")
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    jiesu.ok("note", case_id, "诉求人下午在家")
    refused(
        jiesu("close", case_id, "--result", "resolved", "--note", "ok", "--at", "2026-11-03 10:00"),
        f"#{case_id} 的办结时间 2026-11-03 10:00 早于 测试员 已记录的延期（2026-11-08 10:00），办结后的诉求不能再延期；"
        "补录须按时间先后：那次延期不能为此撤销，办结时间须不早于它",
    )


def test_a_close_backfilled_before_the_only_first_response_is_advised_to_log_it_again_first(jiesu, book, monkeypatch):
    """A fresh tester followed `请 … 先 jiesu undo 1 撤销那次联系诉求人，再补录办结` and was left with a closed case with no
    first response, which could not be logged again after the close. The line now says to log it again, at its
    real time, before the close; done so, the case is closed with its first response."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id = jiesu.new("楼道灯不亮", "--nature", "咨询建议", "--received", "2026-11-02 09:00")
    jiesu.ok("assign", case_id, "前门物业", "--at", "2026-11-02 10:00")
    jiesu.ok("visit", case_id, "--note", "上门", "--at", "2026-11-02 15:00")
    jiesu.ok("contact", case_id, "--at", "2026-11-04 10:00")
    close = ("close", case_id, "--result", "已答复", "--note", "已答复", "--at", "2026-11-03 10:00")
    before = book.fingerprint()
    assert refused(jiesu(*close)).endswith("补录须按时间先后：" + _first_response_advice(case_id, "办结", "2026-11-03 10:00", "2026-11-04 10:00"))
    assert book.fingerprint() == before
    jiesu.ok("undo", case_id)
    jiesu.ok("contact", case_id, "--at", "2026-11-02 16:00")
    jiesu.ok(*close)
    shown = jiesu.json("show", case_id)
    assert (shown["status"], shown["responded_at"]) == ("closed", "2026-11-02T16:00:00+08:00")
    _sound(jiesu)


def test_a_write_off_or_merge_before_a_later_contact_is_refused_too(jiesu, book, monkeypatch):
    """销账 and 并单 end the open life as 办结 does."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id, other, target = (
        jiesu.new(summary, "--nature", "reasonable", "--channel", "desk", "--received", "2026-11-02 09:00") for summary in "abc"
    )
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-11-03 09:00")
    jiesu.ok("contact", case_id, "--note", "电话")
    jiesu.ok("contact", other, "--note", "电话")
    before = book.fingerprint()
    refused(
        jiesu("ledger", "clear", "1", "--evidence", "已换", "--at", "2026-11-04 09:00"),
        f"#{case_id} 的销账时间 2026-11-04 09:00 早于 测试员 已记录的联系诉求人（2026-11-10 10:00），销账后的诉求不能再联系诉求人；"
        f"补录须按时间先后：请 测试员 先 jiesu undo {case_id} 撤销那次联系诉求人，再补录销账",  # a desk case's response is its receipt
    )
    refused(
        jiesu("merge", other, "--into", target, "--at", "2026-11-04 09:00"),
        f"#{other} 的并单时间 2026-11-04 09:00 早于 测试员 已记录的联系诉求人（2026-11-10 10:00），并单后的诉求不能再联系诉求人；"
        f"补录须按时间先后：请 测试员 先 jiesu undo {other} 撤销那次联系诉求人，再补录并单",
    )
    assert book.fingerprint() == before


def test_a_ledgering_before_a_later_extension_is_refused_and_goes_in_once_it_is_undone(jiesu, book, monkeypatch):
    """A 上账 backfilled to 11-05 was taken after an extension logged on 11-10, and the history showed an
    extension on a case on the ledger, which cannot take one. A step the ledger allows (a contact) is no bar."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id = jiesu.new("屋顶漏水", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("contact", case_id, "--note", "电话", "--at", "2026-11-06 09:00")
    jiesu.ok("extend", case_id, "--to", "2026-12-31", "--reason", "等材料")
    before = book.fingerprint()
    ledger_add = ("ledger", "add", case_id, "--plan", "换防水", "--unit", "城管科", "--at", "2026-11-05 09:00")
    refused(
        jiesu(*ledger_add),
        f"#{case_id} 的上账时间 2026-11-05 09:00 早于 测试员 已记录的延期（2026-11-10 10:00），上账后的诉求不能再延期；"
        f"补录须按时间先后：请 测试员 先 jiesu undo {case_id} 撤销那次延期，再补录上账",
    )
    assert book.fingerprint() == before
    jiesu.ok("undo", case_id)
    jiesu.ok(*ledger_add)
    assert jiesu.json("show", case_id)["status"] == "ledgered"
    _sound(jiesu)


def test_check_finds_a_step_dated_after_the_close_an_older_jiesu_took_backfilled(jiesu, book, monkeypatch):
    """A book the previous jiesu wrote: the extension of 11-10, then the close backfilled to 11-03. The CLI now
    refuses that close, so the close is written into a real book straight in SQL, as that jiesu stored it."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-12T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("extend", case_id, "--to", "2026-12-31", "--reason", "协调", "--at", "2026-11-10 10:00")
    closed_at = "2026-11-03 02:00:00+00:00"
    book.execute(
        "INSERT INTO events (case_id, at, actor, kind, note, changes) VALUES (:id, :at, '旧版', 'closed', 'ok', :changes)",
        id=case_id, at=closed_at,
        changes='{"status": ["new", "closed"], "result": [null, "resolved"], "closed_at": [null, "2026-11-03T02:00:00+00:00"]}',
    )
    book.execute("UPDATE cases SET status = 'closed', result = 'resolved', closed_at = :at, version = version + 1", at=closed_at)
    result = jiesu("check")
    assert result.exit_code == 1
    lines = (result.stdout + result.stderr).splitlines()
    assert f"#{case_id} 的延期时间 2026-11-10 10:00 晚于办结时间 2026-11-03 10:00：办结后的诉求不能再延期" in lines


def test_check_finds_an_extension_dated_after_a_ledgering_an_older_jiesu_took_backfilled(jiesu, book, monkeypatch):
    """The same for a 上账 backfilled before an extension: a case on the ledger takes none."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-12T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("extend", case_id, "--to", "2026-12-31", "--reason", "协调", "--at", "2026-11-10 10:00")
    _sound(jiesu)
    book.execute(
        "INSERT INTO events (case_id, at, actor, kind, note, changes) VALUES (:id, '2026-11-05 02:00:00+00:00', '旧版', 'ledgered', '', :changes)",
        id=case_id, changes='{"status": ["new", "ledgered"]}',
    )
    book.execute("UPDATE cases SET status = 'ledgered', version = version + 1")
    result = jiesu("check")
    assert result.exit_code == 1
    lines = (result.stdout + result.stderr).splitlines()
    assert f"#{case_id} 的延期时间 2026-11-10 10:00 晚于上账时间 2026-11-05 10:00：上账后的诉求不能再延期" in lines


# ---------------------------------------------------------------- 2. a receipt corrected past a step taken back


def test_a_receipt_may_be_corrected_past_a_step_taken_back(jiesu, monkeypatch):
    """Replayed from a fresh tester: an assignment undone still kept the receipt from moving past it, and the
    refusal did not say which step. A corrected receipt stands in every view, as if the case had been filed so
    (as a case filed late is): before it, the case is not there yet; after the undo, the step is gone."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T11:00+08:00")
    case_id = jiesu.new("x", "--received", "2026-12-01 09:00")
    jiesu.ok("assign", case_id, "物业", "--at", "2026-12-01 10:00")
    jiesu.ok("undo", case_id)
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T11:05+08:00")
    jiesu.ok("edit", case_id, "--received", "2026-12-02 09:00")
    _sound(jiesu)
    shown = jiesu.json("show", case_id)
    assert (shown["received_at"], shown["status"], shown["assignee"]) == ("2026-12-02T09:00:00+08:00", "new", None)

    def as_of(when: str):
        return [(row["received_at"], row["status"], row["assignee"]) for row in jiesu.json("list", "--as-of", when) if row["id"] == case_id]

    assert as_of("2026-12-01 10:30") == []  # received, as corrected, the next day
    assert as_of("2026-12-03 11:02") == [("2026-12-02T09:00:00+08:00", "new", None)]  # undone, not yet corrected
    assert as_of("2026-12-03 11:05") == [("2026-12-02T09:00:00+08:00", "new", None)]


def test_a_receipt_after_a_step_that_stands_is_refused_naming_the_step(jiesu, book, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T11:00+08:00")
    case_id = jiesu.new("x", "--received", "2026-12-01 09:00")
    jiesu.ok("contact", case_id, "--at", "2026-12-01 09:40")
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    jiesu.ok("assign", case_id, "物业", "--at", "2026-12-01 10:00")
    before = book.fingerprint()
    refused(
        jiesu("edit", case_id, "--received", "2026-12-01 09:50"),
        f"#{case_id} 的受理时间不能改为 2026-12-01 09:50：它晚于 测试员 已记录的联系诉求人（2026-12-01 09:40）；受理须在每一步办理之前",
    )
    assert book.fingerprint() == before


# ---------------------------------------------------------------- 3. a contact backfilled before the recorded first response


def test_a_contact_backfilled_before_the_recorded_first_response_is_the_first_response(jiesu, book, monkeypatch):
    """Replayed from a fresh tester: the call really made at 09:30 was refused after one logged at 10:00, and the
    worker was left with no way to record the true first response. It is taken, and every view agrees."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-22T09:00+08:00")
    case_id = jiesu.new("x", "--received", "2026-11-20 09:00")  # 响应时限 2026-11-21 09:00
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    jiesu.ok("contact", case_id, "--at", "2026-11-21 10:00")  # late
    monkeypatch.setenv("JIESU_ACTOR", "测试员")

    def response(day: str):
        return jiesu.json("report", "daily", "--date", day)["rates"]["response"]

    assert (response("2026-11-20"), response("2026-11-21")) == (None, 0.0)
    jiesu.ok("contact", case_id, "--at", "2026-11-20 09:30")
    assert jiesu.json("show", case_id)["responded_at"] == "2026-11-20T09:30:00+08:00"
    _sound(jiesu)
    assert (response("2026-11-20"), response("2026-11-21")) == (1.0, 1.0)
    assert _responded_as_of(jiesu, case_id, "2026-11-20 09:15") is None
    assert _responded_as_of(jiesu, case_id, "2026-11-20 12:00") == "2026-11-20T09:30:00+08:00"
    assert _responded_as_of(jiesu, case_id, "2026-11-21 11:00") == "2026-11-20T09:30:00+08:00"
    jiesu.ok("contact", case_id, "--at", "2026-11-20 09:45")  # between the two: a later contact, nothing moves
    assert jiesu.json("show", case_id)["responded_at"] == "2026-11-20T09:30:00+08:00"
    # The later contact cannot be taken back while the earlier one, logged after it, stands on its record.
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    before = book.fingerprint()
    refused(  # 补录: 之后 beside an earlier time read as a mistake to a fresh tester
        jiesu("undo", case_id),
        "#1 的联系诉求人（2026-11-21 10:00）不能撤销：之后 测试员 已补录联系诉求人（2026-11-20 09:30），它以这一步为依据",
    )
    assert book.fingerprint() == before
    # Taking back the backfilled one puts the first response back at 10:00; then the 10:00 one can go too.
    monkeypatch.setenv("JIESU_ACTOR", "测试员")
    jiesu.ok("undo", case_id)  # the 09:45 contact
    jiesu.ok("undo", case_id)  # the 09:30 contact
    assert jiesu.json("show", case_id)["responded_at"] == "2026-11-21T10:00:00+08:00"
    _sound(jiesu)
    monkeypatch.setenv("JIESU_ACTOR", "李四")
    jiesu.ok("undo", case_id)
    assert jiesu.json("show", case_id)["responded_at"] is None
    _sound(jiesu)


def test_a_visit_backfilled_before_a_recorded_visit_is_taken(jiesu):
    """A visit changes nothing on the case but its history: one backfilled before another is simply recorded."""
    case_id = jiesu.new("x", "--received", "2026-11-20 09:00")
    jiesu.ok("visit", case_id, "--note", "第二次", "--at", "2026-11-22 09:00")
    jiesu.ok("visit", case_id, "--note", "第一次", "--at", "2026-11-21 09:00")
    _sound(jiesu)


def test_show_lists_the_history_by_when_each_step_happened_and_marks_the_backfilled(jiesu, monkeypatch):
    """A fresh tester's close backfilled to 11-03 was listed below the extension logged on 11-10 (the order
    logged): the history reads in time order, ties in the order logged, and a step logged after one dated later
    than it says 补录. JSON keeps the order logged, each event with its id and time."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00+08:00")
    case_id = jiesu.new("a", "--nature", "reasonable", "--channel", "walkin", "--received", "2026-11-02 09:00")
    jiesu.ok("extend", case_id, "--to", "2026-12-31", "--reason", "协调")
    jiesu.ok("undo", case_id)
    jiesu.ok("visit", case_id, "--note", "上门", "--at", "2026-11-03 09:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "ok", "--at", "2026-11-03 10:00")
    table = jiesu.ok("show", case_id, "--format", "table").stdout
    steps = [[cell.strip() for cell in line.split("│")[:2]] for line in table.splitlines() if line.startswith("2026-")]
    assert steps == [
        ["2026-11-02 09:00", "受理"],
        ["2026-11-03 09:00", "上门（补录）"],
        ["2026-11-03 10:00", "办结（补录）"],
        ["2026-11-10 10:00", "延期"],
        ["2026-11-10 10:00", "撤销"],  # the same time as the extension: after it, as logged
    ]
    events = jiesu.json("show", case_id)["events"]
    assert [e["kind"] for e in events] == ["filed", "extended", "undone", "visited", "closed"]
