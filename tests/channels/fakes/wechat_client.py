"""Test helpers: a WeChat user posting signed (and encrypted) pushes, and the app fixtures."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from channels.wechat.codec import Cipher, cdata, parse_xml, sign
from core.config import InboxSettings, Settings
from core.context import SERVICES
from core.models import Message, OutboxItem
from tests.channels.fakes.wechat_api import FakeWechat

# ../shared/fixtures beside the checkout (here and in CI)
FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "wechat"
VECTORS = json.loads((FIXTURES / "crypto_vectors" / "vectors.json").read_text())
OFFICIAL = VECTORS[0]  # Tencent's sample: token spamtest, appid wx2c2769f8efd9abc2
WORK = VECTORS[1]

PLAIN = {"name": "wx-main", "token": "kefutoken", "app_id": "wx0123456789abcdef"}
SAFE = {
    "name": "wx-safe",
    "token": OFFICIAL["token"],
    "app_id": OFFICIAL["appid"],
    "encoding_aes_key": OFFICIAL["encoding_aes_key"],
    "previous_encoding_aes_key": WORK["encoding_aes_key"],
}


def fixture_xml(name: str) -> str:
    """One of the wechatpy push bodies."""
    return (FIXTURES / "wechatpy" / name).read_text(encoding="utf-8")


def wechat_inboxes(api_base: str, **extra: Any) -> tuple[InboxSettings, ...]:
    """The two test inboxes (plaintext and safe mode) pointing at the fake API."""
    out = []
    for spec in (PLAIN, SAFE):
        options = {k: v for k, v in spec.items() if k != "name"}
        options.update(app_secret="s3cret", api_base=api_base, menu={"HUMAN": "转人工"})
        options.update(extra)
        out.append(InboxSettings(name=spec["name"], channel="wechat", options=options))
    return tuple(out)


class WechatUser:
    """One WeChat user writing to an inbox through the test client."""

    def __init__(self, client: Any, inbox: dict[str, str], openid: str = "oUser0001") -> None:
        self.client = client
        self.inbox = inbox
        self.openid = openid
        self.msg_ids = iter(range(6054768590064713728, 6054768590064713728 + 10**6))
        self.key: str | None = inbox.get("encoding_aes_key")

    def text_xml(self, text: str, msg_id: int | None = None) -> str:
        mid = msg_id if msg_id is not None else next(self.msg_ids)
        return (
            f"<xml><ToUserName>{cdata('gh_10f6c3c3ac5a')}</ToUserName>"
            f"<FromUserName>{cdata(self.openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(text)}</Content><MsgId>{mid}</MsgId></xml>"
        )

    def as_user(self, xml: str) -> str:
        """A fixture body with its sender replaced by this user."""
        tree = parse_xml(xml.encode())
        xml = xml.replace(
            f"<![CDATA[{tree['FromUserName']}]]>", f"<![CDATA[{self.openid}]]>", 1
        ).replace(f"<CreateTime>{tree['CreateTime']}", f"<CreateTime>{int(time.time())}")
        if "MsgId" in tree:  # a fresh MsgId, as each real push has
            xml = xml.replace(
                f"<MsgId>{tree['MsgId']}</MsgId>", f"<MsgId>{next(self.msg_ids)}</MsgId>"
            )
        return xml

    async def post(
        self,
        xml: str | bytes,
        *,
        token: str | None = None,
        encrypt: bool | None = None,
        key: str | None = None,
        app_id: str | None = None,
    ) -> Any:
        """POST a push signed like WeChat; returns the response."""
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
        tok = token or self.inbox["token"]
        params = {
            "signature": sign(tok, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": self.openid,
        }
        body = xml.encode() if isinstance(xml, str) else xml
        use_key = key or self.key
        if encrypt if encrypt is not None else use_key is not None:
            assert use_key is not None
            cipher = Cipher(tok, app_id or self.inbox["app_id"], (use_key,))
            encrypted = cipher.encrypt(body.decode())
            body = (
                f"<xml><ToUserName>{cdata('gh_10f6c3c3ac5a')}</ToUserName>"
                f"<Encrypt>{cdata(encrypted)}</Encrypt></xml>"
            ).encode()
            params.update(encrypt_type="aes", msg_signature=sign(tok, timestamp, nonce, encrypted))
        return await self.client.post(
            f"/channels/wechat/{self.inbox['name']}", params=params, data=body
        )

    async def say(self, text: str, msg_id: int | None = None) -> str:
        """Send text; the passive reply's Content, or "success"."""
        resp = await self.post(self.text_xml(text, msg_id))
        assert resp.status == 200, await resp.text()
        return self.read_reply(await resp.read())

    def read_reply(self, raw: bytes) -> str:
        """The Content of a (decrypted) passive reply, or "success"."""
        if raw.strip() in (b"success", b""):
            return "success"
        fields = parse_xml(raw)
        if self.key is not None:
            cipher = Cipher(self.inbox["token"], self.inbox["app_id"], (self.key,))
            fields = parse_xml(
                cipher.open(
                    fields, fields["TimeStamp"], fields["Nonce"], fields["MsgSignature"]
                ).encode()
            )
        assert fields["ToUserName"] == self.openid and fields["MsgType"] == "text"
        return fields["Content"]


async def count(client: Any, model: Any = Message) -> int:
    """Rows of ``model`` in the app's database."""
    async with client.app[SERVICES].db.reader() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar() or 0)


async def messages(client: Any) -> list[Message]:
    """All stored messages in id order."""
    async with client.app[SERVICES].db.reader() as s:
        return list((await s.execute(select(Message).order_by(Message.id))).scalars())


async def all_settled(client: Any) -> bool:
    """Every reply sent or failed: nothing left pending in the outbox."""
    return all(m.delivery != "pending" for m in await messages(client) if m.sender != "customer")


async def outbox_rows(client: Any) -> list[OutboxItem]:
    """All outbox rows in id order."""
    async with client.app[SERVICES].db.reader() as s:
        return list((await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars())


async def start_fake(aiohttp_server: Any) -> tuple[FakeWechat, str]:
    """The fake platform on a local server, and its base URL."""
    fake = FakeWechat()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


def with_inboxes(settings: Settings, inboxes: tuple[InboxSettings, ...]) -> Settings:
    """``settings`` with these ``[[inboxes]]``."""
    return dataclasses.replace(settings, inboxes=settings.inboxes + inboxes)
