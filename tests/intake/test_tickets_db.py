"""Tickets on SQLite and PostgreSQL: one open ticket per conversation, reopen, merge,
feedback counts and the report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.config import load_settings
from core.conversations import add_reply, record_inbound
from core.db import Database
from core.domain import InboundMessage
from core.models import Conversation, utcnow
from intake import feedback, reports
from intake.lifecycle import move
from intake.tables import TicketEvent
from intake.tickets import TicketDesk

DESK = TicketDesk(load_settings(None, env={}))


def said(text: str, source_id: str, visitor: str = "v-1") -> InboundMessage:
    return InboundMessage(
        channel="webchat", inbox="web", external_id=visitor, source_id=source_id, text=text
    )


async def test_escalations_share_one_ticket_reopen_in_the_window_and_merge(db: Database) -> None:
    async with db.transaction() as s:
        rec = await record_inbound(s, said("冰箱漏水，太差了", "m1"))
        conv = rec.conversation
        answer = await add_reply(
            s, conv, sender="bot", text="请预约维修", meta={"entry_id": "repair-book-zh"}
        )
        t1 = await DESK.open_for(s, conv, reason="customer_request", category=None)
        t2 = await DESK.open_for(s, conv, reason="repeated_failure", category=None)
        assert t1.id == t2.id and t1.number == 1001
        # "太差了" alone is displeasure, not clear anger (intake/urgency.py): not urgent.
        assert (t1.status, t1.priority, t1.category, t1.skills) == (
            "new",
            "normal",
            "repair",
            ["repair"],
        )
        assert t1.first_response_due is not None and t1.resolution_due is not None
        move(s, t1, "resolved", clock=DESK.clock, actor="agent")
        again = await DESK.open_for(s, conv, reason="customer_request", category=None)
        assert again.id == t1.id and again.status == "open"
        await feedback.record(
            s, conversation_id=conv.id, message_id=answer.id, kind="helpful", value=1
        )
        await feedback.record(
            s, conversation_id=conv.id, message_id=answer.id, kind="helpful", value=0
        )  # a change of mind replaces the vote
        other = (await record_inbound(s, said("冰箱还是漏水", "m2", visitor="v-2"))).conversation
        dup = await DESK.open_for(s, other, reason="customer_request", category=None)
        assert dup.number == 1002
        await DESK.merge(s, dup, t1, agent_id=None)
        assert dup.status == "closed" and dup.merged_into == 1001
        assert "--- merged from #1002 ---" in t1.transcript
    async with db.reader() as s:
        actions = [
            (e.action, e.detail.get("from"), e.detail.get("to"))
            for e in (
                await s.execute(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == t1.id)
                    .order_by(TicketEvent.id)
                )
            ).scalars()
        ]
        assert actions[0][0] == "created" and ("status", "resolved", "open") in actions
        assert await feedback.helpful_counts(s) == {"repair-book-zh": (0, 1)}
        now = utcnow()
        summary = await reports.summary(
            s, now - timedelta(days=1), now + timedelta(days=1), "Asia/Shanghai"
        )
        totals = summary.totals
        # The merged duplicate is not a case of its own.
        assert (totals.conversations, totals.tickets, totals.backlog) == (2, 1, 1)
        assert totals.bot_deflection_rate == 0.0 and totals.fcr_rate is None
        assert [m.key for m in summary.by["category"]] == ["repair"]
        assert (await s.get(Conversation, conv.id)) is not None
