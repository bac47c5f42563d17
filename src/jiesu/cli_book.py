"""The commands about the case book itself: check, backup, demo, and the rules it runs on."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Optional

import typer

from jiesu.clikit import JiesuGroup, existing_office, fail, office_of, say
from jiesu.cliopts import RecordFormat, file_name, format_option, output_format
from jiesu.errors import ExitCode
from jiesu.safetext import visible
from jiesu.vocab import ReportFormat


def check(ctx: typer.Context) -> None:
    """例：jiesu check"""
    from jiesu import integrity

    office = existing_office(ctx)
    problems = integrity.check(office)
    for note in integrity.unofficial_deadlines(office) + integrity.late_bookings(office):
        say(note)
    for problem in problems:
        typer.echo(visible(problem.line))  # a ref or a file name in it is shown as it is
    if problems:
        fail(f"发现 {len(problems)} 处问题；{integrity.advice(problems)}", ExitCode.REFUSED)
    say("案卷完好：数据库完整，每件诉求的状态与办理记录一致，台账余额相符")


def backup(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="PATH", parser=file_name("如 备份/jiesu-2026-11-27.db"), help="备份文件路径（不能已存在）。")],
) -> None:
    """不要直接复制 jiesu.db：别人正开着 jiesu 时，刚受理的诉求还在旁边的 jiesu.db-wal 里，
    只复制 .db 文件会丢掉它们。jiesu backup 把两者合成一个完整的文件。

    例：jiesu backup ~/备份/jiesu-2026-11-27.db

    从备份恢复（jiesu check 说「请从备份恢复」时），在案卷库所在的目录依次执行：

    \b
    jiesu --db ~/备份/jiesu-2026-11-27.db copy --to 恢复.db
    jiesu server stop
    mkdir 损坏 && mv jiesu.db* 损坏/
    mv 恢复.db jiesu.db
    jiesu check

    从 server stop 到最后一步，任何人都不要用 jiesu；旧库的 jiesu.db-wal 要随它一起移走（jiesu.db*），
    留在原处会被读进恢复的库。详见 README「Restoring a backup」。"""
    from jiesu import integrity

    target = integrity.backup(existing_office(ctx), path)
    say(f"已备份到 {target}")


def copy_book(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option("--to", parser=file_name("SQLite 文件路径或 postgresql+psycopg://… 地址"), metavar="PATH_OR_URL", help="目标：SQLite 文件路径或 postgresql+psycopg://… 地址（须为空的案卷库）。"),
    ],
    resume: Annotated[bool, typer.Option("--resume", help="接着上次被中断的复制继续（目标须恰好是本案卷库的前一部分）。")] = False,
) -> None:
    """例：jiesu --db jiesu.db copy --to postgresql+psycopg://jiesu@db.street.example/jiesu"""
    from pathlib import Path

    from jiesu import integrity, transfer
    from jiesu.db import check_apart, check_place, is_url, open_store

    source = _store_path(ctx.find_root().obj.db)
    check_place(ctx.find_root().obj.db, existing=True)  # nothing is made when either book is refused
    if not is_url(to):
        check_apart(source, Path(to), "请用 --to 指定另一个")
    check_place(to, option="--to")
    office = office_of(ctx)  # before the target is made: a refused source (an unfinished copy) makes none
    target = open_store(to, option="--to", copying=True)
    try:
        copied = transfer.copy_book(
            office.store, target, resume=resume, progress=lambda name, n: say(f"已复制{transfer.LABELS[name]} {n} 行")
        )
        problems = integrity.check(replace(office, store=target))
    finally:
        target.close()
    for problem in problems:
        typer.echo(visible(problem.line))  # a ref or a file name in it is shown as it is
    if problems:
        fail(f"复制完成，但目标有 {len(problems)} 处问题（见上）；请先用 jiesu check 检查源案卷库", ExitCode.REFUSED)
    total = sum(copied.counts.values())
    if not any(copied.written.values()) and copied.resumed:
        say(f"{target.location} 已是本案卷库完整的复制（{transfer.summary(copied.counts)}，共 {total} 行），没有要接着复制的；两边行数相同，目标检查无误")
        return
    say(f"已{'接着' if copied.resumed else ''}复制到 {target.location}：{transfer.summary(copied.counts)}，共 {total} 行，两边行数相同，目标检查无误")


def purge(
    ctx: typer.Context,
    closed_before: Annotated[Optional[str], typer.Option("--closed-before", metavar="TIME", help="办结早于此时间的诉求，已合并的按受理时间算（默认：三年前的今天 0 点；不能是将来的时间，也不能删掉还没到回访期限的诉求的电话）。")] = None,
    address: Annotated[bool, typer.Option("--address", help="连同地址一起删除（社区保留）。")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只数一数会删除多少件，不写入。")] = False,
) -> None:
    """先试运行，再正式删除；每件诉求记一条“删除个人信息”的办理记录。

    例：jiesu purge --closed-before 2023-12-01 --dry-run"""
    from jiesu import purge as retention

    office = office_of(ctx)
    if dry_run:
        office.store.promise_to_write_nothing()
    done = retention.purge(office, office.when(closed_before), address=address, dry_run=dry_run)
    what = "、".join(retention.LABELS[f] for f in done.fields)
    day = retention.cutoff_shown(done.before, office.tz)
    if dry_run:
        say(f"将删除 {done.cases} 件诉求的{what}（办结早于 {day}）；试运行，未写入")
    else:
        say(f"已删除 {done.cases} 件诉求的{what}（办结早于 {day}）；诉求、办理记录和统计保留")


def demo(
    db: Annotated[Optional[str], typer.Option("--db", parser=file_name("如 --db 演示.db；用临时文件请不写 --db"), metavar="FILE", help="演示案卷库放在哪里（默认：临时文件）。")] = None,
    fmt: Annotated[ReportFormat, format_option(ReportFormat, help="日报的格式")] = ReportFormat.TABLE,
) -> None:
    """例：jiesu demo"""
    import tempfile

    from jiesu import demo as demo_book
    from jiesu import reports
    from jiesu.cli_report import emit
    from jiesu.db import open_store
    from jiesu.office import Office
    from jiesu.rules import DEFAULT_RULES

    path = db or str(tempfile.mkdtemp(prefix="jiesu-demo-") + "/jiesu.db")
    store = open_store(path)
    try:
        office = Office(store=store, rules=DEFAULT_RULES, actor="演示")
        filed = demo_book.fill(office)
        say(f"演示案卷：{path}（{filed} 件诉求）；试试 jiesu --db {path} list --format table")
        report = reports.daily(office)
        emit(office, report.document, fmt, report.trend)
    finally:
        store.close()


rules_app = typer.Typer(cls=JiesuGroup, rich_markup_mode=None, no_args_is_help=True, add_completion=False)


@rules_app.command("show")
def rules_show(ctx: typer.Context, fmt: RecordFormat = None) -> None:
    """显示正在使用的每条规则、取值和来源（默认值或规则文件）。

    例：jiesu rules show
    """
    from jiesu.render import Column, render
    from jiesu.rules import in_force, value_said
    from jiesu.rulesfile import rules_for

    settings = ctx.find_root().obj
    store_path = _store_path(settings.db)
    rules, _ = rules_for(settings.rules, store_path)
    columns = [
        Column("key", "规则", whole=True),
        Column("value", "取值", value_said, told="--format json"),
        Column("source", "来源", lambda s: "默认" if s == "default" else s, whole=True, drop=3),
        Column("basis", "依据", drop=2),
        Column("help", "说明", drop=1),
    ]
    render(in_force(rules), output_format(fmt), columns)


def _store_path(db: str | None):
    from pathlib import Path

    from jiesu.db import default_path, is_url

    if db and is_url(db):
        return None
    return Path(db).expanduser() if db else default_path()
