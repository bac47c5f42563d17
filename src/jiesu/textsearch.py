"""One normalisation for every comparison of typed text: search, duplicate detection, hotspots.

Full-width digits and letters become half-width (NFKC), spaces and characters that draw nothing
(zero-width, bidi marks) are dropped,
traditional Chinese becomes simplified and case is folded: `前门东大街３号 楼`,
`前門東大街3號樓` and `前门东大街3号楼` are the same text to jiesu. The stored
values are never changed; their normalised copies (search_text, address_key,
category_key) are what queries compare.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jiesu.errors import BadInput
from jiesu.safetext import undecodable_message

# The case fields `list --search` looks in.
SEARCHED = ("summary", "detail", "address", "name", "category", "ref")

_SPACES = re.compile(r"\s+")
# Format characters (Unicode category Cf: zero-width spaces and joiners, bidi marks, the BOM, the
# soft hyphen …) draw nothing: text pasted from a web page carries them where a worker types none,
# so a comparison drops them as it drops spaces. Written out, since finding them at start-up costs.
# Narrower than `safetext.blank` on purpose: that asks whether a text shows nothing at all (also the
# Hangul fillers and other default-ignorables, which a comparison keeps, as they are letters in fonts).
INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


@lru_cache(maxsize=1)
def _converter():
    import opencc  # loads its dictionaries; only searching and filing pay for it

    return opencc.OpenCC("t2s")


def fold(text: str | None) -> str:
    """`text` normalised: half-width, without spaces, in simplified Chinese, lower case.

    NUL is dropped too: SQLite's LIKE stops reading a pattern at it, so a search for
    it would otherwise match everything. Bytes that were not text are refused (BadInput).
    """
    if not text:
        return ""
    if text.isascii() and text.isalnum():  # a work-order number, say: only its case to fold
        return text.lower()
    try:
        return _fold_short(text) if len(text) <= REMEMBERED_LENGTH else _fold(text)
    except UnicodeEncodeError:  # bytes that were not UTF-8 (opencc encodes), pointed at in the text as typed
        raise BadInput(undecodable_message(text)) from None


# Names, categories, communities and addresses recur from row to row of an import: their
# folding is remembered (short texts only, so the memory it takes stays small).
REMEMBERED_LENGTH = 128


@lru_cache(maxsize=4096)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    text = _SPACES.sub("", INVISIBLE.sub("", unicodedata.normalize("NFKC", text).replace("\x00", "")))
    if text.isascii():
        return text.casefold()
    return _converter().convert(text).casefold()


def key(text: str | None) -> str | None:
    """The normalised form of a value that groups or matches cases (address, category); None stays None."""
    return None if text is None else fold(text)


def ref_key(ref: str | None) -> str | None:
    """A 12345 work-order number as refs are compared: half-width (NFKC), case folded, without the
    spaces around it nor the invisible characters a copy from a web page brings, so that `ＢＪ００１`,
    `bj001`, `BJ001` and `BJ001<U+200B>` from a paper slip, an Excel sheet, a page or a keyboard are one
    order. Spaces inside are kept (unlike `fold`): a ref is copied, not worded."""
    if ref is None:
        return None
    if ref.isascii():
        return ref.strip().casefold() or None
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", ref).casefold())).strip() or None


def derived(source: Any) -> dict[str, Any]:
    """The normalised copies a case keeps beside what was typed, from a case or a mapping of its values.

    search_text is what `list --search` looks in (the SEARCHED fields, one per line);
    address_key and category_key are what hotspots and 一人多诉 group by; ref_key is what
    tells whether two refs are one work order.
    """
    get = source.get if source.__class__ is dict or isinstance(source, Mapping) else lambda name: getattr(source, name, None)
    return {
        "search_text": "\n".join([fold(text) for name in SEARCHED if (text := get(name))]),
        "address_key": key(get("address")),
        "category_key": key(get("category")) or "",
        "ref_key": ref_key(get("ref")),
    }


def summary_key(search_text: str) -> str:
    """The summary normalised, read off the search_text `derived` made: its first line (a case
    always has a summary, and fold leaves no line break in it)."""
    return search_text.split("\n", 1)[0]


# Each normalised copy, and the typed fields it is made from (a view of a past time refolds it from them).
FOLDED_FROM = {"search_text": SEARCHED, "address_key": ("address",), "category_key": ("category",), "ref_key": ("ref",)}
