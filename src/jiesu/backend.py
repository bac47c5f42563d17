"""The few places where SQLite and PostgreSQL need different SQL."""

from __future__ import annotations

from datetime import datetime
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType


def make_append_only(conn: Connection, table: str) -> None:
    """Have the database itself refuse UPDATE and DELETE on `table`."""
    if conn.dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            _refuse_on_sqlite(conn, table, action)
    else:
        conn.exec_driver_sql(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} are append-only'; END $$"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def _refuse_on_sqlite(conn: Connection, table: str, action: str) -> None:
    conn.exec_driver_sql(
        f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
    )


@contextmanager
def history_rewritten(conn: Connection, table: str) -> Iterator[None]:
    """UPDATE allowed on the append-only `table` meanwhile, in this transaction only: `purge`, the one
    exception, replaces personal values in the history. Dropping the guard is part of the transaction,
    so no one else ever sees it gone, and a failure rolls it back with the rest."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER {table}_no_update")
        yield
        _refuse_on_sqlite(conn, table, "UPDATE")
    else:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        yield
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def on_write(conn: Connection, name: str, event: str, statement: str) -> None:
    """Have the database run `statement` after each row `event` names ("INSERT ON events"), in the writer's transaction."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW BEGIN {statement}; END")
    else:
        conn.exec_driver_sql(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {statement}; RETURN NULL; END $$"
        )
        conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW EXECUTE FUNCTION {name}()")


def scratch_journal(conn: Connection) -> None:
    """No rollback journal for this connection's temporary tables, on SQLite: for scratch rows on a
    connection that is closed afterwards, whatever happens (a rollback leaves them undefined). The
    book's own journal is untouched. PostgreSQL's temporary tables keep no WAL anyway."""
    if conn.dialect.name == "sqlite":
        conn.connection.dbapi_connection.execute("PRAGMA temp.journal_mode = OFF")  # outside any transaction


@contextmanager
def page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """SQLite keeps up to `kib` KiB of pages in memory on this connection meanwhile (its default is
    2 MiB), then goes back to what it had: the connection returns to a pool — unless it is gone: an
    interruption (Ctrl-C, SIGTERM) inside a statement makes SQLAlchemy close it, and it never returns.
    PostgreSQL's buffers are the server's, so it has nothing to set."""
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.dbapi_connection  # a PRAGMA outside SQLAlchemy's transactions: it begins none
    (before,) = driver.execute("PRAGMA cache_size").fetchone()
    driver.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        if not conn.invalidated:
            driver.execute(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def indexes_rebuilt(conn: Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """On SQLite, the plain (not unique) indexes of `tables` dropped meanwhile and made again from
    their own SQL afterwards, in the caller's transaction: for a bulk insert of more rows than the
    tables hold, building an index once by sorting is cheaper than keeping it up row by row.
    SQLite's DDL is transactional, so a failure or a crash before the commit leaves them as they
    were, and nobody else ever sees them gone. PostgreSQL keeps its indexes."""
    if conn.dialect.name != "sqlite":
        yield
        return
    marks = ", ".join("?" * len(tables))
    made = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks}) AND sql IS NOT NULL "
        "AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY rowid",
        tables,
    ).all()
    for name, _ in made:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    with page_cache(conn, SORT_CACHE_KIB):
        for _, sql in made:
            conn.exec_driver_sql(sql)


# The page cache while indexes are built: CREATE INDEX sorts in memory up to the page cache's size
# before it spills to a temporary file, so a larger cache set for a bulk copy would also be taken
# again by the sort (1,000,000 rows: peak 92.6 → 106.9 MB with the import's 16 MiB).
SORT_CACHE_KIB = 2 * 1024


def reserve_ids(conn: Connection, table: str, count: int) -> list[int]:
    """`count` fresh primary keys for `table`, for bulk inserts that must know their ids.

    On SQLite the caller holds the write lock (BEGIN IMMEDIATE), so the next ids
    are simply those after the largest; PostgreSQL draws them from the sequence.
    """
    if count == 0:
        return []
    if conn.dialect.name == "sqlite":
        start = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one() + 1
        return list(range(start, start + count))
    rows = conn.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {int(count)})"
    )
    return [row[0] for row in rows]


def table_names(conn: Connection) -> list[str]:
    """The book's tables: a plain catalogue query, not the inspector, since every command asks."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    return [row[0] for row in conn.exec_driver_sql(query)]


def serialise(conn: Connection, name: str) -> None:
    """Make transactions that name the same job run one after another.

    SQLite already does: every write transaction holds the one write lock from
    its start. PostgreSQL takes a transaction-scoped advisory lock.
    """
    if conn.dialect.name != "sqlite":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock(hashtext('jiesu:{name}'))")


class selective(ColumnElement):
    """A condition few rows meet (a case is open; most are closed years ago).

    SQLite's planner knows only average rows per status, so it would scan a
    million cases by another index; `likelihood()` tells it this test is rare.
    Other databases keep real statistics and get the plain condition.
    """

    inherit_cache = True
    # What its cache key is made of: without it SQLAlchemy cannot cache any statement holding one
    # (every list, todo and report compiled its SQL afresh each time).
    _traverse_internals = [("condition", InternalTraversal.dp_clauseelement)]
    type = NullType()  # not Boolean: SQLAlchemy would render "likelihood(...) = 1", which SQLite cannot plan with

    def __init__(self, condition) -> None:
        self.condition = condition


@compiles(selective)
def _selective(element, compiler, **kw):
    return compiler.process(element.condition, **kw)


@compiles(selective, "sqlite")
def _selective_sqlite(element, compiler, **kw):
    return f"likelihood({compiler.process(element.condition, **kw)}, 0.01)"


def bulk_insert(conn: Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows straight through the driver's executemany.

    For imports: SQLAlchemy's per-value processing of a 2,000-row batch cost
    more than SQLite's own work. The time columns (known from the table) are
    converted as jiesu stores them: naive UTC text on SQLite, aware timestamps
    on PostgreSQL.
    """
    if conn.dialect.name == "sqlite":
        rows = _with_stored_times(rows, _time_positions(table, columns))
    insert_stored(conn, table, columns, rows)


def insert_stored(conn: Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows whose values are already as the driver stores them (times through `time_storer`).

    The caller vouches that its text carries no undecodable bytes, so the per-value
    check every other statement gets is skipped: for an import it cost as much as SQLite's work.
    """
    if not rows:
        return
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows, execution_options={"jiesu_text_checked": True})


def time_storer(dialect: str) -> Callable[[datetime], Any]:
    """How an aware time goes to the driver: naive UTC text on SQLite (as SQLAlchemy keeps it), itself on PostgreSQL.

    On SQLite the text of a time met before is remembered: an import's deadlines are one per
    received day and tier. Only times with fold 0 are: two of them that compare equal are the
    same instant, so they have the same text (equal times of one zone may differ in fold alone).
    """
    if dialect != "sqlite":
        return lambda value: value
    remembered: dict[datetime, str] = {}

    def stored(value: datetime) -> str:
        if value.fold:
            return _stored_time(value)
        text = remembered.get(value)
        if text is None:
            if len(remembered) >= REMEMBERED_TIMES:
                remembered.clear()
            text = remembered[value] = _stored_time(value)
        return text

    return stored


REMEMBERED_TIMES = 4096  # bounded: a million distinct receipt times must not stay in memory


def reserve_id_block(conn: Connection, table: str, count: int) -> int:
    """The first of `count` consecutive fresh ids of `table`, for an insert that numbers its own rows.

    On SQLite the caller holds the write lock, so they follow the largest id. PostgreSQL locks
    the table against other inserts for the rest of the transaction and moves its sequence past them.
    """
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one() + 1
    conn.exec_driver_sql(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    sequence = f"pg_get_serial_sequence('{table}', 'id')"
    last = conn.exec_driver_sql(
        f"SELECT setval({sequence}, greatest(nextval({sequence}), (SELECT coalesce(max(id), 0) + 1 FROM {table})) + {int(count)} - 1)"
    ).scalar_one()
    return last - count + 1


def _time_positions(table: str, columns: list[str]) -> list[int]:
    from sqlmodel import SQLModel

    from jiesu.models import UTCDateTime

    found = SQLModel.metadata.tables[table].c
    return [i for i, name in enumerate(columns) if isinstance(found[name].type, UTCDateTime)]


def _with_stored_times(rows: list[tuple[Any, ...]], positions: list[int]) -> list[tuple[Any, ...]]:
    if not positions:
        return rows
    stored = []
    for row in rows:
        row = list(row)
        for i in positions:
            if row[i] is not None:
                row[i] = _stored_time(row[i])
        stored.append(tuple(row))
    return stored


def _stored_time(value: datetime) -> str:
    """The text SQLAlchemy's DateTime keeps in SQLite, for an aware time (in UTC): its ISO form less "+00:00"."""
    utc = value - value.utcoffset()  # astimezone's result, sooner; made naive anew, as replace() costs more
    return datetime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond).isoformat(" ", "microseconds")


def json_rows(conn: Connection, columns: list, rows: list[dict], name: str):
    """`rows` (dicts keyed by the names of `columns`) as a subquery read from one JSON parameter.

    One parameter however many rows: no limit on bound variables, and each value
    compares in SQL exactly like the column it stands for.
    """
    dialect = conn.dialect
    processors = {c.name: c.type.bind_processor(dialect) for c in columns}
    encoded = [
        {key: _json_value(processors[key](value) if processors[key] else value) for key, value in row.items()} for row in rows
    ]
    doc = sa.bindparam(name, json.dumps(encoded, ensure_ascii=False), type_=sa.Text)
    if dialect.name == "sqlite":
        each = sa.func.json_each(doc).table_valued("value")
        fields = [sa.type_coerce(sa.func.json_extract(each.c.value, f"$.{c.name}"), c.type).label(c.name) for c in columns]
        return sa.select(*fields).select_from(each).subquery(name)
    records = (
        sa.func.json_to_recordset(sa.cast(doc, sa.JSON))
        .table_valued(*(sa.column(c.name, c.type) for c in columns))
        .render_derived(name=f"{name}_rows", with_types=True)
    )
    return sa.select(*records.c).subquery(name)


def _json_value(value):
    """A bound value as the JSON carries it. A time goes as the text SQLite keeps (naive UTC,
    space-separated, to the microsecond), which PostgreSQL reads as well: SQLite compares times
    as text, and ISO's "T" would sort a time after every stored time of the same date."""
    return value.isoformat(" ", "microseconds") if isinstance(value, datetime) else value
