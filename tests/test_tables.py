"""Tables of one line a row: a book of forty thousand open cases drew `list` in 22 s and `todo` in
37 s at 80 columns, Rich measuring and laying out every cell of every row (fresh tester). jiesu
now works out the widths itself and lets Rich draw only the title and the header; the rows look
exactly as Rich drew them."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from rich.cells import cell_len
from rich.measure import Measurement

from jiesu import render, views
from jiesu.safetext import visible
from jiesu.vocab import OutputFormat

TZ = ZoneInfo("Asia/Shanghai")
TEXTS = [
    "楼上漏水\x1b[2J清屏\u202e反向",
    "很长的诉求" * 30,
    "[bold]红字[/] [link=http://x]点我[/link] :smile:",
    "combining e\u0301\u0301 and VS16 \u2600\ufe0f sun \u2764\ufe0f heart\u3000ideographic space",
    "emoji 🚰💧 flag 🇨🇳 family 👨\u200d👩\u200d👧",
    "  leading and trailing spaces  ",
    "tab\there line\nbreak",
    "短",
    "x" * 200,
]


@pytest.fixture
def hostile_book(jiesu, book):
    for n, text in enumerate(TEXTS):
        case = jiesu.new(text, "--received", f"-{n}d")
        # a community and category as an older jiesu took them, hidden characters and all (today's refuses them)
        book.store_as_an_older_jiesu(case, community=TEXTS[-1 - n][:12].strip(), category=f"类别/{TEXTS[n - 1][:10]}".strip())
        if n % 3:
            jiesu.ok("assign", case, visible(TEXTS[(n + 4) % len(TEXTS)][:20]))  # a name holds no hidden character
    return jiesu


def drawn(rows, columns, out, *, by_rich: bool, monkeypatch) -> None:
    with monkeypatch.context() as patched:
        if by_rich:  # the way every table was drawn before: each row laid out by Rich
            patched.setattr(render, "_drawn_fast", lambda *args: False)
        render.render(rows, OutputFormat.TABLE, columns, out=out)


@pytest.mark.parametrize("width", [200, 120, 80, 60, 40, 24, 12])
@pytest.mark.parametrize("terminal", ["plain", "colour", "gbk"])
@pytest.mark.parametrize("view", ["list", "todo"])
def test_a_table_is_drawn_as_rich_draws_it(hostile_book, monkeypatch, width, terminal, view):
    monkeypatch.setenv("COLUMNS", str(width))
    if terminal == "colour":
        monkeypatch.delenv("NO_COLOR")
        monkeypatch.setenv("TERM", "xterm-256color")
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
    columns = views.list_columns(TZ) if view == "list" else views.todo_columns(TZ)
    rows = hostile_book.json(*(["list", "--all"] if view == "list" else ["todo", "--within", "30d"]))
    texts = []
    for by_rich in (True, False):
        # an encoding without box-drawing characters: Rich draws the box in ASCII, and `?` for what GBK lacks
        out = io.TextIOWrapper(io.BytesIO(), encoding="gbk" if terminal == "gbk" else "utf-8", newline="")
        drawn(rows, columns, out, by_rich=by_rich, monkeypatch=monkeypatch)
        out.flush()
        texts.append(out.buffer.getvalue())
    assert texts[0] == texts[1]
    assert len(texts[1].splitlines()) >= len(rows) + 2


def test_a_long_table_is_drawn_without_rich_measuring_each_row(jiesu, monkeypatch):
    for n in range(30):
        jiesu.new(f"楼道灯不亮 {n}", "--community", "前门社区")
    measured = []
    measure = Measurement.get
    monkeypatch.setattr(Measurement, "get", lambda *args, **kwargs: measured.append(args) or measure(*args, **kwargs))
    monkeypatch.setenv("COLUMNS", "80")
    lines = jiesu.ok("list", "--format", "table").stdout.splitlines()
    assert len(lines) == 33 and lines[-1] == "（屏幕太窄，略去：受理时间）"
    assert len(measured) < 30


@pytest.mark.parametrize(("view", "columns"), [
    (["list"], views.list_columns(TZ)),
    (["todo", "--within", "30d"], views.todo_columns(TZ)),
])
@pytest.mark.parametrize("width", [40, 60, 80])
def test_a_table_that_leaves_columns_out_names_them_under_it(hostile_book, monkeypatch, view, columns, width):
    # A fresh tester: at 40 columns the monthly 三率 left out 综合得分 without a word; so did list and todo theirs.
    monkeypatch.setenv("COLUMNS", str(width))
    lines = hostile_book.ok(*view, "--format", "table").stdout.splitlines()
    header = [label.strip() for label in lines[0].split("┃")]
    noted = next((n for n, line in enumerate(lines) if line.startswith("（屏幕太窄，略去：")), len(lines))
    note = "".join(lines[noted:])  # the last line, or lines, folded between two names
    left_out = note.removeprefix("（屏幕太窄，略去：").removesuffix("）").split("、") if note else []
    assert sorted(header + left_out) == sorted(column.label for column in columns), (header, note)
    assert all("│" in line for line in lines[2:noted])


@pytest.mark.parametrize("view", ["list", "todo"])
def test_a_character_gbk_lacks_keeps_its_row_in_line_on_a_gbk_terminal(jiesu, monkeypatch, view):
    # A fresh tester with PYTHONIOENCODING=gbk: `㐀` (U+3400) and `🚰` print as `?`, one cell where two were
    # counted, and the rest of the row moved left of the header's columns.
    for summary in ("楼道灯不亮", "楼道灯不亮㐀🚰，漏水", "㐀" * 40):
        jiesu.new(summary, "--community", "前门社区")
    columns = views.list_columns(TZ) if view == "list" else views.todo_columns(TZ)
    rows = jiesu.json(*(["list"] if view == "list" else ["todo", "--within", "30d"]))
    for width in (200, 80, 60, 40):
        monkeypatch.setenv("COLUMNS", str(width))
        out = io.TextIOWrapper(io.BytesIO(), encoding="gbk", newline="")
        render.render(rows, OutputFormat.TABLE, columns, out=out)
        out.flush()
        lines = out.buffer.getvalue().decode("gbk").split("\n（屏幕太窄")[0].splitlines()  # the table, not the note under it
        assert "?" in "".join(lines)
        assert len({cell_len(line) for line in lines}) == 1, (width, lines)  # every row as wide as the header
        assert cell_len(lines[0]) <= width


@pytest.mark.parametrize("width", [40, 80])
def test_rules_show_says_under_the_table_that_a_value_was_cut(jiesu, monkeypatch, width):
    """Replayed: `rules show` at 80 columns read `Asia/Shangh…` and `供暖, 供气, …` for rules in force, and no
    line said a value was cut (as one says which columns were left out)."""
    monkeypatch.setenv("COLUMNS", str(width))
    lines = jiesu.ok("rules", "show", "--format", "table").stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert "".join(lines[-2:] if width == 40 else lines[-1:]) == "（屏幕太窄，取值有截断；全文见 --format json）"


def test_rules_show_says_nothing_was_cut_where_every_value_fits(jiesu, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    shown = jiesu.ok("rules", "show", "--format", "table").stdout
    assert "…" not in shown and "有截断" not in shown
