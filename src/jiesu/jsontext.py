"""JSON as its standard (RFC 8259) has it: the one decoder jiesu reads a file's JSON with.

Python's json takes what is no JSON, or turns a value into another without a word: NaN, Infinity
and -Infinity (floats, which a text field then keeps as 'nan' and 'inf'), a number beyond a float
(1e400, read as infinity), an integer of more digits than Python converts (a ValueError of its own,
not a JSONDecodeError), and an object naming a key twice (the first value dropped). Each is refused
here as a JSONDecodeError at its place, whose message is the reason in Chinese.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from jiesu.safetext import echoed

SPACE = re.compile(r"[ \t\n\r]*")  # JSON's white space, not Unicode's
NUMBER_SHOWN = 20  # digits a refusal repeats of a number too long to read


def _constant(name: str) -> NoReturn:
    raise ValueError(name)


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(text)
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) < len(pairs):
        raise ValueError("a key twice")
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, object_pairs_hook=_object)


def loads(text: str) -> Any:
    """The one JSON value `text` holds, as json.loads reads it but for what this module refuses."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        raise _refusal(text, SPACE.match(text).end()) from None


def raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """The JSON value starting at `pos` of `text`, and where it ends (as JSONDecoder.raw_decode)."""
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError:
        raise
    except ValueError:
        raise _refusal(text, pos) from None


# What the decoder refused is found again in the text (it does not say where): strings whole (keys
# among them), brackets and separators, and the values it may refuse.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[][{},:]|NaN|-?Infinity|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
CONSTANTS = {
    "NaN": "NaN 不是 JSON 的值，空缺请写 null",
    "Infinity": "Infinity 不是 JSON 的值",
    "-Infinity": "-Infinity 不是 JSON 的值",
}


def _refusal(text: str, pos: int) -> json.JSONDecodeError:
    """Where and why the decoder refused the value starting at `pos`: the first refused thing in the text,
    which is well-formed JSON up to it."""
    keys: list[set[str] | None] = []  # for each bracket open: the keys of an object so far, None for an array
    key_next = False
    for token in _TOKEN.finditer(text, pos):
        found, at = token.group(), token.start()
        if found in ("{", "["):
            keys.append(set() if found == "{" else None)
            key_next = found == "{"
        elif found in ("}", "]"):
            keys.pop()
            key_next = False
        elif found in (",", ":"):
            key_next = found == "," and keys[-1] is not None
        elif found[0] == '"':
            if key_next:
                key = json.loads(found)
                if key in keys[-1]:
                    return json.JSONDecodeError(f"键 {echoed(key)} 在同一个对象里出现了两次", text, at)
                keys[-1].add(key)
            key_next = False
        elif found in CONSTANTS:
            return json.JSONDecodeError(CONSTANTS[found], text, at)
        elif _number_refused(found):
            shown = found if len(found) <= NUMBER_SHOWN else f"{found[:NUMBER_SHOWN]}…（共 {len(found)} 字）"
            return json.JSONDecodeError(f"数字 {shown} 超出范围", text, at)
    raise AssertionError(f"the decoder refused a value the text from {pos} does not hold")


def _number_refused(token: str) -> bool:
    """Whether the decoder refuses a number: a float beyond a float's range, an integer of more digits than int converts."""
    try:
        (int if token.lstrip("-").isdigit() else _float)(token)
    except ValueError:
        return True
    return False
