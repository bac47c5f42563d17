"""What every jiesu command shares: error handling, global settings, option types, output choice.

Only enums and Typer are imported here, so that `--help` stays quick.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from typer.core import TyperGroup

from jiesu.errors import BadInput, ExitCode, JiesuError
from jiesu.vocab import LabeledEnum, OutputFormat

if TYPE_CHECKING:
    from jiesu.db import Store
    from jiesu.office import Office


class JiesuGroup(TyperGroup):
    """The one place where errors become a line on stderr and an exit code."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except JiesuError as exc:
            fail(str(exc), exc.exit_code)
        except typer.BadParameter as exc:
            hint = _param_name(exc)
            if type(exc).__name__ == "MissingParameter":
                where = exc.ctx.command_path if exc.ctx else "jiesu"
                fail(f"缺少 {hint}（{where} --help 看用法）", ExitCode.USAGE)
            fail(f"{hint} 无效：{exc.message}", ExitCode.USAGE)
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (`| head`); nothing left to say
            raise typer.Exit(ExitCode.OK) from None


class LazyGroup(JiesuGroup):
    """A group that builds a command only when it is run or its help is asked for.

    Typer builds every command of an app up front (about 1.5 ms each, and the
    modules behind them must be imported first); a worker's `jiesu show 1` needs one.
    `lazy` maps each name to ("module:attribute", one-line summary); the summary is
    the command's help's first line and what the group's own `--help` lists.
    """

    lazy: dict[str, tuple[str, str]] = {}

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.lazy)

    def get_command(self, ctx: typer.Context, name: str):
        if name not in self.commands and name in self.lazy:
            self.commands[name] = build_command(name, *self.lazy[name])
        return self.commands.get(name)

    def format_commands(self, ctx: typer.Context, formatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in self.lazy.items()])


def build_command(name: str, target: str, summary: str):
    """The click command for a function or a Typer sub-app named by "module:attribute"."""
    import importlib

    module, attribute = target.split(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        command = typer.main.get_group(found)  # a group even when it holds one command (`rules show`)
    else:
        holder = typer.Typer(add_completion=False, rich_markup_mode=None)
        holder.command(name)(found)
        command = typer.main.get_command(holder)
    command.help = f"{summary}\n\n{command.help}" if command.help else summary
    return command


def _param_name(exc: typer.BadParameter) -> str:
    """The option or argument a bad value was given for, as the person typed it."""
    if isinstance(exc.param_hint, str):
        return exc.param_hint
    param = exc.param
    if param is None:
        return "参数"
    if getattr(param, "param_type_name", "") == "argument":
        return (param.metavar or param.name or "参数").upper()
    return "/".join(param.opts) or param.name


def fail(message: str, code: int = ExitCode.REFUSED):
    typer.echo(f"错误: {message}", err=True)
    raise typer.Exit(code)


def say(message: str) -> None:
    """Talk to the person (stderr), never to the script reading stdout."""
    typer.echo(message, err=True)


# ---------------------------------------------------------------- global options


class Settings:
    """The global options, and the office they open on first use."""

    def __init__(self, db: str | None, actor: str | None, rules: str | None) -> None:
        self.db = db
        self.actor = actor
        self.rules = rules
        self._office: Office | None = None

    def office(self, ctx: typer.Context) -> Office:
        if self._office is None:
            from jiesu.office import Office
            from jiesu.rulesfile import rules_for

            store = STORES.get(self.db, ctx)
            rules, _ = rules_for(self.rules, store.path)
            self._office = Office(store=store, rules=rules, actor=self.actor or _login())
            ctx.call_on_close(self._after)
            for notice in store.notices:
                say(notice)
        return self._office

    def _after(self) -> None:
        years = sorted(self._office.calendar.fallback_years) if self._office else []
        if years:
            say(
                f"注意：chinesecalendar 不含 {'、'.join(map(str, years))} 年的法定节假日，"
                "按周一至周五及规则文件 calendar.holidays / calendar.workdays 计算工作日"
            )


class _Stores:
    """Where commands get their store: opened per command, or kept open across a `jiesu shell` session."""

    def __init__(self) -> None:
        self.kept: dict[str | None, Store] | None = None

    def get(self, target: str | None, ctx: typer.Context) -> Store:
        from jiesu.db import open_store

        if self.kept is None:
            store = open_store(target)
            ctx.call_on_close(store.close)
            return store
        if target not in self.kept:
            self.kept[target] = open_store(target)
        return self.kept[target]

    def keep(self) -> None:
        self.kept = {}

    def close_all(self) -> None:
        for store in (self.kept or {}).values():
            store.close()
        self.kept = None


STORES = _Stores()


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def office_of(ctx: typer.Context) -> Office:
    return ctx.find_root().obj.office(ctx.find_root())


# ---------------------------------------------------------------- option types


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


