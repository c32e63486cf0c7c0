"""First-pass triage at escalation: urgent words (complaints, safety) raise the priority."""

from __future__ import annotations

import re

# Complaint and public-exposure words, and safety hazards, in Chinese and English.
COMPLAINT = (
    "投诉",
    "差评",
    "曝光",
    "退一赔三",
    "12315",
    "消协",
    "媒体",
    "律师",
    "起诉",
    "骗子",
    "complain",
    "complaint",
    "lawyer",
    "sue ",
    "scam",
    "fraud",
    "refund now",
)
SAFETY = (
    "漏电",
    "起火",
    "着火",
    "冒烟",
    "爆炸",
    "触电",
    "烧焦",
    "煤气泄漏",
    "燃气泄漏",
    "smoke",
    "fire",
    "electric shock",
    "shock",
    "explode",
    "explosion",
    "burning",
    "sparks",
    "gas leak",
)

_WORDS = re.compile("|".join(re.escape(w) for w in COMPLAINT + SAFETY), re.IGNORECASE)


def priority_for(text: str, *, tier: str = "normal") -> str:
    """``urgent`` for complaints, safety hazards or VIP contacts, else ``normal``."""
    if tier == "vip" or _WORDS.search(text or ""):
        return "urgent"
    return "normal"


def urgent_terms(text: str) -> list[str]:
    """The urgent words found in ``text`` (for the ticket's reason)."""
    return sorted({m.group(0).lower() for m in _WORDS.finditer(text or "")})
