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


class Unencodable(BadInput):
    """The output's encoding cannot hold a character of the output (GBK and 䶮)."""


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
    errno.ENOENT: "找不到该文件",
    errno.EISDIR: "这是文件夹，不是文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EEXIST: "文件已存在",
    errno.ELOOP: "符号链接太多（可能循环）",
    errno.EBUSY: "文件正被占用",
    errno.ETXTBSY: "文件正被占用",
    errno.ENXIO: "设备不存在或未就绪",
    errno.EMFILE: "打开的文件太多",
    errno.ENFILE: "打开的文件太多",
    errno.EFBIG: "文件太大",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused a file, in Chinese: the words jiesu knows, else the error's code (the
    system's own words are English; jiesu's own, raised with an OSError, are already Chinese)."""
    own = exc.strerror if exc.strerror and not exc.strerror.isascii() else None
    return own or OS_REASONS.get(exc.errno) or f"系统错误 {errno.errorcode.get(exc.errno, exc.errno)}"


def toml_place(exc: ValueError) -> str:
    """Where a TOML file went wrong, as people read it: tomllib's message is English and says
    `(at line 3, column 7)` or `(at end of document)`; Python 3.14 also gives lineno/colno."""
    import re

    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if line is None:
        found = re.search(r"at line (\d+), column (\d+)", str(exc))
        if found is None:
            return "末尾"
        line, column = found.groups()
    return f"第 {line} 行第 {column} 列"
