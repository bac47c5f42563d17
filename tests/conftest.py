"""Every test gets its own case book under tmp_path; none touches a real one."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jiesu.cli import app
from jiesu.db import open_store
from jiesu.office import Office
from jiesu.rules import DEFAULT_RULES


@pytest.fixture(autouse=True)
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "jiesu.db"
    monkeypatch.setenv("JIESU_DB", str(path))
    monkeypatch.setenv("JIESU_ACTOR", "测试员")
    monkeypatch.delenv("JIESU_RULES", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    return path


class Jiesu:
    """The real CLI, invoked in-process the way a worker types it."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, [str(a) for a in args], input=input)

    def ok(self, *args: str):
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str):
        return json.loads(self.ok(*args, "--format", "json").stdout)

    def new(self, summary: str = "楼道灯不亮", *args: str) -> int:
        return int(self.ok("new", summary, *args, "-q").stdout)


@pytest.fixture
def jiesu() -> Jiesu:
    return Jiesu()


@pytest.fixture
def store(db_path):
    opened = open_store(str(db_path))
    yield opened
    opened.close()


@pytest.fixture
def office(store) -> Office:
    return Office(store=store, rules=DEFAULT_RULES, actor="测试员")


def refused(result, line: str | None = None) -> str:
    """Assert a one-line refusal with exit 1 and no traceback; return the line."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误: ")
    if line is not None:
        assert lines[0] == f"错误: {line}"
    return lines[0]
