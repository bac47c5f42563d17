"""Text from a case, made safe for a person's terminal: every character shown as what it is.

A citizen's words, an imported file or a name typed at a terminal may hold control
characters (ESC sequences that clear the screen, set the window title or hide text),
bidi overrides that make a line read backwards, zero-width characters, or bytes that
were never text (lone surrogates). In table, Markdown and message output each of
these is replaced by a visible stand-in; JSON and CSV keep the exact text, except on a
terminal: there they are read by a person too, so CSV shows the stand-ins and JSON writes
these characters as `\\u` escapes (the same text, drawn harmlessly).
Kept free of imports: `say` and `fail` use it on every message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# Categories that draw nothing by themselves or steer the terminal: controls (Cc), format
# characters such as bidi overrides and zero-width joiners (Cf), surrogates (Cs), private
# use (Co) and the line/paragraph separators (Zl, Zp).
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_cache: dict[str, str] = {}


def _stand_in(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟, the Control Pictures block
    if code == 0x7F:
        return "␡"
    if _is_byte(char):
        return f"\\x{code - 0xDC00:02x}"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """`text` with every control, format, bidi and undecodable character replaced by a visible stand-in."""
    if text.isprintable():  # no character of the hidden categories (nor any other unprintable one): most text, Chinese too
        return text
    out = []
    for char in text:
        shown = _cache.get(char)
        if shown is None:
            shown = _stand_in(char) if unicodedata.category(char) in _HIDDEN else char
            if len(_cache) < 4096:
                _cache[char] = shown
        out.append(shown)
    return "".join(out)


def blank(text: str | None) -> bool:
    """Whether `text` shows nothing: empty, spaces, or only characters that draw nothing (a zero-width
    space pasted from a web page is not a summary, nor is the Hangul filler a blank-looking name is made of)."""
    if not text:
        return True
    first = text.lstrip()[:1]
    if first.isascii() and first.isprintable():  # '' aside, a visible ASCII character: every ref, phone and time a file holds
        return not first
    if "\u4e00" <= first <= "\u9fff":  # a CJK ideograph (all assigned, all drawn): nearly every summary and name
        return False
    return all(_draws_nothing(char) for char in text)


def dashes_only(text: str | None) -> bool:
    """Whether `text` shows dashes and nothing else (`-`, `－` as a Chinese keyboard types it, `——`, `—`): what a
    form holds for "none", and what `-` means on the command line (a field left empty, or cleared). It is no
    summary, reason, note or 责任单位; text around a dash (`- 见附件`, `3-2`) is text."""
    return not blank(text) and all(_draws_nothing(char) or _is_dash(char) for char in text)


def _is_dash(char: str) -> bool:
    return unicodedata.category(char) == "Pd" or char == "\u2212"  # Pd: -, －, —, –, ‐ …; U+2212 is the minus sign


def _is_byte(char: str) -> bool:
    """Whether `char` is a byte that was not UTF-8, kept by Python as a lone surrogate (surrogateescape)."""
    return "\udc80" <= char <= "\udcff"


def _draws_nothing(char: str) -> bool:
    if _is_byte(char):  # something was typed, in another encoding
        return False
    return char.isspace() or unicodedata.category(char) in _HIDDEN or char in _IGNORABLE or "\U000e0000" <= char <= "\U000e0fff"


# Unicode's default-ignorable code points that are not format characters (Cf, in _HIDDEN already) —
# Hangul fillers, the combining grapheme joiner, Khmer inherent vowels, Mongolian and other variation
# selectors, reserved ones, and the tag block U+E0000–U+E0FFF (compared above) — and two glyphs fonts
# draw empty (Braille blank, the null notehead): the characters people make a text look blank with.
# Taken from Unicode 14's DerivedCoreProperties.txt (Python 3.11's `unicodedata` is 14.0), since
# `unicodedata` has no Default_Ignorable property to check it against. Comparisons drop only Cf
# (`textsearch.INVISIBLE`).
_IGNORABLE = frozenset(
    chr(code)
    for low, high in (
        (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x180F, 0x180F), (0x2065, 0x2065), (0x2800, 0x2800),
        (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1D159, 0x1D159),
    )
    for code in range(low, high + 1)
)


def visible_lines(text: str) -> str:
    """`visible` line by line: the line breaks of a message or a page stay breaks."""
    return "\n".join(visible(line) for line in text.split("\n"))


def json_escaped(text: str) -> str:
    """JSON text with every hidden character but the layout's line breaks written as a `\\u` escape:
    the same JSON, which a terminal draws without acting on it."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        if char != "\n" and visible(char) != char:
            code = ord(char)
            if code > 0xFFFF:  # JSON escapes only UTF-16 units: a surrogate pair
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


ECHO_COLUMNS = 40  # how much of a long text a one-line message repeats back, in terminal columns
ECHO_PATH_COLUMNS = 200  # a file name is repeated whole unless it is absurdly long


def wide(char: str) -> bool:
    """Whether a terminal draws `char` two columns wide (a Chinese character, a full-width mark)."""
    return unicodedata.east_asian_width(char) in "WF"


def columns(text: str) -> int:
    """How many terminal columns `text` takes: two for each wide (Chinese) character."""
    return sum(2 if wide(char) else 1 for char in text)


def shortened(text: str, limit: int = ECHO_COLUMNS) -> str:
    """Text a message repeats back, kept to one readable line: the start, an ellipsis and the whole length.

    `前门东大街……（共 5000 字）`: the person sees what was meant and that nothing was lost;
    `jiesu show` and JSON keep the whole text. The start is `limit` terminal columns, not characters:
    40 Chinese characters took 80 columns and wrapped the line. A line break in it is shown as ␊: typed
    text must not start a line of its own under a line jiesu wrote (`城管科⏎#2 已办结`).
    """
    return _cut(text.replace("\n", "␊"), limit)


def _cut(text: str, limit: int) -> str:
    fitting = _fitting(text, limit)
    if fitting == len(text):
        return text
    return f"{text[:before_a_number(text, fitting)]}…（共 {len(text)} 字）"


def _fitting(text: str, limit: int) -> int:
    """How many of `text`'s first characters fit in `limit` columns (counted only that far: a text may be huge)."""
    used = 0
    for at, char in enumerate(text):
        used += 2 if wide(char) else 1
        if used > limit:
            return at
    return len(text)


def before_a_number(pieces: Sequence[str], cut: int) -> int:
    """Where to cut `pieces` (characters, or characters as shown) at `cut` or before: never through a number,
    masked or not — `139****567…` reads as another number than 139****5678. A text that starts with the
    number is cut where asked."""
    at = cut
    while at > 0 and _in_a_number(pieces[at - 1]) and _in_a_number(pieces[at]):
        at -= 1
    return at or cut


def _in_a_number(char: str) -> bool:
    return char.isdigit() or char == "*"


def echoed_path(path: object) -> str:
    """A file's path as a message repeats it: whole, unless absurdly long (then `shortened`)."""
    return shortened(str(path), ECHO_PATH_COLUMNS)


def echoed(value: object) -> str:
    """A value an error repeats back: text in quotes as typed, each character that draws nothing or steers the
    terminal its `visible` stand-in (`'2026-12-01␛[2J'`, not Python's `'2026-12-01\\x1b[2J'`); a long one
    `shortened` to one readable line; in double quotes if it holds a single one and no double (`"it's"`), as
    Python quotes. Other values (a JSON number or list) as Python writes them."""
    if not isinstance(value, str):
        return shortened(repr(value))
    quote = '"' if "'" in value and '"' not in value else "'"
    return f"{quote}{visible(_cut(value, ECHO_COLUMNS))}{quote}"


NOT_UTF8 = "不是 UTF-8 文字（可能是 GBK 编码）"  # what a file or script saved in the system's old encoding is told


def has_undecodable(text: str) -> bool:
    """Whether `text` carries lone surrogates: bytes that were not text in the encoding they were read in."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def name_refused(name: str, what: str) -> str | None:
    """Why the name of a person or unit (who acts, an assignee, a 责任单位) cannot be stored, or None: one
    holding a control or invisible character (a zero-width space pasted after `前门物业`, a bidi override, a
    Hangul filler or a variation selector that draws nothing) or a space other than ` ` and `　` (a no-break
    space) is another name than the one shown, so `--assignee 前门物业` and `ledger list --unit` would miss its
    cases. Each is shown by its stand-in (`<U+3164>`). So is one holding full-width letters or digits (`ｑｍ物业`),
    which would be a unit apart from `qm物业`: the line says how to write it.
    Bytes that are not UTF-8 are said as such elsewhere (`undecodable_message`), for every value."""
    if has_undecodable(name):
        return None
    shown = "".join(_stand_in(char) if char not in " \u3000" and _draws_nothing(char) else char for char in name)
    if shown != name:
        return f"{what} {echoed(shown)} 含控制符、不可见的字符或特殊空格，与显示出来的名字不是同一个；请删去这些字符"
    narrow = name.translate(_NARROWED)
    if narrow != name:
        return f"{what} {echoed(name)} 含全角字母或数字，与 {echoed(narrow)} 会算作两个名字；请写作 {echoed(narrow)}"
    return None


# Full-width ASCII letters and digits (`ｑｍ`, `３`), a Chinese keyboard's other spelling of `qm` and `3`, as those:
# a name holding them (`ｑｍ物业`) is another unit than `qm物业` to every filter and report row. Full-width marks
# (`（东片）`) are how Chinese is written, and stay.
_NARROWED = {code: code - 0xFEE0 for low, high in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for code in range(low, high + 1)}


def half_pair(char: str) -> str:
    """What a lone surrogate that stands for no byte is (a JSON `\\ud800`, a test's random text): no character."""
    return f"\\u{ord(char):04x} 是落单的半个 UTF-16 代理对，不是字符"


def undecodable_message(text: str) -> str:
    """The one line that refuses text carrying bytes that were not UTF-8: UTF-8 text with a stray byte or two
    in it is pointed at (`stray_bytes`); text that is GBK is shown as GBK reads it (`楼道灯不亮`); bytes that are
    neither, as bytes (`\\xff\\xfe`). Never half-decoded, where GBK pairs that happen to be UTF-8 (`¥`, `Ʋ`)
    stood among escapes; half a UTF-16 pair that no byte gives (`\\ud8bf`) is named as such."""
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        return f"文字里的 {half_pair(exc.object[exc.start])}"
    gbk = _as_gbk(data)
    if said := _stray_bytes(text, gbk):
        return said
    if gbk is None:
        return f"文字里有既不是 UTF-8 也不是 GBK 的字节：{shortened(repr(data)[2:-1])}；请把终端或文件设为 UTF-8"
    return f"文字里有不是 UTF-8 的字节（可能是 GBK 编码）：按 GBK 读是 {echoed(visible(gbk))}；请把终端或文件设为 UTF-8，或先转码：iconv -f gbk -t utf-8"


def stray_bytes(text: str) -> str | None:
    """The line for UTF-8 text with a stray byte or two in it (`原因` and a 0x9b a bad paste left), showing it as
    it reads and pointing at the bytes; None when it is not such text (it reads as GBK, or is no text at all)."""
    return _stray_bytes(text, _as_gbk(text.encode("utf-8", "surrogateescape")))


def _stray_bytes(text: str, gbk: str | None) -> str | None:
    """`stray_bytes`, given the text as GBK reads it (None: GBK cannot). A text is taken for UTF-8 when GBK
    cannot read it and something else is there besides the bytes, or when UTF-8 gave it ideographs, which GBK
    read as UTF-8 seldom gives, at least as many as the bytes it could not read."""
    stray = [place for place, char in enumerate(text, 1) if _is_byte(char)]
    ideographs = sum("\u4e00" <= char <= "\u9fff" for char in text)
    if not stray or not ((gbk is None and len(stray) < len(text)) or (ideographs and ideographs >= len(stray))):
        return None
    places = "、".join(str(place) for place in stray[:3]) + ("…" if len(stray) > 3 else "")
    return f"文字 {echoed(text)} 的第 {places} 个字符是不成字的字节（不是 UTF-8）；请删去，或重新输入这段文字"


def _as_gbk(data: bytes) -> str | None:
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None
