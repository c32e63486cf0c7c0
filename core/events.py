"""Wake-up events on the hub: what changed (readers use the DB), and for a live socket the
messages a turn just stored, so it need not read them back."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from core.coordination import Hub
from core.message_meta import MessageMeta

AGENTS_TOPIC = "agents"
TYPING_AFTER = 0.3  # seconds a bot turn runs before the customer sees "typing..."


def carried(
    seq: int,
    sender: str,
    text: str,
    source_id: str | None,
    created_at: datetime,
    meta: MessageMeta,
) -> dict[str, Any]:
    """One stored message as a wake-up event carries it (see :meth:`Events.message`)."""
    return {
        "seq": seq,
        "sender": sender,
        "text": text,
        "source_id": source_id,
        "created_at": created_at.isoformat(),
        "meta": meta,
    }


def conversation_topic(conversation_id: int) -> str:
    """The topic that sockets watching one conversation subscribe to."""
    return f"conv:{conversation_id}"


class Events:
    """Typed publishers over a :class:`Hub`."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def message(
        self, conversation_id: int, seq: int, messages: list[dict[str, Any]] | None = None
    ) -> None:
        """A message up to ``seq`` is stored in the conversation.

        ``messages``: the stored messages themselves (seq, sender, text, source_id,
        created_at as ISO text, meta), in order and ending at ``seq``, when the publisher has
        them at hand: a live socket sends them without reading them back.
        """
        event: dict[str, Any] = {"kind": "message", "seq": seq}
        if messages:
            event["messages"] = messages
        await self.hub.publish(conversation_topic(conversation_id), event)

    async def typing(self, conversation_id: int, sender: str, on: bool) -> None:
        """The bot or an agent started or stopped writing."""
        await self.hub.publish(
            conversation_topic(conversation_id), {"kind": "typing", "sender": sender, "on": on}
        )

    async def conversation_updated(self, conversation_id: int, owner: str, seq: int) -> None:
        """Tell consoles a conversation changed (new message, new owner...)."""
        await self.hub.publish(
            AGENTS_TOPIC,
            {
                "type": "conversation.updated",
                "conversation_id": conversation_id,
                "owner": owner,
                "seq": seq,
            },
        )


class BotTyping:
    """The bot's typing indicator, shown only for a turn slower than TYPING_AFTER.

    A quick answer arrives before anyone could read "typing..." (and costs the socket two
    frames a turn for nothing); a slow one (a busy knowledge base, a model) shows it.
    """

    def __init__(self, events: Events, conversation_id: int) -> None:
        self.events = events
        self.conversation_id = conversation_id
        self.shown: asyncio.Task[None] | None = None
        self.timer = asyncio.get_running_loop().call_later(TYPING_AFTER, self._show)

    def _show(self) -> None:
        self.shown = asyncio.create_task(self.events.typing(self.conversation_id, "bot", True))

    async def stop(self) -> None:
        """The turn is over: hide the indicator if it was shown."""
        self.timer.cancel()
        if self.shown is not None:
            await self.shown
            await self.events.typing(self.conversation_id, "bot", False)
