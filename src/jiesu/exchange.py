"""Import and export: files that leave or enter jiesu (ledger CSV for Excel, case exchange formats).

Exports stream row by row and go to a temporary file that replaces the target
only when complete, so a crash never leaves half a file under the real name.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from jiesu.errors import BadInput
from jiesu.models import Case, LedgerEntry
from jiesu.phones import mask
from jiesu.render import iso, write_csv, write_json_array

LEDGER_STATUS_LABEL = {"open": "在账", "cleared": "已销账"}


def ledger_row(entry: LedgerEntry, case: Case, tz: ZoneInfo, *, reveal: bool, for_people: bool) -> dict[str, Any]:
    """One ledger entry as the street office hands it up; `for_people` gives Excel-friendly times and labels."""
    time = (lambda t: t.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t else "") if for_people else (lambda t: iso(t, tz))
    return {
        "entry_id": entry.id,
        "case_id": case.id,
        "ref": case.ref,
        "received_at": time(case.received_at),
        "community": case.community,
        "category": case.category,
        "summary": case.summary,
        "name": case.name,
        "phone": case.phone if reveal else mask(case.phone),
        "plan": entry.plan,
        "unit": entry.unit,
        "due": time(entry.due),
        "period": entry.period,
        "status": LEDGER_STATUS_LABEL[entry.status] if for_people else entry.status,
        "cleared_at": time(entry.cleared_at),
        "evidence": entry.evidence,
        "carried": entry.carried,
    }


@contextmanager
def output(path: str | None, *, bom: bool = False) -> Iterator[IO[str]]:
    """A text stream to `path` (written whole or not at all, owner-only), or stdout when None."""
    if path is None or path == "-":
        if bom:
            sys.stdout.write("\ufeff")
        yield sys.stdout
        return
    target = Path(path).expanduser()
    if not target.parent.is_dir():
        raise BadInput(f"文件夹 {target.parent} 不存在，无法写入 {target}")
    temp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        fd = os.open(temp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with open(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
            yield stream
        os.replace(temp, target)
    except OSError as exc:
        raise BadInput(f"无法写入 {target}：{exc.strerror}") from exc
    finally:
        temp.unlink(missing_ok=True)


def write(rows: Iterable[dict[str, Any]], fmt: str, path: str | None, *, columns: Sequence[tuple[str, str]], bom: bool) -> int:
    """Write rows as CSV (Chinese headers, formula cells neutralised) or a JSON array; returns how many."""
    if fmt == "json":
        with output(path) as stream:
            return write_json_array(rows, stream)
    with output(path, bom=bom) as stream:
        return write_csv(rows, [key for key, _ in columns], stream, header=[label for _, label in columns])
