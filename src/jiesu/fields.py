"""The fields a worker types about a complaint, each checked and cleaned one way.

`jiesu new`, `jiesu edit` and the prompts of both read a typed value through
`clean`, so a phone refused by one is refused by all, with the same line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jiesu import cells, phones, textsearch
from jiesu.errors import BadInput, BadOption
from jiesu.safetext import blank, dashes_only, echoed, name_refused
from jiesu.vocab import Channel, Kind, LabeledEnum, Nature, Urgency


def required(text: str | None, what: str, *, refusal: str | None = None) -> str:
    """A typed text a case or a step cannot go without (a summary, a reason, a note, a 责任单位), stripped. A
    blank one is a usage error (exit 2), as any value typed that no book could take, and so is one of dashes only:
    on the command line `-` leaves a field empty (`new`, `edit`), so it is no text (`assign 3 -` handed a case to
    a unit called `-`). `refusal`, when given, is the line either says instead (a step's own rule, such as
    不整改完不销账). A file's row without a summary is refused by the importer instead."""
    if blank(text):
        raise BadOption(refusal or f"{what}不能为空")
    if dashes_only(text):
        raise BadOption(refusal or f"{what}不能为空（- 在命令行上表示清除）；请写出{what}的内容")
    return text.strip()


def named(text: str | None, what: str) -> str:
    """A person or unit's name a step cannot go without (`assign`'s TO, a 责任单位), stripped: `required`,
    and `shown_as_is`."""
    return shown_as_is(required(text, what), what)


def shown_as_is(name: str, what: str) -> str:
    """`name`, refused (a usage error) when `name_refused` says why: a name, community or category holding a
    character that draws nothing is another one than the one shown, which no filter, report row or
    completion would put with it."""
    if reason := name_refused(name, what):
        raise BadOption(reason)
    return name


def _name_of(what: str) -> Callable[[str | None], str | None]:
    """The cleaner of an optional field that names someone or somewhere (姓名, 社区): stripped, `shown_as_is`."""

    def clean(text: str | None) -> str | None:
        name = text_or_none(text)
        return name and shown_as_is(name, what)

    return clean


def _summary(text: str) -> str:
    return required(text, "诉求摘要")


def _text(text: str | None) -> str:
    return (text or "").strip()


def text_or_none(text: str | None) -> str | None:
    """Text as it is stored, stripped (a pasted name often is not), or None when it holds nothing."""
    return text.strip() or None if text else None


def _phone(text: str | None) -> str | None:
    """The dialling digits, with the extension written after 转 when there is one (phones.split reads it back)."""
    if not text or not text.strip():
        return None
    number, extension = phones.split(text)
    return f"{number}转{extension}" if extension else number


# A case without a 12345 ref goes out in Open311 under its jiesu id, spelt so that no importer takes it
# for a work-order number (every book has a case #1); `import` reads it back as the id it is.
OPEN311_OWN_ID = "jiesu-"
OPEN311_OWN_ID_REF = re.compile(rf"{OPEN311_OWN_ID}(\d+)")


def ref_refused(ref: str) -> str | None:
    """Why a work-order number cannot be stored, or None: one written as an Open311 export writes a case
    without a ref would come back from that export as a case's id, not as a ref (typed or in a file alike). Refs
    compare folded (textsearch.ref_key), so every spelling of it is refused alike: `JIESU-7`, `ｊｉｅｓｕ－７`."""
    if OPEN311_OWN_ID_REF.fullmatch(textsearch.ref_key(ref) or ""):
        return f"工单编号 {echoed(ref)} 是 Open311 导出给无编号诉求的写法（jiesu-案卷编号），导回时会被读作案卷编号；请换一个编号"
    return None


def _ref(text: str | None) -> str | None:
    """A 12345 work-order number: the apostrophe typed before it in a spreadsheet, to keep it as text, is no part of it
    (an import takes it off too, so `'20261127001` and `20261127001` are one case)."""
    ref = cells.value_text("ref", text)
    if ref and (reason := ref_refused(ref)):
        raise BadInput(reason)
    return ref


def _category(text: str | None) -> str:
    return shown_as_is((text or "").strip().strip("/"), "类别")


def _enum(enum: type[LabeledEnum], noun: str) -> Callable[[Any], str | None]:
    def clean(text: Any) -> str | None:
        if text is None or (isinstance(text, str) and not text.strip()):
            return None
        try:
            return enum(text).value
        except ValueError:
            raise BadInput(enum.unknown(noun, text, echoed(text))) from None

    return clean


@dataclass(frozen=True)
class Field:
    """One case field as a worker fills it in: its label, how it is cleaned, the enum it names."""

    name: str
    label: str
    clean: Callable[[Any], Any]
    enum: type[LabeledEnum] | None = None


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("summary", "诉求摘要", _summary),
        Field("phone", "电话", _phone),
        Field("name", "姓名", _name_of("姓名")),
        Field("address", "地址", text_or_none),
        Field("community", "社区", _name_of("社区")),
        Field("category", "类别", _category),
        Field("channel", "渠道", _enum(Channel, "受理渠道"), Channel),
        Field("urgency", "紧急程度", _enum(Urgency, "紧急程度"), Urgency),
        Field("nature", "性质", _enum(Nature, "诉求性质"), Nature),
        Field("kind", "诉求类型", _enum(Kind, "诉求类型"), Kind),
        Field("ref", "工单编号", _ref),
        Field("detail", "诉求详情", _text),
    )
}


def clean(name: str, value: Any) -> Any:
    """The stored form of a typed value for field `name`, or BadInput saying why it cannot be."""
    return FIELDS[name].clean(value)
