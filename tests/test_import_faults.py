"""Files as real offices receive them (issue 14): each fault replayed from a small input, then the rest of its kind.

Every one is imported as meant or refused with its line and reason; a refusal writes nothing.
"""

from __future__ import annotations

import codecs
import json

import pytest

from conftest import refused, without_calendar_notes

from jiesu import importer

HEADER = "工单编号,受理时间,诉求人,联系电话,诉求地址,所属社区,诉求类别,诉求类型,紧急程度,诉求内容"


def sheet(tmp_path, *rows, header=HEADER, name="工单.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return str(path)


def row(ref="BJ001", received="2026-11-02 09:30", phone="13812345678", summary="楼上漏水"):
    return f"{ref},{received},王大爷,{phone},前门东大街3号,前门社区,物业管理/漏水,投诉,一般,{summary}"


def refused_rows(result) -> list[str]:
    """The per-row lines of a refused import (the last line is the summary refusal)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr.splitlines()[:-1]


# ---------------------------------------------------------------- 1. XML that declares its encoding

XML_REQUEST = (
    "<service_requests><request><service_request_id>X-1</service_request_id><status>open</status>"
    "<service_name>噪音</service_name><description>夜间施工扰民</description>"
    "<requested_datetime>2026-11-03T22:00:00+08:00</requested_datetime></request></service_requests>"
)


@pytest.mark.parametrize("encoding", ["GB2312", "GBK", "GB18030", "BIG5", "gb2312", "UTF-8", "UTF-16"])
def test_xml_in_the_encoding_it_declares(jiesu, tmp_path, encoding):
    summary = "夜間施工擾民" if encoding == "BIG5" else "夜间施工扰民"
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n' + XML_REQUEST.replace("夜间施工扰民", summary)
    (tmp_path / "feed.xml").write_bytes(text.encode(encoding))
    jiesu.ok("import", str(tmp_path / "feed.xml"))
    assert [c["summary"] for c in jiesu.json("list")] == [summary]


def test_xml_whose_bytes_do_not_match_the_declaration_is_one_line(jiesu, tmp_path, book):
    text = '<?xml version="1.0" encoding="BIG5"?>\n' + XML_REQUEST.replace("夜间施工扰民", "𠮷")
    (tmp_path / "feed.xml").write_bytes(text.encode("utf-8"))
    assert refused(jiesu("import", str(tmp_path / "feed.xml"))) == f"错误: XML 声明的编码是 big5，但第 2 行第 {XML_REQUEST.index('噪') + 1} 列的字节 0xE5 却不是有效的 big5"
    (tmp_path / "odd.xml").write_bytes(b'<?xml version="1.0" encoding="klingon"?><service_requests/>')
    refused(jiesu("import", str(tmp_path / "odd.xml")), "XML 声明的编码 klingon 无法识别")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("encoding", ["GBK", "UTF-16"])
def test_a_fault_on_the_line_of_an_xml_declaration_is_named_at_its_column(jiesu, tmp_path, book, encoding):
    """The declaration of an encoding expat cannot read is taken off before parsing: the columns after it counted without it."""
    text = f'<?xml version="1.0" encoding="{encoding}"?><service_requests><request><description>甲 & 乙</description></request></service_requests>'
    (tmp_path / "o.xml").write_bytes(text.encode(encoding))
    refused(jiesu("import", str(tmp_path / "o.xml")), f"不是合法的 XML：& 之后不是实体引用，& 本身要写成 &amp;（第 1 行第 {text.index('&') + 1} 列）")
    assert book.counts() == (0, 0)


OPEN311_REQUEST = {
    "service_request_id": "X-1", "status": "open", "service_name": "噪音", "description": "夜间施工扰民",
    "requested_datetime": "2026-11-03T22:00:00+08:00",
}
BOM_SAVES = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-8": codecs.BOM_UTF8}


@pytest.mark.parametrize("encoding", BOM_SAVES)
@pytest.mark.parametrize("document", [[OPEN311_REQUEST], {"service_requests": [OPEN311_REQUEST]}, OPEN311_REQUEST])
def test_open311_json_saved_with_a_bom_is_read(jiesu, tmp_path, encoding, document):
    """A fresh tester: Open311 JSON saved by Notepad as "Unicode" (UTF-16 with its BOM) was refused as neither UTF-8
    nor GB18030 — the wrapped `{"service_requests": …}` and a single request; the bare array was read."""
    (tmp_path / "o.json").write_bytes(BOM_SAVES[encoding] + json.dumps(document, ensure_ascii=False).encode(encoding))
    assert jiesu.ok("import", str(tmp_path / "o.json")).stderr == "读取 1 条：已导入 1 件，已存在 0 件\n"
    assert [c["summary"] for c in jiesu.json("list")] == ["夜间施工扰民"]


@pytest.mark.parametrize("name", ["o.json", "a.json", "o.xml", "o.csv"])
def test_utf16_cut_short_is_one_line(jiesu, tmp_path, book, name):
    """UTF-16 whose last character is half there: one line saying so (Open311 XML gave a traceback)."""
    text = {
        "o.json": json.dumps({"service_requests": [OPEN311_REQUEST]}), "a.json": json.dumps([OPEN311_REQUEST]),
        "o.xml": XML_REQUEST, "o.csv": HEADER.replace(",", "\t") + "\n" + row().replace(",", "\t"),
    }[name]
    (tmp_path / name).write_bytes(text.encode("utf-16")[:-1])
    where = f"第 {text.count(chr(10)) + 1} 行第 {len(text.split(chr(10))[-1])} 列的字节 0x{text.encode('utf-16')[-2]:02X}"
    refused(jiesu("import", str(tmp_path / name)), f"文件开头标明是 UTF-16（带 BOM），{where} 却不是有效的 UTF-16")
    assert book.counts() == (0, 0)


GB_STRAY = "文件是 GB18030 编码，第 3 行第 21 列的字节 0x81 却不是有效的 GB18030；请改正这一行，或把整个文件存为 UTF-8"


@pytest.mark.parametrize(
    "name, start, bad, line",
    [
        ("g.csv", b"", b"\x81\x20", GB_STRAY),
        ("g.jsonl", b"", b"\x81\x20", GB_STRAY.replace("第 21 列", "第 14 列")),
        ("b.csv", codecs.BOM_UTF8, b"\xff", "文件开头标明是 UTF-8（带 BOM），第 3 行第 21 列的字节 0xFF 却不是有效的 UTF-8"),
    ],
)
def test_a_stray_byte_in_a_file_of_a_sure_encoding_is_named_by_its_line(jiesu, tmp_path, book, name, start, bad, line):
    """A fresh tester: a GB18030 file with one byte GB18030 cannot read was refused as 文件编码无法识别, without
    its line; the Chinese text before the byte says what the file is, as a BOM does."""
    encoding = "utf-8" if start else "gb18030"
    if name.endswith(".jsonl"):
        text, third = '{"summary": "漏水"}\n{"summary": "楼上漏水"}\n'.encode(encoding), b'{"summary": "'
    else:
        text, third = "工单编号,受理时间,诉求内容\nA1,2026-11-01 09:00,漏水\n".encode(encoding), b"A2,2026-11-01 09:00,"
    (tmp_path / name).write_bytes(start + text + third + bad + b'bad"}\n')
    refused(jiesu("import", str(tmp_path / name)), line)
    assert book.counts() == (0, 0)


def test_a_stray_byte_after_ascii_alone_leaves_the_encoding_unknown(jiesu, tmp_path, book):
    """Nothing before the byte tells UTF-8 from GB18030: neither is named as the file's."""
    (tmp_path / "a.csv").write_bytes(b"ref,received_at,summary\nA1,2026-11-01 09:00,x\nA2,2026-11-01 09:00,\xff bad\n")
    refused(jiesu("import", str(tmp_path / "a.csv")), "文件编码无法识别（既不是 UTF-8 也不是 GB18030）")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "name, first, rest, lines",
    [
        ("o.csv", HEADER + "\n", row() + "\n", "前 1 行是 UTF-8，第 2 行却不是"),
        ("o.json", '{"description": "夜间施工扰民",\n', ' "address": "前门东大街3号", "requested_datetime": "2026-11-03T22:00:00+08:00"}', "前 1 行是 UTF-8，第 2 行却不是"),
    ],
)
def test_a_file_in_two_encodings_is_told_its_encoding_not_its_header(jiesu, tmp_path, book, name, first, rest, lines):
    """A fresh tester: a UTF-8 header over a row saved as GB18030 was read as GB18030 whole, and refused as
    `无法识别的表头…请用 --map`; the file is in no one encoding, and a map cannot help."""
    (tmp_path / name).write_bytes(first.encode("utf-8") + rest.encode("gb18030"))
    refused(jiesu("import", str(tmp_path / name)), f"文件编码无法识别（既不是 UTF-8 也不是 GB18030）：{lines}；请把整个文件存为同一种编码")
    assert book.counts() == (0, 0)
    (tmp_path / name).write_bytes((first + rest).encode("gb18030"))  # one encoding throughout: read
    jiesu.ok("import", str(tmp_path / name))
    assert book.counts()[0] == 1


# ---------------------------------------------------------------- 1c. a file whose content is not its format


def _xlsx(path):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    page = book.add_worksheet()
    for column, text in enumerate(HEADER.split(",")):
        page.write_string(0, column, text)
    for column, text in enumerate(row().split(",")):
        page.write_string(1, column, text)
    book.close()


XLS_START = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # an OLE compound file's header: an old .xls
OTHER_CONTENT = [
    ("工单.xlsx", ["--format", "csv"], "文件内容是 Excel 工作簿（.xlsx），不能按 CSV 读；请去掉 --format csv，或改用 --format xlsx"),
    ("工单.xlsx", ["--format", "jsonl"], "文件内容是 Excel 工作簿（.xlsx），不能按 JSON Lines 读；请去掉 --format jsonl，或改用 --format xlsx"),
    ("xlsx as 工单.csv", [], "文件扩展名是 .csv，内容却是 Excel 工作簿（.xlsx）；请用 --format xlsx 导入"),
    ("xls as 工单.csv", [], "文件扩展名是 .csv，内容却是旧版 Excel 工作簿（.xls）；请用 --format xls 导入（或在 Excel 中另存为 .xlsx）"),
    ("工单.csv", ["--format", "xlsx"], "文件内容是文本表格（如 CSV），不能按 Excel 工作簿 读；请去掉 --format xlsx，或改用 --format csv"),
    ("工单.csv", ["--format", "json"], "文件内容是文本表格（如 CSV），不能按 JSON 读；请去掉 --format json，或改用 --format csv"),
    ("工单.csv", ["--format", "jsonl"], "文件内容是文本表格（如 CSV），不能按 JSON Lines 读；请去掉 --format jsonl，或改用 --format csv"),
    ("工单.txt", ["--format", "open311-xml"], "文件内容是文本表格（如 CSV），不能按 Open311 XML 读；请去掉 --format open311-xml，或改用 --format csv"),
    ("gb 工单.csv", ["--format", "jsonl"], "文件内容是文本表格（如 CSV），不能按 JSON Lines 读；请去掉 --format jsonl，或改用 --format csv"),
    ("records.csv", [], "文件扩展名是 .csv，内容却是 JSON；请用 --format jsonl 导入"),
    ("array.csv", [], "文件扩展名是 .csv，内容却是 JSON 数组；请用 --format json 导入"),
    ("csv as 工单.xlsx", [], "文件扩展名是 .xlsx，内容却是文本表格（如 CSV）；请用 --format csv 导入"),
]


@pytest.mark.parametrize("made, options, line", OTHER_CONTENT, ids=[f"{made} {' '.join(options)}" for made, options, _ in OTHER_CONTENT])
def test_a_file_read_in_a_format_its_content_is_not_is_told_what_it_is(jiesu, tmp_path, book, made, options, line):
    """A fresh tester: `import book.xlsx --format csv` said the encoding was unknown, and a CSV read as JSON
    Lines was a bad row a line. The first bytes tell what the file is; one line names it and the format."""
    name = made.rpartition(" ")[2]
    path = tmp_path / name
    if made.startswith("xlsx") or made == "工单.xlsx":
        _xlsx(path)
    elif made.startswith("xls"):
        path.write_bytes(XLS_START)
    elif name.startswith("records"):
        path.write_text('{"summary": "楼道灯不亮"}\n', encoding="utf-8")
    elif name.startswith("array"):
        path.write_text('[{"summary": "楼道灯不亮"}]', encoding="utf-8")
    else:
        sheet(tmp_path, row(), name=name, encoding="gb18030" if made.startswith("gb") else "utf-8")
    refused(jiesu("import", str(path), *options), line)
    assert book.counts() == (0, 0)


def test_a_workbook_on_standard_input_read_as_csv_is_told_to_use_xlsx(jiesu, tmp_path, book):
    _xlsx(tmp_path / "工单.xlsx")
    result = jiesu("import", "-", "--format", "csv", input=(tmp_path / "工单.xlsx").read_bytes())
    refused(result, "文件内容是 Excel 工作簿（.xlsx），不能按 CSV 读；请改用 --format xlsx")
    assert book.counts() == (0, 0)


# ---------------------------------------------------------------- 2. JSON Lines and Unicode line separators


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\r"])
def test_jsonl_round_trip_keeps_unicode_line_separators_inside_a_summary(jiesu, tmp_path, new_target, separator):
    jiesu.new(f"天花板{separator}掉皮", "--received", "2026-11-02T09:00")
    jiesu.new("第二件", "--received", "2026-11-02T10:00")
    dump = tmp_path / "dump.jsonl"
    jiesu.ok("export", "--format", "jsonl", "--reveal", "--out", str(dump))
    other = new_target("other")
    assert jiesu.ok("--db", other, "import", str(dump)).stderr == "读取 2 行：已导入 2 件，已存在 0 件\n"
    assert [c["summary"] for c in jiesu.json("--db", other, "list")] == [f"天花板{separator}掉皮", "第二件"]


def test_jsonl_line_numbers_count_only_newlines(jiesu, tmp_path):
    lines = [json.dumps({"summary": "甲\u2028乙"}, ensure_ascii=False), "{oops", json.dumps({"summary": "丙"})]
    (tmp_path / "x.jsonl").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == ["第 2 行：不是合法的 JSON：键名须用英文双引号（第 2 列）"]


# ---------------------------------------------------------------- 2b. JSON arrays (jiesu's `export --format json`)


@pytest.mark.parametrize(
    "text, reason",
    [
        ('[\n {"summary": "甲"},\n {"summary": "乙" "丙"}\n]\n', "缺少逗号（第 3 行第 18 列）"),
        ('[\n {"summary": "甲"}\n {"summary": "乙"}\n]\n', "数组的元素之间应有逗号（第 3 行第 2 列）"),
        ('[\n {"summary": "甲"},\n', "内容不完整，在此中断（第 2 行第 19 列）"),
        ('[{"summary": "甲"}', "数组没有以 ] 结束（第 1 行第 18 列）"),
        ('[{"summary": "甲"}] []', "数组结束后还有内容（第 1 行第 20 列）"),
        ('[{"summary": "甲\\x"}]', "无效的转义，反斜杠本身要写成 \\\\（第 1 行第 16 列）"),
        ('"甲"', "应为以 [ 开头的数组（第 1 行第 1 列）"),
        ("  \n", "文件是空的"),
    ],
)
def test_a_json_array_that_is_not_json_is_one_line_naming_where(jiesu, tmp_path, book, text, reason):
    (tmp_path / "x.json").write_text(text, encoding="utf-8")
    refused(jiesu("import", str(tmp_path / "x.json")), f"不是合法的 JSON：{reason}")
    assert book.counts() == (0, 0)



def test_a_jsonl_line_that_is_not_json_says_why_in_chinese(jiesu, tmp_path, book):
    """A fresh tester: each bad line said json's English (`Expecting value`), and no column."""
    (tmp_path / "x.jsonl").write_text('{"summary": "甲"}\n{"summary": }\n{"summary": "乙\\q"}\n', encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == [
        "第 2 行：不是合法的 JSON：缺少值（第 13 列）",
        "第 3 行：不是合法的 JSON：无效的转义，反斜杠本身要写成 \\\\（第 15 列）",
    ]
    assert book.counts() == (0, 0)


def test_open311_requests_a_line_read_as_one_json_document_say_so_in_chinese(jiesu, tmp_path, book):
    """A fresh tester: `--format open311-json` on JSON Lines said `Extra data（第 2 行第 1 列）`."""
    lines = [json.dumps({"service_request_id": f"A{i}", "description": "路灯不亮"}, ensure_ascii=False) for i in (1, 2)]
    (tmp_path / "o2.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(
        jiesu("import", "--format", "open311-json", str(tmp_path / "o2.jsonl")),
        "不是合法的 JSON：值之后还有多余的内容（第 2 行第 1 列）；一个 JSON 文件只能有一个值，每行一条的请用 --format jsonl",
    )
    assert book.counts() == (0, 0)
    jiesu.ok("import", "--format", "jsonl", str(tmp_path / "o2.jsonl"))
    assert book.counts()[0] == 2


@pytest.mark.parametrize(
    "text, reason",
    [
        ('{"service_requests": [{"description": "甲" "address": "乙"}]}', "缺少逗号（第 1 行第 43 列）"),
        ('{\n  "description": "甲",\n  address: "乙"\n}', "键名须用英文双引号（第 3 行第 3 列）"),
        ('{"description" "甲"}', "缺少冒号（第 1 行第 16 列）"),
        ('{"description": "甲', "字符串没有结束（第 1 行第 17 列）"),
    ],
)
def test_an_open311_json_object_that_is_not_json_says_why_in_chinese(jiesu, tmp_path, book, text, reason):
    (tmp_path / "o.json").write_text(text, encoding="utf-8")
    refused(jiesu("import", "--format", "open311-json", str(tmp_path / "o.json")), f"不是合法的 JSON：{reason}")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("<service_requests><request><description>甲</descr></request></service_requests>", "标签不配对（第 1 行第 44 列）"),
        ("<service_requests>\n<request><description>甲 & 乙</description></request>\n</service_requests>", "& 之后不是实体引用，& 本身要写成 &amp;（第 2 行第 25 列）"),
        ("<service_requests>\n<request><description>甲&nbsp;乙</description></request>\n</service_requests>", "未定义的实体，& 本身要写成 &amp;（第 2 行第 24 列）"),
        ("<service_requests><request><description>甲</description></request>", "文件不完整（第 1 行第 66 列）"),
        ("<service_requests></service_requests>\n<request/>", "根元素之后有多余内容（第 2 行第 1 列）"),
        ("<service_requests><request", "标记没有结束（第 1 行第 19 列）"),
    ],
)
def test_xml_that_is_not_well_formed_says_why_in_chinese(jiesu, tmp_path, book, text, reason):
    """A fresh tester: bad XML said expat's English (`mismatched tag: line 1, column 43`, a column counted from 0)."""
    (tmp_path / "o.xml").write_text(text, encoding="utf-8")
    refused(jiesu("import", str(tmp_path / "o.xml")), f"不是合法的 XML：{reason}")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("<r>a&b</r>", "& 之后不是实体引用，& 本身要写成 &amp;（第 1 行第 5 列）"),
        ("<r>AT&T 公司</r>", "& 之后不是实体引用，& 本身要写成 &amp;（第 1 行第 6 列）"),
        ("<r>甲&&amp;</r>", "& 之后不是实体引用，& 本身要写成 &amp;（第 1 行第 5 列）"),
        ("<r a='x & y'/>", "& 之后不是实体引用，& 本身要写成 &amp;（第 1 行第 9 列）"),
        ("<r>\n  1 < 2</r>", "< 之后不是标签，< 本身要写成 &lt;（第 2 行第 5 列）"),
        ("<r>\r\n1<2</r>", "< 之后不是标签，< 本身要写成 &lt;（第 2 行第 2 列）"),
        ("<r>\x01</r>", "格式错误（无效字符）（第 1 行第 4 列）"),
    ],
)
def test_a_bare_ampersand_or_angle_bracket_is_named_where_it_stands(jiesu, tmp_path, book, text, reason):
    """A fresh tester: `甲 & 乙` was named one column past its `&` (expat names the character after it)."""
    (tmp_path / "o.xml").write_text(text, encoding="utf-8", newline="")
    refused(jiesu("import", str(tmp_path / "o.xml")), f"不是合法的 XML：{reason}")
    assert book.counts() == (0, 0)


# ---------------------------------------------------------------- 2c. what Python's json takes and JSON is not


NOT_JSON_VALUES = [
    ("NaN", "NaN 不是 JSON 的值，空缺请写 null"),
    ("Infinity", "Infinity 不是 JSON 的值"),
    ("-Infinity", "-Infinity 不是 JSON 的值"),
    ("1e400", "数字 1e400 超出范围"),
    ("-" + "9" * 5000, "数字 -" + "9" * 19 + "…（共 5001 字） 超出范围"),  # int() refuses it: was a traceback
]


@pytest.mark.parametrize("value, reason", NOT_JSON_VALUES)
def test_values_json_has_not_refuse_a_json_file_where_they_stand(jiesu, tmp_path, book, value, reason):
    """A fresh tester: `NaN` came in as the text 'nan', and `"phone": -Infinity` was said to be a number Excel rewrote."""
    (tmp_path / "x.json").write_text(f'[\n {{"summary": "甲"}},\n {{"summary": "乙", "phone": {value}}}\n]\n', encoding="utf-8")
    refused(jiesu("import", str(tmp_path / "x.json")), f"不是合法的 JSON：{reason}（第 3 行第 28 列）")
    (tmp_path / "o.json").write_text(f'{{"service_requests": [\n  {{"description": "甲", "service_request_id": {value}}}]}}')
    refused(jiesu("import", str(tmp_path / "o.json")), f"不是合法的 JSON：{reason}（第 2 行第 46 列）")
    (tmp_path / "one.json").write_text(f'{{"description": "甲", "service_request_id": {value}}}')
    refused(jiesu("import", "--format", "open311-json", str(tmp_path / "one.json")), f"不是合法的 JSON：{reason}（第 1 行第 44 列）")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("value, reason", NOT_JSON_VALUES)
def test_values_json_has_not_refuse_a_json_lines_record(jiesu, tmp_path, book, value, reason):
    (tmp_path / "x.jsonl").write_text(f'{{"summary": "甲"}}\n{{"summary": {value}}}\n', encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == [f"第 2 行：不是合法的 JSON：{reason}（第 13 列）"]
    assert book.counts() == (0, 0)


def test_nan_in_a_string_is_text(jiesu, tmp_path):
    (tmp_path / "x.json").write_text('[{"summary": "NaN Infinity", "name": "NaN"}]', encoding="utf-8")
    jiesu.ok("import", str(tmp_path / "x.json"))
    assert [(c["summary"], c["name"]) for c in jiesu.json("list")] == [("NaN Infinity", "NaN")]


@pytest.mark.parametrize(
    "fmt, text, line",
    [
        ("json", '[{"summary": "甲",\n  "detail": "乙", "summary": "丙"}]', "不是合法的 JSON：键 'summary' 在同一个对象里出现了两次（第 2 行第 18 列）"),
        ("json", '[{"summary": "甲", "detail": {"a": [{"b": 1}, {"b": 2}], "a": 3}}]',
         "不是合法的 JSON：键 'a' 在同一个对象里出现了两次（第 1 行第 57 列）"),
        ("open311-json", '{"description": "甲", "\\u0064escription": "乙"}',
         "不是合法的 JSON：键 'description' 在同一个对象里出现了两次（第 1 行第 22 列）"),
    ],
)
def test_a_key_named_twice_is_refused_not_one_value_dropped(jiesu, tmp_path, book, fmt, text, line):
    (tmp_path / "x.json").write_text(text, encoding="utf-8")
    refused(jiesu("import", "--format", fmt, str(tmp_path / "x.json")), line)
    (tmp_path / "x.jsonl").write_text('{"summary": "甲", "summary": "乙"}\n', encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == [
        "第 1 行：不是合法的 JSON：键 'summary' 在同一个对象里出现了两次（第 18 列）"
    ]
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "inner, line",
    [
        ("<description>甲</description><description>乙</description>",
         "元素 'description' 在同一个 'request' 里出现了两次（第 2 行第 104 列）"),
        ("<description>甲</description><extended_attributes><tier>normal</tier>\n<tier>urgent</tier></extended_attributes>",
         "元素 'tier' 在同一个 'extended_attributes' 里出现了两次（第 3 行第 1 列）"),
    ],
)
def test_an_xml_element_twice_in_a_request_is_refused_as_a_json_key_twice_is(jiesu, tmp_path, book, inner, line):
    """A fresh tester: `<description>` twice kept the last without a word, where JSON refuses a key twice."""
    (tmp_path / "x.xml").write_text(
        "<service_requests>\n<request><requested_datetime>2026-11-03T22:00:00+08:00</requested_datetime>"
        f"{inner}</request></service_requests>\n",
        encoding="utf-8",
    )
    refused(jiesu("import", str(tmp_path / "x.xml")), f"不是合法的 Open311 XML：{line}")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "  \n", ""])
def test_a_json_lines_record_cut_short_is_named_where_its_line_ends(jiesu, tmp_path, book, ending):
    """A fresh tester: a record missing its `}` was named at column 1 (of the next line) when its line ended."""
    (tmp_path / "x.jsonl").write_text('{"summary": "甲"}\n{"summary": "乙"' + ending, encoding="utf-8", newline="")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == ["第 2 行：不是合法的 JSON：内容不完整，在此中断（第 16 列）"]
    assert book.counts() == (0, 0)


def test_a_line_break_typed_in_a_json_lines_record_is_named_as_such(jiesu, tmp_path, book):
    """A record split over two lines said 字符串没有结束, then 缺少值 for the rest of it."""
    (tmp_path / "x.jsonl").write_text('{"summary": "甲\n乙"}\n{"summary": "丙"}\n', encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl")))[0] == (
        "第 1 行：不是合法的 JSON：字符串到行尾还没有结束；一条记录须写在一行内，文字里的换行要写成 \\n（第 13 列）"
    )
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("text", ["", "\n\n  \n", "\r\n"])
def test_an_empty_json_lines_file_is_no_records_as_the_export_of_no_cases_writes(jiesu, tmp_path, book, text):
    """A fresh tester found an empty .jsonl taken as 0 rows where an empty CSV or JSON file is refused: so it
    stays, for JSON Lines has no header or brackets, and a quiet day's `export --format jsonl` is 0 bytes."""
    jiesu.ok("export", "--format", "jsonl", "--since", "2026-11-30", "--out", str(tmp_path / "none.jsonl"))
    assert (tmp_path / "none.jsonl").read_bytes() == b""
    (tmp_path / "空.jsonl").write_text(text, encoding="utf-8", newline="")
    for name in ("none.jsonl", "空.jsonl"):
        assert jiesu.ok("import", str(tmp_path / name)).stderr == "读取 0 行：已导入 0 件，已存在 0 件\n"
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "fmt, text, reason",
    [
        ("json", '[{"summary": "甲"},]', "数组末尾多了一个逗号（第 1 行第 18 列）"),
        ("json", '[{"summary": "甲"},\n\n]', "数组末尾多了一个逗号（第 1 行第 18 列）"),
        ("json", '[{"summary": "甲", "detail": [1, 2 , ]}]', "数组末尾多了一个逗号（第 1 行第 35 列）"),
        ("json", '[{"summary": "甲",}]', "对象末尾多了一个逗号（第 1 行第 17 列）"),
        ("json", '[{"summary": "甲"},', "内容不完整，在此中断（第 1 行第 19 列）"),
        ("json", '[{"summary": "甲", ', "内容不完整，在此中断（第 1 行第 19 列）"),
        ("json", '[{"summary": "甲"', "内容不完整，在此中断（第 1 行第 17 列）"),
        ("json", '[{"summary": "甲", "x": {', "内容不完整，在此中断（第 1 行第 25 列）"),
        ("json", '[{"summary": "甲" "x": 1}]', "缺少逗号（第 1 行第 18 列）"),
        ("json", '[{"summary": "甲", x: 1}]', "键名须用英文双引号（第 1 行第 19 列）"),
        ("json", '[{"summary": "甲", "x": }]', "缺少值（第 1 行第 24 列）"),
        ("open311-json", '{"description": "甲",}', "对象末尾多了一个逗号（第 1 行第 20 列）"),
        ("open311-json", '{"service_requests": [{"description": "甲"},]}', "数组末尾多了一个逗号（第 1 行第 43 列）"),
        ("open311-json", '{"description": "甲",\n', "内容不完整，在此中断（第 2 行第 1 列）"),
        ("open311-json", '{"service_requests": [{"description": "甲"}', "内容不完整，在此中断（第 1 行第 43 列）"),
    ],
)
def test_json_that_is_not_json_is_told_its_real_cause(jiesu, tmp_path, book, fmt, text, reason):
    """A fresh tester: a trailing comma said 键名须用英文双引号 (an object's) or 缺少值 (an array's), and a
    file cut short said 缺少逗号 — json's words before Python 3.13, which names the comma."""
    (tmp_path / "x.json").write_text(text, encoding="utf-8")
    refused(jiesu("import", "--format", fmt, str(tmp_path / "x.json")), f"不是合法的 JSON：{reason}")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "record, reason",
    [
        ('{"summary": "甲",}', "对象末尾多了一个逗号（第 16 列）"),
        ('{"summary": "甲", "detail": [1,]}', "数组末尾多了一个逗号（第 30 列）"),
        ('[{"summary": "甲"}', "内容不完整，在此中断（第 18 列）"),
        ('[{"summary": "甲"},', "内容不完整，在此中断（第 19 列）"),
        ('{"summary": "甲\\x"}', "无效的转义，反斜杠本身要写成 \\\\（第 15 列）"),
        ('{"summary": "甲\t乙"}', "字符串中有控制字符，换行和制表符要写成 \\n、\\t（第 15 列）"),
    ],
)
def test_a_json_lines_record_that_is_not_json_is_told_its_real_cause(jiesu, tmp_path, book, record, reason):
    (tmp_path / "x.jsonl").write_text(record + "\n", encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == [f"第 1 行：不是合法的 JSON：{reason}"]
    assert book.counts() == (0, 0)


def test_a_json_array_names_each_refused_record_by_its_place_and_json_lines_by_its_line(jiesu, tmp_path, book):
    """A fresh tester edited `export -f json` (one line) and read 第 1 行 for every refused record."""
    good = {"summary": "楼道灯不亮", "received_at": "2026-11-20T09:00:00+08:00"}
    records = [good, good | {"phone": "12345"}, good | {"received_at": "昨天下午"}]
    (tmp_path / "x.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    said = refused_rows(jiesu("import", str(tmp_path / "x.json")))
    assert [line.split("：")[0] for line in said] == ["第 2 条", "第 3 条"]
    assert jiesu("import", str(tmp_path / "x.json")).stderr.splitlines()[-1].startswith("错误: 2 条有问题，未导入任何诉求")
    (tmp_path / "x.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    assert [line.split("：")[0] for line in refused_rows(jiesu("import", str(tmp_path / "x.jsonl")))] == ["第 2 行", "第 3 行"]
    requests = [{"description": "噪音", "requested_datetime": "2026-11-20T09:00:00+08:00"}, {"description": "噪音", "requested_datetime": "昨天"}]
    (tmp_path / "o.json").write_text(json.dumps({"service_requests": requests}, ensure_ascii=False), encoding="utf-8")
    assert [line.split("：")[0] for line in refused_rows(jiesu("import", str(tmp_path / "o.json")))] == ["第 2 条"]
    assert book.counts() == (0, 0)
    jiesu.ok("import", str(tmp_path / "x.json"), "--skip-bad")
    assert jiesu.json("show", "1")["events"][0]["note"] == "导入自 x.json 第 1 条"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_half_a_surrogate_pair_is_named_as_such_not_as_gbk(jiesu, tmp_path, book, fmt):
    """A fresh tester: `"\\ud800"` was said to be bytes that are not UTF-8 (可能是 GBK 编码)."""
    record = '{"summary": "甲", "address": "前门\\uD83D大街"}'
    (tmp_path / f"x.{fmt}").write_text(f"[{record}]" if fmt == "json" else record + "\n", encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / f"x.{fmt}"))) == [f"第 1 {'条' if fmt == 'json' else '行'}：address 里的 \\ud83d 是落单的半个 UTF-16 代理对，不是字符"]
    (tmp_path / "o.json").write_text('[{"service_request_id": "A1", "description": "\\udc00"}]', encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "o.json"))) == ["第 1 条：description 里的 \\udc00 是落单的半个 UTF-16 代理对，不是字符"]
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "name, content, place",
    [
        ("x.json", '[{"summary": "楼道\\u0000灯不亮", "received_at": "2026-11-20T09:00:00+08:00"}]', "第 1 条"),
        ("x.jsonl", '{"summary": "楼道\\u0000灯不亮", "received_at": "2026-11-20T09:00:00+08:00"}\n', "第 1 行"),
        ("x.csv", "summary,received_at\n楼道\x00灯不亮,2026-11-20 09:00\n", "第 2 行"),
    ],
)
def test_a_nul_in_text_is_refused_naming_the_field(jiesu, tmp_path, book, name, content, place):
    """A fresh tester: a summary holding U+0000 was taken; `list` showed it cut at the NUL (SQLite's substr
    stops there) and PostgreSQL refused the import with its own English line."""
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / name))) == [f"{place}：summary 含有空字符 U+0000，案卷库存不了它；请删去"]
    assert book.counts() == (0, 0)


def test_a_pair_of_surrogate_escapes_is_one_character(jiesu, tmp_path):
    (tmp_path / "x.json").write_text('[{"summary": "\\ud842\\udfb7 \\u4e2d"}]', encoding="utf-8")
    jiesu.ok("import", str(tmp_path / "x.json"))
    assert [c["summary"] for c in jiesu.json("list")] == ["𠮷 中"]


@pytest.mark.parametrize("text", ['{"summary": "楼道灯不亮"}', '\n  {"summary": "楼道灯不亮", "description": "x"}', "{}"])
def test_a_bare_object_that_is_not_open311_is_refused_as_not_an_array(jiesu, tmp_path, book, text):
    """A fresh tester: `{"summary": "x"}` in a .json was read as an Open311 request (缺少诉求内容（description））."""
    (tmp_path / "x.json").write_text(text, encoding="utf-8")
    where = "第 2 行第 3 列" if text.startswith("\n") else "第 1 行第 1 列"
    refused(jiesu("import", str(tmp_path / "x.json")), f"不是合法的 JSON：应为以 [ 开头的数组（{where}）")
    assert book.counts() == (0, 0)


def test_a_bare_open311_request_still_comes_in(jiesu, tmp_path):
    (tmp_path / "x.json").write_text('{"service_request_id": "A1", "description": "路灯不亮"}', encoding="utf-8")
    jiesu.ok("import", str(tmp_path / "x.json"))
    (tmp_path / "y.json").write_text('{"description": "井盖松动"}', encoding="utf-8")
    jiesu.ok("import", "--format", "open311-json", str(tmp_path / "y.json"))
    assert [c["summary"] for c in jiesu.json("list")] == ["路灯不亮", "井盖松动"]


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 16])
def test_a_json_array_read_a_few_characters_at_a_time_comes_in_whole(jiesu, tmp_path, monkeypatch, chunk):
    """Every token is cut somewhere when the array is read a few characters at a time: literals,
    numbers, escapes, long strings; none may be taken short, none refused for being cut."""
    from jiesu import jsonarray

    monkeypatch.setattr(jsonarray, "CHUNK", chunk)
    records = [
        {"summary": f"第{n}件：楼道灯\"不亮\"\\\n\u00e9𠮷" + "长" * (n * 37 % 300), "reopen_count": 10**n % 997, "ref": None,
         "received_at": f"2026-11-{1 + n % 28:02d}T09:{n % 60:02d}:00+08:00", "detail": "", "version": 1}
        for n in range(40)
    ]
    text = json.dumps(records, ensure_ascii=chunk % 2 == 1, indent=2 if chunk % 2 else None)  # escapes and line breaks, or neither
    (tmp_path / "x.json").write_text(text + "\n", encoding="utf-8")
    assert jiesu.ok("import", str(tmp_path / "x.json")).stderr == "读取 40 条：已导入 40 件，已存在 0 件\n"
    assert [(c["summary"], c["reopen_count"]) for c in jiesu.json("list")] == [(r["summary"], r["reopen_count"]) for r in records]
    (tmp_path / "n.json").write_text("[1234567 , 12345678901234567890 ,\n true]", encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "n.json"))) == [f"第 {n} 条：应为一个 JSON 对象" for n in (1, 2, 3)]


# ---------------------------------------------------------------- 3. values as Excel and WPS rewrite them


@pytest.mark.parametrize(
    "written",
    [
        "2026/11/3 9:05", "2026年11月3日 9:05", "2026/11/03 09:05", "2026-11-3 9:05:00", "2026年11月3日9时5分",
        "2026.11.3 9:05", "2026/11/3 上午 9:05", "2026/11/3 9:05 AM", "2026-11-03T09:05", "2026/11/3 9:05:00",
        "46329.3784722222", "2026/11/3 早上 9点05", "2026年11月3日上午9点5分", "2026/11/3 上午 9:05 AM",
    ],
)
def test_times_as_excel_and_wps_write_them(jiesu, tmp_path, written):
    jiesu.ok("import", sheet(tmp_path, row(received=written)))
    assert jiesu.json("list")[0]["received_at"] == "2026-11-03T09:05:00+08:00"


@pytest.mark.parametrize(
    "written, meant",
    [
        ("46329.3854166667", "2026-11-03T09:15:00+08:00"),  # as Excel writes 09:15:00, to 15 digits
        (repr(46329 + 9.25 / 24), "2026-11-03T09:15:00+08:00"),  # as Python's float holds it
        ("46329.9999884259", "2026-11-03T23:59:59+08:00"),
        ("46329.38", "2026-11-03T09:07:12+08:00"),
    ],
)
def test_a_serial_on_a_whole_second_within_float_error_is_that_second(jiesu, tmp_path, written, meant):
    jiesu.ok("import", sheet(tmp_path, row(received=written)))
    assert jiesu.json("list")[0]["received_at"] == meant


@pytest.mark.parametrize(
    "written, meant",
    [
        ("2026/11/3 晚上 8点半", "2026-11-03T20:30:00+08:00"),
        ("2026年11月3日 中午1点", "2026-11-03T13:00:00+08:00"),
        ("2026/11/3 凌晨 2:00", "2026-11-03T02:00:00+08:00"),
        ("2026/11/3 下午 15:05", "2026-11-03T15:05:00+08:00"),
        ("2026/11/3 18点", "2026-11-03T18:00:00+08:00"),
    ],
)
def test_a_file_reads_the_parts_of_the_day_as_the_command_line_does(jiesu, tmp_path, written, meant):
    jiesu.ok("import", sheet(tmp_path, row(received=written)))
    assert jiesu.json("list")[0]["received_at"] == meant


def test_dates_without_a_time_and_afternoons(jiesu, tmp_path):
    """A deadline given as a date alone is that day's 24:00, as `--due 2026-11-30` is (a fresh tester:
    it read as 00:00, the day before's 24:00, a day early); a written 00:00 stays 00:00."""
    rows = ("甲,2026/11/3 下午 3:05,2026年11月30日,2026/11/4", "乙,2026/11/3 0:00,46356,2026/11/4 0:00", "丙,2026/11/3 9:00,2026/11/30 0:00,")
    jiesu.ok("import", sheet(tmp_path, *rows, header="summary,received_at,resolve_by,respond_by"))
    assert [(c["received_at"], c["resolve_by"], c["respond_by"]) for c in jiesu.json("list")] == [
        ("2026-11-03T15:05:00+08:00", "2026-12-01T00:00:00+08:00", "2026-11-05T00:00:00+08:00"),
        ("2026-11-03T00:00:00+08:00", "2026-12-01T00:00:00+08:00", "2026-11-04T00:00:00+08:00"),
        ("2026-11-03T09:00:00+08:00", "2026-11-30T00:00:00+08:00", "2026-11-04T09:00:00+08:00"),
    ]


@pytest.mark.parametrize("written", ["2026/11/20", "2026-11-20", "2026年11月20日", "46346"])
def test_a_receipt_imported_as_a_date_alone_refuses_the_whole_file(jiesu, tmp_path, book, written):
    """Replayed from a fresh tester: a 受理时间 of `2026/11/20` was stored as 00:00, which counts as 24:00
    of the day before, so the case got a deadline one working day early."""
    path = sheet(tmp_path, row("BJ1", "2026/11/20 0:00"), row("BJ2", written))
    assert refused_rows(jiesu("import", path)) == [
        f"第 3 行：受理时间 {written!r} 只有日期，没有钟点（0 点受理按前一天 24:00 计，时限会早一个工作日）；"
        "请写明钟点，如 2026-11-20 09:00"
    ]
    assert book.counts() == (0, 0)
    jiesu.ok("import", path, "--skip-bad")
    assert [(c["received_at"], c["resolve_by"]) for c in jiesu.json("list")] == [
        ("2026-11-20T00:00:00+08:00", "2026-12-01T00:00:00+08:00"),  # 00:00 written out: 11-19 24:00, due 11-30 24:00
    ]


@pytest.mark.parametrize("written", ["2026-11-30T24:00:00+08:00", "2026-11-30T24:00", "2026-11-30 24:00:00", "2026/11/30 24:00"])
def test_24_00_reads_as_it_does_when_typed(jiesu, tmp_path, written):
    """jiesu shows a deadline as the day's 24:00; a file may carry it so, as the command line may."""
    jiesu.ok("import", sheet(tmp_path, row(received=written)))
    jiesu.new("typed", "--received", written)
    assert [c["received_at"] for c in jiesu.json("list")] == ["2026-12-01T00:00:00+08:00"] * 2


@pytest.mark.parametrize(
    "written, reason",
    [
        ("11/3/2026 9:05", "受理时间 不是有效时间：'11/3/2026 9:05'；请写成 2026-11-03 09:05 这样的时间"),
        ("26/11/3 9:05", "受理时间 不是有效时间：'26/11/3 9:05'；请写成 2026-11-03 09:05 这样的时间"),
        # a fresh tester: typed, such a day says why it is none; in a file it said only 不是有效时间
        ("2026/2/30 9:05", "受理时间 '2026/2/30 9:05' 的日期不存在：2026 年 2 月只有 28 天"),
        ("2026-02-29 09:00", "受理时间 '2026-02-29 09:00' 的日期不存在：2026 年 2 月只有 28 天"),
        ("2026年13月1日", "受理时间 '2026年13月1日' 的日期不存在：一年只有 12 个月"),
        ("2026/11/3 凌晨 15:05", "受理时间 的凌晨是 0–6 点，与 15 点矛盾：'2026/11/3 凌晨 15:05'；请写成 2026-11-03 09:05 这样的时间"),
        ("2026/11/3 9:5", "受理时间 的分钟须为两位数字，如 9:05：'2026/11/3 9:5'；请写成 2026-11-03 09:05 这样的时间"),
        ("2026/11/3 9:05:5", "受理时间 的秒须为两位数字，如 9:05:05：'2026/11/3 9:05:5'；请写成 2026-11-03 09:05 这样的时间"),
        ("20261103.5", "受理时间 不是有效时间：'20261103.5'；请写成 2026-11-03 09:05 这样的时间"),
        ("9999-12-31T24:00", "受理时间 不是有效时间：'9999-12-31T24:00'；请写成 2026-11-03 09:05 这样的时间"),
        ("9999/12/31 24:00", "受理时间 不是有效时间：'9999/12/31 24:00'；请写成 2026-11-03 09:05 这样的时间"),
        ("2026-11-29T23:59:59.999+08:00", "受理时间 有不足一秒的部分：'2026-11-29T23:59:59.999+08:00'；jiesu 记时到秒，请改为整秒"),
        ("2026/11/29 23:59:59.5", "受理时间 有不足一秒的部分：'2026/11/29 23:59:59.5'；jiesu 记时到秒，请改为整秒"),
        # A fresh tester: a fraction of zeros passed where `.5` was refused.
        ("2026-11-29 23:59:59.000", "受理时间 有不足一秒的部分：'2026-11-29 23:59:59.000'；jiesu 记时到秒，请改为整秒"),
        ("2026-11-29T23:59:59.000+08:00", "受理时间 有不足一秒的部分：'2026-11-29T23:59:59.000+08:00'；jiesu 记时到秒，请改为整秒"),
        ("2026/11/29 23:59:59.000", "受理时间 有不足一秒的部分：'2026/11/29 23:59:59.000'；jiesu 记时到秒，请改为整秒"),
        ("2026/11/29 24:00:00.000", "受理时间 有不足一秒的部分：'2026/11/29 24:00:00.000'；jiesu 记时到秒，请改为整秒"),
        # A fresh tester: a serial's fraction of a second was rounded, 46329.999999 into the next day.
        ("46329.999999", "受理时间 有不足一秒的部分：46329.999999（即 2026-11-03 23:59:59.913）；jiesu 记时到秒，请改为整秒"),
        ("46329.3854", "受理时间 有不足一秒的部分：46329.3854（即 2026-11-03 09:14:58.560）；jiesu 记时到秒，请改为整秒"),
    ],
)
def test_ambiguous_or_impossible_times_are_refused_with_a_hint(jiesu, tmp_path, book, written, reason):
    assert refused_rows(jiesu("import", sheet(tmp_path, row(received=written)))) == [f"第 2 行：{reason}"]
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "ref, phone, reason",
    [
        ("2.02611E+15", "13812345678", "工单编号 被 Excel 改写成了科学计数法（2.02611E+15），后几位数字已丢失；请把该列设为文本后重新填写"),
        ("202611030001234000", "13812345678",
         "工单编号 202611030001234000 超过 15 位且末尾全是 0，像是被 Excel 截断的数字；请把该列设为文本后重新填写"),
        ("20261103001.0", "13812345678", "工单编号 被改写成了小数（20261103001.0）；请把该列设为文本后重新填写"),
        ("BJ1", "1.38123E+10", "联系电话 被 Excel 改写成了科学计数法（1.38123E+10），后几位数字已丢失；请把该列设为文本后重新填写"),
        ("BJ1", "13812345678.0", "联系电话 被改写成了小数（13812345678.0）；请把该列设为文本后重新填写"),
    ],
)
def test_digits_excel_rewrote_are_refused_not_merged(jiesu, tmp_path, book, ref, phone, reason):
    assert refused_rows(jiesu("import", sheet(tmp_path, row(ref=ref, phone=phone)))) == [f"第 2 行：{reason}"]
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("ref", ["jiesu-7", "'jiesu-7", "JIESU-7", "ｊｉｅｓｕ－７"])
def test_a_ref_an_open311_export_would_read_back_as_an_id_is_refused(jiesu, tmp_path, book, ref):
    reason = f"工单编号 {ref.lstrip(chr(39))!r} 是 Open311 导出给无编号诉求的写法（jiesu-案卷编号），导回时会被读作案卷编号；请换一个编号"
    assert refused_rows(jiesu("import", sheet(tmp_path, row("BJ1"), row(ref, summary="另一件")))) == [f"第 3 行：{reason}"]
    assert book.counts() == (0, 0)


def test_two_refs_truncated_alike_are_never_taken_as_one_case(jiesu, tmp_path, book):
    rows = [row("202611030001234000", summary="甲"), row("202611030001234000", summary="乙")]
    assert len(refused_rows(jiesu("import", sheet(tmp_path, *rows)))) == 2
    assert book.counts() == (0, 0)


def test_a_landline_that_lost_its_leading_zero_gets_it_back(jiesu, tmp_path):
    jiesu.ok("import", sheet(tmp_path, row("A", phone="1065123456"), row("B", phone="13812345678")))
    assert [c["phone"] for c in jiesu.json("list", "--reveal")] == ["01065123456", "13812345678"]


def test_counts_rewritten_as_decimals_or_with_separators(jiesu, tmp_path):
    header = "summary,received_at,reopen_count"
    rows = ["甲,2026-11-02 09:00,1,234", "乙,2026-11-02 09:00,2.5"]
    lines = refused_rows(jiesu("import", sheet(tmp_path, *rows, header=header)))
    assert lines == ["第 2 行：这一行有 4 格，表头有 3 列；各格无法对准各列", "第 3 行：reopen_count 应为整数：'2.5'"]


# ---------------------------------------------------------------- 4. duplicate header


def test_a_column_named_twice_is_refused(jiesu, tmp_path, book):
    header = HEADER + ",联系电话"
    result = jiesu("import", sheet(tmp_path, row() + ",", header=header))
    refused(result, "表头中 联系电话 出现了 2 次（第 4、11 列）；请删去或改名多余的一列")
    assert book.counts() == (0, 0)


def test_own_layout_with_a_field_twice_and_a_map_with_two_sources(jiesu, tmp_path):
    refused(jiesu("import", sheet(tmp_path, "甲,1,2", header="summary,phone,phone")),
            "表头中 phone 出现了 2 次（第 2、3 列）；请删去或改名多余的一列")
    (tmp_path / "map.toml").write_text('[columns]\n"内容" = "summary"\n"手机" = "phone"\n"电话" = "phone"\n', encoding="utf-8")
    result = jiesu("import", sheet(tmp_path, "甲,13812345678,", header="内容,手机,电话"), "--map", str(tmp_path / "map.toml"))
    refused(result, f"映射文件 {tmp_path / 'map.toml'}：手机、电话 都映射到字段 phone；一个字段只能来自一列")


def test_unused_columns_may_repeat(jiesu, tmp_path):
    jiesu.ok("import", sheet(tmp_path, row() + ",x,y", header=HEADER + ",备注,备注"))
    assert jiesu.json("list")[0]["phone"] == "138****5678"


# ---------------------------------------------------------------- 5. ragged rows


def test_a_row_with_more_cells_than_the_header_is_bad(jiesu, tmp_path, book):
    long = row(summary="天花板漏水") + ",已三天,天花板掉皮"
    lines = refused_rows(jiesu("import", sheet(tmp_path, row("BJ000"), long)))
    assert lines == ["第 3 行：这一行有 12 格，表头有 10 列；各格无法对准各列"]
    assert book.counts() == (0, 0)


def test_a_quote_left_open_is_refused_at_the_line_it_opens_on(jiesu, tmp_path, book):
    """A lenient reader takes every row after an unclosed quote into that one cell and imports the rest."""
    path = sheet(tmp_path, row("BJ1"), row("BJ2", summary='"楼上漏水'), row("BJ3"), row("BJ4"))
    refused(jiesu("import", path), "第 3 行不是合法的 CSV：引号没有闭合（一格以引号开始，直到文件末尾都没有结束它的引号）")
    assert book.counts() == (0, 0)


def test_text_after_a_closing_quote_is_refused_not_run_together(jiesu, tmp_path, book):
    """Excel writes a quote inside a quoted cell doubled; `"他说"楼上"漏水` is no cell it writes."""
    path = sheet(tmp_path, row("BJ1"), row("BJ2", summary='"他说"楼上"漏水'))
    refused(jiesu("import", path), '第 3 行不是合法的 CSV：引号括起的一格在结束的引号后还有文字；格内的引号要写成两个（""）')
    assert book.counts() == (0, 0)
    jiesu.ok("import", sheet(tmp_path, row("BJ1", summary='"他说""楼上""漏水"'), row("BJ2", summary='他说"楼上"漏水')))
    assert [c["summary"] for c in jiesu.json("list")] == ['他说"楼上"漏水', '他说"楼上"漏水']


def test_a_row_with_missing_cells_is_bad_and_trailing_empty_cells_are_not(jiesu, tmp_path):
    short = "BJ002,2026-11-02 09:30,王大爷,13812345678,前门东大街3号,前门社区,物业管理/漏水,楼上漏水"
    lines = refused_rows(jiesu("import", sheet(tmp_path, short, row("BJ003") + ",,")))
    assert lines == ["第 2 行：这一行有 8 格，表头有 10 列；各格无法对准各列"]
    jiesu.ok("import", sheet(tmp_path, row("BJ003") + ",,"))


def test_columns_no_field_takes_are_named_once(jiesu, tmp_path):
    """Platform exports carry columns a case does not hold: not an error, but never dropped unsaid."""
    path = sheet(tmp_path, row("BJ1") + ",已办结,", row("BJ2") + ",,回访满意", header=HEADER + ",处理结果,备注")
    assert jiesu.ok("import", path).stderr == "未导入的列（jiesu 没有对应的字段）：处理结果、备注\n读取 2 行：已导入 2 件，已存在 0 件\n"
    assert jiesu.ok("import", sheet(tmp_path, row("BJ3"))).stderr == "读取 1 行：已导入 1 件，已存在 0 件\n"


@pytest.mark.parametrize("name", ["x.jsonl", "x.json"])
def test_keys_no_field_takes_are_named_once_in_json_records_too(jiesu, tmp_path, name):
    records = [{"summary": "楼上漏水", "备注": "回访满意"}, {"summary": "楼道灯不亮", "lat": 39.9, "备注": ""}]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) if name.endswith("l") else json.dumps(records, ensure_ascii=False)
    (tmp_path / name).write_text(text + "\n", encoding="utf-8")
    unit = "行" if name.endswith("l") else "条"  # JSON Lines' lines, a JSON array's items
    assert jiesu.ok("import", str(tmp_path / name)).stderr == f"未导入的列（jiesu 没有对应的字段）：备注、lat\n读取 2 {unit}：已导入 2 件，已存在 0 件\n"
    jiesu.ok("export", "--format", name.split(".")[1], "--reveal", "--out", str(tmp_path / f"own-{name}"))
    assert "未导入" not in jiesu.ok("import", str(tmp_path / f"own-{name}")).stderr  # jiesu's own records: every key is a field


def test_a_title_row_above_the_header_is_passed_over(jiesu, tmp_path):
    path = sheet(tmp_path, HEADER, row(), header="前门街道接诉即办工单,,,,,,,,,")
    jiesu.ok("import", path)
    assert [(c["ref"], c["summary"]) for c in jiesu.json("list")] == [("BJ001", "楼上漏水")]
    assert jiesu.json("show", "1")["events"][0]["note"] == "导入自 工单.csv 第 3 行"


def test_a_row_is_named_by_the_line_it_starts_on(jiesu, tmp_path, book):
    """A quoted cell may hold line breaks: every kind of row error names the line where its row
    starts, as a spreadsheet user counts lines, not the row's last line."""
    good = row("BJ001", summary='"楼上漏水\n天花板掉皮\n已三天"')  # lines 2-4
    bad_time = row("BJ002", received="2026-13-02 09:30", summary='"楼道灯\n不亮"')  # lines 5-6
    ragged = row("BJ003", summary='"井盖\n丢失"') + ",多一格"  # lines 7-8
    lines = refused_rows(jiesu("import", sheet(tmp_path, good, bad_time, ragged)))
    assert [line.split("：")[0] for line in lines] == ["第 5 行", "第 7 行"]
    assert book.counts() == (0, 0)
    jiesu.ok("import", sheet(tmp_path, good, bad_time, ragged), "--skip-bad")
    assert jiesu.json("show", "1")["events"][0]["note"] == "导入自 工单.csv 第 2 行"
    own = "summary,phone,received_at,id,status,merged_into"
    masked = '"漏水\n又漏了\n第三次",139****0000,2026-11-02T09:30:00+08:00,7,new,'  # lines 2-4
    merged = '"重复\n来电",,2026-11-02T09:40:00+08:00,8,merged,99'  # lines 5-6
    lines = refused_rows(jiesu("import", sheet(tmp_path, masked, merged, header=own, name="own.csv")))
    assert lines == ["第 2 行：电话已打码，无法导入（导出时请加 --reveal）", "第 5 行：并入的 #99 不在这个文件里"]


OWN = "id,summary,phone,received_at,status,merged_into"


def test_an_id_repeated_by_another_case_in_one_file_is_refused_with_the_merge_into_it(jiesu, tmp_path, book):
    """Two books' exports run together: each numbers its own cases, so an id may come twice for two
    cases — both were imported, and a merge into that id went into whichever came first."""
    rubbish = "5,垃圾没清,13812345678,2026-11-02T09:30:00+08:00,new,"
    noise = "5,噪音扰民,13900000000,2026-11-02T10:00:00+08:00,new,"
    merged = "6,噪音又来了,13900000000,2026-11-02T11:00:00+08:00,merged,5"
    path = sheet(tmp_path, rubbish, noise, merged, header=OWN, name="two.csv")
    assert refused_rows(jiesu("import", path)) == [
        "第 3 行：编号 #5 与第 2 行的相同，却不是同一件诉求（合并多个案卷库的导出请分别导入）",
        "第 4 行：并入的 #5（第 3 行）未能导入",
    ]
    assert book.counts() == (0, 0)
    jiesu.ok("import", path, "--skip-bad")
    assert [case["summary"] for case in jiesu.json("list")] == ["垃圾没清"]


def test_two_rows_with_one_id_and_different_summaries_are_not_two_cases(jiesu, tmp_path, book):
    first = "1,楼上漏水,13812345678,2026-11-02T09:30:00+08:00,new,"
    second = "1,楼道灯不亮,13812345678,2026-11-02T09:30:00+08:00,new,"
    path = sheet(tmp_path, first, first, second, header=OWN, name="ones.csv")
    assert refused_rows(jiesu("import", path)) == [
        "第 4 行：编号 #1 与第 2 行的相同，却不是同一件诉求（合并多个案卷库的导出请分别导入）",
    ]
    assert book.counts() == (0, 0)


def test_a_row_repeated_whole_with_its_id_is_one_case(jiesu, tmp_path, book):
    first = "1,楼上漏水,13812345678,2026-11-02T09:30:00+08:00,new,"
    jiesu.ok("import", sheet(tmp_path, first, first, header=OWN, name="twice.csv"))
    assert book.counts()[0] == 1


# ---------------------------------------------------------------- 7. oversized and hostile values


def test_a_cell_beyond_the_limit_is_one_line(jiesu, tmp_path, book):
    path = tmp_path / "big.csv"
    path.write_text("summary\n" + "x" * (16 * 1024 * 1024 + 1) + "\n", encoding="utf-8")
    refused(jiesu("import", str(path)), "第 2 行有一格超过 16,777,216 个字符，不像是工单数据")
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_a_megabyte_summary_of_jiesus_own_export_goes_back_in(jiesu, tmp_path, new_target, fmt):
    summary = "天花板掉皮," * 200_000
    jiesu.new(summary, "--received", "2026-11-02T09:00")
    dump = tmp_path / f"dump.{fmt}"
    jiesu.ok("export", "--format", fmt, "--reveal", "--out", str(dump))
    other = new_target("other")
    jiesu.ok("--db", other, "import", str(dump))
    assert jiesu.json("--db", other, "show", "1")["summary"] == summary


@pytest.mark.parametrize("extra", [0, 1])
def test_a_json_record_beyond_the_limit_is_one_line(jiesu, tmp_path, book, extra):
    path = tmp_path / "big.json"
    record = '{"summary": "' + "x" * (16 * 1024 * 1024 - 15 + extra) + '"}'  # 16 MiB characters, and one more
    path.write_text("[\n" + record + ',\n{"summary" 1}]', encoding="utf-8")  # the next one is read only if this one is taken
    line = "第 2 行起的一条记录超过 16,777,216 个字符，不像是工单数据" if extra else "不是合法的 JSON：缺少冒号（第 3 行第 12 列）"
    refused(jiesu("import", str(path)), line)
    assert book.counts() == (0, 0)


def test_deep_json_is_one_line(jiesu, tmp_path, book):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    refused(jiesu("import", str(tmp_path / "deep.json")), "JSON 嵌套太深，不像是工单数据")
    (tmp_path / "deep.jsonl").write_text('{"summary": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    assert refused_rows(jiesu("import", str(tmp_path / "deep.jsonl"))) == ["第 1 行：JSON 嵌套太深，不像是工单数据"]
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"summary": "甲", "reopen_count": 2**64}, "reopen_count 超出范围：18446744073709551616"),
        ({"summary": "甲", "id": -(2**70)}, "id 不能为负数：-1180591620717411303424"),
        ({"summary": "甲", "version": 1e400}, "不是合法的 JSON：Infinity 不是 JSON 的值（第 34 列）"),  # what json.dumps writes for it
        ({"summary": "甲", "received_at": "0001-01-01T00:00:00"}, "received_at 的年份 1 超出 1900–2100：'0001-01-01T00:00:00'"),
        ({"summary": "甲", "resolve_by": "9999-12-31T23:59:59+08:00"},
         "resolve_by 的年份 9999 超出 1900–2100：'9999-12-31T23:59:59+08:00'"),
        ({"summary": "甲", "received_at": "1900-06-01T09:00:00"},
         "received_at 早于 Asia/Shanghai 启用标准时（当时为地方平时 +08:05:43）：'1900-06-01T09:00:00'"),
        ({"summary": "甲", "received_at": "1900-12-31T15:00:00+00:00"},
         "received_at 早于 Asia/Shanghai 启用标准时（当时为地方平时 +08:05:43）：'1900-12-31T15:00:00+00:00'"),
        ({"summary": {"nested": 1}}, "summary 应为文本，不是嵌套的 JSON 值"),
        ({"summary": "甲", "name": True}, "name 应为文本，不是真假值 True"),
        ({"summary": "甲", "reopen_count": "9" * 5000}, "reopen_count 应为整数：'" + "9" * 40 + "…（共 5000 字）'"),
    ],
)
def test_hostile_values_are_one_line_each(jiesu, tmp_path, book, record, reason):
    (tmp_path / "x.jsonl").write_text(json.dumps(record) + "\n")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == [f"第 1 行：{reason}"]
    assert book.counts() == (0, 0)


def test_a_rules_or_map_file_nested_thousands_deep_is_one_line(jiesu, tmp_path, monkeypatch):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "1" + "]" * 5000 + "\n")
    refused(jiesu("import", sheet(tmp_path, row()), "--map", str(deep)), f"映射文件 {deep} 嵌套太深")
    monkeypatch.setenv("JIESU_RULES", str(deep))
    refused(jiesu("list"), f"规则文件 {deep} 嵌套太深，不是合法的规则文件")


# ---------------------------------------------------------------- 8. import --at in the future


@pytest.mark.parametrize("at", ["2030-01-01 09:00", "+2h", "+1d"])
def test_import_at_a_future_time_is_refused(jiesu, tmp_path, book, at):
    result = jiesu("import", sheet(tmp_path, row()), "--at", at)
    assert refused(result).startswith("错误: 导入时间 ") and result.stderr.strip().endswith("在未来（现在是 2026-12-01 09:30）")
    assert book.counts() == (0, 0)


def test_import_at_a_past_time_dates_the_event_then(jiesu, tmp_path):
    jiesu.ok("import", sheet(tmp_path, row()), "--at", "2026-11-20T08:00")
    assert jiesu.json("show", "1")["events"][0]["at"] == "2026-11-20T08:00:00+08:00"


def test_import_dated_before_a_rows_receipt_refuses_that_row(jiesu, tmp_path, book):
    """Replayed from a fresh tester: the import was taken, then `check` found 导入时间早于受理时间."""
    path = sheet(tmp_path, row("BJ001", "2026-10-03 09:05"), row("BJ002", "2026-11-03 09:05"))
    result = jiesu("import", path, "--at", "2026-11-01T00:00")
    assert refused_rows(result) == ["第 3 行：受理时间 2026-11-03 09:05 晚于导入时间 2026-11-01 00:00"]
    assert book.counts() == (0, 0)
    jiesu.ok("import", path, "--at", "2026-11-01T00:00", "--skip-bad")
    assert [case["ref"] for case in jiesu.json("list", "--all")] == ["BJ001"]
    assert jiesu.ok("check").stderr.startswith("案卷完好")


# ---------------------------------------------------------------- 6. phone extensions


@pytest.mark.parametrize(
    "written", ["010-65123456 ext. 8001", "010-65123456#8001", "010-65123456转8001", "010-65123456 分机 8001",
                "010-65123456-8001", "(010) 6512 3456 x8001", "+86 10 6512 3456;ext=8001"],
)
def test_an_extension_is_kept_apart_from_the_number(jiesu, written):
    jiesu.new("总机转分机", "--phone", written)
    (case,) = jiesu.json("list", "--reveal")
    assert (case["phone"], case["phone_ext"]) == ("01065123456", "8001")
    (masked,) = jiesu.json("list")
    assert (masked["phone"], masked["phone_ext"]) == ("010****3456", "8001")


# Every dash width the masking of free text reads between digit groups (phones._DASHES), before the extension too.
DASHES = {"em": "\u2014", "en": "\u2013", "figure": "\u2012", "bar": "\u2015", "minus": "\u2212", "full-width": "\uff0d", "hyphen": "\u2010", "small": "\ufe63"}


@pytest.mark.parametrize("dash", DASHES.values(), ids=DASHES.keys())
def test_a_phone_with_any_dash_before_its_extension_is_taken_as_text_masks_it(jiesu, tmp_path, dash):
    """A fresh tester: `--phone "010—65123456—8001"` was refused while `010-65123456-8001` was taken, though
    the same number dictated into a summary is masked with any dash."""
    written = f"010{dash}65123456{dash}8001"
    first = jiesu.new("总机转分机", "--phone", written)
    second = jiesu.new("手机", "--phone", f"138{dash}1234{dash}5678")
    jiesu.ok("edit", second, "--phone", f"010 {dash} 65123456 {dash} 8002")
    jiesu.ok("import", sheet(tmp_path, row(phone=written)))
    cases = jiesu.json("list", "--reveal")
    assert [(c["id"], c["phone"], c["phone_ext"]) for c in cases] == [
        (first, "01065123456", "8001"), (second, "01065123456", "8002"), (second + 1, "01065123456", "8001"),
    ]


def test_numbers_without_an_extension_stay_whole(jiesu):
    jiesu.new("手机", "--phone", "138-1234-5678")
    jiesu.new("座机", "--phone", "010-65123456")
    assert [(c["phone"], c["phone_ext"]) for c in jiesu.json("list", "--reveal")] == [
        ("13812345678", None), ("01065123456", None),
    ]
    refused(jiesu("new", "没有分机号", "--phone", "010-65123456转"), code=2)


def test_show_and_the_ledger_give_the_number_to_dial(jiesu):
    case = jiesu.new("楼上漏水", "--phone", "010-65123456转8001", "--nature", "合理诉求", "--received", "-2d")
    shown = jiesu.ok("show", case, "--format", "table").stdout
    assert "010****3456" in shown and "分机" in shown and "8001" in shown
    jiesu.ok("ledger", "add", case, "--plan", "更换管道", "--unit", "物业")
    rows = jiesu.ok("ledger", "export", "--no-bom").stdout.splitlines()
    assert "010****3456 转8001" in rows[1]
    assert "01065123456 转8001" in jiesu.ok("ledger", "export", "--no-bom", "--reveal").stdout


def test_extensions_come_in_from_a_sheet_and_go_round_trip(jiesu, tmp_path, new_target):
    header = HEADER + ",分机"
    rows = [row("A", phone="010-65123456转8001") + ",", row("B", phone="010-65123456") + ",8002",
            row("C", phone="010-65123456#8003") + ",8004"]
    assert refused_rows(jiesu("import", sheet(tmp_path, *rows, header=header))) == [
        "第 4 行：电话里的分机 8003 与分机列的 8004 不一致"
    ]
    jiesu.ok("import", sheet(tmp_path, *rows[:2], header=header))
    assert [(c["phone"], c["phone_ext"]) for c in jiesu.json("list", "--reveal")] == [
        ("01065123456", "8001"), ("01065123456", "8002"),
    ]
    dump = tmp_path / "dump.csv"
    jiesu.ok("export", "--reveal", "--out", str(dump))
    other = new_target("other")
    jiesu.ok("--db", other, "import", str(dump))
    assert [c["phone_ext"] for c in jiesu.json("--db", other, "list", "--reveal")] == ["8001", "8002"]


# ---------------------------------------------------------------- 9. long descriptions in listings


def test_long_descriptions_do_not_grow_a_listing(jiesu, tmp_path):
    requests = [
        {"service_request_id": f"L-{n}", "status": "open", "description": f"第{n}件" + "楼道堆物严重影响通行。" * 350,
         "requested_datetime": "2026-11-03T09:00:00+08:00"}
        for n in range(20)
    ]
    (tmp_path / "long.json").write_text(json.dumps(requests, ensure_ascii=False), encoding="utf-8")
    jiesu.ok("import", str(tmp_path / "long.json"))
    table = jiesu.ok("list", "--format", "table").stdout
    assert len(table) < 20 * 2 * 400
    assert "第0件楼道堆物" in table and "…" in table
    assert jiesu.json("show", "1")["summary"] == requests[0]["description"]
    assert jiesu.json("list")[0]["summary"] == requests[0]["description"]


def test_a_two_million_character_summary_costs_a_listing_nothing(jiesu, tmp_path):
    huge = "天花板掉皮" * 400_000
    (tmp_path / "huge.jsonl").write_text(json.dumps({"summary": huge, "detail": huge}, ensure_ascii=False) + "\n")
    jiesu.ok("import", str(tmp_path / "huge.jsonl"))
    jiesu.new("楼道灯不亮")
    table = jiesu.ok("list", "--format", "table").stdout
    assert len(table) < 2000 and "楼道灯不亮" in table
    assert jiesu.ok("list", "--format", "ids").stdout == "1\n2\n"
    assert len(jiesu.json("show", "1")["summary"]) == 2_000_000


# ---------------------------------------------------------------- a row's times and words must agree

RECEIVED = "2026-11-03T09:00:00+08:00"


@pytest.mark.parametrize(
    "row, reason",
    [
        ({"closed_at": "2026-11-02T09:00:00+08:00", "status": "closed"}, "办结时间 2026-11-02 09:00 早于受理时间 2026-11-03 09:00"),
        ({"responded_at": "2026-11-03T08:59:00+08:00"}, "首次响应时间 2026-11-03 08:59 早于受理时间 2026-11-03 09:00"),
        ({"resolve_by": "2026-11-01T00:00:00+08:00"}, "办理时限 2026-10-31 24:00 早于受理时间 2026-11-03 09:00"),
        ({"closed_at": "2026-11-20T09:00:00+08:00", "status": "closed"}, "办结时间 2026-11-20 09:00 晚于导入时间 2026-11-10 00:00"),
        ({"nature": "reasonable", "track": "persuade"}, "三上门 上门劝 与诉求性质 合理诉求 不符（应为 上门办）"),
        ({"status": "closed", "result": "resolved", "nature": "reasonable"}, "状态 closed 却没有办结时间（closed_at）"),
        ({"status": "new", "closed_at": "2026-11-04T09:00:00+08:00"}, "状态 new 尚未办结，却有办结时间（closed_at）"),
        ({"status": "assigned", "assignee": "物业", "result": "resolved"}, "状态 assigned 尚未办结，却有办结结果（result）"),
        ({"status": "closed", "closed_at": "2026-11-04T09:00:00+08:00", "result": "explained", "nature": "reasonable"},
         "走上门办的诉求办结结果应为 resolved 已解决，不是 explained 已解释说明"),
        # `close` requires a classified nature and a result: a row may not store a case it would have refused
        ({"status": "closed", "closed_at": "2026-11-04T09:00:00+08:00", "result": "resolved"},
         "状态 closed 却未研判诉求性质（nature）；办结前须研判"),
        ({"status": "closed", "closed_at": "2026-11-04T09:00:00+08:00", "nature": "reasonable"}, "状态 closed 却没有办结结果（result）"),
        ({"status": "merged", "merged_into": 7, "closed_at": "2026-11-04T09:00:00+08:00"},
         "状态 merged 已合并，不曾办结，却有办结时间（closed_at）"),
    ],
)
def test_a_row_whose_times_or_words_contradict_each_other_is_refused(jiesu, book, tmp_path, row, reason):
    (tmp_path / "x.jsonl").write_text(json.dumps({"summary": "楼上漏水", "received_at": RECEIVED} | row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"), "--at", "2026-11-10T00:00")) == [f"第 1 行：{reason}"]
    assert book.counts() == (0, 0)
    jiesu.ok("check")


@pytest.mark.parametrize(
    "cells, reason",
    [
        ("urgent,general,community,", "时限档 一般 与紧急程度 紧急 不符（应为 紧急）"),
        ("normal,emergency,community,", "时限档 紧急 与紧急程度 一般 不符（应为 一般）"),
        ("normal,complex,community,", "时限档 复杂疑难 与层级 社区 不符（应为 一般）"),
        ("normal,general,district,", "时限档 一般 与层级 区 不符（应为 复杂疑难）"),
        ("normal,complex,street,供暖/不热", "时限档 复杂疑难 与层级 街道 不符（应为 水电气热）"),
        ("normal,general,community,供暖/不热", "时限档 一般 与类别 '供暖/不热' 不符（应为 水电气热）"),
        ("normal,utility,community,噪音", "时限档 水电气热 与类别 '噪音' 不符（应为 一般）"),
        ("normal,utility,community,", "时限档 水电气热 与类别（未填） 不符（应为 一般）"),
    ],
)
def test_a_tier_no_step_could_have_given_the_row_is_refused(jiesu, book, tmp_path, cells, reason):
    """A fresh tester (F4): an urgent row kept its 时限档 general and got 24 h / 7 working days, not
    2 hours. `new`, `edit` and `escalate` give a case the tier its urgency, level and category call for."""
    rows = sheet(tmp_path, f"楼上漏水,2026-11-30 09:00,{cells}", header="summary,received_at,urgency,tier,level,category")
    assert refused_rows(jiesu("import", rows)) == [f"第 2 行：{reason}"]
    assert book.counts() == (0, 0)


def test_a_row_whose_tier_agrees_gets_that_tiers_deadlines(jiesu, tmp_path):
    rows = sheet(tmp_path, "楼上漏水,2026-11-30 09:00,urgent,emergency,district", "暖气不热,2026-11-30 09:00,,complex,city",
                 header="summary,received_at,urgency,tier,level")
    jiesu.ok("import", rows)
    urgent, complex_ = jiesu.json("list")
    assert (urgent["tier"], urgent["respond_by"], urgent["resolve_by"]) == (
        "emergency", "2026-11-30T11:00:00+08:00", "2026-11-30T11:00:00+08:00")
    assert (complex_["tier"], complex_["resolve_by"]) == ("complex", "2026-12-22T00:00:00+08:00")


def test_the_books_rules_say_which_tier_a_row_may_carry(jiesu, book, tmp_path):
    rules = tmp_path / "街道.toml"
    rules.write_text('[deadlines]\ncomplex_levels = ["street", "district", "city"]\n', encoding="utf-8")
    rows = sheet(tmp_path, "楼上漏水,2026-11-30 09:00,complex,street", header="summary,received_at,tier,level")
    assert refused_rows(jiesu("import", rows)) == ["第 2 行：时限档 复杂疑难 与层级 街道 不符（应为 一般）"]
    jiesu.ok("--rules", str(rules), "import", rows)
    assert jiesu.json("show", "1")["tier"] == "complex"


def test_a_closed_row_close_would_have_refused_is_refused(jiesu, book, tmp_path):
    """F4: a revisited row without nature or result was stored, and `check` called the book sound."""
    closed = tmp_path / "closed.csv"
    closed.write_text("ref,received_at,summary,status,closed_at,assignee\nR3,2026-11-02 09:00,已回访,revisited,2026-11-30 24:00,城管\n", encoding="utf-8")
    assert refused_rows(jiesu("import", str(closed))) == ["第 2 行：状态 revisited 却未研判诉求性质（nature）；办结前须研判"]
    assert book.counts() == (0, 0)


def test_a_revisited_row_is_refused_as_its_revisit_is_not_in_it(jiesu, book, tmp_path):
    row = {"summary": "楼上漏水", "received_at": RECEIVED, "status": "revisited", "closed_at": "2026-11-04T09:00:00+08:00",
           "nature": "reasonable", "result": "resolved"}
    (tmp_path / "x.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "x.jsonl"))) == [f"第 1 行：{importer.REVISITED}"]
    assert book.counts() == (0, 0)


def test_a_closed_row_with_its_nature_and_result_is_taken(jiesu, tmp_path):
    (tmp_path / "closed.csv").write_text(
        "ref,received_at,summary,status,closed_at,nature,result\nR4,2026-11-02 09:00,路灯不亮,closed,2026-11-04 10:00,合理诉求,已解决\n",
        encoding="utf-8",
    )
    jiesu.ok("import", str(tmp_path / "closed.csv"))
    case = jiesu.json("show", "1")
    assert (case["status"], case["nature"], case["result"]) == ("closed", "reasonable", "resolved")
    assert jiesu.ok("check").stderr.startswith("案卷完好")


def test_check_finds_a_closed_case_close_would_have_refused(jiesu, book):
    """Books an older import wrote such cases into: `check` names each."""
    for summary in ("路灯不亮", "楼上漏水", "重复"):
        jiesu.new(summary, "--received", "2026-11-02T09:00")
    book.execute("UPDATE cases SET status = 'revisited', closed_at = received_at WHERE id = 1")
    book.execute("UPDATE cases SET status = 'closed', nature = 'reasonable', track = 'handle', closed_at = received_at WHERE id = 2")
    book.execute("UPDATE cases SET status = 'merged', merged_into = 2, result = 'resolved' WHERE id = 3")
    problems = jiesu("check").stdout.splitlines()
    assert [line for line in problems if "状态为" in line and "办理记录" not in line] == [
        "#1 状态为已回访，未研判诉求性质（nature）",
        "#1 状态为已回访，没有办结结果（result）",
        "#1 状态为已回访，没有回访记录",
        "#2 状态为已办结，没有办结结果（result）",
        "#3 状态为已合并，却有办结结果（result）",
    ]


def test_check_finds_an_open_case_that_carries_a_closing(jiesu, book):
    """A fresh tester's book: a case 待派单, 办理中 or 挂账整改 with a 办结时间 or a 办结结果 passed `check`."""
    for summary in ("路灯不亮", "楼上漏水", "地下室积水", "重办过"):
        jiesu.new(summary, "--nature", "合理诉求", "--received", "2026-11-02T09:00")
    jiesu.ok("assign", "2", "物业", "--at", "2026-11-02T10:00")
    jiesu.ok("ledger", "add", "3", "--plan", "加装排水泵", "--unit", "物业", "--at", "2026-11-02T10:00")
    jiesu.ok("assign", "4", "物业", "--at", "2026-11-02T10:00")
    jiesu.reopen_twice(4)
    assert jiesu.ok("check").stderr.startswith("案卷完好")  # a reopened case keeps no closing
    book.execute("UPDATE cases SET closed_at = received_at WHERE id = 1")
    book.execute("UPDATE cases SET result = 'resolved' WHERE id = 2")
    book.execute("UPDATE cases SET closed_at = received_at, result = 'unresolved' WHERE id = 3")
    checked = jiesu("check")
    assert checked.exit_code == 1, checked.output
    assert checked.stdout.splitlines() == [
        "#1 状态为待派单，却有办结时间（closed_at）",
        "#2 状态为办理中，却有办结结果（result）",
        "#3 状态为挂账整改，却有办结时间（closed_at）",
        "#3 状态为挂账整改，却有办结结果（result）",
    ]
    assert without_calendar_notes(checked.stderr) == "错误: 发现 4 处问题；请从备份恢复（步骤见 jiesu backup --help），或联系维护人员\n"


@pytest.mark.parametrize(
    "request_, reason",
    [
        ({"status": "closed"}, "Open311 状态为 closed，但没有 updated_datetime（办结时间）"),
        ({"expected_datetime": "2026-11-03T08:00:00+08:00"}, "办理时限 2026-11-03 08:00 早于受理时间 2026-11-03 09:00"),
    ],
)
def test_an_open311_request_is_not_given_times_it_does_not_carry(jiesu, book, tmp_path, request_, reason):
    request = {"service_request_id": "X-1", "status": "open", "service_name": "噪音", "description": "夜间施工扰民", "requested_datetime": RECEIVED}
    (tmp_path / "feed.json").write_text(json.dumps([request | request_], ensure_ascii=False), encoding="utf-8")
    assert refused_rows(jiesu("import", str(tmp_path / "feed.json"), "--format", "open311-json")) == [f"第 1 条：{reason}"]
    assert book.counts() == (0, 0)


@pytest.mark.parametrize("fmt", ["open311-json", "open311-xml"])
def test_an_open311_requests_keys_no_field_takes_are_named_once(jiesu, tmp_path, fmt):
    request = {"service_request_id": "O1", "requested_datetime": "2026-11-10T09:00:00+08:00", "description": "夜间施工",
               "status": "open", "weird": "2", "phone": "13812345678", "zipcode": ""}
    if fmt == "open311-json":
        (tmp_path / "feed").write_text(json.dumps([request, request | {"service_request_id": "O2"}]), encoding="utf-8")
    else:
        leaves = "".join(f"<{k}>{v}</{k}>" for k, v in request.items())
        (tmp_path / "feed").write_text(f"<service_requests><request>{leaves}</request></service_requests>", encoding="utf-8")
    said = jiesu.ok("import", str(tmp_path / "feed"), "--format", fmt, "--dry-run").stderr
    assert said.startswith("未导入的列（jiesu 没有对应的字段）：weird、phone\n"), said  # an empty zipcode is nothing lost


def test_an_empty_file_is_refused_not_read_as_no_rows(jiesu, tmp_path, book):
    """Replayed from a fresh tester: a 0-byte CSV (a failed download) said 读取 0 行 and exited 0."""
    (tmp_path / "空.csv").write_bytes(b"")
    refused(jiesu("import", str(tmp_path / "空.csv")), "文件是空的：没有表头，也没有工单")
    assert book.counts() == (0, 0)


def test_a_txt_export_imports_back_as_the_csv_it_is(jiesu, tmp_path, new_target):
    jiesu.new("楼道灯不亮")
    jiesu.ok("export", "--reveal", "--out", str(tmp_path / "诉求.txt"))
    other = new_target("other")
    assert jiesu.ok("--db", other, "import", str(tmp_path / "诉求.txt")).stderr == "读取 1 行：已导入 1 件，已存在 0 件\n"


def test_a_map_saved_by_a_windows_editor(jiesu, tmp_path):
    path = tmp_path / "map.toml"
    path.write_bytes('\ufeff[columns]\r\n"内容" = "summary"\r\n'.encode("utf-8"))
    (tmp_path / "x.csv").write_text("内容\n楼道灯不亮\n", encoding="utf-8")
    jiesu.ok("import", str(tmp_path / "x.csv"), "--map", str(path))
    path.write_bytes('[columns]\r\n"内容" = "summary"\r\n'.encode("gbk"))
    refused(jiesu("import", str(tmp_path / "x.csv"), "--map", str(path)), f"映射文件 {path} 不是 UTF-8 文字（可能是 GBK 编码）；请存为 UTF-8")


def test_a_time_seconds_ahead_of_now_is_set_against_now_to_the_second(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-11-30T23:59:00+08:00")
    refused(jiesu("new", "x", "--received", "2026-11-30T23:59:59"), "受理时间 2026-11-30 23:59:59 在未来（现在是 2026-11-30 23:59:00）")
