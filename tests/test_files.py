"""Every file jiesu writes appears whole under its name or not at all.

Backups, exports and the copy made before a migration are killed (SIGKILL) at
random moments and run out of disk (a 2 MB tmpfs, when this test may mount
one); afterwards the file is either absent or whole, and nothing else is left.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import stat
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import FOREIGN_PID, as_an_older_jiesu_wrote_it, holding_a_part, killed, refused, sqlite_only

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

pytestmark = sqlite_only


CASES = 10_000


@pytest.fixture(scope="module")
def big_book(tmp_path_factory) -> Path:
    from generate import generate

    path = tmp_path_factory.mktemp("big") / "big.db"
    generate(path, CASES, now=datetime(2026, 11, 30, 12, tzinfo=timezone.utc), ledger_open=20)
    return path


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB filesystem of its own, so that a full disk hurts nobody else."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root (mount -t tmpfs): full-disk tests not run")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Use up the disk but `leave` bytes."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    with open(disk / "filler", "ab") as filler:
        filler.write(b"\0" * max(0, free - leave))


def jiesu_process(book: Path, *args: str) -> subprocess.Popen:
    env = os.environ | {"JIESU_DB": str(book)}
    return subprocess.Popen([sys.executable, "-m", "jiesu", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def kill_at_random(book: Path, args: list[str], rng: random.Random) -> None:
    child = jiesu_process(book, *args)
    time.sleep(rng.uniform(0.2, 1.5))
    child.send_signal(signal.SIGKILL)
    child.wait()


def is_sound_book(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok" and conn.execute("SELECT count(*) FROM cases").fetchone()[0] == CASES
    finally:
        conn.close()


def test_a_killed_backup_leaves_a_whole_book_or_none_and_the_next_cleans_up(big_book, tmp_path, jiesu):
    rng = random.Random(16)
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "bk.db"
    for _ in range(6):
        kill_at_random(big_book, ["backup", str(target)], rng)
        if target.exists():
            assert is_sound_book(target)
            target.unlink()
    jiesu.ok("--db", str(big_book), "backup", str(target))
    assert is_sound_book(target)
    assert sorted(p.name for p in folder.iterdir()) == ["bk.db"]


def test_a_killed_export_leaves_a_whole_file_or_none_and_the_next_cleans_up(big_book, tmp_path, jiesu):
    rng = random.Random(61)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "all.jsonl"
    for _ in range(6):
        kill_at_random(big_book, ["export", "--format", "jsonl", "--out", str(target)], rng)
        if target.exists():
            assert len(target.read_text(encoding="utf-8").splitlines()) == CASES
            target.unlink()
    jiesu.ok("--db", str(big_book), "export", "--format", "jsonl", "--out", str(target))
    assert len(target.read_text(encoding="utf-8").splitlines()) == CASES
    assert sorted(p.name for p in folder.iterdir()) == ["all.jsonl"]


def test_backup_to_a_full_disk_leaves_nothing(big_book, small_disk, jiesu):
    fill(small_disk, 64 * 1024)
    result = jiesu("--db", str(big_book), "backup", str(small_disk / "bk.db"))
    refused(result, f"无法备份到 {small_disk / 'bk.db'}：磁盘已满（没有留下不完整的文件）")  # a fresh tester read SQLite's English
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_copy_to_a_disk_full_before_its_first_row_says_nothing_was_copied(big_book, small_disk, jiesu):
    """It said 已复制的部分已保存 of a target holding no row."""
    fill(small_disk, 256 * 1024)  # room to make the target book, not for a batch of rows
    target = small_disk / "copy.db"
    result = jiesu("--db", str(big_book), "copy", "--to", str(target))
    refused(result, f"{target}: 磁盘已满；目标里还没有复制进任何一行；用同一条命令重新复制", code=4)
    assert rows_in(target) == 0


def test_a_copy_to_a_disk_full_after_some_batches_says_they_are_kept(big_book, small_disk, jiesu, monkeypatch):
    from jiesu import transfer

    monkeypatch.setattr(transfer, "BATCH", 100)
    fill(small_disk, 768 * 1024)
    target = small_disk / "copy.db"
    result = jiesu("--db", str(big_book), "copy", "--to", str(target))
    refused(result, f"{target}: 磁盘已满；已复制的部分已保存，用同一条命令加 --resume 接着复制", code=4)
    assert 0 < rows_in(target) < CASES


def rows_in(book: Path) -> int:
    """The cases a book holds, read past its unfinished-copy mark."""
    conn = sqlite3.connect(book)
    try:
        return conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        conn.close()


def test_export_to_a_full_disk_leaves_nothing(big_book, small_disk, jiesu):
    fill(small_disk, 64 * 1024)
    result = jiesu("--db", str(big_book), "export", "--format", "jsonl", "--reveal", "--out", str(small_disk / "all.jsonl"))
    refused(result, f"无法写入 {small_disk / 'all.jsonl'}：磁盘已满（没有留下不完整的文件）")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


@pytest.mark.parametrize("args", [["export", "--out", "诉求.xlsx"], ["ledger", "export", "--reveal", "--out", "台账.xlsx"]])
def test_a_workbook_to_a_full_disk_is_one_line_and_leaves_nothing(args, big_book, small_disk, tmp_path):
    """A tester's `export --out e.xlsx` on a full disk ended in XlsxWriter's 60-line traceback and an
    "Exception ignored in ZipFile.__del__", and left the workbook's parts (the cases) in the temp folder."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    fill(small_disk, 4096)
    *command, name = args
    env = os.environ | {"JIESU_DB": str(big_book), "TMPDIR": str(scratch)}
    done = subprocess.run([sys.executable, "-m", "jiesu", *command, str(small_disk / name)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert (done.returncode, done.stderr) == (1, f"错误: 无法写入 {small_disk / name}：磁盘已满（没有留下不完整的文件）\n")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
    assert list(scratch.iterdir()) == []


def test_the_copy_before_a_migration_on_a_full_disk_leaves_nothing_and_the_book_as_it_was(small_disk, jiesu, monkeypatch, tmp_path):
    book = small_disk / "jiesu.db"
    modern = tmp_path / "modern.db"
    for n in range(30):
        jiesu.ok("--db", modern, "new", f"老版本录入的第 {n} 件", "--phone", "13812345678", "--detail", "情况说明" * 2000)
    as_an_older_jiesu_wrote_it(tmp_path / "old.db", modern, monkeypatch)
    shutil.copyfile(tmp_path / "old.db", book)
    monkeypatch.setenv("JIESU_DB", str(book))
    before = book.read_bytes()
    assert len(before) > 256 * 1024
    fill(small_disk, 128 * 1024)  # room to open the book, not to copy it
    line = refused(jiesu("list"))
    assert line.startswith(f"错误: 无法备份到 {small_disk / 'jiesu.db.bak-1'}：")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "jiesu.db"]
    assert book.read_bytes() == before


def test_a_book_moved_without_its_wal_is_noticed_and_backup_is_the_way(tmp_path, jiesu):
    folder, moved = tmp_path / "office", tmp_path / "moved"
    folder.mkdir(), moved.mkdir()
    book = folder / "a.db"
    jiesu.ok("--db", str(book), "new", "第一件")
    holder = subprocess.Popen(  # a worker's `jiesu shell` keeps the book open, then its machine dies
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM cases').fetchall(); print('ready', flush=True); time.sleep(600)", str(book)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline() == "ready\n"
    for n in range(3):
        jiesu.ok("--db", str(book), "new", f"刚受理的第 {n} 件")
    jiesu.ok("--db", str(book), "backup", str(tmp_path / "bk.db"))
    holder.kill()
    holder.wait()
    (folder / "a.db").rename(moved / "a.db")  # copied or moved by hand: the -wal stays behind
    assert len(jiesu.json("--db", str(tmp_path / "bk.db"), "list", "--all")) == 4
    assert len(jiesu.json("--db", str(moved / "a.db"), "list", "--all")) == 1
    refused(jiesu("--db", str(book), "check"), f"{book} 不存在，没有案卷库可用；旁边的 a.db-wal 是它尚未写回的日志，"
            "只复制或移走 .db 文件会丢掉其中的诉求；请把 a.db 放回这里后用 jiesu backup 备份")
    jiesu.ok("--db", str(folder / "b.db"), "new", "另一个案卷库")
    result = jiesu("--db", str(folder / "b.db"), "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{folder / 'a.db-wal'} 没有对应的案卷库 a.db：它是一个案卷库尚未写回的日志，只复制或移走 .db 文件会丢掉其中的诉求；"
        "请把 a.db 放回这里后用 jiesu backup 备份"
    ]
    assert result.stderr.splitlines()[-1] == "错误: 发现 1 处问题；请按上面的提示处理"  # restoring a backup would lose those cases


@pytest.mark.parametrize("command", [["list"], ["new", "楼道灯不亮"], ["import", "-", "--format", "csv"]])
def test_no_new_book_is_made_where_another_books_log_waits(tmp_path, jiesu, command):
    """A book moved without its -wal left the log behind; a new book made there would have SQLite read
    that log in: another book's cases in this one, `check` calling it sound (helper, copy round)."""
    jiesu.ok("--db", str(tmp_path / "a.db"), "new", "第一件")
    with sqlite3.connect(tmp_path / "a.db") as holder:  # kept open, so its -wal holds the next case
        holder.execute("SELECT count(*) FROM cases").fetchall()
        jiesu.ok("--db", str(tmp_path / "a.db"), "new", "第二件")
        shutil.copy(tmp_path / "a.db-wal", tmp_path / "b.db-wal")
    before = sorted(tmp_path.iterdir())
    refused(jiesu("--db", str(tmp_path / "b.db"), *command), f"{tmp_path / 'b.db'} 不存在，不能在这里新建案卷库：旁边的 b.db-wal "
            "是它尚未写回的日志，只复制或移走 .db 文件会丢掉其中的诉求；请把 b.db 放回这里后用 jiesu backup 备份，或用 --db 指定别的位置")
    assert sorted(tmp_path.iterdir()) == before


# ---------------------------------------------------------------- what --out may name


@pytest.mark.parametrize("args", [
    ["export", "--out", "诉求.csv"],
    ["export", "--out", "诉求.xlsx"],
    ["ledger", "export", "--out", "台账.xlsx"],
    ["report", "daily", "--format", "html", "--out", "日报.html"],
    ["backup", "备份.db"],
])
def test_every_file_jiesu_writes_is_owner_only_under_umask_000(args, tmp_path, jiesu, monkeypatch):
    jiesu.new("楼道灯不亮", "--phone", "13812345678")
    monkeypatch.chdir(tmp_path)
    before = os.umask(0)
    try:
        jiesu.ok(*args)
    finally:
        os.umask(before)
    assert os.stat(tmp_path / args[-1]).st_mode & 0o777 == 0o600


@pytest.mark.parametrize("args", [["export"], ["ledger", "export"], ["report", "daily"]])
@pytest.mark.parametrize("name", ["", ".", "/"])
def test_out_without_a_file_name_is_a_usage_error(args, name, jiesu):
    result = jiesu(*args, "--out", name)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [f"错误: --out/-o 无效：'{name}' 不是文件名（如 --out 导出.csv；输出到屏幕请省略 --out）"]


@pytest.mark.parametrize("args", [["export", "--out"], ["ledger", "export", "--out"], ["report", "daily", "--out"]])
@pytest.mark.parametrize("name", ["dir.html/", "新.csv/"])
def test_a_name_ending_in_a_slash_names_a_folder_not_a_file(args, name, jiesu, tmp_path, monkeypatch):
    """A tester's `export --out dir.html/` was told 没有 .html 格式的导出, and `新.csv/` was written as the file 新.csv."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir.html").mkdir()
    result = jiesu(*args, name)
    refused(result, f"--out/-o 无效：'{name}' 以 / 结尾，是文件夹的写法，不是文件名（如 --out 导出.csv；输出到屏幕请省略 --out）", code=2)
    assert not (tmp_path / "新.csv").exists() and list((tmp_path / "dir.html").iterdir()) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
@pytest.mark.parametrize("args", [["export", "--out", "/proc/x.csv"], ["export", "--out", "/proc/x.xlsx"], ["report", "daily", "--out", "/proc/x.html"]])
def test_a_folder_that_makes_no_files_says_so(args, jiesu):
    """A tester's `--out /proc/x.html` read 找不到该文件: /proc is there, it just makes no files."""
    refused(jiesu(*args), f"无法写入 {args[-1]}：所在的文件夹不能新建文件（如 /proc 这样由系统生成的文件夹）（没有留下不完整的文件）")


@pytest.mark.parametrize("args", [["export", "--out"], ["export", "--format", "xlsx", "--out"], ["report", "daily", "--out"], ["backup"]])
def test_a_pipe_or_a_folder_is_never_replaced_by_a_file(args, tmp_path, jiesu):
    """`--out /dev/full` run as root renamed the export over the device: /dev/full became a file."""
    jiesu.new()
    pipe, folder = tmp_path / "pipe", tmp_path / "folder"
    os.mkfifo(pipe)
    folder.mkdir()
    for target in (pipe, folder):
        line = refused(jiesu(*args, target))
        assert line.startswith(f"错误: 无法写入 {target}：不是普通文件（设备、管道或文件夹），不会用文件替换它")
        # a second tester read 系统错误 EINVAL for a folder; a third, backup's 已存在；请换一个文件名 (a folder is no file)
        assert "已存在" not in line
    assert stat.S_ISFIFO(os.stat(pipe).st_mode) and folder.is_dir() and list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".db")) == ["folder", "pipe"]


@pytest.mark.parametrize(("args", "suffix"), [(["export", "--out"], ".csv"), (["ledger", "export", "--out"], ".xlsx"), (["report", "daily", "--out"], ".html")])
def test_a_symbolic_link_is_written_through_to_its_file(args, suffix, tmp_path, jiesu):
    """A tester's `--out link.csv` (a link to share/real.csv) replaced the link with a new file and left
    the real one old. The file it names is replaced, whole, from a part beside it; the link stays.
    Like any file overwritten, the old 644 file becomes owner-only."""
    jiesu.new()
    share = tmp_path / "share"
    share.mkdir()
    real = share / f"real{suffix}"
    real.write_text("旧的", encoding="utf-8")
    real.chmod(0o644)
    link = tmp_path / f"link{suffix}"
    link.symlink_to(Path("share") / real.name)
    jiesu.ok(*args, link)
    assert link.is_symlink() and os.readlink(link) == str(Path("share") / real.name)
    assert real.read_bytes() != "旧的".encode() and os.stat(real).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in share.iterdir()) == [real.name]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a link owned by another user needs root")
def test_a_link_another_user_planted_in_a_shared_folder_is_not_followed(tmp_path, jiesu):
    """In /tmp anyone may leave `日报.html` pointing at one of your files: as the kernel does for
    opening (protected_symlinks), such a link is followed only if it is yours or the folder owner's."""
    jiesu.new()
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, 65534, 65534)
    shared.chmod(0o1777)
    mine = tmp_path / "mine.txt"
    mine.write_text("我的", encoding="utf-8")
    planted = shared / "日报.html"
    planted.symlink_to(mine)
    os.lchown(planted, 65533, 65533)
    refused(jiesu("report", "daily", "--out", planted),
            f"无法写入 {planted}：是别人在共享文件夹（如 /tmp）里放的符号链接，不会写到它指向的文件（没有留下不完整的文件）")
    assert mine.read_text(encoding="utf-8") == "我的" and planted.is_symlink()


def parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".jiesu-part"))


def killed_while_writing(book: Path, folder: Path, args: list[str]) -> None:
    """Run `jiesu ARGS` and kill it (SIGKILL) the moment its part file is seen in `folder`."""
    for _ in range(5):  # a machine fast enough to finish before the part is seen gets another go
        child = jiesu_process(book, *args)
        while child.poll() is None and not parts(folder):
            time.sleep(0.001)
        child.kill()
        child.wait()
        if parts(folder):
            return
    raise AssertionError("the export always finished before its part file was seen")


def test_a_killed_exports_part_is_removed_by_the_next_write_into_its_folder_whatever_its_name(big_book, tmp_path, jiesu):
    """A tester's kill -9 during `export` left `.all.jsonl.PID.jiesu-part` (every phone in it) until an export
    to that same name; exports to other names and `check` neither said nor removed it."""
    folder = tmp_path / "exports"
    folder.mkdir()
    killed_while_writing(big_book, folder, ["export", "--format", "jsonl", "--reveal", "--out", str(folder / "all.jsonl")])
    jiesu.ok("--db", str(big_book), "ledger", "export", "--out", str(folder / "台账.csv"))
    assert sorted(p.name for p in folder.iterdir()) == ["台账.csv"]


def test_a_live_writers_part_stays_and_goes_once_its_writer_is_killed(tmp_path, jiesu):
    folder = tmp_path / "shared"
    folder.mkdir()
    part = folder / f".all.jsonl.{FOREIGN_PID}.jiesu-part"
    jiesu.new()
    holder = holding_a_part(part)
    try:
        jiesu.ok("export", "--out", str(folder / "all.jsonl"))
        assert sorted(p.name for p in folder.iterdir()) == [part.name, "all.jsonl"]
        assert part.read_bytes() == b"13812345678"
    finally:
        killed(holder)
    jiesu.ok("backup", str(folder / "bk.db"))
    assert sorted(p.name for p in folder.iterdir()) == ["all.jsonl", "bk.db"]


def test_only_jiesus_own_part_files_are_ever_removed(tmp_path, jiesu):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("我的笔记")
    users = [
        ".x.part", ".all.jsonl.part", ".all.jsonl.jiesu-part", f"all.jsonl.{FOREIGN_PID}.jiesu-part",
        f".all.jsonl.{FOREIGN_PID}.jiesu-part.bak", ".all.jsonl.٩٩٩٩٩٩٩٩.jiesu-part", ".all.jsonl.²³.jiesu-part",
        f".all.jsonl.{FOREIGN_PID}x.jiesu-part",
    ]
    for name in users:
        (folder / name).write_text("用户自己的文件")
    os.mkfifo(folder / f".all.jsonl.{FOREIGN_PID - 1}.jiesu-part")
    (folder / f".all.jsonl.{FOREIGN_PID - 2}.jiesu-part").symlink_to(folder / "notes.txt")
    (folder / f".all.jsonl.{FOREIGN_PID - 3}.jiesu-part").mkdir()
    before = sorted(p.name for p in folder.iterdir())
    jiesu.new()
    jiesu.ok("export", "--out", str(folder / "all.jsonl"))
    assert sorted(p.name for p in folder.iterdir()) == sorted([*before, "all.jsonl"])
    assert (folder / "notes.txt").read_text() == "我的笔记"
