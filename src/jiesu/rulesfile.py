"""Reading the rules file (`jiesu.toml`): TOML sections flattened to the dotted keys of rules.SPEC."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

from jiesu.errors import OS_REASONS, BadInput, os_reason, toml_fault
from jiesu.rules import DEFAULT_RULES, SPEC_BY_KEY, Rules, make_rules
from jiesu.safetext import NOT_UTF8, echoed_path

RULES_NAME = "jiesu.toml"


def find_rules_file(explicit: str | None, store_path: Path | None) -> Path | None:
    """`--rules`/`JIESU_RULES` if given (it must exist), else jiesu.toml beside the store. A folder in
    either place is refused: one named jiesu.toml beside the book was the office's rules, silently unread."""
    if explicit:
        path = Path(explicit).expanduser()
        _refuse_folder(path)
        if not path.is_file():
            raise BadInput(f"规则文件 {echoed_path(path)} 不存在")
        return path
    if store_path is not None:
        beside = store_path.parent / RULES_NAME
        _refuse_folder(beside)
        if beside.is_file():
            return beside
    return None


def _refuse_folder(path: Path) -> None:
    if path.is_dir():
        raise BadInput(f"无法读取规则文件 {echoed_path(path)}：{OS_REASONS[errno.EISDIR]}")


def load_rules(path: Path | None) -> Rules:
    """The rules in force: defaults, overridden by the file at `path` if any."""
    if path is None:
        return DEFAULT_RULES
    import tomllib  # most offices have no rules file; every command would pay for the parser

    refuse_unsafe(path)
    try:
        source = path.read_text(encoding="utf-8-sig")  # Notepad saves a BOM
    except UnicodeDecodeError:
        raise BadInput(f"规则文件 {echoed_path(path)} {NOT_UTF8}；请存为 UTF-8") from None
    except OSError as exc:
        raise BadInput(f"无法读取规则文件 {echoed_path(path)}：{os_reason(exc)}") from exc
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"规则文件 {echoed_path(path)} {toml_fault(exc, source)}") from None
    except RecursionError:
        raise BadInput(f"规则文件 {echoed_path(path)} 嵌套太深，不是合法的规则文件") from None
    flat = dict(_flatten(document))
    for key in flat:
        if key not in SPEC_BY_KEY:
            raise BadInput(f"规则文件 {echoed_path(path)} 第 {_line_of(source, key)} 行：未知的规则 {key}（jiesu rules show 列出所有规则）")
    try:
        return make_rules(flat, source=str(path))
    except ValueError as exc:
        key = str(exc).split(":", 1)[0]
        raise BadInput(f"规则文件 {echoed_path(path)} 第 {_line_of(source, key)} 行：{exc}") from None


def refuse_unsafe(path: Path) -> None:
    """Rules decide deadlines and what counts as done: a file someone else can write is not obeyed.

    Refused: a file writable by others (o+w), or owned by another user (root excepted,
    as for a file an administrator installed).
    """
    try:
        found = path.stat()
    except OSError as exc:
        raise BadInput(f"无法读取规则文件 {echoed_path(path)}：{os_reason(exc)}") from exc
    if not hasattr(os, "getuid"):
        return
    if found.st_uid not in (os.getuid(), 0):
        raise BadInput(f"规则文件 {echoed_path(path)} 属于另一个用户（uid {found.st_uid}），不予采用；确认内容后请用 chown 改为自己所有")
    if found.st_mode & 0o002:
        raise BadInput(f"规则文件 {echoed_path(path)} 任何人都能改写（权限 {found.st_mode & 0o777:o}），不予采用；请运行 chmod o-w {echoed_path(path)}")


def _flatten(table: dict[str, Any], prefix: str = ""):
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def _line_of(source: str, dotted: str) -> int:
    """The line that sets `dotted`, found the way a person would: section, then key."""
    *sections, leaf = dotted.split(".")
    section = ".".join(sections)
    current = ""
    leaf_pattern = re.compile(rf"^\s*[\"']?{re.escape(leaf)}[\"']?\s*=")
    dotted_pattern = re.compile(rf"^\s*{re.escape(dotted)}\s*=")
    for number, line in enumerate(source.splitlines(), start=1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            continue
        if dotted_pattern.match(line) or (current == section and leaf_pattern.match(line)):
            return number
        if current and dotted.startswith(current + ".") and re.match(
            rf"^\s*{re.escape(dotted[len(current) + 1:])}\s*=", line
        ):
            return number
    return 1


def rules_for(explicit: str | None, store_path: Path | None) -> tuple[Rules, Path | None]:
    path = find_rules_file(explicit or os.environ.get("JIESU_RULES") or None, store_path)
    return load_rules(path), path
