"""Filing and correcting a case by answering questions, for a worker at a terminal.

`jiesu new` without a summary and `jiesu edit ID` without options ask for each
field in turn. Every answer is checked on the spot by the same `fields.clean` the
options go through, so a bad phone is asked again rather than refused at the end;
communities, categories and addresses the book already holds are offered (Tab
completes them, and the most used are shown). Questions and messages go to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer
from sqlalchemy import func, select

from jiesu import fields
from jiesu.clikit import say
from jiesu.clock import shown
from jiesu.errors import BadInput, ExitCode
from jiesu.interrupts import interruption
from jiesu.models import Case
from jiesu.office import Office
from jiesu.phones import mask
from jiesu.safetext import dashes_only, visible
from jiesu.steps import load_case

# The questions of `jiesu new`, in the order a hotline call gives the answers.
NEW_FIELDS = ("summary", "phone", "name", "address", "community", "category", "channel", "urgency", "nature")
# The questions of `jiesu edit`: what a correction may change.
EDIT_FIELDS = ("summary", "phone", "name", "address", "community", "category", "channel", "urgency", "kind", "ref", "detail")
KNOWN = ("community", "category", "address")  # fields whose earlier values are offered
SHOWN_KNOWN = 6


def interactive() -> bool:
    """Whether a person is at the keyboard: questions need a terminal to answer them."""
    return sys.stdin.isatty()


def ask_new(office: Office, given: dict[str, Any], received_at: datetime | None) -> dict[str, Any]:
    """The answers for a new case, cleaned; what `given` holds (the options typed) is offered as the answer.
    The summary shows 受理时间 too (`received_at`, None for now): a call taken earlier is seen to be filed
    as now, and can be cancelled and filed again with --received."""
    known = _known_values(office)
    say("受理新诉求：逐项回答，回车跳过可选项；Tab 补全已有的社区、类别、地址。")
    answers = {name: _ask(name, given.get(name), known.get(name, [])) for name in NEW_FIELDS}
    when = shown(received_at, office.tz) if received_at else f"{shown(office.now, office.tz)}（现在；较早的来电请取消，用 --received 重新受理）"
    _confirm(answers, "受理", received=when)
    return answers


def ask_edit(office: Office, case_id: int) -> dict[str, Any]:
    """The fields a worker changed when walked through the case's current values (回车保留原值)."""
    with office.store.read() as session:
        case = load_case(session, case_id)
    known = _known_values(office)
    say(f"更正 #{case_id}：逐项回答，回车保留原值。")
    changed = {}
    for name in EDIT_FIELDS:
        current = getattr(case, name)
        answer = _ask(name, current, known.get(name, []), stored=True)
        if answer != current:
            changed[name] = answer
    if changed:
        _confirm(changed, "更正")
    return changed


def _ask(name: str, default: Any, known: list[str], stored: bool = False) -> Any:
    """One field's answer, asked again until it is valid; '-' clears an optional field, and is refused for the summary.
    A `stored` default is the case's own value (`edit`): Enter keeps it as it is, even one an older jiesu took
    that today's check refuses (a community holding a zero-width space), rather than ask for it again and again.

    Case text in a question is shown as it is (safetext.visible): a pasted address holding an escape code
    must not clear a colleague's screen each time a case is filed. Enter on a default keeps the value itself,
    not the stand-ins shown for it; a known value that needs stand-ins is shown but not offered to Tab,
    whose completion readline would write to the terminal raw."""
    field = fields.FIELDS[name]
    question = field.label
    if field.enum is not None:
        question += f"（{field.enum.choices()}）"
    elif known:
        question += f"（已有：{'、'.join(visible(value) for value in known[:SHOWN_KNOWN])}）"
    offered = [value for value in known if visible(value) == value] if field.enum is None else [m.label for m in field.enum]
    kept = _label(field, default)
    shown_default = mask(kept) if name == "phone" else visible(kept)  # the phone masked as everywhere else
    while True:
        with _completing(offered), _left_on_its_line():
            raw = typer.prompt(question, default=shown_default or "", show_default=bool(shown_default), err=True, prompt_suffix="： ")
        if shown_default and raw == shown_default:
            if name == "phone" or stored:
                return default
            raw = kept
        if dashes_only(raw) and name not in ("channel", "urgency", "nature"):  # a choice has no blank: `-` is asked again
            raw = ""  # clears an optional field; the summary refuses it as `edit --summary -` does (不能为空)
        try:
            return fields.clean(name, raw)
        except BadInput as exc:
            say(f"错误: {exc}，请重新输入")


def _label(field: fields.Field, value: Any) -> str:
    if value is None:
        return ""
    return field.enum(value).label if field.enum is not None else str(value)


def _confirm(answers: dict[str, Any], verb: str, received: str | None = None) -> None:
    """Show what will be written (with 受理时间 when `received` says it), and go on only when the worker says so."""
    for name, value in answers.items():
        field = fields.FIELDS[name]
        say(f"  {field.label}：{_label(field, value) or '—'}")
    if received:
        say(f"  受理时间：{received}")
    with _left_on_its_line():
        confirmed = typer.confirm(f"确认{verb}", default=True, err=True, prompt_suffix="？ ")
    if not confirmed:
        say(f"已取消，未{verb}")
        raise typer.Exit(ExitCode.REFUSED)


def _known_values(office: Office) -> dict[str, list[str]]:
    """The communities, categories and addresses the book holds, most used first."""
    found = {}
    with office.store.read() as session:
        for name in KNOWN:
            column = getattr(Case, name)
            query = (
                select(column)
                .where(column.is_not(None), column != "")
                .group_by(column)
                .order_by(func.count().desc(), column)
                .limit(2000)
            )
            found[name] = list(session.scalars(query))
    return found


@contextmanager
def _left_on_its_line() -> Iterator[None]:
    """A question left with Ctrl-C ends its line, as the shell's own prompt does: the one line that
    says the command was interrupted (clikit) is not run on after `诉求摘要：^C`."""
    try:
        yield
    except typer.Abort as exc:
        if interruption(exc) is not None:
            typer.echo(err=True)
        raise


@contextmanager
def _completing(candidates: list[str]) -> Iterator[None]:
    """Tab completes the whole answer from `candidates` where readline is at hand; the completer
    in use before (`jiesu shell`'s, of command names) is put back afterwards."""
    try:
        import readline
    except ImportError:
        readline = None
    if readline is None or not sys.stdin.isatty():
        yield
        return

    def complete(text: str, state: int):
        line = readline.get_line_buffer()
        matches = [c for c in candidates if c.startswith(line)]
        return matches[state] if state < len(matches) else None

    before, delims = readline.get_completer(), readline.get_completer_delims()
    readline.set_completer_delims("")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    try:
        yield
    finally:
        readline.set_completer(before)
        readline.set_completer_delims(delims)
