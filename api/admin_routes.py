"""Admin routes (console session + CSRF header, admin role) for API tokens and webhooks.

These are cookie routes like the rest of the console: an API token does not open them, so a
leaked token can never mint more tokens or point webhooks elsewhere.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from api.keys import API, WEBHOOKS
from api.store import is_count
from api.tables import ApiCall
from core.context import SERVICES
from core.errors import BadRequest
from core.web import json_response, read_json, row_id
from handoff.http import current_agent, path_id, require_role


async def list_tokens(request: web.Request) -> web.Response:
    """GET /api/admin/tokens: every token (never a secret)."""
    require_role(await current_agent(request), "admin")
    tokens = await request.app[API].tokens.all()
    return json_response({"tokens": [t.json() for t in tokens]})


async def create_token(request: web.Request) -> web.Response:
    """POST /api/admin/tokens {"name","scopes","rate_limit"?} -> 201 {"token","secret"}."""
    me = await current_agent(request)
    require_role(me, "admin")
    body = await read_json(request)
    default = request.app[SERVICES].settings.api.rate_limit_per_minute
    rate = body.get("rate_limit", default)
    if not isinstance(rate, int) or isinstance(rate, bool) or not 1 <= rate <= 1_000_000:
        raise BadRequest(
            "rate_limit must be 1-1000000 calls a minute. 每分钟调用上限须为 1-1000000。",
            code="bad_rate_limit",
        )
    token, secret = await request.app[API].tokens.create(
        body.get("name"), body.get("scopes"), me.id, rate
    )
    return json_response({"token": token.json(), "secret": secret}, status=201)


async def rotate_token(request: web.Request) -> web.Response:
    """POST /api/admin/tokens/{id}/rotate -> {"token","secret"}: the old secret stops working."""
    require_role(await current_agent(request), "admin")
    token, secret = await request.app[API].tokens.rotate(
        path_id(request, "There is no such API token.")
    )
    return json_response({"token": token.json(), "secret": secret})


async def revoke_token(request: web.Request) -> web.Response:
    """DELETE /api/admin/tokens/{id}: revoked at once (kept for the audit log)."""
    require_role(await current_agent(request), "admin")
    token = await request.app[API].tokens.revoke(path_id(request, "There is no such API token."))
    return json_response({"token": token.json()})


async def list_calls(request: web.Request) -> web.Response:
    """GET /api/admin/tokens/calls?token_id=&limit=: the API audit log, newest first."""
    require_role(await current_agent(request), "admin")
    raw_limit = request.query.get("limit", "100")
    limit = min(int(raw_limit), 500) if is_count(raw_limit) else 100
    stmt = select(ApiCall).order_by(ApiCall.id.desc()).limit(limit)
    token_id = request.query.get("token_id")
    if token_id:
        tid = row_id(token_id)
        if tid is None:
            raise BadRequest("token_id must be a token's id.", code="bad_query")
        stmt = stmt.where(ApiCall.token_id == tid)
    async with request.app[SERVICES].db.reader() as session:
        rows = list((await session.execute(stmt)).scalars())
    return json_response(
        {
            "calls": [
                {
                    "id": c.id,
                    "token_id": c.token_id,
                    "token_name": c.token_name,
                    "method": c.method,
                    "path": c.path,
                    "status": c.status,
                    "created_at": c.created_at.isoformat(),
                }
                for c in rows
            ]
        }
    )


async def list_webhooks(request: web.Request) -> web.Response:
    """GET /api/admin/webhooks: subscriptions with their state (never a secret)."""
    require_role(await current_agent(request), "admin")
    hooks = await request.app[WEBHOOKS].all()
    return json_response({"webhooks": hooks, "events": list(request.app[WEBHOOKS].events)})


async def create_webhook(request: web.Request) -> web.Response:
    """POST /api/admin/webhooks {"url","events"} -> 201 {"webhook","secret"}."""
    me = await current_agent(request)
    require_role(me, "admin")
    body = await read_json(request)
    hook, secret = await request.app[WEBHOOKS].create(body.get("url"), body.get("events"), me.id)
    request.app[WEBHOOKS].wake()
    return json_response({"webhook": hook, "secret": secret}, status=201)


async def patch_webhook(request: web.Request) -> web.Response:
    """PATCH /api/admin/webhooks/{id} {"url"?,"events"?,"active"?}: active=true re-enables."""
    require_role(await current_agent(request), "admin")
    body = await read_json(request)
    hook = await request.app[WEBHOOKS].update(path_id(request, "There is no such webhook."), body)
    request.app[WEBHOOKS].wake()
    return json_response({"webhook": hook})


async def delete_webhook(request: web.Request) -> web.Response:
    """DELETE /api/admin/webhooks/{id}: the subscription and its deliveries are removed."""
    require_role(await current_agent(request), "admin")
    await request.app[WEBHOOKS].delete(path_id(request, "There is no such webhook."))
    return json_response({"ok": True})


async def list_deliveries(request: web.Request) -> web.Response:
    """GET /api/admin/webhooks/{id}/deliveries?limit=: newest first, with the last response."""
    require_role(await current_agent(request), "admin")
    raw_limit = request.query.get("limit", "50")
    limit = min(int(raw_limit), 500) if is_count(raw_limit) else 50
    out: list[dict[str, Any]] = await request.app[WEBHOOKS].deliveries(
        path_id(request, "There is no such webhook."), limit
    )
    return json_response({"deliveries": out})


async def retry_delivery(request: web.Request) -> web.Response:
    """POST /api/admin/webhooks/deliveries/{id}/retry: send again now (re-enables the hook)."""
    require_role(await current_agent(request), "admin")
    out = await request.app[WEBHOOKS].retry(path_id(request, "There is no such delivery."))
    request.app[WEBHOOKS].wake()
    return json_response({"delivery": out})
