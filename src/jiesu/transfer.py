"""`jiesu copy`: the whole case book moved to another store, ids and all.

Cases, their history, revisits, ledger entries and movements and the rolled
balances go over row for row in key order, in batches that each commit, so a
copy that is killed is finished by running it again with `--resume`. Only an
empty book is written into, or one that holds exactly the first rows of this
book (what an interrupted copy left). Until its last step the target's identity says
it is an unfinished copy (db.UNFINISHED_COPY), which every other command refuses.
Afterwards every table is counted on both sides and the target is checked as
`jiesu check` would.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select, text, update

from jiesu import backend
from jiesu.db import UNFINISHED_COPY, Store, unfinished_copy
from jiesu.models import BOOK
from jiesu.errors import BadInput, PartlyDone, StoreError
from jiesu.interrupts import interruption

BATCH = 5000
# The tables in the order their rows may be written: each refers only to those before it.
TABLES = ("cases", "events", "revisits", "ledger_entries", "ledger_moves", "ledger_balances")
LABELS = {
    "cases": "诉求", "events": "办理记录", "revisits": "回访",
    "ledger_entries": "台账条目", "ledger_moves": "台账变动", "ledger_balances": "台账余额",
}


@dataclass
class Copied:
    """Rows in each table of the target after the copy (the same as the source's), and how many of
    them this copy wrote (fewer when it resumed one; none when the target was complete already)."""

    counts: dict[str, int]
    written: dict[str, int]
    resumed: bool


def tables() -> dict[str, Table]:
    from sqlmodel import SQLModel

    for module in ("jiesu.models", "jiesu.ledger_models"):  # which register their tables in the metadata
        importlib.import_module(module)

    return {name: SQLModel.metadata.tables[name] for name in TABLES}


def copy_book(source: Store, target: Store, *, resume: bool, progress: Callable[[str, int], None] = lambda *_: None) -> Copied:
    """Copy every row of `source` into `target`; see the module docstring for the promises.
    `progress` hears of each table the rows written into it (every table on a copy not resumed)."""
    if source.location == target.location:  # the same server's book (a file's are told apart before either is opened)
        raise BadInput("源案卷库和目标是同一个；请用 --to 指定另一个")
    found = tables()
    with source.connect() as reading:  # one snapshot of the source for the whole copy
        counts = {name: _count(reading, table) for name, table in found.items()}
        with target.connect() as conn:
            present = {name: _count(conn, table) for name, table in found.items()}
            identity = _identity(conn)
        complete = identity == _identity(reading)  # its copy's last step done, when it holds all rows
        if any(present.values()):
            if not resume and identity == UNFINISHED_COPY:
                raise BadInput(unfinished_copy(target.location))
            if not resume:
                raise BadInput(
                    f"目标 {target.location} 已有数据（{summary(present)}）；只能复制到空的案卷库。"
                    "上次复制被中断时用 --resume 接着复制"
                )
            _check_prefix(reading, target, found, present)
        resumed = any(present.values())
        written = {name: counts[name] - present[name] for name in found}
        held = sum(present.values())  # rows the target holds, committed
        if any(written.values()) or not complete:
            try:
                _mark_unfinished(target)
                for name, table in found.items():
                    for batch in _copy_table(reading, target, table, present[name], counts[name]):
                        held += batch
                    if written[name] or not resumed:
                        progress(name, written[name])
                _link_merges(reading, target, found["cases"])
                _advance_sequences(target, found)
                _carry_identity(reading, target)  # the last step: the target is a whole book now
            except StoreError as exc:
                raise PartlyDone(f"{exc}；{_kept(held)}") from exc
            except BaseException as exc:  # Ctrl-C or TERM: its line says what finishes the copy, as a failure's does
                stopped = interruption(exc)
                if stopped is None:
                    raise
                with target.connect() as conn:
                    stopped.kept = _kept(sum(_count(conn, table) for table in found.values()))
                raise stopped from exc
    with target.connect() as conn:
        landed = {name: _count(conn, table) for name, table in found.items()}
    if landed != counts:
        raise BadInput(f"复制后行数不符：源 {summary(counts)}，目标 {summary(landed)}")
    return Copied(counts, written, resumed=resumed)


def _kept(held: int) -> str:
    """What an interrupted copy leaves in its target holding `held` rows, and what finishes it."""
    if held:
        return "已复制的部分已保存，用同一条命令加 --resume 接着复制"
    return "目标里还没有复制进任何一行；用同一条命令重新复制"


def summary(counts: dict[str, int]) -> str:
    return "，".join(f"{LABELS[name]} {n}" for name, n in counts.items())


def _key(table: Table):
    return list(table.primary_key.columns)[0]


def _count(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _check_prefix(reading: Connection, target: Store, found: dict[str, Table], present: dict[str, int]) -> None:
    """The target must hold exactly the first rows of each source table, as an interrupted copy leaves
    them: every row compared, since work in the source after the interruption (an `edit` of a case
    already copied) changes a row in place where counting rows cannot see it."""
    with target.connect() as conn:
        for name, table in found.items():
            if not present[name]:
                continue
            key = _key(table)
            last = conn.execute(select(func.max(key))).scalar_one()
            before = reading.execute(select(func.count()).select_from(table).where(key <= last)).scalar_one()
            copied = select(table).where(key <= last).order_by(key).execution_options(yield_per=BATCH)  # not the connection's: it stays
            with reading.execute(copied) as ours, conn.execute(copied) as theirs:
                same = before == present[name] and all(_same_row(mine, other, name) for mine, other in zip(ours, theirs))
            if not same:
                raise BadInput(f"目标 {target.location} 的{LABELS[name]}与本案卷库不一致：不是上次中断的复制，或中断后本案卷库又有改动；只能重新复制到空的案卷库")


def _same_row(ours, theirs, name: str) -> bool:
    if ours is None or theirs is None:
        return False
    mine, other = ours._asdict(), theirs._asdict()
    if name == "cases":  # merge links are written after all cases
        mine.pop("merged_into"), other.pop("merged_into")
    return mine == other


def _copy_table(reading: Connection, target: Store, table: Table, done: int, total: int) -> Iterator[int]:
    """Copy the rows of `table` after the `done` the target holds, a batch to a transaction;
    yields how many rows each batch committed."""
    if done >= total:
        return
    key = _key(table)
    query = select(table).order_by(key)
    if done:
        with target.connect() as conn:
            query = query.where(key > conn.execute(select(func.max(key))).scalar_one())
    columns = [column.name for column in table.c]
    unlinked = columns.index("merged_into") if table.name == "cases" else None
    rows = reading.execution_options(yield_per=BATCH).execute(query)
    for batch in rows.partitions():
        values = [tuple(row) for row in batch]
        if unlinked is not None:
            values = [(*row[:unlinked], None, *row[unlinked + 1:]) for row in values]
        with target.connect(write=True) as conn:
            backend.bulk_insert(conn, table.name, columns, values)
        yield len(values)


def _identity(conn: Connection) -> str:
    return conn.execute(select(BOOK.c.identity)).scalar_one()


def _mark_unfinished(target: Store) -> None:
    """Before the first row: the target is part of a copy until `_carry_identity` (db.UNFINISHED_COPY)."""
    with target.connect(write=True) as conn:
        conn.execute(update(BOOK).values(identity=UNFINISHED_COPY))


def _carry_identity(reading: Connection, target: Store) -> None:
    """The copy is this book moved, ids and all, so its identity too: an Open311 export of either
    knows the other's cases by their jiesu_id (importer: a request's jiesu_book)."""
    identity = _identity(reading)
    with target.connect(write=True) as conn:
        conn.execute(update(BOOK).values(identity=identity))


def _link_merges(reading: Connection, target: Store, cases: Table) -> None:
    """Merge links, once every case they may point to is in (a case may be merged into a later one)."""
    links = reading.execute(select(cases.c.id, cases.c.merged_into).where(cases.c.merged_into.is_not(None))).all()
    with target.connect(write=True) as conn:
        for start in range(0, len(links), BATCH):
            for case_id, into in links[start:start + BATCH]:
                conn.execute(update(cases).where(cases.c.id == case_id).values(merged_into=into))


def _advance_sequences(target: Store, found: dict[str, Table]) -> None:
    """PostgreSQL hands out ids from sequences, which rows written with their ids do not move."""
    if target.dialect != "postgresql":
        return
    with target.connect(write=True) as conn:
        for name, table in found.items():
            if "id" not in table.c:
                continue
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM {name}"
            ))
