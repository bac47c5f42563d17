"""How the daily and monthly reports read: a Rich screen, Markdown, or flat CSV."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import IO, Any

from jiesu.clock import shown, shown_bound
from jiesu.queries import reason_labels
from jiesu.render import Column, cell, console as rich_console, figures, render, shielded, write_csv_batches
from jiesu.vocab import OutputFormat
from jiesu.safetext import visible

RATE_LABELS = {"response": "响应率", "resolution": "解决率", "satisfaction": "满意率", "score": "综合得分"}
HOTSPOT_LABELS = {"cluster": "同社区同类", "address": "同一地址", "caller": "一人多诉", "seasonal": "往年同期"}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def headline(doc: dict[str, Any]) -> str:
    """日报 2026-11-28（截至 2026-11-28 24:00）: a finished day or month is as of its end, read as 24:00."""
    when = f"日报 {doc['date']}" if "date" in doc else f"月报 {doc['period']}"
    as_of = datetime.fromisoformat(doc["as_of"])
    last_day = doc.get("date") or f"{doc['period']}-31"
    ended = as_of.time() == time(0) and doc["as_of"][:10] > last_day
    return f"{when}（截至 {(shown_bound if ended else shown)(as_of, as_of.tzinfo)}）"


def summary_line(doc: dict[str, Any]) -> str:
    return (
        f"受理 {doc['received']} · 办结 {doc['closed']} · 回访 {doc['revisited']} · 在办 {doc['open']} · "
        f"超期 {doc['overdue']} · 应升级 {len(doc['due_escalation'])}"
    )


def rates_line(rates: dict[str, float | None]) -> str:
    return " · ".join(f"{RATE_LABELS[k]} {percent(v)}" for k, v in rates.items())


def due_line(due: list[dict]) -> str:
    return "、".join(f"#{d['id']}（{reason_labels(d['reasons'])}）" for d in due) or "无"


def _hotspot_where(spot: dict) -> str:
    return spot.get("address") or spot.get("community") or "—"


def _named(label: str) -> Column:
    """The first column of a table of figures: the category, person or place a row is about (free text)."""
    return Column(label, label, main=True)


def _figure(label: str, *, lasting: bool = False) -> Column:
    return Column(label, label, whole=True, lasting=lasting)


def sections(doc: dict[str, Any]) -> list[tuple[str, list[Column], list[list[str]]]]:
    """The report's tables as (title, columns, rows) of text, shared by the screen and Markdown: a column's
    label is its header, and on screen its key, the layout its own (`render._fit`)."""
    tables = []
    for key, title, label in (("by_category", "按类别", "类别"), ("by_assignee", "按承办", "承办")):
        rows = [[r["name"] or "（未填）", str(r["received"]), str(r["open"]), str(r["overdue"])] for r in doc[key]]
        # On a narrow screen 超期, what a worker acts on, goes last (`lasting`).
        tables.append((title, [_named(label), _figure("当期受理"), _figure("在办"), _figure("超期", lasting=True)], rows))
    for key, title, label in (("rates_by_community", "三率·按社区", "社区"), ("rates_by_assignee", "三率·按承办", "承办")):
        if key in doc:
            rows = [[r["name"] or "（未填）", *(percent(r[k]) for k in RATE_LABELS)] for r in doc[key]]
            tables.append((title, rate_columns(label), rows))
    rows = [
        [HOTSPOT_LABELS[h["kind"]], _hotspot_where(h), h["category"] or "—", str(h["count"]), " ".join(f"#{i}" for i in h["case_ids"][:12])]
        for h in doc["hotspots"]
    ]
    tables.append(("未诉先办·热点", hotspot_columns(), rows))
    return tables


def rate_columns(label: str) -> list[Column]:
    """三率 by community or assignee. On a narrow screen the rates go by their weight in the score, the
    lightest first (响应率, then 满意率, then 解决率); 综合得分, the one figure a ranking is read by, stays
    with the name longest (`lasting`)."""
    response, resolution, satisfaction, score = RATE_LABELS.values()
    return [
        _named(label),
        Column(response, response, whole=True, drop=1),
        Column(resolution, resolution, whole=True, drop=3),
        Column(satisfaction, satisfaction, whole=True, drop=2),
        Column(score, score, whole=True, lasting=True),
    ]


def hotspot_columns() -> list[Column]:
    """未诉先办 hotspots. On a narrow screen 类别 goes first (cut, then left out; the ids lead to it); what
    says what a row is stays: the kind (一人多诉 has no place or category to show), the place, the
    ids a worker looks up, and the count longest of what can go (`lasting`)."""
    return [
        Column("类型", "类型", whole=True),
        _named("地点"),
        Column("类别", "类别"),
        Column("件数", "件数", whole=True, lasting=True),
        Column("诉求", "诉求", ids=True),
    ]


def ledger_line(doc: dict[str, Any]) -> str:
    ledger = doc["ledger"]
    text = f"在账 {ledger['open']} 条，超期 {ledger['overdue']} 条"
    balance = doc.get("ledger_balance")
    if balance:
        text += f"；{balance['period']} 期初 {balance['opening']} + 新增 {balance['added']} - 销账 {balance['cleared']} = 期末 {balance['closing']}"
    elif "period" in doc:
        text += f"；{doc['period']} 尚未结转"
    return text


def print_screen(doc: dict[str, Any], trend: list | None, out: IO[str]) -> None:
    console = rich_console(out)
    console.print(cell(headline(doc)), style="bold")
    console.print(figures(summary_line(doc)))
    console.print(figures("三率：" + rates_line(doc["rates"])))
    console.print(figures("超期：" + (" ".join(f"#{i}" for i in doc["overdue_cases"]) or "无")))
    console.print(figures("应升级：" + due_line(doc["due_escalation"])))
    console.print(figures("台账：" + ledger_line(doc)))
    for title, columns, rows in sections(doc):
        if not rows:
            continue
        console.print()
        render([dict(zip((c.key for c in columns), row)) for row in rows], OutputFormat.TABLE, columns, out=out, title=title)
    if trend:
        console.print()
        console.print(cell(f"近 {len(trend)} 天（受理 ▇ / 办结 ▒）"), style="bold")
        peak = max(max(t.received, t.closed) for t in trend) or 1
        for t in trend:
            bar_in = "▇" * round(20 * t.received / peak)
            bar_out = "▒" * round(20 * t.closed / peak)
            console.print(cell(f"{t.day:%m-%d} {t.received:>4} {bar_in:<20} {t.closed:>4} {bar_out}"))


def write_markdown(doc: dict[str, Any], out: IO[str]) -> None:
    lines = [f"# {headline(doc)}", "", summary_line(doc), "", "三率：" + rates_line(doc["rates"]), ""]
    lines += ["超期：" + (" ".join(f"#{i}" for i in doc["overdue_cases"]) or "无"), "", "应升级：" + due_line(doc["due_escalation"]), ""]
    lines += ["台账：" + ledger_line(doc), ""]
    for title, columns, rows in sections(doc):
        if not rows:
            continue
        lines += [f"## {title}", "", "| " + " | ".join(c.label for c in columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(map(markdown_text, row)) + " |" for row in rows]
        lines.append("")
    out.write("\n".join(lines))


MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})


def markdown_text(text: str) -> str:
    """Case text as Markdown shows it literally: controls made visible, every syntax character escaped."""
    return visible(text).translate(MARKDOWN_SPECIALS)


def write_flat_csv(doc: dict[str, Any], out: IO[str]) -> None:
    """One `key,value` row per leaf, keys as dotted paths (`rates.response`, `by_category.0.open`):
    text `shielded`, jiesu's lists of ids (`case_ids`, `45 46 47`) and words as they are."""
    write_csv_batches([[[key, value] for key, value in _leaves(doc, "")]], ["key", "value"], out)


def _leaves(value: Any, prefix: str):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        for index, inner in enumerate(value):
            yield from _leaves(inner, f"{prefix}.{index}")
    elif isinstance(value, list):  # ids, or jiesu's own words (an escalation's reasons)
        yield prefix, " ".join(map(str, value))
    else:
        yield prefix, "" if value is None else (json.dumps(value) if isinstance(value, bool) else shielded(prefix.rpartition(".")[2], value))
