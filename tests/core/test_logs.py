"""Logs: text or JSON lines, and no raw personal data or secret in any line real code writes."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.logs import Masker, configure_logging, known_secrets
from tests.channels.email_support.app import (
    EmailEnv,
    customer_mail,
    free_port,
    with_email_inbox,
)
from tests.channels.email_support.sink import start_sink
from tests.conftest import make_settings
from tests.helpers import Visitor

PHONE, EMAIL = "13812345678", "zhang.san@customer.example"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handler: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)
    logging.captureWarnings(False)


def configured(settings: Settings, fmt: str, level: str = "DEBUG") -> io.StringIO:
    """Configure logging like the CLI does, into a buffer."""
    server = dataclasses.replace(settings.server, log_format=fmt, log_level=level)
    buf = io.StringIO()
    configure_logging(dataclasses.replace(settings, server=server), stream=buf)
    return buf


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("电话13812345678。", "电话138****5678。"),
        ("+86 138-1234-5678", "+86 138****5678"),
        ("邮箱zhang.san@customer.example", "邮箱z***@customer.example"),
        (f"用户{OPENID}发来", "用户oUpF8u***发来"),
        ("kf wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw left", "kf wmAJ2G*** left"),
        ("身份证 11010119900307123X", "身份证 110*************3X"),
        ("postgresql+asyncpg://kefu:pa55w0rd@db/kefu", "postgresql+asyncpg://kefu:***@db/kefu"),
        (
            "GET /cgi-bin/gettoken?corpsecret=abcdef123&x=1",
            "GET /cgi-bin/gettoken?corpsecret=***&x=1",
        ),
        ("Authorization: Bearer abcdefghijkl", "Authorization: Bearer ***"),
        # What must stay readable: ids, timestamps, order numbers, code words.
        ("order 202401010001 at 1700000000123", "order 202401010001 at 1700000000123"),
        ("outbox_dispatcher_row_claim done", "outbox_dispatcher_row_claim done"),
    ],
)
def test_masking_rules(raw: str, masked: str) -> None:
    assert Masker()(raw) == masked


def test_json_lines_mask_args_and_tracebacks(tmp_path: Any, restore_logging: None) -> None:
    settings = make_settings(tmp_path, server={"metrics_token": "metrics-token-987654"})
    buf = configured(settings, "json")
    log = logging.getLogger("kefu.test")
    log.info("customer %s wrote from %s", PHONE, EMAIL)
    try:
        raise ValueError(f"cannot reach {EMAIL} with key {settings.server.secret_key}")
    except ValueError:
        log.exception("failed for %s", OPENID)
    log.warning("token is %s", settings.server.metrics_token)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [x["level"] for x in lines] == ["INFO", "ERROR", "WARNING"]
    assert lines[0]["message"] == "customer 138****5678 wrote from z***@customer.example"
    assert lines[0]["logger"] == "kefu.test" and "ts" in lines[0]
    assert "ValueError" in lines[1]["exc"] and "z***@customer.example" in lines[1]["exc"]
    out = buf.getvalue()
    for secret in (PHONE, EMAIL, OPENID, settings.server.secret_key, "metrics-token-987654"):
        assert secret not in out


async def test_webchat_and_email_paths_log_no_raw_personal_data(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any, restore_logging: None
) -> None:
    """A customer gives a phone number and an email in the web chat, and an auto-reply comes
    from an email address: both are logged (DEBUG inbound, INFO automatic mail), masked."""
    from core.app import create_app

    sink = await start_sink()
    port = free_port()
    settings = with_email_inbox(
        demo_settings, smtp_listen=f"127.0.0.1:{port}", smtp_url=f"smtp://127.0.0.1:{sink.port}"
    )
    for fmt in ("text", "json"):
        buf = configured(settings, fmt)
        client = await aiohttp_client(create_app(settings, embedder=embedder))
        env = EmailEnv(client, sink, port)
        v = await Visitor(client).start()
        await v.reply_to(f"我的手机是{PHONE}，邮箱{EMAIL}，洗衣机坏了")
        auto = customer_mail(
            "自动回复",
            f"请联系 {PHONE}",
            sender=f"张三 <{EMAIL}>",
            headers={"Auto-Submitted": "auto-replied"},
        )
        await env.deliver(auto)
        await client.close()
        out = buf.getvalue()
        assert "138****5678" in out and "z***@customer.example" in out, out
        assert PHONE not in out and EMAIL not in out
        assert "is automatic" in out
        if fmt == "json":
            assert all(json.loads(line)["message"] for line in out.splitlines())
    await sink.close()


def test_every_secret_the_settings_name_is_masked(restore_logging: None, tmp_path: Path) -> None:
    # The order system's header and the alert robots' keys are secrets too (SECRET_KEYS):
    # a log line that quotes one (a failed lookup, a robot URL) must not show it.
    base = make_settings(tmp_path)
    settings = dataclasses.replace(
        base,
        orders=dataclasses.replace(base.orders, auth_header="Authorization: Bearer ord3rT0ken99"),
        alerts=dataclasses.replace(base.alerts, webhooks=["售后一组: 693a91f6-7xxx-robot-key"]),
    )  # type: ignore[call-arg]  # [alerts] is handoff's section, unknown to mypy here
    buf = configured(settings, "text")
    log = logging.getLogger("kefu.test")
    log.warning("lookup refused with header %s", "Authorization: Bearer ord3rT0ken99")
    log.warning("token ord3rT0ken99 in a body")
    log.warning(
        "robot https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-robot-key"
    )
    out = buf.getvalue()
    assert "ord3rT0ken99" not in out and "693a91f6-7xxx-robot-key" not in out, out
    assert out.count("***") >= 3


def test_a_blank_secret_setting_masks_nothing_and_breaks_nothing(tmp_path: Path) -> None:
    base = make_settings(tmp_path)
    settings = dataclasses.replace(base, orders=dataclasses.replace(base.orders, auth_header="  "))
    assert "" not in Masker(known_secrets(settings)).secrets
