"""Grounded generation: an OpenAI-compatible chat model words an answer from retrieved entries.

Optional and off by default (``[generation] base_url`` empty). When it is on, the bot still
decides by retrieval: only a question the knowledge base *answers* is worded by the model, and
only from the entries retrieved for it (the answered one and those close to it,
:func:`sources`). The request is the chat-completions wire format every OpenAI-compatible
server speaks (vLLM, Ollama, llama.cpp, hosted APIs): ``POST {base_url}/chat/completions``,
the reply in ``choices[0].message.content``.

What is sent: the entries (question and answer, each with a handle ``[E1]``...), the rules
(these entries only, no new numbers or links, the customer's language, name the entry used or
say ``NO_ANSWER``) and the customer's message with personal data masked
(:func:`mask_personal`: phone numbers, ID-card numbers, emails, addresses). What comes back is
checked before anyone sees it: the entry it names must be one of those sent, and the text
must keep to them (:mod:`kb.grounding`). Any failure is a :class:`GenerationFailed` with a
short reason; the caller then sends the entry's own answer. The API key goes only into the
``Authorization`` header; it is never logged or put in an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from core.logs import Masker
from kb.choices import CLOSE_SHARE
from kb.grounding import Grounding, grounding
from kb.settings import GenerationSettings
from kb.types import Hit

log = logging.getLogger(__name__)

NO_ANSWER = "NO_ANSWER"
MAX_SENTENCES = 4  # asked of the model: a chat reply, not an essay
_HANDLE = re.compile(r"[\[【(（]\s*E\s*(\d)\s*[\]】)）]")
_KEYLIKE = re.compile(r"\b(?:sk|pk|key)-[\w*.-]{3,}", re.I)  # an API key, whole or quoted
_DECLINED = re.compile(r"\W*no[_ ]answer\b", re.I)
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S)
# Landlines (0571-88886666) and street addresses: the log masker covers mobiles, ID cards,
# emails and account ids; what is sent to a model outside the house masks these too.
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")
# A Chinese street address is found by its core (road, number, building, room: every
# repetition bounded, so a long message costs linear time) and widened to the left over the
# district, city and province it names, up to a word that is not part of it (住, 在, 地址...).
_ZH_ADDRESS = re.compile(
    r"(?:路|街|大道|巷|弄|胡同|村|小区|花园|公寓|大厦)[\w#-]{0,10}?\d{1,5}\s*(?:号|弄|栋|幢|楼|室|单元)"
    r"(?:[\w#-]{0,12}?\d{1,5}\s*(?:号楼|号|栋|幢|单元|楼|层|室)){0,4}"
)
_ADDRESS_HEAD = re.compile(r"[\u4e00-\u9fff\w]")
_ADDRESS_STOP = frozenset("住在是到寄送址为我你您的家：:，,。 ")
MAX_ADDRESS_HEAD = 20  # characters of district, city and province before the road
_EN_ADDRESS = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z][\w'-]*\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|"
    r"Boulevard|Blvd|Way|Court|Ct|Place|Pl)\b\.?(?:,?\s*(?:Apt|Suite|Unit|Flat|#)\.?\s*\w+)?",
    re.I,
)
_MASKER = Masker()

RULES = {
    "zh": (
        "你是售后客服。只根据下面的知识库条目回答顾客的问题，不要添加条目中没有的内容，尤其是"
        "数字、时间、价格、电话、网址和承诺。用简体中文回答，简洁友好，不超过{n}句。回答以所依据"
        "条目的编号开头，例如 [E1]。如果这些条目回答不了顾客的问题，只回复 NO_ANSWER。"
    ),
    "en": (
        "You are a customer service agent. Answer the customer's question using only the "
        "knowledge-base entries below. Add nothing the entries do not say, above all no "
        "numbers, times, prices, phone numbers, links or promises. Answer in English, briefly "
        "and kindly, in at most {n} sentences. Begin with the number of the entry you used, "
        "e.g. [E1]. If the entries do not answer the question, reply only NO_ANSWER."
    ),
}
LABELS = {
    "zh": {"entries": "知识库条目", "q": "问题", "a": "答案", "earlier": "顾客之前问的是"},
    "en": {"entries": "Knowledge-base entries", "q": "Question", "a": "Answer",
           "earlier": "The customer asked before"},
}  # fmt: skip


class GenerationFailed(Exception):
    """No usable generated reply; ``reason`` says why (the entry's own answer is sent)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # timeout | http_<status> | malformed | empty | declined | ...
        self.detail = detail


@dataclass(frozen=True)
class Draft:
    """A model's reply, cleaned: its text, the entry it names, how well it kept to them."""

    text: str
    entry_id: str
    grounding: Grounding
    seconds: float


def mask_personal(text: str) -> str:
    """``text`` with phone numbers, ID-card numbers, emails and addresses masked."""
    text = _mask_zh_addresses(text)
    text = _EN_ADDRESS.sub("[address]", text)
    text = _MASKER(text)  # mobiles 138****5678, ID cards, emails w***@x.cn, openids
    return _LANDLINE.sub(lambda m: m.group()[:4] + "****", text)


def _mask_zh_addresses(text: str) -> str:
    """Each Chinese street address, widened to its district, city and province, as [地址]."""
    parts: list[str] = []
    done = 0  # text before this is written out
    for m in _ZH_ADDRESS.finditer(text):
        start = m.start()
        while (
            start > done
            and m.start() - start < MAX_ADDRESS_HEAD
            and text[start - 1] not in _ADDRESS_STOP
            and _ADDRESS_HEAD.match(text[start - 1])
        ):
            start -= 1
        parts += [text[done:start], "[地址]"]
        done = m.end()
    return "".join(parts) + text[done:]


def sources(hits: Sequence[Hit], language: str, *, limit: int, floor: float) -> list[Hit]:
    """The entries a reply may be composed from: the answered (top) one, then those close to
    it (as close as a choice would be, :mod:`kb.choices`), in the customer's language only
    (a reply in another language could not be checked against them). Empty: do not generate."""
    if not hits or hits[0].language != language:
        return []
    top = hits[0].score
    close = [h for h in hits[1:] if h.score >= max(top * CLOSE_SHARE, floor)]
    return [hits[0], *[h for h in close if h.language == language]][:limit]


def messages(
    question: str, entries: Sequence[Hit], language: str, earlier: str = ""
) -> list[dict[str, str]]:
    """The chat messages: rules and entries (system), the customer's masked message (user)."""
    lang = "en" if language == "en" else "zh"
    words = LABELS[lang]
    blocks = [
        f"[E{i}] {words['q']}: {h.question}\n{words['a']}: {h.answer}"
        for i, h in enumerate(entries, start=1)
    ]
    system = f"{RULES[lang].format(n=MAX_SENTENCES)}\n\n{words['entries']}:\n\n" + "\n\n".join(
        blocks
    )
    user = mask_personal(question)
    if earlier and earlier != question:
        user = f"{user}\n({words['earlier']}: {mask_personal(earlier)})"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def read_reply(content: str, entries: Sequence[Hit]) -> tuple[str, Hit]:
    """The reply's text without entry handles, and the entry it names (else the one it keeps
    closest to); GenerationFailed when it is empty or declines."""
    text = _THINK.sub("", content).strip()  # a reasoning model's thinking is not the reply
    named = [int(n) for n in _HANDLE.findall(text)]
    text = re.sub(r"\s{2,}", " ", _HANDLE.sub("", text)).strip(" \t\n:：-")
    if _DECLINED.match(text):
        raise GenerationFailed("declined")
    if not text:
        raise GenerationFailed("empty")
    valid = [n for n in named if 1 <= n <= len(entries)]
    if valid:
        return text, entries[valid[0] - 1]
    if named:
        raise GenerationFailed("malformed", f"names entry E{named[0]}, which was not sent")
    best = max(entries, key=lambda h: grounding(text, (h.question, h.answer)).kept)
    return text, best


def source_texts(entries: Sequence[Hit]) -> list[str]:
    """What a reply is measured against: every sent entry's question and answer."""
    return [t for h in entries for t in (h.question, h.answer)]


class Generator:
    """The chat-completions client: one shared HTTP session, the API key in one header."""

    def __init__(self, settings: GenerationSettings) -> None:
        self.settings = settings
        base = settings.base_url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            headers = {"Content-Type": "application/json"}
            if self.settings.api_key:
                headers["Authorization"] = f"Bearer {self.settings.api_key}"
            self._http = aiohttp.ClientSession(headers=headers)
        return self._http

    async def close(self) -> None:
        """Close the HTTP session (app shutdown, end of an eval)."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def complete(self, chat: list[dict[str, str]], seconds: float) -> str:
        """The model's reply text to ``chat``, within ``seconds``, or GenerationFailed."""
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": chat,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
            "stream": False,
        }
        try:
            async with asyncio.timeout(seconds):
                async with self._session().post(self.url, json=body) as resp:
                    raw = await resp.read()
                    status = resp.status
        except TimeoutError:
            raise GenerationFailed("timeout", f"no reply within {seconds:.2f} s") from None
        except aiohttp.ClientError as err:
            raise GenerationFailed("unreachable", type(err).__name__) from None
        data = _json(raw)
        if status != 200:
            raise GenerationFailed(f"http_{status}", self._error_detail(data, status))
        try:
            content = data["choices"][0]["message"]["content"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            raise GenerationFailed("malformed", "no choices[0].message.content") from None
        if not isinstance(content, str):
            raise GenerationFailed("malformed" if content is not None else "empty")
        return content

    def _error_detail(self, data: object, status: int) -> str:
        """The provider's error type, code and message, the API key never among them (an
        authentication error's message, which often quotes part of the key, is left out)."""
        err = data.get("error", data) if isinstance(data, dict) else None
        if not isinstance(err, dict):
            return "no error body"
        parts = [str(err.get(k)) for k in ("type", "code") if err.get(k) not in (None, "")]
        message = "" if status in (401, 403) else str(err.get("message") or "")[:300]
        if self.settings.api_key:
            message = message.replace(self.settings.api_key, "***")
        return " ".join([*parts, _KEYLIKE.sub("***", message)]).strip()

    async def draft(
        self,
        question: str,
        entries: Sequence[Hit],
        language: str,
        seconds: float,
        *,
        earlier: str = "",
    ) -> Draft:
        """Ask the model to word an answer to ``question`` from ``entries``; the cleaned
        reply and how it kept to them (the caller decides whether that is enough)."""
        if not entries:
            raise GenerationFailed("no_source")
        started = time.monotonic()
        content = await self.complete(messages(question, entries, language, earlier), seconds)
        text, used = read_reply(content, entries)
        measured = grounding(text, source_texts(entries))
        return Draft(text, used.entry_id, measured, time.monotonic() - started)


def _json(raw: bytes) -> object:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
