"""Character evidence for Chinese in KBs of one-question entries (kb/characters.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from kb.ranking import dense_many, rank
from kb.settings import KbSettings
from kb.snapshot import build_snapshot
from kb.text import character_tokens

DIM = 8


class SameEmbedder:
    """Every text gets the same vector: only lexical evidence can tell entries apart."""

    name = "same"
    dim = DIM

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """One unit vector per text."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        out[:, 0] = 1.0
        return out


def _row(entry_id: str, question: str, similar: list[str] | None = None) -> tuple[object, ...]:
    return (entry_id, None, "zh", "", question, similar or [], "answer")


def test_character_tokens_are_single_ideographs_without_stopwords() -> None:
    assert character_tokens("花呗的还款日") == ["花", "呗", "款", "日"]  # 的, 还: stopwords
    assert character_tokens("ＴＧ１００ 漏水了") == ["tg100", "漏", "水"]
    assert character_tokens("refund my order") == []  # no ideographs: nothing to add


def test_shared_characters_decide_when_words_tie(tmp_path: Path) -> None:
    # 运费 ("shipping fee") shares no word and no bigram with either entry; the second one
    # says 运输费用 ("cost of shipping"): two of its characters, where the first has one.
    rows = [_row("time", "运输时间长吗"), _row("fee", "运输费用怎么算")]
    snap = build_snapshot(tmp_path, SameEmbedder(), 1, rows, None, False, False, KbSettings())
    assert snap.chars is not None and snap.classifier is None
    query = "运费多少"
    vector = SameEmbedder().encode([query])[0]
    (found,) = dense_many([(snap, query, vector, 2)], [vector])
    ranked = rank(snap, query, vector, found, KbSettings())
    assert snap.entries[ranked[0].pos].id == "fee"
    assert ranked[0].lexical > ranked[1].lexical


def test_no_character_index_where_entries_have_examples(tmp_path: Path) -> None:
    rows = [_row("a", "花呗借款", ["怎么借花呗"]), _row("b", "花呗还款", ["花呗怎么还"])]
    snap = build_snapshot(tmp_path, SameEmbedder(), 1, rows, None, False, False, KbSettings())
    assert snap.chars is None  # the classifier learns paraphrases from the examples
