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
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jiesu.errors import BadInput

EXCEL_CELL_LIMIT = 32_767  # characters Excel holds in one cell
EXCEL_ROW_LIMIT = 1_048_576
WIDEST_COLUMN = 60
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def sheet_records(data: bytes, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the named sheet, or the first; blank rows included so numbers match Excel's."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise BadInput(f"工作簿中没有名为 {sheet} 的工作表；有：{'、'.join(names)}")
        if not names:
            return
        rows = book.get_sheet_by_name(sheet or names[0]).iter_rows()
        for number, cells in enumerate(rows, start=1):
            yield number, cells
    except BadInput:
        raise
    except Exception as exc:  # the reader raises its own error types (zip, XML, password, format) for broken files
        raise BadInput(f"不是可读的 Excel 工作簿：{_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def display_width(text: str) -> int:
    """Columns a text takes in Excel's default font: Chinese characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_workbook(
    path: Path, rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], *, sheet: str,
    name_of: Callable[[dict[str, Any]], str],
) -> int:
    """Write rows under a bold, frozen header of `columns` (key, header text) to `path`; returns how many.

    `name_of` names a row in a refusal (e.g. "#42"): a text longer than a cell holds is refused,
    never cut. Times are datetimes in the office's zone, written as date cells.
    """
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    # XlsxWriter's own temporaries (the rows, each part of the package) go to a folder of ours that
    # is removed whatever happens: left in the system's temp folder by a failed write, they held the cases.
    with tempfile.TemporaryDirectory(prefix="jiesu-xlsx-") as scratch, _Part(path) as part:
        book = xlsxwriter.Workbook(part, {"constant_memory": True, "strings_to_numbers": False, "tmpdir": scratch,
                                          "strings_to_formulas": False, "strings_to_urls": False})
        try:
            count = _fill(book, rows, columns, sheet=sheet, name_of=name_of)
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
    name_of: Callable[[dict[str, Any]], str],
) -> int:
    """Write the header and the rows into a new sheet of `book`; returns how many rows."""
    page = book.add_worksheet(sheet, worksheet_class=_escaping_worksheet())
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
                        f"{name_of(row)} 的 {key} 有 {len(text):,} 个字符，超过 Excel 单元格上限"
                        f" {EXCEL_CELL_LIMIT:,}；请改用 --format jsonl 或 csv"
                    )
                page.write_string(count, position, text)
            widths[position] = max(widths[position], display_width(text[:WIDEST_COLUMN]))
    for position, width in enumerate(widths):
        page.set_column(position, position, min(width, WIDEST_COLUMN) + 2)
    return count


def _escaping_worksheet() -> type:
    """XlsxWriter's worksheet, with every `_xHHHH_` in a text escaped, overlapping ones too.

    A sheet stores a control character as `_xHHHH_` and so a text that holds such a sequence has
    its `_` written `_x005F_`. XlsxWriter (3.3) finds the sequences without overlap: in
    `3号楼_x005F_x0041_` it escaped `_x005F_` alone, and the `_` it left of `_x0041_` read back
    as `A` (`3号楼_x005FA`). Here each `_` that starts such a sequence is escaped.
    """
    from xlsxwriter.worksheet import Worksheet

    class EscapingWorksheet(Worksheet):
        @staticmethod
        def _escape_control_characters(data: str) -> str:
            data = _ESCAPE_LIKE.sub("_x005F_", data)
            return _CONTROL.sub(lambda found: f"_x{ord(found.group()):04X}_", data)

    return EscapingWorksheet


_ESCAPE_LIKE = re.compile(r"_(?=x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # what XML cannot hold, as XlsxWriter escapes it


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
