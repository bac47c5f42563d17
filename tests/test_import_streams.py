"""Imports that stream: a long file is checked whole before the book changes, in memory that does not grow.

Files here are longer than one staging batch (importer.BATCH, made small where the
test needs many batches), so each guarantee is shown across batches: a bad last row
refuses every row, duplicates are found however far apart, a kill leaves the book as
it was, and memory stays flat from 2,000 rows to 20,000.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from conftest import refused, sqlite_only
from test_exchange import HOTLINE_HEADER, hotline_file

SUMMARIES = ["楼上漏水", "暖气不热", "院内违建", "垃圾清运不及时", "噪音扰民"]


def hotline_rows(count: int, *, start: int = 0) -> list[str]:
    """`count` good 12345 rows with their own refs, times and phones; the other cells recur as in a real month."""
    return [
        f"S{n:06d},2026-11-{1 + n % 25:02d} {8 + n % 10:02d}:{n % 60:02d}:{n % 59:02d},居民{n % 7},138{n:08d},"
        f"地址{n % 11},前门社区,物业管理/漏水,投诉,一般,{SUMMARIES[n % len(SUMMARIES)]}"
        for n in range(start, start + count)
    ]


@pytest.fixture
def small_batches(monkeypatch):
    from jiesu import importer

    monkeypatch.setattr(importer, "BATCH", 500)


def test_a_bad_last_row_of_a_long_file_refuses_every_row(jiesu, tmp_path, book, small_batches):
    jiesu.new("已有的诉求")
    before = book.fingerprint()
    rows = [*hotline_rows(6000), "S999999,2026-11-02 09:30,王大爷,13812345678,前门东大街3号,前门社区,物业管理/漏水,投诉,一般,"]
    result = jiesu("import", str(hotline_file(tmp_path, rows)))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "第 6002 行：缺少诉求内容", "错误: 1 行有问题，未导入任何诉求；改正后重试，或用 --skip-bad 只导入没有问题的行",
    ]
    assert book.fingerprint() == before


def test_bad_rows_are_counted_past_those_kept_and_skip_bad_writes_the_rest(jiesu, tmp_path, book, monkeypatch, small_batches):
    from jiesu import importer

    monkeypatch.setattr(importer, "BAD_ROWS_KEPT", 30)
    rows = hotline_rows(2000)
    for n in range(100, 2000, 20):  # 95 rows with a phone that is no phone
        rows[n] = rows[n].replace(f",138{n:08d},", ",12345,")
    path = hotline_file(tmp_path, rows)
    result = jiesu("import", str(path))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 22 and lines[0].startswith("第 102 行：联系电话 不是有效的中国电话号码：'12345'")
    assert lines[-2:] == ["……另有 75 行有问题", "错误: 95 行有问题，未导入任何诉求；改正后重试，或用 --skip-bad 只导入没有问题的行"]
    assert book.counts() == (0, 0)
    done = jiesu.ok("import", str(path), "--skip-bad")
    assert "读取 2000 行：已导入 1905 件，已存在 0 件，跳过 95 行有问题的" in done.stderr
    assert book.counts() == (1905, 1905)


def test_duplicates_are_found_across_batches_in_the_file_and_the_book(jiesu, tmp_path, book, small_batches):
    jiesu.ok("import", str(hotline_file(tmp_path, hotline_rows(10, start=3000), name="早先.csv")))
    rows = hotline_rows(4000)
    without_ref = "," + rows[5].split(",", 1)[1]
    rows += [rows[1], without_ref, without_ref, "," + rows[7].split(",", 1)[1]]  # a ref again; a case without ref twice
    result = jiesu.ok("import", str(hotline_file(tmp_path, rows)))
    assert "读取 4004 行：已导入 3992 件，已存在 12 件" in result.stderr  # 10 from the book, 1 by ref, 1 by time+phone+summary
    assert book.rows("SELECT count(*), count(DISTINCT ref), count(ref) FROM cases") == [(4002, 4000, 4000)]
    assert book.scalar("SELECT count(*) FROM events WHERE kind = 'imported'") == 4002
    # the first of each row is what came in: its line is the one the event names
    assert book.scalar("SELECT note FROM events WHERE case_id = (SELECT max(id) FROM cases)") == "导入自 工单.csv 第 4005 行"
    again = jiesu.ok("import", str(hotline_file(tmp_path, rows)))
    assert "读取 4004 行：已导入 0 件，已存在 4004 件" in again.stderr


def test_ids_follow_the_file_and_events_name_each_line(jiesu, tmp_path, book, small_batches):
    first = jiesu.new("已有的诉求")
    rows = hotline_rows(1200)
    rows[600] = rows[2]  # a duplicate in the middle leaves no gap in the ids
    jiesu.ok("import", str(hotline_file(tmp_path, rows)))
    cases = book.rows("SELECT c.id, c.ref, e.note FROM cases c JOIN events e ON e.case_id = c.id WHERE c.id > :first ORDER BY c.id", first=first)
    assert [case_id for case_id, _, _ in cases] == list(range(first + 1, first + 1200))
    assert cases[600] == (first + 601, "S000601", "导入自 工单.csv 第 603 行")


def test_a_merge_into_a_case_already_in_the_book_points_at_it(jiesu, tmp_path, new_target):
    jiesu.new("楼道灯不亮", "--ref", "R-1")
    jiesu.new("楼道灯又不亮", "--ref", "R-2")
    jiesu.ok("merge", "2", "--into", "1")
    export = tmp_path / "全部.jsonl"
    jiesu.ok("export", "--format", "jsonl", "--reveal", "--out", str(export))
    other = new_target("other")
    first_only = tmp_path / "一件.jsonl"
    first_only.write_text(export.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    jiesu.ok("--db", other, "import", str(first_only))
    jiesu.ok("--db", other, "new", "先来的另一件", "--ref", "X-0")
    jiesu.ok("--db", other, "import", str(export))  # R-1 is there already; R-2 is merged into it
    merged = {c["ref"]: c for c in jiesu.json("--db", other, "list", "--all")}
    assert merged["R-2"]["status"] == "merged"
    assert merged["R-2"]["merged_into"] == merged["R-1"]["id"]


def _peaks(office, fmt: str, written) -> tuple[int, int]:
    """Peak traced memory importing 2,000 and 20,000 rows of `fmt` as `written(count)` makes them
    (after a first import of 500: what is loaded once, the calendar and opencc's dictionaries,
    is loaded before measuring)."""
    from jiesu import importer

    def peak(count: int) -> int:
        path = written(count)
        tracemalloc.start()
        try:
            with open(path, "rb") as source:
                result = importer.import_rows(office, importer.read_rows(source, fmt), source=path.name)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert result.added == count

    peak(500)
    return peak(2000), peak(20000)


def test_import_memory_does_not_grow_with_rows(office, tmp_path, small_batches):
    small, large = _peaks(office, "csv", lambda count: hotline_file(tmp_path, hotline_rows(count, start=count), name=f"{count}.csv"))
    assert large - small < 1_500_000, f"2,000 rows peaked at {small:,} bytes, 20,000 at {large:,}"


def test_a_json_array_streams_in_memory_that_does_not_grow(office, tmp_path, small_batches):
    """jiesu's `export --format json` is one array: it is read an element at a time, never whole."""
    import json

    def written(count: int):
        path = tmp_path / f"{count}.json"
        records = (
            {"ref": f"J{n:06d}", "received_at": f"2026-11-{1 + n % 25:02d}T09:{n % 60:02d}:00+08:00",
             "phone": f"138{n:08d}", "summary": SUMMARIES[n % len(SUMMARIES)] + "，已反映多次" * 10}
            for n in range(count, 2 * count)
        )
        path.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n", encoding="utf-8")
        return path

    small, large = _peaks(office, "json", written)
    assert large - small < 1_500_000, f"2,000 records peaked at {small:,} bytes, 20,000 at {large:,}"


def _kill_when(child: subprocess.Popen, ready, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if ready():
            child.send_signal(signal.SIGKILL)
            child.wait()
            return True
        time.sleep(0.005)
    return False


def _reading(pid: int, name: str) -> bool:
    """Whether process `pid` has the file `name` open (Linux's /proc)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").endswith(name) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _big_import(tmp_path, new_target, book_at):
    path = hotline_file(tmp_path, hotline_rows(30000), name="big.csv")
    target = new_target("kill")
    env = os.environ | {"JIESU_DB": target, "JIESU_SERVER": "0"}
    subprocess.run([sys.executable, "-m", "jiesu", "new", "已有的诉求", "-q"], env=env, capture_output=True, check=True)
    book = book_at(target)
    command = [sys.executable, "-m", "jiesu", "import", str(path)]
    return book, env, command, subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _rerun_finishes(book, env, command) -> None:
    checked = subprocess.run([sys.executable, "-m", "jiesu", "check"], env=env, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert book.rows("SELECT count(*), count(DISTINCT ref) FROM cases") == [(30001, 30000)]
    assert book.scalar("SELECT count(*) FROM events WHERE kind = 'imported'") == 30000


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="watches the child through /proc")
def test_an_import_killed_while_checking_leaves_the_book_as_it_was(tmp_path, new_target, book_at):
    book, env, command, child = _big_import(tmp_path, new_target, book_at)
    before = book.fingerprint()
    assert _kill_when(child, lambda: _reading(child.pid, "big.csv")), "the import should be killed while reading"
    assert book.fingerprint() == before
    _rerun_finishes(book, env, command)


@sqlite_only
def test_an_import_killed_while_writing_leaves_the_book_as_it_was(tmp_path, new_target, book_at):
    book, env, command, child = _big_import(tmp_path, new_target, book_at)
    before = book.fingerprint()
    wal = Path(env["JIESU_DB"] + "-wal")
    start = wal.stat().st_size if wal.exists() else 0
    # Only the copy into the book writes its log: checking goes to a temporary table of its own.
    assert _kill_when(child, lambda: wal.exists() and wal.stat().st_size > start + 2_000_000), "the import should be killed while writing"
    assert book.fingerprint() == before
    _rerun_finishes(book, env, command)


def test_bytes_no_encoding_reads_late_in_a_long_file_refuse_it_in_one_line(jiesu, tmp_path, book, small_batches):
    jiesu.new("已有的诉求")
    before = book.fingerprint()
    path = tmp_path / "工单.csv"
    rows = "\n".join(hotline_rows(3000)).encode("gb18030")
    path.write_bytes(HOTLINE_HEADER.encode("gb18030") + b"\n" + rows + b"\nS9,2026-11-02 09:30,\x81\x20,13812345678,,,,,,x\n")
    result = jiesu("import", str(path))
    refused(result, "文件是 GB18030 编码，第 3002 行第 21 列的字节 0x81 却不是有效的 GB18030；请改正这一行，或把整个文件存为 UTF-8")
    assert book.fingerprint() == before


def test_a_pipe_on_standard_input_streams_through_a_temporary_file(book):
    text = "\n".join([HOTLINE_HEADER, *hotline_rows(1500)]) + "\n"
    command = [sys.executable, "-m", "jiesu", "import", "-", "--format", "csv"]
    done = subprocess.run(command, input=text.encode(), env=os.environ | {"JIESU_SERVER": "0"}, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert "读取 1500 行：已导入 1500 件，已存在 0 件" in done.stderr.decode()
    assert book.scalar("SELECT note FROM events WHERE case_id = (SELECT max(id) FROM cases)") == "导入自 stdin 第 1501 行"


@sqlite_only
def test_the_larger_page_cache_of_an_import_goes_back_with_its_connection(store):
    """The copy into the book runs with a larger SQLite page cache; the pooled connection gets its own back, even after a failure."""
    from jiesu import backend, staging

    with store.connection() as conn:
        driver = conn.connection.dbapi_connection

        def cache() -> int:
            return driver.execute("PRAGMA cache_size").fetchone()[0]

        before = cache()
        with backend.page_cache(conn, staging.COPY_CACHE_KIB):
            assert cache() == -staging.COPY_CACHE_KIB != before
        assert cache() == before
        with pytest.raises(RuntimeError), backend.page_cache(conn, staging.COPY_CACHE_KIB):
            raise RuntimeError("a failed import")
        assert cache() == before


SCHEMA = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name"


@sqlite_only
def test_an_import_into_a_new_book_leaves_the_indexes_of_a_new_book(jiesu, tmp_path, book, new_target, book_at):
    """More rows than the book holds are copied with its indexes dropped and built again afterwards."""
    jiesu.ok("--db", new_target("fresh"), "list")  # makes the book
    fresh = book_at(new_target("fresh"))
    jiesu.ok("import", str(hotline_file(tmp_path, hotline_rows(1500))))
    assert book.rows(SCHEMA) == fresh.rows(SCHEMA)
    assert book.scalar("SELECT count(*) FROM cases INDEXED BY ix_cases_phone_category_key WHERE phone = '13800000007'") == 1
    jiesu.ok("check")


@sqlite_only
def test_an_import_failing_while_its_indexes_are_down_leaves_them_and_the_book(jiesu, tmp_path, book, office, monkeypatch):
    from jiesu import importer, staging

    jiesu.new("已有的诉求")
    before, schema = book.fingerprint(), book.rows(SCHEMA)
    copy = staging.Stage._copy

    def copy_then_fail(self, conn, *args, **kwargs):
        copy(self, conn, *args, **kwargs)
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'ix_cases_status_resolve_by'").scalar() == 0
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(staging.Stage, "_copy", copy_then_fail)
    path = hotline_file(tmp_path, hotline_rows(1500))
    with pytest.raises(RuntimeError), path.open("rb") as source:
        importer.import_rows(office, importer.read_rows(source, "csv"), source=path.name)
    assert book.fingerprint() == before
    assert book.rows(SCHEMA) == schema


# ---------------------------------------------------------------- read and checked in a forked child


@pytest.fixture
def read_here_or_in_a_child(jiesu, new_target, book_at, monkeypatch, small_batches):
    """Import a file into a fresh book with its rows read and checked here, then in a forked child
    (whatever the file's length: importer.CHILD_BYTES); each time what a user and a script see."""
    from jiesu import forked, importer

    forks = []
    enter = forked.Child.__enter__
    monkeypatch.setattr(forked.Child, "__enter__", lambda child: forks.append(child) or enter(child))

    def imported(path: Path, *options: str, before: tuple[str, ...] = ("list",)) -> tuple:
        """The exit code, standard error, the book's cases (export) and events; `before`: the command that makes the book."""
        seen = []
        for child_bytes in (float("inf"), 0):
            monkeypatch.setattr(importer, "CHILD_BYTES", child_bytes)
            target = new_target(f"read-{child_bytes}")
            jiesu.ok("--db", target, *before)
            forks.clear()
            result = jiesu("--db", target, "import", str(path), *options)
            assert len(forks) == (child_bytes == 0), "the child was to be forked only for the second import"
            events = book_at(target).rows("SELECT case_id, at, actor, kind, note, changes FROM events ORDER BY id")
            cases = jiesu.ok("--db", target, "export", "--format", "jsonl", "--reveal").stdout
            seen.append((result.exit_code, result.stderr, cases, events))
        assert "Traceback" not in seen[1][1]
        assert seen[1] == seen[0]
        return seen[0]

    return imported


def _with_bad_rows_and_repeats(tmp_path) -> Path:
    """3,000 rows over six batches: bad ones deep in them (in batches of the child and of the parent), repeats of rows and of the book's case."""
    rows = hotline_rows(3000)
    rows[2990] = rows[2990].replace(",138", ",12")  # a phone that is no phone, in the last batch
    rows[1700] = rows[1700].rsplit(",", 1)[0] + ","  # no summary
    rows[600] = rows[3]  # the same ref again
    rows.append(rows[1].replace("S000001", "S000001X"))
    return hotline_file(tmp_path, rows, name="深处有错.csv")


@pytest.mark.parametrize("options", [(), ("--skip-bad",), ("--dry-run",), ("--skip-bad", "--dry-run")])
def test_a_file_read_in_a_child_imports_what_one_read_here_does(read_here_or_in_a_child, tmp_path, options):
    existing = hotline_rows(1, start=2500)[0].split(",")
    code, stderr, cases, _ = read_here_or_in_a_child(
        _with_bad_rows_and_repeats(tmp_path), *options,
        before=("new", existing[-1], "--ref", existing[0], "--received", existing[1], "--phone", existing[3], "-q"),
    )
    assert code == (0 if "--skip-bad" in options else 1)
    first, second = stderr.splitlines()[:2]
    assert first == "第 1702 行：缺少诉求内容" and second.startswith("第 2992 行：联系电话 不是有效的中国电话号码：'1200002990'")
    assert len(cases.splitlines()) == (1 + 2997 if options == ("--skip-bad",) else 1)  # the book's case, and the rows neither bad nor repeats


def test_a_merge_into_a_row_refused_batches_earlier_is_refused_as_when_read_here(read_here_or_in_a_child, jiesu, tmp_path):
    """The ids of refused rows (refused_ids) come back from the child with the rows they refuse."""
    import json

    target = jiesu.new("案B", "--received", "-2h")
    merged = jiesu.new("案C", "--received", "-2h")
    jiesu.ok("merge", merged, "--into", target)
    records = [json.loads(line) for line in jiesu.ok("export", "--format", "jsonl", "--reveal").stdout.splitlines()]
    fillers = [records[0] | {"id": 100 + n, "summary": f"案{n}"} for n in range(1200)]
    records[0]["summary"] = ""
    dump = tmp_path / "合并.jsonl"
    dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*fillers, *records]), encoding="utf-8")
    code, stderr, _, events = read_here_or_in_a_child(dump)
    assert code == 1 and stderr.splitlines()[:2] == ["第 1201 行：缺少诉求内容（summary）", f"第 1202 行：并入的 #{target}（第 1201 行）未能导入"]
    assert events == []


BAD_HEADER = "无法识别的表头：既不是 jiesu 导出格式，也不是 12345 工单格式；请用 --map 提供列映射"


@pytest.mark.parametrize(
    ("written", "line"),
    [
        (lambda rows: f"{HOTLINE_HEADER}\n{rows}\n".encode("gb18030") + b"S9,2026-11-02 09:30,\x81\x20,13812345678,,,,,,x\n",
         "文件是 GB18030 编码，第 3002 行第 21 列的字节 0x81 却不是有效的 GB18030；请改正这一行，或把整个文件存为 UTF-8"),
        (lambda rows: ("编号,时间\n" + rows + "\n").encode(), BAD_HEADER),
    ],
    ids=["undecodable", "bad header"],
)
def test_a_file_the_child_cannot_read_is_refused_in_the_same_one_line(read_here_or_in_a_child, tmp_path, written, line):
    path = tmp_path / "工单.csv"
    path.write_bytes(written("\n".join(hotline_rows(3000))))
    code, stderr, _, events = read_here_or_in_a_child(path)
    assert (code, stderr, events) == (1, f"错误: {line}\n", [])


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if entry.isdigit() and int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="finds the child through /proc")
def test_a_child_killed_while_reading_leaves_the_book_as_it_was_in_one_line(tmp_path, new_target, book_at):
    book, env, command, child = _big_import(tmp_path, new_target, book_at)
    before = book.fingerprint()
    deadline, killed = time.monotonic() + 120, None
    while killed is None and time.monotonic() < deadline and child.poll() is None:
        for reader in _children(child.pid):
            os.kill(reader, signal.SIGKILL)
            killed = reader
        time.sleep(0.002)
    assert killed, "the import should have forked a child to read the file"
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 1
    assert stderr.decode() == "错误: 读取、检查文件的子进程意外结束（被信号 9 终止），未导入任何诉求；请重试\n"
    assert book.fingerprint() == before
    _rerun_finishes(book, env, command)


def test_the_progress_bar_of_a_long_import_on_a_terminal_advances_to_the_end(tmp_path, book):
    """On a terminal a long file is read in a child sharing its offset: the bar follows it, and
    the file is never closed under the bar (I/O operation on closed file)."""
    import pty
    import threading

    path = hotline_file(tmp_path, hotline_rows(30000), name="big.csv")
    terminal, its_end = pty.openpty()
    command = [sys.executable, "-m", "jiesu", "import", str(path)]
    child = subprocess.Popen(command, stdout=its_end, stderr=its_end, env=os.environ | {"TERM": "xterm", "COLUMNS": "80"})
    os.close(its_end)
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(terminal, 1 << 16)
            except OSError:  # the terminal's last writer has gone
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    assert child.wait(timeout=300) == 0
    reader.join(timeout=60)
    os.close(terminal)
    text = shown.decode("utf-8", "replace")
    assert "Traceback" not in text and "closed file" not in text
    assert "导入中" in text
    assert {int(percent) for percent in re.findall(r"(\d+)%", text)} - {0, 100}, "the bar should pass between 0% and 100%"
    assert "读取 30000 行：已导入 30000 件，已存在 0 件" in text


def test_only_a_long_file_on_two_cores_is_read_in_a_child(tmp_path, monkeypatch):
    from jiesu import forked, importer

    long, short = hotline_file(tmp_path, hotline_rows(12000), name="long.csv"), hotline_file(tmp_path, hotline_rows(10))
    assert long.stat().st_size >= importer.CHILD_BYTES > short.stat().st_size
    monkeypatch.setattr(forked, "cores", lambda: 2)
    with long.open("rb") as source:
        assert importer.worth_a_child(source) and source.tell() == 0
    with short.open("rb") as source:
        assert not importer.worth_a_child(source)
    monkeypatch.setattr(forked, "cores", lambda: 1)  # the child's work would only be added to this process's
    with long.open("rb") as source:
        assert not importer.worth_a_child(source)
