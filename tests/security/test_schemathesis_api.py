"""The public API (``/api/v1``) of docs/openapi.yaml against the running app, with a bearer
token of every scope and no cookie: schemathesis sends what the schema allows (and what it
does not); no request may get a 5xx, and every refusal has the one error shape."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import make_settings
from tests.security.figures import record
from tests.security.fuzzing import EXAMPLES, FULL
from tests.security.test_schemathesis import SPEC, LiveServer

schema = schemathesis.openapi.from_path(SPEC).include(path_regex=r"^/api/v1/")
SEEN: dict[str, int] = {"tried": 0, "4xx": 0, "5xx": 0}


@pytest.fixture(scope="module")
def token_live(
    demo_data_dir: Path, embedder: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """One running kefu for the module and the secret of a token with every scope."""
    from core.app import create_app

    data = tmp_path_factory.mktemp("schemathesis-api") / "data"
    shutil.copytree(demo_data_dir, data)
    server = LiveServer(create_app(make_settings(data), embedder=embedder))
    url = server.start()
    try:
        console = requests.Session()
        login = console.post(
            f"{url}/api/agent/login",
            json={"email": "demo@kefu.local", "password": "demo"},
            headers={"X-Requested-With": "kefu"},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        minted = console.post(
            f"{url}/api/admin/tokens",
            json={"name": "fuzz", "scopes": ["write"], "rate_limit": 1_000_000},
            headers={"X-Requested-With": "kefu"},
            timeout=30,
        )
        assert minted.status_code == 201, minted.text
        yield url, minted.json()["secret"]
        health = requests.get(f"{url}/healthz", timeout=30)
        record(
            "public api: schemathesis (docs/openapi.yaml, /api/v1, bearer token)",
            kind="schema",
            tried=SEEN["tried"],
            rejected_4xx=SEEN["4xx"],
            status_5xx=SEEN["5xx"],
            crashes=0,
            healthy_after=health.status_code == 200,
        )
    finally:
        server.stop()


@schema.parametrize()
@settings(
    max_examples=max(3, EXAMPLES // (20 if FULL else 10)),
    deadline=None,
    database=None,
    derandomize=not FULL,
    suppress_health_check=list(HealthCheck),
)
def test_no_public_api_request_gets_a_5xx(case: Any, token_live: tuple[str, str]) -> None:
    """Every generated request with a token is answered 2xx/4xx in the documented shape."""
    url, secret = token_live
    response = case.call(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    SEEN["tried"] += 1
    if 400 <= response.status_code < 500:
        SEEN["4xx"] += 1
        if response.headers.get("Content-Type", "").startswith("application/json"):
            assert set(response.json()) == {"error"}, response.text
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
