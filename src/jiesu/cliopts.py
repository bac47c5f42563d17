"""The option types jiesu's commands share: case ids, enums in either spelling, output formats."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from jiesu.errors import BadInput
from jiesu.vocab import LabeledEnum, OutputFormat


def enum_parser(enum: type[LabeledEnum], noun: str):
    """Parse an enum option from its English value or Chinese label."""

    def parse(text: str) -> LabeledEnum:
        if isinstance(text, enum):
            return text
        try:
            return enum(text)
        except ValueError:
            raise BadInput(f"未知的{noun} {text!r}；可选：{enum.choices()}") from None

    return parse


def parse_id(text: str) -> int:
    """A case id as people write it: `42` or `#42`."""
    if isinstance(text, int):
        return text
    raw = str(text).strip().lstrip("#")
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise BadInput(f"{text!r} 不是诉求编号（应为 42 或 #42）")
    return int(raw)


def parse_yes_no(text: str) -> bool:
    word = text.strip().casefold()
    if word in ("yes", "y", "true", "1", "是", "已解决"):
        return True
    if word in ("no", "n", "false", "0", "否", "未解决"):
        return False
    raise BadInput(f"{text!r} 应为 yes/是 或 no/否")


def enum_option(enum: type[LabeledEnum], noun: str, help: str, *names: str):
    return typer.Option(*names, parser=enum_parser(enum, noun), metavar=enum.__name__.upper(), help=f"{help}（{enum.choices()}）")


CaseId = Annotated[int, typer.Argument(parser=parse_id, metavar="ID", help="诉求编号，如 42 或 #42。")]
At = Annotated[
    Optional[str], typer.Option("--at", help="发生时间（补录用），默认现在：2026-10-01T08:30、yesterday、-2h。")
]
Format = Annotated[
    Optional[OutputFormat],
    typer.Option("--format", "-f", help="输出格式；终端默认 table，管道默认 json。", case_sensitive=False),
]
Reveal = Annotated[bool, typer.Option("--reveal", help="显示完整电话号码（默认打码）。")]


def output_format(fmt, kind=OutputFormat):
    """The format asked for, else a table for a person at a terminal and JSON for a pipe."""
    if fmt is not None:
        return fmt
    return kind.TABLE if sys.stdout.isatty() else kind.JSON


