"""The jiesu command line: parse, call one service function, render.

Only enums and Typer are imported at start-up, so that `--help` stays quick;
the store and the services are imported inside the commands that need them.
"""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from jiesu import __version__
from jiesu.clikit import (
    At,
    CaseId,
    Format,
    JiesuGroup,
    Reveal,
    Settings,
    enum_option,
    enum_parser,
    office_of,
    output_format,
    parse_id,
    fail,
    parse_yes_no,
    say,
)
from jiesu.errors import ExitCode
from jiesu import cli_exchange, cli_shell
from jiesu.cli_ledger import ledger_app
from jiesu.cli_report import report_app
from jiesu.vocab import (
    Channel,
    Kind,
    Level,
    Nature,
    OutputFormat,
    ReportFormat,
    Result,
    Satisfaction,
    Status,
    Track,
    Urgency,
)


app = typer.Typer(
    name="jiesu",
    cls=JiesuGroup,
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


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Optional[str],
        typer.Option("--db", envvar="JIESU_DB", help="案卷库：SQLite 文件路径，或 postgresql+psycopg://… 地址。"),
    ] = None,
    actor: Annotated[
        Optional[str], typer.Option("--actor", envvar="JIESU_ACTOR", help="经办人姓名，记入办理记录（默认：登录用户名）。")
    ] = None,
    rules: Annotated[
        Optional[str], typer.Option("--rules", envvar="JIESU_RULES", help="规则文件 jiesu.toml（默认：案卷库旁边的 jiesu.toml）。")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="显示版本并退出。")
    ] = False,
) -> None:
    """接诉 jiesu — 12345 接诉即办案卷。

    例：jiesu new "楼道灯不亮" --phone 13812345678 --community 前门社区
    """
    ctx.obj = Settings(db, actor, rules)


# ---------------------------------------------------------------- filing and finding


@app.command()
def new(
    ctx: typer.Context,
    summary: Annotated[str, typer.Argument(help="诉求摘要，一句话。")],
    phone: Annotated[Optional[str], typer.Option(help="诉求人电话（手机或座机，如 010-65123456）。")] = None,
    name: Annotated[Optional[str], typer.Option(help="诉求人姓名。")] = None,
    address: Annotated[Optional[str], typer.Option(help="诉求地址。")] = None,
    community: Annotated[Optional[str], typer.Option(help="所属社区。")] = None,
    category: Annotated[Optional[str], typer.Option(help="诉求类别，用 / 分级，如 物业管理/下水管道。")] = None,
    channel: Annotated[Channel, enum_option(Channel, "受理渠道", "受理渠道")] = Channel.HOTLINE,
    urgency: Annotated[Urgency, enum_option(Urgency, "紧急程度", "紧急程度")] = Urgency.NORMAL,
    nature: Annotated[Nature, enum_option(Nature, "诉求性质", "诉求性质")] = Nature.UNCLASSIFIED,
    kind: Annotated[Optional[Kind], enum_option(Kind, "诉求类型", "诉求类型")] = None,
    ref: Annotated[Optional[str], typer.Option(help="12345 工单编号（唯一）。")] = None,
    received: Annotated[Optional[str], typer.Option(help="受理时间，默认现在：2026-10-01T08:30、today、-2h。")] = None,
    detail: Annotated[Optional[str], typer.Option(help="诉求详情。")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只输出编号，供脚本使用：id=$(jiesu new … -q)")] = False,
) -> None:
    """受理一件诉求，输出它的编号。

    例：jiesu new "楼上漏水" --phone 13812345678 --community 前门社区 --category 物业管理/漏水
    """
    from jiesu.cases import Draft, file_case

    office = office_of(ctx)
    draft = Draft(
        summary=summary,
        phone=phone,
        name=name,
        address=address,
        community=community,
        category=category or "",
        channel=channel,
        urgency=urgency,
        nature=nature,
        kind=kind.value if kind else None,
        ref=ref,
        received_at=office.when(received),
        detail=detail or "",
    )
    case = file_case(office, draft)
    if quiet:
        typer.echo(case.id)
    else:
        from jiesu.clock import shown

        say(f"已受理 #{case.id}（{Status(case.status).label}，办理时限 {shown(case.resolve_by, office.tz)}）")


@app.command("list")
def list_cases(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", "-a", help="包括已办结、已回访、已合并的诉求。")] = False,
    status: Annotated[Optional[list[Status]], enum_option(Status, "状态", "只列此状态，可重复", "--status")] = None,
    nature: Annotated[Optional[Nature], enum_option(Nature, "诉求性质", "诉求性质")] = None,
    track: Annotated[Optional[Track], enum_option(Track, "三上门", "三上门方式")] = None,
    level: Annotated[Optional[Level], enum_option(Level, "层级", "当前层级")] = None,
    assignee: Annotated[Optional[str], typer.Option(help="承办人或单位。")] = None,
    community: Annotated[Optional[str], typer.Option(help="所属社区。")] = None,
    category: Annotated[Optional[str], typer.Option(help="诉求类别（含其下级类别）。")] = None,
    search: Annotated[Optional[str], typer.Option(help="在摘要、详情、地址、姓名中查找（繁简通查）。")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列超期未办结的。")] = False,
    due_escalation: Annotated[bool, typer.Option("--due-escalation", help="只列应升级的，并给出原因。")] = False,
    since: Annotated[Optional[str], typer.Option(help="受理时间不早于。")] = None,
    until: Annotated[Optional[str], typer.Option(help="受理时间不晚于（日期含当天）。")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="以此时刻为“现在”判断超期。")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="最多列出几件。")] = None,
    fmt: Format = None,
    reveal: Reveal = False,
) -> None:
    """列出诉求，每件一行；默认只列未办结的。

    例：jiesu list --community 前门社区 --overdue
    """
    from jiesu import cases, views
    from jiesu.render import render

    office = office_of(ctx)
    wanted = cases.CaseFilter(
        include_closed=all_,
        statuses=status or [],
        nature=nature,
        track=track.value if track else None,
        level=level,
        assignee=assignee,
        community=community,
        category=category,
        search=search,
        overdue=overdue,
        due_escalation=due_escalation,
        since=office.when(since),
        until=office.when(until, end_of_day=True),
        limit=limit,
    )
    tz = office.tz

    def rows():
        for listed in cases.list_cases(office, wanted, as_of=office.when(as_of)):
            row = views.case_record(listed.case, tz, reveal=reveal)
            if due_escalation:
                row["reasons"] = listed.reasons
            yield row

    fmt = output_format(fmt)
    count = render(rows(), fmt, views.list_columns(tz, with_reasons=due_escalation))
    if fmt is OutputFormat.TABLE:
        say(f"共 {count} 件")


@app.command()
def show(ctx: typer.Context, case_id: CaseId, fmt: Format = None, reveal: Reveal = False) -> None:
    """显示一件诉求和它的全部办理记录。

    例：jiesu show 42
    """
    from jiesu import views
    from jiesu.cases import get_case
    from jiesu.render import print_json, render, render_record

    office = office_of(ctx)
    tz = office.tz
    found = get_case(office, case_id)
    record = views.case_record(found.case, tz, reveal=reveal)
    events = [views.event_record(e, tz) for e in found.events]
    revisits = [views.revisit_record(r, tz) for r in found.revisits]
    ledger = [views.ledger_record(e, tz) for e in found.ledger] if found.ledger else []
    fmt = output_format(fmt)
    if fmt is OutputFormat.JSON:
        print_json(record | {"events": events, "revisits": revisits, "ledger": ledger})
    elif fmt is OutputFormat.TABLE:
        title = f"#{found.case.id} {found.case.summary}"
        render_record(record, views.case_columns(tz), title=title)
        typer.echo()
        render(events, fmt, views.event_columns(tz), title="办理记录")
        if revisits:
            typer.echo()
            render(revisits, fmt, views.revisit_columns(tz), title="回访")
        if ledger:
            typer.echo()
            render(ledger, fmt, views.ledger_columns(tz), title="台账")
    else:
        render([record], fmt, [views.Column(k, k) for k in record])


# ---------------------------------------------------------------- moving a case


def _done(ctx: typer.Context, case, verb: str) -> None:
    say(f"#{case.id} {verb}（{Status(case.status).label}）")


@app.command()
def note(ctx: typer.Context, case_id: CaseId, text: Annotated[str, typer.Argument(help="备注内容。")], at: At = None) -> None:
    """给诉求加一条备注（任何状态都可以）。

    例：jiesu note 42 "诉求人下午三点后在家"
    """
    from jiesu.cases import add_note

    office = office_of(ctx)
    add_note(office, case_id, text, office.when(at))
    say(f"#{case_id} 已备注")


@app.command()
def classify(
    ctx: typer.Context,
    case_id: CaseId,
    nature: Annotated[Nature, typer.Argument(parser=enum_parser(Nature, "诉求性质"), metavar="NATURE", help=f"诉求性质（{Nature.choices()}）。")],
    note: Annotated[str, typer.Option(help="研判说明。")] = "",
    at: At = None,
) -> None:
    """研判诉求性质，由此定三上门方式（合理→上门办，不合理→上门劝，咨询→上门谈）。

    例：jiesu classify 42 合理诉求 --note "确属物业责任"
    """
    from jiesu import cases

    office = office_of(ctx)
    case = cases.classify(office, case_id, nature, note, office.when(at))
    track = f"，{Track(case.track).label}" if case.track else ""
    say(f"#{case.id} 研判为{Nature(case.nature).label}{track}")


@app.command()
def assign(
    ctx: typer.Context,
    case_id: CaseId,
    to: Annotated[str, typer.Argument(metavar="TO", help="承办人或单位。")],
    note: Annotated[str, typer.Option(help="派单说明。")] = "",
    at: At = None,
) -> None:
    """派单：交给一个人或单位办理（已派的可改派）。

    例：jiesu assign 42 物业公司 --note "请今天联系诉求人"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(ctx, cases.assign(office, case_id, to, note, office.when(at)), f"已派给 {to.strip()}")


@app.command("return")
def return_case(
    ctx: typer.Context,
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="退单理由。")],
    at: At = None,
) -> None:
    """退单：退回待派单，清除承办人。

    例：jiesu return 42 --reason "不属本单位职责"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(ctx, cases.return_case(office, case_id, reason, office.when(at)), "已退单")


@app.command()
def contact(
    ctx: typer.Context,
    case_id: CaseId,
    note: Annotated[str, typer.Option(help="联系情况。")] = "",
    at: At = None,
) -> None:
    """记录联系诉求人（首次联系即为响应）。

    例：jiesu contact 42 --note "电话联系，约明早上门"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(ctx, cases.contact(office, case_id, note, office.when(at)), "已记录联系")


@app.command()
def visit(
    ctx: typer.Context,
    case_id: CaseId,
    note: Annotated[str, typer.Option("--note", help="上门情况。")],
    at: At = None,
) -> None:
    """记录一次上门（三上门）。

    例：jiesu visit 42 --note "上门查看，楼上卫生间防水层破损" --at 03:00
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(ctx, cases.visit(office, case_id, note, office.when(at)), "已记录上门")


@app.command()
def escalate(
    ctx: typer.Context,
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="升级理由。")],
    to: Annotated[Optional[Level], enum_option(Level, "层级", "升到哪一级，默认上一级", "--to")] = None,
    at: At = None,
) -> None:
    """升级：社区→街道→区→市，默认升一级。

    例：jiesu escalate 42 --reason "涉及多个产权单位" --to 区
    """
    from jiesu import cases

    office = office_of(ctx)
    case = cases.escalate(office, case_id, reason, to, office.when(at))
    _done(ctx, case, f"已升级到{Level(case.level).label}")


@app.command()
def extend(
    ctx: typer.Context,
    case_id: CaseId,
    to: Annotated[str, typer.Option("--to", help="新的办理时限（日期含当天）。")],
    reason: Annotated[str, typer.Option("--reason", help="延期理由。")],
    at: At = None,
) -> None:
    """延期：把办理时限推后（超期前，且有次数限制）。

    例：jiesu extend 42 --to 2026-12-10 --reason "需等待配件"
    """
    from jiesu import cases
    from jiesu.clock import shown

    office = office_of(ctx)
    case = cases.extend(office, case_id, office.when(to, end_of_day=True), reason, office.when(at))
    _done(ctx, case, f"已延期至 {shown(case.resolve_by, office.tz)}")


@app.command()
def close(
    ctx: typer.Context,
    case_id: CaseId,
    result: Annotated[Result, enum_option(Result, "办理结果", "办理结果", "--result")],
    note: Annotated[str, typer.Option("--note", help="办结说明。")],
    at: At = None,
) -> None:
    """办结：按三上门规则检查后结案。

    例：jiesu close 42 --result resolved --note "已维修，诉求人确认"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(ctx, cases.close(office, case_id, result, note, office.when(at)), "已办结")


@app.command()
def revisit(
    ctx: typer.Context,
    case_id: CaseId,
    satisfaction: Annotated[Satisfaction, enum_option(Satisfaction, "满意度", "满意度", "--satisfaction")],
    resolved: Annotated[str, typer.Option("--resolved", metavar="yes|no", help="诉求人是否认为已解决：yes/是 或 no/否。")],
    note: Annotated[str, typer.Option(help="回访情况。")] = "",
    at: At = None,
) -> None:
    """回访：记录诉求人的评价；合理诉求未解决或不满意会重办。

    例：jiesu revisit 42 --satisfaction 满意 --resolved yes
    """
    from jiesu import cases

    office = office_of(ctx)
    case = cases.revisit(office, case_id, satisfaction, parse_yes_no(resolved), note, office.when(at))
    verb = "已回访，已重办" if case.status != Status.REVISITED else "已回访"
    _done(ctx, case, verb)


@app.command()
def reopen(
    ctx: typer.Context,
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="重办理由。")],
    at: At = None,
) -> None:
    """重办：已办结的诉求重新办理。

    例：jiesu reopen 42 --reason "诉求人反映仍漏水"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(ctx, cases.reopen(office, case_id, reason, office.when(at)), "已重办")


@app.command()
def merge(
    ctx: typer.Context,
    case_id: CaseId,
    into: Annotated[int, typer.Option("--into", parser=parse_id, metavar="OTHER", help="并入哪件诉求。")],
    at: At = None,
) -> None:
    """并单：重复诉求并入另一件，由那一件统一办理。

    例：jiesu merge 43 --into 42
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(ctx, cases.merge(office, case_id, into, office.when(at)), f"已并入 #{into}")


# ---------------------------------------------------------------- ledger and rules

app.add_typer(ledger_app, name="ledger")
app.add_typer(report_app, name="report")
app.command("import")(cli_exchange.import_cases)
app.command("export")(cli_exchange.export_cases)
app.command("shell")(cli_shell.shell)


@app.command()
def hotspots(
    ctx: typer.Context,
    days: Annotated[Optional[int], typer.Option("--days", min=1, help="统计最近多少天（默认见规则 hotspots.days）。")] = None,
    min_cases: Annotated[Optional[int], typer.Option("--min", min=2, help="同社区同类别至少几件（默认见规则 hotspots.min_cases）。")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="以此时刻为“现在”。")] = None,
    fmt: Format = None,
) -> None:
    """未诉先办：找出同社区同类扎堆、同一地址反复、一人多诉、往年同期高发的诉求。

    例：jiesu hotspots --days 7 --min 5
    """
    from jiesu import reports
    from jiesu.render import Column, local_time, render
    from jiesu.report_views import HOTSPOT_LABELS

    office = office_of(ctx)
    found = reports.hotspots(office, as_of=office.when(as_of), days=days, min_cases=min_cases)
    columns = [
        Column("kind", "类型", HOTSPOT_LABELS.get),
        Column("community", "社区"),
        Column("category", "类别"),
        Column("address", "地址"),
        Column("count", "件数"),
        Column("case_ids", "诉求", lambda ids: " ".join(f"#{i}" for i in ids)),
        Column("first_at", "最早", local_time(office.tz)),
        Column("last_at", "最近", local_time(office.tz)),
    ]
    if output_format(fmt) is OutputFormat.IDS:
        for spot in found:
            typer.echo(" ".join(map(str, spot["case_ids"])))
        return
    count = render(found, output_format(fmt), columns)
    if output_format(fmt) is OutputFormat.TABLE:
        say(f"共 {count} 处热点")


@app.command()
def check(ctx: typer.Context) -> None:
    """检查案卷：数据库完整性，以及每件诉求的状态与办理记录一致、台账余额相符。

    例：jiesu check
    """
    from jiesu import integrity

    problems = integrity.check(office_of(ctx))
    for problem in problems:
        typer.echo(problem)
    if problems:
        fail(f"发现 {len(problems)} 处问题；请从备份恢复，或联系维护人员", ExitCode.REFUSED)
    say("案卷完好：数据库完整，每件诉求的状态与办理记录一致，台账余额相符")


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="PATH", help="备份文件（不能已存在）。")],
) -> None:
    """备份案卷：别人正在写入时也能得到一致的副本，只有本人可读。

    例：jiesu backup ~/备份/jiesu-2026-11-27.db
    """
    from jiesu import integrity

    target = integrity.backup(office_of(ctx), path)
    say(f"已备份到 {target}")


@app.command()
def demo(
    db: Annotated[Optional[str], typer.Option("--db", help="演示案卷库放在哪里（默认：临时文件）。")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="日报的格式：table、json、csv、markdown。")] = ReportFormat.TABLE,
) -> None:
    """演示：用北京社区工作的真实情形填一个新案卷（两周），然后输出日报。

    例：jiesu demo
    """
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


rules_app = typer.Typer(cls=JiesuGroup, rich_markup_mode=None, no_args_is_help=True, help="规则：时限、三上门、升级、三率。")
app.add_typer(rules_app, name="rules")


@rules_app.command("show")
def rules_show(ctx: typer.Context, fmt: Format = None) -> None:
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
        Column("key", "规则"),
        Column("value", "取值", lambda v: ", ".join(v) if isinstance(v, list) else str(v)),
        Column("source", "来源", lambda s: "默认" if s == "default" else s),
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


def main() -> None:
    """Console entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app(prog_name="jiesu")
