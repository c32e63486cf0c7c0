"""A learned second opinion for :mod:`intake.urgency`: logistic regression over n-grams.

The word lists catch the terms they hold; customers keep finding new ones (爆管, "a nasty
zap", 铜丝露出来). This model reads the pieces of words instead: Chinese characters and
their pairs and triples, English words, word pairs and four-letter pieces ("<zap", "scor"),
each marked when a negation governs it ("没有冒烟", "no smoke"). One logistic regression per
kind (hazard, complaint, angry)
is trained on the labelled sets (``kefu triage train``, deterministic: full-batch gradient
descent from zero, no sampling) and shipped as ``urgency_model.npz`` (float16 weights).

Scoring a message is a few dozen dictionary look-ups (under a tenth of a millisecond), so it
stays on the event loop with the rules; :mod:`intake.urgency` decides how the two are combined.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.errors import ConfigError

KINDS = ("hazard", "complaint", "angry")
ITERATIONS = 400
LEARNING_RATE = 4.0
MOMENTUM = 0.9
L2 = 2e-4
SHIPPED = Path(__file__).with_name("urgency_model.npz")

_PIECE = re.compile(r"[^,，。.!！?？;；:：\n]+")  # negation does not cross these
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9']+")
_MARKS = "!?！？"
# Negation scope: the characters after 没/不/无... (not 不断, 不停...) up to a breaker or 4
# characters; the English words after not/no/never/-n't up to "but" or the clause's end.
_ZH_NEGATION = re.compile(r"没有?|无|未|别|不(?!断|停|住|少|过|然|仅|光|只|止|久|到|了)")
_ZH_SCOPE_END = re.compile(r"就|才|还|又|都|但|却|而")
_EN_NEGATORS = frozenset({"not", "no", "never", "without", "nothing", "nor", "none", "cannot"})
_EN_SCOPE_END = frozenset({"but", "and", "then", "so", "because", "though", "yet"})
# Words too common to weigh on their own: a hazard told as a story has more "and" and "the"
# than a question, and the model learnt them as danger ("turn on the tv"). They still count
# in word pairs ("on fire", "no one").
_FUNCTION_WORDS = frozenset(
    "a an the and or of to in on at by for with from as is are was were be been it its it's"
    " this that these there i me my we our us you your he she his her they them their".split()
)


def _han_grams(run: str, grams: set[str]) -> None:
    negated = [False] * len(run)
    for m in _ZH_NEGATION.finditer(run):
        for i in range(m.end(), min(m.end() + 4, len(run))):
            if _ZH_SCOPE_END.match(run, i):
                break
            negated[i] = True
    for n in (1, 2, 3):
        grams.update(("n" if negated[i] else "c") + run[i : i + n] for i in range(len(run) - n + 1))


def _latin_grams(words: list[str], grams: set[str]) -> None:
    negated = False
    for i, word in enumerate(words):
        mark = "n" if negated else ""
        if i:
            grams.add(f"{mark}b{words[i - 1]} {word}")
        if word not in _FUNCTION_WORDS:
            grams.add(mark + "w" + word)
            padded = f"<{word}>"
            grams.update(mark + "g" + padded[j : j + 4] for j in range(len(padded) - 3))
        if word in _EN_NEGATORS or word.endswith("n't"):
            negated = True
        elif word in _EN_SCOPE_END:
            negated = False


def grams(text: str) -> set[str]:
    """The pieces of ``text`` the model reads (each tagged with its kind and negation)."""
    low = unicodedata.normalize("NFKC", text or "").lower()
    found: set[str] = set()
    for piece in _PIECE.findall(low):
        for run in _HAN_RUN.findall(piece):
            _han_grams(run, found)
        _latin_grams(_WORD.findall(piece), found)
    found.update("p" + mark for mark in _MARKS if mark in low)
    return found


@dataclass(frozen=True)
class Rows:
    """Texts as sparse rows over a vocabulary: the columns of row r are
    cols[starts[r]:starts[r+1]], each of value 1/sqrt(the text's number of pieces)."""

    cols: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]
    width: int

    @classmethod
    def of(cls, texts: Sequence[str], vocabulary: dict[str, int]) -> Rows:
        """The rows of ``texts`` (pieces outside the vocabulary count in the length only)."""
        pieces = [grams(t) for t in texts]
        per = [sorted(vocabulary[g] for g in p if g in vocabulary) for p in pieces]
        lengths = np.array([len(p) for p in per], dtype=np.int64)
        scale = 1.0 / np.sqrt(np.array([max(len(p), 1) for p in pieces], dtype=np.float32))
        values = np.repeat(scale, lengths).astype(np.float32)
        starts = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        cols = np.array([c for p in per for c in p], dtype=np.int64)
        return cls(cols, starts, values, len(vocabulary))

    def times(self, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Rows x weights (width, k) -> (rows, k)."""
        prod = weights[self.cols] * self.values[:, None]
        out = np.zeros((len(self.starts) - 1, weights.shape[1]), dtype=np.float32)
        rows = np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))
        for k in range(weights.shape[1]):
            out[:, k] = np.bincount(rows, prod[:, k], len(self.starts) - 1)
        return out

    def transposed_times(self, grad: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Rows transposed x grad (rows, k) -> (width, k)."""
        spread = np.repeat(grad, np.diff(self.starts), axis=0) * self.values[:, None]
        columns = [np.bincount(self.cols, spread[:, k], self.width) for k in range(grad.shape[1])]
        return np.stack(columns, axis=1).astype(np.float32)


@dataclass(frozen=True)
class UrgencyModel:
    """One logistic regression per kind: a weight triple per piece, and a bias per kind."""

    weights: dict[str, tuple[float, float, float]]
    bias: tuple[float, float, float]

    def probabilities(self, text: str) -> dict[str, float]:
        """The model's probability of each kind for ``text``."""
        pieces = grams(text)
        h, c, a = self.bias
        scale = 1.0 / math.sqrt(max(len(pieces), 1))
        known = [w for w in map(self.weights.get, pieces) if w is not None]
        if known:  # one pass per kind over the pieces known, not a Python step per piece
            hs, cs, as_ = zip(*known, strict=True)
            h, c, a = h + sum(hs) * scale, c + sum(cs) * scale, a + sum(as_) * scale
        return {k: 1.0 / (1.0 + math.exp(-x)) for k, x in zip(KINDS, (h, c, a), strict=True)}

    def save(self, path: Path) -> None:
        """Write the pieces and their weights (float16; the shipped file is about 100 KB)."""
        names = sorted(self.weights)
        np.savez_compressed(
            path,
            pieces=np.array(names, dtype=np.str_),
            weights=np.array([self.weights[n] for n in names], dtype=np.float16),
            bias=np.array(self.bias, dtype=np.float32),
        )


def train(texts: Sequence[str], labels: Sequence[frozenset[str]]) -> UrgencyModel:
    """Fit the three regressions on labelled texts (each kind's positives and negatives
    weighted to count equally), deterministically."""
    vocabulary = {g: i for i, g in enumerate(sorted(set().union(*map(grams, texts))))}
    rows = Rows.of(texts, vocabulary)
    y = np.array([[k in lab for k in KINDS] for lab in labels], dtype=np.float32)
    share = y.mean(axis=0).clip(1e-3, 1 - 1e-3)
    weight = np.where(y > 0, 0.5 / share, 0.5 / (1 - share)).astype(np.float32) / len(texts)
    w = np.zeros((len(vocabulary), len(KINDS)), dtype=np.float32)
    b = np.zeros(len(KINDS), dtype=np.float32)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(ITERATIONS):
        ahead_w, ahead_b = w + MOMENTUM * vw, b + MOMENTUM * vb
        p = 1.0 / (1.0 + np.exp(-(rows.times(ahead_w) + ahead_b)))
        g = ((p - y) * weight).astype(np.float32)
        step = rows.transposed_times(g) + L2 * ahead_w
        vw = (MOMENTUM * vw - LEARNING_RATE * step).astype(np.float32)
        vb = (MOMENTUM * vb - LEARNING_RATE * g.sum(axis=0)).astype(np.float32)
        w, b = w + vw, b + vb
    return UrgencyModel(
        {g: _triple(w[i]) for g, i in vocabulary.items()}, _triple(b.astype(np.float32))
    )


def _triple(row: npt.NDArray[np.float32]) -> tuple[float, float, float]:
    return float(row[0]), float(row[1]), float(row[2])


@lru_cache(maxsize=4)
def load(path: Path = SHIPPED) -> UrgencyModel | None:
    """The model in ``path`` (the shipped one by default); None when there is none."""
    try:
        with np.load(path) as data:
            rows = np.asarray(data["weights"], dtype=np.float32)
            return UrgencyModel(
                {str(p): _triple(r) for p, r in zip(data["pieces"], rows, strict=True)},
                _triple(np.asarray(data["bias"], dtype=np.float32)),
            )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"{path} is not a model from kefu triage train ({err}).") from err
