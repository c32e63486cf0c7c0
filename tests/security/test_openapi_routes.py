"""docs/openapi.yaml describes every JSON route the app mounts (a new route must be added)."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.app import create_app
from tests.conftest import make_settings

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
# Not JSON request/response APIs: sockets, file downloads and the CORS preflight.
NOT_JSON = {
    ("OPTIONS", "/api/webchat/sessions"),
    ("OPTIONS", "/api/webchat/profile"),
    ("GET", "/api/webchat/ws"),
    ("GET", "/api/agent/ws"),
    ("GET", "/api/agent/kb/export"),
    ("GET", "/api/reports/summary.csv"),
    ("GET", "/api/agent/attachments/{key}"),
    ("OPTIONS", "/api/webchat/uploads"),
    ("GET", "/api/webchat/files/{key}"),
    ("GET", "/api/agent/workorders/export"),
}


def test_every_api_route_is_in_the_openapi_description(tmp_path: Path) -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    described = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    }
    app = create_app(make_settings(tmp_path / "data"), migrate=False)
    mounted = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/api/") and route.method not in ("HEAD", "*"):
            mounted.add((route.method, path))
    assert mounted - NOT_JSON - described == set()
    assert {p for p in described - mounted if p[1].startswith("/api/")} == set()  # nothing stale
