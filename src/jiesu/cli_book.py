"""The commands about the case book itself: check, backup, demo, and the rules it runs on."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jiesu.clikit import JiesuGroup, fail, office_of, say
from jiesu.cliopts import RecordFormat, format_option, output_format
from jiesu.errors import ExitCode
from jiesu.vocab import ReportFormat


def check(ctx: typer.Context) -> None:
    """例：jiesu check"""
    from jiesu import integrity

    problems = integrity.check(office_of(ctx))
    for problem in problems:
        typer.echo(problem)
    if problems:
        fail(f"发现 {len(problems)} 处问题；请从备份恢复，或联系维护人员", ExitCode.REFUSED)
    say("案卷完好：数据库完整，每件诉求的状态与办理记录一致，台账余额相符")


def backup(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="PATH", help="备份文件（不能已存在）。")],
) -> None:
    """例：jiesu backup ~/备份/jiesu-2026-11-27.db"""
    from jiesu import integrity

    target = integrity.backup(office_of(ctx), path)
    say(f"已备份到 {target}")


def demo(
    db: Annotated[Optional[str], typer.Option("--db", help="演示案卷库放在哪里（默认：临时文件）。")] = None,
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
        emit(report.document, fmt, report.trend)
    finally:
        store.close()


rules_app = typer.Typer(cls=JiesuGroup, rich_markup_mode=None, no_args_is_help=True, add_completion=False)


@rules_app.command("show")
def rules_show(ctx: typer.Context, fmt: RecordFormat = None) -> None:
    """显示正在使用的每条规则、取值和来源（默认值或规则文件）。

    例：jiesu rules show
    """
    from jiesu.render import Column, render
    from jiesu.rules import SPEC
    from jiesu.rulesfile import rules_for

    settings = ctx.find_root().obj
    store_path = _store_path(settings.db)
    rules, _ = rules_for(settings.rules, store_path)

    def rows():
        for rule in SPEC:
            value = rules[rule.key]
            if isinstance(value, (tuple, frozenset)):
                value = sorted(str(v) for v in value)
            elif not isinstance(value, (int, float, bool, str)):
                value = str(value)
            yield {"key": rule.key, "value": value, "source": rules.source(rule.key), "basis": rule.basis, "help": rule.help}

    columns = [
        Column("key", "规则", whole=True),
        Column("value", "取值", lambda v: ", ".join(v) if isinstance(v, list) else str(v)),
        Column("source", "来源", lambda s: "默认" if s == "default" else s, whole=True),
        Column("basis", "依据"),
        Column("help", "说明"),
    ]
    render(rows(), output_format(fmt), columns)


def _store_path(db: str | None):
    from pathlib import Path

    from jiesu.db import default_path, is_url

    if db and is_url(db):
        return None
    return Path(db).expanduser() if db else default_path()
