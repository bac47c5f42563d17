"""What every jiesu command shares: the groups, error handling, global settings, the store.

Only Typer, the error types and two stdlib-only helpers (`safetext`, `usage`) are imported
here, so that `jiesu --help` stays quick; the option types, which need the enums, are in
`cliopts.py`. Every command built through `build_command` gets Chinese help, Chinese usage
errors, safe messages and the output-failure exit codes without doing anything itself.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand, TyperGroup

from jiesu.errors import BadOption, ExitCode, JiesuError, Unencodable, os_reason
from jiesu.interrupts import Interrupted, interruption, raise_on_sigterm
from jiesu.safetext import echoed, has_undecodable, undecodable_message, visible, visible_lines
from jiesu.helpfold import ChineseContext
from jiesu.usage import HELP_OPTION_HELP, chinese_help_record, dashed_option, usage_message, usage_piece

if TYPE_CHECKING:
    from jiesu.db import Store
    from jiesu.office import Office


class ChineseHelp:
    """Help pages in Chinese: the usage line, the section titles and the help option itself, folded as
    Chinese is written (helpfold)."""

    context_class = ChineseContext

    def get_help_option(self, ctx: typer.Context):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option

    def format_usage(self, ctx: typer.Context, formatter) -> None:
        pieces = [usage_piece(piece) for piece in self.collect_usage_pieces(ctx)]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="用法: ")

    def format_options(self, ctx: typer.Context, formatter) -> None:
        records = {"argument": [], "option": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and param.param_type_name in records:
                records[param.param_type_name].append(chinese_help_record(param, record))
        for kind, title in (("argument", "参数"), ("option", "选项")):
            if records[kind]:
                with formatter.section(title):
                    formatter.write_dl(records[kind])
        if hasattr(self, "format_commands"):
            self.format_commands(ctx, formatter)


class JiesuCommand(ChineseHelp, TyperCommand):
    """A leaf command with Chinese help."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        refuse_repeated_options(self.get_params(ctx), args)
        return super().parse_args(ctx, args)


def refuse_repeated_options(params, args: list[str], *, before_command: bool = False) -> None:
    """An option given twice is a usage error (BadOption), not its first value dropped without a word: tester 44's
    `ledger clear 1 --evidence 已更换主管道 --evidence …` stored the second only, and tester 45's `--db a --db b`
    worked in another book. Short ones count as written together too (`-fjson`, `-qq`, `-af ids`). Options that
    gather every value given (`multiple`) may repeat; after `--` every word is text. An option's value that is
    another of its options (`contact 2 --note --at …`) is a value forgotten, not a text. An option written with
    an input method's dashes (`—assignee`, `－－assignee`) is refused saying how to write it (usage.dashed_option),
    not taken as a text. A group's options (`before_command`) end at its command's name."""
    names = {name for param in params if param.param_type_name == "option" for name in (*param.opts, *param.secondary_opts)}
    options = {
        name: param
        for param in params
        if param.param_type_name == "option" and not getattr(param, "count", False)
        for name in (*param.opts, *param.secondary_opts)
    }
    seen: dict[str, str] = {}  # an option's name → how it was first written
    words = iter(args)
    for word in words:
        if word == "--":
            return
        if dashed := dashed_option(word, names):
            raise BadOption(dashed)
        if before_command and not word.startswith("-"):
            return
        name, equals, _ = word.partition("=")
        if name in options:
            taken = [(name, options[name], bool(equals))]
        elif word.startswith("-") and not word.startswith("--") and len(word) > 2:  # short ones written together
            taken = []
            for place, letter in enumerate(word[1:], 1):
                if (param := options.get(f"-{letter}")) is None:
                    break  # not an option: the parser says what it is
                taken.append((f"-{letter}", param, place < len(word) - 1 or param.is_flag))
                if not param.is_flag:
                    break  # the rest of the word is its value
        else:
            continue
        for written, param, valued in taken:
            if param.name in seen and not getattr(param, "multiple", False):
                first = seen[param.name]
                same = f"{written} 写了两次" if first == written else f"{first} 和 {written} 是同一个选项，写了两次"
                raise BadOption(f"{same}；一个选项只能写一次，后写的会替换先写的，请删去多余的一个")
            seen[param.name] = written
            if not param.is_flag and not valued:
                value = next(words, None)
                if value in options:
                    raise BadOption(f"{written} 后面缺少取值：{value} 是选项；以 - 开头的文字请写成 {written}={value}")
                if dashed := dashed_option(value or "", names):
                    raise BadOption(f"{dashed}；若是 {written} 的文字，请写成 {written}={value}")


class JiesuGroup(ChineseHelp, TyperGroup):
    """The one place where errors become a line on stderr and an exit code."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        refuse_repeated_options(self.get_params(ctx), args, before_command=True)
        return super().parse_args(ctx, args)

    def main(self, args=None, prog_name=None, standalone_mode: bool = True, **extra):
        """Run the command line; a usage error becomes one Chinese line (exit 2), never Click's English,
        and Ctrl-C or SIGTERM one line saying whether the change was saved (exit 130, 143), never a traceback."""
        if not standalone_mode:  # `jiesu shell` runs each line this way and reports errors itself
            return super().main(args=args, prog_name=prog_name, standalone_mode=False, **extra)
        raise_on_sigterm()
        saved_before = saved_counts()
        try:
            with _interruptions_raised():
                result = super().main(args=args, prog_name=prog_name, standalone_mode=False, **extra)
        except Interrupted as exc:
            sys.exit(interrupted(exc.exit_code, saved_before, exc.kept))
        except typer.Abort:
            sys.exit(ExitCode.REFUSED)
        except OSError as exc:  # a line said as the command closes (the calendar note) could not be written
            sys.exit(output_failed(exc, saved_before))
        except JiesuError as exc:  # refused as the command line was read, before any command ran (an option twice)
            warn(error_line(str(exc)))
            sys.exit(exc.exit_code)
        except Exception as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()
                sys.exit(exc.exit_code)
            message = usage_message(exc, sys.argv[1:] if args is None else list(args))
            if message is None:
                raise
            warn(error_line(message))
            sys.exit(exc.exit_code)
        if result == ExitCode.INTERRUPTED:  # Typer's own silent answer to a Ctrl-C it caught outside the command:
            result = interrupted(result, saved_before)  # while the book closed after it (its WAL checkpoint), say
        sys.exit(result if isinstance(result, int) else ExitCode.OK)

    def invoke(self, ctx: typer.Context):
        saved_before = saved_counts()
        try:
            with _interruptions_raised():
                result = super().invoke(ctx)
                sys.stdout.flush()  # a full disk must fail here, inside the handler, not at exit
            return result
        except JiesuError as exc:
            fail(str(exc), exc.exit_code)
        except OverflowError as exc:  # the last net: a number or date past what Python or SQLite holds
            fail(f"数值超出可处理的范围（{exc}）")
        except UnicodeEncodeError as exc:
            if has_undecodable(exc.object):  # input bytes that were never text, met before the store
                fail(undecodable_message(exc.object))
            raise typer.Exit(output_failed(exc, saved_before)) from None
        except OSError as exc:
            raise typer.Exit(output_failed(exc, saved_before)) from None

    def format_commands(self, ctx: typer.Context, formatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)


@contextmanager
def _interruptions_raised() -> Iterator[None]:
    """An exception that came of Ctrl-C or SIGTERM leaves as the Interrupted it is: a clean-up that failed
    after it (a store error, a closed connection), Click's Abort of a prompt left with Ctrl-C. A command's
    own Exit is its ending, already said."""
    try:
        yield
    except typer.Exit:
        raise
    except BaseException as exc:
        found = interruption(exc)
        if found is None or found is exc:
            raise
        raise found from exc


def interrupted(exit_code: int, saved_before: tuple[int, int], kept: str | None = None) -> int:
    """Ctrl-C or SIGTERM stopped the command: one line saying whether its change was saved (commits or
    files since `saved_before`, as `output_failed` tells; or `kept`, the command's own word for what it left
    and what finishes it), and `exit_code` (130, 143) for the shell."""
    saved = _saved_since(saved_before)
    if kept:
        warn(error_line(f"已中断；{kept}"))
    else:
        warn(error_line(f"已中断，但{saved[0]}；{saved[1]}" if saved else "已中断，没有保存任何改动"))
    return exit_code


def output_failed(exc: Exception, saved_before: tuple[int, int]) -> int:
    """stdout or stderr could not take what the command had to say: one line (if stderr still takes
    it), and the exit code — 5 when the command's change is saved or its file written, so that a
    script does not run it again, else 1. A read whose reader went away (`| head`) is done, quietly:
    the reader asked for no more (`jiesu report daily | head` in cron is no failure)."""
    _flush_or_silence()
    reason = _output_failure(exc)
    saved = _saved_since(saved_before)
    if saved:
        warn(error_line(f"{saved[0]}，但结果无法输出（{reason}）；{saved[1]}"))
        return ExitCode.SAVED_OUTPUT_FAILED
    if isinstance(exc, BrokenPipeError):
        _silence(sys.stderr)  # what stderr still buffers (a line already said) cannot fail at exit either
        return ExitCode.OK
    warn(error_line(f"结果无法输出（{reason}）"))
    return ExitCode.REFUSED


def saved_counts() -> tuple[int, int]:
    """How many changes this process has saved: write transactions committed, and files put in place
    (an export's `--out`, a backup, a copy)."""
    db, files = sys.modules.get("jiesu.db"), sys.modules.get("jiesu.atomicfile")
    return (db.commit_count() if db else 0), (files.placed_count() if files else 0)


def _saved_since(saved_before: tuple[int, int]) -> tuple[str, str] | None:
    """What this process has saved since `saved_before` (a `saved_counts()`), as people read it, and what not to
    do about it: (`改动已保存`, `不要重试，…`) for a commit, (`文件已写好`, `不要重试`) for a file; None for nothing."""
    commits, files = saved_counts()
    if commits > saved_before[0]:
        return "改动已保存", "不要重试，用 jiesu list 或 jiesu show 查看"
    if files > saved_before[1]:
        return "文件已写好", "不要重试"
    return None


def _flush_or_silence() -> None:
    """Hand stdout what is buffered (when it was stderr that failed, the id a script reads still
    arrives); what it cannot take is dropped, so that it cannot fail again at exit."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _silence(sys.stdout)


def _silence(stream) -> None:
    """Point `stream` at /dev/null, so that what is still buffered cannot fail again at exit (Python
    exits 120 when its last flush of stdout or stderr fails, whatever code the command chose)."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's captured stream)
        pass


def _output_failure(exc: Exception) -> str:
    if isinstance(exc, UnicodeEncodeError):
        return str(Unencodable.of(exc.encoding, exc.object[exc.start]))
    return "输出已关闭" if exc.errno == errno.EBADF else os_reason(exc)


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
        with formatter.section("命令"):
            formatter.write_dl([(name, summary) for name, (_, summary) in self.lazy.items()])


def build_command(name: str, target: str, summary: str):
    """The click command for a function or a Typer sub-app named by "module:attribute"."""
    import importlib

    module, attribute = target.split(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        for info in found.registered_commands:
            if info.cls in (None, TyperCommand):
                info.cls = JiesuCommand  # Chinese help for every sub-command
        command = typer.main.get_group(found)  # a group even when it holds one command (`rules show`)
    else:
        holder = typer.Typer(add_completion=False, rich_markup_mode=None)
        holder.command(name, cls=JiesuCommand)(found)
        command = typer.main.get_command(holder)
    command.help = f"{summary}\n\n{command.help}" if command.help else summary
    return command


def build_everything(command) -> None:
    """Build every command under `command`, and each parameter's value converter, now.

    Typer builds them when a command first runs (a third of a warm `jiesu show 1`); the resident
    process (server.py) calls this once before it forks, so no command it runs pays for it.
    """
    for param in command.params:
        converter = getattr(param, "get_runtime_param", None)  # Typer's own parameters only
        if converter:
            converter()
    if isinstance(command, TyperGroup):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            build_everything(command.get_command(ctx, name))


def given_path(text: str, example: str) -> str:
    """Every path jiesu takes (--db, JIESU_DB, --to, --out, --rules, --map, a file to read or write):
    a blank one (`''`, spaces: `--db "$BOOK"` with $BOOK unset) names no file and is a usage error,
    never a file called ` ` made in the current folder."""
    if not text.strip():
        raise typer.BadParameter(f"{echoed(text)} 不是文件名（{example}）")
    return text


def path_name(example: str):
    """A parser for a file to read (or a book to open): any path but a blank one."""

    def parse(text: str) -> str:
        return given_path(text, example)

    return parse


def fail(message: str, code: int = ExitCode.REFUSED):
    warn(error_line(message))
    raise typer.Exit(code)


_script_line: int | None = None  # the line of a script `jiesu shell < file` is running


def name_script_line(number: int | None) -> None:
    """Errors from now on name line `number` of the script `jiesu shell` reads (None: no script)."""
    global _script_line
    _script_line = number


def error_line(message: str) -> str:
    """`错误: message`, naming the script line it came from while `jiesu shell` reads a file (`错误: 第 2 行：…`)."""
    where = f"第 {_script_line} 行：" if _script_line else ""
    return f"错误: {where}{message}"


def warn(line: str) -> None:
    """Say `line` if stderr takes it: a command ending is told by its exit code all the same (a
    refusal that cannot be said still exits 1, a saved change 5 — never a traceback)."""
    _flush_or_silence()  # a full stdout must silence stdout, not stderr, or the refusal is lost
    try:
        say(visible(line))  # one line: a line break in what it repeats back is shown as ␊
    except (OSError, ValueError):  # stderr full, gone, or an encoding that cannot show the line
        _silence(sys.stderr)


def say(message: str, *, figures: bool = False) -> None:
    """Talk to the person (stderr), never to the script reading stdout; case text in it is shown as it is.
    What the command wrote to stdout goes out first: `已导出 8 件` is said only once stdout took them (a full
    disk failed the export after the resident process, its stdout buffered, had said so).
    A line of `figures` (`待办 5 项（1 天内到期），其中超期 2 项：办结 1、回访 1`) folds to the terminal as a report's does."""
    sys.stdout.flush()
    if figures:
        from jiesu.render import console, figures as folded

        console(sys.stderr).print(folded(message))
    else:
        typer.echo(visible_lines(message), err=True)


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
        """The calendar note, after a command that went through: a refusal stays one line."""
        if _ending_code() != ExitCode.OK:
            return
        years = sorted(self._office.calendar.fallback_years) if self._office else []
        if years and STORES.first_time(("calendar", *years)):
            say(
                f"注意：chinesecalendar 尚无 {'、'.join(map(str, years))} 年的官方放假安排：法定节假日及补假按"
                "《全国年节及纪念日放假办法》计算（holidays 库），调休上班日未知，需在规则文件 calendar.workdays 中列出"
            )


class _Stores:
    """Where commands get their store: opened per command, or kept open across a `jiesu shell` session
    (which also remembers the notes it has said: a session hears each one once)."""

    def __init__(self) -> None:
        self.kept: dict[str | None, Store] | None = None
        self.said: set[tuple] = set()
        self.closing_later: list[Store] | None = None

    def first_time(self, note: tuple) -> bool:
        """Whether `note` is still to be said: by every single command, but once in a shell session."""
        if self.kept is None:
            return True
        fresh = note not in self.said
        self.said.add(note)
        return fresh

    def get(self, target: str | None, ctx: typer.Context | None) -> Store:
        """The store of `target` for the command of `ctx`; a book not there yet is made by it, and
        stays only if the command goes through (`_settle`); without `ctx` (Tab) it is made at once."""
        from jiesu.db import open_store

        if self.kept is not None and target in self.kept:
            return self.kept[target]
        store = open_store(target, tentative=ctx is not None)
        if store.new_book is not None:
            ctx.call_on_close(lambda: _settle(store))
        elif self.kept is not None:
            self.kept[target] = store
        elif self.closing_later is None:
            ctx.call_on_close(store.close)
        else:
            self.closing_later.append(store)
        return store

    def keep(self) -> None:
        self.kept = {}
        self.said = set()

    def close_later(self) -> None:
        """Leave the command's stores open when it ends, for `close_the_rest` after its exit code
        is sent: closing the last connection to a SQLite book checkpoints its WAL (writes the
        command's pages back into the book and fsyncs it), which the user need not wait for —
        what the command committed is already durable in the WAL. Only a fork of the resident
        process does this (server.py): it runs one command, replies, then closes and exits."""
        self.closing_later = []

    def close_the_rest(self) -> None:
        for store in self.closing_later or ():
            store.close()
        self.closing_later = None

    def close_all(self) -> None:
        for store in (self.kept or {}).values():
            store.close()
        self.kept = None


STORES = _Stores()


def _ending_code() -> int:
    """The exit code of the command now ending (called while its context closes)."""
    ending = sys.exc_info()[1]
    if ending is None:
        return ExitCode.OK
    return getattr(ending, "exit_code", ExitCode.REFUSED)


def _settle(store: Store) -> None:
    """Close a book the command made: it stays if the command went through (exit 0 or 3, or it
    committed something: exit 4 and 5 say so), else it goes, and a refused command leaves no book."""
    from jiesu.errors import JiesuError

    kept = store.commits > 0 or _ending_code() in (ExitCode.OK, ExitCode.THRESHOLD)
    try:
        store.close(keep=kept)
    except JiesuError as exc:
        fail(str(exc), exc.exit_code)


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def office_of(ctx: typer.Context) -> Office:
    return ctx.find_root().obj.office(ctx.find_root())


def existing_office(ctx: typer.Context) -> Office:
    """The office of a book already there. `check`, `backup`, `copy` and `ledger roll` of a mistyped
    path would make a new, empty book and answer for it as if it were the one meant (a nightly
    backup of nothing, exit 0)."""
    from jiesu.db import check_place

    check_place(ctx.find_root().obj.db, existing=True)
    return office_of(ctx)
