"""Files in the web chat (issue 15): the visitor's uploads and signed download links.

- ``POST /api/webchat/uploads`` (multipart ``file``; ``Authorization: Bearer <visitor
  token>``): the bytes are checked by content (core/filetypes.py) and size (``[attachments]
  upload_max_bytes``), stored once, and answered with a signed ``ref`` the visitor then
  names in a socket ``message`` frame (``attachments: [ref]``). A ref is bound to the
  visitor's conversation, so nobody can attach a file they did not upload there.
- ``GET /api/webchat/files/{key}?sig=...``: a file of the conversation, for whoever holds
  the signed link the socket put in the message frame (it expires after ``[attachments]
  link_minutes``). Images are shown inline; anything else is a download that the browser
  may not sniff or render.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from core.channel_store import conversation_file
from core.context import Services
from core.coordination import RateLimiter
from core.domain import Attachment
from core.errors import NotFound, TooManyRequests, Unauthorized
from core.filetypes import PREVIEWABLE, check, clean_name, file_response, read_upload
from core.security import TokenSigner
from core.web import json_response

REF_TTL = 24 * 3600.0  # an upload must be sent within a day


class Chat(Protocol):
    """What the files need of the web chat they belong to (its adapter): the origin and
    visitor checks and the message rate limit, so an upload obeys the socket's rules."""

    services: Services
    message_limiter: RateLimiter

    def origin_allowed(self, request: web.Request) -> bool:
        """Whether the page asking may embed the chat."""
        ...

    async def preflight(self, request: web.Request) -> web.Response:
        """The CORS preflight answer for a widget on a customer's site."""
        ...

    def _verify(self, token: str) -> tuple[str, int]:
        """The visitor and conversation a visitor token names (Unauthorized otherwise)."""
        ...


class WebchatFiles:
    """Uploads and downloads of one web chat adapter."""

    def __init__(self, adapter: Chat) -> None:
        self.adapter = adapter
        self.services = adapter.services
        secret = adapter.services.secret
        self.refs = TokenSigner(secret, "webchat-upload")
        self.links = TokenSigner(secret, "webchat-file")

    def setup(self, app: web.Application) -> None:
        """Mount the upload and download routes."""
        app.router.add_post("/api/webchat/uploads", self.upload)
        app.router.add_route("OPTIONS", "/api/webchat/uploads", self.preflight)
        app.router.add_get("/api/webchat/files/{key}", self.download)

    async def preflight(self, request: web.Request) -> web.Response:
        """CORS preflight for uploads from a widget on a customer's site."""
        response = await self.adapter.preflight(request)
        if response.status == 204:
            response.headers["Access-Control-Allow-Headers"] = "Authorization"
        return response

    async def upload(self, request: web.Request) -> web.Response:
        """POST /api/webchat/uploads: store a visitor's file, answer a ref to send it with."""
        if not self.adapter.origin_allowed(request):
            raise Unauthorized("This site may not embed the chat.", code="origin_not_allowed")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise Unauthorized("Send the visitor token as a Bearer token.", code="invalid_token")
        visitor, conv_id = self.adapter._verify(auth[7:].strip())
        if not self.adapter.message_limiter.allow(visitor):
            raise TooManyRequests("You are sending too fast; wait a moment.")
        limit = self.services.settings.attachments.upload_max_bytes
        got = await read_upload(request, limit)
        ftype = check(got.data, got.name)
        saved = await self.services.attachments.save(
            got.data, kind=ftype.kind, mime=ftype.mime, name=clean_name(got.name, ftype)
        )
        ref = self.refs.sign(
            {
                "v": visitor,
                "c": conv_id,
                "k": saved.key,
                "t": saved.kind,
                "m": saved.mime,
                "s": saved.size,
                "n": saved.name,
            },
            REF_TTL,
        )
        response = json_response(
            {"ref": ref, "kind": saved.kind, "mime": saved.mime, "size": saved.size,
             "name": saved.name},
            status=201,
        )  # fmt: skip
        origin = request.headers.get("Origin")
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    def attachment(self, ref: Any, visitor: str, conv_id: int) -> Attachment:
        """The file a ref names, if it was uploaded by this visitor in this conversation."""
        body = self.refs.verify(ref if isinstance(ref, str) else "")
        if body.get("v") != visitor or body.get("c") != conv_id:
            raise Unauthorized("This file was not uploaded in this chat.", code="invalid_token")
        return Attachment(
            key=str(body["k"]),
            kind=str(body["t"]),
            mime=str(body["m"]),
            size=int(body["s"]),
            name=str(body.get("n") or ""),
        )

    def public(self, a: dict[str, Any], conv_id: int) -> dict[str, Any]:
        """A stored attachment as a message frame shows it: no key, a signed link."""
        ttl = self.services.settings.attachments.link_minutes * 60
        sig = self.links.sign({"k": a.get("key"), "c": conv_id}, ttl)
        mime = str(a.get("mime") or "application/octet-stream")
        return {
            "kind": a.get("kind") if mime in PREVIEWABLE or a.get("kind") != "image" else "file",
            "mime": mime,
            "size": a.get("size"),
            "name": a.get("name") or "",
            "url": f"/api/webchat/files/{a.get('key')}?sig={sig}",
        }

    async def download(self, request: web.Request) -> web.Response:
        """GET /api/webchat/files/{key}?sig=...: a file of the link's conversation."""
        key = request.match_info["key"]
        body = self.links.verify(request.query.get("sig", ""))
        conv_id = body.get("c")
        if body.get("k") != key or not isinstance(conv_id, int):
            raise Unauthorized("This link is not for that file.", code="invalid_token")
        meta = await conversation_file(self.services.db, conv_id, key)
        if meta is None:
            raise NotFound("There is no such file.")
        data = await self.services.attachments.read(key)
        return file_response(data, str(meta.get("mime") or ""), str(meta.get("name") or "file"))


_NOTICE = {
    "zh": (
        "已收到您的{what}。智能助手目前只能阅读文字：请用文字描述您的问题，"
        "或输入“转人工”由客服为您查看。"
    ),
    "en": (
        "We received your {what}. The assistant reads text only: describe your question in "
        'words, or type "human" and an agent will look at it.'
    ),
}
_WHAT = {"zh": {"image": "图片", "file": "文件"}, "en": {"image": "picture", "file": "file"}}


def notice(kind: str, locale: Any) -> str:
    """What the bot answers to a file without words (it cannot read files)."""
    lang = "en" if locale == "en" else "zh"
    what = _WHAT[lang]["image" if kind == "image" else "file"]
    return _NOTICE[lang].format(what=what)
