"""`jiesu import` and `jiesu export`: work orders in from the 12345 platform and Open311, cases out."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, BinaryIO, Optional

import typer

from jiesu.clikit import office_of, path_name, say
from jiesu.cliopts import Bom, ExportReveal, Out, Since, Until, enum_option, export_format, received_between
from jiesu.errors import BadInput
from jiesu.safetext import echoed_path, shortened
from jiesu.vocab import Status

BAD_ROWS_SHOWN = 20
LINES_NAMED = 10  # lines named in one line of the summary


def import_cases(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", parser=path_name("如 诉求.csv；从标准输入读请写 -"), help="导入文件路径；- 表示标准输入。")],
    fmt: Annotated[
        Optional[str], typer.Option("--format", "-f", metavar="FORMAT", help="csv、xlsx、xls、json、jsonl、open311-json 或 open311-xml（默认按扩展名判断；json 是 jiesu 导出的 JSON 数组，jsonl 每行一件，两者都也认得 Open311）。")
    ] = None,
    map_file: Annotated[Optional[str], typer.Option("--map", metavar="FILE", parser=path_name("如 --map 映射.toml"), help="列映射文件（TOML），用于其他表头的表格。")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Excel 工作簿中要导入的工作表（默认第一张）。")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并报告将导入什么，不写入。")] = False,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="跳过有问题的行，导入其余的（默认：有一行有问题就全部不导入）。")] = False,
    at: Annotated[Optional[str], typer.Option("--at", metavar="TIME", help="导入记录的时间，也是缺少受理时间的行的受理时间（默认现在；要写钟点：2026-10-01 08:30、昨天 18:30、-2h）。")] = None,
) -> None:
    """例：jiesu import 12345工单-11月.csv --dry-run
    """
    from jiesu import filekind, importer

    told = fmt is not None
    fmt = importer.import_format(file, fmt, sheet)
    unit = importer.counted_as(fmt)  # 第 3 行, or a JSON array's 第 3 条
    noun = "行" if unit == "行" else "记录"
    office = office_of(ctx)
    if dry_run:
        office.store.promise_to_write_nothing()
    # Every value typed is read before any file is; --at is a receipt for rows without one, so it needs its clock time.
    when = office.when(at, receipt="--at")
    mapping = importer.load_mapping(map_file) if map_file else None
    with _opened(file) as source:
        filekind.refuse_other_content(source, file, fmt, told)
        rows = importer.read_rows(source, fmt, mapping, sheet)
        with _progress(source) as advance:
            result = importer.import_rows(
                office, rows, source=Path(file).name if file != "-" else "stdin", mapping=mapping,
                at=when, dry_run=dry_run, skip_bad=skip_bad, progress=advance, unit=unit,
                in_child=importer.worth_a_child(source),
            )
    for bad in result.bad[:BAD_ROWS_SHOWN]:
        say(f"第 {bad.line} {unit}：{bad.reason}")
    if result.bad_count > BAD_ROWS_SHOWN:
        say(f"……另有 {result.bad_count - BAD_ROWS_SHOWN} {unit}有问题")
    if result.ignored:
        say(f"未导入的列（jiesu 没有对应的字段）：{shortened('、'.join(result.ignored))}")
    if result.bad_count and skip_bad and result.every_row_refused:  # a cron job's --skip-bad must not pass a file of no good row
        raise BadInput(f"读取的 {result.read} {unit}都有问题，没有可导入的{noun}；改正后重试")
    if result.bad_count and not skip_bad:
        raise BadInput(f"{result.bad_count} {unit}有问题，未导入任何诉求；改正后重试，或用 --skip-bad 只导入没有问题的{noun}")
    verb = "将导入" if dry_run else "已导入"
    differing = f"，另有 {result.differing} 件工单号相同、内容不同，不导入" if result.differing else ""
    skipped = f"，跳过 {result.bad_count} {unit}有问题的" if result.bad_count else ""
    say(f"读取 {result.read} {unit}：{verb} {result.added} 件，已存在 {result.existing} 件{differing}{skipped}" + ("（试运行，未写入）" if dry_run else ""))
    if result.differing:
        lines = "、".join(map(str, result.differing_lines[:LINES_NAMED])) + f" {unit}" + ("等" if result.differing > LINES_NAMED else "")
        say(f"第 {lines}的工单号已在案卷库中或文件的前面几{unit}里，内容（受理时间、电话、摘要或地址）却不同；要改已有的诉求请用 jiesu edit")


@contextmanager
def _opened(file: str) -> Iterator[BinaryIO]:
    """The file to import, open for reading twice (its encoding is told by one pass, its rows read in another):
    standard input or a pipe is first copied to a temporary file, never held in memory."""
    try:
        source = sys.stdin.buffer if file == "-" else open(Path(file).expanduser(), "rb")  # noqa: SIM115
    except OSError as exc:
        from jiesu.importer import unreadable

        raise unreadable(file, exc) from exc
    with source if file != "-" else nullcontext(source):
        if source.seekable():
            yield source
            return
        with tempfile.TemporaryFile() as copy:
            shutil.copyfileobj(source, copy)
            copy.seek(0)
            yield copy


class _progress:
    """A Rich progress bar on stderr, by the bytes of the file read, when a person is watching; silent otherwise."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        size = os.fstat(self.source.fileno()).st_size
        if size < 1 << 20:
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True, console=None)
        self.bar.start()
        task = self.bar.add_task("导入中", total=size)
        return lambda _rows: self.bar.update(task, completed=self.source.tell())

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def export_cases(
    ctx: typer.Context,
    fmt: Annotated[
        Optional[str], typer.Option("--format", "-f", metavar="FORMAT", help="csv（默认）、xlsx、json、jsonl、open311-json 或 open311-xml；不写则按 --out 的扩展名（.xlsx、.json、.jsonl、.xml）。")
    ] = None,
    status: Annotated[Optional[list[Status]], enum_option(Status, "状态", "只导出此状态，可重复", "--status")] = None,
    since: Since = None,
    until: Until = None,
    out: Out = None,
    bom: Bom = True,
    reveal: ExportReveal = False,
) -> None:
    """例：jiesu export --format jsonl --reveal --out 备份.jsonl
    """
    from jiesu import exchange

    fmt = export_format(out, fmt, exchange.EXPORT_FORMATS)  # before the book is opened: a usage error creates no book
    office = office_of(ctx)
    since_at, until_at = received_between(office, since, until)
    selection = exchange.CaseSelection(statuses=[s.value for s in status or []], since=since_at, until=until_at)
    count = exchange.export_cases(office, fmt, out, selection, reveal=reveal, bom=bom)
    say(f"已导出 {count} 件诉求" + (f"到 {echoed_path(out)}" if out else ""))
