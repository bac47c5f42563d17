"""Ctrl-C and SIGTERM mid-command: one line saying whether the change was saved, exit 130 or 143, never a traceback.

Each signal is sent to a real `python -m jiesu` at a point where it provably waits: an import
whose standard input has been read to the last byte written so far (the rest is still to come),
a `jiesu shell` script whose first line's case id has been printed (the next line is still to
come). No sleep guesses when a command is "in the middle".
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import sqlite_only
from test_exchange import HOTLINE_HEADER
from test_import_streams import hotline_rows

SIGNALS = pytest.mark.parametrize(
    ("how", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["Ctrl-C", "TERM"]
)
NOTHING_SAVED = "错误: 已中断，没有保存任何改动\n"
SAVED = "错误: 已中断，但改动已保存；不要重试，用 jiesu list 或 jiesu show 查看\n"


def jiesu_process(*args: str, env: dict | None = None, **streams) -> subprocess.Popen:
    streams = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE} | streams
    return subprocess.Popen([sys.executable, "-m", "jiesu", *args], env=env or os.environ, **streams)


def import_waiting_for_the_rest(env: dict | None = None) -> subprocess.Popen:
    """`jiesu import -` that has read the first half of a 12345 file from its pipe, and waits for the rest."""
    command = jiesu_process("import", "-", "--format", "csv", env=env)
    command.stdin.write(("\n".join([HOTLINE_HEADER, *hotline_rows(2000)]) + "\n").encode())
    command.stdin.flush()
    wait_until_read(command)
    return command


def wait_until_read(command: subprocess.Popen, timeout: float = 120) -> None:
    """Until `command` has taken every byte written to its standard input (the pipe holds none)."""
    deadline = time.monotonic() + timeout
    while struct.unpack("i", fcntl.ioctl(command.stdin.fileno(), termios.FIONREAD, b"\0" * 4))[0]:
        assert command.poll() is None and time.monotonic() < deadline, "the command should be reading its input"
        time.sleep(0.01)


def ended(command: subprocess.Popen) -> tuple[int, str]:
    """The exit code and stderr of `command`, once it has ended with its standard input still open
    (closed first, it would be an end of input racing the signal)."""
    command.wait(timeout=120)
    _, err = command.communicate()
    return command.returncode, err.decode()


@SIGNALS
def test_an_import_stopped_before_its_commit_says_nothing_was_saved(jiesu, book, how, code):
    jiesu.new("已有的诉求")
    before = book.fingerprint()
    command = import_waiting_for_the_rest()
    command.send_signal(how)
    assert ended(command) == (code, NOTHING_SAVED)
    assert book.fingerprint() == before


@SIGNALS
def test_a_script_stopped_after_a_line_committed_says_the_change_was_saved(jiesu, book, how, code):
    """`jiesu shell < script` (cron's nightly filing, say) stopped after its first line filed a case."""
    shell = jiesu_process("shell")
    shell.stdin.write("new 楼道灯不亮 -q\n".encode())
    shell.stdin.flush()
    assert shell.stdout.readline() == b"1\n"  # filed, committed, and the next line awaited
    shell.send_signal(how)
    assert ended(shell) == (code, "错误: 已中断；第 1 行已执行，后面的行未执行；接着执行请从第 2 行开始\n")
    assert [case["id"] for case in jiesu.json("list")] == [1]


@SIGNALS
@pytest.mark.parametrize(("script", "filed", "said"), [
    ("new 一 -q\nshow 9\nnew 二 -q\n", 2, "第 1–3 行已读完（其中 1 行被拒未执行：第 2 行），后面的行未执行；接着执行请从第 4 行开始"),
    ("show 9\nnew 一 -q\nshow 8\nnew 二 -q\n", 2, "第 1–4 行已读完（其中 2 行被拒未执行：第 1、3 行），后面的行未执行；接着执行请从第 5 行开始"),
])
def test_a_script_stopped_under_keep_going_names_the_lines_refused(jiesu, how, code, script, filed, said):
    """A fresh tester: under --keep-going, 第 1–250 行已执行 counted the refused lines among those executed, and
    nothing said which lines were still to be done."""
    shell = jiesu_process("shell", "--keep-going")
    shell.stdin.write(script.encode())
    shell.stdin.flush()
    assert [shell.stdout.readline() for _ in range(filed)] == [f"{n}\n".encode() for n in range(1, filed + 1)]
    shell.send_signal(how)
    returncode, err = ended(shell)
    assert (returncode, err.splitlines()[-1]) == (code, f"错误: 已中断；{said}")
    assert [case["id"] for case in jiesu.json("list")] == list(range(1, filed + 1))


# `jiesu shell` running a script of notes, sent `how` in its third note: as the note's COMMIT begins (held until
# it is counted, so the note is saved), or as its INSERT begins (so it is not).
SIGNAL_IN_THE_THIRD_LINE = """
import os, signal, sys
import sqlalchemy as sa
from jiesu.client import main
from jiesu.db import commit_count
how, event, sent = signal.Signals[sys.argv.pop(1)], sys.argv.pop(1), []
def third(*_):
    if commit_count() == 2 and not sent:
        sent.append(how)
        os.kill(os.getpid(), how)
if event == "parse":  # as the line's options are read, before its command runs: Click answers Ctrl-C there with Abort
    import typer.core
    parse = typer.core.TyperGroup.parse_args  # the line's own `jiesu` group, read before its command is invoked
    typer.core.TyperGroup.parse_args = lambda self, ctx, args: (third(), parse(self, ctx, args))[1]
else:
    sa.event.listen(sa.engine.Engine, event, third)
main()
"""


@SIGNALS
@pytest.mark.parametrize(("event", "saved", "said"), [
    ("commit", 3, "第 2–4 行已执行，后面的行未执行；接着执行请从第 5 行开始"),
    ("before_cursor_execute", 2, "第 2–3 行已执行，后面的行未执行；接着执行请从第 4 行开始"),
    # tester 44: Ctrl-C there stopped the script as at a refused line, then said 改动已保存；不要重试
    ("parse", 2, "第 2–3 行已执行，后面的行未执行；接着执行请从第 4 行开始"),
])
def test_a_script_stopped_in_a_line_says_which_lines_ran_and_where_to_go_on(jiesu, how, code, event, saved, said):
    """Tester 43: a script of 300 notes stopped after 233 said 改动已保存；不要重试, and lines 234–300 never ran.
    Line 1 is a heading comment; the notes are lines 2–6, the third on line 4."""
    jiesu.new("楼道灯不亮")
    script = "# 补录\n" + "".join(f"note 1 第{n}条\n" for n in range(1, 6))
    run = subprocess.run(
        [sys.executable, "-c", SIGNAL_IN_THE_THIRD_LINE, how.name, event, "shell"], input=script, capture_output=True, text=True, timeout=120,
    )
    assert (run.returncode, run.stderr.splitlines()[-1]) == (code, f"错误: 已中断；{said}")
    assert [e["note"] for e in jiesu.json("show", "1")["events"][1:]] == [f"第{n}条" for n in range(1, saved + 1)]


def test_a_question_left_with_ctrl_c_ends_its_line_and_files_nothing(jiesu, book):
    """Before: exit 1 and not a word (Click's Abort), after `诉求摘要：` on the same line."""
    terminal, typed = os.openpty()
    new = jiesu_process("new", stdin=typed)
    os.close(typed)
    said = b""
    while "诉求摘要".encode() not in said:
        asked = os.read(new.stderr.fileno(), 4096)
        assert asked, said.decode()
        said += asked
    new.send_signal(signal.SIGINT)
    _, err = new.communicate(timeout=120)
    os.close(terminal)
    assert new.returncode == 130
    assert (said + err).decode().splitlines()[-2:] == ["诉求摘要：", NOTHING_SAVED.rstrip("\n")]
    assert book.counts() == (0, 0)


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="watches the shell through /proc")
def test_ctrl_c_in_the_interactive_shell_stops_the_command_typed_not_the_shell(book):
    terminal, typed = os.openpty()
    shell = jiesu_process("shell", stdin=typed, stdout=typed, stderr=typed)
    os.close(typed)
    shown = bytearray()

    def shown_after(start: int, text: str) -> int:
        """Where `text` ends on the terminal, once it is shown after `start`."""
        while (found := shown.find(text.encode(), start)) < 0:
            more = os.read(terminal, 4096)
            assert more, shown.decode()
            shown.extend(more)
        return found + len(text.encode())

    prompted = shown_after(0, "jiesu> ")
    os.write(terminal, b"new\n")
    asked = shown_after(prompted, "诉求摘要")
    waiting_in_readline(shell.pid)
    shell.send_signal(signal.SIGINT)
    told = shown_after(asked, "错误: 已中断，没有保存任何改动")
    shown_after(told, "jiesu> ")  # asked for the next command
    os.write(terminal, b"exit\n")
    assert shell.wait(timeout=120) == 0
    os.close(terminal)
    assert "Traceback" not in shown.decode()
    assert book.counts() == (0, 0)


def waiting_in_readline(pid: int, timeout: float = 120) -> None:
    """Until process `pid` waits for a key (readline polls the terminal). A Ctrl-C a moment sooner,
    while readline is still setting up the line, was seen lost (1 run in 5: the question then waited
    on, with the signal taken); a person presses Ctrl-C again, a test would wait for ever."""
    deadline = time.monotonic() + timeout
    while "poll" not in Path(f"/proc/{pid}/wchan").read_text():
        assert time.monotonic() < deadline, "the question should wait for an answer"
        time.sleep(0.01)


def _interrupted_at_the_next_statement(conn) -> None:
    """Ctrl-C as it lands inside a statement: SQLAlchemy then invalidates (closes) the connection under the code using it."""

    def interrupt(*_):
        raise KeyboardInterrupt

    sa.event.listen(conn, "before_cursor_execute", interrupt)


@sqlite_only
def test_an_import_interrupted_inside_a_statement_of_its_stage_unwinds_as_the_interruption(store):
    """A tester's Ctrl-C near the end of a big import: `Cannot operate on a closed database` from the stage's
    clean-up (its page cache put back on the connection the interruption had closed), with a traceback."""
    from jiesu.staging import staging

    with pytest.raises(KeyboardInterrupt), staging(store) as stage:
        _interrupted_at_the_next_statement(stage.conn)
        stage.add([])
    with store.connection() as conn:  # the book is open as before
        assert conn.exec_driver_sql("SELECT count(*) FROM cases").scalar() == 0


def test_a_failure_that_came_of_ctrl_c_is_the_interruption_it_came_of():
    """What the CLI tells apart: a clean-up's error raised while Ctrl-C unwound, Click's Abort of a prompt
    left with Ctrl-C (raised `from None`), SIGTERM; and what is no interruption (Ctrl-D at a prompt)."""
    import typer

    from jiesu.interrupts import Interrupted, interruption

    def raised(make):
        try:
            make()
        except BaseException as exc:  # noqa: BLE001 the exception under test
            return exc

    def cleanup_failing():
        try:
            raise KeyboardInterrupt
        finally:
            raise sa.exc.ProgrammingError("PRAGMA cache_size", {}, Exception("Cannot operate on a closed database."))

    def prompt_left(cause):
        try:
            raise cause
        except BaseException:
            raise typer.Abort() from None

    assert interruption(raised(cleanup_failing)).exit_code == 130
    assert interruption(raised(lambda: prompt_left(KeyboardInterrupt()))).exit_code == 130
    assert interruption(raised(lambda: prompt_left(EOFError()))) is None
    terminated = Interrupted(143)
    assert interruption(terminated) is terminated


@sqlite_only
@SIGNALS
def test_an_import_stopped_on_a_book_not_made_yet_says_nothing_was_saved(db_path, how, code):
    """A fresh tester: a new office's first import, stopped, said 改动已保存；不要重试 — the book's own making
    was counted as the change — and the import was never run again, though nothing was saved."""
    assert not db_path.exists()
    command = import_waiting_for_the_rest()
    command.send_signal(how)
    assert ended(command) == (code, NOTHING_SAVED)
    assert not db_path.exists()  # a command that went nowhere leaves no book


# `jiesu new` whose first connection, returned to SQLAlchemy's pool after a commit (the book's version read
# as it opens), gets `how` there: in the pool's own clean-up, which catches the exception, logs it with its
# traceback, and raises it on.
SIGNAL_IN_THE_POOL = """
import os, signal, sys
import sqlalchemy as sa
from jiesu.cli import main
how, committed = signal.Signals[sys.argv.pop(1)], []
sa.event.listen(sa.engine.Engine, "commit", lambda conn: committed.append(1))
sa.event.listen(sa.pool.Pool, "reset", lambda *_: committed and not committed.clear() and os.kill(os.getpid(), how))
main()
"""


@SIGNALS
def test_a_signal_in_the_pools_clean_up_is_one_line_not_its_log(jiesu, book, how, code):
    """Tester 42, 1 TERM in 45 at an import's commit: stderr began with SQLAlchemy's pool log, `Exception
    terminating connection … Traceback`, before (or instead of) jiesu's one line."""
    jiesu.new("已有的诉求")
    run = subprocess.run(
        [sys.executable, "-c", SIGNAL_IN_THE_POOL, how.name, "new", "楼道灯不亮", "-q"], capture_output=True, text=True, timeout=120,
    )
    assert (run.returncode, run.stderr) == (code, NOTHING_SAVED)
    assert [case["summary"] for case in jiesu.json("list")] == ["已有的诉求"]


# `jiesu …` through its real entry point (jiesu.client.main), sent `how` as Python loads Typer, before any
# command began; or as the process exits, once the command has said how it ended (an atexit hook).
SIGNAL_AT_START = """
import builtins, os, signal, sys
how, real = signal.Signals[sys.argv.pop(1)], builtins.__import__
def hooked(name, *args, **kwargs):
    if name == "typer":
        builtins.__import__ = real
        os.kill(os.getpid(), how)
    return real(name, *args, **kwargs)
builtins.__import__ = hooked
from jiesu.client import main
main()
"""
SIGNAL_AT_EXIT = """
import atexit, os, signal, sys, time
how = signal.Signals[sys.argv.pop(1)]
atexit.register(lambda: (os.kill(os.getpid(), how), time.sleep(0.2)))
from jiesu.client import main
main()
"""


def _python(script: str, how: signal.Signals, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, how.name, *args], capture_output=True, text=True, timeout=120)


@SIGNALS
def test_a_signal_while_jiesu_loads_is_one_line(db_path, how, code):
    """Tester 43: Ctrl-C in a command's first 60 ms printed a Python traceback (from Typer's imports), and TERM
    there ended it without a word."""
    run = _python(SIGNAL_AT_START, how, "new", "楼道灯不亮", "-q")
    assert (run.returncode, run.stderr) == (code, NOTHING_SAVED)
    assert not db_path.exists()


@SIGNALS
def test_a_signal_once_the_command_has_said_its_ending_is_ignored(jiesu, how, code):
    """Tester 43: a note saved and said (`#1 已备注`), then a signal as the process exited: it died of it, exit 130 or
    143, and a script that retries an interrupted command added the note twice. (Here, in an atexit hook, it
    printed a traceback.)"""
    jiesu.new("楼道灯不亮")
    run = _python(SIGNAL_AT_EXIT, how, "note", "1", "已联系")
    assert (run.returncode, run.stderr) == (0, "#1 已备注\n")
    assert [event["note"] for event in jiesu.json("show", "1")["events"]][1:] == ["已联系"]


@SIGNALS
def test_a_signal_in_a_commit_waits_for_its_count(tmp_path, how, code):
    """A signal that lands while a change commits is delivered once the commit is counted, so the line
    says what happened: a fresh tester's import stopped in its COMMIT said 没有保存 of 35,000 saved cases."""
    from jiesu.db import commit_count, open_store
    from jiesu.interrupts import Interrupted, raise_on_sigterm

    raise_on_sigterm()
    store = open_store(str(tmp_path / "book.db"))
    before = commit_count()
    sa.event.listen(store.engine, "commit", lambda conn: os.kill(os.getpid(), how), once=True)  # as the COMMIT begins
    try:
        with pytest.raises((KeyboardInterrupt, Interrupted)):
            with store.connect(write=True) as conn:
                conn.exec_driver_sql("CREATE TABLE t (x)")
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert commit_count() == before + 1
        with store.connect() as conn:
            assert conn.exec_driver_sql("SELECT x FROM t").scalar_one() == 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        store.close()
