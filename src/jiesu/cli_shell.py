"""`jiesu shell`: one process for a day of commands, so each answers without start-up.

The store stays open and the command tree is built once; every line is run
by the same Typer app as `jiesu …` on the command line.
"""

from __future__ import annotations

import shlex
import sys
from typing import Annotated

import typer

from jiesu.clikit import STORES, say
from jiesu.errors import ExitCode

PROMPT = "jiesu> "
HISTORY_FILE = "shell_history"


def shell(
    ctx: typer.Context,
    keep_going: Annotated[bool, typer.Option("--keep-going", help="某条命令被拒绝时继续执行后面的命令（脚本用）。")] = False,
) -> None:
    """例：jiesu shell
    """
    from jiesu.cli import app

    root = ctx.find_root()
    command = typer.main.get_command(app)
    prefix = _global_args(root.params)
    interactive = sys.stdin.isatty()
    if interactive:
        _readline(command, prefix)
        say("jiesu shell：输入命令（如 list、show 42），help 看命令列表，exit 退出。")
    STORES.keep()
    if interactive:
        _greet(ctx)
    status = failed = ExitCode.OK
    try:
        while True:
            try:
                line = input(PROMPT) if interactive else sys.stdin.readline()
            except EOFError:
                break
            except KeyboardInterrupt:
                typer.echo(err=True)
                continue
            if not interactive and line == "":
                break
            words = _split(line)
            if words is None:
                status = ExitCode.USAGE
            elif not words:
                continue
            elif words[0] in ("exit", "quit"):
                break
            else:
                if words[0] == "help":
                    words = ["--help"]
                status = _run(command, prefix + words)
            if status in (ExitCode.OK, ExitCode.THRESHOLD):
                continue
            failed = failed or status
            if not (keep_going or interactive):
                break
    finally:
        STORES.close_all()
    raise typer.Exit(0 if interactive else failed)


def _greet(ctx: typer.Context) -> None:
    """Say what is due today, the way `jiesu todo` would list it."""
    from jiesu.cli_todo import greeting
    from jiesu.errors import JiesuError

    try:
        say(greeting(ctx))
    except JiesuError as exc:
        typer.echo(f"错误: {exc}", err=True)


def _split(line: str) -> list[str] | None:
    text = line.strip()
    if text.startswith("#"):
        return []
    try:
        return shlex.split(text)
    except ValueError as exc:
        typer.echo(f"错误: 无法解析这一行：{exc}", err=True)
        return None


def _run(command, args: list[str]) -> int:
    """Run one line through the same app; returns its exit code."""
    try:
        result = command.main(args=args, prog_name="jiesu", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return ExitCode.REFUSED
    except Exception as exc:  # a usage error from the parser: say it on one line, as the CLI would
        if hasattr(exc, "format_message"):
            typer.echo(f"错误: {exc.format_message()}", err=True)
            return getattr(exc, "exit_code", ExitCode.USAGE)
        raise
    return result if isinstance(result, int) else ExitCode.OK


def _global_args(params: dict) -> list[str]:
    """The global options the shell was started with, passed on to every line."""
    args = []
    for name in ("db", "actor", "rules"):
        if params.get(name):
            args += [f"--{name}", params[name]]
    return args


def _readline(command, prefix: list[str]) -> None:
    """History in the user data folder, and tab completion of command names and case ids."""
    try:
        import readline
    except ImportError:
        return
    from platformdirs import user_data_path

    history = user_data_path("jiesu", appauthor=False) / HISTORY_FILE
    history.parent.mkdir(parents=True, exist_ok=True)
    try:
        readline.read_history_file(history)
    except OSError:
        pass
    import atexit

    atexit.register(readline.write_history_file, history)
    top = command.list_commands(None)
    groups = [(name, command.get_command(None, name)) for name in top]
    names = sorted(top + [f"{name} {sub}" for name, group in groups if hasattr(group, "list_commands") for sub in group.list_commands(None)])

    def complete(text: str, state: int):
        buffer = readline.get_line_buffer()
        if " " not in buffer.strip() or buffer.strip() in top and not buffer.endswith(" "):
            options = [n.split(" ")[-1] for n in names if n.startswith(buffer.lstrip())]
        else:
            options = _case_ids(prefix, text)
        return options[state] if state < len(options) else None

    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


def _case_ids(prefix: list[str], text: str) -> list[str]:
    from sqlalchemy import select

    from jiesu.models import Case
    from jiesu.queries import is_open

    target = prefix[prefix.index("--db") + 1] if "--db" in prefix else None
    store = STORES.kept.get(target) if STORES.kept else None
    if store is None or not text.lstrip("#").isdigit():
        return []
    with store.connect() as conn:
        rows = conn.execute(select(Case.id).where(is_open()).order_by(Case.id.desc()).limit(2000))
        return [str(i) for (i,) in rows if str(i).startswith(text.lstrip("#"))][:50]
