"""cases.py: every transition allowed and refused, with the events it writes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from jiesu import cases, lookup, rules
from jiesu.cases import Draft
from jiesu.errors import BadInput, RuleViolation, TransitionRefused
from jiesu.models import Event
from jiesu.vocab import Level, Nature, Result, Satisfaction, Status


def make(office, status: Status) -> int:
    """A reasonable case, received an hour ago, brought to `status` the ordinary way."""
    case = cases.file_case(office, Draft("楼道灯不亮", nature=Nature.REASONABLE, received_at=office.now - timedelta(hours=1)))
    if status in (Status.ASSIGNED, Status.CLOSED, Status.REVISITED):
        cases.assign(office, case.id, "物业公司")
    if status in (Status.CLOSED, Status.REVISITED):
        cases.visit(office, case.id, "上门查看")
        cases.close(office, case.id, Result.RESOLVED, "已修好")
    if status is Status.REVISITED:
        cases.revisit(office, case.id, Satisfaction.SATISFIED, True)
    if status is Status.MERGED:
        other = cases.file_case(office, Draft("同一盏灯"))
        cases.merge(office, case.id, other.id)
    return case.id


def other_open_case(office) -> int:
    return cases.file_case(office, Draft("另一件")).id


STEPS = {
    "assign": lambda o, i: cases.assign(o, i, "街道城管科"),
    "return": lambda o, i: cases.return_case(o, i, "不属本单位"),
    "contact": lambda o, i: cases.contact(o, i, "电话联系"),
    "visit": lambda o, i: cases.visit(o, i, "上门"),
    "classify": lambda o, i: cases.classify(o, i, Nature.CONSULT),
    "escalate": lambda o, i: cases.escalate(o, i, "需协调"),
    "extend": lambda o, i: cases.extend(o, i, o.now + timedelta(days=30), "等配件"),
    "close": lambda o, i: cases.close(o, i, Result.RESOLVED, "办好了"),
    "revisit": lambda o, i: cases.revisit(o, i, Satisfaction.BASIC, True),
    "reopen": lambda o, i: cases.reopen(o, i, "仍未修好"),
    "merge": lambda o, i: cases.merge(o, i, other_open_case(o)),
    "note": lambda o, i: cases.add_note(o, i, "备注"),
}

STATUSES = [Status.NEW, Status.ASSIGNED, Status.CLOSED, Status.REVISITED, Status.MERGED]


def event_count(office, case_id: int) -> int:
    with office.store.read() as session:
        return session.exec(select(func.count(Event.id)).where(Event.case_id == case_id)).one()


@pytest.mark.parametrize("status", STATUSES, ids=[s.value for s in STATUSES])
@pytest.mark.parametrize("step", list(STEPS))
def test_state_by_command(office, status, step):
    case_id = make(office, status)
    if step == "close" and status in (Status.NEW, Status.ASSIGNED):
        cases.visit(office, case_id, "上门查看")
    before = lookup.get_case(office, case_id)
    if rules.allowed(status, step):
        STEPS[step](office, case_id)
        after = lookup.get_case(office, case_id)
        assert len(after.events) > len(before.events)
    else:
        with pytest.raises(TransitionRefused) as caught:
            STEPS[step](office, case_id)
        state = f"已并入 #{before.case.merged_into}" if status == Status.MERGED else status.label
        assert str(caught.value).startswith(f"#{case_id} {state}，不能")
        after = lookup.get_case(office, case_id)
        assert len(after.events) == len(before.events)
        assert after.case.version == before.case.version


def test_assign_return_and_reassign(office):
    case_id = make(office, Status.NEW)
    case = cases.assign(office, case_id, "物业公司")
    assert (case.status, case.assignee) == ("assigned", "物业公司")
    case = cases.assign(office, case_id, "街道城管科")
    assert (case.status, case.assignee) == ("assigned", "街道城管科")
    with pytest.raises(TransitionRefused, match="已派给 街道城管科"):
        cases.assign(office, case_id, "街道城管科")
    case = cases.return_case(office, case_id, "不属本单位")
    assert (case.status, case.assignee) == ("new", None)
    kinds = [e.kind for e in lookup.get_case(office, case_id).events]
    assert kinds == ["filed", "assigned", "assigned", "returned"]


def test_first_contact_fixes_responded_at(office):
    case_id = make(office, Status.NEW)
    first = office.now - timedelta(minutes=30)
    cases.contact(office, case_id, "首次联系", at=first)
    case = cases.contact(office, case_id, "再次联系")
    assert case.responded_at == first


def test_escalate_up_the_ladder_and_retier(office):
    case_id = make(office, Status.NEW)
    escalated = cases.escalate(office, case_id, "需街道协调")
    assert (escalated.case.level, escalated.case.tier, escalated.retimed) == ("street", "general", False)
    escalated = cases.escalate(office, case_id, "跨部门")
    assert (escalated.case.level, escalated.case.tier, escalated.retimed) == ("district", "complex", True)
    changes = json.loads(lookup.get_case(office, case_id).events[-1].changes)
    assert changes["tier"] == ["general", "complex"] and "resolve_by" in changes
    # A fresh tester's `escalate --to 社区` read `只能升级到 city 市`: English, and silent on going down.
    with pytest.raises(TransitionRefused, match=r"^#1 已在区级，不能降级到街道级；只能升到市级$"):
        cases.escalate(office, case_id, "退回", to=Level.STREET)
    with pytest.raises(TransitionRefused, match=r"^#1 已在区级；只能升到市级$"):
        cases.escalate(office, case_id, "再升", to=Level.DISTRICT)
    assert cases.escalate(office, case_id, "市级协调", to=Level.CITY).retimed is False
    with pytest.raises(TransitionRefused, match=r"已在市级（最高一级），不能再升级"):
        cases.escalate(office, case_id, "再升")


def test_extend_is_limited_later_and_before_due(office):
    case_id = make(office, Status.ASSIGNED)
    resolve_by = lookup.get_case(office, case_id).case.resolve_by
    with pytest.raises(RuleViolation, match="应晚于"):
        cases.extend(office, case_id, resolve_by - timedelta(hours=1), "提前")
    case = cases.extend(office, case_id, resolve_by + timedelta(days=5), "等配件").case
    assert case.resolve_by == resolve_by + timedelta(days=5)
    with pytest.raises(RuleViolation, match="已延期 1 次，最多 1 次"):
        cases.extend(office, case_id, resolve_by + timedelta(days=9), "再等")


def test_extend_refused_once_overdue(office):
    case = cases.file_case(office, Draft("紧急", urgency="urgent", received_at=office.now - timedelta(hours=5)))
    with pytest.raises(RuleViolation, match="超期后不能延期"):
        cases.extend(office, case.id, office.now + timedelta(days=1), "晚了")


def test_at_before_receipt_or_in_the_future_is_refused(office):
    case_id = make(office, Status.NEW)
    with pytest.raises(BadInput, match="早于受理时间"):
        cases.contact(office, case_id, at=office.now - timedelta(days=1))
    for ahead in (timedelta(minutes=5), timedelta(seconds=1)):
        with pytest.raises(BadInput, match="在未来"):
            cases.contact(office, case_id, at=office.now + ahead)
    cases.contact(office, case_id, at=office.now)


def test_revisit_reopens_a_reasonable_case_only(office):
    case_id = make(office, Status.CLOSED)
    case = cases.revisit(office, case_id, Satisfaction.UNSATISFIED, False, "仍漏水").case
    assert (case.status, case.reopen_count, case.result, case.closed_at) == ("assigned", 1, None, None)
    last = lookup.get_case(office, case_id).events[-1]
    assert (last.kind, last.note) == ("reopened", "回访不满意，未解决")

    consult = cases.file_case(office, Draft("咨询政策", nature=Nature.CONSULT, channel="walkin", received_at=office.now - timedelta(hours=1)))
    cases.close(office, consult.id, Result.ANSWERED, "已答复")
    case = cases.revisit(office, consult.id, Satisfaction.UNSATISFIED, False).case
    assert (case.status, case.reopen_count) == ("revisited", 0)


def test_reopened_case_needs_a_new_visit_before_closing_again(office):
    case_id = make(office, Status.CLOSED)
    cases.reopen(office, case_id, "仍未修好")
    with pytest.raises(RuleViolation, match="上门"):
        cases.close(office, case_id, Result.RESOLVED, "再次办结")
    cases.visit(office, case_id, "二次上门")
    assert cases.close(office, case_id, Result.RESOLVED, "再次办结").status == "closed"


def test_merge_refusals(office):
    a, b, c = (other_open_case(office) for _ in range(3))
    with pytest.raises(TransitionRefused, match="不能并入自己"):
        cases.merge(office, a, a)
    cases.merge(office, a, b)
    # A fresh tester: merging #1 into #2 twice was told `#1 已合并，不能并单`, not where it went.
    with pytest.raises(TransitionRefused, match=f"^#{a} 已并入 #{b}，不能并单$"):
        cases.merge(office, a, c)
    with pytest.raises(TransitionRefused, match=f"#{a} 已合并到 #{b}，请并入 #{b}"):
        cases.merge(office, c, a)
    # A fresh tester: merging b into a, itself merged into b, was told 请并入 #b — b into itself.
    with pytest.raises(TransitionRefused, match=f"^#{a} 已并入 #{b}，它的办理就在 #{b}；不能互相合并$"):
        cases.merge(office, b, a)
    kinds = [e.kind for e in lookup.get_case(office, b).events]
    assert kinds == ["filed", "merged"]
    # Tester 19: with a into b and b into c, merging c into a was told 请并入 #c — c into itself.
    cases.merge(office, b, c)
    with pytest.raises(TransitionRefused, match=f"^#{a} 已并入 #{c}（经由 #{b}），它的办理就在 #{c}；不能互相合并$"):
        cases.merge(office, c, a)


def test_every_status_change_is_explained_by_history(office):
    """Replaying the status changes recorded in events gives each case's status."""
    for status in STATUSES:
        found = lookup.get_case(office, make(office, status))
        replayed = "new"
        for event in found.events:
            change = json.loads(event.changes).get("status")
            if change:
                assert change[0] == replayed
                replayed = change[1]
        assert replayed == found.case.status
