"""A generator run in a forked child, its items coming back pickled through a pipe.

So that what makes the items (reading and checking an import's rows) runs on one
core while this process uses them (writing them to the book) on another. The
child touches nothing it inherited beyond the generator: the objects alive at the
fork are frozen out of its garbage collection (a database connection it dropped
would be closed on the server, under the parent), and it leaves by `os._exit`,
running no finaliser and no `atexit`.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from jiesu.errors import JiesuError

T = TypeVar("T")


class ChildLost(JiesuError):
    """The child making the items ended without saying it was done: killed, or out of memory."""


@dataclass
class _End:
    """The child's last message: its generator ran out (`raised` None), or raised `raised`."""

    raised: Exception | None


def available() -> bool:
    """Whether this system forks (POSIX)."""
    return hasattr(os, "fork")


def cores() -> int:
    """The CPUs this process may run on (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Child(Generic[T]):
    """The items of `make()`, made in a child forked on entering; iterate it for them, once.

    An exception `make()` raises there is raised here (a domain error, with its own one line);
    a child that dies first raises ChildLost(`lost`, its `{death}` filled in). Leaving the
    block before the last item (an exception while using one) kills the child.
    """

    def __init__(self, make: Callable[[], Iterator[T]], lost: str) -> None:
        self.make = make
        self.lost = lost
        self.pid: int | None = None

    def __enter__(self) -> Child[T]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _serve(self.make, write_end)
        os.close(write_end)
        self.pid, self.pipe = pid, os.fdopen(read_end, "rb")
        return self

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                message = pickle.load(self.pipe)
            except (EOFError, pickle.UnpicklingError):  # cut off where the child died
                raise ChildLost(self.lost.format(death=_death(self._reaped()))) from None
            if message.__class__ is _End:
                self._reaped()
                if message.raised is not None:
                    raise message.raised
                return
            yield message

    def __exit__(self, *exc) -> None:
        self.pipe.close()
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            self._reaped()

    def _reaped(self) -> int:
        """Wait for the child to end; its wait status."""
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        return status


def _serve(make: Callable[[], Iterator[T]], write_end: int) -> None:
    """The child: send each item, then an _End, and leave without unwinding the parent's stack."""
    gc.freeze()
    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or a TERM to the whole group, is the parent's to
        signal.signal(signum, signal.SIG_IGN)  # act on (one line, clikit): it kills the child
    code = 0
    try:
        with os.fdopen(write_end, "wb") as pipe:
            try:
                for item in make():
                    pickle.dump(item, pipe, pickle.HIGHEST_PROTOCOL)
                    pipe.flush()
                end = _End(None)
            except Exception as exc:  # noqa: BLE001 sent to the parent, which raises it
                end = _End(_sendable(exc))
            pickle.dump(end, pipe, pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 the parent has gone (a broken pipe): nobody to tell
        code = 1
    finally:
        os._exit(code)


def _sendable(exc: Exception) -> Exception:
    """`exc` if it survives pickling; else a RuntimeError naming it (a bug's traceback then shows it)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 any failure to pickle or unpickle it
        return RuntimeError(f"in the forked child: {exc!r}")
    return exc


def _death(status: int) -> str:
    """How the child ended, for people: `被信号 9 终止`, or its exit status."""
    if os.WIFSIGNALED(status):
        return f"被信号 {os.WTERMSIG(status)} 终止"
    return f"退出状态 {os.waitstatus_to_exitcode(status)}"
