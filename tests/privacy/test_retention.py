"""Retention per inbox: the dry run and the run agree, a conversation one day inside the limit
is kept, open conversations and inboxes without a rule are never touched; SQLite and
PostgreSQL, through ``kefu admin retention``."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.attachments import AttachmentStore
from core.config import load_settings
from core.conversations import attachment_json, record_inbound
from core.db import Database
from core.domain import InboundMessage
from core.errors import ConfigError
from core.models import Conversation, Message, utcnow
from tests.intake.import_helpers import make_kefu, query

RULES = '[privacy]\nretention = ["mail: conversations=30, attachments=10"]\n'


def seed(database_url: str, data: Path) -> dict[str, int]:
    """Conversations of several ages and owners; returns their ids by name."""

    async def run() -> dict[str, int]:
        db = Database(database_url)
        store = AttachmentStore(data / "attachments")
        now = utcnow()
        ids: dict[str, int] = {}
        plan = {  # name: (inbox, owner, days idle, days since its photo arrived)
            "expired": ("mail", "resolved", 31, 31),
            "inside": ("mail", "resolved", 29, 11),
            "open": ("mail", "agent", 100, 9),
            "no_rule": ("web", "resolved", 400, 400),
        }
        try:
            for name, (inbox, owner, idle, photo_age) in plan.items():
                photo = await store.save(
                    f"photo of {name}".encode(), kind="image", mime="image/png", name="p.png"
                )
                async with db.transaction() as s:
                    rec = await record_inbound(
                        s,
                        InboundMessage(
                            channel="email",
                            inbox=inbox,
                            external_id=f"{name}@example.com",
                            source_id=f"{name}-1@example.com",
                            text=f"text of {name}",
                            attachments=(),
                            received_at=now - timedelta(days=photo_age),
                        ),
                    )
                    conv = rec.conversation
                    rec.message.attachments = [attachment_json(photo)]
                    await s.execute(
                        update(Conversation)
                        .where(Conversation.id == conv.id)
                        .values(owner=owner, last_activity_at=now - timedelta(days=idle))
                    )
                    ids[name] = conv.id
        finally:
            await db.dispose()
        return ids

    return asyncio.run(run())


def contents(database_url: str) -> dict[int, tuple[str, int]]:
    """Conversation id -> (its message text, how many attachments)."""
    rows = query(database_url, select(Message.conversation_id, Message.text, Message.attachments))
    return {cid: (text, len(att or [])) for cid, text, att in rows}


def test_dry_run_and_run_agree_and_one_day_inside_is_kept(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kefu.toml").write_text(RULES, encoding="utf-8")
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    ids = seed(database_url, tmp_path)
    files = sorted((tmp_path / "attachments").rglob("*"))
    photos = [p for p in files if p.is_file()]
    assert len(photos) == 4

    code, out, err = kefu("admin", "retention", "--dry-run", "--json")
    assert code == 0, err
    [dry] = json.loads(out)
    assert dry["inbox"] == "mail"
    assert dry["conversations"] == [ids["expired"]]
    # The photos older than 10 days: the expired conversation's and the one kept inside.
    by_conv = dict(query(database_url, select(Message.id, Message.conversation_id)))
    assert sorted(by_conv[m] for m in dry["attachment_messages"]) == sorted(
        [ids["expired"], ids["inside"]]
    )
    assert contents(database_url)[ids["expired"]] == ("text of expired", 1)  # dry: unchanged

    code, out, err = kefu("admin", "retention", "--json")
    assert code == 0, err
    assert json.loads(out) == [dry]  # the run did what the dry run said
    after = contents(database_url)
    assert after[ids["expired"]] == ("", 0)
    assert after[ids["inside"]] == ("text of inside", 0)  # kept; its old photo went
    assert after[ids["open"]] == ("text of open", 1)
    assert after[ids["no_rule"]] == ("text of no_rule", 1)
    assert sum(p.exists() for p in photos) == 2
    [purged] = query(
        database_url, select(Conversation.purged_at).where(Conversation.id == ids["expired"])
    )
    assert purged[0] is not None

    code, out, _ = kefu("admin", "retention", "--dry-run")
    assert code == 0
    assert out.strip() == (
        "mail: would empty 0 resolved conversations (older than 30 days) "
        "and the attachments of 0 messages (older than 10 days)"
    )


def test_bad_retention_rules_name_the_line() -> None:
    for line, says in (
        ("mail conversations=30", "must look like"),
        ("mail: chats=30", "is not conversations=DAYS"),
        ("mail: conversations=0", "1 to 36500"),
        ("mail:", "names no limit"),
    ):
        with pytest.raises(ConfigError) as err:
            load_settings(None, env={}, overrides={"privacy": {"retention": [line]}})
        assert says in err.value.message and line in err.value.message
