"""Every path jiesu takes refuses a blank one (`''`, spaces) as a usage error, and a refusal about a
book names the option that was typed."""

from __future__ import annotations

import pytest

from tests.conftest import refused


BLANK_PATHS = [
    ["--db", "{blank}", "list"],
    ["copy", "--to", "{blank}"],
    ["--rules", "{blank}", "list"],
    ["import", "{blank}"],
    ["import", "x.csv", "--map", "{blank}"],
    ["backup", "{blank}"],
    ["export", "--out", "{blank}"],
    ["report", "daily", "--out", "{blank}"],
    ["demo", "--db", "{blank}"],
]


@pytest.mark.parametrize("blank", [" ", "\t", "  "])
@pytest.mark.parametrize("args", BLANK_PATHS)
def test_a_blank_path_is_a_usage_error_not_a_file_named_blank(args, blank, jiesu, book, tmp_path, monkeypatch):
    """`jiesu copy --to ' '` made a book called ` ` in the current folder and said so as done."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("诉求内容\n楼道灯不亮\n", encoding="utf-8")
    jiesu.new("先有一件")
    before, files = book.fingerprint(), set(tmp_path.iterdir())
    line = refused(jiesu(*[a.format(blank=blank) for a in args]), code=2)
    assert f"{blank!r} 不是文件名（" in line
    assert set(tmp_path.iterdir()) == files and book.fingerprint() == before


def test_a_blank_jiesu_db_or_jiesu_rules_is_refused_too(jiesu, book, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = set(tmp_path.iterdir())
    for variable in ("JIESU_DB", "JIESU_RULES"):
        with monkeypatch.context() as env:
            env.setenv(variable, " ")
            option = variable.split("_")[1].lower()
            assert refused(jiesu("list"), code=2).startswith(f"错误: --{option} 无效：' ' 不是文件名（")
    assert set(tmp_path.iterdir()) == files


def test_copy_names_to_in_what_it_says_about_its_target(jiesu, book, tmp_path):
    """`copy --to FOLDER` said `请用 --db 指定一个文件`, an option the user had not typed for the target."""
    jiesu.new("先有一件")
    (tmp_path / "空文件.db").write_bytes(b"")
    refused(jiesu("copy", "--to", str(tmp_path)), f"{tmp_path} 是文件夹，不是 jiesu 案卷库；请用 --to 指定一个文件")
    refused(jiesu("copy", "--to", str(tmp_path / "nodir" / "x.db")),
            f"{tmp_path / 'nodir' / 'x.db'}: 文件夹 {tmp_path / 'nodir'} 不存在；请先创建它，或用 --to 指定别的位置")
    refused(jiesu("copy", "--to", str(tmp_path / "空文件.db")), f"{tmp_path / '空文件.db'} 是空文件，不是 jiesu 案卷库；请删除它或用 --to 指定别的位置")
    refused(jiesu("--db", str(tmp_path), "list"), f"{tmp_path} 是文件夹，不是 jiesu 案卷库；请用 --db 指定一个文件")
