"""Single-character evidence for Chinese, in a knowledge base of one-question entries.

BM25 reads Chinese as jieba words plus character bigrams (:mod:`kb.text`). Where entries have
no similar questions (a KB built from a plain list of questions, like AFQMC), nothing else
tells the search that "花呗还款" and "还花呗" ask the same thing when the words are cut or
ordered differently: a paraphrase often shares the characters but few bigrams. A second BM25
over single ideographs (stopwords dropped, Latin words as in :func:`kb.text.tokenize`) gives
that evidence, and its normalised score is mixed into the lexical one::

    lexical = (1 - WEIGHT) * BM25(words + bigrams) + WEIGHT * BM25(characters)

It is built only with the hubness correction's rule (no intent classifier: most entries
without similar questions), and only when some entry has ideographs; a query without
ideographs is scored as before. Where entries have examples the classifier and centroids
already learn paraphrases, and the characters measured slightly worse there (zh_smp2017 R@1
one question lower, OOS AUROC .907 -> .905), so they stay off. Measured on AFQMC
(``kefu kb eval``): R@1 .167 -> .176, R@5 .444 -> .458 (docs/quality.md). Single
ideographs have long postings (a common character is in many texts), which is why this is a
separate index with a small weight, not more tokens in the main one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kb.bm25 import BM25
from kb.text import character_tokens

WEIGHT = 0.25  # share of the lexical score (0.5 measured: AFQMC R@1 .168, R@5 .460)


def build(entries: Sequence[Sequence[str]]) -> BM25 | None:
    """The character index of the entries' texts (entry by entry), or None without
    ideographs (blocking)."""
    docs = [[character_tokens(t) for t in texts] for texts in entries]
    if not any(tokens for texts in docs for tokens in texts):
        return None
    return BM25(docs)


def mix(lexical: npt.NDArray[np.float32], index: BM25, query: str) -> npt.NDArray[np.float32]:
    """The lexical scores with the query's character evidence mixed in (see above)."""
    tokens = character_tokens(query)
    if not tokens:
        return lexical
    out: npt.NDArray[np.float32] = (
        (1.0 - WEIGHT) * lexical + WEIGHT * index.normalized(tokens)
    ).astype(np.float32)
    return out
