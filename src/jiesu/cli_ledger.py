"""`jiesu ledger …`: the carry-over ledger (台账) on the command line."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from jiesu.clikit import JiesuGroup, existing_office, office_of, say
from jiesu.cliopts import At, Bom, CaseId, Format, Out, RecordFormat, Reveal, clearing, export_format, name_filter, output_format, parse_entry
from jiesu.safetext import echoed_path, shortened
from jiesu.vocab import LedgerStatus, OutputFormat

if TYPE_CHECKING:
    from jiesu.office import Office

ledger_app = typer.Typer(cls=JiesuGroup, rich_markup_mode=None, no_args_is_help=True, add_completion=False)

Period = Annotated[Optional[str], typer.Option("--period", metavar="PERIOD", help="期间 YYYY-MM 或 YYYY年M月，如 2026-10、2026年10月：该月的本期新增（当月上账或重新挂账的条目）；从前几个月结转来的不在其中（--all 连同它们一起列出）。")]
WholeMonth = Annotated[bool, typer.Option("--all", help="该月在账的全部条目：上期结转的和本期新增的，含本月销账的；要与 --period 一起用。")]
Entry = Annotated[int, typer.Argument(parser=parse_entry, metavar="ENTRY", help="台账编号（如 3，或照抄的 台账3、#3）。")]

NO_ENTRIES_YET = "还没有这一期的台账"  # what `ledger list` and `ledger export` say of a --period still to come
EXPORT_COLUMNS = (
    ("entry_id", "台账编号"),
    ("case_id", "诉求编号"),
    ("ref", "工单编号"),
    ("received_at", "受理时间"),
    ("community", "所属社区"),
    ("category", "诉求类别"),
    ("summary", "诉求摘要"),
    ("name", "诉求人"),
    ("phone", "联系电话"),
    ("plan", "整改措施"),
    ("unit", "责任单位"),
    ("due", "整改期限"),
    ("period", "上账期间"),
    ("status", "状态"),
    ("cleared_at", "销账时间"),
    ("evidence", "整改结果"),
    ("carried", "结转次数"),
)
IN_OPENING = ("in_opening", "期初在账")  # a column of --all only: whether the month's 期初 counts the entry


def _listed_period(ctx: typer.Context, period: str | None, whole_month: bool) -> tuple[Office, str | None]:
    """The office and the --period `ledger list` and `ledger export` list, a month begun (ledger.begun_period).
    --all without --period is refused before a book is opened: without one the ledger already lists every
    entry, and --all reading as the month now in would list fewer than no option at all."""
    from jiesu import ledger
    from jiesu.errors import BadOption

    if whole_month and period is None:
        raise BadOption("--all 要与 --period 一起用（如 --period 2026-10 --all）：列出该月在账的全部条目")
    office = office_of(ctx)
    return office, None if period is None else ledger.begun_period(office, period, NO_ENTRIES_YET)


def _due(office: Office, typed: str | None) -> datetime | None:
    """A typed --due (a date alone counts its whole day); `-` (clearing) or blank, as `--phone ''` is `--phone -`,
    or none given: no 整改期限."""
    return office.when(typed, deadline=True) if typed else None


@ledger_app.command("add")
def ledger_add(
    ctx: typer.Context,
    case_id: CaseId,
    plan: Annotated[str, typer.Option("--plan", help="整改措施。")],
    unit: Annotated[str, typer.Option("--unit", help="责任单位。")],
    due: Annotated[Optional[str], typer.Option("--due", metavar="TIME", parser=clearing(), help="整改期限（日期含当天）；- 或不写：不定期限。")] = None,
    at: At = None,
) -> None:
    """上账：一时解决不了的合理诉求挂账整改，不整改完不销账。

    例：jiesu ledger add 42 --plan "协调产权单位更换主管道" --unit 街道城管科 --due 2027-03-31
    """
    from jiesu import ledger
    from jiesu.phones import shown_field

    office = office_of(ctx)
    entry = ledger.add_entry(office, case_id, plan, unit, _due(office, due), office.when(at))
    say(f"#{case_id} 已上账：台账 {entry.id}（{entry.period}，{shortened(shown_field('unit', entry.unit))}）")


@ledger_app.command("clear")
def ledger_clear(
    ctx: typer.Context,
    entry_id: Entry,
    evidence: Annotated[Optional[str], typer.Option("--evidence", help="整改结果（必填：不整改完不销账）。")] = None,
    at: At = None,
) -> None:
    """销账：写明整改结果后销账，诉求随之办结，等待回访。

    例：jiesu ledger clear 3 --evidence "主管道已更换，验收合格"
    """
    from jiesu import ledger

    office = office_of(ctx)
    entry = ledger.clear_entry(office, entry_id, evidence or "", office.when(at))
    say(f"台账 {entry.id} 已销账，#{entry.case_id} 已办结，请回访")


@ledger_app.command("edit")
def ledger_edit(
    ctx: typer.Context,
    entry_id: Entry,
    reason: Annotated[str, typer.Option("--reason", help="更正或重定期限的理由，记入办理记录。")],
    plan: Annotated[Optional[str], typer.Option("--plan", help="改正后的整改措施。")] = None,
    unit: Annotated[Optional[str], typer.Option("--unit", help="改正后的责任单位。")] = None,
    due: Annotated[Optional[str], typer.Option("--due", metavar="TIME", parser=clearing(), help="改正或重定的整改期限（日期含当天）；- 去掉整改期限。")] = None,
    at: At = None,
) -> None:
    """台账更正/延期：改正录错的措施、单位或期限，或重定整改期限（--due - 去掉录错的期限）。

    原值留在办理记录里；不动台账余额，已结转的月份也可补录（--at）。

    例：jiesu ledger edit 3 --due 2027-02-28 --reason "期限年份录错"
    """
    from jiesu import ledger
    from jiesu.views import changes_shown

    office = office_of(ctx)
    due_at = ledger.UNCHANGED if due is None else _due(office, due)
    edited = ledger.edit_entry(office, entry_id, reason, plan=plan, unit=unit, due=due_at, at=office.when(at))
    say(f"台账 {edited.entry.id} 已更正：{changes_shown(edited.changes, office.tz)}（#{edited.entry.case_id}）")


@ledger_app.command("list")
def ledger_list(
    ctx: typer.Context,
    period: Period = None,
    whole_month: WholeMonth = False,
    open_only: Annotated[bool, typer.Option("--open", help="只列未销账的。")] = False,
    unit: Annotated[Optional[str], typer.Option("--unit", parser=name_filter("--unit", "责任单位"), help="责任单位。")] = None,
    fmt: Format = None,
) -> None:
    """列出台账条目：整改措施、责任单位、期限、在账天数、结转次数。

    例：jiesu ledger list --open --unit 街道城管科
    """
    from jiesu import ledger
    from jiesu.phones import shown_field
    from jiesu.render import Column, labelled, local_bound, render, without_year
    from jiesu.views import LEDGER_FIELDS, case_id, ledger_record, yes_no

    office, period = _listed_period(ctx, period, whole_month)
    tz = office.tz

    def rows():
        for line in ledger.list_entries(office, period=period, whole_month=whole_month, open_only=open_only, unit=unit):
            row = ledger_record(line.entry, line.carried, tz)
            row["summary"] = shown_field("summary", line.case.summary)  # no --reveal here: a dictated number is always masked
            row["age_days"] = ledger.days_on_books(line.entry, line.standing, tz)
            if whole_month:
                row["in_opening"] = line.in_opening
            yield row

    columns = [
        Column("id", "台账", whole=True, ids=True),
        Column("case_id", "诉求", case_id, whole=True, ids=True),
        Column("summary", "诉求摘要", main=True),
        Column("unit", "责任单位"),
        Column("plan", "整改措施", drop=2),
        Column("due", "整改期限", local_bound(tz), whole=True, narrow=without_year),
        Column("age_days", "在账天数", whole=True, drop=3),
        Column("carried", "结转", whole=True, drop=1),
        Column("status", "状态", labelled(LedgerStatus), whole=True, lasting=True),  # 在账 or 已销账: what a row is
    ]
    fields = (*LEDGER_FIELDS, "carried", "summary", "age_days")
    if whole_month:
        columns.insert(-1, Column(IN_OPENING[0], "期初", yes_no, whole=True))
        fields = (*fields, IN_OPENING[0])
    fmt = output_format(fmt)
    count = render(rows(), fmt, columns, case_ids="case_id", fields=fields)
    if fmt is OutputFormat.TABLE:
        say(f"共 {count} 条")


@ledger_app.command("roll")
def ledger_roll(
    ctx: typer.Context,
    period: Annotated[str, typer.Argument(metavar="PERIOD", help="结转期间，YYYY-MM 或 YYYY年M月，如 2026-10、2026年10月。")],
    fmt: RecordFormat = None,
) -> None:
    """月末结转：计算并保存本期余额（期初＋本期新增－本期销账＝期末），未销账的结转下期。

    例：jiesu ledger roll 2026-10
    """
    from jiesu import ledger
    from jiesu.render import Column, print_json, render

    ledger.parse_period(period)  # a period no book could take is a usage error before the book is looked for
    office = existing_office(ctx)
    rolled = ledger.roll(office, period)
    balance = rolled.balance
    row = {k: getattr(balance, k) for k in ("period", "opening", "added", "cleared", "closing")}
    fmt = output_format(fmt)
    if fmt is OutputFormat.JSON:
        print_json(row)
    else:
        columns = [Column("period", "期间"), Column("opening", "期初"), Column("added", "本期新增"),
                   Column("cleared", "本期销账"), Column("closing", "期末")]
        render([row], fmt, columns)
    if rolled.already:
        say(f"{balance.period} 已结转过，以上是存档的余额，未作任何改动")
    else:
        say(f"{balance.period} 已结转：{rolled.carried} 条未销账台账结转至 {ledger.next_period(balance.period)}")


@ledger_app.command("export")
def ledger_export(
    ctx: typer.Context,
    period: Period = None,
    whole_month: WholeMonth = False,
    out: Out = None,
    fmt: Annotated[
        Optional[str], typer.Option("--format", "-f", metavar="FORMAT", help="csv（默认，Excel 可直接打开）、xlsx 或 json；不写则按 --out 的扩展名（.xlsx、.json）。")
    ] = None,
    bom: Bom = True,
    reveal: Reveal = False,
) -> None:
    """导出台账上报街道：每条一行，CSV 可直接用 Excel 打开。

    例：jiesu ledger export --period 2026-10 --out 台账-2026-10.csv
    （加 --all：该月在账的全部条目，连同上期结转来的。）
    """
    from jiesu import exchange, ledger

    fmt = export_format(out, fmt, ("csv", "xlsx", "json"))
    office, period = _listed_period(ctx, period, whole_month)
    lines = ledger.list_entries(office, period=period, whole_month=whole_month)
    rows = (
        exchange.ledger_row(line, office.tz, reveal=reveal, for_people=fmt != "json", typed_times=fmt == "xlsx")
        for line in lines
    )
    columns = (*EXPORT_COLUMNS, IN_OPENING) if whole_month else EXPORT_COLUMNS
    count = exchange.write(rows, fmt, out, columns=columns, bom=bom)
    say(f"已导出 {count} 条台账" + (f"到 {echoed_path(out)}" if out else ""))
