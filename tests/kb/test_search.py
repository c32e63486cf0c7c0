"""Search on the demo KB: what the customer would be answered, offered or escalated with."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from kb.service import KnowledgeBase
from kb.types import EntryIn
from tests.kb.conftest import SpyEmbedder, demo_answer


async def test_chinese_question_is_answered_from_the_returns_group(
    demo_kb: KnowledgeBase, demo_entries: list[EntryIn]
) -> None:
    result = await demo_kb.search("怎么申请退货")
    assert result.decision == "answer"
    top = result.hits[0]
    assert (top.entry_id, top.group, top.language) == ("returns-apply-zh", "returns-apply", "zh")
    assert top.answer == demo_answer(demo_entries, "returns-apply-zh")
    assert result.confidence == top.score
    assert 0.0 <= top.lexical <= 1.0 and 0.0 <= top.score <= 1.0


async def test_english_question_is_answered_in_english(
    demo_kb: KnowledgeBase, demo_entries: list[EntryIn]
) -> None:
    result = await demo_kb.search("how do I return an item")
    assert result.decision == "answer"
    top = result.hits[0]
    assert (top.entry_id, top.group) == ("returns-apply-en", "returns-apply")
    assert top.answer == demo_answer(demo_entries, "returns-apply-en")


async def test_language_picks_the_translation_and_collapses_groups(
    demo_kb: KnowledgeBase, demo_entries: list[EntryIn]
) -> None:
    result = await demo_kb.search("怎么申请退货", language="en", k=3)
    assert result.decision == "answer"
    assert result.hits[0].entry_id == "returns-apply-en"
    assert result.hits[0].answer == demo_answer(demo_entries, "returns-apply-en")
    assert len(result.hits) == 3
    groups = [h.group for h in result.hits]
    assert len(set(groups)) == len(groups)  # one hit per group
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


async def test_paraphrases_are_answered(demo_kb: KnowledgeBase) -> None:
    for query, group in [
        ("退款多久能到账啊", "refunds-time"),
        ("快递到哪了", "delivery-tracking"),
        ("忘记密码了怎么办", "account-reset-password"),
        ("how long does it take to get my refund", "refunds-time"),
        ("I forgot my password", "account-reset-password"),
    ]:
        result = await demo_kb.search(query)
        assert (result.decision, result.hits[0].group) == ("answer", group), query


async def test_chinese_paraphrase_finds_an_english_only_entry(
    empty_kb: KnowledgeBase, demo_entries: list[EntryIn]
) -> None:
    await empty_kb.ingest([e for e in demo_entries if e.language == "en"])
    result = await empty_kb.search("我想退货，怎么操作？")
    assert result.decision != "escalate"
    assert result.hits[0].entry_id == "returns-apply-en"
    result = await empty_kb.search("忘记密码了怎么办")
    assert result.hits[0].entry_id == "account-reset-password-en"


@pytest.mark.parametrize(
    "query", ["今天天气怎么样", "what is the capital of France", "给我讲个笑话", "tell me a joke"]
)
async def test_out_of_scope_is_not_answered(demo_kb: KnowledgeBase, query: str) -> None:
    result = await demo_kb.search(query)
    assert result.decision != "answer"


@pytest.mark.parametrize("query", ["售后", "problem", "你好", "hello", "help"])
async def test_vague_messages_are_not_answered(demo_kb: KnowledgeBase, query: str) -> None:
    result = await demo_kb.search(query)
    assert result.decision in ("clarify", "escalate")


async def test_vague_topic_word_offers_choices_from_that_topic(demo_kb: KnowledgeBase) -> None:
    result = await demo_kb.search("发票")
    assert result.decision == "clarify"
    assert all(h.entry_id.startswith("invoice-") for h in result.hits[:3])


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   \n\t ",
        "😀🎉👍",
        "\x00\x01\x02\u200b\u200d",
        "？？？！！！",
        "x" * 100_000,
        "\ud800\udfff😀",
    ],
)
async def test_bad_queries_escalate_without_error(demo_kb: KnowledgeBase, query: str) -> None:
    result = await demo_kb.search(query)
    assert result.decision == "escalate"
    if query.strip() == "" or query.startswith(("😀", "\x00", "？")):
        assert result.hits == () and result.confidence == 0.0


async def test_long_queries_are_truncated_before_embedding(
    demo_kb: KnowledgeBase, spy: SpyEmbedder
) -> None:
    result = await demo_kb.search("怎么申请退货" + "。" * 50_000)
    assert result.hits[0].group == "returns-apply"
    assert max(len(t) for t in spy.texts) <= 2000


async def test_control_characters_do_not_change_the_answer(demo_kb: KnowledgeBase) -> None:
    result = await demo_kb.search("怎么\u200b申请\x00退货\r\n")
    assert (result.decision, result.hits[0].entry_id) == ("answer", "returns-apply-zh")


async def test_repeated_queries_use_the_vector_cache(
    demo_kb: KnowledgeBase, spy: SpyEmbedder
) -> None:
    first = await demo_kb.search("发票怎么开")
    second = await demo_kb.search("发票怎么开")
    assert first == second
    assert spy.texts == ["发票怎么开"]


async def test_get_returns_the_entry_in_the_requested_language(
    demo_kb: KnowledgeBase, demo_entries: list[EntryIn]
) -> None:
    hit = await demo_kb.get("returns-apply-zh", language="en")
    assert hit is not None and hit.entry_id == "returns-apply-en"
    assert hit.answer == demo_answer(demo_entries, "returns-apply-en")
    same = await demo_kb.get("returns-apply-zh")
    assert same is not None and same.entry_id == "returns-apply-zh"
    assert await demo_kb.get("no-such-entry") is None


async def test_empty_kb_escalates(empty_kb: KnowledgeBase) -> None:
    result = await empty_kb.search("怎么申请退货")
    assert (result.decision, result.hits) == ("escalate", ())
    assert await empty_kb.count() == 0


async def test_search_does_not_block_the_event_loop(
    demo_kb: KnowledgeBase, spy: SpyEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = spy.inner

    class Slow:
        name, dim = inner.name, inner.dim

        def encode(self, texts: list[str]) -> object:
            time.sleep(0.3)
            return inner.encode(texts)

    monkeypatch.setattr(spy, "inner", Slow())
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    result = await demo_kb.search("发票怎么开")
    task.cancel()
    assert result.hits[0].group == "invoice-request"
    assert ticks >= 10


@pytest.mark.parametrize(
    ("query", "written"),
    [
        ("七天無理由退貨有什麼條件？", "七天无理由退货有什么条件？"),  # traditional script
        ("退款多久能到賬？", "退款多久能到账？"),
        ("忘記密碼怎麼辦？", "忘记密码怎么办？"),
        ("怎麼查物流信息?", "怎么查物流信息？"),
        ("ＴＧ１００的產品保修期是多久？", "TG100的产品保修期是多久?"),  # full-width letters
    ],
)
async def test_traditional_and_full_width_questions_meet_their_simplified_entry(
    demo_kb: KnowledgeBase, query: str, written: str
) -> None:
    """Both sides are compared in one form: a question in traditional script, with full-width
    letters is searched as the simplified text it stands for."""
    result = await demo_kb.search(query)
    same = await demo_kb.search(written)
    top = result.hits[0]
    assert result.decision == "answer"
    assert (top.entry_id, top.dense, top.lexical) == (
        same.hits[0].entry_id,
        same.hits[0].dense,
        same.hits[0].lexical,
    )
    assert top.entry_id.endswith("-zh") and top.language == "zh"


async def test_embed_reuses_the_vectors_of_questions_the_bot_searched(
    demo_kb: KnowledgeBase, spy: SpyEmbedder
) -> None:
    await demo_kb.search("退貨怎麼申請")
    spy.calls.clear()
    vectors = await demo_kb.embed(["退货怎么申请", "洗碗机能洗锅吗", "洗碗机能洗锅吗"])
    assert spy.texts == ["洗碗机能洗锅吗"]  # the searched one came from the cache, once each
    assert vectors.shape == (3, spy.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.array_equal(vectors[1], vectors[2])
