"""The "typing…" indicator on WeChat: while the bot or an agent writes in a conversation we
handle, ``/cgi-bin/message/custom/typing`` shows it on the customer's phone.

We follow a conversation's typing events from the moment we handled a message of it (at most
``MAX_WATCHED`` conversations, the oldest dropped), except while a reply waits to ride the
webhook's response: that reply comes at once, no indicator needed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from channels.wechat.api import ApiClient
from channels.wechat.passive import PassiveReplies
from core.coordination import Hub
from core.errors import DeliveryError
from core.events import conversation_topic

MAX_WATCHED = 10_000


class TypingIndicator:
    """Typing commands for the conversations the adapter handled, through each inbox's API."""

    def __init__(self, hub: Hub, passive: PassiveReplies, apis: dict[str, ApiClient]) -> None:
        self.hub = hub
        self.passive = passive
        self.apis = apis
        self._watched: OrderedDict[int, Callable[[], None]] = OrderedDict()
        self._users: dict[int, tuple[str, str]] = {}  # conversation -> (inbox, openid)
        self._tasks: set[asyncio.Task[Any]] = set()

    def watch(self, conversation_id: int, inbox: str, user: str) -> None:
        """Follow a conversation's typing events (it is ours: we just handled its message)."""
        self._users[conversation_id] = (inbox, user)
        if conversation_id in self._watched:
            self._watched.move_to_end(conversation_id)
            return
        self._watched[conversation_id] = self.hub.subscribe(
            conversation_topic(conversation_id), self._on_event
        )
        while len(self._watched) > MAX_WATCHED:
            old, unsubscribe = self._watched.popitem(last=False)
            unsubscribe()
            self._users.pop(old, None)

    def show(self, conversation_id: int) -> None:
        """Show the indicator now (the bot is still thinking past the webhook's deadline)."""
        self._spawn(self._typing(conversation_id, True))

    def close(self) -> None:
        """Stop following conversations and cancel the typing calls in flight."""
        for unsubscribe in self._watched.values():
            unsubscribe()
        self._watched.clear()
        for task in list(self._tasks):
            task.cancel()

    def _on_event(self, topic: str, event: dict[str, Any]) -> None:
        if event.get("kind") != "typing" or event.get("sender") not in ("bot", "agent"):
            return
        conversation_id = int(topic.split(":", 1)[1])
        if self.passive.get(conversation_id) is not None:
            return  # the answer goes out in the webhook's response: no indicator needed
        self._spawn(self._typing(conversation_id, bool(event.get("on"))))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _typing(self, conversation_id: int, on: bool) -> None:
        target = self._users.get(conversation_id)
        if target is None:
            return
        inbox, user = target
        body = {"touser": user, "command": "Typing" if on else "CancelTyping"}
        with contextlib.suppress(DeliveryError):
            await self.apis[inbox].post("/cgi-bin/message/custom/typing", body)
