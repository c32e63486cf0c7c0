"""Canned replies: fill their variables so the text reads right in Chinese and in English.

``{customer_name}`` is often unknown (a web visitor, a WeChat follower without a profile).
One fixed stand-in cannot fit both languages: "您" turns "{customer_name}您好" into "您您好"
and "Hi {customer_name}," into "Hi 您,". The stand-in is chosen from the words around the
variable (the reply's own language), falling back to the conversation's language.
"""

from __future__ import annotations

import re

VARIABLE = re.compile(r"\{(customer_name|agent_name|ticket_number)\}")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# "Hi {customer_name}" -> "Hi there"; any other English place -> "customer".
_EN_GREETING = re.compile(r"\b(hi|hello|hey|morning|afternoon|evening)[\s,]*$", re.IGNORECASE)
# "{customer_name}您好" -> "您好": the pronoun already addresses the customer.
_ZH_PRONOUN = re.compile(r"^\s*[您你]")


def customer_name(name: str | None) -> str | None:
    """The contact's name when known; ``None`` lets :func:`render` pick a stand-in."""
    name = (name or "").strip()
    return name or None


def _script(before: str, after: str, language: str) -> str:
    """``zh`` or ``en``: the language of the words next to a variable."""
    near_before, near_after = before[-12:], after[:12]
    for chunk in (near_before[::-1], near_after):
        for ch in chunk:
            if _CJK.match(ch):
                return "zh"
            if _LATIN.match(ch):
                return "en"
    return "zh" if language.startswith("zh") else "en"


def _stand_in(before: str, after: str, language: str) -> str:
    """What an unknown customer's name becomes at this place of the text."""
    if _script(before, after, language) == "zh":
        return "" if _ZH_PRONOUN.match(after) else "客户"
    return "there" if _EN_GREETING.search(before) else "customer"


def render(text: str, values: dict[str, str | None], language: str = "zh") -> str:
    """Fill ``{customer_name}``, ``{agent_name}`` and ``{ticket_number}`` in a canned reply.

    A variable with no value (``None``) for the customer's name gets a stand-in that fits
    the sentence; other unknown variables stay as written, so the agent sees them.
    """
    out: list[str] = []
    pos = 0
    for m in VARIABLE.finditer(text):
        out.append(text[pos : m.start()])
        key = m.group(1)
        value = values.get(key)
        if value is not None:
            out.append(value)
        elif key == "customer_name" and key in values:
            out.append(_stand_in(text[: m.start()], text[m.end() :], language))
        else:
            out.append(m.group(0))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)
