"""A JSON array read an element at a time: memory holds the element being read, however long the array.

The standard library parses a whole document; `raw_decode` parses one value from a
position, so the array's brackets, commas and white space are walked here and each
element handed to it, with more text read whenever an element runs past what has been
read. Text that is not a JSON array is refused with one line naming its line and column,
as soon as the text read shows it. A stream that is not text raises its UnicodeDecodeError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NoReturn, TextIO

from jiesu import jsontext
from jiesu.errors import JSON_CUT_SHORT, JSON_REASONS, BadInput, json_fault

TOO_DEEP = "JSON 嵌套太深，不像是工单数据"
NOT_AN_ARRAY = "应为以 [ 开头的数组"
CHUNK = 1 << 16  # characters read at a time
# A parse error this far from the end of the text read so far is where it says; nearer, the text
# may just be cut short (`tru|e`, `\\u00|41`, `1|.5`): no token cut short is longer than this.
LOOKAHEAD = 16
TRAILING_COMMA = JSON_REASONS["Illegal trailing comma before end of array"]


class JsonArray:
    """The elements of a JSON array in `stream`, as (the line each starts on, its value); an element
    of more than `longest` characters is refused."""

    def __init__(self, stream: TextIO, *, longest: int) -> None:
        self.stream = stream
        self.longest = longest
        self.text, self.pos, self.eof = "", 0, False  # read and not yet given, from `pos` on
        # Where lines were last counted up to (`mark`, in `text`), its line, and where that line starts.
        self.mark, self.line, self.line_start = 0, 1, 0

    def opening(self) -> str:
        """The first character that is not white space ("" in an empty file)."""
        return self._next()

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        char = self._next()
        if not char:
            raise BadInput("不是合法的 JSON：文件是空的")
        if char != "[":
            self._refuse(NOT_AN_ARRAY, self.pos)
        self.pos += 1
        if self._next() == "]":
            self.pos += 1
        else:
            while True:
                line = self._where(self.pos)[0]
                yield line, self._value(line)
                char = self._next()
                if char == "]":
                    self.pos += 1
                    break
                if char != ",":
                    self._refuse("数组的元素之间应有逗号" if char else "数组没有以 ] 结束", self.pos)
                comma = self._where(self.pos)
                self.pos += 1
                char = self._next()
                if char == "]":
                    self._refuse_at(TRAILING_COMMA, *comma)
                if not char:  # the file ends on the comma
                    self._refuse_at(JSON_CUT_SHORT, comma[0], comma[1] + 1)
        if self._next():
            self._refuse("数组结束后还有内容", self.pos)

    def _next(self) -> str:
        """Skip white space: the character after it, or "" at the end of the file."""
        while True:
            self.pos = jsontext.SPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text) or self.eof:
                return self.text[self.pos : self.pos + 1]
            self._read()

    def _value(self, line: int) -> Any:
        """The value starting here, `line`; more text is read until it is whole."""
        while True:
            try:
                value, end = jsontext.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                cut_short = exc.pos >= len(self.text) - LOOKAHEAD or exc.msg.startswith("Unterminated string")
                if self.eof or not cut_short:
                    self._refuse(*json_fault(exc))
            except RecursionError:
                raise BadInput(TOO_DEEP) from None
            else:
                if end - self.pos > self.longest:
                    break
                if end < len(self.text) or self.eof:  # a number at the end of the text read may go on
                    self.pos = end
                    return value
            if len(self.text) - self.pos > self.longest:
                break
            self._read()
        raise BadInput(f"第 {line} 行起的一条记录超过 {self.longest:,} 个字符，不像是工单数据")

    def _read(self) -> None:
        """More text, the text already given dropped; as much again as is held, so a long element
        is parsed a few times over, not once a chunk."""
        self._where(self.pos)
        drop, self.pos = self.pos, 0
        self.text, self.mark, self.line_start = self.text[drop:], self.mark - drop, self.line_start - drop
        chunk = self.stream.read(max(CHUNK, len(self.text)))
        self.text += chunk
        self.eof = not chunk

    def _where(self, pos: int) -> tuple[int, int]:
        """(line, column) of `pos`, counted on from the last place asked about (places only move on)."""
        breaks = self.text.count("\n", self.mark, pos)
        if breaks:
            self.line += breaks
            self.line_start = self.text.rindex("\n", self.mark, pos) + 1
        self.mark = pos
        return self.line, pos - self.line_start + 1

    def _refuse(self, reason: str, pos: int) -> NoReturn:
        self._refuse_at(reason, *self._where(pos))

    def _refuse_at(self, reason: str, line: int, column: int) -> NoReturn:
        raise BadInput(f"不是合法的 JSON：{reason}（第 {line} 行第 {column} 列）")
