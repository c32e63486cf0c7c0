"""Web chat adapter: visitor sessions over HTTP, the conversation over a WebSocket.

Protocol (documented in docs/webchat.md): the client connects with its signed token, gets
``ready``, asks ``resume`` after its last seen seq, then sends ``message`` frames with a
``client_msg_id`` (stored once however often it is resent). The server pushes every
non-private message of the conversation in seq order; a wake-up from the hub says "there is
something after seq N", and the socket reads it from the database, so a missed wake-up is
repaired by the next one or by the client's next ``resume``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from channels.webchat.files import WebchatFiles, notice
from core.channel_store import message as stored_message
from core.channel_store import messages_after, users_conversation
from core.context import Services
from core.coordination import RateLimiter
from core.domain import ChannelCapabilities, InboundMessage, OutboundDelivery, StoredMessage
from core.errors import BadRequest, KefuError, NotFound, Unauthorized
from core.events import carried, conversation_topic
from core.receipts import customer_typing
from core.receipts import record as record_receipt
from core.security import TokenSigner
from core.web import error_body, json_response, read_json

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
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


class WebchatAdapter:
    """The web chat channel."""

    name = CHANNEL
    # Delivering a reply is waking this conversation's sockets, which read the database: the
    # pipeline does that right after a bot turn commits and stores the reply as sent, with
    # no trip through the outbox dispatcher (see TurnPipeline._commit_replies).
    # Choices are buttons under the reply (widget.js), so the text carries no numbered list.
    capabilities = ChannelCapabilities(
        live_socket=True,
        push_api=False,
        media_kinds=frozenset({"image", "file", "voice", "video"}),
        choice_buttons=True,
        max_choices=4,
    )

    def __init__(self, services: Services) -> None:
        self.services = services
        cfg = services.settings.webchat
        self.cfg = cfg
        self.tokens = TokenSigner(services.secret, "webchat-visitor")
        self.session_limiter = RateLimiter(cfg.sessions_per_minute_per_ip, 60.0)
        self.message_limiter = RateLimiter(cfg.messages_per_minute, 60.0)
        self._sockets: set[web.WebSocketResponse] = set()
        self.files = WebchatFiles(self)

    def setup(self, app: web.Application) -> None:
        """Mount the session endpoint, the socket, the widget and the demo page."""
        app.router.add_post("/api/webchat/sessions", self.create_session)
        app.router.add_route("OPTIONS", "/api/webchat/sessions", self.preflight)
        app.router.add_get("/api/webchat/ws", self.websocket)
        app.router.add_get("/", self.index)
        app.router.add_static("/webchat/", STATIC, append_version=False)
        self.files.setup(app)

    async def send(self, delivery: OutboundDelivery) -> None:
        """Wake the sockets of the conversation; they read the reply from the database."""
        await self.services.events.message(delivery.conversation_id, delivery.seq)

    async def close(self) -> None:
        """Close every visitor socket with a reconnect hint (1012: service restart)."""
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1012, message=b"server restarting, reconnect")

    # -- origins ---------------------------------------------------------------------------

    def origin_allowed(self, request: web.Request) -> bool:
        """Same-origin pages, and the sites listed in ``[webchat] allowed_origins``."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser page (server-side client, curl)
        allowed = self.cfg.allowed_origins
        if "*" in allowed or origin.rstrip("/") in {o.rstrip("/") for o in allowed}:
            return True
        return origin.split("://", 1)[-1] == request.host

    def _cors(self, request: web.Request, response: web.StreamResponse) -> None:
        origin = request.headers.get("Origin")
        if origin and self.origin_allowed(request):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"

    async def preflight(self, request: web.Request) -> web.Response:
        """CORS preflight for the session endpoint (the widget on a customer's site)."""
        if not self.origin_allowed(request):
            return json_response(
                error_body("origin_not_allowed", "This site may not embed the chat."), status=403
            )
        response = web.Response(status=204)
        self._cors(request, response)
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        return response

    # -- HTTP ------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.FileResponse:
        """The demo page that embeds the widget."""
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def create_session(self, request: web.Request) -> web.Response:
        """POST /api/webchat/sessions: a new visitor session, or a refreshed one for a token."""
        ip = request.remote or "?"
        if not self.origin_allowed(request):
            return json_response(
                error_body("origin_not_allowed", "This site may not embed the chat."), status=403
            )
        if not self.session_limiter.allow(ip):
            return json_response(
                error_body("rate_limited", "Too many sessions; slow down."), status=429
            )
        body = await read_json(request, max_bytes=8192)
        token, locale = body.get("token"), body.get("locale")
        if locale not in (None, "zh", "en"):
            raise BadRequest("locale must be zh or en.", code="bad_locale")
        db = self.services.db
        if token is not None:
            if not isinstance(token, str):
                raise Unauthorized("The token is malformed.", code="invalid_token")
            visitor, conv_id = self._verify(token)
            if await users_conversation(db, CHANNEL, visitor, conv_id) is None:
                raise Unauthorized(
                    "The conversation of this token no longer exists.", code="invalid_token"
                )
        else:
            visitor = uuid.uuid4().hex
            conv_id = await self.services.pipeline.open_conversation(
                CHANNEL, INBOX, visitor, language=locale
            )
        ttl = self.cfg.token_ttl_hours * 3600
        fresh = self.tokens.sign({"v": visitor, "c": conv_id}, ttl)
        expires = self.tokens.verify(fresh)["exp"]
        response = json_response(
            {
                "token": fresh,
                "conversation_id": conv_id,
                "expires_at": datetime.fromtimestamp(expires, UTC).isoformat(),
                "upload_max_bytes": self.services.settings.attachments.upload_max_bytes,
            }
        )
        self._cors(request, response)
        return response

    def _verify(self, token: str) -> tuple[str, int]:
        payload = self.tokens.verify(token)
        visitor, conv_id = payload.get("v"), payload.get("c")
        if not isinstance(visitor, str) or not isinstance(conv_id, int):
            raise Unauthorized("The token is malformed.", code="invalid_token")
        return visitor, conv_id

    # -- WebSocket ---------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """GET /api/webchat/ws?token=...: the live conversation."""
        ws = web.WebSocketResponse(
            heartbeat=self.cfg.heartbeat_seconds,
            max_msg_size=max(65_536, self.cfg.max_text_length * 8),
            # Frames are a few hundred bytes of JSON: per-message deflate would cost more CPU
            # (a zlib stream per socket, every frame) than it saves on the wire.
            compress=False,
        )
        await ws.prepare(request)
        if not self.origin_allowed(request):
            # A page on another site must not drive a visitor's conversation (CSWSH).
            await ws.close(code=4403, message=b"origin not allowed")
            return ws
        try:
            visitor, conv_id = self._verify(request.query.get("token", ""))
            last_seq = await users_conversation(self.services.db, CHANNEL, visitor, conv_id)
            if last_seq is None:
                raise Unauthorized(
                    "The conversation of this token no longer exists.", code="invalid_token"
                )
        except KefuError as err:
            # After the upgrade an error must be a frame and a close code: an HTTP error
            # response written on the socket reads as a corrupt frame to the client.
            if isinstance(err, Unauthorized):
                frame = {"type": "error", "code": err.code, "message": err.message}
                await ws.send_str(orjson.dumps(frame).decode())
                await ws.close(code=4401, message=b"invalid token")
            else:  # e.g. the database is out of reach for now: 1013, reconnect later
                await ws.close(code=1013, message=b"try again later")
            return ws
        session_ = _Socket(self, ws, visitor, conv_id, last_seq, request.remote or "?")
        self._sockets.add(ws)
        try:
            await session_.run()
        finally:
            self._sockets.discard(ws)
        return ws


class _Socket:
    """One visitor socket: pushes messages in seq order, takes frames."""

    def __init__(
        self,
        adapter: WebchatAdapter,
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
        result = await self.services.pipeline.handle_inbound(
            InboundMessage(
                channel=CHANNEL,
                inbox=INBOX,
                external_id=self.visitor,
                source_id=f"{self.visitor}:{cmid}",
                text=text,
                conversation_id=self.conv_id,
            )
        )
        if result.duplicate:
            # Resent after a drop: the client needs the echo with the seq it was stored under.
            msg = await stored_message(self.services.db, result.message_id)
            if msg is None:
                raise NotFound("That message no longer exists.")
            await self.send(message_frame(msg))
        elif result.message is not None:
            await self.push_stored(result.message)
        else:
            await self.push_after(None)

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
        result = await self.services.pipeline.handle_inbound(
            InboundMessage(
                channel=CHANNEL,
                inbox=INBOX,
                external_id=self.visitor,
                source_id=f"{self.visitor}:{cmid}",
                text=text,
                kind="text" if text else kind,
                attachments=files,
                conversation_id=self.conv_id,
                fixed_reply=None if text else notice(kind, locale),
            )
        )
        if result.duplicate:
            msg = await stored_message(self.services.db, result.message_id)
            if msg is None:
                raise NotFound("That message no longer exists.")
            await self.send(message_frame(msg))
        else:
            await self.push_after(None)
