"""The resident process: the same bytes and exit codes as in-process, never twice, never another's.

Every test here runs `python -m jiesu` as a real subprocess with its own runtime directory
(conftest), and stops what it started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jiesu import client
from jiesu.cli import COMMANDS
from jiesu.errors import ExitCode
from tests.conftest import FOREIGN_PID, REFUSED_ON_NO_BOOK, eight_new_at_once_make_one_whole_book, fresh_folder, holding_a_part, killed, sqlite_only

pytestmark = sqlite_only  # each mode gets its own book file; the protocol is the same for any store
WAIT = 60.0  # seconds a loaded CI machine may take to start a resident process


class Modes:
    """Run jiesu with the resident process (`server`) or without it (`here`), in a chosen directory."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        # a loaded machine may be slow to fork: wait for the resident process rather than run here
        self.env = os.environ | {"JIESU_SERVER": "1", "JIESU_SERVER_IDLE": "120", "JIESU_SERVER_WAIT": "60"}

    def run(self, mode: str, *args: str, cwd: Path | None = None, stdin: bytes | None = None, **env: str):
        environment = self.env | {"JIESU_SERVER": "1" if mode == "server" else "0"} | env
        return subprocess.run(
            [sys.executable, "-m", "jiesu", *args], input=stdin if stdin is not None else b"", capture_output=True,
            cwd=cwd or self.tmp_path, env=environment, timeout=120,
        )

    def status(self) -> tuple[int, int, int] | None:
        from jiesu.server import control

        return control("status")

    def start(self) -> int:
        """Start the resident process and wait until it answers; its pid."""
        self.run("server", "--version")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = self.status()
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no resident process: {list(Path(os.environ['JIESU_RUNTIME_DIR']).glob('*.log'))}")

    def served(self) -> int:
        return self.status()[2]


@pytest.fixture
def modes(tmp_path, monkeypatch):
    monkeypatch.setenv("JIESU_SERVER", "1")
    monkeypatch.setenv("JIESU_SERVER_IDLE", "120")
    made = Modes(tmp_path)
    yield made
    found = made.status()
    from jiesu.server import control

    control("stop")
    if found:
        _wait_gone(found[0])


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"resident process {pid} did not exit")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a zombie its starter has not reaped yet is gone too
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _scenario() -> list[list[str]]:
    """Command lines that together run every command in cli.COMMANDS, some refused, some misused."""
    return [
        [],
        ["--help"],
        ["--version"],
        ["new", "楼道灯不亮", "--phone", "13812345678", "--community", "前门社区", "--received", "2026-11-20T09:00", "-q"],
        ["new", "暖气不热", "--phone", "13912345678", "--community", "前门社区", "--received", "2026-11-21T10:00"],
        ["new", "暖气还是不热", "--phone", "13912345678", "--community", "前门社区", "--received", "2026-11-21T11:00", "-q"],
        ["list"],
        ["list", "--format", "json"],
        ["show", "1"],
        ["show", "99"],
        ["show", "abc"],
        ["note", "1", "已电话沟通", "--at", "2026-11-20T10:00"],
        ["classify", "1", "reasonable", "--at", "2026-11-20T10:30"],
        ["assign", "1", "王师傅", "--at", "2026-11-20T11:00"],
        ["return", "1", "--reason", "不归我管", "--at", "2026-11-20T11:30"],
        ["assign", "1", "物业", "--at", "2026-11-20T12:00"],
        ["contact", "1", "--at", "2026-11-20T13:00"],
        ["visit", "1", "--note", "上门查看", "--at", "2026-11-20T14:00"],
        ["escalate", "2", "--reason", "需街道协调", "--at", "2026-11-21T12:00"],
        ["extend", "2", "--to", "2026-12-20", "--reason", "等配件", "--at", "2026-11-21T13:00"],
        ["close", "1", "--result", "resolved", "--note", "已换灯泡", "--at", "2026-11-21T09:00"],
        ["revisit", "1", "--satisfaction", "satisfied", "--resolved", "yes", "--at", "2026-11-22T09:00"],
        ["reopen", "1", "--reason", "又不亮了", "--at", "2026-11-23T09:00"],
        ["merge", "3", "--into", "2", "--at", "2026-11-21T14:00"],
        ["export", "--format", "jsonl", "--reveal", "--out", "all.jsonl"],
        ["export", "--format", "csv"],
        ["--db", "other.db", "import", "all.jsonl"],
        ["--db", "other.db", "import", "-", "--format", "jsonl"],
        ["shell"],
        ["hotspots", "--days", "30"],
        ["check"],
        ["backup", "copy.db"],
        ["demo", "--db", "demo.db", "--format", "json"],
        ["ledger", "--help"],
        ["report", "daily", "--date", "2026-11-21"],
        ["report", "daily", "--date", "2026-11-21", "--format", "json"],
        ["rules", "show"],
        ["server", "--help"],
        ["edit", "2", "--address", "前门东大街3号"],
        ["undo", "2"],
        ["todo"],
        ["todo", "--format", "json"],
        ["copy", "--to", "copied.db"],
        ["purge", "--dry-run"],
        ["completion", "bash"],
        ["list", "--nonsense"],
    ]


def test_every_command_gives_the_same_bytes_and_exit_code_through_the_resident_process(modes, tmp_path):
    scenario = _scenario()
    assert {client.command_word(line) for line in scenario} >= set(COMMANDS)
    outputs = {}
    for mode in ("here", "server"):
        if mode == "server":
            modes.start()
            served_before = modes.served()
        place = tmp_path / mode
        place.mkdir()
        outputs[mode] = []
        for line in scenario:
            stdin = b"show 1\nlist\n" if line == ["shell"] else (place / "all.jsonl").read_bytes() if "-" in line else None
            result = modes.run(mode, *line, cwd=place, stdin=stdin, JIESU_DB="jiesu.db")
            outputs[mode].append((line, result.returncode, result.stdout, result.stderr.replace(str(place).encode(), b"<dir>")))
        assert (place / "all.jsonl").read_bytes() and (place / "copy.db").exists()
    for here, served in zip(outputs["here"], outputs["server"]):
        assert here == served
    codes = {code for _, code, _, _ in outputs["here"]}
    assert {0, 1, 2} <= codes  # the scenario has refusals and misuse, not only successes
    assert (tmp_path / "here" / "all.jsonl").read_bytes() == (tmp_path / "server" / "all.jsonl").read_bytes()
    # every line but `shell` and `server` went through the resident process
    suitable = [line for line in scenario if client.command_word(line) not in client.UNSUITABLE]
    assert modes.served() - served_before == len(suitable)


def test_a_terminal_is_the_clients_own_terminal(modes, tmp_path):
    import pty

    modes.start()
    tables = {}
    for mode in ("here", "server"):
        book = tmp_path / f"{mode}.db"
        modes.run(mode, "new", "灯坏", "--phone", "13812345678", "--received", "2026-11-20T09:00", "-q", JIESU_DB=str(book))
        leader, follower = pty.openpty()
        env = modes.env | {"JIESU_SERVER": "1" if mode == "server" else "0", "JIESU_DB": str(book)}
        env.pop("COLUMNS")
        os.set_blocking(leader, True)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("4H", 30, 140, 0, 0))
        process = subprocess.Popen([sys.executable, "-m", "jiesu", "list"], stdin=follower, stdout=follower, stderr=follower, env=env)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert process.wait(timeout=120) == 0
        tables[mode] = b"".join(chunks)
    assert tables["here"] == tables["server"]
    assert b"\x1b" not in tables["here"] and "灯坏".encode() in tables["here"]  # short: TERM=dumb tables are 80 wide
    assert max(len(line.decode()) for line in tables["here"].splitlines()) <= 140  # the terminal's width, not a pipe's


def test_a_command_killed_mid_way_is_reported_not_rerun(modes, tmp_path, book):
    exported, server, command, worker = _an_import_waiting_on_stdin(modes, tmp_path)
    os.kill(worker, signal.SIGKILL)
    command.stdin.write(exported.read_bytes())
    out, err = command.communicate(timeout=120)
    assert command.returncode == ExitCode.OUTCOME_UNKNOWN  # not 1: that promises nothing changed
    assert err.decode().startswith(f"错误: 常驻的 jiesu 进程（{worker}）在执行命令时中断，命令可能已执行、也可能没有")
    assert book.counts() == (0, 0)  # not rerun in-process behind the worker's back
    assert modes.status()[0] == server  # one command's death is not the resident process's


def _an_import_waiting_on_stdin(modes, tmp_path: Path):
    """A one-case JSONL file, and an import of it through the resident process, past 'go' and
    reading its standard input (the empty book exists): the file, the resident process's pid,
    the client and the child running the command."""
    exported = tmp_path / "one.jsonl"
    modes.run("here", "--db", str(tmp_path / "source.db"), "new", "楼道灯不亮", "--received", "2026-11-20T09:00", "-q")
    modes.run("here", "--db", str(tmp_path / "source.db"), "export", "--format", "jsonl", "--reveal", "--out", str(exported))
    modes.run("here", "list")  # the book exists, empty
    server = modes.start()
    command = subprocess.Popen(
        [sys.executable, "-m", "jiesu", "import", "-", "--format", "jsonl"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=modes.env,
        # HUP's own action, as a terminal's jiesu has it, even when the suite itself runs under nohup
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )
    worker = _child_reading(server, command.stdin)
    time.sleep(0.5)  # past 'go': reading stdin, as the import does
    return exported, server, command, worker


def _child_reading(server: int, pipe) -> int:
    """The resident process's child that holds `pipe` as its standard input."""
    ours = os.readlink(f"/proc/self/fd/{pipe.fileno()}")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for child in Path(f"/proc/{server}/task/{server}/children").read_text().split():
            try:
                if os.readlink(f"/proc/{child}/fd/0") == ours:
                    return int(child)
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError("the command never reached the resident process")


@pytest.fixture
def fake_server(tmp_path):
    """A socket at the resident process's address that accepts and then does what the test says."""
    place = client.Place()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(place.socket_path)
    listener.listen(4)
    yield place, listener
    listener.close()
    os.unlink(place.socket_path)


def test_a_resident_process_that_dies_before_starting_the_command_means_it_runs_here_once(modes, fake_server, book):
    place, listener = fake_server
    command = subprocess.Popen([sys.executable, "-m", "jiesu", "new", "楼道灯不亮", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=modes.env)
    conn, _ = listener.accept()
    conn.recv(65536)
    conn.close()  # gone before saying it is ready
    out, err = command.communicate(timeout=120)
    assert (command.returncode, out, err) == (0, b"1\n", b"")
    assert book.counts() == (1, 1)


def test_a_resident_process_busy_beyond_the_bound_means_it_runs_here_once(modes, fake_server, book):
    place, listener = fake_server
    started = time.monotonic()
    result = modes.run("server", "new", "楼道灯不亮", "-q", JIESU_SERVER_WAIT="1")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"1\n", b"")
    assert time.monotonic() - started >= 1
    assert book.counts() == (1, 1)


def test_a_resident_process_of_an_older_jiesu_steps_down(modes, tmp_path, book):
    old = subprocess.Popen(
        [sys.executable, "-c", "import sys; from jiesu.server import Server; Server(sys.argv[1], 'older').run()", client.Place().socket_path],
        env=modes.env, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + WAIT
    while not os.path.exists(client.Place().socket_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    result = modes.run("server", "new", "楼道灯不亮", "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"1\n", b"")
    assert old.wait(timeout=60) == 0, old.stderr.read()
    assert book.counts() == (1, 1)
    _wait_for_new_server(modes)


def _wait_for_new_server(modes) -> None:
    deadline = time.monotonic() + WAIT
    while modes.status() is None and time.monotonic() < deadline:
        time.sleep(0.2)


def test_the_rules_file_is_read_by_each_command_without_a_restart(modes, tmp_path):
    rules = tmp_path / "jiesu.toml"
    server = modes.start()
    shown = []
    for days in (5, 7):
        rules.write_text(f"[deadlines]\nmax_extensions = {days}\n", encoding="utf-8")
        shown.append(modes.run("server", "--rules", str(rules), "rules", "show").stdout)
    here = modes.run("here", "--rules", str(rules), "rules", "show").stdout
    assert shown[0] != shown[1] and shown[1] == here
    assert modes.status()[0] == server


def test_an_idle_resident_process_exits(modes, tmp_path):
    modes.env["JIESU_SERVER_IDLE"] = "1"
    os.environ["JIESU_SERVER_IDLE"] = "1"
    pid = modes.start()
    _wait_gone(pid)
    assert not os.path.exists(client.Place().socket_path)


def test_server_status_and_stop(modes):
    assert modes.run("server", "server", "status").stdout.decode() == "常驻进程：未运行（下一条命令会启动它）\n"
    pid = modes.start()
    assert modes.run("server", "server", "status").stdout.decode().startswith(f"常驻进程：运行中（pid {pid}，")
    stopped = modes.run("server", "server", "stop")
    assert stopped.stderr.decode() == f"常驻进程（pid {pid}）已退出\n"
    assert modes.run("server", "server", "status").stdout.decode() == "常驻进程：未运行（下一条命令会启动它）\n"
    assert not _alive(pid)
    assert modes.run("server", "server", "stop").stderr.decode() == "常驻进程未运行\n"


def _starting() -> int:
    """Start a resident process, as a first command does, and its pid as soon as it holds its lock (it then
    loads jiesu for seconds before it listens)."""
    subprocess.run([sys.executable, "-m", "jiesu", "--version"], capture_output=True, timeout=120, env=os.environ | {"JIESU_SERVER": "1"})
    written: list[str] = []

    def signed() -> bool:
        written[:] = "".join(p.read_text() for p in Path(os.environ["JIESU_RUNTIME_DIR"]).glob("server-*.lock")).split()
        return bool(written)

    _wait_for(signed)
    return int(written[0])


def test_stop_just_after_the_first_command_waits_for_the_starting_process_and_status_then_says_stopped(modes):
    """A fresh tester: `server stop` right after the command that started the resident process said 未运行, and
    `server status` a moment later said 运行中 — it was still loading, not yet listening."""
    pid = _starting()
    shown = modes.run("server", "server", "status").stdout.decode()  # loading still, or (a quick machine) listening
    assert shown.startswith((f"常驻进程：正在启动（pid {pid}）", f"常驻进程：运行中（pid {pid}，")), shown
    stopped = modes.run("server", "server", "stop")
    assert (stopped.returncode, stopped.stderr.decode()) == (0, f"常驻进程（pid {pid}）已退出\n")
    assert not _alive(pid)
    assert modes.run("server", "server", "status").stdout.decode() == "常驻进程：未运行（下一条命令会启动它）\n"


def test_stop_ends_a_starting_process_that_does_not_come_to_listen(modes):
    """One held while it loads (here by SIGSTOP) is ended after JIESU_SERVER_STOP_WAIT, not called 未运行."""
    pid = _starting()
    os.kill(pid, signal.SIGSTOP)
    stopped = modes.run("server", "server", "stop", JIESU_SERVER_STOP_WAIT="1")
    assert stopped.returncode == 0
    assert stopped.stderr.decode().startswith(f"常驻进程（pid {pid}）启动后 1 秒内没有开始接受命令，已结束"), stopped.stderr
    assert not _alive(pid)
    assert modes.run("server", "server", "status").stdout.decode() == "常驻进程：未运行（下一条命令会启动它）\n"


def test_a_resident_process_started_by_a_command_with_a_bad_jiesu_now_starts_all_the_same(modes):
    """Its warm-up asked the first command's JIESU_NOW for today and died of the command's own usage error."""
    assert modes.run("server", "list", JIESU_NOW="明天").returncode == 2
    _wait_for(lambda: modes.status() is not None)
    assert modes.run("server", "list", "--format", "ids").returncode == 0 and modes.served() >= 1


def test_status_where_it_is_turned_off_still_shows_one_running(modes):
    """A tester's `JIESU_SERVER=0 jiesu server status` said 已关闭 while one started earlier ran on (and
    `server stop` then stopped it): it is shown, with what this environment says."""
    assert modes.run("here", "server", "status").stdout.decode() == "常驻进程：已关闭（JIESU_SERVER=0），每条命令单独启动\n"
    pid = modes.start()
    shown = modes.run("here", "server", "status", JIESU_SERVER="off").stdout.decode()
    assert shown.startswith(f"常驻进程：运行中（pid {pid}，")
    assert shown.endswith("个请求）；本环境已关闭它（JIESU_SERVER=off），命令不经它执行，jiesu server stop 可让它退出\n")


def test_jiesu_server_takes_on_and_off_words_and_refuses_any_other(modes, tmp_path):
    """A tester's JIESU_SERVER=off (false, no) was silently ignored and the command went to the resident process."""
    modes.start()
    served_before = modes.served()
    for word in ("0", "off", "False", "NO"):
        assert modes.run("server", "--version", JIESU_SERVER=word).returncode == 0
    assert modes.served() == served_before  # none went through it
    served_before = modes.served()
    for word in ("1", "on", "TRUE", "yes", ""):
        assert modes.run("here", "--version", JIESU_SERVER=word).returncode == 0
    assert modes.served() - served_before == 5
    for line in (["new", "楼道灯不亮"], ["server", "status"], ["shell"]):
        refused = modes.run("server", *line, JIESU_SERVER="offf", JIESU_DB=str(tmp_path / "typo.db"))
        assert (refused.returncode, refused.stdout, refused.stderr.decode()) == (
            2, b"", "错误: JIESU_SERVER='offf' 无法识别：关闭常驻进程写 0（或 off、false、no），使用它写 1（或 on、true、yes）\n"
        )
    assert not (tmp_path / "typo.db").exists()


def test_stop_waits_for_the_commands_still_running_and_says_so(modes, tmp_path):
    """A command in flight keeps running to its end; `stop` says when it did not end in time."""
    pid = modes.start()
    reader, writer = os.pipe()
    environment = modes.env | {"JIESU_DB": str(tmp_path / "slow.db")}
    slow = subprocess.Popen([sys.executable, "-m", "jiesu", "import", "-", "--format", "jsonl"], stdin=reader, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)  # waits on its stdin
    os.close(reader)
    asked = modes.served()
    _wait_for(lambda: modes.served() > asked)  # the import is running
    stopped = subprocess.run([sys.executable, "-m", "jiesu", "server", "stop"], env=modes.env | {"JIESU_SERVER_STOP_WAIT": "1"},
                             capture_output=True, timeout=60)
    assert stopped.stderr.decode() == f"常驻进程（pid {pid}）已不再接受命令；还有命令在执行，1 秒内未结束，执行完后退出\n"
    assert modes.status() is None  # no longer listening
    os.close(writer)  # the command ends: an empty import
    assert slow.wait(timeout=60) in (0, 1)
    _wait_gone(pid)


def test_a_write_answers_before_its_book_is_closed_and_the_book_is_closed_after(modes, tmp_path):
    """The fork sends the exit code once the command has committed and flushed its output, and
    closes the book (SQLite's WAL checkpoint) after: by the time it has gone, the book is whole
    and nothing is left beside it, as after the same command in-process."""
    target = tmp_path / "written.db"
    pid = modes.start()
    for _ in range(3):
        done = modes.run("server", "--db", str(target), "new", "楼道灯不亮", "--community", "前门社区", "-q")
        assert (done.returncode, done.stderr) == (0, b"")
    assert modes.run("server", "server", "stop").returncode == 0  # waits for the forks to end
    _wait_gone(pid)
    assert sorted(p.name for p in tmp_path.glob("written.db*")) == ["written.db"]
    import sqlite3

    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (3,)
        assert conn.execute("SELECT count(*) FROM events WHERE kind = 'filed'").fetchone() == (3,)


def test_a_command_after_stop_starts_a_new_resident_process(modes):
    old = modes.start()
    modes.run("server", "server", "stop")
    new = modes.start()
    assert new != old and not _alive(old)


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a socket another user owns")
NOBODY = 65534


@root_only
def test_a_socket_owned_by_another_user_is_refused(modes, fake_server, book):
    place, listener = fake_server
    os.chown(place.socket_path, NOBODY, NOBODY)
    result = modes.run("server", "new", "楼道灯不亮", "-q")
    assert result.stderr.decode() == f"注意：{place.socket_path} 不是本用户的套接字，本次命令不经常驻进程执行\n"
    assert (result.returncode, result.stdout) == (0, b"1\n")
    listener.settimeout(0.5)
    with pytest.raises(TimeoutError):
        listener.accept()  # it never even connected
    assert book.counts() == (1, 1)


@root_only
def test_a_socket_served_by_another_users_process_is_refused(modes, tmp_path, book):
    path = client.Place().socket_path
    ready = tmp_path / "listening"
    script = (
        "import os, socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); "
        f"os.setresgid({NOBODY}, {NOBODY}, {NOBODY}); os.setresuid({NOBODY}, {NOBODY}, {NOBODY}); s.listen(4); "
        "open(sys.argv[2], 'w').close() if False else None; print('ok', flush=True); c, _ = s.accept(); time.sleep(30)"
    )
    impostor = subprocess.Popen([sys.executable, "-c", script, path, str(ready)], stdout=subprocess.PIPE)
    try:
        assert impostor.stdout.readline() == b"ok\n"
        result = modes.run("server", "new", "楼道灯不亮", "-q")
        assert result.stderr.decode() == f"注意：{path} 另一端不是本用户的进程，本次命令不经常驻进程执行\n"
        assert (result.returncode, result.stdout) == (0, b"1\n")
        assert book.counts() == (1, 1)
    finally:
        impostor.kill()
        impostor.wait()
        os.unlink(path)


def test_a_runtime_directory_others_can_enter_is_refused(modes, tmp_path, book):
    open_dir = tmp_path / "shared"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    result = modes.run("server", "new", "楼道灯不亮", "-q", JIESU_RUNTIME_DIR=str(open_dir))
    assert result.stderr.decode() == f"注意：{open_dir} 不是只有本用户可进入的目录，本次命令不经常驻进程执行\n"
    assert (result.returncode, result.stdout) == (0, b"1\n")
    assert list(open_dir.iterdir()) == []


def test_the_client_imports_nothing_heavy():
    probe = "import sys, jiesu.client; print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'sqlalchemy', 'rich', 'json', 'socket', 'jiesu')))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['jiesu', 'jiesu.client']"


def test_the_installed_jiesu_script_imports_only_the_client():
    """pip's generated console-script wrapper imports `re` first (half a `python -c pass`)."""
    script = Path(sys.executable).with_name("jiesu")
    script = script if script.exists() else Path(shutil.which("jiesu") or "")
    assert script.is_file(), "the jiesu script is not installed"
    imports = [line for line in script.read_text(encoding="utf-8").splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from jiesu.client import main"]


def test_a_book_of_an_older_or_newer_schema_is_migrated_or_refused_as_in_process(modes, tmp_path, monkeypatch):
    """The resident process comes warmed with compiled SQL, never with a book: each command still
    checks its book's schema, migrating an older one and refusing a newer one, byte for byte as here."""
    import sqlite3

    from jiesu import db, migrations

    with monkeypatch.context() as old_code:
        old_code.setattr(db, "MIGRATIONS", migrations.MIGRATIONS[:1])
        old_code.setattr(db, "LATEST", 1)
        db.open_store(str(tmp_path / "old.db")).close()
    modes.run("here", "new", "楼道灯不亮", "--received", "2026-11-20T09:00", "-q", JIESU_DB=str(tmp_path / "newer.db"))
    with sqlite3.connect(tmp_path / "newer.db") as conn:
        conn.execute("INSERT INTO jiesu_schema VALUES (999, 'from the future', '2030-01-01')")
    conn.close()
    modes.start()
    served_before = modes.served()
    outputs = {}
    for mode in ("here", "server"):
        for name in ("old", "newer"):
            copy = tmp_path / f"{mode}-{name}.db"
            shutil.copyfile(tmp_path / f"{name}.db", copy)
            for line in (["new", "暖气不热", "--received", "2026-11-21T09:00", "-q"], ["list", "--format", "json"]):
                result = modes.run(mode, *line, JIESU_DB=str(copy))
                outputs.setdefault(mode, []).append((result.returncode, result.stdout, result.stderr.replace(str(copy).encode(), b"<book>")))
    assert outputs["here"] == outputs["server"]
    assert [code for code, _, _ in outputs["server"]] == [0, 0, 1, 1]
    assert outputs["server"][2][2] == f"错误: <book> 由更新版本的 jiesu 写入（架构 999，本程序只认识到 {migrations.LATEST}）；请升级 jiesu\n".encode()
    assert modes.served() - served_before == 4  # all four went through the resident process


def test_eight_new_at_once_on_a_book_not_yet_made_make_it_whole_as_in_process(modes, jiesu, book_at, tmp_path):
    """Each command's fork opens its book afresh: eight started at once on a path with no book yet
    find it whole, and say nothing of an upgrade, as in-process (test_reliability.py)."""
    modes.start()
    served_before = modes.served()
    for round_ in range(3):
        eight_new_at_once_make_one_whole_book(tmp_path / f"new-{round_}.db", modes.env, jiesu, book_at)
    assert modes.served() - served_before == 3 * 8  # all went through the resident process


def test_a_cached_statement_takes_each_commands_own_values(jiesu):
    """Statements are compiled once per process and shared by every book: the values of each run
    (here the statuses inside `selective`, which SQLite plans with likelihood()) still come from it."""
    from jiesu import backend, db
    from jiesu.queries import CASES

    open_new = backend.selective(CASES.c.status == "new")
    closed = backend.selective(CASES.c.status == "closed")
    assert open_new._generate_cache_key() == closed._generate_cache_key()  # one compiled statement …
    assert open_new._generate_cache_key()[1][0].value == "new"  # … taking its values at each run
    first = jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")
    second = jiesu.new("暖气不热", "--received", "2026-11-20T10:00")
    jiesu.ok("classify", second, "consult", "--at", "2026-11-20T11:00")
    jiesu.ok("visit", second, "--note", "上门", "--at", "2026-11-20T12:00")
    jiesu.ok("close", second, "--result", "answered", "--note", "已解答", "--at", "2026-11-20T13:00")
    assert [case["id"] for case in jiesu.json("list")] == [first]
    assert [case["id"] for case in jiesu.json("list", "--status", "closed")] == [second]
    assert len(db.STATEMENTS._compiled) > 0


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGHUP], ids=["KILL", "HUP"])
def test_a_client_gone_before_the_commit_takes_its_command_with_it(modes, tmp_path, book, how):
    """As in-process: the signal that ends `jiesu` ends its command, and the exit status is the signal's."""
    exported, server, command, worker = _an_import_waiting_on_stdin(modes, tmp_path)
    command.send_signal(how)
    assert command.wait(timeout=60) == -how
    try:
        command.stdin.write(exported.read_bytes())  # what it would have filed, had it lived on
        command.stdin.close()
    except BrokenPipeError:
        pass
    _wait_for(lambda: not _alive(worker))
    assert book.counts() == (0, 0)  # a retrying script files it once, not twice
    assert modes.status()[0] == server


@pytest.mark.parametrize("action", ["status", "stop"])
def test_status_and_stop_in_a_runtime_directory_others_can_enter_say_so(modes, tmp_path, action):
    open_dir = tmp_path / "shared"
    open_dir.mkdir()
    open_dir.chmod(0o755)
    result = modes.run("server", "server", action, JIESU_RUNTIME_DIR=str(open_dir))
    assert result.stderr.decode() == f"错误: {open_dir} 不是只有本用户可进入的目录，无法与常驻进程通信\n"
    assert (result.returncode, result.stdout) == (1, b"")


@root_only
@pytest.mark.parametrize("action", ["status", "stop"])
def test_status_and_stop_on_a_socket_owned_by_another_user_say_so(modes, fake_server, action):
    place, listener = fake_server
    os.chown(place.socket_path, NOBODY, NOBODY)
    result = modes.run("server", "server", action)
    assert result.stderr.decode() == f"错误: {place.socket_path} 不是本用户的套接字，无法与常驻进程通信\n"
    assert (result.returncode, result.stdout) == (1, b"")


def _in_turn(modes, tmp_path):
    """In-process, then through the resident process (started for its turn), each in a folder of its own."""
    for mode in ("here", "server"):
        if mode == "server":
            modes.start()
        place = tmp_path / mode
        place.mkdir()
        yield mode, place


def test_a_full_disk_gives_the_same_line_and_exit_code_through_the_resident_process(modes, tmp_path):
    """The saved change that could not be shown exits 5, a read 1, in both modes (a tester's `> /dev/full`
    exited 0 only because an earlier `export --out /dev/full` had put a plain file where the device was)."""
    outcomes = {}
    for mode, place in _in_turn(modes, tmp_path):
        environment = modes.env | {"JIESU_SERVER": "1" if mode == "server" else "0", "JIESU_DB": "jiesu.db"}
        outcomes[mode] = []
        lines = (["new", "楼道灯不亮", "-q"], ["list"], ["show", "1", "--format", "table"], ["report", "daily"], ["export", "--format", "csv"])
        for line in lines:
            with open("/dev/full", "w") as full:
                done = subprocess.run([sys.executable, "-m", "jiesu", *line], stdout=full, stderr=subprocess.PIPE,
                                      cwd=place, env=environment, timeout=120)
            outcomes[mode].append((done.returncode, done.stderr.decode()))
    assert outcomes["here"] == outcomes["server"]
    assert outcomes["here"] == [
        (5, "错误: 改动已保存，但结果无法输出（磁盘已满）；不要重试，用 jiesu list 或 jiesu show 查看\n"),
        *[(1, "错误: 结果无法输出（磁盘已满）\n")] * 4,  # the export never says 已导出
    ]


def test_a_refusal_after_output_was_buffered_for_a_full_disk_still_says_its_line(modes, tmp_path):
    """A CSV row GBK cannot hold, refused after the rows before it were buffered for a full stdout: the
    resident process said nothing (the failing flush of stdout silenced stderr)."""
    outcomes = {}
    for mode, place in _in_turn(modes, tmp_path):
        environment = modes.env | {"JIESU_SERVER": "1" if mode == "server" else "0", "JIESU_DB": "jiesu.db", "PYTHONIOENCODING": "gbk"}
        for summary in ("楼道灯不亮", "䶮 家门口漏水"):
            modes.run(mode, "new", summary, "-q", cwd=place, JIESU_DB="jiesu.db")
        with open("/dev/full", "w") as full:
            done = subprocess.run([sys.executable, "-m", "jiesu", "export", "--format", "csv"], stdout=full,
                                  stderr=subprocess.PIPE, cwd=place, env=environment, timeout=120)
        outcomes[mode] = (done.returncode, done.stderr.decode("gbk"))
    # A CSV for a stdout that is not UTF-8 is held back until its last row is in: the row is met first in both modes.
    assert outcomes["here"] == outcomes["server"] == (
        1, "错误: id 为 2 的一行，summary 有输出编码 gbk 无法表示的字符 U+4DAE；请设 PYTHONIOENCODING=utf-8，或用 --out 写入文件\n"
    )


def test_a_saved_change_whose_line_cannot_go_to_stderr_exits_5_in_both_modes(modes, tmp_path):
    """A tester's `jiesu note 1 x 2>/dev/full` exited 1 (nothing changed) though the note was saved, and so
    did `new`, `assign` and `undo`: a cron script that retries on 1 would file the case twice. A refusal
    whose line cannot be written still exits 1; what `-q` prints to stdout still arrives."""
    outcomes = {}
    for mode, place in _in_turn(modes, tmp_path):
        environment = modes.env | {"JIESU_SERVER": "1" if mode == "server" else "0", "JIESU_DB": "jiesu.db"}
        outcomes[mode] = []
        lines = (["new", "周五"], ["new", "零开头", "-q"], ["note", "1", "x"], ["assign", "1", "乙"], ["undo"], ["note", "9", "x"],
                 ["export", "--out", "cases.csv"], ["backup", "copy.db"])
        for line in lines:
            with open("/dev/full", "w") as full:
                done = subprocess.run([sys.executable, "-m", "jiesu", *line], stdout=subprocess.PIPE, stderr=full,
                                      cwd=place, env=environment, timeout=120)
            outcomes[mode].append((done.returncode, done.stdout))
        kinds = [event["kind"] for event in json.loads(modes.run(mode, "show", "1", "-f", "json", cwd=place, JIESU_DB="jiesu.db").stdout)["events"]]
        outcomes[mode].append(kinds)
    assert outcomes["here"] == outcomes["server"]
    # a file written whole whose 已导出 cannot be said is saved too (it exited 1)
    assert outcomes["here"] == [(5, b""), (0, b"2\n"), (5, b""), (5, b""), (5, b""), (1, b""), (5, b""), (5, b""), ["filed", "noted", "assigned", "undone"]]
    assert all((place / name).is_file() for place in (tmp_path / "here", tmp_path / "server") for name in ("cases.csv", "copy.db"))


def test_a_bad_option_value_is_a_usage_error_through_the_resident_process_too(modes, tmp_path):
    """A value parsed inside the command (a time, a period, a format) exits 2 in both modes, as an unknown option does."""
    outcomes = {}
    for mode, place in _in_turn(modes, tmp_path):
        outcomes[mode] = [
            (done.returncode, done.stdout, done.stderr.decode())
            for done in (
                modes.run(mode, *line, cwd=place, JIESU_DB="jiesu.db")
                for line in (["list", "--since", "foo"], ["report", "monthly", "--period", "2026-13"], ["export", "--format", "ods"])
            )
        ]
    assert outcomes["here"] == outcomes["server"]
    assert outcomes["here"] == [
        (2, b"", "错误: 无法识别的时间 'foo'；可用：ISO 日期时间（2026-10-01、2026-10-01T08:30）、today、yesterday、今天、昨天、前天（可加钟点：yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h、+3d\n"),
        (2, b"", "错误: '2026-13' 不是期间；应写作 YYYY-MM，如 2026-10\n"),
        (2, b"", "错误: 未知的导出格式 'ods'；可选：csv, xlsx, json, jsonl, open311-json, open311-xml\n"),
    ]


def test_a_write_through_the_resident_process_removes_a_dead_writers_part_and_leaves_a_live_ones(modes, tmp_path):
    """The forked command takes the part files' locks itself: a killed writer's part (for another name) goes, a live one's stays."""
    for mode, place in _in_turn(modes, tmp_path):
        dead, live = (place / f".{name}.{FOREIGN_PID}.jiesu-part" for name in ("old.jsonl", "other.csv"))
        killed(holding_a_part(dead))
        holder = holding_a_part(live)
        try:
            for line in (["new", "楼道灯不亮"], ["export", "--out", "all.jsonl"]):
                done = modes.run(mode, *line, cwd=place, JIESU_DB="jiesu.db")
                assert done.returncode == 0, (mode, done.stderr.decode())
            assert sorted(p.name for p in place.iterdir() if not p.name.startswith("jiesu.db")) == [live.name, "all.jsonl"], mode
        finally:
            killed(holder)


def test_a_refused_command_makes_no_book_through_the_resident_process_either(modes, tmp_path):
    """A command refused on a path with no book yet leaves no file there in both modes; one that goes through makes it, owner-only."""
    for mode, place in _in_turn(modes, tmp_path):
        folder, before = fresh_folder(place)
        for args, code in REFUSED_ON_NO_BOOK:
            done = modes.run(mode, "--db", "new.db", *args, cwd=folder)
            assert (done.returncode, b"Traceback" in done.stderr) == (code, False), (mode, args, done.stderr.decode())
            assert sorted(p.name for p in folder.iterdir()) == before, (mode, args)
        done = modes.run(mode, "--db", "new.db", "new", "漏水", "-q", cwd=folder)
        assert (done.returncode, done.stdout) == (0, b"1\n"), done.stderr.decode()
        assert stat.S_IMODE(os.stat(folder / "new.db").st_mode) == 0o600


def test_an_output_whose_reader_went_away_exits_5_after_a_save_and_0_after_a_read_in_both_modes(modes, tmp_path):
    """A tester's `jiesu new x -q | (exec 0<&-; sleep 2)` exited 120 through the resident process (Python's
    failed flush at exit) and 0 without it, though the case was filed: a script would file it again. A read
    cut short by its reader (`| head`) is done, quietly, in both modes (it exited 120 through the resident
    process): the reader asked for no more (test_cli_workflow.py)."""
    outcomes = {}
    for mode, place in _in_turn(modes, tmp_path):
        environment = modes.env | {"JIESU_SERVER": "1" if mode == "server" else "0", "JIESU_DB": "jiesu.db"}
        outcomes[mode] = []
        for line in (["new", "楼道灯不亮", "-q"], ["list", "--format", "json"], ["show", "1", "--format", "ids"]):
            reader, writer = os.pipe()
            os.close(reader)  # gone before the command writes
            try:
                done = subprocess.run([sys.executable, "-m", "jiesu", *line], stdout=writer, stderr=subprocess.PIPE,
                                      cwd=place, env=environment, timeout=120)
            finally:
                os.close(writer)
            outcomes[mode].append((done.returncode, done.stderr.decode()))
        outcomes[mode].append(modes.run(mode, "list", "--format", "ids", cwd=place, JIESU_DB="jiesu.db").stdout)
    assert outcomes["here"] == outcomes["server"]
    assert outcomes["here"] == [
        (5, "错误: 改动已保存，但结果无法输出（读取输出的程序已不再读取）；不要重试，用 jiesu list 或 jiesu show 查看\n"),
        (0, ""),
        (0, ""),
        b"1\n",  # filed once
    ]


def test_a_save_whose_stderr_blocks_and_then_loses_its_reader_exits_5_in_both_modes(modes, tmp_path):
    """A tester's `jiesu new y 2>fifo`, the FIFO's buffer full and its reader leaving without reading,
    exited 1 (nothing changed, safe to retry) through the resident process though the case was filed."""
    outcomes = {}
    for mode, place in _in_turn(modes, tmp_path):
        environment = modes.env | {"JIESU_SERVER": "1" if mode == "server" else "0", "JIESU_DB": "jiesu.db"}
        modes.run("here", "list", cwd=place, JIESU_DB="jiesu.db")  # the book exists, empty: the case shows as soon as it is filed
        reader, writer = os.pipe()
        os.set_blocking(writer, False)
        try:
            while True:
                os.write(writer, b"x" * 4096)  # fill the pipe: the command's 已受理 line blocks
        except BlockingIOError:
            os.set_blocking(writer, True)
        command = subprocess.Popen([sys.executable, "-m", "jiesu", "new", "楼道灯不亮"], stdout=subprocess.PIPE, stderr=writer,
                                   cwd=place, env=environment)
        os.close(writer)
        _wait_for(lambda: modes.run("here", "list", "--format", "ids", cwd=place, JIESU_DB="jiesu.db").stdout == b"1\n")
        time.sleep(0.5)  # past the commit: writing its line, blocked
        os.close(reader)  # the reader leaves without reading
        out, _ = command.communicate(timeout=120)
        outcomes[mode] = (command.returncode, out, modes.run(mode, "list", "--format", "ids", cwd=place, JIESU_DB="jiesu.db").stdout)
    assert outcomes["here"] == outcomes["server"] == (5, b"", b"1\n")


def test_status_counts_the_commands_served_not_the_status_requests(modes, tmp_path):
    """A tester's two `jiesu server status` in a row said 已处理 3, then 4 个请求: each counted itself."""
    modes.start()
    counts = []
    for mode in ("server", "here", "server", "here"):  # `server status` itself always runs on its own
        modes.run(mode, "--version")  # through the resident process only when it is on
        shown = [modes.run(mode, "server", "status").stdout.decode() for _ in range(2)]
        assert shown[0].split("已运行")[0] == shown[1].split("已运行")[0]
        counts += [int(line.split("已处理 ")[1].split(" ")[0]) for line in shown]
    assert counts == [1, 1, 1, 1, 2, 2, 2, 2]


def test_a_new_resident_process_removes_what_dead_ones_left_and_never_a_live_ones(modes, tmp_path):
    """A tester's runtime folder held a server-*.lock and server-*.log for each of some 50 resident
    processes that had ever run (one per Python, install and locale)."""
    directory = Path(client.runtime_dir())  # made owner-only, as the first command makes it
    dead = [directory / f"server-{'d' * 16}{suffix}" for suffix in (".lock", ".log", ".sock")]
    live = [directory / f"server-{'a' * 16}{suffix}" for suffix in (".lock", ".log")]
    others = [directory / name for name in ("server-notes.txt", "mine.lock")]
    for path in dead + live + others:
        path.write_text("")
    holder = subprocess.Popen(  # a live resident process of another key holds its lock to its end
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); print(flush=True); sys.stdin.read()",
         str(live[0])], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    try:
        holder.stdout.readline()
        modes.start()
        assert not any(path.exists() for path in dead)
        assert all(path.exists() for path in live + others)
        own = client.Place()
        assert {path.name for path in directory.iterdir()} == {path.name for path in live + others} | {
            f"server-{own.key}.{suffix}" for suffix in ("lock", "log", "sock")
        }
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def _crash_writing(book: Path, sql: str) -> None:
    """A writer that dies holding the book open: what it wrote stays in the book's `-wal`."""
    code = f"import os, sqlite3; c = sqlite3.connect({str(book)!r}); c.execute('PRAGMA wal_autocheckpoint=0'); c.execute({sql!r}); c.commit(); os._exit(0)"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_damaged_book_is_restored_from_its_backup_as_the_readme_says(tmp_path):
    """A fresh tester: `check` said 请从备份恢复 and nothing said how; `copy --to jiesu.db` is refused (it holds
    cases), and a backup moved over jiesu.db with the damaged book's -wal beside it has the old log replayed
    onto it. The README's steps, run as written, with the resident process on (JIESU_SERVER unset)."""
    from tests.test_docs import README

    home = tmp_path / "home"
    home.mkdir()
    script = Path(sys.executable).with_name("jiesu")
    script = script if script.exists() else Path(shutil.which("jiesu") or "")
    drop = ("JIESU_SERVER", "JIESU_DB", "XDG_DATA_HOME")
    env = {k: v for k, v in os.environ.items() if k not in drop} | {"HOME": str(home), "PATH": f"{script.parent}:{os.environ['PATH']}"}
    env |= {"JIESU_SERVER_WAIT": "60", "JIESU_SERVER_IDLE": "120"}  # a loaded machine may be slow to fork

    def jiesu(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(script), *args], capture_output=True, text=True, cwd=home, env=env, timeout=120)

    try:
        book = home / ".local" / "share" / "jiesu" / "jiesu.db"
        for summary in ("案A", "案B"):
            assert jiesu("new", summary, "-q").returncode == 0
        (home / "备份").mkdir()
        assert jiesu("backup", str(home / "备份" / "jiesu-2026-11-27.db")).returncode == 0
        assert jiesu("new", "案C", "-q").returncode == 0
        assert jiesu("server", "status").stdout.startswith("常驻进程：运行中")  # the commands went through it
        _crash_writing(book, "UPDATE cases SET status = 'closed' WHERE id = 1")
        checked = jiesu("check")
        assert checked.returncode == 1
        assert checked.stderr.splitlines()[-1] == "错误: 发现 4 处问题；请从备份恢复（步骤见 jiesu backup --help），或联系维护人员"
        assert "mv jiesu.db* 损坏/" in jiesu("backup", "--help").stdout
        _crash_writing(book, "UPDATE cases SET summary = '坏' WHERE id = 2")
        assert Path(f"{book}-wal").stat().st_size > 0
        steps = README.split("**Restoring a backup (从备份恢复)**", 1)[1].split("\n```sh\n", 1)[1].split("\n```", 1)[0]
        restored = subprocess.run(["bash", "-ec", steps], capture_output=True, text=True, cwd=home, env=env, timeout=300)
        assert restored.returncode == 0, restored.stderr
        assert restored.stderr.splitlines()[-1].startswith("案卷完好")
        assert [case["summary"] for case in json.loads(jiesu("list", "--all", "--format", "json").stdout)] == ["案A", "案B"]
        assert (book.parent / "损坏" / "jiesu.db-wal").exists()  # the damaged book aside with its log, for whoever repairs it
        assert jiesu("new", "案D", "-q").stdout == "3\n"
        assert jiesu("check").stderr.startswith("案卷完好")
    finally:
        jiesu("server", "stop")


@pytest.mark.parametrize("how", ["status", "stop"])
def test_a_stopped_resident_process_is_said_to_run_without_answering_and_stop_ends_it(modes, how):
    """A tester's SIGSTOPped resident process was `未运行` to `status` and `stop` (exit 0, still
    there), and its log gained a BrokenPipeError traceback for each client that gave up."""
    pid = modes.start()
    os.kill(pid, signal.SIGSTOP)
    try:
        shown = modes.run("server", "server", "status", JIESU_SERVER_WAIT="1")
        if shown.returncode == 0:  # the spare fork it made before it stopped, if any, answers once
            shown = modes.run("server", "server", "status", JIESU_SERVER_WAIT="1")
        assert (shown.returncode, shown.stdout, shown.stderr.decode()) == (
            1, b"", f"错误: 常驻进程（pid {pid}）在运行，但 1 秒内没有应答；jiesu server stop 可结束它\n"
        )
        if how == "stop":
            stopped = modes.run("server", "server", "stop", JIESU_SERVER_WAIT="1", JIESU_SERVER_STOP_WAIT="5")
            assert (stopped.returncode, stopped.stderr.decode()) == (0, f"常驻进程（pid {pid}）1 秒内没有应答，已结束（SIGTERM）\n")
            assert not _alive(pid)
            assert modes.run("server", "server", "status").stdout.decode() == "常驻进程：未运行（下一条命令会启动它）\n"
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGCONT)
    if how == "status":  # woken, it answers the request its client gave up on: one line in the log, no traceback
        _wait_for(lambda: modes.status() is not None)

        def log() -> str:
            return "".join(path.read_text(encoding="utf-8") for path in Path(os.environ["JIESU_RUNTIME_DIR"]).glob("server-*.log"))

        _wait_for(lambda: "客户端已断开，未等到回答" in log())  # a new status may be answered before the old request
        assert "Traceback" not in log()


def test_stop_ends_a_stopped_resident_process_whose_spare_fork_took_the_request(modes):
    """The fork waiting for the next command answers for a stopped resident process once: `stop`
    then sees it not leave, and ends it rather than say its commands are still running."""
    pid = modes.start()
    _wait_for(lambda: len(_children(pid)) == 1)  # its spare is waiting
    os.kill(pid, signal.SIGSTOP)
    try:
        stopped = modes.run("server", "server", "stop", JIESU_SERVER_WAIT="1", JIESU_SERVER_STOP_WAIT="1")
        # On a loaded machine the spare may not take the request within the second: not answering, it is ended too.
        said = {f"常驻进程（pid {pid}）1 秒内{why}，已结束（SIGTERM）\n" for why in ("没有按请求退出", "没有应答")}
        assert stopped.returncode == 0 and stopped.stderr.decode() in said, stopped.stderr.decode()
        assert not _alive(pid)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGCONT)


def _children(pid: int) -> list[str]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as found:
        return found.read().split()


def test_a_resident_process_deaf_to_sigterm_is_killed():
    """What `stop` does when SIGTERM does not end one that does not answer: SIGKILL after the bound."""
    from jiesu.server import end_not_answering

    deaf = subprocess.Popen([sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True); sys.stdin.read()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        deaf.stdout.readline()
        assert end_not_answering(deaf.pid, 0.5) is True
        assert deaf.wait(timeout=10) == -signal.SIGKILL
    finally:
        deaf.kill()
        deaf.wait()


@pytest.mark.parametrize(("how", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["Ctrl-C", "TERM"])
def test_ctrl_c_or_term_stops_the_command_in_the_resident_process_as_in_process(modes, book, how, code):
    """Both are passed on to the command, which says the one line in-process jiesu says, with its exit code."""
    from test_interrupts import NOTHING_SAVED, ended, import_waiting_for_the_rest

    modes.run("here", "list")  # the book exists, empty
    modes.start()
    served = modes.served()
    command = import_waiting_for_the_rest(modes.env)
    command.send_signal(how)
    assert ended(command) == (code, NOTHING_SAVED)
    assert modes.served() == served + 1  # it ran there, not here
    assert book.counts() == (0, 0)
