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
LONGEST_ID = 9  # digits; a longer number may be a phone or an ID-card number


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
    known: set[str] = set()
    if interactive:
        known = _readline(command, prefix)
        say("jiesu shell：输入命令（如 list、show 42），help 看命令列表，exit 退出。")
    STORES.keep()
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
            if interactive and words:
                _forget_personal(line, known)
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


def history_line(line: str, known: set[str]) -> str:
    """What the shell's history keeps of a typed line: command names, option names and case ids.

    Every other word (a summary, a name, a phone, an address, a search) becomes …, so
    the history file outside the book holds nothing personal.
    """
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    kept = []
    for word in words:
        if word in known:
            kept.append(word)
        elif word.startswith("-") and not word.lstrip("-+").isdigit():
            kept.append(word.split("=", 1)[0] + ("=…" if "=" in word else ""))
        elif word.lstrip("#").isdigit() and len(word.lstrip("#")) <= LONGEST_ID:
            kept.append(word)
        else:
            kept.append("…")
    return " ".join(kept)


def _forget_personal(line: str, known: set[str]) -> None:
    import readline

    last = readline.get_current_history_length()
    if last and readline.get_history_item(last) == line.rstrip("\n"):
        readline.replace_history_item(last - 1, history_line(line, known))


def _write_history(readline, history) -> None:
    import os

    try:
        os.close(os.open(history, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(history, 0o600)
        readline.write_history_file(history)
    except OSError:
        pass


def _global_args(params: dict) -> list[str]:
    """The global options the shell was started with, passed on to every line."""
    args = []
    for name in ("db", "actor", "rules"):
        if params.get(name):
            args += [f"--{name}", params[name]]
    return args


def _readline(command, prefix: list[str]) -> set[str]:
    """History in the user data folder (see history_line), and tab completion of command
    names and case ids. Returns the words the history keeps: the command names."""
    try:
        import readline
    except ImportError:
        return set()
    from jiesu.db import data_folder, make_private_folder

    top = command.list_commands(None)
    groups = [(name, command.get_command(None, name)) for name in top]
    names = sorted(top + [f"{name} {sub}" for name, group in groups if hasattr(group, "list_commands") for sub in group.list_commands(None)])
    known = {name.split(" ")[-1] for name in names} | {"help", "exit", "quit"}
    history = data_folder() / HISTORY_FILE
    make_private_folder(history.parent)
    try:
        readline.read_history_file(history)
    except OSError:
        pass
    for index in range(readline.get_current_history_length()):  # lines an older jiesu kept verbatim
        readline.replace_history_item(index, history_line(readline.get_history_item(index + 1) or "", known))
    import atexit

    atexit.register(_write_history, readline, history)

    def complete(text: str, state: int):
        buffer = readline.get_line_buffer()
        if " " not in buffer.strip() or buffer.strip() in top and not buffer.endswith(" "):
            options = [n.split(" ")[-1] for n in names if n.startswith(buffer.lstrip())]
        else:
            options = _case_ids(prefix, text)
        return options[state] if state < len(options) else None

    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    return known


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
