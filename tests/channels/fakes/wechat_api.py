"""A local stand-in for api.weixin.qq.com and qyapi.weixin.qq.com speaking their wire format.

Tokens, errcodes and JSON shapes follow the platforms' documentation: a token is valid
until :meth:`FakeWechat.expire` (then 42001) or :meth:`FakeWechat.revoke` (then 40001);
``fail_next`` queues errcode answers for the next sends (45015, 45047, 45009...).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiohttp import web

JPEG = b"\xff\xd8\xff\xe0" + b"fake-jpeg-bytes" * 10 + b"\xff\xd9"


class FakeWechat:
    """State of the fake platform, inspected by tests."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.valid: set[str] = set()
        self.expired: set[str] = set()
        self.token_fetches = 0
        self.forced_fetches = 0
        self.stable = ""  # the current stable token
        self.stuck = False  # stable_token keeps handing out a refused token until forced
        self.sent: list[dict[str, Any]] = []  # custom/send and kf/send_msg bodies
        self.typing: list[dict[str, Any]] = []
        self.fail_next: list[dict[str, Any]] = []
        self.send_delay = 0.0
        self.kf_pages: list[dict[str, Any]] = []
        self.kf_cursors: list[str] = []  # cursors sync_msg was called with
        self.kf_state: dict[str, int] = {}  # external_userid -> service_state
        self.kf_trans: list[dict[str, Any]] = []
        self.kf_msgids: set[str] = set()
        self.media: dict[str, tuple[bytes, str]] = {"media_id": (JPEG, "image/jpeg")}
        # media/upload: media_id -> (type, bytes, filename, content type)
        self.uploaded: dict[str, tuple[str, bytes, str, str]] = {}

    # -- tokens ------------------------------------------------------------------------

    def _new_token(self) -> str:
        token = f"ACCESS_TOKEN_{next(self.counter)}"
        self.valid.add(token)
        self.token_fetches += 1
        return token

    def expire(self) -> None:
        """Every token handed out expires (42001)."""
        self.expired |= self.valid
        self.valid.clear()
        self.stable = ""

    def revoke(self) -> None:
        """Every token becomes invalid (40001), as when someone else fetched a new one."""
        self.valid.clear()
        self.stable = ""

    def _token_error(self, request: web.Request) -> dict[str, Any] | None:
        token = request.query.get("access_token", "")
        if token in self.valid:
            return None
        if token in self.expired:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return {
            "errcode": 40001,
            "errmsg": "invalid credential, access_token is invalid or not latest",
        }

    async def stable_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("grant_type") != "client_credential" or not body.get("secret"):
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if body.get("force_refresh"):
            self.forced_fetches += 1
            self.valid.discard(self.stable)
            self.stable = ""
        if not self.stable or (self.stable not in self.valid and not self.stuck):
            self.stable = self._new_token()
        return web.json_response({"access_token": self.stable, "expires_in": 7200})

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": self._new_token(), "expires_in": 7200})

    async def gettoken(self, request: web.Request) -> web.Response:
        if not request.query.get("corpid") or not request.query.get("corpsecret"):
            return web.json_response({"errcode": 40013, "errmsg": "invalid corpid"})
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": self._new_token(), "expires_in": 7200}
        )

    # -- Official Account --------------------------------------------------------------

    async def custom_send(self, request: web.Request) -> web.Response:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        error = self._token_error(request)
        if error:
            return web.json_response(error)
        body = await request.json()
        if self.fail_next:
            return web.json_response(self.fail_next.pop(0))
        kind = body.get("msgtype")
        if kind in ("image", "voice"):
            if body.get(kind, {}).get("media_id") not in self.uploaded:
                return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        elif kind != "text" or not body.get("text", {}).get("content"):
            return web.json_response({"errcode": 44002, "errmsg": "empty post data"})
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def custom_typing(self, request: web.Request) -> web.Response:
        error = self._token_error(request)
        if error:
            return web.json_response(error)
        self.typing.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def media_get(self, request: web.Request) -> web.StreamResponse:
        error = self._token_error(request)
        if error:
            return web.json_response(error)
        found = self.media.get(request.query.get("media_id", ""))
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        data, ctype = found
        return web.Response(body=data, content_type=ctype)

    async def media_upload(self, request: web.Request) -> web.Response:
        """``/cgi-bin/media/upload?type=``: a multipart form with the file in ``media``."""
        error = self._token_error(request)
        if error:
            return web.json_response(error)
        kind = request.query.get("type", "")
        if kind not in ("image", "voice", "video", "thumb", "file"):
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        if not request.content_type.startswith("multipart/form-data"):
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        form = await request.post()
        part = form.get("media")
        if not isinstance(part, web.FileField):
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        data = part.file.read()
        media_id = f"MEDIA_{next(self.counter)}"
        self.uploaded[media_id] = (kind, data, part.filename, part.content_type)
        answer: dict[str, Any] = {"type": kind, "media_id": media_id, "created_at": 1700000000}
        if kind == "file":  # WeCom's answer (the only one with files) carries errcode 0
            answer = {"errcode": 0, "errmsg": "", **answer}
        return web.json_response(answer)

    # -- WeCom 微信客服 -------------------------------------------------------------------

    async def kf_sync(self, request: web.Request) -> web.Response:
        error = self._token_error(request)
        if error:
            return web.json_response(error)
        body = await request.json()
        cursor = body.get("cursor", "")
        self.kf_cursors.append(cursor)
        index = int(cursor) if cursor else 0
        if index >= len(self.kf_pages):
            return web.json_response(
                {"errcode": 0, "errmsg": "ok", "next_cursor": cursor, "has_more": 0, "msg_list": []}
            )
        page = self.kf_pages[index]
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "next_cursor": str(index + 1),
                "has_more": 1 if index + 1 < len(self.kf_pages) else 0,
                "msg_list": page["msg_list"],
            }
        )

    async def kf_send(self, request: web.Request) -> web.Response:
        error = self._token_error(request)
        if error:
            return web.json_response(error)
        body = await request.json()
        if self.fail_next:
            return web.json_response(self.fail_next.pop(0))
        kind = body.get("msgtype")
        if kind in ("image", "voice", "video", "file"):
            if body.get(kind, {}).get("media_id") not in self.uploaded:
                return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        msgid = body.get("msgid")
        if msgid in self.kf_msgids:  # the platform keeps one message per msgid
            return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": msgid})
        if msgid:
            self.kf_msgids.add(msgid)
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": msgid or "MSGID"})

    async def kf_state_get(self, request: web.Request) -> web.Response:
        body = await request.json()
        state = self.kf_state.get(body.get("external_userid", ""), 0)
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "service_state": state, "servicer_userid": ""}
        )

    async def kf_state_trans(self, request: web.Request) -> web.Response:
        error = self._token_error(request)
        if error:
            return web.json_response(error)
        body = await request.json()
        self.kf_trans.append(body)
        self.kf_state[body["external_userid"]] = int(body["service_state"])
        return web.json_response({"errcode": 0, "errmsg": "ok", "msg_code": "MSG_CODE"})

    def app(self) -> web.Application:
        """The aiohttp application serving both platforms' paths."""
        app = web.Application()
        r = app.router
        r.add_post("/cgi-bin/stable_token", self.stable_token)
        r.add_get("/cgi-bin/token", self.token)
        r.add_get("/cgi-bin/gettoken", self.gettoken)
        r.add_post("/cgi-bin/message/custom/send", self.custom_send)
        r.add_post("/cgi-bin/message/custom/typing", self.custom_typing)
        r.add_get("/cgi-bin/media/get", self.media_get)
        r.add_post("/cgi-bin/media/upload", self.media_upload)
        r.add_post("/cgi-bin/kf/sync_msg", self.kf_sync)
        r.add_post("/cgi-bin/kf/send_msg", self.kf_send)
        r.add_post("/cgi-bin/kf/service_state/get", self.kf_state_get)
        r.add_post("/cgi-bin/kf/service_state/trans", self.kf_state_trans)
        return app
