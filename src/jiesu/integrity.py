"""`jiesu check` and `jiesu backup`: is the case book sound, and a consistent copy of it.

The check looks past SQLite's own integrity check at jiesu's promises: every
case's status is what its history says, every case was filed, the ledger's
entries agree with their cases, and every stored balance adds up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from jiesu.db import backup_to
from jiesu.errors import BadInput
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
        problems += _undo_problems(conn)
        problems += _ledger_problems(conn)
    return problems


def _history_problems(conn) -> Iterator[str]:
    """Replaying each case's recorded status changes must give its status.

    An `undone` event records the status it restores like any other step, so the
    replay walks through undone steps without special cases.
    """
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


def _undo_problems(conn) -> list[str]:
    """Every `undone` event takes back one earlier step of its own case, once, restoring what that step changed."""
    problems = []
    rows = conn.execute(
        text(
            "SELECT u.id, u.case_id, u.changes, u.undoes, s.case_id, s.kind, s.changes, "
            "(SELECT count(*) FROM events o WHERE o.undoes = u.undoes) "
            "FROM events u LEFT JOIN events s ON s.id = u.undoes WHERE u.kind = 'undone' ORDER BY u.id"
        )
    )
    for undone_id, case_id, changes, step_id, step_case, step_kind, step_changes, times in rows:
        where = f"#{case_id} 的撤销记录 {undone_id}"
        if step_case is None:
            problems.append(f"{where}没有指明撤销哪一步")
        elif step_case != case_id or step_kind == "undone" or step_id >= undone_id:
            problems.append(f"{where}撤销的记录 {step_id} 不是本件此前的一步")
        elif times > 1:
            problems.append(f"{where}：记录 {step_id} 被撤销了 {times} 次")
        elif json.loads(changes) != {name: [new, old] for name, (old, new) in json.loads(step_changes).items()}:
            problems.append(f"{where}恢复的值与记录 {step_id} 的变更不符")
    return problems


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
    previous = None
    for period, opening, added, cleared, closing in conn.execute(
        text("SELECT period, opening, added, cleared, closing FROM ledger_balances ORDER BY period")
    ):
        if opening + added - cleared != closing:
            problems.append(f"台账 {period}：期初 {opening} + 新增 {added} − 销账 {cleared} ≠ 期末 {closing}")
        if previous is not None and previous != opening:
            problems.append(f"台账 {period}：期初 {opening} 不等于上期期末 {previous}")
        previous = closing
    return problems


def backup(office: Office, destination: str) -> Path:
    """A consistent, owner-only copy of the SQLite store at `destination` (which must not exist)."""
    target = Path(destination).expanduser()
    if target.exists():
        raise BadInput(f"{target} 已存在；请换一个文件名（备份不会覆盖已有文件）")
    if not target.parent.is_dir():
        raise BadInput(f"文件夹 {target.parent} 不存在")
    backup_to(office.store, target)
    return target
