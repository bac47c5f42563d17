"""Excel workbooks in and out: the platform's .xlsx/.xls sheets imported, cases and the ledger exported as .xlsx."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from conftest import refused

HEADER = ["工单编号", "受理时间", "诉求人", "联系电话", "诉求地址", "所属社区", "诉求类别", "诉求类型", "紧急程度", "诉求内容"]


def office_sheet(path, rows, *, title="前门街道接诉即办工单", sheets=("工单",), header=HEADER):
    """A workbook as an office saves it: a title row, the header, then rows of typed cells."""
    book = xlsxwriter.Workbook(str(path))
    when = book.add_format({"num_format": "yyyy/m/d h:mm"})
    for name in sheets:
        page = book.add_worksheet(name)
        top = 0
        if title:
            page.write_string(0, 0, title)
            top = 2
        for column, label in enumerate(header):
            page.write_string(top, column, label)
        for offset, cells in enumerate(rows, start=top + 1):
            for column, value in enumerate(cells):
                if isinstance(value, datetime):
                    page.write_datetime(offset, column, value, when)
                elif isinstance(value, (int, float)):
                    page.write_number(offset, column, value)
                elif value is not None:
                    page.write_string(offset, column, value)
    book.close()
    return str(path)


ROW = ["0012", datetime(2026, 11, 3, 9, 5), "王大爷", "13812345678", "前门东大街3号", "前门社区", "物业管理/漏水", "投诉", "一般", "楼上漏水"]


def test_a_sheet_with_a_title_row_and_excel_typed_dates(jiesu, tmp_path):
    second = ["BJ002", 46329.75, "李女士", 13900001111, "鲜鱼口街1号", "大栅栏社区", "供暖/不热", "求助", "紧急", "暖气不热"]
    path = office_sheet(tmp_path / "工单.xlsx", [ROW, second])
    assert jiesu.ok("import", path).stderr == "读取 2 行：已导入 2 件，已存在 0 件\n"
    first, other = jiesu.json("list", "--reveal")
    assert (first["ref"], first["received_at"], first["phone"]) == ("0012", "2026-11-03T09:05:00+08:00", "13812345678")
    assert (first["name"], first["kind"], first["summary"]) == ("王大爷", "complaint", "楼上漏水")
    assert (other["ref"], other["received_at"], other["phone"], other["urgency"]) == (
        "BJ002", "2026-11-03T18:00:00+08:00", "13900001111", "urgent",
    )
    assert jiesu.json("show", "1")["events"][0]["note"] == "导入自 工单.xlsx 第 4 行"


@pytest.mark.parametrize(
    ("late", "whole", "written", "kept"),
    [
        (datetime(2026, 11, 29, 23, 59, 59, 999000), datetime(2026, 11, 29, 23, 59, 59), "'2026-11-29 23:59:59.999'", "2026-11-29T23:59:59+08:00"),
        # A number cell (a date cell whose format was lost) was rounded to the second (a fresh tester).
        (46329.999999, 46329 + 9.25 / 24, "46329.999999（即 2026-11-03 23:59:59.913）", "2026-11-03T09:15:00+08:00"),
    ],
)
def test_a_date_cell_with_a_fraction_of_a_second_is_refused_not_rounded_into_the_next_day(jiesu, tmp_path, book, late, whole, written, kept):
    path = office_sheet(tmp_path / "工单.xlsx", [[*ROW[:1], late, *ROW[2:]], ["BJ2", whole, *ROW[2:]]])
    result = jiesu("import", path)
    assert result.exit_code == 1 and result.stderr.splitlines()[0] == (
        f"第 4 行：受理时间 有不足一秒的部分：{written}；jiesu 记时到秒，请改为整秒"
    )
    assert book.counts() == (0, 0)
    jiesu.ok("import", path, "--skip-bad")
    assert [c["received_at"] for c in jiesu.json("list")] == [kept]


def test_a_receipt_in_a_date_cell_without_its_clock_time_is_refused(jiesu, tmp_path, book):
    """Replayed from a fresh tester: a 受理时间 cell holding only a date (a date cell, or its serial once
    the format is lost) was stored as 00:00, 24:00 of the day before: a deadline a working day early."""
    path = tmp_path / "工单.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    page, day = workbook.add_worksheet("工单"), workbook.add_format({"num_format": "yyyy/m/d"})
    for column, label in enumerate(HEADER):
        page.write_string(0, column, label)
    page.write_row(1, 0, ["BJ1", None, *ROW[2:]])
    page.write_datetime(1, 1, datetime(2026, 11, 20), day)
    page.write_row(2, 0, ["BJ2", 46346, *ROW[2:]])
    workbook.close()
    result = jiesu("import", str(path))
    reason = "只有日期，没有钟点（0 点受理按前一天 24:00 计，时限会早一个工作日）；请写明钟点，如 2026-11-20 09:00"
    assert result.exit_code == 1 and result.stderr.splitlines()[:2] == [
        f"第 2 行：受理时间 '2026-11-20' {reason}", f"第 3 行：受理时间 46346 {reason}",
    ]
    assert book.counts() == (0, 0)


def test_a_receipt_at_00_00_comes_back_from_the_workbook_as_itself(jiesu, tmp_path, new_target):
    """A date cell at 00:00 reads as a date alone, which a receipt may not be: the export writes it as text."""
    jiesu.new("零点受理", "--received", "2026-11-20 00:00")
    jiesu.ok("export", "--out", str(tmp_path / "x.xlsx"))
    other = new_target("other")
    assert jiesu.ok("--db", other, "import", str(tmp_path / "x.xlsx")).stderr == "读取 1 行：已导入 1 件，已存在 0 件\n"
    assert jiesu.json("--db", other, "list") == jiesu.json("list")


def test_the_sheet_option_picks_a_sheet_by_name(jiesu, tmp_path):
    path = office_sheet(tmp_path / "工单.xlsx", [ROW], sheets=("说明", "十一月"))
    jiesu.ok("import", path, "--sheet", "十一月")
    assert [c["ref"] for c in jiesu.json("list")] == ["0012"]
    refused(jiesu("import", path, "--sheet", "十二月"), "工作簿中没有名为 十二月 的工作表；有：说明、十一月")
    (tmp_path / "x.csv").write_text("summary\n漏水\n", encoding="utf-8")
    refused(jiesu("import", str(tmp_path / "x.csv"), "--sheet", "十一月"), "--sheet 只用于 Excel 工作簿（.xlsx、.xls）", code=2)


def test_a_merged_cell_is_read_in_every_row_it_spans_as_excel_shows_it(jiesu, tmp_path):
    """A fresh tester: with 所属社区 merged down three rows only the first case had a community, and a
    受理时间 merged down two gave the second case its import time as its receipt, silently."""
    path = tmp_path / "合并.xlsx"
    book = xlsxwriter.Workbook(str(path))
    page = book.add_worksheet("工单")
    page.write_row(0, 0, HEADER)
    for row, ref in enumerate(("BJ1", "BJ2", "BJ3"), start=1):
        page.write_row(row, 0, [ref, "2026-11-03 09:0" + ref[-1], "王", "13812345678", "前门东大街3号", None, "物业管理/漏水", "投诉", "一般", "漏水" + ref])
    page.merge_range("F2:F4", "前门社区")
    page.merge_range("B3:B4", "2026-11-03 10:00")
    book.close()
    assert jiesu.ok("import", str(path)).stderr == "读取 3 行：已导入 3 件，已存在 0 件\n"
    cases = jiesu.json("list")
    assert [(c["ref"], c["community"], c["received_at"]) for c in cases] == [
        ("BJ1", "前门社区", "2026-11-03T09:01:00+08:00"),
        ("BJ2", "前门社区", "2026-11-03T10:00:00+08:00"),
        ("BJ3", "前门社区", "2026-11-03T10:00:00+08:00"),
    ]


def test_a_serial_date_in_a_1904_workbook_counts_from_1904(jiesu, tmp_path):
    """A fresh tester: in a workbook on the 1904 date system (old Excel for Mac) a receipt held as a plain
    number, 44867.38, was read from 1900: four years early, silently. A date cell was always right."""
    path = tmp_path / "mac.xlsx"
    book = xlsxwriter.Workbook(str(path), {"date_1904": True})
    page = book.add_worksheet("工单")
    page.write_row(0, 0, HEADER)
    page.write_row(1, 0, ["BJ1", 44867.38, *ROW[2:]])
    page.write_row(2, 0, ["BJ2", None, *ROW[2:-1], "日期单元格"])
    page.write_datetime(2, 1, datetime(2026, 11, 3, 9, 5), book.add_format({"num_format": "yyyy/m/d h:mm"}))
    book.close()
    jiesu.ok("import", str(path))
    assert [c["received_at"] for c in jiesu.json("list")] == ["2026-11-03T09:07:12+08:00", "2026-11-03T09:05:00+08:00"]


def test_a_formula_without_its_saved_result_is_named_as_one(jiesu, tmp_path, book):
    """A fresh tester: a workbook a program wrote holds =CONCATENATE(…) in 诉求内容 with no result saved;
    it was refused as having no summary. A formula whose result is saved, empty text too, reads as its result."""
    path = tmp_path / "公式.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    page = workbook.add_worksheet("工单")
    page.write_row(0, 0, HEADER)
    page.write_row(1, 0, ROW[:-1])
    page.write_formula(1, 9, '=CONCATENATE("垃圾","没人清")', None, "")
    page.write_row(2, 0, ["BJ2", *ROW[1:-1]])
    page.write_formula(2, 9, '=CONCATENATE("垃圾","清了")', None, "垃圾清了")
    page.write_row(3, 0, ["BJ3", *ROW[1:-1]])
    page.write_formula(3, 9, '=A4&"x"')  # XlsxWriter saves 0 as its result, and asks Excel to recalculate (a fresh tester: imported as "0")
    workbook.close()
    result = jiesu("import", str(path))
    assert result.stderr.splitlines()[:2] == [
        "第 2 行：诉求内容 是公式，Excel 还没有保存它的结果；请在 Excel 中打开此文件并保存后再导入",
        "第 4 行：诉求内容 是公式，Excel 还没有保存它的结果；请在 Excel 中打开此文件并保存后再导入",
    ]
    assert book.counts() == (0, 0)
    jiesu.ok("import", str(path), "--skip-bad")
    assert [c["summary"] for c in jiesu.json("list")] == ["垃圾清了"]


def test_a_first_sheet_that_holds_no_cases_names_the_others(jiesu, tmp_path):
    """A fresh tester: an empty first sheet was `文件是空的`, and one holding a note `无法识别的表头…请用 --map`,
    though another sheet held the cases."""
    empty = office_sheet(tmp_path / "空.xlsx", [ROW], title=None, sheets=("空", "数据"))
    with zipfile.ZipFile(empty) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(empty, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    refused(jiesu("import", empty), "第一个工作表 空 是空的（没有表头，也没有工单）；工作簿中还有：数据；请用 --sheet 指定要导入的一张，如 --sheet 数据")
    noted = tmp_path / "说明.xlsx"
    workbook = xlsxwriter.Workbook(str(noted))
    workbook.add_worksheet("说明").write_string(0, 0, "本文件由12345平台导出")
    workbook.add_worksheet("空表")
    page = workbook.add_worksheet("十一月")
    page.write_row(0, 0, HEADER)
    page.write_row(1, 0, ["BJ1", *ROW[1:]])
    workbook.close()
    refused(jiesu("import", str(noted)), "第一个工作表 说明 不是工单表（前 10 行中没有 jiesu 导出或 12345 工单的表头）；"
            "工作簿中还有：空表、十一月；请用 --sheet 指定要导入的一张，如 --sheet 十一月")
    refused(jiesu("import", str(noted), "--sheet", "说明"), "无法识别的表头：既不是 jiesu 导出格式，也不是 12345 工单格式；请用 --map 提供列映射")
    jiesu.ok("import", str(noted), "--sheet", "十一月")


def test_a_map_reads_a_workbook_like_a_csv(jiesu, tmp_path):
    (tmp_path / "map.toml").write_text('[columns]\n"内容" = "summary"\n"时间" = "received_at"\n', encoding="utf-8")
    path = office_sheet(tmp_path / "x.xlsx", [["漏水", datetime(2026, 11, 3, 9, 5)]], header=["内容", "时间"], title=None)
    jiesu.ok("import", path, "--map", str(tmp_path / "map.toml"))
    assert jiesu.json("list")[0]["received_at"] == "2026-11-03T09:05:00+08:00"


def test_numbers_excel_already_rewrote_are_refused(jiesu, tmp_path, book):
    """A fresh tester: a ref Excel stored as a number was shown as Python spells it (2.026110300012346e+17),
    not as its cell shows it, and the line did not say its last digits were gone."""
    rows = [["x", datetime(2026, 11, 3, 9, 5), None, None, None, None, None, None, None, "甲"] for _ in range(2)]
    rows[0][0] = 202611030001234567  # stored as a number: Excel keeps 15 digits
    rows[1][0] = "BJ9"
    rows[1][3] = 13812345678.5
    result = jiesu("import", office_sheet(tmp_path / "x.xlsx", rows))
    assert result.stderr.splitlines()[:2] == [
        "第 4 行：工单编号 被 Excel 改写成了科学计数法（2.02611E+17），后几位数字已丢失；请把该列设为文本后重新填写",
        "第 5 行：联系电话 被存成了数字，已被 Excel 改写（13812345678.5）；请把该列设为文本后重新填写",
    ]
    assert book.counts() == (0, 0)


def test_an_old_xls_workbook(jiesu, tmp_path):
    import xlwt

    book = xlwt.Workbook()
    page = book.add_sheet("工单")
    page.write(0, 0, "前门街道接诉即办工单")
    for column, label in enumerate(HEADER):
        page.write(1, column, label)
    when = xlwt.easyxf(num_format_str="yyyy/m/d h:mm")
    for column, value in enumerate(ROW):
        page.write(2, column, value, when) if isinstance(value, datetime) else page.write(2, column, value)
    book.save(str(tmp_path / "工单.xls"))
    jiesu.ok("import", str(tmp_path / "工单.xls"))
    (case,) = jiesu.json("list")
    assert (case["ref"], case["received_at"], case["summary"]) == ("0012", "2026-11-03T09:05:00+08:00", "楼上漏水")


@pytest.mark.parametrize("content, reason", [
    (b"", "文件是空的"),
    (b"PK\x03\x04broken", "文件不完整或已损坏（.xlsx 的压缩结构读不出来；可能没有下载完整）"),
    (b"<html><table><tr><td>1</td></tr></table></html>", "这是网页（HTML）或 XML 文本；请在 Excel 中打开后另存为 .xlsx"),
    (b"\xd0\xcf\x11\xe0junk", "文件不完整或已损坏（旧版 .xls 的结构读不出来）"),
    ("楼上漏水\r\n".encode(), "这是文本文件（如 CSV）；CSV 请加 --format csv 导入"),  # a CSV of cells: test_import_faults
])
def test_a_file_that_is_not_a_workbook_is_one_line(jiesu, tmp_path, book, content, reason):
    """Said in Chinese: the reader's own words were `Cannot detect file format` (a fresh tester)."""
    for name in ("x.xlsx", "x.xls"):
        (tmp_path / name).write_bytes(content)
        refused(jiesu("import", str(tmp_path / name)), f"不是可读的 Excel 工作簿：{reason}")
    assert book.counts() == (0, 0)


# ---------------------------------------------------------------- export


def populate(jiesu, *, ledger: bool = True):
    first = jiesu.new("楼上漏水，天花板掉皮", "--phone", "010-65123456转8001", "--name", "王大爷", "--ref", "202611030001234567",
                      "--nature", "合理诉求", "--community", "前门社区", "--received", "2026-11-02T09:00")
    jiesu.ok("assign", first, "物业", "--at", "2026-11-02T10:00")
    if ledger:
        jiesu.ok("ledger", "add", first, "--plan", "更换管道", "--unit", "物业")
    second = jiesu.new('=HYPERLINK("http://x","点我")', "--phone", "13812345678", "--ref", "0012", "--received", "2026-11-05T09:00")
    third = jiesu.new("@SUM(A1)", "--received", "2026-11-05T10:00", "--detail", "-1+1")
    jiesu.ok("merge", third, "--into", second)


def sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_case_export_is_a_real_workbook(jiesu, tmp_path):
    populate(jiesu)
    out = tmp_path / "诉求.xlsx"
    assert jiesu.ok("export", "--out", str(out)).stderr == f"已导出 3 件诉求到 {out}\n"
    xml = sheet_xml(out)
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in xml
    assert "<f>" not in xml  # formula-looking text stays text
    with zipfile.ZipFile(out) as archive:
        assert "<b/>" in archive.read("xl/styles.xml").decode()
    widths = [float(w) for w in re.findall(r'<col min="\d+" max="\d+" width="([\d.]+)"', xml)]
    assert widths and min(widths) >= 4
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("诉求").to_python()
    header, first, second, third = rows
    cell = dict(zip(header, first))
    assert cell["ref"] == "202611030001234567" and cell["phone"] == "010****3456" and cell["phone_ext"] == "8001"
    assert cell["received_at"] == datetime(2026, 11, 2, 9, 0) and cell["summary"] == "楼上漏水，天花板掉皮"
    assert dict(zip(header, second))["ref"] == "0012"
    assert dict(zip(header, second))["summary"] == '=HYPERLINK("http://x","点我")'
    assert dict(zip(header, third))["detail"] == "-1+1"
    summary_width = widths[header.index("summary")] if len(widths) == len(header) else None
    assert summary_width is None or summary_width >= len("楼上漏水，天花板掉皮") * 2


def test_xlsx_round_trip_into_an_empty_book(jiesu, tmp_path, new_target):
    populate(jiesu, ledger=False)  # a ledgered case needs its entry: only `jiesu copy` moves that
    out = tmp_path / "诉求.xlsx"
    jiesu.ok("export", "--reveal", "--out", str(out))
    original = jiesu.json("list", "--all", "--reveal")
    other = new_target("other")
    assert jiesu.ok("--db", other, "import", str(out)).stderr == "读取 3 行：已导入 3 件，已存在 0 件\n"
    copied = jiesu.json("--db", other, "list", "--all", "--reveal")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("id", "merged_into")} for r in rows]
    assert strip(copied) == strip(original)
    assert [c["merged_into"] is not None for c in copied] == [False, False, True]


def test_a_masked_xlsx_does_not_come_back_in_silently(jiesu, tmp_path, new_target):
    populate(jiesu)
    jiesu.ok("export", "--out", str(tmp_path / "x.xlsx"))
    result = jiesu("--db", new_target("o"), "import", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1 and "电话已打码，无法导入（导出时请加 --reveal）" in result.stderr


def test_a_text_longer_than_a_cell_is_refused_and_no_file_appears(jiesu, tmp_path):
    jiesu.new("短")
    jiesu.new("长" * 40_000)
    out = tmp_path / "诉求.xlsx"
    refused(jiesu("export", "--out", str(out)),
            "#2 的诉求摘要有 40,000 个字符，超过 Excel 单元格上限 32,767；请改用 CSV（--format csv）")
    assert list(tmp_path.glob("*.xlsx*")) == [] and list(tmp_path.glob(".*part")) == []
    out.write_bytes(b"old")
    refused(jiesu("export", "--out", str(out)))
    assert out.read_bytes() == b"old"


def test_xlsx_needs_a_file(jiesu):
    refused(jiesu("export", "--format", "xlsx"), "xlsx 是二进制文件，请用 --out 指定文件名（如 --out 导出.xlsx）", code=2)


def test_ledger_export_to_xlsx(jiesu, tmp_path):
    populate(jiesu)
    out = tmp_path / "台账.xlsx"
    jiesu.ok("ledger", "export", "--out", str(out))
    header, row = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("台账").to_python()
    cell = dict(zip(header, row))
    assert cell["工单编号"] == "202611030001234567" and cell["联系电话"] == "010****3456 转8001"
    assert cell["受理时间"] == datetime(2026, 11, 2, 9, 0) and cell["状态"] == "在账"
    assert cell["整改期限"] == ""
    assert "state=\"frozen\"" in sheet_xml(out)
    jiesu.ok("ledger", "export", "--out", str(out), "--reveal")
    header, row = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("台账").to_python()
    assert dict(zip(header, row))["联系电话"] == "01065123456 转8001"


def test_a_ledger_text_longer_than_a_cell_is_named_as_its_column_with_a_format_the_export_has(jiesu, tmp_path):
    """Replayed from a fresh tester: the refusal named the field `plan` and sent the user to `--format
    jsonl`, which `ledger export` does not have."""
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "计" * 33_000, "--unit", "城管科", "--at", "2026-11-20T10:00")
    refused(jiesu("ledger", "export", "--out", str(tmp_path / "台账.xlsx")),
            "台账 1 的整改措施有 33,000 个字符，超过 Excel 单元格上限 32,767；请改用 CSV（--format csv）")
    assert list(tmp_path.glob("*.xlsx*")) == [] and list(tmp_path.glob(".*part")) == []
    assert len(jiesu.ok("ledger", "export", "--format", "csv").stdout) > 33_000


def test_a_deadline_typed_as_a_date_reads_its_24_00_in_the_ledger_workbook_as_in_the_csv(jiesu, tmp_path):
    """Replayed from a fresh tester: `--due 2026-11-20` (kept as the 21st's 00:00) was a date cell
    reading 2026-11-21 00:00. No date cell reads 24:00, so the deadline is the text the CSV and the
    screen show, which sorts in time order; other times stay date cells."""
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--due", "2026-11-20", "--at", "2026-10-12T10:00")
    out = tmp_path / "台账.xlsx"
    jiesu.ok("ledger", "export", "--out", str(out))
    header, row = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("台账").to_python()
    cell = dict(zip(header, row))
    assert cell["整改期限"] == "2026-11-20 24:00" and cell["受理时间"] == datetime(2026, 10, 10, 9, 0)
    assert "2026-11-20 24:00" in jiesu.ok("ledger", "export").stdout


def test_the_ledger_workbook_keeps_its_times_date_cells_and_its_period_the_text_on_screen(jiesu, tmp_path):
    """A fresh tester asked why 受理时间 at 00:00 is text in the case workbook and a date cell here: the case
    workbook is imported again, where a date cell at 00:00 reads as a date alone, which a receipt may not be;
    the ledger workbook is for people (import refuses its header), so its column stays dates to sort and
    filter. 上账期间 is the text `2026-11` as on screen, as 整改期限 is (README, Excel workbooks)."""
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--received", "2026-11-20T00:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-11-20T10:00")
    out = tmp_path / "台账.xlsx"
    jiesu.ok("ledger", "export", "--out", str(out))
    header, row = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("台账").to_python()
    cell = dict(zip(header, row))
    assert cell["受理时间"] == date(2026, 11, 20) and cell["上账期间"] == "2026-11"  # a date cell at 00:00 reads as its date


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_cases_filed_at_a_clock_with_fractions_of_a_second_come_back_as_themselves(jiesu, tmp_path, new_target, monkeypatch, suffix):
    """The wall clock has microseconds; jiesu keeps time to the second, as its exports write it,
    so a book's own export is found again (no duplicates) and Excel's day fraction moves nothing."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00.654321+08:00")
    for n in range(3):
        jiesu.new(f"无编号{n}", "--phone", "13812345678")
    out = tmp_path / f"诉求.{suffix}"
    jiesu.ok("export", "--reveal", "--out", str(out))
    assert jiesu.ok("import", str(out)).stderr == "读取 3 行：已导入 0 件，已存在 3 件\n"
    original = jiesu.json("list", "--all", "--reveal")
    assert {case["received_at"] for case in original} == {"2026-12-01T09:30:00+08:00"}
    other = new_target("other")
    jiesu.ok("--db", other, "import", str(out))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]
    assert strip(jiesu.json("--db", other, "list", "--all", "--reveal")) == strip(original)


def test_text_that_looks_like_excels_escapes_comes_back_as_itself(jiesu, tmp_path, new_target):
    """A tester's `3号楼_x005F_x0041_` came back `3号楼_x005FA`: XlsxWriter escaped the first of two
    overlapping `_xHHHH_` and left the second to be read as `A`."""
    texts = ["3号楼_x005F_x0041_", "_x005f_x0041_旧楼", "__x0041__", "_x0041_ 与 _x005F_", "a_x005F_b_xD800_"]
    for n, text in enumerate(texts):
        jiesu.new(f"{text} 路灯", "--community", text, "--address", f"{n}{text}", "--detail", text, "--received", f"2026-11-2{n} 09:00")
    out = tmp_path / "诉求.xlsx"
    jiesu.ok("export", "--reveal", "--out", str(out))
    other = new_target("other")
    jiesu.ok("--db", other, "import", str(out))
    copied = jiesu.json("--db", other, "list", "--all")
    assert [(c["summary"], c["community"], c["address"], c["detail"]) for c in copied] == [
        (f"{text} 路灯", text, f"{n}{text}", text) for n, text in enumerate(texts)
    ]
