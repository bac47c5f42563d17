"""Nothing lost, no one surprised: concurrent workers, races, crashes, hostile input, broken files.

Real files and real processes throughout. Processes that must start together
import jiesu first and then wait for a start file, so they hit the store at
the same moment rather than one after another.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import as_an_older_jiesu_wrote_it, eight_new_at_once_make_one_whole_book, refused, sqlite_only, without_calendar_notes

RACER = textwrap.dedent(
    """
    import os, sys, time
    from jiesu.cli import main
    import jiesu.cases, jiesu.db, jiesu.ledger  # loaded before the start, so the race is in the store
    go = sys.argv[1]
    while not os.path.exists(go):
        time.sleep(0.001)
    sys.argv = ["jiesu", *sys.argv[2:]]
    main()
    """
)

FILER = textwrap.dedent(
    """
    import os, sys, time
    from jiesu.cases import Draft, file_case
    from jiesu.db import open_store
    from jiesu.office import Office
    from jiesu.rules import DEFAULT_RULES
    go, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(os.environ["JIESU_DB"])
    while not os.path.exists(go):
        time.sleep(0.001)
    for n in range(count):
        office = Office(store=store, rules=DEFAULT_RULES, actor=f"worker{worker}")
        file_case(office, Draft(f"并发受理 {worker}-{n}", ref=f"W{worker}-{n}"))
    store.close()
    """
)


def env_for(target) -> dict:
    return os.environ | {"JIESU_DB": str(target), "JIESU_ACTOR": "测试员"}


def start_together(target, tmp_path, commands: list[list[str]], script: str = RACER) -> list[subprocess.CompletedProcess]:
    go = tmp_path / f"go-{random.random()}"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(go), *command], env=env_for(target),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    time.sleep(1.0)  # every process has imported jiesu and is waiting
    go.touch()
    results = []
    for process, command in zip(processes, commands):
        out, err = process.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def jiesu_check(target) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jiesu", "check"], env=env_for(target), capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------- concurrent writers


def test_eight_processes_filing_250_cases_each_lose_nothing(jiesu, db_target, book, tmp_path):
    jiesu.new("先建好案卷")
    results = start_together(db_target, tmp_path, [[str(w), "250"] for w in range(8)], script=FILER)
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "locked" not in result.stderr
    assert book.rows("SELECT count(*), count(DISTINCT id), count(DISTINCT ref) FROM cases WHERE ref LIKE 'W%'") == [(2000, 2000, 2000)]
    assert book.scalar("SELECT count(*) FROM events WHERE kind = 'filed'") == 2001
    assert jiesu_check(db_target).returncode == 0


def test_four_clis_filing_ten_each(jiesu, db_target, book):
    jiesu.new("先建好案卷")
    loop = "; ".join(f"{sys.executable} -m jiesu new \"命令行并发 $0-{n}\" -q" for n in range(10))
    processes = [
        subprocess.Popen(["sh", "-c", loop, str(w)], env=env_for(db_target), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(4)
    ]
    for process in processes:
        out, err = process.communicate(timeout=300)
        # Near the year's end each filing may add the calendar note (deadlines in a year chinesecalendar lacks).
        assert process.returncode == 0 and len(out.split()) == 10
        assert all(line.startswith("注意：chinesecalendar") for line in err.splitlines()), err
    assert book.scalar("SELECT count(*) FROM cases WHERE summary LIKE '命令行并发%'") == 40


# ---------------------------------------------------------------- a new book made by several at once


@sqlite_only
def test_eight_jiesu_new_on_a_book_not_yet_made_see_it_whole_and_say_nothing_more(jiesu, book_at, tmp_path):
    """Eight `jiesu new` started at once on a path with no book yet: one makes the book, its whole
    schema in one transaction; the others never find it half made and take it for an older book
    to upgrade (an upgrade line and a stray `.bak-N` copy of a book that was never old)."""
    for round_ in range(2):
        eight_new_at_once_make_one_whole_book(tmp_path / f"new-{round_}.db", os.environ | {"JIESU_SERVER": "0"}, jiesu, book_at)


@sqlite_only
def test_an_older_book_opened_by_four_at_once_is_backed_up_and_upgraded_once(jiesu, db_path, tmp_path, monkeypatch):
    """Four commands open a book of schema 1 at once: one copies it as it was to `.bak-1`, upgrades it
    and says so; the others wait for it and find the book upgraded (no copy of a half-upgraded book)."""
    modern = tmp_path / "modern.db"
    jiesu.ok("--db", modern, "new", "老版本录入的诉求")
    as_an_older_jiesu_wrote_it(db_path, modern, monkeypatch)
    results = start_together(db_path, tmp_path, [["list", "--format", "ids"]] * 4)
    assert [(r.returncode, r.stdout) for r in results] == [(0, "1\n")] * 4
    assert [r.stderr for r in results if r.stderr] == [f"升级案卷库前已备份到 {db_path}.bak-1\n"]
    assert sorted(p.name for p in tmp_path.glob(f"{db_path.name}.bak*")) == [f"{db_path.name}.bak-1"]
    with sqlite3.connect(f"{db_path}.bak-1") as backup:
        assert backup.execute("SELECT max(version) FROM jiesu_schema").fetchone()[0] == 1
    backup.close()
    assert jiesu.ok("check").stderr.startswith("案卷完好")


# ---------------------------------------------------------------- same-case races


def prepared_case(jiesu, *steps) -> int:
    case_id = jiesu.new("同一件诉求", "--nature", "合理诉求", "--received", "-3h")
    for step in steps:
        jiesu.ok(*[str(case_id) if part == "ID" else part for part in step])
    return case_id


def state(jiesu, case_id) -> tuple:
    case = jiesu.json("show", case_id)
    return case["status"], case["assignee"], case["reopen_count"], len(case["events"]), len(case["revisits"])


def race(target, tmp_path, case_id, first, second):
    commands = [[str(case_id) if part == "ID" else part for part in command] for command in (first, second)]
    return start_together(target, tmp_path, commands)


def loser_line(results) -> str:
    losers = [r for r in results if r.returncode != 0]
    assert len(losers) == 1, [(r.returncode, r.stderr) for r in results]
    assert losers[0].returncode == 1 and losers[0].stderr.count("\n") == 1 and losers[0].stderr.startswith("错误: ")
    return losers[0].stderr.strip()


VISITED = [("assign", "ID", "物业"), ("visit", "ID", "--note", "上门")]
CLOSE = ["close", "ID", "--result", "resolved", "--note", "办结"]


def test_race_close_close(jiesu, db_target, book, tmp_path):
    case_id = prepared_case(jiesu, *VISITED)
    results = race(db_target, tmp_path, case_id, CLOSE, CLOSE)
    assert loser_line(results) == f"错误: #{case_id} 已办结，不能办结；可用：revisit, reopen"
    assert state(jiesu, case_id)[:3] == ("closed", "物业", 0)


def test_race_close_reopen(jiesu, db_target, book, tmp_path):
    case_id = prepared_case(jiesu, *VISITED)
    results = race(db_target, tmp_path, case_id, CLOSE, ["reopen", "ID", "--reason", "仍未修好"])
    close_result, reopen_result = results
    assert close_result.returncode == 0
    if reopen_result.returncode == 0:  # close, then reopen
        assert state(jiesu, case_id)[:3] == ("assigned", "物业", 1)
    else:  # reopen refused first, then close
        assert reopen_result.stderr.startswith(f"错误: #{case_id} 办理中，不能重办")
        assert state(jiesu, case_id)[:3] == ("closed", "物业", 0)


def test_race_assign_return(jiesu, db_target, book, tmp_path):
    case_id = prepared_case(jiesu, ("assign", "ID", "物业"))
    results = race(db_target, tmp_path, case_id, ["assign", "ID", "街道城管科"], ["return", "ID", "--reason", "不属本单位"])
    assert all(r.returncode == 0 for r in results) or loser_line(results)
    outcomes = {("new", None), ("assigned", "街道城管科")}
    assert state(jiesu, case_id)[:2] in outcomes
    kinds = [e["kind"] for e in jiesu.json("show", case_id)["events"]]
    assert kinds[-2:] in (["assigned", "returned"], ["returned", "assigned"]) or kinds[-1] in ("assigned", "returned")


def test_race_ledger_clear_clear(jiesu, db_target, book, tmp_path):
    case_id = prepared_case(jiesu, ("ledger", "add", "ID", "--plan", "更换管道", "--unit", "城管科"))
    clear = ["ledger", "clear", "1", "--evidence", "已更换"]
    results = race(db_target, tmp_path, case_id, clear, clear)
    assert loser_line(results).startswith("错误: 台账 1 已于 ")
    assert state(jiesu, case_id)[0] == "closed"
    assert book.scalar("SELECT count(*) FROM ledger_moves WHERE kind = 'cleared'") == 1


def test_race_revisit_revisit(jiesu, db_target, book, tmp_path):
    case_id = prepared_case(jiesu, *VISITED, tuple(CLOSE))
    unhappy = ["revisit", "ID", "--satisfaction", "不满意", "--resolved", "no"]
    results = race(db_target, tmp_path, case_id, unhappy, unhappy)
    assert loser_line(results) == f"错误: #{case_id} 办理中，不能回访；可用：assign, return, contact, visit, classify, escalate, extend, close, merge, ledger add"
    status, _, reopens, _, revisits = state(jiesu, case_id)
    assert (status, reopens, revisits) == ("assigned", 1, 1)


# ---------------------------------------------------------------- readers during writes


def test_reports_and_exports_never_fail_while_writers_work(jiesu, db_target, tmp_path):
    jiesu.new("先建好案卷")
    go = tmp_path / "go"
    writers = [
        subprocess.Popen([sys.executable, "-c", FILER, str(go), str(w), "300"], env=env_for(db_target),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(2)
    ]
    time.sleep(1.0)
    go.touch()
    seen = []
    while any(w.poll() is None for w in writers):
        report = subprocess.run([sys.executable, "-m", "jiesu", "report", "daily", "-f", "json"], env=env_for(db_target),
                                capture_output=True, text=True, timeout=120)
        assert report.returncode == 0, report.stderr
        received = json.loads(report.stdout)["received"]
        export = subprocess.run([sys.executable, "-m", "jiesu", "export", "-f", "jsonl"], env=env_for(db_target),
                                capture_output=True, text=True, timeout=120)
        assert export.returncode == 0, export.stderr
        exported = [json.loads(line) for line in export.stdout.splitlines()]
        assert all(case["summary"] and case["status"] == "new" and case["version"] == 1 for case in exported)
        seen.append((received, len(exported)))
    for writer in writers:
        assert writer.wait() == 0
    assert [n for _, n in seen] == sorted(n for _, n in seen), "a later export saw fewer cases"
    assert len(seen) >= 1


# ---------------------------------------------------------------- crashes


def test_killed_transitions_leave_history_that_explains_every_case(jiesu, db_target, book):
    ids = [jiesu.new(f"批量 {n}", "--nature", "合理诉求", "--received", "-5h") for n in range(60)]
    script = "".join(
        f"assign {i} 物业\ncontact {i} --note 电话\nvisit {i} --note 上门\nclose {i} --result resolved --note 办结\n" for i in ids
    )
    command = [sys.executable, "-m", "jiesu", "shell", "--keep-going"]
    rng = random.Random(8)
    kills = 0
    for _ in range(3):
        child = subprocess.Popen(command, env=env_for(db_target), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        child.stdin.write(script.encode())
        child.stdin.flush()
        time.sleep(rng.uniform(0.8, 2.5))
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills += 1
        checked = jiesu_check(db_target)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finish = subprocess.run(command, env=env_for(db_target), input=script, capture_output=True, text=True, timeout=300)
    assert finish.returncode in (0, 1)
    assert book.rows("SELECT status, count(*) FROM cases GROUP BY status") == [("closed", 60)]
    assert book.scalar("SELECT count(*) FROM events WHERE kind = 'closed'") == 60
    assert kills == 3


# ---------------------------------------------------------------- broken and foreign files


def test_truncated_real_store_is_refused_untouched(jiesu, db_path):
    for n in range(200):
        jiesu.new(f"诉求 {n}", "--detail", "x" * 500)
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    before = db_path.read_bytes()
    line = refused(jiesu("list", "--all"))
    assert str(db_path) in line and "损坏" in line
    assert db_path.read_bytes() == before


def test_store_locked_by_a_long_write_is_a_clear_wait_message(jiesu, db_path, monkeypatch):
    jiesu.new("先建好案卷")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(30)", str(db_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setenv("JIESU_BUSY_TIMEOUT_MS", "500")
        before = db_path.read_bytes()
        refused(jiesu("new", "等不到"), f"{db_path}: 数据库正被另一个程序长时间写入，请稍后再试")
        assert db_path.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()


def test_read_only_store_is_refused_on_write(jiesu, db_path):
    jiesu.new("先建好案卷")
    made_immutable = subprocess.run(["chattr", "+i", str(db_path)], capture_output=True).returncode == 0
    if not made_immutable:
        if os.geteuid() == 0:
            pytest.skip("running as root on a filesystem without chattr: no way to make a file read-only")
        db_path.chmod(0o400)
    try:
        before = db_path.read_bytes()
        line = refused(jiesu("new", "写不进去"))
        assert str(db_path) in line and ("只读" in line or "无法打开" in line)
        assert db_path.read_bytes() == before
    finally:
        if made_immutable:
            subprocess.run(["chattr", "-i", str(db_path)])
        db_path.chmod(0o600)


# ---------------------------------------------------------------- backups and check


def test_backup_while_others_write_is_consistent_and_private(jiesu, db_path, tmp_path, book_at):
    jiesu.new("先建好案卷")
    go = tmp_path / "go"
    writer = subprocess.Popen([sys.executable, "-c", FILER, str(go), "1", "400"], env=env_for(db_path),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    go.touch()
    time.sleep(0.3)
    copy = tmp_path / "备份.db"
    result = jiesu.ok("backup", str(copy))
    assert result.stderr == f"已备份到 {copy}\n"
    assert writer.wait(timeout=120) == 0
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    checked = jiesu_check(copy)
    assert checked.returncode == 0, checked.stdout
    backed_up, events = book_at(str(copy)).counts()
    assert 1 <= backed_up <= 401 and events == backed_up
    refused(jiesu("backup", str(copy)), f"{copy} 已存在；请换一个文件名（备份不会覆盖已有文件）")


def test_check_finds_a_case_whose_history_does_not_explain_it(jiesu, book):
    jiesu.new("正常")
    case_id = jiesu.new("被人直接改过")
    closed = "status = 'closed', nature = 'reasonable', track = 'handle', result = 'resolved', closed_at = received_at"
    book.execute(f"UPDATE cases SET {closed} WHERE id = :id", id=case_id)  # closed as `close` leaves a case, but no step did it
    result = jiesu("check")
    assert result.exit_code == 1
    assert result.stdout == f"#{case_id} 状态为已办结，但办理记录显示应为待派单\n"
    assert without_calendar_notes(result.stderr) == "错误: 发现 1 处问题；请从备份恢复（步骤见 jiesu backup --help），或联系维护人员\n"


# ---------------------------------------------------------------- privacy


def test_no_output_shows_a_full_phone_without_reveal(jiesu, tmp_path):
    phone, landline = "13812345678", "01065123456"
    for n in range(3):
        case_id = jiesu.new(f"噪音 {n}", "--phone", phone, "--community", "前门社区", "--category", "噪音",
                            "--nature", "合理诉求", "--received", f"-{n + 1}h")
    jiesu.new("座机来电", "--phone", "010-65123456")
    jiesu.ok("ledger", "add", case_id, "--plan", "整改", "--unit", "城管")
    outputs = []
    for args in (
        ["list", "-f", "json"], ["list", "-f", "csv"], ["list", "-f", "table"], ["show", "1", "-f", "json"],
        ["show", "1", "-f", "table"], ["export", "-f", "csv"], ["export", "-f", "json"], ["export", "-f", "jsonl"],
        ["export", "-f", "open311-json"], ["export", "-f", "open311-xml"], ["report", "daily", "-f", "json"],
        ["report", "daily", "-f", "markdown"], ["report", "monthly", "-f", "csv"], ["ledger", "export"],
        ["ledger", "list", "-f", "json"], ["hotspots", "-f", "json"], ["list", "--due-escalation", "-f", "json"],
    ):
        result = jiesu.ok(*args)
        outputs.append(result.stdout + result.stderr)
    text = "\n".join(outputs)
    assert phone not in text and landline not in text and "010-65123456" not in text
    assert "138****5678" in text
    assert phone in jiesu.ok("show", "1", "--reveal", "-f", "json").stdout


@pytest.mark.parametrize("args", [
    ("list", "--as-of", "garbage", "-f", "json"),
    ("list", "--since", "garbage", "-f", "json"),
    ("ledger", "list", "--period", "2026-13", "-f", "json"),
    ("list", "--as-of", "garbage", "-f", "csv"),
])
def test_a_command_refused_when_its_query_runs_writes_nothing_to_stdout(jiesu, args):
    """The tester's case: a JSON list refused only once its rows were asked for left a lone `[`
    on stdout, which a script reads as broken JSON rather than as nothing."""
    jiesu.new("楼道灯不亮")
    result = jiesu(*args)
    assert result.exit_code == 2 and result.stderr.startswith("错误: ")  # a value no book could take: a usage error
    assert result.stdout == ""
