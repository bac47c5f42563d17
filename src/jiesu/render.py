"""One renderer: rows of plain, JSON-ready dicts become a Rich table, JSON, CSV or ids.

Records carry English keys and machine values; a `Column` says how a person
reads one of them in a table (Chinese label, local time, enum label).
"""

from __future__ import annotations

import csv
import json
import sys
from itertools import chain
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from jiesu.clock import shown
from jiesu.phones import mask
from jiesu.vocab import LabeledEnum, OutputFormat

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    show: Callable[[Any], str] = lambda value: "" if value is None else str(value)


def labelled(enum: type[LabeledEnum]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return enum(value).label if value else ""

    return show


def local_time(tz: ZoneInfo) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return shown(datetime.fromisoformat(value), tz) if value else ""

    return show


def iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the office's offset, as JSON and CSV carry times."""
    return None if moment is None else moment.astimezone(tz).isoformat(timespec="seconds")


def record(source: Any, fields: Sequence[str], tz: ZoneInfo, *, reveal: bool = False) -> dict[str, Any]:
    """A model or a result row as a JSON-ready dict: times in ISO with offset, phones masked unless `reveal`."""
    out = {}
    for name in fields:
        value = getattr(source, name)
        if isinstance(value, datetime):
            value = iso(value, tz)
        elif name == "phone" and not reveal:
            value = mask(value)
        out[name] = value
    return out


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render(
    rows: Iterable[dict[str, Any]],
    fmt: OutputFormat,
    columns: Sequence[Column],
    *,
    out: IO[str] | None = None,
    title: str | None = None,
) -> int:
    """Write `rows` in `fmt`, streaming where the format allows; returns how many."""
    out = out or sys.stdout
    if fmt is OutputFormat.JSON:
        return write_json_array(rows, out)
    if fmt is OutputFormat.CSV:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return write_csv([], [c.key for c in columns], out)
        return write_csv(chain([first], rows), list(first), out)
    if fmt is OutputFormat.IDS:
        count = 0
        for row in rows:
            out.write(f"{row['id']}\n")
            count += 1
        return count
    return _table(rows, columns, out, title)


def write_json_array(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n " if count else "\n ")
        out.write(json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_csv(rows: Iterable[dict[str, Any]], keys: Sequence[str], out: IO[str], header: Sequence[str] | None = None) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or keys)
    count = 0
    for row in rows:
        writer.writerow([neutralise(_csv_cell(row.get(key))) for key in keys])
        count += 1
    return count


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def console(out: IO[str]):
    """A Rich console that, when the reader goes away (`| head`), ends jiesu like any other output does."""
    from rich.console import Console

    class PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:
            # Rich's own answer is to exit 1, which cron would read as a refusal; the CLI's one
            # broken-pipe handler (clikit.JiesuGroup) ends every output the same way instead.
            raise BrokenPipeError

    return PipeAwareConsole(file=out, highlight=False, soft_wrap=False)


def _table(rows: Iterable[dict[str, Any]], columns: Sequence[Column], out: IO[str], title: str | None) -> int:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column.label, overflow="fold")
    count = 0
    for row in rows:
        table.add_row(*(column.show(row.get(column.key)) for column in columns))
        count += 1
    if count:
        console(out).print(table)
    return count


def render_record(row: dict[str, Any], columns: Sequence[Column], out: IO[str] | None = None, title: str | None = None) -> None:
    """One record as a two-column table of label and value (for `show`)."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for column in columns:
        value = column.show(row.get(column.key))
        if value:
            table.add_row(column.label, value)
    console(out or sys.stdout).print(table)


def print_json(document: Any, out: IO[str] | None = None) -> None:
    (out or sys.stdout).write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
