"""The agent console: CSRF, session fixation and revocation, brute force, cookies, headers."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from core.config import load_settings
from core.context import SERVICES
from core.errors import TooManyRequests
from core.models import utcnow
from handoff.auth import COOKIE
from handoff.lockout import Lockout, account_key
from handoff.tables import LoginThrottle
from tests.helpers import AGENT_HEADERS, Visitor, login
from tests.security.abuse import Door
from tests.security.test_abuse_http import stored_customer_messages

MUTATING = [
    ("POST", "/api/agent/logout"),
    ("POST", "/api/agent/conversations/1/takeover"),
    ("POST", "/api/agent/conversations/1/messages"),
    ("POST", "/api/agent/conversations/1/resolve"),
    ("POST", "/api/agent/conversations/1/handback"),
    ("POST", "/api/agent/conversations/1/pending"),
    ("POST", "/api/agent/conversations/1/transfer"),
    ("POST", "/api/agent/tickets/1/status"),
    ("PATCH", "/api/agent/tickets/1"),
    ("POST", "/api/agent/tickets/1/merge"),
    ("POST", "/api/agent/status"),
    ("POST", "/api/admin/canned"),
    ("DELETE", "/api/admin/canned/1"),
    ("POST", "/api/admin/agents"),
    ("PATCH", "/api/admin/agents/1"),
    ("POST", "/api/admin/teams"),
    ("PUT", "/api/admin/agents/1/team"),
    ("PUT", "/api/admin/inboxes/web/team"),
    ("POST", "/api/agent/kb/entries"),
]


async def test_console_actions_need_the_csrf_header(kefu: Any) -> None:
    """A logged-in browser tricked by another site (no custom header) gets 403 everywhere."""
    door = Door("console: CSRF")
    visitor = await Visitor(kefu).start()
    await login(kefu)
    for method, path in MUTATING:
        for headers in (
            {},
            {"X-Requested-With": "XMLHttpRequest"},
            {"Origin": "https://evil.example"},
        ):
            status = await door.hit(
                f"{method} {path}",
                lambda m=method, p=path, h=headers: kefu.request(m, p, json={}, headers=h),  # type: ignore[misc]
            )
            assert status == 403, (method, path, headers, status)
    me = await kefu.get("/api/agent/me", headers=AGENT_HEADERS)
    assert me.status == 200  # the forged logout did not log us out
    cmid = await visitor.say("CSRF 之后还能收到吗")
    await visitor.until(lambda f: f.get("client_msg_id") == cmid)
    door.legit_sent += 1
    await door.finish(kefu, await stored_customer_messages(kefu))


async def test_login_issues_a_fresh_session_and_logout_revokes_it(kefu: Any) -> None:
    """A cookie planted before login is never authenticated; logout ends copies of the cookie."""
    kefu.session.cookie_jar.update_cookies({COOKIE: "planted-by-attacker"})
    planted = await kefu.get("/api/agent/me", headers=AGENT_HEADERS)
    assert planted.status == 401
    first = await login(kefu)
    token1 = first.cookies[COOKIE].value
    assert token1 != "planted-by-attacker"
    cookie = first.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain HTTP, no trusted proxy: a Secure cookie would be lost
    second = await login(kefu)
    assert second.cookies[COOKIE].value != token1  # every login a new token
    stolen = second.cookies[COOKIE].value
    out = await kefu.post("/api/agent/logout", headers=AGENT_HEADERS)
    assert out.status == 200
    kefu.session.cookie_jar.update_cookies({COOKIE: stolen})
    replay = await kefu.get("/api/agent/me", headers=AGENT_HEADERS)
    assert replay.status == 401  # a copy taken before logout no longer works


async def _try(kefu: Any, email: str, password: str, ip: str | None = None) -> Any:
    headers = dict(AGENT_HEADERS)
    if ip:
        headers["X-Forwarded-For"] = ip
    return await kefu.post(
        "/api/agent/login", json={"email": email, "password": password}, headers=headers
    )


async def test_brute_force_locks_the_account_with_a_clear_message(kefu: Any) -> None:
    """Five wrong passwords lock the account for everyone, even with the right password."""
    door = Door("console: login brute force")
    limit = kefu.app[SERVICES].settings.agents.login_max_failures
    for i in range(limit - 1):
        assert (
            await door.hit("wrong", lambda i=i: _try(kefu, "demo@kefu.local", f"guess{i}"))  # type: ignore[misc]
        ) == 401
    last = await _try(kefu, "demo@kefu.local", "guess-last")
    door.accepted()
    assert last.status == 429
    error = (await last.json())["error"]
    assert (
        error["code"] == "locked" and "分钟" in error["message"] and "minutes" in error["message"]
    )
    right = await _try(kefu, "DEMO@kefu.local ", "demo")  # same account however it is typed
    assert right.status == 429
    door.refused(2)
    # Unknown accounts lock the same way: the answers never tell whether an account exists.
    for i in range(limit):
        status = await door.hit("unknown", lambda i=i: _try(kefu, "nobody@kefu.local", f"x{i}"))  # type: ignore[misc]
        assert status == (429 if i == limit - 1 else 401)
    # When the lockout has passed (moved into the past here: no waiting in tests) it logs in.
    async with kefu.app[SERVICES].db.transaction() as s:
        await s.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert (await _try(kefu, "demo@kefu.local", "demo")).status == 200
    assert (await _try(kefu, "demo@kefu.local", "wrong")).status == 401  # counting starts over
    await door.finish(kefu, 0)


async def test_one_address_guessing_many_accounts_is_locked(
    demo_settings: Any, embedder: Any, aiohttp_client: Any
) -> None:
    """Per address: spraying passwords over many accounts locks the address, not the accounts;
    X-Forwarded-For is believed only from a configured proxy."""
    from core.app import create_app

    settings = dataclasses.replace(
        demo_settings,
        agents=dataclasses.replace(demo_settings.agents, login_max_failures_per_ip=3),
        server=dataclasses.replace(demo_settings.server, trusted_proxies=["127.0.0.1"]),
    )
    kefu = await aiohttp_client(create_app(settings, embedder=embedder))
    statuses = [
        (await _try(kefu, f"u{i}@kefu.local", "x", ip="203.0.113.9")).status for i in range(4)
    ]
    assert statuses == [401, 401, 429, 429]
    assert (await _try(kefu, "demo@kefu.local", "demo", ip="203.0.113.9")).status == 429
    assert (await _try(kefu, "demo@kefu.local", "demo", ip="198.51.100.7")).status == 200
    # Behind TLS (the proxy says https): the session cookie is Secure, and HSTS is sent.
    headers = {**AGENT_HEADERS, "X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    resp = await kefu.post(
        "/api/agent/login", json={"email": "demo@kefu.local", "password": "demo"}, headers=headers
    )
    assert resp.status == 200 and resp.cookies[COOKIE]["secure"]
    assert "max-age" in resp.headers["Strict-Transport-Security"]


async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(kefu: Any) -> None:
    """Without trusted_proxies, a client cannot dodge the lockout or fake HTTPS by headers."""
    limit = kefu.app[SERVICES].settings.agents.login_max_failures_per_ip
    for i in range(limit):
        await _try(kefu, f"spray{i}@kefu.local", "x", ip=f"10.0.0.{i}")
    assert (await _try(kefu, "demo@kefu.local", "demo", ip="10.9.9.9")).status == 429
    resp = await kefu.get("/api/agent/me", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in resp.headers


PAGES = [
    "/",
    "/agent/",
    "/agent/kb.html",
    "/agent/reports",
    "/healthz",
    "/api/agent/me",
    "/no/such/page",
    "/api/no/such",
    "/webchat/widget.js",
    "/agent",
]


async def test_every_page_carries_the_security_headers(kefu: Any) -> None:
    """CSP with frame-ancestors 'none', nosniff, a referrer policy: pages, errors and redirects."""
    for path in PAGES:
        resp = await kefu.get(path, allow_redirects=False)
        h = resp.headers
        assert h.get("X-Content-Type-Options") == "nosniff", path
        assert h.get("Referrer-Policy") == "same-origin", path
        if path.startswith("/webchat/"):
            continue  # the widget script is embedded by other sites: no CSP on a script
        csp = h.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert h.get("X-Frame-Options") == "DENY", path
        if path.startswith("/api/"):
            assert h.get("Cache-Control") == "no-store", path


async def test_lockout_counts_concurrent_failures_on_both_databases(db: Any) -> None:
    """Failures racing on a new key are all counted (SQLite and PostgreSQL), then it locks."""
    lockout = Lockout(db, load_settings(None, env={}).agents)
    key = account_key("Race@Example.com ")
    await asyncio.gather(*(lockout.failed(key) for _ in range(4)))
    await lockout.check(key)  # 4 of 5: not yet
    await lockout.failed(key)
    with pytest.raises(TooManyRequests) as err:
        await lockout.check(key)
    assert err.value.code == "locked" and err.value.status == 429
    await lockout.succeeded(key)
    await lockout.check(key)
