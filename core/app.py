"""The app factory: wires storage, coordination, the bot, handoff and the channels.

This module and ``core/cli.py`` are the only parts of the core allowed to import the other
packages: everything else in ``core`` knows them only through Protocols.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import func, select

from api import routes as api_routes
from bot.choices import Capabilities
from bot.orders import make_orders
from bot.repair_form import register as register_repair_form
from bot.router import Handler
from bot.service import Bot
from bot.synonyms import Synonyms
from bot.warranty import register as register_warranty
from channels.base import ChannelAdapter
from channels.email.alerts import mailer
from channels.registry import ADAPTERS
from core.attachments import AttachmentStore
from core.config import Settings
from core.contacts import contact_keys
from core.context import SERVICES, Services
from core.db import Database, upgrade
from core.domain import ChannelCapabilities
from core.events import Events
from core.metrics import METRICS, Metrics, http_metrics
from core.models import Agent
from core.notes import add_note
from core.orders import OrderLookup
from core.outbox import OutboxDispatcher, Sender
from core.pipeline import TurnPipeline
from core.recovery import TurnRecovery
from core.redis_coord import Coordination, coordination
from core.security import load_or_create_secret
from core.web import ASSETS, error_middleware, json_response, row_id, security_headers
from handoff import routes as handoff_routes
from handoff import teams
from handoff.alerts import AlertDispatcher
from handoff.auth import Sessions, check_csrf, create_agent
from handoff.bot_votes import LastAnswerVotes
from handoff.keys import SESSIONS
from handoff.service import HandoffService
from handoff.sla_timer import SlaTimer
from intake.customer_notices import NoticeSender
from intake.products import ProductRecords
from intake.repair_forms import RepairDesk
from intake.status import TicketStatus
from intake.ticket_links import TicketLinks
from intake.triage import first_message_check
from kb import routes as kb_routes
from kb.authoring import Author
from kb.commands import default_cache_dir
from kb.embedders import Embedder
from kb.ingest import read_entries
from kb.service import FORGET_TOPIC, KnowledgeBase
from privacy import routes as privacy_routes
from privacy.service import Privacy

if TYPE_CHECKING:
    from bot.ports import Compose
    from kb.generation import Generator

log = logging.getLogger(__name__)

DEMO_KB = Path(__file__).resolve().parent.parent / "kb" / "demo" / "faq.jsonl"
DEMO_AGENT = ("demo@kefu.local", "Demo Agent", "demo")


@dataclass
class Runtime:
    """Mutable run state: readiness and the background tasks to cancel at shutdown."""

    ready: bool = False
    draining: bool = False


KB = web.AppKey("kb", KnowledgeBase)
ADAPTERS_KEY = web.AppKey("adapters", dict)
RUNTIME = web.AppKey("runtime", Runtime)
COORDINATION = web.AppKey("coordination", Coordination)


def create_app(
    settings: Settings,
    *,
    demo: bool = False,
    migrate: bool = True,
    embedder: Embedder | None = None,
) -> web.Application:
    """A ready-to-run kefu application for ``settings``."""
    app = web.Application(
        # security_headers outside error_middleware: error responses get the headers too
        middlewares=[http_metrics, security_headers, error_middleware],
        client_max_size=settings.server.max_body_bytes,
    )
    secret = load_or_create_secret(settings.server.secret_key, settings.data_path)
    db = Database(settings.database_url)
    metrics = app[METRICS] = Metrics(db, token=settings.server.metrics_token)
    coord = app[COORDINATION] = coordination(settings)
    hub = coord.hub
    events = Events(hub)
    kb = KnowledgeBase(db, settings.kb, settings.data_path, embedder)
    senders: dict[str, Sender] = {}
    outbox = OutboxDispatcher(db, senders, settings.outbox, metrics=metrics, limits=coord.limits)
    handoff = HandoffService(
        db,
        events,
        outbox,
        max_text_length=max(5000, settings.webchat.max_text_length),
        settings=settings,
    )
    orders = OrderLookup(settings.orders) if settings.orders.url_template else None

    def capabilities(name: str) -> ChannelCapabilities | None:
        return getattr(senders.get(name), "capabilities", None)

    generator, compose = grounded_generation(settings, kb, capabilities, metrics)
    bot = Bot(
        kb,
        settings.bot,
        settings.kb,
        first_message_check(settings.triage),
        settings.triage.safety_category,
        TicketStatus(db, settings.sla.timezone),
        orders=order_handler(orders, db),
        capabilities=capabilities,
        votes=LastAnswerVotes(db, handoff),
        synonyms=Synonyms(settings.synonyms.aliases),
        compose=compose,
    )
    register_warranty(bot.router, ProductRecords(db, settings.sla.timezone))
    register_repair_form(bot.router, RepairDesk(db, settings))
    pipeline = TurnPipeline(
        db,
        events,
        coord.locks,
        outbox,
        bot,
        handoff,
        settings.bot,
        metrics=metrics,
    )
    services = Services(
        settings=settings,
        db=db,
        hub=hub,
        events=events,
        locks=pipeline.locks,
        outbox=outbox,
        pipeline=pipeline,
        secret=secret,
        attachments=AttachmentStore(
            settings.data_path / "attachments", settings.storage.max_attachment_bytes
        ),
        metrics=metrics,
    )
    app[SERVICES] = services
    if settings.ticket_page.enabled:
        handoff.links = TicketLinks(secret, settings.public_url, settings.ticket_page.link_days)
    app[KB] = kb
    app[RUNTIME] = Runtime()
    app[SESSIONS] = Sessions(
        secret, settings.agents.session_ttl_hours, settings.agents.secure_cookies
    )

    adapters: dict[str, ChannelAdapter] = {
        name: factory(services) for name, factory in ADAPTERS.items()
    }
    senders.update(adapters)
    app[ADAPTERS_KEY] = adapters
    for adapter in adapters.values():
        adapter.setup(app)
    kb_routes.setup(app, kb, _kb_author)
    handoff_routes.setup(app, handoff, kb, orders)
    # An erasure anywhere drops the erased customer's cached query vectors in every worker.
    hub.subscribe(FORGET_TOPIC, kb.on_forget)
    privacy_routes.setup(
        app,
        Privacy(
            db,
            services.attachments,
            settings,
            secret,
            hub=hub,
            vector_cache_dirs=(default_cache_dir(),),
        ),
    )
    alerts = AlertDispatcher(db, settings, hub, mailer(settings, settings.alerts.email_inbox))
    api_routes.setup(app, coord.limits, senders)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics.handle)
    # The front-end kit the console's and the widget's modules share (core/static).
    app.router.add_static("/assets/", ASSETS, append_version=False)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if migrate:
            await upgrade(settings.database_url)
        await kb.load()
        if demo:
            await seed_demo(db, kb)
        await coord.start()
        dispatcher = asyncio.create_task(outbox.run(), name="outbox")
        sla_timer = asyncio.create_task(SlaTimer(handoff, metrics).run(), name="sla")
        notices = asyncio.create_task(
            NoticeSender(db, events, outbox, settings, handoff.links).run(),
            name="customer-notices",
        )
        alerter = asyncio.create_task(alerts.run(), name="supervisor-alerts")
        recovery = TurnRecovery(db, pipeline, settings.workers.turn_recovery_seconds)
        recoverer = asyncio.create_task(recovery.run(), name="turn-recovery")
        app[RUNTIME].ready = True
        yield
        for task in (dispatcher, sla_timer, recoverer, notices, alerter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await coord.close()
        if generator is not None:
            await generator.close()
        await kb.close()
        await pipeline.store.close()
        await db.dispose()

    async def drain(app: web.Application) -> None:
        # Runs before aiohttp waits for open handlers: finish in-flight turns, then close
        # sockets with a reconnect hint so their handlers return.
        app[RUNTIME].ready = False
        app[RUNTIME].draining = True
        await pipeline.drain()
        for adapter in adapters.values():
            with contextlib.suppress(Exception):
                await adapter.close()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(drain)
    return app


def grounded_generation(
    settings: Settings, kb: KnowledgeBase, capabilities: Capabilities, metrics: Metrics
) -> tuple[Generator | None, Compose | None]:
    """The chat model's client and the bot's composer when ``[generation] base_url`` is set;
    (None, None) otherwise: nothing of it is imported or run on a turn."""
    if not settings.generation.enabled:
        return None, None
    from bot.grounded import make_compose
    from kb.generation import Generator

    generator = Generator(settings.generation)
    compose = make_compose(
        generator,
        settings.generation,
        capabilities=capabilities,
        floor=lambda: kb.thresholds.clarify if kb.thresholds is not None else 0.0,
        count=metrics.generation,
    )
    log.info("grounded generation on: %s model %s", generator.url, settings.generation.model)
    return generator, compose


def order_handler(lookup: OrderLookup | None, db: Database) -> Handler | None:
    """The bot's order lookup when ``[orders] url_template`` names the order system (the
    console's orders panel shares ``lookup``, its cache included)."""
    if lookup is None:
        return None
    return make_orders(
        lookup,
        lambda conversation_id: contact_keys(db, conversation_id),
        lambda conversation_id, text: add_note(db, conversation_id, text),
    )


async def seed_demo(db: Database, kb: KnowledgeBase) -> None:
    """Demo mode: the bundled FAQ when the KB is empty, and the demo agent."""
    if await kb.count() == 0:
        entries, errors = read_entries(DEMO_KB)
        for err in errors:
            log.warning("demo KB line %s: %s", err.line, err.message)
        await kb.ingest(entries)
        log.info("demo knowledge base ingested: %d entries", len(entries))
    email, name, password = DEMO_AGENT
    async with db.reader() as session:
        exists = (
            await session.execute(
                select(func.count()).select_from(Agent).where(Agent.email == email)
            )
        ).scalar()
    if not exists:
        await create_agent(db, email, name, password, role="admin")
        log.info("demo agent created: %s", email)


async def seed_demo_alone(settings: Settings) -> None:
    """:func:`seed_demo` outside a running app (``kefu serve --workers N --demo``, once)."""
    db = Database(settings.database_url)
    kb = KnowledgeBase(db, settings.kb, settings.data_path)
    try:
        await kb.load()
        await seed_demo(db, kb)
    finally:
        await kb.close()
        await db.dispose()


async def _kb_author(request: web.Request) -> Author:
    """The console's session check for the KB authoring API (kb may not import handoff)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf(request)
    agent = await request.app[SESSIONS].agent(request)
    # A draft from a conversation: team rules apply, to the id exactly as the route parses it.
    conv_id = row_id(request.match_info.get("conversation_id", ""))
    if conv_id is not None:
        await teams.check(request.app[SERVICES].db, agent, conv_id)
    return Author(id=agent.id, name=agent.name or agent.email, role=agent.role)


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: started, not draining, and the database answers (Redis down: degraded)."""
    runtime = request.app[RUNTIME]
    db_ok = await request.app[SERVICES].db.ping()
    ready = runtime.ready and not runtime.draining and db_ok
    redis = request.app[COORDINATION].redis_status
    # Redis down is "degraded", still ready: every worker keeps serving on in-process
    # fallbacks, and taking them all out of the proxy would turn a blip into an outage.
    status = "not_ready" if not ready else "degraded" if redis == "down" else "ready"
    body = {
        "status": status,
        "database": db_ok,
        "redis": redis,
        "draining": runtime.draining,
        "worker": os.getpid(),
    }
    return json_response(body, status=200 if ready else 503)
