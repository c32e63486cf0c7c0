"""docs/openapi.yaml against the running app: schemathesis sends what the schema allows (and
what it does not), logged in as an agent with the CSRF header; no request may get a 5xx."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings

from tests.conftest import make_settings
from tests.security.figures import record
from tests.security.fuzzing import EXAMPLES, FULL

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
schema = schemathesis.openapi.from_path(SPEC).exclude(path="/api/agent/logout")
SEEN: dict[str, int] = {"tried": 0, "4xx": 0, "5xx": 0}


class LiveServer:
    """The app on a real port, served from a thread with its own event loop."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(120)
        return self.url

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()


@pytest.fixture(scope="module")
def live(
    demo_data_dir: Path, embedder: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """One running kefu for the whole module and the cookies of a logged-in admin."""
    from core.app import create_app

    data = tmp_path_factory.mktemp("schemathesis") / "data"
    shutil.copytree(demo_data_dir, data)
    server = LiveServer(create_app(make_settings(data), embedder=embedder))
    url = server.start()
    try:
        resp = requests.post(
            f"{url}/api/agent/login",
            json={"email": "demo@kefu.local", "password": "demo"},
            headers={"X-Requested-With": "kefu"},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        yield url, {k: v or "" for k, v in resp.cookies.items()}
        health = requests.get(f"{url}/healthz", timeout=30)
        record(
            "json api: schemathesis (docs/openapi.yaml)",
            kind="schema",
            tried=SEEN["tried"],
            rejected_4xx=SEEN["4xx"],
            status_5xx=SEEN["5xx"],
            crashes=0,
            healthy_after=health.status_code == 200,
        )
    finally:
        server.stop()


@pytest.fixture
def base(live: tuple[str, dict[str, str]]) -> tuple[str, dict[str, str]]:
    """The live server's URL and session cookies."""
    return live


@schema.parametrize()
@settings(
    max_examples=max(3, EXAMPLES // (20 if FULL else 10)),
    deadline=None,
    database=None,
    derandomize=not FULL,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_the_schema_describes_gets_a_5xx(
    case: Any, base: tuple[str, dict[str, str]]
) -> None:
    """Every generated request is answered 2xx/4xx; the error body has our shape."""
    url, cookies = base
    response = case.call(
        base_url=url, headers={"X-Requested-With": "kefu"}, cookies=cookies, timeout=60
    )
    SEEN["tried"] += 1
    if 400 <= response.status_code < 500:
        SEEN["4xx"] += 1
        if response.headers.get("Content-Type", "").startswith("application/json"):
            assert "error" in response.json(), response.text
    if response.status_code >= 500:
        SEEN["5xx"] += 1
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
