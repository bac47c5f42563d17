"""Click's English usage errors and help words, said in Chinese on one line.

Typer's parser (its own copy of Click) raises its errors in English; `usage_message`
turns each kind into the line a worker reads, with a suggestion for a near miss
(`您是不是要 list？`). Every command, including those added later, goes through it:
`clikit.JiesuGroup.main` for `jiesu …` and `jiesu shell` for each line.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from difflib import get_close_matches

from jiesu.safetext import echoed, shortened, visible

HELP_OPTION_HELP = "显示本帮助并退出。"
# The usage line's placeholders: `用法: jiesu show [选项] ID`, `用法: jiesu ledger [选项] 命令 [参数]...`.
USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]..."}

# What Typer's value checks (pydantic) say, and how a person reads it.
_VALUE_MESSAGES = [
    (re.compile(r"Input should be greater than or equal to (\S+)"), "应不小于 {0}"),
    (re.compile(r"Input should be greater than (\S+)"), "应大于 {0}"),
    (re.compile(r"Input should be less than or equal to (\S+)"), "应不大于 {0}"),
    (re.compile(r"Input should be less than (\S+)"), "应小于 {0}"),
    (re.compile(r"Input should be a valid integer"), "应为整数"),
    (re.compile(r"Input should be a valid (number|decimal)"), "应为数字"),
    (re.compile(r"Input should be a valid boolean"), "应为 yes 或 no"),
    (re.compile(r"(?:Value error, )?(.*) is not one of (.*?)\.?$"), "{0} 不是可选的值；可选：{1}"),
    (re.compile(r"(.*) is not a valid (?:integer|int)"), "{0} 不是整数"),
    (re.compile(r"(.*) is not a valid (?:float|number)"), "{0} 不是数字"),
    (re.compile(r"(.*) is not in the range (.*)\."), "{0} 超出范围 {1}"),
]
# Words a worker types for a command that has another name (`jiesu history 1`: the 办理记录 is in
# `show`), each pointing at one command only; a close spelling of a command's name needs no entry.
COMMAND_SYNONYMS = {
    **dict.fromkeys(("history", "log", "logs", "日志", "历史", "记录", "办理记录", "详情", "查看", "view", "info"), "show"),
    **dict.fromkeys(("add", "create", "受理", "新建"), "new"),
    **dict.fromkeys(("done", "finish", "resolve", "办结", "结案"), "close"),
    **dict.fromkeys(("search", "find", "列表", "查询"), "list"),
    **dict.fromkeys(("dispatch", "派单", "转派"), "assign"),
    **dict.fromkeys(("comment", "备注"), "note"),
    **dict.fromkeys(("研判",), "classify"),
    **dict.fromkeys(("退单",), "return"),
    **dict.fromkeys(("call", "联系", "响应"), "contact"),
    **dict.fromkeys(("上门",), "visit"),
    **dict.fromkeys(("upgrade", "升级"), "escalate"),
    **dict.fromkeys(("延期",), "extend"),
    **dict.fromkeys(("callback", "回访"), "revisit"),
    **dict.fromkeys(("重办",), "reopen"),
    **dict.fromkeys(("并单",), "merge"),
    **dict.fromkeys(("更正", "修改", "update"), "edit"),
    **dict.fromkeys(("撤销",), "undo"),
    **dict.fromkeys(("待办",), "todo"),
    **dict.fromkeys(("导入",), "import"),
    **dict.fromkeys(("导出",), "export"),
    **dict.fromkeys(("备份",), "backup"),
    **dict.fromkeys(("台账",), "ledger"),
    **dict.fromkeys(("报告", "日报", "月报"), "report"),
    **dict.fromkeys(("规则",), "rules"),
}
# Words whose nearest spelling would mislead (`delete` is no `escalate`, and `purge` erases no case): no guess.
UNGUESSED = ("delete", "remove", "rm", "删除", "exit", "quit", "退出", "status", "状态")
# Words that ask for help: the answer is the help page, not a command spelled like them.
HELP_WORDS = ("help", "帮助", "?", "？", "usage", "用法")
_HELP_WORDS = [("[default: ", "[默认: "), ("default: ", "默认: "), ("env var: ", "环境变量: "), ("[required]", "[必填]"), ("required", "必填")]


def _text_not_option(option: str, args: list[str]) -> str | None:
    """The argument an unknown option came from when it reads as text (`-3层车库漏水`, a basement floor;
    `-5℃`, `- 见附件`, `-- 见附件`): one or two minuses, then no letter. Click reports only `-3` of it."""
    place = next((i for i, arg in enumerate(args) if arg.startswith(option) and arg != "--"), None)
    typed = option if place is None else args[place]
    if typed.startswith("--") and typed[2:3].isalpha() and not typed[2:3].isascii():
        # `--见附件` alone is a text; `--单位 新单位` an option in Chinese given a value: tester 44 was told to write it
        # as a text after `--`, and the case went to `--单位`
        valued = place is not None and place + 1 < len(args) and not args[place + 1].startswith("-")
        return None if valued else typed
    after = typed[2:3] if typed.startswith("--") else typed[1:2]
    return typed if after and after != "-" and not (after.isascii() and after.isalpha()) else None


# Dashes that Chinese input methods and word processors put where `--` was meant (`——assignee`, `–assignee`,
# `－－assignee`): em and en dashes, the full-width hyphen-minus and their kin.
_DASHES = "—–－‐‑‒―−﹣﹘"
_DASH_RUN = re.compile(rf"[-{_DASHES}]+")


def dashed_option(word: str, names) -> str | None:
    """Why `word` is refused when it is one of the option `names` (`--assignee`) written with dashes that are not
    ASCII hyphens (`—assignee`), else None. Click would take it as a text or an extra argument; a text that merely
    starts with a dash (`—楼道灯不亮`) names no option and is left alone."""
    run = _DASH_RUN.match(word)
    if run is None or run.group().isascii():
        return None
    typed = word.partition("=")[0]
    name = "--" + unicodedata.normalize("NFKC", typed[run.end() :])  # `——ａｓｓｉｇｎｅｅ`: full-width letters too
    return f"{echoed(typed)} 不是选项：选项要用两个半角减号，写作 {name}" if name in names else None


def usage_message(exc: BaseException, args: list[str] | None = None) -> str | None:
    """The one Chinese line for a usage error from the parser; None if `exc` is not one.

    `args` is the command line that was parsed; it lets a global option typed after the
    command be shown where it goes (`jiesu --db X list`).
    """
    if not hasattr(exc, "format_message") or not hasattr(exc, "exit_code"):
        return None
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "jiesu"
    see = f"（{where} --help 看用法）"
    kind = type(exc).__name__
    message = str(getattr(exc, "message", "") or "")
    if kind == "NoSuchOption":
        misplaced = _global_option_after_command(exc.option_name, ctx, args or [])
        if misplaced:
            return visible(misplaced)
        given = {arg.split("=", 1)[0] for arg in args or []}  # one already on the line is not what was meant
        options = {name: metavar for name, metavar in _option_names(ctx).items() if name not in given} if ctx is not None else {}
        name, space, value = exc.option_name.partition("\u3000")
        if space and name in options:  # `--assignee　前门物业`: an input method's wide space joined the two
            return visible(f"选项和取值之间是全角空格，连成了一个词；请用半角空格隔开：{name} {shortened(value.strip())}")
        near = _options_meant(exc.option_name, options, _kinds_elsewhere(exc.option_name, ctx) if ctx is not None else set())
        text = _text_not_option(exc.option_name, args or [])
        hint = f"；您是不是要 {near[0]}？" if near else see
        if text and (numbered := _numbered_argument(text, ctx, args or [])):
            return visible(f"{echoed(text)} 不是{numbered[0]}：{numbered[0]}是正整数，如 {numbered[1]}")
        if text:  # a text that starts with a minus, not a mistyped option: say how to write it
            hint = f"；以 - 开头的文字请写在 -- 之后（其余参数和选项都写在 -- 之前）：{where} … -- {echoed(text)}"
        return visible(f"没有 {shortened(exc.option_name.strip())} 这个选项{hint}")  # `- 见附件` is read as the option `- `
    if kind == "MissingParameter":
        return visible(missing(getattr(exc, "param", None), where) if getattr(exc, "param", None) else f"缺少参数{see}")
    if kind == "BadParameter" or hasattr(exc, "param_hint"):
        return visible(f"{_param_name(exc)} 无效：{_value_message(message)}")
    if kind == "BadOptionUsage":
        option = getattr(exc, "option_name", "")
        if "does not take a value" in message:
            return visible(f"{option} 不带取值{see}")
        return visible(f"{option} 后面缺少取值{see}")
    found = re.match(r"No such command ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\.", message)  # a repr, then Click's guess
    if found:
        name = _unrepr(found.group(1))
        near = _commands_meant(name, ctx.command.list_commands(ctx)) if ctx is not None else []
        if name.strip().lower() in HELP_WORDS:
            hint = f"；帮助请用 {where} --help"
        else:
            hint = f"；您是不是要 {near[0]}？" if near else f"（{where} --help 看有哪些命令）"
        return visible(f"没有 {shortened(name)} 这个命令{hint}")
    found = re.fullmatch(r"Got unexpected extra argument\(s\) \((.*)\)", message)
    if found:
        if ctx is not None and ctx.command.name == "shell":  # `jiesu shell 补录.txt`: a script comes on stdin
            return visible(f"多余的参数：{shortened(found.group(1))}；脚本请从标准输入给：jiesu shell < {shortened(found.group(1))}")
        return visible(f"多余的参数：{shortened(found.group(1))}{see}")
    return f"命令行有误{see}"


# A positional argument that takes a number (cliopts' ID and ENTRY), by its metavar: what it is called, and how
# one is written. `jiesu show -1` was told to write `-- '-1'`, which is no case number either.
NUMBERED_ARGUMENTS = {"ID": ("诉求编号", "42 或 #42"), "ENTRY": ("台账编号", "3 或 台账3")}


def _numbered_argument(text: str, ctx, args: list[str]) -> tuple[str, str] | None:
    """The name and an example of the numbered argument a word starting with a minus, typed as `text`, stands
    in for (`show -1`): writing it after `--` would not make it one. None when it stands where a text goes
    (`note 1 -5`)."""
    if ctx is None or text not in args:
        return None
    arguments = [param for param in ctx.command.get_params(ctx) if param.param_type_name == "argument"]
    filled = _positionals_before(ctx, args, args.index(text))
    if filled >= len(arguments) or getattr(getattr(arguments[filled], "type_descriptor", None), "annotation", None) is not int:
        return None
    metavar = arguments[filled].metavar or arguments[filled].name.upper()
    return NUMBERED_ARGUMENTS.get(metavar, (metavar, "1"))


def _positionals_before(ctx, args: list[str], place: int) -> int:
    """How many of the command's positional arguments the words of `args` before `place` fill: those after the
    command's own name that are neither options nor an option's value."""
    name = ctx.command_path.split()[-1]
    start = max((i for i, arg in enumerate(args[:place]) if arg == name), default=-1) + 1
    valued = {option for option, metavar in _option_names(ctx).items() if metavar}
    filled, skip = 0, False
    for arg in args[start:place]:
        if skip:
            skip = False
        elif arg.startswith("-") and arg != "-":
            skip = arg in valued
        else:
            filled += 1
    return filled


def _unrepr(said: str) -> str:
    """The word Click's message quotes as Python's repr (`'\\x1bhist'`): as typed, for `visible` to show."""
    import ast

    try:
        word = ast.literal_eval(said)
    except (ValueError, SyntaxError):
        return said
    return word if isinstance(word, str) else said


def _commands_meant(name: str, commands: list[str]) -> list[str]:
    """The command a word not among `commands` stands for: its synonym's, else the closest spelling."""
    word = name.strip().lower()
    meant = COMMAND_SYNONYMS.get(word)
    if meant in commands:
        return [meant]
    return [] if word in UNGUESSED else get_close_matches(name, commands, n=1, cutoff=0.5)


def _global_option_after_command(name: str, ctx, args: list[str]) -> str | None:
    """`jiesu list --db X`: a global option after the command, and the line that works instead."""
    if ctx is None or ctx.parent is None:
        return None
    option = next((p for p in ctx.find_root().command.params if name in p.opts), None)
    if option is None:
        return None
    moved = [name]
    if not getattr(option, "is_flag", False):
        value = _value_typed(name, args)
        moved.append("…" if value is None else _quoted(_without_password(value)))
    program, *command = ctx.command_path.split()
    return f"{name} 是全局选项，要写在命令前面：{' '.join([program, *moved, *command])}"


def _value_typed(name: str, args: list[str]) -> str | None:
    """The value given to option `name`, the last time it was typed (`--db X` or `--db=X`)."""
    for at in range(len(args) - 1, -1, -1):
        if args[at] == name:
            return args[at + 1] if at + 1 < len(args) else None
        if args[at].startswith(f"{name}="):
            return args[at][len(name) + 1 :]
    return None


def _without_password(value: str) -> str:
    """A database URL with its password (userinfo or ?password=) as ***, as every message shows it."""
    value = re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", value)
    return re.sub(r"(password=)[^&]*", r"\1***", value, flags=re.IGNORECASE)


def _quoted(word: str) -> str:
    return shlex.quote(word) if not word or re.search(r"[\s'\"$`\\|&;<>()*?#~!{}\[\]]", word) else word


def missing(param, where: str) -> str:
    """The line for an argument or option `where` (`jiesu show`) needs and was not given: 缺少参数 诉求编号（…）."""
    if getattr(param, "param_type_name", "") == "argument":
        return f"缺少参数 {argument_name(param)}（{where} --help 看用法）"
    return f"缺少选项 {'/'.join(param.opts) or param.name}（{where} --help 看用法）"


def _value_message(message: str) -> str:
    if not re.search(r"[A-Za-z]{3,} [a-z]{2,}", message):  # already ours (a parser's Chinese BadParameter)
        return message
    for pattern, said in _VALUE_MESSAGES:
        found = pattern.search(message)
        if found:
            value, *rest = found.groups() or ("",)
            return said.format(shortened(value), *rest)
    return "取值不对"


def _param_name(exc) -> str:
    """The option or argument a bad value was given for, as the person typed it."""
    if isinstance(getattr(exc, "param_hint", None), str):
        return exc.param_hint
    param = getattr(exc, "param", None)
    if param is None:
        return "参数"
    if getattr(param, "param_type_name", "") == "argument":
        return argument_name(param)
    return "/".join(param.opts) or param.name


def argument_name(param) -> str:
    """What an argument is, in Chinese, for people: its help up to the first pause ("诉求编号，如 42" → 诉求编号).

    Every argument's help starts with that name (a test checks); the English metavar (`ID`)
    stays for the usage line and for completion.
    """
    said = re.split(r"[，。；（：,;(:]", getattr(param, "help", None) or "", maxsplit=1)[0].strip()
    return said or "参数"


# Options that say one thing in other words, from command to command (`edit --note`, `extend --reason`, `ledger
# clear --evidence`; `extend --to`, `ledger add --due`): an unknown one of the words typed is offered the option of
# the words offered that its command has, when that option takes the same kind of value (its metavar) — `copy --to`
# is a path and `escalate --to` a level, no deadline. A spelling guess offered `edit --reason` the option `--ref`
# (tester 43), and followed, the reason became the case's work-order number.
OPTION_SYNONYMS = (
    (("--note", "--reason", "--evidence", "--remark", "--comment", "--memo"), ("--note", "--reason", "--evidence"), "TEXT"),
    (("--to", "--due", "--deadline"), ("--to", "--due"), "TIME"),
    (("--level",), ("--to",), "LEVEL"),  # escalate's
    (("--assignee", "--unit"), ("--assignee", "--unit"), "TEXT"),
)


def _options_meant(typed: str, options: dict[str, str], kinds: set[bool]) -> list[str]:
    """The option of `options` (name → metavar, "" for a flag) an unknown option `typed` most likely meant: one
    saying the same thing in the command's words (OPTION_SYNONYMS), else a near spelling of its name — the word, not
    its dashes, which made `--channel` look like `--help`; none for none. A word that is another command's option
    (`kinds`: whether it takes a value there, `_kinds_elsewhere`) is offered only an option of the same kind:
    `hotspots --mine`, a flag, was offered `--min`, a number."""
    word = typed.lower()
    words = {word, word.removesuffix("s")}  # --reasons, --notes
    meant = [
        name for said, offered, metavar in OPTION_SYNONYMS if words & set(said) for name in offered if options.get(name) == metavar
    ]
    if meant:
        return meant[:1]
    bare = {name.lstrip("-"): name for name in options if name.startswith("--") and (not kinds or bool(options[name]) in kinds)}
    return [bare[close] for close in get_close_matches(word.lstrip("-"), list(bare), n=1, cutoff=0.75)]


def _kinds_elsewhere(typed: str, ctx) -> set[bool]:
    """Whether option `typed` takes a value (True) or none (False) in the jiesu commands that have it (`--mine` is a
    flag of `todo`'s and `list`'s): empty when none has it, a mistyped name (`--mn`)."""
    kinds: set[bool] = set()
    commands = [ctx.find_root().command]
    while commands:
        command = commands.pop()
        kinds |= {not getattr(p, "is_flag", False) for p in command.params if typed in (*p.opts, *p.secondary_opts)}
        if hasattr(command, "list_commands"):  # a group: every command under it, built if it is not yet
            found = (command.get_command(ctx, name) for name in command.list_commands(ctx))
            commands += [each for each in found if each is not None]
    return kinds


def _option_names(ctx) -> dict[str, str]:
    """The command's options, each name with the kind of value it takes (its metavar: `TIME`, `TEXT`, `LEVEL`…)."""
    return {
        name: "" if getattr(param, "is_flag", False) else (param.metavar or "TEXT").upper()  # a plain text has none set
        for param in ctx.command.get_params(ctx)
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("-")
    }


def usage_piece(piece: str) -> str:
    """A piece of Typer's usage line as the help says it: `[选项]` for `[OPTIONS]`, and an argument by its
    metavar as Click writes it (`ID`, `[SUMMARY]`), not in Typer's braces (`{ID}`)."""
    piece = USAGE_WORDS.get(piece, piece)
    required = re.fullmatch(r"\{(.+)\}(\.\.\.)?", piece)
    return "".join(part for part in required.groups() if part) if required else piece


def chinese_help_record(param, record: tuple[str, str]) -> tuple[str, str]:
    """A parameter's help line with Typer's English bracket words (default, env var, required) in Chinese,
    an argument named by its metavar alone (`ID`, not `ID <int>`), and an option's value named as the other
    options name theirs (`--note TEXT`, not Typer's Python `--note <str>`)."""
    name, text = record
    for english, chinese in _HELP_WORDS:
        text = text.replace(english, chinese)
    if getattr(param, "param_type_name", "") == "argument":
        return (param.metavar or param.name.upper()) + ("..." if param.nargs != 1 else ""), text
    return name.replace(" <str>", " TEXT"), text
