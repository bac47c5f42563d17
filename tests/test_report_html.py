"""`report … --format html`: one printable, self-contained page, seen as a person sees it."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import TEST_NOW, refused
from headless import Browser, chromium

SECTIONS = ("三率与综合得分", "受理、办结与超期", "按类别", "按社区", "未诉先办", "往年同期高发", "台账", "期初", "本期新增", "本期销账", "期末", "在账天数", "说明")


def demo_month() -> str:
    """The month the demo's revisits fall in: it has every rate."""
    return (datetime.fromisoformat(TEST_NOW) - timedelta(days=3)).strftime("%Y-%m")


@pytest.fixture
def demo_book(jiesu, tmp_path) -> str:
    path = str(tmp_path / "demo.db")
    jiesu.ok("demo", "--db", path, "--format", "json")
    return path


@pytest.fixture
def monthly_page(jiesu, demo_book, tmp_path) -> Path:
    out = tmp_path / "月报.html"
    result = jiesu.ok("--db", demo_book, "report", "monthly", "--period", demo_month(), "--format", "html", "--out", str(out))
    assert result.stdout == "" and result.stderr == f"已写入 {out}\n"
    return out


def test_the_demo_month_as_a_page_has_every_section_and_chart(monthly_page, jiesu, demo_book):
    page = monthly_page.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for heading in SECTIONS:
        assert heading in page, heading
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    # each chart's title (a browser shows it on hover) names it; a fresh tester read "Pygal" there
    assert "Pygal" not in page and "<title>近 13 个月三率与综合得分</title>" in page and "<title>每日受理、办结与到期未办结</title>" in page
    doc = jiesu.json("--db", demo_book, "report", "monthly", "--period", demo_month())
    # The cards show the document's own rates, in percent with one decimal.
    assert f"{doc['rates']['response'] * 100:.1f}%" in page
    assert f"{doc['rates']['score'] * 100:.1f}" in page
    assert re.findall(r">\d+\.\d%<", page) and not re.findall(r">\d+(\.\d{2,})?%<", page)


def test_the_page_fetches_nothing_and_runs_no_script(monthly_page):
    page = monthly_page.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"\b(src|href)\s*=|url\(|@import|<link|<iframe|<object", page, re.IGNORECASE)
    assert "default-src 'none'" in page  # and the browser is told to refuse any request
    # Fonts are the system's: a CJK stack, never a web font.
    assert '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC"' in page
    assert "@font-face" not in page


def test_phones_never_appear(monthly_page):
    page = monthly_page.read_text(encoding="utf-8")
    # The demo's callers: 13811112222, 1370000xxxx, 13866667777 …; not one digit run of a phone.
    assert not re.search(r"(?<![\d.])1[3-9]\d{9}(?![\d.])", page)
    assert "13866667777" not in page


def test_a_ledger_deadline_typed_as_a_date_reads_its_24_00_on_the_page(jiesu):
    """Replayed from a fresh tester: `--due 2026-11-20` (kept as the 21st's 00:00) read 2026-11-21 on the page."""
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--due", "2026-11-20", "--at", "2026-10-12T10:00")
    page = jiesu.ok("report", "monthly", "--period", "2026-10", "--format", "html").stdout
    assert ">2026-11-20 24:00</td>" in page and "2026-11-21" not in page


def test_a_past_month_s_page_shows_each_entry_as_it_stood_then(jiesu, monkeypatch):
    """A `ledger edit` in December changed October's page: its 整改措施, 责任单位 and 整改期限 (and so its 超期)."""
    monkeypatch.setenv("JIESU_NOW", "2026-11-25T09:00:00+08:00")
    case_id = jiesu.new("主管道老化", "--nature", "合理诉求", "--channel", "desk", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--due", "2026-12-20", "--at", "2026-10-12T10:00")
    before = jiesu.ok("report", "monthly", "--period", "2026-10", "--format", "html").stdout
    jiesu.ok("ledger", "edit", "1", "--plan", "整体改造", "--unit", "自来水公司", "--due", "2026-10-20", "--reason", "改期", "--at", "2026-11-20T10:00")
    assert jiesu.ok("report", "monthly", "--period", "2026-10", "--format", "html").stdout == before
    assert "整体改造" in jiesu.ok("report", "monthly", "--period", "2026-11", "--format", "html").stdout


def test_the_page_counts_the_month_ends_an_entry_was_carried_over_whenever_they_were_rolled(jiesu, monkeypatch):
    """Replayed from a fresh tester: October and November rolled on 12-02, November's page read 结转 0 for an entry
    on the books since October (its own 期初 1, `ledger export --period 2026-10` 结转次数 1)."""
    import re

    monkeypatch.setenv("JIESU_NOW", "2026-12-01T10:00:00+08:00")
    case_id = jiesu.new("水压不足", "--nature", "合理诉求", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--due", "2026-12-31", "--at", "2026-10-12T10:00")

    def carried(period: str) -> list[str]:
        page = jiesu.ok("report", "monthly", "--period", period, "--format", "html").stdout
        return re.findall(r'<td class="num">(\d+)</td><td class="num">\d+</td></tr>', page)

    before = (carried("2026-10"), carried("2026-11"))
    assert before == (["1"], ["2"])  # each month's own month-end too, as its ledger counts (a later tester: 1 on one, 2 on the other)
    monkeypatch.setenv("JIESU_NOW", "2026-12-02T10:00:00+08:00")
    jiesu.ok("ledger", "roll", "2026-10")
    jiesu.ok("ledger", "roll", "2026-11")
    assert (carried("2026-10"), carried("2026-11")) == before
    assert json.loads(jiesu.ok("ledger", "export", "--period", "2026-10", "--format", "json").stdout)[0]["carried"] == 1


def test_a_months_report_and_its_ledger_count_an_entry_put_back_alike(jiesu, monkeypatch):
    """A fresh tester: an entry cleared in October and put back by November's unsatisfied revisit read 结转 2 in
    `ledger export --period 2026-11` and 1 in November's report: two papers for one month, one heading."""
    import re

    monkeypatch.setenv("JIESU_NOW", "2026-09-15T10:00:00+08:00")
    case_id = jiesu.new("水压不足", "--nature", "合理诉求", "--received", "2026-09-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--at", "2026-09-12T10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-10-20T10:00:00+08:00")
    jiesu.ok("ledger", "clear", "1", "--evidence", "已换管", "--at", "2026-10-15T10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-11-10T10:00:00+08:00")
    jiesu.ok("revisit", case_id, "--satisfaction", "不满意", "--resolved", "no", "--at", "2026-11-05T10:00")
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T10:00:00+08:00")
    exported = json.loads(jiesu.ok("ledger", "export", "--period", "2026-11", "--format", "json").stdout)
    page = jiesu.ok("report", "monthly", "--period", "2026-11", "--format", "html").stdout
    reported = re.findall(r'<td class="num">(\d+)</td><td class="num">\d+</td></tr>', page)
    assert ([row["carried"] for row in exported], reported) == ([2], ["2"])  # September's and November's month-ends


def test_the_ledger_as_it_stands_counts_the_month_ends_as_a_past_month_does(jiesu, monkeypatch):
    """A fresh tester: with no roll run, `ledger list` said 结转次数 0 for an entry October's export counted 1 and
    November's 2; the number stood for the rolls run, not the month-ends passed."""
    monkeypatch.setenv("JIESU_NOW", "2026-12-03T10:00:00+08:00")
    case_id = jiesu.new("水压不足", "--nature", "合理诉求", "--received", "2026-10-10T09:00")
    jiesu.ok("ledger", "add", case_id, "--plan", "换管", "--unit", "城管科", "--due", "2026-12-31", "--at", "2026-10-12T10:00")
    exported = {period: json.loads(jiesu.ok("ledger", "export", *period, "--format", "json").stdout)[0]["carried"]
                for period in (("--period", "2026-10"), ())}
    shown = (jiesu.json("ledger", "list")[0]["carried"], jiesu.json("show", case_id)["ledger"][0]["carried"])
    assert (exported, shown) == ({("--period", "2026-10"): 1, (): 2}, (2, 2))  # October's month-end, then November's too
    jiesu.ok("ledger", "roll", "2026-10")
    jiesu.ok("ledger", "roll", "2026-11")
    assert (jiesu.json("ledger", "list")[0]["carried"], jiesu.json("show", case_id)["ledger"][0]["carried"]) == shown


def test_user_text_is_text_not_markup(jiesu, tmp_path):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> 请回电13812345678"
    for n in range(5):
        jiesu.new(hostile, "--community", "<b>前门</b>社区", "--category", "物业/</td>漏水", "--received", "-2h", "--phone", f"1390000{n:04d}")
    out = tmp_path / "日报.html"
    jiesu.ok("report", "daily", "--format", "html", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "<img" not in page and "<b>前门" not in page and "</td>漏水" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the hotspot shows its cases' summaries
    assert "&lt;b&gt;前门&lt;/b&gt;社区" in page
    assert "138****5678" in page and "13812345678" not in page


def test_every_text_cell_shows_invisible_characters_as_escaped_stand_ins(jiesu, book, tmp_path):
    """A fresh tester's community `前门\u2066社区` was written `<td>前门<U+2066>社区</td>`: the stand-in was
    made after escaping, and a browser took `<U+2066>` for an element and hid it. Each text cell of the
    page (rankings, hotspots and their cases, the seasonal table, the ledger's plan) has its own character;
    a 责任单位 cannot hold one, nor can a community or category today (safetext.name_refused): theirs are
    as an older jiesu stored them."""
    for _ in range(5):
        case = jiesu.new("楼道\u2066灯\x1b[2J不亮", "--address", "3号楼\ue000", "--nature", "合理诉求", "--received", "-2h")
        book.store_as_an_older_jiesu(case, community="前门\u200b社区\x1b", category="物业\u202e/照明")
    jiesu.ok("ledger", "add", "1", "--plan", "换灯\u2028泡\x07", "--unit", "物业公司")
    for year in (2024, 2025):
        for day in (3, 5, 7):
            book.store_as_an_older_jiesu(jiesu.new("供暖不热", "--received", f"{year}-12-0{day} 09:00"), category="供暖\u2069/温度")
    out = tmp_path / "日报.html"
    jiesu.ok("report", "daily", "--format", "html", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "<U+" not in page
    assert not [c for c in page if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Co", "Zl", "Zp")]
    for cell in ("<td>前门&lt;U+200B&gt;社区␛</td>", "<td>物业&lt;U+202E&gt;/照明</td>", "<strong>3号楼&lt;U+E000&gt;</strong>",
                 "<td>楼道&lt;U+2066&gt;灯␛[2J不亮</td>", "<td>供暖&lt;U+2069&gt;/温度</td>",
                 "<td>#1 楼道&lt;U+2066&gt;灯␛[2J不亮</td>", "<td>换灯&lt;U+2028&gt;泡␇</td>"):
        assert cell in page, cell


def test_the_same_book_gives_the_same_page(jiesu, demo_book):
    first = jiesu.ok("--db", demo_book, "report", "monthly", "--period", demo_month(), "--format", "html").stdout
    again = jiesu.ok("--db", demo_book, "report", "monthly", "--period", demo_month(), "--format", "html").stdout
    assert first == again


def test_daily_page_to_stdout(jiesu, demo_book):
    page = jiesu.ok("--db", demo_book, "report", "daily", "--format", "html").stdout
    assert "接诉即办日报 · " + TEST_NOW[:10] in page
    assert "近 14 天受理、办结与超期" in page


def test_an_empty_book_still_makes_a_whole_page(jiesu):
    page = jiesu.ok("report", "monthly", "--format", "html").stdout
    assert "本期没有诉求" in page and "没有在账条目" in page and page.rstrip().endswith("</html>")


def test_the_file_appears_whole_or_not_at_all(jiesu, tmp_path, demo_book):
    out = tmp_path / "月报.html"
    out.write_text("上个月的", encoding="utf-8")
    refused(jiesu("--db", demo_book, "report", "monthly", "--period", "2099-01", "--format", "html", "--out", str(out)), "2099-01 还没有到，不能出月报")
    assert out.read_text(encoding="utf-8") == "上个月的"
    missing = tmp_path / "没有这个文件夹" / "月报.html"
    refused(jiesu("--db", demo_book, "report", "monthly", "--format", "html", "--out", str(missing)), f"文件夹 {missing.parent} 不存在，无法写入 {missing}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db", "月报.html"]


def test_out_serves_every_format(jiesu, tmp_path):
    jiesu.new("楼道灯不亮", "--received", "-5m")
    out = tmp_path / "report.json"
    jiesu.ok("report", "daily", "--format", "json", "--out", str(out))
    assert '"received": 1' in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------- in a real browser

CHARTS_DRAWN = """
[...document.querySelectorAll('.chart svg')].map(svg => ({
  width: svg.getBoundingClientRect().width,
  marks: [...svg.querySelectorAll('.series *')].filter(m => { const b = m.getBBox ? m.getBBox() : null; return b && (b.width > 0 || b.height > 0); }).length,
  empty: svg.textContent.includes('No data'),
}))
"""


@pytest.mark.skipif(chromium() is None, reason="chromium 未安装（.ci/run 用 apt-get install chromium fonts-noto-cjk 安装）")
def test_a_person_opens_it_in_a_browser_and_prints_it(monthly_page, tmp_path):
    shots = Path(os.environ.get("JIESU_REPORT_SHOTS", tmp_path))
    browser = Browser(chromium())
    try:
        browser.open(monthly_page, width=1280)
        assert browser.problems() == []
        assert browser.requests() == [monthly_page.resolve().as_uri()]
        charts = browser.evaluate(CHARTS_DRAWN)
        assert len(charts) == 2
        for chart in charts:
            assert chart["width"] > 900 and chart["marks"] > 0 and not chart["empty"], chart
        # Chinese is drawn with a CJK font, not tofu boxes, in the page and inside the charts.
        for selector in ("h1", ".card .label", ".chart svg .legend text"):
            assert any("CJK" in family or "Hei" in family or "PingFang" in family for family in browser.fonts_of(selector)), selector
        browser.screenshot(shots / "report-monthly.png")
        browser.pdf(shots / "report-monthly.pdf")
        assert browser.problems() == []
    finally:
        browser.close()
    png = (shots / "report-monthly.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1280
    pdf = (shots / "report-monthly.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes)  # A4 in points
    assert len(boxes) >= 5  # each section starts a page


def test_the_change_from_last_month_reads_in_points_and_its_colour_agrees():
    from jiesu.report_html import change, direction

    assert (change(0.773, 0.771), direction(0.773, 0.771)) == ("较上月↑ 0.2 个百分点", "up")
    assert (change(0.5, 0.625), direction(0.5, 0.625)) == ("较上月↓ 12.5 个百分点", "down")
    # 94.90% against 94.93%: "持平" in words, so no red arrow colour either.
    assert (change(0.9490, 0.9493), direction(0.9490, 0.9493)) == ("较上月持平", "")
    assert (change(0.9, None), direction(0.9, None)) == ("较上月 —", "")
    assert change(0.773, 0.771, "分") == "较上月↑ 0.2 分"  # the score is out of 100, not a percentage


def test_the_score_card_says_its_change_in_points_of_100_and_the_rates_in_percentage_points(jiesu, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2026-12-01T09:30:00+08:00")
    for month, satisfied, resolved in (("2026-10", "满意", "yes"), ("2026-11", "不满意", "no")):
        case = jiesu.new("楼道灯不亮", "--nature", "合理诉求", "--received", f"{month}-05T09:00")
        jiesu.ok("contact", case, "--at", f"{month}-05T10:00")
        jiesu.ok("visit", case, "--note", "上门", "--at", f"{month}-05T11:00")
        jiesu.ok("close", case, "--result", "resolved", "--note", "修好", "--at", f"{month}-06T10:00")
        jiesu.ok("revisit", case, "--satisfaction", satisfied, "--resolved", resolved, "--at", f"{month}-07T10:00")
    page = jiesu.ok("report", "monthly", "--period", "2026-11", "--format", "html").stdout
    cards = dict(re.findall(r'<div class="label">([^<]*)</div>\s*<div class="value">[^<]*</div>\s*<div class="delta[^"]*">([^<]*)</div>', page))
    assert cards["综合得分（满分 100）"].endswith(" 分") and "百分点" not in cards["综合得分（满分 100）"], cards
    assert cards["满意率"].endswith(" 个百分点"), cards


@pytest.mark.parametrize("top", [0, 1, 3, 7, 40])
def test_the_days_chart_counts_in_whole_cases(top):
    """With at most one case a day pygal's own ticks were 0, 0.2, …, shown as 0,0,0,0,0,1,1,1,1,1."""
    import re

    from jiesu.report_html import days_chart

    days = [{"day": f"2026-11-{n:02d}", "received": top if n == 1 else 0, "closed": 0, "overdue": 0} for n in range(1, 4)]
    labels = [text for text in re.findall(r"<text[^>]*>([^<]*)</text>", days_chart(days)) if text.isdigit()]
    assert labels == sorted(set(labels), key=int) and labels[0] == "0" and int(labels[-1]) >= top, labels


def test_two_names_alike_once_masked_keep_their_own_rows(jiesu, office):
    """Replayed from a fresh tester: two communities whose names differ only in a number's masked
    digits were ranked as one row on the page (the second's figures overwrote the first's). Rows are
    grouped by the name itself; the names alike as shown are told apart by a number."""
    from jiesu import report_figures, reports

    for community in ("幸福里13812345678", "幸福里13812345678", "幸福里13899995678"):
        jiesu.new("楼道灯不亮", "--nature", "合理诉求", "--community", community, "--category", "市容", "--received", "2026-11-20T09:00")
    ranked = report_figures.figures(office, reports.monthly(office, "2026-11"))["by_community"]["rows"]
    assert [(row["name"], row["received"], row["open"]) for row in ranked] == [
        ("幸福里138****5678（1）", 2, 2), ("幸福里138****5678（2）", 1, 1)
    ]
    page = jiesu.ok("report", "monthly", "--period", "2026-11", "--format", "html").stdout
    assert "幸福里138****5678（1）" in page and "幸福里138****5678（2）" in page and "13812345678" not in page
