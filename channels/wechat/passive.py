"""Passive replies: hand the bot's answer back in the webhook's own HTTP response.

WeChat waits 5 seconds for the answer to a push. The webhook opens a :class:`Window` for
the conversation, waits (a little less than the deadline) for the bot's turn, then
collects that turn's replies: those still pending it claims from the outbox itself
(``claim_messages``), those the outbox dispatcher already took arrive here through
:meth:`PassiveReplies.offer`, called by the adapter's ``send``. Whatever the window took
goes out in the response; anything that misses the deadline is sent by the dispatcher
through the customer service API. Nothing is sent twice: a reply is either claimed in the
database, or handed over here with a yes/no answer back to ``send``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Window:
    """One webhook waiting to answer for one conversation."""

    conversation_id: int
    source_id: str
    offers: dict[int, tuple[str, asyncio.Future[bool]]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    abandoned: bool = False
    closed: bool = False

    def take(self, message_id: int) -> str | None:
        """Take an offered reply: it will be in the response (its ``send`` returns at once)."""
        offer = self.offers.pop(message_id, None)
        if offer is None:
            return None
        text, fut = offer
        if not fut.done():
            fut.set_result(True)
        return text

    async def wait(self, seconds: float) -> None:
        """Wait until something is offered (or the window is abandoned), at most ``seconds``.

        The caller clears ``changed`` before looking at ``offers``, so nothing slips between.
        """
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                await self.changed.wait()
        except TimeoutError:
            pass

    def abandon(self) -> None:
        """WeChat retried the push: the first request's connection is gone; stop waiting."""
        self.abandoned = True
        self.changed.set()


class PassiveReplies:
    """The open windows of this process, by conversation."""

    def __init__(self) -> None:
        self._windows: dict[int, Window] = {}

    def open(self, conversation_id: int, source_id: str) -> Window | None:
        """A new window, or None when another webhook already waits for this conversation."""
        if conversation_id in self._windows:
            return None
        window = self._windows[conversation_id] = Window(conversation_id, source_id)
        return window

    def get(self, conversation_id: int) -> Window | None:
        """The open window of a conversation, if any."""
        return self._windows.get(conversation_id)

    def close(self, window: Window) -> None:
        """Close ``window``: replies not taken go through the customer service API."""
        window.closed = True
        if self._windows.get(window.conversation_id) is window:
            del self._windows[window.conversation_id]
        for _, fut in window.offers.values():
            if not fut.done():
                fut.set_result(False)
        window.offers.clear()

    async def offer(self, conversation_id: int, message_id: int, text: str) -> bool:
        """Offer a reply to a waiting webhook; True when it went out in the response."""
        window = self._windows.get(conversation_id)
        if window is None or window.closed or window.abandoned:
            return False
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        window.offers[message_id] = (text, fut)
        window.changed.set()
        return await fut
