"""`jiesu shell`: the same commands from one long-lived process, fed from stdin by scripts."""

from __future__ import annotations

import json

import os
import subprocess
import sys

import pytest

from conftest import without_calendar_notes


def shell(target, script: str, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"JIESU_DB": target}
    return subprocess.run(
        [sys.executable, "-m", "jiesu", "shell", *args], input=script, capture_output=True, text=True, env=env, timeout=120
    )


def test_commands_from_stdin_run_in_order(db_target):
    result = shell(db_target, "# 今天的工作\nnew 楼道灯不亮 -q\nnew '夜间 施工 噪音' --community 前门社区 -q\n\nlist -f ids\nshow 2 -f ids\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n2\n1\n2\n2\n"


def test_first_refusal_stops_the_script_with_its_exit_code(db_target):
    result = shell(db_target, "new 一 -q\nclose 1 --result resolved --note x\nnew 二 -q\n")
    assert result.returncode == 1
    assert result.stdout == "1\n"
    assert without_calendar_notes(result.stderr) == (
        "错误: 第 2 行：#1 尚未研判诉求性质，不能办结；请先 classify\n已在第 2 行停止：第 1 行已执行，后面的行未执行\n"
    )


@pytest.mark.parametrize("script, said", [
    # a fresh tester: a comment on line 1 was counted among the lines executed (第 1–3 行)
    ("# 补录\nnew 一 -q\nnew 二 -q\nshow 9\n", "已在第 4 行停止：第 2–3 行已执行，后面的行未执行"),
    ("# 补录\n\nnew 一 -q\n# 下午\nshow 9\n", "已在第 5 行停止：第 3 行已执行，后面的行未执行"),
    ("# 补录\n\nshow 9\nnew 一 -q\n", "已在第 3 行停止：前 2 行没有命令，后面的行未执行"),
    ("show 9\n", "已在第 1 行停止：后面的行未执行"),
])
def test_a_stop_names_the_lines_whose_commands_ran(db_target, script, said):
    result = shell(db_target, script)
    assert result.returncode == 1
    assert without_calendar_notes(result.stderr).splitlines()[-1] == said


def test_keep_going_runs_everything_and_still_reports_failure(db_target):
    result = shell(db_target, "new 一 -q\nshow 9\nnew 二 -q\n", "--keep-going")
    assert result.returncode == 1
    assert result.stdout == "1\n2\n"
    assert without_calendar_notes(result.stderr) == "错误: 第 2 行：没有 #9 这件诉求\n"


def test_usage_errors_and_bad_quoting_are_one_line(db_target):
    result = shell(db_target, "list --no-such-option\n", "--keep-going")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--no-such-option" in result.stderr
    quoting = shell(db_target, "new '未闭合\n", "--keep-going")
    assert (quoting.returncode, quoting.stderr) == (2, "错误: 第 1 行：无法解析这一行：缺少配对的引号\n")  # shlex said No closing quotation
    backslash = shell(db_target, "note 1 abc\\\n", "--keep-going")
    assert (backslash.returncode, backslash.stderr) == (2, "错误: 第 1 行：无法解析这一行：行末的反斜杠 \\ 后面缺少字符\n")


def test_an_option_written_with_input_method_dashes_is_refused_in_the_shell_too(db_target):
    result = shell(db_target, "new 一 -q\nlist ——assignee 物业\nnote 1 —楼道灯不亮\n", "--keep-going")
    assert result.returncode == 2 and result.stdout == "1\n"
    assert without_calendar_notes(result.stderr).splitlines() == [
        "错误: 第 2 行：'——assignee' 不是选项：选项要用两个半角减号，写作 --assignee", "#1 已备注",
    ]


def test_a_pipe_or_redirection_is_refused_as_such_and_quoted_ones_are_text(db_target):
    """Tester 42: `list | tail -1` was refused as an unknown option -1. A shell operator standing as a word,
    outside quotes, is named; quoted, escaped or inside a word it stays text, as before."""
    script = (
        "new 一 -q\nlist -f ids | tail -1\njiesu list > 名单.txt\nnew 二 -q && list\nnote 1 '|'\nnote 1 A|B栋\nnote 1 \\>\n"
        "note 1 \"已联系\">>log.txt\n"  # glued to a quoted word, outside the quotes: tester 43 saw it kept in the note
    )
    result = shell(db_target, script, "--keep-going")
    assert result.returncode == 2 and result.stdout == "1\n"
    assert without_calendar_notes(result.stderr).splitlines() == [
        "错误: 第 2 行：jiesu shell 不支持管道、重定向和命令串联（|）；请在系统的 shell 里运行：jiesu list -f ids | tail -1",
        "错误: 第 3 行：jiesu shell 不支持管道、重定向和命令串联（>）；请在系统的 shell 里运行：jiesu list > 名单.txt",
        "错误: 第 4 行：jiesu shell 不支持管道、重定向和命令串联（&&）；每行只写一条命令",
        "#1 已备注", "#1 已备注", "#1 已备注",
        '错误: 第 8 行：jiesu shell 不支持管道、重定向和命令串联（>>）；请在系统的 shell 里运行：jiesu note 1 "已联系">>log.txt',
    ]
    notes = shell(db_target, "show 1 -f json\n")
    assert [event["note"] for event in json.loads(notes.stdout)["events"][1:]] == ["|", "A|B栋", ">"]


def test_a_script_line_with_a_stray_byte_points_at_it_and_a_comment_is_a_comment(db_target):
    """Tester 43: every script line with a byte that is not UTF-8 was said to be maybe GBK, a stray 0x9b and
    0xFF (no GBK byte) too, and a heading comment with one stopped the script."""
    script = "# 注\x9b\n".encode("utf-8", "surrogateescape") + 'note 1 "a'.encode() + b'\x9b"\nnew \xc2\xa5\xb5\xc0 -q\nnew ok -q\n'
    result = subprocess.run([sys.executable, "-m", "jiesu", "shell", "--keep-going"], input=script, capture_output=True, env=os.environ | {"JIESU_DB": db_target}, timeout=60)
    assert result.returncode == 2 and result.stdout == b"1\n"
    assert without_calendar_notes(result.stderr.decode()).splitlines() == [
        "错误: 第 2 行：文字 'note 1 \"a\\x9b\"' 的第 10 个字符是不成字的字节（不是 UTF-8）；请删去，或重新输入这段文字",
        "错误: 第 3 行不是 UTF-8 文字（可能是 GBK 编码）；请把脚本存为 UTF-8",
    ]


def test_a_lines_own_global_option_stands_for_the_shells_and_one_given_twice_is_refused(db_target):
    """`jiesu --actor 甲 shell`: a line's `--actor 乙` is that line's, as before; two on one line are refused."""
    env = os.environ | {"JIESU_DB": db_target}
    script = "new 一 -q\n--actor 乙 note 1 a\nnote 1 b\n--actor 丙 --actor 丁 note 1 c\n"
    result = subprocess.run([sys.executable, "-m", "jiesu", "--actor", "甲", "shell", "--keep-going"], input=script, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert without_calendar_notes(result.stderr).splitlines()[-1] == "错误: 第 4 行：--actor 写了两次；一个选项只能写一次，后写的会替换先写的，请删去多余的一个"
    events = json.loads(shell(db_target, "show 1 -f json\n").stdout)["events"]
    assert [(e["actor"], e["note"]) for e in events[1:]] == [("乙", "a"), ("甲", "b")]


def test_keep_going_ends_with_the_first_refusals_exit_code(db_target):
    """As a script without --keep-going would have stopped with: the codes of later refusals are not added up."""
    usage_first = shell(db_target, "list --no-such-option\nshow 9\n", "--keep-going")
    assert usage_first.returncode == 2 and usage_first.stderr.count("错误: ") == 2
    refused_first = shell(db_target, "show 9\nlist --no-such-option\n", "--keep-going")
    assert refused_first.returncode == 1 and refused_first.stderr.count("错误: ") == 2


def test_global_options_carry_into_every_line(new_target, db_target, jiesu):
    other = new_target("other")
    env = os.environ | {"JIESU_DB": str(db_target)}
    result = subprocess.run(
        [sys.executable, "-m", "jiesu", "--db", other, "--actor", "夜班", "shell"],
        input="new 夜里来电 -q\nshow 1 -f json\n", capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"actor": "夜班"' in result.stdout
    assert jiesu.json("list", "--all") == []


def test_exit_ends_the_session(db_target):
    result = shell(db_target, "new 一 -q\nexit\nnew 二 -q\n")
    assert result.returncode == 0 and result.stdout == "1\n"


def test_the_calendar_note_is_said_once_per_session(db_target, tmp_path, monkeypatch):
    """Deadlines in a year chinesecalendar lacks: the shell says so after its first command, not after every one."""
    (tmp_path / "r.toml").write_text('[deadlines.resolve]\ngeneral = "300 workdays"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(tmp_path / "r.toml"))
    result = shell(db_target, "new 一 -q\nnew 二 -q\nlist -f ids\nnew 三 -q\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n2\n1\n2\n3\n"
    assert result.stderr.count("chinesecalendar 尚无") == 1, result.stderr
    for _ in range(2):  # while one-shot commands each say it, as before
        single = subprocess.run([sys.executable, "-m", "jiesu", "new", "四", "-q"], capture_output=True, text=True, env=os.environ | {"JIESU_DB": db_target})
        assert single.stderr.count("chinesecalendar 尚无") == 1, single.stderr


def test_shell_help_lines_up_every_command(db_target):
    """`completion`, the longest name, sat one column further right than the others (fresh tester)."""
    result = shell(db_target, "help\n")
    listed = [line for line in result.stdout.splitlines()[1:] if line.startswith("  ")]
    assert len(listed) > 20 and "  completion  " in result.stdout
    assert len({len(line) - len(line[2:].split(" ", 1)[1].lstrip()) for line in listed}) == 1, listed


def test_shell_help_is_folded_as_jiesu_help_is(db_target):
    """At COLUMNS=40 a fresh tester read the shell's help 42–89 columns wide (`classify` ran to 89), while `jiesu --help` folded."""
    from rich.cells import cell_len

    for width in ("40", "80"):
        env = os.environ | {"JIESU_DB": db_target, "COLUMNS": width}
        page = subprocess.run([sys.executable, "-m", "jiesu", "--help"], capture_output=True, text=True, env=env, timeout=60).stdout
        helped = subprocess.run([sys.executable, "-m", "jiesu", "shell"], input="help\n", capture_output=True, text=True, env=env, timeout=60)
        rows = helped.stdout.split("\n", 1)[1].split("\n\n")[0]
        assert rows in page, (width, helped.stdout)  # each command's summary folded as on `jiesu --help`, line for line
        widest = max(cell_len(line) for line in helped.stdout.splitlines())
        assert widest <= max(int(width), 50), helped.stdout  # Click's help pages are never narrower than 50 columns


def test_a_line_typed_with_jiesu_runs_without_it(db_target, jiesu):
    """A worker's habit, `jiesu todo --within 1h`, was answered `没有 jiesu 这个命令（jiesu --help 看有哪些命令）`: advice for outside."""
    result = shell(db_target, "jiesu new 一 -q\njiesu list -f ids\nnew 二 -q\njiesu\njiesu exit\nnew 三 -q\n")
    assert (result.returncode, without_calendar_notes(result.stderr)) == (0, "")
    assert result.stdout.startswith("1\n1\n2\n命令（不用输入 jiesu）：\n"), result.stdout  # `jiesu` alone lists the commands
    assert [case["summary"] for case in jiesu.json("list")] == ["一", "二"]  # `jiesu exit` left the shell


def test_a_script_names_the_line_of_each_error_and_where_it_stopped(db_target, jiesu):
    """A 补录 file from a Windows editor stopped on an error without saying which line: run again, it doubled the notes before it."""
    script = '\ufeffnote 1 "早班补录"\r\nshow 99\r\nlist --no-such\r\nnote 1 晚班\r\n'.encode()
    jiesu.new("楼道灯不亮")
    env = os.environ | {"JIESU_DB": db_target}
    run = lambda *args: subprocess.run([sys.executable, "-m", "jiesu", "shell", *args], input=script, capture_output=True, env=env, timeout=120)  # noqa: E731
    stopped = run()
    assert stopped.returncode == 1
    assert without_calendar_notes(stopped.stderr.decode()) == (
        "#1 已备注\n错误: 第 2 行：没有 #99 这件诉求\n已在第 2 行停止：第 1 行已执行，后面的行未执行\n"
    )
    going = run("--keep-going")
    assert going.returncode == 1
    assert without_calendar_notes(going.stderr.decode()) == (
        "#1 已备注\n错误: 第 2 行：没有 #99 这件诉求\n错误: 第 3 行：没有 --no-such 这个选项（jiesu list --help 看用法）\n#1 已备注\n"
    )
    assert [event["note"] for event in jiesu.json("show", "1")["events"] if event["kind"] == "noted"] == ["早班补录", "早班补录", "晚班"]


def test_a_shell_is_not_started_inside_the_shell(db_target):
    """`jiesu shell` typed inside the shell started a second one, which read the rest of the script as its own (its line numbers from 1)."""
    result = shell(db_target, "new 一 -q\njiesu shell\nshow 99\nhelp shell\n", "--keep-going")
    assert result.returncode == 2 and result.stdout.startswith("1\n用法: jiesu shell"), result.stdout
    assert without_calendar_notes(result.stderr) == (
        "错误: 第 2 行：已在 jiesu shell 里，直接输入命令即可（exit 退出）\n错误: 第 3 行：没有 #99 这件诉求\n"
    )
