"""Canned-reply variables read right in both languages (issue 15, bug 6)."""

from __future__ import annotations

from typing import Any

from handoff.canned import render
from tests.helpers import AGENT_HEADERS, Visitor, login

UNKNOWN: dict[str, str | None] = {"customer_name": None, "agent_name": "小王"}


def test_an_unknown_name_fits_the_sentence_around_it() -> None:
    assert render("Hi {customer_name}, how can I help?", UNKNOWN, "en") == (
        "Hi there, how can I help?"
    )
    assert render("Hi {customer_name}, how can I help?", UNKNOWN, "zh") == (
        "Hi there, how can I help?"
    )  # the reply's own words decide, not the conversation
    assert render("{customer_name}您好，我是{agent_name}", UNKNOWN, "zh") == "您好，我是小王"
    assert render("尊敬的{customer_name}：", UNKNOWN, "zh") == "尊敬的客户："
    assert render("Dear {customer_name},", UNKNOWN, "en") == "Dear customer,"
    assert render("{customer_name}", UNKNOWN, "en") == "customer"


def test_a_known_name_and_unknown_variables() -> None:
    known: dict[str, str | None] = {"customer_name": "Alice", "agent_name": "Bob"}
    assert render("Hi {customer_name}, I am {agent_name}.", known, "en") == "Hi Alice, I am Bob."
    assert render("{customer_name}您好", {"customer_name": "张三"}, "zh") == "张三您好"
    # No ticket: the variable stays visible for the agent to fix, never a guess.
    assert render("工单 {ticket_number}", UNKNOWN, "zh") == "工单 {ticket_number}"


async def test_canned_replies_in_an_english_conversation(client: Any) -> None:
    await login(client)
    made = await client.post(
        "/api/admin/canned",
        json={"shortcut": "hello", "text": "Hi {customer_name}, this is {agent_name}."},
        headers=AGENT_HEADERS,
    )
    assert made.status == 201
    session = await (await client.post("/api/webchat/sessions", json={"locale": "en"})).json()
    v = await Visitor(client).start(session["token"])
    canned = (
        await (await client.get(f"/api/agent/canned?conversation_id={v.conversation_id}")).json()
    )["canned"]
    hello = next(c for c in canned if c["shortcut"] == "hello")
    assert hello["rendered"] == "Hi there, this is Demo Agent."  # was "Hi 您, ..."
