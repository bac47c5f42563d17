"""The jiesu command line: the root command, its global options, and the table of commands.

Commands are built only when they run (see `clikit.LazyGroup`): `jiesu --help` reads the
summaries below without importing the modules behind them, and `jiesu show 1` builds one
command, not thirty. Only enums and Typer are imported at start-up; the store and the
services are imported inside the commands that need them.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from jiesu import __version__
from jiesu.clikit import LazyGroup, Settings, given_path, path_name
from jiesu.errors import ExitCode
from jiesu.interrupts import finished
from jiesu.safetext import blank, dashes_only, name_refused

# name → ("module:attribute", the one-line summary `jiesu --help` shows), in the order shown.
COMMANDS = {
    "new": ("jiesu.cli_cases:new", "受理一件诉求，输出它的编号。"),
    "list": ("jiesu.cli_cases:list_cases", "列出诉求，每件一行；默认只列未办结的。"),
    "show": ("jiesu.cli_cases:show", "显示一件诉求和它的全部办理记录。"),
    "note": ("jiesu.cli_cases:note", "给诉求加一条备注（任何状态都可以）。"),
    "classify": ("jiesu.cli_cases:classify", "研判诉求性质，由此定三上门方式（合理→上门办，不合理→上门劝，咨询→上门谈）。"),
    "assign": ("jiesu.cli_cases:assign", "派单：交给一个人或单位办理（已派的可改派）。"),
    "return": ("jiesu.cli_cases:return_case", "退单：退回待派单，清除承办人。"),
    "contact": ("jiesu.cli_cases:contact", "记录联系诉求人（首次联系即为响应）。"),
    "visit": ("jiesu.cli_cases:visit", "记录一次上门（三上门）。"),
    "escalate": ("jiesu.cli_cases:escalate", "升级：社区→街道→区→市，默认升一级。"),
    "extend": ("jiesu.cli_cases:extend", "延期：把办理时限推后（超期前，且有次数限制）。"),
    "close": ("jiesu.cli_cases:close", "办结：按三上门规则检查后结案。"),
    "revisit": ("jiesu.cli_cases:revisit", "回访：记录诉求人的评价；合理诉求未解决或不满意会重办。"),
    "reopen": ("jiesu.cli_cases:reopen", "重办：已办结的诉求重新办理。"),
    "merge": ("jiesu.cli_cases:merge", "并单：重复诉求并入另一件，由那一件统一办理。"),
    "edit": ("jiesu.cli_corrections:edit", "更正：改正录错的摘要、电话、地址、类别、紧急程度等，原值留在办理记录里。"),
    "undo": ("jiesu.cli_corrections:undo", "撤销：收回本人最近的一步（派错、办结错），追加撤销记录，不改历史。"),
    "todo": ("jiesu.cli_todo:todo", "待办：快到期和已超期的响应、办结、回访、台账整改和应升级的诉求，按紧迫程度排列。"),
    "import": ("jiesu.cli_exchange:import_cases", "导入 12345 工单表格（CSV，含 GB18030）、jiesu 导出文件或 Open311 GeoReport v2 数据。"),
    "export": ("jiesu.cli_exchange:export_cases", "导出诉求：CSV（Excel）、JSON、JSONL（可再导入）或 Open311（不含诉求人姓名电话）。"),
    "shell": ("jiesu.cli_shell:shell", "交互式命令行：一直开着，命令即时响应；也可从文件读入命令：jiesu shell < commands.txt。"),
    "completion": ("jiesu.cli_shell:completion", "输出 bash 或 zsh 的 Tab 补全脚本：命令、选项和取值，按 Tab 时不启动 jiesu。"),
    "hotspots": ("jiesu.cli_report:hotspots", "未诉先办：找出同社区同类扎堆、同一地址反复、一人多诉、往年同期高发的诉求。"),
    "check": ("jiesu.cli_book:check", "检查案卷：数据库完整性，以及每件诉求的状态与办理记录一致、台账余额相符。"),
    "backup": ("jiesu.cli_book:backup", "备份案卷：别人正在写入时也能得到一致的副本，只有本人可读。"),
    "copy": ("jiesu.cli_book:copy_book", "整本复制案卷：诉求、办理记录、回访、台账连同编号，复制到另一个（空的）SQLite 文件或 PostgreSQL。"),
    "purge": ("jiesu.cli_book:purge", "按保存期限删除已办结和已合并诉求的诉求人姓名、电话（可选地址），诉求、记录和统计保留。"),
    "demo": ("jiesu.cli_book:demo", "演示：用北京社区工作的真实情形填一个新案卷（两周），然后输出日报。"),
    "ledger": ("jiesu.cli_ledger:ledger_app", "台账：上账、销账、更正、月末结转、导出。"),
    "report": ("jiesu.cli_report:report_app", "报告：日报（供 cron 使用）与月度考评。"),
    "rules": ("jiesu.cli_book:rules_app", "规则：时限、三上门、升级、三率。"),
    "server": ("jiesu.cli_server:server_app", "常驻进程：status 查看、stop 停止（JIESU_SERVER=0、off、false 或 no 关闭）。"),
}


class RootGroup(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(
    name="jiesu",
    cls=RootGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, not Rich panels: Typer's Rich help pulls in a Markdown parser and
    # doubles the time of `jiesu --help`.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="接诉 jiesu — 12345 接诉即办案卷：受理、派单、办结、回访、挂账整改。",
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"jiesu {__version__}")
        raise typer.Exit()


def _book(target: str) -> str:
    """`--db ''` or `--db ' '` (a cron line's `--db "$BOOK"` with $BOOK unset) names no book: refused, not
    the default one. An empty JIESU_DB is unset, as shells treat it (Click reads it as no value)."""
    return given_path(target, "变量没有设置？用默认案卷库请不写 --db")


def _actor(name: str) -> str:
    """Who acts, as the history will name them: a blank name (`JIESU_ACTOR="   "`) names nobody, and one
    holding control or invisible characters would be a different name from the one shown."""
    if blank(name):
        raise typer.BadParameter("经办人姓名（--actor 或 JIESU_ACTOR）不能是空白；不写则用登录用户名")
    if dashes_only(name):  # `-` leaves a text empty on the command line: no name either
        raise typer.BadParameter("经办人姓名（--actor 或 JIESU_ACTOR）不能只写 -；不写则用登录用户名")
    if reason := name_refused(name.strip(), "经办人姓名"):
        raise typer.BadParameter(reason)
    return name.strip()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Optional[str],
        typer.Option("--db", envvar="JIESU_DB", parser=_book, metavar="PATH_OR_URL", help="案卷库：SQLite 文件路径，或 postgresql+psycopg://… 地址。"),
    ] = None,
    actor: Annotated[
        Optional[str], typer.Option("--actor", envvar="JIESU_ACTOR", parser=_actor, help="经办人姓名，记入办理记录（默认：登录用户名）。")
    ] = None,
    rules: Annotated[
        Optional[str], typer.Option("--rules", envvar="JIESU_RULES", metavar="FILE", parser=path_name("如 --rules 规则.toml；不写则用案卷库旁边的 jiesu.toml"), help="规则文件 jiesu.toml（默认：案卷库旁边的 jiesu.toml）。")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="显示版本并退出。")
    ] = False,
) -> None:
    """接诉 jiesu — 12345 接诉即办案卷。

    例：jiesu new "楼道灯不亮" --phone 13812345678 --community 前门社区
    """
    ctx.obj = Settings(db, actor, rules)


def main(built=None) -> None:
    """Console entry point; `built` is the command tree of `app` when already built (the
    resident process builds it once, before forking: see `server.py`)."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    if sys.stdout is None or sys.stderr is None:  # `>&-`: the result could not be shown, so do nothing
        if sys.stderr is not None:
            print("错误: 标准输出已关闭（>&-），未执行；不要输出请用 >/dev/null", file=sys.stderr)
        sys.exit(ExitCode.REFUSED)
    try:
        (built or app)(prog_name="jiesu")
    finally:
        finished()  # its ending said: a signal now could only make a done command look interrupted
