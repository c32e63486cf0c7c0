"""HTTP plumbing shared by every route: JSON in and out, errors, security headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from core.db import DB_ERRORS, is_connectivity
from core.errors import BadRequest, KefuError, PayloadTooLarge, ServiceUnavailable
from core.forwarded import is_https

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The front-end kit (DOM and i18n helpers) the console's and the widget's modules import.
ASSETS = Path(__file__).with_name("static")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response serialized with orjson."""
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def row_id(raw: str) -> int | None:
    """``raw`` (a path or query value) as a row id, or None when it cannot be one.

    Beyond the integer column's range PostgreSQL errors out, so such values are not ids either.
    """
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 < value < 2**31 else None


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON error shape every endpoint uses."""
    return {"error": {"code": code, "message": message}}


async def read_json(request: web.Request, max_bytes: int = 65_536) -> dict[str, Any]:
    """The request's JSON object body, or BadRequest / PayloadTooLarge."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"The request body is larger than {max_bytes} bytes.")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The request body is larger than {max_bytes} bytes.")
    return json_object(raw)


def json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object (empty: ``{}``), or BadRequest."""
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.", code="bad_json") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.", code="bad_json")
    return data


def _kefu_error(err: KefuError) -> web.Response:
    """The JSON error for one of ours; a 503 says when to try again."""
    response = json_response(error_body(err.code, err.message), status=err.status)
    if err.status == 503:
        response.headers["Retry-After"] = "5"
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map kefu's exceptions to JSON errors; never leak a traceback to clients."""
    try:
        return await handler(request)
    except KefuError as err:
        return _kefu_error(err)
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return json_response(
                error_body(exc.reason.lower().replace(" ", "_"), exc.reason), status=exc.status
            )
        raise
    except DB_ERRORS as err:
        if not is_connectivity(err):
            log.exception("database error on %s %s", request.method, request.path)
            return json_response(
                error_body("internal_error", "Something went wrong on our side."), status=500
            )
        # A database outage outside core.db's wrappers: fail fast, the client may retry.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, err)
        return _kefu_error(ServiceUnavailable("The database is not available."))
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response(
            error_body("internal_error", "Something went wrong on our side."), status=500
        )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Strict CSP and friends on every response we produce, error pages included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # aiohttp's own 404/405 pages and redirects
        _secure(request, exc.headers)
        raise
    if isinstance(response, web.WebSocketResponse) or response.prepared:
        return response
    _secure(request, response.headers)
    return response


def _secure(request: web.Request, headers: MutableMapping[str, str]) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    embeddable = request.path.startswith(("/webchat/", "/assets/"))
    if embeddable and request.path.endswith((".js", ".css")):
        # The widget's modules (and the kit they share with the console, /assets/) and its
        # stylesheet are loaded by customers' own sites.
        headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin")
        headers.setdefault("Access-Control-Allow-Origin", "*")
    else:
        # frame-ancestors 'none' (and X-Frame-Options for old browsers): no site may frame
        # the console or the demo page (clickjacking).
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")  # conversations are personal data
    elif request.path.endswith(".js"):
        # The console's and the widget's modules import each other: revalidated on every load
        # (a 304 costs little), so a browser never runs a new module beside a stale one.
        headers.setdefault("Cache-Control", "no-cache")
    if is_https(request):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
