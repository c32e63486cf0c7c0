"""Text handling for retrieval: cleaning, language detection and BM25 tokens.

The retrieval form of a text (:func:`clean`) is the one place where both sides meet: a
customer's question before it is embedded and matched, and every entry text when the index is
built. Full-width forms become ASCII (NFKC) and traditional Chinese becomes simplified
(OpenCC ``t2s``, only when the text has ideographs), so "七天無理由退貨" is searched as
"七天无理由退货". The lexical form (:func:`normalize`) also writes a Chinese count before a
unit of time or money in digits ("七天" -> "7天", "两年" -> "2年"), so BM25 matches an entry
written either way; the embedder reads both forms alike, and on zh_smp2017 feeding it digits
moved one out-of-scope question over the line ("二十四小时"), so it reads the words.

Chinese runs are cut by jieba (search mode) and also into character bigrams, so a word jieba
segments differently in the query and in the entry still matches. Latin runs become lowercase
words that keep model numbers whole ("xq-80b", plus "xq80b" and its parts); plain English
words are reduced by a light suffix stemmer so "installed" meets "installation".
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import cache

import jieba
import opencc

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff\u3007"
_CJK_RE = re.compile(f"[{_CJK}]")
# A token run: CJK ideographs, or a word of letters/digits (no CJK) that may be joined by
# - _ . ' / + (model numbers, versions, contractions).
_RUN_RE = re.compile(f"(?P<cjk>[{_CJK}]+)|(?P<word>[^\\W_{_CJK}]+(?:[-_.'/+][^\\W_{_CJK}]+)*)")
_WORD_SPLIT_RE = re.compile(r"[-_.'/+]")
_LATIN_WORD_RE = re.compile(f"[^\\W\\d_{_CJK}]+")
_SPACE_RE = re.compile(r"\s+")
# Control (Cc), format (Cf: soft hyphen, zero-width and bidi marks, BOM, tags), surrogate and
# private-use characters; whitespace is turned into spaces before this applies.
_INVISIBLE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\ue000-\uf8ff"
    "\U000e0000-\U000e007f\U000f0000-\U0010ffff]"
)

# Generic function words. Question words that carry intent (多久, 多少, 哪里, 为什么, when,
# where, why, long, much) are kept on purpose.
ZH_STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 嘛 哦 么 我 你 您 他 她 它 是 在 和 与 及 或 就 都 也 还 又 这 那 个 着 "
    "我的 我们 你们 您好 你好 请问 请 一下 怎么 怎样 如何 怎么办 一个 这个 那个 可以 能 会 要 "
    "想 哈 嗯 谢谢".split()
)
EN_STOPWORDS = frozenset(
    "a an the is are was were be been am do does did i me my mine you your we our us it its "
    "this that these those to of in on at for from with by and or but if so as can could "
    "would should will shall may might must how what which who whom please hi hello thanks "
    "thank there here have has had get got just any some don doesn didn isn aren wasn weren "
    "haven hasn won shouldn wouldn couldn cannot".split()
)
STOPWORDS = ZH_STOPWORDS | EN_STOPWORDS

_jieba_lock = threading.Lock()
_jieba_ready = False


def init_jieba() -> None:
    """Load jieba's dictionary once, quietly (blocking: ~1 s the first time)."""
    global _jieba_ready
    if _jieba_ready:
        return
    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True


def tidy(text: str) -> str:
    """Control and format characters removed, whitespace collapsed (for stored text)."""
    text = _INVISIBLE_RE.sub("", _SPACE_RE.sub(" ", text))
    return _SPACE_RE.sub(" ", text).strip()


def clean(text: str) -> str:
    """NFKC, simplified Chinese, then tidy: the form that is embedded (case kept)."""
    return tidy(simplified(unicodedata.normalize("NFKC", text)))


@cache
def _t2s() -> opencc.OpenCC:
    """The traditional -> simplified converter (dictionaries load once, ~20 ms)."""
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` with traditional Chinese characters in their simplified form (cheap: ~6 us,
    and nothing at all for a text without ideographs)."""
    if _CJK_RE.search(text) is None:
        return text
    return str(_t2s().convert(text))


# A Chinese count (1-99) right before a unit of time, money or a count of items/orders: the
# only places where "七" is a number for sure. Not before 分/次/个/台 alone ("十分满意",
# "一次性", "一个", "中央六台"), which are as often words as counts; a lone "一" after an
# ideograph is a word too ("哪一天", "同一天").
_ZH_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_ZH_DIGIT |= {"八": 8, "九": 9}
_COUNT_RE = re.compile(
    "(?<![零一二两三四五六七八九十百千万\\d])([一二两三四五六七八九十]{1,3})"
    "(?=天|日内|年|个月|周|星期|小时|分钟|元|块钱|件|单)"
)


def _count_digits(m: re.Match[str]) -> str:
    """A Chinese count "七", "十五", "二十", "两" as digits; anything else as written."""
    s = m.group(1)
    if s == "一" and m.start() > 0 and _CJK_RE.match(m.string, m.start() - 1):
        return s
    if "十" not in s:
        return str(_ZH_DIGIT[s]) if len(s) == 1 else s
    tens, _, ones = s.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1 or tens == "两" or ones == "两":
        return s
    return str((_ZH_DIGIT[tens] if tens else 1) * 10 + (_ZH_DIGIT[ones] if ones else 0))


def normalize(text: str) -> str:
    """The cleaned text, lowercased, counts in digits: the form lexical matching works on."""
    text = clean(text).lower()
    if _CJK_RE.search(text) is None:  # Latin-only text (most English turns): nothing to do
        return text
    return _COUNT_RE.sub(_count_digits, text)


_CONTENT_RE = re.compile(r"[^\W_]")  # a character that is alphanumeric: categories L* and N*


def has_content(text: str) -> bool:
    """Whether the text has at least one letter, digit or ideograph (not only emoji/marks)."""
    return _CONTENT_RE.search(text) is not None


def detect_language(text: str) -> str:
    """The language of a text: "zh" when CJK ideographs are more than a trace, else "en"."""
    # "More than a trace": at least as many ideographs as Latin words, so a Chinese sentence
    # naming an iPhone stays Chinese and an English one quoting a brand in Chinese stays English.
    cjk = len(_CJK_RE.findall(text))
    if cjk == 0:
        return "en"
    words = len(_LATIN_WORD_RE.findall(text))
    return "zh" if cjk >= words else "en"


def tokenize(text: str) -> list[str]:
    """BM25 tokens: jieba words and bigrams of CJK runs, lowercase words, stopwords dropped."""
    out: list[str] = []
    for m in _RUN_RE.finditer(normalize(text)):
        run = m.group("cjk")
        if run is not None:
            out.extend(_cjk_tokens(run))
        else:
            out.extend(_word_tokens(m.group("word")))
    return [t for t in out if t not in STOPWORDS]


def character_tokens(text: str) -> list[str]:
    """Like :func:`tokenize`, but CJK runs as single ideographs (kb/characters.py); [] for a
    text without ideographs."""
    form = normalize(text)
    if _CJK_RE.search(form) is None:
        return []
    out: list[str] = []
    for m in _RUN_RE.finditer(form):
        run = m.group("cjk")
        out.extend(run if run is not None else _word_tokens(m.group("word")))
    return [t for t in out if t not in STOPWORDS]


def _cjk_tokens(run: str) -> list[str]:
    """jieba search-mode words plus character bigrams of one run of ideographs."""
    if len(run) == 1:
        return [run]
    init_jieba()
    words = [w for w in jieba.lcut_for_search(run) if w.strip()]
    words.extend(run[i : i + 2] for i in range(len(run) - 1))
    return words


def _word_tokens(word: str) -> list[str]:
    """A Latin word (stemmed); a compound ("xq-80b") also yields its joined form and parts."""
    parts = [p for p in _WORD_SPLIT_RE.split(word) if p]
    if len(parts) == 1:
        return [word if word in STOPWORDS else stem(word)]
    if word.endswith(("'s", "'t", "'re", "'ve", "'ll", "'d", "'m")):  # it's, don't, we're
        return [] if parts[0] in STOPWORDS else [stem(parts[0])]
    tokens = [word, "".join(parts)]
    tokens.extend(p for p in parts if len(p) > 1 and p not in STOPWORDS)
    return tokens


# Tried in order, longest first; the first that leaves a stem with a vowel wins.
_STEM_SUFFIXES = tuple("ational ation ement ment ness ings ing edly ed ly al".split())
_VOWELS = frozenset("aeiouy")


def stem(word: str) -> str:
    """A light English suffix stemmer (plural, -ing, -ed, -ation, ...); other words as is."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in _STEM_SUFFIXES:
        base = w[: -len(suffix)]
        if w.endswith(suffix) and len(base) >= 3 and _VOWELS.intersection(base):
            w = base
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # stopped -> stop
                w = w[:-1]
            break
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"  # delivery, deliveries -> deliveri
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]  # arrive, arrival, arrived -> arriv
    return w
