"""Query embeddings are micro-batched across concurrent searches and cached."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from kb.batching import MicroBatcher
from kb.service import KnowledgeBase
from tests.kb.conftest import SpyEmbedder


async def test_concurrent_searches_share_one_embedding_call(
    demo_kb: KnowledgeBase, spy: SpyEmbedder
) -> None:
    questions = ["怎么申请退货", "发票在哪里下载", "How long does delivery take?", "怎么预约安装"]
    results = await asyncio.gather(*(demo_kb.search(q) for q in questions))
    assert spy.calls == [questions]  # one call, every question once
    assert results[0].hits[0].entry_id == "returns-apply-zh"
    assert results[2].hits[0].entry_id.startswith("delivery-time")
    again = await demo_kb.search("怎么申请退货")
    assert spy.calls == [questions]  # the LRU cache answered
    assert again.hits[0].entry_id == "returns-apply-zh"


async def test_batch_errors_reach_every_waiter_and_the_next_batch_works() -> None:
    calls: list[list[str]] = []

    def encode(texts: list[str]) -> list[np.ndarray]:
        calls.append(texts)
        if "boom" in texts:
            raise RuntimeError("model failed")
        return list(np.ones((len(texts), 4), dtype=np.float32))

    batcher: MicroBatcher[str, np.ndarray] = MicroBatcher(encode, max_batch=2)
    first = await asyncio.gather(
        batcher.encode("a"), batcher.encode("boom"), batcher.encode("c"), return_exceptions=True
    )
    assert isinstance(first[0], RuntimeError) and isinstance(first[1], RuntimeError)
    assert isinstance(first[2], np.ndarray)  # it was in the next batch of two
    assert calls == [["a", "boom"], ["c"]]
    vec = await batcher.encode("d")
    assert vec.shape == (4,)
    with pytest.raises(RuntimeError):
        await batcher.encode("boom")


async def test_a_second_call_starts_beside_a_running_one_only_for_half_a_batch() -> None:
    # The vector product costs nearly as much for one query as for eight: while a call runs,
    # a few queries wait and go together; half a batch waiting starts a call at once.
    release = threading.Event()

    def process(items: list[int]) -> list[int]:
        if items == [0]:
            assert release.wait(10)
        return items

    async def settle() -> None:
        for _ in range(20):  # the batcher's own task dispatches on the loop
            await asyncio.sleep(0)

    batcher: MicroBatcher[int, int] = MicroBatcher(process, max_batch=8)
    first = asyncio.ensure_future(batcher.encode(0))
    await settle()
    assert batcher.sizes == {1: 1}
    few = [asyncio.ensure_future(batcher.encode(i)) for i in (1, 2, 3)]
    await settle()
    assert batcher.sizes == {1: 1}  # three wait for the running call
    more = asyncio.ensure_future(batcher.encode(4))
    await settle()
    assert batcher.sizes == {1: 1, 4: 1}  # four = half a batch: a second call at once
    release.set()
    assert await asyncio.gather(first, *few, more) == [0, 1, 2, 3, 4]
    assert await batcher.encode(5) == 5  # alone again: no wait
    assert batcher.sizes == {1: 2, 4: 1}
