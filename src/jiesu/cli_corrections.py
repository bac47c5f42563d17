"""Correcting a case and taking back a slip: `jiesu edit` and `jiesu undo` (history stays append-only)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jiesu.clikit import office_of, say
from jiesu.cliopts import CaseId, clearing, enum_option, parse_id, parse_phone, parse_ref
from jiesu.vocab import Channel, Kind, Urgency


def edit(
    ctx: typer.Context,
    case_id: CaseId,
    summary: Annotated[Optional[str], typer.Option(help="诉求摘要（不能清除）。")] = None,
    detail: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求详情；- 清除。")] = None,
    phone: Annotated[Optional[str], typer.Option(parser=clearing(parse_phone), metavar="PHONE", help="诉求人电话；- 清除。")] = None,
    name: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求人姓名；- 清除。")] = None,
    address: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求地址；- 清除。")] = None,
    community: Annotated[Optional[str], typer.Option(parser=clearing(), help="所属社区；- 清除。")] = None,
    category: Annotated[Optional[str], typer.Option(parser=clearing(), help="诉求类别，用 / 分级（改类别可能改变时限档）；- 清除。")] = None,
    urgency: Annotated[Optional[Urgency], enum_option(Urgency, "紧急程度", "紧急程度（会重算时限）")] = None,
    kind: Annotated[Optional[Kind], enum_option(Kind, "诉求类型", "诉求类型", cleared="清除")] = None,
    ref: Annotated[Optional[str], typer.Option(parser=clearing(parse_ref), help="12345 工单编号（唯一；不分大小写、全半角）；- 清除。")] = None,
    channel: Annotated[Optional[Channel], enum_option(Channel, "受理渠道", "受理渠道")] = None,
    received: Annotated[Optional[str], typer.Option(metavar="TIME", help="受理时间（会重算时限）：2026-10-01T08:30、昨天 18:30、yesterday 18:30、-2h；要写钟点（只写日期或 yesterday 会被拒绝）。")] = None,
    note: Annotated[str, typer.Option(parser=clearing(), help="更正说明，记入办理记录。")] = "",
) -> None:
    """例：jiesu edit 42 --address "前门东大街3号楼" --category 城乡建设/违建

    在终端里不带任何选项时，逐项询问（回车保留原值，- 清除）。
    """
    from jiesu.edits import edit_case
    from jiesu.views import changes_shown, ledgered_line, respond_by_line, responded_line, retimed_line

    office = office_of(ctx)
    typed = {
        "summary": summary, "detail": detail, "phone": phone, "name": name, "address": address,
        "community": community, "category": category, "urgency": urgency, "kind": kind, "ref": ref, "channel": channel,
    }
    values = {key: getattr(value, "value", value) for key, value in typed.items() if value is not None}
    if received is not None:
        values["received_at"] = office.when(received, receipt="--received")
    if not values and not note:
        from jiesu import prompts

        if prompts.interactive():
            values = prompts.ask_edit(office, case_id)
            if not values:  # every answer left as it was: nothing to correct, and nothing wrong either
                say(f"#{case_id} 各项都没有改动，未更正")
                return
    edited = edit_case(office, case_id, values, note)
    case, tz = edited.case, office.tz
    typed_changes = {k: v for k, v in edited.changes.items() if k not in ("tier", "respond_by", "resolve_by")}
    say(f"#{case.id} 已更正：{changes_shown(typed_changes, tz)}")
    if edited.ledgered is not None:  # its 办理时限 decides nothing while it is on the ledger; a 响应时限 still due does
        say(ledgered_line(edited.ledgered, office.now, tz, "未销账"))
        if "respond_by" in edited.changes and case.responded_at is None:
            say(respond_by_line(case, "更正后的内容", tz))
    elif edited.retimed:
        say(retimed_line(case, "更正后的内容", office.now, tz))
    if "responded_at" in edited.changes:  # hidden from the history's lines: the contact that set it shows instead
        say(responded_line(case, tz))


def undo(
    ctx: typer.Context,
    case_id: Annotated[
        Optional[int], typer.Argument(parser=parse_id, metavar="ID", help="诉求编号；不给则撤销本人在任何诉求上的最近一步。")
    ] = None,
) -> None:
    """例：jiesu undo 42

    撤销本人最近的一步（派错单、办结错了编号等），追加一条“撤销”记录恢复原值；
    之后别人已在此基础上办理、超过撤销时限（规则 undo.window）或涉及台账、回访的，不能撤销。
    """
    from jiesu.undone import undo as undo_step
    from jiesu.views import responded_line, restored_shown
    from jiesu.vocab import EventKind, Status

    office = office_of(ctx)
    done = undo_step(office, case_id)
    restored = restored_shown(done.changes, done.case, office.tz)
    said = f"：{restored}" if restored else ""
    say(f"#{done.case.id} 已撤销{EventKind(done.step.kind).label}{said}（{Status(done.case.status).label}）")
    if "responded_at" in done.changes:  # hidden from the line above, as in the correction's own
        say(responded_line(done.case, office.tz, "改回"))
