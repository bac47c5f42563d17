"""Random arguments, values and Unicode through the real CLI: never a traceback, never a half change."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu.cli import app
from typer.testing import CliRunner

NASTY = [
    "", " ", "\x00", "\x07", "\r\n", "\t=1+1", "\u202e违建\u202c", "\u200f", "'; DROP TABLE cases; --", "%", "_", "%_%",
    "\\", "\"", "'", "#", "#-1", "-1", "0", "99999999999999999999999", "1e9", "NaN", "２０２６-１０-０１", "2026-02-30",
    "2026-13-01", "+99999d", "-1000000h", "now", "today", "2026-10-01T25:00", "13812345678", "+86 138 1234 5678",
    "010-65123456", "1234", "12345678901234567890", "合理诉求", "reasonable", "不存在", "違建", "x" * 10_000,
    "<script>", "../../etc/passwd", "☃", "𠮷", "\ud7ff",
]
COMMANDS = [
    ["new"], ["list"], ["show"], ["note"], ["classify"], ["assign"], ["return"], ["contact"], ["visit"], ["escalate"],
    ["extend"], ["close"], ["revisit"], ["reopen"], ["merge"], ["ledger", "add"], ["ledger", "clear"], ["ledger", "list"],
    ["ledger", "roll"], ["report", "daily"], ["report", "monthly"], ["hotspots"], ["rules", "show"], ["export"], ["check"],
]
OPTIONS = [
    "--phone", "--name", "--address", "--community", "--category", "--channel", "--urgency", "--nature", "--kind", "--ref",
    "--received", "--detail", "--status", "--search", "--since", "--until", "--as-of", "--limit", "--format", "--at",
    "--reason", "--note", "--to", "--result", "--satisfaction", "--resolved", "--into", "--plan", "--unit", "--due",
    "--evidence", "--period", "--date", "--days", "--min", "--all", "--overdue", "--due-escalation", "-q", "--reveal",
]

values = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.integers(-5, 50).map(str))
argv = st.tuples(
    st.sampled_from(COMMANDS),
    st.lists(values, max_size=2),
    st.lists(st.tuples(st.sampled_from(OPTIONS), values), max_size=4),
).map(lambda t: [*t[0], *t[1], *[part for pair in t[2] for part in pair]])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=argv)
def test_random_command_lines_never_crash_and_refusals_change_nothing(book, jiesu, args):
    if not jiesu.json("list", "--all"):
        jiesu.new("楼道灯不亮", "--nature", "合理诉求", "--phone", "13812345678", "--received", "-2h")
        jiesu.new("违建", "--received", "-1h")
    before = book.fingerprint()
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output[-500:])
    if result.exit_code != 0:
        assert book.fingerprint() == before, args


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.sampled_from(NASTY), st.text(max_size=30)))
def test_search_is_plain_text_never_a_pattern(jiesu, text):
    if not jiesu.json("list", "--all"):
        for summary in ("费用 100% 退还", "a_b", "正常诉求", "違建"):
            jiesu.new(summary, "--received", "-1h")
    result = CliRunner().invoke(app, ["list", "--search", text, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 0:
        import json

        from jiesu.textsearch import fold

        found = {case["summary"] for case in json.loads(result.stdout)}
        expected = {s for s in ("费用 100% 退还", "a_b", "正常诉求", "違建") if fold(text) in fold(s)}
        assert found == expected
