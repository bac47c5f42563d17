"""Import and export: files that leave or enter jiesu (ledger CSV for Excel, case exchange formats).

Exports stream row by row and go to a temporary file that replaces the target
only when complete, so a crash never leaves half a file under the real name.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, func, literal, or_, select, type_coerce
from sqlalchemy import case as sql_case

from jiesu import atomicfile, db
from jiesu.cells import FORCED_TEXT
from jiesu.clock import shown, shown_bound
from jiesu.errors import BadInput, BadOption, Unencodable, os_reason
from jiesu.fields import OPEN311_OWN_ID
from jiesu.isotext import local_iso
from jiesu.models import BOOK, CASE_DEADLINES, CASE_FIELDS, CASE_TIMES, Case, Event, UTCDateTime
from jiesu.office import Office
from jiesu.safetext import echoed_path, visible
from jiesu import phones
from jiesu.views import yes_no
from jiesu.render import (
    FORMULA_STARTS, NUMBER_MARKS, NUMBER_TEXT, TRUTH, iso, json_writer, neutralise, null_if_empty, on_display, record, shielded, speaks_utf,
    write_csv_batches, write_json_array,
)
from jiesu.vocab import LedgerStatus, Result, Status

if TYPE_CHECKING:
    from jiesu.ledger import EntryLine

CSV_BATCH = 1000
TRUTH_STARTS = (" ", "t", "T", "f", "F")  # what a text read as TRUE or FALSE starts with (render.TRUTH)
MARKED_STARTS = tuple(sorted({*FORMULA_STARTS, *NUMBER_TEXT, *TRUTH_STARTS}))  # what a text render.marked starts with
CLOSED_STATUSES = (Status.CLOSED.value, Status.REVISITED.value, Status.MERGED.value)


def ledger_row(line: EntryLine, tz: ZoneInfo, *, reveal: bool, for_people: bool, typed_times: bool = False) -> dict[str, Any]:
    """One ledger entry, with its case, as the street office hands it up.

    `for_people` gives labels and local times as text; `typed_times` keeps times as local
    datetimes, for a workbook's date cells — a receipt at 00:00 too: unlike the case workbook
    (case_rows), this one is not imported again, and a column of dates sorts and filters as
    dates. The period (`2026-11`) and the deadline stay text as on screen even then: a deadline
    that ends a day has no date cell reading its 24:00 (00:00 names the next day, 23:59:59 another
    instant), and text of the one form sorts and filters in time order.
    """
    if typed_times:
        time, bound = (lambda t: _local(t, tz)), (lambda t: shown_bound(t, tz))
    elif for_people:  # a deadline that ends a day reads that day's 24:00, as on screen
        time, bound = (lambda t: shown(t, tz)), (lambda t: shown_bound(t, tz))
    else:
        time = bound = lambda t: iso(t, tz)  # noqa: E731
    entry, case = line.entry, line.case
    row = {
        "entry_id": entry.id,
        "case_id": case.id,
        "ref": case.ref,
        "received_at": time(case.received_at),
        "community": case.community,
        "category": null_if_empty("category", case.category),  # as a case's JSON has it
        "summary": case.summary,
        "name": case.name,
        "phone": phones.shown(case.phone, case.phone_ext, reveal=reveal),
        "plan": entry.plan,
        "unit": entry.unit,
        "due": bound(entry.due),
        "period": entry.period,
        "status": LedgerStatus(entry.status).label if for_people else entry.status,
        "cleared_at": time(entry.cleared_at),
        "evidence": entry.evidence,
        "carried": line.carried,
    }
    if line.in_opening is not None:  # a month's whole ledger: carried in, or 本期新增 (a 重新挂账's 上账期间 is earlier)
        row["in_opening"] = yes_no(line.in_opening) if for_people else line.in_opening
    if not reveal:  # a number dictated into the text is the complainant's as much as the phone field
        for name in phones.FREE_TEXT & row.keys():
            row[name] = phones.mask_in_text(row[name])
    return row


@contextmanager
def output(path: str | None, *, bom: bool = False, utf8: bool = False) -> Iterator[IO[str]]:
    """A text stream to `path` (written whole or not at all, owner-only), or stdout when None.

    A BOM, UTF-8's mark, goes to stdout only when stdout is UTF-8 (`PYTHONIOENCODING=gbk` has no
    such mark). A text that declares itself `utf8` (a page, XML) gets UTF-8 bytes whatever stdout's
    encoding, as it says. Text stdout's encoding cannot hold is refused with `--out` suggested.
    """
    if path is None or path == "-":
        # the BOM is for a spreadsheet opening a file, not a person reading
        if bom and speaks_utf(sys.stdout) and not on_display(sys.stdout):
            sys.stdout.write("\ufeff")
        try:
            if utf8 and not speaks_utf(sys.stdout):
                sys.stdout.flush()
                stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
                try:
                    yield stream
                finally:
                    stream.detach()  # flushed, and stdout's own bytes left open
            else:
                yield sys.stdout
        except (Unencodable, UnicodeEncodeError) as exc:  # the writer's line (CSV's names the cell), and the way round it here
            found = exc if isinstance(exc, Unencodable) else Unencodable.of(exc.encoding, exc.object[exc.start])
            raise Unencodable(f"{found}，或用 --out 写入文件") from exc
        return
    with _writing_to(path) as target, atomicfile.text(target, encoding="utf-8-sig" if bom else "utf-8") as stream:
        yield stream


@contextmanager
def replacing(path: str) -> Iterator[Path]:
    """A part file beside `path` to fill by any means; it takes the name `path` only once complete."""
    with _writing_to(path) as target, atomicfile.writing(target) as part:
        yield part


@contextmanager
def _writing_to(path: str) -> Iterator[Path]:
    """The target `path` names, checked; a failed write becomes one line saying nothing was left."""
    target = Path(path).expanduser()
    named = echoed_path(target)
    try:
        if not target.parent.is_dir():
            raise BadInput(f"文件夹 {echoed_path(target.parent)} 不存在，无法写入 {named}")
        db.check_not_a_database(target)
        yield target
    except OSError as exc:  # a name too long is refused by the system as early as the folder's check
        raise BadInput(f"无法写入 {named}：{os_reason(exc)}（没有留下不完整的文件）") from exc


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(tz)


def _at_midnight(local: datetime | None) -> bool:
    return local is not None and not (local.hour or local.minute or local.second or local.microsecond)


def write_xlsx(
    rows: Iterable[dict[str, Any]], path: str | None, *, columns: Sequence[tuple[str, str]], sheet: str, name_of: Callable,
    labels: dict[str, str] | None = None,
) -> int:
    """A workbook at `path`, written beside it and renamed into place only when complete."""
    if path is None or path == "-":
        raise BadOption("xlsx 是二进制文件，请用 --out 指定文件名（如 --out 导出.xlsx）")
    from jiesu.workbook import write_workbook

    with replacing(path) as temp:
        return write_workbook(temp, rows, columns, sheet=sheet, name_of=name_of, labels=labels)


def write(rows: Iterable[dict[str, Any]], fmt: str, path: str | None, *, columns: Sequence[tuple[str, str]], bom: bool) -> int:
    """Write ledger rows as CSV (Chinese headers, cells `shielded`) or a JSON array; returns how many."""
    if fmt == "xlsx":
        return write_xlsx(rows, path, columns=columns, sheet="台账", name_of=lambda row: f"台账 {row['entry_id']}")
    if fmt == "json":
        with output(path) as stream:
            return write_json_array(rows, stream)
    keys = [key for key, _ in columns]
    with output(path, bom=bom) as stream:
        cells = ([[shielded(key, row[key]) for key in keys]] for row in rows)
        return write_csv_batches(cells, [label for _, label in columns], stream)


# ---------------------------------------------------------------- cases


EXPORT_FORMATS = ("csv", "xlsx", "json", "jsonl", "open311-json", "open311-xml")


@dataclass
class CaseSelection:
    """Which cases `jiesu export` writes."""

    statuses: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None


def _selected(selection: CaseSelection, *columns):
    """The selected cases, in order, as `columns` (default: the whole row)."""
    query = select(*columns or [Case.__table__]).order_by(Case.id)
    if selection.statuses:
        query = query.where(Case.status.in_(selection.statuses))
    if selection.since:
        query = query.where(Case.received_at >= selection.since)
    if selection.until:
        query = query.where(Case.received_at <= selection.until)
    return query


def case_rows(office: Office, selection: CaseSelection, *, reveal: bool, typed_times: bool = False) -> Iterator[dict[str, Any]]:
    """Every selected case as a JSON-ready record (or, `typed_times`, with local datetimes), streamed in chunks."""
    tz = office.tz
    with office.store.connect() as conn:
        result = conn.execution_options(yield_per=1000).execute(_selected(selection))
        for row in result:
            if not typed_times:
                yield record(row, CASE_FIELDS, tz, reveal=reveal)
                continue
            cells = {name: getattr(row, name) for name in CASE_FIELDS}
            for name, value in cells.items():
                if isinstance(value, datetime):
                    cells[name] = _local(value, tz)
                elif not reveal:
                    cells[name] = phones.shown_field(name, value)
            # A date cell at 00:00 reads back as a date alone (cells.moment), which a receipt may
            # not be and which a deadline reads as the day's 24:00: such times are written as text,
            # so that the export imports again as the same case.
            received = cells["received_at"]
            if _at_midnight(received):
                cells["received_at"] = f"{received:%Y-%m-%d %H:%M:%S}"
            for name in CASE_DEADLINES:
                if _at_midnight(cells[name]):
                    cells[name] = shown_bound(cells[name], tz)
            yield cells


def case_cell_batches(office: Office, selection: CaseSelection, *, reveal: bool) -> Iterator[list[list[Any]]]:
    """The selected cases as CSV cells, a thousand rows a batch: the cells `record` and `write_csv` would make.

    The database neutralises text (render.marked, in SQL) and hands times over raw; Python only masks the phone
    (and a number in free text) and writes the times in the office's zone (`isotext`).
    """
    table = Case.__table__
    with office.store.connect() as conn:
        columns = [_csv_column(table.c[name]) for name in CASE_FIELDS]
        # One formatter for all the time columns (one type), so they share its hours.
        local = local_iso(office.tz, table.c.received_at.type.result_processor(conn.dialect, None))
        times = [position for position, name in enumerate(CASE_FIELDS) if name in CASE_TIMES]
        phone = CASE_FIELDS.index("phone")
        texts = [] if reveal else [position for position, name in enumerate(CASE_FIELDS) if name in phones.FREE_TEXT]
        shown_phone = neutralise if reveal else lambda number: neutralise(phones.mask(number))
        result = conn.execution_options(yield_per=CSV_BATCH).execute(_selected(selection, *columns))
        for rows in result.partitions():
            batch = []
            for row in rows:
                cells = list(row)
                for position in times:
                    cells[position] = local(cells[position])
                cells[phone] = shown_phone(cells[phone])
                for position in texts:
                    cells[position] = phones.mask_in_text(cells[position])
                batch.append(cells)
            yield batch


def _csv_column(column):
    """A case column as the CSV export selects it: times raw, text other than the phone as `neutralise` makes it."""
    if column.name in CASE_TIMES:
        return type_coerce(column, String).label(column.name)
    if isinstance(getattr(column.type, "impl", column.type), String) and column.name != "phone":
        first = func.substr(column, 1, 1)
        marked = or_(first.in_(FORMULA_STARTS), read_by_excel_sql(column))
        # Nearly every cell starts with a Chinese character or a letter and is passed on that alone.
        return sql_case((first.not_in(MARKED_STARTS), column), (marked, literal(FORCED_TEXT, String) + column), else_=column).label(column.name)
    return column


def read_by_excel_sql(text):
    """render.read_by_excel in SQL, so that a million cases' cells are marked in the database. ltrim
    and trim work on characters in SQLite and PostgreSQL as strip does in Python (trim with one
    argument takes spaces alone); lower() may fold more than ASCII in PostgreSQL, but no other
    character folds to a letter of true or false, in Python either. Only text that starts as a truth
    value can be one: the first letter is looked at before the whole text is copied and folded."""
    return or_(
        and_(func.ltrim(text, NUMBER_TEXT) == "", func.ltrim(text, NUMBER_MARKS) != ""),
        and_(func.substr(text, 1, 1).in_(TRUTH_STARTS), func.lower(func.trim(text)).in_(TRUTH)),
    )


def open311_rows(office: Office, selection: CaseSelection) -> Iterator[dict[str, Any]]:
    """Cases as GeoReport v2 service requests: no complainant name or phone, ever."""
    latest_note = (
        select(Event.note)
        .where(Event.case_id == Case.id, Event.note != "")
        .order_by(Event.id.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    last_change = type_coerce(
        select(func.max(Event.at)).where(Event.case_id == Case.id).correlate(Case).scalar_subquery(), UTCDateTime
    )
    query = _selected(selection).add_columns(latest_note.label("latest_note"), last_change.label("updated_at"))
    tz = office.tz
    with office.store.connect() as conn:
        book = conn.execute(select(BOOK.c.identity)).scalar_one()  # whose numbers the jiesu_ids are
        for row in conn.execution_options(yield_per=1000).execute(query).mappings():
            status = "closed" if row["status"] in CLOSED_STATUSES else "open"
            result = Result(row["result"]).label if row["result"] else None
            yield {
                "service_request_id": row["ref"] or f"{OPEN311_OWN_ID}{row['id']}",
                "status": status,
                "status_notes": result or phones.mask_in_text(row["latest_note"]) or "",
                "service_name": phones.shown_field("category", row["category"]),
                "service_code": phones.shown_field("category", row["category"]),
                "description": phones.mask_in_text(row["summary"]),  # a number dictated into the text is the complainant's too
                "agency_responsible": phones.shown_field("assignee", row["assignee"]) or "",
                "service_notice": "",
                "requested_datetime": iso(row["received_at"], tz),
                "updated_datetime": iso(row["updated_at"], tz),
                "expected_datetime": iso(row["resolve_by"], tz),
                "address": phones.mask_in_text(row["address"]) or "",
                "address_id": "",
                "zipcode": "",
                "media_url": "",
                "extended_attributes": {
                    "jiesu_id": row["id"], "jiesu_book": book, "status": row["status"], "level": row["level"], "track": row["track"],
                    # What GeoReport v2 has no field for and another jiesu book reads back (importer.OPEN311_EXTENSIONS).
                    "jiesu_community": phones.mask_in_text(row["community"]) or "",
                    "jiesu_channel": row["channel"],
                    "jiesu_urgency": row["urgency"],
                    "jiesu_responded_at": iso(row["responded_at"], tz),
                    "jiesu_closed_at": iso(row["closed_at"], tz),  # updated_datetime is the last step's: a revisit's, a note's
                },
            }


def export_cases(office: Office, fmt: str, path: str | None, selection: CaseSelection, *, reveal: bool, bom: bool) -> int:
    """Write the selected cases in `fmt` to `path` (or stdout), streaming; returns how many."""
    if fmt == "csv":
        with output(path, bom=bom) as stream:
            return write_csv_batches(case_cell_batches(office, selection, reveal=reveal), CASE_FIELDS, stream)
    if fmt == "xlsx":
        rows = case_rows(office, selection, reveal=reveal, typed_times=True)
        from jiesu.views import case_columns

        labels = {column.key: column.label for column in case_columns(office.tz)}
        return write_xlsx(rows, path, columns=[(name, name) for name in CASE_FIELDS], sheet="诉求", name_of=lambda row: f"#{row['id']}", labels=labels)
    if fmt == "json":
        with output(path) as stream:
            return write_json_array(case_rows(office, selection, reveal=reveal), stream)
    if fmt == "jsonl":
        with output(path) as stream:
            return _write_lines(case_rows(office, selection, reveal=reveal), stream)
    if fmt == "open311-json":
        with output(path) as stream:
            return write_json_array(open311_rows(office, selection), stream)
    with output(path, utf8=True) as stream:
        return _write_open311_xml(open311_rows(office, selection), stream)


def _write_lines(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    count = 0
    dumps = json_writer(stream)
    for row in rows:
        stream.write(dumps(row) + "\n")
        count += 1
    return count


# What XML 1.0 can carry: tab, line breaks and the characters from space up, less the surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _write_open311_xml(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    from xml.sax.saxutils import escape  # loads urllib and http.client: only for this format (reports import this module)

    display = on_display(stream)

    def text(row: dict[str, Any], key: str, value: Any) -> str:
        """A value as element content: exact (a carriage return as `&#13;`, which a parser would make a line
        break), or on a terminal with its stand-ins; a character XML cannot carry refuses the export."""
        written = "" if value is None else str(value)
        if display:
            return escape(visible(written))
        bad = _NOT_XML.search(written)
        if bad:
            raise BadInput(
                f"#{row['extended_attributes']['jiesu_id']} 的 {key} 含有 XML 无法表示的字符 U+{ord(bad.group()):04X}，"
                "无法导出为 open311-xml；请用 --format json 或 open311-json（保留原文）"
            )
        return escape(written, {"\r": "&#13;"})

    stream.write('<?xml version="1.0" encoding="utf-8"?>\n<service_requests>\n')
    count = 0
    for row in rows:
        stream.write("  <request>\n")
        for key, value in row.items():
            if isinstance(value, dict):
                inner = "".join(f"<{k}>{text(row, k, v)}</{k}>" for k, v in value.items())
                stream.write(f"    <{key}>{inner}</{key}>\n")
            else:
                stream.write(f"    <{key}>{text(row, key, value)}</{key}>\n")
        stream.write("  </request>\n")
        count += 1
    stream.write("</service_requests>\n")
    return count
