"""Web chat adapter: visitor sessions over HTTP, the conversation over a WebSocket.

Protocol (documented in docs/webchat.md): the client connects with its signed token, gets
``ready``, asks ``resume`` after its last seen seq, then sends ``message`` frames with a
``client_msg_id`` (stored once however often it is resent). The server pushes every
non-private message of the conversation in seq order; a wake-up from the hub says "there is
something after seq N", and the socket reads it from the database, so a missed wake-up is
repaired by the next one or by the client's next ``resume``.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiohttp import web

from channels.webchat.files import WebchatFiles
from channels.webchat.socket import CHANNEL, INBOX, VisitorSocket
from core.context import Services
from core.coordination import RateLimiter
from core.domain import ChannelCapabilities, OutboundDelivery
from core.errors import BadRequest, KefuError, Unauthorized
from core.security import TokenSigner
from core.web import error_body, json_response, read_json

log = logging.getLogger(__name__)

__all__ = ["CHANNEL", "INBOX", "STATIC", "WebchatAdapter"]

STATIC = Path(__file__).with_name("static")


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
        if token is not None:
            if not isinstance(token, str):
                raise Unauthorized("The token is malformed.", code="invalid_token")
            visitor, conv_id = self._verify(token)
            if await self.services.pipeline.users_conversation(CHANNEL, visitor, conv_id) is None:
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
            last_seq = await self.services.pipeline.users_conversation(CHANNEL, visitor, conv_id)
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
        session_ = VisitorSocket(self, ws, visitor, conv_id, last_seq, request.remote or "?")
        self._sockets.add(ws)
        try:
            await session_.run()
        finally:
            self._sockets.discard(ws)
        return ws
