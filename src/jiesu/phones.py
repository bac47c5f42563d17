"""Chinese phone numbers: validate, normalise and mask (DESIGN §5 privacy)."""

from __future__ import annotations

from jiesu.errors import BadInput


def normalise(text: str) -> str:
    """The national dialling digits of a valid CN number (mobile or landline).

    `010-65123456` → `01065123456`, `+86 138 1234 5678` → `13812345678`.
    """
    import phonenumbers  # heavy; only commands that take a phone pay for it

    raw = text.strip()
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise BadInput(f"不是有效的中国电话号码：{raw!r}（手机如 13812345678，座机如 010-65123456）")
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def mask(phone: str | None) -> str | None:
    """`13812345678` → `138****5678`; short numbers keep only their last two digits."""
    if not phone:
        return phone
    if len(phone) >= 8:
        return phone[:3] + "****" + phone[-4:]
    return "*" * (len(phone) - 2) + phone[-2:]
