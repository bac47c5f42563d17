"""Taking cases in: the 12345 platform's spreadsheets, jiesu's own exports, Open311 GeoReport v2.

Rows stream from the file and are checked one by one (every bad row reported
with its line and reason); the good ones wait in a staging table (staging.py),
and only when the whole file has been read do they join the book, in one
transaction with their `imported` events. Memory holds one batch of rows, however
long the file; a long one is read and mostly checked in a forked child (forked.py)
while this process stages it, on the other core. A case whose ref — or, without a
ref, whose (received_at, phone, summary, address) — is already in the book, or
earlier in the file, is skipped, so a repeated import adds nothing.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import itertools
import json
import operator
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree

from jiesu import backend, cells, forked, jsontext, phones, rules, textsearch
from jiesu.clock import shown, shown_apart
from jiesu.errors import BadInput, BadOption, json_fault, os_reason, toml_fault, xml_fault
from jiesu.fields import OPEN311_OWN_ID_REF, ref_refused
from jiesu.jsonarray import NOT_AN_ARRAY, TOO_DEEP, JsonArray
from jiesu.models import CASE_DEADLINES
from jiesu.office import Office
from jiesu.render import marked
from jiesu.safetext import NOT_UTF8, blank, echoed, echoed_path, half_pair, has_undecodable, name_refused
from jiesu.steps import future
from jiesu.vocab import Channel, Kind, LabeledEnum, Level, Nature, Result, Status, Tier, Track, Urgency, open_status, refused_word

BATCH = 1000  # rows checked and staged at a time: what memory holds, however long the file
BAD_ROWS_KEPT = 1000  # bad rows remembered with their reasons (all are counted)
CHILD_BYTES = 1 << 20  # a file this long is read and checked in a forked child (worth_a_child)
CHECK_CYCLE = 2  # of the child's batches, the parent checks one in this many: both cores busy
CHILD_LOST = "读取、检查文件的子进程意外结束（{death}），未导入任何诉求；请重试"  # forked.Child fills in how
REVEAL_HINT = "导出时请加 --reveal"  # what brings back a number a CSV, JSON or workbook export masked
# Open311 output masks a number whatever the options: its file can never carry one.
OPEN311_HINT = "Open311 导出总是打码；在案卷库之间移交诉求请用 CSV 或 JSON 导出并加 --reveal"
MASKED_PHONE = f"电话已打码，无法导入（{REVEAL_HINT}）"  # a new case whose phone a masked export hid
# The text fields of a case row in which a masked export may have hidden a number (phones.holds_masked).
MASKABLE_TEXT = {
    "summary": "诉求内容", "detail": "详细内容", "name": "诉求人", "address": "诉求地址",
    "community": "所属社区", "category": "诉求类别", "assignee": "承办",
}
MAX_CELL = 16 * 1024 * 1024  # characters in one CSV cell: room for any real summary, not for a hostile file
HEADER_SEARCH = 10  # rows searched for the header: offices put a title such as XX街道接诉即办工单 above it
FORMATS = ("csv", "xlsx", "xls", "json", "jsonl", "open311-json", "open311-xml")
EXTENSIONS = {
    ".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".json": "json", ".xml": "open311-xml", ".txt": "csv",
}
WORKBOOKS = ("xlsx", "xls")

HOTLINE_LAYOUT = {
    "工单编号": "ref",
    "受理时间": "received_at",
    "诉求人": "name",
    "联系电话": "phone",
    "分机": "phone_ext",
    "诉求地址": "address",
    "所属社区": "community",
    "诉求类别": "category",
    "诉求类型": "kind",
    "紧急程度": "urgency",
    "诉求内容": "summary",
}
ENUM_FIELDS: dict[str, type[LabeledEnum]] = {
    "channel": Channel, "urgency": Urgency, "kind": Kind, "nature": Nature, "track": Track,
    "tier": Tier, "level": Level, "status": Status, "result": Result,
}
ENUM_NOUNS = {
    "channel": "受理渠道", "urgency": "紧急程度", "kind": "诉求类型", "nature": "诉求性质", "track": "三上门",
    "tier": "时限档", "level": "层级", "status": "状态", "result": "办理结果",
}
TIME_FIELDS = ("received_at", "respond_by", "resolve_by", "responded_at", "closed_at")
INT_FIELDS = ("reopen_count", "version")
# Text that Excel turns into a number when a sheet is opened and saved.
DIGIT_FIELDS = ("ref", "phone", "phone_ext")
TEXT_FIELDS = ("ref", "category", "summary", "detail", "name", "phone", "phone_ext", "address", "community", "assignee")
# The text fields that name someone or somewhere: refused holding a character that draws nothing (fields.shown_as_is).
NAMING_FIELDS = ("category", "name", "community", "assignee")
CASE_COLUMNS = (*TEXT_FIELDS, *ENUM_FIELDS, *TIME_FIELDS, *INT_FIELDS, "merged_into", "id")


@dataclass
class Row:
    """One record as read: its line in the source (a JSON array's item: its place, see `counted_as`), its raw
    values by jiesu field, and the column (or key) of the file each field came from where it is not the
    field's own name: a refusal names it."""

    line: int
    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def __reduce__(self):
        """Pickled as the arguments it is made from: a forked child sends rows so (import_rows' `in_child`)
        in half the time of a dataclass's own pickling, which sets each field apart."""
        return Row, (self.line, self.values, self.sources)


@dataclass
class IgnoredColumns:
    """A sheet's header columns that no field takes (platform exports carry more than a case holds): told once."""

    names: list[str]


@dataclass
class BadRow:
    line: int
    reason: str


@dataclass
class Mapping:
    """A `--map` file: source column → jiesu field, and source value → enum value per field."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class ImportResult:
    read: int = 0
    added: int = 0
    existing: int = 0  # rows of a case the book (or a row before them) has, as they have it
    bad: list[BadRow] = field(default_factory=list)  # the first BAD_ROWS_KEPT by line
    bad_count: int = 0
    ignored: list[str] = field(default_factory=list)  # header columns not read into any field
    differing: int = 0  # rows not imported: their ref is a case's (in the book, or an earlier row's) with other content
    differing_lines: list[int] = field(default_factory=list)  # the first BAD_ROWS_KEPT of them

    @property
    def every_row_refused(self) -> bool:
        """Rows were read and none is good: `--skip-bad` has nothing to import, and refuses as without it."""
        return self.read > 0 and self.bad_count == self.read

    def refuse(self, line: int, reason: str) -> None:
        self.bad_count += 1
        if len(self.bad) < BAD_ROWS_KEPT:
            self.bad.append(BadRow(line, reason))


# ---------------------------------------------------------------- reading


def import_format(name: str, fmt: str | None, sheet: str | None = None) -> str:
    """The format to read the file `name` (`-`: standard input) in: `fmt` (--format), else as its
    extension says. What the command line cannot mean is a usage error (BadOption), before any file is
    opened; a folder, whose name tells no format, is said to be one (as opening it would)."""
    if fmt is None:
        if name == "-":
            raise BadOption("从标准输入导入时请用 --format 指定格式")
        fmt = EXTENSIONS.get(Path(name).suffix.lower())
        if fmt is None:
            if os.path.isdir(os.path.expanduser(name)):  # unlike Path.is_dir, False for a name too long to look up
                raise unreadable(name, IsADirectoryError(errno.EISDIR, ""))
            raise BadOption(f"无法从文件名 {echoed_path(name)} 判断格式；请用 --format 指定：{', '.join(FORMATS)}")
    elif fmt not in FORMATS:
        raise BadOption(refused_word("导入格式", fmt, echoed(fmt), list(FORMATS), ", ".join(FORMATS)))
    if sheet is not None and fmt not in WORKBOOKS:
        raise BadOption("--sheet 只用于 Excel 工作簿（.xlsx、.xls）")
    return fmt


def unreadable(name: str, exc: OSError) -> BadInput:
    """The file to import cannot be read: one line naming it and why."""
    return BadInput(f"无法读取 {echoed_path(name)}：{os_reason(exc)}")


def load_mapping(path: str) -> Mapping:
    """Read a `--map` TOML file: `[columns]` and optional `[values.FIELD]` tables."""
    try:
        source = Path(path).read_text(encoding="utf-8-sig")  # Notepad saves a BOM
        document = tomllib.loads(source)
    except UnicodeDecodeError:
        raise BadInput(f"映射文件 {echoed_path(path)} {NOT_UTF8}；请存为 UTF-8") from None
    except OSError as exc:
        raise BadInput(f"无法读取映射文件 {echoed_path(path)}：{os_reason(exc)}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"映射文件 {echoed_path(path)} {toml_fault(exc, source)}") from None
    except RecursionError:
        raise BadInput(f"映射文件 {echoed_path(path)} 嵌套太深") from None
    columns = document.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise BadInput(f"映射文件 {path} 缺少 [columns] 表（列名 = 字段名）")
    known = set(CASE_COLUMNS)
    for column, name in columns.items():
        if name not in known:
            raise BadInput(f"映射文件 {path}：列 {echoed(column)} 映射到未知字段 {echoed(name)}；可用：{', '.join(sorted(known))}")
        sources = [c for c, n in columns.items() if n == name]
        if len(sources) > 1:
            raise BadInput(f"映射文件 {path}：{'、'.join(sources)} 都映射到字段 {name}；一个字段只能来自一列")
    values = document.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise BadInput(f"映射文件 {path}：[values.字段] 应为 原值 = 枚举值 的表")
    return Mapping(columns, {name: {str(k): str(v) for k, v in table.items()} for name, table in values.items()})


# The byte-order marks a file may open with, and the encoding each names: Excel's 「Unicode 文本」 and
# Notepad's "Unicode" (UTF-16 LE) and "Unicode big endian" save with one, as Notepad's UTF-8 may.
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def bom_encoding(start: bytes) -> str | None:
    """The encoding the byte-order mark at the `start` of a file names, if it has one."""
    return next((encoding for bom, encoding in BOMS if start.startswith(bom)), None)


def decode(data: bytes) -> str:
    """UTF-8 or UTF-16 by its BOM; without one, UTF-8 or GB18030 (what Excel on a Chinese Windows saves)."""
    encoding = bom_encoding(data) or "utf-8"
    try:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding != "utf-8":
                raise
            _refuse_two_encodings(data[: exc.start])
            encoding = "gb18030"
            return data.decode(encoding)
    except UnicodeDecodeError:
        raise undecodable(io.BytesIO(data), encoding) from None


UNKNOWN_ENCODING = "文件编码无法识别（既不是 UTF-8 也不是 GB18030）"
BOM_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16"}  # the encodings a BOM names, as people write them


MIXED_SIGN = 4  # characters beyond ASCII, on whole lines of UTF-8, that tell a UTF-8 file from GB18030 text by chance valid as UTF-8


def _refuse_two_encodings(before: bytes) -> None:
    """Refuse a file whose bytes stop being UTF-8 after `before`, when `before` holds whole lines of UTF-8
    text (a UTF-8 header over a row saved as GB18030): read as GB18030, its header would be garbled."""
    lines = before[: before.rfind(b"\n") + 1].decode("utf-8")
    if sum(not character.isascii() for character in lines) >= MIXED_SIGN:
        good = lines.count("\n")
        raise BadInput(f"{UNKNOWN_ENCODING}：前 {good} 行是 UTF-8，第 {good + 1} 行却不是；请把整个文件存为同一种编码")


def undecodable(source: BinaryIO, encoding: str) -> BadInput:
    """The one line for bytes of the seekable `source` that its encoding (as `decode` chose it) cannot read,
    naming where they stand when the encoding is sure: a BOM named it, or GB18030 read Chinese text before them
    (a stray byte in a file Excel saved). Found by reading `source` again, a piece at a time."""
    source.seek(0)
    fault = _fault(source, encoding)
    if fault is None:  # a caller's bug: the bytes were read as `encoding` without a fault after all
        raise ValueError(f"no {encoding} fault in the file")
    if encoding in BOM_NAMES:
        name = BOM_NAMES[encoding]
        return BadInput(f"文件开头标明是 {name}（带 BOM），{fault.where} 却不是有效的 {name}")
    if fault.signs >= MIXED_SIGN:
        return BadInput(f"文件是 GB18030 编码，{fault.where} 却不是有效的 GB18030；请改正这一行，或把整个文件存为 UTF-8")
    return BadInput(UNKNOWN_ENCODING)


def text_stream(source: BinaryIO, *, newline: str) -> io.TextIOWrapper:
    """A seekable file read as text in its encoding (as `decode`), without holding it whole.

    Telling UTF-8 from GB18030 takes one pass over the bytes before the reading one.
    """
    encoding = bom_encoding(source.read(len(codecs.BOM_UTF8)))
    source.seek(0)
    if encoding is None:
        fault = _fault(source, "utf-8")
        source.seek(0)
        if fault is not None:
            _refuse_two_encodings(source.read(fault.offset))
            source.seek(0)
        encoding = "utf-8" if fault is None else "gb18030"
    return io.TextIOWrapper(source, encoding=encoding, newline=newline)


@dataclass
class Fault:
    """The first bytes of a file its encoding cannot read: at `offset`, on `line` at `column` (both from 1, in
    characters as read), after `signs` characters beyond ASCII (counted only up to MIXED_SIGN)."""

    offset: int
    line: int
    column: int
    bytes: bytes
    signs: int

    @property
    def where(self) -> str:
        """The place and the bytes, as a refusal names them: `第 3 行第 21 列的字节 0x81`."""
        return f"第 {self.line} 行第 {self.column} 列的字节 {' '.join(f'0x{byte:02X}' for byte in self.bytes)}"


def _fault(source: BinaryIO, encoding: str) -> Fault | None:
    """Where the bytes of `source` stop being `encoding`, or None if all of them are: read a piece at a time,
    and the piece that fails again a byte at a time, from the state before it, to find the byte."""
    decoder, offset, line, column, signs = codecs.getincrementaldecoder(encoding)(), 0, 1, 1, 0
    for piece in itertools.chain(iter(lambda: source.read(1 << 16), b""), [b""]):
        state = decoder.getstate()
        try:
            text = decoder.decode(piece, final=not piece)
        except UnicodeDecodeError:
            decoder.setstate(state)
            text, read, exc = _read_to_fault(decoder, piece)
            line, column, signs = _advanced(text, line, column, signs)
            start = offset + read - len(exc.object) + exc.start  # exc.object: the bytes left from before, and those read
            return Fault(start, line, column, exc.object[exc.start : exc.end], signs)
        line, column, signs = _advanced(text, line, column, signs)
        offset += len(piece)
    return None


def _read_to_fault(decoder: codecs.IncrementalDecoder, piece: bytes) -> tuple[str, int, UnicodeDecodeError]:
    """What `decoder` reads of `piece` a byte at a time before the fault it holds (or, after its last byte, the
    end of the file in the middle of a character): that text, the bytes read, and the fault."""
    texts = []
    for read in range(1, len(piece) + 1):
        try:
            texts.append(decoder.decode(piece[read - 1 : read]))
        except UnicodeDecodeError as exc:
            return "".join(texts), read, exc
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return "".join(texts), len(piece), exc
    raise ValueError("the piece held no fault")  # a caller's bug: it failed to decode as a whole


def _advanced(text: str, line: int, column: int, signs: int) -> tuple[int, int, int]:
    """The line and column after `text`, from those before it; `signs` counted on while below MIXED_SIGN."""
    breaks = text.count("\n")
    column = len(text) - text.rfind("\n") if breaks else column + len(text)
    if signs < MIXED_SIGN and not text.isascii():
        signs += sum(not character.isascii() for character in text)
    return line + breaks, column, signs


def _lines(stream: io.TextIOWrapper, longest: int | None = None) -> Iterator[str]:
    """The lines of a text stream (each cut at `longest` characters if given: a file with no line breaks is
    then not held whole); bytes its encoding cannot read are one line for people."""
    try:
        yield from stream if longest is None else iter(lambda: stream.readline(longest), "")
    except UnicodeDecodeError:
        raise undecodable(stream.buffer, stream.encoding) from None


def counted_as(fmt: str) -> str:
    """What a record of a file in `fmt` is named by: a JSON array's items (an Open311 JSON document's
    requests) by their place in it (第 3 条), as the whole array may be one line; other formats' by their line."""
    return "条" if fmt in ("json", "open311-json") else "行"


def read_rows(source: BinaryIO, fmt: str, mapping: Mapping | None = None, sheet: str | None = None) -> Iterator[Row | IgnoredColumns]:
    """The records of a seekable binary file in `fmt` (one of FORMATS: see `import_format`); `sheet`
    picks a workbook's sheet (default: the first).

    CSV, JSON Lines and JSON arrays stream; a workbook, an Open311 XML document or a JSON
    object wrapping Open311 requests is read whole (it is one document).
    """
    if fmt == "csv":
        stream = text_stream(source, newline="")
        yield from _csv_rows(stream, mapping, delimiter=_separator(stream))
    elif fmt in WORKBOOKS:
        yield from _workbook_rows(source.read(), mapping, sheet)
    elif fmt == "jsonl":
        yield from _jsonl_rows(text_stream(source, newline="\n"))
    elif fmt in ("json", "open311-json"):
        yield from _json_rows(source, open311=fmt == "open311-json")
    elif fmt == "open311-xml":
        yield from _open311_xml_rows(source.read())
    else:  # a caller's bug: the command line's format is checked by import_format
        raise ValueError(f"unknown import format {fmt!r}")


def _workbook_rows(data: bytes, mapping: Mapping | None, sheet: str | None) -> Iterator[Row | IgnoredColumns]:
    """The rows of a workbook's sheet (`sheet`, or its first), their serial dates read from the workbook's
    own epoch. A first sheet that is empty or holds no header, in a workbook with others, is refused
    naming them, as a `--sheet` that names none is."""
    from jiesu.workbook import read_sheet

    page = read_sheet(data, sheet)
    rows = sheet_rows(page.records, mapping, neutralised=False)
    if page.epoch != cells.EXCEL_EPOCH:
        rows = (row if row.__class__ is IgnoredColumns else Row(row.line, row.values | {"__epoch__": page.epoch}, row.sources) for row in rows)
    try:
        yield from rows
    except NoHeader as exc:
        if sheet is not None or not page.others:
            raise
        state = (
            "是空的（没有表头，也没有工单）" if exc.empty else f"不是工单表（{exc}）" if mapping
            else f"不是工单表（前 {HEADER_SEARCH} 行中没有 jiesu 导出或 12345 工单的表头）"
        )
        example = next((other for other in page.others if _has_header(read_sheet(data, other), mapping)), page.others[0])
        raise BadInput(
            f"第一个工作表 {page.name} {state}；工作簿中还有：{'、'.join(page.others)}；"
            f"请用 --sheet 指定要导入的一张，如 --sheet {example}"
        ) from None


def _has_header(page, mapping: Mapping | None) -> bool:
    try:
        return _find_header(page.records, mapping) is not None
    except NoHeader:
        return False


LONGEST_LOOK = 1 << 16  # characters of a line `_separator` looks at: a header is far shorter
_QUOTED = re.compile(r'"[^"]*(?:"|$)')  # a quoted stretch of a line (to its end when its quote stays open)


def _separator(stream: io.TextIOWrapper) -> str:
    """The separator of a text table, told once for the whole file by its header: a tab for Excel's
    「Unicode 文本」 (UTF-16 with a BOM) and for a line whose cells only tabs hold apart (Excel's
    「文本文件(制表符分隔)」, GBK or UTF-8), else a comma. The first line with a separator outside quotes
    tells it (a title above the header with none is passed over); a row that uses the other one then fails
    to fit the header and is refused by its line. The stream is left at its start."""
    if stream.encoding == "utf-16":
        return "\t"
    separator = ","
    for line in itertools.islice(_lines(stream, LONGEST_LOOK), HEADER_SEARCH):
        outside = _QUOTED.sub("", line)
        if "," in outside or "\t" in outside:
            separator = "\t" if "," not in outside else ","
            break
    stream.seek(0)
    return separator


def _csv_rows(stream: io.TextIOWrapper, mapping: Mapping | None, delimiter: str) -> Iterator[Row]:
    """CSV, or tab-separated text (`delimiter` a tab: see `_separator`)."""
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(_lines(stream), strict=True, delimiter=delimiter)  # strict: a quote left open must not swallow the rows after it

    def records() -> Iterator[tuple[int, list[str]]]:
        """Each record with the line it starts on, as a spreadsheet user counts lines: a quoted
        cell may hold line breaks, and the reader's count is then at the record's last line."""
        start = 1
        try:
            for record in reader:
                yield start, record
                start = reader.line_num + 1
        except csv.Error as exc:
            line = start
            if "field larger than field limit" in str(exc):
                raise BadInput(f"第 {line} 行有一格超过 {MAX_CELL:,} 个字符，不像是工单数据") from None
            raise BadInput(f"第 {line} 行不是合法的 CSV：{_csv_fault(exc)}") from None

    yield from sheet_rows(records(), mapping, neutralised=True)


def _csv_fault(exc: csv.Error) -> str:
    """What the strict reader found wrong, as people read it."""
    if str(exc) == "unexpected end of data":
        return "引号没有闭合（一格以引号开始，直到文件末尾都没有结束它的引号）"
    if str(exc) == "',' expected after '\"'":
        return "引号括起的一格在结束的引号后还有文字；格内的引号要写成两个（\"\"）"
    return str(exc)


def sheet_rows(
    records: Iterable[tuple[int, list[Any]]], mapping: Mapping | None, *, neutralised: bool
) -> Iterator[Row | IgnoredColumns]:
    """Rows under the header of a sheet (CSV or workbook); the header may sit below a title row.
    The header's columns that no field takes come first, as one IgnoredColumns.

    `neutralised`: jiesu's own export of this kind put an apostrophe before formula-like text
    (CSV does; a workbook stores such text as text and needs none).

    A row with text in more cells than the header has columns, or with fewer cells
    than it, is reported as bad: its cells cannot be matched to columns for sure.
    """
    records = iter(records)
    header = _find_header(records, mapping)
    if header is None:
        return
    columns, own_layout = _layout(header, mapping)
    if ignored := list(dict.fromkeys(name for position, name in enumerate(header) if name and position not in columns)):
        yield IgnoredColumns(ignored)
    width, placed = len(header), list(columns.items())
    sources = {name: header[position] for position, name in placed if header[position] != name}
    unneutralise = neutralised and own_layout
    for line, record in records:
        if not _any_filled(record):
            continue
        if len(record) < width or (len(record) > width and _any_filled(record[width:])):
            yield Row(line, {"__error__": f"这一行有 {_width(record)} 格，表头有 {width} 列；各格无法对准各列"})
            continue
        if cells.UNSAVED_FORMULA in record and (
            column := next((header[position] for position, _ in placed if record[position] is cells.UNSAVED_FORMULA), None)
        ):
            yield Row(line, {"__error__": cells.UNSAVED_REFUSED.format(label=column)})
            continue
        values = {name: record[position] for position, name in placed}
        if unneutralise:
            values = {name: _unneutralise(cell) if isinstance(cell, str) else cell for name, cell in values.items()}
        yield Row(line, values, sources)


def _any_filled(cells: list[Any]) -> bool:
    try:
        return bool("".join(cells).strip())  # a CSV row: all text, so one pass in C
    except TypeError:  # a workbook's typed cells
        return any(_filled(cell) for cell in cells)


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _width(record: list[Any]) -> int:
    """How many cells a row really has: up to its last non-empty one (or all of them when short)."""
    filled = [i for i, cell in enumerate(record) if _filled(cell)]
    return filled[-1] + 1 if filled else 0


def _find_header(records: Iterator[tuple[int, list[Any]]], mapping: Mapping | None) -> list[str] | None:
    """The first row that reads as a header; rows above it (a sheet's title) are passed over."""
    first = None
    for _, record in itertools.islice(records, HEADER_SEARCH):
        header = [str(cell).strip() if cell is not None else "" for cell in record]
        while header and not header[-1]:
            header.pop()
        first = first or header
        if _layout_of(header, mapping) is not None:
            return header
    if first is None:  # a download that failed, a sheet never filled: not "0 rows read"
        raise NoHeader("文件是空的：没有表头，也没有工单", empty=True)
    _layout(first, mapping)  # raises with the reason the first row is not a header
    return None


class NoHeader(BadInput):
    """A file (or a workbook's sheet) without a header jiesu can read: empty, or none of its first rows is one."""

    def __init__(self, message: str, *, empty: bool = False) -> None:
        super().__init__(message)
        self.empty = empty


def _layout_of(header: list[str], mapping: Mapping | None) -> str | None:
    if mapping is not None:
        return "map" if all(column in header for column in mapping.columns) else None
    if "summary" in header:
        return "own"
    if "诉求内容" in header:
        return "hotline"
    return None


def _layout(header: list[str], mapping: Mapping | None) -> tuple[dict[int, str], bool]:
    """Which column holds which field: the map if given, else jiesu's own export, else the 12345 layout."""
    layout = _layout_of(header, mapping)
    if layout is None and mapping is not None:
        missing = [c for c in mapping.columns if c not in header]
        raise NoHeader(f"文件中没有映射文件所列的列：{', '.join(missing)}")
    if layout is None:
        raise NoHeader("无法识别的表头：既不是 jiesu 导出格式，也不是 12345 工单格式；请用 --map 提供列映射")
    if mapping is None:
        _refuse_mixed_layout(header, layout)
    names = mapping.columns if mapping is not None else CASE_COLUMNS if layout == "own" else HOTLINE_LAYOUT
    used = [column for column in header if column in names]
    for column in used:
        if used.count(column) > 1:
            places = "、".join(str(i + 1) for i, name in enumerate(header) if name == column)
            raise BadInput(f"表头中 {column} 出现了 {used.count(column)} 次（第 {places} 列）；请删去或改名多余的一列")
    if layout == "own":
        return {i: name for i, name in enumerate(header) if name in CASE_COLUMNS}, True
    return {i: names[name] for i, name in enumerate(header) if name in names}, False


LAYOUT_NAMES = {"own": "jiesu 导出格式", "hotline": "12345 工单格式"}


def _refuse_mixed_layout(header: list[str], layout: str) -> None:
    """A header read as one layout that holds columns of the other is refused: read as either, the
    other's columns would be dropped as ones jiesu has no field for, and their values lost."""
    others = HOTLINE_LAYOUT if layout == "own" else CASE_COLUMNS
    if stray := list(dict.fromkeys(column for column in header if column in others)):
        other = LAYOUT_NAMES["hotline" if layout == "own" else "own"]
        raise BadInput(
            f"表头混用了两种格式：按 {LAYOUT_NAMES[layout]} 读，其中 {'、'.join(stray)} 却是 {other} 的列；"
            "请统一列名，或用 --map 提供列映射"
        )


def _unneutralise(cell: str) -> str:
    """Undo the apostrophe jiesu's CSV export puts before a cell (render.neutralise): exactly where it puts one."""
    if cell.startswith("'") and marked(cell[1:]):
        return cell[1:]
    return cell


def _jsonl_rows(stream: io.TextIOWrapper) -> Iterator[Row | IgnoredColumns]:
    """JSON Lines: jiesu's own records (`export --format jsonl`), or Open311 requests a line when the
    first record is one (as a JSON array's first element tells)."""
    records = _jsonl_records(stream)
    first = next(records, None)
    if first is None:  # no records: what `export --format jsonl` writes for no cases, unlike an empty CSV or JSON file
        return
    records = itertools.chain([first], records)
    yield from _open311_requests(records) if _is_open311(first[1]) else _own_records(records)


def _jsonl_records(stream: io.TextIOWrapper) -> Iterator[tuple[int, Any]]:
    """Each record of JSON Lines with its line; a line that is not JSON is Unreadable, saying why."""
    # Only "\n" ends a record (the stream splits on it alone): U+2028, U+0085 and the like are
    # text inside a summary, not line breaks.
    for number, line in enumerate(_lines(stream), start=1):
        if not line.strip():
            continue
        record = line.rstrip(" \t\r\n")  # a record cut short is named where its text ends, not past the line
        try:
            yield number, jsontext.loads(record)
        except json.JSONDecodeError as exc:
            reason, pos = json_fault(exc)
            if exc.msg.startswith("Unterminated string"):  # the line ended inside it: a line break typed in the text
                reason = JSONL_UNTERMINATED
            yield number, Unreadable(f"不是合法的 JSON：{reason}（第 {pos + 1} 列）")
        except RecursionError:
            yield number, Unreadable(TOO_DEEP)


JSONL_UNTERMINATED = "字符串到行尾还没有结束；一条记录须写在一行内，文字里的换行要写成 \\n"


@dataclass
class Unreadable:
    """A record that is not JSON, and why."""

    reason: str


def _not_an_object(value: Any) -> str:
    """Why a record that is no JSON object is refused."""
    return value.reason if isinstance(value, Unreadable) else "应为一个 JSON 对象"


def _own_records(records: Iterable[tuple[int, Any]]) -> Iterator[Row | IgnoredColumns]:
    """jiesu's own JSON records as rows; the keys no field takes are named once they are all read."""
    unknown: dict[str, None] = {}
    for line, value in records:
        yield _record_row(line, value, unknown)
    if unknown:
        yield IgnoredColumns(list(unknown))


def _record_row(line: int, value: Any, unknown: dict[str, None]) -> Row:
    """One of jiesu's own JSON records: its case fields. Other keys are not the book's: they are
    gathered in `unknown`, to be named once the file is read, as a sheet's extra columns are."""
    if not isinstance(value, dict):
        return Row(line, {"__error__": _not_an_object(value)})
    kept = {}
    for key, item in value.items():
        if key in CASE_COLUMNS:
            kept[key] = item
        else:
            unknown[key] = None
    return Row(line, _decodable(kept))


def _json_rows(source: BinaryIO, *, open311: bool) -> Iterator[Row]:
    """A JSON array, streamed: jiesu's own `export --format json` (a case a line), or Open311 requests
    when `open311` or when its first element is one; each row is named by its place in the array.
    Only Open311 wraps its requests in an object: that is read whole."""
    stream = text_stream(source, newline="")
    array = JsonArray(stream, longest=MAX_CELL)  # an element as long as a CSV cell may be
    try:
        if array.opening() == "{":
            stream.detach()
            source.seek(0)
            yield from _open311_json_rows(decode(source.read()), open311)
            return
        elements = ((place, value) for place, (_, value) in enumerate(array, start=1))
        first = next(elements, None)
        if first is None:
            return
        elements = itertools.chain([first], elements)
        yield from _open311_requests(elements) if open311 or _is_open311(first[1]) else _own_records(elements)
    except UnicodeDecodeError:
        raise undecodable(stream.buffer, stream.encoding) from None


def _decodable(values: dict[str, Any], sources: dict[str, str] | None = None) -> dict[str, Any]:
    """JSON's escapes can spell half of a UTF-16 surrogate pair alone (`\\ud800`), which is no character (the
    file's bytes are text: they were read as such): the row is refused, naming the field and the escape."""
    for name, value in values.items():
        if isinstance(value, str) and has_undecodable(value):
            half = next(char for char in value if "\ud800" <= char <= "\udfff")
            key = (sources or {}).get(name, name)
            return {"__error__": f"{key} 里的 {half_pair(half)}"}
    return values


OPEN311_FIELDS = {
    "service_request_id": "ref",
    "requested_datetime": "received_at",
    "description": "summary",
    "address": "address",
    "agency_responsible": "assignee",
    "expected_datetime": "resolve_by",
    "status": "status",
}


# What jiesu's own Open311 export carries under `extended_attributes` besides its id, status and track
# (exchange.open311_rows), and another book takes back: case fields GeoReport v2 has no place for.
OPEN311_EXTENSIONS = {
    "jiesu_community": "community", "jiesu_channel": "channel", "jiesu_urgency": "urgency",
    "jiesu_responded_at": "responded_at", "jiesu_closed_at": "closed_at", "level": "level",
}
# The Open311 key each case field is read from (a closed request's closing from updated_datetime, its
# category from service_name, or service_code when it has none, in _open311), to name it in a refusal:
# the key the file has.
OPEN311_KEY_OF = {
    field: key
    for key, field in (*OPEN311_FIELDS.items(), *OPEN311_EXTENSIONS.items(), ("updated_datetime", "closed_at"), ("service_name", "category"))
}


def _open311(request: dict[str, Any]) -> dict[str, Any]:
    values = {field: request.get(key) for key, field in OPEN311_FIELDS.items() if request.get(key) not in (None, "")}
    values["category"] = request.get("service_name") or request.get("service_code") or ""
    values["channel"] = Channel.ONLINE.value  # what a request from another system came through, unless jiesu's says
    values["__open311__"] = True  # its times need their offset; a number in its text is masked for good
    own_id = OPEN311_OWN_ID_REF.fullmatch(str(values.get("ref", "")))
    if own_id:  # a case jiesu exported without a ref: its id, never a work-order number
        del values["ref"]
        values["id"] = own_id.group(1)
    extended = request.get("extended_attributes")
    if isinstance(extended, dict):
        values |= {field: extended[key] for key, field in OPEN311_EXTENSIONS.items() if extended.get(key) not in (None, "")}
    if isinstance(extended, dict) and extended.get("jiesu_id") not in (None, ""):
        values["id"] = extended["jiesu_id"]  # its id in the book it left: that book knows it again
        if extended.get("jiesu_book") not in (None, ""):  # which book that is (a jiesu before m016 did not say)
            values["__book__"] = str(extended["jiesu_book"]).strip()
        if str(values.get("ref", "")).strip() == str(extended["jiesu_id"]).strip():
            del values["ref"]  # a jiesu before `jiesu-<id>` wrote a case without a ref by its bare id
    status = str(values.get("status", "open")).strip().lower()
    if status not in ("open", "closed"):
        values["__error__"] = f"Open311 状态只能是 open 或 closed，不是 {echoed(status)}"
    elif status == "closed":
        values["status"] = Status.CLOSED.value
        values["closed_at"] = values.get("closed_at") or request.get("updated_datetime")  # jiesu's own says, else the last update
        if values["closed_at"] in (None, ""):  # when it was closed is not known: not its receipt
            values["__error__"] = "Open311 状态为 closed，但没有 updated_datetime（办结时间）"
        elif (nature := _closed_nature(extended)) is None:  # refused, unless it is a case the book has (its own export's merged one)
            merged = isinstance(extended, dict) and extended.get("status") == Status.MERGED
            values["__unclassified_close__"] = OPEN311_MERGED if merged else OPEN311_UNCLASSIFIED
        else:  # closed by `close`, which let it close with its track's one result
            values["nature"], values["result"] = nature, rules.RESULT_OF[rules.TRACK_OF[nature]].value
    elif isinstance(extended, dict) and extended.get("status") == Status.LEDGERED:
        values["status"] = Status.LEDGERED.value  # jiesu's own export of a ledgered case: refused as in every format
    else:
        values["status"] = open_status(values.get("assignee")).value
    return values


OPEN311_UNCLASSIFIED = (
    "Open311 请求只说已办结，没有诉求性质和办结结果，不能作为已办结导入；"
    "在案卷库之间移交诉求请用 CSV 或 JSON 导出，或导入为 open 后研判、办结"
)
# A merged case, which Open311 can only call closed: the case it joined is not named, so it cannot be merged here.
OPEN311_MERGED = (
    "Open311 请求是一件已合并的诉求，Open311 不带它并入的诉求，不能导入；"
    "在案卷库之间移交诉求请用 CSV 或 JSON 导出（连同它并入的诉求）"
)
NATURE_OF_TRACK = {track.value: nature for nature, track in rules.TRACK_OF.items()}


def _closed_nature(extended: Any) -> Nature | None:
    """The nature of a request jiesu exported closed (or revisited): its 三上门 track names it. A
    merged case, exported as closed too, never closed: it has none."""
    if not isinstance(extended, dict) or extended.get("status") not in (Status.CLOSED, Status.REVISITED):
        return None
    return NATURE_OF_TRACK.get(extended.get("track"))


# Keys only an Open311 request has: a JSON array (or JSON Lines) whose first record has one (and no summary) is Open311.
OPEN311_KEYS = frozenset({*OPEN311_FIELDS, "service_name", "service_code"}) - set(CASE_COLUMNS)


def _is_open311(value: Any) -> bool:
    return isinstance(value, dict) and "summary" not in value and not OPEN311_KEYS.isdisjoint(value)


def _open311_json_rows(text: str, open311: bool) -> Iterator[Row]:
    """An Open311 JSON document that is an object: `{"service_requests": […]}` or one request. Unless
    `open311` (--format open311-json) says so, an object that is neither is refused as jiesu's own
    records are always an array."""
    try:
        document = jsontext.loads(text)
    except json.JSONDecodeError as exc:
        reason, pos = json_fault(exc)
        # Extra data after one object: most likely Open311 requests a line, in a file not read as JSON Lines
        more = "；一个 JSON 文件只能有一个值，每行一条的请用 --format jsonl" if exc.msg == "Extra data" else ""
        raise BadInput(f"不是合法的 JSON：{reason}（{_json_place(text, pos)}）{more}") from None
    except RecursionError:
        raise BadInput(TOO_DEEP) from None
    wrapped = "service_requests" in document
    if not (open311 or wrapped or _is_open311(document)):
        raise BadInput(f"不是合法的 JSON：{NOT_AN_ARRAY}（{_json_place(text, jsontext.SPACE.match(text).end())}）")
    requests = document["service_requests"] if wrapped else [document]
    if not isinstance(requests, list):
        raise BadInput("Open311 JSON 的 service_requests 应为 service request 的数组")
    yield from _open311_requests(enumerate(requests, start=1))


def _json_place(text: str, pos: int) -> str:
    """Where `pos` of a JSON text is, as an editor shows it (json's own count: only "\n" ends a line)."""
    line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
    return f"第 {line} 行第 {column} 列"


# An Open311 request's keys that jiesu reads; any other with a value is named once the file is read.
OPEN311_READ = frozenset({*OPEN311_FIELDS, "service_name", "service_code", "updated_datetime", "extended_attributes"})


def _open311_requests(requests: Iterable[tuple[int, Any]]) -> Iterator[Row | IgnoredColumns]:
    """Open311 requests as rows, each with the line of the file it starts on (in JSON: its place)."""
    unknown: dict[str, None] = {}
    for line, request in requests:
        if not isinstance(request, dict):
            yield Row(line, {"__error__": _not_an_object(request)})
            continue
        unknown |= dict.fromkeys(key for key, value in request.items() if key not in OPEN311_READ and value not in (None, ""))
        yield Row(line, _decodable(_open311(request), OPEN311_KEY_OF), OPEN311_KEY_OF)
    if unknown:
        yield IgnoredColumns(list(unknown))


_ENTITY = re.compile(r"<!DOCTYPE[^\[>]*\[[^\]]*?(<!ENTITY)")


def _open311_xml_rows(data: bytes) -> Iterator[Row]:
    text = _xml_text(data)
    if entity := _ENTITY.search(text):  # no request needs one: an external one names a file of this machine, nested ones blow up
        line = text.count("\n", 0, entity.start(1)) + 1
        raise BadInput(f"XML 里声明了实体（<!ENTITY，第 {line} 行）；Open311 请求用不到实体，jiesu 不展开也不读取外部实体，请删去这些声明")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise BadInput(f"不是合法的 XML：{xml_fault(exc, text)}") from None
    wrapped = root.tag == "service_requests"
    requests = root.findall("request") if wrapped else [root] if root.tag == "request" else []
    if not requests:
        raise BadInput("Open311 XML 应为 <service_requests><request>…</request></service_requests>")
    yield from _open311_requests(zip(_xml_lines(text, 2 if wrapped else 1), map(_xml_request, requests)))


def _xml_lines(text: str, depth: int) -> list[int]:
    """The line each <request> at `depth` (the root is 1) of the well-formed XML `text` starts on, in order.
    An element twice in one element of a request (`<description>` twice in a <request>) is refused, as
    a key twice in a JSON object is: reading one would drop the other's value.

    ElementTree keeps no lines: a second pass of the same parser (expat, namespaces told apart as
    ElementTree tells them) finds the elements `findall` does and asks it where each starts."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator="}")
    lines, level = [], 0
    children: list[tuple[str, set[str]]] = []  # from a <request> down: each open element's tag and its children's

    def start(tag: str, _attributes: Any) -> None:
        nonlocal level
        level += 1
        if level == depth and tag == "request":
            lines.append(parser.CurrentLineNumber)
            children.append((tag, set()))
        elif children:
            parent, seen = children[-1]
            if tag in seen:
                place = f"第 {parser.CurrentLineNumber} 行第 {parser.CurrentColumnNumber + 1} 列"
                raise BadInput(f"不是合法的 Open311 XML：元素 {echoed(tag)} 在同一个 {echoed(parent)} 里出现了两次（{place}）")
            seen.add(tag)
            children.append((tag, set()))

    def end(_tag: str) -> None:
        nonlocal level
        level -= 1
        if children:
            children.pop()

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(text, True)
    return lines


def _xml_request(element) -> dict[str, Any]:
    request = _leaf_texts(element)
    extended = element.find("extended_attributes")
    if extended is not None:
        request["extended_attributes"] = _leaf_texts(extended)
    return request


def _leaf_texts(element) -> dict[str, str]:
    """An XML element's childless children as {tag: stripped text}."""
    return {child.tag: (child.text or "").strip() for child in element if len(child) == 0}


_XML_DECLARATION = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["'][^>]*\?>""")
_XML_DECLARATION_TEXT = re.compile(r"\A<\?xml[^>]*\?>")
# What Chinese files labelled GB2312 or GBK really hold: GB18030 reads both and every superset character.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn", "hz-gb-2312"}


def _blanked(declaration: str) -> str:
    return re.sub(r"[^\r\n]", " ", declaration)


def _xml_text(data: bytes) -> str:
    """The XML as text, decoded by the encoding its declaration names (expat reads only single-byte ones).
    The declaration gives way to white space as long, with the line breaks it held: every line and
    column keeps its number."""
    if bom_encoding(data) == "utf-16":
        return _XML_DECLARATION_TEXT.sub(lambda found: _blanked(found.group()), decode(data), count=1)
    declared = _XML_DECLARATION.match(data)
    if declared is None:
        return decode(data)
    name = declared.group(1).decode("ascii").lower()
    encoding = "gb18030" if name in _GB_FAMILY else name
    body = data[declared.end():]
    blanked = _blanked(declared.group().removeprefix(codecs.BOM_UTF8).decode("ascii", "replace"))
    try:
        return blanked + body.decode(encoding)
    except LookupError:
        raise BadInput(f"XML 声明的编码 {name} 无法识别") from None
    except UnicodeDecodeError:
        fault = _fault(io.BytesIO(blanked.encode("ascii") + body), encoding)
        raise BadInput(f"XML 声明的编码是 {name}，但{fault.where} 却不是有效的 {name}") from None


# ---------------------------------------------------------------- checking




# Every accepted spelling (English value or Chinese label) of each enum field, for a dict lookup per cell.
SPELLINGS = {
    name: {spelling: member.value for member in enum for spelling in (member.value, member.label)}
    for name, enum in ENUM_FIELDS.items()
}


def _enum(name: str, value: Any, mapping: Mapping | None, column: str | None) -> str | None:
    """The enum value a cell spells. A refusal names the file's `column` where it is not the field's own
    name or noun (a map's `办理状态 未知的状态 '处理中'…`; the 12345 layout's 紧急程度 is the noun itself)."""
    if value.__class__ is str and (mapping is None or name not in mapping.values):
        known = SPELLINGS[name].get(value)  # a cell that is a spelling as it stands: value_text would leave it so
        if known is not None:
            return known
    text = cells.value_text(column or name, value)
    if text is None:
        return None
    if mapping and text in mapping.values.get(name, {}):
        text = mapping.values[name][text]
    known = SPELLINGS[name].get(text)
    if known is not None:
        return known
    try:
        return ENUM_FIELDS[name](text).value  # other spellings the enum accepts (case, spaces)
    except ValueError:
        noun = ENUM_NOUNS[name]
        reason = ENUM_FIELDS[name].unknown(noun, text, echoed(text))
        raise ValueError(f"{column} {reason}" if column not in (None, noun) else reason) from None


# How each text field is read (in TEXT_FIELDS order, so a row's first fault is named first);
# the defaults of an absent enum; the 三上门 track of each nature. Worked out once, not per row.
TEXT_READERS = tuple((name, cells.digits_kept if name in DIGIT_FIELDS else cells.text) for name in TEXT_FIELDS)
HOTLINE, NORMAL, UNCLASSIFIED, COMMUNITY = Channel.HOTLINE.value, Urgency.NORMAL.value, Nature.UNCLASSIFIED.value, Level.COMMUNITY.value
NEW, ASSIGNED = Status.NEW.value, Status.ASSIGNED.value
TRACKS = {nature.value: rules.track_for(nature.value) for nature in Nature}


def checker(office: Office, mapping: Mapping | None, imported_at: datetime) -> Callable[[Row], dict[str, Any]]:
    """How each row of an import at `imported_at` (also the receipt of a row that gives none) is checked: `check`,
    with what every row shares (the zone, the rules, each tier's deadlines) worked out once."""
    deadlines = rules.deadlines_of(office.rules, office.calendar, office.tz)
    return lambda row: check(row, office, mapping, imported_at, deadlines)


def check(
    row: Row, office: Office, mapping: Mapping | None, imported_at: datetime,
    deadlines: Callable[[datetime, str], tuple[datetime, datetime]],
) -> dict[str, Any]:
    """The case columns for one row imported at `imported_at` (also its receipt when it gives none),
    or ValueError with the reason it cannot be taken. `deadlines`: rules.deadlines_of the office's rules."""
    raw = row.values
    if "__error__" in raw:
        raise ValueError(raw["__error__"])
    get = raw.get
    open311 = get("__open311__", False)
    source = row.sources.get  # the column each field is named by in a refusal: the file's own
    summary = cells.text(source("summary", "summary"), get("summary"))
    if blank(summary):
        column = source("summary", "summary")
        raise ValueError("缺少诉求内容" if column == "诉求内容" else f"缺少诉求内容（{column}）")
    values: dict[str, Any] = dict.fromkeys(CASE_COLUMNS)  # an absent or empty cell is None
    for name, read in TEXT_READERS:
        if (value := get(name)) is not None:
            values[name] = read(source(name, name), value)
    values["summary"] = summary
    if values["ref"] and (reason := ref_refused(values["ref"])):
        raise ValueError(reason)
    for name in NAMING_FIELDS:
        if values[name] and (reason := name_refused(values[name], source(name, name))):
            raise ValueError(reason)
    values["category"] = (values["category"] or "").strip("/")
    values["detail"] = values["detail"] or ""
    for name in ENUM_FIELDS:
        if (value := get(name)) is not None:
            values[name] = _enum(name, value, mapping, row.sources.get(name))
    tz = office.tz
    for name in TIME_FIELDS:
        if (value := get(name)) is not None:
            values[name] = cells.moment(
                source(name, name), value, tz, offset_required=open311, receipt=name == "received_at",
                deadline=name in CASE_DEADLINES, epoch=get("__epoch__", cells.EXCEL_EPOCH),
            )
    masked = None
    if values["phone"] and "*" in values["phone"]:
        # A masked export: the row may be a case the book already has (skipped as 已存在); a new
        # case with it is refused once the stage knows (staging.Stage.loaded), never stored wrong.
        masked, values["phone"] = values["phone"], None
    elif values["phone"]:
        _check_phone(values, row.sources.get("phone"))
    masked_text = next((name for name in MASKABLE_TEXT if phones.holds_masked(values[name])), None)
    if values["phone_ext"] and not (values["phone"] or masked):
        raise ValueError(f"有分机 {values['phone_ext']} 却没有电话号码")
    if values["phone_ext"] and not values["phone_ext"].isdigit():
        raise ValueError(f"分机应为数字：{echoed(values['phone_ext'])}")
    received = values["received_at"] or imported_at
    line = future(office, received, "受理时间")
    if line:
        raise ValueError(line)
    if received > imported_at:  # the case's history would open with its import before its receipt
        raise ValueError(f"受理时间 {shown(received, tz)} 晚于导入时间 {shown(imported_at, tz)}")
    values["received_at"] = received
    _check_order(values, imported_at, tz)
    office_rules = office.rules
    channel = values["channel"] = values["channel"] or HOTLINE
    urgency = values["urgency"] = values["urgency"] or NORMAL
    nature = values["nature"] = values["nature"] or UNCLASSIFIED
    level = values["level"] = values["level"] or COMMUNITY
    if values["track"] and values["track"] != TRACKS[nature]:
        raise ValueError(f"三上门 {Track(values['track']).label} 与诉求性质 {Nature(nature).label} 不符（应为 {_track_label(nature)}）")
    values["track"] = TRACKS[nature]
    tier = rules.tier_for(urgency, values["category"], level, office_rules).value
    if values["tier"] and values["tier"] != tier:
        raise ValueError(_tier_mismatch(values["tier"], tier, values))
    values["tier"] = tier
    if not (values["respond_by"] and values["resolve_by"]):
        respond_by, resolve_by = deadlines(received, tier)
        values["respond_by"] = values["respond_by"] or respond_by
        values["resolve_by"] = values["resolve_by"] or resolve_by
    values["responded_at"] = values["responded_at"] or rules.responded_at_receipt(channel, received, office_rules)
    status = values["status"] = values["status"] or (ASSIGNED if values["assignee"] else NEW)
    for name, default in INT_DEFAULTS:
        values[name] = default if (value := get(name)) is None else cells.integer(source(name, name), value, default)
    own_id = None if (value := get("id")) is None else cells.integer(source("id", "id"), value, None)
    merged_into = values["merged_into"] = (
        None if (value := get("merged_into")) is None else cells.integer(source("merged_into", "merged_into"), value, None)
    )
    ledgered = _refuse_partial_state(status, merged_into, own_id)
    unclosable = get("__unclassified_close__") or _check_closing(values)
    values |= textsearch.derived(values)
    values["__old_id__"] = own_id
    values["__book__"] = get("__book__")
    values["__masked_phone__"] = masked
    values["__masked_text__"] = masked_text is not None
    values["__open311__"] = open311
    # Refused only if the book (or the file before it) does not have the case already: a row of an
    # export imported back into its own book is 已存在 first (staging.Stage.loaded).
    values["__unless_existing__"] = (
        MASKED_PHONE if masked
        else f"{MASKABLE_TEXT[masked_text]}（{masked_text}）里的电话已打码，无法导入（{OPEN311_HINT if open311 else REVEAL_HINT}）" if masked_text
        else ledgered or unclosable
    )
    return values


# Times a case's own columns may carry, each after its receipt; what happened to it (a response,
# its closing) also by the time it is imported.
AFTER_RECEIPT = (("respond_by", "响应时限"), ("resolve_by", "办理时限"), ("responded_at", "首次响应时间"), ("closed_at", "办结时间"))
HAPPENED = ("responded_at", "closed_at")


def _check_order(values: dict[str, Any], imported_at: datetime, tz) -> None:
    """Refuse a row whose times contradict each other: what `jiesu check` would call damage."""
    received = values["received_at"]
    for name, label in AFTER_RECEIPT:
        moment = values[name]
        if moment is None:
            continue
        if moment < received:  # a deadline that ends a day reads as that day's 24:00, as jiesu shows deadlines
            received_shown, said = shown_apart(received, moment, tz, bound=name not in HAPPENED)
            raise ValueError(f"{label} {said} 早于受理时间 {received_shown}")
        if name in HAPPENED and moment > imported_at:
            raise ValueError(f"{label} {shown(moment, tz)} 晚于导入时间 {shown(imported_at, tz)}")


def _tier_mismatch(given: str, due: str, values: dict[str, Any]) -> str:
    """Why a row's 时限档 is not the one `new`, `edit` and `escalate` give its urgency, level and category
    (rules.tier_for, in that order): named by the first of them that decides between the two."""
    if Tier.EMERGENCY in (given, due):
        cause = f"紧急程度 {Urgency(values['urgency']).label}"
    elif Tier.COMPLEX in (given, due):
        cause = f"层级 {Level(values['level']).label}"
    else:
        cause = f"类别 {echoed(values['category'])}" if values["category"] else "类别（未填）"
    return f"时限档 {Tier(given).label} 与{cause} 不符（应为 {Tier(due).label}）"


def _track_label(nature: str) -> str:
    track = TRACKS[nature]
    return Track(track).label if track else "待研判，无"


INT_DEFAULTS = tuple((name, 1 if name == "version" else 0) for name in INT_FIELDS)


def _check_phone(values: dict[str, Any], column: str | None) -> None:
    """The phone as dialling digits, its extension moved to phone_ext (and agreeing with that column).
    A refusal names the file's `column` where it is not `phone` (`联系电话 不是有效的中国电话号码：…`)."""
    try:
        values["phone"], extension = phones.split(values["phone"])
    except BadInput as exc:
        raise ValueError(f"{column} {exc}" if column else str(exc)) from None
    if extension and values["phone_ext"] not in (None, extension):
        raise ValueError(f"电话里的分机 {extension} 与分机列的 {values['phone_ext']} 不一致")
    values["phone_ext"] = values["phone_ext"] or extension


def _check_closing(values: dict[str, Any]) -> str | None:
    """A closed row says when and how, on a classified nature, with its 三上门 track's result; an open
    or merged one neither when nor how — as `close` and `merge` would have left it (`check` passed what
    they refuse). A revisited row is returned a reason: its revisit is not in the row."""
    status, closed_at, result, track = values["status"], values["closed_at"], values["result"], values["track"]
    if status in (Status.CLOSED, Status.REVISITED):
        if closed_at is None:
            raise ValueError(f"状态 {status} 却没有办结时间（closed_at）")
        if track is None:
            raise ValueError(f"状态 {status} 却未研判诉求性质（nature）；办结前须研判")
        if result is None:
            raise ValueError(f"状态 {status} 却没有办结结果（result）")
        wrong = rules.wrong_result(Track(track), result)
        if wrong:
            raise ValueError(f"走{Track(track).label}的诉求{wrong}")
        return REVISITED if status == Status.REVISITED else None
    if closed_at is not None or result is not None:
        state = "已合并，不曾办结" if status == Status.MERGED else "尚未办结"
        raise ValueError(f"状态 {status} {state}，却有{'办结时间（closed_at）' if closed_at is not None else '办结结果（result）'}")
    return None


REVISITED = "状态 revisited（已回访）不能单独导入：回访记录（满意度、是否解决）不在行里；整本迁移请用 jiesu copy，或导入为 closed 后再 revisit"
LEDGERED = "状态 ledgered（挂账整改）不能单独导入：台账条目不在行里；整本迁移请用 jiesu copy，或导入为 assigned 后再 ledger add"


def _refuse_partial_state(status: str, merged_into: int | None, own_id: int | None) -> str | None:
    """States a single row cannot make whole: a merge needs its target (refused here), a ledgered case
    its ledger entry (returned: refused unless the book has the case already)."""
    if status == Status.MERGED and merged_into is None:
        raise ValueError("状态 merged（已合并）缺少 merged_into（并入哪件诉求）")
    if status != Status.MERGED and merged_into is not None:
        raise ValueError(f"有 merged_into 但状态是 {status}，不是 merged")
    if merged_into is not None and merged_into == own_id:
        raise ValueError(f"#{own_id} 不能并入它自己")
    return LEDGERED if status == Status.LEDGERED else None


# ---------------------------------------------------------------- writing


def import_rows(
    office: Office,
    rows: Iterable[Row | IgnoredColumns],
    *,
    source: str,
    mapping: Mapping | None = None,
    at: datetime | None = None,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
    unit: str = "行",
    in_child: bool = False,
) -> ImportResult:
    """Check every row into a staging table; then (unless refused or a dry run) write the good ones at once.
    `unit` is what the rows are counted in (`counted_as`): the refusals and the imported events name them so.
    `in_child` (see `worth_a_child`): the rows are read, and most batches checked, in a forked child,
    while this process checks the rest (CHECK_CYCLE) and stages them all: two cores at work, not one."""
    from jiesu import staging

    when = at or office.now
    line = future(office, when, "导入时间")
    if line:
        raise BadInput(line)
    result = ImportResult()
    checked = _batch_checker(checker(office, mapping, when), _stager(office.store.dialect))
    refused_ids: dict[int, int] = {}  # the id a refused row carries → its line: a merge into it is refused saying so
    batches = _batches(rows)
    with (
        forked.Child(lambda: _half_checked(batches, checked), CHILD_LOST) if in_child else nullcontext(batches) as made,
        staging.staging(office.store) as stage,
    ):
        for batch in made:
            batch = batch if batch.__class__ is Checked else checked(batch)
            if batch.ignored is not None:
                result.ignored = batch.ignored
            for line, reason, own_id in batch.refused:
                result.refuse(line, reason)
                if own_id is not None:
                    refused_ids.setdefault(own_id, line)
            result.read = batch.read
            stage.add(batch.good)
            if progress:
                progress(result.read)
        refused, first = stage.loaded(BAD_ROWS_KEPT, refused_ids)
        for line, reason, target, target_line in first:
            if reason == staging.REPEATED_ID:
                reason = f"编号 #{target} 与第 {target_line} {unit}的相同，却不是同一件诉求（合并多个案卷库的导出请分别导入）"
            elif reason == staging.LOOP:
                reason = f"并入的 #{target}（第 {target_line} {unit}）再往下并入又绕了回来，成了环：没有一件未合并的诉求承办"
            elif reason is None:
                reason = f"并入的 #{target} 不在这个文件里" if target_line is None else f"并入的 #{target}（第 {target_line} {unit}）未能导入"
            result.refuse(line, reason)
        result.bad_count += refused - len(first)
        result.bad = sorted(result.bad, key=lambda bad: bad.line)[:BAD_ROWS_KEPT]
        if result.bad_count and (not skip_bad or result.every_row_refused):
            return result
        if dry_run:
            result.added, result.existing = stage.count()
        else:
            result.added, result.existing = stage.swap(at=when, actor=office.actor, source=source, unit=unit)
        result.differing, result.differing_lines = stage.differing(BAD_ROWS_KEPT)
        result.existing -= result.differing  # staged as repeats of their case, but not what the book has
    return result


@dataclass
class Batch:
    """Up to BATCH records as read, and how many rows were read before them."""

    rows: list[Row | IgnoredColumns]
    read_before: int


@dataclass
class Checked:
    """A batch checked: its good rows as staged, its refused ones as (line, reason, the id the row
    carries), the header columns no field takes (if it came with them), and the rows read so far."""

    good: list[tuple[Any, ...]]
    refused: list[tuple[int, str, int | None]]
    ignored: list[str] | None
    read: int


def _batches(rows: Iterable[Row | IgnoredColumns]) -> Iterator[Batch]:
    """The records in batches of BATCH: what memory holds at a time."""
    rows, read = iter(rows), 0
    while batch := list(itertools.islice(rows, BATCH)):
        yield Batch(batch, read)
        read += sum(row.__class__ is not IgnoredColumns for row in batch)


def _batch_checker(
    check_row: Callable[[Row], dict[str, Any]], staged_row: Callable[[int, int, dict[str, Any]], tuple[Any, ...]]
) -> Callable[[Batch], Checked]:
    """How a batch is checked: each row by `check_row`, the good ones made ready to stage by `staged_row`."""

    def checked(batch: Batch) -> Checked:
        good, refused, ignored, read = [], [], None, batch.read_before
        for row in batch.rows:
            if row.__class__ is IgnoredColumns:
                ignored = row.names
                continue
            read += 1
            try:
                values = check_row(row)
            except ValueError as exc:
                refused.append((row.line, str(exc), _own_id(row)))
            else:
                good.append(staged_row(read, row.line, values))
        return Checked(good, refused, ignored, read)

    return checked


def _half_checked(batches: Iterator[Batch], checked: Callable[[Batch], Checked]) -> Iterator[Batch | Checked]:
    """What the child sends: every CHECK_CYCLE-th batch as read, for the parent to check, the others checked."""
    for place, batch in enumerate(batches):
        yield batch if place % CHECK_CYCLE == 0 else checked(batch)


def worth_a_child(source: BinaryIO) -> bool:
    """Whether reading and checking `source` in a forked child (import_rows' `in_child`) pays: the
    system forks, this process may run on two cores or more, and the file is long enough for the
    fork and the pickling to be won back. On one core the child only adds that work."""
    size = source.seek(0, os.SEEK_END)  # a file, or standard input in memory (a test's): both seek
    source.seek(0)
    return forked.available() and forked.cores() >= 2 and size >= CHILD_BYTES


def _own_id(row: Row) -> int | None:
    """The id a row carries (a jiesu export's), if it reads as one."""
    value = row.values.get("id")
    try:
        return None if value is None else cells.integer("id", value, None)
    except ValueError:
        return None


def _stager(dialect: str) -> Callable[[int, int, dict[str, Any]], tuple[Any, ...]]:
    """How a checked row becomes a staged one: its place, its line, its event's changes, the case as stored."""
    from jiesu.staging import CASE_COLUMNS

    stored = backend.time_storer(dialect)
    times = [i for i, name in enumerate(CASE_COLUMNS) if name in TIME_FIELDS]
    changes_by_status = {
        status.value: json.dumps({} if status == Status.NEW else {"status": [Status.NEW.value, status.value]}, ensure_ascii=False)
        for status in Status
    }

    case_of = operator.itemgetter(*CASE_COLUMNS)

    def staged_row(seq: int, line: int, values: dict[str, Any]) -> tuple[Any, ...]:
        case = list(case_of(values))
        for i in times:
            if case[i] is not None:
                case[i] = stored(case[i])
        return (
            seq, line, values["__old_id__"], values["__book__"], values["merged_into"], changes_by_status[values["status"]],
            values["__masked_phone__"], values["__masked_text__"], values["__open311__"], values["__unless_existing__"],
            textsearch.summary_key(values["search_text"]), *case,
        )

    return staged_row
