"""WeCom 微信客服 adapter: callbacks at ``/channels/wecom-kf/{inbox}``, sync_msg, send_msg.

A callback carries no message, only a short-lived ``Token``: we verify and decrypt it,
answer ``success`` at once, then pull with ``sync_msg`` under a per-``open_kfid`` lock,
page after page while ``has_more``, persisting the cursor after each page (in
``channel_state``), so a crash re-reads at most one page and dedupe by ``msgid`` absorbs it.
Only ``origin == 3`` (the customer) is handled. Replies go out with ``send_msg`` carrying
our own ``msgid`` (the outbox row's idempotency key), so a retried send is kept once.

``service_state``: a new session (0) is moved to 1 (智能助手 / API) when the customer first
writes. kefu's own agents answer through the API too, which WeCom only allows while the
session is in 0 or 1, so escalation and takeover keep it at 1 (moving it to 2/3 would
hand the customer to WeCom's own servicers and silence kefu). When kefu resolves the
conversation, the session is ended (4) after the closing message went out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from typing import Any

import aiohttp
from aiohttp import web

from channels.wechat import window
from channels.wechat.adapter import read_body
from channels.wechat.api import ApiClient, fetch_token
from channels.wechat.codec import Cipher, parse_xml
from channels.wechat.inbound import notice_text
from channels.wechat.token import AccessTokens
from channels.wecom_kf.config import WecomKfInbox, parse
from core.channel_store import owner_of, read_state, write_state
from core.context import Services
from core.domain import Attachment, ChannelCapabilities, InboundMessage, OutboundDelivery
from core.errors import BadRequest, DeliveryError, NotFound, PayloadTooLarge

log = logging.getLogger(__name__)

CHANNEL = "wecom_kf"
CUSTOMER = 3
MEDIA = {"image": "image", "voice": "voice", "video": "video", "file": "file"}
LABELS = {"image": "[图片 / image]", "voice": "[语音 / voice message]", "video": "[视频 / video]",
          "file": "[文件 / file]"}  # fmt: skip


def msgid_for(idempotency_key: str) -> str:
    """Our ``msgid`` for send_msg: the idempotency key itself when short enough (<= 32 bytes)."""
    if len(idempotency_key.encode()) <= 32:
        return idempotency_key
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


class WecomKfAdapter:
    """The WeCom 微信客服 channel: every ``channel = "wecom_kf"`` inbox."""

    name = CHANNEL
    capabilities = ChannelCapabilities(
        reply_window_hours=48, media_kinds=frozenset({"image", "voice", "file"})
    )

    def __init__(self, services: Services) -> None:
        self.services = services
        self.inboxes = {i.name: parse(i) for i in services.settings.inboxes_of(CHANNEL)}
        self.ciphers = {
            n: Cipher(c.token, c.corp_id, c.encoding_aes_keys) for n, c in self.inboxes.items()
        }
        self.apis = {n: self._api(c) for n, c in self.inboxes.items()}
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._in_service: set[tuple[str, str]] = set()  # (inbox, external_userid) moved to 1
        self.synced = 0  # messages handled (for tests and metrics)

    def _api(self, cfg: WecomKfInbox) -> ApiClient:
        async def fetch(force: bool) -> tuple[str, int]:
            params = {"corpid": cfg.corp_id, "corpsecret": cfg.secret}
            return await fetch_token(api, "/cgi-bin/gettoken", params)

        tokens = AccessTokens(f"wecom:{cfg.corp_id}:{cfg.name}", fetch, self.services.locks)
        api = ApiClient(cfg.api_base, tokens, self.http)
        return api

    def http(self) -> aiohttp.ClientSession:
        """The adapter's shared HTTP client session (created on first use)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    def setup(self, app: web.Application) -> None:
        """Mount the callback URL; catch up with every inbox once the app has started."""
        app.router.add_get("/channels/wecom-kf/{inbox}", self.verify)
        app.router.add_post("/channels/wecom-kf/{inbox}", self.callback)

        async def catch_up(_app: web.Application) -> None:
            for cfg in self.inboxes.values():
                if cfg.sync_on_start:
                    self._spawn(self.sync(cfg, None))

        app.on_startup.append(catch_up)  # runs after the core's start-up (migrations)

    async def close(self) -> None:
        """Cancel pulls in flight and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- callbacks -------------------------------------------------------------------------

    def _inbox(self, request: web.Request) -> WecomKfInbox:
        cfg = self.inboxes.get(request.match_info["inbox"])
        if cfg is None:
            raise NotFound("There is no WeCom kf inbox with this name.", code="unknown_inbox")
        return cfg

    async def verify(self, request: web.Request) -> web.Response:
        """GET: the callback URL check: decrypt ``echostr`` (after its signature) and echo it."""
        cfg = self._inbox(request)
        q = request.query
        plain = self.ciphers[cfg.name].open_text(
            q.get("echostr", ""),
            q.get("timestamp", ""),
            q.get("nonce", ""),
            q.get("msg_signature", ""),
        )
        return web.Response(text=plain, content_type="text/plain")

    async def callback(self, request: web.Request) -> web.Response:
        """POST: "there are messages": verify, decrypt, answer at once, pull in the background."""
        cfg = self._inbox(request)
        q = request.query
        fields = parse_xml(await read_body(request))
        inner = parse_xml(
            self.ciphers[cfg.name]
            .open(fields, q.get("timestamp", ""), q.get("nonce", ""), q.get("msg_signature", ""))
            .encode()
        )
        if inner.get("Event") == "kf_msg_or_event":
            if inner.get("OpenKfId", cfg.open_kfid) != cfg.open_kfid:
                raise BadRequest("The callback is for another kf account.", code="wrong_open_kfid")
            self._spawn(self.sync(cfg, inner.get("Token") or None))
        return web.Response(text="success", content_type="text/plain")

    # -- pulling ---------------------------------------------------------------------------

    async def sync(self, cfg: WecomKfInbox, token: str | None) -> int:
        """Pull every new message (one puller per open_kfid); returns how many were handled."""
        handled = 0
        db = self.services.db
        key = f"cursor:{cfg.open_kfid}"
        try:
            async with self.services.locks.hold(f"wecom-kf-sync:{cfg.corp_id}:{cfg.open_kfid}"):
                while True:
                    cursor = str((await read_state(db, cfg.name, key)).get("cursor") or "")
                    body: dict[str, Any] = {
                        "cursor": cursor, "limit": cfg.sync_limit, "open_kfid": cfg.open_kfid,
                    }  # fmt: skip
                    if token:
                        body["token"] = token
                    page = await self.apis[cfg.name].post("/cgi-bin/kf/sync_msg", body)
                    for item in page.get("msg_list") or ():
                        if isinstance(item, dict):
                            handled += await self._handle(cfg, item)
                    next_cursor = str(page.get("next_cursor") or cursor)
                    await write_state(db, cfg.name, key, {"cursor": next_cursor})
                    if not page.get("has_more") or next_cursor == cursor:
                        break
        except DeliveryError as err:
            self.services.metrics.channel_error(CHANNEL, "sync_msg")
            log.warning("sync_msg for %s failed (next callback retries): %s", cfg.name, err)
        self.synced += handled
        return handled

    async def _handle(self, cfg: WecomKfInbox, item: dict[str, Any]) -> int:
        if item.get("origin") != CUSTOMER or item.get("open_kfid", cfg.open_kfid) != cfg.open_kfid:
            return 0  # 4: system events, 5: a servicer in the WeCom client
        user, msgid = str(item.get("external_userid") or ""), str(item.get("msgid") or "")
        if not user or not msgid:
            return 0
        kind, text, media_id = _normalize(item)
        attachments: tuple[Attachment, ...] = ()
        if media_id:
            attachments, text = await self._media(cfg, kind, text, media_id)
        inbound = InboundMessage(
            channel=CHANNEL, inbox=cfg.name, external_id=user, source_id=f"kf:{msgid}",
            text=text, kind=kind, attachments=attachments,
        )  # fmt: skip
        if not (kind == "text" and text.strip()):
            inbound = dataclasses.replace(inbound, fixed_reply=notice_text(kind))
        if (await self.services.pipeline.handle_inbound(inbound)).duplicate:
            return 0
        await window.opened(self.services.db, cfg.name, user)
        await self._serve(cfg, user)
        return 1

    async def _media(
        self, cfg: WecomKfInbox, kind: str, text: str, media_id: str
    ) -> tuple[tuple[Attachment, ...], str]:
        try:
            data, ctype = await self.apis[cfg.name].media(
                "/cgi-bin/media/get", {"media_id": media_id}
            )
            saved = await self.services.attachments.save(data, kind=kind, mime=ctype)
            return (saved,), text
        except (DeliveryError, PayloadTooLarge) as err:
            self.services.metrics.channel_error(CHANNEL, "media_fetch")
            log.warning("kf media %s not fetched: %s", media_id, err)
            return (), f"{text} (媒体文件获取失败 / media could not be fetched)"

    async def _serve(self, cfg: WecomKfInbox, user: str) -> None:
        """Move a new session (0) to 1 so the API (the bot and kefu's agents) may answer."""
        if (cfg.name, user) in self._in_service:
            return
        api = self.apis[cfg.name]
        try:
            state = await api.post(
                "/cgi-bin/kf/service_state/get",
                {"open_kfid": cfg.open_kfid, "external_userid": user},
            )
            if int(state.get("service_state") or 0) in (0, 4):
                await self._trans(cfg, user, 1)
            self._in_service.add((cfg.name, user))
        except DeliveryError as err:
            self.services.metrics.channel_error(CHANNEL, "service_state")
            log.warning("service_state for %s on %s: %s", user, cfg.name, err)

    async def _trans(self, cfg: WecomKfInbox, user: str, state: int) -> None:
        body = {"open_kfid": cfg.open_kfid, "external_userid": user, "service_state": state}
        await self.apis[cfg.name].post("/cgi-bin/kf/service_state/trans", body)

    # -- outbound --------------------------------------------------------------------------

    async def send(self, delivery: OutboundDelivery) -> None:
        """send_msg with our msgid; end the WeCom session after kefu's closing message."""
        cfg = self.inboxes.get(delivery.inbox)
        if cfg is None:
            raise DeliveryError(f"WeCom kf inbox {delivery.inbox!r} is not configured.")
        db = self.services.db
        await window.check(db, cfg.name, delivery.external_id, delivery.conversation_id)
        api = self.apis[cfg.name]
        files = [a for a in delivery.attachments if a.kind in self.capabilities.media_kinds]
        parts: list[tuple[str, dict[str, Any]]] = []
        for i, a in enumerate(files):
            data = await self.services.attachments.read(a.key)
            media_id = await api.upload("/cgi-bin/media/upload", a.kind, data, a.name, a.mime)
            parts.append(
                (
                    f"{delivery.idempotency_key}:f{i}",
                    {"msgtype": a.kind, a.kind: {"media_id": media_id}},
                )
            )
        if delivery.text.strip() or not parts:
            parts.append(
                (delivery.idempotency_key, {"msgtype": "text", "text": {"content": delivery.text}})
            )
        for key, content in parts:
            # One msgid per part: a retry after a partial send is not delivered twice.
            body = {
                "touser": delivery.external_id,
                "open_kfid": cfg.open_kfid,
                "msgid": msgid_for(key),
                **content,
            }
            await api.post("/cgi-bin/kf/send_msg", body)
        await window.counted(db, cfg.name, delivery.external_id)
        owner = await owner_of(db, delivery.conversation_id)
        if owner == "resolved" and delivery.sender == "system":
            try:
                await self._trans(cfg, delivery.external_id, 4)
            except DeliveryError as err:
                log.warning("could not end the WeCom session of %s: %s", delivery.external_id, err)
            self._in_service.discard((cfg.name, delivery.external_id))


def _normalize(item: dict[str, Any]) -> tuple[str, str, str]:
    """(kind, text, media_id) of one sync_msg item."""
    msgtype = str(item.get("msgtype") or "")
    part = item.get(msgtype) if isinstance(item.get(msgtype), dict) else {}
    assert isinstance(part, dict)
    if msgtype == "text":
        return "text", str(part.get("content") or "")[:4000], ""
    if msgtype in MEDIA:
        return MEDIA[msgtype], LABELS[msgtype], str(part.get("media_id") or "")
    if msgtype == "location":
        where = f"{part.get('name', '')} {part.get('address', '')}".strip()
        return (
            "location",
            f"[位置 / location] {where} ({part.get('latitude')}, {part.get('longitude')})",
            "",
        )
    if msgtype == "link":
        parts = [str(part.get(k) or "") for k in ("title", "desc", "url")]
        return "link", "[链接 / link] " + "\n".join(p for p in parts if p), ""
    return "unknown", f"[不支持的消息类型 / unsupported message type: {msgtype[:64]}]", ""
