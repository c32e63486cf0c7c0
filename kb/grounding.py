"""Whether a generated reply kept to its source: a simple measure anyone can check by hand.

The reply is cut into sentences (at 。！？；!?; and line breaks, and at ". " in English). Each
sentence has *content units*: character bigrams of its Chinese runs and the stemmed words of
its English runs, function words left out (``kb/text.py``'s stopwords). A sentence is

* **kept** when more than ``SENTENCE_COVERAGE`` (half) of its units occur in the source (the
  entries the reply was composed from: their questions and answers) and every *fact* in it
  does too: each number (digits, or a Chinese or English number word before a unit: 七天 is
  7), phone number, URL and email address;
* **not kept** when either fails: a number, phone number or link the source does not have is
  never kept, however well the rest is covered;
* **filler** when it has fewer than ``MIN_UNITS`` units and no fact ("您好！", "Sure."), or is a
  stock courtesy ("如有其他问题请随时联系我们", "Hope this helps"): not counted either way.

The reply's *kept share* is kept / (kept + not kept); a reply with nothing counted has share
0 (nothing of the source in it). The bot sends a generated reply only when its share is at
least ``[generation] min_kept`` (1.0: every counted sentence); ``kefu kb eval --generate``
reports the shares. See docs/quality.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from kb.text import STOPWORDS, stem

SENTENCE_COVERAGE = 0.5  # a kept sentence has more than this share of its units in the source
MIN_UNITS = 3  # a sentence with fewer units (and no fact) is filler

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])|(?<=[.])(?=\s+[A-Z\"'(\u4e00-\u9fff])")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。；、！？）)\]]+", re.I)
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# Digit runs, with the separators phone numbers and dates are written with kept inside.
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*(?:[\s-]\d+)*")
_ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# A Chinese number word counts as a number before a measure word (七天, 三个工作日, 两年).
_ZH_NUMBER = re.compile(
    r"[零〇一二两三四五六七八九十百千万]+(?=个?(?:天|日|年|月|周|星期|小时|分钟|工作日|次|元|"
    r"块|台|件|倍|公里|米|斤|折|位|张|项|步|%))"
)
_EN_NUMBERS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100}
_EN_NUMBER = re.compile(r"\b(" + "|".join(_EN_NUMBERS) + r")\b")
# Stock courtesies a reply may open or close with: never counted.
_COURTESY = re.compile(
    r"^(?:您好|你好|亲|好的|当然|没问题|感谢您的(?:咨询|耐心|提问)|谢谢您?的?(?:咨询|耐心)?|"
    r"如(?:有|果还有)(?:其他|任何)?(?:问题|疑问).*|希望(?:以上|这些)?(?:信息|回答|内容)?(?:对您)?有(?:所)?帮助.*|"
    r"祝您?(?:生活愉快|购物愉快|愉快).*|hi|hello|sure|of course|certainly|thanks? for .*|"
    r"thank you.*|i hope this helps.*|hope this helps.*|(?:please )?let (?:me|us) know if .*|"
    r"if you have (?:any )?(?:other|more|further) questions.*|have a (?:nice|great) day.*)"
    r"[\s!！。.,，~～:：]*$",
    re.I,
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a reply and how it stands against the source."""

    text: str
    units: int  # content units
    covered: int  # of those, found in the source
    unsupported: tuple[str, ...]  # facts (numbers, phones, links, emails) the source lacks
    kept: bool | None  # None: filler, not counted


@dataclass(frozen=True)
class Grounding:
    """A reply measured against its source."""

    sentences: tuple[Sentence, ...]

    @property
    def counted(self) -> int:
        """Sentences that count (not filler)."""
        return sum(1 for s in self.sentences if s.kept is not None)

    @property
    def kept(self) -> int:
        """Counted sentences kept to the source."""
        return sum(1 for s in self.sentences if s.kept)

    @property
    def share(self) -> float:
        """Kept / counted; 0 when nothing counts (a reply with nothing of the source)."""
        return self.kept / self.counted if self.counted else 0.0

    def holds(self, min_kept: float) -> bool:
        """Whether the reply may be sent: something counted, and enough of it kept."""
        return self.counted > 0 and self.share >= min_kept


def _prepare(text: str) -> str:
    """NFKC and lowercase: the form units and facts are read from."""
    return unicodedata.normalize("NFKC", text).lower()


def sentences(text: str) -> list[str]:
    """The reply's sentences, stripped, empty ones dropped."""
    parts = _SENTENCE_END.split(unicodedata.normalize("NFKC", text))
    return [s.strip() for s in parts if s.strip()]


def units(text: str) -> set[str]:
    """Content units: bigrams of Chinese runs, stemmed English words (function words out)."""
    low = _prepare(_URL.sub(" ", _EMAIL.sub(" ", text)))
    out: set[str] = set()
    for run in _CJK_RUN.findall(low):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    out.update(stem(w) for w in _WORD.findall(low) if w not in STOPWORDS and len(w) > 1)
    return out - STOPWORDS


def _zh_number(word: str) -> int:
    """A Chinese number word as an int (七 7, 十五 15, 二十 20, 一百二十 120, 两 2)."""
    total, digit = 0, 0
    for ch in word:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        else:
            unit = _ZH_UNITS[ch]
            total += (digit or 1) * unit
            digit = 0
    return total + digit


def facts(text: str) -> set[str]:
    """Numbers (phone numbers with their separators taken out), URLs and email addresses."""
    low = _prepare(text)
    found = {u.rstrip(".,;:!?") for u in _URL.findall(low)}
    found |= set(_EMAIL.findall(low))
    rest = _URL.sub(" ", _EMAIL.sub(" ", low))
    rest = _ZH_NUMBER.sub(lambda m: f" {_zh_number(m.group())} ", rest)
    rest = _EN_NUMBER.sub(lambda m: str(_EN_NUMBERS[m.group()]), rest)
    for run in _NUMBER.findall(rest):
        compact = re.sub(r"[\s-]", "", run)
        if len(compact) >= 7 and compact.isdigit():
            found.add(compact)  # a phone number, however it was spaced
        else:
            found.update(p for p in re.split(r"[\s-]+", run) if p)
    return found


def grounding(reply: str, source: Iterable[str]) -> Grounding:
    """Measure ``reply`` against the ``source`` texts (entries' questions and answers)."""
    texts = list(source)
    have_units = set().union(*(units(t) for t in texts)) if texts else set()
    have_facts = set().union(*(facts(t) for t in texts)) if texts else set()
    out = []
    for sentence in sentences(reply):
        mine = units(sentence)
        unsupported = tuple(sorted(facts(sentence) - have_facts))
        covered = len(mine & have_units)
        if unsupported:
            kept: bool | None = False
        elif len(mine) < MIN_UNITS or _COURTESY.match(sentence.strip()):
            kept = None
        else:
            kept = covered > SENTENCE_COVERAGE * len(mine)
        out.append(Sentence(sentence, len(mine), covered, unsupported, kept))
    return Grounding(tuple(out))
