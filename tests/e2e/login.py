"""Signing in to the agent console: the one way the browser tests do it.

``login`` goes through the console's form, as an agent does; ``api_login`` only gives the
page's browser context a session (for a test that starts on another console page, or reads
the API).
"""

from __future__ import annotations

from typing import Any

DEMO_EMAIL = "demo@kefu.local"
DEMO_PASSWORD = "demo"
# The console's CSRF guard: every non-GET API call carries this header.
CSRF = {"X-Requested-With": "kefu"}


def login(
    page: Any,
    base: str,
    email: str = DEMO_EMAIL,
    password: str = DEMO_PASSWORD,
    *,
    lang: str | None = None,
) -> None:
    """Open the console (in ``lang`` when given: zh or en), sign in through the form, and
    return once it shows the signed-in agent."""
    from playwright.sync_api import expect

    page.goto(base + "/agent/")
    if lang is not None:
        page.evaluate("(lang) => localStorage.setItem('kefu.console.lang', lang)", lang)
        page.reload()
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect(page.locator("#agent-name")).not_to_be_empty()


def api_login(page: Any, base: str, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
    """Sign the page's browser context in through the API (its cookie), without the form."""
    resp = page.request.post(
        base + "/api/agent/login", data={"email": email, "password": password}, headers=CSRF
    )
    assert resp.ok, resp.text()
