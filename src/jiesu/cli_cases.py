"""The commands that file, find and move a case through its life (DESIGN §3).

Each command's one-line summary lives in `jiesu.cli.COMMANDS`, where `jiesu --help`
reads it without importing this module; the docstrings here hold the examples.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jiesu.clikit import fail, office_of, say
from jiesu.cliopts import MOST_COUNTED, At, CaseId, Format, Reveal, Since, Until, clearing, count_option, enum_option, enum_parser, output_format, parse_id, parse_phone, parse_ref, parse_yes_no, received_between, name_filter, not_blank, searched
from jiesu.errors import ExitCode
from jiesu.safetext import shortened
from jiesu.vocab import Channel, Kind, Level, Nature, OutputFormat, Result, Satisfaction, Status, Track, Urgency


# ---------------------------------------------------------------- filing and finding

def new(
    ctx: typer.Context,
    summary: Annotated[Optional[str], typer.Argument(metavar="SUMMARY", help="诉求摘要，一句话；在终端里不给则逐项询问。")] = None,
    phone: Annotated[Optional[str], typer.Option(parser=clearing(parse_phone), metavar="PHONE", help="诉求人电话（手机或座机，如 010-65123456）；- 留空。")] = None,
    name: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求人姓名；- 留空。")] = None,
    address: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求地址；- 留空。")] = None,
    community: Annotated[Optional[str], typer.Option(parser=clearing(), help="所属社区；- 留空。")] = None,
    category: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求类别，用 / 分级，如 物业管理/下水管道；- 留空。")] = None,
    channel: Annotated[Channel, enum_option(Channel, "受理渠道", "受理渠道")] = Channel.HOTLINE,
    urgency: Annotated[Urgency, enum_option(Urgency, "紧急程度", "紧急程度")] = Urgency.NORMAL,
    nature: Annotated[Nature, enum_option(Nature, "诉求性质", "诉求性质")] = Nature.UNCLASSIFIED,
    kind: Annotated[Optional[Kind], enum_option(Kind, "诉求类型", "诉求类型", cleared="留空")] = None,
    ref: Annotated[Optional[str], typer.Option(parser=clearing(parse_ref), help="12345 工单编号（唯一；不分大小写、全半角）；- 留空。")] = None,
    received: Annotated[Optional[str], typer.Option(metavar="TIME", help="受理时间，默认现在：2026-10-01T08:30、昨天 18:30、yesterday 18:30、-2h；要写钟点（只写日期或 yesterday 会被拒绝）。")] = None,
    detail: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求详情；- 留空。")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只输出编号，供脚本使用：id=$(jiesu new … -q)")] = False,
) -> None:
    """例：jiesu new "楼上漏水" --phone 13812345678 --community 前门社区 --category 物业管理/漏水

    在终端里只输入 jiesu new，会逐项询问（诉求摘要、电话、姓名、地址、社区、类别、渠道、紧急程度、性质）。
    """
    from jiesu.cases import Draft, file_case, same_call

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
        received_at=office.when(received, receipt="--received"),
        detail=detail or "",
    )
    if summary is None:
        from jiesu import prompts

        if not prompts.interactive():
            from jiesu.usage import missing

            fail(missing(next(p for p in ctx.command.params if p.name == "summary"), ctx.command_path), ExitCode.USAGE)
        given = {field: getattr(getattr(draft, field), "value", getattr(draft, field)) for field in prompts.NEW_FIELDS}
        for field, answer in prompts.ask_new(office, given, draft.received_at).items():
            setattr(draft, field, answer)
    case = file_case(office, draft)
    if quiet:
        typer.echo(case.id)
    else:
        from jiesu.clock import shown_bound

        say(f"已受理 #{case.id}（{Status(case.status).label}，办理时限 {shown_bound(case.resolve_by, office.tz)}）")
    if received is not None and (first := same_call(office, case)):  # a receipt time typed twice: a call filed twice
        say(f"注意：#{case.id} 与 #{first} 的受理时间、电话、摘要、地址都相同，像是同一来电记了两次；若是，请 jiesu merge {case.id} --into {first}")


def list_cases(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", "-a", help="包括已办结、已回访、已合并的诉求。")] = False,
    status: Annotated[Optional[list[Status]], enum_option(Status, "状态", "只列此状态，可重复", "--status")] = None,
    nature: Annotated[Optional[Nature], enum_option(Nature, "诉求性质", "诉求性质")] = None,
    track: Annotated[Optional[Track], enum_option(Track, "三上门", "三上门方式")] = None,
    level: Annotated[Optional[Level], enum_option(Level, "层级", "当前层级")] = None,
    assignee: Annotated[Optional[str], typer.Option(parser=name_filter("--assignee", "承办人或单位"), help="承办人或单位。")] = None,
    community: Annotated[Optional[str], typer.Option(parser=name_filter("--community", "社区"), help="所属社区。")] = None,
    category: Annotated[Optional[str], typer.Option(parser=not_blank("--category"), help="诉求类别（含其下级类别）。")] = None,
    search: Annotated[Optional[str], typer.Option(parser=searched, help="在摘要、详情、地址、姓名、类别、工单编号中查找（繁简通查）；电话号码按号码查，也查电话栏（186-0000-3333 与 18600003333 互查）。")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列超过办理时限（挂账的：整改期限）未办结的；首次响应、回访迟了不算（见 jiesu todo）。")] = False,
    due_escalation: Annotated[bool, typer.Option("--due-escalation", help="只列应升级的，并给出原因。")] = False,
    since: Since = None,
    until: Until = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="TIME", help="列出此时刻的案卷：状态、承办人、层级、时限都按当时的办理记录。")] = None,
    limit: Annotated[Optional[int], count_option("--limit", least=1, most=MOST_COUNTED, help="最多列出几件。")] = None,
    fmt: Format = None,
    reveal: Reveal = False,
) -> None:
    """例：jiesu list --community 前门社区 --overdue"""
    from jiesu import lookup, views
    from jiesu.render import record, render

    office = office_of(ctx)
    since_at, until_at = received_between(office, since, until)
    wanted = lookup.CaseFilter(
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
        since=since_at,
        until=until_at,
        limit=limit,
    )
    tz = office.tz
    fmt = output_format(fmt)
    brief = fmt in (OutputFormat.TABLE, OutputFormat.IDS)

    def rows():
        for listed in lookup.list_cases(office, wanted, as_of=office.when(as_of), brief=brief):
            if brief:
                row = record(listed.case, lookup.BRIEF_FIELDS, tz, reveal=reveal)
                row["summary"] = lookup.brief_summary(row["summary"])
            else:
                row = views.case_record(listed.case, tz, reveal=reveal)
            row |= views.entry_record(listed.case, tz, reveal=reveal)
            if due_escalation:
                row["reasons"] = listed.reasons
            yield row

    count = render(rows(), fmt, views.list_columns(tz, with_reasons=due_escalation), fields=views.list_fields(due_escalation))
    if fmt is OutputFormat.TABLE:
        say(f"共 {count} 件")


def show(ctx: typer.Context, case_id: CaseId, fmt: Format = None, reveal: Reveal = False) -> None:
    """例：jiesu show 42"""
    from jiesu import views
    from jiesu.lookup import get_case
    from jiesu.render import print_json, render, render_record

    office = office_of(ctx)
    tz = office.tz
    found = get_case(office, case_id)
    record = views.case_record(found.case, tz, reveal=reveal)
    events = [views.event_record(e, tz, reveal=reveal) for e in found.events]
    revisits = [views.revisit_record(r, tz, reveal=reveal) for r in found.revisits]
    ledger = [views.ledger_record(e, found.carried.get(e.id, 0), tz, reveal=reveal) for e in found.ledger]
    fmt = output_format(fmt)
    if fmt is OutputFormat.JSON:
        print_json(record | {"events": events, "revisits": revisits, "ledger": ledger})
    elif fmt is OutputFormat.TABLE:
        title = f"#{found.case.id} {shortened(record['summary'])}"  # the whole summary is the first row
        ledgered = ledger[-1] if ledger and found.case.status == Status.LEDGERED.value else None
        render_record(record, views.case_columns(tz, ledgered), title=title)
        typer.echo()
        steps = [views.event_record(e, tz, reveal=reveal) | {"step": views.step_label(e.kind, backfilled)} for e, backfilled in views.history(found.events)]
        render(steps, fmt, views.event_columns(tz), title="办理记录", whole_text=True)
        if revisits:
            typer.echo()
            render(revisits, fmt, views.revisit_columns(tz), title="回访", whole_text=True)
        for entry in ledger:  # an entry a record, not a table row: its nine fields never fit 80 columns
            typer.echo()
            render_record(entry, views.ledger_columns(tz), title=f"台账 {entry['id']}")
    else:
        render([record], fmt, [views.Column(k, k) for k in record])


# ---------------------------------------------------------------- moving a case


def _done(case, verb: str) -> None:
    say(f"#{case.id} {verb}（{Status(case.status).label}）")


def _reopened(reopened, verb: str, office) -> None:
    """A reopen starts a new round: its 办理时限 is counted again from the reopen (never earlier than before).
    A case it put back on the ledger answers to its entry's 整改期限 instead, which it keeps and may have
    passed: that is the deadline said, not a 办理时限 that decides nothing while the case is on the ledger."""
    from jiesu.views import kept_line, ledgered_line, restarted_line

    tz = office.tz
    _done(reopened.case, verb)
    if reopened.ledgered is not None:
        say(ledgered_line(reopened.ledgered, office.now, tz))
    else:
        say(restarted_line(reopened.case, tz) if reopened.retimed else kept_line(reopened.case, reopened.recomputed, tz))


def note(ctx: typer.Context, case_id: CaseId, text: Annotated[str, typer.Argument(metavar="TEXT", help="备注内容。")], at: At = None) -> None:
    """例：jiesu note 42 "诉求人下午三点后在家"
    """
    from jiesu.cases import add_note

    office = office_of(ctx)
    add_note(office, case_id, text, office.when(at))
    say(f"#{case_id} 已备注")


def classify(
    ctx: typer.Context,
    case_id: CaseId,
    nature: Annotated[Nature, typer.Argument(parser=enum_parser(Nature, "诉求性质"), metavar="NATURE", help="诉求性质（reasonable 合理诉求, unreasonable 不合理诉求, consult 咨询建议）。")],
    note: Annotated[str, typer.Option(parser=clearing(), help="研判说明。")] = "",
    at: At = None,
) -> None:
    """例：jiesu classify 42 合理诉求 --note "确属物业责任"
    """
    from jiesu import cases

    office = office_of(ctx)
    case = cases.classify(office, case_id, nature, note, office.when(at))
    track = f"，{Track(case.track).label}" if case.track else ""
    say(f"#{case.id} 研判为{Nature(case.nature).label}{track}")


def assign(
    ctx: typer.Context,
    case_id: CaseId,
    to: Annotated[str, typer.Argument(metavar="TO", help="承办人或单位。")],
    note: Annotated[str, typer.Option(parser=clearing(), help="派单说明。")] = "",
    at: At = None,
) -> None:
    """例：jiesu assign 42 物业公司 --note "请今天联系诉求人"
    """
    from jiesu import cases
    from jiesu.phones import shown_field

    office = office_of(ctx)
    _done(cases.assign(office, case_id, to, note, office.when(at)), f"已派给 {shortened(shown_field('assignee', to.strip()))}")


def return_case(
    ctx: typer.Context,
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="退单理由。")],
    at: At = None,
) -> None:
    """例：jiesu return 42 --reason "不属本单位职责"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(cases.return_case(office, case_id, reason, office.when(at)), "已退单")


def contact(
    ctx: typer.Context,
    case_id: CaseId,
    note: Annotated[str, typer.Option(parser=clearing(), help="联系情况。")] = "",
    at: At = None,
) -> None:
    """例：jiesu contact 42 --note "电话联系，约明早上门"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(cases.contact(office, case_id, note, office.when(at)), "已记录联系")


def visit(
    ctx: typer.Context,
    case_id: CaseId,
    note: Annotated[str, typer.Option("--note", help="上门情况。")],
    at: At = None,
) -> None:
    """例：jiesu visit 42 --note "上门查看，楼上卫生间防水层破损" --at '昨天 15:00'"""
    from jiesu import cases, clock

    office = office_of(ctx)
    when = office.when(at) or office.now
    case = cases.visit(office, case_id, note, when)
    _done(case, "已记录上门")
    if case.responded_at is None:  # 响应率 counts contacts (DESIGN): a visit alone leaves 首次响应 due
        # Dated as the visit: a plain `contact` later would be logged then (and refused once the case is closed).
        again = f"jiesu contact {case.id} --at '{clock.shown_to_the_second(when, office.tz)}'"
        say(f"注意：#{case.id} 尚未记录首次响应（响应率只算 jiesu contact）；上门时已与诉求人联系的，请再记 {again}")


def escalate(
    ctx: typer.Context,
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="升级理由。")],
    to: Annotated[Optional[Level], enum_option(Level, "层级", "升到哪一级，默认上一级", "--to")] = None,
    at: At = None,
) -> None:
    """例：jiesu escalate 42 --reason "涉及多个产权单位" --to 区"""
    from jiesu import cases

    from jiesu.views import ledgered_line, retimed_line

    office = office_of(ctx)
    escalated = cases.escalate(office, case_id, reason, to, office.when(at))
    _done(escalated.case, f"已升级到{Level(escalated.case.level).label}")
    if escalated.ledgered is not None:  # its 办理时限 decides nothing while it is on the ledger
        say(ledgered_line(escalated.ledgered, office.now, office.tz, "未销账"))
    elif escalated.retimed:
        say(retimed_line(escalated.case, "升级后的层级", office.now, office.tz))


def extend(
    ctx: typer.Context,
    case_id: CaseId,
    to: Annotated[str, typer.Option("--to", metavar="TIME", help="新的办理时限（日期含当天）。")],
    reason: Annotated[str, typer.Option("--reason", help="延期理由。")],
    at: At = None,
) -> None:
    """例：jiesu extend 42 --to 2026-12-10 --reason "需等待配件"
    """
    from jiesu import cases
    from jiesu.clock import bound_day, shown_bound

    office = office_of(ctx)
    extended = cases.extend(office, case_id, office.when(to, deadline=True), reason, office.when(at))
    deadline = extended.case.resolve_by
    rest = f"（{bound_day(deadline, office.tz)} 是{extended.rest_day}）" if extended.rest_day else ""
    _done(extended.case, f"已延期至 {shown_bound(deadline, office.tz)}{rest}")


def close(
    ctx: typer.Context,
    case_id: CaseId,
    result: Annotated[Result, enum_option(Result, "办理结果", "办理结果", "--result")],
    note: Annotated[str, typer.Option("--note", help="办结说明。")],
    at: At = None,
) -> None:
    """例：jiesu close 42 --result resolved --note "已维修，诉求人确认"
    """
    from jiesu import cases

    office = office_of(ctx)
    _done(cases.close(office, case_id, result, note, office.when(at)), "已办结")


def revisit(
    ctx: typer.Context,
    case_id: CaseId,
    satisfaction: Annotated[Satisfaction, enum_option(Satisfaction, "满意度", "满意度", "--satisfaction")],
    resolved: Annotated[str, typer.Option("--resolved", metavar="yes|no", help="诉求人是否认为已解决：yes/是 或 no/否。")],
    note: Annotated[str, typer.Option(parser=clearing(), help="回访情况。")] = "",
    at: At = None,
) -> None:
    """例：jiesu revisit 42 --satisfaction 满意 --resolved yes"""
    from jiesu import cases

    solved = parse_yes_no(resolved, "--resolved")
    office = office_of(ctx)
    revisited = cases.revisit(office, case_id, satisfaction, solved, note, office.when(at))
    if revisited.case.status == Status.REVISITED:
        _done(revisited.case, "已回访")
    else:
        _reopened(revisited, "已回访，已重办", office)


def reopen(
    ctx: typer.Context,
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="重办理由。")],
    at: At = None,
) -> None:
    """例：jiesu reopen 42 --reason "诉求人反映仍漏水"
    """
    from jiesu import cases

    office = office_of(ctx)
    _reopened(cases.reopen(office, case_id, reason, office.when(at)), "已重办", office)


def merge(
    ctx: typer.Context,
    case_id: CaseId,
    into: Annotated[int, typer.Option("--into", parser=parse_id, metavar="OTHER", help="并入哪件诉求。")],
    at: At = None,
) -> None:
    """例：jiesu merge 43 --into 42"""
    from jiesu import cases

    office = office_of(ctx)
    _done(cases.merge(office, case_id, into, office.when(at)), f"已并入 #{into}")
