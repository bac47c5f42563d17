"""Random arguments, values and Unicode through the real CLI: never a traceback, never a half change."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
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
    ["extend"], ["close"], ["revisit"], ["reopen"], ["merge"], ["ledger", "add"], ["ledger", "clear"], ["ledger", "edit"], ["ledger", "list"],
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
    # `--search=TEXT`: as a word of its own, text that is one of the options (`--help`) is that option
    result = CliRunner().invoke(app, ["list", f"--search={text}", "--format", "json"])
    from jiesu.safetext import blank

    if blank(text):  # nothing visible to look for: a usage error, not every case nor none
        assert result.exit_code == 2, result.output
        return
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 0:
        import json

        from jiesu.textsearch import fold

        found = {case["summary"] for case in json.loads(result.stdout)}
        expected = {s for s in ("费用 100% 退还", "a_b", "正常诉求", "違建") if fold(text) in fold(s)}
        assert found == expected


# ---------------------------------------------------------------- import files


def _workbook(rows) -> bytes:
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    page = book.add_worksheet()
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            page.write(r, c, value) if not isinstance(value, str) else page.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


HEADERS = ["summary", "received_at", "phone", "phone_ext", "ref", "id", "merged_into", "status", "reopen_count", "version",
           "工单编号", "受理时间", "联系电话", "诉求内容", "紧急程度", "分机", "", "诉求内容"]
CELL_TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(["2026/11/3 9:05", "2026年11月3日", "46329.5", "1.38123E+10", "010-65123456转8001", "merged", "closed",
                     "0001-01-01", "9999-12-31T23:59:59+08:00", "2.02611E+15", "1" * 30]),
    st.text(max_size=20),
)
CELL = st.one_of(CELL_TEXT, st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), st.none())
rows_of = lambda cell: st.lists(st.lists(cell, max_size=8), max_size=6)  # noqa: E731
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16", "latin-1", "shift_jis", "gb2312"]


def _csv(header, rows, encoding):
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode(encoding, errors="ignore")


def _jsonl(records, encoding):
    import json

    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(encoding, errors="ignore")


def _xml(records, encoding):
    from xml.sax.saxutils import escape

    body = "".join(
        "<request>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in r.items()) + "</request>" for r in records
    )
    text = f'<?xml version="1.0" encoding="{encoding}"?><service_requests>{body}</service_requests>'
    return text.encode(encoding, errors="ignore")


json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), CELL_TEXT),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)
jsonl_records = st.lists(st.dictionaries(st.sampled_from(HEADERS[:10]), json_values, max_size=6), max_size=4)
open311_records = st.lists(
    st.dictionaries(st.sampled_from(["service_request_id", "status", "description", "requested_datetime", "service_name",
                                     "agency_responsible", "updated_datetime"]), CELL_TEXT, max_size=6),
    max_size=4,
)
import_files = st.one_of(
    st.tuples(st.sampled_from(["x.csv", "x.jsonl", "x.json", "x.xml", "x.xlsx", "x.xls"]), st.binary(max_size=600)),
    st.tuples(st.just("x.csv"), st.builds(_csv, st.lists(st.sampled_from(HEADERS), max_size=8), rows_of(CELL_TEXT),
                                          st.sampled_from(ENCODINGS))),
    st.tuples(st.just("x.jsonl"), st.builds(_jsonl, jsonl_records, st.sampled_from(ENCODINGS))),
    st.tuples(st.just("x.json"), st.builds(lambda v, e: _jsonl([v], e), json_values, st.sampled_from(ENCODINGS))),
    st.tuples(st.just("x.xml"), st.builds(_xml, open311_records, st.sampled_from(ENCODINGS))),
    st.tuples(st.just("x.xlsx"), st.builds(lambda h, rows: _workbook([h, *rows]), st.lists(st.sampled_from(HEADERS), max_size=8),
                                           rows_of(CELL))),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(file=import_files, options=st.lists(st.sampled_from(["--dry-run", "--skip-bad"]), max_size=2, unique=True))
def test_random_import_files_never_crash_and_refusals_write_nothing(book, jiesu, tmp_path, file, options):
    if not jiesu.json("list", "--all"):
        jiesu.new("楼道灯不亮", "--phone", "13812345678", "--received", "-2h")
    name, content = file
    path = tmp_path / name
    path.write_bytes(content)
    before = book.fingerprint()
    result = CliRunner().invoke(app, ["import", str(path), *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), (name, content[:300], repr(result.exception))
    event(f"{name} exit {result.exit_code}")
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), (name, result.exit_code, result.output[-500:])
    if result.exit_code != 0 or "--dry-run" in options:
        assert book.fingerprint() == before, (name, content[:300], result.output[-300:])


def test_the_invisible_characters_left_out_of_comparisons_are_every_format_character():
    """textsearch writes the Cf set out (finding it at start-up costs); it must be the whole set."""
    import sys
    import unicodedata

    from jiesu.textsearch import INVISIBLE

    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert set(INVISIBLE.findall(every)) == {char for char in every if unicodedata.category(char) == "Cf"}
