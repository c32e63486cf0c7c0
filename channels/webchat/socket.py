"""One visitor's WebSocket: pushes the conversation's messages in seq order (live wake-ups and
what it reads from the database after a resume) and takes the visitor's frames: messages with
files, typing, delivered/read marks, 👍/👎 on an answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol

import orjson
from aiohttp import WSMsgType, web

from channels.webchat.files import WebchatFiles, notice
from channels.webchat.settings import WebchatSettings
from core.channel_store import message as stored_message
from core.channel_store import messages_after
from core.context import Services
from core.coordination import RateLimiter
from core.domain import InboundMessage, StoredMessage
from core.errors import KefuError, NotFound
from core.events import carried, conversation_topic
from core.receipts import customer_typing
from core.receipts import record as record_receipt

log = logging.getLogger("channels.webchat.adapter")

INBOX = "web"
CHANNEL = "webchat"
MAX_CLIENT_MSG_ID = 64
MAX_FILES = 5  # files in one message
TYPING_EVERY = 2.0  # seconds between two "typing on" events of one socket


def message_frame(m: StoredMessage) -> dict[str, Any]:
    """A stored message as the widget sees it (its files still as stored: the socket turns
    them into signed links as it sends the frame)."""
    frame = stored_frame(carried(m.seq, m.sender, m.text, m.source_id, m.created_at, m.meta))
    if m.attachments:
        frame["attachments"] = list(m.attachments)
    return frame


def stored_frame(m: dict[str, Any]) -> dict[str, Any]:
    """A message as a wake-up event carries it (see core/events.py) as the widget sees it."""
    meta, sender, source_id = m.get("meta") or {}, m["sender"], m.get("source_id")
    choices = meta.get("choices")
    return {
        "type": "message",
        "seq": m["seq"],
        "sender": sender,
        "text": m["text"],
        "client_msg_id": (
            source_id.split(":", 1)[-1] if sender == "customer" and source_id else None
        ),
        "created_at": m["created_at"],
        "agent_name": meta.get("agent_name"),
        "choices": [{"n": c["n"], "label": c["label"]} for c in choices] if choices else None,
        "entry_id": meta.get("entry_id") if sender == "bot" else None,
        "feedback": "helpful" if sender == "bot" and meta.get("entry_id") else None,
        "survey": bool(meta.get("survey")),
    }


class SocketHost(Protocol):
    """What a visitor socket needs of the web chat adapter."""

    services: Services
    cfg: WebchatSettings
    files: WebchatFiles
    message_limiter: RateLimiter


class VisitorSocket:
    """One visitor socket: pushes messages in seq order, takes frames."""

    def __init__(
        self,
        adapter: SocketHost,
        ws: web.WebSocketResponse,
        visitor: str,
        conv_id: int,
        last_seq: int,
        ip: str,
    ) -> None:
        self.adapter = adapter
        self.services = adapter.services
        self.ws = ws
        self.visitor = visitor
        self.conv_id = conv_id
        self.pushed = last_seq  # live pushes start after what existed at connect
        self.ip = ip
        self._push_lock = asyncio.Lock()
        self._wake: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=256)
        self._typing_at = 0.0  # when the last "typing on" went to the consoles
        self._marks = (0, 0)  # the delivered/read marks last recorded from this socket

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame (ignoring a socket that is already closing)."""
        if frame.get("attachments"):
            files = self.adapter.files
            frame = dict(
                frame, attachments=[files.public(a, self.conv_id) for a in frame["attachments"]]
            )
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(orjson.dumps(frame).decode())

    async def error(self, code: str, message: str, client_msg_id: Any = None) -> None:
        """An error frame; the connection stays open."""
        await self.send(
            {
                "type": "error",
                "code": code,
                "message": message,
                "client_msg_id": client_msg_id if isinstance(client_msg_id, str) else None,
            }
        )

    def _listener(self, _topic: str, event: dict[str, Any]) -> None:
        try:
            self._wake.put_nowait(event)
        except asyncio.QueueFull:
            pass  # a later wake-up (or the client's resume) reads everything anyway

    async def run(self) -> None:
        """Serve the socket until it closes."""
        unsubscribe = self.services.hub.subscribe(conversation_topic(self.conv_id), self._listener)
        pusher = asyncio.create_task(self._pump())
        try:
            await self.send(
                {"type": "ready", "conversation_id": self.conv_id, "last_seq": self.pushed}
            )
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._frame(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self.error("bad_frame", "Send JSON text frames.")
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            unsubscribe()
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher

    async def _pump(self) -> None:
        while True:
            event = await self._wake.get()
            try:
                if event.get("kind") == "typing":
                    await self.send(
                        {
                            "type": "typing",
                            "sender": event.get("sender"),
                            "on": bool(event.get("on")),
                        }
                    )
                elif event.get("kind") == "message" and int(event.get("seq", 0)) > self.pushed:
                    if not await self.push_carried(event.get("messages")):
                        await self.push_after(None)
            except KefuError:
                self.services.metrics.channel_error("webchat", "push")
                log.warning("web chat push failed for conversation %s", self.conv_id)

    async def push_after(self, after_seq: int | None) -> int:
        """Send every public message after ``after_seq`` (None: after the last pushed)."""
        async with self._push_lock:
            if after_seq is None:
                after_seq = self.pushed
            msgs = await messages_after(self.services.db, self.conv_id, after_seq)
            for m in msgs:
                await self.send(message_frame(m))
            if msgs:
                self.pushed = max(self.pushed, msgs[-1].seq)
            return msgs[-1].seq if msgs else after_seq

    async def push_carried(self, carried: Any) -> bool:
        """Send the messages a wake-up carried, if they continue what was pushed, in order."""
        if not isinstance(carried, list) or not carried:
            return False
        async with self._push_lock:
            fresh = [m for m in carried if int(m["seq"]) > self.pushed]
            if not fresh:
                return True
            if [int(m["seq"]) for m in fresh] != list(
                range(self.pushed + 1, self.pushed + 1 + len(fresh))
            ):
                return False  # a gap: something came in between, read them all in order
            self.pushed = int(fresh[-1]["seq"])
            for m in fresh:
                await self.send(stored_frame(m))
            return True

    async def push_stored(self, msg: StoredMessage) -> None:
        """Echo a message this socket just stored, without reading it back when it is next."""
        async with self._push_lock:
            if msg.seq == self.pushed + 1:
                self.pushed = msg.seq  # first, so a wake-up for it is skipped
                await self.send(message_frame(msg))
                return
        if msg.seq > self.pushed:
            await self.push_after(None)  # something came in between: read them all in order

    async def _frame(self, raw: str) -> None:
        try:
            frame = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.error("bad_frame", "The frame is not valid JSON.")
            return
        if not isinstance(frame, dict):
            await self.error("bad_frame", "A frame must be a JSON object.")
            return
        kind = frame.get("type")
        try:
            if kind == "message":
                await self._message(frame)
            elif kind == "resume":
                after = frame.get("after_seq", 0)
                if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                    await self.error("bad_frame", "after_seq must be a whole number >= 0.")
                    return
                last = await self.push_after(after)
                await self.send({"type": "resumed", "last_seq": max(last, self.pushed)})
            elif kind == "ping":
                await self.send({"type": "pong"})
            elif kind == "feedback":
                await self._feedback(frame)
            elif kind == "typing":
                await self._typing(frame)
            elif kind == "receipt":
                await self._receipt(frame)
            else:
                await self.error("unknown_type", f"Unknown frame type {kind!r}.")
        except KefuError as err:
            await self.error(err.code, err.message, frame.get("client_msg_id"))

    async def _feedback(self, frame: dict[str, Any]) -> None:
        """``{"type":"feedback","seq":N,"value":"up"|"down"|1..5}``: rate one message."""
        seq, value = frame.get("seq"), frame.get("value")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            await self.error("bad_frame", "seq must be a message's seq.")
            return
        if isinstance(value, bool) or value not in ("up", "down", 1, 2, 3, 4, 5):
            await self.error("bad_frame", 'value must be "up", "down" or a score 1-5.')
            return
        if not self.adapter.message_limiter.allow(f"{self.visitor}"):
            await self.error("rate_limited", "You are sending too fast; wait a moment.")
            return
        await self.services.pipeline.feedback(self.conv_id, seq, value)
        await self.send({"type": "feedback_ok", "seq": seq, "value": value})
        await self.push_after(None)

    async def _typing(self, frame: dict[str, Any]) -> None:
        """``{"type":"typing","on":bool}``: the visitor is writing (consoles show it); an
        "on" goes out at most every TYPING_EVERY seconds."""
        on = frame.get("on")
        if not isinstance(on, bool):
            await self.error("bad_frame", "on must be true or false.")
            return
        now = time.monotonic()
        if on and now - self._typing_at < TYPING_EVERY:
            return
        self._typing_at = now if on else 0.0
        await customer_typing(self.services.hub, self.conv_id, on)

    async def _receipt(self, frame: dict[str, Any]) -> None:
        """``{"type":"receipt","delivered_seq":N,"read_seq":M}``: what the widget has shown,
        and shown with the page in view; recorded only when it moves forward."""
        marks = (frame.get("delivered_seq", 0), frame.get("read_seq", 0))
        if any(not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in marks):
            await self.error("bad_frame", "delivered_seq and read_seq must be whole numbers.")
            return
        delivered, read = int(marks[0]), int(marks[1])
        if delivered <= self._marks[0] and read <= self._marks[1]:
            return
        self._marks = (max(delivered, self._marks[0]), max(read, self._marks[1]))
        await record_receipt(self.services.db, self.services.hub, self.conv_id, delivered, read)

    async def _message(self, frame: dict[str, Any]) -> None:
        cfg = self.adapter.cfg
        cmid, text = frame.get("client_msg_id"), frame.get("text")
        if not isinstance(cmid, str) or not cmid or len(cmid) > MAX_CLIENT_MSG_ID:
            await self.error(
                "bad_frame", f"client_msg_id must be a string of 1-{MAX_CLIENT_MSG_ID} characters."
            )
            return
        refs = frame.get("attachments") or []
        if not isinstance(refs, list) or len(refs) > MAX_FILES:
            await self.error("bad_frame", f"attachments must list at most {MAX_FILES} files.", cmid)
            return
        if refs:
            await self._files(cmid, text, refs, frame.get("locale"))
            return
        if not isinstance(text, str) or not text.strip():
            await self.error("bad_frame", "text must be a non-empty string.", cmid)
            return
        if len(text) > cfg.max_text_length:
            await self.error(
                "too_long", f"The message is longer than {cfg.max_text_length} characters.", cmid
            )
            return
        if not self.adapter.message_limiter.allow(f"{self.visitor}"):
            await self.error("rate_limited", "You are sending too fast; wait a moment.", cmid)
            return
        text = "".join(ch for ch in text if ch in "\n\t" or ch >= " ").strip()
        if not text:  # only control characters: nothing to store
            await self.error("bad_frame", "text must be a non-empty string.", cmid)
            return
        await self._record(cmid, text)

    async def _files(self, cmid: str, text: Any, refs: list[Any], locale: Any) -> None:
        """A message with files the visitor uploaded (``attachments``: their refs); the text
        is an optional caption. Without words, a bot holding the chat says it reads text."""
        if not isinstance(text, str):
            text = ""
        text = "".join(ch for ch in text if ch in "\n\t" or ch >= " ").strip()
        if len(text) > self.adapter.cfg.max_text_length:
            await self.error("too_long", "The message is too long.", cmid)
            return
        files = tuple(self.adapter.files.attachment(r, self.visitor, self.conv_id) for r in refs)
        if not self.adapter.message_limiter.allow(f"{self.visitor}"):
            await self.error("rate_limited", "You are sending too fast; wait a moment.", cmid)
            return
        kind = "image" if all(f.kind == "image" for f in files) else "file"
        await self._record(
            cmid,
            text,
            push_stored=False,
            kind="text" if text else kind,
            attachments=files,
            fixed_reply=None if text else notice(kind, locale),
        )

    async def _record(
        self, cmid: str, text: str, *, push_stored: bool = True, **extra: Any
    ) -> None:
        """Hand the visitor's message to the one inbound path, then show what it stored: a
        resend after a drop is echoed with the seq it was stored under (the client needs it);
        else the new message (and a fixed reply) is pushed, from memory or read back."""
        result = await self.services.pipeline.handle_inbound(
            InboundMessage(
                channel=CHANNEL,
                inbox=INBOX,
                external_id=self.visitor,
                source_id=f"{self.visitor}:{cmid}",
                text=text,
                conversation_id=self.conv_id,
                **extra,
            )
        )
        if result.duplicate:
            msg = await stored_message(self.services.db, result.message_id)
            if msg is None:
                raise NotFound("That message no longer exists.")
            await self.send(message_frame(msg))
        elif push_stored and result.message is not None:
            await self.push_stored(result.message)
        else:
            await self.push_after(None)
