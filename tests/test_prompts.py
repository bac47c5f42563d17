"""`jiesu new` and `jiesu edit` asking field by field at a terminal (issue 17 item 4)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from conftest import BACKEND
from jiesu import prompts


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """These tests read exact times in messages: now is pinned to the morning of 2026-12-01."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")


@pytest.fixture
def at_terminal(monkeypatch):
    """Typer's input stands in for the keyboard; the command believes a person is typing."""
    monkeypatch.setattr(prompts, "interactive", lambda: True)


def answers(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_new_asks_each_field_validates_on_the_spot_and_shows_the_case(jiesu, at_terminal):
    jiesu.new("更早的一件", "--community", "前门社区", "--category", "物业管理/漏水", "--address", "前门东大街3号")
    typed = answers("楼上漏水", "12345", "13812345678", "王大爷", "前门东大街3号", "前门社区", "物业管理/漏水", "来访", "", "合理诉求", "")
    result = jiesu("new", input=typed)
    assert result.exit_code == 0, result.output
    said = result.stderr
    assert "诉求摘要：电话：" in said and "性质（reasonable 合理诉求" in said
    assert "错误: 不是有效的中国电话号码：'12345'（手机如 13812345678，座机如 010-65123456），请重新输入" in said
    assert "社区（已有：前门社区）" in said and "类别（已有：物业管理/漏水）" in said
    assert "  电话：13812345678" in said and "  渠道：来访" in said and "确认受理 [Y/n]？" in said
    assert said.rstrip().splitlines()[-1].endswith("已受理 #2（待派单，办理时限 2026-12-10 24:00）")
    case = jiesu.json("show", "2", "--reveal")
    assert (case["summary"], case["phone"], case["name"], case["channel"], case["nature"], case["urgency"]) == (
        "楼上漏水", "13812345678", "王大爷", "walkin", "reasonable", "normal",
    )


def test_new_shows_the_time_of_receipt_before_it_files(jiesu, at_terminal):
    """A fresh tester: the summary never said 受理时间, so a call taken earlier was filed as now unseen."""
    now = jiesu("new", input=answers("停水", "", "", "", "", "", "", "", "", "n"))
    assert "  受理时间：2026-12-01 09:30（现在；较早的来电请取消，用 --received 重新受理）\n确认受理" in now.stderr
    earlier = jiesu("new", "--received", "昨天 18:30", input=answers("停水", "", "", "", "", "", "", "", "", ""))
    assert earlier.exit_code == 0, earlier.output
    assert "  受理时间：2026-11-30 18:30\n确认受理" in earlier.stderr
    assert jiesu.json("show", "1")["received_at"] == "2026-11-30T18:30:00+08:00"


def test_new_prompts_offer_the_options_already_typed(jiesu, at_terminal):
    result = jiesu("new", "--community", "大栅栏社区", "--urgency", "urgent", input=answers("停水", "", "", "", "", "", "", "", "", ""))
    assert result.exit_code == 0, result.output
    case = jiesu.json("show", "1")
    assert (case["community"], case["urgency"], case["phone"]) == ("大栅栏社区", "urgent", None)


def test_new_asks_again_for_an_empty_summary_and_a_bad_word(jiesu, at_terminal):
    result = jiesu("new", input=answers("  ", "噪音", "", "", "", "", "", "传真", "热线", "", "", "", ""))
    assert result.exit_code == 0, result.output
    assert "错误: 诉求摘要不能为空，请重新输入" in result.stderr
    assert "错误: 未知的受理渠道 '传真'" in result.stderr
    assert jiesu.json("show", "1")["channel"] == "hotline"


def test_new_asks_again_for_a_community_or_category_with_hidden_characters(jiesu, at_terminal):
    """As `new --community` refuses it: a zero-width space pasted into 前门社区 would make another community."""
    typed = answers("楼道灯不亮", "", "", "", "前门\u200b社区", "前门社区", "物业\u2066管理", "物业管理", "", "", "", "")
    result = jiesu("new", input=typed)
    assert result.exit_code == 0, result.output
    hidden = "含控制符、不可见的字符或特殊空格，与显示出来的名字不是同一个；请删去这些字符，请重新输入"
    assert f"错误: 社区 '前门<U+200B>社区' {hidden}" in result.stderr and f"错误: 类别 '物业<U+2066>管理' {hidden}" in result.stderr
    shown = jiesu.json("show", "1")
    assert (shown["community"], shown["category"]) == ("前门社区", "物业管理")


def test_new_declined_at_the_end_files_nothing(jiesu, book, at_terminal):
    result = jiesu("new", input=answers("噪音", "", "", "", "", "", "", "", "", "n"))
    assert result.exit_code == 1 and result.stderr.rstrip().endswith("已取消，未受理")
    assert book.counts() == (0, 0)


def test_new_without_a_terminal_is_unchanged(jiesu, book):
    result = jiesu("new", input="楼上漏水\n")
    assert result.exit_code == 2 and result.stderr == "错误: 缺少参数 诉求摘要（jiesu new --help 看用法）\n"
    assert book.counts() == (0, 0)


def test_edit_walks_through_the_current_values(jiesu, at_terminal):
    case_id = jiesu.new("楼上漏水", "--phone", "13900001111", "--address", "前门东大街1号")
    # summary, phone (bad, then keep), name, address (changed), community, category, channel, urgency, kind, ref, detail, confirm
    typed = answers("", "abc", "", "", "前门东大街3号", "", "", "", "紧急", "", "", "", "")
    result = jiesu("edit", case_id, input=typed)
    assert result.exit_code == 0, result.output
    assert "地址（已有：前门东大街1号） [前门东大街1号]：" in result.stderr and "错误: 不是有效的中国电话号码" in result.stderr
    assert "[139****1111]" in result.stderr and "13900001111" not in result.stderr  # the phone shown masked, kept as it was
    case = jiesu.json("show", case_id, "--reveal")
    assert case["phone"] == "13900001111"
    assert (case["address"], case["urgency"], case["tier"]) == ("前门东大街3号", "urgent", "emergency")
    assert set(case["events"][-1]["changes"]) == {"address", "urgency", "tier", "respond_by", "resolve_by"}


def test_edit_prompt_dash_clears_an_optional_field(jiesu, at_terminal):
    case_id = jiesu.new("楼上漏水", "--phone", "13812345678")
    result = jiesu("edit", case_id, input=answers("", "-", "", "", "", "", "", "", "", "", "", ""))
    assert result.exit_code == 0, result.output
    assert jiesu.json("show", case_id)["phone"] is None


def test_edit_with_every_prompt_left_as_it_was_changes_nothing_and_says_so(jiesu, book, at_terminal):
    """A fresh tester pressed Enter through every prompt and was told 请给出要改的项，如 --address, as if
    they had typed options; nothing was wrong."""
    case_id = jiesu.new("楼上漏水")
    before = book.fingerprint()
    result = jiesu("edit", case_id, input=answers(*[""] * 12))
    assert result.exit_code == 0 and result.stderr.endswith(f"：#{case_id} 各项都没有改动，未更正\n")
    assert book.fingerprint() == before


def test_edit_prompt_refuses_dash_for_the_summary_as_the_option_does(jiesu, at_terminal):
    """`-` typed as the summary was stored as the summary; it asks to clear, and a summary cannot be cleared."""
    case_id = jiesu.new("楼上漏水")
    assert jiesu("edit", case_id, "--summary", "-").stderr == "错误: 诉求摘要不能为空（- 在命令行上表示清除）；请写出诉求摘要的内容\n"
    result = jiesu("edit", case_id, input=answers("-", "楼上漏水严重", "", "", "", "", "", "", "", "", "", "", ""))
    assert result.exit_code == 0, result.output
    assert "错误: 诉求摘要不能为空，请重新输入" in result.stderr
    assert jiesu.json("show", case_id)["summary"] == "楼上漏水严重"


def test_case_text_in_a_question_is_shown_as_it_is_and_enter_keeps_the_value_itself(jiesu, book, at_terminal):
    """Replayed from a fresh tester: a pasted address holding escape codes went raw to the terminal in
    `new`'s 已有 list and in `edit`'s default, clearing the screen and retitling the window each time. The
    community is as an older jiesu stored it (today's refuses it): Enter keeps it, not asks for it again."""
    address, community = "清屏\x1b[2J\x1b]0;hack\x07地址", "社区\x1b[31m红\u202e"
    case_id = jiesu.new("楼上漏水", "--address", address)
    book.store_as_an_older_jiesu(case_id, community=community)
    before = book.fingerprint()
    result = jiesu("edit", case_id, input=answers(*[""] * 12))
    assert result.exit_code == 0 and result.stderr.endswith(f"：#{case_id} 各项都没有改动，未更正\n")
    assert book.fingerprint() == before  # Enter kept the address itself, not the stand-ins shown for it
    result = jiesu("new", input=answers("停水", *[""] * 9))
    assert result.exit_code == 0, result.output
    for said in (jiesu("edit", case_id, input=answers(*[""] * 12)).stderr, result.stderr):
        assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said
        assert "清屏␛[2J␛]0;hack␇地址" in said and "社区␛[31m红<U+202E>" in said


# ---------------------------------------------------------------- a real terminal


def run_in_pty(args: list[str], keys: list[str], timeout: float = 30.0, columns: int | None = None) -> str:
    """Run jiesu under a pseudo-terminal (`columns` wide, where given), typing `keys` one line at a time as its prompts appear."""
    leader, follower = pty.openpty()
    if columns:  # readline, on the shell's start, sets COLUMNS from the terminal's size
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "jiesu", *args], stdin=follower, stdout=follower, stderr=follower, env=os.environ.copy()
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + timeout
    pending = list(keys)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            continue
        if process.poll() is not None:
            break
        if pending:  # quiet: the program waits for the next answer
            os.write(leader, pending.pop(0).encode())
    process.wait(timeout=5)
    os.close(leader)
    return seen.decode("utf-8", "replace")


@pytest.mark.skipif(BACKEND != "sqlite", reason="one backend is enough for the terminal itself")
def test_new_at_a_real_terminal_completes_known_values_with_tab(jiesu):
    jiesu.new("更早的一件", "--community", "前门社区", "--category", "物业管理/漏水")
    keys = ["楼道灯不亮\n", "\n", "\n", "\n", "前\t\n", "物\t\n", "\n", "\n", "\n", "\n"]
    screen = run_in_pty(["new"], keys)
    assert "已受理 #2" in screen, screen
    case = jiesu.json("show", "2")
    assert (case["community"], case["category"]) == ("前门社区", "物业管理/漏水")


@pytest.mark.skipif(BACKEND != "sqlite", reason="one backend is enough for the terminal itself")
def test_shell_at_a_terminal_greets_with_the_days_todo(jiesu):
    jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")
    screen = run_in_pty(["shell"], ["exit\n"])
    assert "待办 2 项（1 天内到期），其中超期 1 项：首次响应 1；派给 测试员 的 0 项（jiesu todo 查看）" in screen.replace("\r\n", ""), screen  # folded; resolve_by ends at 24:00 of 12-01: due, not yet late


@pytest.mark.skipif(BACKEND != "sqlite", reason="one backend is enough for the terminal itself")
def test_the_shell_greeting_is_folded_to_a_narrow_terminal(jiesu, monkeypatch):
    # A fresh tester at 40 columns: the greeting ran past the edge, for the terminal to break anywhere (`超期` / `1 件`).
    from rich.cells import cell_len

    jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")
    monkeypatch.delenv("COLUMNS")  # the terminal's own width, as a worker's shell has it (a dumb one is 80 to Rich)
    monkeypatch.setenv("TERM", "xterm")
    screen = run_in_pty(["shell"], ["exit\n"], columns=40)
    said = [line for line in screen.replace("\r", "").split("\n") if line.strip() and "jiesu>" not in line]
    assert said and max(cell_len(line) for line in said) <= 40, said
    assert any("首次响应 1；" in line for line in said) and any("的 0 项" in line for line in said), said
    assert any(line.startswith("jiesu shell：") for line in said), said  # a command's name is not parted at its space


@pytest.mark.skipif(BACKEND != "sqlite", reason="one backend is enough for the terminal itself")
def test_the_shell_help_is_folded_to_the_terminal_and_typed_errors_name_no_line(jiesu, monkeypatch):
    """`help` in the shell ran to 89 columns on an 80-column terminal (`classify`'s summary on one line); a typed line is no script's line."""
    from rich.cells import cell_len

    monkeypatch.delenv("COLUMNS")
    monkeypatch.setenv("TERM", "xterm")
    screen = run_in_pty(["shell"], ["help\n", "show 99\n", "exit\n"], columns=80)
    said = [line for line in screen.replace("\r", "").split("\n") if "jiesu>" not in line]
    assert any(line.startswith("  classify    研判诉求性质") for line in said) and any("exit 或 Ctrl-D 退出" in line for line in said), said
    assert max(cell_len(line) for line in said) <= 80, said
    assert "错误: 没有 #99 这件诉求" in said and "已在第" not in screen, said


@pytest.mark.skipif(BACKEND != "sqlite", reason="one backend is enough for the terminal itself")
def test_the_greeting_counts_work_of_an_actor_whose_name_holds_a_number(jiesu, monkeypatch):
    """The todo rows show an assignee's number masked; the greeting counts by the name as typed."""
    monkeypatch.setenv("JIESU_ACTOR", "王师傅13566667777")
    case_id = jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")
    jiesu.ok("assign", case_id, "王师傅13566667777")
    screen = run_in_pty(["shell"], ["exit\n"])
    assert "派给 王师傅13566667777 的 2 项" in screen.replace("\r\n", ""), screen  # folded to the terminal
