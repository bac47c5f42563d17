"""The domain errors of jiesu and the exit codes the CLI turns them into."""

import errno
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of DESIGN §5."""

    OK = 0
    REFUSED = 1
    USAGE = 2
    THRESHOLD = 3
    PARTLY_DONE = 4  # a batched command (copy) stopped after committing some batches; rerun finishes
    SAVED_OUTPUT_FAILED = 5  # the change was saved, but its output could not be written: do not retry


class JiesuError(Exception):
    """Something the user can fix; its message is one line for people."""

    exit_code = ExitCode.REFUSED


class BadInput(JiesuError):
    """A value in a file, or a well-formed one given on the command line, cannot be used."""


class BadOption(BadInput):
    """A value typed for an option or argument cannot be read (a time, a period, a format): a usage error."""

    exit_code = ExitCode.USAGE


class CaseNotFound(JiesuError):
    """No case has the given id."""


class TransitionRefused(JiesuError):
    """The case's status does not allow this step."""


class RuleViolation(JiesuError):
    """The rules (三上门, deadlines, ledger) forbid this step."""


class StoreError(JiesuError):
    """The database cannot be opened, read or written."""


class PartlyDone(JiesuError):
    """A batched command stopped part-way; what it committed stays, and running it again finishes."""

    exit_code = ExitCode.PARTLY_DONE


# What the system says about a file, as people read it (its own words are English and repeat the path).
OS_REASONS = {
    errno.ENAMETOOLONG: "路径太长，超出系统允许的长度",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "所在的磁盘只读",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EIO: "磁盘读写错误",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused a file: in Chinese where jiesu knows the error, else the system's own words."""
    return OS_REASONS.get(exc.errno) or exc.strerror or f"系统错误 {errno.errorcode.get(exc.errno, exc.errno)}"
