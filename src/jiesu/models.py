"""The tables of DESIGN §2 as SQLModel classes.

The schema itself is made by `migrations.py`, written out literally; a test
checks that these classes and the migrated schema agree column for column.
Enum-valued columns hold the English value as plain text.
"""

from datetime import datetime, timezone

from pydantic import ConfigDict
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """An aware datetime stored in UTC (naive UTC text on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            return _utc_from_text
        return super().result_processor(dialect, coltype)


def _utc_from_text(value: str | None) -> datetime | None:
    """A time as SQLite holds it (naive UTC text) read as UTC: what `process_result_value` makes of
    it, with the zone parsed with the text, not put in by `datetime.replace`, which takes five times as
    long: a listing reads thousands of these."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value + "+00:00")
    except ValueError:  # text with its own offset
        moment = None
    if moment is None or moment.tzinfo is None:  # a date alone takes `+00:00` for its time
        return UTCDateTime().process_result_value(datetime.fromisoformat(value), None)
    return moment


class TableModel(SQLModel):
    """The base of jiesu's tables. Rows are made from trusted values and read back from the
    store, never validated by pydantic, so its validators are built only if ever asked for:
    that saves about 5 of the 33 ms that building the classes costs every command."""

    model_config = ConfigDict(defer_build=True)


class Case(TableModel, table=True):
    """工单: one citizen complaint and where it stands."""

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    ref: str | None = Field(default=None, unique=True)
    received_at: datetime = Field(sa_type=UTCDateTime)
    channel: str
    urgency: str
    category: str = ""
    summary: str = Field(sa_type=Text)
    detail: str = Field(default="", sa_type=Text)
    name: str | None = None
    phone: str | None = None
    phone_ext: str | None = None  # 分机, apart from the number so the number stays dialable (m005)
    address: str | None = None
    community: str | None = None
    kind: str | None = None
    nature: str
    track: str | None = None
    tier: str
    level: str
    assignee: str | None = None
    status: str
    respond_by: datetime = Field(sa_type=UTCDateTime)
    resolve_by: datetime = Field(sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: str | None = None
    reopen_count: int = 0
    merged_into: int | None = Field(default=None, foreign_key="cases.id")
    version: int = 1
    # Simplified-Chinese copy of summary, detail, address and name, so that a
    # search for 违建 also finds 違建 without converting every row per query.
    search_text: str = Field(default="", sa_type=Text)
    # The address and category normalised (textsearch.fold), so that hotspots and
    # 一人多诉 count `３号楼` and `3号楼` as one place without rewriting what was typed.
    address_key: str | None = None
    category_key: str = ""
    # The ref as refs compare (textsearch.ref_key): `ＢＪ００１`, `bj001` and `BJ001` are one work order,
    # held by one case — the unique index is on (ref_key, ref_twin) (m015).
    ref_key: str | None = None
    # 0, except on a case that already shared its folded ref with an earlier case when m015 began
    # comparing refs so: its own id, which keeps the pair apart in that index until a person merges
    # them (`jiesu check` names them). Only m015 writes it.
    ref_twin: int = 0


class Event(TableModel, table=True):
    """办理记录: one step in a case's history; never updated or deleted."""

    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    kind: str
    note: str = Field(default="", sa_type=Text)
    # JSON object {field: [old, new]} of the case fields this step changed.
    changes: str = Field(default="{}", sa_type=Text)
    # For an `undone` event: the step it takes back (whose changes it reverses).
    undoes: int | None = Field(default=None, foreign_key="events.id")
    # When the step was written (`at` is when it happened, and `--at` may date it days back); undo's
    # time limit counts from here. None for events written before jiesu kept it, and imported ones.
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Revisit(TableModel, table=True):
    """回访: what the citizen said when asked after the case was closed."""

    __tablename__ = "revisits"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    satisfaction: str
    resolved: bool
    note: str = Field(default="", sa_type=Text)


class LedgerEntry(TableModel, table=True):
    """台账条目: what an office owes a citizen until it is rectified (不整改完不销账)."""

    __tablename__ = "ledger_entries"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)
    period: str  # YYYY-MM its 上账 is booked in: of opened_at, or the first period not yet rolled
    plan: str = Field(sa_type=Text)
    unit: str
    due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = "open"
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    evidence: str | None = Field(default=None, sa_type=Text)


# What `ledger edit` corrects of an open entry; the case's history records it under these names.
ENTRY_EDITABLE = ("plan", "unit", "due")


# The columns kept for comparing cases (normalised copies, m015's twin mark), never shown or exported.
COMPARING_FIELDS = ("search_text", "address_key", "category_key", "ref_key", "ref_twin")
# What a case shows and exports: everything but those.
CASE_FIELDS = tuple(c for c in Case.model_fields if c not in COMPARING_FIELDS)
# The case fields that hold times (a step's recorded changes keep them as UTC ISO text).
CASE_TIMES = frozenset({"received_at", "respond_by", "resolve_by", "responded_at", "closed_at"})
# Those that are deadlines: one given as a date alone is the day's 24:00, as a typed --due is.
CASE_DEADLINES = ("respond_by", "resolve_by")
# What `list` gives beside a 挂账整改 case, which answers to its ledger entry instead of its 办理时限 and 承办.
LISTED_ENTRY_FIELDS = ("entry_id", "entry_due", "entry_unit")


# The book's identity (migrations.m016_book_identity), one row: Open311 exports carry it as `jiesu_book`.
# Apart from SQLModel's metadata, so that no create_all and no copy of every table takes it.
BOOK = Table("book", MetaData(), Column("identity", String, primary_key=True))
