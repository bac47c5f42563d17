"""Measure jiesu against its baselines, side by side, and print a Markdown table.

    python bench/run.py [--cases N] [--data bench/data] [--only import|resident|export|report|page|ledger ...]

Builds (or reuses) a case book of N cases with bench/generate.py, then runs
every measure of the speed-and-scale issue in this one process tree, each
next to the baseline it is judged against, and prints: measure, jiesu,
baseline, ratio, target, pass/fail. Not run in CI: it takes minutes.
Where valgrind is installed, the start-up rows are also counted in
instructions, which the machine's noise does not move.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import generate  # noqa: E402

PYTHON = sys.executable
JIESU = [PYTHON, "-m", "jiesu"]


@dataclass
class Row:
    measure: str
    jiesu: float
    baseline: float | None
    unit: str
    target: str
    ok: bool | None  # None: shown for understanding, not judged
    digits: int = 3

    def __post_init__(self) -> None:
        print(f"  measured: {self.measure}: {self.jiesu:.{self.digits}f} {self.unit}", file=sys.stderr)

    def cells(self) -> list[str]:
        ratio = f"{self.jiesu / self.baseline:.2f}×" if self.baseline else "—"
        base = f"{self.baseline:.{self.digits}f} {self.unit}" if self.baseline is not None else "—"
        return [self.measure, f"{self.jiesu:.{self.digits}f} {self.unit}", base, ratio, self.target, "—" if self.ok is None else "pass" if self.ok else "FAIL"]


def timed(command: list[str], *, env: dict, repeat: int, stdin: bytes | None = None) -> float:
    """Median wall time of `command` over `repeat` runs (after one warm-up)."""
    return side_by_side({"": command}, env=env, repeat=repeat, stdin=stdin)[""]


def side_by_side(commands: dict[str, list[str]], *, env: dict, repeat: int, stdin: bytes | None = None) -> dict[str, float]:
    """Median wall time of each command over `repeat` runs, the commands taking turns.

    The machine's speed drifts by a third within minutes; taking turns puts both
    sides of every ratio in the same minutes, so the drift falls on both.
    """
    for command in commands.values():
        _once(command, env, stdin)  # warm-up: the page cache, the byte-code cache
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, command in commands.items():
            samples[label].append(_once(command, env, stdin))
    return {label: statistics.median(times) for label, times in samples.items()}


def _once(command: list[str], env: dict, stdin: bytes | None) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if result.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.decode()[-500:]}")
    return time.perf_counter() - started


def instructions(command: list[str], env: dict) -> float:
    """Millions of instructions `command` executes, counted by valgrind's callgrind.

    Unlike seconds, the count is the same for the same program and input whatever
    else the machine is doing, so a start-up ratio can be read to the percent.
    """
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command], env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode not in (0, 3) or not found:
        raise SystemExit(f"valgrind {' '.join(command)} failed: {run.stderr[-500:]}")
    return int(found.group(1)) / 1e6


def compile_jiesu() -> None:
    """Byte-compile jiesu as pip does on install, so no run pays for compiling its sources
    (an editable checkout under PYTHONDONTWRITEBYTECODE would, on every run)."""
    import compileall

    import jiesu

    compileall.compile_dir(Path(jiesu.__file__).parent, quiet=1)


def insert_floor(imported: Path, scratch: Path) -> float:
    """Seconds to insert an imported book's cases and events again, already checked and
    converted, through the same driver executemany in the same 2,000-row transactions,
    into the same schema (with the triggers that keep month_rates): what the import would cost
    if checking every row were free."""
    import sqlite3

    source = sqlite3.connect(imported)
    floor = scratch / "floor.db"
    target = sqlite3.connect(floor, isolation_level=None)
    target.execute("PRAGMA journal_mode = WAL")
    target.execute("PRAGMA synchronous = FULL")
    for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('cases', 'events', 'month_rates') AND sql IS NOT NULL ORDER BY type != 'table'"
    ):
        target.execute(sql)
    cases = source.execute("SELECT * FROM cases ORDER BY id").fetchall()
    events = source.execute("SELECT * FROM events ORDER BY id").fetchall()
    started = time.perf_counter()
    for start in range(0, len(cases), 2000):
        target.execute("BEGIN IMMEDIATE")
        target.executemany(f"INSERT INTO cases VALUES ({', '.join('?' * len(cases[0]))})", cases[start : start + 2000])
        target.executemany(f"INSERT INTO events VALUES ({', '.join('?' * len(events[0]))})", events[start : start + 2000])
        target.execute("COMMIT")
    return time.perf_counter() - started


IMPORT_ROWS = 100_000
IMPORT_PEAK_ROWS = 1_000_000


def import_rows(data: Path, scratch: Path, env: dict, repeat: int) -> list[Row]:
    """`jiesu import` of a 12345 CSV against `sqlite-utils insert --csv` of the same file (a fresh
    book and database each run, taking turns), then the peak memory of importing a million rows.

    In process (JIESU_SERVER=0), as sqlite-utils runs; and beside it as a user runs it by
    default, the installed `jiesu` handing the command to its resident process (started first,
    not timed). The CSVs are made once in `data`.
    """
    env = env | {"JIESU_SERVER": "0"}
    resident = env | {"JIESU_SERVER": "1", "JIESU_RUNTIME_DIR": str(scratch / "run")}
    script = str(Path(PYTHON).with_name("jiesu"))
    csv_path = _hotline(data, IMPORT_ROWS)
    book, plain, served = scratch / "import.db", scratch / "sqlite-utils.db", scratch / "import-resident.db"
    commands = {
        "jiesu": ([*JIESU, "--db", str(book), "import", str(csv_path)], env),
        "resident": ([script, "--db", str(served), "import", str(csv_path)], resident),
        "sqlite-utils": ([PYTHON, "-m", "sqlite_utils", "insert", str(plain), "cases", str(csv_path), "--csv"], env),
        "sqlite3": (["sqlite3", str(plain), "-cmd", ".mode csv", f".import {csv_path} cases"], env),
    }
    subprocess.run([script, "--version"], env=resident, capture_output=True, check=True)
    _wait_for_resident(resident)
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, (command, its_env) in commands.items():
            for made in (book, plain, served):
                for part in (made, made.with_name(made.name + "-wal"), made.with_name(made.name + "-shm")):
                    part.unlink(missing_ok=True)
            samples[label].append(_once(command, its_env, None))
    subprocess.run([script, "server", "stop"], env=resident, capture_output=True)
    took = {label: statistics.median(times) for label, times in samples.items()}
    found = [
        Row(f"import {IMPORT_ROWS:,} rows (12345 layout) vs sqlite-utils insert --csv", took["jiesu"], took["sqlite-utils"], "s",
            "≤ 1× sqlite-utils insert --csv", False),
        Row(f"import {IMPORT_ROWS:,} rows, resident process (as run by default) vs sqlite-utils insert --csv", took["resident"],
            took["sqlite-utils"], "s", "≤ 1× sqlite-utils insert --csv", False),
        Row(f"import {IMPORT_ROWS:,} rows (12345 layout) vs sqlite3 .import", took["jiesu"], took["sqlite3"], "s",
            "≤ 10× sqlite3 .import", False),
    ]
    subprocess.run(commands["jiesu"][0], env=env, check=True, capture_output=True)
    floor = insert_floor(book, scratch)
    found.append(Row("… of which no check can save: the same rows, checked, re-inserted", floor, took["sqlite3"], "s", "—", None))
    million = _hotline(data, IMPORT_PEAK_ROWS)
    big = scratch / "import-1m.db"
    rss = peak_rss_mb([*JIESU, "--db", str(big), "import", str(million)], env)
    found.append(Row(f"import {IMPORT_PEAK_ROWS:,} rows: peak memory", rss, None, "MB", "≤ 100 MB", rss <= 100))
    return found


def _hotline(data: Path, count: int) -> Path:
    path = data / f"hotline-{count}.csv"
    if not path.exists():
        print(f"writing a 12345 CSV of {count:,} rows into {path} …", file=sys.stderr)
        generate.hotline_csv(path, count, now=datetime.now(timezone.utc))
    return path


def peak_rss_mb(command: list[str], env: dict) -> float:
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PYTHON, "-c", probe, *command], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def build(path: Path, cases: int, **kwargs) -> None:
    if path.exists():
        print(f"reusing {path}", file=sys.stderr)
        return
    print(f"generating {cases:,} cases into {path} …", file=sys.stderr)
    generate.generate(path, cases, now=datetime.now(timezone.utc), **kwargs)


def captured_report_sql(book: Path) -> str:
    """The very statements `report daily` runs, parameters inlined, as a script for the sqlite3 shell.

    That is the fairest baseline: the database's own work for the same report,
    without Python, SQLAlchemy or jiesu around it.
    """
    from sqlalchemy import event

    from jiesu import reports
    from jiesu.db import open_store
    from jiesu.office import Office
    from jiesu.rules import DEFAULT_RULES

    store = open_store(str(book))
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(_inline(statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    reports.daily(Office(store=store, rules=DEFAULT_RULES, actor="bench"))
    store.close()
    return ";\n".join(statements) + ";\n"


def _inline(statement: str, parameters) -> str:
    parts = statement.split("?")
    out = [parts[0]]
    for value, rest in zip(parameters, parts[1:]):
        out.append(f"'{value}'" if isinstance(value, str) else "NULL" if value is None else str(value))
        out.append(rest)
    return "".join(out)


def beyond_startup(command: list[str], startup: list[str], *, env: dict, repeat: int) -> float:
    """Median of (command − a bare start-up) measured back to back, so machine drift cancels out."""
    differences = []
    for _ in range(repeat):
        differences.append(timed(command, env=env, repeat=1) - timed(startup, env=env, repeat=1))
    return statistics.median(differences)


def cpu_seconds(command: list[str], env: dict) -> float:
    """User + system CPU seconds `command` took: steadier than wall time on a shared machine."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _once(command, env, None)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def report_rows(book: Path, sql_file: Path, env: dict, repeat: int) -> list[Row]:
    """`report daily` counted beyond start-up (less a `show 1`, which opens the same book),
    next to `sqlite3` running the very SQL it ran, in CPU seconds, the three taking turns."""
    in_process = env | {"JIESU_SERVER": "0"}
    commands = {
        "sqlite3": ["sqlite3", str(book), f".read {sql_file}"],
        "report": [*JIESU, "report", "daily", "-f", "json"],
        "start-up": [*JIESU, "show", "1", "-f", "json"],
    }
    for command in commands.values():
        _once(command, in_process, None)  # warm-up: the page cache, the byte-code cache
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, command in commands.items():
            samples[label].append(cpu_seconds(command, in_process))
    beyond = statistics.median(r - s for r, s in zip(samples["report"], samples["start-up"]))
    sqlite = statistics.median(samples["sqlite3"])
    whole = statistics.median(samples["report"])
    cases = _cases(book)
    return [
        Row(f"report daily ({cases:,} cases) beyond start-up vs the same SQL in sqlite3, CPU", beyond, sqlite, "s", "≤ 2× sqlite3 running the same SQL", False),
        Row("… the whole report daily command, CPU", whole, sqlite, "s", "—", None),
    ]


def export_rows(book: Path, env: dict, repeat: int) -> list[Row]:
    """The CSV export's CPU per case in this process: today's path against the one before it
    (each case a JSON-ready record, then a cell list: what the JSON export still does), and
    Python's csv module writing the same columns straight from sqlite3 as the floor; then the
    whole `jiesu export` command."""
    import csv
    import sqlite3

    from jiesu import exchange, render
    from jiesu.db import open_store
    from jiesu.models import CASE_FIELDS
    from jiesu.office import Office
    from jiesu.rules import DEFAULT_RULES

    store = open_store(str(book))
    office = Office(store=store, rules=DEFAULT_RULES, actor="bench")
    everything = exchange.CaseSelection()

    def before(out) -> None:
        render.write_csv(exchange.case_rows(office, everything, reveal=False), CASE_FIELDS, out)

    def today(out) -> None:
        render.write_csv_batches(exchange.case_cell_batches(office, everything, reveal=False), CASE_FIELDS, out)

    def floor(out) -> None:
        source = sqlite3.connect(book)
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CASE_FIELDS)
        writer.writerows(source.execute(f"SELECT {', '.join(CASE_FIELDS)} FROM cases ORDER BY id"))
        source.close()

    cases = _cases(book)
    samples: dict[str, list[float]] = {"before": [], "today": [], "floor": []}
    for _ in range(repeat):
        for label, write in (("before", before), ("today", today), ("floor", floor)):
            with open(os.devnull, "w", encoding="utf-8", newline="") as out:
                started = time.process_time()
                write(out)
                samples[label].append((time.process_time() - started) / cases * 1e6)
    store.close()
    per_case = {label: statistics.median(values) for label, values in samples.items()}
    with tempfile.TemporaryDirectory() as scratch:
        command = [*JIESU, "export", "--format", "csv", "--out", str(Path(scratch) / "all.csv")]
        whole = statistics.median(cpu_seconds(command, env | {"JIESU_SERVER": "0"}) for _ in range(max(1, repeat // 2))) / cases * 1e6
    return [
        Row(f"export --format csv of {cases:,} cases, CPU per case, vs the path before (in process)", per_case["today"], per_case["before"], "µs", "≤ 0.5× the path before", False, digits=1),
        Row("… vs Python's csv module writing the same columns from sqlite3 (the floor)", per_case["today"], per_case["floor"], "µs", "—", None, digits=1),
        Row("… the whole `jiesu export` command, CPU per case (63 µs before this round)", whole, None, "µs", "—", None, digits=1),
    ]


def report_page_rows(book: Path, env: dict, repeat: int, scratch: Path) -> list[Row]:
    """The printable monthly report (`report monthly --format html`), run here (not by the resident
    process), beyond start-up: warm — its trend's ended months kept, as every page of a month but
    the first — then the first page of a month (the month just ended not kept yet), and the first
    page after upgrading (nothing kept)."""
    here = env | {"JIESU_SERVER": "0"}
    startup = [*JIESU, "show", "1", "-f", "json"]
    page = [*JIESU, "report", "monthly", "--format", "html", "--out", str(scratch / "月报.html")]
    last_month = [*page, "--period", _previous_month()]
    _once(startup, here, None)  # a book made by an older jiesu is upgraded first (month_rates)

    def cold(forget: str) -> float:
        times = []
        for _ in range(max(1, repeat // 2)):
            subprocess.run([PYTHON, "-c", FORGET, str(book), forget], check=True)
            times.append(_once(page, here, None) - timed(startup, env=here, repeat=1))
        return statistics.median(times)

    first_ever = cold("DELETE FROM month_rates")
    first_of_month = cold("DELETE FROM month_rates WHERE starts_at = (SELECT max(starts_at) FROM month_rates)")
    warm = beyond_startup(page, startup, env=here, repeat=repeat)
    previous = beyond_startup(last_month, startup, env=here, repeat=repeat)
    cases = _cases(book)
    return [
        Row(f"report monthly --format html, months kept ({cases:,} cases): beyond start-up", warm, None, "s", "< 2 s", warm < 2),
        Row("… the first page of a month (the month just ended not kept yet)", first_of_month, None, "s", "—", None),
        Row("… the first page after upgrading (no month kept)", first_ever, None, "s", "—", None),
        Row("… report monthly --period <last month> --format html, months kept", previous, None, "s", "—", None),
    ]


FORGET = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()"


def ledger_rows(env: dict, repeat: int, scratch: Path) -> list[Row]:
    """`ledger roll` of a month that has ended (one still running cannot be rolled) with 10,000
    open entries, beyond a bare start-up (`show 1` on the same book)."""
    ledger_book = scratch / "ledger.db"
    month_start = datetime.now(timezone.utc).astimezone(generate.BJ).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    generate.generate(ledger_book, 12_000, now=month_start - timedelta(minutes=1), ledger_open=10_000, days=15)
    period = _previous_month()
    ledger_env = env | {"JIESU_DB": str(ledger_book)}
    from jiesu.db import open_store

    with open_store(str(ledger_book)).connect() as conn:
        open_entries = conn.exec_driver_sql("SELECT count(*) FROM ledger_entries WHERE status = 'open'").scalar()
        first = conn.exec_driver_sql("SELECT min(period) FROM ledger_moves").scalar()
    for earlier in _periods(first, period)[:-1]:
        subprocess.run([*JIESU, "ledger", "roll", earlier], env=ledger_env, check=True, capture_output=True)
    bare = timed([*JIESU, "show", "1", "-f", "json"], env=ledger_env, repeat=repeat)
    started = time.perf_counter()
    subprocess.run([*JIESU, "ledger", "roll", period], env=ledger_env, check=True, capture_output=True)
    roll = time.perf_counter() - started - bare
    return [Row(f"ledger roll of {open_entries:,} open entries: beyond start-up", roll, None, "s", "≤ 2 s", roll <= 2)]


def _previous_month() -> str:
    first = datetime.now(timezone.utc).astimezone(generate.BJ).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def resident_rows(book: Path, sql_file: Path, env: dict, repeat: int) -> list[Row]:
    """One-shot commands through the installed `jiesu` and its resident process, each next to
    `python -c pass` and, where installed, Taskwarrior's `task` doing the same on as many tasks."""
    script = str(Path(PYTHON).with_name("jiesu"))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "book.db"
        shutil.copyfile(book, work)  # `new` and `assign` write
        resident = env | {"JIESU_DB": str(work), "JIESU_SERVER": "1", "JIESU_RUNTIME_DIR": str(Path(scratch) / "run")}
        subprocess.run([script, "--version"], env=resident, capture_output=True, check=True)
        _wait_for_resident(resident)
        task = _taskwarrior(book, Path(scratch)) if shutil.which("task") else None
        both = resident | (task or {})
        for label, ours, theirs in (
            ("show 1", ["show", "1", "-f", "json"], ["5", "info"]),
            ("list --limit 20", ["list", "--limit", "20", "-f", "json"], ["list", "limit:20"]),
            ("new … -q", ["new", "楼道灯不亮", "--phone", "13812345678", "--community", "前门社区", "-q"], ["add", "楼道灯不亮", "project:前门社区"]),
            ("todo --assignee 物业公司", ["todo", "--assignee", "物业公司", "-f", "json"], ["next"]),
            ("todo (the whole book)", ["todo", "-f", "json"], ["next"]),
        ):
            commands = {"pass": [PYTHON, "-c", "pass"], "jiesu": [script, *ours]}
            if task:
                commands["task"] = ["task", *theirs]
            timed_ = side_by_side(commands, env=both, repeat=repeat * 2)
            rows.append(Row(f"{label}, resident process ({_cases(book):,} cases) vs python -c pass", timed_["jiesu"], timed_["pass"], "s", "≤ 3× python -c pass", False))
            if task:
                rows.append(Row(f"{label}, resident process vs Taskwarrior `task {' '.join(theirs)}`", timed_["jiesu"], timed_["task"], "s", "≤ 1.5× task", False))
        # each `assign` needs a case not yet assigned to that person, each `close` an assigned
        # case with its 上门 logged: one case per run (the 上门 logged beforehand, not timed)
        runs = repeat * 2 + 1
        assigning = _open_cases(work, "status = 'new'", runs)
        closing = _open_cases(work, "status = 'assigned' AND nature = 'reasonable'", runs)
        for case in closing:
            subprocess.run([script, "visit", str(case), "--note", "上门查看"], env=resident, capture_output=True, check=True)
        for label, ours, theirs, shown in (
            ("assign", lambda n: ["assign", str(assigning[n]), "王师傅"], lambda n: [str(n + 1), "modify", "project:王师傅"], "task N modify project:…"),
            # the highest pending ids first: completing one never renumbers those still to come
            ("close", lambda n: ["close", str(closing[n]), "--result", "resolved", "--note", "已办结"], lambda n: [str(runs + 100 - n), "done"], "task N done"),
        ):
            samples: dict[str, list[float]] = {"pass": [], "jiesu": [], "task": []}
            for n in range(runs):
                for side, command in (("pass", [PYTHON, "-c", "pass"]), ("jiesu", [script, *ours(n)]), ("task", ["task", *theirs(n)])):
                    if side != "task" or task:
                        samples[side].append(_once(command, both, None))
            timed_ = {side: statistics.median(times[1:]) for side, times in samples.items() if times}
            rows.append(Row(f"{label}, resident process ({_cases(book):,} cases) vs python -c pass", timed_["jiesu"], timed_["pass"], "s", "≤ 3× python -c pass", False))
            if task:
                rows.append(Row(f"{label}, resident process vs Taskwarrior `{shown}`", timed_["jiesu"], timed_["task"], "s", "≤ 1.5× task", False))
        report = side_by_side(
            {"sqlite3": ["sqlite3", str(work), f".read {sql_file}"], "jiesu": [script, "report", "daily", "-f", "json"]}, env=resident, repeat=repeat
        )
        rows.append(Row("report daily, resident process, vs the same SQL in sqlite3", report["jiesu"], report["sqlite3"], "s", "≤ 3× sqlite3 running the same SQL", False))
        subprocess.run([script, "server", "stop"], env=resident, capture_output=True)
    return rows


def table_rows(book: Path, env: dict, repeat: int) -> list[Row]:
    """`todo` and `list` drawn as tables on a terminal 80 columns wide, against the same command as
    JSON to a pipe, taking turns, in process. `TTY_COMPATIBLE=1` makes Rich draw for a terminal, bold
    header and all, into the pipe (Rich 15 no longer reads FORCE_TERMINAL); `--format table` is what a
    terminal gets by default."""
    here = env | {"JIESU_DB": str(book), "JIESU_SERVER": "0", "COLUMNS": "80", "TTY_COMPATIBLE": "1"}
    import sqlite3

    opened = sqlite3.connect(book).execute("SELECT count(*) FROM cases WHERE status IN ('new', 'assigned', 'ledgered')").fetchone()[0]
    rows = []
    for label, command in (("todo", ["todo"]), ("list", ["list"])):
        timed_ = side_by_side({"table": [*JIESU, *command, "--format", "table"], "json": [*JIESU, *command, "--format", "json"]}, env=here, repeat=repeat)
        rows.append(Row(f"{label} as a table, 80 columns ({opened:,} open cases), vs {label} --format json", timed_["table"], timed_["json"], "s", "≤ 1.5× the JSON", timed_["table"] <= 1.5 * timed_["json"]))
    return rows


def _wait_for_resident(env: dict) -> None:
    script = str(Path(PYTHON).with_name("jiesu"))
    for _ in range(600):
        if "运行中" in subprocess.run([script, "server", "status"], env=env, capture_output=True, text=True).stdout:
            return
        time.sleep(0.2)
    raise SystemExit("the resident jiesu process did not start")


def _cases(book: Path) -> int:
    import sqlite3

    return sqlite3.connect(book).execute("SELECT count(*) FROM cases").fetchone()[0]


def _open_cases(book: Path, where: str, count: int) -> list[int]:
    import sqlite3

    found = sqlite3.connect(book).execute(f"SELECT id FROM cases WHERE {where} ORDER BY id LIMIT ?", (count,))
    return [case for (case,) in found]


def _taskwarrior(book: Path, scratch: Path) -> dict:
    """A Taskwarrior data directory with a task per case (open ones pending, the rest completed)."""
    import json
    import sqlite3
    import uuid

    data = scratch / "task"
    data.mkdir()
    rc = scratch / "taskrc"
    rc.write_text(f"data.location={data}\nconfirmation=no\nverbose=nothing\nnews.version=2.6.2\n", encoding="utf-8")
    tasks = scratch / "tasks.json"
    with tasks.open("w", encoding="utf-8") as out, sqlite3.connect(book) as source:
        for summary, community, status in source.execute("SELECT summary, community, status FROM cases ORDER BY id"):
            done = status not in ("new", "assigned")
            task = {"uuid": str(uuid.uuid4()), "description": summary, "project": community or "无", "entry": "20260101T000000Z",
                    "status": "completed" if done else "pending"} | ({"end": "20260102T000000Z"} if done else {})
            out.write(json.dumps(task, ensure_ascii=False) + "\n")
    env = {"TASKRC": str(rc)}
    subprocess.run(["task", "import", str(tasks)], env=os.environ | env, capture_output=True, check=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--only",
        choices=["import", "resident", "export", "report", "page", "ledger", "tables"],
        action="append",
        help="only these rows (repeatable): `jiesu import`; one-shot commands through the resident process; the CSV export; report daily beyond start-up; the printable monthly report; the ledger's month-end roll; todo and list drawn as tables on a terminal",
    )
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    only = set(args.only or ())
    if "import" in only:  # needs no case book
        compile_jiesu()
        with tempfile.TemporaryDirectory() as scratch:
            rows = import_rows(args.data, Path(scratch), os.environ | {"JIESU_ACTOR": "bench"}, args.repeat)
        _print(rows, IMPORT_ROWS)
        return
    if "tables" in only:  # its own book: a busy fortnight, half its cases still open
        open_book = args.data / f"open-{args.cases}.db"
        build(open_book, args.cases, days=10)
        compile_jiesu()
        _print(table_rows(open_book, os.environ | {"JIESU_ACTOR": "bench"}, args.repeat), args.cases)
        return
    book = args.data / f"cases-{args.cases}.db"
    build(book, args.cases, ledger_open=2_000)
    if only & {"export", "report", "page", "ledger"}:
        compile_jiesu()
        env = os.environ | {"JIESU_DB": str(book), "JIESU_ACTOR": "bench", "COLUMNS": "120"}
        rows = []
        if "report" in only:
            sql_file = args.data / "report-daily.sql"
            sql_file.write_text(captured_report_sql(book), encoding="utf-8")
            rows += report_rows(book, sql_file, env, args.repeat)
        if "export" in only:
            rows += export_rows(book, env, min(args.repeat, 3))
        with tempfile.TemporaryDirectory() as scratch:
            if "page" in only:
                rows += report_page_rows(book, env, args.repeat, Path(scratch))
            if "ledger" in only:
                rows += ledger_rows(env, args.repeat, Path(scratch))
        _print(rows, args.cases)
        return
    shell_book = args.data / "cases-100000.db"
    build(shell_book, 100_000)
    env = os.environ | {"JIESU_DB": str(book), "JIESU_ACTOR": "bench", "COLUMNS": "120"}
    rows: list[Row] = []
    r = args.repeat

    compile_jiesu()
    if "resident" in only:
        sql_file = args.data / "report-daily-100000.sql"
        sql_file.write_text(captured_report_sql(shell_book), encoding="utf-8")
        rows += resident_rows(shell_book, sql_file, env, r)
        _print(rows, args.cases)
        return
    help_ = side_by_side({"pass": [PYTHON, "-c", "pass"], "help": [*JIESU, "--help"]}, env=env, repeat=r * 4)
    rows.append(Row("start-up: jiesu --help", help_["help"], help_["pass"], "s", "≤ 8× python -c pass", False))
    starts = side_by_side(
        {
            "deps": [PYTHON, "-c", "import sqlmodel, typer, rich"],
            "start-up: show 1": [*JIESU, "show", "1", "-f", "json"],
            "start-up: list --limit 20": [*JIESU, "list", "--limit", "20", "-f", "json"],
        },
        env=env,
        repeat=r * 4,
    )
    for label in ("start-up: show 1", "start-up: list --limit 20"):
        rows.append(Row(label, starts[label], starts["deps"], "s", "≤ 1.15× importing deps", False))
    if shutil.which("valgrind"):
        counted = {
            label: instructions(command, env)
            for label, command in (
                ("pass", [PYTHON, "-c", "pass"]),
                ("help", [*JIESU, "--help"]),
                ("deps", [PYTHON, "-c", "import sqlmodel, typer, rich"]),
                ("show", [*JIESU, "show", "1", "-f", "json"]),
                ("list", [*JIESU, "list", "--limit", "20", "-f", "json"]),
            )
        }
        for label, measure, baseline, target in (
            ("help", "start-up: jiesu --help, in instructions", "pass", "≤ 8× python -c pass"),
            ("show", "start-up: show 1, in instructions", "deps", "≤ 1.15× importing deps"),
            ("list", "start-up: list --limit 20, in instructions", "deps", "≤ 1.15× importing deps"),
        ):
            rows.append(Row(measure, counted[label], counted[baseline], "M instr.", target, False, digits=1))

    shell_env = env | {"JIESU_DB": str(shell_book)}
    commands = "".join(f"show {n}\nlist --limit 20 --community 前门社区\nlist --overdue --limit 50\n" for n in range(1, 101))
    one = timed([*JIESU, "shell"], env=shell_env, repeat=3, stdin=b"show 1\n")
    many = timed([*JIESU, "shell"], env=shell_env, repeat=3, stdin=commands.encode())
    per_command = (many - one) / 299
    rows.append(Row("shell: each command after the first (100k cases)", per_command, None, "s", "≤ 0.050 s", per_command <= 0.05))

    sql_file = args.data / "report-daily.sql"
    sql_file.write_text(captured_report_sql(book), encoding="utf-8")
    report = side_by_side(
        {"sqlite3": ["sqlite3", str(book), f".read {sql_file}"], "jiesu": [*JIESU, "report", "daily", "-f", "json"]},
        env=env,
        repeat=r,
    )
    rows.append(Row(f"report daily ({args.cases:,} cases) vs the same SQL in sqlite3", report["jiesu"], report["sqlite3"], "s", "≤ 2× sqlite3 running the same SQL", False))
    rows += report_rows(book, sql_file, env, r)
    rows += resident_rows(shell_book, sql_file, env, r)

    startup = [*JIESU, "show", "1", "-f", "json"]
    for label, command in (
        ("list --overdue --limit 50", ["list", "--overdue", "--limit", "50", "-f", "json"]),
        ("list --search 漏雨 --limit 50", ["list", "--search", "漏雨", "--limit", "50", "-f", "json"]),
        (f"show {args.cases // 2}", ["show", str(args.cases // 2), "-f", "json"]),
        ("hotspots --days 7", ["hotspots", "--days", "7", "-f", "json"]),
    ):
        work = beyond_startup([*JIESU, *command], startup, env=env, repeat=r)
        rows.append(Row(f"{label}: work beyond start-up", work, None, "s", "≤ 0.5 s", work <= 0.5))

    with tempfile.TemporaryDirectory() as scratch:
        rows += report_page_rows(book, env, r, Path(scratch))
        rows += ledger_rows(env, r, Path(scratch))

        rss = peak_rss_mb([*JIESU, "export", "--format", "csv", "--out", str(Path(scratch) / "all.csv")], env | {"JIESU_SERVER": "0"})
        rows.append(Row(f"export --format csv of {args.cases:,} cases: peak memory", rss, None, "MB", "≤ 150 MB", rss <= 150))
        rows += export_rows(book, env, min(r, 3))

        rows += import_rows(args.data, Path(scratch), env, r)

    size = book.stat().st_size / args.cases / 1024
    rows.append(Row("size on disk per case (with history)", size, None, "KB", "< 2 KB", size < 2))

    _print(rows, args.cases)


def _print(rows: list[Row], cases: int) -> None:
    for row in rows:
        if row.target.startswith("≤ ") and "×" in row.target:
            factor = float(row.target.split("×")[0][2:])
            row.ok = row.jiesu <= factor * row.baseline
    print(f"\n{cases:,} cases · {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · SQLite {_sqlite_version()} · "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n")
    header = ["measure", "jiesu", "baseline", "ratio", "target", "result"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")


def _periods(first: str | None, last: str) -> list[str]:
    from jiesu.ledger import next_period

    periods, current = [], first or last
    while current <= last:
        periods.append(current)
        current = next_period(current)
    return periods


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    if not shutil.which("sqlite3"):
        raise SystemExit("the sqlite3 command-line tool is needed for the baselines (apt-get install sqlite3)")
    main()
