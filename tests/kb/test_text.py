"""Cleaning, language detection, tokenisation and BM25."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kb.bm25 import BM25
from kb.text import clean, detect_language, has_content, normalize, tokenize


def test_chinese_tokens_have_words_and_bigrams_but_no_filler() -> None:
    tokens = tokenize("怎么申请退货？")
    assert {"申请", "退货"} <= set(tokens)  # jieba words
    assert "请退" in tokens  # a character bigram across the word boundary
    assert "怎么" not in tokens and "？" not in tokens
    # question words that carry intent are kept
    assert "多久" in tokenize("退款多久能到账")


def test_model_numbers_stay_whole_and_match_without_the_hyphen() -> None:
    tokens = tokenize("我的洗衣机XQ-80B漏水了")
    assert "xq-80b" in tokens and "xq80b" in tokens
    assert "洗衣机" in tokens
    assert "xq80b" in tokenize("xq80b 怎么清洗")
    assert "v2.1" in tokenize("Firmware v2.1 update")


def test_english_words_are_lowercased_stemmed_and_filtered() -> None:
    assert tokenize("How do I return an item?") == ["return", "item"]
    assert tokenize("Is installation free?")[0] == tokenize("I installed it")[0] == "install"
    assert tokenize("Deliveries") == tokenize("delivery")


def test_language_detection() -> None:
    assert detect_language("怎么申请退货") == "zh"
    assert detect_language("我的iPhone 15 Pro Max屏幕碎了") == "zh"
    assert detect_language("How do I return an item?") == "en"
    assert detect_language("I bought the 小米 blender and it broke") == "en"
    assert detect_language("12345") == "en"


def test_clean_strips_control_and_invisible_characters() -> None:
    assert clean("  退\u200b货\x00\x07  申请\r\n\t流程\ufeff ") == "退货 申请 流程"
    assert clean("ＡＢＣ１２３") == "ABC123"  # NFKC folds full-width forms
    assert not has_content(clean("😀🎉 \u200d ！？"))
    assert has_content("退") and has_content("a") and has_content("7")


def test_clean_folds_traditional_script_and_normalize_writes_counts_in_digits() -> None:
    assert clean("七天無理由退貨") == "七天无理由退货"
    assert clean("Hello ＷＯＲＬＤ") == "Hello WORLD"  # no ideographs: no conversion at all
    assert normalize("保修兩年，十五天內") == "保修2年,15天内"
    assert normalize("退货二十天内 三十五天") == "退货20天内 35天"
    assert set(tokenize("7天无理由退货")) == set(tokenize("七天無理由退貨"))
    # words that only look like counts stay words
    for word in ("一次性", "十分满意", "一个问题", "一百二十天", "三包", "星期一", "哪一天"):
        assert normalize(word) == word


def test_bm25_prefers_the_rarer_and_fuller_match_and_normalises_to_unit_range() -> None:
    docs = [
        [tokenize("怎么申请退货"), tokenize("我想退货")],
        [tokenize("退货运费由谁承担"), tokenize("退货要我自己出运费吗")],
        [tokenize("怎么开发票"), tokenize("发票怎么开")],
        [tokenize("洗衣机XQ-80B怎么清洗")],
    ]
    bm = BM25(docs)
    raw = bm.scores(tokenize("退货运费"))
    assert int(np.argmax(raw)) == 1
    assert raw[2] == 0.0

    norm = bm.normalized(tokenize("退货运费"))
    assert norm.min() >= 0.0 and norm.max() <= 1.0
    assert list(np.argsort(-norm, kind="stable")) == list(np.argsort(-raw, kind="stable"))
    assert bm.normalized(tokenize("XQ80B"))[3] > 0.0
    assert bm.normalized(tokenize("今天天气")).max() == 0.0
    assert bm.normalized([]).max() == 0.0


@given(
    st.lists(
        st.lists(
            st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6), min_size=1, max_size=3
        ),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.sampled_from("abcdefghz"), max_size=5),
)
def test_bm25_entry_scores_are_the_best_text_score_whichever_way_docs_are_collected(
    entries: list[list[list[str]]], query: list[str]
) -> None:
    """Queries touching few documents (sorted postings) and many (a scan of the scores) give
    each entry the score of its best text, computed here one text at a time."""
    bm = BM25(entries)
    expected = []
    doc = 0
    for texts in entries:
        best = 0.0
        for _ in texts:
            total = 0.0
            for token in set(query):
                posting = bm.postings.get(token)
                if posting is not None and doc in posting.docs.tolist():
                    total += float(posting.weights[posting.docs.tolist().index(doc)])
            best = max(best, total)
            doc += 1
        expected.append(best)
    assert np.allclose(bm.scores(query), np.asarray(expected, dtype=np.float32), atol=1e-5)
