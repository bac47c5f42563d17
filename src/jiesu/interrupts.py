"""Ctrl-C and SIGTERM as one exception that unwinds the command, whatever it was doing.

Ctrl-C raises KeyboardInterrupt wherever the command is; SIGTERM, by default, ends the process
on the spot, without a word. Raised as `Interrupted` instead, it unwinds as Ctrl-C does (an open
transaction rolls back, an import's stage goes), and `clikit.JiesuGroup.main` says one line:
whether the change was saved. Stdlib only, so that `jiesu --help` stays quick.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from jiesu.errors import ExitCode

HELD = (signal.SIGINT, signal.SIGTERM)  # what `held` keeps back from a commit


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM, with the exit code a shell gives a process ended by it (130, 143).

    Not an Exception, as KeyboardInterrupt is not: no `except Exception` in a command swallows it,
    and SQLAlchemy closes a connection it lands in, as it does for Ctrl-C."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code
        self.kept: str | None = None  # what the command left saved and what finishes it, where it knows better (copy)


def raise_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM (systemd, then cron) must not cut the unwinding short
    raise Interrupted(ExitCode.TERMINATED)


def finished() -> None:
    """The command has said how it ended: Ctrl-C or TERM from here on are ignored. They could only cut the exit
    short (Python puts the default handlers back as it finalizes, and the signal then kills the process), and a
    command that had done its work and said so looked interrupted, exit 130 or 143, to a script that retries
    (tester 43: a note added twice). Outside the main thread no handler can be set, nor is a signal delivered."""
    try:
        for signum in HELD:
            signal.signal(signum, signal.SIG_IGN)
    except ValueError:
        pass


def interruption(exc: BaseException) -> Interrupted | None:
    """The interruption behind `exc`: `exc` itself, or what it was raised from or while handling
    (a clean-up that failed after Ctrl-C, Click's Abort of a prompt left with Ctrl-C); None if none is."""
    waiting, seen = [exc], set()
    while waiting:
        found = waiting.pop()
        if found is None or id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, Interrupted):
            return found
        if isinstance(found, KeyboardInterrupt):
            return Interrupted(ExitCode.INTERRUPTED)
        waiting += [found.__cause__, found.__context__]
    return None


@contextmanager
def held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back until the block is done, then delivered as they came: a commit and its
    count stand or fall together, so the line an interruption says (saved or not) is true. A signal that lands
    in a COMMIT is otherwise raised after SQLite has saved, before the count. Outside the main thread, where
    no handler can be set (nor is a signal delivered), the block runs as it is."""
    pending: list[int] = []
    try:
        previous = [(signum, signal.signal(signum, lambda signum, frame: pending.append(signum))) for signum in HELD]
    except ValueError:
        previous = None
    if previous is None:
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous:
            signal.signal(signum, handler)
        if pending:
            signal.raise_signal(pending[0])
