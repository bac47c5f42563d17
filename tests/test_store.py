"""Opening, creating, refusing and migrating stores (db.py, migrations.py)."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

from conftest import REFUSED_ON_NO_BOOK, fresh_folder, head, refused, sqlite_only
from jiesu import db, migrations
from jiesu.errors import BadOption
from jiesu.ledger_models import LedgerBalance, LedgerMove
from jiesu.models import COMPARING_FIELDS, Case, Event, LedgerEntry, Revisit
from jiesu.month_rates import MonthRates


def test_new_store_is_private_wal_and_stamped(jiesu, db_path):
    jiesu.new()
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
        versions = [v for (v,) in conn.execute("SELECT version FROM jiesu_schema ORDER BY version")]
    assert versions == [v for v, _, _ in migrations.MIGRATIONS]


@sqlite_only
def test_connections_enforce_foreign_keys_and_wait_for_locks(store):
    with store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS


@sqlite_only
@pytest.mark.parametrize("written", ["abc", "-5", "1.5", "60s", "86400001", "9" * 5000])
def test_a_busy_timeout_that_is_not_milliseconds_is_a_usage_error(jiesu, db_path, monkeypatch, written):
    """Not a silent fall back to the default: the worker who set it would wait a minute, or not at all."""
    monkeypatch.setenv("JIESU_BUSY_TIMEOUT_MS", written)
    line = refused(jiesu("new", "楼道灯不亮"), code=2)
    assert line.startswith("错误: JIESU_BUSY_TIMEOUT_MS='") and line.endswith("' 应为等待的毫秒数：0 到 86400000 的整数")
    assert not db_path.exists()


@sqlite_only
def test_a_busy_timeout_in_milliseconds_is_what_sqlite_waits(db_path, monkeypatch):
    monkeypatch.setenv("JIESU_BUSY_TIMEOUT_MS", " 250 ")
    store = db.open_store(str(db_path))
    try:
        with store.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 250
    finally:
        store.close()


def test_models_match_the_migrated_schema(store):
    inspector = inspect(store.engine)
    for model in (Case, Event, Revisit, LedgerEntry, LedgerMove, LedgerBalance, MonthRates):
        migrated = {c["name"] for c in inspector.get_columns(model.__tablename__)}
        assert migrated == set(model.__table__.columns.keys()), model.__tablename__


def test_default_store_lives_in_the_user_data_dir(jiesu, tmp_path, monkeypatch):
    monkeypatch.delenv("JIESU_DB")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    jiesu.new("默认位置")
    assert (tmp_path / "home" / "data" / "jiesu" / "jiesu.db").is_file()


def test_db_option_beats_the_environment(jiesu, tmp_path, db_path):
    other = tmp_path / "other.db"
    jiesu.ok("--db", str(other), "new", "别处")
    assert other.is_file() and not db_path.exists()


def _foreign_sqlite(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO photos (name) VALUES ('cat.jpg')")
    conn.close()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "是空文件，不是 jiesu 案卷库；请删除它或用 --db 指定别的位置"),
        (lambda p: p.write_bytes(os.urandom(4096)), "不是 jiesu 案卷库（不是 SQLite 数据库）；请用 --db 指定正确的文件"),
        (_foreign_sqlite, "是别的程序的 SQLite 数据库，不是 jiesu 案卷库；请用 --db 指定别的位置"),
        (lambda p: p.write_bytes(db.SQLITE_HEADER + b"\0" * 20), "不完整（文件被截断）；请从备份恢复（步骤见 jiesu backup --help）"),
    ],
    ids=["empty", "random", "foreign", "truncated"],
)
def test_files_that_are_not_stores_are_refused_untouched(jiesu, db_path, make, message):
    make(db_path)
    before = db_path.read_bytes()
    refused(jiesu("list"), f"{db_path} {message}")
    assert db_path.read_bytes() == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_missing_folder_is_refused(jiesu, tmp_path):
    target = tmp_path / "nowhere" / "jiesu.db"
    line = refused(jiesu("--db", str(target), "list"))
    assert line == f"错误: {target}: 文件夹 {target.parent} 不存在；请先创建它，或用 --db 指定别的位置"
    assert not target.parent.exists()


@pytest.mark.parametrize("make", [lambda t: t / ("甲" * 2000 + ".db"), lambda t: t / ("乙" * 300) / "jiesu.db"], ids=["name", "folder"])
def test_a_path_longer_than_the_system_allows_is_one_line_about_the_book(jiesu, tmp_path, make):
    """The system's ENAMETOOLONG came out as 结果无法输出 (about the output), the path whole."""
    target = str(make(tmp_path))
    line = refused(jiesu("--db", target, "list"))
    assert line == f"错误: {head(target, 200)}…（共 {len(target)} 字）: 无法打开案卷库：路径太长，超出系统允许的长度；请用 --db 指定别的位置"
    assert list(tmp_path.iterdir()) == []


def test_store_from_a_newer_jiesu_is_refused_untouched(jiesu, db_path):
    jiesu.new()
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO jiesu_schema VALUES (999, 'from the future', '2030-01-01')")
    conn.close()
    before = db_path.read_bytes()
    refused(
        jiesu("list"),
        f"{db_path} 由更新版本的 jiesu 写入（架构 999，本程序只认识到 {migrations.LATEST}）；请升级 jiesu",
    )
    assert db_path.read_bytes() == before


def test_store_made_by_migration_one_opens_and_migrates_keeping_data(jiesu, db_path, monkeypatch):
    with monkeypatch.context() as old_code:
        old_code.setattr(db, "MIGRATIONS", migrations.MIGRATIONS[:1])
        old_code.setattr(db, "LATEST", 1)
        db.open_store(str(db_path)).close()  # an empty store as the first jiesu made it
    times = "'2026-11-02 01:30:00', '2026-11-03 01:30:00', '2026-11-12 01:30:00'"
    with sqlite3.connect(db_path) as conn:
        # Rows as that jiesu wrote them: search_text covered summary, detail, address and name only.
        conn.execute(
            "INSERT INTO cases (id, ref, received_at, respond_by, resolve_by, channel, urgency, category, summary, detail, phone, address, "
            "nature, track, tier, level, assignee, status, reopen_count, version, search_text) "
            f"VALUES (1, 'OLD-1', {times}, 'hotline', 'normal', '城乡建设/违建', '老版本录入的诉求', '', "
            "'13812345678', '前门东大街３号', 'reasonable', 'handle', 'general', 'community', '物业', 'assigned', "
            "0, 2, '老版本录入的诉求\n前门东大街３号')"
        )
        conn.execute(
            "INSERT INTO events (case_id, at, actor, kind, note, changes) VALUES "
            "(1, '2026-11-02 01:30:00', '老员工', 'filed', '12345热线', '{}'), "
            "(1, '2026-11-02 02:30:00', '老员工', 'assigned', '', '{\"status\": [\"new\", \"assigned\"]}')"
        )
        old_cases = conn.execute("SELECT * FROM cases ORDER BY id").fetchall()
        old_events = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
    conn.close()
    result = jiesu.ok("list", "--format", "json")
    assert "升级案卷库前已备份到" in result.stderr
    backup = db_path.with_name("jiesu.db.bak-1")
    assert backup.is_file() and stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT max(version) FROM jiesu_schema").fetchone()[0] == migrations.LATEST
        kept = ", ".join(c for c in Case.model_fields if c not in (*COMPARING_FIELDS, "phone_ext"))
        assert conn.execute(f"SELECT {kept} FROM cases ORDER BY id").fetchall() == [row[:-1] for row in old_cases]
        assert conn.execute("SELECT id, case_id, at, actor, kind, note, changes FROM events ORDER BY id").fetchall() == old_events
        keys = conn.execute("SELECT address_key, category_key FROM cases").fetchall()
    conn.close()
    assert keys == [("前门东大街3号", "城乡建设/违建")]
    assert [c["id"] for c in jiesu.json("list", "--search", "违建")] == [1]
    assert [c["id"] for c in jiesu.json("list", "--search", "old-1")] == [1]
    assert jiesu.ok("check").stderr.startswith("案卷完好")


@pytest.mark.parametrize("table, column", [("events", "note"), ("ledger_moves", "kind")])
def test_history_is_append_only_in_the_database_itself(jiesu, book, table, column):
    case_id = jiesu.new("主管道", "--nature", "合理诉求")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换", "--unit", "城管科")
    before = book.rows(f"SELECT * FROM {table} ORDER BY id")
    with pytest.raises(DBAPIError, match="append-only"):
        book.execute(f"UPDATE {table} SET {column} = 'rewritten'")
    with pytest.raises(DBAPIError, match="append-only"):
        book.execute(f"DELETE FROM {table}")
    assert book.rows(f"SELECT * FROM {table} ORDER BY id") == before


def test_open_store_refuses_a_directory_as_a_bad_option(tmp_path):
    """A folder is no book's file whatever the book holds: the option naming it is wrong (exit 2), not the store."""
    with pytest.raises(BadOption, match="是文件夹"):
        db.open_store(str(tmp_path))


@sqlite_only
@pytest.mark.parametrize("args, code", REFUSED_ON_NO_BOOK)
def test_a_refused_command_makes_no_book(args, code, jiesu, tmp_path, monkeypatch):
    """`jiesu --db new.db new 漏水 --received 2026-11-20` was refused, yet left new.db (a fresh tester)."""
    folder, before = fresh_folder(tmp_path)
    monkeypatch.chdir(folder)
    result = jiesu("--db", "new.db", *args)
    assert (result.exit_code, "Traceback" in result.output) == (code, False), result.output
    assert sorted(p.name for p in folder.iterdir()) == before


@sqlite_only
def test_a_dry_run_makes_no_book(jiesu, tmp_path, monkeypatch):
    """README: `import --dry-run` writes nothing. On a book not there yet it went through and so made
    the book (a fresh tester)."""
    folder, before = fresh_folder(tmp_path)
    (folder / "好.csv").write_text("诉求内容,受理时间\n楼道灯不亮,2026-11-20 09:00\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    result = jiesu.ok("--db", "new.db", "import", "好.csv", "--dry-run")
    assert result.stderr.endswith("读取 1 行：将导入 1 件，已存在 0 件（试运行，未写入）\n")
    jiesu.ok("--db", "new.db", "purge", "--closed-before", "2023-12-01", "--dry-run")  # purge's dry run too
    assert sorted(p.name for p in folder.iterdir()) == sorted([*before, "好.csv"])


@sqlite_only
def test_the_first_command_that_goes_through_makes_the_book_owner_only(jiesu, tmp_path, monkeypatch):
    folder, before = fresh_folder(tmp_path)
    monkeypatch.chdir(folder)
    assert jiesu.ok("--db", "new.db", "list", "--format", "json").stdout == "[]\n"  # a read makes it too (README)
    assert stat.S_IMODE(os.stat(folder / "new.db").st_mode) == 0o600
    assert jiesu.ok("--db", "other.db", "new", "漏水", "-q").stdout == "1\n"
    assert stat.S_IMODE(os.stat(folder / "other.db").st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == sorted([*before, "new.db", "other.db"])


@sqlite_only
def test_a_shell_session_makes_its_book_with_its_first_command_that_goes_through(jiesu, tmp_path, monkeypatch):
    folder, before = fresh_folder(tmp_path)
    monkeypatch.chdir(folder)
    session = jiesu("--db", "new.db", "shell", "--keep-going", input="assign 5 张三\nnew 漏水 --received 2026-11-20\nimport 坏.csv\n")
    assert (session.exit_code, session.stdout) == (1, "")
    assert sorted(p.name for p in folder.iterdir()) == before
    session = jiesu("--db", "new.db", "shell", "--keep-going", input="assign 5 张三\nnew 漏水 -q\nshow 1 --format json\n")
    assert session.stdout.startswith("1\n{")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*before, "new.db"])


@pytest.mark.parametrize(
    "stored",
    ["2026-12-01 01:30:00.250000", "2026-12-01 01:30:00", "2026-12-01T01:30", "2026-12-01 09:30:00+08:00", "2026-12-01T01:30:00Z", "2026-12-01"],
)
def test_a_time_stored_as_text_reads_as_the_same_utc_time_however_written(stored):
    """SQLite's text of a time is read with its zone parsed with it (fast), to what the type made of it before."""
    from sqlalchemy.dialects import sqlite

    from jiesu.models import UTCDateTime

    read = UTCDateTime().result_processor(sqlite.dialect(), None)(stored)
    assert read == UTCDateTime().process_result_value(datetime.fromisoformat(stored), None)
    assert read.tzinfo == timezone.utc
