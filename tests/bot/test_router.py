"""The bot's dialogue policy over the real demo knowledge base."""

from __future__ import annotations

from typing import Any

import pytest

from bot.language import detect
from bot.router import Context, Router
from bot.service import Bot
from core.config import Settings
from core.db import Database
from core.domain import BotState, BotTurn, TurnInput
from kb.service import KnowledgeBase


@pytest.fixture
async def bot(demo_settings: Settings, embedder: Any) -> Any:
    db = Database(demo_settings.database_url)
    kb = KnowledgeBase(db, demo_settings.kb, demo_settings.data_path, embedder)
    await kb.load()
    yield Bot(kb, demo_settings.bot, demo_settings.kb)
    await kb.close()
    await db.dispose()


async def turn(bot: Bot, text: str, state: BotState | None = None) -> BotTurn:
    return await bot.respond(
        TurnInput(conversation_id=1, channel="webchat", text=text, state=state or BotState())
    )


async def test_answers_from_the_kb_in_the_customers_language(bot: Bot) -> None:
    zh = await turn(bot, "怎么申请退货")
    assert zh.handler == "kb" and zh.language == "zh" and zh.escalate is None
    assert zh.replies[0].decision == "answer" and "退货" in zh.replies[0].text
    en = await turn(bot, "how do I return an item")
    en_id, zh_id = en.replies[0].entry_id, zh.replies[0].entry_id
    assert en_id is not None and zh_id is not None
    assert en.language == "en" and en_id.endswith("-en")
    assert en_id.rsplit("-", 1)[0] == zh_id.rsplit("-", 1)[0]


@pytest.mark.parametrize(
    "text",
    [
        "转人工",
        "人工客服",
        "我要找人工",
        "human please",
        "Can I talk to a real person?",
        "agent please",
    ],
)
async def test_explicit_request_for_a_person_escalates(bot: Bot, text: str) -> None:
    out = await turn(bot, text)
    assert out.handler == "human"
    assert out.escalate is not None and out.escalate.reason == "customer_request"
    assert "{ticket}" in out.escalate.notice


async def test_two_misses_in_a_row_escalate(bot: Bot) -> None:
    first = await turn(bot, "今天股市行情怎么样，推荐一只股票")
    assert first.escalate is None and first.state.misses == 1
    assert "换个说法" in first.replies[0].text
    second = await turn(bot, "帮我写一首关于月亮的诗", first.state)
    assert second.escalate is not None and second.escalate.reason == "repeated_failure"
    answered = await turn(bot, "怎么申请退货", first.state)
    assert answered.state.misses == 0  # an answer resets the count


async def test_clarify_then_pick_by_number(bot: Bot) -> None:
    out = await turn(bot, "发票")
    reply = out.replies[0]
    if reply.decision != "clarify":
        pytest.fail(f"expected clarify for a one-word question, got {reply.decision}")
    assert len(reply.choices) >= 2 and "1." in reply.text
    picked = await turn(bot, "2", out.state)
    assert picked.handler == "pick"
    assert picked.replies[0].entry_id == reply.choices[1].entry_id
    assert picked.state.choices == ()


async def test_greetings_thanks_and_empty(bot: Bot) -> None:
    hello = await turn(bot, "你好")
    assert hello.handler == "greeting" and "转人工" in hello.replies[0].text
    assert (await turn(bot, "hello!")).language == "en"
    assert (await turn(bot, "谢谢")).handler == "greeting"
    emoji = await turn(bot, "😀😀")
    assert emoji.handler == "empty" and emoji.escalate is None


def test_language_detection() -> None:
    assert detect("怎么退货", "en") == "zh"
    assert detect("refund please", "zh") == "en"
    assert detect("12345", "en") == "en"
    assert detect("我的order号是123", "en") == "zh"


async def test_router_is_ordered_and_first_match_wins() -> None:
    seen: list[str] = []

    async def no(ctx: Context) -> BotTurn | None:
        seen.append("no")
        return None

    async def yes(ctx: Context) -> BotTurn | None:
        seen.append("yes")
        return BotTurn((), ctx.state, ctx.language)

    async def never(ctx: Context) -> BotTurn | None:
        seen.append("never")
        return None

    router = Router()
    router.add("no", no)
    router.add("yes", yes)
    router.add("never", never)
    ctx = Context(TurnInput(1, "webchat", "x", BotState()), "x", "en", BotState())
    out = await router.dispatch(ctx)
    assert out.handler == "yes" and seen == ["no", "yes"]
