"""Make a realistic jiesu case book of any size, fast, for benchmarks.

The schema comes from jiesu itself (open_store runs the migrations); rows go
in through sqlite3's executemany in the exact formats jiesu stores, because
filing a million cases one command at a time would take hours. The mix:
three years of cases, most closed and revisited, a tail still open or
overdue, repeat callers, seasonal heating and roof-leak complaints, merged
duplicates, and ledger entries.

    python bench/generate.py PATH --cases 1000000
    python bench/generate.py PATH --hotline-csv OUT.csv --rows 100000
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from jiesu.db import open_store  # noqa: E402
from jiesu.textsearch import derived  # noqa: E402

UTC = timezone.utc
BJ = timezone(timedelta(hours=8))
COMMUNITIES = [f"{name}社区" for name in (
    "前门", "大栅栏", "草厂", "鲜鱼口", "西河沿", "观澜时代", "兴华", "天桥", "永定门", "陶然亭",
    "白纸坊", "广安门", "牛街", "椿树", "金融街", "月坛", "展览路", "德胜", "新街口", "什刹海",
)]
CATEGORIES = [
    ("物业管理/漏水", "楼上漏水，天花板滴水"), ("物业管理/下水管道", "下水管道堵塞返味"), ("物业管理/电梯", "电梯故障停运"),
    ("物业管理/设施", "楼道感应灯不亮"), ("交通/停车", "小区门口乱停车堵路"), ("环境/噪音", "夜间施工噪音扰民"),
    ("环境/油烟", "餐馆油烟扰民"), ("城市管理/违建", "院内私搭乱建违建"), ("市政/路灯", "路灯不亮"),
    ("市政/井盖", "井盖松动有异响"), ("房屋管理/群租房", "群租房人员混杂"), ("消费维权/预付卡", "健身房闭店无法退费"),
    ("供暖/不热", "暖气不热室温低"), ("供暖/漏水", "暖气片漏水"), ("房屋管理/漏雨", "顶层漏雨墙皮脱落"),
    ("供水/停水", "突然停水无通知"), ("供电/停电", "楼内频繁停电"), ("政策咨询/老年人", "咨询老年卡办理"),
    ("环境/垃圾", "垃圾清运不及时"), ("绿化/树木", "树枝遮挡窗户"),
]
SEASONAL = {"供暖/不热": (11, 12, 1, 2, 3), "供暖/漏水": (11, 12, 1), "房屋管理/漏雨": (6, 7, 8)}
UTILITY_WORDS = ("供水", "停水", "供电", "停电", "供暖", "暖气", "燃气")
NATURES = ["reasonable"] * 7 + ["unreasonable"] + ["consult"] * 2
TRACK = {"reasonable": "handle", "unreasonable": "persuade", "consult": "discuss"}
RESULT = {"reasonable": "resolved", "unreasonable": "explained", "consult": "answered"}
UNITS = ["物业公司", "街道城管科", "热力公司", "自来水公司", "街道综合执法队", "社区居委会"]


def stamp(moment: datetime | None) -> str | None:
    """The way SQLAlchemy stores an aware datetime in jiesu's UTC column on SQLite."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def pick_category(rng: random.Random, month: int) -> tuple[str, str]:
    for category, months in SEASONAL.items():
        if month in months and rng.random() < 0.12:
            return next(c for c in CATEGORIES if c[0] == category)
    return rng.choice(CATEGORIES)


class _SQLite:
    """Rows into a SQLite store through executemany."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA synchronous = OFF")

    def put(self, table: str, rows: list[tuple]) -> None:
        if rows:
            self.conn.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})", rows)

    def commit(self) -> None:
        self.conn.commit()

    def finish(self) -> None:
        self.conn.execute("PRAGMA optimize")
        self.conn.execute("ANALYZE")
        self.conn.commit()
        self.conn.close()


class _Postgres:
    """Rows into a PostgreSQL store through COPY; the history triggers are paused while loading."""

    BOOLEAN_COLUMNS = {"revisits": 5}

    def __init__(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self.conn = psycopg.connect(
            dbname=parsed.database, user=parsed.username, password=parsed.password,
            host=parsed.query.get("host") or parsed.host, port=parsed.query.get("port") or parsed.port,
        )
        self.conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        self.conn.execute("ALTER TABLE ledger_moves DISABLE TRIGGER USER")

    def put(self, table: str, rows: list[tuple]) -> None:
        boolean = self.BOOLEAN_COLUMNS.get(table)
        with self.conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                if boolean is not None:
                    row = (*row[:boolean], bool(row[boolean]), *row[boolean + 1:])
                copy.write_row([value + "+00" if _is_stamp(value) else value for value in row])

    def commit(self) -> None:
        self.conn.commit()

    def finish(self) -> None:
        self.conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
        self.conn.execute("ALTER TABLE ledger_moves ENABLE TRIGGER USER")
        for table in ("cases", "events", "revisits", "ledger_entries", "ledger_moves"):
            self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")
        self.conn.close()


def _is_stamp(value) -> bool:
    return isinstance(value, str) and len(value) == 26 and value[4] == "-" and value[10] == " " and value[19] == "."


def generate(
    path: Path | str, cases: int, *, now: datetime, seed: int = 12345, ledger_open: int = 0, days: int = 3 * 365
) -> None:
    """Fill a new store at `path` (a SQLite file, or a postgresql+psycopg:// URL of an empty database)."""
    store = open_store(str(path))
    store.close()
    rng = random.Random(seed)
    sink = _Postgres(str(path)) if "://" in str(path) else _SQLite(Path(path))
    span = timedelta(days=days)
    start = now - span
    step = span / max(cases, 1)
    phones = [f"1{rng.choice('38')}{rng.randrange(10**9):09d}" for _ in range(max(cases // 5, 10))]
    case_rows, event_rows, revisit_rows, entry_rows, move_rows = [], [], [], [], []
    event_id = revisit_id = entry_id = 0
    begun = time.monotonic()

    def flush() -> None:
        for table, rows in (("cases", case_rows), ("events", event_rows), ("revisits", revisit_rows),
                            ("ledger_entries", entry_rows), ("ledger_moves", move_rows)):
            sink.put(table, rows)
        sink.commit()
        for rows in (case_rows, event_rows, revisit_rows, entry_rows, move_rows):
            rows.clear()

    def event(case_id: int, at: datetime, actor: str, kind: str, note: str, changes: dict) -> None:
        nonlocal event_id
        event_id += 1
        # (…, undoes, recorded_at): each step written when it happened
        event_rows.append((event_id, case_id, stamp(at), actor, kind, note, json.dumps(changes, ensure_ascii=False), None, stamp(at)))

    ledger_left = ledger_open
    for case_id in range(1, cases + 1):
        received = start + step * case_id + timedelta(seconds=rng.randrange(600))
        local = received.astimezone(BJ)
        category, summary = pick_category(rng, local.month)
        community = rng.choice(COMMUNITIES)
        phone = rng.choice(phones)
        urgent = rng.random() < 0.04
        nature = rng.choice(NATURES)
        tier = "emergency" if urgent else "utility" if any(w in category for w in UTILITY_WORDS) else "general"
        respond_by = received + timedelta(hours=2 if urgent else 24)
        resolve_by = received + (timedelta(hours=2) if urgent else timedelta(hours=24) if tier == "utility" else timedelta(days=9))
        age = now - received
        assignee = rng.choice(UNITS)
        status, closed_at, result = "revisited", None, None
        reopen = 1 if rng.random() < 0.03 else 0
        if ledger_left and age < timedelta(days=20):
            status, ledger_left = "ledgered", ledger_left - 1
            nature = "reasonable"
        elif age < timedelta(days=10) and rng.random() < 0.5 or rng.random() < 0.004:
            status = rng.choice(["new", "assigned", "assigned"])
        elif rng.random() < 0.03:
            status = "merged"
        elif rng.random() < 0.1:
            status = "closed"
        if status == "new":
            assignee = None
        contacted = received + timedelta(minutes=rng.randrange(20, 60 * 30))
        if status in ("closed", "revisited"):
            closed_at = received + timedelta(hours=rng.randrange(3, 24 * 12))
            closed_at = max(received, min(closed_at, now - timedelta(minutes=5)))  # never before receipt (jiesu check)
            result = RESULT[nature]
        ended = closed_at or (received + timedelta(minutes=30) if status == "merged" else None)
        assigned = received + timedelta(minutes=10)
        if ended is not None:  # a closed or merged case takes no contact or assignment (jiesu check)
            contacted, assigned = min(contacted, ended), min(assigned, ended)
        responded_at = contacted if contacted < now else None
        address = f"{community[:-2]}{rng.randrange(1, 60)}号院{rng.randrange(1, 12)}号楼"
        name = rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["先生", "女士", "大爷", "阿姨"])
        text = f"{summary}，{address}"
        ref = f"BJ{local:%Y%m%d}{case_id:07d}" if rng.random() < 0.7 else None
        keys = derived({"summary": text, "address": address, "name": name, "category": category, "ref": ref})
        case_rows.append((
            case_id, ref, stamp(received), "hotline" if ref else rng.choice(["phone", "walkin", "online", "desk"]),
            "urgent" if urgent else "normal", category, text, "", name, phone, address, community,
            rng.choice(["complaint", "help", "consult", "report", "suggest"]), nature, TRACK[nature], tier,
            "community" if rng.random() < 0.9 else "street", assignee, status, stamp(respond_by), stamp(resolve_by),
            stamp(responded_at), stamp(closed_at), result, reopen, None if status != "merged" else max(1, case_id - 1),
            3, keys["search_text"], None, keys["address_key"], keys["category_key"],  # phone_ext (migration 5) before the keys (8)
            keys["ref_key"], 0,  # ref_key and ref_twin (migration 15)
        ))
        actor = rng.choice(["张丽", "王强", "李娜", "赵敏"])
        event(case_id, received, actor, "filed", "12345热线", {})
        if assignee:
            event(case_id, assigned, actor, "assigned", "", {"assignee": [None, assignee], "status": ["new", "assigned"]})
        if responded_at:
            event(case_id, responded_at, actor, "contacted", "电话联系诉求人", {"responded_at": [None, responded_at.isoformat()]})
        if closed_at:
            event(case_id, max(received, closed_at - timedelta(hours=1)), actor, "visited", "上门查看", {})
            event(case_id, closed_at, actor, "closed", "已处理", {"status": ["assigned", "closed"], "result": [None, result]})
        if status == "revisited":
            revisit_at = max(closed_at, min(closed_at + timedelta(days=1), now - timedelta(minutes=1)))
            revisit_id += 1
            satisfaction = rng.choices(["satisfied", "basic", "unsatisfied"], weights=[80, 15, 5])[0]
            revisit_rows.append((revisit_id, case_id, stamp(revisit_at), actor, satisfaction, satisfaction != "unsatisfied", ""))
            event(case_id, revisit_at, actor, "revisited", satisfaction, {"status": ["closed", "revisited"]})
        if status == "merged":
            before = "assigned" if assignee else "new"
            event(case_id, ended, actor, "merged", f"并入 #{case_id - 1}", {"status": [before, "merged"]})
        if status == "ledgered":
            entry_id += 1
            opened = received + timedelta(hours=2)
            entry_rows.append((entry_id, case_id, stamp(opened), f"{opened.astimezone(BJ):%Y-%m}", "协调产权单位整改",
                               rng.choice(UNITS), stamp(opened + timedelta(days=60)), "open", None, None))
            move_rows.append((entry_id, entry_id, stamp(opened), f"{opened.astimezone(BJ):%Y-%m}", "added"))
            event(case_id, opened, actor, "ledgered", f"台账 {entry_id}", {"status": ["assigned", "ledgered"]})
        if len(case_rows) >= 50_000:
            flush()
            print(f"  {case_id:,} cases, {time.monotonic() - begun:.0f} s", file=sys.stderr)
    flush()
    sink.finish()


def hotline_csv(path: Path, rows: int, *, now: datetime, seed: int = 7) -> None:
    """A 12345 platform spreadsheet of `rows` work orders (UTF-8), for import benchmarks."""
    rng = random.Random(seed)
    first = now - max(timedelta(days=30), timedelta(seconds=rows * 20, days=1))  # a million rows end before now too
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("工单编号,受理时间,诉求人,联系电话,诉求地址,所属社区,诉求类别,诉求类型,紧急程度,诉求内容\r\n")
        for n in range(rows):
            received = (first + timedelta(seconds=n * 20)).astimezone(BJ)
            category, summary = rng.choice(CATEGORIES)
            community = rng.choice(COMMUNITIES)
            out.write(
                f"GD{received:%Y%m%d}{n:07d},{received:%Y-%m-%d %H:%M:%S},{rng.choice('王李张刘陈')}先生,"
                f"1{rng.choice('38')}{rng.randrange(10**9):09d},{community[:-2]}{rng.randrange(1, 60)}号院,{community},"
                f"{category},{rng.choice(['投诉', '求助', '咨询', '举报', '建议'])},{'紧急' if rng.random() < 0.05 else '一般'},{summary}\r\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="a SQLite file to create, or a postgresql+psycopg:// URL of an empty database")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--ledger-open", type=int, default=0, help="how many recent cases to leave open on the ledger")
    parser.add_argument("--hotline-csv", type=Path, help="write a 12345 CSV instead of a case book")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    if args.hotline_csv:
        hotline_csv(args.hotline_csv, args.rows, now=now)
    else:
        if "://" not in args.path and Path(args.path).exists():
            sys.exit(f"{args.path} exists; remove it first")
        generate(args.path, args.cases, now=now, ledger_open=args.ledger_open)


if __name__ == "__main__":
    main()
