"""Erasure rules on the store itself (SQLite and PostgreSQL): a file two customers sent stays
until neither refers to it, ticket events keep their states but lose their text, and a second
erasure finds nothing left."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.attachments import AttachmentStore
from core.conversations import attachment_json, record_inbound
from core.db import Database
from core.domain import InboundMessage
from core.models import Contact, Ticket
from intake.tables import TicketEvent
from privacy import trail
from privacy.erase import erase

ACTOR = trail.Actor(None, "cli:ops", "local")


async def customer_with_photo(db: Database, store: AttachmentStore, who: str) -> tuple[int, int]:
    """A customer who emailed the same photo as everyone else; (contact id, conversation id)."""
    photo = await store.save(b"the same photo", kind="image", mime="image/png", name="p.png")
    async with db.transaction() as s:
        rec = await record_inbound(
            s,
            InboundMessage(
                channel="email",
                inbox="mail",
                external_id=f"{who}@example.com",
                source_id=f"{who}-1@example.com",
                text=f"{who} 的洗衣机坏了",
            ),
        )
        rec.message.attachments = [attachment_json(photo)]
        return rec.conversation.contact_id, rec.conversation.id


async def test_shared_file_stays_until_no_one_uses_it_and_events_keep_states(
    db: Database, tmp_path: Path
) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    wang, wang_conv = await customer_with_photo(db, store, "wang")
    li, _ = await customer_with_photo(db, store, "li")
    [photo] = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    async with db.transaction() as s:
        ticket = Ticket(number=1, conversation_id=wang_conv, subject="wang 的洗衣机坏了")
        s.add(ticket)
        await s.flush()
        s.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor="agent",
                action="status",
                detail={"from": "open", "to": "resolved"},
            )
        )
        s.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor="agent",
                action="fields",
                detail={"subject": {"from": "wang 的洗衣机", "to": "x"}, "count": 2},
            )
        )

    first = await erase(db, store, wang, "申请 #1", ACTOR)
    assert first.files_deleted == 0 and photo.exists()  # li's message still shows it
    async with db.reader() as s:
        details = [
            e.detail
            for e in (await s.execute(select(TicketEvent).order_by(TicketEvent.id))).scalars()
        ]
        subject = (await s.execute(select(Ticket.subject))).scalar_one()
    assert details == [{"from": "open", "to": "resolved"}, {"count": 2}]
    assert subject == ""

    again = await erase(db, store, wang, "重复", ACTOR)
    assert again.already_erased and again.counts["messages"] == 0 and again.files_deleted == 0

    last = await erase(db, store, li, "申请 #2", ACTOR)
    assert last.files_deleted == 1 and not photo.exists()


async def test_the_same_openid_writing_after_an_erasure_is_a_new_empty_contact(
    db: Database, tmp_path: Path
) -> None:
    from core.channel_store import read_state, write_state

    openid = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"

    async def wechat(text: str, source: str) -> int:
        async with db.transaction() as s:
            rec = await record_inbound(
                s,
                InboundMessage(
                    channel="wechat",
                    inbox="wx-main",
                    external_id=openid,
                    source_id=source,
                    text=text,
                    contact_name="微信用户",
                ),
            )
            return rec.conversation.contact_id

    first = await wechat("我的快递单号 SF123", "m1")
    await write_state(db, "wx-main", f"window:{openid}", {"last_inbound": 1.0, "sent": 0})
    # A template message's delivery receipt names the openid in its value, not its key.
    receipt = {"event": "TEMPLATESENDJOBFINISH", "openid": openid, "Status": "success"}
    await write_state(db, "wx-main", "receipt:TEMPLATESENDJOBFINISH:2001", receipt)
    other = {**receipt, "openid": "oSomeoneElse"}
    await write_state(db, "wx-main", "receipt:TEMPLATESENDJOBFINISH:2002", other)
    result = await erase(db, AttachmentStore(tmp_path), first, "客户申请", ACTOR)
    assert result.counts["channel_state"] == 2
    assert await read_state(db, "wx-main", f"window:{openid}") == {}
    assert await read_state(db, "wx-main", "receipt:TEMPLATESENDJOBFINISH:2001") == {}
    assert await read_state(db, "wx-main", "receipt:TEMPLATESENDJOBFINISH:2002") == other
    second = await wechat("你好", "m2")
    assert second != first
    async with db.reader() as s:
        new = await s.get(Contact, second)
        old = await s.get(Contact, first)
    assert new is not None and new.erased_at is None and new.name == "微信用户"
    assert old is not None and old.name == "" and old.erased_at is not None
