"""Help pages folded to the terminal as Chinese is written.

Click folds help as English: by characters, at spaces, joining a paragraph's lines with a
space. Chinese has no spaces and each character takes two columns, so its lines ran twice
the terminal's width, a phone number or an address was cut where the count ran out
(`186-0000-3` / `333`), and a docstring line ending in `，` left a stray space after it.
Here a line breaks between Chinese characters or at a space, never inside a run of Latin
letters, digits and marks (a phone number, a file name, an option), is measured in terminal
columns, and keeps its closing mark (`，` `）`) with the character before it.
"""

from __future__ import annotations

import re

import typer

from jiesu.safetext import columns, wide

HelpFormatter = typer.Context.formatter_class  # Click's, in the copy Typer carries

# Marks a line may not start with (they close what came before) or end with (they open what follows).
_CLOSING = set("，。、；：！？）】」』》”’…,.;:!?)]}%")
_OPENING = set("（【「『《“‘([{")
EXAMPLE = "例："  # a paragraph that starts so is a command line to copy: never folded
TAG = re.compile(r"\[[^\[\]\n]+\]")  # Click's `[默认: 1d]`, `[必填]`: one piece, never split across lines


def _runs(text: str) -> list[str]:
    """`text` as runs of spaces, single wide characters and runs of other characters."""
    runs: list[str] = []
    kind = None
    for ch in text:
        now = "space" if ch.isspace() else "wide" if wide(ch) else "narrow"
        if now == kind and now != "wide":
            runs[-1] += ch
        else:
            runs.append(ch)
        kind = now
    return runs


def _pieces(text: str) -> list[str]:
    """What a line may break between: each Chinese character, each run of other characters that are
    not spaces, each space, each tag in brackets (TAG) whole; a closing mark stays with the piece before
    it, an opening one with the next."""
    pieces: list[str] = []
    at = 0
    for tag in TAG.finditer(text):
        pieces += _broken(text[at : tag.start()]) + [tag.group()]
        at = tag.end()
    return pieces + _broken(text[at:])


def _broken(text: str) -> list[str]:
    """The pieces of text that holds no tag."""
    pieces: list[str] = []
    opening = ""
    for run in _runs(text):
        if run.isspace():
            pieces += [opening, " "] if opening else [" "]
        elif run[0] in _CLOSING and not opening and pieces and not pieces[-1].isspace() and (wide(run[0]) or not any(ch.isalnum() for ch in run)):
            pieces[-1] += run  # `，` `）` `,`: but `.xlsx` is a file's extension, not a full stop
        elif run in _OPENING or (not wide(run[0]) and run[-1] in _OPENING):  # `（`, `[`: with what it opens
            opening += run
            continue
        else:
            pieces.append(opening + run)
        opening = ""
    if opening:
        pieces.append(opening)
    return pieces


def fold(text: str, width: int) -> list[str]:
    """One paragraph as lines of at most `width` columns (a piece wider than that alone is cut)."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(text):
        if piece == " ":
            line += " " if line else ""
            continue
        if line and columns(line + piece) > width:
            lines.append(line.rstrip())
            line = ""
        while columns(piece) > width:  # a piece no line holds: cut where the columns run out
            cut = next(n for n in range(len(piece), 0, -1) if columns(piece[:n]) <= width)
            lines.append(piece[:cut])
            piece = piece[cut:]
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def joined(lines: list[str]) -> str:
    """A paragraph's source lines as one: with a space between Latin words, none beside a Chinese character."""
    text = ""
    for line in (line.strip() for line in lines):
        if text and line and not (wide(text[-1]) or wide(line[0])):
            text += " "
        text += line
    return text


def paragraphs(text: str, width: int, indent: str = "") -> str:
    """Help text folded paragraph by paragraph (a blank line parts them); a paragraph after a `\\b` line,
    or one that is an example (`例：jiesu …`), is kept as written."""
    out = []
    for block in re.split(r"\n\s*\n", text.expandtabs().strip()):
        lines = block.splitlines()
        if lines and lines[0].strip() == "\b":
            out.append("\n".join(indent + line for line in lines[1:]))
        elif lines and lines[0].strip().startswith(EXAMPLE):
            out.append("\n".join(indent + line.strip() for line in lines))
        else:
            out.append("\n".join(indent + line for line in fold(joined(lines), max(width - len(indent), 10))))
    return "\n\n".join(out)


class ChineseFormatter(HelpFormatter):
    """Click's help formatter, folding text and definition lists as above."""

    def write_text(self, text: str) -> None:
        self.write(paragraphs(text, self.width, " " * self.current_indent))
        self.write("\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_width = min(max((columns(first) for first, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if columns(first) <= first_width - col_spacing:
                self.write(" " * (first_width - columns(first)))
            else:
                self.write("\n" + " " * (first_width + self.current_indent))
            lines = paragraphs(second, max(self.width - first_width - 2 - self.current_indent, 10)).splitlines() or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_width + self.current_indent}}{line}\n" if line else "\n")


class ChineseContext(typer.Context):
    """The context of every jiesu command: its help is folded by ChineseFormatter."""

    formatter_class = ChineseFormatter
