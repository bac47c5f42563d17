"""Issue 13: steps in time order, reopen/extension/escalation together, and face-to-face response."""

from __future__ import annotations

import pytest

from tests.conftest import refused, without_calendar_notes


# ---------------------------------------------------------------- 响应率 for face-to-face cases


def _response(jiesu) -> float | None:
    return jiesu.json("report", "monthly", "--period", "2026-11")["rates"]["response"]


def test_desk_and_walkin_cases_count_as_responded_at_receipt(jiesu):
    jiesu.new("窗口来访", "--channel", "desk", "--received", "2026-11-02T09:00")
    jiesu.new("走访发现", "--channel", "walkin", "--received", "2026-11-02T10:00")
    hotline = jiesu.new("热线未联系", "--received", "2026-11-02T11:00")
    assert _response(jiesu) == round(2 / 3, 4)
    assert jiesu.json("show", hotline)["responded_at"] is None
    jiesu.ok("contact", hotline, "--at", "2026-11-02T12:00")
    assert _response(jiesu) == 1.0


def test_face_to_face_response_follows_the_same_rule_as_sanshangmen(jiesu, db_path):
    (db_path.parent / "jiesu.toml").write_text('[close]\nface_to_face_channels = ["walkin"]\n', encoding="utf-8")
    desk = jiesu.new("窗口来访", "--channel", "desk", "--received", "2026-11-02T09:00", "--nature", "reasonable")
    walkin = jiesu.new("走访发现", "--channel", "walkin", "--received", "2026-11-02T10:00", "--nature", "reasonable")
    assert jiesu.json("show", walkin)["responded_at"] == "2026-11-02T10:00:00+08:00"
    assert jiesu.json("show", desk)["responded_at"] is None
    assert _response(jiesu) == 0.5
    refused(jiesu("close", desk, "--result", "resolved", "--note", "已修好", "--at", "2026-11-02T11:00"))
    jiesu.ok("close", walkin, "--result", "resolved", "--note", "已修好", "--at", "2026-11-02T11:00")


def _response_this_month(jiesu) -> float | None:
    return jiesu.json("report", "monthly", "--period", "2026-12")["rates"]["response"]


def test_a_face_to_face_response_moves_with_its_corrected_receipt(jiesu):
    """A fresh tester's find: `edit --received` left a 来访 case responded at its old receipt, after the
    new one, and 响应率 fell from 1.0 to 0.0 while `check` called the book sound."""
    walkin = jiesu.new("走访发现", "--channel", "walkin", "--received", "2026-12-01T07:00")
    jiesu.ok("edit", walkin, "--received", "2026-12-01T06:00")
    assert jiesu.json("show", walkin)["responded_at"] == "2026-12-01T06:00:00+08:00"
    assert _response_this_month(jiesu) == 1.0
    jiesu.ok("edit", walkin, "--received", "2026-12-01T08:00")
    assert jiesu.json("show", walkin)["responded_at"] == "2026-12-01T08:00:00+08:00"
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_a_corrected_channel_moves_the_response_its_receipt_stood_for(jiesu):
    case_id = jiesu.new("走访发现", "--channel", "walkin", "--received", "2026-12-01T07:00")
    jiesu.ok("edit", case_id, "--channel", "hotline")  # not face to face after all: not responded yet
    assert jiesu.json("show", case_id)["responded_at"] is None
    assert _response_this_month(jiesu) is None  # not responded, not due yet: nothing to count
    jiesu.ok("contact", case_id)
    contacted = jiesu.json("show", case_id)["responded_at"]
    jiesu.ok("edit", case_id, "--channel", "desk")  # face to face again: responded at receipt
    assert jiesu.json("show", case_id)["responded_at"] == "2026-12-01T07:00:00+08:00"
    jiesu.ok("edit", case_id, "--channel", "phone")  # the first contact is the first response again
    assert jiesu.json("show", case_id)["responded_at"] == contacted
    jiesu.ok("undo", case_id)
    assert jiesu.json("show", case_id)["responded_at"] == "2026-12-01T07:00:00+08:00"
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_an_undone_correction_says_where_the_first_response_went_back_to(jiesu):
    """A fresh tester: the correction said where the first response went, its undo did not — and it named a
    响应时限 that a responded case no longer answers to."""
    case_id = jiesu.new("门口垃圾", "--channel", "walkin", "--received", "2026-12-01T09:00")
    jiesu.ok("edit", case_id, "--received", "2026-12-01T08:00")
    said = jiesu.ok("undo", case_id).stderr
    assert said == "#1 已撤销更正：受理时间：2026-12-01 08:00 → 2026-12-01 09:00（待派单）\n首次响应随之改回 2026-12-01 09:00\n"
    jiesu.ok("edit", case_id, "--channel", "hotline")
    said = jiesu.ok("undo", case_id).stderr
    assert said == "#1 已撤销更正：受理渠道：12345热线 → 来访（待派单）\n首次响应随之改回 2026-12-01 09:00\n"
    jiesu.ok("edit", case_id, "--channel", "hotline")
    jiesu.ok("edit", case_id, "--channel", "walkin")
    said = jiesu.ok("undo", case_id).stderr
    assert said.endswith("首次响应随之改回：尚未响应（联系诉求人后用 jiesu contact 记录，可用 --at 写实际时间）\n")


def test_an_undone_correction_of_a_case_awaiting_its_response_names_its_respond_by(jiesu):
    case_id = jiesu.new("热线来电", "--channel", "hotline", "--received", "2026-12-01T09:00")
    jiesu.ok("edit", case_id, "--received", "2026-12-01T07:00")
    said = jiesu.ok("undo", case_id).stderr
    assert "响应时限：2026-12-02 07:00 → 2026-12-02 09:00" in said
    assert "首次响应" not in said


def test_a_contact_stays_the_response_when_the_receipt_of_a_phoned_case_moves(jiesu):
    case_id = jiesu.new("热线来电", "--channel", "hotline", "--received", "2026-12-01T07:00")
    jiesu.ok("contact", case_id, "--at", "2026-12-01T08:30")
    jiesu.ok("edit", case_id, "--received", "2026-12-01T06:30")
    assert jiesu.json("show", case_id)["responded_at"] == "2026-12-01T08:30:00+08:00"


def test_a_contact_logged_at_its_real_time_after_the_channel_is_corrected(jiesu):
    """A fresh tester: corrected from 来访 to 电话, a case's real call could no longer be logged at its time —
    refused as out of order against the correction, which had moved the (hidden) first response."""
    case_id = jiesu.new("误录来访", "--channel", "walkin", "--received", "2026-11-20T09:00")
    said = jiesu.ok("edit", case_id, "--channel", "phone").stderr
    assert said == "#1 已更正：受理渠道：来访 → 电话\n首次响应随之改为：尚未响应（联系诉求人后用 jiesu contact 记录，可用 --at 写实际时间）\n"
    jiesu.ok("contact", case_id, "--at", "2026-11-20T10:00")
    assert jiesu.json("show", case_id)["responded_at"] == "2026-11-20T10:00:00+08:00"
    assert jiesu.ok("edit", case_id, "--channel", "desk").stderr.endswith("首次响应随之改为 2026-11-20 09:00\n")
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_a_close_that_went_by_a_face_to_face_receipt_keeps_its_channel(jiesu, book):
    """A fresh tester: a 来访 case closed at once, its channel then corrected to 12345热线, was a close 三上门 never
    allowed — and `check` told the worker to restore from backup (or said nothing, with no visit at all). (A visit
    logged first and the close backfilled before it is refused now: test_a_close_before_a_step_only_an_open_case_takes…)"""
    why = "#1 走上门办，办结前还需要上门（visit）的记录"
    case_id = jiesu.new("来访即办", "--channel", "walkin", "--nature", "合理诉求", "--received", "2026-12-01T09:00")
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "当场解决", "--at", "2026-12-01T09:10")
    before = book.fingerprint()
    refused(
        jiesu("edit", case_id, "--channel", "hotline"),
        f"#1 已办结，受理渠道改为12345热线后这次办结不再成立（{why}）；确是录错的，请先 jiesu reopen 1 --reason … 重办",
    )
    assert book.fingerprint() == before
    jiesu.ok("edit", case_id, "--channel", "desk")  # face to face still: the close holds
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_a_closed_case_that_had_its_visit_in_time_may_have_its_channel_corrected(jiesu):
    case_id = jiesu.new("来访", "--channel", "walkin", "--nature", "合理诉求", "--received", "2026-12-01T09:00")
    jiesu.ok("visit", case_id, "--note", "看", "--at", "2026-12-01T09:05")
    jiesu.ok("close", case_id, "--result", "已解决", "--note", "修好", "--at", "2026-12-01T09:10")
    jiesu.ok("edit", case_id, "--channel", "hotline")
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_a_contact_at_its_real_time_is_taken_after_an_undone_correction_too(jiesu):
    """A fresh tester: after `edit --channel phone` and its `undo`, then `edit --channel hotline`, the real call
    at 09:10 was refused as earlier than the undo, which had moved the first response back."""
    case_id = jiesu.new("来访", "--channel", "walkin", "--received", "2026-12-01T09:00")
    jiesu.ok("edit", case_id, "--channel", "phone")
    jiesu.ok("undo", case_id)
    jiesu.ok("edit", case_id, "--channel", "hotline")
    jiesu.ok("contact", case_id, "--at", "2026-12-01T09:10")
    assert jiesu.json("show", case_id)["responded_at"] == "2026-12-01T09:10:00+08:00"
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_a_case_closed_by_clearing_its_entry_may_have_its_channel_corrected(jiesu):
    """A fresh tester: a 来访 case closed by 销账 was refused `edit --channel hotline` as needing a visit; a
    hotline case clears from the ledger without one."""
    case_id = jiesu.new("来访上账", "--channel", "walkin", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "p", "--unit", "u", "--at", "2026-11-20T10:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "好了", "--at", "2026-11-21T10:00")
    said = jiesu.ok("edit", case_id, "--channel", "hotline").stderr
    assert said == "#1 已更正：受理渠道：来访 → 12345热线\n首次响应随之改为：尚未响应（这件诉求办结前没有联系记录）\n"
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_check_finds_a_first_response_before_the_receipt(jiesu, book):
    case_id = jiesu.new("走访发现", "--channel", "walkin", "--received", "2026-11-02T10:00")
    book.execute("UPDATE cases SET responded_at = '2026-11-01 16:00:00+00:00' WHERE id = :id", id=case_id)
    result = jiesu("check")
    assert result.exit_code == 1
    assert f"#{case_id} 的首次响应时间 2026-11-02 00:00 早于受理时间 2026-11-02 10:00" in result.stdout + result.stderr


# ---------------------------------------------------------------- steps in time order


def _reasonable(jiesu, received: str = "2026-11-20T09:00") -> int:
    return jiesu.new("楼道漏水", "--received", received, "--nature", "reasonable")


def test_close_dated_before_its_visit_is_refused_naming_both_times(jiesu, book):
    case_id = _reasonable(jiesu)
    jiesu.ok("visit", case_id, "--note", "看现场", "--at", "2026-11-23T10:00")
    before = book.fingerprint()
    refused(
        jiesu("close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-21"),
        f"#{case_id} 的办结时间 2026-11-21 00:00 早于上门时间 2026-11-23 10:00；办结所依据的上门必须在它之前",
    )
    assert book.fingerprint() == before
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-23T10:00")


def test_close_dated_before_its_classification_is_refused_naming_both_times(jiesu, book):
    """Replayed from a fresh tester: the 三上门 check needs the nature, so the 研判 must come first."""
    case_id = jiesu.new("楼道灯不亮", "--received", "2026-11-25T09:00")
    jiesu.ok("visit", case_id, "--note", "看现场", "--at", "2026-11-27T10:00")
    jiesu.ok("classify", case_id, "合理诉求", "--at", "2026-11-30T09:00")
    before = book.fingerprint()
    refused(
        jiesu("close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-29T10:00"),
        f"#{case_id} 的办结时间 2026-11-29 10:00 早于研判时间 2026-11-30 09:00；办结所依据的研判必须在它之前",
    )
    assert book.fingerprint() == before
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-30T10:00")
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_revisit_and_reopen_dated_before_the_close_are_refused(jiesu, book):
    case_id = _reasonable(jiesu)
    jiesu.ok("visit", case_id, "--note", "看现场", "--at", "2026-11-21T10:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-23T09:00")
    before = book.fingerprint()
    refused(
        jiesu("revisit", case_id, "--satisfaction", "satisfied", "--resolved", "yes", "--at", "2026-11-20T12:00"),
        f"#{case_id} 的回访时间 2026-11-20 12:00 早于办结时间 2026-11-23 09:00；回访所依据的办结必须在它之前",
    )
    refused(
        jiesu("reopen", case_id, "--reason", "又漏了", "--at", "2026-11-22T08:00"),
        f"#{case_id} 的重办时间 2026-11-22 08:00 早于办结时间 2026-11-23 09:00；重办所依据的办结必须在它之前",
    )
    assert book.fingerprint() == before
    jiesu.ok("revisit", case_id, "--satisfaction", "satisfied", "--resolved", "yes", "--at", "2026-11-24T09:00")
    refused(
        jiesu("revisit", case_id, "--satisfaction", "basic", "--resolved", "yes", "--at", "2026-11-23T12:00"),
        f"#{case_id} 已回访，不能再回访（测试员 2026-11-24 09:00 已回访：满意，已解决）：同一次办结只回访一次；回访不能撤销，记错的请用 jiesu note {case_id} … 说明，诉求人仍不满意或未解决的请 jiesu reopen {case_id} --reason …",
    )


def test_steps_of_a_reopened_round_come_after_the_reopen(jiesu):
    case_id = _reasonable(jiesu)
    jiesu.ok("visit", case_id, "--note", "看现场", "--at", "2026-11-20T10:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-20T11:00")
    jiesu.ok("reopen", case_id, "--reason", "又漏了", "--at", "2026-11-24T09:00")
    jiesu.ok("visit", case_id, "--note", "再看", "--at", "2026-11-24T10:00")
    said = "早于重办时间 2026-11-24 09:00"
    for step in (
        ["close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-23"],
        ["extend", case_id, "--to", "2026-12-20", "--reason", "等配件", "--at", "2026-11-23"],
        ["escalate", case_id, "--reason", "难办", "--at", "2026-11-23"],
    ):
        assert said in refused(jiesu(*step))


def test_return_before_its_assignment_and_steps_before_receipt_are_refused(jiesu):
    case_id = _reasonable(jiesu)
    jiesu.ok("assign", case_id, "王师傅", "--at", "2026-11-21T09:00")
    refused(
        jiesu("return", case_id, "--reason", "不归我管", "--at", "2026-11-20T15:00"),
        f"#{case_id} 的退单时间 2026-11-20 15:00 早于派单时间 2026-11-21 09:00；退单所依据的派单必须在它之前",
    )
    refused(
        jiesu("visit", case_id, "--note", "看现场", "--at", "2026-11-19"),
        f"#{case_id} 的时间 2026-11-19 00:00 早于受理时间 2026-11-20 09:00",
    )


def test_merge_dated_before_either_receipt_is_refused(jiesu, book):
    """Replayed from a fresh tester: the merge is written on both cases, so `check` found it before the target's receipt.
    Received on a Saturday and a Sunday, both count from Monday: one deadline, which neither merge drops."""
    duplicate = jiesu.new("路灯不亮", "--received", "2026-11-14T09:00")
    target = jiesu.new("路灯不亮", "--received", "2026-11-15T09:00")
    before = book.fingerprint()
    refused(
        jiesu("merge", duplicate, "--into", target, "--at", "2026-11-14T12:00"),
        f"#{target} 的并单时间 2026-11-14 12:00 早于受理时间 2026-11-15 09:00；并单所依据的受理必须在它之前",
    )
    refused(jiesu("merge", target, "--into", duplicate, "--at", "2026-11-14T12:00"), f"#{target} 的时间 2026-11-14 12:00 早于受理时间 2026-11-15 09:00")
    assert book.fingerprint() == before
    jiesu.ok("merge", duplicate, "--into", target, "--at", "2026-11-15T09:00")
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_two_times_refused_side_by_side_in_the_same_minute_are_shown_to_the_second(jiesu, book):
    # A fresh tester read `受理时间不能改为 21:22：它晚于 21:22 的办理记录`: seconds apart, alike to the minute.
    case_id = jiesu.new("路灯不亮", "--received", "2026-11-20T09:00:30")
    jiesu.ok("assign", case_id, "物业", "--at", "2026-11-20T09:05:40")
    urgent = jiesu.new("燃气味", "--urgency", "urgent", "--received", "2026-11-20T09:00:30")  # 办理时限 2 hours: 11:00:30
    before = book.fingerprint()
    refused(jiesu("contact", case_id, "--at", "2026-11-20T09:00"), f"#{case_id} 的时间 2026-11-20 09:00:00 早于受理时间 2026-11-20 09:00:30")
    refused(
        jiesu("return", case_id, "--reason", "派错", "--at", "2026-11-20T09:05:10"),
        f"#{case_id} 的退单时间 2026-11-20 09:05:10 早于派单时间 2026-11-20 09:05:40；退单所依据的派单必须在它之前",
    )
    refused(
        jiesu("assign", case_id, "街道", "--at", "2026-11-20T09:05:20"),
        f"#{case_id} 的派单时间 2026-11-20 09:05:20 早于 测试员 已记录的派单（2026-11-20 09:05:40），两步改变了案卷的同一项；"
        f"补录须按时间先后：那次派单不能为此撤销，派单时间须不早于它",
    )
    refused(
        jiesu("extend", urgent, "--to", "2026-11-21", "--reason", "等", "--at", "2026-11-20T11:00:50"),
        f"#{urgent} 的延期时间 2026-11-20 11:00:50 晚于它要延长的时限 2026-11-20 11:00:30；超期后不能延期",
    )
    assert book.fingerprint() == before
    # minutes apart: to the minute, as before
    refused(jiesu("contact", case_id, "--at", "2026-11-20T08:59"), f"#{case_id} 的时间 2026-11-20 08:59 早于受理时间 2026-11-20 09:00")


def test_a_write_off_dated_before_the_reopen_it_follows_is_refused_and_found_by_check(jiesu, book):
    """Replayed from a fresh tester: the entry reopened at 11:00 could be written off again at 10:30."""
    case_id = jiesu.new("主管道老化", "--received", "2026-11-10T09:00", "--nature", "reasonable", "--channel", "desk")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-11-11T09:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已换", "--at", "2026-11-11T10:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "satisfied", "--resolved", "no", "--at", "2026-11-11T11:00")
    before = book.fingerprint()
    refused(
        jiesu("ledger", "clear", "1", "--evidence", "又换", "--at", "2026-11-11T10:30"),
        f"#{case_id} 的销账时间 2026-11-11 10:30 早于重办时间 2026-11-11 11:00；销账所依据的重办必须在它之前",
    )
    assert book.fingerprint() == before
    assert jiesu.ok("check").stderr.startswith("案卷完好")
    # A book written before the rule: `check` finds the write-off before its reopen.
    _check_finds_a_step_an_older_jiesu_wrote_at_10_30(jiesu, book, case_id, "cleared", "销账")


def _check_finds_a_step_an_older_jiesu_wrote_at_10_30(jiesu, book, case_id: int, kind: str, label: str) -> None:
    """A `kind` step dated 2026-11-11 10:30, written straight into the book as a jiesu before the
    rule could, is found by `check` as dated before the 11:00 reopen it follows."""
    book.execute(
        "INSERT INTO events (case_id, at, actor, kind, note, changes) VALUES (:id, '2026-11-11 02:30:00+00:00', '旧版', :kind, '', '{}')",
        id=case_id, kind=kind,
    )
    result = jiesu("check")
    assert result.exit_code == 1
    assert f"#{case_id} 的{label}时间 2026-11-11 10:30 早于重办时间 2026-11-11 11:00" in result.stdout + result.stderr


def test_a_ledger_entry_dated_before_the_classification_or_reopen_it_follows_is_refused(jiesu, book):
    case_id = jiesu.new("主管道老化", "--received", "2026-11-10T09:00", "--channel", "desk")
    jiesu.ok("classify", case_id, "reasonable", "--at", "2026-11-10T12:00")
    before = book.fingerprint()
    refused(
        jiesu("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-11-10T11:30"),
        f"#{case_id} 的上账时间 2026-11-10 11:30 早于研判时间 2026-11-10 12:00；上账所依据的研判必须在它之前",
    )
    assert book.fingerprint() == before
    jiesu.ok("visit", case_id, "--note", "上门查看", "--at", "2026-11-10T13:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "已换", "--at", "2026-11-10T14:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "satisfied", "--resolved", "no", "--at", "2026-11-11T11:00")
    before = book.fingerprint()
    refused(
        jiesu("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-11-11T10:30"),
        f"#{case_id} 的上账时间 2026-11-11 10:30 早于重办时间 2026-11-11 11:00；上账所依据的重办必须在它之前",
    )
    assert book.fingerprint() == before
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-11-11T11:30")
    assert jiesu.ok("check").stderr.startswith("案卷完好")
    # A book written before the rule: `check` finds the entry before its reopen.
    _check_finds_a_step_an_older_jiesu_wrote_at_10_30(jiesu, book, case_id, "ledgered", "上账")


@pytest.mark.parametrize(
    ("setup", "late", "line"),
    [
        ([("assign", "{id}", "Z", "--at", "2026-11-26T09:00")], ("assign", "{id}", "W", "--at", "2026-11-24T09:00"),
         "#{id} 的派单时间 2026-11-24 09:00 早于 测试员 已记录的派单（2026-11-26 09:00），两步改变了案卷的同一项；补录须按时间先后：那次派单不能为此撤销，派单时间须不早于它"),
        ([("assign", "{id}", "Y", "--at", "2026-11-26T09:00")], ("merge", "{id}", "--into", "{other}", "--at", "2026-11-25T09:00"),
         "#{id} 的并单时间 2026-11-25 09:00 早于 测试员 已记录的派单（2026-11-26 09:00），两步改变了案卷的同一项；补录须按时间先后：那次派单不能为此撤销，并单时间须不早于它"),
        ([("classify", "{id}", "reasonable", "--at", "2026-11-20T10:00"), ("assign", "{id}", "物业", "--at", "2026-11-23T09:00")],
         ("ledger", "add", "{id}", "--plan", "换管", "--unit", "城管科", "--at", "2026-11-22T09:00"),
         "#{id} 的上账时间 2026-11-22 09:00 早于 测试员 已记录的派单（2026-11-23 09:00），两步改变了案卷的同一项；补录须按时间先后：那次派单不能为此撤销，上账时间须不早于它"),
    ],
)
def test_a_step_dated_before_a_recorded_step_that_changed_the_same_thing_is_refused(jiesu, book, setup, late, line):
    """Replayed from a fresh tester: the book held the earlier value as the latest, and views as of a time between were wrong."""
    case_id = jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")
    other = jiesu.new("楼道灯又不亮", "--received", "2026-11-20T09:00")
    for step in setup:
        jiesu.ok(*[part.format(id=case_id, other=other) for part in step])
    before = book.fingerprint()
    refused(jiesu(*[part.format(id=case_id, other=other) for part in late]), line.format(id=case_id))
    assert book.fingerprint() == before
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_extension_dated_after_the_deadline_it_extends_is_refused_naming_both(jiesu):
    case_id = _reasonable(jiesu, "2026-11-02T09:00")
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-11-12T00:00:00+08:00"
    refused(
        jiesu("extend", case_id, "--to", "2026-11-30", "--reason", "等配件", "--at", "2026-11-12T09:00"),
        f"#{case_id} 的延期时间 2026-11-12 09:00 晚于它要延长的时限 2026-11-11 24:00；超期后不能延期",
    )


def test_a_contact_rule_also_needs_the_contact_before_the_close(jiesu, db_path):
    (db_path.parent / "jiesu.toml").write_text('[close]\npersuade_requires = ["contact"]\n', encoding="utf-8")
    case_id = jiesu.new("要求拆除邻居空调", "--received", "2026-11-20T09:00", "--nature", "unreasonable")
    jiesu.ok("contact", case_id, "--at", "2026-11-22T09:00")
    refused(
        jiesu("close", case_id, "--result", "explained", "--note", "已解释", "--at", "2026-11-21T09:00"),
        f"#{case_id} 的办结时间 2026-11-21 09:00 早于联系诉求人时间 2026-11-22 09:00；办结所依据的联系诉求人必须在它之前",
    )


def test_check_reports_every_inversion_in_an_existing_book(jiesu, book):
    case_id = _reasonable(jiesu)
    assert jiesu.ok("check").stderr.startswith("案卷完好")
    # A book written before the rule: a visit after the close, a revisit before it.
    for kind, at, changes in (
        ("visited", "2026-11-23 02:00:00+00:00", "{}"),
        ("closed", "2026-11-20 16:00:00+00:00", '{"status": ["new", "closed"], "result": [null, "resolved"]}'),
        ("revisited", "2026-11-20 04:00:00+00:00", '{"status": ["closed", "revisited"]}'),
    ):
        book.execute(
            "INSERT INTO events (case_id, at, actor, kind, note, changes) VALUES (:id, :at, '旧版', :kind, '', :changes)",
            id=case_id, at=at, kind=kind, changes=changes,
        )
    book.execute("UPDATE cases SET status = 'revisited', result = 'resolved', closed_at = '2026-11-20 16:00:00+00:00' WHERE id = :id", id=case_id)
    result = jiesu("check")
    assert result.exit_code == 1
    assert f"#{case_id} 的办结时间 2026-11-21 00:00 早于上门时间 2026-11-23 10:00" in result.stdout + result.stderr
    assert f"#{case_id} 的回访时间 2026-11-20 12:00 早于办结时间 2026-11-21 00:00" in result.stdout + result.stderr


# ---------------------------------------------------------------- reopen, extension and escalation together


def _closed(jiesu, received: str, closed: str) -> int:
    case_id = _reasonable(jiesu, received)
    jiesu.ok("visit", case_id, "--note", "看现场", "--at", received)
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "修好", "--at", closed)
    return case_id


def test_an_extension_of_more_than_a_year_is_refused_and_one_ending_on_a_rest_day_says_so(jiesu, book):
    # A fresh tester: `extend --to 2099-12-31` (a typo) took a case out of 超期 for decades, and
    # `--to 2027-01-01` (元旦) set a deadline on a holiday without a word.
    typo, holiday, weekend, a_year = (
        _reasonable(jiesu, "2026-11-20T09:00") for _ in range(4)  # 办理时限 2026-12-01 24:00
    )
    before = book.fingerprint()
    refused(
        jiesu("extend", typo, "--to", "2099-12-31", "--reason", "等", "--at", "2026-11-21T09:00"),
        f"#{typo} 延期后的时限 2099-12-31 24:00 比现在的 2026-12-01 24:00 晚一年以上；"
        f"12345 诉求不按年延期，一时办不完的请上账整改：jiesu ledger add {typo} --plan … --unit …",
    )
    refused(jiesu("extend", a_year, "--to", "2027-12-02", "--reason", "等", "--at", "2026-11-21T09:00"))  # a year and a day
    assert book.fingerprint() == before

    def extended(case_id: int, to: str) -> str:
        return without_calendar_notes(jiesu.ok("extend", case_id, "--to", to, "--reason", "等配件", "--at", "2026-11-21T09:00").stderr)

    assert extended(holiday, "2027-01-01") == f"#{holiday} 已延期至 2027-01-01 24:00（2027-01-01 是法定节假日）（待派单）\n"
    assert extended(weekend, "2026-12-12") == f"#{weekend} 已延期至 2026-12-12 24:00（2026-12-12 是休息日）（待派单）\n"
    assert extended(a_year, "2027-12-01") == f"#{a_year} 已延期至 2027-12-01 24:00（待派单）\n"


def test_a_reopen_never_shortens_an_extended_deadline_and_each_round_may_extend(jiesu):
    case_id = _reasonable(jiesu, "2026-11-02T09:00")
    jiesu.ok("extend", case_id, "--to", "2026-11-30T18:00", "--reason", "等配件", "--at", "2026-11-04T09:00")
    refused(jiesu("extend", case_id, "--to", "2026-12-05", "--reason", "再等", "--at", "2026-11-04T10:00"),
            f"#{case_id} 已延期 1 次，最多 1 次")
    jiesu.ok("visit", case_id, "--note", "换配件", "--at", "2026-11-05T09:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "修好", "--at", "2026-11-05T10:00")
    reopened = jiesu.ok("reopen", case_id, "--reason", "又坏了", "--at", "2026-11-06T09:00")
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-11-30T18:00:00+08:00"
    # it said 时限已按重办时间重算 beside the date it had kept
    assert reopened.stderr.splitlines()[1] == "办理时限仍为 2026-11-30 18:00（按重办时间重算的时限更早，时限不提前）"
    jiesu.ok("extend", case_id, "--to", "2026-12-10T18:00", "--reason", "厂家返修", "--at", "2026-11-20T09:00")
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-12-10T18:00:00+08:00"
    refused(jiesu("extend", case_id, "--to", "2026-12-20", "--reason", "再等", "--at", "2026-11-21T09:00"),
            f"#{case_id} 本轮（重办后）已延期 1 次，最多 1 次")


def test_a_reopen_the_day_it_was_received_keeps_the_same_deadline_without_calling_it_earlier(jiesu):
    # A fresh tester: received, closed and reopened by a 回访 the same day, the recomputed 办理时限 is the
    # one the case has, yet the line said 按重办时间重算的时限更早.
    case_id = _closed(jiesu, "2026-11-02T09:00", "2026-11-02T15:00")
    kept = jiesu.json("show", case_id)["resolve_by"]
    revisited = jiesu.ok("revisit", case_id, "--satisfaction", "基本满意", "--resolved", "no", "--at", "2026-11-02T17:00")
    assert jiesu.json("show", case_id)["resolve_by"] == kept
    assert revisited.stderr.splitlines()[1] == "办理时限仍为 2026-11-11 24:00"


def test_a_reopen_without_extension_counts_a_fresh_period_from_the_reopen(jiesu):
    case_id = _closed(jiesu, "2026-10-08T09:00", "2026-10-09T09:00")
    jiesu.ok("reopen", case_id, "--reason", "又坏了", "--at", "2026-11-02T09:00")
    fresh = _reasonable(jiesu, "2026-11-02T09:00")
    assert jiesu.json("show", case_id)["resolve_by"] == jiesu.json("show", fresh)["resolve_by"]


def test_escalating_a_reopened_case_counts_from_the_reopen(jiesu):
    case_id = _closed(jiesu, "2026-10-08T09:00", "2026-10-09T09:00")
    first_respond_by = jiesu.json("show", case_id)["respond_by"]
    jiesu.ok("reopen", case_id, "--reason", "又坏了", "--at", "2026-11-02T09:00")
    jiesu.ok("escalate", case_id, "--to", "district", "--reason", "涉及多个部门", "--at", "2026-11-03T09:00")
    fresh = _reasonable(jiesu, "2026-11-02T09:00")
    jiesu.ok("escalate", fresh, "--to", "district", "--reason", "涉及多个部门", "--at", "2026-11-03T09:00")
    reopened, same_day = jiesu.json("show", case_id), jiesu.json("show", fresh)
    assert reopened["tier"] == "complex" and reopened["resolve_by"] == same_day["resolve_by"]
    assert reopened["resolve_by"] > "2026-11-20"
    assert reopened["respond_by"] == first_respond_by  # the first response is counted from receipt


# ---------------------------------------------------------------- a deadline that ends a day reads 24:00


def test_a_deadline_at_the_end_of_a_day_reads_24_00_for_people_and_stays_exact_for_machines(jiesu, monkeypatch):
    import csv
    import io

    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    filed = jiesu("new", "楼上卫生间漏水", "--nature", "合理诉求", "--received", "2026-11-20T09:12")
    assert filed.stderr == "已受理 #1（待派单，办理时限 2026-12-01 24:00）\n"
    assert jiesu.json("show", "1")["resolve_by"] == "2026-12-02T00:00:00+08:00"
    assert next(csv.DictReader(io.StringIO(jiesu.ok("list", "--format", "csv").stdout)))["resolve_by"] == "2026-12-02T00:00:00+08:00"
    assert "2026-12-01 24:00" in jiesu.ok("list", "--format", "table").stdout
    assert "办理时限  2026-12-01 24:00" in jiesu.ok("show", "1", "--format", "table").stdout
    assert "│ 2026-12-01 24:00 │" in jiesu.ok("todo", "--format", "table").stdout
    extended = jiesu.ok("extend", "1", "--to", "2026-12-20", "--reason", "等配件")
    assert extended.stderr == "#1 已延期至 2026-12-20 24:00（2026-12-20 是休息日）（待派单）\n"
    assert "办理时限：2026-12-01 24:00 → 2026-12-20 24:00" in jiesu.ok("show", "1", "--format", "table").stdout
    jiesu.ok("ledger", "add", "1", "--plan", "换管", "--unit", "物业", "--due", "2026-12-31")
    assert "2026-12-31 24:00" in jiesu.ok("ledger", "list", "--format", "table").stdout
    # A typed date ends at its 24:00, stored as the next 00:00 like every deadline counted in days.
    assert jiesu.json("ledger", "list")[0]["due"] == "2027-01-01T00:00:00+08:00"
    assert jiesu.json("show", "1")["resolve_by"] == "2026-12-21T00:00:00+08:00"


def test_messages_name_an_end_of_day_deadline_as_24_00(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    jiesu.new("楼上漏水", "--received", "2026-11-20T09:12")
    refused(jiesu("extend", "1", "--to", "2026-11-25", "--reason", "x"), "#1 延期后的时限应晚于现在的 2026-12-01 24:00")
    edited = jiesu.ok("edit", "1", "--category", "供暖/不热")  # 水电气热: 24 hours from receipt, not a day's end
    assert edited.stderr.endswith("时限已按更正后的内容重算：水电气热档，响应时限 2026-11-21 09:12 到现在已过，办理时限 2026-11-21 09:12 到现在已过\n")
    undone = jiesu.ok("undo", "1")
    assert "办理时限：2026-11-21 09:12 → 2026-12-01 24:00" in undone.stderr


def test_a_deadline_in_a_minutes_last_second_reads_that_minutes_end_and_none_reads_early(jiesu):
    """Replayed from a fresh tester: 2 hours after a receipt at 07:59:59 was shown `09:59`, a minute
    early. 09:59:59 is the end of the minute 09:59, `10:00`, as 23:59:59 is 24:00; another second is
    shown; JSON keeps the instant."""
    late = jiesu.new("燃气泄漏", "--urgency", "urgent", "--received", "2026-12-01 07:59:59")
    odd = jiesu.new("电梯困人", "--urgency", "urgent", "--received", "2026-12-01 07:30:30")
    assert jiesu.json("show", late)["resolve_by"] == "2026-12-01T09:59:59+08:00"
    assert jiesu.json("show", odd)["resolve_by"] == "2026-12-01T09:30:30+08:00"
    _, rows = jiesu.table("list")
    assert [row[-1] for row in rows] == ["2026-12-01 10:00", "2026-12-01 09:30:30"]
    shown = jiesu.ok("show", late, "--format", "table").stdout
    assert "办理时限  2026-12-01 10:00" in shown and "09:59" not in shown
    todo = jiesu.ok("todo", "--format", "table").stdout
    assert "2026-12-01 10:00" in todo and "2026-12-01 09:30:30" in todo and "09:59" not in todo


def test_a_finished_days_report_is_as_of_its_24_00(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    jiesu.new("楼上漏水", "--received", "2026-11-30T09:00")
    assert jiesu.json("report", "daily", "--date", "2026-11-30")["as_of"] == "2026-12-01T00:00:00+08:00"
    for fmt in ("table", "markdown", "html"):
        page = jiesu.ok("report", "daily", "--date", "2026-11-30", "--format", fmt).stdout
        assert "日报 2026-11-30（截至 2026-11-30 24:00）" in page, fmt
    assert "月报 2026-11（截至 2026-11-30 24:00）" in jiesu.ok("report", "monthly", "--period", "2026-11", "--format", "table").stdout
    assert "日报 2026-12-01（截至 2026-12-01 09:30）" in jiesu.ok("report", "daily", "--format", "table").stdout
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T00:00:00+08:00")  # today's report at its first instant, when asked for
    assert "日报 2026-12-01（截至 2026-12-01 00:00）" in jiesu.ok("report", "daily", "--date", "today", "--format", "table").stdout
    assert "日报 2026-11-30（截至 2026-11-30 24:00）" in jiesu.ok("report", "daily", "--format", "table").stdout  # unasked, the day just ended


# ---------------------------------------------------------------- nothing is dated after now

AHEAD = "2026-12-01 09:30:50 在未来（现在是 2026-12-01 09:30:20）"


def test_a_time_seconds_after_now_is_refused_for_a_receipt_a_step_a_correction_and_an_import(jiesu, book, monkeypatch, tmp_path):
    """The tester's case: a receipt up to 59 s ahead was taken as typed, and the case was then missing
    from `list --as-of now` and today's report until that time. Every time something happened is now
    or before; a second ahead is refused with the line, like an hour ahead."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:20+08:00")
    case_id = jiesu.new("楼道灯不亮")
    sheet = tmp_path / "工单.csv"
    sheet.write_text("工单编号,受理时间,诉求内容\nBJ001,2026-12-01 09:30:50,楼上漏水\n", encoding="utf-8")
    before = book.fingerprint()
    ahead = "2026-12-01T09:30:50"
    refused(jiesu("new", "路灯不亮", "--received", ahead), f"受理时间 {AHEAD}")
    for step in (("contact", case_id), ("assign", case_id, "王网格"), ("note", case_id, "补记")):
        refused(jiesu(*step, "--at", ahead), f"#{case_id} 的时间 {AHEAD}")
    refused(jiesu("edit", case_id, "--received", ahead), f"受理时间 {AHEAD}")
    refused(jiesu("import", str(sheet), "--at", ahead), f"导入时间 {AHEAD}")
    result = jiesu("import", str(sheet))
    assert result.exit_code == 1 and f"第 2 行：受理时间 {AHEAD}" in result.stderr, result.output
    assert book.fingerprint() == before
    jiesu.ok("contact", case_id, "--at", "now")
    assert [row["id"] for row in jiesu.json("list", "--as-of", "now")] == [case_id]


def test_a_refused_time_still_to_come_repeats_what_was_typed_when_jiesu_would_show_it_otherwise(jiesu, book, monkeypatch):
    """Replayed from a fresh tester: `--at 24:00` was refused as `2026-12-02 00:00:00 在未来`, a time the
    person never typed. The refusal repeats what was typed, then the instant jiesu read it as; a time
    typed as jiesu shows it is named once, as before."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:15+08:00")
    case_id = jiesu.new("楼道灯不亮")
    before = book.fingerprint()
    now = "（现在是 2026-12-01 09:30:15）"
    refused(jiesu("assign", case_id, "王网格", "--at", "24:00"), f"#{case_id} 的时间 '24:00'（2026-12-02 00:00:00）在未来{now}")
    refused(jiesu("contact", case_id, "--at", "+1h"), f"#{case_id} 的时间 '+1h'（2026-12-01 10:30:15）在未来{now}")
    refused(jiesu("new", "x", "--received", "今天 24:00"), f"受理时间 '今天 24:00'（2026-12-02 00:00:00）在未来{now}")
    refused(jiesu("list", "--as-of", "2026-12-01 24:00"), "'2026-12-01 24:00'（2026-12-02 00:00） 还没有到，只能查看过去或现在")
    refused(jiesu("contact", case_id, "--at", "2026-12-01T10:00"), f"#{case_id} 的时间 2026-12-01 10:00:00 在未来{now}")
    assert book.fingerprint() == before


def test_a_time_refused_as_too_early_repeats_what_was_typed_as_the_future_refusal_does(jiesu, book, monkeypatch):
    """A fresh tester: `note 17 x --at "2026-12-01 24:00"` before receipt was refused naming 2026-12-02 00:00 alone,
    though the refusal of a time to come repeats what was typed (Office.said); every 早于 refusal does too."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-02T09:30:00+08:00")
    case_id = jiesu.new("楼道灯不亮", "--received", "2026-12-02T08:00")
    jiesu.ok("assign", case_id, "王网格", "--at", "2026-12-02T09:00")
    before = book.fingerprint()
    refused(jiesu("note", case_id, "x", "--at", "2026-12-01 24:00"), f"#{case_id} 的时间 '2026-12-01 24:00'（2026-12-02 00:00）早于受理时间 2026-12-02 08:00")
    refused(jiesu("assign", case_id, "李网格", "--at", "-1h"), f"#{case_id} 的派单时间 '-1h'（2026-12-02 08:30）早于 测试员 已记录的派单（2026-12-02 09:00），两步改变了案卷的同一项；"
            f"补录须按时间先后：那次派单不能为此撤销，派单时间须不早于它")
    refused(jiesu("edit", case_id, "--received", "今天 09:30"), f"#{case_id} 的受理时间不能改为 '今天 09:30'（2026-12-02 09:30）：它晚于 测试员 已记录的派单（2026-12-02 09:00）；受理须在每一步办理之前")
    assert book.fingerprint() == before


def test_a_face_to_face_case_reopened_needs_a_new_visit_before_it_closes_again(jiesu, book):
    """Replayed from a fresh tester: a walk-in's receipt stood in for the visit of every round."""
    case_id = jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00", "--nature", "合理诉求", "--channel", "walkin")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "已修好", "--at", "2026-11-24T10:00")  # the receipt was face to face
    jiesu.ok("reopen", case_id, "--reason", "没修好", "--at", "2026-11-25T10:00")
    before = book.fingerprint()
    refused(jiesu("close", case_id, "--result", "resolved", "--note", "又修了", "--at", "2026-11-26T10:00"),
            f"#{case_id} 走上门办，办结前还需要上门（visit）的记录")
    assert book.fingerprint() == before
    jiesu.ok("visit", case_id, "--note", "再次上门", "--at", "2026-11-26T09:00")
    jiesu.ok("close", case_id, "--result", "resolved", "--note", "又修了", "--at", "2026-11-26T10:00")
