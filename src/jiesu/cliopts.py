"""The option types jiesu's commands share: case ids, enums in either spelling, output formats."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Callable, Optional

import typer

from jiesu.clikit import given_path
from jiesu.digits import at_most, halfwidth
from jiesu.errors import BadInput, BadOption
from jiesu.safetext import blank, dashes_only, echoed, echoed_path, name_refused
from jiesu.vocab import LabeledEnum, OutputFormat, refused_word

if TYPE_CHECKING:
    from jiesu.office import Office


MOST_COUNTED = 10**9  # a count option's ceiling: more cases than any book holds, and far below SQLite's integers
LARGEST_ID = 2**63 - 1  # SQLite's largest integer


def enum_parser(enum: type[LabeledEnum], noun: str, clearable: bool = False):
    """Parse an enum option from its English value or Chinese label; another word is a usage error (exit 2).
    A `clearable` one (a field of `new`/`edit` a case may go without, as the kind) reads `-` or a blank as
    '' (leave it empty, clear it), as `clearing` does; any other refuses them as no choice of `noun`."""

    def parse(text: str) -> LabeledEnum | str:
        if isinstance(text, enum):
            return text
        if blank(text) or dashes_only(text):
            if clearable:
                return ""
            raise typer.BadParameter(f"{noun}必须有值，不能留空或清除（- 在命令行上表示清除）；可选：{enum.choices()}")
        try:
            return enum(text)
        except ValueError:
            raise typer.BadParameter(enum.unknown(noun, text, echoed(text))) from None

    return parse


def numbered(refusal: str, prefix: str = "") -> Callable[[str], int]:
    """The parser of an id as people write it: its number, after `prefix` (as jiesu prints it: `台账 3`)
    and `#` (half- or full-width, as a case is written: `#42`), in decimal digits (ASCII or full-width, not
    `²`); anything else is a usage error (exit 2) saying `refusal` after what was typed. Case ids and
    ledger entries are read alike."""

    def parse(text: str) -> int:
        if isinstance(text, int):
            return text
        raw = str(text).strip().removeprefix(prefix).strip().lstrip("#＃")  # the full-width ＃ a Chinese keyboard types
        number = at_most(raw, LARGEST_ID) if raw.isdecimal() else None
        if not number:
            raise typer.BadParameter(f"{echoed(text)} {refusal}")
        return number

    return parse


# A case id: `42` or `#42`.
parse_id = numbered("不是诉求编号（应为 42 或 #42）")
# A ledger entry's number as jiesu prints it and people copy it: `3`, `台账 3`, `#3`.
parse_entry = numbered("不是台账编号（应为 3 或 台账3）", prefix="台账")


def count_option(*names: str, least: int, most: int, help: str, metavar: str = "N", argument: bool = False):
    """A whole-number option (or argument) from `least` to `most`, typed in ASCII or full-width digits (`３`);
    anything else is a usage error (exit 2) saying the bound it missed."""

    def parse(text) -> int:
        if isinstance(text, int):
            return text
        raw = halfwidth(str(text)).strip()
        sign, digits = (raw[0], raw[1:]) if raw[:1] in ("+", "-") else ("", raw)  # `in "+-"` holds for '' too
        if not (digits.isascii() and digits.isdecimal()):
            raise typer.BadParameter(f"{echoed(text)} 应为整数")
        number = at_most(digits, most)
        if (sign == "-" and digits.lstrip("0")) or (number is not None and number < least):
            raise typer.BadParameter(f"{echoed(text)} 应不小于 {least}")
        if number is None:
            raise typer.BadParameter(f"{echoed(text)} 应不大于 {most}")
        return number

    if argument:
        return typer.Argument(parser=parse, metavar=metavar, help=help)
    return typer.Option(*names, parser=parse, metavar=metavar, help=help)


def parse_yes_no(text: str, option: str) -> bool:
    """yes/no in either language; anything else is a usage error (exit 2) of `option`."""
    word = text.strip().casefold()
    if word in ("yes", "y", "true", "1", "是", "已解决"):
        return True
    if word in ("no", "n", "false", "0", "否", "未解决"):
        return False
    raise typer.BadParameter(f"{echoed(text)} 应为 yes/是 或 no/否", param_hint=option)


def parse_phone(text: str) -> str:
    """A phone as --phone takes it: any form the phone field reads (phones.split: dashes of any width, an
    extension), or blank (`edit --phone ""` clears it); a number that is no Chinese phone is a usage error
    (exit 2). The same number in an import's row is that row's fault instead (exit 1)."""
    if text.strip():
        from jiesu import phones

        try:
            phones.split(text)
        except BadInput as exc:
            raise typer.BadParameter(str(exc)) from None
    return text


def clearing(parse: Callable[[str], str] = str) -> Callable[[str], str]:
    """The parser of a text option that may be left empty (a field of `new` or `edit`, a step's note): `-`
    (safetext.dashes_only) leaves it empty or clears it, as it does when `new` or `edit` asks, and as a blank
    does (`--phone -` is `--phone ''`); any other text goes to `parse`. A text that cannot be left empty
    takes `-` as no text (fields.required)."""

    def parser(text: str) -> str:
        return "" if dashes_only(text) else parse(text)

    return parser


def not_blank(option: str, verb: str = "筛选") -> Callable[[str], str]:
    """The parser of a filter option (`--search`, `--assignee`, `--unit`…): a value that shows nothing (`''`,
    spaces, a zero-width space: `--assignee "$UNIT"` with $UNIT unset) is a usage error, not every case nor none."""

    def parser(text: str) -> str:
        if blank(text):
            raise typer.BadParameter(f"{echoed(text)} 是空白，没有要{verb}的内容；要列出全部请不写 {option}")
        return text

    return parser


searched = not_blank("--search", "查找")


def name_filter(option: str, what: str) -> Callable[[str], str]:
    """The parser of a filter naming a person, unit or community (`--assignee`, `--unit`, `--community`):
    `not_blank`, and a name no case can hold (safetext.name_refused: a zero-width space pasted after it) is
    refused as `assign` refuses it, not a filter that finds nothing."""
    shows_something = not_blank(option)

    def parser(text: str) -> str:
        if reason := name_refused(shows_something(text).strip(), what):
            raise typer.BadParameter(reason)
        return text

    return parser


def parse_ref(text: str) -> str:
    """A work-order number as --ref takes it; one that cannot be stored (fields.ref_refused) is a usage
    error (exit 2). The same ref in an import's row is that row's fault instead (exit 1)."""
    from jiesu import fields

    try:
        fields.clean("ref", text)
    except BadInput as exc:
        raise typer.BadParameter(str(exc)) from None
    return text


def received_between(office: Office, since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """`--since` and `--until` as the receipt times they bound (a date for --until counts its whole day), for
    every command that takes both; one that ends before it starts is a usage error, and one that starts after now
    refused as a view `--as-of` then is (no case is received yet), not an empty answer — or an empty export over a file."""
    start, end = office.when(since), office.when(until, end_of_day=True)
    office.refuse_future(start, "--since 只能是过去或现在的时间")
    if start is not None and end is not None and start > end:
        raise BadOption(f"--since {echoed(since)} 晚于 --until {echoed(until)}，这段时间是空的；是不是写反了？")
    return start, end


# `--since` and `--until` of every command that bounds receipt times (received_between reads them).
Since = Annotated[Optional[str], typer.Option("--since", metavar="TIME", help="受理时间不早于。")]
Until = Annotated[Optional[str], typer.Option("--until", metavar="TIME", help="受理时间不晚于（日期含当天）。")]


def enum_option(enum: type[LabeledEnum], noun: str, help: str, *names: str, cleared: str = ""):
    """An option taking one of `enum`; one a case may go without says what `-` does to it (`cleared`: 留空, 清除)."""
    said = f"{help}（{enum.choices()}）" + (f"；- {cleared}。" if cleared else "")
    return typer.Option(*names, parser=enum_parser(enum, noun, clearable=bool(cleared)), metavar=enum.__name__.upper(), help=said)


CaseId = Annotated[int, typer.Argument(parser=parse_id, metavar="ID", help="诉求编号，如 42 或 #42。")]
At = Annotated[
    Optional[str], typer.Option("--at", metavar="TIME", help="发生时间（补录用），默认现在：2026-10-01T08:30、昨天 18:30、yesterday、-2h。")
]
def format_option(choices, help: str = "输出格式；终端默认 table，管道默认 json。"):
    """`--format`/`-f` taking one of `choices` by its English value or Chinese label (表格 …); a usage error otherwise."""
    choices = list(choices)
    kind = type(choices[0])
    said = ", ".join(f"{c.value} {c.label}" if c.label.casefold() != c.value else c.value for c in choices)

    def parse(text):
        try:
            chosen = text if isinstance(text, kind) else kind(text)
        except ValueError:
            chosen = None
        if chosen not in choices:
            raise typer.BadParameter(f"{echoed(text)} 不是这个命令的输出格式；可选：{said}")
        return chosen

    return typer.Option("--format", "-f", parser=parse, metavar="FORMAT", help=f"{help}（{said}）")


Format = Annotated[Optional[OutputFormat], format_option(OutputFormat)]
# For output that has no case or entry ids to list (rules, balances): `ids` is refused before anything runs.
RecordFormat = Annotated[Optional[OutputFormat], format_option([OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.CSV])]
Reveal = Annotated[bool, typer.Option("--reveal", help="显示完整电话号码，文字里的号码也是（默认打码）。")]
ExportReveal = Annotated[bool, typer.Option(
    "--reveal", help="导出完整电话号码，文字里的号码也是（默认打码；打码的导出不能导入成同样的诉求，移交案卷须加 --reveal）。")]


def file_name(example: str):
    """A parser for a file to write: a name a file can take (`-` is the screen); a blank name or `.`
    is a usage error, not a crash or the folder it names, and so is a path ending in `/`, which names
    a folder (`dir.html/` was taken for an .html file, `new.csv/` written as the file new.csv)."""

    def parse(text: str) -> str:
        import os
        from pathlib import Path

        if text != "-" and not Path(given_path(text, example)).expanduser().name:
            raise typer.BadParameter(f"{echoed(text)} 不是文件名（{example}）")
        if text.endswith(("/", os.sep)) and "://" not in text:  # a database's URL may end in one
            raise typer.BadParameter(f"{echoed(text)} 以 / 结尾，是文件夹的写法，不是文件名（{example}）")
        return text

    return parse


parse_out = file_name("如 --out 导出.csv；输出到屏幕请省略 --out")


Out = Annotated[Optional[str], typer.Option("--out", "-o", parser=parse_out, metavar="FILE", help="写入文件（写完整才替换；默认输出到屏幕）。")]
Bom = Annotated[bool, typer.Option("--bom/--no-bom", help="CSV 开头写 BOM，Excel 打开不乱码（默认写）；脚本可用 --no-bom。")]


def format_for_file(out: str | None, fmt, held_by_suffix: dict[str, tuple], noun: str):
    """The format to write `--out` in, for every command that takes both (export, ledger export, the reports):
    --format when the file's extension holds it, else the first format the extension names (None with neither).
    An extension `held_by_suffix` does not know, or one that holds another format than --format, is a usage
    error before anything is written: `--format csv --out x.pdf` wrote CSV into a .pdf, `--out 日报.xlsx` JSON
    into a file Excel cannot open, `--format csv --out 日报.json` CSV into a .json file."""
    from pathlib import PurePath

    suffix = PurePath(out).suffix.lower() if out and out != "-" else ""
    if not suffix:
        return fmt
    held = held_by_suffix.get(suffix, ())
    if fmt is None and held:
        return held[0]
    if fmt is None:
        raise BadOption(f"{echoed_path(out)}：没有 {suffix} 格式的{noun}；文件名用 {'、'.join(held_by_suffix)} 之一，或用 --format 指定格式")
    if fmt not in held:
        name = getattr(fmt, "value", fmt)
        names = "、".join(s for s, formats in held_by_suffix.items() if fmt in formats)
        raise BadOption(f"{echoed_path(out)}：{suffix} 文件不能写成 {name}；{name} 的文件名用 {names}")
    return fmt


# The formats an export's file name may hold, the first when --format does not say.
EXPORT_SUFFIXES = {".csv": ("csv",), ".txt": ("csv",), ".xlsx": ("xlsx",), ".json": ("json", "open311-json"), ".jsonl": ("jsonl",), ".xml": ("open311-xml",)}


def export_format(out: str | None, fmt: str | None, allowed: tuple[str, ...]) -> str:
    """The format of `export` or `ledger export`: one of `allowed`, as --format says, else as --out's
    extension says (format_for_file), else CSV; an unknown one is a usage error."""
    if fmt is not None and fmt not in allowed:
        raise BadOption(refused_word("导出格式", fmt, echoed(fmt), list(allowed), ", ".join(allowed)))
    held = {suffix: kept for suffix, formats in EXPORT_SUFFIXES.items() if (kept := tuple(f for f in formats if f in allowed))}
    return format_for_file(out, fmt, held, "导出") or "csv"


def output_format(fmt, kind=OutputFormat):
    """The format asked for, else a table for a person at a terminal and JSON for a pipe."""
    if fmt is not None:
        return fmt
    return kind.TABLE if sys.stdout.isatty() else kind.JSON


