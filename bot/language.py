"""Which language to answer in: Chinese when the customer writes Chinese, else English.

Only words count. Markup (HTML tags and entities, as a rich-text editor or an email client
sends them), links, emoji and numbers say nothing about the customer's language: a message
of those alone keeps the conversation's language (``fallback``), and has no words to answer.
"""

from __future__ import annotations

import html
import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# A tag (<p>, </div>, <img src=x ...>, <br/>), a comment, or an unclosed tag at the end.
_TAG = re.compile(r"<!--.*?(?:-->|$)|</?[A-Za-z][^<>]*(?:>|$)", re.DOTALL)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]\w*);")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def words(text: str) -> str:
    """The text without markup and links: what the customer wrote in words (maybe nothing)."""
    if "<" not in text and "&" not in text and "://" not in text and "www." not in text.lower():
        return text.strip()  # nothing to take out (most messages): no regex scans a turn
    text = _TAG.sub(" ", text)
    text = html.unescape(_ENTITY.sub(lambda m: html.unescape(m.group()), text))
    text = _TAG.sub(" ", text)  # escaped markup ("&lt;b&gt;") is markup too
    return _URL.sub(" ", text).strip()


def has_content(text: str) -> bool:
    """Whether the text has anything to read, markup aside: a letter, an ideograph, a digit."""
    return any(ch.isalnum() for ch in words(text))


def detect(text: str, fallback: str) -> str:
    """``zh`` or ``en`` from the text's words; ``fallback`` when it has none (digits, emoji,
    markup only)."""
    w = words(text)
    if _CJK.search(w):
        return "zh"
    if _LATIN.search(w):
        return "en"
    return fallback
