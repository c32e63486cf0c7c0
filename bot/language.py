"""Which language to answer in: Chinese when the customer writes Chinese, else English."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect(text: str, fallback: str) -> str:
    """``zh`` or ``en`` from the text; ``fallback`` when it has neither (digits, emoji)."""
    if _CJK.search(text):
        return "zh"
    if _LATIN.search(text):
        return "en"
    return fallback
