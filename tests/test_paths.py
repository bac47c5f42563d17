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
    assert f"'{blank.replace(chr(9), '␉')}' 不是文件名（" in line  # a tab repeated as its stand-in
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
    """`copy --to FOLDER` said `请用 --db 指定一个文件`, an option the user had not typed for the target;
    and exited 1, where a bad option value is a usage error (exit 2): a folder is no book's file."""
    jiesu.new("先有一件")
    (tmp_path / "空文件.db").write_bytes(b"")
    before = book.fingerprint()
    files = sorted(tmp_path.iterdir())
    refused(jiesu("copy", "--to", str(tmp_path)), f"{tmp_path} 是文件夹，不是 jiesu 案卷库；请用 --to 指定一个文件", code=2)
    assert book.fingerprint() == before and sorted(tmp_path.iterdir()) == files
    refused(jiesu("copy", "--to", str(tmp_path / "nodir" / "x.db")),
            f"{tmp_path / 'nodir' / 'x.db'}: 文件夹 {tmp_path / 'nodir'} 不存在；请先创建它，或用 --to 指定别的位置")
    refused(jiesu("copy", "--to", str(tmp_path / "空文件.db")), f"{tmp_path / '空文件.db'} 是空文件，不是 jiesu 案卷库；请删除它或用 --to 指定别的位置")
    refused(jiesu("--db", str(tmp_path), "list"), f"{tmp_path} 是文件夹，不是 jiesu 案卷库；请用 --db 指定一个文件", code=2)


def test_a_refused_copy_makes_no_book_at_either_end(jiesu, tmp_path, monkeypatch):
    """`--db 新.db copy --to FOLDER` was refused after making the book it was to copy from; `--db FOLDER
    copy --to x.db` after making x.db; and `--db 打错.db copy --to y.db` made both, copied nothing and
    said 两边行数相同 (fresh testers)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "文件夹").mkdir()
    jiesu.ok("--db", "源.db", "new", "路灯不亮", "-q")
    before = sorted(tmp_path.iterdir())
    folder = "文件夹 是文件夹，不是 jiesu 案卷库；请用 {} 指定一个文件"
    refused(jiesu("--db", "源.db", "copy", "--to", "文件夹"), folder.format("--to"), code=2)
    refused(jiesu("--db", "文件夹", "copy", "--to", "x.db"), folder.format("--db"), code=2)
    refused(jiesu("--db", "打错.db", "copy", "--to", "y.db"), "打错.db 不存在，没有案卷库可用；请用 --db 指定已有的案卷库")
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", [["check"], ["backup", "备份.db"], ["ledger", "roll", "2026-10"]])
def test_check_backup_and_roll_of_a_mistyped_book_refuse_and_make_nothing(jiesu, tmp_path, monkeypatch, command):
    """A fresh tester: `--db 打错.db backup 备份.db` made an empty 打错.db, backed it up and said 已备份 (exit 0,
    a nightly cron job none the wiser); `check` of it said 案卷完好, and `ledger roll` rolled its month."""
    monkeypatch.chdir(tmp_path)
    refused(jiesu("--db", "打错.db", *command), "打错.db 不存在，没有案卷库可用；请用 --db 指定已有的案卷库")
    assert list(tmp_path.iterdir()) == []
    # a period no book could take is the usage error it is on any book (a fresh tester: exit 1 here, 2 there)
    refused(jiesu("--db", "打错.db", "ledger", "roll", "2026-13"), "'2026-13' 不是期间；应写作 YYYY-MM，如 2026-10", code=2)


def test_a_file_that_cannot_be_read_is_said_in_chinese(jiesu, book, tmp_path, monkeypatch):
    """`jiesu import nosuch.csv` said `无法读取 nosuch.csv：No such file or directory`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("诉求内容\n楼道灯不亮\n", encoding="utf-8")
    refused(jiesu("import", "nosuch.csv"), "无法读取 nosuch.csv：找不到该文件")
    refused(jiesu("import", "x.csv", "--map", "nosuch.toml"), "无法读取映射文件 nosuch.toml：找不到该文件")
    (tmp_path / "文件夹.csv").mkdir()
    refused(jiesu("import", "文件夹.csv"), "无法读取 文件夹.csv：这是文件夹，不是文件")
    (tmp_path / "文件夹.toml").mkdir()
    refused(jiesu("import", "x.csv", "--map", "文件夹.toml"), "无法读取映射文件 文件夹.toml：这是文件夹，不是文件")
    assert book.counts() == (0, 0)


def test_a_folder_to_import_is_said_to_be_one_whatever_its_name(jiesu, book, tmp_path, monkeypatch):
    """A fresh tester: `jiesu import 工单` (a folder) said its format could not be told from the name (a usage
    error, exit 2); it is a path that cannot be read, exit 1, as a folder named `文件夹.csv` already was."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "工单").mkdir()
    jiesu.new("先有一件")
    before = book.fingerprint()
    refused(jiesu("import", "工单"), "无法读取 工单：这是文件夹，不是文件")
    refused(jiesu("import", str(tmp_path)), f"无法读取 {tmp_path}：这是文件夹，不是文件")
    refused(jiesu("import", "工单", "--format", "csv"), "无法读取 工单：这是文件夹，不是文件")
    refused(jiesu("import", "没有这个"), "无法从文件名 没有这个 判断格式；请用 --format 指定：csv, xlsx, xls, json, jsonl, open311-json, open311-xml", code=2)
    assert book.fingerprint() == before


@pytest.mark.parametrize(("toml", "place"), [("[columns]\nx = \"y\n", "第 2 行第 7 列"), ("a = [\n", "末尾")])
def test_a_map_or_rules_file_that_is_not_toml_is_one_chinese_line_with_its_place(jiesu, book, tmp_path, monkeypatch, toml, place):
    """A bad --map file gave tomllib's English (`Illegal character (at line 2, column 7)`)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("诉求内容\n楼道灯不亮\n", encoding="utf-8")
    (tmp_path / "坏.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "坏.toml").chmod(0o600)
    refused(jiesu("import", "x.csv", "--map", "坏.toml"), f"映射文件 坏.toml {place}：不是合法的 TOML（请检查引号、括号和等号）")
    refused(jiesu("--rules", "坏.toml", "list"), f"规则文件 坏.toml {place}：不是合法的 TOML（请检查引号、括号和等号）")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(("toml", "said"), [
    ('[deadlines.resolve]\ngeneral = "7 days"\ngeneral = "8 days"\n', "第 3 行第 19 列：键 general 写了两次（同一个键只能写一次）"),
    ('[deadlines.resolve]\ngeneral = "7 days"\n[deadlines.resolve]\ncomplex = "9 days"\n',
     "第 3 行第 19 列：[deadlines.resolve] 这一节前面已经写过（同一节的键请写在一处）"),
    ("[calendar]\nholidays = [2026-02-30]\n", "第 2 行第 13 列：日期 2026-02-30 不存在：2026 年 2 月只有 28 天"),
    ("[calendar]\nholidays = [\n  2026-10-08,\n  2026-13-01,\n]\n", "第 4 行第 7 列：日期 2026-13-01 不存在：一年只有 12 个月"),
    ("[calendar]\nholidays = [0000-01-01]\n", "第 2 行第 13 列：日期 0000-01-01 不存在：没有公元 0 年"),
])
def test_a_key_or_table_written_twice_and_a_date_that_does_not_exist_are_named(jiesu, book, tmp_path, monkeypatch, toml, said):
    """A fresh tester: each was only `不是合法的 TOML（请检查引号、括号和等号）`. A date says why it is none, as a
    date typed on the command line does (clock.date_refused)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("诉求内容\n楼道灯不亮\n", encoding="utf-8")
    (tmp_path / "r.toml").write_text(toml, encoding="utf-8")
    refused(jiesu("--rules", "r.toml", "list"), f"规则文件 r.toml {said}")
    refused(jiesu("import", "x.csv", "--map", "r.toml"), f"映射文件 r.toml {said}")
    assert book.counts() == (0, 0)


def test_a_rules_file_path_is_echoed_as_other_paths_are(jiesu, book, tmp_path):
    """The rules file's messages showed its path raw: whole however long, where every other path is shortened."""
    folder = tmp_path / "规则\x1b[31m[red]" / ("长" * 80)
    folder.mkdir(parents=True)
    rules = folder / ("本办" * 40 + ".toml")
    rules.write_text("[deadlines]\nperiod_end = \"midnight\"\n", encoding="utf-8")
    line = refused(jiesu("--rules", str(rules), "list"))
    assert line.startswith(f"错误: 规则文件 {tmp_path}/规则␛[31m[red]/长长")
    assert line.endswith(f"…（共 {len(str(rules))} 字） 第 2 行：deadlines.period_end: 可选：end_of_day, same_time")
    assert book.counts() == (0, 0)
