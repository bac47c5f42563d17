"""Every test gets its own case book; none touches a real one.

The book is a SQLite file under tmp_path, or — when JIESU_TEST_DB names a
PostgreSQL server (`postgresql+psycopg://…/postgres`) — a fresh database on
that server, so the same suite runs against both backends.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from jiesu.cli import app
from jiesu.db import open_store
from jiesu.migrations import LATEST
from jiesu.office import Office
from jiesu.rules import DEFAULT_RULES

SERVER = os.environ.get("JIESU_TEST_DB")
# "Now" for every test: fixed, never the wall clock. The 1st of a month in the
# morning is the default because it is where month-to-date figures are emptiest;
# JIESU_TEST_NOW replays the suite at any other instant (e.g. the 15th, the 31st).
TEST_NOW = os.environ.get("JIESU_TEST_NOW", "2026-12-01T09:30:00+08:00")
BACKEND = "postgresql" if SERVER else "sqlite"
sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="about the SQLite file itself")


def pytest_configure(config):
    """A suite a shell without job control started in the background (`( pytest & )`) has Ctrl-C ignored, and
    every process it starts inherits that: the tests that stop a jiesu with Ctrl-C would wait for ever on it."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _server_admin():
    return create_engine(SERVER, isolation_level="AUTOCOMMIT")


@pytest.fixture
def new_target(tmp_path):
    """Make fresh, empty case-book targets: a file path on SQLite, a new database on PostgreSQL."""
    made = []

    def make(name: str = "jiesu") -> str:
        if BACKEND == "sqlite":
            return str(tmp_path / f"{name}.db")
        database = f"jt_{uuid.uuid4().hex[:16]}"
        admin = _server_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        made.append(database)
        return make_url(SERVER).set(database=database).render_as_string(hide_password=False)

    yield make
    if made:
        admin = _server_admin()
        with admin.connect() as conn:
            for database in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def db_target(new_target, monkeypatch, tmp_path) -> str:
    target = new_target()
    monkeypatch.setenv("JIESU_DB", target)
    monkeypatch.setenv("JIESU_ACTOR", "测试员")
    monkeypatch.setenv("JIESU_NOW", TEST_NOW)
    monkeypatch.delenv("JIESU_RULES", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    # A `jiesu` run as a subprocess runs in-process unless a test asks for the resident
    # process; where one is started, it lives in this test's own runtime directory.
    monkeypatch.setenv("JIESU_SERVER", "0")
    monkeypatch.setenv("JIESU_RUNTIME_DIR", str(tmp_path / "run"))
    # One a test starts and cannot stop (its `server stop` came before it listened) leaves soon after.
    monkeypatch.setenv("JIESU_SERVER_IDLE", "60")
    return target


@pytest.fixture
def db_path(db_target) -> Path:
    """The SQLite file itself, for tests about files; skipped on PostgreSQL."""
    if BACKEND != "sqlite":
        pytest.skip("about the SQLite file itself")
    return Path(db_target)


class Book:
    """Plain SQL on a case book, for tests to look behind the CLI (either backend)."""

    def __init__(self, target: str) -> None:
        url = target if "://" in target else f"sqlite:///{target}"
        self.engine = create_engine(url)

    def rows(self, sql: str, **params) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]

    def scalar(self, sql: str, **params):
        return self.rows(sql, **params)[0][0]

    def execute(self, sql: str, **params) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    def store_as_an_older_jiesu(self, case_id: int, **values: str) -> None:
        """Give case `case_id` text today's jiesu refuses (a community or category holding a zero-width space),
        as an older jiesu stored it, with the folded copies it kept beside it (textsearch.derived)."""
        from jiesu.textsearch import derived

        with self.engine.begin() as conn:
            row = conn.execute(text("SELECT * FROM cases WHERE id = :id"), {"id": case_id}).mappings().one()
            changed = values | derived(dict(row) | values)
            conn.execute(text(f"UPDATE cases SET {', '.join(f'{name} = :{name}' for name in changed)} WHERE id = :id"), changed | {"id": case_id})

    def counts(self) -> tuple[int, int]:
        return self.scalar("SELECT count(*) FROM cases"), self.scalar("SELECT count(*) FROM events")

    def fingerprint(self) -> tuple:
        """Everything a refused command must leave as it was."""
        return tuple(
            self.rows(sql)[0]
            for sql in (
                "SELECT count(*), coalesce(sum(version), 0) FROM cases",
                "SELECT count(*), coalesce(max(id), 0) FROM events",
                "SELECT count(*) FROM revisits",
                "SELECT count(*) FROM ledger_entries",
                "SELECT count(*) FROM ledger_moves",
                "SELECT count(*) FROM ledger_balances",
            )
        )

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def book(db_target, book_at):
    """The test's book, made (empty) before the test runs: a refused command makes none, and what
    one leaves is counted in it."""
    open_store(db_target).close()
    return book_at(db_target)


@pytest.fixture
def book_at():
    """Books on any target (the test's own, or a second store); all closed when the test ends."""
    opened = []

    def open_(target: str) -> Book:
        opened.append(Book(target))
        return opened[-1]

    yield open_
    for each in opened:
        each.close()


class Jiesu:
    """The real CLI, invoked in-process the way a worker types it."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, [str(a) for a in args], input=input)

    def ok(self, *args: str):
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str):
        return json.loads(self.ok(*args, "--format", "json").stdout)

    def new(self, summary: str = "楼道灯不亮", *args: str) -> int:
        return int(self.ok("new", summary, *args, "-q").stdout)

    def reopen_twice(self, case_id: int | str) -> None:
        """Visit, close and reopen an assigned case on 2026-11-24 and again on 11-25: 多次重办."""
        for day in (4, 5):
            self.ok("visit", case_id, "--note", "上门查看", "--at", f"2026-11-2{day}T09:00")
            self.ok("close", case_id, "--result", "已解决", "--note", "ok", "--at", f"2026-11-2{day}T10:00")
            self.ok("reopen", case_id, "--reason", "r", "--at", f"2026-11-2{day}T11:00")

    def ledgered_reopened_twice(self) -> int:
        """A fresh tester's case: assigned to 前门物业, reopened twice (多次重办), then put on the ledger under
        街道城管科 with its 整改期限 on 2026-12-07 (its 办理时限 ends on 12-04)."""
        case_id = self.new("地下室积水", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
        self.ok("assign", case_id, "前门物业", "--at", "2026-11-20T10:00")
        self.reopen_twice(case_id)
        self.ok("ledger", "add", case_id, "--plan", "加装排水泵", "--unit", "街道城管科", "--due", "2026-12-07", "--at", "2026-11-26T09:00")
        return case_id

    def table(self, *args: str) -> tuple[list[str], list[list[str]]]:
        """The header and the rows' cells of a table, checked to fit the terminal (COLUMNS) one line a row;
        not the line under it that names the columns left out (`（屏幕太窄，略去：承办）`)."""
        from rich.cells import cell_len

        lines = self.ok(*args, "--format", "table").stdout.splitlines()
        assert max(cell_len(line) for line in lines) <= int(os.environ["COLUMNS"]), lines
        if any(line.startswith("（屏幕太窄，略去：") for line in lines):
            lines = lines[: next(n for n, line in enumerate(lines) if line.startswith("（屏幕太窄，略去："))]
        rows = [[cell.strip() for cell in line.split("│")] for line in lines[2:] if line.strip()]
        return [label.strip() for label in lines[0].split("┃")], rows


@pytest.fixture
def jiesu() -> Jiesu:
    return Jiesu()


@pytest.fixture
def store(db_target):
    opened = open_store(db_target)
    yield opened
    opened.close()


@pytest.fixture
def office(store) -> Office:
    return Office(store=store, rules=DEFAULT_RULES, actor="测试员")


def as_an_older_jiesu_wrote_it(
    book: Path, modern: Path, monkeypatch, *, version: int = 1, tables: tuple[str, ...] = ("cases", "events")
) -> None:
    """Make `book` a store of schema `version` holding the rows of `tables` from `modern` (a current book).

    Today's models have columns older schemas lack, so an old jiesu's rows are made by
    today's jiesu and copied over in the old schema's columns; one today's schema dropped
    (ledger_entries.carried) is written 0, as an older jiesu began it.
    """
    import sqlite3

    from jiesu import db, migrations

    with monkeypatch.context() as old_code:
        old_code.setattr(db, "MIGRATIONS", migrations.MIGRATIONS[:version])
        old_code.setattr(db, "LATEST", version)
        db.open_store(str(book)).close()
    conn = sqlite3.connect(book)
    with conn:
        assert conn.execute("SELECT max(version) FROM jiesu_schema").fetchone()[0] == version
        conn.execute("ATTACH DATABASE ? AS modern", (str(modern),))
        for table in tables:
            columns = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]
            kept = {row[1] for row in conn.execute(f"PRAGMA modern.table_info({table})")}
            values = ", ".join(name if name in kept else "0" for name in columns)
            conn.execute(f"INSERT INTO main.{table} ({', '.join(columns)}) SELECT {values} FROM modern.{table}")
    conn.execute("DETACH DATABASE modern")
    conn.close()


@contextmanager
def schema_versions_seen(book: Path):
    """The schema versions a reader finds in `book` while the block runs, read as fast as it can
    (0: the file is there but holds no schema yet); it never creates the file itself."""
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not book.exists():
            if done.wait(0.001):
                return
        conn = sqlite3.connect(f"file:{book}?mode=rw", uri=True, timeout=60)
        try:
            while True:
                finished = done.is_set()
                try:
                    seen.add(conn.execute("SELECT coalesce(max(version), 0) FROM jiesu_schema").fetchone()[0])
                except sqlite3.OperationalError as exc:
                    assert "no such table" in str(exc), exc
                    seen.add(0)
                if finished:
                    return
                time.sleep(0.0005)
        finally:
            conn.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield seen
    finally:
        done.set()
        watcher.join(timeout=60)


def eight_new_at_once_make_one_whole_book(path: Path, env: dict, jiesu, book_at) -> None:
    """Start eight `jiesu new` at once on `path`, where no book is yet, and assert that the book
    they make is whole and was never seen half made, and that they say nothing but their ids."""
    env = env | {"JIESU_DB": str(path)}
    with schema_versions_seen(path) as seen:
        filers = [
            subprocess.Popen([sys.executable, "-m", "jiesu", "new", f"同时受理 {n}", "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for n in range(8)
        ]
        results = [(*filer.communicate(timeout=120), filer.returncode) for filer in filers]
    assert [(code, without_calendar_notes(err)) for _, err, code in results] == [(0, "")] * 8
    assert sorted(int(out) for out, _, _ in results) == list(range(1, 9))
    assert seen - {0} == {LATEST}, "a half-made schema was seen"
    assert list(path.parent.glob(f"{path.name}.bak*")) == []
    assert jiesu.ok("--db", path, "check").stderr.startswith("案卷完好")
    assert book_at(str(path)).scalar("SELECT count(*) FROM cases WHERE summary LIKE '同时受理%'") == 8


# Commands refused on a path with no book yet, and their exit codes: each one left the book made
# (refused after it was opened: a value typed, the rules file, a case or a file it then found wrong).
REFUSED_ON_NO_BOOK = [
    (["new", "漏水", "--received", "2026-11-20"], 2),  # a receipt without its clock time
    (["assign", "5", "张三"], 1),
    (["import", "坏.csv"], 1),  # a header jiesu does not know
    (["import", "有错的行.csv"], 1),  # every row read against the book, one of them wrong
    (["--rules", "没有.toml", "list"], 1),
    (["show", "1"], 1),
]


def fresh_folder(tmp_path):
    """A folder with the files the refused commands name, and no book."""
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / "坏.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (folder / "有错的行.csv").write_text("诉求内容,联系电话\n楼道灯不亮,13812345678\n漏水,12345\n", encoding="utf-8")
    return folder, sorted(p.name for p in folder.iterdir())


def without_calendar_notes(stderr: str) -> str:
    """stderr less the notes that deadlines in a year chinesecalendar lacks add (now near a year's end)."""
    return "".join(line for line in stderr.splitlines(keepends=True) if not line.startswith("注意：") or "chinesecalendar" not in line)


def head(text: str, width: int) -> str:
    """The longest start of `text` a terminal draws in `width` columns (a Chinese character takes two): what a
    message repeats of a long text, before its `…（共 N 字）`."""
    while sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text) > width:
        text = text[:-1]
    return text


def refused(result, line: str | None = None, code: int = 1) -> str:
    """Assert a one-line refusal with exit `code` (1: refused; 2: a usage error) and no traceback; return the line."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误: ")
    if line is not None:
        assert lines[0] == f"错误: {line}"
    return lines[0]


# A writer on another machine sharing a folder: its process id means nothing here (none is this high).
FOREIGN_PID = 99_999_999


def holding_a_part(part: Path) -> subprocess.Popen:
    """A live process holding `part` as jiesu's writers do (created owner-only, exclusively flocked)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600); "
         "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'13812345678'); print('locked', flush=True); sys.stdin.read()", str(part)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline() == "locked\n"
    return holder


def killed(holder: subprocess.Popen) -> None:
    holder.kill()
    holder.wait()
