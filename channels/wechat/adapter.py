"""Official Account (公众号) adapter: the webhook at ``/channels/wechat/{inbox}`` and sending.

Inbound: the URL check (GET), then pushes (POST) in plaintext, compatible or safe mode,
checked (signature, msg_signature, appid, clock skew), parsed safely, normalized and
committed before we answer. Text goes to the bot; if its turn ends before the deadline
(4 s by default, WeChat gives up at 5 s) the reply goes back passively in the response,
otherwise we answer ``success`` and the outbox sends through the customer service API.
A retried push is found by its ``MsgId`` (events: sender + time + event) and answered
``success`` without a second bot turn. Outbound: ``/cgi-bin/message/custom/send`` within
the 48-hour / 5-message window; ``/cgi-bin/message/custom/typing`` while someone writes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from channels.wechat import templates, window
from channels.wechat.api import ApiClient, ApiRefused, fetch_stable_token, fetch_token
from channels.wechat.codec import MAX_BODY_BYTES, Cipher, parse_xml, signature_ok, text_reply
from channels.wechat.config import WechatInbox, parse
from channels.wechat.inbound import Incoming, normalize, notice_text
from channels.wechat.passive import PassiveReplies, Window
from channels.wechat.token import AccessTokens
from channels.wechat.typing_indicator import TypingIndicator
from core.channel_store import claim_replies_after, latest_ticket_number, write_state
from core.context import Services
from core.domain import Attachment, ChannelCapabilities, InboundMessage, OutboundDelivery
from core.errors import (
    BadRequest,
    DeliveryError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PermanentDeliveryError,
)

log = logging.getLogger(__name__)

CHANNEL = "wechat"


class WechatAdapter:
    """The Official Account channel: every ``channel = "wechat"`` inbox."""

    name = CHANNEL
    # Replies ride the push's response within its deadline (config, at most 4.5 s), else the
    # customer service API within WeChat's 48 h window (channels/wechat/window.py).
    capabilities = ChannelCapabilities(
        passive_reply_seconds=4.5, reply_window_hours=48, media_kinds=frozenset({"image", "voice"})
    )

    def __init__(self, services: Services) -> None:
        self.services = services
        self.inboxes: dict[str, WechatInbox] = {
            i.name: parse(i) for i in services.settings.inboxes_of(CHANNEL)
        }
        self.ciphers = {
            n: Cipher(c.token, c.app_id, c.encoding_aes_keys)
            for n, c in self.inboxes.items()
            if c.safe_mode
        }
        self.apis = {n: self._api(c) for n, c in self.inboxes.items()}
        self.passive = PassiveReplies()
        self._http: aiohttp.ClientSession | None = None
        self.typing = TypingIndicator(services.hub, self.passive, self.apis)

    def _api(self, cfg: WechatInbox) -> ApiClient:
        async def fetch(force: bool) -> tuple[str, int]:
            if cfg.stable_token:
                return await fetch_stable_token(api, cfg.app_id, cfg.app_secret, force)
            return await fetch_token(
                api,
                "/cgi-bin/token",
                {"grant_type": "client_credential", "appid": cfg.app_id, "secret": cfg.app_secret},
            )

        tokens = AccessTokens(f"wechat:{cfg.app_id}", fetch, self.services.locks)
        api = ApiClient(cfg.api_base, tokens, self.http)
        return api

    def http(self) -> aiohttp.ClientSession:
        """The adapter's shared HTTP client session (created on first use)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(raise_for_status=False)
        return self._http

    def setup(self, app: web.Application) -> None:
        """Mount the webhook of every Official Account inbox."""
        app.router.add_get("/channels/wechat/{inbox}", self.verify)
        app.router.add_post("/channels/wechat/{inbox}", self.receive)

    async def close(self) -> None:
        """Stop watching conversations, finish typing calls, close the HTTP session."""
        self.typing.close()
        if self._http is not None:
            await self._http.close()

    # -- webhook ---------------------------------------------------------------------------

    def _inbox(self, request: web.Request) -> WechatInbox:
        cfg = self.inboxes.get(request.match_info["inbox"])
        if cfg is None:
            raise NotFound("There is no WeChat inbox with this name.", code="unknown_inbox")
        return cfg

    def _check_signature(self, request: web.Request, cfg: WechatInbox) -> tuple[str, str]:
        q = request.query
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not signature_ok((timestamp, nonce), cfg.token, q.get("signature", "")):
            raise Forbidden("The WeChat signature is wrong.", code="bad_signature")
        if cfg.max_clock_skew_seconds and (
            not timestamp.isdigit()
            or abs(time.time() - int(timestamp)) > cfg.max_clock_skew_seconds
        ):
            raise Forbidden("The WeChat timestamp is too far from our clock.", code="stale_request")
        return timestamp, nonce

    async def verify(self, request: web.Request) -> web.Response:
        """GET: WeChat's URL check; answer ``echostr`` unchanged when the signature is right."""
        cfg = self._inbox(request)
        self._check_signature(request, cfg)
        return web.Response(text=request.query.get("echostr", ""), content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        """POST: one push from WeChat."""
        started = time.monotonic()
        cfg = self._inbox(request)
        timestamp, nonce = self._check_signature(request, cfg)
        raw = await read_body(request)
        fields = parse_xml(raw)
        encrypted = request.query.get("encrypt_type", "raw") == "aes"
        cipher = self.ciphers.get(cfg.name)
        if cipher is not None:
            if not encrypted:
                raise Forbidden(
                    "This inbox is in safe mode: plaintext pushes are refused.",
                    code="not_encrypted",
                )
            inner = cipher.open(fields, timestamp, nonce, request.query.get("msg_signature", ""))
            fields = parse_xml(inner.encode())
        elif encrypted:
            raise Forbidden(
                "The push is encrypted but this inbox has no encoding_aes_key.", code="no_aes_key"
            )
        inc = normalize(fields, dict(cfg.menu))
        openid = request.query.get("openid")
        if openid is not None and openid != inc.user:
            raise Forbidden("The push's sender does not match its openid.", code="bad_openid")
        reply = await self.process(cfg, inc, raw, started + cfg.reply_deadline_seconds)
        if reply is None:
            return web.Response(text="success", content_type="text/plain")
        body = text_reply(inc.user, inc.account, reply)
        if cipher is not None:
            body = cipher.seal(body)
        return web.Response(text=body, content_type="application/xml")

    async def process(
        self, cfg: WechatInbox, inc: Incoming, raw: bytes, deadline: float
    ) -> str | None:
        """Store the push once and react; the passive reply's text, or None for ``success``."""
        if inc.action == "system":
            await self._receipt(cfg, inc)
            return None
        attachments, text = await self._media(cfg, inc, deadline)
        inbound = InboundMessage(
            channel=CHANNEL,
            inbox=cfg.name,
            external_id=inc.user,
            source_id=inc.source_id,
            text=text,
            kind=inc.kind,
            attachments=attachments,
            raw=raw,
        )
        if inc.action == "bot":
            return await self._bot(cfg, inc, inbound, deadline)
        return await self._direct(cfg, inc, inbound)

    async def _receipt(self, cfg: WechatInbox, inc: Incoming) -> None:
        """A platform notification: kept as the receipt of what it reports on (the template
        message's MsgID, the mass send's, the order's), never as a customer's message."""
        fields = dict(inc.receipt)
        ref = fields.get("MsgID") or fields.get("OrderId") or str(inc.created)
        value = {"event": inc.event, "openid": inc.user, "created": inc.created, **fields}
        await write_state(self.services.db, cfg.name, f"receipt:{inc.event}:{ref}", value)
        log.info("wechat %s: %s %s", cfg.name, inc.event, fields.get("Status", ""))

    async def _bot(
        self, cfg: WechatInbox, inc: Incoming, inbound: InboundMessage, deadline: float
    ) -> str | None:
        result = await self.services.pipeline.handle_inbound(inbound)
        conv_id = result.conversation_id
        if result.duplicate:
            # WeChat retried: the first request's connection is gone, so its window must not
            # keep replies for a response nobody reads; the outbox delivers them instead.
            open_window = self.passive.get(conv_id)
            if open_window is not None and open_window.source_id == inc.source_id:
                open_window.abandon()
            return None
        win = self.passive.open(conv_id, inc.source_id) if result.turn is not None else None
        self.typing.watch(conv_id, cfg.name, inc.user)
        await window.opened(self.services.db, cfg.name, inc.user)
        if win is None or result.turn is None:
            return None
        try:
            return await self._collect(win, result.turn, result.seq, deadline)
        finally:
            self.passive.close(win)

    async def _collect(
        self, win: Window, turn: asyncio.Task[None], after_seq: int, deadline: float
    ) -> str | None:
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                await asyncio.shield(turn)
        except TimeoutError:
            self.typing.show(win.conversation_id)  # still thinking: show it
            return None
        if win.abandoned:
            return None
        ids, texts = await claim_replies_after(self.services.db, win.conversation_id, after_seq)
        if not ids:
            return None
        claimed = set(texts)
        remaining = [i for i in ids if i not in claimed]
        while remaining and not win.abandoned:
            win.changed.clear()
            for message_id in list(remaining):
                taken = win.take(message_id)
                if taken is not None:
                    texts[message_id] = taken
                    remaining.remove(message_id)
            left = deadline - time.monotonic()
            if not remaining or left <= 0:
                break
            await win.wait(left)
        if not texts:
            return None
        return "\n\n".join(texts[i] for i in ids if i in texts)

    async def _direct(self, cfg: WechatInbox, inc: Incoming, inbound: InboundMessage) -> str | None:
        """Events and non-text messages: stored, maybe answered with a fixed text, no bot turn.

        The fixed text (the welcome, a media notice) goes in this push's passive reply.
        """
        reply_text = None
        if inc.action == "welcome":
            reply_text = cfg.welcome or None
        elif inc.action == "notice":
            reply_text = notice_text(inc.kind)
        if reply_text is None:
            inbound = dataclasses.replace(inbound, no_reply="event")
        else:
            inbound = dataclasses.replace(inbound, fixed_reply=reply_text, reply_inline=True)
        result = await self.services.pipeline.handle_inbound(inbound)
        if result.duplicate:
            return None
        if inc.event != "unsubscribe":
            self.typing.watch(result.conversation_id, cfg.name, inc.user)
            await window.opened(self.services.db, cfg.name, inc.user)
        return result.inline_reply

    async def _media(
        self, cfg: WechatInbox, inc: Incoming, deadline: float
    ) -> tuple[tuple[Attachment, ...], str]:
        """Fetch a push's media through ``/cgi-bin/media/get`` into the attachment store."""
        if not inc.media_id:
            return (), inc.text
        try:
            async with asyncio.timeout(max(0.5, (deadline - time.monotonic()) / 2)):
                data, ctype = await self.apis[cfg.name].media(
                    "/cgi-bin/media/get", {"media_id": inc.media_id}
                )
            if ctype == "application/json":
                url = orjson.loads(data).get("video_url", "")
                return (), f"{inc.text} {url}".strip()
            kind = "video" if inc.kind == "video" else inc.kind
            saved = await self.services.attachments.save(data, kind=kind, mime=ctype)
            return (saved,), inc.text
        except (DeliveryError, PayloadTooLarge, TimeoutError, ValueError) as err:
            self.services.metrics.channel_error(CHANNEL, "media_fetch")
            log.warning("media %s of inbox %s not fetched: %s", inc.media_id, cfg.name, err)
            return (), f"{inc.text} (媒体文件获取失败 / media could not be fetched: {inc.media_id})"

    # -- outbound --------------------------------------------------------------------------

    async def send(self, delivery: OutboundDelivery) -> None:
        """Deliver a reply: in a waiting webhook's response, else by the customer service API."""
        cfg = self.inboxes.get(delivery.inbox)
        if cfg is None:
            raise ApiRefused(0, "", f"WeChat inbox {delivery.inbox!r} is not configured.")
        text = delivery.text
        files = [a for a in delivery.attachments if a.kind in self.capabilities.media_kinds]
        if not files and await self.passive.offer(
            delivery.conversation_id, delivery.message_id, text
        ):
            return
        db = self.services.db
        try:
            await window.check(db, cfg.name, delivery.external_id, delivery.conversation_id)
        except PermanentDeliveryError:
            if await self._template(cfg, delivery):
                return  # the window is closed: a notice went out as a template message
            raise
        bodies = [await self._media_body(cfg, delivery.external_id, a) for a in files]
        if text.strip() or not bodies:
            bodies.append(
                {"touser": delivery.external_id, "msgtype": "text", "text": {"content": text}}
            )
        try:
            for body in bodies:
                await self.apis[cfg.name].post("/cgi-bin/message/custom/send", body)
        except ApiRefused as err:
            if err.errcode in (45015, 45047):
                if await self._template(cfg, delivery):
                    return
                raise await window.refusal(db, err.errcode, delivery.conversation_id) from err
            raise
        await window.counted(db, cfg.name, delivery.external_id)

    async def _media_body(self, cfg: WechatInbox, user: str, a: Attachment) -> dict[str, Any]:
        """Upload a reply's file as temporary media; the customer service message sending it."""
        data = await self.services.attachments.read(a.key)
        media_id = await self.apis[cfg.name].upload(
            "/cgi-bin/media/upload", a.kind, data, a.name, a.mime
        )
        return {"touser": user, "msgtype": a.kind, a.kind: {"media_id": media_id}}

    async def _template(self, cfg: WechatInbox, delivery: OutboundDelivery) -> bool:
        """Send a notice or the survey as a template message; False when it is not one or
        the inbox maps no template (agents' replies always wait for the customer)."""
        if not cfg.template_id or delivery.sender != "system":
            return False
        ticket = await latest_ticket_number(self.services.db, delivery.conversation_id)
        await templates.send(
            self.apis[cfg.name],
            delivery.external_id,
            cfg.template_id,
            dict(cfg.template_fields),
            delivery.text,
            ticket,
        )
        return True


async def read_body(request: web.Request, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The request body, at most ``max_bytes`` (413 beyond); 400 when empty."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"The body is larger than {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65_536):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"The body is larger than {max_bytes} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise BadRequest("The body is empty.", code="empty_body")
    return raw
