"""`jiesu shell`: one process for a day of commands, so each answers without start-up.

The store stays open and the command tree is built once; every line is run
by the same Typer app as `jiesu …` on the command line.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from jiesu.clikit import STORES, error_line, interrupted, name_script_line, saved_counts, say
from jiesu.errors import ExitCode, JiesuError
from jiesu.interrupts import Interrupted, interruption
from jiesu.safetext import NOT_UTF8, echoed, stray_bytes
from jiesu.usage import usage_message

PROMPT = "jiesu> "
HISTORY_FILE = "shell_history"
LONGEST_ID = 9  # digits; a longer number may be a phone or an ID-card number
# What shlex says of a line it cannot split, as a worker reads it.
_SPLIT_FAULTS = {"No closing quotation": "缺少配对的引号", "No escaped character": "行末的反斜杠 \\ 后面缺少字符"}


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
        say("jiesu shell：输入命令（如 list、show 42），help 看命令列表，exit 退出。", figures=True)
    STORES.keep()
    if interactive:
        _greet(ctx)
    status = failed = ExitCode.OK
    ran: tuple[int, int] | None = None  # the first and last line whose command ran
    refused: list[int] = []  # the lines refused so far (--keep-going goes on past them)
    number, running, before_line = 0, False, saved_counts()
    try:
        for number, line in enumerate(_typed_lines() if interactive else _script_lines(), start=1):
            name_script_line(None if interactive else number)
            words = _split(line)
            if interactive and words:
                _forget_personal(line, known)
            if words is None:
                status = ExitCode.USAGE
            elif not words:
                continue
            else:
                words = _without_jiesu(words)
                if words[0] in ("exit", "quit"):
                    break
                if words == ["help"]:
                    typer.echo(shell_help(command))
                    continue
                nested = words[0] == "shell"  # `help shell` is its help, not a second shell
                if words[0] == "help":
                    words = [*words[1:], "--help"]
                running, before_line = True, saved_counts()
                status = _already_in_shell() if nested else _run(command, _unless_given(prefix, words) + words, interactive=interactive)
                running = False
            if status in (ExitCode.OK, ExitCode.THRESHOLD):
                ran = (ran[0] if ran else number, number)
                continue
            failed = failed or status
            refused.append(number)
            if not (keep_going or interactive):
                say(_stopped_at(number, ran))
                break
    except (Interrupted, KeyboardInterrupt) as exc:  # a script, stopped: where, so that it is not run again from the top
        found = interruption(exc)
        if not interactive:
            found.kept = found.kept or _interrupted_at(number, ran, running, saved=saved_counts() != before_line, refused=refused)
        if found is exc:
            raise
        raise found from exc
    finally:
        name_script_line(None)
        STORES.close_all()
    raise typer.Exit(0 if interactive else failed)


def _typed_lines():
    """Lines typed at the prompt, until Ctrl-D; Ctrl-C drops the line being typed."""
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            typer.echo(err=True)  # Ctrl-D: the shell's next prompt starts on a line of its own
            return
        except KeyboardInterrupt:
            typer.echo(err=True)


def _script_lines():
    """Lines of a script on stdin, as Windows editors write them too: a byte-order mark and CRLF are fine.

    A line whose bytes are not UTF-8 is answered with one error line (it runs nothing); a comment is a comment
    whatever its bytes.
    """
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            line = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
            yield "#" if line.lstrip().startswith("#") else NotText(number, stray_bytes(line))


class NotText(str):
    """A script line that was not UTF-8: it stands for its line number, and says why (a stray byte pointed at,
    else a script in another encoding)."""

    def __new__(cls, number: int, stray: str | None) -> NotText:
        line = super().__new__(cls, number)
        line.why = f"：{stray}" if stray else f"{NOT_UTF8}；请把脚本存为 UTF-8"  # said after 第 N 行
        return line


def _greet(ctx: typer.Context) -> None:
    """Say what is due today, the way `jiesu todo` would list it."""
    from jiesu.cli_todo import greeting
    from jiesu.clikit import Settings
    from jiesu.errors import JiesuError

    given = ctx.find_root().obj
    try:
        # A context of its own, closed now: a book the greeting makes is in place before the first line needs it.
        with typer.Context(ctx.command, obj=Settings(given.db, given.actor, given.rules)) as own:
            say(greeting(own), figures=True)  # folded to the terminal, a figure with its label
    except JiesuError as exc:
        typer.echo(f"错误: {exc}", err=True)


def _without_jiesu(words: list[str]) -> list[str]:
    """A line typed as on the command line (`jiesu todo`, a worker's habit) is the shell's `todo`: no
    command is named jiesu. `jiesu` alone is `help`, as `jiesu` alone outside shows the commands."""
    if words[0] == "jiesu":
        return words[1:] or ["help"]
    return words


def _already_in_shell() -> int:
    """`shell` (or `jiesu shell`, typed from habit) inside the shell: one shell is enough; a second one would
    read the rest of a script as its own, numbering its lines from 1."""
    say(error_line("已在 jiesu shell 里，直接输入命令即可（exit 退出）"))
    return ExitCode.USAGE


def _stopped_at(number: int, ran: tuple[int, int] | None) -> str:
    """What a script that stopped on an error at line `number` has done, so that it is not run twice:
    the lines whose commands ran (`ran`, first and last), not the comments and blank lines before them."""
    return f"已在第 {number} 行停止：{_lines_run(number, ran)}后面的行未执行"


def _interrupted_at(
    number: int, ran: tuple[int, int] | None, running: bool, *, saved: bool, refused: list[int]
) -> str | None:
    """What a script stopped by Ctrl-C or TERM has done, said after 已中断 (clikit.interrupted), and where to go on
    from: line `number` was `running` and has `saved` its change, or not; else the signal came between lines.
    Tester 43 was told 改动已保存；不要重试 of a script that had run 233 lines of 300. None when no line ran.
    The lines `--keep-going` went on past (`refused`) are named: they did not run, and are to be done again."""
    if running and saved:
        ran = (ran[0] if ran else number, number)
    if ran is None:
        return None
    resume = number if running and not saved else ran[1] + 1
    return f"{_lines_run(resume, ran, [line for line in refused if line < resume])}后面的行未执行；接着执行请从第 {resume} 行开始"


SHOWN_REFUSED = 10  # refused lines a stop line names; the rest each said their error as they were refused


def _lines_run(number: int, ran: tuple[int, int] | None, refused: Sequence[int] = ()) -> str:
    """The lines before line `number` whose commands ran (`ran`, first and last), as a stop line says them, and
    among them those that were `refused` (--keep-going): a range said 已执行 of them, and no one redid them."""
    if ran is None:
        return f"前 {number - 1} 行没有命令，" if number > 1 else ""
    first, last = min([ran[0], *refused]), max([ran[1], *refused])
    lines = f"第 {first} 行" if first == last else f"第 {first}–{last} 行"
    if not refused:
        return f"{lines}已执行，"
    named = "、".join(map(str, refused[:SHOWN_REFUSED])) + (" 行等" if len(refused) > SHOWN_REFUSED else " 行")
    return f"{lines}已读完（其中 {len(refused)} 行被拒未执行：第 {named}），"


def _split(line: str) -> list[str] | None:
    if isinstance(line, NotText):
        typer.echo(f"错误: 第 {line} 行{line.why}", err=True)
        return None
    text = line.strip()
    if text.startswith("#"):
        return []
    try:
        words = shlex.split(text)
    except ValueError as exc:
        say(error_line(f"无法解析这一行：{_SPLIT_FAULTS.get(str(exc), '引号或反斜杠不成对')}"))
        return None
    if operator := _shell_operator(text):
        typed = text if words[0] == "jiesu" else f"jiesu {text}"
        advice = f"请在系统的 shell 里运行：{typed}" if operator in ("|", ">", ">>", "<") else "每行只写一条命令"
        say(error_line(f"jiesu shell 不支持管道、重定向和命令串联（{operator}）；{advice}"))
        return None
    return words


# What a system shell reads as a pipe, a redirection or a list of commands, standing apart from a word on at least
# one side: after or before a space, a quoted text or the line's start or end (`list | tail`, `note 1 "x">>log`).
_OPERATORS = r"\|\||&&|\||>>|>|<|;|&"
_OPERATOR = re.compile(rf"(?:^|(?<=[\s\0]))({_OPERATORS})|({_OPERATORS})(?=[\s\0]|$)")


def _shell_operator(text: str) -> str | None:
    """The first operator a system shell would act on in `text` (`list | tail -1`, `list > 名单.txt`,
    `note 1 "已联系">>log.txt`), outside quotes: jiesu shell runs one jiesu command a line, and read as words they
    were refused as an unknown option (tester 42), or kept in a note (tester 43). Quoted (`note 1 "|"`), escaped, or
    inside a word (`note 1 A|B栋`), it is text."""
    unquoted, quote, escaped = [], None, False
    for char in text:
        if escaped:
            unquoted.append("_")  # an escaped character is a word's, never an operator
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = None if char == quote else quote
            unquoted.append("\0")  # quoted text: no operator, and an operator beside it stands apart
        elif char in "'\"":
            quote = char
            unquoted.append("\0")
        else:
            unquoted.append(char)
    found = _OPERATOR.search("".join(unquoted))
    return (found[1] or found[2]) if found else None


def _run(command, args: list[str], *, interactive: bool) -> int:
    """Run one line through the same app; returns its exit code. Ctrl-C stops the command typed at the
    prompt, and the shell asks for the next; a script, and SIGTERM, it stops (one line, said as it ends)."""
    saved_before = saved_counts()
    try:
        result = command.main(args=args, prog_name="jiesu", standalone_mode=False)
    except Interrupted as exc:
        if not interactive or exc.exit_code != ExitCode.INTERRUPTED:
            raise
        return interrupted(exc.exit_code, saved_before, exc.kept)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort as exc:
        if interruption(exc) is None:
            return ExitCode.REFUSED
        result = ExitCode.INTERRUPTED
    except JiesuError as exc:  # refused as the line was read (an option twice), as the CLI would
        say(error_line(str(exc)))
        return exc.exit_code
    except Exception as exc:  # a usage error from the parser: say it on one line, as the CLI would
        message = usage_message(exc, args)
        if message is None:
            raise
        say(error_line(message))
        return getattr(exc, "exit_code", ExitCode.USAGE)
    if result == ExitCode.INTERRUPTED:  # Ctrl-C as the line was parsed, which Click and Typer answer with Abort or 130
        if not interactive:  # tester 44: a script then stopped as at a refused line, and said 改动已保存 of the line
            raise Interrupted(ExitCode.INTERRUPTED)
        return interrupted(ExitCode.INTERRUPTED, saved_before)
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


def _unless_given(prefix: list[str], words: list[str]) -> list[str]:
    """The shell's global options but those a line gives itself before its command (`--actor 乙 note 1 …`), which
    stand for it on that line, as they did: given twice, an option is refused (clikit.refuse_repeated_options)."""
    own = {word.partition("=")[0] for word in words[: next((i for i, w in enumerate(words) if not w.startswith("-")), len(words))]}
    return [word for pair in zip(prefix[::2], prefix[1::2]) if pair[0] not in own for word in pair]


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
    known = {name.split(" ")[-1] for name in names} | {"jiesu", "help", "exit", "quit"}
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
    from jiesu.shell_complete import candidates

    def complete(text: str, state: int):
        if state == 0:
            before = readline.get_line_buffer()[: readline.get_begidx()]
            try:
                words = shlex.split(before)
            except ValueError:
                words = before.split()
            complete.found = candidates(command, words, text, lambda kind: _book_values(prefix, kind))
        return complete.found[state] if state < len(complete.found) else None

    readline.set_completer_delims(" \t\n")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    return known


def _book_values(prefix: list[str], kind: str) -> list[str]:
    """What the book holds for Tab: open case ids, or the communities, categories, assignees or units in use."""
    from sqlalchemy import select

    from jiesu.db import check_place
    from jiesu.models import Case, LedgerEntry
    from jiesu.queries import is_open

    target = prefix[prefix.index("--db") + 1] if "--db" in prefix else None
    try:
        check_place(target, existing=True)  # Tab never makes a book
        store = STORES.get(target, None)
        if kind == "id":
            query = select(Case.id).where(is_open()).order_by(Case.id.desc()).limit(2000)
        else:
            column = LedgerEntry.unit if kind == "unit" else getattr(Case, kind)
            query = select(column).distinct().where(column.is_not(None), column != "").order_by(column).limit(500)
        with store.connect() as conn:
            return [str(value) for (value,) in conn.execute(query)]
    except Exception:  # noqa: BLE001 — Tab must never end a worker's session
        return []


def shell_help(command) -> str:
    """`help` in the shell: the commands without the word jiesu, and how to leave, folded as `jiesu --help` is."""
    from jiesu.helpfold import ChineseFormatter

    formatter = ChineseFormatter()
    formatter.write("命令（不用输入 jiesu）：\n")
    with formatter.indentation():
        formatter.write_dl([(name, summary) for name, (_, summary) in command.lazy.items()])
    formatter.write("\n")
    formatter.write_text("help 命令 看一个命令的用法（如 help list）；Tab 补全命令、选项、取值和编号；exit 或 Ctrl-D 退出。")
    return formatter.getvalue().rstrip("\n")


def completion(
    shell_name: Annotated[str, typer.Argument(metavar="SHELL", help="shell 类型：bash 或 zsh。")] = "bash",
) -> None:
    """例：jiesu completion bash > ~/.local/share/bash-completion/completions/jiesu
    """
    from jiesu.cli import app
    from jiesu.errors import BadOption
    from jiesu.shell_complete import completion_script

    if shell_name not in ("bash", "zsh"):
        raise BadOption(f"不支持 {echoed(shell_name)}；可选：bash, zsh")
    typer.echo(completion_script(typer.main.get_command(app), shell_name), nl=False)
