"""`jiesu check` and `jiesu backup`: is the case book sound, and a consistent copy of it.

The check looks past SQLite's own integrity check at jiesu's promises: every
case's status is what its history says, every case was filed, the ledger's
entries agree with their cases, and every stored balance adds up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import text

from jiesu import clock
from jiesu.db import backup_to
from jiesu.errors import BadInput
from jiesu.ledger import next_period
from jiesu.ledger_models import LedgerBalance, LedgerMove
from jiesu.office import Office

MAX_PROBLEMS = 200


def check(office: Office) -> list[str]:
    """Every problem found, as one line each (empty when the book is sound)."""
    problems: list[str] = []
    with office.store.connect() as conn:
        if conn.dialect.name == "sqlite":
            verdict = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                problems += [f"SQLite 完整性检查：{line}" for line in verdict]
        for problem in _history_problems(conn):
            problems.append(problem)
            if len(problems) >= MAX_PROBLEMS:
                return problems
        problems += _ledger_problems(conn)
        problems += _balance_problems(conn, office)
    return problems


def _history_problems(conn) -> Iterator[str]:
    """Replaying each case's recorded status changes must give its status."""
    statuses = {case_id: status for case_id, status in conn.execute(text("SELECT id, status FROM cases"))}
    first_kind: dict[int, str] = {}
    replayed: dict[int, str] = {}
    rows = conn.execution_options(yield_per=5000).execute(
        text("SELECT case_id, kind, changes FROM events ORDER BY case_id, id")
    )
    for case_id, kind, changes in rows:
        if case_id not in first_kind:
            first_kind[case_id] = kind
            replayed[case_id] = "new"
        if '"status"' not in changes:
            continue
        old, new = json.loads(changes)["status"]
        if old != replayed[case_id]:
            yield f"#{case_id} 的办理记录不连贯：记录从 {old} 改为 {new}，但此前应为 {replayed[case_id]}"
        replayed[case_id] = new
    for case_id, status in statuses.items():
        if case_id not in first_kind:
            yield f"#{case_id} 没有任何办理记录"
        elif first_kind[case_id] not in ("filed", "imported"):
            yield f"#{case_id} 的第一条记录是 {first_kind[case_id]}，不是受理"
        elif replayed[case_id] != status:
            yield f"#{case_id} 状态为 {status}，但办理记录显示应为 {replayed[case_id]}"


def _ledger_problems(conn) -> list[str]:
    problems = []
    mismatched = conn.execute(
        text(
            "SELECT c.id, c.status FROM cases c WHERE (c.status = 'ledgered') != EXISTS "
            "(SELECT 1 FROM ledger_entries e WHERE e.case_id = c.id AND e.status = 'open')"
        )
    )
    for case_id, status in mismatched:
        problems.append(f"#{case_id} 状态为 {status}，与台账是否在账不符")
    misbooked = conn.execute(
        text(
            "SELECT e.id, e.period, m.period FROM ledger_entries e JOIN ledger_moves m "
            "ON m.entry_id = e.id AND m.kind = 'added' WHERE m.period != e.period ORDER BY e.id"
        )
    )
    for entry_id, listed, booked in misbooked:
        problems.append(f"台账 {entry_id} 列在 {listed}，但其上账计入 {booked} 的余额")
    return problems


def _balance_problems(conn, office: Office) -> list[str]:
    """Each stored balance must add up, follow the one before, and be what the movements booked in it give."""
    moves = LedgerMove.__table__
    booked = {
        period: (int(added), int(cleared))
        for period, added, cleared in conn.execute(
            sa.select(
                moves.c.period,
                sa.func.sum(sa.case((moves.c.kind == "cleared", 0), else_=1)),
                sa.func.sum(sa.case((moves.c.kind == "cleared", 1), else_=0)),
            ).group_by(moves.c.period)
        )
    }
    balances = conn.execute(sa.select(LedgerBalance.__table__).order_by(LedgerBalance.period)).all()
    problems = []
    previous = None
    for b in balances:
        if b.opening + b.added - b.cleared != b.closing:
            problems.append(f"台账 {b.period}：期初 {b.opening} + 新增 {b.added} − 销账 {b.cleared} ≠ 期末 {b.closing}")
        if previous is not None and previous != b.opening:
            problems.append(f"台账 {b.period}：期初 {b.opening} 不等于上期期末 {previous}")
        previous = b.closing
        opening = sum(a - c for period, (a, c) in booked.items() if period < b.period)
        added, cleared = booked.get(b.period, (0, 0))
        stored = (b.opening, b.added, b.cleared, b.closing)
        if stored != (opening, added, cleared, opening + added - cleared):
            problems.append(
                f"台账 {b.period}：存档余额 {_figures(*stored)}，"
                f"但台账记录算得 {_figures(opening, added, cleared, opening + added - cleared)}"
            )
        month_end = datetime.strptime(next_period(b.period), "%Y-%m").replace(tzinfo=office.tz)
        if b.rolled_at < month_end:
            problems.append(f"台账 {b.period} 于 {clock.shown(b.rolled_at, office.tz)} 结转，当时该月还没有过完")
    return problems


def _figures(opening: int, added: int, cleared: int, closing: int) -> str:
    return f"期初 {opening} 新增 {added} 销账 {cleared} 期末 {closing}"


def backup(office: Office, destination: str) -> Path:
    """A consistent, owner-only copy of the SQLite store at `destination` (which must not exist)."""
    target = Path(destination).expanduser()
    if target.exists():
        raise BadInput(f"{target} 已存在；请换一个文件名（备份不会覆盖已有文件）")
    if not target.parent.is_dir():
        raise BadInput(f"文件夹 {target.parent} 不存在")
    backup_to(office.store, target)
    return target
