"""What every jiesu command shares: the groups, error handling, global settings, the store.

Only Typer and the error types are imported here, so that `jiesu --help` stays quick;
the option types, which need the enums, are in `cliopts.py`.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from jiesu.errors import ExitCode, JiesuError

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
            # The reader went away (`| head`): nothing left to say, and stdout now points at
            # /dev/null so that the flush at exit cannot fail either.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.stderr.close()
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
                f"注意：chinesecalendar 尚无 {'、'.join(map(str, years))} 年的官方放假安排：法定节假日及补假按"
                "《全国年节及纪念日放假办法》计算（holidays 库），调休上班日未知，需在规则文件 calendar.workdays 中列出"
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
