"""The door of ``/api/v1``: bearer token, scope, per-token rate limit, idempotency, audit.

Every public handler is wrapped by :func:`endpoint`. Only ``Authorization: Bearer kf_...``
authenticates here: a console session cookie is ignored (a browser visiting a hostile page
cannot be made to call the API), and the console's routes read only their cookie, so a
token is worth nothing there either. Each call, answered or refused, leaves one row in
``api_calls`` with the token's name; ticket changes made during the call carry it too
(``core.acting.VIA``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps

from aiohttp import web
from sqlalchemy import update

from api.idempotency import fingerprint
from api.keys import API
from api.tables import ApiCall, ApiToken
from api.tokens import allows
from core.acting import VIA
from core.context import SERVICES
from core.errors import Forbidden, KefuError, Unauthorized
from core.models import Agent, utcnow
from core.web import error_body, json_response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token, and the admin it acts for (who created it)."""

    token_id: int
    name: str
    scopes: tuple[str, ...]
    agent: Agent


ApiHandler = Callable[[web.Request, Caller], Awaitable[web.Response]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bearer(request: web.Request) -> str:
    """The bearer token of the request; Unauthorized without one (cookies do not count)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send an API token: Authorization: Bearer <token>. "
            "请在 Authorization 头中提供 API 令牌。",
            code="token_required",
        )
    return token.strip()


async def identify(request: web.Request) -> ApiToken:
    """The token row of the request, revoked or not; Unauthorized when unknown."""
    row = await request.app[API].tokens.find(bearer(request))
    if row is None:
        raise Unauthorized("The API token is not valid. API 令牌无效。", code="bad_token")
    return row


def check_live(row: ApiToken) -> None:
    """Unauthorized for a revoked token (its calls are still audited under its name)."""
    if row.revoked_at is not None:
        raise Unauthorized("The API token was revoked. API 令牌已被吊销。", code="token_revoked")


def endpoint(resource: str, access: str) -> Callable[[ApiHandler], Handler]:
    """Wrap a public API handler: it needs ``resource:access`` and is audited."""

    def wrap(handler: ApiHandler) -> Handler:
        @wraps(handler)
        async def run(request: web.Request) -> web.StreamResponse:
            token: ApiToken | None = None
            status = 500
            try:
                token = await identify(request)
                check_live(token)
                limited = await _over_limit(request, token)
                if limited is not None:
                    status = limited.status
                    return limited
                if not allows(list(token.scopes or []), resource, access):
                    raise Forbidden(
                        f"This token lacks the {resource}:{access} scope. "
                        f"该令牌没有 {resource}:{access} 权限。",
                        code="scope_required",
                    )
                caller = await _caller(request, token)
                response = await _idempotent(request, caller, handler)
                status = response.status
                return response
            except KefuError as err:
                status = err.status
                raise
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                await _audit(request, token, status)

        return run

    return wrap


async def _over_limit(request: web.Request, token: ApiToken) -> web.Response | None:
    """429 with Retry-After when the token went over its calls per minute."""
    ok = await request.app[API].limits.allow(f"api-token:{token.id}", token.rate_limit, 60.0)
    if ok:
        return None
    response = json_response(
        error_body(
            "rate_limited",
            f"This token may make {token.rate_limit} calls a minute; try again shortly. "
            "调用过于频繁，请稍后再试。",
        ),
        status=429,
    )
    response.headers["Retry-After"] = "60"
    return response


async def _caller(request: web.Request, token: ApiToken) -> Caller:
    async with request.app[SERVICES].db.reader() as session:
        agent = await session.get(Agent, token.created_by)
    if agent is None or not agent.active:
        raise Unauthorized(
            "The admin who created this token is no longer active; create a new token. "
            "创建该令牌的管理员已停用。",
            code="token_owner_inactive",
        )
    return Caller(token.id, token.name, tuple(token.scopes or ()), agent)


async def _idempotent(request: web.Request, caller: Caller, handler: ApiHandler) -> web.Response:
    """Run the handler, once per Idempotency-Key for POSTs that send one."""
    key = request.headers.get("Idempotency-Key")
    token = VIA.set(f"api:{caller.name}")
    try:
        if request.method != "POST" or key is None:
            return await handler(request, caller)
        store = request.app[API].idempotency
        body = await request.read()
        seen = await store.reserve(
            caller.token_id, key, fingerprint(request.method, request.path_qs, body)
        )
        if seen is not None:
            replay = web.Response(
                body=seen[1].encode(), status=seen[0], content_type="application/json"
            )
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = await handler(request, caller)
        except BaseException:
            await store.release(caller.token_id, key)
            raise
        if 200 <= response.status < 300 and isinstance(response.body, bytes):
            await store.complete(caller.token_id, key, response.status, response.body.decode())
        else:
            await store.release(caller.token_id, key)
        return response
    finally:
        VIA.reset(token)


async def _audit(request: web.Request, token: ApiToken | None, status: int) -> None:
    """One row per call in ``api_calls``; the token's last use. Never fails the call."""
    try:
        async with request.app[SERVICES].db.transaction() as session:
            session.add(
                ApiCall(
                    token_id=token.id if token else None,
                    token_name=token.name if token else "",
                    method=request.method,
                    path=request.path[:500],
                    status=status,
                )
            )
            if token is not None:
                await session.execute(
                    update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=utcnow())
                )
    except Exception:
        log.warning("API call not audited: %s %s", request.method, request.path, exc_info=True)
