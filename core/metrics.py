"""Prometheus metrics: one registry per app, counters fed by one-line hooks, DB gauges at scrape.

Counters and histograms live in the process (each worker counts what it did); the gauges
that describe shared state (queue depth, outbox backlog, dead letters) are read from the
database when ``/metrics`` is scraped, so any worker reports the same numbers. When the
operator sets ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode) before
starting the workers, a scrape of any worker returns the sum over all of them.

Metric names are a contract: ``docs/observability.md`` and the Grafana dashboard use them.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import Counter as PromCounter
from prometheus_client import Histogram as PromHistogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from core.models import Conversation, OutboxItem

if TYPE_CHECKING:
    from core.db import Database
    from core.domain import BotTurn

log = logging.getLogger(__name__)

# Seconds: a stored message takes milliseconds, an answer up to a few seconds, a delivery
# retried with backoff minutes.
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SCRAPE_DB_SECONDS = 5.0


class _DatabaseGauges(Collector):
    """Gauges read from the shared database at scrape time (the last successful read)."""

    def __init__(self) -> None:
        self.up = 0.0
        self.queued = 0.0
        self.backlog = 0.0
        self.dead = 0.0
        self.oldest = 0.0

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges from the last refresh."""
        yield GaugeMetricFamily(
            "kefu_database_up", "1 when the last scrape could read the database.", self.up
        )
        if not self.up:
            return  # stale numbers would look real: report nothing instead
        yield GaugeMetricFamily(
            "kefu_queue_depth", "Conversations waiting for a person (owner queued).", self.queued
        )
        yield GaugeMetricFamily(
            "kefu_outbox_backlog",
            "Replies waiting to be delivered (pending or sending).",
            self.backlog,
        )
        yield GaugeMetricFamily(
            "kefu_outbox_oldest_pending_seconds",
            "Age of the oldest reply waiting to be delivered (0 when none).",
            self.oldest,
        )
        yield GaugeMetricFamily(
            "kefu_outbox_dead_letters",
            "Replies given up on (dead), shown in the console.",
            self.dead,
        )

    async def refresh(self, db: Database) -> None:
        """Read the gauges; on failure mark the database down."""
        try:
            async with asyncio.timeout(SCRAPE_DB_SECONDS), db.reader() as session:
                queued = await session.scalar(
                    select(func.count())
                    .select_from(Conversation)
                    .where(Conversation.owner == "queued")
                )
                rows = await session.execute(
                    select(OutboxItem.status, func.count(), func.min(OutboxItem.created_at))
                    .where(OutboxItem.status.in_(("pending", "sending", "dead")))
                    .group_by(OutboxItem.status)
                )
                by_status = {status: (n, oldest) for status, n, oldest in rows}
        except Exception as err:  # a scrape must answer even when the database does not
            log.warning("metrics: database gauges unavailable: %s", type(err).__name__)
            self.up = 0.0
            return
        waiting = [by_status.get(s, (0, None)) for s in ("pending", "sending")]
        oldest = [_aware(t) for _, t in waiting if t is not None]
        self.queued = float(queued or 0)
        self.backlog = float(sum(n for n, _ in waiting))
        self.dead = float(by_status.get("dead", (0, None))[0])
        self.oldest = max(0.0, (datetime.now(UTC) - min(oldest)).total_seconds()) if oldest else 0.0
        self.up = 1.0


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class Metrics:
    """kefu's metrics in a registry of their own (tests build many apps in one process)."""

    def __init__(self, db: Database | None = None, *, token: str = "") -> None:
        self.db = db
        self.token = token
        self.registry = CollectorRegistry()
        r = self.registry
        self.turns = PromCounter(
            "kefu_turns", "Customer messages stored (one per turn).", ["channel"], registry=r
        )
        self.duplicates = PromCounter(
            "kefu_inbound_duplicates",
            "Platform resends recognised and not stored again.",
            ["channel"],
            registry=r,
        )
        self.decisions = PromCounter(
            "kefu_bot_decisions",
            "Bot turns by outcome: answer, clarify, escalate, or the handler that replied.",
            ["decision"],
            registry=r,
        )
        self.generations = PromCounter(
            "kefu_generations",
            "Grounded generation attempts by outcome: generated, or why the entry's own "
            "answer was sent (timeout, http_<status>, malformed, empty, declined, off_source...).",
            ["outcome"],
            registry=r,
        )
        self.escalations = PromCounter(
            "kefu_escalations", "Escalations to a person by reason.", ["reason"], registry=r
        )
        self.stage = PromHistogram(
            "kefu_stage_seconds",
            "Latency per stage: stored (channel to committed), answered (stored to bot reply "
            "committed), delivered (reply committed to accepted by the channel).",
            ["stage", "channel"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.deliveries = PromCounter(
            "kefu_outbox_deliveries",
            "Delivery attempts by result: sent, retry, dead.",
            ["channel", "result"],
            registry=r,
        )
        self.sla_warnings = PromCounter(
            "kefu_sla_warnings", "SLA warnings raised.", ["kind"], registry=r
        )
        self.sla_breaches = PromCounter(
            "kefu_sla_breaches", "SLA breaches recorded.", ["kind"], registry=r
        )
        self.channel_errors = PromCounter(
            "kefu_channel_errors",
            "Errors talking to a platform, by channel and kind.",
            ["channel", "kind"],
            registry=r,
        )
        self.http_requests = PromCounter(
            "kefu_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_seconds = PromHistogram(
            "kefu_http_request_seconds",
            "HTTP request latency by route template (WebSockets excluded).",
            ["route"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self._gauges = _DatabaseGauges()
        if db is not None:
            r.register(self._gauges)

    # -- one-line hooks -------------------------------------------------------------------

    @staticmethod
    def clock() -> float:
        """A start time for :meth:`stored` / :meth:`answered`."""
        return time.monotonic()

    def stored(self, channel: str, started: float | None, *, duplicate: bool) -> None:
        """An inbound message was committed (or recognised as a resend); None: not timed."""
        if duplicate:
            self.duplicates.labels(channel).inc()
            return
        self.turns.labels(channel).inc()
        if started is not None:
            self.stage.labels("stored", channel).observe(time.monotonic() - started)

    def answered(self, channel: str, turn: BotTurn, started: float) -> None:
        """A bot turn committed its replies."""
        if turn.escalate is not None:
            decision = "escalate"
            self.escalations.labels(turn.escalate.reason).inc()
        else:
            decision = next((r.decision for r in turn.replies if r.decision), None) or (
                turn.handler or "other"
            )
        self.decisions.labels(decision).inc()
        self.stage.labels("answered", channel).observe(time.monotonic() - started)

    def generation(self, outcome: str) -> None:
        """A grounded generation attempt ended (``generated`` or a fallback reason)."""
        self.generations.labels(outcome).inc()

    def delivery(self, channel: str, status: str, created_at: datetime | None) -> None:
        """The outbox finished an attempt; ``status`` is the row's new status."""
        result = {"sent": "sent", "dead": "dead"}.get(status, "retry")
        self.deliveries.labels(channel, result).inc()
        if result != "sent":
            self.channel_errors.labels(channel, "delivery").inc()
        elif created_at is not None:
            age = (datetime.now(UTC) - _aware(created_at)).total_seconds()
            self.stage.labels("delivered", channel).observe(max(0.0, age))

    def sla(self, kind: str, event: str) -> None:
        """The SLA timer raised a ``warning`` or a ``breach`` for target ``kind``."""
        (self.sla_breaches if event == "breach" else self.sla_warnings).labels(kind).inc()

    def channel_error(self, channel: str, kind: str) -> None:
        """A channel failed to talk to its platform (fetch, poll, push...)."""
        self.channel_errors.labels(channel, kind).inc()

    # -- exposition -----------------------------------------------------------------------

    async def render(self) -> bytes:
        """The text exposition, with the database gauges read now."""
        if self.db is not None:
            await self._gauges.refresh(self.db)
        mp_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if mp_dir:
            # Multiprocess mode reads every worker's files: off the event loop.
            return await asyncio.to_thread(self._merged, Path(mp_dir))
        return generate_latest(self.registry)

    def _merged(self, mp_dir: Path) -> bytes:
        """Counters summed over every worker's files, gauges from this worker."""
        if not mp_dir.is_dir():
            log.warning("metrics: PROMETHEUS_MULTIPROC_DIR %s is not a directory", mp_dir)
            return generate_latest(self.registry)
        from prometheus_client.multiprocess import MultiProcessCollector

        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=str(mp_dir))  # type: ignore[no-untyped-call]
        if self.db is not None:
            merged.register(self._gauges)
        return generate_latest(merged)

    async def handle(self, request: web.Request) -> web.Response:
        """``GET /metrics``; a bearer token is required when ``[server] metrics_token`` is set."""
        if self.token:
            given = request.headers.get("Authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(), self.token.encode()
            ):
                raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        body = await self.render()
        resp = web.Response(body=body)
        resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return resp


METRICS = web.AppKey("metrics", Metrics)


@web.middleware
async def http_metrics(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count every request by route template (not raw path: ids would explode the series)."""
    metrics = request.app.get(METRICS)
    if metrics is None:
        return await handler(request)
    started = time.monotonic()
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.http_requests.labels(request.method, route, str(status)).inc()
        if status != 101:
            metrics.http_seconds.labels(route).observe(time.monotonic() - started)
        parts = route.split("/")
        if status >= 400 and len(parts) > 3 and parts[1] == "channels":
            # A platform's webhook we refused (bad signature, bad payload) or failed on.
            kind = "webhook_rejected" if status < 500 else "webhook_failed"
            metrics.channel_error(parts[2].replace("-", "_"), kind)
