"""Channel names, labels and per-channel defaults come from the registry, and nowhere else.

A fake ``telegram`` channel registered with one entry (monkeypatched into the registry, no
other file edited) shows in the console's channel list, gets its default outbox quota, is a
valid ``[[inboxes]]`` channel, and is understood by ticket and customer imports and exports.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select

from channels import registry
from channels.base import AdapterFactory
from channels.registry import Channel, infos, validate_inboxes
from core.config import ChannelInfo, InboxSettings, load_settings
from core.errors import ConfigError
from core.models import ContactIdentity, Ticket
from tests.helpers import AGENT_HEADERS, login
from tests.intake.import_helpers import make_kefu, query

TELEGRAM = ChannelInfo(
    name="telegram",
    label_zh="电报",
    label_en="Telegram",
    rate_limit="30/1",
    aliases=("tg",),
    id_headers=("telegram id", "电报号"),
)


def _never_built(_services: Any) -> Any:
    raise AssertionError("the fake channel's adapter is not needed here")


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> ChannelInfo:
    """The fake channel, registered the way a new channel's registry line does it."""
    fake = Channel(TELEGRAM, cast(AdapterFactory, _never_built))
    monkeypatch.setitem(registry.CHANNELS, TELEGRAM.name, fake)
    return TELEGRAM


def test_every_channel_declares_its_labels_once() -> None:
    found = {c.name: c for c in infos()}
    assert {"webchat", "email", "wechat", "wecom_kf"} <= found.keys()
    assert (found["wecom_kf"].label_zh, found["wecom_kf"].label_en) == ("企业微信客服", "WeCom kf")
    assert all(c.label_zh and c.label_en for c in found.values())
    assert set(registry.ADAPTERS) == set(found)


def test_default_quotas_come_from_the_channels_and_the_file_still_wins(
    telegram: ChannelInfo,
) -> None:
    s = load_settings(None, env={})
    assert s.outbox.rate_limits == ["wechat: 600/60", "wecom_kf: 600/60", "telegram: 30/1"]
    assert s.channel("telegram") == telegram and s.channel("import") is None
    mine = load_settings(None, env={}, overrides={"outbox": {"rate_limits": ["wechat: 5/60"]}})
    assert mine.outbox.rate_limits == ["wechat: 5/60"]
    none = load_settings(None, env={}, overrides={"outbox": {"rate_limits": []}})
    assert none.outbox.rate_limits == []
    alone = load_settings(None, env={}, channels=[])
    assert alone.outbox.rate_limits == [] and alone.channels == ()


def test_inboxes_may_use_a_registered_channel_but_not_the_web_chat(telegram: ChannelInfo) -> None:
    s = load_settings(None, env={})
    ok = InboxSettings(name="tg", channel="telegram", options={})
    validate_inboxes(dataclasses.replace(s, inboxes=(ok,)))
    for channel in ("webchat", "fax"):
        bad = InboxSettings(name="x", channel=channel, options={})
        known = ", ".join(sorted(n for n, c in registry.CHANNELS.items() if c.info.inbox))
        assert "telegram" in known and "webchat" not in known
        with pytest.raises(ConfigError, match=f"known: {known}"):
            validate_inboxes(dataclasses.replace(s, inboxes=(bad,)))


async def test_the_console_lists_the_registered_channels_with_their_labels(
    telegram: ChannelInfo, client: Any
) -> None:
    resp = await client.get("/api/agent/channels", headers=AGENT_HEADERS)
    assert resp.status == 401
    await login(client)
    resp = await client.get("/api/agent/channels", headers=AGENT_HEADERS)
    assert resp.status == 200
    listed = {c["name"]: c["label"] for c in (await resp.json())["channels"]}
    assert listed["telegram"] == {"zh": "电报", "en": "Telegram"}
    assert listed["wecom_kf"] == {"zh": "企业微信客服", "en": "WeCom kf"}
    assert listed["webchat"] == {"zh": "网页", "en": "Web chat"}


def test_the_console_has_no_hand_written_channel_labels() -> None:
    static = Path(__file__).resolve().parents[1] / "handoff" / "static"
    assert "/api/agent/channels" in (static / "console.js").read_text(encoding="utf-8")
    console = ["console.js", "desk.js", *(f"console/{p.name}" for p in static.glob("console/*.js"))]
    assert len(console) > 5  # the console's own modules, its words (console/strings.js) too
    for name in console:
        text = (static / name).read_text(encoding="utf-8").lower()
        for word in ("telegram", "wecom", "webchat", "whatsapp", "sms", "微信", "邮件"):
            assert word not in text, f"{name} names a channel: {word}"


def _write(path: Path, text: str) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


TICKETS = (
    "工单号,标题,渠道,创建时间,客户,客户电报\n"
    "30001,收不到验证码,电报,2023-03-01 09:00,王五,wangwu_tg\n"
    "30002,发票,tg,2023-03-02 09:00,,\n"
    "30003,安装,企业微信,2023-03-03 09:00,,\n"
    "30004,旧系统,淘宝,2023-03-04 09:00,,\n"
)
CUSTOMERS = "姓名,telegram id\n赵六,zhaoliu_tg\n"


def test_imports_and_exports_follow_the_registry(
    telegram: ChannelInfo, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    code, out, err = kefu("import", "tickets", str(_write(tmp_path / "t.csv", TICKETS)))
    assert code == 0 and "created: 4" in out, out + err
    channels = dict(query(database_url, select(Ticket.number, Ticket.channel)))
    assert channels == {30001: "telegram", 30002: "telegram", 30003: "wecom_kf", 30004: "淘宝"}
    code, out, err = kefu("import", "customers", str(_write(tmp_path / "c.csv", CUSTOMERS)))
    assert code == 0 and "created: 1" in out, out + err
    ids = query(
        database_url,
        select(ContactIdentity.external_id).where(ContactIdentity.channel == "telegram"),
    )
    assert sorted(i for (i,) in ids) == ["wangwu_tg", "zhaoliu_tg"]

    code, _, err = kefu("export", "customers", str(tmp_path / "out.csv"))
    assert code == 0, err
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:6] == ["id", "name", "phone", "email", "wechat", "telegram"]
    assert {r["name"]: r["telegram"] for r in rows if r["telegram"]} == {
        "王五": "wangwu_tg",
        "赵六": "zhaoliu_tg",
    }
