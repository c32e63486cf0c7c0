"""Agent accounts and console sessions (signed, expiring, HttpOnly cookies)."""

from __future__ import annotations

import re
import secrets

from aiohttp import web
from sqlalchemy import func, select

from core.context import SERVICES
from core.db import Database
from core.errors import BadRequest, Conflict, Forbidden, Unauthorized
from core.forwarded import is_https
from core.models import Agent
from core.security import TokenSigner, hash_password, verify_password

COOKIE = "kefu_session"
ROLES = ("agent", "supervisor", "admin")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "kefu"

# A fixed hash to verify against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = hash_password("not-a-real-password")


async def create_agent(
    db: Database, email: str, name: str, password: str, role: str = "agent"
) -> Agent:
    """Create an agent account; Conflict if the email is taken."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise BadRequest(f"{email!r} is not an email address.", code="bad_email")
    if len(password) < 4:
        raise BadRequest("The password must have at least 4 characters.", code="bad_password")
    if role not in ROLES:
        raise BadRequest(f"The role must be one of {', '.join(ROLES)}.", code="bad_role")
    async with db.transaction() as session:
        taken = (
            await session.execute(
                select(func.count()).select_from(Agent).where(Agent.email == email)
            )
        ).scalar()
        if taken:
            raise Conflict(f"An agent with the email {email} already exists.", code="agent_exists")
        agent = Agent(
            email=email,
            name=name.strip() or email.split("@")[0],
            password_hash=hash_password(password),
            role=role,
            active=True,
        )
        session.add(agent)
    return agent


async def authenticate(db: Database, email: str, password: str) -> Agent:
    """The active agent with these credentials; Unauthorized otherwise."""
    async with db.reader() as session:
        agent = (
            await session.execute(select(Agent).where(Agent.email == email.strip().lower()))
        ).scalar_one_or_none()
    if agent is None:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    if not verify_password(agent.password_hash, password) or not agent.active:
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    return agent


class Sessions:
    """Issues and checks console session cookies.

    A session is a signed token naming the agent, a fresh random nonce and the agent's
    ``session_version``: every login issues a new token (a cookie planted before login never
    becomes a session: no fixation), and logging out bumps the version, which ends every
    session of that agent at once, stolen copies included.
    """

    def __init__(self, secret: bytes, ttl_hours: float, secure: bool) -> None:
        self.signer = TokenSigner(secret, "agent-session")
        self.ttl = ttl_hours * 3600
        self.secure = secure

    def start(
        self, response: web.StreamResponse, agent: Agent, request: web.Request | None = None
    ) -> None:
        """Set a brand-new session cookie for ``agent`` on ``response``."""
        # The password hash's tail ties the session to the password: changing it logs out.
        token = self.signer.sign(
            {
                "a": agent.id,
                "p": agent.password_hash[-8:],
                "s": agent.session_version or 0,
                "n": secrets.token_urlsafe(12),
            },
            self.ttl,
        )
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(self.ttl),
            httponly=True,
            samesite="Strict",
            secure=self.secure or (request is not None and is_https(request)),
            path="/",
        )

    def end(self, response: web.StreamResponse) -> None:
        """Clear the session cookie."""
        response.del_cookie(COOKIE, path="/")

    async def revoke(self, db: Database, agent_id: int) -> None:
        """End every session of ``agent_id`` (logout everywhere)."""
        async with db.transaction() as session:
            agent = await session.get(Agent, agent_id)
            if agent is not None:
                agent.session_version = (agent.session_version or 0) + 1

    async def agent(self, request: web.Request) -> Agent:
        """The logged-in agent of ``request``; Unauthorized otherwise."""
        token = request.cookies.get(COOKIE)
        if not token:
            raise Unauthorized("Please log in.", code="login_required")
        payload = self.signer.verify(token)
        agent_id = payload.get("a")
        if not isinstance(agent_id, int) or isinstance(agent_id, bool):
            raise Unauthorized("Please log in.", code="login_required")
        db = request.app[SERVICES].db
        async with db.reader() as session:
            agent = await session.get(Agent, agent_id)
        if (
            agent is None
            or not agent.active
            or agent.password_hash[-8:] != payload.get("p")
            or (agent.session_version or 0) != payload.get("s", 0)
        ):
            raise Unauthorized("Please log in.", code="login_required")
        return agent


def check_csrf(request: web.Request) -> None:
    """Mutating console requests must carry our header (browsers can't forge it cross-site)."""
    if (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and request.headers.get(CSRF_HEADER) != CSRF_VALUE
    ):
        raise Forbidden(f"Missing the {CSRF_HEADER}: {CSRF_VALUE} header.", code="csrf")
