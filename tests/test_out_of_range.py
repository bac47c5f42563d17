"""Numbers and dates beyond what jiesu can hold, and a closed stdout: one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import refused

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--limit", HUGE],
        ["hotspots", "--days", HUGE],
        ["hotspots", "--days", "999999999"],
        ["hotspots", "--min", HUGE],
        ["ledger", "clear", HUGE, "--evidence", "已修好"],
    ],
)
def test_huge_counts_are_usage_errors(jiesu, args):
    result = jiesu(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误: "), result.stderr


@pytest.mark.parametrize("year", ["0001", "1000", "1899", "2101", "9999"])
@pytest.mark.parametrize(
    "args",
    [
        ["list", "--since", "{y}-01-01"],
        ["list", "--until", "{y}-01-01T08:00+08:00"],
        ["report", "daily", "--date", "{y}-01-01"],
        ["report", "monthly", "--period", "{y}-01"],
        ["hotspots", "--as-of", "{y}-01-01"],
        ["new", "x", "--received", "{y}-01-01"],
    ],
)
def test_years_outside_what_import_accepts_are_refused(jiesu, args, year):
    before = jiesu.json("list", "--all")
    line = refused(jiesu(*[a.format(y=year) for a in args]), code=2)
    assert f"年份 {int(year)} 超出 1900–2100" in line
    assert jiesu.json("list", "--all") == before


@pytest.mark.parametrize("relative", ["-999999w", "+999999w"])
def test_relative_times_beyond_the_calendar_are_refused(jiesu, relative):
    refused(jiesu("list", "--since", relative), code=2)


def test_the_years_import_accepts_are_accepted(jiesu):
    jiesu.new("早年", "--received", "1901-01-02T00:00")
    jiesu.ok("list", "--since", "1901-01-01", "--until", "2100-12-31")
    jiesu.ok("report", "monthly", "--period", "1900-01")


@pytest.mark.parametrize("typed", ["1900-01-01", "1900-12-31T23:59:59", "1900-12-31T15:54:16+00:00"])
def test_a_time_before_the_zone_kept_standard_time_is_refused(jiesu, book, typed):
    """Asia/Shanghai ran on local mean time, +08:05:43, until 1901: no time is stored with that offset."""
    line = f"时间 {typed!r} 早于 Asia/Shanghai 启用标准时（当时为地方平时 +08:05:43）"
    refused(jiesu("new", "早年", "--received", typed), line, code=2)
    refused(jiesu("list", "--since", typed), line, code=2)
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    ("zone", "typed", "kept"),
    [
        ("Asia/Shanghai", "1901-01-01T00:00", "1901-01-01T00:00:00+08:00"),  # standard time's first instant
        ("Asia/Shanghai", "1900-12-31T16:00:00+00:00", "1901-01-01T00:00:00+08:00"),
        ("Asia/Kathmandu", "1920-01-01T00:00", "1920-01-01T00:00:00+05:30"),
    ],
)
def test_the_first_times_of_standard_time_keep_the_zones_offset(jiesu, tmp_path, monkeypatch, zone, typed, kept):
    rules = tmp_path / "zone.toml"
    rules.write_text(f'timezone = "{zone}"\n', encoding="utf-8")
    monkeypatch.setenv("JIESU_RULES", str(rules))
    case_id = jiesu.new("早年", "--received", typed)
    assert jiesu.json("show", case_id)["received_at"] == kept


def test_an_overflow_anywhere_is_one_line_and_changes_nothing(jiesu, monkeypatch):
    """The last net (clikit): a "now" whose deadline lies past year 9999 cannot file a case."""
    before = jiesu.json("list", "--all")
    with monkeypatch.context() as far:
        far.setenv("JIESU_NOW", "9999-12-31T23:00+00:00")
        refused(jiesu("new", "年末"), "数值超出可处理的范围（date value out of range）")
    assert jiesu.json("list", "--all") == before


def run_closed(command: str, db: Path) -> subprocess.CompletedProcess:
    jiesu = str(Path(sys.executable).with_name("jiesu"))
    env = {**os.environ, "JIESU_DB": str(db)}
    return subprocess.run(["sh", "-c", command.replace("jiesu", f"'{jiesu}'", 1)], env=env, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("closing", [">&-", "2>&- >&-"])
def test_a_closed_stdout_is_refused_before_anything_changes(jiesu, db_path, closing):
    before = jiesu.json("list", "--all")
    result = run_closed(f'jiesu new 关闭输出 -q {closing}', db_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    if closing == ">&-":
        assert result.stderr.startswith("错误: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert jiesu.json("list", "--all") == before


def test_a_closed_stderr_is_refused_too(jiesu, db_path):
    before = jiesu.json("list", "--all")
    result = run_closed("jiesu new 关闭输出 -q 2>&- >/dev/null", db_path)
    assert result.returncode == 1
    assert jiesu.json("list", "--all") == before


# China kept summer time in 1986–1991: on 1986-05-04 clocks went from 02:00 to 03:00, and on
# 1986-09-14 from 02:00 back to 01:00.
@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1986-05-04T02:30", "在 Asia/Shanghai 不存在（夏令时拨快时跳过的钟点）"),
        ("1986-09-14T01:30", "在 Asia/Shanghai 出现了两次（夏令时拨回）；请写明偏移：+09:00 或 +08:00"),
    ],
)
def test_a_clock_time_summer_time_skipped_or_repeated_is_refused_not_moved(jiesu, book, tmp_path, typed, reason):
    refused(jiesu("new", "夏令时", "--received", typed), f"时间 {typed!r} {reason}", code=2)
    sheet = tmp_path / "工单.csv"
    sheet.write_text(
        "工单编号,受理时间,诉求人,联系电话,诉求地址,所属社区,诉求类别,诉求类型,紧急程度,诉求内容\n"
        f"BJ1,{typed.replace('T', ' ')},王大爷,13812345678,前门东大街3号,前门社区,物业管理/漏水,投诉,一般,楼上漏水\n",
        encoding="utf-8",
    )
    result = jiesu("import", str(sheet))
    assert result.exit_code == 1 and reason in result.stderr, result.output
    assert book.counts() == (0, 0)


def test_an_offset_names_which_of_the_repeated_hours(jiesu):
    case_id = jiesu.new("夏令时", "--received", "1986-09-14T01:30+08:00")
    assert jiesu.json("show", case_id)["received_at"] == "1986-09-14T01:30:00+08:00"


def test_a_deadline_in_hours_counts_elapsed_hours_across_the_clocks_going_forward(jiesu):
    case_id = jiesu.new("夏令时", "--received", "1986-05-04T01:30", "--urgency", "urgent")
    shown = jiesu.json("show", case_id)
    assert (shown["received_at"], shown["respond_by"]) == ("1986-05-04T01:30:00+08:00", "1986-05-04T04:30:00+09:00")
