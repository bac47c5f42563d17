"""Which failures are usage errors (exit 2) and which are refusals (exit 1), as the README's table says.

A value typed on the command line that jiesu cannot read — a time, a period, a length, a format —
is a usage error like an unknown option, whichever command reads it and however deep. What a file
holds (import rows, a map, the rules) and what the rules or the book's state refuse stay exit 1.
"""

from __future__ import annotations

import pytest

from conftest import refused

TIME_FORMS = "ISO 日期时间（2026-10-01、2026-10-01T08:30）、today、yesterday、今天、昨天、前天（可加钟点：yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h、+3d"
NOT_A_TIME = f"无法识别的时间 'foo'；可用：{TIME_FORMS}"
NOT_A_RECEIPT = "无法识别的时间 'foo'；可用：ISO 日期时间（2026-10-01T08:30、2026-10-01 08:30）、today/yesterday/今天/昨天/前天 加钟点（yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h"
REVERSED = "--since '2026-12-01' 晚于 --until '2026-11-01'，这段时间是空的；是不是写反了？"
FORMATS = "csv, xlsx, xls, json, jsonl, open311-json, open311-xml"

# Each command line, with one bad value, and the line it is refused with ({dir}: the test's folder).
BAD_VALUES = [
    (["new", "x", "--received", "foo"], NOT_A_RECEIPT),
    (["new", "x", "--received", "昨天下午"], "无法识别的时间 '昨天下午'；可用：ISO 日期时间（2026-10-01T08:30、2026-10-01 08:30）、today/yesterday/今天/昨天/前天 加钟点（yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h"),
    (["new", "x", "--received", "1899-06-01"], "时间 '1899-06-01' 的年份 1899 超出 1900–2100"),
    (["new", "x", "--received", "1986-05-04T02:30"], "时间 '1986-05-04T02:30' 在 Asia/Shanghai 不存在（夏令时拨快时跳过的钟点）"),
    # A filter that shows nothing (`--assignee "$UNIT"` with $UNIT unset) matched every case: a fresh tester's cron
    # line would have handed one unit the whole office's list.
    (["list", "--assignee", ""], "--assignee 无效：'' 是空白，没有要筛选的内容；要列出全部请不写 --assignee"),
    (["list", "--community", " "], "--community 无效：' ' 是空白，没有要筛选的内容；要列出全部请不写 --community"),
    (["list", "--category", ""], "--category 无效：'' 是空白，没有要筛选的内容；要列出全部请不写 --category"),
    (["todo", "--assignee", "\u200b"], "--assignee 无效：'<U+200B>' 是空白，没有要筛选的内容；要列出全部请不写 --assignee"),
    (["ledger", "list", "--unit", ""], "--unit 无效：'' 是空白，没有要筛选的内容；要列出全部请不写 --unit"),
    (["list", "--since", "foo"], NOT_A_TIME),
    (["list", "--since", "-999999w"], "时间 '-999999w' 超出 1900–2100"),
    (["list", "--until", "foo"], NOT_A_TIME),
    (["list", "--as-of", "foo"], NOT_A_TIME),
    (["note", "1", "备注", "--at", "foo"], NOT_A_TIME),
    (["classify", "1", "reasonable", "--at", "foo"], NOT_A_TIME),
    (["assign", "1", "物业", "--at", "foo"], NOT_A_TIME),
    (["return", "1", "--reason", "不归我管", "--at", "foo"], NOT_A_TIME),
    (["contact", "1", "--at", "foo"], NOT_A_TIME),
    (["visit", "1", "--note", "上门", "--at", "foo"], NOT_A_TIME),
    (["escalate", "1", "--reason", "协调", "--at", "foo"], NOT_A_TIME),
    (["extend", "1", "--to", "foo", "--reason", "等配件"], NOT_A_TIME),
    (["extend", "1", "--to", "2026-12-20", "--reason", "等配件", "--at", "foo"], NOT_A_TIME),
    (["close", "1", "--result", "resolved", "--note", "已修", "--at", "foo"], NOT_A_TIME),
    (["revisit", "1", "--satisfaction", "satisfied", "--resolved", "yes", "--at", "foo"], NOT_A_TIME),
    (["reopen", "1", "--reason", "又坏了", "--at", "foo"], NOT_A_TIME),
    (["merge", "2", "--into", "1", "--at", "foo"], NOT_A_TIME),
    (["edit", "1", "--received", "foo"], NOT_A_RECEIPT),
    (["ledger", "add", "1", "--plan", "更换", "--unit", "城管科", "--due", "foo"], NOT_A_TIME),
    (["ledger", "add", "1", "--plan", "更换", "--unit", "城管科", "--at", "foo"], NOT_A_TIME),
    (["ledger", "clear", "1", "--evidence", "已换", "--at", "foo"], NOT_A_TIME),
    (["ledger", "edit", "1", "--due", "foo", "--reason", "录错"], NOT_A_TIME),
    (["ledger", "edit", "1", "--due", "2027-02-28", "--reason", "录错", "--at", "foo"], NOT_A_TIME),
    (["ledger", "list", "--period", "2026-13"], "'2026-13' 不是期间；应写作 YYYY-MM，如 2026-10"),
    (["ledger", "roll", "2026-13"], "'2026-13' 不是期间；应写作 YYYY-MM，如 2026-10"),
    (["ledger", "export", "--period", "1899-01"], "期间 1899-01 的年份 1899 超出 1900–2100"),
    (["ledger", "export", "--format", "ods"], "未知的导出格式 'ods'；可选：csv, xlsx, json"),
    # a date no calendar has says so (a fresh tester: "cannot read it" sent one looking for another form)
    (["report", "daily", "--date", "2026-02-30"], "时间 '2026-02-30' 的日期不存在：2026 年 2 月只有 28 天"),
    (["list", "--since", "2026-13-01"], "时间 '2026-13-01' 的日期不存在：一年只有 12 个月"),
    (["list", "--since", "0000-01-01"], "时间 '0000-01-01' 的日期不存在：没有公元 0 年"),
    # written as people write a date, too: one pattern reads it and says why it is refused
    (["list", "--until", "2026年2月30日"], "时间 '2026年2月30日' 的日期不存在：2026 年 2 月只有 28 天"),
    (["report", "daily", "--date", "2026.4.31 9:00"], "时间 '2026.4.31 9:00' 的日期不存在：2026 年 4 月只有 30 天"),
    (["new", "x", "--received", "2026/4/31 09:00"], "时间 '2026/4/31 09:00' 的日期不存在：2026 年 4 月只有 30 天"),
    (["report", "monthly", "--period", "2026-13"], "'2026-13' 不是期间；应写作 YYYY-MM，如 2026-10"),
    (["hotspots", "--as-of", "foo"], NOT_A_TIME),
    (["todo", "--within", "foo"], "'foo' 不是时长；应写作 30m、2h、1d、1w，2 hours、1 day，或 30分钟、2小时、1天、1周"),
    # a fresh tester: a summary that starts with a minus (a basement floor) was only `没有 -3 这个选项`
    (["new", "-3层车库漏水", "-q"], "没有 -3 这个选项；以 - 开头的文字请写在 -- 之后（其余参数和选项都写在 -- 之前）：jiesu new … -- '-3层车库漏水'"),
    # a note that starts with a dash and a space (`- 见附件`) was `没有 -  这个选项`, with no word of `--`; after two
    # dashes (`-- 见附件`) nothing said how to write it
    (["note", "1", "- 见附件"], "没有 - 这个选项；以 - 开头的文字请写在 -- 之后（其余参数和选项都写在 -- 之前）：jiesu note … -- '- 见附件'"),
    (["note", "1", "-- 见附件"], "没有 -- 见附件 这个选项；以 - 开头的文字请写在 -- 之后（其余参数和选项都写在 -- 之前）：jiesu note … -- '-- 见附件'"),
    (["note", "1", "--见附件"], "没有 --见附件 这个选项；以 - 开头的文字请写在 -- 之后（其余参数和选项都写在 -- 之前）：jiesu note … -- '--见附件'"),
    (["note", "1", "--zzz"], "没有 --zzz 这个选项（jiesu note --help 看用法）"),
    # a fresh tester: `show -1` was told to write `jiesu show … -- '-1'`, which is refused too: no text goes there
    (["show", "-1"], "'-1' 不是诉求编号：诉求编号是正整数，如 42 或 #42"),
    (["note", "--at", "now", "-1", "x"], "'-1' 不是诉求编号：诉求编号是正整数，如 42 或 #42"),
    (["ledger", "clear", "-3", "--evidence", "x"], "'-3' 不是台账编号：台账编号是正整数，如 3 或 台账3"),
    (["note", "1", "-5"], "没有 -5 这个选项；以 - 开头的文字请写在 -- 之后（其余参数和选项都写在 -- 之前）：jiesu note … -- '-5'"),
    (["new", "x", "-z"], "没有 -z 这个选项（jiesu new --help 看用法）"),
    # a fresh tester: `1M` (a month to many) was read as 1 minute, as `2H` is 2 hours
    (["todo", "--within", "1M"], "'1M' 的 M 不明确：分钟请写小写 m（如 30m），一个月请写天数（如 30d）"),
    (["list", "--since", "-1M"], "'-1M' 的 M 不明确：分钟请写小写 m（如 30m），一个月请写天数（如 30d）"),
    (["purge", "--closed-before", "foo"], NOT_A_TIME),
    (["export", "--format", "foo"], "未知的导出格式 'foo'；可选：csv, xlsx, json, jsonl, open311-json, open311-xml"),
    (["export", "--since", "foo"], NOT_A_TIME),
    (["export", "--until", "foo"], NOT_A_TIME),
    (["export", "--out", "{dir}/诉求.md"], "{dir}/诉求.md：没有 .md 格式的导出；文件名用 .csv、.txt、.xlsx、.json、.jsonl、.xml 之一，或用 --format 指定格式"),
    (["export", "--format", "xlsx"], "xlsx 是二进制文件，请用 --out 指定文件名（如 --out 导出.xlsx）"),
    (["import", "{dir}/工单.csv", "--format", "foo"], f"未知的导入格式 'foo'；可选：{FORMATS}"),
    (["import", "{dir}/没有这个文件.csv", "--format", "foo"], f"未知的导入格式 'foo'；可选：{FORMATS}"),
    (["import", "{dir}/工单.dat"], f"无法从文件名 {{dir}}/工单.dat 判断格式；请用 --format 指定：{FORMATS}"),
    (["import", "-"], "从标准输入导入时请用 --format 指定格式"),
    (["import", "{dir}/工单.csv", "--sheet", "十一月"], "--sheet 只用于 Excel 工作簿（.xlsx、.xls）"),
    (["import", "{dir}/工单.csv", "--at", "foo"], NOT_A_RECEIPT),
    (["import", "{dir}/工单.csv", "--map", "{dir}/没有这个映射.toml", "--at", "foo"], NOT_A_RECEIPT),
    (["completion", "fish"], "不支持 'fish'；可选：bash, zsh"),
    # a fresh tester: `jiesu shell 补录.txt` was only 多余的参数; a script comes on stdin
    (["shell", "补录.txt"], "多余的参数：补录.txt；脚本请从标准输入给：jiesu shell < 补录.txt"),
    # A fresh tester: `new "…" --phone 12345` exited 1, as for a refusal, where every other bad value typed is a usage error.
    (["new", "x", "--phone", "12345"], "--phone 无效：不是有效的中国电话号码：'12345'（手机如 13812345678，座机如 010-65123456）"),
    (["new", "x", "--phone", "+1 415 555 0100"], "--phone 无效：不是有效的中国电话号码：'+1 415 555 0100'（手机如 13812345678，座机如 010-65123456）"),
    (["edit", "1", "--phone", "12345"], "--phone 无效：不是有效的中国电话号码：'12345'（手机如 13812345678，座机如 010-65123456）"),
    # The hotline's own number, or a bank's, after an area code: a service number, not a caller's (it was masked 010****2345).
    (["new", "x", "--phone", "010-12345"], "--phone 无效：不是有效的中国电话号码：'010-12345'（手机如 13812345678，座机如 010-65123456）"),
    (["new", "x", "--phone", "021-95555"], "--phone 无效：不是有效的中国电话号码：'021-95555'（手机如 13812345678，座机如 010-65123456）"),
    # An extension after a number that is none: the refusal repeats all that was typed, not the number alone.
    (["new", "x", "--phone", "12345转8001"], "--phone 无效：不是有效的中国电话号码：'12345转8001'（手机如 13812345678，座机如 010-65123456）"),
    # A number with words around it was stored as the number alone (phonenumbers picks it out of text).
    (["new", "x", "--phone", "编号13812345678"], "--phone 无效：不是有效的中国电话号码：'编号13812345678'（手机如 13812345678，座机如 010-65123456）"),
    (["new", "x", "--phone", "tel:010-65123456"], "--phone 无效：不是有效的中国电话号码：'tel:010-65123456'（手机如 13812345678，座机如 010-65123456）"),
    # A cron line's `--date "$DAY"` with $DAY unset: an empty value is refused, never read as the option left out.
    (["report", "daily", "--date", ""], f"无法识别的时间 ''；可用：{TIME_FORMS}"),
    (["report", "monthly", "--period", ""], "'' 不是期间；应写作 YYYY-MM，如 2026-10"),
    (["ledger", "list", "--period", ""], "'' 不是期间；应写作 YYYY-MM，如 2026-10"),
    (["ledger", "export", "--period", ""], "'' 不是期间；应写作 YYYY-MM，如 2026-10"),
    (["import", "{dir}/工单.csv", "--format", ""], f"未知的导入格式 ''；可选：{FORMATS}"),
    # A fresh tester: a length too long was said to be no length at all; a time counted back too far, no time.
    (["todo", "--within", "99999999d"], "时长 '99999999d' 太长：最多 36500 天（36500d）"),
    (["todo", "--within", "9999w"], "时长 '9999w' 太长：最多 36500 天（36500d）"),
    (["list", "--since", "-99999999d"], "时间 '-99999999d' 超出 1900–2100"),
    # A fresh tester: `note 1 ''` exited 1, as for a refusal; a text a step cannot go without, left blank, is no
    # value any book could take, whichever command it is typed for.
    (["note", "1", ""], "备注不能为空"),
    (["note", "1", "  "], "备注不能为空"),
    (["new", ""], "诉求摘要不能为空"),
    (["edit", "1", "--summary", "  "], "诉求摘要不能为空"),
    # A fresh tester: `new -` filed a case whose summary was `-`, `note 1 -` a note `-`: on the command line `-`
    # clears a field (edit), so it is no text.
    (["new", "-"], "诉求摘要不能为空（- 在命令行上表示清除）；请写出诉求摘要的内容"),
    (["new", " － "], "诉求摘要不能为空（- 在命令行上表示清除）；请写出诉求摘要的内容"),
    (["note", "1", "-"], "备注不能为空（- 在命令行上表示清除）；请写出备注的内容"),
    (["assign", "1", " "], "派单对象不能为空"),
    # A fresh tester: `assign 3 -`, `visit 3 --note -`, `ledger add 3 --plan - --unit -` and `ledger edit 台账1 --plan -`
    # stored the text `-` (a 责任单位 called `-` on the 台账 handed up to the street), and `ledger clear 1 --evidence -`
    # cleared an entry with no result: every text a step cannot go without takes `-`, or dashes only, as no text.
    (["assign", "1", "-"], "派单对象不能为空（- 在命令行上表示清除）；请写出派单对象的内容"),
    (["assign", "1", "——"], "派单对象不能为空（- 在命令行上表示清除）；请写出派单对象的内容"),
    (["visit", "1", "--note", "-"], "上门记录不能为空（- 在命令行上表示清除）；请写出上门记录的内容"),
    (["return", "1", "--reason", "－"], "退单理由不能为空（- 在命令行上表示清除）；请写出退单理由的内容"),
    (["escalate", "1", "--reason", " - "], "升级理由不能为空（- 在命令行上表示清除）；请写出升级理由的内容"),
    (["extend", "1", "--to", "2026-12-20", "--reason", "-"], "延期理由不能为空（- 在命令行上表示清除）；请写出延期理由的内容"),
    (["close", "1", "--result", "resolved", "--note", "—"], "办结说明不能为空（- 在命令行上表示清除）；请写出办结说明的内容"),
    (["reopen", "1", "--reason", "-"], "重办理由不能为空（- 在命令行上表示清除）；请写出重办理由的内容"),
    (["ledger", "add", "1", "--plan", "-", "--unit", "-"], "整改措施不能为空（- 在命令行上表示清除）；请写出整改措施的内容"),
    (["ledger", "add", "1", "--plan", "更换", "--unit", "-"], "责任单位不能为空（- 在命令行上表示清除）；请写出责任单位的内容"),
    (["ledger", "edit", "台账1", "--plan", "-", "--reason", "录错"], "整改措施不能为空（- 在命令行上表示清除）；请写出整改措施的内容"),
    (["ledger", "edit", "1", "--unit", "城管科", "--reason", "-"], "更正理由不能为空（- 在命令行上表示清除）；请写出更正理由的内容"),
    (["ledger", "clear", "1", "--evidence", "-"], "台账 1 没有整改结果，不能销账（不整改完不销账）；请用 --evidence 写明整改结果"),
    (["return", "1", "--reason", ""], "退单理由不能为空"),
    (["visit", "1", "--note", ""], "上门记录不能为空"),
    (["escalate", "1", "--reason", ""], "升级理由不能为空"),
    (["extend", "1", "--to", "2026-12-20", "--reason", ""], "延期理由不能为空"),
    (["close", "1", "--result", "resolved", "--note", ""], "办结说明不能为空"),
    (["reopen", "1", "--reason", ""], "重办理由不能为空"),
    (["ledger", "add", "1", "--plan", "", "--unit", "城管科"], "整改措施不能为空"),
    (["ledger", "add", "1", "--plan", "更换", "--unit", " "], "责任单位不能为空"),
    (["ledger", "edit", "1", "--unit", " ", "--reason", "录错"], "责任单位不能为空"),
    (["ledger", "edit", "1", "--due", "2027-02-28", "--reason", ""], "更正理由不能为空"),
    # An empty count (`--limit "$N"` with $N unset) gave an IndexError traceback once counts took full-width digits.
    (["list", "--limit", ""], "--limit 无效：'' 应为整数"),
    (["ledger", "clear", ""], "台账编号 无效：'' 不是台账编号（应为 3 或 台账3）"),
    (["ledger", "clear", "1", "--evidence", ""], "台账 1 没有整改结果，不能销账（不整改完不销账）；请用 --evidence 写明整改结果"),
    # Tester 18: evidence of one zero-width space cleared the entry (不整改完不销账 bypassed).
    (["ledger", "clear", "1", "--evidence", "\u200b"], "台账 1 没有整改结果，不能销账（不整改完不销账）；请用 --evidence 写明整改结果"),
    (["close", "1", "--result", "resolved", "--note", "\u202e"], "办结说明不能为空"),
    (["classify", "1", "待研判"], "研判不能定为待研判（受理时的状态，不是研判结论），只能定为合理诉求、不合理诉求、咨询建议；研判有误请改研判为另一性质"),
    # A fresh tester: a range that ends before it starts listed nothing, without a word.
    (["list", "--since", "2026-12-01", "--until", "2026-11-01"], REVERSED),
    (["export", "--since", "2026-12-01", "--until", "2026-11-01", "--out", "{dir}/诉求.csv"], REVERSED),
    (["list", "--all", "--since", "昨天 18:00", "--until", "昨天 9:00"], "--since '昨天 18:00' 晚于 --until '昨天 9:00'，这段时间是空的；是不是写反了？"),
]


@pytest.fixture
def two_cases(jiesu, tmp_path) -> None:
    """Two cases (#1, #2) and an importable sheet, so that only the bad value can be what is refused."""
    jiesu.new("楼道灯不亮", "--received", "2026-11-20T09:00")
    jiesu.new("楼道灯还是不亮", "--received", "2026-11-20T10:00")
    (tmp_path / "工单.csv").write_text("summary,received_at\n路灯不亮,2026-11-21T09:00:00+08:00\n", encoding="utf-8")
    (tmp_path / "工单.dat").write_text("summary\n路灯不亮\n", encoding="utf-8")


@pytest.mark.parametrize(("args", "line"), BAD_VALUES, ids=[" ".join(args) for args, _ in BAD_VALUES])
def test_a_value_the_command_line_cannot_mean_is_a_usage_error_and_changes_nothing(jiesu, book, tmp_path, two_cases, args, line):
    before = book.fingerprint()
    files = sorted(tmp_path.iterdir())
    refused(jiesu(*[a.format(dir=tmp_path) for a in args]), line.format(dir=tmp_path), code=2)
    assert book.fingerprint() == before
    assert sorted(tmp_path.iterdir()) == files


# What a file holds, and what the rules or the book refuse, though every option is well formed.
REFUSALS = [
    (["import", "{dir}/工单.csv", "--map", "{dir}/坏映射.toml"], None),
    (["import", "{dir}/工单.csv", "--map", "{dir}/没有这个映射.toml"], None),
    (["--rules", "{dir}/坏规则.toml", "list"], None),
    (["list", "--as-of", "2030-01-01"], "2030-01-01 00:00 还没有到，只能查看过去或现在"),
    (["report", "daily", "--date", "2030-01-01"], "2030-01-01 还没有到，不能出日报"),
    (["report", "monthly", "--period", "2099-01"], "2099-01 还没有到，不能出月报"),
    (["ledger", "roll", "2026-12"], "2026-12 还没有过完，不能结转；2027-01-01 起才能结转"),
    (["assign", "1", "物业", "--at", "2026-11-01T09:00"], "#1 的时间 2026-11-01 09:00 早于受理时间 2026-11-20 09:00"),
    (["show", "99"], None),
]


@pytest.mark.parametrize(("args", "line"), REFUSALS, ids=[" ".join(args) for args, _ in REFUSALS])
def test_what_a_file_holds_or_the_rules_refuse_stays_exit_1(jiesu, book, tmp_path, two_cases, args, line):
    (tmp_path / "坏映射.toml").write_text("这不是 TOML\n", encoding="utf-8")
    (tmp_path / "坏规则.toml").write_text('timezone = "Mars/Olympus"\n', encoding="utf-8")
    before = book.fingerprint()
    refused(jiesu(*[a.format(dir=tmp_path) for a in args]), line and line.format(dir=tmp_path), code=1)
    assert book.fingerprint() == before


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("foo", "received_at 不是有效时间："),
        ("1899-06-01T09:00:00+08:00", "received_at 的年份 1899 超出 1900–2100"),
        ("1986-05-04T02:30:00", "received_at 在 Asia/Shanghai 不存在（夏令时拨快时跳过的钟点）"),
    ],
)
def test_a_time_in_an_imported_row_stays_a_refused_row_exit_1(jiesu, book, tmp_path, cell, reason):
    """The times a file holds are not typed on the command line: the row is refused, the import exits 1."""
    (tmp_path / "行.csv").write_text(f"summary,received_at\n路灯不亮,{cell}\n", encoding="utf-8")
    result = jiesu("import", str(tmp_path / "行.csv"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    row, summary = result.stderr.splitlines()
    assert row.startswith(f"第 2 行：{reason}")
    assert summary == "错误: 1 行有问题，未导入任何诉求；改正后重试，或用 --skip-bad 只导入没有问题的行"
    assert book.counts() == (0, 0)


def test_a_phone_in_an_imported_row_stays_a_refused_row_exit_1(jiesu, book, tmp_path):
    """`--phone 12345` is a usage error (exit 2); the same number in a file is that row's fault, read by the same check."""
    (tmp_path / "行.csv").write_text("summary,phone\n路灯不亮,12345\n", encoding="utf-8")
    result = jiesu("import", str(tmp_path / "行.csv"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[0] == "第 2 行：不是有效的中国电话号码：'12345'（手机如 13812345678，座机如 010-65123456）"
    assert book.counts() == (0, 0)


@pytest.mark.parametrize(
    "now, line",
    [
        ("2026-12-01T09:30", "JIESU_NOW='2026-12-01T09:30' 缺少时区（例：2026-12-01T09:30+08:00）"),
        ("明天", "JIESU_NOW='明天' 不是 ISO 时间（例：2026-12-01T09:30+08:00）"),
    ],
)
def test_a_bad_jiesu_now_is_a_usage_error(jiesu, book, monkeypatch, now, line):
    # A fresh tester: it exited 1 (refused, a script may retry) where JIESU_SERVER=offf exits 2.
    jiesu.new("楼道灯不亮")
    before = book.fingerprint()
    monkeypatch.setenv("JIESU_NOW", now)
    refused(jiesu("list"), line, code=2)
    refused(jiesu("new", "又一件"), line, code=2)
    assert book.fingerprint() == before


def test_jiesu_now_at_24_00_is_the_next_day_s_first_instant(jiesu, monkeypatch):
    """As jiesu writes a deadline (`2026-12-01 24:00`) and reads it typed: a fresh tester had it refused."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T24:00+08:00")
    jiesu.new("楼道灯不亮")
    assert jiesu.json("show", "1")["received_at"] == jiesu.json("show", "1")["events"][0]["at"]
    assert jiesu.json("show", "1")["received_at"].startswith("2026-12-02T00:00")
