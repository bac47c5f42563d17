"""`jiesu copy`: the whole book moves SQLite → (PostgreSQL when JIESU_TEST_DB is set, else SQLite) → SQLite.

Every table is compared row for row between the first and the last file, both
ends pass `jiesu check`, a non-empty target is refused, and a copy killed
half-way is finished by `--resume`.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import refused

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

TABLES = ("cases", "events", "revisits", "ledger_entries", "ledger_moves", "ledger_balances")


def every_row(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES}
    finally:
        conn.close()


def demo_book(path: Path, jiesu) -> None:
    jiesu.ok("demo", "--db", str(path))
    jiesu.ok("--db", str(path), "ledger", "roll", "2026-10")
    jiesu.ok("--db", str(path), "ledger", "roll", "2026-11")


def bench_book(path: Path, jiesu) -> None:
    from generate import generate

    generate(path, 3000, now=datetime(2026, 11, 30, 12, tzinfo=timezone.utc), ledger_open=40, days=400)


@pytest.mark.parametrize("make", [demo_book, bench_book], ids=["demo", "bench"])
def test_whole_book_goes_there_and_back(make, tmp_path, new_target, jiesu):
    source, back = tmp_path / "source.db", tmp_path / "back.db"
    make(source, jiesu)
    middle = new_target("middle")
    there = jiesu.ok("--db", str(source), "copy", "--to", middle)
    assert "两边行数相同，目标检查无误" in there.stderr
    jiesu.ok("--db", middle, "check")
    jiesu.ok("--db", middle, "copy", "--to", str(back))
    jiesu.ok("--db", str(back), "check")
    before, after = every_row(source), every_row(back)
    assert all(before[table] for table in TABLES if table != "ledger_balances" or make is demo_book)
    for table in TABLES:
        assert after[table] == before[table], table


def test_the_copied_book_keeps_working_and_hands_out_fresh_ids(tmp_path, new_target, jiesu):
    source = tmp_path / "source.db"
    demo_book(source, jiesu)
    middle = new_target("middle")
    jiesu.ok("--db", str(source), "copy", "--to", middle)
    assert jiesu.json("--db", middle, "ledger", "list", "--open")[0]["case_id"] == 43
    jiesu.ok("--db", middle, "ledger", "clear", "1", "--evidence", "已更换主管道")
    assert int(jiesu.ok("--db", middle, "new", "复制后新受理", "-q").stdout) == 48


def test_a_book_with_data_is_not_written_into(tmp_path, jiesu):
    source, other = tmp_path / "source.db", tmp_path / "other.db"
    demo_book(source, jiesu)
    jiesu.ok("--db", str(other), "new", "别的案卷的诉求")
    line = refused(jiesu("--db", str(source), "copy", "--to", str(other)))
    assert "已有数据（诉求 1，办理记录 1" in line
    refused(jiesu("--db", str(source), "copy", "--to", str(other), "--resume"),
            f"目标 {other} 的诉求与本案卷库不一致：不是上次中断的复制，或中断后本案卷库又有改动；只能重新复制到空的案卷库")
    assert every_row(other)["cases"][0][0] == 1 and len(every_row(other)["cases"]) == 1
    refused(jiesu("--db", str(source), "copy", "--to", str(source)), "源案卷库和目标是同一个；请用 --to 指定另一个")


@pytest.mark.parametrize("command", ["copy", "backup"])
@pytest.mark.parametrize(
    ("book_name", "there", "target_name", "why"),
    [
        *((
            "x.db", None, f"x.db{suffix}", f"{{target}} 是案卷库 {{source}} 的 {suffix} 文件，SQLite 打开案卷库时在旁边使用、关闭时删除",
        ) for suffix in ("-wal", "-shm", "-journal")),
        ("y.db-wal", None, "y.db", "案卷库 {source} 恰好是 {target} 的 -wal 文件的位置，SQLite 打开 {target} 时会把案卷库当作它的 -wal 删除或覆盖"),
        *((
            "a.db", "y.db", f"y.db{suffix}", f"{{target}} 是案卷库 {{there}} 的 {suffix} 文件，SQLite 打开案卷库时在旁边使用、关闭时删除",
        ) for suffix in ("-wal", "-shm", "-journal")),
        ("a.db", "w.db-wal", "w.db", "{there} 恰好是 {target} 的 -wal 文件的位置，SQLite 打开 {target} 时会把它当作 {target} 的 -wal 读入、删除或覆盖"),
    ],
)
def test_a_target_sqlite_would_take_for_a_book_s_companion_or_the_other_way_round_is_refused(
    tmp_path, jiesu, command, book_name, there, target_name, why
):
    """`copy --to x.db-wal` said 已复制到 x.db-wal … 目标检查无误, and SQLite deleted it as x.db's own log
    when the copy closed x.db; `backup x.db-wal` said x.db-wal 已存在 of a file there only while it ran.
    A book named y.db-wal copied to y.db: opening y.db, SQLite would take the book for its log.
    `backup y.db-wal` beside another book y.db said 已备份到 y.db-wal, and the next `jiesu --db y.db list`
    deleted it as y.db's log; `backup w.db` beside a -wal left by a book moved away made a backup that
    SQLite then read that log into: it held the other book's cases, and `check` found it whole."""
    source, target = tmp_path / book_name, tmp_path / target_name
    other = tmp_path / there if there else None
    jiesu.ok("--db", str(source), "new", "楼道灯不亮")
    if other and there.endswith("-wal"):  # the log a book moved without it left behind
        other.write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    elif other:
        jiesu.ok("--db", str(other), "new", "别的案卷库的诉求")
    before = sorted(path.name for path in tmp_path.iterdir()), every_row(source)
    args = ["copy", "--to", str(target)] if command == "copy" else ["backup", str(target)]
    instead = "请用 --to 指定另一个" if command == "copy" else "请换一个文件名"
    refused(jiesu("--db", str(source), *args), f"{why.format(source=source, there=other, target=target)}；{instead}")
    assert (sorted(path.name for path in tmp_path.iterdir()), every_row(source)) == before


@pytest.mark.parametrize("args", [["copy", "--to", ""], ["copy", "--to", "."], ["demo", "--db", ""]])
def test_a_target_that_names_no_book_is_a_usage_error_not_the_default_book(tmp_path, jiesu, book, monkeypatch, args):
    """`jiesu copy --to "$TARGET"` with $TARGET unset copied the whole book into the default one, and said so as done."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    jiesu.new("楼道灯不亮")
    before = book.fingerprint()
    line = refused(jiesu(*args), code=2)
    assert line.startswith(f"错误: {args[1]} 无效：{args[2]!r} 不是文件名（")
    assert not (tmp_path / "data").exists() and book.fingerprint() == before


def location(target: str) -> str:
    """How jiesu names a book: its path, or its URL without the password."""
    from sqlalchemy.engine import make_url

    return make_url(target).render_as_string(hide_password=True) if "://" in target else target


def killed_copy(source: Path, target: str) -> None:
    """`jiesu copy` killed (SIGKILL) once the cases are in, while the history is on its way."""
    env = os.environ | {"JIESU_DB": str(source)}
    child = subprocess.Popen([sys.executable, "-m", "jiesu", "copy", "--to", target], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr.readline().startswith("已复制诉求")
    time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()


def test_a_killed_copy_is_finished_by_resume(tmp_path, new_target, jiesu, book_at):
    source, back = tmp_path / "source.db", tmp_path / "back.db"
    bench_book(source, jiesu)
    middle = new_target("middle")
    killed_copy(source, middle)
    assert book_at(middle).scalar("SELECT count(*) FROM events") < len(every_row(source)["events"])
    refused(jiesu("--db", str(source), "copy", "--to", middle))
    jiesu.ok("--db", str(source), "copy", "--to", middle, "--resume")
    jiesu.ok("--db", middle, "copy", "--to", str(back))
    assert every_row(back) == every_row(source)


def test_a_resume_after_the_source_changed_a_copied_row_is_refused(tmp_path, new_target, jiesu, book_at):
    """A fresh tester: the office went on working in the source overnight, `edit 1` changed a case the killed
    copy had already written, and `--resume` said 目标检查无误 with #1's old summary beside its new history."""
    source = tmp_path / "source.db"
    bench_book(source, jiesu)
    middle = new_target("middle")
    killed_copy(source, middle)
    left = book_at(middle).fingerprint()
    jiesu.ok("--db", str(source), "edit", "1", "--summary", "改过的摘要")
    refused(jiesu("--db", str(source), "copy", "--to", middle, "--resume"),
            f"目标 {location(middle)} 的诉求与本案卷库不一致：不是上次中断的复制，或中断后本案卷库又有改动；只能重新复制到空的案卷库")
    assert book_at(middle).fingerprint() == left


def test_a_book_a_killed_copy_left_is_refused_until_resume_finishes_it(tmp_path, new_target, jiesu, book_at):
    """It opened as if usable: `list` showed the cases, `check` found 200 cases without history and said
    to restore a backup, and `new` on PostgreSQL failed with duplicate key value violates unique constraint."""
    source = tmp_path / "source.db"
    bench_book(source, jiesu)
    middle = new_target("middle")
    killed_copy(source, middle)
    left = book_at(middle).fingerprint()
    unfinished = f"{location(middle)} 是没有复制完的案卷库（jiesu copy 被中断），还不能使用；请用复制它的同一条命令加 --resume 接着复制"
    for command in (["list"], ["check"], ["new", "楼道灯不亮"], ["copy", "--to", str(tmp_path / "y.db")]):
        refused(jiesu("--db", middle, *command), unfinished)
    refused(jiesu("--db", str(source), "copy", "--to", middle), unfinished)
    assert book_at(middle).fingerprint() == left and not (tmp_path / "y.db").exists()
    jiesu.ok("--db", str(source), "copy", "--to", middle, "--resume")
    jiesu.ok("--db", middle, "check")
    assert int(jiesu.ok("--db", middle, "new", "复制后新受理", "-q").stdout) == 3001


def test_a_book_an_older_jiesu_s_killed_copy_left_is_named_by_check(tmp_path, new_target, jiesu, book_at):
    """Before the unfinished-copy mark such a book opened as usable, and `check` listed 200 cases
    without history and said to restore a backup: it is a copy to finish."""
    source = tmp_path / "source.db"
    bench_book(source, jiesu)
    middle = new_target("middle")
    killed_copy(source, middle)
    book_at(middle).execute("UPDATE book SET identity = :mine", mine="0" * 32)  # an older jiesu marked nothing
    (count, first), = book_at(middle).rows("SELECT count(*), min(id) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events WHERE case_id = c.id)")
    assert count > 0
    result = jiesu("--db", middle, "check")
    assert result.exit_code == 1 and result.stdout.splitlines() == [
        f"#{first} 及以后的 {count} 件诉求没有任何办理记录：这是没有复制完的案卷库（旧版 jiesu 的 copy 被中断，没有留下标记）；"
        "请用复制它的同一条命令加 --resume 接着复制"
    ]
    assert result.stderr.splitlines()[-1] == "错误: 发现 1 处问题；请按上面的提示处理"
    jiesu.ok("--db", str(source), "copy", "--to", middle, "--resume")
    jiesu.ok("--db", middle, "check")


@pytest.mark.skipif(not os.environ.get("JIESU_TEST_DB"), reason="needs a PostgreSQL server to cut the connection of")
def test_a_copy_cut_off_by_the_server_leaves_a_book_every_command_refuses(tmp_path, new_target, jiesu, book_at):
    """The tester's case: the server went away mid-copy (exit 4), and the half-copied book then opened as usable."""
    from sqlalchemy import create_engine, text

    source = tmp_path / "source.db"
    bench_book(source, jiesu)
    target = new_target("cut")
    env = os.environ | {"JIESU_DB": str(source), "JIESU_SERVER": "0"}
    child = subprocess.Popen([sys.executable, "-m", "jiesu", "copy", "--to", target], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr.readline().startswith("已复制诉求")
    admin = create_engine(os.environ["JIESU_TEST_DB"], isolation_level="AUTOCOMMIT")
    database = target.rsplit("/", 1)[1].split("?")[0]
    with admin.connect() as conn:
        while child.poll() is None:  # the server goes away, again and again, until the copy gives up
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                              "AND pid <> pg_backend_pid()"), {"d": database})
            time.sleep(0.01)
    admin.dispose()
    err = child.stderr.read()
    assert child.wait() == 4 and err.endswith("已复制的部分已保存，用同一条命令加 --resume 接着复制\n"), err
    assert book_at(target).scalar("SELECT count(*) FROM events") < len(every_row(source)["events"])
    unfinished = f"{location(target)} 是没有复制完的案卷库（jiesu copy 被中断），还不能使用；请用复制它的同一条命令加 --resume 接着复制"
    for command in (["list"], ["check"], ["new", "楼道灯不亮"]):
        refused(jiesu("--db", target, *command), unfinished)
    jiesu.ok("--db", str(source), "copy", "--to", target, "--resume")
    assert int(jiesu.ok("--db", target, "new", "复制后新受理", "-q").stdout) == 3001


def test_resuming_a_finished_copy_says_nothing_was_left(tmp_path, new_target, jiesu, book_at):
    """It said 已复制诉求 47 行 for every table, as if it had copied them all again."""
    source = tmp_path / "source.db"
    demo_book(source, jiesu)
    middle = new_target("middle")
    jiesu.ok("--db", str(source), "copy", "--to", middle)
    done = book_at(middle).fingerprint()
    again = jiesu.ok("--db", str(source), "copy", "--to", middle, "--resume")
    assert again.stderr.splitlines() == [
        f"{location(middle)} 已是本案卷库完整的复制（诉求 47，办理记录 113，回访 10，台账条目 2，台账变动 2，"
        "台账余额 2，共 176 行），没有要接着复制的；两边行数相同，目标检查无误"
    ]
    assert book_at(middle).fingerprint() == done


def import_lines(tmp_path, jiesu, *lines: str):
    file = tmp_path / "rows.jsonl"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return jiesu("import", str(file))


def test_import_refuses_case_states_a_row_cannot_make_whole(tmp_path, jiesu, book):
    result = import_lines(
        tmp_path, jiesu,
        '{"summary":"h","status":"ledgered"}',
        '{"id":5,"summary":"并入自己","status":"merged","merged_into":5}',
        '{"id":6,"summary":"并入不存在的","status":"merged","merged_into":99}',
        '{"summary":"没说并入哪件","status":"merged"}',
        '{"id":7,"summary":"办理中却有并入","status":"assigned","assignee":"物业","merged_into":6}',
        '{"id":8,"summary":"好的一行"}',
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "第 1 行：状态 ledgered（挂账整改）不能单独导入：台账条目不在行里；整本迁移请用 jiesu copy，或导入为 assigned 后再 ledger add",
        "第 2 行：#5 不能并入它自己",
        "第 3 行：并入的 #99 不在这个文件里",
        "第 4 行：状态 merged（已合并）缺少 merged_into（并入哪件诉求）",
        "第 5 行：有 merged_into 但状态是 assigned，不是 merged",
        "错误: 5 行有问题，未导入任何诉求；改正后重试，或用 --skip-bad 只导入没有问题的行",
    ]
    assert book.counts() == (0, 0)


def test_a_merge_into_a_case_later_in_the_file_still_imports(tmp_path, jiesu):
    import_lines(tmp_path, jiesu, '{"id":3,"summary":"重复","status":"merged","merged_into":4}', '{"id":4,"summary":"原件"}')
    assert jiesu.json("show", "1")["merged_into"] == 2
    jiesu.ok("check")


def test_the_old_documented_move_now_says_what_it_cannot_carry(tmp_path, jiesu):
    source = tmp_path / "source.db"
    demo_book(source, jiesu)
    out = tmp_path / "all.jsonl"
    jiesu.ok("--db", str(source), "export", "--format", "jsonl", "--reveal", "--out", str(out))
    result = jiesu("import", str(out))
    assert result.exit_code == 1
    assert sum("状态 ledgered（挂账整改）不能单独导入" in line for line in result.stderr.splitlines()) == 2


@pytest.mark.skipif(not os.environ.get("JIESU_TEST_DB"), reason="needs a PostgreSQL server to cut the connection of")
def test_an_import_cut_off_by_the_server_leaves_the_book_as_it_was_and_a_rerun_finishes(tmp_path, new_target, book_at):
    from generate import hotline_csv
    from sqlalchemy import create_engine, text

    csv = tmp_path / "hotline.csv"
    hotline_csv(csv, 30_000, now=datetime(2026, 11, 30, 12, tzinfo=timezone.utc))
    target = new_target("cut")
    from jiesu.db import open_store

    open_store(target).close()  # the schema exists before the import starts
    book = book_at(target)
    env = os.environ | {"JIESU_DB": target, "JIESU_SERVER": "0"}
    command = [sys.executable, "-m", "jiesu", "import", str(csv)]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    admin = create_engine(os.environ["JIESU_TEST_DB"], isolation_level="AUTOCOMMIT")
    database = target.rsplit("/", 1)[1].split("?")[0]
    staging = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND query LIKE '%jiesu_import_staged%'")
    with admin.connect() as conn:
        while child.poll() is None and not conn.execute(staging, {"d": database}).scalar():
            time.sleep(0.01)
        while child.poll() is None:  # the server goes away, again and again, until the import gives up
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                              "AND pid <> pg_backend_pid()"), {"d": database})
            time.sleep(0.01)
    admin.dispose()
    _, err = child.communicate()
    assert child.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "与数据库服务器的连接断开了" in lines[0], err
    book.engine.dispose()
    assert book.counts() == (0, 0)
    rerun = subprocess.run(command, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert book.counts() == (30_000, 30_000)

def test_a_copy_is_the_same_book_to_an_open311_export(jiesu, tmp_path, new_target):
    """A copy keeps the book's identity (jiesu_book) with its ids: the Open311 export of the book
    imported into its copy is 已存在, not another book's cases that happen to look alike."""
    jiesu.new("路灯不亮", "--address", "大栅栏街1号", "--received", "2026-11-20 09:00", "--phone", "13833334444")
    dump = tmp_path / "a.json"
    jiesu.ok("export", "--format", "open311-json", "--out", str(dump))
    copy = new_target("copy")
    jiesu.ok("copy", "--to", copy)
    assert jiesu.ok("--db", copy, "import", str(dump)).stderr.endswith("读取 1 条：已导入 0 件，已存在 1 件\n")


@pytest.mark.parametrize(("how", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["Ctrl-C", "TERM"])
def test_an_interrupted_copy_says_resume_finishes_it(tmp_path, new_target, jiesu, how, code, capsys):
    """A fresh tester: a copy stopped by TERM said 改动已保存；不要重试，用 jiesu list 查看 — and `list` on the
    target is refused as an unfinished copy. Its line says what a failure's says: --resume finishes it."""
    from jiesu.clikit import interrupted
    from jiesu.db import open_store
    from jiesu.interrupts import Interrupted, raise_on_sigterm
    from jiesu.transfer import copy_book

    source = tmp_path / "source.db"
    demo_book(source, jiesu)
    raise_on_sigterm()
    origin, target = open_store(str(source)), open_store(new_target("middle"))
    try:
        with pytest.raises((KeyboardInterrupt, Interrupted)) as stopped:
            copy_book(origin, target, resume=False, progress=lambda name, n: os.kill(os.getpid(), how))  # after cases
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        origin.close()
        target.close()
    assert isinstance(stopped.value, Interrupted) and stopped.value.exit_code == code
    assert interrupted(stopped.value.exit_code, (0, 0), stopped.value.kept) == code
    assert capsys.readouterr().err == "错误: 已中断；已复制的部分已保存，用同一条命令加 --resume 接着复制\n"
