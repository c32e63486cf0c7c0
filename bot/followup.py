"""Follow-up questions: "那运费谁出？" after a return answer, "那洗衣机呢？" after a dishwasher one.

A follow-up leaves out what the conversation already said. When a message reads like one
(it opens with 那/那么/还有/what about..., ends with 呢, or is short) and the conversation
has a topic (the question last answered, kept in the bot's memory), it is also searched
*in context*:

* "那X呢" / "what about X": X put in place of the topic's word it most resembles (shares
  characters with: 洗碗机 -> 洗衣机), when the topic has such a word;
* the topic and the message together ("怎么申请退货 那运费谁出").

The contextual reading wins when the message alone is not answered with confidence, or when
it is an explicit follow-up whose contextual reading is at least as confident; never when it
finds the entry just answered again (the topic's words outweighing the message's). Every channel
gets this: it runs in the bot, before the channel's rendering.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from kb.text import tokenize
from kb.types import SearchResult

if TYPE_CHECKING:
    from bot.ports import Searcher

MAX_TOPIC = 200  # characters of the topic kept in the bot's memory
SHORT_CJK = 8  # a Chinese message of at most this many ideographs may lean on the topic
SHORT_WORDS = 4  # an English one of at most this many words
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9']+")
_MARKER_ZH = re.compile(r"^(?:那|那么|那如果|那要是|还有|另外|如果是|要是|换成)")
_MARKER_EN = re.compile(r"^(?:and|what about|how about|what if|and if|also|then)\b", re.I)
# "那X呢" / "X呢" / "what about X?": the X.
_SLOT_ZH = re.compile(
    r"^(?:那么?|还有|换成|如果是|要是)?\s*(?P<x>[^，,。？?！!呢]{1,12}?)\s*呢[？?。!！\s]*$"
)
_SLOT_EN = re.compile(
    r"^(?:and |so )?(?:what|how) about (?:the |a |an |my )?(?P<x>[^?.!]{1,40})[?.!\s]*$", re.I
)
_DECISION_RANK = {"answer": 2, "clarify": 1, "escalate": 0}


def explicit(text: str) -> bool:
    """Whether the message opens or closes the way a follow-up does."""
    t = text.strip()
    return bool(_MARKER_ZH.match(t) or _MARKER_EN.match(t) or re.search(r"呢[？?。!！\s]*$", t))


def elliptical(text: str) -> bool:
    """Whether the message may leave out what the conversation said: explicit, or short."""
    if explicit(text):
        return True
    cjk = len(_CJK.findall(text))
    if cjk:
        return cjk <= SHORT_CJK
    return 0 < len(_WORD.findall(text)) <= SHORT_WORDS


def readings(topic: str, text: str) -> list[str]:
    """The message read in the context of ``topic``: substituted, then joined."""
    out: list[str] = []
    swapped = _substitute(topic, text)
    if swapped:
        out.append(swapped)
    out.append(f"{topic} {text}")
    return out


def _substitute(topic: str, text: str) -> str | None:
    """The topic with the follow-up's X in place of the topic word it most resembles."""
    m = _SLOT_ZH.match(text.strip())
    if m is not None:
        x = m.group("x").strip()
        words = [w for w in dict.fromkeys(tokenize(topic)) if _CJK.search(w) and len(w) >= 2]
        best, shared = None, 0
        for w in words:
            n = len(set(w) & set(x))
            if w != x and n > shared and w in topic:
                best, shared = w, n
        if best is not None:
            return topic.replace(best, x, 1)
        return None
    m = _SLOT_EN.match(text.strip())
    if m is not None:
        x = m.group("x").strip()
        low = topic.lower()
        for w in sorted(set(_WORD.findall(low)), key=len, reverse=True):
            if len(w) > 3 and w[:4] == x.lower()[:4] and w != x.lower():
                return re.sub(re.escape(w), x, topic, count=1, flags=re.I)
    return None


def better(candidate: SearchResult, current: SearchResult) -> bool:
    """Whether ``candidate`` decides more firmly than ``current`` (or as firmly, surer)."""
    a, b = _DECISION_RANK[candidate.decision], _DECISION_RANK[current.decision]
    return a > b or (a == b and candidate.confidence > current.confidence)


async def search(
    kb: Searcher, text: str, *, language: str, topic: str, answered: str = ""
) -> tuple[SearchResult, str]:
    """Search ``text``, in the context of ``topic`` when it reads like a follow-up.

    ``answered`` is the entry the topic got: a follow-up asks something else, so a contextual
    reading that finds that entry again (the topic's words outweighing the message's) is not
    taken. Returns the result and the question it answers (the message, or its reading).
    """
    direct = await kb.search(text, language=language)
    if not topic or not elliptical(text):
        return direct, text
    sure = direct.decision == "answer"
    if sure and not explicit(text):
        return direct, text
    options = readings(topic, text)
    found = await asyncio.gather(*(kb.search(q, language=language) for q in options))
    best, question = direct, text
    for result, reading in zip(found, options, strict=True):
        if answered and result.hits and result.hits[0].entry_id == answered:
            continue
        if better(result, best) or (
            sure and result.decision == "answer" and result.confidence >= best.confidence
        ):
            best, question = result, reading
    if best is direct:
        return direct, text
    return best, question[:MAX_TOPIC]
