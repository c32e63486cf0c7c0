"""Who is on the other end: the client's address and scheme, believing proxies we trust only.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are headers anyone can send. They are read only
when the direct peer is listed in ``[server] trusted_proxies``; otherwise the socket's own
address and scheme count. With a trusted proxy, the client is the last address in
``X-Forwarded-For`` that is not itself a trusted proxy (the proxy appends what it saw).
"""

from __future__ import annotations

from aiohttp import web

from core.context import SERVICES


def trusted_proxies(request: web.Request) -> frozenset[str]:
    """The configured reverse proxies of the app serving ``request``."""
    services = request.app.get(SERVICES)
    return frozenset(services.settings.server.trusted_proxies) if services else frozenset()


def _from_proxy(request: web.Request) -> bool:
    return bool(request.remote) and request.remote in trusted_proxies(request)


def client_ip(request: web.Request) -> str:
    """The client's address (for rate limits and lockouts)."""
    peer = request.remote or "?"
    if not _from_proxy(request):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    trusted = trusted_proxies(request)
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer


def is_https(request: web.Request) -> bool:
    """Whether the client reached us over HTTPS (directly, or through a trusted proxy)."""
    if request.secure:
        return True
    if _from_proxy(request):
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return proto == "https"
    return False
