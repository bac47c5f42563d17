"""`jiesu report …`: the nightly and monthly reports, for cron and for the street leader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from jiesu.clikit import JiesuGroup, office_of, say
from jiesu.clock import MOST_DAYS, bound_day
from jiesu.cliopts import MOST_COUNTED, Bom, Format, Out, count_option, format_for_file, format_option, output_format
from jiesu.errors import ExitCode
from jiesu.vocab import OutputFormat, ReportFormat

if TYPE_CHECKING:
    from jiesu.office import Office

report_app = typer.Typer(cls=JiesuGroup, rich_markup_mode=None, no_args_is_help=True, add_completion=False)

Fmt = Annotated[Optional[ReportFormat], format_option(ReportFormat)]
FailOnOverdue = Annotated[bool, typer.Option("--fail-on-overdue", help="有诉求超过办理时限（挂账的：整改期限）时退出码为 3（报告照常输出），供 cron 报警；首次响应、回访迟了不算。")]


def emit(office: Office, document: dict, fmt: ReportFormat | None, trend=None, out: str | None = None, bom: bool = True) -> None:
    """Write the report in its format (format_for_file's, if `out` is named), to stdout or whole to the
    file `out`; CSV with a BOM unless not `bom`, as export and ledger export write theirs for Excel."""
    from jiesu import report_views
    from jiesu.exchange import output
    from jiesu.render import print_json
    from jiesu.safetext import echoed_path

    fmt = output_format(fmt, ReportFormat)
    page = None
    if fmt is ReportFormat.HTML:
        from jiesu import report_figures, report_html

        page = report_html.render(document, report_figures.figures(office, document))
    with output(out, utf8=page is not None, bom=bom and fmt is ReportFormat.CSV) as stream:
        if page is not None:
            stream.write(page)  # its text made visible, then escaped, by report_html
        elif fmt is ReportFormat.JSON:
            print_json(document, stream)
        elif fmt is ReportFormat.CSV:
            report_views.write_flat_csv(document, stream)
        elif fmt is ReportFormat.MARKDOWN:
            report_views.write_markdown(document, stream)
        else:
            report_views.print_screen(document, trend, stream)
    if out:
        say(f"已写入 {echoed_path(out)}")


# The formats a file's name can hold, the first what it asks for when --format does not say. A
# `.txt` is plain text: the screen's table, or CSV, Markdown or JSON, but not a page's markup.
FILE_FORMATS = {
    ".json": (ReportFormat.JSON,), ".csv": (ReportFormat.CSV,), ".md": (ReportFormat.MARKDOWN,), ".markdown": (ReportFormat.MARKDOWN,),
    ".html": (ReportFormat.HTML,), ".htm": (ReportFormat.HTML,),
    ".txt": (ReportFormat.TABLE, ReportFormat.CSV, ReportFormat.MARKDOWN, ReportFormat.JSON),
}


def _finish(document: dict, fail_on_overdue: bool) -> None:
    if fail_on_overdue and document["overdue"]:
        typer.echo(f"有 {document['overdue']} 件诉求超期", err=True)
        raise typer.Exit(ExitCode.THRESHOLD)


@report_app.command("daily")
def report_daily(
    ctx: typer.Context,
    day: Annotated[Optional[str], typer.Option("--date", metavar="DATE", help="哪一天（默认今天）：2026-11-27、yesterday；一个时刻指它所在的那天，00:00 整（含 24:00）指刚结束的那天，如 '2026-11-27 24:00' 即 11-27。")] = None,
    fmt: Fmt = None,
    out: Out = None,
    bom: Bom = True,
    fail_on_overdue: FailOnOverdue = False,
) -> None:
    """日报：当天受理、办结、回访，超期（过了办理时限）与应升级，本月三率，热点，近两周走势。

    例：jiesu report daily --format json --fail-on-overdue > report.json
    """
    from jiesu import reports

    fmt = format_for_file(out, fmt, FILE_FORMATS, "报告")  # before the book is opened: a usage error creates no book
    office = office_of(ctx)
    # A moment names the day it falls in, and a day's 24:00 (the next 00:00) the day it ends, as the default's
    # 00:00:00 does: `--date '2026-11-03 24:00'` reported 11-04.
    report = reports.daily(office, bound_day(office.when(day, deadline=True), office.tz) if day is not None else None)
    emit(office, report.document, fmt, report.trend, out, bom)
    _finish(report.document, fail_on_overdue)


@report_app.command("monthly")
def report_monthly(
    ctx: typer.Context,
    period: Annotated[Optional[str], typer.Option("--period", metavar="PERIOD", help="月份 YYYY-MM 或 YYYY年M月（默认本月；每月 1 日 00:00:00 整为刚结束的上月）。")] = None,
    fmt: Fmt = None,
    out: Out = None,
    bom: Bom = True,
    fail_on_overdue: FailOnOverdue = False,
) -> None:
    """月报（考评）：本月办理情况、三率（总体、按社区、按承办）与台账余额。

    例：jiesu report monthly --period 2026-10 --format html --out 月报-2026-10.html
    """
    from jiesu import reports

    fmt = format_for_file(out, fmt, FILE_FORMATS, "报告")
    office = office_of(ctx)
    document = reports.monthly(office, period)
    emit(office, document, fmt, out=out, bom=bom)
    _finish(document, fail_on_overdue)


def hotspots(
    ctx: typer.Context,
    days: Annotated[Optional[int], count_option("--days", least=1, most=MOST_DAYS, help=f"统计最近多少天（1–{MOST_DAYS}；默认见规则 hotspots.days）。")] = None,
    min_cases: Annotated[Optional[int], count_option("--min", least=2, most=MOST_COUNTED, help="同社区同类别至少几件（至少 2；默认见规则 hotspots.min_cases）。")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="TIME", help="以此时刻为“现在”。")] = None,
    fmt: Format = None,
) -> None:
    """例：jiesu hotspots --days 7 --min 5"""
    from jiesu import reports
    from jiesu.render import Column, local_time, render, without_year
    from jiesu.report_views import HOTSPOT_LABELS

    office = office_of(ctx)
    found = reports.hotspots(office, as_of=office.when(as_of), days=days, min_cases=min_cases)
    columns = [
        Column("kind", "类型", HOTSPOT_LABELS.get, whole=True),
        Column("community", "社区"),
        Column("category", "类别"),
        Column("address", "地址"),
        Column("count", "件数", whole=True),
        Column("case_ids", "诉求", lambda ids: " ".join(f"#{i}" for i in ids), ids=True),
        Column("first_at", "最早", local_time(office.tz), whole=True, narrow=without_year, drop=1),
        Column("last_at", "最近", local_time(office.tz), whole=True, narrow=without_year, drop=2),
    ]
    fmt = output_format(fmt)
    count = render(found, fmt, columns, case_ids="case_ids")
    if fmt is OutputFormat.TABLE:
        say(f"共 {count} 处热点")
