"""12345 work-order numbers (refs): one order however it was typed — `BJ001`, `ＢＪ００１` from a
spreadsheet, `bj001` from a paper slip — through new, edit, import and an upgraded book."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import as_an_older_jiesu_wrote_it, refused, sqlite_only

HEADER = "工单编号,受理时间,诉求人,联系电话,诉求地址,所属社区,诉求类别,诉求类型,紧急程度,诉求内容"
# Each pair: the spelling the book holds, another spelling of the same order.
SPELLINGS = [("BJ001", "ＢＪ００１"), ("BJ001", "bj001"), ("ＢＪ００１", "bj001"), ("bj001", "ＢＪ００１")]


@pytest.mark.parametrize("held, typed", SPELLINGS)
def test_new_refuses_another_spelling_of_a_ref_naming_the_case(jiesu, book, held, typed):
    jiesu.new("楼上漏水", "--ref", held)
    before = book.fingerprint()
    refused(jiesu("new", "又来电", "--ref", typed), f"工单编号 {typed} 已用于 #1（记为 {held}）")
    refused(jiesu("new", "又来电", "--ref", f" {typed} "), f"工单编号 {typed} 已用于 #1（记为 {held}）")
    assert book.fingerprint() == before


@pytest.mark.parametrize("held, typed", SPELLINGS)
def test_edit_refuses_another_spelling_of_a_ref_another_case_holds(jiesu, book, held, typed):
    jiesu.new("楼上漏水", "--ref", held)
    other = jiesu.new("暖气不热", "--ref", "BJ002")
    before = book.fingerprint()
    refused(jiesu("edit", other, "--ref", typed), f"工单编号 {typed} 已用于 #1（记为 {held}）")
    assert book.fingerprint() == before


def test_a_ref_with_an_invisible_character_pasted_in_is_the_same_order(jiesu, book):
    jiesu.new("楼上漏水", "--ref", "BJ001")
    before = book.fingerprint()
    refused(jiesu("new", "又来电", "--ref", "BJ001\u200b"), "工单编号 BJ001<U+200B> 已用于 #1（记为 BJ001）")
    assert book.fingerprint() == before
    jiesu.new("暖气不热", "--ref", "\u2066BJ002\u2069")
    refused(jiesu("new", "又来电", "--ref", "ｂｊ００２"), "工单编号 ｂｊ００２ 已用于 #2（记为 <U+2066>BJ002<U+2069>）")


def test_a_ref_that_shows_nothing_is_no_ref(jiesu, tmp_path):
    """Tester 19: a file whose ref was one zero-width space imported once, then failed with SQLite's
    `UNIQUE constraint failed: cases.ref`; typed, two such refs were one work order. As `--ref ' '` is."""
    path = tmp_path / "工单.csv"
    path.write_text("ref,received_at,summary\n\u200b,2026-11-30 12:00,第四件\n\u200f,2026-11-30 13:00,第五件\n", encoding="utf-8")
    assert jiesu.ok("import", str(path)).stderr == "读取 2 行：已导入 2 件，已存在 0 件\n"
    assert jiesu.ok("import", str(path)).stderr == "读取 2 行：已导入 0 件，已存在 2 件\n"
    jiesu.new("又一件", "--ref", "\u200b")
    jiesu.new("再一件", "--ref", "\u3164")
    assert [case["ref"] for case in jiesu.json("list")] == [None] * 4


def test_a_case_may_respell_its_own_ref(jiesu):
    case_id = jiesu.new("楼上漏水", "--ref", "ＢＪ００１")
    jiesu.ok("edit", case_id, "--ref", "BJ001")
    assert jiesu.json("show", case_id)["ref"] == "BJ001"
    refused(jiesu("new", "又来电", "--ref", "bj001"), "工单编号 bj001 已用于 #1（记为 BJ001）")


@pytest.mark.parametrize("held, typed", SPELLINGS)
def test_import_takes_another_spelling_of_a_ref_for_the_case_it_is(jiesu, book, tmp_path, held, typed):
    jiesu.new("楼上漏水", "--ref", held, "--received", "2026-11-02T09:30")
    before = book.fingerprint()
    path = tmp_path / "工单.csv"
    path.write_text(f"{HEADER}\n{typed},2026-11-03 10:00,王大爷,13812345678,前门东大街3号,前门社区,物业管理/漏水,投诉,一般,楼上又漏水\n")
    # Its time and summary are not the case's: the import says so, naming the line, and changes nothing.
    # It is counted apart, not as 已存在 (a fresh tester read 已存在 1 件 and then that it differed).
    assert jiesu.ok("import", str(path)).stderr == (
        "读取 1 行：已导入 0 件，已存在 0 件，另有 1 件工单号相同、内容不同，不导入\n"
        "第 2 行的工单号已在案卷库中或文件的前面几行里，内容（受理时间、电话、摘要或地址）却不同；要改已有的诉求请用 jiesu edit\n"
    )
    assert book.fingerprint() == before


@pytest.mark.parametrize("layout, suffix", [("csv", "csv"), ("json", "json"), ("open311-json", "json"), ("open311-xml", "xml")])
def test_a_book_exported_and_imported_back_has_no_differing_rows(jiesu, book, tmp_path, layout, suffix):
    for summary, ref in (("楼上漏水", "BJ001"), ("暖气不热", "ｂｊ００２"), ("无工单号", None)):
        jiesu.new(summary, "--phone", "13812345678", "--address", "前门东大街3号", *(["--ref", ref] if ref else []))
    path = tmp_path / f"cases.{suffix}"
    jiesu.ok("export", "--format", layout, "--out", str(path))
    before = book.fingerprint()
    unit = "条" if suffix == "json" else "行"  # a JSON array's items are counted, not its lines
    assert jiesu.ok("import", str(path)).stderr.endswith(f"读取 3 {unit}：已导入 0 件，已存在 3 件\n")
    assert book.fingerprint() == before


def test_differing_rows_are_counted_and_the_first_named(jiesu, tmp_path):
    for number in range(12):
        jiesu.new(f"楼上漏水{number}", "--ref", f"BJ{number:03}", "--received", "2026-11-02T09:30")
    rows = [f"ＢＪ{number:03},2026-11-02 09:30,王大爷,,,,,,,{'楼上漏水' if number == 0 else '改过的摘要'}{number}" for number in range(12)]
    path = tmp_path / "工单.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    lines = jiesu.ok("import", str(path), "--dry-run").stderr.splitlines()
    assert lines == [
        "读取 12 行：将导入 0 件，已存在 1 件，另有 11 件工单号相同、内容不同，不导入（试运行，未写入）",
        "第 3、4、5、6、7、8、9、10、11、12 行等的工单号已在案卷库中或文件的前面几行里，内容（受理时间、电话、摘要或地址）却不同；要改已有的诉求请用 jiesu edit",
    ]


def test_a_later_row_of_the_file_with_the_ref_of_an_earlier_and_other_content_is_said(jiesu, tmp_path):
    """A fresh tester: BJ7 路面塌陷 after BJ7 楼道灯不亮 in one file was 已存在 without a word (two files said it)."""
    path = tmp_path / "工单.csv"
    rows = [row.replace("·", ",") for row in (
        "BJ7·2026-11-20 09:00·王大爷·13812345678·前门东大街3号·前门社区·市政·投诉·一般·楼道灯不亮",
        "bj7·2026-11-21 10:00·王大爷·13812345678·前门东大街3号·前门社区·市政·投诉·一般·路面塌陷",
        "ＢＪ７·2026-11-20 09:00·王大爷·13812345678·前门东大街3号·前门社区·市政·投诉·一般·楼道灯不亮",
    )]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    for dry_run, verb in ((["--dry-run"], "将导入"), ([], "已导入")):
        assert jiesu.ok("import", str(path), *dry_run).stderr.splitlines() == [
            f"读取 3 行：{verb} 1 件，已存在 1 件，另有 1 件工单号相同、内容不同，不导入" + ("（试运行，未写入）" if dry_run else ""),
            "第 3 行的工单号已在案卷库中或文件的前面几行里，内容（受理时间、电话、摘要或地址）却不同；要改已有的诉求请用 jiesu edit",
        ]
    assert [case["summary"] for case in jiesu.json("list")] == ["楼道灯不亮"]


def test_one_file_spelling_one_ref_two_ways_brings_one_case(jiesu, tmp_path):
    path = tmp_path / "工单.csv"
    rows = [
        "BJ001,2026-11-02 09:30,王大爷,13812345678,前门东大街3号,前门社区,物业管理/漏水,投诉,一般,楼上漏水",
        "ｂｊ００１,2026-11-02 09:30,王大爷,13812345678,前门东大街3号,前门社区,物业管理/漏水,投诉,一般,楼上漏水",
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    assert jiesu.ok("import", str(path)).stderr == "读取 2 行：已导入 1 件，已存在 1 件\n"
    assert [case["ref"] for case in jiesu.json("list")] == ["BJ001"]


TWINS_LINE = "#1（BJ001）、#2（ｂｊ００１） 是同一个工单编号（只差大小写、全半角、空格或看不见的字符）；请核对后合并，如 jiesu merge 2 --into 1\n"


def a_book_holding_twins(jiesu, db_path, tmp_path, monkeypatch) -> list[tuple]:
    """The book at `db_path` as a jiesu before m015 left it, `BJ001` and `ｂｊ００１` filed as #1 and #2
    (and BJ002 as #3); its cases' rows before this jiesu opens it."""
    modern = tmp_path / "modern.db"
    for summary, ref in (("楼上漏水", "BJ001"), ("楼上又漏水", "BJ-TWIN"), ("暖气不热", "BJ002")):
        jiesu.ok("--db", modern, "new", summary, "--ref", ref, "--received", "2026-11-02T09:30")
    as_an_older_jiesu_wrote_it(db_path, modern, monkeypatch, version=14)
    with sqlite3.connect(db_path) as conn:  # as the older jiesu let it be filed
        conn.execute("UPDATE cases SET ref = 'ｂｊ００１' WHERE ref = 'BJ-TWIN'")
        before = conn.execute("SELECT * FROM cases ORDER BY id").fetchall()
    conn.close()
    return before


@sqlite_only
def test_a_book_holding_twins_upgrades_keeping_both_and_check_names_them(jiesu, db_path, tmp_path, monkeypatch):
    """A jiesu before m015 compared refs exactly and filed `BJ001` and `ｂｊ００１` as two cases: the
    upgrade changes and drops nothing, `check` names them, and a merge settles it — no backup to
    restore, as the summary said to a fresh tester."""
    before = a_book_holding_twins(jiesu, db_path, tmp_path, monkeypatch)
    result = jiesu("check")
    assert result.exit_code == 1
    assert result.stdout == TWINS_LINE
    assert result.stderr.splitlines()[-1] == "错误: 发现 1 处问题；请按上面的提示处理"  # after the upgrade's backup line
    with sqlite3.connect(db_path) as conn:
        assert [row[:-2] for row in conn.execute("SELECT * FROM cases ORDER BY id")] == before
        keys = conn.execute("SELECT ref_key, ref_twin FROM cases ORDER BY id").fetchall()
    conn.close()
    assert keys == [("bj001", 0), ("bj001", 2), ("bj002", 0)]
    refused(jiesu("new", "又来电", "--ref", "Bj001"), "工单编号 Bj001 已用于 #1（记为 BJ001）")
    refused(jiesu("edit", 3, "--ref", "bj001"), "工单编号 bj001 已用于 #1（记为 BJ001）")
    jiesu.ok("merge", 2, "--into", 1)
    assert jiesu.ok("check").stderr.startswith("案卷完好")


@sqlite_only
def test_a_book_whose_keys_kept_invisible_characters_upgrades_to_find_and_match_without_them(jiesu, db_path, tmp_path, monkeypatch):
    """A jiesu before m017 folded a zero-width space into search_text and ref_key: the upgrade folds
    those cases again (and only those), a ref that now names another case's order becomes a twin for
    `check` to name, and two such refs of one order keep apart without breaking the unique key."""
    modern = tmp_path / "modern.db"
    for summary, ref in (("楼上漏水", "BJ001"), ("楼上又漏水", "BJ-A"), ("RTL zw", "BJ009"), ("暖气不热", "BJ-B"), ("暖气还不热", "BJ-C")):
        jiesu.ok("--db", modern, "new", summary, "--ref", ref, "--received", "2026-11-02T09:30")
    as_an_older_jiesu_wrote_it(db_path, modern, monkeypatch, version=16)
    with sqlite3.connect(db_path) as conn:  # as the older jiesu filed and folded them
        for case_id, summary, ref in ((2, "楼上又漏水", "BJ001\u200b"), (3, "RTL\u200bzw", "BJ009"), (4, "暖气不热", "BJ010\u200b"), (5, "暖气还不热", "\u2060bj010")):
            conn.execute(
                "UPDATE cases SET summary = ?, ref = ?, search_text = ?, ref_key = ? WHERE id = ?",
                (summary, ref, f"{summary.lower()}\n{ref.lower()}", ref.lower(), case_id),
            )
        untouched = conn.execute("SELECT * FROM cases WHERE id = 1").fetchall()
    conn.close()
    result = jiesu("check")
    assert result.stdout.splitlines() == [
        "#1（BJ001）、#2（BJ001<U+200B>） 是同一个工单编号（只差大小写、全半角、空格或看不见的字符）；请核对后合并，如 jiesu merge 2 --into 1",
        "#4（BJ010<U+200B>）、#5（<U+2060>bj010） 是同一个工单编号（只差大小写、全半角、空格或看不见的字符）；请核对后合并，如 jiesu merge 5 --into 4",
    ]
    with sqlite3.connect(db_path) as conn:
        keys = conn.execute("SELECT ref_key, ref_twin FROM cases ORDER BY id").fetchall()
        assert conn.execute("SELECT * FROM cases WHERE id = 1").fetchall() == untouched
    conn.close()
    assert keys == [("bj001", 0), ("bj001", 2), ("bj009", 0), ("bj010", 0), ("bj010", 5)]
    assert [row["id"] for row in jiesu.json("list", "--search", "RTLzw")] == [3]
    refused(jiesu("new", "又来电", "--ref", "BJ010"), "工单编号 BJ010 已用于 #4（记为 BJ010<U+200B>）")


@sqlite_only
def test_check_keeps_the_backup_advice_for_damage_beside_twins(jiesu, db_path, tmp_path, monkeypatch):
    a_book_holding_twins(jiesu, db_path, tmp_path, monkeypatch)
    with sqlite3.connect(db_path) as conn:  # closed as `close` leaves a case, but no step did it
        conn.execute("UPDATE cases SET status = 'closed', nature = 'reasonable', track = 'handle', result = 'resolved', closed_at = received_at WHERE id = 3")
    conn.close()
    result = jiesu("check")
    assert result.exit_code == 1
    assert result.stdout == "#3 状态为已办结，但办理记录显示应为待派单\n" + TWINS_LINE
    assert result.stderr.splitlines()[-1] == "错误: 发现 2 处问题；有提示的请按提示处理，其余请从备份恢复（步骤见 jiesu backup --help），或联系维护人员"


@pytest.mark.parametrize("taken", ["BJ001", "ｂｊ００１"])
def test_undo_of_a_ref_correction_is_refused_when_another_case_took_the_ref(jiesu, book, taken):
    """It failed on the unique index with the database's own English line."""
    case_id = jiesu.new("楼上漏水", "--ref", "BJ001")
    jiesu.ok("edit", case_id, "--ref", "BJ009")
    jiesu.new("又来电", "--ref", taken)
    before = book.fingerprint()
    written = "" if taken == "BJ001" else f"（记为 {taken}）"
    refused(jiesu("undo", case_id), f"#1 的更正（2026-12-01 09:30）不能撤销：工单编号 BJ001 已用于 #2{written}")
    assert book.fingerprint() == before
