"""Micro-batching of query embeddings across concurrent searches.

Embedding one short text costs nearly as much as embedding a few together (the model's fixed
per-call overhead dominates), and the embedders serialise their calls anyway. So concurrent
searches do not each call the model: the first one opens a batch, and every search that
arrives before the worker thread picks it up, or while a previous batch is being embedded,
joins the next call (at most ``MAX_BATCH`` texts a call). ``MAX_WAIT`` (default 0: just
yield to the loop once) can trade a little latency for bigger batches; a lone query then
pays nothing extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

MAX_BATCH = 32
MAX_WAIT = 0.0  # seconds to wait for company before embedding

Encode = Callable[[list[str]], npt.NDArray[np.float32]]


class MicroBatcher:
    """Collects texts from concurrent callers and embeds them together, off the loop."""

    def __init__(self, encode: Encode, *, max_batch: int = MAX_BATCH, max_wait: float = MAX_WAIT):
        self._encode = encode
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._pending: list[tuple[str, asyncio.Future[npt.NDArray[np.float32]]]] = []
        self._task: asyncio.Task[None] | None = None

    async def encode(self, text: str) -> npt.NDArray[np.float32]:
        """The vector of one text, embedded together with whatever else is waiting."""
        future: asyncio.Future[npt.NDArray[np.float32]] = asyncio.get_running_loop().create_future()
        self._pending.append((text, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="kb-embed-batch")
        return await future

    async def _run(self) -> None:
        try:
            await asyncio.sleep(self._max_wait)
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: len(batch)]
                try:
                    vectors = await asyncio.to_thread(self._encode, [t for t, _ in batch])
                except Exception as err:  # every waiter gets the error, none hangs
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(err)
                    continue
                for (_, fut), vec in zip(batch, vectors, strict=True):
                    if not fut.done():
                        fut.set_result(vec)
        finally:
            self._task = None
