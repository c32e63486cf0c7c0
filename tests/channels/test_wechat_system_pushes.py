"""WeChat platform notifications are receipts, never customers (issue 16).

``TEMPLATESENDJOBFINISH`` (a template message's delivery receipt), ``MASSSENDJOBFINISH`` and
``merchant_order`` arrive as pushes "from" an openid; today each made a contact and a
conversation. Real bodies from the shared fixtures, signed as WeChat signs them, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.channel_store import read_state
from core.config import InboxSettings
from core.context import SERVICES
from core.models import Contact, Conversation, Message
from tests.conftest import make_settings, shared_missing

TOKEN = "sysToken123"
INBOX = "wx-sys"
# ../shared/fixtures beside the checkout, as in CI; KEFU_SHARED_FIXTURES elsewhere.
SHARED = Path(
    os.environ.get("KEFU_SHARED_FIXTURES")
    or Path(__file__).resolve().parents[3] / "shared" / "fixtures"
)
BODIES = SHARED / "wechat" / "wechatpy"
SYSTEM = (
    "test_events__test_template_send_job_finish_event__1.xml",
    "test_events__test_mass_send_job_finish_event__1.xml",
    "test_events__test_merchant_order_event__1.xml",
)


@pytest.fixture
async def client(database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any) -> Any:
    if not BODIES.is_dir():
        shared_missing(str(BODIES))
    options = {"token": TOKEN, "app_id": "wx0123456789abcdef", "app_secret": "s3cret"}
    settings = make_settings(tmp_path / "data", database_url)
    settings = dataclasses.replace(settings, inboxes=(InboxSettings(INBOX, "wechat", options),))
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


async def push(client: Any, body: bytes) -> Any:
    timestamp, nonce = str(int(time.time())), "n0nce"
    signature = hashlib.sha1("".join(sorted((TOKEN, timestamp, nonce))).encode()).hexdigest()
    return await client.post(
        f"/channels/wechat/{INBOX}?signature={signature}&timestamp={timestamp}&nonce={nonce}",
        data=body,
        headers={"Content-Type": "text/xml"},
    )


async def counts(client: Any) -> tuple[int, int, int]:
    async with client.app[SERVICES].db.reader() as session:
        return tuple(  # type: ignore[return-value]
            [
                int((await session.execute(select(func.count()).select_from(m))).scalar() or 0)
                for m in (Contact, Conversation, Message)
            ]
        )


async def test_system_pushes_are_receipts_not_customers(client: Any) -> None:
    before = await counts(client)
    for name in SYSTEM:
        resp = await push(client, (BODIES / name).read_bytes())
        assert resp.status == 200 and await resp.text() == "success", name
    assert await counts(client) == before  # no contact, conversation or message
    receipt = await read_state(
        client.app[SERVICES].db, INBOX, "receipt:TEMPLATESENDJOBFINISH:200163836"
    )
    assert receipt["Status"] == "success" and receipt["openid"] == "fromuser"
    order = await read_state(client.app[SERVICES].db, INBOX, "receipt:merchant_order:test_order_id")
    assert order["OrderStatus"] == "2"
    # A person writing still becomes a customer (the test can tell the two apart).
    text = (BODIES / "test_parser__test_parse_text_message__1.xml").read_bytes()
    assert (await push(client, text)).status == 200
    assert (await counts(client))[0] == before[0] + 1
