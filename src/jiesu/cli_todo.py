"""`jiesu todo`: the 待办 view a worker opens first every morning."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jiesu.clikit import fail, office_of, say
from jiesu.cliopts import Format, name_filter, output_format
from jiesu.errors import ExitCode

DEFAULT_WITHIN = "1d"


def todo(
    ctx: typer.Context,
    assignee: Annotated[Optional[str], typer.Option(parser=name_filter("--assignee", "承办人或单位"), help="只看这个承办人或单位的。")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="只看派给我（--actor / JIESU_ACTOR）的。")] = False,
    within: Annotated[str, typer.Option(metavar="DURATION", help="多久之内到期的算待办：30m、2h、1d、1w，2 hours、1 day，或 30分钟、2小时、1天、1周。")] = DEFAULT_WITHIN,
    fmt: Format = None,
) -> None:
    """例：jiesu todo --mine --within 2h"""
    from jiesu import views
    from jiesu.render import render
    from jiesu.todo import parse_within, todo as due_work
    from jiesu.vocab import OutputFormat

    if mine and assignee:
        fail("--mine 与 --assignee 只能用一个", ExitCode.USAGE)
    office = office_of(ctx)
    span = parse_within(within)
    whose = office.actor if mine else assignee
    work = due_work(office, within=span, assignee=whose)
    rows = views.due_records(work, office.now, office.tz)
    fmt = output_format(fmt)
    render(rows, fmt, views.todo_columns(office.tz), case_ids="case_id", fields=views.DUE_FIELDS)
    if fmt is OutputFormat.TABLE:
        say(summary_line(rows, within, whose), figures=True)


def greeting(ctx: typer.Context) -> str:
    """The shell's first line about the day's work: the 待办 of the actor, or of everyone."""
    from jiesu import views
    from jiesu.todo import parse_within, todo as due_work

    office = office_of(ctx)
    work = due_work(office, within=parse_within(DEFAULT_WITHIN))
    rows = views.due_records(work, office.now, office.tz)
    mine = [item for item in work if item.assignee == office.actor]  # the rows show it masked
    line = summary_line(rows, DEFAULT_WITHIN)
    return f"{line}；派给 {office.actor} 的 {len(mine)} 项（jiesu todo 查看）" if rows else line


def summary_line(rows: list[dict], within: str, whose: str | None = None) -> str:
    """待办 N 项（其中超期 M 项：首次响应 1、办结 1）, as the table's footer and the shell's greeting say it.

    It counts rows, not cases (项: a case late both to respond and to resolve is two), and names
    each kind that is late: only 办结 (and 台账整改) is what `list --overdue` and a report call 超期.
    `whose`: the assignee it was asked for, named so that none found for a mistyped one does not
    read as a free day."""
    from jiesu.safetext import shortened
    from jiesu.todo import REASONS, within_said

    within = within_said(within)
    of = f"派给 {shortened(whose)} 的" if whose is not None else ""
    if not rows:
        return f"没有{of} {within}的待办"
    late = [row["reason"] for row in rows if row["overdue"]]
    kinds = "、".join(f"{label} {late.count(reason)}" for reason, label in REASONS.items() if reason in late)
    return f"{of}待办 {len(rows)} 项（{within}），其中超期 {len(late)} 项" + (f"：{kinds}" if kinds else "")
