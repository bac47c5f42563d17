"""Where an import's checked rows wait before they join the book: stage, then swap.

Checked rows go into a temporary table of the import's own connection, batch by
batch, so memory holds one batch however long the file. The book itself is not
touched until every row has been read and checked: then duplicates are found in
SQL (against the book, and earlier in the same file), and the fresh rows are
copied into `cases` with their `imported` events in one write transaction — all
or nothing, and the write lock is held only for the copy. A refused import, a
crash or a kill before the commit leaves the book as it was; the temporary table
goes with its connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, and_, exists, func, or_, select, update

from jiesu import backend, phones
from jiesu.db import Store
from jiesu.models import BOOK, Case, Event, UTCDateTime
from jiesu.textsearch import fold
from jiesu.vocab import EventKind

CASES = Case.__table__
EVENTS = Event.__table__
NAME = "jiesu_import_staged"
# Why `Stage.loaded` refuses a row whose chain of merges (into a row merged in turn, …) comes back to
# a row it passed: no case at its end carries the work.
LOOP = "merges loop"
# Why it refuses a row carrying the id of an earlier row of the file that is another case (two
# books' exports in one file): the id no longer says which case a merge into it means.
REPEATED_ID = "repeated id"
# What a staged row became: still to be written, already in the book (or earlier in the file), or refused.
FRESH, DUPLICATE, REFUSED = 0, 1, 2
# The columns a checked row fills, in order: where it came from, then the case as stored.
SOURCE_COLUMNS = (
    "seq", "line", "old_id", "book", "merged_into", "changes", "masked_phone", "masked_text", "open311", "unless_existing",
    "summary_key",
)
# ref_twin is left to its default, 0: only m015 marks a twin (models.Case).
CASE_COLUMNS = tuple(c.name for c in CASES.c if c.name not in ("id", "merged_into", "ref_twin"))
STAGED_COLUMNS = (*SOURCE_COLUMNS, *CASE_COLUMNS)
# The book's page cache while the rows are copied in: with SQLite's default 2 MiB, keeping the
# seven case and four event indexes thrashed it (100,000 rows: 3.7 s → 1.8 s for the copy).
# It counts against the ≤ 100 MB an import of any length may take.
COPY_CACHE_KIB = 16 * 1024


def _table() -> sa.Table:
    columns = [
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),  # the row's place among good rows
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("old_id", sa.BigInteger),  # the id the row carries (a jiesu export), for merges within the file
        sa.Column("book", sa.Text),  # the identity of the book it was exported from, when it says (Open311's jiesu_book)
        sa.Column("merged_into", sa.BigInteger),  # the old id of the case it was merged into
        sa.Column("changes", sa.Text, nullable=False),  # its `imported` event's changes
        sa.Column("masked_phone", sa.Text),  # the phone as a masked export wrote it (`138****5678`); phone is then empty
        sa.Column("masked_text", sa.Boolean, nullable=False),  # a number in its text is masked (`139****5678`)
        sa.Column("open311", sa.Boolean, nullable=False),  # an Open311 row: it never carries a phone
        sa.Column("unless_existing", sa.Text),  # why it is refused unless the book (or the file before it) has the case
        sa.Column("summary_key", sa.Text, nullable=False),  # textsearch.summary_key: what _same_key compares
        sa.Column("state", sa.Integer, nullable=False, server_default=str(FRESH)),
        sa.Column("case_id", sa.BigInteger),  # its id in the book: new, or the case it duplicates
        sa.Column("rematch", sa.Boolean),  # to be matched again: it and an earlier row took one case (_one_row_per_case)
    ]
    columns += [sa.Column(name, CASES.c[name].type) for name in CASE_COLUMNS]
    return sa.Table(NAME, sa.MetaData(), *columns, prefixes=["TEMPORARY"])


STAGED = _table()


class Stage:
    """The staged rows of one import, on one connection of `store`."""

    def __init__(self, store: Store, conn: Connection) -> None:
        self.store = store
        self.conn = conn

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Checked rows, each with the values of STAGED_COLUMNS (times as `backend.time_storer` gives them)."""
        with self.conn.begin():
            backend.insert_stored(self.conn, NAME, list(STAGED_COLUMNS), rows)

    def loaded(self, limit: int, refused_ids: dict[int, int]) -> tuple[int, list[tuple[int, str | None, int | None, int | None]]]:
        """Every row is in: index them, and refuse the rows with a reason `unless_existing` (a
        masked phone or text, a ledgered case) that are not a case the book (or the file before
        them) already has; then fresh rows whose chain of merges (a row merged into a row itself
        merged, as `jiesu merge` lets a book hold) ends at a case that is not in the same file, or
        whose row was refused (the link would point nowhere), or never ends (it loops). A row the
        book already has is 已存在 whatever its target. First of all, a row carrying the id of an
        earlier row that is another case (_repeated_id), and a row merged into such an id (which of
        the two it means is unknown). `refused_ids`: the ids of rows refused before staging, with
        their lines.

        Returns how many were refused, and the first `limit` as (line, reason, old id of the
        target, the line of that target): the reason REPEATED_ID for a repeated id (its own, and
        the line of its first row), LOOP for a chain of merges that loops, None for one whose
        target (or a target further down its chain) is missing.
        """
        staged = STAGED
        target = staged.alias("target")
        with self.conn.begin():
            self._index()
            ids, merges, pending_rows, masked = self._carried()
            first_row = staged.alias("first_row")
            first_line = select(func.min(first_row.c.line)).where(first_row.c.old_id == staged.c.old_id).scalar_subquery()
            repeated = _repeated_id(staged)
            clashes, first_clashes = self._refuse(ids, repeated, limit, sa.literal(REPEATED_ID), staged.c.old_id, first_line)
            refused_line = select(func.min(target.c.line)).where(
                target.c.old_id == staged.c.merged_into, target.c.state == REFUSED
            ).scalar_subquery()
            ambiguous = and_(staged.c.state == FRESH, staged.c.merged_into.is_not(None), refused_line.is_not(None))
            unsure, first_unsure = self._refuse(merges, ambiguous, limit, sa.null(), staged.c.merged_into, refused_line)
            pending = staged.c.unless_existing.is_not(None)
            if pending_rows or merges:
                self._mark_duplicates(or_(pending, staged.c.merged_into.is_not(None)))
            if masked:
                self._mark_masked_text_duplicates()
            unknown = and_(staged.c.state == FRESH, pending)
            count, first = self._refuse(pending_rows, unknown, limit, staged.c.unless_existing, sa.null(), sa.null())
            target_line = select(func.min(target.c.line)).where(target.c.old_id == staged.c.merged_into).scalar_subquery()
            # A fresh row's target must be in the file: its id is the source book's, which may number
            # another case here (the row's own id is no help, it is no case of this book). A row already
            # in the book is not written, whatever became of its target's row, or whether the file has it
            # at all (a filtered export — `--status merged`, `--since` — back into a book). The target may
            # itself be merged (`jiesu merge` merges a case others were merged into), so long as its
            # chain ends at a case that is not: the chain's last row unmerged, or a case the book has.
            anchored = self._anchored()
            dangling = self._dangling()
            loose = and_(staged.c.state == FRESH, staged.c.merged_into.is_not(None), staged.c.seq.not_in(select(anchored.c.seq)))
            ends = sa.case((staged.c.seq.in_(select(dangling.c.seq)), sa.null()), else_=sa.literal(LOOP))
            more, first_more = self._refuse(merges, loose, limit, ends, staged.c.merged_into, target_line)
        first_more = [(line, why, old, at or refused_ids.get(old)) for line, why, old, at in first_more]
        total = clashes + unsure + count + more
        return total, sorted(first_clashes + first_unsure + first + first_more, key=lambda row: row[0])[:limit]

    def _anchored(self) -> Any:
        """The rows (seq, old_id) whose case ends its chain of merges at a case that carries the work: a
        row kept unmerged or already in the book, or a fresh row merged into an anchored one."""
        staged, step = STAGED, STAGED.alias("step")
        ends = or_(staged.c.merged_into.is_(None), staged.c.state == DUPLICATE)
        target = exists().where(step.c.merged_into == staged.c.old_id, step.c.state == FRESH)  # only those a merge needs
        anchored = select(staged.c.seq, staged.c.old_id).where(staged.c.state != REFUSED, ends, target).cte("anchored", recursive=True)
        joined = select(step.c.seq, step.c.old_id).join_from(step, anchored, step.c.merged_into == anchored.c.old_id)
        return anchored.union(joined.where(step.c.state == FRESH))

    def _dangling(self) -> Any:
        """The fresh rows (seq, old_id) whose chain of merges reaches a case not in the file, or whose row was refused."""
        staged, target, step = STAGED, STAGED.alias("target"), STAGED.alias("step")
        kept = exists().where(target.c.old_id == staged.c.merged_into, target.c.state != REFUSED)
        fresh = and_(staged.c.state == FRESH, staged.c.merged_into.is_not(None))
        dangling = select(staged.c.seq, staged.c.old_id).where(fresh, ~kept).cte("dangling", recursive=True)
        joined = select(step.c.seq, step.c.old_id).join_from(step, dangling, step.c.merged_into == dangling.c.old_id)
        return dangling.union(joined.where(step.c.state == FRESH))

    def _carried(self) -> tuple[int, int, int, int]:
        """How many rows carry an id, a merge, a reason `unless_existing`, a masked number in their
        text: what `loaded` looks for, each with a pass over every row, only when some row has it
        (a 12345 sheet carries none of them)."""
        staged = STAGED
        return self.conn.execute(
            select(
                func.count(staged.c.old_id), func.count(staged.c.merged_into), func.count(staged.c.unless_existing),
                func.count(sa.case((staged.c.masked_text, 1))),
            )
        ).one()

    def _refuse(self, carried: int, which, limit: int, *columns) -> tuple[int, list[tuple[Any, ...]]]:
        """Refuse the rows `which` picks: how many, and the first `limit` as (line, *`columns`). None
        unless some row `carried` what `which` asks for (_carried)."""
        if not carried:
            return 0, []
        found = self._refused(which, limit, *columns)
        self.conn.execute(update(STAGED).where(which).values(state=REFUSED))
        return found

    def _refused(self, which, limit: int, *columns) -> tuple[int, list[tuple[Any, ...]]]:
        """How many rows `which` picks, and the first `limit` as (line, *`columns`)."""
        staged = STAGED
        count = self.conn.execute(select(func.count()).where(which)).scalar_one()
        rows = self.conn.execute(select(staged.c.line, *columns).where(which).order_by(staged.c.line).limit(limit))
        return count, [tuple(row) for row in rows]

    def _mark_masked_text_duplicates(self) -> None:
        """Mark fresh rows whose text holds a masked number (`139****5678`) that are a case of the
        book whose text masks to theirs (phones.mask_in_text), not yet matched by a row with another
        id: without a ref, by receipt time, phone, summary and address, or as the case with its own
        id (whatever its phone, for an Open311 row: Open311 carries none). Done in Python, so only
        such rows — a masked export's, few in any other file — pay for it."""
        staged = STAGED
        rows = self.conn.execute(
            select(
                staged.c.seq, staged.c.ref, staged.c.old_id, staged.c.received_at, staged.c.phone, staged.c.masked_phone,
                staged.c.open311, staged.c.summary_key, staged.c.address_key, _from_this_book(staged),
            ).where(staged.c.state == FRESH, staged.c.masked_text)
        ).all()
        for seq, ref, old_id, received_at, phone, masked_phone, open311, summary_key, address_key, this_book in rows:
            same_time = select(CASES.c.id, CASES.c.phone, CASES.c.summary, CASES.c.address).where(
                CASES.c.received_at == received_at, _unclaimed(CASES.c.id, sa.literal(old_id, sa.BigInteger))
            )
            for case_id, case_phone, case_summary, case_address in self.conn.execute(same_time):
                its_own = case_id == old_id and open311 and this_book
                same_phone = its_own or (phones.mask(case_phone) == masked_phone if masked_phone else case_phone == phone)
                same_text = (
                    fold(phones.mask_in_text(case_summary)) == summary_key
                    and fold(phones.mask_in_text(case_address)) == (address_key or "")
                )
                if (ref is None or case_id == old_id) and same_phone and same_text:
                    self.conn.execute(update(staged).where(staged.c.seq == seq).values(state=DUPLICATE, case_id=case_id))
                    break

    def _index(self) -> None:
        """Indexes for finding duplicates and merge targets, made once every row is in (cheaper than kept up)."""
        for column in ("ref_key", "received_at", "old_id", "merged_into"):
            self.conn.exec_driver_sql(f"CREATE INDEX {NAME}_{column} ON {NAME} ({column})")
        self.conn.exec_driver_sql(f"ANALYZE {NAME}")
        # After ANALYZE: case_id is filled only as rows match, so its statistics (all empty now) would
        # keep the planner off it, and finding a case's other row took the square of the rows.
        self.conn.exec_driver_sql(f"CREATE INDEX {NAME}_case_id ON {NAME} (case_id)")

    def count(self) -> tuple[int, int]:
        """(fresh, duplicate) rows as the book stands now, writing nothing: a dry run's answer."""
        with self.conn.begin():
            return self._mark_duplicates()

    def swap(self, *, at: datetime, actor: str, source: str, unit: str = "行") -> tuple[int, int]:
        """Write the fresh rows into the book with their `imported` events, in one transaction.

        Returns (added, duplicate). Duplicates are found inside the same transaction, so an
        import running at the same time cannot slip the same case in between.
        """
        with self.store.writing(self.conn) as conn:
            backend.serialise(conn, "import")
            fresh, duplicate = self._mark_duplicates()
            if fresh:
                self._write(conn, fresh, at=at, actor=actor, source=source, unit=unit)
        return fresh, duplicate

    def _mark_duplicates(self, only=None) -> tuple[int, int]:
        """Mark rows (those `only` picks, else all) whose case is already in the book, or earlier
        in the file: by ref (as refs compare, ref_key), or without one by (received_at, phone, summary, address); or, in the book
        it was exported from, as the case with its id, receipt time, summary and address (an Open311
        export carries no phone, and its id where a ref is missing); returns (fresh, duplicate).
        Rows carrying different ids are different cases: never one another's duplicates, nor both
        one case of the book (_one_row_per_case)."""
        self._match(only)
        self._one_row_per_case()
        counts = dict(
            self.conn.execute(select(STAGED.c.state, func.count()).where(STAGED.c.state != REFUSED).group_by(STAGED.c.state)).all()
        )
        return counts.get(FRESH, 0), counts.get(DUPLICATE, 0)

    def _match(self, only) -> None:
        """Mark the fresh rows `only` picks (all if None) that are a case of the book not yet
        matched by a row with another id (noted in case_id), or a row before them in the file."""
        staged, earlier = STAGED, STAGED.alias("earlier")
        before = and_(earlier.c.seq < staged.c.seq, earlier.c.state != REFUSED)
        unclaimed = _unclaimed(CASES.c.id, staged.c.old_id)
        its_own = exists().where(
            CASES.c.id == staged.c.old_id, _from_this_book(staged), _same_content(CASES, staged), unclaimed
        )
        in_book = select(func.min(CASES.c.id)).where(CASES.c.ref_key == staged.c.ref_key).scalar_subquery()
        by_ref = and_(
            staged.c.ref.is_not(None),
            or_(exists().where(CASES.c.ref_key == staged.c.ref_key), exists().where(earlier.c.ref_key == staged.c.ref_key, before)),
        )
        by_key_in_book = select(func.min(CASES.c.id)).where(_same_key(CASES, staged), unclaimed).scalar_subquery()
        # The same case earlier in the file is a row with the same id, or one of the two without an id:
        # each asked apart, so that the old_id index finds it (5,000 look-alike rows with different
        # ids each read every other one, 16 s).
        earlier_row = lambda *same_ids: exists().where(_same_key(earlier, staged), earlier.c.ref.is_(None), before, *same_ids)  # noqa: E731
        by_key = and_(
            staged.c.ref.is_(None),
            or_(
                by_key_in_book.is_not(None),
                earlier_row(earlier.c.old_id == staged.c.old_id),
                earlier_row(earlier.c.old_id.is_(None)),
                and_(staged.c.old_id.is_(None), earlier_row()),
            ),
        )
        for same, case_id in ((its_own, staged.c.old_id), (by_ref, in_book), (by_key, by_key_in_book)):
            picked = [staged.c.state == FRESH, same] + ([] if only is None else [only])
            self.conn.execute(update(staged).where(*picked).values(state=DUPLICATE, case_id=case_id))

    def differing(self, limit: int) -> tuple[int, list[int]]:
        """Rows 已存在 by their ref whose case — in the book, or a row before them in the file — holds another
        receipt time, phone, summary or address (an import never changes a case the book has, nor takes a
        row twice): how many, and the first `limit` lines."""
        staged, earlier = STAGED, STAGED.alias("earlier")
        its_case = (CASES.c.id == staged.c.case_id, CASES.c.ref_key == staged.c.ref_key)
        in_book = exists().where(*its_case)
        alike_before = exists().where(
            earlier.c.ref_key == staged.c.ref_key, earlier.c.seq < staged.c.seq, earlier.c.state != REFUSED, _same_content(earlier, staged)
        )
        which = and_(
            staged.c.state == DUPLICATE,
            staged.c.ref.is_not(None),
            or_(
                exists().where(*its_case, ~_same_content(CASES, staged)),
                and_(~in_book, ~alike_before),
            ),
        )
        count, first = self._refused(which, limit)
        return count, [line for (line,) in first]

    def _one_row_per_case(self) -> None:
        """A case of the book is one row of the file: of rows with different ids that were both
        taken for it (in one pass, none seeing the other), the first keeps it, each later one is
        matched again without it — fresh if nothing else fits. A row with a ref keeps its case
        (a ref is one case).

        As if the later rows were matched again one at a time, in the order of the file, but in
        rounds over all of them at once: a round's rows up to the first whose case an earlier one
        took in the same round are matched for good (none before it took theirs), as is every row
        the round found nothing for (one seeing more rows' cases finds nothing either); the rest
        go again, now seeing the cases kept. 5,000 look-alike rows with different ids against one
        case of the book were 4,999 matches of one row each (317 s on PostgreSQL); they are one round."""
        staged, earlier = STAGED, STAGED.alias("earlier")
        taken = and_(
            earlier.c.seq < staged.c.seq, earlier.c.state == DUPLICATE, earlier.c.case_id == staged.c.case_id,
            _other_ids(earlier.c.old_id, staged.c.old_id),
        )
        clashing = and_(staged.c.state == DUPLICATE, staged.c.ref.is_(None), staged.c.case_id.is_not(None), exists().where(taken))
        again = update(staged).values(state=FRESH, case_id=None, rematch=True)
        if not self.conn.execute(again.where(clashing)).rowcount:
            return
        rematched = staged.c.rematch.is_(True)
        while True:
            self._match(rematched)
            first = self.conn.execute(select(func.min(staged.c.seq)).where(rematched, clashing)).scalar_one()
            if first is None:
                break
            settled = or_(staged.c.seq < first, staged.c.state == FRESH)
            self.conn.execute(update(staged).where(rematched, settled).values(rematch=None))
            self.conn.execute(again.where(rematched))
        self.conn.execute(update(staged).where(rematched).values(rematch=None))

    def _write(self, conn: Connection, fresh: int, *, at: datetime, actor: str, source: str, unit: str) -> None:
        staged = STAGED
        merging = conn.execute(select(staged.c.seq).where(staged.c.state == FRESH, staged.c.merged_into.is_not(None)).limit(1))
        merging = merging.first() is not None
        first = backend.reserve_id_block(conn, "cases", fresh)
        new_id = self._numbered(conn, first, fresh, merging=merging)
        # Into a book with fewer cases than the file brings (a new book, say), the indexes are built
        # once afterwards: keeping them up row by row took as long as the rest of the copy.
        with backend.indexes_rebuilt(conn, ("cases", "events")) if fresh >= first else nullcontext():
            self._copy(conn, new_id, at=at, actor=actor, source=source, unit=unit)
            if merging:
                self._link_merges(conn)

    def _copy(self, conn: Connection, new_id: Any, *, at: datetime, actor: str, source: str, unit: str) -> None:
        """The fresh rows into `cases` as `new_id` numbers them, each with its `imported` event (`导入自 x.csv 第 3 行`,
        `unit` 条 for a JSON array's items)."""
        staged = STAGED
        is_fresh = staged.c.state == FRESH
        conn.execute(
            CASES.insert().from_select(
                ["id", *CASE_COLUMNS],
                select(new_id, *(staged.c[name] for name in CASE_COLUMNS)).where(is_fresh).order_by(staged.c.seq),
            )
        )
        note = sa.literal(f"导入自 {source} 第 ") + sa.cast(staged.c.line, sa.String) + sa.literal(f" {unit}")
        conn.execute(
            EVENTS.insert().from_select(
                ["case_id", "at", "actor", "kind", "note", "changes"],
                select(
                    new_id, sa.literal(at, UTCDateTime()), sa.literal(actor), sa.literal(EventKind.IMPORTED.value),
                    note, staged.c.changes,
                ).where(is_fresh).order_by(staged.c.seq),
            )
        )

    def _numbered(self, conn: Connection, first: int, fresh: int, *, merging: bool) -> Any:
        """Each fresh row's id in the book, `first` onwards in the order of the file: an expression
        over the stage. When the fresh rows follow one another (no duplicate or refused row among
        them, the usual import) and none is merged, it is the row's place; otherwise every fresh
        row is numbered into case_id first, which rewrites every wide staged row (a third of the copy)."""
        staged = STAGED
        lowest, highest = conn.execute(select(func.min(staged.c.seq), func.max(staged.c.seq)).where(staged.c.state == FRESH)).one()
        if highest - lowest + 1 == fresh and not merging:
            return staged.c.seq + (first - lowest)
        numbered = (
            select(staged.c.seq, (func.row_number().over(order_by=staged.c.seq) + (first - 1)).label("new_id"))
            .where(staged.c.state == FRESH)
            .subquery("numbered")
        )
        conn.execute(update(staged).where(staged.c.seq == numbered.c.seq).values(case_id=numbered.c.new_id))
        return staged.c.case_id

    def _link_merges(self, conn: Connection) -> None:
        """Point merged cases at their targets' ids in the book (case_id): a case of the same file,
        or the case already in the book that a duplicate row stands for."""
        staged, target = STAGED, STAGED.alias("target")
        for has_ref in (True, False):
            if has_ref:
                found = select(func.min(CASES.c.id)).where(CASES.c.ref_key == staged.c.ref_key)
            else:
                found = select(func.min(CASES.c.id)).where(_same_key(CASES, staged))
            ref_test = staged.c.ref.is_not(None) if has_ref else staged.c.ref.is_(None)
            conn.execute(
                update(staged)
                .where(staged.c.state == DUPLICATE, staged.c.old_id.is_not(None), ref_test)
                .values(case_id=func.coalesce(staged.c.case_id, found.scalar_subquery()))
            )
        resolved = select(func.min(target.c.case_id)).where(target.c.old_id == staged.c.merged_into).scalar_subquery()
        targets = (
            select(staged.c.case_id.label("case_id"), resolved.label("target_id"))
            .where(staged.c.state == FRESH, staged.c.merged_into.is_not(None))
            .subquery("targets")
        )
        conn.execute(update(CASES).where(CASES.c.id == targets.c.case_id).values(merged_into=targets.c.target_id))


def _repeated_id(row) -> Any:
    """The staged `row` carries the id of an earlier row of the file that is not the same case:
    the first row with that id has another ref, or (neither having one) another receipt time,
    phone, summary or address. A true repeat of that row is left to be found 已存在."""
    first, before = STAGED.alias("first"), STAGED.alias("before")
    same_case = or_(
        and_(first.c.ref.is_not(None), first.c.ref_key == row.c.ref_key),
        and_(
            first.c.ref.is_(None), row.c.ref.is_(None), first.c.received_at == row.c.received_at,
            first.c.summary_key == row.c.summary_key, _same_address(first, row),
            first.c.phone.is_not_distinct_from(row.c.phone), first.c.masked_phone.is_not_distinct_from(row.c.masked_phone),
        ),
    )
    is_first = ~exists().where(before.c.old_id == first.c.old_id, before.c.seq < first.c.seq)
    return and_(
        row.c.old_id.is_not(None),
        exists().where(first.c.old_id == row.c.old_id, first.c.seq < row.c.seq, is_first, ~same_case),
    )


def _from_this_book(row) -> Any:
    """The staged `row` came from this book, or does not say which (a jiesu before m016 did not):
    only then does its id (old_id) number a case of this book. Another book numbers its own cases,
    and its #5 may be a look-alike case here (Open311 carries no phone to tell them apart)."""
    return or_(row.c.book.is_(None), row.c.book == select(BOOK.c.identity).scalar_subquery())


def _other_ids(one, other) -> Any:
    """Two staged rows' ids (old_id) are different: different cases of the book they came from."""
    return and_(one.is_not(None), other.is_not(None), one != other)


def _unclaimed(case_id, old_id) -> Any:
    """The book's case `case_id` is not already matched by a staged row with another id than `old_id`."""
    claimer = STAGED.alias("claimer")
    return ~exists().where(claimer.c.case_id == case_id, claimer.c.state == DUPLICATE, _other_ids(claimer.c.old_id, old_id))


def _same_key(other, staged) -> Any:
    """The same receipt time, phone, summary and address: how a case without a ref is recognised
    (a masked phone matches the phone that masks to it, as `phones.mask` does). Open311 carries
    no phone: without the address, two offices' cases received at one time with one summary
    were one case, and a merged export lost the second."""
    masked = staged.c.masked_phone
    return and_(
        other.c.received_at == staged.c.received_at,
        _same_summary(other, staged),
        _same_address(other, staged),
        or_(
            and_(masked.is_(None), other.c.phone.is_not_distinct_from(staged.c.phone)),
            and_(masked.is_not(None), _masked(other.c.phone) == masked),
        ),
    )


def _same_content(other, staged) -> Any:
    """_same_key, or for an Open311 row (which never carries a phone) the same receipt time, summary
    and address; a number Open311 masks in the text is matched by _mark_masked_text_duplicates."""
    phoneless = and_(
        staged.c.open311, other.c.received_at == staged.c.received_at, _same_summary(other, staged), _same_address(other, staged)
    )
    return or_(_same_key(other, staged), phoneless)


def _same_summary(other, staged) -> Any:
    """The same summary as search sees it (`３楼漏水` is `3楼漏水`): the first line of the other's
    search_text is the staged row's summary_key (textsearch.summary_key, in SQL)."""
    key = staged.c.summary_key
    size = func.length(key)
    part = lambda start, length: func.substr(other.c.search_text, start, length, type_=sa.Text)  # noqa: E731
    return and_(part(1, size) == key, func.coalesce(part(size + 1, 1), "").in_(["\n", ""]))


def _same_address(other, staged) -> Any:
    """The same address as search and hotspots see it (address_key, textsearch.fold: `3号` is `３号`),
    none being one too: an export writes a missing address as an empty cell."""
    return func.coalesce(other.c.address_key, "") == func.coalesce(staged.c.address_key, "")


def _masked(phone) -> Any:
    """`phones.mask` in SQL: `13812345678` → `138****5678`; a short number keeps its last two digits."""
    length = func.length(phone)
    part = lambda text, start, size: func.substr(text, start, size, type_=sa.Text)  # noqa: E731
    return sa.case(
        (length >= 8, part(phone, 1, 3) + "****" + part(phone, length - 3, 4)),
        else_=part(sa.literal("*" * 8, sa.Text), 1, length - 2) + part(phone, length - 1, 2),
    )


@contextmanager
def staging(store: Store) -> Iterator[Stage]:
    """An empty stage on a connection of its own, which is closed afterwards, whatever happened.

    The stage goes with its connection instead of being dropped: DROP TABLE walked every page
    of it (0.12–0.17 s CPU for 100,000 rows), closing forgets them at once. So the stage never
    outlives its import, and its rows need no rollback journal (`backend.scratch_journal`).
    """
    with store.connection() as conn:
        try:
            with conn.begin():
                STAGED.create(conn)
            backend.scratch_journal(conn)
            with backend.page_cache(conn, COPY_CACHE_KIB):
                yield Stage(store, conn)
        finally:
            conn.invalidate()
