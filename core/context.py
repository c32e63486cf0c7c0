"""The services a running kefu shares with its channels and routes."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from core.attachments import AttachmentStore
from core.config import Settings
from core.coordination import Hub, Locks
from core.db import Database
from core.events import Events
from core.metrics import Metrics
from core.outbox import OutboxDispatcher
from core.pipeline import TurnPipeline


@dataclass(frozen=True)
class Services:
    """Everything a channel adapter or route needs from the core, built once at start."""

    settings: Settings
    db: Database
    hub: Hub
    events: Events
    locks: Locks
    outbox: OutboxDispatcher
    pipeline: TurnPipeline
    secret: bytes
    attachments: AttachmentStore
    metrics: Metrics


SERVICES = web.AppKey("services", Services)
