"""HTTP abuse of every JSON door: oversized, slow and malformed bodies, bombs, traversal, SQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from core.context import SERVICES
from core.models import Message
from tests.helpers import AGENT_HEADERS, Visitor, login
from tests.security.abuse import ROUNDS, Door

JSON_POSTS = [
    "/api/webchat/sessions",
    "/api/agent/login",
    "/api/agent/conversations/1/messages",
    "/api/agent/tickets/1/status",
    "/api/agent/status",
    "/api/admin/canned",
    "/api/admin/agents",
    "/api/admin/teams",
]
BODIES: list[tuple[str, bytes, str]] = [
    ("invalid utf-8", b'{"text": "\xff\xfe\xc3\x28"}', "application/json"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("deep object", b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
    ("not an object", b"[1,2,3]", "application/json"),
    (
        "huge number",
        b'{"status": 1e99999, "text": 123456789012345678901234567890}',
        "application/json",
    ),
    (
        "wrong types",
        b'{"email": ["a"], "password": {"$ne": 1}, "text": null, "status": 5}',
        "application/json",
    ),
    (
        "nul bytes",
        b'{"email": "a\\u0000@b", "text": "\\u0000", "status": "\\u0000"}',
        "application/json",
    ),
    ("form instead of json", b"email=a&password=b", "application/x-www-form-urlencoded"),
    ("xml", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "application/xml"),
    ("empty", b"", "application/json"),
    ("truncated", b'{"text": "abc', "application/json"),
]
PATHS = [
    "/agent/../../core/config.py",
    "/agent/%2e%2e/%2e%2e/core/config.py",
    "/webchat/..%2f..%2fcore%2fconfig.py",
    "/webchat/%2e%2e%5c%2e%2e%5cpyproject.toml",
    "/api/agent/attachments/..%2f..%2fsecret.key",
    "/api/agent/attachments/" + "a" * 64,
    "/api/agent/conversations/99999999999999999999",
    "/api/agent/conversations/-1",
    "/api/agent/conversations/1%27%20OR%201=1--",
    "/api/agent/tickets/%231%3BDROP%20TABLE%20tickets",
    "/api/agent/tickets/99999999999",
    "/api/admin/agents/abc",
    "/api/admin/canned/99999999999999",
    "/channels/wechat/..%2f..%2fx",
    "/" + "a" * 8000,
]
SQL_QUERIES = [
    {"owner": "queued' OR '1'='1"},
    {"owner": "mine", "limit": "1; DROP TABLE messages"},
    {"limit": "99999999999999999999999"},
    {"status": "new' --", "priority": 'x" OR 1=1'},
    {"from": "2026-01-01' OR 1=1", "to": "'; DELETE FROM agents; --"},
    {"conversation_id": "1 UNION SELECT password_hash FROM agents"},
    {"conversation_id": "99999999999999999999"},
]
QUERY_PATHS = [
    "/api/agent/conversations",
    "/api/agent/tickets",
    "/api/reports/summary",
    "/api/agent/canned",
]


async def stored_customer_messages(client: Any) -> int:
    """Customer messages in the database."""
    async with client.app[SERVICES].db.reader() as s:
        q = select(func.count()).select_from(Message).where(Message.sender == "customer")
        return int((await s.execute(q)).scalar() or 0)


async def legit(door: Door, visitor: Visitor, text: str) -> None:
    """A real customer keeps writing while the door is under attack."""
    cmid = await visitor.say(text)
    await visitor.until(lambda f: f["type"] == "message" and f.get("client_msg_id") == cmid)
    door.legit_sent += 1


async def test_malformed_bodies_traversal_and_sql_get_4xx_never_5xx(kefu: Any) -> None:
    """Every JSON door refuses bad bodies with 4xx; paths and queries never reach a file or SQL."""
    door = Door("http: JSON API bodies, paths, queries")
    await login(kefu)  # authenticated: the hostile input reaches the handlers, not just auth
    big = b'{"text": "' + b"x" * 2_000_000 + b'"}'
    # One visitor per round ([webchat] messages_per_minute), all started before the flood of
    # session requests uses up the sessions-per-address budget.
    visitors = [await Visitor(kefu).start() for _ in range(ROUNDS)]
    for visitor in visitors:
        for path in JSON_POSTS:
            for what, body, ctype in [*BODIES, ("oversized", big, "application/json")]:
                headers = {**AGENT_HEADERS, "Content-Type": ctype}
                await door.hit(
                    f"POST {path} {what}",
                    lambda p=path, b=body, h=headers: kefu.post(p, data=b, headers=h),  # type: ignore[misc]
                )
            await legit(door, visitor, f"还在吗？ {path}")
        for path in PATHS:
            status = await door.hit(
                f"GET {path}",
                lambda p=path: kefu.get(p, headers=AGENT_HEADERS),  # type: ignore[misc]
            )
            assert status != 200, path  # nothing outside the static folders is served
        for path in QUERY_PATHS:
            for query in SQL_QUERIES:
                await door.hit(
                    f"GET {path}?{query}",
                    lambda p=path, q=query: kefu.get(p, params=q, headers=AGENT_HEADERS),  # type: ignore[misc]
                    expect_4xx=False,
                )
        await legit(door, visitor, "my order 12345, where is it?")
    # SQL metacharacters as plain data: stored and shown back verbatim.
    sql = "Robert'); DROP TABLE messages;-- \" OR 1=1 /* 测试 */"
    await legit(door, visitor, sql)
    assert any(m["text"] == sql for m in visitor.messages())
    await door.finish(kefu, await stored_customer_messages(kefu))


async def test_slow_body_does_not_block_other_clients(kefu: Any) -> None:
    """A client dribbling a body (slowloris) holds its own request only."""
    door = Door("http: slow bodies")
    visitor = await Visitor(kefu).start()
    host, port = kefu.server.host, kefu.server.port
    slow: list[asyncio.StreamWriter] = []
    for i in range(3 * ROUNDS):
        _reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"POST /api/webchat/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100000\r\n\r\n{"locale":'
        )
        await writer.drain()
        slow.append(writer)
        door.refused()  # it never completes; counted as refused when we hang up below
        await legit(door, visitor, f"slow body {i} open, am I still served?")
    for writer in slow:
        writer.close()
    # A body that lies about its length (shorter than announced) is not a crash either.
    _reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"POST /api/agent/login HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}")
    await writer.drain()
    writer.close()
    door.refused()
    await legit(door, visitor, "after the slow clients left")
    await door.finish(kefu, await stored_customer_messages(kefu))
