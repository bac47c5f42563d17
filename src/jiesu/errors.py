"""The domain errors of jiesu and the exit codes the CLI turns them into."""

import errno
import re
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from json import JSONDecodeError


class ExitCode(IntEnum):
    """Exit codes of DESIGN §5."""

    OK = 0
    REFUSED = 1
    USAGE = 2
    THRESHOLD = 3
    PARTLY_DONE = 4  # a batched command (copy) stopped after committing some batches; rerun finishes
    SAVED_OUTPUT_FAILED = 5  # the change was saved, but its output could not be written: do not retry
    OUTCOME_UNKNOWN = 6  # the resident process running the command was killed: it may or may not have been done
    INTERRUPTED = 130  # Ctrl-C (SIGINT), as a shell counts a process ended by it: 128 + 2
    TERMINATED = 143  # SIGTERM (kill, systemd, a cron timeout): 128 + 15


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

    @classmethod
    def of(cls, encoding: str, char: str, cell: str = "") -> "Unencodable":
        """The one line that says so: the character, and the cell it is in when known (`id 为 2 的一行，summary`)."""
        found = f"{cell} 有输出编码 {encoding} 无法表示的字符" if cell else f"输出编码 {encoding} 无法表示字符"
        return cls(f"{found} U+{ord(char):04X}；请设 PYTHONIOENCODING=utf-8")


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
    errno.EPIPE: "读取输出的程序已不再读取",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused a file, in Chinese: the words jiesu knows, else the error's code (the
    system's own words are English; jiesu's own, raised with an OSError, are already Chinese)."""
    own = exc.strerror if exc.strerror and not exc.strerror.isascii() else None
    return own or OS_REASONS.get(exc.errno) or f"系统错误 {errno.errorcode.get(exc.errno, exc.errno)}"


TOML_NOT_TOML = "不是合法的 TOML（请检查引号、括号和等号）"
_TOML_AT = re.compile(r" \((?:at line (\d+), column (\d+)|at end of document)\)$")
_TOML_BARE_KEY = re.compile(r"\s*([A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=")
_TOML_HEADER = re.compile(r"\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
_TOML_TWICE = re.compile(r"Cannot declare \(((?:'[A-Za-z0-9_-]+',?\s*)+)\) twice")


def toml_fault(exc: ValueError, source: str) -> str:
    """Where and why the TOML `source` went wrong, as people read it (tomllib's message is English and
    ends `(at line 3, column 7)` or `(at end of document)`): a key or a table written twice, and a date
    no calendar has, by name; anything else as not TOML."""
    english = str(exc)
    found = _TOML_AT.search(english)
    message = english[: found.start()] if found else english
    if not found or found.group(1) is None:
        return f"末尾：{TOML_NOT_TOML}"
    line, column = int(found.group(1)), int(found.group(2))
    lines = source.split("\n")  # TOML's lines, as tomllib counts them (splitlines also breaks at \f, \x1c…)
    text = lines[line - 1] if line <= len(lines) else ""
    return f"第 {line} 行第 {column} 列：{_toml_reason(message, text, column)}"


def _toml_reason(message: str, text: str, column: int) -> str:
    """Why tomllib refused the line `text` at `column`, in Chinese. A date no calendar has is named
    whatever tomllib made of it (2026-02-30 is an invalid date to it, 2026-13-01 a number and junk)."""
    from jiesu.clock import WRITTEN_DAY, date_refused  # clock raises these errors

    for day in WRITTEN_DAY.finditer(text):
        reason = date_refused(day) if day.start() <= column - 1 <= day.end() else None
        if reason:
            return f"日期 {day.group()} 不存在：{reason}"
    if message == "Cannot overwrite a value":
        header = _TOML_HEADER.match(text)
        if header:
            return f"[{header.group(1)}] 与前面写过的键重名"
        key = _TOML_BARE_KEY.match(text)
        named = f"键 {''.join(key.group(1).split())} " if key else "这个键"
        return f"{named}写了两次（同一个键只能写一次）"
    twice = _TOML_TWICE.fullmatch(message)
    if twice:
        table = ".".join(re.findall(r"'([A-Za-z0-9_-]+)'", twice.group(1)))
        return f"[{table}] 这一节前面已经写过（同一节的键请写在一处）"
    if message == "Invalid date or datetime":
        return "不是合法的日期或时间（应写作 2026-10-08 或 2026-10-08T09:00:00）"
    return TOML_NOT_TOML


# What json.JSONDecodeError says (its msg, English), as people read it.
JSON_REASONS = {
    "Expecting value": "缺少值",
    "Extra data": "值之后还有多余的内容",
    "Invalid \\escape": "无效的转义，反斜杠本身要写成 \\\\",
    "Invalid \\uXXXX escape": "无效的 \\u 转义，\\u 后应有 4 位十六进制数",
    "Invalid control character at": "字符串中有控制字符，换行和制表符要写成 \\n、\\t",
    "Unterminated string starting at": "字符串没有结束",
    "Expecting property name enclosed in double quotes": "键名须用英文双引号",
    "Expecting ':' delimiter": "缺少冒号",
    "Expecting ',' delimiter": "缺少逗号",
    "Illegal trailing comma before end of object": "对象末尾多了一个逗号",
    "Illegal trailing comma before end of array": "数组末尾多了一个逗号",
}


# What json says when it stops where a value, a key, a colon or a comma was still to come.
JSON_EXPECTING = ("Expecting value", "Expecting property name enclosed in double quotes", "Expecting ':' delimiter", "Expecting ',' delimiter")
# Which closing bracket, met where json expected a value or a key, shows a trailing comma (before 3.13).
JSON_CLOSERS = {"Expecting value": "]", "Expecting property name enclosed in double quotes": "}"}
JSON_CUT_SHORT = "内容不完整，在此中断"
_JSON_SPACE_TO_END = re.compile(r"[ \t\n\r]*\Z")


def json_fault(exc: "JSONDecodeError") -> tuple[str, int]:
    """Why a text is not JSON, in Chinese, and the place in it to name: json's words jiesu knows, else its
    own (jsontext's are Chinese already). Where they mislead they are told apart: text that just stops is
    "expecting" what would have come next (a comma, a key), not missing it; and before Python 3.13 a
    comma before a closing bracket is a value or a key missing after it (3.13 names the comma)."""
    doc, pos, msg = exc.doc, exc.pos, exc.msg
    if msg in JSON_EXPECTING and _JSON_SPACE_TO_END.match(doc, pos):
        return JSON_CUT_SHORT, pos
    if doc[pos : pos + 1] == JSON_CLOSERS.get(msg):
        comma = len(doc[:pos].rstrip(" \t\n\r")) - 1
        if comma >= 0 and doc[comma] == ",":
            return JSON_REASONS[f"Illegal trailing comma before end of {'array' if doc[pos] == ']' else 'object'}"], comma
    return JSON_REASONS.get(msg, msg), pos


# What expat says of XML that is not well-formed (English), as people read it.
XML_REASONS = {
    "mismatched tag": "标签不配对",
    "not well-formed (invalid token)": "格式错误（无效字符）",
    "unclosed token": "标记没有结束",
    "no element found": "文件不完整",
    "junk after document element": "根元素之后有多余内容",
    "undefined entity": "未定义的实体，& 本身要写成 &amp;",
    "duplicate attribute": "属性重复",
    "reference to invalid character number": "无效的字符引用",
    "unclosed CDATA section": "CDATA 段没有结束",
    "unbound prefix": "命名空间前缀没有声明",
    "XML or text declaration not at start of entity": "XML 声明不在文件开头",
    "partial character": "字符不完整",
    "syntax error": "语法错误",
}


# An invalid token expat names past its start: the character after a bare `&` (`甲 & 乙`, `AT&T<`) or a
# bare `<` (`1 < 2`), which cannot go on what they began. The place named is the `&` or the `<`.
_XML_BARE = re.compile(r"&[^\s&;<>'\"]*\Z|<\Z")
XML_BARE_REASONS = {"&": "& 之后不是实体引用，& 本身要写成 &amp;", "<": "< 之后不是标签，< 本身要写成 &lt;"}
_XML_LINE_BREAK = re.compile(r"\r\n?|\n")


def xml_fault(exc: SyntaxError, text: str) -> str:
    """Why and where the XML `text` is not well-formed, in Chinese, from ElementTree's ParseError (expat's
    code, and a column counted from 0)."""
    from xml.parsers import expat

    english = expat.ErrorString(exc.code)
    line, column = exc.position
    reason = XML_REASONS.get(english, english)
    if english == "not well-formed (invalid token)":
        before = _XML_LINE_BREAK.split(text)[line - 1][:column]
        if bare := _XML_BARE.search(before):
            reason, column = XML_BARE_REASONS[bare.group()[0]], bare.start()
    return f"{reason}（第 {line} 行第 {column + 1} 列）"
