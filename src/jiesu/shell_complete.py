"""What Tab offers in `jiesu shell`: commands, sub-commands, options, option values and open ids.

`candidates` is pure over the command tree and a `values` callback (what the book holds), so it
is tested without a terminal; `cli_shell` binds it to readline.
"""

from __future__ import annotations

from collections.abc import Callable

from jiesu import vocab

# Options whose values are free text the book already holds: completed from the book.
BOOK_VALUES = {"--community": "community", "--category": "category", "--assignee": "assignee", "--unit": "unit"}
_ENUMS = {cls.__name__.upper(): cls for cls in vars(vocab).values() if isinstance(cls, type) and issubclass(cls, vocab.LabeledEnum) and cls is not vocab.LabeledEnum}
SHELL_WORDS = ["help", "exit"]


def candidates(root, words: list[str], text: str, values: Callable[[str], list[str]]) -> list[str]:
    """What may complete `text`, the word being typed after `words` on the line."""
    if not words:
        return _starting(text, [*root.list_commands(None), *SHELL_WORDS])
    command = root.get_command(None, words[0])
    if command is None:
        return []
    rest = words[1:]
    if hasattr(command, "list_commands"):
        if not rest:
            return _starting(text, command.list_commands(None))
        command = command.get_command(None, rest[0])
        if command is None:
            return []
        rest = rest[1:]
    options = {name: param for param in command.params for name in (*param.opts, *param.secondary_opts) if name.startswith("-")}
    previous = options.get(rest[-1]) if rest else None
    if previous is not None and not getattr(previous, "is_flag", False):
        return _starting(text, _option_values(rest[-1], previous, values))
    if text.startswith("-"):
        return _starting(text, sorted(options) + ["--help"])
    takes_id = any(getattr(p, "param_type_name", "") == "argument" and p.metavar == "ID" for p in command.params)
    return [i for i in values("id") if i.startswith(text.lstrip("#"))] if takes_id else []


def _option_values(name: str, option, values: Callable[[str], list[str]]) -> list[str]:
    if name in BOOK_VALUES:
        return values(BOOK_VALUES[name])
    enum = _ENUMS.get(option.metavar or "")
    if enum is not None:
        return [word for member in enum for word in (member.value, member.label)]
    if name in ("--format", "-f"):
        return [word for member in vocab.ReportFormat for word in (member.value, member.label)] + ["ids"]
    return []


def _starting(text: str, words: list[str]) -> list[str]:
    return sorted({word for word in words if word.startswith(text)})


def completion_script(root, shell: str) -> str:
    """A bash (or zsh, through bashcompinit) completion script that knows the command tree by heart.

    Commands, sub-commands, options and enum values are written into the script, so Tab never
    starts a jiesu; only case ids and the book's own values are left to `jiesu shell`.
    """
    paths = {}
    groups = {}
    for name in root.list_commands(None):
        command = root.get_command(None, name)
        if hasattr(command, "list_commands"):
            groups[name] = command.list_commands(None)
            paths.update({f"{name} {sub}": command.get_command(None, sub) for sub in groups[name]})
        else:
            paths[name] = command
    option_cases, value_cases = [], []
    for path, command in paths.items():
        names = sorted(n for p in command.params for n in (*p.opts, *p.secondary_opts) if n.startswith("-"))
        option_cases.append(f'    "{path}") words="{" ".join([*names, "--help"])}" ;;')
        for param in command.params:
            values = _option_values(param.opts[0], param, lambda kind: []) if param.opts[0].startswith("-") else []
            for option in param.opts if values else ():
                value_cases.append(f'    "{path}|{option}") words="{" ".join(values)}" ;;')
    group_cases = [f'    {name}) words="{" ".join(subs)}" ;;' for name, subs in groups.items()]
    script = f"""# jiesu completion for {shell}: commands, options and their values, without starting jiesu.
_jiesu() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" words="" path="${{COMP_WORDS[1]}}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="{" ".join(root.list_commands(None))} --db --actor --rules --help --version"
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "$path" in
{chr(10).join(group_cases)}
    esac
  fi
  if [ -z "$words" ] && [ "$COMP_CWORD" -ge 2 ]; then
    case "$path" in {"|".join(groups)}) path="$path ${{COMP_WORDS[2]}}" ;; esac
    case "$path|$prev" in
{chr(10).join(value_cases)}
    esac
    if [ -z "$words" ] && [ "${{cur#-}}" != "$cur" ]; then
      case "$path" in
{chr(10).join(option_cases)}
      esac
    fi
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
"""
    if shell == "zsh":
        script += "autoload -U +X bashcompinit && bashcompinit\n"
    return script + "complete -F _jiesu jiesu\n"
