"""What a case says can never hurt the screen, the script or the worker (issue 15).

Case text is shown as the characters it is (never Rich markup, never control codes), every
command answers every `--format` it accepts, a failed write says whether the change was saved,
any encoding gives correct text or one clear line, and people read Chinese.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import json
import os
import pty
import re
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from jiesu import usage
from jiesu.cli import COMMANDS, app
from jiesu.safetext import has_undecodable, visible

from conftest import refused, sqlite_only, without_calendar_notes

MARKUP = ["a [/] b", "closing [/bold] tag", "[bold red]红字[/] [link=http://evil.example]点我[/link] :smile:", "[/]"]
CONTROLS = "".join(map(chr, range(0x00, 0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0)))
BIDI_AND_ZERO_WIDTH = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\u2060\ufeff\u2028\u2029"
ESCAPES = ["\x1b[2J清屏", "\x1b]0;窗口标题\x07", "\x1b]0;未结束的标题", "\x1b[8m隐藏\x1b[0m", "\x1b]8;;http://evil\x1b\\链接\x1b]8;;\x1b\\", "\x9b31m"]
HOSTILE = MARKUP + ESCAPES + [CONTROLS.replace("\x00", "") + "尾", BIDI_AND_ZERO_WIDTH + "违建", "\u202e违建\u202c"]


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on or hide, other than the line breaks of the layout itself."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]


def env(**extra: str) -> dict[str, str]:
    return os.environ | extra


def run(*args: str, stdout=subprocess.PIPE, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jiesu", *args], stdout=stdout, stderr=subprocess.PIPE, env=env(**extra), timeout=120)


def full_book(jiesu, book, text: str) -> int:
    """A case carrying `text` in every text field it has, assigned, noted and on the ledger. Today's jiesu refuses
    a name, community or category with hidden characters, so an older one's are stored for them (it showed them
    everywhere); the assignee and 责任单位 are `text`'s stand-ins."""
    case = jiesu.new(text, "--address", text, "--detail", text, "--nature", "合理诉求", "--received", "-3h")
    book.store_as_an_older_jiesu(case, name=text, community=text, category=text)
    jiesu.ok("assign", case, visible(text), "--note", text, "--at", "-2h")
    jiesu.ok("note", case, text, "--at", "-1h")
    jiesu.ok("ledger", "add", case, "--plan", text, "--unit", visible(text), "--due", "+30d")
    return case


TABLE_VIEWS = [
    ["list", "--format", "table"], ["list", "--all", "--format", "表格"], ["show", "1", "--format", "table"],
    ["ledger", "list", "--format", "table"], ["report", "daily", "--format", "table"], ["report", "daily", "--format", "markdown"],
    ["report", "monthly", "--format", "table"], ["hotspots", "--format", "table", "--min", "2"],
]


# ---------------------------------------------------------------- 1. markup


@pytest.mark.parametrize("text", MARKUP)
def test_markup_in_case_text_is_shown_as_typed(jiesu, text):
    jiesu.new(text, "--community", text)
    listed = jiesu.ok("list", "--format", "table")
    assert text in listed.stdout
    assert text in jiesu.ok("show", "1", "--format", "table").stdout
    assert text in jiesu.ok("list", "--search", text[:3], "--format", "table").stdout


def test_markup_line_does_not_stop_the_shell(db_target):
    script = "new 'a [/] b' -q\nlist --format table\nshow 1 --format table\nnew 下一条 -q\n"
    result = subprocess.run([sys.executable, "-m", "jiesu", "shell", "--keep-going"], input=script, capture_output=True, text=True, env=env(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "a [/] b" in result.stdout and result.stdout.rstrip().endswith("2")


# ---------------------------------------------------------------- 2. terminal injection


@pytest.mark.parametrize("text", HOSTILE)
def test_no_control_or_bidi_character_reaches_a_table(jiesu, book, text):
    full_book(jiesu, book, text)
    for view in TABLE_VIEWS:
        result = jiesu.ok(*view)
        assert raw_controls(result.stdout) == [], (view, result.stdout)
        assert raw_controls(result.stderr) == [], (view, result.stderr)


def test_every_control_character_is_made_visible_not_dropped(jiesu):
    case = jiesu.new("前" + CONTROLS.replace("\x00", "") + BIDI_AND_ZERO_WIDTH + "后")
    shown = jiesu.ok("show", case, "--format", "table").stdout
    assert "␛" in shown and "␇" in shown and "<U+202E>" in shown and "<U+200B>" in shown and "<U+0085>" in shown


@pytest.mark.parametrize("text", HOSTILE)
def test_json_and_csv_keep_the_exact_text(jiesu, book, text):
    full_book(jiesu, book, text)
    assert jiesu.json("list")[0]["summary"] == text
    assert [e["note"] for e in jiesu.json("show", "1")["events"] if e["kind"] == "noted"] == [text]
    rows = list(csv.DictReader(io.StringIO(jiesu.ok("list", "--format", "csv").stdout, newline="")))
    assert rows[0]["address"].lstrip("'") == text


def test_messages_to_the_person_show_case_text_safely(jiesu):
    case = jiesu.new("x")
    result = jiesu("assign", case, "\x1b]0;标题\x07物业\u202e")  # refused: a name with hidden characters
    assert result.exit_code == 2 and raw_controls(result.stderr) == [] and "␛]0;标题␇物业<U+202E>" in result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["contact", "1", "--at", "2026-12-01\x1b[2J"], "无法识别的时间 '2026-12-01␛[2J'；"),
        (["new", "x", "--received", "x\u202e"], "无法识别的时间 'x<U+202E>'；"),
        (["list", "--status", "x\x1b[2J\u202e"], "--status 无效：未知的状态 'x␛[2J<U+202E>'；"),
        (["list", "--status", "it's\x1b"], "--status 无效：未知的状态 \"it's␛\"；"),  # quoted as Python quotes it
    ],
)
def test_a_refused_value_is_quoted_with_stand_ins_not_python_escapes(jiesu, book, args, line):
    """A fresh tester: `--at` (and every value a refusal repeats) was shown as Python writes it, `'2026-12-01\\x1b[2J'`,
    `'x\\u202e'`, where the rest of jiesu shows a control character as its stand-in (␛, <U+202E>)."""
    jiesu.new("漏水")
    result = jiesu(*args)
    assert result.exit_code == 2 and raw_controls(result.stderr) == [], result.stderr
    assert result.stderr.startswith(f"错误: {line}"), result.stderr


def test_an_import_repeats_a_refused_cell_with_stand_ins(jiesu, tmp_path, book):
    """The same, for the cells of an import's bad rows: a time and a phone with ESC or a bidi override in them."""
    path = tmp_path / "工单.csv"
    path.write_text(
        "工单编号,受理时间,联系电话,诉求内容\n"
        "B1,2026-13-01\x1b[31m,13812345678,漏水\nB2,2026-11-01 09:00,1380013800x\u202e,漏水\n", encoding="utf-8",
    )
    done = run("import", str(path))
    stderr = done.stderr.decode()
    assert done.returncode == 1 and "\x1b" not in stderr and "\u202e" not in stderr and "Traceback" not in stderr, stderr
    first, second = stderr.splitlines()[:2]
    assert first.startswith("第 2 行：受理时间 ") and "'2026-13-01␛[31m'" in first, first
    assert second.startswith("第 3 行：联系电话 不是有效的中国电话号码：'1380013800x<U+202E>'"), second
    assert book.counts() == (0, 0)


def test_a_line_break_in_typed_text_never_starts_a_line_of_a_message(jiesu):
    """Said or refused, a message is jiesu's own lines: typed text repeated in it cannot add one
    (`城管科⏎#2 已办结` read as a second line jiesu wrote)."""
    jiesu.new("a")
    jiesu.new("b")
    forged = "城管科\n#2 已办结（已办结）"
    refused(jiesu("assign", "1", forged), "派单对象 '城管科␊#2 已办结（已办结）' 含控制符、不可见的字符或特殊空格，与显示出来的名字不是同一个；请删去这些字符", code=2)
    assert jiesu.ok("edit", "2", "--summary", "b\n#2 已办结").stderr == "#2 已更正：诉求摘要：b → b␊#2 已办结\n"
    assert jiesu.json("show", "2")["summary"] == "b\n#2 已办结"  # the text itself is kept as typed


@pytest.mark.parametrize("text", ["\u200b", "\u202e \u200b", "\u3000\u2060\t", "\u3164", "\u2800", "\u115f\u1160", "\ufe0f", "\U0001d159", "\u2065"])
def test_a_text_of_only_invisible_characters_is_blank(jiesu, text):
    jiesu.new()
    refused(jiesu("new", text), "诉求摘要不能为空", code=2)
    refused(jiesu("note", "1", text), "备注不能为空", code=2)
    refused(jiesu("assign", "1", text), "派单对象不能为空", code=2)
    refused(jiesu("--actor", text, "note", "1", "已联系"), "--actor 无效：经办人姓名（--actor 或 JIESU_ACTOR）不能是空白；不写则用登录用户名", code=2)
    assert jiesu.json("list", "--all") and len(jiesu.json("show", "1")["events"]) == 1


@pytest.mark.parametrize("text", ["-", "－", " - ", "——", "—", "– -", "-\u200b", "\u2212", "﹣"])
def test_a_text_of_dashes_only_is_no_text(jiesu, text):
    """On the command line `-` leaves a text empty; dashes alone (a form's "none") are no note, as a blank is not."""
    jiesu.new()
    refused(jiesu("note", "1", "--", text), "备注不能为空（- 在命令行上表示清除）；请写出备注的内容", code=2)
    refused(jiesu("--actor", text, "note", "1", "已联系"), "--actor 无效：经办人姓名（--actor 或 JIESU_ACTOR）不能只写 -；不写则用登录用户名", code=2)
    assert len(jiesu.json("show", "1")["events"]) == 1


def test_text_around_a_dash_is_text(jiesu):
    jiesu.new()
    kept = ["3-2", "—— 见附件", "一", "ー", "- 见附件", "-3层"]
    for text in kept:
        jiesu.ok("note", "1", "--", text)
    assert [e["note"] for e in jiesu.json("show", "1")["events"][1:]] == kept


NAMES_WITH_HIDDEN = [("[red]张\x1b[31m丽", "'[red]张␛[31m丽'"), ("张\n丽", "'张␊丽'"), ("张\u202e丽", "'张<U+202E>丽'"), ("前门物业\u200b", "'前门物业<U+200B>'"),
    # tester 43: what the blank check counts as drawing nothing, a name may not hold either; nor a space but ` ` and `　`
    ("\u3164前门物业", "'<U+3164>前门物业'"), ("前门物业\ufe0f", "'前门物业<U+FE0F>'"), ("前门\u034f物业", "'前门<U+034F>物业'"),
    ("城管\U000e0100科", "'城管<U+E0100>科'"), ("物业\u00a0甲", "'物业<U+00A0>甲'"), ("物业\u2003甲", "'物业<U+2003>甲'"),
]
HIDDEN_REFUSED = "含控制符、不可见的字符或特殊空格，与显示出来的名字不是同一个；请删去这些字符"


@pytest.mark.parametrize(("actor", "shown"), NAMES_WITH_HIDDEN)
def test_an_actor_with_control_or_invisible_characters_is_refused(jiesu, actor, shown):
    jiesu.new()
    refused(jiesu("--actor", actor, "note", "1", "已联系"), f"--actor 无效：经办人姓名 {shown} {HIDDEN_REFUSED}", code=2)
    assert [e["kind"] for e in jiesu.json("show", "1")["events"]] == ["filed"]
    jiesu.ok("--actor", "[red]张丽", "note", "1", "已联系")  # markup is only text: a name may look like it
    assert jiesu.json("show", "1")["events"][-1]["actor"] == "[red]张丽"


@pytest.mark.parametrize(("name", "shown"), NAMES_WITH_HIDDEN)
def test_an_assignee_or_unit_with_control_or_invisible_characters_is_refused(jiesu, tmp_path, name, shown):
    """Tester 42: `assign 1 前门物业<U+200B>` was taken, shown as 前门物业<U+200B>, and `list --assignee 前门物业`,
    `todo --assignee` and `ledger list --unit` then missed the case: the name stored was not the name shown."""
    jiesu.new()
    jiesu.ok("classify", "1", "reasonable")
    refused(jiesu("assign", "1", name), f"派单对象 {shown} {HIDDEN_REFUSED}", code=2)
    refused(jiesu("ledger", "add", "1", "--plan", "修", "--unit", name), f"责任单位 {shown} {HIDDEN_REFUSED}", code=2)
    jiesu.ok("ledger", "add", "1", "--plan", "修", "--unit", "街道")
    refused(jiesu("ledger", "edit", "1", "--reason", "改", "--unit", name), f"责任单位 {shown} {HIDDEN_REFUSED}", code=2)
    book = tmp_path / "assigned.csv"
    with book.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["summary", "assignee"], ["灯坏了", name]])
    result = jiesu("import", str(book))
    assert result.exit_code == 1 and result.stderr.startswith(f"第 2 行：assignee {shown} {HIDDEN_REFUSED}\n错误: 1 行有问题，未导入任何诉求"), result.stderr
    shown_case = jiesu.json("show", "1")
    assert (shown_case["assignee"], [e["kind"] for e in shown_case["events"]]) == (None, ["filed", "classified", "ledgered"])
    assert [e["unit"] for e in jiesu.json("ledger", "list")] == ["街道"]
    assert len(jiesu.json("list", "--all")) == 1
    jiesu.ok("assign", "1", "[red]前门物业")  # markup is only text: a name may look like it
    assert [c["id"] for c in jiesu.json("list", "--assignee", "[red]前门物业")] == [1]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["list", "--assignee"], "--assignee 无效：承办人或单位"), (["todo", "--assignee"], "--assignee 无效：承办人或单位"),
        (["ledger", "list", "--unit"], "--unit 无效：责任单位"), (["list", "--community"], "--community 无效：社区"),
    ],
)
def test_a_filter_naming_someone_or_somewhere_with_hidden_characters_is_refused(jiesu, book, args, said):
    """Fresh testers: `list --assignee 前门物业<U+200B>` listed nothing, where `assign` refused the same name. No
    case can hold such a name, so the filter is refused as the name is, not answered with an empty list."""
    jiesu.new("楼道灯不亮", "--community", "前门物业", "--nature", "合理诉求")
    jiesu.ok("ledger", "add", "1", "--plan", "修", "--unit", "前门物业", "--due", "+1d")
    for name, shown in (("前门物业\u200b", "'前门物业<U+200B>'"), ("前门\u00a0物业", "'前门<U+00A0>物业'")):
        refused(jiesu(*args, name), f"{said} {shown} {HIDDEN_REFUSED}", code=2)
    assert "前门物业" in jiesu.ok(*args, " 前门物业 ", "--format", "csv").stdout  # spaces around it are no part of it


@pytest.mark.parametrize(("option", "label"), [("--community", "社区"), ("--category", "类别"), ("--name", "姓名")])
def test_a_community_category_or_citizens_name_with_hidden_characters_is_refused(jiesu, book, option, label):
    """Fresh testers: `new --community 前门<U+200B>社区` was stored as typed; `list --community 前门社区` then missed
    it and reports gave it a row of its own. Refused as a name is, by `new` and `edit`; spaces around it are trimmed."""
    refused(jiesu("new", "楼道灯不亮", option, "前门\u200b社区"), f"{label} '前门<U+200B>社区' {HIDDEN_REFUSED}", code=2)
    assert book.counts() == (0, 0)
    case = jiesu.new("楼道灯不亮", option, " 前门社区\u3000")
    refused(jiesu("edit", case, option, "前门\u3164社区"), f"{label} '前门<U+3164>社区' {HIDDEN_REFUSED}", code=2)
    refused(jiesu("edit", case, option, "前门\u2003社区"), f"{label} '前门<U+2003>社区' {HIDDEN_REFUSED}", code=2)
    shown = jiesu.json("show", case)
    assert (shown[option[2:]], len(shown["events"])) == ("前门社区", 1)
    jiesu.ok("edit", case, option, "前门　社区")  # the ideographic space is a space a name may hold
    assert jiesu.json("show", case)[option[2:]] == "前门　社区"


HIDDEN_ROWS = [("前门\u200b社区", "物业管理/漏水", "王大爷"), ("前门社区", "物业\u2066管理/漏水", "王大爷"), ("前门社区", "物业管理/漏水", "王\u00a0大爷")]
HIDDEN_ROWS_REFUSED = [
    f"第 2 行：所属社区 '前门<U+200B>社区' {HIDDEN_REFUSED}", f"第 3 行：诉求类别 '物业<U+2066>管理/漏水' {HIDDEN_REFUSED}",
    f"第 4 行：诉求人 '王<U+00A0>大爷' {HIDDEN_REFUSED}", "错误: 3 行有问题，未导入任何诉求；改正后重试，或用 --skip-bad 只导入没有问题的行",
]


def hotline_rows(rows) -> list[list[str]]:
    """The 12345 layout's header and a row for each (community, category, name), then one with none hidden."""
    header = ["工单编号", "受理时间", "诉求人", "联系电话", "诉求地址", "所属社区", "诉求类别", "诉求内容"]
    return [header] + [
        [f"BJ{n}", "2026-11-02 09:30", name, "13812345678", "前门东大街3号", community, category, "楼上漏水"]
        for n, (community, category, name) in enumerate([*rows, ("前门社区", "物业管理/漏水", "王大爷")])
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_import_refuses_a_community_category_or_name_with_hidden_characters_by_its_line(jiesu, tmp_path, book, kind):
    """The same in a file's rows, whichever layout and format: the row's line and the reason, nothing imported."""
    rows = hotline_rows(HIDDEN_ROWS)
    path = tmp_path / f"工单.{kind}"
    if kind == "csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)
    else:
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(path))
        sheet = workbook.add_worksheet("工单")
        for at, cells in enumerate(rows):
            sheet.write_row(at, 0, cells)
        workbook.close()
    result = jiesu("import", str(path))
    assert (result.exit_code, result.stderr.splitlines()) == (1, HIDDEN_ROWS_REFUSED), result.stderr
    assert book.counts() == (0, 0)


def test_an_open311_request_with_a_hidden_character_in_its_community_is_refused_by_its_line(jiesu, tmp_path, book):
    request = {"service_request_id": "X-1", "status": "open", "description": "夜间施工扰民", "service_name": "噪音",
               "requested_datetime": "2026-11-03T22:00:00+08:00", "extended_attributes": {"jiesu_community": "前门\u200b社区"}}
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps([request, request | {"service_request_id": "X-2", "service_name": "噪\u200d音"}]), encoding="utf-8")
    result = jiesu("import", str(feed), "--format", "open311-json")
    assert result.exit_code == 1 and book.counts() == (0, 0), result.stderr
    assert result.stderr.splitlines()[:2] == [
        f"第 1 条：jiesu_community '前门<U+200B>社区' {HIDDEN_REFUSED}", f"第 2 条：service_name '噪<U+200D>音' {HIDDEN_REFUSED}",
    ], result.stderr


def test_check_names_what_an_older_jiesu_stored_with_hidden_characters_and_how_to_mend_it(jiesu, book):
    """Names, communities and categories an older jiesu took with a zero-width space or a no-break space in them:
    `check` names each value once, where it is, and the command that mends it."""
    for _ in range(5):
        jiesu.new("楼道灯不亮", "--nature", "合理诉求")
    jiesu.ok("assign", "1", "前门物业")
    jiesu.ok("ledger", "add", "2", "--plan", "修", "--unit", "城管科")
    for case in (1, 2, 3, 4):
        book.store_as_an_older_jiesu(case, community="前门\u200b社区")
    book.store_as_an_older_jiesu(1, name="张\u3164丽", category="物业\u00a0管理", assignee="前门物业\u2060")
    book.execute("UPDATE ledger_entries SET unit = :unit", unit="城管\u200e科")
    result = jiesu("check")
    assert result.exit_code == 1 and result.stderr == "错误: 发现 5 处问题；请按上面的提示处理\n", result.stderr
    assert result.stdout.splitlines() == [
        f"#1、#2、#3 等 4 件的社区 '前门<U+200B>社区' {HIDDEN_REFUSED}，如 jiesu edit 1 --community …",
        f"#1 的类别 '物业<U+00A0>管理' {HIDDEN_REFUSED}，如 jiesu edit 1 --category …",
        f"#1 的姓名 '张<U+3164>丽' {HIDDEN_REFUSED}，如 jiesu edit 1 --name …",
        f"#1 的承办 '前门物业<U+2060>' {HIDDEN_REFUSED}，如 jiesu assign 1 …",
        f"台账 1 的责任单位 '城管<U+200E>科' {HIDDEN_REFUSED}，如 jiesu ledger edit 1 --reason … --unit …",
    ], result.stdout
    jiesu.ok("edit", "1", "--name", "张丽", "--category", "物业管理")
    jiesu.ok("assign", "1", "前门物业")
    jiesu.ok("ledger", "edit", "1", "--reason", "单位名里有看不见的字符", "--unit", "城管科")
    for case in (1, 2, 3, 4):
        jiesu.ok("edit", case, "--community", "前门社区")
    jiesu.ok("check")


def test_a_name_with_full_width_letters_or_digits_is_refused_saying_how_to_write_it(jiesu, tmp_path, book):
    """`ｑｍ物业`, typed on a Chinese keyboard, and `qm物业` were two units to every filter and report row; the
    full-width marks Chinese is written with (`（东片）`) are no such thing."""
    jiesu.new("楼道灯不亮", "--nature", "合理诉求")
    refused(jiesu("assign", "1", "ｑｍ物业"), "派单对象 'ｑｍ物业' 含全角字母或数字，与 'qm物业' 会算作两个名字；请写作 'qm物业'", code=2)
    refused(jiesu("ledger", "add", "1", "--plan", "修", "--unit", "城管科Ａ组"), "责任单位 '城管科Ａ组' 含全角字母或数字，与 '城管科A组' 会算作两个名字；请写作 '城管科A组'", code=2)
    refused(jiesu("list", "--assignee", "ｑｍ物业"), "--assignee 无效：承办人或单位 'ｑｍ物业' 含全角字母或数字，与 'qm物业' 会算作两个名字；请写作 'qm物业'", code=2)
    refused(jiesu("new", "漏水", "--community", "３号院社区（东片）"), "社区 '３号院社区（东片）' 含全角字母或数字，与 '3号院社区（东片）' 会算作两个名字；请写作 '3号院社区（东片）'", code=2)
    path = tmp_path / "工单.csv"
    path.write_text("summary,assignee\n灯坏了,ｑｍ物业\n", encoding="utf-8")
    result = jiesu("import", str(path))
    assert result.exit_code == 1 and result.stderr.startswith("第 2 行：assignee 'ｑｍ物业' 含全角字母或数字，与 'qm物业' 会算作两个名字；请写作 'qm物业'\n"), result.stderr
    assert book.counts() == (1, 1)
    jiesu.ok("assign", "1", "qm物业（东片）")
    assert [c["id"] for c in jiesu.json("list", "--assignee", "qm物业（东片）")] == [1]


def on_terminal(*args: str) -> str:
    """What `jiesu args` shows when its stdout is a real terminal (a pty), line ends as written."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "jiesu", *args], stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.DEVNULL, env=env())
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the program ended and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=60) == 0, seen
    os.close(leader)
    return seen.decode().replace("\r\n", "\n").replace("\r\n", "\n")  # the pty's own \r before each \n


TERMINAL_TEXT = "\x1b[31m红\u202e\x9b31m\u200b尾"
# Text formats that carry case text, written straight to a terminal.
TERMINAL_VIEWS = [
    ["export", "--format", "csv"], ["export", "--format", "open311-xml"], ["export", "--format", "json"],
    ["export", "--format", "jsonl"], ["export", "--format", "open311-json"], ["list", "--format", "csv"],
    ["list", "--format", "json"], ["show", "1", "--format", "json"], ["ledger", "export"], ["ledger", "list", "--format", "csv"],
    ["report", "daily", "--format", "csv"], ["report", "monthly", "--format", "html"],
]


def test_text_formats_on_a_terminal_show_stand_ins_and_a_pipe_keeps_the_exact_text(jiesu, book):
    full_book(jiesu, book, TERMINAL_TEXT)
    full_book(jiesu, book, TERMINAL_TEXT)  # two alike: a hotspot, so the reports carry the text too
    for view in TERMINAL_VIEWS:
        screen = html.unescape(on_terminal(*view))  # XML and HTML write `<` as `&lt;`
        assert raw_controls(screen) == [], (view, screen)
        assert "␛[31m红<U+202E><U+009B>31m<U+200B>尾" in screen or "\\u001b[31m红\\u202e\\u009b31m\\u200b尾" in screen, (view, screen)
        if "open311-xml" in view:  # a pipe gets XML only when XML can carry the text (test_exchange.py)
            continue
        if "html" in view:  # a page is for people wherever it goes: a file or a pipe gets the stand-ins too
            assert html.unescape(jiesu.ok(*view).stdout) == screen
            continue
        piped = jiesu.ok(*view).stdout  # a pipe: exactly what was typed (JSON escaping only C0 controls)
        assert TERMINAL_TEXT in piped or json.dumps(TERMINAL_TEXT, ensure_ascii=False)[1:-1] in piped, view


def test_json_on_a_terminal_is_the_same_data():
    from jiesu.safetext import json_escaped

    document = {"summary": TERMINAL_TEXT + "\U000e0041\u2028", "n": [1, "a\nb"]}
    text = json_escaped(json.dumps(document, ensure_ascii=False, indent=2))
    assert raw_controls(text) == [] and json.loads(text) == document


# ---------------------------------------------------------------- 3. a failed write after a committed change


@sqlite_only
@pytest.mark.parametrize("server", ["0", "1"])
@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["new"], 2, "错误: 缺少参数 诉求摘要（jiesu new --help 看用法）\n"),
        (["edit", "1"], 1, "错误: 没有要更正的内容；请给出要改的项，如 --address（jiesu edit --help 看全部）\n"),
        (["import", "-", "--format", "csv"], 1, "错误: 文件是空的：没有表头，也没有工单\n"),
        (["shell"], 0, ""),
    ],
)
def test_a_closed_stdin_is_read_as_an_empty_one(jiesu, book, server, args, code, said):
    """`<&-`, as some cron and daemon set-ups run commands: a traceback on `sys.stdin` being None before (tester 18)."""
    jiesu.new()
    before = book.fingerprint()
    closed = subprocess.run(
        ["sh", "-c", 'exec "$0" -m jiesu "$@" <&-', sys.executable, *args], capture_output=True, env=env(JIESU_SERVER=server), timeout=120
    )
    assert (closed.returncode, closed.stderr.decode()) == (code, said)
    assert book.fingerprint() == before
    if server == "1":
        subprocess.run([sys.executable, "-m", "jiesu", "server", "stop"], capture_output=True, env=env(), timeout=60)


def test_new_to_a_full_disk_says_it_was_saved_with_exit_5(db_target, book):
    with open("/dev/full", "w") as full:
        result = run("new", "楼道灯不亮", "-q", stdout=full)
    assert result.returncode == 5
    assert result.stderr.decode().count("\n") == 1 and result.stderr.decode().startswith("错误: 改动已保存")
    assert book.counts()[0] == 1


@sqlite_only
@pytest.mark.parametrize("args", [["list", "--format", "json"], ["show", "1", "--format", "json"], ["report", "daily", "--format", "json"], ["export"], ["list", "--format", "table"]])
def test_a_read_to_a_full_disk_is_one_line_exit_1(jiesu, args):
    jiesu.new("楼道灯不亮")
    with open("/dev/full", "w") as full:
        result = run(*args, stdout=full)
    assert result.returncode == 1, result.stderr
    assert result.stderr.decode() == "错误: 结果无法输出（磁盘已满）\n"


# ---------------------------------------------------------------- 5. every command × every --format


def leaf_commands():
    """Every command of `cli.COMMANDS` (and each sub-command of a group) that has a `--format`."""
    import typer

    root = typer.main.get_command(app)
    for name in COMMANDS:
        command = root.get_command(None, name)
        subs = [(f"{name} {sub}", command.get_command(None, sub)) for sub in command.list_commands(None)] if hasattr(command, "list_commands") else [(name, command)]
        for path, leaf in subs:
            if any("--format" in param.opts for param in leaf.params):
                yield path


# What each command needs besides --format, in a book made by `format_book`. A command added to
# `cli.COMMANDS` with a --format and no entry here fails `test_every_format_command_is_in_the_matrix`.
MATRIX_ARGS = {
    "list": ["--all"], "show": ["1"], "hotspots": ["--min", "2"], "ledger list": [], "ledger roll": ["2026-10"],
    "ledger export": [], "report daily": [], "report monthly": [], "rules show": [], "export": [], "demo": [],
    "import": ["-"], "todo": [],
}
FORMATS = ["table", "表格", "json", "JSON", "csv", "ids", "编号", "markdown", "jsonl", "open311-json", "open311-xml", "no-such"]


def test_every_format_command_is_in_the_matrix():
    assert set(leaf_commands()) <= set(MATRIX_ARGS), set(leaf_commands()) - set(MATRIX_ARGS)


@pytest.mark.parametrize("path", sorted(MATRIX_ARGS))
def test_every_command_answers_every_format(jiesu, book, path, tmp_path):
    if path not in set(leaf_commands()):
        pytest.skip(f"{path} has no --format")
    for _ in range(2):
        full_book(jiesu, book, "楼道灯不亮")
    jiesu.ok("ledger", "roll", "2026-11")
    for fmt in FORMATS:
        args = [*path.split(), *MATRIX_ARGS[path], "--format", fmt]
        if path == "demo":
            args += ["--db", str(tmp_path / f"demo-{fmt}.db")]
        before = book.fingerprint()
        result = jiesu.runner.invoke(app, args, input="")
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
        if result.exit_code:
            assert result.stderr.count("\n") == 1 and result.stderr.startswith("错误: "), (args, result.stderr)
            if path != "import":
                assert book.fingerprint() == before, args
            continue
        out = result.stdout
        if fmt.casefold() == "json" and path not in ("import", "demo"):
            json.loads(out)
        elif fmt == "csv" and path not in ("import",):
            assert list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
        elif fmt in ("ids", "编号"):
            assert all(word.isdigit() for word in out.split()), (args, out)


def ids_commands():
    """Every command whose --format offers `ids`."""
    import typer

    root = typer.main.get_command(app)
    for path in leaf_commands():
        leaf = root
        for word in path.split():
            leaf = leaf.get_command(None, word)
        if any("--format" in param.opts and "ids" in (param.help or "") for param in leaf.params):
            yield path


# What `--format ids` prints in the book of the test below: case ids, never ledger entries or groups.
IDS_EXPECTED = {"list": [1, 2, 3, 4], "show": [1], "ledger list": [4, 3], "hotspots": [2, 3, 4]}


@pytest.mark.parametrize("path", sorted(ids_commands()))
def test_ids_are_case_ids_one_per_line_wherever_offered(jiesu, path):
    jiesu.new("别的事", "--community", "大栅栏社区", "--received", "-5d")
    for hours in (3, 2, 1):  # one cluster and one address: each case in two hotspots
        jiesu.new("楼上漏水", "--community", "前门社区", "--category", "物业管理/漏水", "--address", "前门东大街3号",
                  "--nature", "合理诉求", "--received", f"-{hours}h")
    jiesu.ok("ledger", "add", "4", "--plan", "修", "--unit", "物业")  # entry 1 is case 4, entry 2 is case 3
    jiesu.ok("ledger", "add", "3", "--plan", "修", "--unit", "物业")
    out = jiesu.ok(*path.split(), *MATRIX_ARGS[path], "--format", "ids").stdout
    ids = [int(line) for line in out.splitlines()]  # one bare number a line, nothing else
    assert out == "".join(f"{i}\n" for i in ids)
    assert len(ids) == len(set(ids)) and set(ids) <= {1, 2, 3, 4}, (path, out)
    if path in IDS_EXPECTED:
        assert ids == IDS_EXPECTED[path], (path, out)
    else:
        assert ids, (path, "a command offering ids and listing nothing here needs an entry in IDS_EXPECTED")


def test_ids_are_offered_where_cases_are_listed():
    assert {"list", "show", "ledger list", "hotspots", "todo"} <= set(ids_commands())


@pytest.mark.parametrize("args", [["rules", "show", "--format", "ids"], ["ledger", "roll", "2026-11", "--format", "ids"]])
def test_ids_where_there_are_no_ids_is_refused_before_anything_runs(jiesu, book, args):
    jiesu.new("x", "--received", "2026-11-02T00:00")
    before = book.fingerprint()
    result = jiesu(*args)
    assert result.exit_code == 2 and result.stderr.startswith("错误: --format/-f 无效：'ids' 不是这个命令的输出格式")
    assert book.fingerprint() == before


# ---------------------------------------------------------------- 4. encodings

GBK_SUMMARY = "楼道灯不亮".encode("gbk")


def test_gbk_terminal_gets_the_whole_report(jiesu):
    jiesu.new("楼道灯不亮", "--received", "-2h")
    result = run("report", "daily", "--format", "table", PYTHONIOENCODING="gbk")
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    text = result.stdout.decode("gbk")
    assert "日报" in text and "近 14 天" in text


def test_gbk_terminal_json_is_exact_through_escapes(jiesu):
    jiesu.new("𠮷野家 ▇")
    result = run("list", "--format", "json", PYTHONIOENCODING="gbk")
    assert result.returncode == 0
    assert json.loads(result.stdout.decode("gbk"))[0]["summary"] == "𠮷野家 ▇"


def gbk_lines(result: subprocess.CompletedProcess) -> list[str]:
    return without_calendar_notes(result.stderr.decode("gbk")).splitlines()


def ledgered_case(jiesu, summary: str) -> int:
    case = jiesu.new(summary, "--nature", "合理诉求", "--received", "-2h")
    jiesu.ok("ledger", "add", case, "--plan", "修", "--unit", "物业")
    return case


@pytest.mark.parametrize("args", [["export", "--format", "csv"], ["ledger", "export", "--format", "csv"]])
def test_gbk_stdout_gets_csv_without_the_utf8_bom(jiesu, args):
    # A fresh tester: `PYTHONIOENCODING=gbk jiesu export --format csv > out.csv` was refused on the
    # U+FEFF jiesu adds itself; a BOM is UTF-8's mark, and a GBK file has none.
    ledgered_case(jiesu, "楼道灯不亮，请尽快处理")
    result = run(*args, PYTHONIOENCODING="gbk")
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    text = result.stdout.decode("gbk")
    assert not text.startswith("\ufeff") and "楼道灯不亮，请尽快处理" in text
    assert run(*args).stdout.startswith(codecs.BOM_UTF8)  # UTF-8 keeps it, for Excel


@pytest.mark.parametrize(
    "args, line",
    [
        (["export", "--format", "csv"], "id 为 2 的一行，summary 有输出编码 gbk 无法表示的字符 U+4DAE；请设 PYTHONIOENCODING=utf-8，或用 --out 写入文件"),
        (["ledger", "export", "--format", "csv"], "台账编号 为 2 的一行，诉求摘要 有输出编码 gbk 无法表示的字符 U+4DAE；请设 PYTHONIOENCODING=utf-8，或用 --out 写入文件"),
        (["list", "--all", "--format", "csv"], "id 为 2 的一行，summary 有输出编码 gbk 无法表示的字符 U+4DAE；请设 PYTHONIOENCODING=utf-8"),
    ],
)
def test_gbk_stdout_refuses_csv_it_cannot_hold_naming_the_row_and_field(jiesu, args, line):
    # CSV cannot escape a character: one line says which row and field hold it and what to do instead,
    # and no part of the CSV goes out (tester 18 found the rows before it in the file, exit 1 or not).
    ledgered_case(jiesu, "路灯不亮")
    ledgered_case(jiesu, "䶮 家门口漏水")
    result = run(*args, PYTHONIOENCODING="gbk")
    assert result.returncode == 1 and result.stdout == b""
    assert gbk_lines(result) == [f"错误: {line}"]
    assert json.loads(run(*args[:-1], "json", PYTHONIOENCODING="gbk").stdout)[1]["summary"] == "䶮 家门口漏水"


@pytest.mark.parametrize(
    "args, declared",
    [(["export", "--format", "open311-xml"], b'encoding="utf-8"'), (["report", "monthly", "--format", "html"], b'charset="utf-8"')],
)
def test_a_document_declaring_utf8_is_utf8_on_a_gbk_stdout(jiesu, args, declared):
    # The XML and the page say they are UTF-8; written to a GBK stdout they were GBK bytes (garbled in any
    # reader), or refused on a character GBK lacks.
    ledgered_case(jiesu, "䶮 家门口漏水")
    result = run(*args, PYTHONIOENCODING="gbk")
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    assert declared in result.stdout and "䶮 家门口漏水" in result.stdout.decode("utf-8")


def test_gbk_stdout_gets_the_monthly_markdown_or_one_line(jiesu):
    # The ledger's line was written with U+2212 (−), which GBK lacks: jiesu's own text refused the report.
    ledgered_case(jiesu, "楼道灯不亮")
    result = run("report", "monthly", "--format", "markdown", PYTHONIOENCODING="gbk")
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    assert "期初 0 + 新增 1 - 销账 0 = 期末 1" in result.stdout.decode("gbk")
    jiesu.new("路灯坏", "--community", "䶮村")
    result = run("report", "monthly", "--format", "markdown", PYTHONIOENCODING="gbk")
    assert result.returncode == 1
    assert gbk_lines(result) == ["错误: 输出编码 gbk 无法表示字符 U+4DAE；请设 PYTHONIOENCODING=utf-8，或用 --out 写入文件"]


@pytest.mark.parametrize(
    "args",
    [["new", GBK_SUMMARY], ["assign", b"1", GBK_SUMMARY], ["note", b"1", GBK_SUMMARY], ["list", b"--search", GBK_SUMMARY, b"--format", b"json"]],
)
def test_bytes_that_are_not_utf8_in_argv_are_one_line(jiesu, book, args):
    jiesu.new("x")
    before = book.fingerprint()
    result = subprocess.run([sys.executable.encode(), b"-m", b"jiesu", *(a if isinstance(a, bytes) else a.encode() for a in args)], capture_output=True, env=env(), timeout=60)
    assert result.returncode == 1
    stderr = result.stderr.decode()
    # shown as GBK reads it: a fresh tester saw `¥\xb5\xc0\xb5Ʋ…`, GBK pairs that happen to be UTF-8 among escapes
    assert stderr.count("\n") == 1 and stderr.startswith("错误: 文字里有不是 UTF-8 的字节（可能是 GBK 编码）：按 GBK 读是 '楼道灯不亮'；"), stderr
    assert book.fingerprint() == before


@pytest.mark.parametrize(
    ("typed", "line"),
    [
        ("原因".encode() + b"\x9b", "文字 '原因\\x9b' 的第 3 个字符是不成字的字节（不是 UTF-8）；请删去，或重新输入这段文字"),
        (b"\x9b\x9c" + "漏水".encode(), "文字 '\\x9b\\x9c漏水' 的第 1、2 个字符是不成字的字节（不是 UTF-8）；请删去，或重新输入这段文字"),
        (b"lamp \xe6", "文字 'lamp \\xe6' 的第 6 个字符是不成字的字节（不是 UTF-8）；请删去，或重新输入这段文字"),
        (b"\xff\xfe", "文字里有既不是 UTF-8 也不是 GBK 的字节：\\xff\\xfe；请把终端或文件设为 UTF-8"),
        (b"\xff", "文字里有既不是 UTF-8 也不是 GBK 的字节：\\xff；请把终端或文件设为 UTF-8"),  # was 诉求摘要不能为空
    ],
)
def test_a_stray_byte_in_utf8_text_is_pointed_at_not_read_as_gbk(jiesu, book, typed, line):
    """Tester 42: `new "原因\x9b"` was refused showing the whole text as bytes and advising a GBK conversion."""
    before = book.fingerprint()
    result = subprocess.run([sys.executable.encode(), b"-m", b"jiesu", b"new", typed], capture_output=True, env=env(), timeout=60)
    assert (result.returncode, result.stderr.decode()) == (1, f"错误: {line}\n")
    assert book.fingerprint() == before


def test_bytes_that_are_not_utf8_in_the_environment_are_one_line(jiesu, book):
    jiesu.new("x")
    before = book.fingerprint()
    environ = os.environb | {b"JIESU_ACTOR": GBK_SUMMARY}
    result = subprocess.run([sys.executable, "-m", "jiesu", "note", "1", "备注"], capture_output=True, env=environ, timeout=60)
    assert result.returncode == 1 and result.stderr.decode().startswith("错误: 文字里有不是 UTF-8 的字节")
    assert book.fingerprint() == before


def test_shell_script_from_a_windows_editor_runs(jiesu):
    script = "\ufeffnew 楼道灯不亮 -q\r\nlist -f ids\r\n".encode("utf-8")
    result = subprocess.run([sys.executable, "-m", "jiesu", "shell"], input=script, capture_output=True, env=env(), timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == "1\n1\n"


def test_shell_line_in_gbk_is_one_line_and_the_rest_runs(jiesu, book):
    script = b"new " + GBK_SUMMARY + b" -q\nnew ok -q\n"
    result = subprocess.run([sys.executable, "-m", "jiesu", "shell", "--keep-going"], input=script, capture_output=True, env=env(), timeout=60)
    assert result.returncode == 2
    assert without_calendar_notes(result.stderr.decode()) == "错误: 第 1 行不是 UTF-8 文字（可能是 GBK 编码）；请把脚本存为 UTF-8\n"
    assert book.counts()[0] == 1


# ---------------------------------------------------------------- 6. --db on what is not a file


@sqlite_only
def test_db_on_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    result = run("--db", str(fifo), "list")
    assert result.returncode == 1
    assert result.stderr.decode().startswith(f"错误: {fifo} 不是普通文件")


def test_an_empty_db_is_refused_but_an_empty_jiesu_db_is_unset(jiesu, book, tmp_path, monkeypatch):
    """`jiesu --db "$BOOK" new …` with $BOOK unset filed into the default book without a word."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    jiesu.new("先有一件")
    for args in (["--db", ""], ["--db="]):
        result = jiesu(*args, "new", "楼道灯不亮")
        assert result.exit_code == 2, result.output
        assert result.stderr == "错误: --db 无效：'' 不是文件名（变量没有设置？用默认案卷库请不写 --db）\n"
    assert not (tmp_path / "data").exists() and book.counts() == (1, 1)
    monkeypatch.setenv("JIESU_DB", "")  # as shells treat it: unset, so the default book
    jiesu.new("楼道灯不亮")
    assert (tmp_path / "data" / "jiesu" / "jiesu.db").exists() and book.counts() == (1, 1)


# ---------------------------------------------------------------- Chinese first


@pytest.mark.parametrize(
    "args, line",
    [
        (["lsit"], "错误: 没有 lsit 这个命令；您是不是要 list？"),
        (["ledger", "lsit"], "错误: 没有 lsit 这个命令；您是不是要 list？"),
        (["list", "--formt", "json"], "错误: 没有 --formt 这个选项；您是不是要 --format？"),
        (["list", "--limit", "0"], "错误: --limit 无效：'0' 应不小于 1"),
        (["list", "--limit", "x"], "错误: --limit 无效：'x' 应为整数"),
        (["list", "--format", "xml"], "错误: --format/-f 无效：'xml' 不是这个命令的输出格式；可选：table 表格, json, csv, ids 编号"),
        (["list", "extra"], "错误: 多余的参数：extra（jiesu list --help 看用法）"),
        (["list", "--limit"], None),
    ],
)
def test_usage_errors_are_one_chinese_line_with_a_suggestion(jiesu, args, line):
    result = jiesu(*args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("错误: ")
    if line:
        assert result.stderr.rstrip("\n") == line


@pytest.mark.parametrize(
    "word, meant", [("history", "show"), ("日志", "show"), ("办理记录", "show"), ("Log", "show"), ("done", "close"), ("add", "new"), ("回访", "revisit")]
)
def test_a_word_a_worker_types_for_a_command_points_to_it(jiesu, word, meant):
    """A fresh tester's `jiesu history 1` was offered `list`: the 办理记录 are in `show`."""
    result = jiesu(word, "1")
    assert (result.exit_code, result.stderr) == (2, f"错误: 没有 {word} 这个命令；您是不是要 {meant}？\n")


@pytest.mark.parametrize(
    "args, line",
    [
        (["help"], "错误: 没有 help 这个命令；帮助请用 jiesu --help"),
        (["帮助"], "错误: 没有 帮助 这个命令；帮助请用 jiesu --help"),
        (["ledger", "help"], "错误: 没有 help 这个命令；帮助请用 jiesu ledger --help"),
        (["delete", "1"], "错误: 没有 delete 这个命令（jiesu --help 看有哪些命令）"),
        (["exit"], "错误: 没有 exit 这个命令（jiesu --help 看有哪些命令）"),
        (["历史", "1"], "错误: 没有 历史 这个命令；您是不是要 show？"),
        (["\x1bhist"], "错误: 没有 ␛hist 这个命令；您是不是要 list？"),
        (["ledger", "ro\x1bll"], "错误: 没有 ro␛ll 这个命令；您是不是要 roll？"),
        (["it's"], "错误: 没有 it's 这个命令；您是不是要 list？"),
    ],
)
def test_an_unknown_command_is_echoed_as_typed_and_only_a_fitting_command_suggested(jiesu, args, line):
    """A fresh tester: `help` was offered `shell`, `delete` `escalate`, `exit` `edit`; and a command with
    ESC in it was echoed as Python's `\\x1b`, where options and values show ␛."""
    result = jiesu(*args)
    assert (result.exit_code, result.stderr) == (2, line + "\n")


def test_every_command_synonym_names_a_command_and_is_none_itself():
    assert set(usage.COMMAND_SYNONYMS.values()) <= set(COMMANDS)
    assert not set(usage.COMMAND_SYNONYMS) & set(COMMANDS)
    assert all(word == word.lower() for word in usage.COMMAND_SYNONYMS)


@pytest.mark.parametrize(
    "args, line",
    [
        (["list", "--db", "x.db"], "--db 是全局选项，要写在命令前面：jiesu --db x.db list"),
        (["ledger", "list", "--open", "--actor", "张丽"], "--actor 是全局选项，要写在命令前面：jiesu --actor 张丽 ledger list"),
        (["report", "daily", "--rules=my rules.toml"], "--rules 是全局选项，要写在命令前面：jiesu --rules 'my rules.toml' report daily"),
        (["show", "1", "--db", "postgresql+psycopg://jiesu:s3cret@db/jiesu?sslpassword=k3y"],
         "--db 是全局选项，要写在命令前面：jiesu --db 'postgresql+psycopg://jiesu:***@db/jiesu?sslpassword=***' show"),
        (["list", "--db"], "--db 是全局选项，要写在命令前面：jiesu --db … list"),
        (["list", "--version"], "--version 是全局选项，要写在命令前面：jiesu --version list"),
    ],
)
def test_a_global_option_after_the_command_says_where_it_goes(jiesu, book, tmp_path, monkeypatch, args, line):
    monkeypatch.chdir(tmp_path)
    jiesu.new("x")
    before = book.fingerprint()
    result = jiesu(*args)
    assert (result.exit_code, result.stderr) == (2, f"错误: {line}\n")
    assert book.fingerprint() == before and not (tmp_path / "x.db").exists()


def test_every_command_with_db_after_it_says_where_db_goes(jiesu, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for page in every_help_page():
        if not page or page == ["demo"]:  # demo has its own --db (where to make the demo book)
            continue
        result = jiesu(*page, "--db", "x.db")
        assert result.exit_code == 2, (page, result.output)
        assert result.stderr == f"错误: --db 是全局选项，要写在命令前面：jiesu --db x.db {' '.join(page)}\n", page
    assert not (tmp_path / "x.db").exists()


def test_a_global_option_after_the_command_in_a_real_process_and_the_shell(db_target):
    result = run("list", "--status", "new", "--db", "x.db")
    assert (result.returncode, result.stderr.decode()) == (2, "错误: --db 是全局选项，要写在命令前面：jiesu --db x.db list\n")
    shell = subprocess.run([sys.executable, "-m", "jiesu", "shell"], input="list --actor 张丽\n".encode(), capture_output=True, env=env())
    assert "错误: 第 1 行：--actor 是全局选项，要写在命令前面：jiesu --actor 张丽 list\n" in shell.stderr.decode()
    assert shell.returncode == 2


def test_format_takes_chinese_labels(jiesu):
    jiesu.new("x")
    assert jiesu.ok("list", "--format", "编号").stdout == "1\n"
    assert "编号" in jiesu.ok("list", "-f", "表格").stdout


def every_help_page():
    yield []
    for path in COMMANDS:
        yield [path]
    for group in ("ledger", "report", "rules"):
        import typer

        command = typer.main.get_command(app).get_command(None, group)
        for sub in command.list_commands(None):
            yield [group, sub]


def every_command():
    """(path, command) of every leaf command of the tree."""
    import typer

    def walk(command, path):
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                yield from walk(command.get_command(None, name), [*path, name])
        else:
            yield path, command

    yield from walk(typer.main.get_command(app), [])


def test_a_missing_argument_is_named_in_chinese_for_every_command(jiesu, book):
    import re

    jiesu.new("x")
    before = book.fingerprint()
    asked = 0
    for path, command in every_command():
        given = []
        for param in command.params:
            if param.param_type_name != "argument":
                continue
            name = usage.argument_name(param)
            assert re.search(r"[\u4e00-\u9fff]", name) and not re.search(r"[A-Z]{2,}", name), (path, name)
            if param.required:
                result = jiesu.runner.invoke(app, [*path, *given], input="")
                assert result.exit_code == 2, (path, given, result.output)
                assert result.stderr == f"错误: 缺少参数 {name}（jiesu {' '.join(path)} --help 看用法）\n", (path, result.stderr)
                asked += 1
            given.append("1")
    assert asked >= 18 and book.fingerprint() == before


def test_usage_lines_and_value_errors_read_chinese(jiesu):
    assert jiesu.ok("show", "--help").stdout.startswith("用法: jiesu show [选项] ")
    assert jiesu.ok("ledger", "--help").stdout.startswith("用法: jiesu ledger [选项] 命令 [参数]...")
    assert jiesu("ledger", "clear", "x").stderr == "错误: 台账编号 无效：'x' 不是台账编号（应为 3 或 台账3）\n"
    assert jiesu("copy").stderr == "错误: 缺少选项 --to（jiesu copy --help 看用法）\n"


ENGLISH_SENTENCE = r"\b[A-Za-z]{2,}(?: [a-z]{2,}){2,}"


def test_no_english_sentence_in_help_or_usage_errors(jiesu):
    import re

    for page in every_help_page():
        result = jiesu.ok(*page, "--help")
        for line in result.stdout.splitlines():
            if "jiesu " in line or "://" in line:  # examples to copy and addresses are for machines
                continue
            assert not re.search(ENGLISH_SENTENCE, line), (page, line)
            assert "Usage" not in line and "Options" not in line and "Show this" not in line, (page, line)
            assert "<str>" not in line, (page, line)  # a fresh tester: Typer names a value by its Python type
    for bad in (["lsit"], ["list", "--nope"], ["list", "--limit", "0"], ["new"], ["show", "x"], ["list", "a", "b"], ["report", "daily", "--date"], ["ledger"]):
        result = jiesu(*bad)
        said = result.stderr if result.stderr else result.stdout
        assert not re.search(ENGLISH_SENTENCE, said), (bad, said)


def test_show_changes_read_chinese_labels(jiesu):
    case = jiesu.new("x", "--received", "-2h")
    jiesu.ok("escalate", case, "--reason", "涉及多个单位", "--to", "区")
    shown = jiesu.ok("show", case, "--format", "table").stdout
    assert "层级：社区 → 区" in shown and "时限档：一般 → 复杂疑难" in shown
    assert "level:" not in shown and "district" not in shown


# ---------------------------------------------------------------- tables that fit a terminal

LONG = "楼道灯不亮，这是一段非常长的诉求摘要，用来检验表格在八十列终端上能否保持一行一件并用省略号截断"


@pytest.mark.parametrize("width", [80, 100, 160])
def test_every_table_is_one_line_per_row_at_this_width(jiesu, monkeypatch, width):
    for n in range(5):
        case = jiesu.new(
            f"{LONG}{n}", "--community", "大栅栏西街社区居委会", "--category", "物业管理/公共照明/楼道灯",
            "--address", "前门东大街甲1号院3号楼2单元", "--nature", "合理诉求", "--received", f"-{n + 1}h",
        )
        jiesu.ok("assign", case, "街道城市管理综合执法队第三中队", "--at", "-30m")
    jiesu.ok("ledger", "add", "1", "--plan", "协调产权单位更换整栋楼的主管道并恢复路面", "--unit", "街道城管科", "--due", "+30d")
    monkeypatch.setenv("COLUMNS", str(width))
    views = ((["list"], 5, "诉求"), (["hotspots", "--min", "2"], None, None), (["ledger", "list"], 1, "诉求摘要"),
             (["todo", "--within", "30d"], 10, "诉求"), (["rules", "show"], None, None))
    for view, rows, summary in views:
        result = jiesu.ok(*view, "--format", "table")
        lines = result.stdout.splitlines()
        assert max(cell_len(line) for line in lines) <= width, (view, width)
        body = [line for line in lines[2:] if line.strip() and not line.startswith("（屏幕太窄，")]  # the notes under the table are no rows
        if rows is not None:
            assert len(body) == rows, (view, width, result.stdout)
        assert all(line.split("│")[0].strip() for line in body), (view, width, result.stdout)  # no continuation lines
        header = [label.strip() for label in lines[0].split("┃")]
        cells = [[cell.strip() for cell in line.split("│")] for line in body]
        assert all(len(row) == len(header) for row in cells), (view, width, result.stdout)
        cut = [cell for row in cells for cell in row if "…" in cell and view != ["rules", "show"]]
        assert all(len(cell.split("…")[0].strip()) >= 3 for cell in cut), (view, width, cut)  # never 1–2 characters
        if summary:
            shown = [row[header.index(summary)].rstrip("… ") for row in cells]
            assert all(len(text) >= (8 if width == 80 else 9) and LONG.startswith(text) for text in shown), (view, width, shown)
        times = [cell for row in cells for cell in row if re.fullmatch(r"(\d{4}-)?\d\d-\d\d \d\d:\d\d", cell)]
        assert len({len(t) for t in times}) <= 1, (view, width, times)  # one time format in a table
        if view == ["list"]:  # what gives way at 80 columns is the receipt time and the community, never the deadline
            years_shown = any(len(t) == len("2026-12-01 09:30") for t in times)  # a deadline in next year keeps them
            # at 100 the 挂账整改 row's deadline, marked `12-31 09:30（台账）`, takes the receipt time's room
            kept = {"社区"} if width == 100 else {"受理时间", "社区"}
            assert "办理时限" in header and (width == 80 or years_shown or kept <= set(header)), header


def test_a_cut_never_splits_a_stand_in(jiesu, book, monkeypatch):
    """Wherever the cut falls, a `<U+202E>` is shown whole or not at all (the tester saw `<U+2…`); a community
    and category as an older jiesu stored them (today's refuses hidden characters there)."""
    for n in range(8):  # the stand-in starts at every offset, so some cut lands inside it
        case = jiesu.new("楼道灯" + "不" * n + "\u202e亮\u200b" * 6, "--nature", "合理诉求")
        book.store_as_an_older_jiesu(case, community="前门\u202e社区" * 3, category="物业\u2066管理" * 3)
    jiesu.ok("ledger", "add", "1", "--plan", "更换\u202e灯具" * 6, "--unit", "街道城管科" * 4, "--due", "+30d")
    for width in range(60, 100, 3):
        monkeypatch.setenv("COLUMNS", str(width))
        for view in (["list"], ["ledger", "list"], ["todo", "--within", "30d"]):
            shown = jiesu.ok(*view, "--format", "table").stdout
            assert "…" in shown, (view, width)
            parts = re.sub(r"<U\+[0-9A-F]{4}>", "", shown)
            assert "<U" not in parts and "U+" not in parts, (view, width, shown)


def test_a_cut_never_splits_a_number(jiesu, monkeypatch):
    """Wherever the cut falls, a number (masked or not) is shown whole or not at all: `186**…` reads as
    another number than 186****3333 (tester 17, in todo and ledger list), as messages already keep it."""
    for n in range(12):  # the number starts at every offset, so some cut lands inside it
        jiesu.new("回电" + "快" * n + "18600003333和010-65123456" + "急" * 20, "--nature", "合理诉求")
    jiesu.ok("ledger", "add", "1", "--plan", "联系" + "王师傅13566667777" * 4, "--unit", "街道城管科", "--due", "+30d")
    for width in range(60, 100, 3):
        monkeypatch.setenv("COLUMNS", str(width))
        for view in (["list"], ["ledger", "list"], ["todo", "--within", "30d"]):
            shown = jiesu.ok(*view, "--format", "table").stdout
            assert "…" in shown, (view, width)
            for number in re.findall(r"[\d*]+…", shown):
                assert re.fullmatch(r"\d{3}\*{4}\d{4}…", number), (view, width, number)  # a whole masked number


# ---------------------------------------------------------------- a terminal narrower than 80 columns

SUMMARY = "小区东门地下车库入口处排水沟长期堵塞，雨天积水严重影响居民出行，多次反映未解决"
PLAN = "协调自来水公司和市政排水集团更换主管道并疏通全部排水沟，加装截水沟和防倒灌设施"
UNIT = "前门街道城市管理综合执法队第一分队"


@pytest.fixture
def long_texts(jiesu):
    """Replayed from a fresh tester (B2): long summaries and measures, a case overdue, two on the ledger,
    a short summary beside them, and three repeats of one caller (a hotspot, escalations, one reopened twice)."""
    jiesu.new(SUMMARY, "--community", "前门社区", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.new("楼道灯不亮", "--community", "大栅栏社区", "--received", "2026-11-28T09:00")
    jiesu.new(f"{SUMMARY}，油烟也大", "--community", "天桥社区", "--nature", "合理诉求", "--received", "2026-11-30T15:00")
    jiesu.ok("assign", "1", UNIT, "--at", "2026-11-20T10:00")
    jiesu.ok("assign", "3", "街道城管科", "--at", "2026-11-30T16:00")
    jiesu.ok("ledger", "add", "1", "--plan", PLAN, "--unit", "街道城管科", "--due", "2026-12-31", "--at", "2026-11-21T10:00")
    jiesu.ok("ledger", "add", "3", "--plan", f"{PLAN}，限期整改", "--unit", "市场监管所", "--due", "2026-12-15", "--at", "2026-12-01T09:00")
    for day in (1, 2, 3):
        jiesu.new(f"{SUMMARY}第{day}次", "--phone", "13900001111", "--category", "物业管理/电梯", "--nature", "合理诉求",
                  "--community", "前门社区", "--address", "前门东大街三号院", "--channel", "desk", "--received", f"2026-11-2{day}T09:00")
    jiesu.ok("assign", "6", UNIT, "--at", "2026-11-23T10:00")
    jiesu.reopen_twice(6)
    return jiesu


def test_at_60_columns_todo_keeps_the_time_left_and_cuts_the_summary(long_texts, monkeypatch):
    """The tester's todo at 60 columns had no 剩余 while the summary kept ten characters."""
    monkeypatch.setenv("COLUMNS", "60")
    header, rows = long_texts.table("todo")
    assert header == ["编号", "待办", "期限", "剩余", "诉求"]
    assert [row[:4] for row in rows if row[0] in ("#1", "#2")] == [["#1", "首次响应", "11-21 09:00", "超期10天"], ["#2", "首次响应", "11-29 09:00", "超期2天"]]
    first = next(row[4] for row in rows if row[0] == "#1")
    assert first.endswith("…") and len(first) >= 4 and SUMMARY.startswith(first.rstrip("…"))


def test_at_60_columns_ledger_list_keeps_due_and_status_and_cuts_the_summary(long_texts, monkeypatch):
    """The tester's ledger list at 60 columns had neither 整改期限 nor 状态."""
    monkeypatch.setenv("COLUMNS", "60")
    header, rows = long_texts.table("ledger", "list")
    assert {"台账", "诉求", "诉求摘要", "整改期限", "状态"} <= set(header), header
    pick = lambda row, *labels: [row[header.index(label)] for label in labels]  # noqa: E731
    assert [pick(row, "台账", "诉求", "整改期限", "状态") for row in rows] == [["1", "#1", "12-31 24:00", "在账"], ["2", "#3", "12-15 24:00", "在账"]]
    for row in rows:
        summary = pick(row, "诉求摘要")[0]
        assert summary.endswith("…") and len(summary) >= 4 and SUMMARY.startswith(summary.rstrip("…")), summary


def test_at_40_columns_ledger_list_keeps_the_status_that_tells_open_from_cleared(long_texts, monkeypatch):
    """Replayed from a fresh tester: at 40 columns (COLUMNS=40, or `stty cols 40` in a pty) ledger list left
    out 状态, so an entry 在账 and one 已销账 looked the same. 整改期限 gives way first, as 期限 before 剩余 in todo."""
    long_texts.ok("ledger", "clear", "2", "--evidence", "已整改", "--at", "2026-12-01T09:10")
    monkeypatch.setenv("COLUMNS", "40")
    header, rows = long_texts.table("ledger", "list")
    assert header == ["台账", "诉求", "诉求摘要", "状态"]
    assert [(row[0], row[3]) for row in rows] == [("1", "在账"), ("2", "已销账")]


def test_a_narrow_ledger_list_drops_the_year_only_when_every_due_is_this_year(long_texts, monkeypatch):
    """As in `list`: `12-31 24:00` never stands for a deadline of another year."""
    monkeypatch.setenv("COLUMNS", "60")
    header, rows = long_texts.table("ledger", "list")
    assert [row[header.index("整改期限")] for row in rows] == ["12-31 24:00", "12-15 24:00"]
    long_texts.ok("ledger", "edit", "1", "--due", "2027-01-31", "--reason", "延期")
    header, rows = long_texts.table("ledger", "list")
    assert [row[header.index("整改期限")] for row in rows] == ["2027-01-31 24:00", "2026-12-15 24:00"]


# Each view's columns a worker acts on (the first is the id typed next), and which of them are free text.
KEY_COLUMNS = {
    "todo": (["todo"], ["编号", "待办", "期限", "剩余", "诉求"], {"待办", "诉求"}),
    "list": (["list"], ["编号", "状态", "诉求", "办理时限"], {"诉求"}),
    "escalation": (["list", "--due-escalation"], ["编号", "状态", "诉求", "办理时限", "应升级原因"], {"诉求", "应升级原因"}),
    "ledger": (["ledger", "list"], ["台账", "诉求", "诉求摘要", "整改期限", "状态"], {"诉求摘要"}),
    "hotspots": (["hotspots", "--days", "30", "--min", "2"], ["类型", "件数", "诉求"], set()),
}
YEARED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


@pytest.mark.parametrize("name", KEY_COLUMNS)
def test_below_80_columns_the_columns_a_worker_acts_on_stay_while_they_fit(long_texts, monkeypatch, name):
    """From 79 columns down to 40, free text gives way first: whenever the key columns fit, whole and
    the free ones at eight cells (three characters and …), each is there with its value and its header
    uncut; ids are never cut."""
    view, keys, free = KEY_COLUMNS[name]
    monkeypatch.setenv("COLUMNS", "200")
    header, rows = long_texts.table(*view)
    whole = {key: [row[header.index(key)] for row in rows] for key in keys}
    narrow = {key: [text[5:] if YEARED.fullmatch(text) else text for text in texts] for key, texts in whole.items()}
    need = {key: max(map(cell_len, [key, *texts])) for key, texts in narrow.items()}
    need |= {key: min(need[key], max(8, cell_len(key))) for key in free}  # free text at its least, its header whole
    fits_from = sum(need.values()) + 3 * (len(keys) - 1)
    assert fits_from < 80, (need, rows)  # the sweep reaches the width from which they fit
    for width in range(79, 39, -1):
        monkeypatch.setenv("COLUMNS", str(width))
        header, rows = long_texts.table(*view)
        assert [row[0] for row in rows] == whole[keys[0]], (width, header, rows)
        if width < fits_from:
            continue
        assert set(keys) <= set(header), (width, header)
        for key in keys:
            shown = [row[header.index(key)] for row in rows]
            if key in free:
                assert all(text == full or (text.endswith("…") and full.startswith(text[:-1])) for text, full in zip(shown, whole[key])), (width, key, shown)
            else:
                assert shown in (whole[key], narrow[key]), (width, key, shown)


def test_a_hotspot_with_many_cases_is_cut_between_two_ids(jiesu, monkeypatch):
    """`#1 #2 #3…` read as if #3 were #30: a list of ids that does not fit ends with ` …` after a whole id."""
    for n in range(1, 15):
        jiesu.new(f"路灯不亮第{n}件", "--phone", f"1390000{n:04d}", "--category", "市政设施/路灯", "--community", "天坛社区",
                  "--address", "天坛东里北区十二号楼", "--received", f"2026-11-{n + 10:02d}T09:00")
    ids = [f"#{n}" for n in range(1, 15)]
    for width in (40, 60, 80, 90, 100):
        monkeypatch.setenv("COLUMNS", str(width))
        header, rows = jiesu.table("hotspots", "--days", "30", "--min", "2")
        for row in rows:
            *shown, last = row[header.index("诉求")].split(" ")
            assert last == "…" and shown == ids[: len(shown)] and shown, (width, row)


HISTORY = ["时间", "办理", "经办人", "说明", "变更"]
MASKED = re.compile(r"\d{3}\*{4}\d{4}")


@pytest.fixture
def long_history(jiesu):
    """Replayed from a fresh tester (F5): a case with long notes, corrections, and numbers in the assignee and a note."""
    case = jiesu.new(SUMMARY, "--phone", "13900001111", "--community", "前门社区", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.ok("assign", case, f"{UNIT}王师傅13566667777", "--at", "2026-11-20T10:00")
    jiesu.ok("visit", case, "--note", "上门查看，排水沟被建筑垃圾堵塞，已联系物业 clean up the drain and call back later", "--at", "2026-11-21T09:00")
    jiesu.ok("edit", case, "--summary", "东门车库排水沟堵塞积水", "--note", "更正摘要")
    jiesu.ok("close", case, "--result", "已解决", "--note", "物业已清理完毕，居民确认不再积水，回访满意", "--at", "2026-11-22T10:00")
    jiesu.ok("revisit", case, "--satisfaction", "满意", "--resolved", "yes", "--note", "居民表示满意，电话13812345678可再联系", "--at", "2026-11-23T10:00")
    return jiesu, str(case)


def _narrow_show(jiesu, case: str, width: int) -> str:
    """`show` at `width` columns, checked to fit it: every header of the history whole, every masked number on one line."""
    shown = jiesu.ok("show", case, "--format", "table").stdout
    lines = shown.splitlines()
    assert max(cell_len(line) for line in lines) <= width, (width, shown)
    assert "…" not in shown, (width, shown)
    below = lines[next(n for n, line in enumerate(lines) if line.startswith("办理记录")) + 1 :]
    below = below[: next((n for n, line in enumerate(below) if line.strip() == "回访"), None)]
    if "┃" in below[0]:
        assert [label.strip() for label in below[0].split("┃")] == HISTORY, (width, shown)
    else:  # each step a record: its labels whole at the start of a line, an empty value left out
        labels = {line.split(" ")[0] for line in below if line[:1].strip()}
        assert set(HISTORY[:3]) <= labels <= set(HISTORY), (width, shown)
    assert shown.count("****") == len(MASKED.findall(shown)), (width, shown)  # no number folded across a line
    return shown


@pytest.mark.parametrize("width", [40, 60])
def test_show_on_a_narrow_terminal_keeps_headers_and_numbers_whole(long_history, monkeypatch, width):
    """At 40 columns the tester's history cut 经办人 and 说明 to `…` and folded 说明 and 变更 a character or two a
    line; at 60 the assignee's masked phone in 变更 was folded across the mask (`135***` / `*7777`)."""
    jiesu, case = long_history
    wide = MASKED.findall(jiesu.ok("show", case, "--format", "table").stdout)
    monkeypatch.setenv("COLUMNS", str(width))
    shown = _narrow_show(jiesu, case, width)
    assert MASKED.findall(shown) == wide and "135****7777" in wide, shown
    assert any(line.startswith("变更") or "┃ 变更" in line for line in shown.splitlines()), shown
    assert all(word in shown for word in ("clean", "drain", "later")), shown  # folded between words
    if width == 60 and any("┃ 变更" in line for line in shown.splitlines()):  # a table still: times give way first, dropping their year
        assert "11-21 09:00 │" in shown and "2026-11-21 09:00 │" not in shown, shown


def test_show_on_a_narrow_terminal_with_a_column_empty_in_every_step(jiesu, monkeypatch):
    """A history with no change in any step (a case filed and noted) has nothing in 变更 to keep whole."""
    case = str(jiesu.new("楼道灯不亮"))
    jiesu.ok("note", case, f"居民来电催办，{PLAN}")
    for width in (40, 60):
        monkeypatch.setenv("COLUMNS", str(width))
        _narrow_show(jiesu, case, width)


def test_show_keeps_its_history_headers_whole_from_79_columns_down_to_40(long_history, monkeypatch):
    jiesu, case = long_history
    for width in range(79, 39, -1):
        monkeypatch.setenv("COLUMNS", str(width))
        _narrow_show(jiesu, case, width)


# Said by a caller and written down as said: numbers, a landline, a deadline, labels with their colon.
SAID = "居民反映楼道灯长期不亮，联系电话13912345678，物业座机010-65123456转8001，办理期限：2026-12-01 24:00，处理结果：已派单给物业公司 please call back"
KEPT = ("139****5678", "010****3456", "8001", "2026-12-01 24:00", "办理期限：", "处理结果：", "12345热线", "待派单", "办理中")


def test_show_keeps_every_number_time_and_label_on_one_line_at_any_width(jiesu, monkeypatch):
    """A fresh tester's `show`: below 80 columns `2026-12-01` / `24:00` and `办理` / `期限` on two lines; from
    80 on Rich's fold cut a masked phone in a long 详情 (`139**` / `**5678`). From 40 to 120 columns each of them
    is found whole on a line as often as on a terminal wide enough for everything: in the title, the record, the
    history's notes and changes. The sixth tester: a change `状态：待派单 → 办理中` folded as `办` / `理中` at 40."""
    case = jiesu.new(f"楼道灯不亮，来电13912345678，{SAID[:40]}", "--detail", SAID * 5, "--phone", "13912345678", "--received", "2026-11-30T09:00")
    jiesu.ok("assign", case, "物业公司王师傅13912345678", "--at", "2026-11-30T10:00")
    jiesu.ok("note", case, f"再次来电，{SAID * 2}")
    monkeypatch.setenv("COLUMNS", "1000")
    wide = jiesu.ok("show", case, "--format", "table").stdout
    assert "\n          " not in wide  # nothing folded
    found = {token: wide.count(token) for token in KEPT}
    assert all(found.values()), found
    _found_whole_at_every_width(jiesu, monkeypatch, case, found)


def _found_whole_at_every_width(jiesu, monkeypatch, case, found: dict[str, int]) -> None:
    """`show case` from 40 to 120 columns fits each width, and has each token whole on a line as often as `found` says."""
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = jiesu.ok("show", case, "--format", "table").stdout.splitlines()
        assert max(cell_len(line) for line in lines) <= width, (width, lines)
        split = [token for token in found if sum(line.count(token) for line in lines) != found[token]]
        assert not split, (width, split, "\n".join(lines))


def test_show_names_the_case_a_merge_went_into_at_any_width(jiesu, monkeypatch):
    """A fresh tester's merged case: its history read `并入：— → 4`, the one id in `show` without its `#`, and at
    80 columns the `4` went down alone. It reads `并入：— → #4`, and `#4` and `已合并` stay whole at every width."""
    target = jiesu.new("楼道灯不亮第4号楼需要尽快修理一下谢谢", "--received", "2026-11-30T09:00")
    case = jiesu.new("楼道灯不亮第6号楼需要尽快修理一下谢谢", "--received", "2026-11-30T09:00")
    jiesu.ok("merge", case, "--into", target)
    monkeypatch.setenv("COLUMNS", "1000")
    wide = jiesu.ok("show", case, "--format", "table").stdout
    assert f"状态：待派单 → 已合并；并入：— → #{target}" in wide, wide
    _found_whole_at_every_width(jiesu, monkeypatch, case, {token: wide.count(token) for token in (f"#{target}", "已合并")})


def test_show_never_parts_a_change_from_its_new_value(jiesu, monkeypatch):
    """A fresh tester's merged case at 40 columns: `并入：— →` on one line and `#3` on the next. A line of changes
    breaks between two changes (at `；`) first, and never between `→` and the value after it."""
    target = jiesu.new("楼道灯不亮", "--received", "2026-11-30T09:00")
    case = jiesu.new("楼道灯不亮第6号楼需要尽快修理一下谢谢", "--received", "2026-11-30T09:00")
    jiesu.ok("merge", case, "--into", target)
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = jiesu.ok("show", case, "--format", "table").stdout.splitlines()
        cells = [text.strip() for line in lines for text in re.split("[│┃]", line)]
        assert not [text for text in cells if text.endswith("→")], (width, "\n".join(lines))
        assert any(f"→ #{target}" in text for text in cells), (width, "\n".join(lines))
        if width in (40, 80):  # room for either change on a line, not for both: one change a line
            assert all(any(text.endswith(change) for text in cells) for change in ("状态：待派单 → 已合并；", f"并入：— → #{target}")), (width, "\n".join(lines))


def test_show_never_starts_a_line_with_closing_punctuation(jiesu, monkeypatch):
    """A fresh tester's `show` at 40 columns began the title's second line with `，`: Chinese line breaking
    puts no closing punctuation at a line's start, so the character before it goes down with it."""
    said = "小区东门路灯已经坏了三天晚上很黑居民出行，请尽快修理。谢谢（急）、再次来电：灯还是不亮！"
    case = jiesu.new(said, "--detail", said * 3, "--received", "2026-11-30T09:00")
    jiesu.ok("note", case, said * 2)
    for width in range(40, 121):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = jiesu.ok("show", case, "--format", "table").stdout.splitlines()
        assert max(cell_len(line) for line in lines) <= width, (width, lines)
        starts = [text for line in lines for text in re.split("[│┃]", line) if text.strip()[:1] in tuple("，。、；：！？）")]
        assert not starts, (width, starts, "\n".join(lines))


# ---------------------------------------------------------------- random text in every field, every view, every format

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=1, max_size=60),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Lo", "Ps", "Pe"]), min_size=1, max_size=30),
    st.text(alphabet="[]/=:bold red link", min_size=1, max_size=30),
    st.text(alphabet="违建楼道灯不亮𠮷", min_size=200, max_size=400),
)
VIEWS = [
    (["list", "--all"], ("table", "json", "csv", "ids")),
    (["show", "{id}"], ("table", "json", "csv", "ids")),
    (["ledger", "list"], ("table", "json", "csv", "ids")),
    (["report", "daily"], ("table", "json", "csv", "markdown")),
    (["report", "monthly"], ("table", "json", "csv", "markdown")),
    (["hotspots", "--min", "2"], ("table", "json", "csv", "ids")),
]


@settings(
    max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_text)
@example(text="x\ud8bf")  # half a UTF-16 pair, which no byte gives: the refusal's own message failed on it
def test_random_text_in_every_field_renders_in_every_view_and_format(jiesu, book, text):
    jiesu.ok("rules", "show", "--format", "json")  # the book exists before its fingerprint is read
    jiesu.ok("list", "--format", "ids")
    before = book.fingerprint()
    # `--` before the summary: a text like `--days` is a summary here, not an option (it failed at random)
    filed = jiesu("new", "--name", text, "--address", text, "--community", text, "--category", text, "--detail", text, "-q", "--", text)
    if filed.exit_code:
        # 2 for text that is blank as jiesu reads it (a blank summary is a usage error), 1 for any other refusal
        refused(filed, code=2 if filed.exit_code == 2 else 1)
        assert book.fingerprint() == before
        if has_undecodable(text):
            assert "不是 UTF-8 的字节" in filed.stderr or "落单的半个 UTF-16 代理对" in filed.stderr
        return
    case = filed.stdout.strip()
    jiesu.ok("note", case, "--", text)  # as for the summary: `-x` is a note here
    for view, formats in VIEWS:
        for fmt in formats:
            args = [part.format(id=case) for part in view] + ["--format", fmt]
            result = jiesu(*args)
            assert result.exit_code == 0, (args, result.output)
            if fmt in ("table", "markdown"):
                assert raw_controls(result.stdout) == [], (args, result.stdout)
            elif fmt == "json":
                json.loads(result.stdout)
            elif fmt == "csv":
                list(csv.reader(io.StringIO(result.stdout)))
            else:
                assert all(word.isdigit() for word in result.stdout.split())
    assert jiesu.json("show", case)["summary"] == text.strip()  # only the ends' white space is trimmed on filing


# ---------------------------------------------------------------- the shell a worker keeps open


def test_tab_completes_commands_options_values_and_ids_from_the_first_keystroke(jiesu, db_target):
    import typer

    from jiesu.cli_shell import _book_values
    from jiesu.clikit import STORES
    from jiesu.shell_complete import candidates

    jiesu.new("x", "--community", "前门社区", "--category", "物业管理/漏水")
    jiesu.new("y", "--community", "大栅栏社区")
    root = typer.main.get_command(app)
    STORES.keep()
    try:
        values = lambda kind: _book_values(["--db", db_target], kind)  # noqa: E731
        assert candidates(root, [], "led", values) == ["ledger"]
        assert candidates(root, [], "ex", values) == ["exit", "export", "extend"]
        assert candidates(root, ["ledger"], "r", values) == ["roll"]
        assert "--community" in candidates(root, ["list"], "--c", values)
        assert candidates(root, ["list", "--community"], "", values) == ["前门社区", "大栅栏社区"]
        assert candidates(root, ["list", "--status"], "待", values) == ["待派单"]
        assert candidates(root, ["list", "--format"], "表", values) == ["表格"]
        assert candidates(root, ["show"], "", values) == ["2", "1"]
        assert candidates(root, ["assign"], "#1", values) == ["1"]
    finally:
        STORES.close_all()


def test_shell_help_is_written_for_the_shell(db_target):
    result = subprocess.run([sys.executable, "-m", "jiesu", "shell"], input="help\nhelp list\n", capture_output=True, text=True, env=env(), timeout=60)
    assert result.returncode == 0
    assert "exit 或 Ctrl-D 退出" in result.stdout and "用法: jiesu list" in result.stdout
    assert "Usage" not in result.stdout


def test_bash_completion_script_completes_without_starting_jiesu(jiesu, tmp_path):
    script = tmp_path / "jiesu.bash"
    script.write_text(jiesu.ok("completion", "bash").stdout)
    probe = f"""
source {script}
t() {{ COMP_WORDS=("$@"); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); _jiesu; echo "${{COMPREPLY[*]}}"; }}
t jiesu led
t jiesu ledger r
t jiesu list --st
t jiesu list --status 待
t jiesu close 1 --result 已
"""
    result = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert result.stdout.splitlines() == ["ledger", "roll", "--status", "待派单", "已解决 已解释说明 已答复"], result.stderr
    assert "bashcompinit" in jiesu.ok("completion", "zsh").stdout
    refused(jiesu("completion", "fish"), "不支持 'fish'；可选：bash, zsh", code=2)


def test_a_narrow_table_keeps_the_year_of_a_time_from_another_year(jiesu, monkeypatch):
    """`12-26 09:49` for a deadline of 2023 reads as one still ahead: years go only when every
    time in the table is of this year."""
    jiesu.new(f"{LONG}旧", "--community", "大栅栏西街社区居委会", "--received", "2023-12-20T09:49")
    jiesu.new(f"{LONG}新", "--community", "大栅栏西街社区居委会", "--received", "-1h")
    monkeypatch.setenv("COLUMNS", "80")
    listed = jiesu.ok("list", "--format", "table").stdout
    assert "2023-12-" in listed and max(cell_len(line) for line in listed.splitlines()) <= 80, listed


# ---------------------------------------------------------------- long values echoed back

LONG_VALUE = "长" * 1500 + "x" * 1500
LONG_ECHOES = [
    ["show", "{v}"], ["list", "--since", "{v}"], ["list", "--{v}"], ["{v}"], ["list", "--status", "{v}"],
    ["list", "--format", "{v}"], ["new", "a", "--urgency", "{v}"], ["new", "a", "--phone", "{v}"], ["new", "a", "--received", "{v}"],
    ["todo", "--within", "{v}"], ["ledger", "list", "--period", "{v}"], ["export", "--format", "{v}"], ["show", "1", "{v}"],
    ["report", "daily", "--date", "{v}"], ["list", "--limit", "{v}"], ["close", "1", "--result", "{v}"], ["import", "{v}"],
    ["import", "{v}.csv"], ["completion", "{v}"],
]


@pytest.mark.parametrize("args", LONG_ECHOES, ids=lambda args: " ".join(args).replace("{v}", "V"))
def test_an_error_repeats_a_3000_character_value_shortened_on_one_line(jiesu, args):
    jiesu.new("楼道灯不亮")
    result = jiesu(*(part.replace("{v}", LONG_VALUE) for part in args))
    assert result.exit_code in (1, 2) and result.stderr.startswith("错误: ") and result.stderr.count("\n") == 1, result.stderr[:300]
    assert len(result.stderr) < 300, result.stderr[:300]
