"""rules.py: tiers, deadlines on China's working-day calendar, 三上门 and transitions — no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu import rules
from jiesu.errors import RuleViolation, TransitionRefused
from jiesu.rules import DEFAULT_RULES, Calendar, Span, add_span, deadlines, make_rules, tier_for
from jiesu.vocab import Level, Status, Tier

BJ = ZoneInfo("Asia/Shanghai")


def bj(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BJ)


@pytest.mark.parametrize(
    "urgency, category, level, tier",
    [
        ("urgent", "物业管理/漏水", "community", Tier.EMERGENCY),
        ("urgent", "供暖/不热", "district", Tier.EMERGENCY),
        ("normal", "供暖/室温不达标", "community", Tier.UTILITY),
        ("normal", "市政/停水", "street", Tier.UTILITY),
        ("normal", "燃气/异味", "community", Tier.UTILITY),
        ("normal", "物业管理/漏水", "district", Tier.COMPLEX),
        ("normal", "供暖/不热", "city", Tier.COMPLEX),
        ("normal", "物业管理/停车", "street", Tier.GENERAL),
        ("normal", "", "community", Tier.GENERAL),
    ],
)
def test_tier(urgency, category, level, tier):
    assert tier_for(urgency, category, level, DEFAULT_RULES) is tier


# Deadlines at the clock time of receipt, counted from receipt even on a rest day (jiesu ≤ 0.x).
CLOCK_TIME = {"deadlines.period_end": "same_time", "deadlines.rest_day_receipt": "as_received"}


@pytest.mark.parametrize(
    "received, tier, overrides, respond_by, resolve_by",
    [
        # 国庆 2026: Oct 1–7 off, Saturday Oct 10 a make-up workday.
        (bj(2026, 9, 30, 10), "general", {}, bj(2026, 10, 1, 10), bj(2026, 10, 15, 10)),
        # 中秋 Sep 25–27 off, Sunday Sep 20 a make-up workday, then 国庆.
        (bj(2026, 9, 24, 16), "general", {}, bj(2026, 9, 25, 16), bj(2026, 10, 12, 16)),
        (bj(2026, 9, 19, 9), "general", {}, bj(2026, 9, 20, 9), bj(2026, 9, 29, 9)),
        # 春节 2026: Feb 15–23 off, Saturdays Feb 14 and Feb 28 make-up workdays.
        (bj(2026, 2, 13, 9), "general", {}, bj(2026, 2, 14, 9), bj(2026, 3, 2, 9)),
        # A Friday-evening emergency counts clock hours through the night.
        (bj(2026, 11, 27, 21), "emergency", {}, bj(2026, 11, 27, 23), bj(2026, 11, 27, 23)),
        (bj(2026, 10, 9, 17), "utility", {}, bj(2026, 10, 10, 17), bj(2026, 10, 10, 17)),
        (bj(2026, 10, 9, 17), "utility", {"deadlines.resolve.utility": "1 workdays"}, bj(2026, 10, 10, 17), bj(2026, 10, 10, 17)),
        (bj(2026, 10, 10, 17), "utility", {"deadlines.resolve.utility": "1 workdays"}, bj(2026, 10, 11, 17), bj(2026, 10, 12, 17)),
        (bj(2026, 11, 2, 9), "complex", {}, bj(2026, 11, 3, 9), bj(2026, 11, 23, 9)),
        # The 7th day, 10-07, is 国庆: the period ends on the next working day (民法典 §203).
        (bj(2026, 9, 30, 10), "general", {"deadlines.resolve.general": "7 days"}, bj(2026, 10, 1, 10), bj(2026, 10, 8, 10)),
        (bj(2026, 9, 30, 10), "complex", {"deadlines.resolve.complex": "15 days"}, bj(2026, 10, 1, 10), bj(2026, 10, 15, 10)),
        (bj(2026, 9, 30, 10), "emergency", {"deadlines.resolve.emergency": "3 hours"}, bj(2026, 9, 30, 12), bj(2026, 9, 30, 13)),
        (bj(2026, 9, 30, 23), "emergency", {"deadlines.respond.emergency": "1 days", "deadlines.resolve.emergency": "1 days"},
         bj(2026, 10, 8, 23), bj(2026, 10, 8, 23)),
    ],
)
def test_deadlines_at_the_clock_time(received, tier, overrides, respond_by, resolve_by):
    chosen = make_rules(CLOCK_TIME | overrides)
    assert deadlines(received, tier, chosen, Calendar(chosen)) == (respond_by, resolve_by)


def test_year_beyond_the_calendar_package_takes_the_statutory_holidays():
    chosen = make_rules(CLOCK_TIME)
    calendar = Calendar(chosen)
    # 春节 2027: 除夕 02-05 to 初三 02-08, and 补假 02-09/02-10 for the days falling on the weekend.
    _, resolve_by = deadlines(bj(2027, 1, 29, 10), "general", chosen, calendar)
    assert resolve_by == bj(2027, 2, 15, 10)
    assert calendar.fallback_years == {2027}


def test_year_beyond_the_calendar_package_uses_the_rules_file_lists():
    chosen = make_rules(CLOCK_TIME | {"calendar.holidays": ["2027-02-11"], "calendar.workdays": ["2027-01-30", "2027-02-10"]})
    calendar = Calendar(chosen)
    _, resolve_by = deadlines(bj(2027, 1, 29, 10), "general", chosen, calendar)
    # 01-30 (make-up), 02-01..02-04, 02-10 (make-up), 02-12: 02-11 is the office's listed holiday.
    assert resolve_by == bj(2027, 2, 12, 10)


def test_covered_years_need_no_fallback():
    calendar = Calendar(DEFAULT_RULES)
    deadlines(bj(2026, 9, 30, 10), "general", DEFAULT_RULES, calendar)
    assert calendar.fallback_years == set()


def test_a_deadline_kept_for_the_process_is_never_another_calendars():
    """The resident process keeps each day's revisit deadline for its life (remember_day_ends): a later
    command whose rules file lists a holiday gets its own, not the one kept for the default rules."""
    two_workdays = make_rules({"revisit.due": "2 workdays"})
    closed = bj(2026, 11, 16, 15).astimezone(timezone.utc)  # a Monday, as a book's times are read
    rules.remember_day_ends(two_workdays, date(2026, 11, 20), days=7)
    assert add_span(closed, Span(2, "workdays"), Calendar(two_workdays), two_workdays) == bj(2026, 11, 19)
    holiday = make_rules({"revisit.due": "2 workdays", "calendar.holidays": ["2026-11-17"]})
    assert add_span(closed, Span(2, "workdays"), Calendar(holiday), holiday) == bj(2026, 11, 20)


def test_a_deadline_kept_for_the_process_still_tells_of_a_year_beyond_the_calendar_package():
    rules.remember_day_ends(DEFAULT_RULES, date(2027, 3, 1), days=10)
    calendar = Calendar(DEFAULT_RULES)
    closed = bj(2027, 2, 24, 15).astimezone(timezone.utc)  # as a book's times are read
    # 3 days end on Saturday 02-27, a rest day: the period ends on Monday 03-01 at 24:00 (民法典 §203)
    assert add_span(closed, DEFAULT_RULES["revisit.due"], calendar, DEFAULT_RULES) == bj(2027, 3, 2)
    assert calendar.fallback_years == {2027}


moments = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2028, 12, 1)).map(lambda d: d.replace(tzinfo=BJ))
spans = st.builds(Span, st.integers(0, 40), st.sampled_from(["hours", "days", "workdays"]))



@settings(max_examples=300, deadline=None)
@given(
    st.lists(moments, min_size=1, max_size=6),
    spans,
    st.sampled_from(["end_of_day", "same_time"]),
    st.sampled_from(["next_workday", "as_received"]),
)
def test_spans_alike_end_as_add_span_does_and_no_later_start_shares_an_earlier_end(starts, span, period_end, receipt):
    """`todo` works out one revisit deadline per run of closes that share it (rules.spans_alike), from
    tables kept per span: each start gets add_span's end, and every moment up to the last one said to
    share it ends there too."""
    chosen = make_rules({"deadlines.period_end": period_end, "deadlines.rest_day_receipt": receipt})
    alike = rules.spans_alike(span, Calendar(chosen), chosen, timezone.utc)
    for start in sorted(moment.astimezone(timezone.utc) for moment in starts):  # as a book's times are read
        end, until = alike(start)
        assert end == add_span(start, span, Calendar(chosen), chosen)
        assert until >= start
        assert add_span(until, span, Calendar(chosen), chosen) == end

@settings(max_examples=300, deadline=None)
@given(
    st.lists(moments, min_size=1, max_size=6), st.sampled_from(list(Tier)), spans,
    st.sampled_from(["end_of_day", "same_time"]), st.sampled_from(["next_workday", "as_received"]),
    st.sampled_from([BJ, ZoneInfo("America/New_York"), timezone(timedelta(hours=8))]),
)
def test_deadlines_of_many_receipts_are_each_receipts_deadlines(received, tier, span, period_end, receipt, zone):
    """An import works out its deadlines with rules.deadlines_of, made once: each receipt, in the
    office's zone or another, gets what `deadlines` gives it, in the zone it was given in."""
    chosen = make_rules({
        "deadlines.period_end": period_end, "deadlines.rest_day_receipt": receipt, f"deadlines.resolve.{tier.value}": str(span),
    }) if rules.never_shorter(span, DEFAULT_RULES[f"deadlines.respond.{tier.value}"]) else make_rules(
        {"deadlines.period_end": period_end, "deadlines.rest_day_receipt": receipt}
    )
    of = rules.deadlines_of(chosen, Calendar(chosen), BJ)
    for moment in received:
        start = moment.astimezone(zone)
        got = of(start, tier.value)
        assert got == deadlines(start, tier.value, chosen, Calendar(chosen))
        assert [end.utcoffset() for end in got] == [end.utcoffset() for end in deadlines(start, tier.value, chosen, Calendar(chosen))]


@settings(max_examples=300, deadline=None)
@given(moments, st.sampled_from(list(Tier)), spans)
def test_resolve_by_is_never_before_received(received, tier, span):
    overrides = {f"deadlines.resolve.{tier.value}": str(span)}
    if not rules.never_shorter(span, DEFAULT_RULES[f"deadlines.respond.{tier.value}"]):
        with pytest.raises(ValueError, match="办理时限不能早于首次响应时限"):
            make_rules(overrides)
        return
    chosen = make_rules(overrides)
    respond_by, resolve_by = deadlines(received, tier.value, chosen, Calendar(chosen))
    assert received <= respond_by <= resolve_by


@settings(max_examples=1000, deadline=None)
@given(
    moments, spans, spans,
    st.sampled_from(["end_of_day", "same_time"]), st.sampled_from(["next_workday", "as_received"]),
)
def test_a_span_never_shorter_never_ends_first(received, longer, shorter, period_end, rest_day):
    """What make_rules lets through as resolve ≥ respond holds from every moment, on the real calendar."""
    if not rules.never_shorter(longer, shorter):
        return
    chosen = make_rules({"deadlines.period_end": period_end, "deadlines.rest_day_receipt": rest_day})
    calendar = Calendar(chosen)
    assert add_span(received, longer, calendar, chosen) >= add_span(received, shorter, calendar, chosen)


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(1, 30))
def test_workday_deadlines_land_on_workdays_and_count_back(received, count):
    chosen = make_rules(CLOCK_TIME)
    calendar = Calendar(chosen)
    due = add_span(received, Span(count, "workdays"), calendar, chosen)
    if received.time() != datetime.min.time():  # 00:00 is 24:00 of the day before
        assert calendar.is_workday(due.date())
        assert calendar.workdays_between(received.date(), due.date()) == count
    assert due.time() == received.time()


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(1, 30))
def test_workday_deadlines_end_at_midnight_after_a_workday(received, count):
    calendar = Calendar(DEFAULT_RULES)
    due = add_span(received, Span(count, "workdays"), calendar, DEFAULT_RULES)
    last = due.date() - timedelta(days=1)
    assert due.time() == datetime.min.time() and calendar.is_workday(last)
    received_day = (received - timedelta(microseconds=1)).date()  # 00:00 is 24:00 of the day before
    assert calendar.workdays_between(received_day, last) == count


@pytest.mark.parametrize(
    "nature, channel, result, visits, contacts, error",
    [
        ("unclassified", "hotline", "resolved", 1, 0, "#7 尚未研判诉求性质，不能办结；请先 classify"),
        ("reasonable", "hotline", "resolved", 0, 3, "#7 走上门办，办结前还需要上门（visit）的记录"),
        ("reasonable", "hotline", "resolved", 1, 0, None),
        ("reasonable", "walkin", "resolved", 0, 0, None),
        ("reasonable", "desk", "resolved", 0, 0, None),
        ("reasonable", "hotline", "explained", 1, 0, "#7 走上门办，办结结果应为 resolved 已解决，不是 explained 已解释说明"),
        ("reasonable", "hotline", "unresolved", 1, 0, "#7 是合理诉求，暂时解决不了的不能以未解决办结；请用 ledger add 上账整改"),
        ("unreasonable", "hotline", "explained", 1, 0, None),
        ("unreasonable", "hotline", "resolved", 1, 0, "#7 走上门劝，办结结果应为 explained 已解释说明，不是 resolved 已解决"),
        ("unreasonable", "phone", "explained", 0, 1, "#7 走上门劝，办结前还需要上门（visit）的记录"),
        ("consult", "hotline", "answered", 1, 0, None),
        ("consult", "hotline", "unresolved", 1, 0, "#7 走上门谈，办结结果应为 answered 已答复，不是 unresolved 未解决"),
    ],
)
def test_close_rules(nature, channel, result, visits, contacts, error):
    check = lambda: rules.check_close(
        case_id=7, nature=nature, channel=channel, result=result, visits=visits, contacts=contacts, rules=DEFAULT_RULES
    )
    if error is None:
        check()
    else:
        with pytest.raises(RuleViolation) as caught:
            check()
        assert str(caught.value) == error


def test_close_requirement_is_a_rule():
    chosen = make_rules({"close.discuss_requires": ["contact"]})
    rules.check_close(case_id=1, nature="consult", channel="phone", result="answered", visits=0, contacts=1, rules=chosen)
    with pytest.raises(RuleViolation, match="联系诉求人"):
        rules.check_close(case_id=1, nature="consult", channel="phone", result="answered", visits=1, contacts=0, rules=chosen)


def test_refused_step_names_what_is_allowed():
    with pytest.raises(TransitionRefused) as caught:
        rules.check_step(42, Status.CLOSED, Level.COMMUNITY, "assign", "派单")
    assert str(caught.value) == "#42 已办结，不能派单；可用：revisit, reopen"
    with pytest.raises(TransitionRefused) as caught:
        rules.check_step(42, Status.MERGED, Level.COMMUNITY, "close", "办结", merged_into=7)
    assert str(caught.value) == "#42 已并入 #7，不能办结"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"deadlines.resolve.general": "7 weeks"}, "deadlines.resolve.general"),
        ({"deadlines.max_extensions": -1}, "deadlines.max_extensions"),
        ({"escalation.reopen_limit": "2"}, "escalation.reopen_limit"),
        ({"revisit.reopen_natures": ["nice"]}, "revisit.reopen_natures"),
        ({"calendar.holidays": ["not a date"]}, "calendar.holidays"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_bad_rule_values_name_their_key(overrides, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        make_rules(overrides)


def test_a_value_the_rules_file_set_has_the_office_as_its_basis():
    """`rules show` said 北京公开规定 of a published default the office's rules file had overridden."""
    basis = {row["key"]: row["basis"] for row in rules.in_force(make_rules({"deadlines.respond.emergency": "1 hour"}, "jiesu.toml"))}
    assert (basis["deadlines.respond.emergency"], basis["deadlines.respond.utility"]) == ("本办规则文件", rules.PUBLISHED)


def test_every_rule_has_help_and_basis():
    for rule in rules.SPEC:
        assert rule.help and rule.basis in (rules.PUBLISHED, rules.ASSUMED)
        assert rule.check(rule.default) is not None
