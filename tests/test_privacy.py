"""Personal data outside the book: the shell's history, the data folder, a rules file someone else wrote."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import sys
import time

import pytest

from conftest import refused


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def interactive_shell(tmp_path, lines: list[str]) -> str:
    """Type `lines` into a real `jiesu shell` on a terminal (a pty), under umask 000; returns what it showed."""
    controller, terminal = pty.openpty()
    env = os.environ | {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-m", "jiesu", "shell"], stdin=terminal, stdout=terminal, stderr=terminal,
                             env=env, umask=0, close_fds=True)
    os.close(terminal)
    shown = b""
    for line in [*lines, "exit"]:
        os.write(controller, line.encode() + b"\n")
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                shown += os.read(controller, 65536)
            except OSError:
                break
    child.wait(timeout=60)
    os.close(controller)
    return shown.decode(errors="replace")


def test_the_shell_history_keeps_commands_and_ids_not_people(tmp_path):
    data = tmp_path / "data" / "jiesu"
    data.mkdir(parents=True)
    os.chmod(data, 0o700)
    (data / "shell_history").write_text("new 旧记录 --phone 13900001111 --name 李四\n", encoding="utf-8")
    interactive_shell(tmp_path, [
        'new "楼道灯不亮" --phone 13812345678 --name 张三 --address "前门东大街3号"',
        "show 1",
        "list --search=13812345678",
    ])
    history = (data / "shell_history").read_text(encoding="utf-8")
    assert history.splitlines()[-5:] == [
        "new … --phone … --name …",
        "new … --phone … --name … --address …",
        "show 1",
        "list --search=…",
        "exit",
    ]
    for personal in ("1381234", "13900001111", "张三", "李四", "前门", "楼道灯"):
        assert personal not in history
    assert mode(data / "shell_history") == 0o600


def test_the_data_folder_is_owner_only_whoever_makes_it(tmp_path, monkeypatch):
    interactive_shell(tmp_path, ["list"])
    assert mode(tmp_path / "data" / "jiesu") == 0o700
    again = tmp_path / "again"
    monkeypatch.delenv("JIESU_DB")
    made = subprocess.run([sys.executable, "-m", "jiesu", "new", "默认案卷库", "-q"], umask=0, capture_output=True, text=True,
                          env=os.environ | {"XDG_DATA_HOME": str(again), "HOME": str(tmp_path)})
    assert made.returncode == 0, made.stderr
    assert mode(again / "jiesu") == 0o700 and mode(again / "jiesu" / "jiesu.db") == 0o600


def rules_beside_the_book(db_path, text: str):
    rules = db_path.parent / "jiesu.toml"
    rules.write_text(text, encoding="utf-8")
    return rules


def test_a_rules_file_anyone_can_write_is_refused(db_path, jiesu):
    rules = rules_beside_the_book(db_path, "[deadlines.resolve]\ngeneral = \"900 days\"\n")
    os.chmod(rules, 0o666)
    refused(jiesu("new", "楼道灯不亮"), f"规则文件 {rules} 任何人都能改写（权限 666），不予采用；请运行 chmod o-w {rules}")
    os.chmod(rules, 0o644)
    jiesu.ok("rules", "show")


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root (chown)")
def test_a_rules_file_owned_by_someone_else_is_refused(db_path, jiesu):
    rules = rules_beside_the_book(db_path, "[deadlines.resolve]\ngeneral = \"900 days\"\n")
    os.chown(rules, 12345, 12345)
    refused(jiesu("new", "楼道灯不亮"), f"规则文件 {rules} 属于另一个用户（uid 12345），不予采用；确认内容后请用 chown 改为自己所有")
    refused(jiesu("--rules", str(rules), "rules", "show"))


SECRET = "S3cret-PW"


@pytest.mark.parametrize("url, shown", [
    (f"postgresql+psycopg://jiesu:{SECRET}@127.0.0.1:1/jiesu", "postgresql+psycopg://jiesu:***@127.0.0.1:1/jiesu"),
    (f"postgresql+psycopg://jiesu@127.0.0.1:1/jiesu?password={SECRET}", "postgresql+psycopg://jiesu@127.0.0.1:1/jiesu?password=***"),
    (f"postgresql+psycopg://jiesu@127.0.0.1:1/jiesu?password={SECRET}&bogus=1", "postgresql+psycopg://jiesu@127.0.0.1:1/jiesu?bogus=1&password=***"),
    (f"postgresql+psycopg://jiesu@127.0.0.1:1/jiesu?sslpassword={SECRET}", "postgresql+psycopg://jiesu@127.0.0.1:1/jiesu?sslpassword=***"),
    (f"mysql://jiesu:{SECRET}@db/jiesu?password={SECRET}", "mysql://jiesu:***@db/jiesu?password=***"),
])
def test_no_password_is_printed_whatever_form_the_url_takes(url, shown, jiesu, tmp_path, monkeypatch):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("PGPASSWORD", SECRET)
    for args in (["--db", url, "list"], ["copy", "--to", url]):
        result = jiesu(*args)
        line = refused(result)
        assert line.startswith(f"错误: {shown}: ")
        assert SECRET not in result.output


def test_a_pgpassword_in_the_environment_is_never_printed(jiesu, monkeypatch):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("PGPASSWORD", SECRET)
    result = jiesu("--db", "postgresql+psycopg://jiesu@127.0.0.1:1/jiesu", "list")
    refused(result, "postgresql+psycopg://jiesu@127.0.0.1:1/jiesu: 无法连接数据库服务器：服务器没有运行，或主机、端口不对")
