"""Filing, finding and showing cases through the real CLI (issue: the case book)."""

from __future__ import annotations

import unicodedata

import pytest

from conftest import refused
from jiesu.safetext import columns


def test_new_files_a_case_and_its_filed_event(jiesu, book):
    result = jiesu.ok(
        "new", "楼上漏水", "--phone", "13812345678", "--name", "王大爷", "--address", "前门东大街1号",
        "--community", "前门社区", "--category", "物业管理/漏水", "--channel", "来访", "--urgency", "normal",
        "--nature", "合理诉求", "--kind", "complaint", "--ref", "BJ12345-001", "--received", "2026-11-02T09:30",
        "--detail", "卫生间顶部滴水",
    )
    assert result.stderr.startswith("已受理 #1（待派单，办理时限 ")
    case = jiesu.json("show", "1")
    assert case["summary"] == "楼上漏水"
    assert case["phone"] == "138****5678"
    assert case["name"] == "王大爷"
    assert case["channel"] == "walkin"
    assert case["nature"] == "reasonable"
    assert case["track"] == "handle"
    assert case["kind"] == "complaint"
    assert case["ref"] == "BJ12345-001"
    assert case["received_at"] == "2026-11-02T09:30:00+08:00"
    assert case["status"] == "new"
    assert case["level"] == "community"
    assert case["tier"] == "general"
    assert case["detail"] == "卫生间顶部滴水"
    assert [e["kind"] for e in case["events"]] == ["filed"]
    assert case["events"][0]["actor"] == "测试员"
    assert book.counts() == (1, 1)


def test_new_quiet_prints_the_bare_id(jiesu):
    assert jiesu.ok("new", "一", "-q").stdout == "1\n"
    assert jiesu.ok("new", "二", "--quiet").stdout == "2\n"


def test_a_call_filed_twice_is_pointed_at_and_merged_as_advised(jiesu, book):
    """A fresh tester filed the same call twice (same phone, --received and summary): two cases, no word of it,
    where an import of the same rows says 已存在. The second is filed, and the line says how to fold it in."""
    call = ("楼道灯坏", "--phone", "13812345678", "--received", "2026-12-01 09:00")
    assert jiesu.new(*call) == 1
    second = jiesu.ok("new", *call, "-q")
    assert second.stdout == "2\n"  # a script still reads the bare id
    advice = "注意：#2 与 #1 的受理时间、电话、摘要、地址都相同，像是同一来电记了两次；若是，请 jiesu merge 2 --into 1"
    assert advice in second.stderr
    jiesu.ok(*advice.split("请 ", 1)[1].split()[1:])  # the merge as printed
    assert jiesu.json("show", "2")["status"] == "merged"
    # Another minute, phone or summary is another call; without a typed --received, `now` is no evidence.
    for other in (("--received", "2026-12-01 09:01"), ("--phone", "13812345679"), ("--address", "3号楼")):
        changed = dict(zip(call[1::2], call[2::2])) | dict([other])
        assert "注意" not in jiesu.ok("new", call[0], *[w for pair in changed.items() for w in pair]).stderr
    jiesu.ok("new", "违建")
    assert "注意" not in jiesu.ok("new", "违建").stderr


def test_landline_is_accepted_and_masked_unless_revealed(jiesu):
    case_id = jiesu.new("噪音扰民", "--phone", "010-65123456")
    assert jiesu.json("show", case_id)["phone"] == "010****3456"
    assert jiesu.json("show", case_id, "--reveal")["phone"] == "01065123456"


@pytest.mark.parametrize(
    "args, message",
    [
        (["x", "--received", "+3d"], None),
    ],
)
def test_new_refuses_bad_input_and_writes_nothing(jiesu, book, args, message):
    jiesu.new("先有一件")
    before = book.counts()
    line = refused(jiesu("new", *args), message)
    assert book.counts() == before
    assert line


@pytest.mark.parametrize(
    "args, message",
    [
        (["--nature", "很合理"], "--nature 无效：未知的诉求性质 '很合理'；可选："),
        (["--channel", "fax"], "--channel 无效：未知的受理渠道 'fax'；可选："),
        (["--urgency", "特急"], "--urgency 无效：未知的紧急程度 '特急'；可选："),
        # An input method's wide space between option and value (fresh tester 48) made one unknown word of them
        (["--community\u3000前门社区"], "选项和取值之间是全角空格，连成了一个词；请用半角空格隔开：--community 前门社区"),
    ],
)
def test_a_word_an_option_does_not_know_is_a_usage_error(jiesu, book, args, message):
    jiesu.new("先有一件")
    before = book.counts()
    assert refused(jiesu("new", "x", *args), code=2).startswith(f"错误: {message}")
    assert book.counts() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["close", "1", "--result", "已解释", "--note", "说明"], "--result 无效：未知的办理结果 '已解释'；您是不是要 已解释说明？可选："),
        (["classify", "1", "不合理"], "诉求性质 无效：未知的诉求性质 '不合理'；您是不是要 不合理诉求？可选："),
        (["list", "--status", "asigned"], "--status 无效：未知的状态 'asigned'；您是不是要 assigned？可选："),
        (["list", "--level", "区县"], "--level 无效：未知的层级 '区县'；您是不是要 区？可选："),
        (["export", "--format", "jsnol"], "未知的导出格式 'jsnol'；您是不是要 jsonl？可选："),
        (["list", "--nature", "合理"], "--nature 无效：未知的诉求性质 '合理'；您是不是要 合理诉求？可选："),
        # equally near both: tester 42, closing a consultation, was offered only 已解决, which its case refuses
        (["close", "1", "--result", "已解答"], "--result 无效：未知的办理结果 '已解答'；您是不是要 已解决 或 已答复？可选："),
        # a word beginning a label, though another label holds it too: 合理诉求, not 不合理诉求
        (["classify", "1", "合理"], "诉求性质 无效：未知的诉求性质 '合理'；您是不是要 合理诉求？可选："),
        # the hotline's number, which only its label spells: offered as the value, in the script it was typed in
        (["new", "x", "--channel", "12345"], "--channel 无效：未知的受理渠道 '12345'；您是不是要 hotline？可选："),
        (["new", "x", "--channel", "热线"], "--channel 无效：未知的受理渠道 '热线'；您是不是要 12345热线？可选："),
    ],
)
def test_a_word_near_a_choice_is_refused_with_the_choice_it_likely_meant(jiesu, book, args, message):
    """A fresh tester: commands and options got `您是不是要 list？`, but `--result 已解释` and `classify 4 不合理` only
    the list of choices."""
    jiesu.new("先有一件")
    before = book.fingerprint()
    assert refused(jiesu(*args), code=2).startswith(f"错误: {message}")
    assert book.fingerprint() == before


@pytest.mark.parametrize(
    ("args", "meant"),
    [
        (["edit", "1", "--address", "前门东大街9号", "--reason", "地址录错"], "--note"),  # was --ref: the reason became the work order
        (["edit", "1", "--remark", "x"], "--note"),
        (["edit", "1", "--reasons", "x"], "--note"),
        (["close", "1", "--reason", "x"], "--note"),
        (["return", "1", "--note", "y"], "--reason"),
        (["ledger", "clear", "1", "--note", "x"], "--evidence"),
        (["ledger", "add", "1", "--plan", "换", "--unit", "城管科", "--to", "2027-01-01"], "--due"),
        (["escalate", "1", "--level", "街道"], "--to"),
        (["extend", "1", "--due", "2027-01-01"], "--to"),
        (["list", "--unit", "前门物业"], "--assignee"),
        (["ledger", "list", "--assignee", "城管科"], "--unit"),
        (["list", "--assigne", "x"], "--assignee"),  # a near spelling still
        (["list", "--channel", "12345"], None),  # was --help
        # tester 44: `list --due` was offered --until, a bound on receipt times; `ledger clear --reason` the
        # --evidence already on the line; `assign --单位` told to write it as text, which then became the assignee
        (["list", "--due", "2026-12-05"], None),
        (["ledger", "clear", "1", "--evidence", "已更换", "--reason", "快点"], None),
        (["assign", "1", "--单位", "新单位"], None),
        # tester 45: `copy --due` was offered --to, a path, and the book was copied to a file named 2026-12-20;
        # `list --to` --level; `escalate --due` --to, a level
        (["copy", "--due", "2026-12-20"], None),
        (["list", "--to", "2026-12-01"], None),
        (["escalate", "1", "--reason", "协调", "--due", "2026-12-20"], None),
        (["escalate", "1", "--reason", "协调", "--level", "街道"], "--to"),
    ],
)
def test_an_unknown_option_is_offered_the_option_its_command_says_it_with(jiesu, book, args, meant):
    """Tester 43: `edit --reason` was offered `--ref`, and followed, the reason became the case's 工单编号;
    `close --reason` got `--result`, `ledger clear --note` `--at`, `list --channel` `--help`."""
    jiesu.new("先有一件")
    before = book.fingerprint()
    line = refused(jiesu(*args), code=2)
    assert line.startswith(f"错误: 没有 {args[-2]} 这个选项") and (f"；您是不是要 {meant}？" in line if meant else "您是不是要" not in line), line
    assert book.fingerprint() == before


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # a fresh tester: `hotspots --mine` was offered `--min`, which takes a number; `--mine` is a flag of todo's
        (["hotspots", "--mine"], "没有 --mine 这个选项（jiesu hotspots --help 看用法）"),
        (["todo", "--min", "3"], "没有 --min 这个选项（jiesu todo --help 看用法）"),  # hotspots' number is no --mine
        (["hotspots", "--mn", "3"], "没有 --mn 这个选项；您是不是要 --min？"),  # a word no command has: a typo, as before
        (["todo", "--mien"], "没有 --mien 这个选项；您是不是要 --mine？"),
    ],
)
def test_an_option_of_another_command_is_offered_only_an_option_of_its_kind(jiesu, book, args, said):
    before = book.fingerprint()
    refused(jiesu(*args), said, code=2)
    assert book.fingerprint() == before


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["ledger", "clear", "1", "--evidence", "已更换主管道", "--evidence", "诉求人要求快点"], "--evidence 写了两次"),
        (["assign", "1", "城管科", "--note", "第一", "--note=第二"], "--note 写了两次"),
        (["close", "1", "--result", "resolved", "--note", "好", "--at", "-1h", "--at", "-2h"], "--at 写了两次"),
        (["list", "-f", "ids", "--format", "json"], "-f 和 --format 是同一个选项，写了两次"),
        # tester 45: written together, short ones were let through, and so were the global options
        (["list", "-fjson", "-f", "ids"], "-f 写了两次"),
        (["list", "-af", "ids", "-f", "json"], "-f 写了两次"),
        (["new", "x", "-qq"], "-q 写了两次"),
        (["--actor", "甲", "--actor", "乙", "note", "1", "x"], "--actor 写了两次"),
    ],
)
def test_an_option_given_twice_is_refused_not_its_first_value_dropped(jiesu, book, args, said):
    """Tester 44: `ledger clear 1 --evidence 已更换主管道 --evidence 诉求人要求快点` kept only the second evidence."""
    jiesu.new("管道", "--nature", "合理诉求", "--channel", "desk", "--received", "-2d")
    jiesu.ok("ledger", "add", "1", "--plan", "换管", "--unit", "城管科")
    before = book.fingerprint()
    assert refused(jiesu(*args), code=2) == f"错误: {said}；一个选项只能写一次，后写的会替换先写的，请删去多余的一个"
    assert book.fingerprint() == before
    refused(jiesu("contact", "1", "--note", "--at", "-1h"), "--note 后面缺少取值：--at 是选项；以 - 开头的文字请写成 --note=--at", code=2)
    assert book.fingerprint() == before
    jiesu.ok("note", "1", "--", "--note")  # after `--` a word is text, an option's name too
    assert jiesu.json("show", "1")["events"][-1]["note"] == "--note"


DASHES_SAID = "不是选项：选项要用两个半角减号，写作"


@pytest.mark.parametrize(
    ("args", "typed", "meant"),
    [
        # as a Chinese input method or a word processor writes `--`: taken as a text or an extra argument, no hint
        (["list", "—assignee", "物业"], "—assignee", "--assignee"),
        (["list", "——assignee", "物业"], "——assignee", "--assignee"),
        (["list", "–assignee=物业"], "–assignee", "--assignee"),
        (["list", "－－assignee", "物业"], "－－assignee", "--assignee"),
        (["list", "——ａｓｓｉｇｎｅｅ", "物业"], "——ａｓｓｉｇｎｅｅ", "--assignee"),
        (["new", "楼道灯不亮", "—community", "前门社区"], "—community", "--community"),
        (["note", "1", "已联系", "——at", "-1h"], "——at", "--at"),
        (["—actor", "甲", "list"], "—actor", "--actor"),  # a global option before the command
    ],
)
def test_an_option_written_with_input_method_dashes_is_refused_saying_how_to_write_it(jiesu, book, args, typed, meant):
    jiesu.new("先有一件")
    before = book.fingerprint()
    refused(jiesu(*args), f"'{typed}' {DASHES_SAID} {meant}", code=2)
    assert book.fingerprint() == before


def test_a_text_that_starts_with_a_dash_is_still_a_text(jiesu, book):
    """Only a dash run followed by one of the command's options is refused: a summary, a note, or any word
    after `--` that starts with a dash is text, as before."""
    case_id = jiesu.new("—楼道灯不亮")
    jiesu.ok("note", case_id, "——见附件")
    jiesu.ok("note", case_id, "--", "—assignee")
    jiesu.ok("note", case_id, "－－ -q")
    assert [event["note"] for event in jiesu.json("show", case_id)["events"][1:]] == ["——见附件", "—assignee", "－－ -q"]
    assert jiesu.json("show", case_id)["summary"] == "—楼道灯不亮"
    before = book.fingerprint()
    line = "'—at' 不是选项：选项要用两个半角减号，写作 --at；若是 --note 的文字，请写成 --note=—at"
    refused(jiesu("contact", case_id, "--note", "—at", "-1h"), line, code=2)  # a value forgotten, as `--note --at` is
    assert book.fingerprint() == before


def test_duplicate_ref_is_refused(jiesu, book):
    jiesu.new("第一次", "--ref", "A-1")
    refused(jiesu("new", "第二次", "--ref", "A-1"), "工单编号 A-1 已用于 #1")
    assert book.counts() == (1, 1)


OWN_ID_REF = "是 Open311 导出给无编号诉求的写法（jiesu-案卷编号），导回时会被读作案卷编号；请换一个编号"


# A fresh tester: `JIESU-8` and `ｊｉｅｓｕ－７` were taken where `jiesu-7` was refused, though refs compare folded.
@pytest.mark.parametrize("ref", ["jiesu-7", "'jiesu-7", "jiesu-０７", "JIESU-7", "ｊｉｅｓｕ－７", "Jiesu-7 "])
def test_a_ref_written_as_open311_writes_a_case_without_one_is_refused(jiesu, book, ref):
    """A fresh tester: `--ref jiesu-7` came back from an Open311 export as the id 7, not as a ref."""
    case_id = jiesu.new("路灯不亮")
    before = book.fingerprint()
    shown = ref.lstrip("'").strip()
    line = f"--ref 无效：工单编号 '{shown}' {OWN_ID_REF}"
    refused(jiesu("new", "楼道灯不亮", "--ref", ref), line, code=2)
    refused(jiesu("edit", case_id, "--ref", ref), line, code=2)
    assert book.fingerprint() == before
    for other in ("jiesu-7a", "jiesu-", "jiesu 7"):  # never read back as an id: refs like any other
        jiesu.new("楼道灯不亮", "--ref", other)


def test_received_accepts_relative_and_word_forms(jiesu):
    for form in ("now", "-2h", "-3d", "2026-10-01T00:00", "2026-10-01T08:30", "2026-10-01 08:30"):
        jiesu.new(f"受理于 {form}", "--received", form)
    received = [c["received_at"] for c in jiesu.json("list")]
    assert received[3] == "2026-10-01T00:00:00+08:00"
    assert received[4] == received[5] == "2026-10-01T08:30:00+08:00"


DATE_ALONE = "只有日期，没有钟点（0 点受理按前一天 24:00 计，时限会早一个工作日）；请写明钟点，如"


def test_a_receipt_typed_as_a_date_alone_is_refused_and_00_00_written_out_keeps_the_rule(jiesu, book):
    """Replayed from a fresh tester: `--received 2026-11-20` was stored as 00:00, which counts as 24:00
    of the day before, so a case received that day got a deadline one working day early."""
    case_id = jiesu.new("路灯不亮", "--received", "2026-11-20T09:00")
    before = book.fingerprint()
    line = f'受理时间 \'2026-11-20\' {DATE_ALONE} --received "2026-11-20 09:00"'
    refused(jiesu("new", "楼道灯不亮", "--received", "2026-11-20"), line, code=2)
    refused(jiesu("edit", case_id, "--received", "2026-11-20"), line, code=2)
    assert book.fingerprint() == before
    midnight = [jiesu.new("零点", "--received", typed) for typed in ("2026-11-20 00:00", "2026-11-20T00:00")]
    by = {case["id"]: case["resolve_by"] for case in jiesu.json("list")}
    assert by[case_id] == "2026-12-02T00:00:00+08:00"  # 7 working days from 11-23: 12-01 24:00
    assert [by[n] for n in midnight] == ["2026-12-01T00:00:00+08:00"] * 2  # from 11-20, as received 11-19 24:00


@pytest.mark.parametrize(
    ("typed", "day"), [("2026/11/20", "2026-11-20"), ("20261120", "2026-11-20"), ("today", "today"),
                       ("yesterday", "yesterday"), ("昨天", "昨天"), ("前天", "前天")],
)
def test_every_receipt_that_names_a_day_without_its_clock_time_is_refused(jiesu, book, typed, day):
    case_id = jiesu.new("路灯不亮", "--received", "2026-11-20T09:00")
    before = book.fingerprint()
    line = f'受理时间 {typed!r} {DATE_ALONE} --received "{day} 09:00"'
    refused(jiesu("new", "楼道灯不亮", "--received", typed), line, code=2)
    refused(jiesu("edit", case_id, "--received", typed), line, code=2)
    assert book.fingerprint() == before


RECEIPT_FORMS = "ISO 日期时间（2026-10-01T08:30、2026-10-01 08:30）、today/yesterday/今天/昨天/前天 加钟点（yesterday 18:30、昨天 18:30）、今天的钟点（18:30）、now、-2h"


# Now is 2026-12-01 09:30 (conftest): each day word with a clock time, and the time it names.
DAY_AND_CLOCK = [
    ("yesterday 10:00", "2026-11-30T10:00:00+08:00"),
    ("today 9:05", "2026-12-01T09:05:00+08:00"),
    ("昨天 10:00", "2026-11-30T10:00:00+08:00"),
    ("今天 9:05", "2026-12-01T09:05:00+08:00"),
    ("前天 14:30", "2026-11-29T14:30:00+08:00"),
    ("Yesterday 22:15", "2026-11-30T22:15:00+08:00"),
    ("昨天18:30", "2026-11-30T18:30:00+08:00"),
    # The clock times an import reads after a date, read after a day word too.
    ("昨天 下午 3:05", "2026-11-30T15:05:00+08:00"),
    ("昨天 18点30分", "2026-11-30T18:30:00+08:00"),
    ("yesterday 6:30 PM", "2026-11-30T18:30:00+08:00"),
    # A fresh tester: the parts of the day and 点 as people say them were refused (DAY_PARTS).
    ("昨天 晚上 8:00", "2026-11-30T20:00:00+08:00"),
    ("昨天 晚上 20:00", "2026-11-30T20:00:00+08:00"),
    ("昨天 凌晨 2:00", "2026-11-30T02:00:00+08:00"),
    ("昨天 凌晨 12:30", "2026-11-30T00:30:00+08:00"),
    ("昨天 早上 7点", "2026-11-30T07:00:00+08:00"),
    ("昨天 中午 12:30", "2026-11-30T12:30:00+08:00"),
    ("昨天 中午 1点", "2026-11-30T13:00:00+08:00"),
    ("昨天 下午6点", "2026-11-30T18:00:00+08:00"),
    ("昨天 下午 15:00", "2026-11-30T15:00:00+08:00"),
    ("昨天 傍晚 6点半", "2026-11-30T18:30:00+08:00"),
    ("昨天 18点", "2026-11-30T18:00:00+08:00"),
    ("昨天 18点半", "2026-11-30T18:30:00+08:00"),
    ("昨天 18点05", "2026-11-30T18:05:00+08:00"),
    ("昨天 8点5分3秒", "2026-11-30T08:05:03+08:00"),
    # A fresh tester: `8:00 PM` was taken, `8 PM` refused.
    ("昨天 8 PM", "2026-11-30T20:00:00+08:00"),
    ("yesterday 8am", "2026-11-30T08:00:00+08:00"),
    # A fresh tester: what a Chinese keyboard types full-width was read after a day word only (NFKC now, everywhere).
    ("2026-11-30 ９:００", "2026-11-30T09:00:00+08:00"),
    ("２０２６－１１－３０ ０９：００", "2026-11-30T09:00:00+08:00"),
    ("2026-11-30 09：00", "2026-11-30T09:00:00+08:00"),
    ("今天 ９点", "2026-12-01T09:00:00+08:00"),
    # A clock time alone is today's, as after 今天; after a date the clock times a file's dates take.
    ("09:00", "2026-12-01T09:00:00+08:00"),
    ("０９：００", "2026-12-01T09:00:00+08:00"),
    ("９点", "2026-12-01T09:00:00+08:00"),
    ("2026/11/30 9:00", "2026-11-30T09:00:00+08:00"),
    ("2026-11-30 晚上 8点", "2026-11-30T20:00:00+08:00"),
]


@pytest.mark.parametrize(("typed", "meant"), DAY_AND_CLOCK)
def test_a_receipt_named_by_its_day_and_clock_time_is_taken(jiesu, typed, meant):
    """A worker writing down yesterday evening's call typed `--received "昨天 18:30"` and was told it is no time."""
    case_id = jiesu.new("路灯不亮", "--received", typed)
    assert jiesu.json("show", case_id)["received_at"] == meant
    other = jiesu.new("楼道灯不亮", "--received", "前天 08:00")
    jiesu.ok("edit", other, "--received", typed)
    assert jiesu.json("show", other)["received_at"] == meant


@pytest.mark.parametrize(("typed", "meant"), DAY_AND_CLOCK)
def test_a_step_and_an_import_dated_by_day_and_clock_time_are_taken(jiesu, tmp_path, typed, meant):
    case_id = jiesu.new("路灯不亮", "--received", "前天 08:00")
    jiesu.ok("contact", case_id, "--note", "电话联系", "--at", typed)
    assert jiesu.json("show", case_id)["responded_at"] == meant
    rows = tmp_path / "无受理时间.csv"
    rows.write_text("summary,phone\n没有受理时间的行,13812345678\n", encoding="utf-8")
    jiesu.ok("import", rows, "--at", typed)
    assert jiesu.json("show", case_id + 1)["received_at"] == meant
    since = [case["id"] for case in jiesu.json("list", "--since", typed)]
    assert since == [case_id + 1]


@pytest.mark.parametrize(
    ("typed", "line", "code"),
    [
        ("今天 9:35", "受理时间 '今天 9:35'（2026-12-01 09:35）在未来（现在是 2026-12-01 09:30）", 1),
        ("昨天 25:00", f"无法识别的时间 '昨天 25:00'；可用：{RECEIPT_FORMS}", 2),
        ("２０２６－１１－３０ ２５：００", f"无法识别的时间 '２０２６－１１－３０ ２５：００'；可用：{RECEIPT_FORMS}", 2),  # said as typed
        ("2026-11-30 9:5", "时间 '2026-11-30 9:5' 的分钟须为两位数字，如 9:05", 2),
        ("昨天下午", f"无法识别的时间 '昨天下午'；可用：{RECEIPT_FORMS}", 2),
        # a fresh tester's `昨天 18:3` was stored as 18:03 where ISO's `18:3` is refused: more likely 18:30 mistyped;
        # the next one's was refused without saying why, and `18:30:5` was taken
        ("昨天 18:3", "时间 '昨天 18:3' 的分钟须为两位数字，如 18:03", 2),
        ("today 9:5", "时间 'today 9:5' 的分钟须为两位数字，如 9:05", 2),
        ("昨天 18:30:5", "时间 '昨天 18:30:5' 的秒须为两位数字，如 18:30:05", 2),
        ("昨天 18点3", "时间 '昨天 18点3' 的分钟须为两位数字或后跟“分”，如 18点03 或 18点3分", 2),
        ("昨天 凌晨 20:00", "时间 '昨天 凌晨 20:00' 的凌晨是 0–6 点，与 20 点矛盾", 2),
        ("昨天 晚上 12:00", "时间 '昨天 晚上 12:00' 的晚上是 18–23 点，与 12 点矛盾", 2),
        ("昨天 上午 3:05 PM", "时间 '昨天 上午 3:05 PM' 的上午与下午矛盾", 2),
        ("昨天 10:00:00.5", "时间 '昨天 10:00:00.5' 有不足一秒的部分；jiesu 记时到秒，请改为整秒", 2),
    ],
)
def test_a_day_and_clock_time_that_names_no_receipt_is_refused(jiesu, book, typed, line, code):
    jiesu.new("先有一件")
    before = book.fingerprint()
    refused(jiesu("new", "路灯不亮", "--received", typed), line, code=code)
    assert book.fingerprint() == before


def test_help_names_the_day_and_clock_forms(jiesu):
    for command in (["new"], ["edit"], ["contact"], ["import"]):
        assert "昨天 18:30" in " ".join(jiesu.ok(*command, "--help").stdout.split())  # however the lines wrap


def test_a_message_cutting_a_long_value_short_never_cuts_through_a_number(jiesu):
    """`已派给 …经理手机139****567…（共 42 字）` read as another number than the one stored (fresh tester)."""
    case_id = jiesu.new("路灯不亮")
    said = jiesu.ok("assign", case_id, "前门物业管理有限公司（经理手机13912345678）").stderr  # 40 columns end in the number
    assert "经理手机…（共 27 字）" in said and "139****567…" not in said


def test_the_clock_time_a_refused_receipt_suggests_has_come(jiesu, monkeypatch):
    """At 08:00 the hint said `--received "<today> 09:00"`, which is refused as still to come."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T08:05:00+08:00")
    refused(jiesu("new", "路灯不亮", "--received", "today"), f'受理时间 \'today\' {DATE_ALONE} --received "today 08:05"', code=2)
    refused(jiesu("new", "路灯不亮", "--received", "yesterday"), f'受理时间 \'yesterday\' {DATE_ALONE} --received "yesterday 09:00"', code=2)


def test_an_import_at_a_date_alone_is_refused_as_the_receipt_it_gives_rows_without_one(jiesu, book, tmp_path):
    """A fresh tester: `import --at 2026-11-20` gave the rows without a 受理时间 a 00:00 receipt, a
    working day early, as `new --received 2026-11-20` no longer may."""
    rows = tmp_path / "无受理时间.csv"
    rows.write_text("summary,phone\n没有受理时间的行,13812345678\n", encoding="utf-8")
    refused(jiesu("import", rows, "--at", "2026-11-20"), f'受理时间 \'2026-11-20\' {DATE_ALONE} --at "2026-11-20 09:00"', code=2)
    refused(jiesu("import", rows, "--at", "today"), f'受理时间 \'today\' {DATE_ALONE} --at "today 09:00"', code=2)
    assert book.counts() == (0, 0)
    jiesu.ok("import", rows, "--at", "2026-11-20 09:00")
    assert [c["received_at"] for c in jiesu.json("list")] == ["2026-11-20T09:00:00+08:00"]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        # Python reads any one character between date and time: the offset became the clock time.
        ("2026-11-20+05:00", f"无法识别的时间 '2026-11-20+05:00'；可用：{RECEIPT_FORMS}"),
        ("2026-11-20-03:00", f"无法识别的时间 '2026-11-20-03:00'；可用：{RECEIPT_FORMS}"),
        ("2026-11-20x09:00", f"无法识别的时间 '2026-11-20x09:00'；可用：{RECEIPT_FORMS}"),
        # The hint named today and a date alone, which a receipt refuses.
        ("2026-11-20T24:01", f"无法识别的时间 '2026-11-20T24:01'；可用：{RECEIPT_FORMS}"),
        # Cut to 09:00:00 without a word, where a file's fraction is refused.
        ("2026-11-20T09:00:00.5", "时间 '2026-11-20T09:00:00.5' 有不足一秒的部分；jiesu 记时到秒，请改为整秒"),
        # A fresh tester: a fraction of zeros passed where `.5` was refused.
        ("2026-11-20T09:00:00.000", "时间 '2026-11-20T09:00:00.000' 有不足一秒的部分；jiesu 记时到秒，请改为整秒"),
        ("2026-11-20 09:00:00,0", "时间 '2026-11-20 09:00:00,0' 有不足一秒的部分；jiesu 记时到秒，请改为整秒"),
    ],
)
def test_a_receipt_that_is_no_time_jiesu_keeps_is_refused_with_the_forms_a_receipt_takes(jiesu, book, typed, reason):
    case_id = jiesu.new("路灯不亮", "--received", "2026-11-20T09:00")
    before = book.fingerprint()
    refused(jiesu("new", "楼道灯不亮", "--received", typed), reason, code=2)
    refused(jiesu("edit", case_id, "--received", typed), reason, code=2)
    assert book.fingerprint() == before


def test_a_date_with_an_offset_and_no_clock_time_is_no_time_in_a_file_either(jiesu, book, tmp_path):
    rows = tmp_path / "偏移.csv"
    rows.write_text("summary,received_at\n路灯不亮,2026-11-20+08:00\n", encoding="utf-8")
    assert jiesu("import", rows).exit_code == 1
    assert book.counts() == (0, 0)


def test_list_shows_open_cases_and_filters_combine(jiesu):
    a = jiesu.new("楼道堆物", "--community", "前门社区", "--category", "物业管理/楼道")
    jiesu.new("路灯不亮", "--community", "大栅栏社区", "--category", "市政/路灯")
    c = jiesu.new("电梯故障", "--community", "前门社区", "--category", "物业管理/电梯", "--nature", "reasonable")
    ids = lambda *args: [row["id"] for row in jiesu.json("list", *args)]
    assert ids() == [1, 2, 3]
    assert ids("--community", "前门社区") == [a, c]
    assert ids("--category", "物业管理") == [a, c]
    assert ids("--category", "物业管理/电梯") == [c]
    assert ids("--category", "物业") == []
    assert ids("--community", " 前门社区 ") == [a, c]  # as a pasted value comes, and as it was stored
    assert ids("--category", "物業管理") == [a, c] and ids("--category", "物业管理 / 电梯 ") == [c]
    assert ids("--category", "ＷＵ") == []
    assert ids("--community", "前门社区", "--nature", "合理诉求") == [c]
    assert ids("--community", "前门社区", "--nature", "unreasonable") == []
    assert ids("--track", "上门办") == [c]
    assert ids("--level", "社区", "--limit", "2") == [1, 2]
    assert ids("--status", "new", "--status", "closed") == [1, 2, 3]
    assert ids("--status", "已办结") == []
    jiesu.ok("assign", a, "城管科")
    assert ids("--assignee", "城管科 ") == [a]
    assert {row["case_id"] for row in jiesu.json("todo", "--within", "30d", "--assignee", " 城管科")} == {a}


def test_list_since_until(jiesu):
    jiesu.new("九月", "--received", "2026-09-15T00:00")
    jiesu.new("十月", "--received", "2026-10-15T10:00")
    jiesu.new("十一月", "--received", "2026-11-01T00:00")
    ids = lambda *args: [row["summary"] for row in jiesu.json("list", *args)]
    assert ids("--since", "2026-10-01", "--until", "2026-10-15") == ["十月"]
    assert ids("--until", "2026-09-30") == ["九月"]


def test_search_matches_traditional_and_simplified_and_every_text_field(jiesu):
    jiesu.new("院内有違建", "--address", "草厂三条")
    jiesu.new("噪音", "--detail", "楼下违建施工噪音")
    jiesu.new("漏水", "--name", "李建国", "--address", "鲜鱼口街")
    found = lambda text: [row["id"] for row in jiesu.json("list", "--search", text)]
    assert found("违建") == [1, 2]
    assert found("違建") == [1, 2]
    assert found("鲜鱼口") == [3]
    assert found("李建国") == [3]
    assert found("草厂") == [1]


def test_search_finds_text_as_the_screen_shows_it_whatever_invisible_characters_it_holds(jiesu):
    """A zero-width space or bidi mark pasted from a web page is left out on both sides."""
    jiesu.new("RTL\u200bzw 楼道\u202e灯")
    jiesu.new("无关", "--address", "\ufeff前门\u2060东大街")
    found = lambda text: [row["id"] for row in jiesu.json("list", "--search", text)]
    assert found("RTLzw") == [1]
    assert found("楼道灯") == [1]
    assert found("rtl\u200dzw") == [1]
    assert found("前门东大街") == [2]
    # `--search "$WORD"` with $WORD unset: all cases (tester 19) or none; repeated with the stand-in for what draws nothing
    for nothing, shown in (("", "''"), (" ", "' '"), ("\u200b", "'<U+200B>'"), ("\u3164", "'\u3164'")):
        refused(jiesu("list", "--search", nothing), f"--search 无效：{shown} 是空白，没有要查找的内容；要列出全部请不写 --search", code=2)


def test_search_text_is_not_a_pattern(jiesu):
    jiesu.new("费用 100% 退还")
    jiesu.new("费用 1000 元")
    assert [r["id"] for r in jiesu.json("list", "--search", "100%")] == [1]
    assert [r["id"] for r in jiesu.json("list", "--search", "_")] == []
    assert jiesu.json("list", "--search", "' OR 1=1 --") == []


@pytest.mark.parametrize("typed", ["186-0000-3333", "18600003333", "186 0000 3333", "+86 186-0000-3333", "186—0000—3333", "１８６００００３３３３"])
def test_a_search_for_a_phone_number_finds_it_however_it_was_written(jiesu, typed):
    """A fresh tester: `list --search 186-0000-3333` did not find the case whose phone (or text) held 18600003333,
    and `--search 18600003333` not the one whose text held 186-0000-3333."""
    jiesu.new("楼道灯不亮", "--phone", "186-0000-3333")  # stored as 18600003333; the phone field is no searched text
    jiesu.new("请回电 18600003333")
    jiesu.new("请回电186-0000-3333", "--address", "草厂三条")
    jiesu.new("请回电 +86 186.0000.3333")
    jiesu.new("别的号码 186-0000-3334", "--phone", "18600003334")
    jiesu.new("工单 2186000033331 复核")  # no phone: part of a longer number, but text search finds what holds the digits
    found = lambda *args: [r["id"] for r in jiesu.json("list", "--search", typed, *args)]  # noqa: E731
    assert found() == [1, 2, 3, 4, 6]
    assert found("--as-of", "2026-12-01T09:30") == [1, 2, 3, 4, 6]


def test_a_search_for_a_landline_finds_it_with_its_area_code_written_any_way(jiesu):
    jiesu.new("噪音", "--phone", "010-65123456转8001")
    jiesu.new("噪音，回电 (010) 6512—3456")
    jiesu.new("噪音，回电 +86 10 6512 3456")
    jiesu.new("噪音，回电 010-65123457")
    found = lambda text: [r["id"] for r in jiesu.json("list", "--search", text)]  # noqa: E731
    assert found("010-65123456") == found("01065123456") == found("（010）65123456") == [1, 2, 3]
    # with the extension, in any form --phone takes: the case whose phone is that number and extension
    assert found("010-65123456转8001") == found("010-65123456-8001") == found("01065123456 分机 8001") == [1]
    assert found("010-65123456转8002") == []
    assert [r["id"] for r in jiesu.json("list", "--search", "010-65123456转8001", "--as-of", "2026-12-01T09:30")] == [1]


def test_list_formats(jiesu):
    jiesu.new("一", "--phone", "13812345678")
    jiesu.new("二")
    assert jiesu.ok("list", "--format", "ids").stdout == "1\n2\n"
    csv_out = jiesu.ok("list", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,ref,received_at,channel")
    assert "138****5678" in csv_out[1]
    table = jiesu.ok("list", "--format", "table")
    assert "编号" in table.stdout and "#1" in table.stdout and "待派单" in table.stdout
    assert table.stderr == "共 2 件\n"


@pytest.mark.parametrize(
    "command, nothing",
    [
        (["list"], ["--community", "无此社区"]),
        (["list", "--due-escalation"], ["--community", "无此社区"]),
        (["todo"], ["--assignee", "无此人"]),
        (["ledger", "list"], ["--unit", "无此单位"]),
        (["hotspots", "--min", "2", "--days", "30"], ["--as-of", "2026-11-01"]),
    ],
)
def test_csv_header_is_the_same_whether_or_not_rows_match(jiesu, command, nothing):
    """A script appending CSVs relies on the header: it is every key of a row, rows or none."""
    for _ in range(2):
        case = jiesu.new("楼上漏水", "--community", "前门社区", "--category", "物业管理/漏水", "--received", "2026-11-10T09:00",
                        "--nature", "reasonable")
    jiesu.ok("ledger", "add", case, "--plan", "更换管道", "--unit", "物业")
    header = lambda *args: jiesu.ok(*command, *args, "--format", "csv").stdout.splitlines()[0]
    rows = jiesu.json(*command)
    assert rows and header() == ",".join(rows[0])
    assert jiesu.json(*command, *nothing) == [] and header(*nothing) == header()


def test_list_defaults_to_json_when_piped(jiesu):
    jiesu.new("一")
    assert jiesu.ok("list").stdout.startswith("[")


def test_list_empty_is_an_empty_array(jiesu):
    assert jiesu.json("list") == []


def test_show_table_has_fields_and_history(jiesu):
    case_id = jiesu.new("楼上漏水", "--phone", "13812345678", "--community", "前门社区")
    jiesu.ok("note", case_id, "诉求人下午在家")
    out = jiesu.ok("show", case_id, "--format", "table").stdout
    assert "#1 楼上漏水" in out
    assert "138****5678" in out and "13812345678" not in out
    assert "受理" in out and "备注" in out and "诉求人下午在家" in out


def test_show_says_a_long_summary_whole_once(jiesu):
    """Its title repeats the start only (tester 17 scrolled through a 6,000-character summary twice)."""
    jiesu.new("漏" * 3000)
    out = jiesu.ok("show", "1", "--format", "table").stdout
    assert out.count("漏") == 3000 + 20 and "…（共 3000 字）" in out


def test_show_cuts_its_heading_to_terminal_columns(jiesu, monkeypatch):
    """A Chinese summary's heading was cut at 40 characters, 80 columns, and wrapped on an 80-column terminal
    (fresh tester): it is cut at 40 columns, with an ellipsis; an ASCII summary is cut where it was."""
    monkeypatch.setenv("COLUMNS", "80")
    chinese = "小区东门外的人行道上长期堆放大量建筑垃圾和废弃家具，居民出行非常不便，希望尽快清理并加强管理"
    jiesu.new(chinese)
    heading = jiesu.ok("show", "1", "--format", "table").stdout.splitlines()[0].rstrip()
    assert heading == "#1 小区东门外的人行道上长期堆放大量建筑垃圾…（共 46 字）"
    assert columns(heading) <= 80
    ascii_summary = "Streetlight out at the east gate of building 3, reported twice"
    jiesu.new(ascii_summary)
    heading = jiesu.ok("show", "2", "--format", "table").stdout.splitlines()[0].rstrip()
    assert heading == f"#2 {ascii_summary[:40]}…（共 {len(ascii_summary)} 字）"


def test_show_accepts_hash_ids_and_refuses_unknown(jiesu):
    jiesu.new()
    assert jiesu.json("show", "#1")["id"] == 1
    refused(jiesu("show", "99"), "没有 #99 这件诉求")
    refused(jiesu("show", "abc"), "诉求编号 无效：'abc' 不是诉求编号（应为 42 或 #42）", code=2)
    assert jiesu.json("show", "＃１")["id"] == 1  # a Chinese keyboard's full-width digits
    refused(jiesu("show", "²"), "诉求编号 无效：'²' 不是诉求编号（应为 42 或 #42）", code=2)
    refused(jiesu("show", "1" * 5000), "诉求编号 无效：'1111111111111111111111111111111111111111…（共 5000 字）' 不是诉求编号（应为 42 或 #42）", code=2)


def test_note_and_classify_write_events(jiesu, book):
    case_id = jiesu.new()
    jiesu.ok("note", case_id, "已电话联系物业")
    result = jiesu.ok("classify", case_id, "不合理诉求", "--note", "要求超出物业服务范围")
    assert result.stderr == "#1 研判为不合理诉求，上门劝\n"
    case = jiesu.json("show", case_id)
    assert case["nature"] == "unreasonable" and case["track"] == "persuade"
    assert [e["kind"] for e in case["events"]] == ["filed", "noted", "classified"]
    assert case["events"][2]["changes"] == {"nature": ["unclassified", "unreasonable"], "track": [None, "persuade"]}
    assert case["version"] == 2
    refused(jiesu("note", case_id, "  "), "备注不能为空", code=2)
    refused(jiesu("classify", case_id, "whatever"), code=2)
    assert book.counts() == (1, 3)


def test_classify_to_the_nature_it_has_is_refused_and_logs_nothing(jiesu, book):
    """A tester's second `classify 2 合理诉求` was taken, logging `classified` with `changes: {}` that
    `undo` would then take back instead of the last real step; assign and edit refuse a no-op already."""
    case_id = jiesu.new("楼道灯不亮", "--nature", "合理诉求")
    jiesu.ok("assign", case_id, "物业")
    refused(jiesu("classify", case_id, "合理诉求", "--note", "再看一眼"), f"#{case_id} 已研判为合理诉求，没有变化；要补充说明请用 jiesu note")
    assert [e["kind"] for e in jiesu.json("show", case_id)["events"]] == ["filed", "assigned"]
    jiesu.ok("undo")
    assert jiesu.json("show", case_id)["assignee"] is None


@pytest.mark.parametrize("unclassified", ["待研判", "unclassified"])
def test_classify_back_to_unclassified_is_refused_and_changes_nothing(jiesu, book, unclassified):
    """A fresh tester: `classify 1 待研判` on a classified case was taken and cleared its 三上门 (DESIGN §3 has no
    way back to 待研判: it is where a case starts, and close checks the track). A slip is taken back with undo."""
    line = "研判不能定为待研判（受理时的状态，不是研判结论），只能定为合理诉求、不合理诉求、咨询建议；研判有误请改研判为另一性质"
    case_id = jiesu.new("楼道灯不亮")
    jiesu.ok("classify", case_id, "合理诉求")
    before = book.fingerprint()
    refused(jiesu("classify", case_id, unclassified), line, code=2)
    assert book.fingerprint() == before
    assert (jiesu.json("show", case_id)["nature"], jiesu.json("show", case_id)["track"]) == ("reasonable", "handle")
    jiesu.ok("undo", case_id)
    assert jiesu.json("show", case_id)["nature"] == "unclassified"
    refused(jiesu("classify", case_id, unclassified), line, code=2)  # a case never classified: the same words


def test_version_flag(jiesu):
    from jiesu import __version__

    assert jiesu.ok("--version").stdout == f"jiesu {__version__}\n"


def test_usage_errors_name_the_option_on_one_line(jiesu):
    missing = jiesu("new")
    assert missing.exit_code == 2 and missing.stderr.startswith("错误: 缺少参数 诉求摘要（") and missing.stderr.count("\n") == 1
    bad = jiesu("list", "--limit", "0")
    assert bad.exit_code == 2 and bad.stderr.startswith("错误: --limit 无效：")
    nested = jiesu("ledger", "add")
    assert nested.exit_code == 2 and nested.stderr.startswith("错误: 缺少参数 诉求编号（") and "ledger add --help" in nested.stderr


def test_search_covers_category_and_ref(jiesu):
    jiesu.new("有人在楼顶加盖", "--category", "城乡建设/违建")
    jiesu.new("门口堆物", "--ref", "BJ20261127001")
    jiesu.new("别的事", "--category", "环境/噪音")
    found = lambda text: [r["id"] for r in jiesu.json("list", "--search", text)]  # noqa: E731
    assert found("违建") == [1]
    assert found("城乡建设") == [1]
    assert found("BJ20261127001") == [2]
    assert found("bj20261127") == [2]


@pytest.mark.parametrize("typed", ["前门东大街3号楼", "前门东大街３号楼", "前门 东大街 3号楼", "前門東大街３號樓", "前门东大街3号楼　"])
def test_full_width_and_spaced_spellings_find_the_same_case(jiesu, typed):
    jiesu.new("楼道灯不亮", "--address", "前门东大街３号 楼", "--ref", "ＢＪ１２３")
    jiesu.new("别的", "--address", "前门东大街4号楼")
    assert [r["id"] for r in jiesu.json("list", "--search", typed)] == [1]
    assert [r["id"] for r in jiesu.json("list", "--search", "bj 123")] == [1]
    # What was typed is kept as typed; only the comparison is normalised.
    assert jiesu.json("show", "1")["address"] == "前门东大街３号 楼"


def test_repeat_complaints_are_matched_however_the_category_is_spelt(jiesu):
    for day, category in ((1, "噪音/施工"), (5, "噪音／施工"), (9, "噪音 / 施工")):
        jiesu.new("夜间施工噪音", "--phone", "13812345678", "--category", category, "--received", f"2026-11-{day:02d}T22:00")
    due = jiesu.json("list", "--due-escalation", "--as-of", "2026-11-09T23:00")
    assert [(r["id"], r["reasons"]) for r in due] == [(1, ["repeat"]), (2, ["repeat"]), (3, ["repeat"])]


def test_a_blank_actor_is_a_usage_error_not_a_name_in_the_history(jiesu, book, monkeypatch):
    jiesu.new("先有一件")
    before = book.counts()
    monkeypatch.setenv("JIESU_ACTOR", "   ")
    assert refused(jiesu("new", "楼道灯不亮"), code=2).startswith("错误: --actor 无效：经办人姓名（--actor 或 JIESU_ACTOR）不能是空白")
    assert book.counts() == before
    monkeypatch.setenv("JIESU_ACTOR", " 张丽 ")
    case_id = jiesu.new("楼道灯不亮")
    assert jiesu.json("show", case_id)["events"][0]["actor"] == "张丽"


def test_small_things_a_chinese_keyboard_and_a_log_meet(jiesu, tmp_path):
    """Replayed from a fresh tester: ＃1 was refused; a time seconds ahead read as the present minute;
    `backup ''` named the folder."""
    case_id = jiesu.new("楼道灯不亮")
    assert jiesu.json("show", f"＃{case_id}")["id"] == case_id
    refused(jiesu("list", "--as-of", "2026-12-01T09:30:01+08:00"), "2026-12-01 09:30:01 还没有到，只能查看过去或现在")
    assert refused(jiesu("backup", ""), code=2) == "错误: 备份文件路径 无效：'' 不是文件名（如 备份/jiesu-2026-11-27.db）"


def test_words_in_traditional_characters_and_levels_as_jiesu_says_them_are_understood(jiesu, tmp_path):
    """A fresh tester: `--urgency 緊急` and a 12345 file's 投訴 were refused while --search folds traditional
    to simplified; `escalate --to 区级` and `list --level 市级` were refused though jiesu's own lines say 区级."""
    urgent = jiesu.new("x", "--urgency", "緊急", "--channel", "來訪")
    case = jiesu.json("show", urgent)
    assert (case["urgency"], case["channel"]) == ("urgent", "walkin")
    jiesu.ok("escalate", urgent, "--reason", "需协调", "--to", "区级")
    assert [c["id"] for c in jiesu.json("list", "--level", "區級")] == [int(urgent)]
    assert refused(jiesu("list", "--level", "县级"), code=2).startswith("错误: --level 无效：未知的层级 '县级'")
    sheet = tmp_path / "工单.csv"
    sheet.write_text("工单编号,受理时间,诉求内容,紧急程度,诉求类型\nBJ1,2026-11-30 09:00,楼道灯不亮,緊急,投訴\n", encoding="utf-8")
    jiesu.ok("import", str(sheet))
    imported = jiesu.json("list", "--search", "BJ1")[0]
    assert (imported["urgency"], imported["kind"]) == ("urgent", "complaint")


def test_a_dash_on_new_leaves_a_field_empty_as_it_clears_one_on_edit(jiesu):
    """A fresh tester: `new --category - --ref - --name -` stored `-` as text, so two such cases shared the
    ref `-` (the second refused) and one caller's uncategorised calls shared the category `-` (一人多诉);
    on the command line `-` clears a field, as a blank does."""
    fields = ("name", "address", "community", "category", "detail", "ref", "phone", "kind")
    dashed = [jiesu.new("楼道灯不亮", *[arg for name in fields for arg in (f"--{name}", "-" if name != "ref" else "－")])
              for _ in range(3)]
    plain = jiesu.json("show", jiesu.new("楼道灯不亮"))
    for case_id in dashed:
        case = jiesu.json("show", case_id)
        assert {name: case[name] for name in fields} == {name: plain[name] for name in fields}
    assert jiesu.json("list", "--due-escalation") == []


@pytest.mark.parametrize("option", ["--channel", "--urgency", "--nature"])
def test_new_refuses_a_dash_for_a_choice_a_case_must_have(jiesu, book, option):
    before = book.fingerprint()
    line = refused(jiesu("new", "楼道灯不亮", option, "-", "-q"), code=2)
    assert "必须有值，不能留空或清除" in line
    assert book.fingerprint() == before


def test_a_dash_is_no_text_where_a_step_needs_one_and_no_note_where_it_may_have_none(jiesu, book):
    """A fresh tester: `assign 3 -`, `visit 3 --note -`, `ledger add 3 --plan - --unit -`, `ledger edit 台账1 --plan -`
    stored the text `-` (a 责任单位 called `-` on the 台账 handed up to the street), as `ledger clear --evidence -`
    cleared an entry with no result. On the command line `-` leaves a text empty: refused where a step needs one,
    no note where it may have none."""
    for summary in ("楼道灯不亮", "三楼灯不亮", "主管道漏水"):
        jiesu.new(summary, "--nature", "合理诉求", "--received", "2026-11-30T09:00")
    jiesu.ok("assign", 3, "物业", "--note", "-")
    jiesu.ok("contact", 3, "--note", "－")
    jiesu.ok("ledger", "add", 3, "--plan", "更换主管道", "--unit", "城管科")
    before = book.fingerprint()
    refusals = [
        (["assign", 3, "-"], "派单对象"),
        (["visit", 3, "--note", "-"], "上门记录"),
        (["ledger", "add", 2, "--plan", "-", "--unit", "-"], "整改措施"),
        (["ledger", "add", 2, "--plan", "更换灯管", "--unit", "-"], "责任单位"),
        (["ledger", "edit", "台账1", "--plan", "-", "--reason", "录错"], "整改措施"),
        (["ledger", "edit", "台账1", "--unit", "——", "--reason", "录错"], "责任单位"),
        (["note", 3, " - "], "备注"),
    ]
    for args, what in refusals:
        refused(jiesu(*args), f"{what}不能为空（- 在命令行上表示清除）；请写出{what}的内容", code=2)
    refused(jiesu("ledger", "clear", "台账1", "--evidence", "-"),
            "台账 1 没有整改结果，不能销账（不整改完不销账）；请用 --evidence 写明整改结果", code=2)
    assert book.fingerprint() == before
    jiesu.ok("assign", 1, "物业")
    jiesu.ok("contact", 1)
    assert [e["note"] for e in jiesu.json("show", 3)["events"]] == [e["note"] for e in jiesu.json("show", 1)["events"]] + ["台账 1：更换主管道（城管科）"]
    jiesu.ok("classify", 2, "咨询建议", "--note", "-")
    jiesu.ok("edit", 2, "--address", "前门东大街3号", "--note", "-")
    assert [(e["kind"], e["note"]) for e in jiesu.json("show", 2)["events"][1:]] == [("classified", None), ("edited", None)]  # no note: null


def test_a_case_merged_into_a_case_merged_on_is_told_where_its_work_now_is(jiesu, book):
    # A fresh tester: #3 into #2, then #2 into #1; `edit 3` said 请更正 #2, which refused in turn (请更正 #1).
    first, second, third, fourth = (jiesu.new(summary) for summary in ("楼道灯不亮", "三楼灯不亮", "四楼灯不亮", "五楼灯不亮"))
    jiesu.ok("merge", third, "--into", second)
    jiesu.ok("merge", second, "--into", first)
    before = book.fingerprint()
    refused(jiesu("edit", third, "--summary", "改"), f"#{third} 已合并到 #{first}，不能更正；请更正 #{first}")
    refused(jiesu("assign", third, "物业"), f"#{third} 已并入 #{first}，不能派单")
    refused(jiesu("merge", fourth, "--into", third), f"#{third} 已合并到 #{first}，请并入 #{first}")
    assert book.fingerprint() == before
    assert jiesu.json("show", third)["merged_into"] == second  # the record keeps the step as it was taken


def test_a_merged_case_refused_names_the_case_it_went_into(jiesu, book):
    # A fresh tester ran `merge 1 --into 2` twice and was told `#1 已合并，不能并单`: merged where?
    first, second = jiesu.new("楼道灯不亮"), jiesu.new("三楼楼道灯不亮")
    jiesu.ok("merge", first, "--into", second)
    before = book.fingerprint()
    refused(jiesu("merge", first, "--into", second), f"#{first} 已并入 #{second}，不能并单")
    refused(jiesu("close", first, "--result", "已解决", "--note", "ok"), f"#{first} 已并入 #{second}，不能办结")
    assert book.fingerprint() == before


def test_an_open_case_is_not_merged_into_a_finished_one(jiesu, book):
    # A fresh tester merged an overdue open case into a closed one: it left todo, --overdue and the
    # rates with no visit, result or revisit — any overdue complaint could be made to vanish so.
    overdue = jiesu.new("楼道堆物", "--received", "2026-11-20T09:00")
    done = jiesu.new("楼道堆物没清", "--received", "2026-11-20T10:00", "--nature", "consult")
    via = jiesu.new("又说堆物", "--received", "2026-11-20T11:00")
    jiesu.ok("merge", via, "--into", done, "--at", "2026-11-20T12:00")  # while it was open: its work is #done's
    jiesu.ok("visit", done, "--note", "谈了", "--at", "2026-11-20T12:00")
    jiesu.ok("close", done, "--result", "answered", "--note", "已答复", "--at", "2026-11-21T09:00")
    before = book.fingerprint()
    how = f"#{overdue} 说的事 #{done} 没办好的，先 jiesu reopen {done} --reason … 再并单，否则 #{overdue} 请单独办理"
    refused(jiesu("merge", overdue, "--into", done), f"#{done} 已办结，不能并入；{how}")
    refused(jiesu("merge", overdue, "--into", via), f"#{via} 已合并到 #{done}，#{done} 已办结，不能并入；{how}")
    assert book.fingerprint() == before
    jiesu.ok("revisit", done, "--satisfaction", "satisfied", "--resolved", "yes")
    refused(jiesu("merge", overdue, "--into", done), f"#{done} 已回访，不能并入；{how}")
    assert jiesu.json("show", overdue)["status"] == "new"
    jiesu.ok("reopen", done, "--reason", "堆物又回来了")
    # Reopened, #done counts its 办理时限 afresh: the overdue one would lose its own, long past.
    refused(
        jiesu("merge", overdue, "--into", done),
        f"#{overdue} 的办理时限 2026-12-01 24:00 早于 #{done} 的办理时限 2026-12-10 24:00：并入后由 #{done} 办理，"
        f"#{overdue} 较早的时限就没了；请反过来 jiesu merge {done} --into {overdue}",
    )
    jiesu.ok("merge", done, "--into", overdue)


def test_a_merge_never_drops_an_escalation_or_an_emergency(jiesu, book):
    # A fresh tester merged a case escalated to 市 into a 社区 one: the target stayed 社区级, 一般档, its
    # 7-day deadline, and the city-level escalation vanished from every list.
    lower, escalated = jiesu.new("楼道灯不亮"), jiesu.new("三楼灯不亮")
    jiesu.ok("assign", lower, "物业")
    jiesu.ok("escalate", escalated, "--reason", "升", "--to", "市")
    urgent = jiesu.new("燃气味", "--urgency", "urgent")
    before = book.fingerprint()
    refused(
        jiesu("merge", escalated, "--into", lower),
        f"#{escalated} 已升级到市级，#{lower} 在社区级：并入后由 #{lower} 办理，市级的升级就没了；"
        f"先 jiesu escalate {lower} --to 市 --reason … 再并单",  # the other way: the 复杂疑难 deadline is later
    )
    refused(
        jiesu("merge", urgent, "--into", lower),
        f"#{urgent} 是紧急诉求，#{lower} 不是：并入后由 #{lower} 办理，紧急档的时限就没了；"
        f"先 jiesu edit {lower} --urgency 紧急 再并单，或反过来 jiesu merge {lower} --into {urgent}",
    )
    # The other way round would drop the escalation: not offered.
    refused(
        jiesu("merge", urgent, "--into", escalated),
        f"#{urgent} 是紧急诉求，#{escalated} 不是：并入后由 #{escalated} 办理，紧急档的时限就没了；"
        f"先 jiesu edit {escalated} --urgency 紧急 再并单",
    )
    assert book.fingerprint() == before
    jiesu.ok("escalate", lower, "--reason", "同一件事", "--to", "市")
    jiesu.ok("merge", lower, "--into", escalated)
    assert jiesu.json("show", escalated)["level"] == "city"


def test_a_merge_never_drops_an_earlier_deadline(jiesu, book):
    """Replayed: a 水电气热 case (24 hours) merged into a 一般 one (7 workdays) took the target's deadline,
    and the shorter one vanished from every list; so did an older case's merged into a newer one."""
    heating = jiesu.new("暖气不热", "--category", "供暖/室温不达标", "--received", "2026-12-01T08:00")
    general = jiesu.new("楼里暖气都不热", "--received", "2026-11-30T08:00")
    before = book.fingerprint()
    refused(
        jiesu("merge", heating, "--into", general),
        f"#{heating} 的办理时限 2026-12-02 08:00 早于 #{general} 的办理时限 2026-12-09 24:00：并入后由 #{general} 办理，"
        f"#{heating} 较早的时限就没了；请反过来 jiesu merge {general} --into {heating}",
    )
    assert book.fingerprint() == before
    jiesu.ok("merge", general, "--into", heating)


def test_a_merge_into_a_ledgered_case_keeps_the_earlier_deadline_by_its_entrys_due(jiesu, book):
    """A 挂账整改 target answers to its entry's 整改期限: one later than the merged case's deadline, or none,
    would drop it; `ledger edit --due` on the target keeps it (the other way is no merge: a ledgered case stays)."""
    main = jiesu.new("主管道老化", "--nature", "合理诉求", "--received", "2026-11-20T09:00")
    jiesu.ok("ledger", "add", main, "--plan", "换管", "--unit", "城管科", "--at", "2026-11-21T09:00")
    again = jiesu.new("水压还是不足", "--received", "2026-12-01T08:00")
    before = book.fingerprint()
    refused(
        jiesu("merge", again, "--into", main),
        f"#{again} 的办理时限 2026-12-10 24:00，#{main} 台账 1 没有整改期限：并入后由 #{main} 办理，"
        f"#{again} 较早的时限就没了；先 jiesu ledger edit 1 --due … --reason … 再并单",
    )
    jiesu.ok("ledger", "edit", "1", "--due", "2026-12-31", "--reason", "定期限")
    before = book.fingerprint()
    refused(
        jiesu("merge", again, "--into", main),
        f"#{again} 的办理时限 2026-12-10 24:00 早于 #{main} 台账 1 的整改期限 2026-12-31 24:00：并入后由 #{main} 办理，"
        f"#{again} 较早的时限就没了；先 jiesu ledger edit 1 --due … --reason … 再并单",
    )
    assert book.fingerprint() == before
    jiesu.ok("ledger", "edit", "1", "--due", "2026-12-10", "--reason", "同期办结")
    jiesu.ok("merge", again, "--into", main)


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--all", "--limit", "３"],
        ["list", "--all", "--since", "２０２６－１１－２０", "--until", "２０２６／１２／０１"],
        ["hotspots", "--days", "７", "--min", "２"],
        ["ledger", "list", "--period", "２０２６－１１"],
        ["todo", "--within", "２ｈ"],
    ],
)
def test_numbers_dates_and_lengths_typed_full_width_are_read(jiesu, args):
    """A fresh tester: `--limit ３` was refused as no integer, `--since ２０２６－１１－２０` as no time."""
    for _ in range(4):
        jiesu.new("路灯不亮", "--received", "2026-11-20 09:00")
    ascii_args = [unicodedata.normalize("NFKC", arg) for arg in args]
    assert jiesu.json(*args) == jiesu.json(*ascii_args)


@pytest.mark.parametrize(("typed", "line"), [("３x", "应为整数"), ("０", "应不小于 1"), ("－３", "应不小于 1"), ("１" + "０" * 10, "应不大于 1000000000")])
def test_a_full_width_count_out_of_bounds_is_told_its_bound(jiesu, typed, line):
    refused(jiesu("list", "--limit", typed), f"--limit 无效：{typed!r} {line}", code=2)  # what was typed, repeated (tester 19)


def test_a_ledger_entry_is_named_in_full_width_digits_too(jiesu):
    case_id = jiesu.new("路灯不亮", "--nature", "reasonable")
    jiesu.ok("ledger", "add", case_id, "--plan", "更换灯具", "--unit", "物业")
    jiesu.ok("ledger", "clear", "１", "--evidence", "已更换")
    assert jiesu.json("show", case_id)["status"] == "closed"


@pytest.mark.parametrize("typed", ["62345678", "6234 5678", "6234-5678", "６２３４５６７８", "010-62345678"])
def test_a_beijing_landline_without_its_010_is_taken_stored_and_masked_as_a_landline(jiesu, tmp_path, typed):
    """Replayed from a fresh tester: `--phone 62345678`, a Beijing landline as Beijing dials it, was refused.
    jiesu is Beijing's: 8 digits from 2 to 8 are that number after 010, stored and shown as any landline."""
    case_id = jiesu.new("楼上噪音", "--phone", typed)
    assert jiesu.json("show", case_id, "--reveal")["phone"] == "01062345678"
    assert jiesu.json("list")[0]["phone"] == "010****5678"
    assert [row["id"] for row in jiesu.json("list", "--search", typed)] == [case_id]
    sheet = tmp_path / "工单.csv"
    sheet.write_text(f"summary,received_at,phone\n楼下噪音,2026-11-30T09:00:00+08:00,{typed}转8001\n", encoding="utf-8")
    jiesu.ok("import", str(sheet))
    imported = jiesu.json("show", case_id + 1, "--reveal")
    assert (imported["phone"], imported["phone_ext"]) == ("01062345678", "8001")


@pytest.mark.parametrize("typed", ["92345678", "12345678", "02345678", "+86 62345678", "6234567"])
def test_eight_digits_that_are_no_beijing_landline_stay_refused(jiesu, typed):
    refused(jiesu("new", "x", "--phone", typed), code=2)


@pytest.mark.parametrize(
    ("typed", "echoed"),
    [
        ("13812345678转", "'13812345678转'"), ("编号13812345678", "'编号13812345678'"),
        ("[bold]138 1234 5678\x1b[31m", "'[bold]138 1234 5678␛[31m'"),
        ("９６２３４５６７", "'９６２３４５６７'"),  # full-width digits were repeated as the ASCII '96234567'
    ],
)
def test_a_refused_phone_is_repeated_as_typed_and_as_data(jiesu, book, typed, echoed):
    """Replayed from a fresh tester: a refused phone was echoed masked (`'138****5678转'`), though a refusal
    repeats what was typed — the person's own input on their own screen, with the digits to correct. As
    data: quoted, a control code as its visible stand-in, markup as written."""
    before = book.fingerprint()
    for command in (["new", "x", "--phone", typed], ["edit", "1", "--phone", typed]):
        refused(jiesu(*command), f"--phone 无效：不是有效的中国电话号码：{echoed}（手机如 13812345678，座机如 010-65123456）", code=2)
    assert book.fingerprint() == before


HOTLINE = "是企业客服热线号码（400、800 号码只能拨入），不是来电人的电话"


@pytest.mark.parametrize(
    "typed", ["400-810-1234", "4008101234", "+86 400 810 1234", "４００-８１０-１２３４", "800-810-1234", "400-810-1234 转 5"],
)
def test_a_400_or_800_business_hotline_is_no_callers_phone(jiesu, book, tmp_path, typed):
    """A fresh tester stored `--phone 400-810-1234`: such numbers only take calls (phonenumbers: shared cost,
    toll free), no citizen calls from one. Refused on new and edit, and as an imported row's fault, repeated as typed."""
    before = book.fingerprint()
    for command in (["new", "x", "--phone", typed], ["edit", "1", "--phone", typed]):
        refused(jiesu(*command), f"--phone 无效：'{typed}' {HOTLINE}", code=2)
    (tmp_path / "行.csv").write_text(f"summary,phone\n路灯不亮,{typed}\n", encoding="utf-8")
    result = jiesu("import", str(tmp_path / "行.csv"))
    assert result.exit_code == 1 and result.stderr.splitlines()[0] == f"第 2 行：'{typed}' {HOTLINE}"
    assert book.fingerprint() == before


def test_show_and_escalate_of_a_ledgered_case_say_the_due_it_answers_to(jiesu, monkeypatch):
    """A 挂账整改 case answers to its entry's 整改期限: `show` gave its 办理时限 bare at the top, and `escalate`
    said the 办理时限 it recomputed, a date that decides nothing while the case is on the ledger."""
    case_id = jiesu.ledgered_reopened_twice()
    monkeypatch.setenv("JIESU_NOW", "2026-12-07T09:00:00+08:00")
    monkeypatch.setenv("COLUMNS", "120")
    resolve = "2026-12-04 24:00（挂账整改，以台账 1 的整改期限 2026-12-07 24:00 为准）"
    assert resolve_by_shown(jiesu, case_id) == resolve
    assert jiesu.json("show", case_id)["resolve_by"] == "2026-12-05T00:00:00+08:00"  # JSON keeps the case's own
    said = jiesu.ok("escalate", case_id, "--to", "区", "--reason", "x").stderr
    assert said == "#1 已升级到区（挂账整改）\n台账 1 未销账，整改期限仍为 2026-12-07 24:00\n"
    jiesu.ok("ledger", "clear", "1", "--evidence", "已排水")
    assert resolve_by_shown(jiesu, case_id) == "2026-12-16 24:00"  # the 区 tier's, bare once off the ledger


def test_an_edit_that_retimes_a_ledgered_case_says_the_due_it_answers_to(jiesu, monkeypatch):
    """A fresh tester: `edit --urgency` of a 挂账整改 case said the 办理时限 it recomputed."""
    case_id = jiesu.ledgered_reopened_twice()
    monkeypatch.setenv("JIESU_NOW", "2026-12-07T09:00:00+08:00")
    said = jiesu.ok("edit", case_id, "--urgency", "urgent").stderr
    assert said == (  # never contacted: its 响应时限 still counts, and moved
        "#1 已更正：紧急程度：一般 → 紧急\n台账 1 未销账，整改期限仍为 2026-12-07 24:00\n响应时限已按更正后的内容重算为 2026-11-20 11:00\n"
    )
    assert jiesu.ok("edit", case_id, "--address", "前门东大街3号").stderr == "#1 已更正：诉求地址：— → 前门东大街3号\n"


def test_an_edit_of_a_ledgered_case_awaiting_its_response_says_the_new_response_deadline(jiesu):
    """A fresh tester: `edit --urgency 紧急` of a case put on the ledger before its first contact moved its 响应时限
    to a time already past, and the reply said only the entry's 整改期限."""
    case_id = jiesu.new("新台账", "--nature", "合理诉求", "--received", "2026-12-01T07:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "修", "--unit", "科", "--due", "2026-12-31", "--at", "2026-12-01T07:30")
    said = jiesu.ok("edit", case_id, "--urgency", "紧急").stderr
    assert said == (
        "#1 已更正：紧急程度：一般 → 紧急\n台账 1 未销账，整改期限仍为 2026-12-31 24:00\n响应时限已按更正后的内容重算为 2026-12-01 09:00\n"
    )


def resolve_by_shown(jiesu, case_id: int) -> str:
    table = jiesu.ok("show", case_id, "--format", "table").stdout
    return next(line.split(None, 1)[1].strip() for line in table.splitlines() if line.startswith("办理时限"))
