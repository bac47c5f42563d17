"""Schema history: an append-only list of numbered migrations.

Each migration is written out as it was on the day it shipped, never generated
from today's models, so that an old store always migrates the same way. Add a
new function at the end; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    select,
    update,
)

from jiesu import backend

Migration = Callable[[Connection], None]


def _time(name: str, nullable: bool = True) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def m001_cases_and_events(conn: Connection) -> None:
    """Cases and their append-only history."""
    meta = MetaData()
    Table(
        "cases",
        meta,
        Column("id", Integer, primary_key=True),
        Column("ref", String, unique=True),
        _time("received_at", nullable=False),
        Column("channel", String, nullable=False),
        Column("urgency", String, nullable=False),
        Column("category", String, nullable=False),
        Column("summary", Text, nullable=False),
        Column("detail", Text, nullable=False),
        Column("name", String),
        Column("phone", String),
        Column("address", String),
        Column("community", String),
        Column("kind", String),
        Column("nature", String, nullable=False),
        Column("track", String),
        Column("tier", String, nullable=False),
        Column("level", String, nullable=False),
        Column("assignee", String),
        Column("status", String, nullable=False),
        _time("respond_by", nullable=False),
        _time("resolve_by", nullable=False),
        _time("responded_at"),
        _time("closed_at"),
        Column("result", String),
        Column("reopen_count", Integer, nullable=False),
        Column("merged_into", Integer, ForeignKey("cases.id")),
        Column("version", Integer, nullable=False),
        Column("search_text", Text, nullable=False),
        Index("ix_cases_status_resolve_by", "status", "resolve_by"),
        Index("ix_cases_received_at", "received_at"),
        Index("ix_cases_community_category", "community", "category", "received_at"),
        Index("ix_cases_phone_category", "phone", "category", "received_at"),
        Index("ix_cases_assignee", "assignee"),
    )
    Table(
        "events",
        meta,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
        _time("at", nullable=False),
        Column("actor", String, nullable=False),
        Column("kind", String, nullable=False),
        Column("note", Text, nullable=False),
        Column("changes", Text, nullable=False),
        Index("ix_events_case_id", "case_id", "id"),
        Index("ix_events_kind_at", "kind", "at"),
    )
    meta.create_all(conn)
    backend.make_append_only(conn, "events")


def _referring_to_cases() -> MetaData:
    """Metadata that knows `cases` by its key alone, for tables that point at it."""
    meta = MetaData()
    Table("cases", meta, Column("id", Integer, primary_key=True))
    return meta


def m002_revisits(conn: Connection) -> None:
    """回访 records: the citizen's verdict on a closed case."""
    meta = _referring_to_cases()
    revisits = Table(
        "revisits",
        meta,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
        _time("at", nullable=False),
        Column("actor", String, nullable=False),
        Column("satisfaction", String, nullable=False),
        Column("resolved", Boolean, nullable=False),
        Column("note", Text, nullable=False),
        Index("ix_revisits_case_id", "case_id", "at"),
        Index("ix_revisits_at", "at"),
    )
    meta.create_all(conn, tables=[revisits])


def m003_ledger(conn: Connection) -> None:
    """The carry-over ledger (台账): entries, their movements by period, and rolled balances.

    Movements are kept apart from entries because an entry can be cleared and
    reopened; a period's balance counts the movements booked in it.
    """
    meta = _referring_to_cases()
    entries = Table(
        "ledger_entries",
        meta,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
        _time("opened_at", nullable=False),
        Column("period", String(7), nullable=False),
        Column("plan", Text, nullable=False),
        Column("unit", String, nullable=False),
        _time("due"),
        Column("status", String, nullable=False),
        _time("cleared_at"),
        Column("evidence", Text),
        Column("carried", Integer, nullable=False),
        Index("ix_ledger_entries_case_id", "case_id"),
        Index("ix_ledger_entries_status_due", "status", "due"),
        Index("ix_ledger_entries_period", "period"),
    )
    moves = Table(
        "ledger_moves",
        meta,
        Column("id", Integer, primary_key=True),
        Column("entry_id", Integer, ForeignKey("ledger_entries.id"), nullable=False),
        _time("at", nullable=False),
        Column("period", String(7), nullable=False),
        Column("kind", String, nullable=False),
        Index("ix_ledger_moves_period", "period", "kind"),
        Index("ix_ledger_moves_entry_id", "entry_id", "period"),
    )
    balances = Table(
        "ledger_balances",
        meta,
        Column("period", String(7), primary_key=True),
        Column("opening", Integer, nullable=False),
        Column("added", Integer, nullable=False),
        Column("cleared", Integer, nullable=False),
        Column("closing", Integer, nullable=False),
        _time("rolled_at", nullable=False),
    )
    meta.create_all(conn, tables=[entries, moves, balances])
    backend.make_append_only(conn, "ledger_moves")


def m004_received_at_with_category(conn: Connection) -> None:
    """Receipt time and category in one index (it still serves every receipt-time search):
    hotspot and seasonal counts over a time window read the index alone, not the table."""
    conn.exec_driver_sql("CREATE INDEX ix_cases_received_at_category ON cases (received_at, category)")
    conn.exec_driver_sql("DROP INDEX ix_cases_received_at")


def m005_phone_extension(conn: Connection) -> None:
    """A phone's extension (转8001) in its own column: the number stays dialable and comparable,
    instead of the extension's digits being run on after it."""
    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN phone_ext VARCHAR")


def m006_ledger_entry_period(conn: Connection) -> None:
    """An entry's period is the one its 上账 is booked in (a late 上账 into a rolled month
    is booked in the next); entries written before said the calendar month of opened_at."""
    conn.exec_driver_sql(
        "UPDATE ledger_entries SET period = (SELECT m.period FROM ledger_moves m "
        "WHERE m.entry_id = ledger_entries.id AND m.kind = 'added') "
        "WHERE EXISTS (SELECT 1 FROM ledger_moves m WHERE m.entry_id = ledger_entries.id AND m.kind = 'added')"
    )


def m007_events_at(conn: Connection) -> None:
    """Events by time: a report or list as of a past moment finds the few changes logged after it."""
    conn.exec_driver_sql("CREATE INDEX ix_events_at ON events (at)")


def m008_text_keys(conn: Connection) -> None:
    """Normalised copies of the typed text (textsearch.fold): full-width and spaced spellings
    find and group the same cases, and search covers category and 12345 ref too.

    search_text is recomputed for every case; the new keys are filled alongside.
    """
    from jiesu.textsearch import derived

    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN address_key VARCHAR")
    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN category_key VARCHAR NOT NULL DEFAULT ''")
    names = ("summary", "detail", "address", "name", "category", "ref")
    rows = conn.exec_driver_sql(f"SELECT id, {', '.join(names)} FROM cases").all()
    updates = [{"case_id": row[0], **derived(dict(zip(names, row[1:])))} for row in rows]
    if updates:
        from sqlalchemy import text

        conn.execute(
            text(
                "UPDATE cases SET search_text = :search_text, address_key = :address_key, "
                "category_key = :category_key WHERE id = :case_id"
            ),
            updates,
        )
    conn.exec_driver_sql("CREATE INDEX ix_cases_phone_category_key ON cases (phone, category_key, received_at)")
    conn.exec_driver_sql("DROP INDEX ix_cases_phone_category")


def m009_undone_steps(conn: Connection) -> None:
    """An `undone` event names the step it takes back; history itself is never changed."""
    conn.exec_driver_sql("ALTER TABLE events ADD COLUMN undoes INTEGER REFERENCES events (id)")
    conn.exec_driver_sql("CREATE INDEX ix_events_undoes ON events (undoes)")


def m010_kept_month_rates(conn: Connection) -> None:
    """Each ended month's 三率 counts as of its end, kept once computed (see month_rates.py).

    The triggers drop a kept month whenever a row it was computed from is written with a time
    at or before its end, in the writer's own transaction: a kept month is never stale.
    """
    meta = MetaData()
    kept = Table(
        "month_rates",
        meta,
        Column("id", Integer, primary_key=True),
        _time("starts_at", nullable=False),
        _time("ends_at", nullable=False),
        Column("counts_unreasonable", Boolean, nullable=False),
        Column("responded_in_time", Integer, nullable=False),
        Column("response_due", Integer, nullable=False),
        Column("revisited", Integer, nullable=False),
        Column("resolved", Integer, nullable=False),
        Column("satisfied", Integer, nullable=False),
        Column("basic", Integer, nullable=False),
        _time("computed_at", nullable=False),
        Index("ix_month_rates_month", "starts_at", "ends_at", "counts_unreasonable", unique=True),
    )
    meta.create_all(conn, tables=[kept])
    dropped = "DELETE FROM month_rates WHERE ends_at >= {}"
    backend.on_write(conn, "month_rates_after_event", "INSERT ON events", dropped.format("NEW.at"))
    backend.on_write(conn, "month_rates_after_revisit", "INSERT ON revisits", dropped.format("NEW.at"))
    backend.on_write(conn, "month_rates_after_new_case", "INSERT ON cases", dropped.format("NEW.received_at"))
    backend.on_write(conn, "month_rates_after_gone_case", "DELETE ON cases", dropped.format("OLD.received_at"))
    backend.on_write(
        conn,
        "month_rates_after_receipt",
        "UPDATE OF received_at ON cases",
        dropped.format("OLD.received_at") + " OR ends_at >= NEW.received_at",
    )


def m011_events_recorded_at(conn: Connection) -> None:
    """When each step was written, apart from the time it is dated (`--at` may backdate it): `undo`'s
    time limit counts from the writing. Events written before this are left without one (NULL)."""
    stored = DateTime(timezone=True).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE events ADD COLUMN recorded_at {stored}")


def m012_assignee_status_index(conn: Connection) -> None:
    """One worker's open, closed or ledgered cases without reading all they ever had: `todo
    --assignee` read every case of 物业公司 (16,000 in the 100k bench book) to keep its 1,600.
    Leading with the assignee, it still serves every lookup by assignee alone."""
    conn.exec_driver_sql("CREATE INDEX ix_cases_assignee_status ON cases (assignee, status)")
    conn.exec_driver_sql("DROP INDEX ix_cases_assignee")


def m013_ledger_dues_at_24_00(conn: Connection) -> None:
    """A 整改期限 typed as a date is due at that day's 24:00, the next 00:00; a jiesu before that stored
    the day's last instant (23:59:59.999999), shown as 24:00 too but already overdue at that 24:00 and
    a minute shorter in `todo`. Those dues move up the one microsecond to the next 00:00.

    Only a time ending in :59.999999 is one: no typed time carries that fraction, and in UTC it is
    the last instant of a minute whatever the office's zone (every zone jiesu stores in keeps whole
    minutes), so the rule needs no zone. No event records a due, so history is untouched.
    """
    entries = Table("ledger_entries", MetaData(), Column("id", Integer, primary_key=True), _time("due"))
    last_instants = [
        {"entry_id": entry_id, "moved": due + timedelta(microseconds=1)}
        for entry_id, due in conn.execute(select(entries.c.id, entries.c.due).where(entries.c.due.is_not(None)))
        if due.second == 59 and due.microsecond == 999999
    ]
    if last_instants:
        conn.execute(
            update(entries).where(entries.c.id == bindparam("entry_id")).values(due=bindparam("moved")), last_instants
        )


def m014_month_rates_at_the_last_instant(conn: Connection) -> None:
    """A month ends before its end instant: a step dated exactly at the next month's 00:00 belongs
    to the next month (reports.last_instant). A jiesu before that counted it in the month, and may
    have kept such a month's 三率 (month_rates.py) so counted; `check` would call it stale, and the
    trend would show it. Kept months are only a cache of what computing them afresh gives, so
    they are all dropped and computed again when next read."""
    conn.exec_driver_sql("DELETE FROM month_rates")


def m015_folded_refs(conn: Connection) -> None:
    """Refs compared folded (textsearch.ref_key): `BJ001`, `ＢＪ００１` from a spreadsheet and `bj001` are one
    12345 work order, and the unique index is on that key. A jiesu before compared them exactly, so a book
    may hold such twins: none is changed or dropped. Each twin after the first (by id) gets its own id as
    ref_twin, which keeps it apart in the index; `jiesu check` names the twins so a person can merge them.
    Every other case has ref_twin 0, as every case filed or imported from now on has."""
    from jiesu.textsearch import ref_key

    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN ref_key VARCHAR")
    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN ref_twin INTEGER NOT NULL DEFAULT 0")
    cases = Table(
        "cases", MetaData(), Column("id", Integer, primary_key=True), Column("ref", String),
        Column("ref_key", String), Column("ref_twin", Integer),
    )
    seen: set[str] = set()
    keys = []
    for case_id, ref in conn.execute(select(cases.c.id, cases.c.ref).where(cases.c.ref.is_not(None)).order_by(cases.c.id)):
        key = ref_key(ref)
        keys.append({"case_id": case_id, "key": key, "twin": case_id if key in seen else 0})
        seen.add(key)
    if keys:
        conn.execute(
            update(cases).where(cases.c.id == bindparam("case_id")).values(ref_key=bindparam("key"), ref_twin=bindparam("twin")), keys
        )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_cases_ref_key ON cases (ref_key, ref_twin)")


def m016_book_identity(conn: Connection) -> None:
    """The book's identity, a random id made once: Open311 exports carry it (`jiesu_book`), so an
    import knows a request's `jiesu_id` as one of this book's cases only when it came from this book.
    Another book numbers its own cases: a look-alike case there with the same id is another case."""
    meta = MetaData()
    book = Table("book", meta, Column("identity", String(32), primary_key=True))
    meta.create_all(conn, tables=[book])
    conn.execute(book.insert().values(identity=uuid4().hex))


def m017_keys_without_invisible_characters(conn: Connection) -> None:
    """The normalised copies leave out characters that draw nothing (textsearch.INVISIBLE): a search
    typed as the screen shows `RTL​zw` finds it, and `BJ001` with a zero-width space pasted after it is
    the work order BJ001. Only cases whose typed text holds such a character are folded again. A ref
    that now folds to another case's becomes a twin (as m015 made them), for `jiesu check` to name."""
    from jiesu.textsearch import INVISIBLE, derived

    names = ("summary", "detail", "address", "name", "category", "ref")
    cases = Table(
        "cases", MetaData(), Column("id", Integer, primary_key=True), *(Column(name, String) for name in names),
        Column("search_text", String), Column("address_key", String), Column("category_key", String),
        Column("ref_key", String), Column("ref_twin", Integer),
    )
    every_case = select(cases.c.id, *(cases.c[n] for n in names)).order_by(cases.c.id)
    changed = [
        {"case_id": row[0], **derived(dict(zip(names, row[1:])))}
        for row in conn.execute(every_case, execution_options={"stream_results": True, "yield_per": 2000})
        if any(text and INVISIBLE.search(text) for text in row[1:])
    ]
    kept: set[str] = set()  # keys a case of this pass holds with ref_twin 0
    for values in changed:
        key, case_id = values["ref_key"], values["case_id"]
        taken = key in kept or conn.execute(
            select(cases.c.id).where(cases.c.ref_key == key, cases.c.ref_twin == 0, cases.c.id != case_id)
        ).first()
        values["twin"] = case_id if key is not None and taken else 0
        if key is not None and not taken:
            kept.add(key)
    if changed:
        conn.execute(
            update(cases).where(cases.c.id == bindparam("case_id")).values(
                search_text=bindparam("search_text"), address_key=bindparam("address_key"),
                category_key=bindparam("category_key"), ref_key=bindparam("ref_key"), ref_twin=bindparam("twin"),
            ),
            changed,
        )


def m018_closed_cases_by_assignee(conn: Connection) -> None:
    """One worker's closed cases awaiting their revisit, in closing order, with all `todo` shows of
    them: `todo --assignee 物业公司` read a table page for each of its 1,543 revisits due (8.5 → 3.4 ms
    on a fresh connection, the 100k bench book). Only cases in `closed` are in it, a tenth of a book.
    The status is in it too: the query binds it, and SQLite reads it from the index to leave the table
    alone. (The whole book's revisits would want one led by closed_at; SQLite takes it only with
    statistics a book does not have, so there is none.) PostgreSQL caps an index entry's size and a
    summary has no length limit: there the index holds the keys only."""
    shown = "" if conn.dialect.name == "postgresql" else ", summary, community, status"
    conn.exec_driver_sql(f"CREATE INDEX ix_cases_closed_by_assignee ON cases (assignee, closed_at{shown}) WHERE status = 'closed'")


def m019_carried_counted_from_moves(conn: Connection) -> None:
    """结转次数 is counted from an entry's moves (ledger.carried_at): the month-ends it stood open at,
    whether or not their rolls have been run. The count each roll added to was another figure for the same
    words, 0 where a month's views said 2 (a fresh tester's find); it goes."""
    conn.exec_driver_sql("ALTER TABLE ledger_entries DROP COLUMN carried")


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "cases and events", m001_cases_and_events),
    (2, "revisits", m002_revisits),
    (3, "ledger", m003_ledger),
    (4, "receipt time with category", m004_received_at_with_category),
    (5, "phone extension", m005_phone_extension),
    (6, "ledger entry period", m006_ledger_entry_period),
    (7, "events by time", m007_events_at),
    (8, "normalised text keys", m008_text_keys),
    (9, "undone steps", m009_undone_steps),
    (10, "kept month rates", m010_kept_month_rates),
    (11, "events recorded at", m011_events_recorded_at),
    (12, "assignee status index", m012_assignee_status_index),
    (13, "ledger dues at 24:00", m013_ledger_dues_at_24_00),
    (14, "month rates at the last instant", m014_month_rates_at_the_last_instant),
    (15, "folded refs", m015_folded_refs),
    (16, "book identity", m016_book_identity),
    (17, "keys without invisible characters", m017_keys_without_invisible_characters),
    (18, "closed cases by assignee", m018_closed_cases_by_assignee),
    (19, "carried counted from moves", m019_carried_counted_from_moves),
]

LATEST = MIGRATIONS[-1][0]
