"""One renderer: rows of plain, JSON-ready dicts become a Rich table, JSON, CSV or ids.

Records carry English keys and machine values; a `Column` says how a person
reads one of them in a table (Chinese label, local time, enum label).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from bisect import bisect_right
from itertools import accumulate, chain
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from jiesu.clock import shown, shown_bound
from jiesu.errors import BadOption, Unencodable
from jiesu.phones import MASKS
from jiesu.safetext import before_a_number, json_escaped, visible, visible_lines
from jiesu.vocab import LabeledEnum, OutputFormat, labels_of_every_word

# What a CSV cell may start with to get a leading apostrophe: text a spreadsheet would run as a
# formula, and text that itself starts with an apostrophe, so that reading the file back
# (importer._unneutralise) takes off exactly the one added.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
# What text Excel or WPS reads as a number, date, time, percentage or money is made of (`read_by_excel`):
# digits, in ASCII or full width as a Chinese input method types them, and the marks such values are
# written with (`1,234.5`, `1e5`, `50%`, `(12)`, `3-4`, `1/2`, `12:30`, `¥5`), spaces among them.
NUMBER_MARKS = " .,:/-+%()eE$¥．，：／－＋％（）￥"
NUMBER_TEXT = "0123456789０１２３４５６７８９" + NUMBER_MARKS
TRUTH = ("true", "false")  # what Excel reads as a truth value, in any case, spaces around
# Fields jiesu writes as text in a form of its own, for Excel to read as the dates they are: the
# ledger's times for people (`2026-11-24 09:30`) and its period (`2026-11`), a report's day and month.
OWN_TIMES = frozenset({"received_at", "due", "cleared_at", "period", "date"})
_YEARED = re.compile(r"\d{4}-")  # a time as a table shows it, starting with its year


@dataclass(frozen=True)
class Column:
    """How a person reads one field in a table.

    A `whole` column (ids, times, statuses, counts) is never wrapped or cut; the others
    hold free text and are cut with an ellipsis to what the terminal has left, a column of
    `ids` (hotspots' `#4 #5 #6`) between two ids. On a narrow
    terminal a column with a `narrow` form (a time without its year) takes it, and columns
    with a `drop` rank are left out, lowest rank first, before free text is cut below its
    minimum; the `main` text (the 诉求 a row is about) keeps the most, and a `short` one (a label of
    a few words, such as 待办's 应升级（一人多诉）, that says little when cut) is kept whole while any
    ranked column can give way, and while the main text can give way to `MAIN_BESIDE_SHORT`. On a
    terminal too narrow even then, the main text gives way to free text's minimum before a column
    goes: other free text first, then whole columns (a deadline, a status), from the right; a
    `lasting` one (待办's 剩余, the time a worker has; 台账's 状态; a report's 件数, 综合得分) last,
    and only once the short label and the main text are cut to their headers' width.
    The first column (the id a worker types next) and a column of `ids` stay. A line under the table
    names the columns left out (`_say_left_out`), and one the columns `told` of whose text was cut (`_say_cut`).
    A column that is `given` a field shows an empty cell in a row where that field is empty
    (剩余 of work that has no deadline).
    """

    key: str
    label: str
    show: Callable[[Any], str] = lambda value: "" if value is None else str(value)
    whole: bool = False
    narrow: Callable[[str], str] | None = None
    drop: int = 0
    main: bool = False
    short: bool = False
    ids: bool = False
    given: str | None = None
    lasting: bool = False
    told: str | None = None  # a cut of this column is said under the table, with what shows it whole

    def text(self, row: dict[str, Any]) -> str:
        """This column's cell of `row`, as typed."""
        return "" if self.given and row.get(self.given) is None else self.show(row.get(self.key))


def without_year(text: str) -> str:
    """`2026-12-01 09:30` → `12-01 09:30`: a time as a narrow table shows it; other text (`现在`) as it is."""
    return text[5:] if _YEARED.match(text) else text


def labelled(enum: type[LabeledEnum]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return enum(value).label if value else ""

    return show


def local_time(tz: ZoneInfo) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return shown(datetime.fromisoformat(value), tz) if value else ""

    return show


def local_bound(tz: ZoneInfo) -> Callable[[Any], str]:
    """A deadline column: a bound that ends a day reads that day's 24:00 (clock.shown_bound)."""

    def show(value: Any) -> str:
        return shown_bound(datetime.fromisoformat(value), tz) if value else ""

    return show


def iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the office's offset, as JSON and CSV carry times."""
    return None if moment is None else moment.astimezone(tz).isoformat(timespec="seconds")


# Text fields stored as "" when there is none (a case's category and detail, a step's or a revisit's note),
# where other missing values are NULL: JSON says null for them too, as for any value a record does not
# have (CSV's empty cell is the same either way).
EMPTY_AS_NULL = frozenset({"category", "detail", "note"})


def null_if_empty(name: str, value: Any) -> Any:
    """`value` of field `name` as JSON says it: None for the "" stored when there is none (EMPTY_AS_NULL)."""
    return None if value == "" and name in EMPTY_AS_NULL else value


def record(source: Any, fields: Sequence[str], tz: ZoneInfo, *, reveal: bool = False) -> dict[str, Any]:
    """A model or a result row as a JSON-ready dict: times in ISO with offset, a missing value null, phones (the field's
    and any in free text) masked unless `reveal`."""
    out = {}
    for name in fields:
        value = getattr(source, name)
        if isinstance(value, datetime):
            value = iso(value, tz)
        elif value == "" and name in EMPTY_AS_NULL:
            value = None  # null_if_empty, inline: a million exported rows read this
        elif name in MASKS and not reveal:  # most fields hold no number: one look-up, not a call each
            value = MASKS[name](value)
        out[name] = value
    return out


def read_by_excel(written: str) -> bool:
    """Whether Excel or WPS, opening a CSV, would take this text for a value and rewrite it: made of
    digits and `NUMBER_MARKS` alone with a digit among them — a number (`0012` → 12, an 18-digit
    work-order number → 2.02611E+17, `1e5` → 100000, `1,234`, `(12)` → -12), a date (`3-4` → 4-Mar,
    `1/2`, `2026-11-03`), a time (`12:30`), a percentage (`50%`) or money (`¥5`) — or `TRUE`/`FALSE`
    in any case. Text of that shape Excel may keep (an address `3-4-501`) is marked all the same: a rule
    one can state and check, in SQL too (its twin, exchange.read_by_excel_sql)."""
    if not written.lstrip(NUMBER_TEXT):
        return bool(written.lstrip(NUMBER_MARKS))  # what is left starts with a digit
    return written.strip(" ").lower() in TRUTH


def marked(text: str) -> bool:
    """Whether a CSV cell of this text gets a leading apostrophe: a spreadsheet would run it as a formula
    (or it starts with an apostrophe itself), or read it as a value (`read_by_excel`)."""
    return text.startswith(FORMULA_STARTS) or read_by_excel(text)


def neutralise(value: Any) -> Any:
    """Text that is `marked`, with a leading apostrophe: Excel keeps what follows as text."""
    if isinstance(value, str) and marked(value):
        return "'" + value
    return value


def shielded(key: str, value: Any) -> Any:
    """The CSV cell of field `key`: `neutralise`d, unless the field is one of jiesu's `OWN_TIMES`."""
    return value if key in OWN_TIMES else neutralise(value)


def render(
    rows: Iterable[dict[str, Any]],
    fmt: OutputFormat,
    columns: Sequence[Column],
    *,
    out: IO[str] | None = None,
    title: str | None = None,
    whole_text: bool = False,
    case_ids: str = "id",
    fields: Sequence[str] | None = None,
) -> int:
    """Write `rows` in `fmt`, streaming where the format allows; returns how many.

    A table gives one line per row, free text cut to fit; with `whole_text` (`show`) it folds instead (`_fold_fit`).
    CSV has a column for each of `fields`, the keys of a row in order (default: the columns'
    keys): the same header whether or not any row matched, as a script appending CSVs needs.
    `ids` gives case ids whatever the rows are (ledger entries, hotspots): `case_ids` names the
    field that holds a row's case id, or a list of them.
    """
    out = out or sys.stdout
    if fmt is OutputFormat.JSON:
        return write_json_array(rows, out)
    if fmt is OutputFormat.CSV:
        return write_csv(rows, fields or [c.key for c in columns], out)
    if fmt is OutputFormat.IDS:
        return write_case_ids(rows, case_ids, out)
    return _table(rows, columns, out, title, whole_text)


def write_case_ids(rows: Iterable[dict[str, Any]], key: str, out: IO[str]) -> int:
    """The case ids in `rows[key]`, one per line and each once, in the order met: what `xargs jiesu …` reads.

    Rows keyed by their own `id` are cases, one each, and stream; rows of other records
    (ledger entries, hotspots) may name a case twice, so what was written is remembered.
    """
    written = None if key == "id" else set()
    count = 0
    for row in rows:
        if key not in row:
            raise BadOption("这里的输出没有诉求编号，不能用 --format ids；请用 table、json 或 csv")
        found = row[key]
        for case_id in found if isinstance(found, list) else [found]:
            if written is not None:
                if case_id in written:
                    continue
                written.add(case_id)
            out.write(f"{case_id}\n")
            count += 1
    return count


def on_display(out: IO[str]) -> bool:
    """Whether `out` is a terminal: a person reads it there, so case text in CSV, XML or HTML shows
    its stand-ins as in a table, and JSON escapes what a terminal would act on. A file or a pipe
    gets the exact text."""
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):  # no such method, or a closed stream
        return False


def json_writer(out: IO[str], **options) -> Callable[[Any], str]:
    """How a value becomes JSON text for `out`: exact, with `\\u` escapes where `out` cannot take a
    character (an encoding without it) or a terminal would act on it."""
    ascii_only = not speaks_utf(out)
    encode = _encoding(json.JSONEncoder(ensure_ascii=ascii_only, **options))  # one encoder, not one per value
    if on_display(out) and not ascii_only:
        return lambda value: json_escaped(encode(value))
    return encode


def _encoding(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """`encoder.encode`, but with CPython's C encoder made once: `encode` makes one for every value,
    a microsecond of each row of a long array. The same text (the C encoder is what `encode` uses)."""
    if c_make_encoder is None or encoder.indent is not None:
        return encoder.encode
    strings = encode_basestring_ascii if encoder.ensure_ascii else encode_basestring
    markers = {} if encoder.check_circular else None
    make = c_make_encoder(
        markers, encoder.default, strings, None, encoder.key_separator, encoder.item_separator,
        encoder.sort_keys, encoder.skipkeys, encoder.allow_nan,
    )
    return lambda value: "".join(make(value, 0))


def _fetched_first(rows: Iterable[Any]) -> Iterable[Any]:
    """`rows` with the first already fetched, before anything is written: a query that fails only
    when it runs (a bad option found then) fails with the output still empty."""
    rows = iter(rows)
    first = next(rows, None)
    return () if first is None else chain((first,), rows)


def write_json_array(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Rows as one JSON array (stdout left empty, not a lone `[`, by a query that fails when it runs)."""
    count = 0
    dumps = json_writer(out)
    rows = _fetched_first(rows)
    out.write("[")
    for row in rows:
        out.write((",\n " if count else "\n ") + dumps(row))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_csv(rows: Iterable[dict[str, Any]], keys: Sequence[str], out: IO[str], header: Sequence[str] | None = None) -> int:
    """Rows as CSV in the order of `keys`: lists and dicts as JSON, text `shielded` (`out` left
    empty, not a lone header, by a query that fails when it runs)."""
    cells = ([[shielded(key, _csv_cell(row.get(key))) for key in keys]] for row in _fetched_first(rows))
    return write_csv_batches(cells, header or keys, out)


def write_csv_batches(batches: Iterable[list[list[Any]]], header: Sequence[str], out: IO[str]) -> int:
    """Batches of rows already made CSV cells (None is an empty cell), under `header`; returns how many rows."""
    if on_display(out):
        batches = ([[visible(cell) if isinstance(cell, str) else cell for cell in row] for row in batch] for batch in batches)
    if speaks_utf(out):
        return _write_csv(batches, header, out)
    with held_back(out) as whole:  # a cell it cannot hold refuses the CSV: no part of it goes out
        return _write_csv(batches, header, whole)


@contextmanager
def held_back(out: IO[str]) -> Iterator[IO[str]]:
    """A stream in `out`'s encoding whose text reaches `out` only when the block ends without an error
    (in a spooled file, so a long export takes no memory): tester 18's half a CSV on a GBK stdout."""
    import tempfile

    with tempfile.SpooledTemporaryFile(max_size=SPOOLED_IN_MEMORY) as spool:
        whole = io.TextIOWrapper(spool, encoding=out.encoding, errors=out.errors, newline="\n")
        try:
            yield whole
            whole.flush()
            spool.seek(0)
            out.flush()
            shutil.copyfileobj(spool, out.buffer)
        finally:
            whole.detach()


SPOOLED_IN_MEMORY = 8 << 20  # bytes held back in memory before the rest goes to a temporary file


def _write_csv(batches: Iterable[list[list[Any]]], header: Sequence[str], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for batch in batches:
        try:
            writer.writerows(batch)
        except UnicodeEncodeError as exc:  # a row is written whole or not at all: the rows before it are out
            found = _unencodable_cell(batch, header, exc.encoding)
            if found is None:
                raise
            raise found from exc
        count += len(batch)
    return count


def _unencodable_cell(batch: list[list[Any]], header: Sequence[str], encoding: str) -> Unencodable | None:
    """The refusal naming the first cell of `batch` that `encoding` cannot hold: its row by the
    first column (a case's id, a ledger entry's number) and its column by the header."""
    for row in batch:
        for label, value in zip(header, row):
            bad = next((char for char in str(value) if not char.encode(encoding, "ignore")), None)
            if bad is not None:
                return Unencodable.of(encoding, bad, f"{header[0]} 为 {row[0]} 的一行，{label}")
    return None


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def console(out: IO[str]):
    """A Rich console that, when the reader goes away (`| head`), ends jiesu like any other output does.

    Print only `Text` (see `cell`) through it: a plain string would be parsed as Rich markup.
    """
    from rich.console import Console

    class PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:
            # Rich's own answer is to exit 1 there and then, even after a saved change; the CLI's
            # one output-failure handler (clikit.output_failed) ends every output the same way instead.
            raise BrokenPipeError

    _replace_unencodable(out)
    return PipeAwareConsole(file=out, highlight=False, soft_wrap=False, markup=False, emoji=False)


def _as_printed(out: IO[str]) -> Callable[[str], str]:
    """Case text made visible as `out` will print it, so that a table measures what a terminal shows: where
    its encoding lacks a character (GBK and `㐀`, `🚰`), the `?` that stands for it (`_replace_unencodable`),
    one cell where the character took two."""
    if speaks_utf(out):
        return visible
    encoding = out.encoding
    return lambda text: visible(text).encode(encoding, "replace").decode(encoding)


def _replace_unencodable(out: IO[str]) -> None:
    """On a terminal whose encoding lacks a glyph (GBK and ▇), a table shows `?` rather than stopping."""
    if not speaks_utf(out) and hasattr(out, "reconfigure"):
        out.reconfigure(errors="replace")


def cell(value: Any, *, whole: bool = True, folded: bool = False):
    """Case text as a Rich `Text`: never parsed as markup, every control character made visible.

    A cell that is not `whole` stays on one line, cut with an ellipsis to its column's width; a
    `folded` one is text `_folded` made visible, its line breaks the fold's.
    """
    from rich.text import Text

    text = (visible_lines if folded else visible)("" if value is None else str(value))
    return Text(text) if whole else Text(text, no_wrap=True, overflow="ellipsis")


# A table's columns are parted by " │ "; free text keeps at least this many cells (a CJK
# character is two) before low-value columns give way, the main text and short labels more,
# and never fewer than its header needs (a header is never cut), nor a column of ids than its first id.
SEPARATOR = 3
FREE_MIN = 8
MAIN_MIN = 20
# What the main text gives way to before a short label is cut: eight Chinese characters still say what
# a case is about, and 应升级（一人多诉） cut says little (at 80 columns beside a deadline to the second,
# `12-01 23:45:17`, and 剩余 `还有14小时15分`, even with 5-digit ids).
MAIN_BESIDE_SHORT = 16
# How far free text gives way once no ranked column is left, a step at a time: what a short label
# keeps (None: whole) and what the main text keeps. Only when the last step is too wide does a column go.
GIVING = ((None, MAIN_MIN), (None, MAIN_BESIDE_SHORT), (MAIN_MIN, MAIN_MIN), (FREE_MIN, MAIN_MIN), (FREE_MIN, FREE_MIN))
# Before a `lasting` column goes, the short label and the main text give way down to their headers' width.
HEADERS_ONLY = (0, 0)
# `show` folds its text: from this width on as Rich folds it (`_Fold`); narrower, jiesu lays it out (_fold_fit, _folded).
ROOMY = 80
# What no fold breaks where it fits a line: a time (`2026-12-01 24:00`, `12-01 24:00`); a label, the Chinese
# word before a colon (`办理期限：`, its last six characters at most); one of jiesu's words (`办理中`, `挂账整改`,
# as a change `状态：待派单 → 办理中` shows them); a run of letters and digits with the marks inside a number or a
# word (a masked phone 135****7777, 010-6512****, a stand-in <U+202E>); a command, `jiesu shell`. And a change's arrow
# with (the start of) the value after it, `→ #3`, so that no line ends with `→`.
_ONE_WHOLE = (
    r"jiesu [a-z]+|(?:\d{4}-)?\d\d?-\d\d? \d\d?:\d\d(?::\d\d)?|[\u3400-\u9fff]{2,6}[：:]"
    rf"|{'|'.join(map(re.escape, labels_of_every_word()))}"
    r"|<U\+[0-9A-F]+>|[0-9A-Za-z*#+]+(?:[-./:@_][0-9A-Za-z*#+]+)*"
)
_WHOLE = rf"→ (?:{_ONE_WHOLE}|\S)|{_ONE_WHOLE}"
_KEPT = re.compile(_WHOLE)
# One change of a step (`状态：待派单 → 办理中；`, views._changes parts them with `；`): a fold keeps it on one line
# when it fits one, so that a line of changes breaks between two changes first.
_CHANGE = re.compile(r"(?<![^；\n])[^；\n]*? → [^；\n]*；?")
# What a report's line of figures (`受理 3 · 超期 0`, `响应率 — · 解决率 75.0%`, `在账 1 条`, todo's `超期 2 项`) also keeps on one line:
# an aside in brackets with the id before it and the mark after it (`#4（超期、多次重办）、`, `（1 天内到期），`);
# a label with its figure, and the separator after it, so that no line starts with the separator; and the
# sign before it in a sum (`期初 0 + 新增 1 - 销账 0 = 期末 1`), so that no line ends with a bare `-`.
_FIGURES = re.compile(rf"(?:#\d+)?（[^（）\n]{{1,24}}）[、，]?|(?:[-+=] )?[\u3400-\u9fff]{{1,6}} (?:\d[\d.,]*%?|—)(?: [条件项])?(?: ·)?|{_WHOLE}")
_WORD = re.compile(r"\s*\S+\s*")  # a word as Rich's fold reads it, with the spaces around it (rich._wrap.re_word)
# What no line starts with (the rules of Chinese line breaking): closing punctuation. A fold that would
# start a line with it starts it with the character before instead.
_CLOSING = "，。、；：！？）》」』】〕〉”’…,.;:!?)]"
# What `_folded` keeps on one line: one of those, or any one other character; either with the closing
# punctuation after it, so that no line starts with `，`. And a run of spaces, where a line may end.
_PIECE = re.compile(rf"(?:{_WHOLE}|\S)[{re.escape(_CLOSING)}]*|\s+")


def _table(rows: Iterable[dict[str, Any]], columns: Sequence[Column], out: IO[str], title: str | None, whole_text: bool) -> int:
    typed = [[column.text(row) for column in columns] for row in rows]
    if not typed:
        return 0
    printed = _as_printed(out)
    shown = [[printed(text) for text in texts] for texts in typed]
    screen = console(out)
    layout, narrowed = _fold_fit(columns, shown, screen.width) if whole_text else _fit(columns, shown, screen.width)
    if layout is None:  # too narrow for the table: each row a record of label and value
        for n, texts in enumerate(shown):
            if n:
                screen.print()
            _print_record(screen, [(column.label, _form(column, narrowed, text)) for column, text in zip(columns, texts)], title if n == 0 else None)
        return len(shown)
    at = {column.key: n for n, column in enumerate(columns)}
    cells = [[_shaped(column, width, narrowed, raw[at[column.key]], texts[at[column.key]], whole_text, printed) for column, width in layout] for texts, raw in zip(shown, typed)]
    if whole_text or not _drawn_fast(screen, layout, cells, title):
        _drawn_by_rich(screen, layout, cells, title, whole_text)
    _say_left_out(screen, columns, layout)
    _say_cut(screen, layout, shown, at, narrowed)
    return len(cells)


def _say_left_out(screen, columns: Sequence[Column], layout: Sequence[tuple[Column, int | None]]) -> None:
    """A line under a table that left columns out to fit the terminal, naming them (`（屏幕太窄，略去：综合得分、满意率）`),
    folded to the terminal but never inside a column's name: a reader knows the table is not all there is."""
    shown = {column.key for column, _ in layout}
    left_out = [column.label for column in columns if column.key not in shown]
    if left_out:
        names = re.compile("|".join(map(re.escape, sorted(left_out, key=len, reverse=True))))
        screen.print(_Fold(cell(f"（屏幕太窄，略去：{'、'.join(left_out)}）"), names))


def _say_cut(screen, layout: Sequence[tuple[Column, int | None]], shown: list[list[str]], at: dict[str, int], narrowed: bool) -> None:
    """A line under a table that cut a column `told` (`rules show`'s 取值: a rule in force read as `Asia/Shangh…`
    is read wrong), naming it and what shows it whole (`（屏幕太窄，取值有截断；全文见 --format json）`)."""
    from rich.cells import cell_len

    cut = [
        column for column, width in layout
        if column.told and width and any(cell_len(_form(column, narrowed, texts[at[column.key]])) > width for texts in shown)
    ]
    for column in cut:
        screen.print(_Fold(cell(f"（屏幕太窄，{column.label}有截断；全文见 {column.told}）"), re.compile(f"{re.escape(column.told)}|{_WHOLE}")))


def _rich_table(layout: Sequence[tuple[Column, int | None]], title: str | None, whole_text: bool, *, widths: Sequence[int] | None = None):
    """A Rich table of the `layout`'s columns, no rows yet: each column `widths` wide where given,
    else a whole one as wide as its cells and a free one as wide as the layout says."""
    from rich.table import Table

    table = Table(title=cell(title) if title else None, title_justify="left", show_edge=False, pad_edge=False)
    for n, (column, width) in enumerate(layout):
        if column.whole:
            table.add_column(cell(column.label), no_wrap=True, width=widths[n] if widths else None)
        else:
            table.add_column(cell(column.label, whole=False), overflow="fold" if whole_text else "ellipsis", width=widths[n] if widths else width)
    return table


def _drawn_by_rich(screen, layout: Sequence[tuple[Column, int | None]], cells: list[list[str]], title: str | None, whole_text: bool) -> None:
    """The table drawn by Rich, which measures and lays out every cell: what `show` folds, and a table wider than the terminal."""
    table = _rich_table(layout, title, whole_text)
    for texts in cells:
        row = []
        for (column, width), text in zip(layout, texts):
            shaped = cell(text, whole=column.whole or whole_text, folded=bool(width) and whole_text)
            row.append(_Fold(shaped) if whole_text and not (width or column.whole) else shaped)  # Rich folds it
        table.add_row(*row)
    screen.print(table)


def _drawn_fast(screen, layout: Sequence[tuple[Column, int | None]], cells: list[list[str]], title: str | None) -> bool:
    """A table of one line a row, drawn as Rich draws it but without Rich measuring and rendering
    every cell (seconds for ten thousand rows): Rich draws the title and the header at widths
    worked out here, from the cells as shown, and each row is its cells padded to those widths,
    parted by the box's line. False, with nothing written, when the table does not fit the
    terminal (nor a header its column), where Rich would squeeze the columns."""
    from rich.cells import cell_len

    lengths = [[cell_len(text) for text in row] for row in cells]  # measured once: for the widths, then the padding
    widths = [width or max(cell_len(column.label), *(row[n] for row in lengths)) for n, (column, width) in enumerate(layout)]
    if sum(widths) + SEPARATOR * (len(widths) - 1) > screen.width or any(width < cell_len(column.label) for (column, _), width in zip(layout, widths)):
        return False
    header = _rich_table(layout, title, False, widths=widths)
    screen.print(header)
    divider = f" {header.box.substitute(screen.options, safe=screen.safe_box).mid_vertical} "
    out = screen.file
    for row, measured in zip(cells, lengths):
        out.write(divider.join([_padded(screen, text, length, width) for text, length, width in zip(row, measured, widths)]) + "\n")
    out.flush()  # as Rich flushes what it prints: the rows reach a terminal before a line on stderr (共 N 件)
    return True


def _padded(screen, text: str, length: int, width: int) -> str:
    """A cell `length` cells long filled out to its column's `width`; one that is wider (its characters, measured
    one by one as `_cut` does, were narrower than the whole: `☀️`) cut as Rich cuts a cell that overflows."""
    room = width - length
    if room >= 0:
        return text + " " * room
    options = screen.options.update(width=width, justify="left", no_wrap=True, overflow="ellipsis")
    return "".join(segment.text for segment in screen.render_lines(cell(text, whole=False), options, pad=True)[0])


def _shaped(column: Column, width: int | None, narrowed: bool, raw: str, text: str, whole_text: bool, printed: Callable[[str], str]) -> str:
    """A cell as the layout has it, made visible: folded or cut to its `width`, or in the form chosen (`text` is `raw` as `printed`)."""
    if not width:
        return _form(column, narrowed, text)
    if whole_text:
        return _folded(text, width)
    return _cut_ids(text, width) if column.ids else _cut(raw, width, printed)


class _Fold:
    """A cell of `show`'s text, folded as Rich folds any text (its widths, at a space, a long word cut at
    the edge) except that a line never ends inside a number, a time or a label (`_WHOLE`, or what `kept`
    matches) that fits one: the line ends before it instead, so `139****5678` is never read as `139**` and `**5678`."""

    def __init__(self, text, kept: re.Pattern = _KEPT) -> None:
        self.text = text
        self.kept = kept

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement.get(console, options, self.text)

    def __rich_console__(self, console, options):
        from rich.text import Text

        yield Text("\n".join(part for line in self.text.plain.split("\n") for part in _kept_whole(line, options.max_width, self.kept)))


def figures(text: str) -> _Fold:
    """A report's line of labels and figures for a console: folded at a space, but never between a label
    and its figure (`超期` on one line and `0` on the next), inside an id, or before closing punctuation."""
    return _Fold(cell(text), _FIGURES)


def _kept_whole(line: str, width: int, kept: re.Pattern = _KEPT) -> list[str]:
    """`line` in the lines Rich's fold (`rich._wrap.divide_line`) makes of it at `width`: at a space, a
    word wider than a line on a line of its own and cut at the edge. But a time's space is no place for
    a break, and a cut that would fall inside a `_WHOLE` span that fits a line falls before it."""
    from rich.cells import cell_len

    inside = {}  # a position inside a span that fits a line → where the span starts (a change's, over those within it)
    glued = list(line)
    for span in chain(kept.finditer(line), _CHANGE.finditer(line)):
        if cell_len(span.group()) <= width:
            inside.update(dict.fromkeys(range(span.start() + 1, span.end()), span.start()))
            glued[span.start() : span.end()] = span.group().replace(" ", "_")
    glued = "".join(glued)
    breaks, used = [], 0
    for word in _WORD.finditer(glued):
        start, end = word.span()
        length = cell_len(word.group().rstrip())
        if width - used >= length:
            used += cell_len(word.group())
        elif length > width:
            starts = _cut_at(line, start, end, width, inside)
            breaks += [at for at in starts if at]
            used = cell_len(line[starts[-1] : end])
        elif used and start:
            breaks.append(start)
            used = cell_len(word.group())
    return [line[a:b] for a, b in zip([0, *breaks], [*breaks, len(line)])]


def _cut_at(line: str, start: int, end: int, width: int, inside: dict[int, int]) -> list[int]:
    """Where the lines start that the word `line[start:end]` is cut into at `width` cells: where
    `chop_cells` cuts it, but before a span `inside` names rather than within it, the rest then
    folded as a word that starts a line (whole, if it fits without its spaces), and never before
    closing punctuation (`_CLOSING`)."""
    from rich.cells import cell_len, chop_cells

    stripped = start + len(line[start:end].rstrip())
    starts, moved = [start], False
    while True:
        at = starts[-1]
        if moved and stripped - at <= 4 * width + 16 and cell_len(line[at:stripped]) <= width:
            return starts
        window = line[at : min(end, at + 4 * width + 16)]  # more than a line: what the first cut needs
        pieces = chop_cells(window, width)
        if len(pieces) == 1 and at + len(window) < end:  # a line of characters that take no room
            pieces = chop_cells(line[at:end], width)
        if len(pieces) < 2:
            return starts
        cut = at + max(1, len(pieces[0]))  # a Chinese character in a column one cell wide is a line of its own
        while cut - 1 > at and line[cut] in _CLOSING:  # `，` goes to the next line with the character before it
            cut -= 1
        moved = inside.get(cut, at) > at
        starts.append(inside[cut] if moved else cut)


def _folded(text: str, width: int) -> str:
    """`text` (made visible) folded into lines of `width` cells: at a space, between two Chinese characters,
    never inside a number or a word (`_PIECE`) unless it is wider than a line. Spaces where a line ends go."""
    from rich.cells import cell_len, chop_cells

    lines, line = [], ""
    for piece in _pieces(text, width):
        if cell_len(line + piece) <= width:
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        if not piece.isspace():
            *whole, line = chop_cells(piece, width) if cell_len(piece) > width else [piece]
            lines.extend(whole)
    return "\n".join([*lines, line.rstrip()])


def _pieces(text: str, width: int) -> Iterable[str]:
    """`text` in what `_folded` keeps on one line (`_PIECE`), a change (`_CHANGE`) that fits `width` as one piece."""
    from rich.cells import cell_len

    at = 0
    for change in _CHANGE.finditer(text):
        if cell_len(change.group()) <= width:
            yield from _PIECE.findall(text, at, change.start())
            yield change.group()
            at = change.end()
    yield from _PIECE.findall(text, at)


def _cut(text: str, width: int, printed: Callable[[str], str]) -> str:
    """`text` as `printed` (made visible) cut to `width` cells with `…`: a stand-in (`<U+202E>`) is kept or left out
    whole, never shown in part (Rich would cut it anywhere)."""
    from rich.cells import cell_len

    shown = printed(text)
    if cell_len(shown) <= width:
        return shown
    pieces = shown if shown == text else [printed(char) for char in text]  # each character as shown
    ends = list(accumulate(map(cell_len, pieces)))  # how far each piece reaches
    return "".join(pieces[: before_a_number(pieces, bisect_right(ends, width - 1))]) + "…"


def _cut_ids(text: str, width: int) -> str:
    """`#4 #5 #6 #7` cut to `width` cells between two ids, `#4 #5 …`: an id is never shown in part."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    ids, kept = text.split(" "), 0
    while cell_len(" ".join(ids[: kept + 1])) + 2 <= width:
        kept += 1
    return " ".join([*ids[:kept], "…"])


def _form(column: Column, narrowed: bool, text: str) -> str:
    """A cell in the form the layout chose."""
    return column.narrow(text) if narrowed and column.narrow and text else text


def _fit(columns: Sequence[Column], shown: list[list[str]], width: int) -> tuple[list[tuple[Column, int | None]], bool]:
    """The columns, each with its width (None: as wide as it needs), that give one line per row at
    `width`, and whether times are shown in their narrow form.

    As wide as the text needs when everything fits; else times drop their year, then columns
    with a `drop` rank go, until the free text fits at its minimum with the `short` labels whole;
    only with every ranked column gone and the main text down to `MAIN_BESIDE_SHORT` is a short label
    cut (to the main text's minimum, then to free text's), and then the main text down to free text's
    minimum (`GIVING`). When even that is too wide, columns are left out: free text first, then
    `whole` columns (a deadline, a status), each from the right, a `lasting` one last and only once
    the short label and the main text are cut to their headers' width (`HEADERS_ONLY`); never the
    first (the id a worker types next), a column of `ids`, the main text or a short label: a `whole`
    cell is never cut. The room left goes first to a cut short
    label, then a cell at a time to the narrowest free column that can use it, the main text
    counting as half its width (two cells for one).
    """
    from rich.cells import cell_len

    def floor(n: int, column: Column) -> int:
        """What no cut goes below: the header, and in a column of ids the first id with its ` …`."""
        firsts = (cell_len(row[n].split(" ")[0]) + 2 for row in shown) if column.ids else ()
        return max([cell_len(column.label), *firsts])

    def least(n: int, short_least: int | None, main_least: int) -> int:
        column, need = columns[n], needs[n]
        if column.whole or (column.short and short_least is None):
            return need
        return min(need, max(floors[n], short_least if column.short else main_least if column.main else FREE_MIN))

    def span(kept: list[int], size: Callable[[int], int]) -> int:
        return sum(size(n) for n in kept) + SEPARATOR * (len(kept) - 1)

    def giving(kept: list[int]) -> tuple[int | None, int] | None:
        """The first step of `GIVING` at which the `kept` columns fit, if any."""
        return next((step for step in GIVING if span(kept, lambda n: least(n, *step)) <= width), None)

    kept = list(range(len(columns)))
    wide = {n: _natural(n, column, shown, False) for n, column in enumerate(columns)}
    if span(kept, wide.get) <= width:
        return [(column, None) for column in columns], False
    narrowed = _all_this_year(columns, shown)
    needs = {n: _natural(n, column, shown, narrowed) if narrowed and column.narrow else wide[n] for n, column in enumerate(columns)}
    floors = {n: floor(n, column) for n, column in enumerate(columns)}
    for n in sorted((n for n in kept if columns[n].drop), key=lambda n: columns[n].drop):
        if span(kept, lambda n: least(n, *GIVING[0])) <= width:
            break
        kept.remove(n)
    step = giving(kept)
    leaving = [n for n in kept[1:] if not (columns[n].main or columns[n].short or columns[n].ids)]
    for n in sorted(reversed(leaving), key=lambda n: (columns[n].whole, columns[n].lasting)):
        if step:
            break
        if columns[n].lasting and span(kept, lambda n: least(n, *HEADERS_ONLY)) <= width:
            step = HEADERS_ONLY
            break
        kept.remove(n)
        step = giving(kept)
    widths = {n: least(n, *(step or GIVING[-1])) for n in kept}
    spare = width - span(kept, widths.get)
    for n in kept:
        if columns[n].short and step != HEADERS_ONLY:  # else the main text, cut shorter, grows first
            grown = min(spare, needs[n] - widths[n])
            widths[n] += grown
            spare -= grown
    while spare > 0:
        growing = [n for n in kept if not columns[n].whole and widths[n] < needs[n]]
        if not growing:
            break
        widths[min(growing, key=lambda n: widths[n] / (2 if columns[n].main else 1))] += 1
        spare -= 1
    return [(columns[n], None if columns[n].whole else widths[n]) for n in kept], narrowed


def _natural(n: int, column: Column, shown: list[list[str]], narrowed: bool) -> int:
    """How wide column `n` is with nothing cut or folded, its times in their narrow form if `narrowed`."""
    from rich.cells import cell_len

    texts = (row[n] for row in shown)
    if narrowed and column.narrow:
        texts = (column.narrow(text) if text else text for text in texts)
    return max(cell_len(column.label), *(cell_len(text) for text in texts))


def _fold_fit(columns: Sequence[Column], shown: list[list[str]], width: int) -> tuple[list[tuple[Column, int | None]] | None, bool]:
    """`show`'s table, its text folded, laid out for `width` as `_fit` lays out the others: None
    when it cannot be, and whether times are shown in their narrow form.

    From `ROOMY` on, or when everything fits, Rich folds it. Narrower, times drop their year, and
    each column of free text keeps its header and its widest number or word (`_PIECE`: a masked
    phone stays on one line) whole; the room left goes a cell at a time to the narrowest free
    column that can use it. When even that is too wide, each row is shown as a record instead.
    """
    from rich.cells import cell_len

    def span(size: dict[int, int]) -> int:
        return sum(size.values()) + SEPARATOR * (len(columns) - 1)

    if width >= ROOMY or span({n: _natural(n, column, shown, False) for n, column in enumerate(columns)}) <= width:
        return [(column, None) for column in columns], False
    narrowed = _all_this_year(columns, shown)
    needs = {n: _natural(n, column, shown, narrowed) for n, column in enumerate(columns)}
    widths = {
        n: needs[n] if column.whole else max([cell_len(column.label), *(cell_len(piece) for row in shown for piece in _PIECE.findall(row[n]))])
        for n, column in enumerate(columns)
    }
    spare = width - span(widths)
    if spare < 0:
        return None, narrowed
    while spare > 0:
        growing = [n for n, column in enumerate(columns) if not column.whole and widths[n] < needs[n]]
        if not growing:
            break
        widths[min(growing, key=widths.get)] += 1
        spare -= 1
    return [(column, None if column.whole else widths[n]) for n, column in enumerate(columns)], narrowed


def _all_this_year(columns: Sequence[Column], shown: list[list[str]]) -> bool:
    """Whether a time may drop its year: only when every time of the table is of this year
    (by the UTC clock; near New Year a differing year just keeps the years), so `12-26`
    never stands for a December years ago."""
    from jiesu.clock import utcnow

    this_year = f"{utcnow().year:04d}-"
    return all(
        row[n].startswith(this_year) for n, column in enumerate(columns) if column.narrow for row in shown if _YEARED.match(row[n])
    )


def render_record(row: dict[str, Any], columns: Sequence[Column], out: IO[str] | None = None, title: str | None = None) -> None:
    """One record as a two-column table of label and value (for `show`): the whole text, folded to fit."""
    out = out or sys.stdout
    printed = _as_printed(out)
    _print_record(console(out), [(column.label, printed(column.show(row.get(column.key)))) for column in columns], title and printed(title))


def _print_record(screen, pairs: Sequence[tuple[str, str]], title: str | None) -> None:
    """Labels and their values, the empty ones left out, as a two-column table; below `ROOMY` the
    values folded by `_folded`, so that a number stays on one line."""
    from rich.cells import cell_len
    from rich.table import Table

    pairs = [(label, value) for label, value in pairs if value]
    room = screen.width - max((cell_len(label) for label, _ in pairs), default=0) - 2  # the gap between the columns
    table = Table(title=_Fold(cell(title)) if title else None, title_justify="left", show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    folding = screen.width < ROOMY and room > 0
    for label, value in pairs:
        table.add_row(cell(label), cell(_folded(visible(value), room), folded=True) if folding else _Fold(cell(value)))
    screen.print(table)


def print_json(document: Any, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    out.write(json_writer(out, indent=2)(document) + "\n")


def speaks_utf(out: IO[str]) -> bool:
    """Whether `out` holds every character: else JSON uses `\\u` escapes (the same text, exactly), a
    table `?`, and CSV is refused (`write_csv_batches`)."""
    return (getattr(out, "encoding", None) or "utf-8").lower().replace("_", "-").startswith("utf")
