"""The store: where the case book lives, how it is opened, migrated and written.

SQLite runs in WAL mode with a busy timeout so that readers never wait for
writers, and every write transaction starts with BEGIN IMMEDIATE so that two
workers never both read a case and then race to change it.
"""

from __future__ import annotations

import fcntl
import glob
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from jiesu import atomicfile, backend
from jiesu.clock import utcnow
from jiesu.digits import at_most
from jiesu.errors import BadInput, BadOption, StoreError, os_reason
from jiesu.interrupts import held
from jiesu.safetext import echoed, echoed_path, has_undecodable, undecodable_message
from jiesu.migrations import LATEST, MIGRATIONS

SQLITE_HEADER = b"SQLite format 3\x00"
# Stamped into the SQLite header (PRAGMA application_id) so that a jiesu store
# is told from any other SQLite file without opening it: "JSu1".
APPLICATION_ID = 0x4A537531
BUSY_TIMEOUT_MS = 60_000  # JIESU_BUSY_TIMEOUT_MS overrides: how long a command waits for another's write
BUSY_VARIABLE = "JIESU_BUSY_TIMEOUT_MS"
LONGEST_BUSY_TIMEOUT_MS = 86_400_000  # a day


def data_folder() -> Path:
    """The user data directory of this platform (not created)."""
    from platformdirs import user_data_path

    return user_data_path("jiesu", appauthor=False)


def default_path() -> Path:
    """`jiesu.db` in the user data directory of this platform."""
    return data_folder() / "jiesu.db"


def make_private_folder(folder: Path) -> None:
    """Create `folder` readable by its owner only (0700) whatever the umask; an existing one is left as it is."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(folder, 0o700)


def is_url(target: str) -> bool:
    return "://" in target


_commits = 0


def commit_count() -> int:
    """How many write transactions this process has committed: the CLI tells a script whether its change is saved."""
    return _commits


def _committed() -> None:
    global _commits
    _commits += 1


class Store:
    """An open case book. Services take one of these and ask it for sessions."""

    def __init__(self, engine: Engine, location: str, path: Path | None, secrets: tuple[str, ...] = ()) -> None:
        self.engine = engine
        self.location = location
        self.path = path
        self.secrets = secrets  # never to appear in a message, whatever the driver says
        self.notices: list[str] = []
        self.commits = 0  # write transactions committed through this store (making or upgrading the book excepted)
        self.new_book: NewBook | None = None  # a book not yet in place: see NewBook
        self.writes_nothing = False  # see promise_to_write_nothing
        event.listen(engine, "before_cursor_execute", _refuse_undecodable)
        self._writer = engine.execution_options(jiesu_write=True)
        # On PostgreSQL a report's many statements must see one snapshot, as SQLite's WAL readers do.
        self._reader = engine.execution_options(isolation_level="REPEATABLE READ") if engine.dialect.name == "postgresql" else engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; it sees one consistent snapshot."""
        with self._translated(), Session(self._reader, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all.

        On SQLite it holds the write lock from its first statement, so what it
        reads cannot change under it before it commits.
        """
        with self._translated(), Session(self._writer, expire_on_commit=False) as session:
            yield session
            with held():
                session.commit()
                self._committed()

    @contextmanager
    def connect(self, *, write: bool = False, counted: bool = True) -> Iterator[Connection]:
        """A Core connection in one transaction, for bulk reads and writes. A write not `counted` is no change
        the command made (a schema upgrade): Ctrl-C after it has saved nothing of the user's."""
        engine = self._writer if write else self._reader
        with self._translated(), engine.connect() as conn, conn.begin() as transaction:
            yield conn
            if write:
                with held():
                    transaction.commit()
                    if counted:
                        self._committed()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One connection for work spread over several transactions (a temporary table lives as
        long as its connection): `conn.begin()` for reading, `store.writing(conn)` for writing."""
        with self._translated(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self, conn: Connection) -> Iterator[Connection]:
        """A write transaction on a connection from `connection()`, begun as every write is."""
        conn.execution_options(jiesu_write=True)
        try:
            with self._translated(), conn.begin() as transaction:
                yield conn
                with held():
                    transaction.commit()
                    self._committed()
        finally:
            conn.execution_options(jiesu_write=False)

    def _committed(self) -> None:
        self.commits += 1
        _committed()

    def close(self, *, keep: bool = True) -> None:
        """Close the store; a new book (see NewBook) is put in place with `keep`, else thrown away."""
        self.engine.dispose()
        new, self.new_book = self.new_book, None
        if new is not None:
            new.settle(keep and not self.writes_nothing)

    def promise_to_write_nothing(self) -> None:
        """A command that writes nothing (`import --dry-run`) leaves no new book behind either."""
        self.writes_nothing = True

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            raise StoreError(without_secrets(f"{self.location}: {_reason(exc)}", self.secrets)) from exc


def without_secrets(message: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        message = message.replace(secret, "***")
    return message


def _refuse_undecodable(conn, cursor, statement, parameters, context, executemany) -> None:
    """No text reaches the book that was not text: bytes in another encoding are refused, naming them.

    Python keeps undecodable bytes of argv, stdin, environment values and file names as lone
    surrogates; they cannot be stored, and guessing their encoding would change them silently.
    """
    if context is not None and context.execution_options.get("jiesu_text_checked"):
        return
    for params in parameters if isinstance(parameters, (list, tuple)) else (parameters,):
        values = params.values() if isinstance(params, dict) else params if isinstance(params, (list, tuple)) else (params,)
        for value in values:
            if isinstance(value, str) and has_undecodable(value):
                raise BadInput(undecodable_message(value))


def _reason(exc: DBAPIError) -> str:
    return said(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc))


def said(message: str) -> str:
    """A database's (English) error message as people read it, where jiesu knows it."""
    known = {
        "database is locked": "数据库正被另一个程序长时间写入，请稍后再试",
        "attempt to write a readonly database": "文件是只读的，无法写入（检查文件权限）",
        "database disk image is malformed": "文件已损坏；请用 jiesu check 检查，或从备份恢复",
        "file is not a database": "不是 jiesu 案卷库（也不是 SQLite 数据库）",
        "disk I/O error": "磁盘读写错误",
        "database or disk is full": "磁盘已满",
        "unable to open database file": "无法打开文件（文件夹不存在或没有权限）",
        "Connection refused": "无法连接数据库服务器：服务器没有运行，或主机、端口不对",
        "No such file or directory": "无法连接数据库服务器：服务器没有运行，或套接字路径不对",
        "password authentication failed": "用户名或密码不对",
        "no password supplied": "服务器要求密码，但地址里没有（也可以放在环境变量 PGPASSWORD 或 ~/.pgpass 里）",
        "terminating connection": "与数据库服务器的连接断开了（服务器重启或被关闭）",
        "server closed the connection": "与数据库服务器的连接断开了（服务器重启或被关闭）",
        "consuming input failed": "与数据库服务器的连接断开了",
        "the connection is closed": "与数据库服务器的连接断开了",
        "does not exist": "数据库或用户不存在；请先用 createdb 创建数据库",
        "could not translate host name": "找不到这个主机名",
        "timeout expired": "连接数据库服务器超时",
        "deadlock detected": "与另一个同时进行的操作冲突，请重试",
        "could not serialize access": "与另一个同时进行的操作冲突，请重试",
    }
    for needle, said in known.items():
        if needle in message:
            return said
    return message


class SharedStatements:
    """Compiled SQL shared by every SQLite engine of this process, whichever book it opens.

    SQLAlchemy keys its statement cache by the engine's dialect object, so each new engine (one
    per command) compiles every statement again. What a statement compiles to depends only on
    the statement and the dialect's kind and settings, which are the same for every SQLite book
    (jiesu opens them all alike, on one sqlite3 library), never on a book's contents or schema
    version (a book is migrated or refused before any statement runs); so this cache is keyed by
    the dialect's class and version instead. The resident process (server.py) fills it on a
    scratch book before forking, and every command forked from it starts with it filled.
    """

    def __init__(self, size: int = 1000) -> None:
        from sqlalchemy.util import LRUCache

        self._compiled = LRUCache(size)

    def get(self, key, default=None):
        return self._compiled.get(self._shared(key), default)

    def __setitem__(self, key, compiled) -> None:
        self._compiled[self._shared(key)] = compiled

    @staticmethod
    def _shared(key: tuple) -> tuple:
        dialect, *rest = key
        return (type(dialect), dialect.server_version_info, dialect.paramstyle, *rest)


STATEMENTS = SharedStatements()


def _share_orm_statements() -> None:
    """Let the ORM's INSERT and UPDATE statements (cached per mapper, keyed the same way) share
    STATEMENTS too: a case filed in a fresh fork then compiles nothing."""
    from sqlmodel import SQLModel

    for mapper in SQLModel._sa_registry.mappers:
        if mapper._compiled_cache is not STATEMENTS:
            mapper._compiled_cache = STATEMENTS


def open_store(target: str | None = None, *, option: str = "--db", tentative: bool = False, copying: bool = False) -> Store:
    """Open (creating and migrating as needed) the store at a path or URL; a refusal tells to fix
    `option`, the one the user typed (`copy --to` names its target with --to). A book an interrupted
    copy left is refused (see UNFINISHED_COPY), but to `copying`: the copy that finishes it.

    With `tentative`, a SQLite book not there yet is made as a NewBook: the store's `new_book`,
    put in place by `close(keep=True)` only (the CLI keeps it when its command goes through)."""
    _quiet_libraries()
    if target and is_url(target):
        return _open_url(target, copying=copying)
    path = Path(target) if target else default_path()
    return _open_sqlite(path, default=not target, option=option, tentative=tentative, copying=copying)


def check_place(target: str | None, *, option: str = "--db", existing: bool = False) -> None:
    """Refuse, making nothing, the path of a book `open_store` would refuse; with `existing`, also a
    path with no book yet. A command that opens two books checks both first, so a refusal of
    either leaves no new one made (`copy`)."""
    if target and is_url(target):
        return
    path = (Path(target) if target else default_path()).expanduser()
    try:
        if path.exists():
            _check_sqlite_file(path, option)
        elif existing:
            raise StoreError(f"{echoed_path(path)} 不存在，没有案卷库可用；{_missing_book_advice(path, option)}")
        else:
            _refuse_beside_a_stray_log(path, option)
            _check_parent(path, option)
    except OSError as exc:
        raise StoreError(f"{echoed_path(path)}: 无法打开案卷库：{os_reason(exc)}；请用 {option} 指定别的位置") from exc


def _missing_book_advice(path: Path, option: str) -> str:
    """What to do about a book that is not there: put it back, when its log still is (it was moved
    without it: see integrity's orphan logs), else name the book meant."""
    log = stray_log(path)
    if log is not None:
        return f"旁边的 {echoed_path(log.name)} 是它尚未写回的日志，只复制或移走 .db 文件会丢掉其中的诉求；请把 {echoed_path(path.name)} 放回这里后用 jiesu backup 备份"
    return f"请用 {option} 指定已有的案卷库"


def stray_log(path: Path) -> Path | None:
    """The log a book no longer at `path` left there (its -wal, or a hot -journal), if any: SQLite
    would read it into a new book made at `path`, the cases of one book in another."""
    for suffix in ("-wal", "-journal"):
        log = path.with_name(path.name + suffix)
        if log.is_file() and log.stat().st_size > 0:
            return log
    return None


def _refuse_beside_a_stray_log(path: Path, option: str) -> None:
    """A new book is never made where another book's log waits (stray_log)."""
    if stray_log(path) is not None:
        raise StoreError(f"{echoed_path(path)} 不存在，不能在这里新建案卷库：{_missing_book_advice(path, option)}，或用 {option} 指定别的位置")


def check_apart(book: Path | None, target: Path, instead: str) -> None:
    """Refuse, before either is opened, a target (`copy --to`, `backup`) that is the book itself, one
    of the files SQLite keeps beside it or beside another book, or a new file whose companion the book
    or another file is: SQLite would take the one for the other's log and delete, overwrite or apply
    it. `book` is None for a book on a server. `instead` says what to do (`请换一个文件名`)."""
    theirs = target.expanduser().resolve()
    if book is not None:
        _check_apart_from(book, book.expanduser().resolve(), target, theirs, instead)
    for suffix in atomicfile.COMPANIONS:
        if theirs.name.endswith(suffix) and _is_book(owner := theirs.with_name(theirs.name.removesuffix(suffix))):
            raise BadInput(_companion_of(target, target.with_name(owner.name), suffix, instead))
        if not os.path.lexists(theirs) and os.path.lexists(log := theirs.with_name(theirs.name + suffix)):
            raise BadInput(
                f"{echoed_path(target.with_name(log.name))} 恰好是 {echoed_path(target)} 的 {suffix} 文件的位置，"
                f"SQLite 打开 {echoed_path(target)} 时会把它当作 {echoed_path(target)} 的 {suffix} 读入、删除或覆盖；{instead}"
            )


def check_not_a_database(target: Path) -> None:
    """Refuse an export, report or page written to `target` when it would land on a SQLite database (the
    book itself, under any name or link: `--out "$JIESU_DB"` replaced the book with a CSV) or on a file
    SQLite keeps beside one (check_apart). A backup, which does write a database, is checked apart."""
    instead = "请换一个文件名"
    resolved = target.expanduser().resolve()
    try:  # a regular file only: opening a FIFO to read would wait for a writer (the write refuses it, as any non-file)
        database = resolved.is_file() and _starts_with(resolved, SQLITE_HEADER)
    except OSError:  # not there yet, or nothing a file can be read from: the write says why, if it fails
        database = False
    if database:
        raise BadInput(f"{echoed_path(target)} 是一个 SQLite 数据库（案卷库？），不能用导出的内容覆盖它；{instead}")
    check_apart(None, target, instead)


def _starts_with(path: Path, header: bytes) -> bool:
    with open(path, "rb") as file:
        return file.read(len(header)) == header


def _check_apart_from(book: Path, mine: Path, target: Path, theirs: Path, instead: str) -> None:
    """check_apart for the book being copied or backed up (`mine`, `theirs`: the paths resolved)."""
    if mine == theirs:
        raise BadInput(f"源案卷库和目标是同一个；{instead}")
    for suffix in atomicfile.COMPANIONS:
        if theirs == mine.with_name(mine.name + suffix):
            raise BadInput(_companion_of(target, book, suffix, instead))
        if mine == theirs.with_name(theirs.name + suffix):
            raise BadInput(
                f"案卷库 {echoed_path(book)} 恰好是 {echoed_path(target)} 的 {suffix} 文件的位置，"
                f"SQLite 打开 {echoed_path(target)} 时会把案卷库当作它的 {suffix} 删除或覆盖；{instead}"
            )


def _companion_of(target: Path, book: Path, suffix: str, instead: str) -> str:
    return f"{echoed_path(target)} 是案卷库 {echoed_path(book)} 的 {suffix} 文件，SQLite 打开案卷库时在旁边使用、关闭时删除；{instead}"


def _is_book(path: Path) -> bool:
    """Whether a jiesu book is at `path` (one SQLite would open with its companions), read from its header."""
    try:
        if not path.is_file():
            return False
        with open(path, "rb") as file:
            header = file.read(100)
    except OSError:
        return False
    return header.startswith(SQLITE_HEADER) and int.from_bytes(header[68:72], "big") == APPLICATION_ID


def _open_sqlite(path: Path, *, default: bool, option: str, tentative: bool, copying: bool) -> Store:
    path = path.expanduser()
    new = None
    try:
        if default:
            make_private_folder(path.parent)
        if not path.exists():
            _refuse_beside_a_stray_log(path, option)
            new = NewBook.claim(path, option) if tentative else _create_sqlite_file(path, option)
        if new is None:
            _check_sqlite_file(path, option)
    except OSError as exc:  # the path itself refused (too long, no permission): about the book, not the output
        raise StoreError(f"{echoed_path(path)}: 无法打开案卷库：{os_reason(exc)}；请用 {option} 指定别的位置") from exc
    file = new.part if new else path
    engine = create_engine(f"sqlite:///{file}", execution_options={"compiled_cache": STATEMENTS})
    _share_orm_statements()
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    store = Store(engine, str(path), file)
    store.new_book = new
    _migrated(store, copying)  # a refused one is closed, and a new book thrown away
    return store


class NewBook:
    """A book that is not there yet, made whole under a temporary name (the part, owner-only) while
    the first command on it runs, and linked into place when that command goes through: a refused
    command leaves no book behind, and nobody ever sees a half-made one.

    Meanwhile the book's folder is locked (flock), so another jiesu wanting a book there waits, then
    finds this one in place; a book another process made is never replaced (a link, not a rename).
    Where the folder cannot be locked (flock unsupported), the book is made in place at once.
    """

    def __init__(self, place: Path, part: Path, lock: int) -> None:
        self.place = place
        self.part = part
        self._lock = lock

    @classmethod
    def claim(cls, place: Path, option: str) -> NewBook | None:
        """The new book at `place`, or None when it is in place (made meanwhile, or made now unlocked)."""
        _check_parent(place, option)
        lock = os.open(place.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            locked = _locked(lock, place)
            if locked and not os.path.lexists(place):
                return cls(place, _made_part(place), lock)
        except BaseException:
            os.close(lock)
            raise
        os.close(lock)
        if not locked:
            _create_sqlite_file(place, option)
        return None

    def settle(self, keep: bool) -> None:
        """Link the part into place (`keep`), or throw it away; the folder's lock goes either way."""
        try:
            if keep:
                if os.path.exists(f"{self.part}-wal"):  # some connection is still open: its pages are not all in the part
                    raise StoreError(f"{echoed_path(self.place)}: 新案卷库仍有未写回的日志，未放到位；它在 {echoed_path(self.part)}")
                try:
                    os.link(self.part, self.place)
                except FileExistsError:
                    raise StoreError(f"{echoed_path(self.place)} 在本命令执行时被别的程序创建了；本命令的结果在 {echoed_path(self.part)}") from None
            self.part.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"{echoed_path(self.place)}: 无法创建案卷库：{os_reason(exc)}") from exc
        finally:
            os.close(self._lock)


def _made_part(place: Path) -> Path:
    """A new book's part, made under the folder's lock: no other command is making one there, so
    a part already there is a killed command's, and goes."""
    for pattern in ("*.new", "*.new-wal", "*.new-shm", "*.new-journal"):
        for leftover in glob.glob(glob.escape(str(_part_of(place))) + pattern):
            os.unlink(leftover)
    part = _part_of(place, os.getpid())
    try:
        _make_sqlite_file(part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part


def _part_of(place: Path, pid: int | None = None) -> Path:
    """Where a new book for `place` is made (by process `pid`); without `pid`, the prefix every one shares."""
    return place.with_name(f".{place.name}." + ("" if pid is None else f"{pid}.new"))


def _locked(lock: int, place: Path) -> bool:
    """Wait for the folder's lock as SQLite waits for a book's (JIESU_BUSY_TIMEOUT_MS); False where
    the file system cannot lock it."""
    deadline = time.monotonic() + busy_timeout_ms() / 1000
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise StoreError(f"{echoed_path(place)}: 另一个命令正在创建这个案卷库，等待超时；请稍后再试") from None
            time.sleep(0.01)
        except OSError:
            return False


def _open_url(url: str, *, copying: bool) -> Store:
    """A shared store on a database server (PostgreSQL). The password never appears in any message."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except (SQLAlchemyError, ValueError):
        raise StoreError("数据库地址格式不对；应为 postgresql+psycopg://用户:密码@主机/数据库") from None
    secrets = _secrets_of(parsed)
    parsed_shown = parsed.set(query={k: ("***" if _is_secret(k) else v) for k, v in parsed.query.items()})
    location = parsed_shown.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
    if not parsed.drivername.startswith("postgresql"):
        raise StoreError(f"{location}: 只支持 SQLite 文件或 postgresql+psycopg:// 地址")
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except ImportError:
        raise StoreError("使用 PostgreSQL 需要安装 psycopg：pip install 'jiesu[postgres]'") from None
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"{location}: 无法使用这个数据库地址（{type(exc).__name__}）") from None
    store = Store(engine, location, None, secrets)
    _migrated(store, copying)
    return store


def _quiet_libraries() -> None:
    """What the libraries log to stderr as they meet an error and carry on (or re-raise it) is not for the
    person at the terminal: psycopg's errors cleaning up a lost connection ("error ignored …"), and SQLAlchemy's
    pool, which logs with its traceback an exception it meets returning or closing a connection — Ctrl-C or
    TERM landing there (tester 42: `Exception terminating connection … Traceback`). What reaches jiesu is
    said once, as one line, by the CLI."""
    import logging

    for name in ("psycopg", "sqlalchemy.pool"):
        library = logging.getLogger(name)
        if not library.handlers:
            library.addHandler(logging.NullHandler())


def _is_secret(key: str) -> bool:
    return "password" in key.lower()


def _secrets_of(url) -> tuple[str, ...]:
    """Every password a URL or libpq's environment may carry: userinfo, ?password=…, PGPASSWORD."""
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        if _is_secret(key):
            found += [value] if isinstance(value, str) else list(value)
    if os.environ.get("PGPASSWORD"):
        found.append(os.environ["PGPASSWORD"])
    return tuple(sorted({str(s) for s in found if s}, key=len, reverse=True))


def _create_sqlite_file(path: Path, option: str) -> None:
    """Make a new store file at `path` now (its schema comes when it is opened).

    It is built under a temporary name and linked into place, so no other
    process ever sees a half-made file; if one wins the race, theirs is kept.
    """
    _check_parent(path, option)
    temp = _part_of(path, os.getpid())
    try:
        _make_sqlite_file(temp)
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    except OSError as exc:
        raise StoreError(f"{echoed_path(path)}: 无法创建案卷库：{os_reason(exc)}") from exc
    finally:
        temp.unlink(missing_ok=True)


def _make_sqlite_file(path: Path) -> None:
    """A new, stamped, WAL-mode store file at `path`, readable by its owner only."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _check_parent(path: Path, option: str) -> None:
    if not path.parent.is_dir():
        raise StoreError(f"{echoed_path(path)}: 文件夹 {echoed_path(path.parent)} 不存在；请先创建它，或用 {option} 指定别的位置")


def _check_sqlite_file(path: Path, option: str) -> None:
    """Refuse, before SQLite touches it, any file that is not a jiesu store."""
    if path.is_dir():  # no book could be there: the option's value is wrong (exit 2), as a blank --db is
        raise BadOption(f"{echoed_path(path)} 是文件夹，不是 jiesu 案卷库；请用 {option} 指定一个文件")
    if not path.is_file():  # a FIFO, a device or a socket: reading its header could wait forever
        raise StoreError(f"{echoed_path(path)} 不是普通文件（是管道、设备或套接字），不是 jiesu 案卷库；请用 {option} 指定一个文件")
    try:
        with open(path, "rb") as file:
            header = file.read(100)
    except OSError as exc:
        raise StoreError(f"{echoed_path(path)}: 无法读取：{os_reason(exc)}") from exc
    if not header:
        raise StoreError(f"{echoed_path(path)} 是空文件，不是 jiesu 案卷库；请删除它或用 {option} 指定别的位置")
    if not header.startswith(SQLITE_HEADER):
        raise StoreError(f"{echoed_path(path)} 不是 jiesu 案卷库（不是 SQLite 数据库）；请用 {option} 指定正确的文件")
    if len(header) < 100:
        raise StoreError(f"{echoed_path(path)} 不完整（文件被截断）；请从备份恢复（步骤见 jiesu backup --help）")
    if int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise StoreError(f"{echoed_path(path)} 是别的程序的 SQLite 数据库，不是 jiesu 案卷库；请用 {option} 指定别的位置")


def busy_timeout_ms() -> int:
    """How long a command waits for another's write: JIESU_BUSY_TIMEOUT_MS, else BUSY_TIMEOUT_MS; a
    value that is not a whole number of milliseconds up to a day is a usage error, not a silent default."""
    written = os.environ.get(BUSY_VARIABLE, "").strip()
    if not written:
        return BUSY_TIMEOUT_MS
    waited = at_most(written, LONGEST_BUSY_TIMEOUT_MS) if written.isdecimal() else None
    if waited is None:
        raise BadOption(f"{BUSY_VARIABLE}={echoed(written)} 应为等待的毫秒数：0 到 {LONGEST_BUSY_TIMEOUT_MS} 的整数")
    return waited


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Take transactions out of the sqlite3 module's hands: _sqlite_on_begin
    # issues them, so that writes can begin IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("jiesu_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


SCHEMA_TABLE = "jiesu_schema"


def _current_version(conn: Connection, tables: list[str]) -> int:
    if SCHEMA_TABLE not in tables:
        return 0
    return conn.execute(text(f"SELECT coalesce(max(version), 0) FROM {SCHEMA_TABLE}")).scalar_one()


def _migrated(store: Store, copying: bool) -> None:
    """Migrate, or close the store again: a refused book keeps no connection (nor its -wal) open."""
    try:
        _migrate(store, copying)
    except BaseException:
        store.close(keep=False)
        raise


def _migrate(store: Store, copying: bool) -> None:
    """Bring the store up to this jiesu's schema: every step from the version found, recorded, in one transaction.

    Every command opens the book, so an up-to-date one costs a single read and takes no lock. Anything
    else is decided again under the write lock, which is held until the whole schema stands: a command
    opening the book meanwhile never sees it half made (and takes it for an older book to back up and
    upgrade); it waits for the lock, then finds the work done.
    """
    with store.connect() as conn:
        tables = backend.table_names(conn)
        if _outdated_version(store, conn, tables) is None:
            return _refuse_unfinished_copy(store, conn, tables, copying)
    with store.connect(write=True, counted=False) as conn:
        backend.serialise(conn, "migrate")
        tables = backend.table_names(conn)
        current = _outdated_version(store, conn, tables)
        if current is None:
            return _refuse_unfinished_copy(store, conn, tables, copying)  # another command migrated it meanwhile
        if current >= 1 and store.path is not None and _has_cases(conn):
            backup = store.path.with_name(f"{store.path.name}.bak-{current}")
            backup_to(store, backup)
            store.notices.append(f"升级案卷库前已备份到 {backup}")
        if current == 0:
            conn.exec_driver_sql(
                f"CREATE TABLE {SCHEMA_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        for version, name, migration in MIGRATIONS:
            if version > current:
                migration(conn)
                conn.execute(
                    text(f"INSERT INTO {SCHEMA_TABLE} (version, name, applied_at) VALUES (:v, :n, :at)"),
                    {"v": version, "n": name, "at": utcnow().isoformat()},
                )
        _refuse_unfinished_copy(store, conn, backend.table_names(conn), copying)


# The identity a copy's target holds from before its first row until its last (transfer.copy_book):
# a book still holding it is part of one, which every command but the copy finishing it refuses.
# A real identity is 32 hex digits.
UNFINISHED_COPY = "unfinished copy"


def _refuse_unfinished_copy(store: Store, conn: Connection, tables: list[str], copying: bool) -> None:
    """Refuse a book an interrupted copy left: it holds cases without their history, ledger or sequences.
    `tables` are the book's: one without the `book` table (migrations.m016_book_identity) holds no identity."""
    if copying or "book" not in tables or conn.execute(text("SELECT identity FROM book")).scalar_one() != UNFINISHED_COPY:
        return
    raise StoreError(unfinished_copy(store.location))


def unfinished_copy(location: str) -> str:
    """What a book an interrupted copy left is, and what finishes it."""
    return f"{location} 是没有复制完的案卷库（jiesu copy 被中断），还不能使用；请用复制它的同一条命令加 --resume 接着复制"


def _outdated_version(store: Store, conn: Connection, tables: list[str]) -> int | None:
    """The schema version of an older (or new, 0) store whose `tables` these are, None when it is this
    jiesu's; a foreign database or a newer jiesu's store is refused."""
    current = _current_version(conn, tables)
    if current == LATEST:
        return None
    if current > LATEST:
        raise StoreError(
            f"{store.location} 由更新版本的 jiesu 写入（架构 {current}，本程序只认识到 {LATEST}）；请升级 jiesu"
        )
    if current == 0 and store.path is None and tables:
        raise StoreError(f"{store.location} 里已有别的数据表，不是 jiesu 案卷库；请换一个数据库")
    return current


def _has_cases(conn: Connection) -> bool:
    return conn.execute(text("SELECT 1 FROM cases LIMIT 1")).first() is not None


def backup_to(store: Store, destination: Path, *, overwrite: bool = True) -> None:
    """A consistent, owner-only copy of a SQLite store, made while others may write.

    It appears at `destination` whole or not at all (see atomicfile); with
    `overwrite` False an existing file there is refused, never replaced.
    """
    if store.path is None:
        raise StoreError("只有 SQLite 案卷库可以用 jiesu backup 备份；PostgreSQL 请用 jiesu copy 或 pg_dump")
    try:
        with atomicfile.writing(destination, overwrite=overwrite) as part:
            source = sqlite3.connect(store.path)
            target = sqlite3.connect(part)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
    except FileExistsError:
        raise StoreError(f"{destination} 已存在；请换一个文件名（备份不会覆盖已有文件）") from None
    except (OSError, sqlite3.Error) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else said(str(exc))
        raise StoreError(f"无法备份到 {destination}：{reason}（没有留下不完整的文件）") from exc
