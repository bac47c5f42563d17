"""What a file to import holds, told by its first bytes, and the one line refusing a format that does not fit it.

Without it a workbook read as CSV is refused as text in no known encoding, and a CSV read as JSON Lines
as one bad row a line: the user is told what the file is, and which --format reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from jiesu.errors import BadInput
from jiesu.importer import EXTENSIONS, bom_encoding

SNIFFED = 4096  # bytes looked at: a zip's or an OLE file's signature, or the first characters of text
# What each kind of content is called, and the formats that read it (the first is the one to advise).
KINDS = {
    "xlsx": ("Excel 工作簿（.xlsx）", ("xlsx", "xls")),
    "xls": ("旧版 Excel 工作簿（.xls）", ("xls", "xlsx")),
    "array": ("JSON 数组", ("json", "open311-json", "jsonl")),  # JSON Lines: a broken line of it is named by its line
    "object": ("JSON", ("jsonl", "json", "open311-json")),
    "table": ("文本表格（如 CSV）", ("csv",)),
}
FORMAT_NAMES = {
    "csv": "CSV", "xlsx": "Excel 工作簿", "xls": "Excel 工作簿", "json": "JSON", "jsonl": "JSON Lines",
    "open311-json": "Open311 JSON", "open311-xml": "Open311 XML",
}


def content_kind(start: bytes) -> str | None:
    """The kind (a key of KINDS) of a file that opens with `start`; None for XML or HTML, binary bytes,
    a first line that is neither JSON's bracket nor cells apart, or nothing: what the format's own reader
    tells best."""
    if start.startswith(b"PK\x03\x04"):
        return "xlsx"
    if start.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    encoding = bom_encoding(start)
    if encoding != "utf-16" and b"\x00" in start:
        return None
    first_line = start.decode(encoding or "utf-8", "ignore").lstrip("\ufeff \t\r\n").partition("\n")[0]
    if first_line[:1] in ("[", "{"):
        return "array" if first_line[0] == "[" else "object"
    return "table" if first_line[:1] != "<" and ("," in first_line or "\t" in first_line) else None


def refuse_other_content(source: BinaryIO, name: str, fmt: str, told: bool) -> None:
    """Refuse, in one line, reading the seekable `source` (the file `name`) in `fmt` when its first bytes
    show another kind of file; `told`: `fmt` came from --format, not from the extension."""
    kind = content_kind(source.read(SNIFFED))
    source.seek(0)
    if kind is None or fmt in KINDS[kind][1]:
        return
    content, fitting = KINDS[kind]
    content = f" {content}" if content[0].isascii() else content  # 是 Excel…, 是文本…
    right = f"--format {fitting[0]}"
    later = "（或在 Excel 中另存为 .xlsx）" if kind == "xls" else ""  # calamine reads a formula there as an empty cell
    if told:
        extension = EXTENSIONS.get(Path(name).suffix.lower()) if name != "-" else None
        drop = f"请去掉 --format {fmt}，或改用" if extension in fitting else "请改用"
        raise BadInput(f"文件内容是{content}，不能按 {FORMAT_NAMES[fmt]} 读；{drop} {right}{later}")
    raise BadInput(f"文件扩展名是 {Path(name).suffix.lower()}，内容却是{content}；请用 {right} 导入{later}")
