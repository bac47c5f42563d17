"""Excel workbooks in and out: `.xlsx`/`.xls` read with python-calamine, `.xlsx` written with XlsxWriter.

Reading gives each row's cells as the sheet typed them (text, numbers, dates), with
the sheet's own row numbers. Writing streams in XlsxWriter's constant-memory mode,
so a million cases never sit in memory; every text is written as text (refs,
phones and formula-looking cells are never rewritten or run), times as date cells.
"""

from __future__ import annotations

import io
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
        page = book.get_sheet_by_name(sheet or names[0])
        rows = page.iter_rows()
        if page.merged_cell_ranges and page.start is not None:
            rows = _merges_spread(rows, page.merged_cell_ranges, page.start[1])
        for number, cells in enumerate(rows, start=1):
            yield number, cells
    except BadInput:
        raise
    except Exception as exc:  # the reader raises its own error types (zip, XML, password, format) for broken files
        raise BadInput(f"不是可读的 Excel 工作簿：{_reason(exc)}") from None


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

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    try:
        page = book.add_worksheet(sheet)
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
    except BaseException:
        _discard(book)
        raise
    book.close()
    return count


def _discard(book) -> None:
    """Drop a half-written workbook's temporary files without producing the file."""
    for handle in getattr(book, "worksheets_objs", []):
        row_data = getattr(handle, "row_data_fh", None)
        if row_data is not None and not row_data.closed:
            row_data.close()
