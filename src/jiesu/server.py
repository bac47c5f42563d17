"""The resident jiesu process: imports everything once, then runs each command in a fork of itself.

Started detached by the first `jiesu` command (see `client.py`), it listens on an owner-only
Unix socket and exits after `JIESU_SERVER_IDLE` seconds (default 600) without a command, when
`jiesu server stop` asks, or when a client finds jiesu's files changed since it started.
Each command runs in a fresh fork (forked before the command came, waiting for it: see
`Server`) with the client's file descriptors on 0, 1 and 2, its
environment, working directory and umask, exactly as `jiesu` run in-process would run it:
the parent never opens a case book, and nothing of one command outlives it, so concurrency
and per-command state are those of separate processes. The rules file is read by each
command as before, so a changed rules file needs no restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import os
import select
import signal
import socket
import sys
import time
import traceback
from datetime import timedelta

from jiesu.client import peer_pid, peer_uid, read_line, stamp

ACCEPT_TICK = 1.0  # seconds between looks at idleness and finished children
STOP_WAIT = 10.0  # seconds `jiesu server stop` waits for the commands still running
DEFAULT_IDLE = 600.0
REMEMBERED_DAYS = 4 * 366  # the local days up to today whose revisit deadline the warm-up works out
HEAP_SLICE = 4096  # objects whose referents the waiting spare touches between looks at the socket
# What the waiting spare faults in for the command's own new memory (`_make_room`): small objects
# (≈ 6 MB of Python's arenas) and blocks the size of a SQLite page in its cache (≈ 6.6 MB of C heap).
ROOM_OBJECTS = 60_000
ROOM_PAGES = 1_500
SQLITE_PAGE_BLOCK = 4_400  # a 4 KiB page and SQLite's header for it
M_TRIM_THRESHOLD = -1  # glibc's mallopt: how much freed memory at the top of the heap it keeps


def main() -> None:
    """`python -c 'from jiesu.server import main; main()' <runtime dir> <key>`, as the client starts it."""
    directory, key = sys.argv[1], sys.argv[2]
    # Held for life, and by every command it forks until that command ends: `server stop` waits on it.
    lock = _hold(os.path.join(directory, f"server-{key}.lock"))
    if lock is None:
        return  # another one is running
    _sign(lock)
    _remove_the_dead(directory, key)
    Server(os.path.join(directory, f"server-{key}.sock"), stamp()).run()


def _hold(path: str):
    """The lock file at `path`, locked; None when another resident process holds it for 3 seconds
    (a stale one may still be finishing its last commands). A lock taken on a file that a new
    resident process removed meanwhile (`_remove_the_dead`) is no lock: the file at `path` is."""
    for _ in range(30):
        lock = open(path, "a")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            time.sleep(0.1)
            continue
        if _is_at(lock.fileno(), path):
            return lock
        lock.close()
    return None


def _sign(lock) -> None:
    """Write who holds the lock (pid and start time) into it: `server stop` and `status` find by it one that is
    still warming up, not listening yet, which `stop` used to call 未运行 and `status` then found 运行中."""
    lock.truncate(0)
    lock.write(f"{os.getpid()} {_started(os.getpid())}\n")
    lock.flush()


def _is_at(fd: int, path: str) -> bool:
    """Whether the open file `fd` is still the file at `path`."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _remove_the_dead(directory: str, key: str) -> None:
    """Remove what resident processes of other keys (another Python, jiesu install or locale) left
    when they ended: a lock file nobody holds, its log and its socket. A live one holds its lock to
    the end, so it is never touched; the lock file goes last, while held here, so that one starting
    for that key meanwhile finds its lock file gone and makes a new one (`_hold`)."""
    for name in os.listdir(directory):
        if not (name.startswith("server-") and name.endswith(".lock")) or name == f"server-{key}.lock":
            continue
        path = os.path.join(directory, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _is_at(fd, path):
                for suffix in (".log", ".sock", ".lock"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path[: -len(".lock")] + suffix)
        except BlockingIOError:
            pass  # alive
        finally:
            os.close(fd)


class Server:
    """The parent: keeps one spare fork waiting on the socket, so that a command never waits for
    a fork; the spare that takes a connection serves it, and the parent forks the next spare."""

    def __init__(self, socket_path: str, files_stamp: str) -> None:
        self.socket_path = socket_path
        self.stamp = files_stamp
        self.started = time.monotonic()
        # One byte appended by each fork that runs a command: how many commands it has served
        # (a status request is not one), counted by the forks themselves, shared by all of them.
        self.served = os.memfd_create("jiesu-served")
        fcntl.fcntl(self.served, fcntl.F_SETFL, os.O_APPEND)
        self.children: set[int] = set()
        self.spare: int | None = None
        self.stopping = False
        self.wake_up, self._wake = os.pipe()  # the stop signal's byte: the accept loop leaves at once
        os.set_blocking(self._wake, False)
        self.taken, self._took = os.pipe()  # a spare's byte: it took a connection
        self._leave, self.stay = os.pipe()  # the spare leaves when the parent closes `stay` (or dies)
        self.idle_limit = float(os.environ.get("JIESU_SERVER_IDLE", DEFAULT_IDLE))

    def run(self) -> None:
        self.command_tree = warm_up()
        gc.freeze()  # what the warm-up built is never collected: forks share its pages instead of copying them
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.lexists(self.socket_path):
            os.unlink(self.socket_path)  # left by one that was killed; we hold the lock
        old_umask = os.umask(0o177)
        listener.bind(self.socket_path)
        os.umask(old_umask)
        listener.listen(64)
        mine = os.stat(self.socket_path).st_ino
        signal.signal(signal.SIGTERM, self._stop)
        last_command = time.monotonic()
        try:
            while not self.stopping:
                if self.spare is None:
                    self.spare = self._fork_spare(listener)
                readable, _, _ = select.select([self.taken, self.wake_up], [], [], ACCEPT_TICK)
                self._reap()
                if self.stopping:
                    break
                if self.taken in readable:
                    os.read(self.taken, 1)
                    self.spare = None  # it is serving its connection now
                    last_command = time.monotonic()
                elif self.children - {self.spare}:  # commands still running
                    last_command = time.monotonic()
                elif time.monotonic() - last_command > self.idle_limit:
                    break
        finally:
            if os.path.exists(self.socket_path) and os.stat(self.socket_path).st_ino == mine:
                os.unlink(self.socket_path)
            listener.close()
            os.close(self.stay)  # the spare, if any, leaves without taking a connection

    def _stop(self, signum, frame) -> None:
        self.stopping = True
        try:
            os.write(self._wake, b"x")
        except BlockingIOError:  # already woken
            pass

    def _reap(self) -> None:
        for pid in list(self.children):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                self.children.discard(pid)
                if pid == self.spare:  # killed while waiting: the loop forks another
                    self.spare = None

    def _fork_spare(self, listener: socket.socket) -> int:
        pid = os.fork()
        if pid:
            self.children.add(pid)
            return pid
        code = 1
        try:
            for fd in (self.wake_up, self._wake, self.taken, self.stay):
                os.close(fd)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

            def waiting() -> list:
                return select.select([listener, self._leave], [], [], 0)[0]

            if not waiting():  # nobody waiting yet: use the time
                _own_the_heap(waiting)
            if not waiting():
                _make_room(waiting)
            readable, _, _ = select.select([listener, self._leave], [], [])
            if self._leave in readable:  # the parent stopped, or died
                os._exit(0)
            conn, _ = listener.accept()
            listener.close()
            os.close(self._leave)
            os.write(self._took, b"t")
            os.close(self._took)
            code = Command(conn, self).serve()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting before the answer
            print(f"pid {os.getpid()}：客户端已断开，未等到回答", file=sys.stderr)
        except BaseException:  # noqa: BLE001 a child must never return into the accept loop
            traceback.print_exc()
        finally:
            os._exit(code)


def _own_the_heap(waiting) -> None:
    """Copy now, while waiting, the parent's pages a command would otherwise copy one at a time.

    A fork shares the parent's memory until either writes to it, and every object a command
    merely looks at gets its reference count written: in a warmed fork, most of `show 1`'s time
    went to the kernel copying those pages on first touch. Touching every object the collector
    knows (taking and dropping a reference to each) copies most of them in one sweep, off the
    clock (≈ 30 ms of CPU, ≈ 27 MB). Then, a slice at a time, the objects those refer to, which
    the collector does not know (strings, numbers, bytes: the names a lookup increfs): this
    takes page faults in a `new` from ≈ 1,050 to ≈ 210 and costs ≈ 50 ms more and ≈ 15 MB, so
    it stops as soon as `waiting()` says a command came (or the parent left).
    """
    gc.unfreeze()
    everything = gc.get_objects()
    gc.freeze()
    for start in range(0, len(everything), HEAP_SLICE):
        if waiting():
            break
        gc.get_referents(*everything[start : start + HEAP_SLICE])
    del everything


def _make_room(waiting) -> None:
    """Fault in now, while waiting, fresh memory of the kinds a command takes, a slice at a time
    until `waiting()` says a command came.

    Memory a process touches for the first time costs a page fault (≈ 2.5 µs on the development
    machine): `todo --assignee 物业公司` took ≈ 650 of them for its rows and SQLite's page cache. Made
    and freed here, small objects leave Python's arenas in place, and blocks of a page's size stay in
    the C heap, which glibc is asked to keep; the command takes ≈ 240 instead. Where there is no
    glibc (no mallopt), only the objects are made room for."""
    made = []
    for start in range(0, ROOM_OBJECTS, HEAP_SLICE):
        if waiting():
            return
        made.append([(number, str(number)) for number in range(start, start + HEAP_SLICE)])
    del made
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(M_TRIM_THRESHOLD, ROOM_PAGES * SQLITE_PAGE_BLOCK * 2)
    except (OSError, AttributeError):
        return
    blocks = [bytes(SQLITE_PAGE_BLOCK) for _ in range(ROOM_PAGES)]
    del blocks


class NotAnswering(Exception):
    """A resident process listens on the socket but does not answer (stopped, or hung)."""

    def __init__(self, pid: int) -> None:
        super().__init__(pid)
        self.pid = pid


class Command:
    """One connection: a control request (`server status/stop`) or one command to run."""

    def __init__(self, conn: socket.socket, server: Server) -> None:
        self.conn = conn
        self.server = server

    def serve(self) -> int:
        conn = self.conn
        conn.settimeout(5)
        if peer_uid(conn) != os.getuid():
            return 1
        request = self._receive()
        if "control" in request:
            return self._control(request["control"])
        if request.get("stamp") != self.server.stamp:
            conn.sendall(b"S\n")
            os.kill(os.getppid(), signal.SIGTERM)
            return 0
        try:
            os.chdir(request["cwd"])
        except OSError:
            conn.sendall(b"U\n")
            return 0
        conn.sendall(b"R%d\n" % os.getpid())
        conn.settimeout(None)
        fds = self._go()
        if not fds:
            return 0  # the client gave up waiting and runs the command itself
        os.write(self.server.served, b"c")
        from jiesu.clikit import STORES

        STORES.close_later()
        finished = _die_with_client(conn)
        code = run_command(request, fds, self.server.command_tree)
        _let_go_of_streams()
        finished.set()
        try:
            conn.sendall(b"X%d\n" % code)
        except OSError:
            pass
        STORES.close_the_rest()  # the user has the answer; the book's WAL checkpoint is ours to wait for
        return code

    def _receive(self) -> dict:
        import marshal
        import struct

        (length,) = struct.unpack("!I", self._exactly(4))
        return marshal.loads(self._exactly(length))

    def _exactly(self, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = self.conn.recv(min(1 << 20, size - len(data)))
            if not chunk:
                raise ConnectionError("request cut short")
            data += chunk
        return bytes(data)

    def _go(self) -> list[int]:
        """The client's "go" and the descriptors that come with it; [] if it gave up."""
        import struct

        go, ancillary, _, _ = self.conn.recvmsg(1, socket.CMSG_SPACE(3 * struct.calcsize("i")))
        fds: list[int] = []
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += struct.unpack(f"{len(data) // 4}i", data[: len(data) // 4 * 4])
        if go != b"G" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            return []
        return fds

    def _control(self, action: str) -> int:
        server = self.server
        if action == "stop":
            os.kill(os.getppid(), signal.SIGTERM)
        uptime = time.monotonic() - server.started
        self.conn.sendall(b"I%d %d %d\n" % (os.getppid(), int(uptime), os.fstat(server.served).st_size))
        return 0


def _die_with_client(conn: socket.socket):
    """Kill this child at once (as the client's death kills an in-process command: what was
    committed stays, the rest rolls back) if the client goes away before the command is
    finished; the event to set when it is. After "go" the client sends nothing more, so
    anything but a block on the connection is its end."""
    import threading

    finished = threading.Event()

    def watch() -> None:
        try:
            conn.recv(1)
        except OSError:
            pass
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()
    return finished


def _let_go_of_streams() -> None:
    """The command is over for its caller: its terminal or pipes are let go now, as an ending
    process lets them go, not when this fork is torn down (whoever reads a pipe, a shell's
    `$(jiesu …)` say, waits for its last writer to close it)."""
    nowhere = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(nowhere, fd)
    os.close(nowhere)


def run_command(request: dict, fds: list[int], command_tree) -> int:
    """Run one jiesu command line in this (forked) process as if it had been started for it."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    streams = [
        _stream(fd, encoding, errors, line_buffering, write_through)
        for fd, (encoding, errors, line_buffering, write_through) in enumerate(request["streams"])
    ]
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from jiesu.cli import main as run_here

    try:
        run_here(command_tree)
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except BaseException:  # noqa: BLE001 what the interpreter would print and exit 1 for
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # what Python exits with when the final flush fails
    return code


def _exit_code(code) -> int:
    """The process exit status Python gives `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _stream(fd: int, encoding: str, errors: str, line_buffering: bool, write_through: bool) -> io.TextIOWrapper:
    """A text stream over fd set up as Python set up the client's own (sys.stdin/stdout/stderr)."""
    raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
    buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="\n", line_buffering=line_buffering, write_through=write_through)


def warm_up():
    """Load all of jiesu and what it stands on, once, so that each fork starts with it loaded;
    the command tree of `jiesu`, built whole.

    Importing is most of it; the rest is what a first command pays once per process (Typer
    building the commands, pydantic and SQLAlchemy building their validators and compiling
    statements: see `db.STATEMENTS`), paid here by running a few commands on a throwaway book, and
    the revisit deadlines of the last few years under the default rules, which `todo` asks for.
    """
    import importlib
    import pkgutil
    import tempfile

    import typer

    import jiesu
    from jiesu import cli
    from jiesu.clikit import build_everything

    for module in pkgutil.iter_modules(jiesu.__path__):
        if module.name != "__main__":
            importlib.import_module(f"jiesu.{module.name}")
    command_tree = typer.main.get_command(cli.app)
    build_everything(command_tree)
    from jiesu.clock import utcnow
    from jiesu.errors import BadOption
    from jiesu.rules import DEFAULT_RULES, remember_day_ends

    with contextlib.suppress(BadOption):  # a JIESU_NOW no command can use: each command refuses it, exit 2
        remember_day_ends(DEFAULT_RULES, utcnow().date() + timedelta(days=1), days=REMEMBERED_DAYS)
    saved_env, saved_out, saved_err = dict(os.environ), os.dup(1), os.dup(2)
    with tempfile.TemporaryDirectory() as scratch, open(os.devnull, "w") as nowhere:
        os.environ.update({"JIESU_DB": os.path.join(scratch, "warm.db"), "JIESU_NOW": "2026-01-05T09:00+08:00", "JIESU_ACTOR": "warm"})
        os.environ.pop("JIESU_RULES", None)
        os.dup2(nowhere.fileno(), 1)
        os.dup2(nowhere.fileno(), 2)
        try:
            for args in WARM_UP:
                try:
                    command_tree(args, prog_name="jiesu")
                except SystemExit:
                    pass
        finally:
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            os.environ.clear()
            os.environ.update(saved_env)
    return command_tree


# What the warm-up runs: every statement of the commands people run most, once, on a scratch book.
WARM_UP = (
    ["new", "楼道灯不亮", "--phone", "13812345678", "--community", "前门社区", "-q"],
    ["new", "暖气不热", "-q"],
    ["show", "1"],
    ["show", "1", "-f", "json"],
    ["list", "--limit", "1"],
    ["list", "-f", "json"],
    ["assign", "1", "王师傅"],
    ["note", "1", "已电话沟通"],
    ["classify", "2", "reasonable"],
    ["visit", "2", "--note", "上门查看"],
    ["close", "2", "--result", "resolved", "--note", "已办结"],
    ["todo"],
    ["todo", "--assignee", "王师傅", "-f", "json"],
    ["report", "daily", "-f", "json"],
    # A case received yesterday and worked on today: yesterday's report winds it back, so the
    # report's statements over the cases as they stood (unions with the wound-back rows) are
    # compiled here too, as any report is once a book has steps after its as-of time.
    ["new", "水管漏水", "--received", "2026-01-04T10:00", "-q"],
    ["assign", "3", "王师傅"],
    ["new", "暖气不热", "--received", "2025-01-06T10:00", "-q"],  # a year back: the seasonal hotspots' counts
    ["report", "daily", "--date", "2026-01-04", "-f", "json"],
)


def wait_stopped(pid: int, seconds: float = STOP_WAIT) -> bool:
    """Wait until the resident process that was `pid` and the commands it runs are gone: its
    lock is free (it and its forks hold it to the end), or `pid` answered by a newer one. False
    when its commands are still running after `seconds`."""
    import fcntl

    from jiesu.client import Place

    place = Place()
    deadline = time.monotonic() + seconds
    with open(os.path.join(place.directory, f"server-{place.key}.lock"), "a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock, fcntl.LOCK_UN)
                return True
            except BlockingIOError:
                if listening_pid() not in (None, pid):
                    return True  # already succeeded by a new one, so the old one has let go
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)


def listening_pid() -> int | None:
    """The pid of the resident process listening now, answering or not; None when none is."""
    try:
        found = control("status")
    except NotAnswering as stuck:
        return stuck.pid
    return found[0] if found else None


def control(action: str) -> tuple[int, int, int] | None:
    """Ask the resident process for (pid, seconds up, commands served); None when none runs;
    NotAnswering when one listens but gives no answer within JIESU_SERVER_WAIT seconds.

    `stop` also asks it to exit once its running commands are done.
    """
    import marshal

    from jiesu.client import Place, send_request

    conn = Place().connect()
    if conn is None:
        return None
    try:
        listener = peer_pid(conn)
        send_request(conn, marshal.dumps({"control": action}))
        reply = read_line(conn)
    except TimeoutError:
        raise NotAnswering(listener) from None
    except OSError:
        return None
    finally:
        conn.close()
    if not reply.startswith(b"I"):
        return None
    pid, uptime, served = (int(part) for part in reply[1:].split())
    return pid, uptime, served


def end_not_answering(pid: int, bound: float = STOP_WAIT) -> bool:
    """End the resident process `pid` that does not answer: SIGTERM (with SIGCONT, should it be
    stopped: it then exits as `stop` asks), and SIGKILL if it is still there after `bound`
    seconds. Whether it took SIGKILL; NotAnswering if even that did not end it in `bound`."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGCONT)
    if _ends_within(pid, bound):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if _ends_within(pid, bound):
        return True
    raise NotAnswering(pid)


def _ends_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def is_running(pid: int) -> bool:
    """Whether process `pid` is there and not a zombie (one its starter left to init, which a
    container's init may never reap, has ended all the same)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _started(pid: int) -> str | None:
    """When process `pid` started (clock ticks after boot): with its pid, which process it is — a pid is reused."""
    fields = _stat(pid)
    return None if fields is None else fields[19]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/`pid`/stat after the process's name, from its state on; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None


def starting_pid() -> int | None:
    """The resident process that holds its lock but does not listen yet (it is warming up), by the pid and start
    time it wrote in the lock file (`_sign`); None when there is none: a lock nobody holds, or held only by the
    commands of one that has gone."""
    from jiesu.client import Place

    place = Place()
    try:
        lock = open(os.path.join(place.directory, f"server-{place.key}.lock"), encoding="ascii")  # noqa: SIM115
    except FileNotFoundError:
        return None
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None  # nobody holds it
        except BlockingIOError:
            written = lock.read().split()
    if len(written) != 2 or not written[0].isdigit():
        return None
    pid = int(written[0])
    return pid if is_running(pid) and _started(pid) == written[1] else None


def stop_once_listening(pid: int, seconds: float) -> tuple[int, int, int] | None:
    """Ask the resident process `pid`, still warming up, to stop as soon as it listens: its answer (as `control`'s),
    or None when it went away first or did not listen within `seconds`."""
    deadline = time.monotonic() + seconds
    while is_running(pid) and time.monotonic() < deadline:
        found = control("stop")
        if found is not None:
            return found
        time.sleep(0.05)
    return None
