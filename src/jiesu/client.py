"""The `jiesu` command itself: hand the command to this user's resident jiesu, or run it here.

Importing Typer, SQLModel and Rich costs a one-shot command about twenty times its own work.
So the `jiesu` entry point imports only what Python has already loaded (`_socket`, `marshal`,
`struct`), and passes the command line, working directory, environment, umask and the three
standard file descriptors themselves (SCM_RIGHTS) to a resident process of the same user
(`jiesu.server`), which has paid the imports once and forks a child to run the very same
command code on the client's own terminal or pipes. The client only waits for the exit code
(passing Ctrl-C and SIGTERM on to the command).

The command runs here instead whenever the resident process is off (`JIESU_SERVER=0`, `off`,
`false` or `no`; a value that is neither on nor off is refused), not
running yet (this command starts it), busy beyond `READY_BOUND` seconds, stale (jiesu was
upgraded: it exits and the next command starts a new one), or unsuitable (`shell`, `server`).
Nothing is ever run twice: the client sends "go" only after the child says it is ready, and
after "go" it never falls back; if the child dies mid-command the client says so. If the client
dies mid-command (kill -9, HUP), the child dies with it, as the command in-process would.

The socket lives in a directory only its owner can enter, and both ends check the other's
uid with SO_PEERCRED, so one user's commands never run in another user's process.
"""

from __future__ import annotations

import _socket
import marshal
import os
import struct
import sys

READY_BOUND = 3.0  # seconds the resident process may take to take a command on (JIESU_SERVER_WAIT)
UNSUITABLE = {"shell", "server"}  # commands always run in-process
GLOBAL_OPTIONS_WITH_VALUE = {"--db", "--actor", "--rules"}
# Environment read at import time (by Python itself, Typer's rich_utils, the locale): a resident
# process is only shared by commands that agree on all of these.
IMPORT_TIME_PREFIXES = ("PYTHON", "LC_")
IMPORT_TIME_NAMES = ("LANG", "TERMINAL_WIDTH", "_TYPER_FORCE_DISABLE_TERMINAL", "GITHUB_ACTIONS", "FORCE_COLOR", "PY_COLORS", "TYPER_USE_RICH")
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# What JIESU_SERVER may say, in any case: on (the default) or off.
SWITCH_WORDS = dict.fromkeys(("1", "on", "true", "yes"), True) | dict.fromkeys(("0", "off", "false", "no"), False)


class Refused(Exception):
    """The runtime directory or socket is not safely this user's own: never use it."""


def main() -> None:
    """Console entry point."""
    import _signal

    _signal.signal(_signal.SIGTERM, _terminated)  # until jiesu's own handlers are set (clikit), as Ctrl-C is
    try:
        if sys.stdin is None:  # `<&-`, as some cron and daemon set-ups run: no input, as from /dev/null
            sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 — takes fd 0, which no book file may get
        code = run_via_server(sys.argv)
        if code is None:
            from jiesu.cli import main as run_here

            run_here()
    except (KeyboardInterrupt, _Terminated) as exc:  # while Python loads jiesu, before any command began
        _say("错误: 已中断，没有保存任何改动")  # as clikit.interrupted says it (tester 43 saw a traceback, or nothing)
        code = 143 if isinstance(exc, _Terminated) else 130  # errors.ExitCode.TERMINATED, INTERRUPTED
    for signum in (_signal.SIGINT, _signal.SIGTERM):  # its ending said: a signal now would only kill the exit, and a
        _signal.signal(signum, _signal.SIG_IGN)  # done command would look interrupted (interrupts.finished)
    sys.exit(code)


class _Terminated(BaseException):
    """SIGTERM before jiesu's own handler is set: it unwinds as Ctrl-C does, to say its one line."""


def _terminated(signum, frame) -> None:
    raise _Terminated


def run_via_server(argv: list[str]) -> int | None:
    """The command's exit code as run by the resident process, or None to run it here."""
    try:
        wanted = server_wanted()
    except ValueError as exc:
        _say(f"错误: {exc}")
        return 2  # a usage error (errors.ExitCode.USAGE): nothing was run
    if not wanted or command_word(argv[1:]) in UNSUITABLE:
        return None
    try:
        request = _request(argv)
        place = Place()
        conn = place.connect()
    except Refused as exc:
        _say(f"注意：{exc}，本次命令不经常驻进程执行")
        return None
    except OSError:  # no stdio, cwd gone, no server: run here
        return None
    if conn is None:
        place.start_server()
        return None
    try:
        return _hand_over(conn, request, place)
    finally:
        conn.close()


def server_wanted() -> bool:
    """Whether JIESU_SERVER lets commands go to the resident process (unset or empty: yes); a
    ValueError, its line for people, when it says neither: a typo must not go unnoticed."""
    written = os.environ.get("JIESU_SERVER", "")
    if not written.strip():
        return True
    found = SWITCH_WORDS.get(written.strip().lower())
    if found is None:
        from jiesu.safetext import echoed  # only now: the entry point imports nothing it may not need

        raise ValueError(f"JIESU_SERVER={echoed(written)} 无法识别：关闭常驻进程写 0（或 off、false、no），使用它写 1（或 on、true、yes）")
    return found


def command_word(args: list[str]) -> str | None:
    """The command a command line runs, past the global options (`--db X show 1` → show)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


class Place:
    """Where this user's resident process for this jiesu and this environment listens."""

    def __init__(self) -> None:
        self.directory = runtime_dir()
        self.key = _server_key()
        self.socket_path = os.path.join(self.directory, f"server-{self.key}.sock")

    def connect(self):
        """A connection to the resident process, None when none is listening."""
        try:
            found = os.lstat(self.socket_path)
        except FileNotFoundError:
            return None
        if found.st_uid != os.getuid() or (found.st_mode & 0o170000) != 0o140000:
            raise Refused(f"{self.socket_path} 不是本用户的套接字")
        conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        conn.settimeout(ready_bound())
        try:
            conn.connect(self.socket_path)
        except (ConnectionRefusedError, FileNotFoundError):
            conn.close()
            return None
        except OSError:
            conn.close()
            raise
        if peer_uid(conn) != os.getuid():
            conn.close()
            raise Refused(f"{self.socket_path} 另一端不是本用户的进程")
        return conn

    def start_server(self) -> None:
        """Start the resident process, detached, for the next command; this one runs here."""
        log = os.open(os.path.join(self.directory, f"server-{self.key}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.posix_spawn(
                sys.executable,
                [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); from jiesu.server import main; main()",
                 os.path.dirname(PACKAGE_DIR), self.directory, self.key],
                os.environ,
                file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, log, 1), (os.POSIX_SPAWN_DUP2, log, 2)],
                setsid=True,
            )
        except OSError:
            pass
        finally:
            os.close(log)


def ready_bound() -> float:
    """Seconds to wait for the resident process to take a request on (JIESU_SERVER_WAIT)."""
    return float(os.environ.get("JIESU_SERVER_WAIT", READY_BOUND))


def runtime_dir() -> str:
    """This user's directory for the socket: made owner-only, refused if anyone else can enter."""
    chosen = os.environ.get("JIESU_RUNTIME_DIR")
    if not chosen:
        base = os.environ.get("XDG_RUNTIME_DIR")
        chosen = os.path.join(base, "jiesu") if base else f"/tmp/jiesu-{os.getuid()}"
    try:
        os.mkdir(chosen, 0o700)
    except FileExistsError:
        pass
    found = os.lstat(chosen)
    if (found.st_mode & 0o170000) != 0o040000 or found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise Refused(f"{chosen} 不是只有本用户可进入的目录")
    return chosen


def peer_uid(conn) -> int:
    """The uid of the process at the other end of a Unix socket, as the kernel tells it."""
    return _peer_credentials(conn)[1]


def peer_pid(conn) -> int:
    """The pid of the process at the other end of a Unix socket: for a connection not yet
    accepted, the one that listens on it (the resident process itself, not its spare fork)."""
    return _peer_credentials(conn)[0]


def _peer_credentials(conn) -> tuple[int, int, int]:
    pid_uid_gid = conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", pid_uid_gid)


def stamp() -> str:
    """What changes when jiesu is upgraded or edited: its version and its files' times and sizes."""
    total = 0
    count = 0
    with os.scandir(PACKAGE_DIR) as entries:
        for entry in entries:
            if entry.name.endswith(".py"):
                found = entry.stat()
                total += found.st_mtime_ns ^ found.st_size
                count += 1
    return f"{count}:{total}"


def _server_key() -> str:
    """Which resident process: one per Python, jiesu install and import-time environment."""
    env = os.environ
    facts = [sys.executable, sys.version, PACKAGE_DIR]
    facts += sorted(
        f"{k}={v}" for k, v in env.items()
        if (k.startswith(IMPORT_TIME_PREFIXES) or k in IMPORT_TIME_NAMES) and k != "PYTHONIOENCODING"  # the streams' encodings travel apart
    )
    digest = 0xCBF29CE484222325  # FNV-1a, 64 bits: stdlib hashes cost more to import than to run this
    for byte in "\0".join(facts).encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def _request(argv: list[str]) -> bytes:
    streams = (sys.stdin, sys.stdout, sys.stderr)
    if any(stream is None for stream in streams):
        raise OSError("no standard streams")
    for fd in (0, 1, 2):
        os.fstat(fd)
    umask = os.umask(0o077)
    os.umask(umask)
    return marshal.dumps({
        "argv": list(argv),
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "stamp": stamp(),
        "streams": [(s.encoding, s.errors, s.line_buffering, s.write_through) for s in streams],
    })


def send_request(conn, request: bytes) -> None:
    """The request's length, then the request."""
    conn.sendall(struct.pack("!I", len(request)) + request)


def send_go(conn, fds: tuple[int, ...] = (0, 1, 2)) -> None:
    """Tell the ready child to run the command, on these descriptors (sent only now, so that a
    server that never got to the command holds none of the client's pipes open)."""
    conn.sendmsg([b"G"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))])


def read_line(conn) -> bytes:
    """One reply line from the resident process, b"" if it went away first."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            return b""
        line += chunk
    return line[:-1]


def _hand_over(conn, request: bytes, place: Place) -> int | None:
    try:
        send_request(conn, request)
        ready = read_line(conn)
    except OSError:  # busy beyond the bound, or gone: it never started the command
        return None
    if ready == b"S":  # stale: it is exiting; the next one will be current
        place.start_server()
        return None
    if not ready.startswith(b"R"):
        return None
    child = int(ready[1:])
    conn.settimeout(None)
    forwarded = _forward_signals(child)
    try:
        send_go(conn)
        done = read_line(conn)
    except OSError:
        done = b""
    finally:
        _restore_signals(forwarded)
    if not done.startswith(b"X"):
        _say(f"错误: 常驻的 jiesu 进程（{child}）在执行命令时中断，命令可能已执行、也可能没有；请先查看案卷再决定是否重做")
        return 6  # errors.ExitCode.OUTCOME_UNKNOWN: not 1, which promises that nothing changed
    return int(done[1:])


def _forward_signals(child: int) -> dict:
    """Ctrl-C reaches the client (the terminal's foreground process), and TERM is sent to it (kill,
    systemd, a cron timeout); the command must get them, to stop as in-process jiesu stops: with one
    line saying whether its change was saved, and exit 130 or 143 (clikit). HUP keeps its own action:
    the client dies of it as in-process jiesu would, and its connection closing kills the command
    (see server.py)."""
    import _signal

    def forward(signum, frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass

    return {signum: _signal.signal(signum, forward) for signum in (_signal.SIGINT, _signal.SIGTERM)}


def _restore_signals(previous: dict) -> None:
    import _signal

    for signum, handler in previous.items():
        _signal.signal(signum, handler)


def _say(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
