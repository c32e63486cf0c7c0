"""/metrics: what an operator's Prometheus scrapes after real conversations, and who may scrape."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from core.config import OutboxSettings
from core.conversations import add_reply, record_inbound
from core.db import Database
from core.domain import InboundMessage
from core.metrics import METRICS, Metrics
from core.outbox import OutboxDispatcher
from handoff.keys import HANDOFF
from handoff.sla_timer import SlaTimer
from tests.conftest import make_settings
from tests.core.test_outbox import ScriptedChannel, make_due
from tests.helpers import Visitor, login

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "kefu-dashboard.json"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, keyed by (name, labels)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels`` (0 when none)."""
    want = set(labels.items())
    return sum(v for (n, lab), v in samples(text).items() if n == name and want <= lab)


async def scrape(client: Any, **headers: str) -> str:
    resp = await client.get("/metrics", headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    return str(await resp.text())


async def until_metric(client: Any, name: str, at_least: float, **labels: str) -> str:
    """Scrape until ``name`` reaches ``at_least`` (the outbox delivers in the background)."""
    for _ in range(100):
        text = await scrape(client)
        if value(text, name, **labels) >= at_least:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name}{labels} never reached {at_least}:\n{text}")


async def test_a_conversation_shows_up_in_every_stage(client: Any) -> None:
    v = await Visitor(client).start()
    await v.reply_to("洗衣机噪音很大怎么办")
    text = await until_metric(
        client, "kefu_outbox_deliveries_total", 1, channel="webchat", result="sent"
    )
    assert value(text, "kefu_turns_total", channel="webchat") == 1
    assert value(text, "kefu_stage_seconds_count", stage="stored", channel="webchat") == 1
    assert value(text, "kefu_stage_seconds_count", stage="answered", channel="webchat") == 1
    assert value(text, "kefu_bot_decisions_total") == 1
    assert (
        value(
            text,
            "kefu_http_requests_total",
            method="POST",
            route="/api/webchat/sessions",
            status="200",
        )
        == 1
    )
    assert value(text, "kefu_database_up") == 1
    assert value(text, "kefu_queue_depth") == 0
    assert value(text, "kefu_outbox_dead_letters") == 0
    assert value(text, "kefu_channel_errors_total") == 0


async def test_escalation_is_counted_and_queues_the_conversation(client: Any) -> None:
    v = await Visitor(client).start()
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and "没有客服在线" in f["text"])
    text = await scrape(client)
    assert value(text, "kefu_bot_decisions_total", decision="escalate") == 1
    assert value(text, "kefu_escalations_total", reason="customer_request") == 1
    assert value(text, "kefu_queue_depth") == 1


async def test_unknown_paths_share_one_series(client: Any) -> None:
    for path in ("/no/such/page", "/another/missing/7"):
        assert (await client.get(path)).status == 404
    text = await scrape(client)
    assert value(text, "kefu_http_requests_total", route="unmatched", status="404") == 2
    assert "/no/such/page" not in text


async def reply_on(db: Database, channel: str) -> None:
    """A customer message and a bot reply waiting in the outbox, on ``channel``."""
    async with db.transaction() as s:
        inbound = InboundMessage(
            channel=channel, inbox=f"{channel}-main", external_id="u1", source_id="m1", text="hi"
        )
        conv = (await record_inbound(s, inbound)).conversation
        await add_reply(s, conv, sender="bot", text="hello")


async def test_outbox_retries_dead_letters_and_delivery_latency(db: Database) -> None:
    """On SQLite and PostgreSQL: the gauges come from the database at scrape time."""
    metrics = Metrics(db)
    for channel in ("webchat", "wechat"):
        await reply_on(db, channel)
    text = (await metrics.render()).decode()
    assert value(text, "kefu_outbox_backlog") == 2
    assert value(text, "kefu_outbox_oldest_pending_seconds") >= 0
    senders = {"webchat": ScriptedChannel(failures=1), "wechat": ScriptedChannel(permanent=True)}
    dispatcher = OutboxDispatcher(db, senders, OutboxSettings(), metrics=metrics)
    await dispatcher.run_once()  # web chat: a temporary failure; WeChat: refused for good
    await make_due(db)
    await dispatcher.run_once()  # web chat: sent on the second attempt
    text = (await metrics.render()).decode()
    assert value(text, "kefu_outbox_backlog") == 0
    assert value(text, "kefu_outbox_dead_letters") == 1
    assert value(text, "kefu_outbox_deliveries_total", channel="webchat", result="retry") == 1
    assert value(text, "kefu_outbox_deliveries_total", channel="webchat", result="sent") == 1
    assert value(text, "kefu_outbox_deliveries_total", channel="wechat", result="dead") == 1
    assert value(text, "kefu_channel_errors_total", kind="delivery") == 2
    assert value(text, "kefu_stage_seconds_count", stage="delivered", channel="webchat") == 1
    assert value(text, "kefu_stage_seconds_count", stage="delivered", channel="wechat") == 0


async def test_database_down_is_reported_not_faked() -> None:
    db = Database("postgresql+asyncpg://kefu@127.0.0.1:9/kefu")  # nothing listens on port 9
    try:
        text = (await Metrics(db).render()).decode()
    finally:
        await db.dispose()
    assert value(text, "kefu_database_up") == 0
    assert "kefu_queue_depth" not in text and "kefu_outbox_backlog" not in text


def test_each_app_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    a.channel_error("wechat", "media_fetch")
    a.sla("first_response", "breach")
    assert a.registry.get_sample_value(
        "kefu_channel_errors_total", {"channel": "wechat", "kind": "media_fetch"}
    )
    assert b.registry.get_sample_value("kefu_sla_breaches_total", {"kind": "first_response"}) in (
        None,
        0.0,
    )


async def test_token_protects_metrics(
    demo_settings: Any, embedder: Any, aiohttp_client: Any
) -> None:
    from core.app import create_app

    settings = make_settings(
        demo_settings.data_path, server={"metrics_token": "scrape-me-0123456789"}
    )
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
    text = await scrape(client, Authorization="Bearer scrape-me-0123456789")
    assert value(text, "kefu_database_up") == 1
    assert "scrape-me" not in text


async def test_webhook_rejections_count_as_channel_errors(client: Any) -> None:
    resp = await client.post("/channels/wechat/nosuchinbox?signature=x", data=b"<xml/>")
    assert resp.status >= 400
    text = await scrape(client)
    assert value(text, "kefu_channel_errors_total", channel="wechat", kind="webhook_rejected") == 1


async def test_sla_counts_and_every_dashboard_query_names_an_exposed_metric(client: Any) -> None:
    """After real traffic (an answer, a resend, an urgent escalation that breaches its SLA, a
    refused webhook, a 404) every metric the Grafana dashboard queries is in /metrics."""
    v = await Visitor(client).start()
    await v.reply_to("家里热水器冒烟了")
    cmid = await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and "没有客服在线" in f["text"])
    await v.say("转人工", client_msg_id=cmid)  # the widget resends after a reconnect
    await client.get("/no/such/page")
    await client.post("/channels/wechat/nosuchinbox", data=b"<xml/>")
    await login(client)
    [ticket] = (await (await client.get("/api/agent/tickets")).json())["tickets"]
    created = datetime.fromisoformat(ticket["created_at"])
    timer = SlaTimer(client.app[HANDOFF], client.app[METRICS])
    await timer.check(created + timedelta(minutes=25))
    await timer.check(created + timedelta(minutes=31))
    text = await until_metric(client, "kefu_inbound_duplicates_total", 1, channel="webchat")
    assert value(text, "kefu_sla_warnings_total", kind="first_response") == 1
    assert value(text, "kefu_sla_breaches_total", kind="first_response") == 1

    exposed = {name for name, _ in samples(text)}
    queried = _metric_names(json.loads(DASHBOARD.read_text(encoding="utf-8")))
    assert len(queried) >= 10
    missing = queried - exposed
    assert not missing, f"the dashboard queries metrics /metrics does not expose: {missing}"


def _metric_names(dashboard: dict[str, Any]) -> set[str]:
    import re

    names: set[str] = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            names.update(re.findall(r"\bkefu_[a-z_]+\b", target["expr"]))
    return names


def test_multiprocess_mode_sums_workers(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, a scrape of one worker counts every worker's turns."""
    mp = tmp_path / "prom"
    mp.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(mp)}
    worker = (
        "import asyncio; from core.metrics import Metrics; m = Metrics(); "
        "m.stored('webchat', m.clock(), duplicate=False)"
    )
    scraper = (
        "import asyncio; from core.metrics import Metrics; "
        "print(asyncio.run(Metrics().render()).decode())"
    )
    root = Path(__file__).resolve().parents[2]
    for code in (worker, worker):
        subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True, timeout=120)
    out = subprocess.run(
        [sys.executable, "-c", scraper],
        env=env,
        cwd=root,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    assert value(out, "kefu_turns_total", channel="webchat") == 2
