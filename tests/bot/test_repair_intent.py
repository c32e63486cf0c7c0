"""A question about repairs goes to the knowledge base; a request for one starts the form.

Found when the work-order and answer branches met: "怎么预约维修？" and the follow-up
"那安装呢" started a repair or installation form instead of being answered.
"""

from __future__ import annotations

import pytest

from bot.ports import FormState
from bot.repair_form import make_repair_form
from bot.repair_intent import STARTS, first_fault, is_request
from bot.router import Context
from core.domain import BotState, TurnInput


@pytest.mark.parametrize(
    "text",
    [
        "维修",
        "我的洗衣机不脱水了，想报修",
        "空调要安装",
        "能上门维修吗",
        "洗衣机坏了，能派师傅上门修理吗？",
        "能不能安排上门安装",
        "my washer is broken, please fix it",
        "Can you repair my fridge?",
        "I want a repair",
        "洗衣机不转了，能派个师傅来看看吗",
        "热水器坏了，麻烦安排师傅上门看一下",
        "could you send an engineer? the dryer is broken",
    ],
)
def test_requests_start_the_form(text: str) -> None:
    assert starts(text)


@pytest.mark.parametrize(
    "text",
    [
        "怎么预约维修？",
        "那安装呢",
        "安装收费吗",
        "维修要多久",
        "维修？",
        "How much is a repair?",
        "师傅什么时候上门？",
        "上门维修收费吗",
        "派师傅要钱吗",
    ],
)
def test_questions_about_repairs_do_not(text: str) -> None:
    assert not starts(text)


def starts(text: str) -> bool:
    """Whether the message starts a form: it names a repair or installation and asks for one."""
    return any(p.search(text) for p in STARTS.values()) and is_request(text)


def test_the_fault_leaves_the_request_out() -> None:
    assert first_fault("洗衣机不转了，能派个师傅来看看吗") == "洗衣机不转了"
    assert first_fault("我的洗衣机不脱水了，想报修") == "我的洗衣机不脱水了"
    assert first_fault("洗衣机漏水，帮我约个师傅上门修一下") == "洗衣机漏水"
    assert first_fault("my washer is leaking, please send an engineer") == "my washer is leaking"
    assert first_fault("洗衣机坏了要修") == "洗衣机坏了要修"  # nothing else says the fault


class CountingBackend:
    """A form store that counts reads and holds one form for every conversation."""

    def __init__(self) -> None:
        self.loads = 0

    async def load(self, conversation_id: int) -> FormState:
        self.loads += 1
        return FormState("repair", {"product": "1"}, "fault")

    async def clear(self, conversation_id: int) -> None:
        raise AssertionError("not asked for")


def context(text: str, state: BotState) -> Context:
    turn = TurnInput(conversation_id=7, channel="webchat", text=text, state=state)
    return Context(turn=turn, text=text, language="zh", state=state)


async def test_the_form_store_is_read_only_while_a_form_is_open() -> None:
    # Every bot turn passes this handler: with no form in the bot's memory it must not cost
    # a database read (it did on every turn: about a tenth of a turn's CPU in the bench).
    backend = CountingBackend()
    handler = make_repair_form(backend)  # type: ignore[arg-type]
    assert await handler(context("洗碗机能洗锅吗", BotState())) is None
    assert backend.loads == 0
    # With the form in its memory the bot reads it, and 转人工 drops it for a person.
    with pytest.raises(AssertionError, match="not asked for"):
        await handler(context("转人工", BotState(form="repair")))
    assert backend.loads == 1
