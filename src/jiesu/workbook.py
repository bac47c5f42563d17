"""Excel workbooks in and out: `.xlsx`/`.xls` read with python-calamine, `.xlsx` written with XlsxWriter.

Reading gives each row's cells as the sheet typed them (text, numbers, dates), with
the sheet's own row numbers. Writing streams in XlsxWriter's constant-memory mode,
so a million cases never sit in memory; every text is written as text (refs,
phones and formula-looking cells are never rewritten or run), times as date cells.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from jiesu.cells import EXCEL_1904_EPOCH, EXCEL_EPOCH, UNSAVED_FORMULA
from jiesu.errors import BadInput
from jiesu.safetext import columns as display_width  # as in a terminal, so in Excel's default font: Chinese counts two

EXCEL_CELL_LIMIT = 32_767  # characters Excel holds in one cell
EXCEL_ROW_LIMIT = 1_048_576
WIDEST_COLUMN = 60
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass
class Sheet:
    """The sheet an import reads: its name, the workbook's other sheets (visible ones first), its rows
    (row number, cells) and the day its workbook counts serial dates from."""

    name: str
    others: list[str]
    records: Iterator[tuple[int, list[Any]]]
    epoch: datetime = EXCEL_EPOCH


def read_sheet(data: bytes, sheet: str | None) -> Sheet:
    """The named sheet of the workbook `data`, or its first. Rows come with the sheet's own numbers (blank
    rows included, so numbers match Excel's) and cells as the sheet typed them (text, numbers, dates); a
    merged range's value is in each of its cells, and a formula whose result was never saved is UNSAVED_FORMULA."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise BadInput(f"工作簿中没有名为 {sheet} 的工作表；有：{'、'.join(names)}")
        if not names:
            return Sheet("", [], iter(()))
        name = sheet or names[0]
        hidden = {meta.name for meta in book.sheets_metadata if meta.visible != SheetVisibleEnum.Visible}
        others = sorted((other for other in names if other != name), key=lambda other: other in hidden)
        page = book.get_sheet_by_name(name)
        rows = page.iter_rows()
        epoch, unsaved, stale = _xlsx_facts(data, name) if data.startswith(b"PK") else (EXCEL_EPOCH, (), False)
        left = page.start[1] if page.start is not None else 0
        if unsaved:
            rows = _unsaved_marked(rows, unsaved, left, stale)
        if page.merged_cell_ranges:
            rows = _merges_spread(rows, page.merged_cell_ranges, left)
        return Sheet(name, others, enumerate(rows, start=1), epoch)
    except BadInput:
        raise
    except Exception as exc:  # the reader raises its own error types (zip, XML, password, format) for broken files
        raise BadInput(f"不是可读的 Excel 工作簿：{_reason(exc, data)}") from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xlsx_facts(data: bytes, name: str) -> tuple[datetime, set[tuple[int, int]], bool]:
    """The day an .xlsx counts serial dates from (Excel for Mac's 1904 system, or 1900), the (row,
    column) of sheet `name`'s formulas without a saved result — a workbook written by a program, never
    opened in Excel, has them, and python-calamine reads each as empty — and whether a saved result of 0
    is a stand-in: a workbook that asks to be recalculated when opened (`fullCalcOnLoad`) is one a program
    wrote, and XlsxWriter saves 0 for each formula it was given no result for."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        package = ElementTree.fromstring(archive.read("_rels/.rels")) if "_rels/.rels" in names else ()
        main = next((r.get("Target") for r in package if r.get("Type", "").endswith("/officeDocument")), "xl/workbook.xml")
        main = main.lstrip("/")
        folder, _, base = main.rpartition("/")
        if main not in names or f"{folder}/_rels/{base}.rels" not in names:  # python-calamine read it: nothing to add
            return EXCEL_EPOCH, set(), False
        book = ElementTree.fromstring(archive.read(main))
        epoch = EXCEL_EPOCH
        stale = False
        sheet_id = None
        for element in book.iter():
            tag = _local(element.tag)
            if tag == "workbookPr" and element.get("date1904") in ("1", "true"):
                epoch = EXCEL_1904_EPOCH
            elif tag == "calcPr" and element.get("fullCalcOnLoad") in ("1", "true"):
                stale = True
            elif tag == "sheet" and element.get("name") == name:
                sheet_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
        links = ElementTree.fromstring(archive.read(f"{folder}/_rels/{base}.rels"))
        target = next((r.get("Target") for r in links if r.get("Id") == sheet_id), None)
        if target is None:
            return epoch, set(), stale
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"{folder}/{target}")
        return epoch, _unsaved_formulas(archive, part, stale) if part in names else set(), stale


_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _unsaved_formulas(archive: zipfile.ZipFile, part: str, stale: bool) -> set[tuple[int, int]]:
    """(row, column), from 0, of the formula cells of the sheet XML `part` that hold no result (or, in a
    `stale` workbook, the number 0 that stands in for one)."""
    with archive.open(part) as stream:  # most sheets have no formula: a quick look spares them the parse
        tail = b""
        while chunk := stream.read(1 << 20):
            if _FORMULA.search(tail + chunk):
                break
            tail = chunk[-64:]
        else:
            return set()
    found: set[tuple[int, int]] = set()
    row = column = -1
    with archive.open(part) as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "row":
                    row = int(element.get("r", row + 2)) - 1
                    column = -1
                elif tag == "c":
                    column = _column(element.get("r")) if element.get("r") else column + 1
                continue
            if tag == "c":
                parts = {_local(child.tag): child for child in element}
                value = parts.get("v")
                kind = element.get("t")
                unsaved = value is None or (not value.text and kind != "str") or (stale and value.text == "0" and kind in (None, "n"))
                if "f" in parts and unsaved:
                    found.add((row, column))
                element.clear()
            elif tag == "row":
                element.clear()
    return found


def _column(reference: str) -> int:
    """The column, from 0, of a cell reference such as `J4`."""
    number = 0
    for letter in reference:
        if not letter.isalpha():
            break
        number = number * 26 + ord(letter.upper()) - ord("A") + 1
    return number - 1


def _unsaved_marked(rows: Iterable[list[Any]], unsaved: set[tuple[int, int]], left: int, stale: bool) -> Iterator[list[Any]]:
    """The rows with UNSAVED_FORMULA in each cell at `unsaved` that reads as empty (or as the 0 a `stale`
    workbook stands in for a result with)."""
    by_row: dict[int, list[int]] = {}
    for row, column in unsaved:
        by_row.setdefault(row, []).append(column - left)
    for index, cells in enumerate(rows):
        for position in by_row.get(index, ()):
            if 0 <= position < len(cells) and (not _shown(cells[position]) or (stale and cells[position] == 0)):
                cells[position] = UNSAVED_FORMULA
        yield cells


def _shown(cell: Any) -> bool:
    return cell is not None and cell != ""


def _merges_spread(
    rows: Iterable[list[Any]], ranges: Iterable[tuple[tuple[int, int], tuple[int, int]]], left: int
) -> Iterator[list[Any]]:
    """The rows with each merged range's value (its top-left cell's) in every cell of the range, as Excel
    shows it: a 所属社区 merged down three rows is each row's community, not the first's alone. `ranges` are
    ((top, first column), (bottom, last column)) of the sheet; the rows start at its row 0 and its column `left`."""
    starting: dict[int, list[tuple[int, int, int]]] = {}
    for (top, first), (bottom, last) in ranges:
        starting.setdefault(top, []).append((first - left, last - left, bottom))
    spreading: list[tuple[int, int, int, Any]] = []
    for index, cells in enumerate(rows):
        for first, last, bottom in starting.pop(index, ()):
            if 0 <= first < len(cells):
                spreading.append((first, last, bottom, cells[first]))
        spreading = [merge for merge in spreading if merge[2] >= index]
        for first, last, _, value in spreading:
            last = min(last, len(cells) - 1)
            cells[first:last + 1] = [value] * (last - first + 1)
        yield cells


def _reason(exc: Exception, data: bytes) -> str:
    """Why python-calamine could not read `data`, in Chinese: told by its error and the file's first bytes,
    not in the reader's English."""
    from python_calamine import PasswordError, XmlError, ZipError

    if isinstance(exc, PasswordError):
        return "工作簿设了密码；请在 Excel 中取消密码后另存为 .xlsx"
    if not data.strip():
        return "文件是空的"
    if isinstance(exc, ZipError) or data.startswith(b"PK"):
        return "文件不完整或已损坏（.xlsx 的压缩结构读不出来；可能没有下载完整）"
    if isinstance(exc, XmlError):
        return "工作簿里的 XML 已损坏"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "文件不完整或已损坏（旧版 .xls 的结构读不出来）"
    if data.lstrip()[:1] == b"<":
        return "这是网页（HTML）或 XML 文本；请在 Excel 中打开后另存为 .xlsx"
    if b"\x00" not in data[:4096]:
        return "这是文本文件（如 CSV）；CSV 请加 --format csv 导入"
    return "文件内容既不是 .xlsx 也不是 .xls；请在 Excel 中打开后另存为 .xlsx"


def write_workbook(
    path: Path, rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], *, sheet: str,
    name_of: Callable[[dict[str, Any]], str], labels: Mapping[str, str] | None = None,
) -> int:
    """Write rows under a bold, frozen header of `columns` (key, header text) to `path`; returns how many.

    `name_of` names a row and `labels` a field (by default its header) in a refusal (e.g. "#42 的诉求详情"):
    a text longer than a cell holds is refused, never cut. Times are datetimes in the office's zone,
    written as date cells.
    """
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    # XlsxWriter's own temporaries (the rows, each part of the package) go to a folder of ours that
    # is removed whatever happens: left in the system's temp folder by a failed write, they held the cases.
    with tempfile.TemporaryDirectory(prefix="jiesu-xlsx-") as scratch, _Part(path) as part:
        book = xlsxwriter.Workbook(part, {"constant_memory": True, "strings_to_numbers": False, "tmpdir": scratch,
                                          "strings_to_formulas": False, "strings_to_urls": False})
        try:
            count = _fill(book, rows, columns, sheet=sheet, name_of=name_of, labels=labels or dict(columns))
        except BaseException:
            _discard(book)
            raise
        try:
            book.close()
        except FileCreateError as exc:  # the system's refusal (a full disk), wrapped in XlsxWriter's own error
            raise exc.args[0] from None
    return count


def _fill(
    book, rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], *, sheet: str,
    name_of: Callable[[dict[str, Any]], str], labels: Mapping[str, str],
) -> int:
    """Write the header and the rows into a new sheet of `book`; returns how many rows."""
    from jiesu.xlsxsheet import EscapingWorksheet

    page = book.add_worksheet(sheet, worksheet_class=EscapingWorksheet)
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": TIME_FORMAT})
    widths = [display_width(label) for _, label in columns]
    page.freeze_panes(1, 0)
    for position, (_, label) in enumerate(columns):
        page.write_string(0, position, label, bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        if count >= EXCEL_ROW_LIMIT:
            raise BadInput(f"超过 Excel 一张表的行数上限 {EXCEL_ROW_LIMIT:,}；请缩小范围或改用 CSV")
        for position, (key, _) in enumerate(columns):
            value = row.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                page.write_datetime(count, position, value.replace(tzinfo=None, microsecond=0), when)  # to the second, as CSV: Excel's day fraction would round it up
                widths[position] = max(widths[position], len(TIME_FORMAT))
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                page.write_number(count, position, value)
                text = str(value)
            else:
                text = str(value)
                if len(text) > EXCEL_CELL_LIMIT:
                    raise BadInput(
                        f"{name_of(row)} 的{labels.get(key, key)}有 {len(text):,} 个字符，超过 Excel 单元格上限"
                        f" {EXCEL_CELL_LIMIT:,}；请改用 CSV（--format csv）"
                    )
                page.write_string(count, position, text)
            widths[position] = max(widths[position], display_width(text[:WIDEST_COLUMN]))
    for position, width in enumerate(widths):
        page.set_column(position, position, min(width, WIDEST_COLUMN) + 2)
    return count


class _Part:
    """The part file as the zip writer's file. After the disk first refuses a write (or the part is
    closed) it takes every call silently, keeping count of the position as a file would: XlsxWriter
    leaves its zip open on a failure, and the zip's own close, run whenever it is collected, would
    fail a second time, as an "Exception ignored" on stderr."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 — closed by __exit__
        self._done = False
        self._at = self._end = 0

    def __enter__(self) -> _Part:
        return self

    def __exit__(self, *exc) -> None:
        if self._done:  # refused: what is still buffered cannot be written either
            with contextlib.suppress(OSError):
                self._file.close()
        else:
            self._done = True
            self._file.close()

    def _call(self, method: str, *args: Any) -> None:
        if not self._done:
            try:
                getattr(self._file, method)(*args)
            except OSError:
                self._done = True
                raise

    def write(self, data: bytes) -> int:
        self._call("write", data)
        self._at += len(data)
        self._end = max(self._end, self._at)
        return len(data)

    def flush(self) -> None:
        self._call("flush")

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._call("seek", offset, whence)
        self._at = (0, self._at, self._end)[whence] + offset
        return self._at

    def tell(self) -> int:
        return self._at

    def seekable(self) -> bool:
        return True


def _discard(book) -> None:
    """Drop a half-written workbook's temporary files without producing the file."""
    for handle in getattr(book, "worksheets_objs", []):
        row_data = getattr(handle, "row_data_fh", None)
        if row_data is not None and not row_data.closed:
            row_data.close()
