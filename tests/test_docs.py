"""Help and README: every command teaches, appears in the README, and `--help` stays light."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from jiesu.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def command_paths(group=None, prefix=()):
    group = group or typer.main.get_command(app)
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        path = prefix + (name,)
        if hasattr(command, "list_commands"):
            yield from command_paths(command, path)
        else:
            yield path, command


COMMANDS = list(command_paths())


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example_and_is_in_the_readme(path, command):
    assert command.help and command.help.strip(), path
    assert "例：jiesu " in command.help, f"{path}: help needs an example a worker can copy"
    assert f"jiesu {' '.join(path)}" in README, f"README does not mention `jiesu {' '.join(path)}`"
    for param in command.params:
        if param.name != "ctx" and getattr(param, "param_type_name", "") == "option":
            assert param.help, f"{path}: option {param.name} has no help"


def test_new_says_that_a_dash_leaves_a_field_empty_where_edit_says_it_clears_one():
    """A fresh tester: `edit --help` said `- 清除` and `new --help` nothing, though `-` leaves a field of `new` empty."""
    helps = {path: {param.name: param.help or "" for param in command.params} for path, command in COMMANDS}
    new, edit = helps[("new",)], helps[("edit",)]
    cleared = [name for name, help in edit.items() if help.endswith("；- 清除。")]
    assert len(cleared) == 8  # the kind too: `--kind -`
    assert [name for name in cleared if not new[name].endswith("；- 留空。")] == []


def example_after(heading: str) -> list[tuple[list[str], list[str]]]:
    """The README's first example block under `heading`: each `$ jiesu …` line with the lines it prints."""
    block = README.split(f"\n{heading}\n", 1)[1].split("\n```\n", 1)[1].split("\n```", 1)[0]
    steps: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ jiesu "):
            steps.append((shlex.split(line)[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def test_the_everyday_example_runs_as_written_on_an_empty_book(jiesu):
    """Followed line by line, the first example a worker reads does what it says (a fresh tester found a
    classify logged now, after the close it was backdated before, so the close was refused)."""
    steps = example_after("## Everyday use")
    assert len(steps) >= 7
    for args, said in steps:
        result = jiesu(*args)
        assert result.exit_code == 0, f"{args}: {result.output}"
        assert (result.stdout + result.stderr).splitlines() == said, args
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def run_jiesu(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jiesu", *args], capture_output=True, text=True, env=env or os.environ.copy(), timeout=60
    )


PROBE = """
import sys
sys.argv = ["jiesu", *sys.argv[1:]]
from jiesu.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "phonenumbers", "opencc", "chinese_calendar", "jinja2", "pygal")})
commands = sorted(m for m in sys.modules if m.startswith("jiesu.cli_") or m in ("jiesu.vocab", "jiesu.cliopts"))
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
print("COMMANDS:" + ",".join(commands), file=sys.stderr)
"""


def probe(*args: str) -> dict[str, str]:
    """Run jiesu in a fresh interpreter; which heavy libraries and command modules it loaded."""
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)
    assert "用法" in result.stdout, result.stderr
    return dict(line.split(":", 1) for line in result.stderr.strip().splitlines()[-2:])


@pytest.mark.parametrize("args", [["--help"], ["new", "--help"], ["list", "--help"], ["report", "monthly", "--help"]])
def test_help_imports_no_database_layer(args):
    assert probe(*args)["HEAVY"] == ""


@pytest.mark.parametrize(
    "args, loaded",
    [
        (["--help"], ""),  # the list of commands comes from cli.COMMANDS, not from the commands
        (["new", "--help"], "jiesu.cli_cases,jiesu.cliopts,jiesu.vocab"),
        (["ledger", "--help"], "jiesu.cli_ledger,jiesu.cliopts,jiesu.vocab"),
    ],
)
def test_a_command_line_builds_only_the_command_it_runs(args, loaded):
    assert probe(*args)["COMMANDS"] == loaded


def test_python_dash_m_runs_as_a_real_process(tmp_path):
    env = os.environ | {"JIESU_DB": str(tmp_path / "sub.db")}
    filed = run_jiesu("new", "子进程里受理", "--phone", "13812345678", "-q", env=env)
    assert filed.returncode == 0, filed.stderr
    assert filed.stdout == "1\n"
    listed = run_jiesu("list", "--format", "ids", env=env)
    assert listed.stdout == "1\n"
    bad = run_jiesu("show", "7", env=env)
    assert bad.returncode == 1 and bad.stderr == "错误: 没有 #7 这件诉求\n"


def test_installed_console_script_works(tmp_path):
    script = Path(sys.executable).with_name("jiesu")
    script = script if script.exists() else shutil.which("jiesu")
    assert script, "the jiesu console script is not installed"
    env = os.environ | {"JIESU_DB": str(tmp_path / "script.db")}
    result = subprocess.run([str(script), "new", "脚本受理", "-q"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and result.stdout == "1\n", result.stderr


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = ".venv/bin/python -m pytest"
    assert f"```sh\n{command}\n```" in README
    assert f"\n    {command}\n" in ci



def help_pages(group=None, prefix=()):
    """Every command's help page, the groups' and the root's included."""
    group = group or typer.main.get_command(app)
    yield prefix, group
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        if hasattr(command, "list_commands"):
            yield from help_pages(command, prefix + (name,))
        else:
            yield prefix + (name,), command


HELP_PAGES = list(help_pages())
# What an option's value is called on every page that has it (a fresh tester read `new --received TEXT`,
# `list --since TEXT`, `import --at TEXT` beside `classify --at TIME`); TEXT is only for free text.
VALUE_NAMES = {
    **dict.fromkeys(("--at", "--received", "--since", "--until", "--as-of", "--due", "--closed-before"), "TIME"),
    **dict.fromkeys(("--out", "--map", "--rules"), "FILE"),
    "--format": "FORMAT", "--phone": "PHONE", "--period": "PERIOD", "--limit": "N", "--days": "N", "--min": "N",
}
FREE_TEXT = {
    "--actor", "--summary", "--detail", "--name", "--address", "--community", "--category", "--ref", "--note",
    "--reason", "--assignee", "--search", "--sheet", "--plan", "--unit", "--evidence",
}


@pytest.mark.parametrize("path, command", HELP_PAGES, ids=[" ".join(p) or "jiesu" for p, _ in HELP_PAGES])
def test_every_help_page_names_values_and_arguments_as_people_read_them(jiesu, path, command):
    """Fresh testers read Typer's `ID <int>`, `--limit <int range>`, `[summary]`, `{ID} {text}` and `PATH TEXT`,
    a phone number cut in two (`186-0000-3` / `333`), an example command line broken after `--to`, and a stray
    space where a docstring's line ended after `，`."""
    import re

    from rich.cells import cell_len

    page = jiesu.ok(*path, "--help").stdout
    assert not re.search(r"<[^>\s]+(?: range)?>", page), page  # Typer names values by their Python types
    usage, *rest = page.splitlines()
    assert not re.search(r"[{}]|\[[a-z_]+\]", usage), usage
    for param in command.params:
        if param.param_type_name == "argument":
            assert param.metavar and param.metavar.isupper(), (path, param.name)
            assert re.search(rf"^  {param.metavar}  ", page, re.MULTILINE), (path, param.metavar)
    assert not re.search(r"[，。；：、] (?=[\u4e00-\u9fff])", page), page  # a line joined after Chinese punctuation
    for line in rest:
        assert "例：" in line or cell_len(line) <= 80, (path, line)  # CliRunner's width, counted in columns
    helps = [command.help or ""] + [param.help or "" for param in command.params]
    for example in re.findall(r"例：jiesu .*", "\n".join(helps)):
        assert example.strip() in page, (path, example)  # a command line to copy stays on one line
        # A fresh tester: visit's `--at 03:00`, copied at 09:00, backdated the visit to 3 a.m. (and was refused before 3).
        assert not re.search(r"--at '?[0-9]{1,2}:[0-9]{2}", example), (path, example)
    flat = " ".join(page.split())
    for word in re.findall(r"[0-9A-Za-z][\x21-\x7e]{5,}", " ".join(helps)):
        assert word in flat or len(word) > 40, (path, word)  # a phone number, a file name or an option is never cut
    squeezed = "".join(page.split())
    for param in command.params:  # folding loses no character (the `（` before `.xlsx` was dropped)
        assert "".join((param.help or "").split()) in squeezed, (path, param.name)
    for option, value in re.findall(r"^  (?:-\w, )?(--[a-z-]+) ([A-Za-z_|]+)(?:  |$)", page, re.MULTILINE):
        assert value == VALUE_NAMES.get(option, value), (path, option, value)
        assert value != "TEXT" or option in FREE_TEXT, (path, option)


@pytest.mark.parametrize("path, command", HELP_PAGES, ids=[" ".join(p) or "jiesu" for p, _ in HELP_PAGES])
def test_a_narrow_help_page_keeps_each_tag_and_command_line_whole(jiesu, path, command):
    """At COLUMNS=40 a fresh tester read `[默` / `认: unclassified]` and backup's restore command cut after `--to`
    (a real process: the in-process runner's pages are 80 wide)."""
    import re

    wide = jiesu.ok(*path, "--help").stdout
    run = subprocess.run([sys.executable, "-m", "jiesu", *path, "--help"], capture_output=True, text=True,
                         env=os.environ | {"COLUMNS": "40"}, timeout=60)
    narrow = [line.strip() for line in run.stdout.splitlines()]
    for tag in re.findall(r"\[[^\[\]]+\]", " ".join(wide.split())):
        assert any(tag in line for line in narrow), (path, tag)
    for line in wide.splitlines():
        if line.strip().startswith(("jiesu ", "mkdir ", "mv ")):
            assert line.strip() in narrow, (path, line)  # a command line to copy
