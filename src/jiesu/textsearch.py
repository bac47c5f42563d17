"""Traditional and simplified Chinese match each other: everything searched is folded to simplified."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    import opencc  # loads its dictionaries; only searching and filing pay for it

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """`text` in simplified Chinese and lower case, as stored in search_text.

    NUL is dropped: SQLite's LIKE stops reading a pattern at it, so a search for
    it would otherwise match everything.
    """
    if not text:
        return ""
    text = text.replace("\x00", "")
    if text.isascii():
        return text.casefold()
    return _converter().convert(text).casefold()


def search_text(*parts: str | None) -> str:
    return fold("\n".join(p for p in parts if p))
